using System.Security.Cryptography;
using System.Text;
using NanoClaw.ExtraFolders;
using NanoClaw.Guest;
using NanoClaw.Storage;

namespace NanoClaw.Runs;

/// <summary>
/// Prepared runs (AGENT_PREPARE_MINUTES): when a group's run has ended, its next run starts at once, before any message:
/// a VM, the group's workspace, Claude Code resuming the session, all waiting; the group's next message is its first
/// turn. Claude Code's start (~10 s in a VM here) is then behind the user instead of in front of them. The VM holds
/// only that group's data and serves only its next run, as every run does; it waits at most <see cref="Wait"/>.
/// <para>A message is fed to a prepared run only if <see cref="InputsStamp"/> is what it was when the run was prepared;
/// otherwise the run is closed and the message gets a run built from what the host holds now.</para>
/// </summary>
/// <param name="InputsStamp">A fingerprint of everything the group's job is built from, leaving out the given files of the
/// group's folder (the message's own, which go in with it), or null when the group's runs are not prepared.</param>
/// <param name="HasRoom">Asked before a run is prepared: false when the machine has no room for a VM that waits.</param>
public sealed record PreparedRuns(TimeSpan Wait, Func<RegisteredGroup, IReadOnlyCollection<string>, string?> InputsStamp, Func<bool> HasRoom)
{
    /// <summary>Off (null) when <see cref="Config.AgentPrepareWait"/> is zero.</summary>
    public static PreparedRuns? For(Config config, Database db) =>
        config.AgentPrepareWait <= TimeSpan.Zero ? null : new(config.AgentPrepareWait, (group, leaveOut) => MicroVmInputsStamp(config, db, group, leaveOut),
            // A waiting VM is memory nobody uses yet: under the warm pool's floor, nothing is prepared.
            () => WarmPool.ReadMemAvailableMb() is not { } free || free - config.VmMemoryMb >= config.WarmPoolMinFreeMb);

    /// <summary>
    /// What a microVM run's job is built from: the workspace (<see cref="WorkspaceSync.Stamp"/>: the group's folder, the
    /// global folder, its Claude Code state), the group's settings (main or not, web rules, folders) and its session.
    /// Null for a group with extra folders: their images are built when a run starts, and an image made minutes before
    /// the message would hide the owner's edits since (checking them would mean walking folders of any size).
    /// </summary>
    /// <param name="leaveOut">Files of the group's folder (relative paths) the stamp does not see.</param>
    public static string? MicroVmInputsStamp(Config config, Database db, RegisteredGroup group, IReadOnlyCollection<string> leaveOut)
    {
        if (ContainerConfig.Parse(group.ContainerConfigJson) is not ContainerConfigRead.Parsed { AdditionalMounts.Count: 0 }) return null;
        var settings = $"{group.IsMain}\n{group.ContainerConfigJson}\n{db.GetSession(group.Folder)}\n";
        var workspace = WorkspaceSync.Stamp(MicroVmAgentRunner.Layout(config, group), leaveOut.Select(path => "group/" + path).ToHashSet(StringComparer.Ordinal));
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(settings + workspace)));
    }
}
