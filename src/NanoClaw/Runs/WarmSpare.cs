using NanoClaw.Gateway;

namespace NanoClaw.Runs;

/// <summary>
/// What a warm VM's pre-started Claude Code was given (the <c>spare</c> frame): the VM's token, bound to no run until a
/// run claims the VM (<see cref="RunTokens.Bind"/>), the environment and MCP config made from it, and the global
/// CLAUDE.md it is claimed with. The claiming run sends exactly these env and MCP config in its <c>job</c>, which is how
/// the guest knows it may take the spare. The token dies with the VM.
/// </summary>
public sealed record WarmSpare(string Token, IReadOnlyDictionary<string, string> Env, string McpConfigJson, string? GlobalMemory)
{
    /// <summary>Past this the global CLAUDE.md is not sent ahead (a frame's line has a 1 MiB bound): a job then starts cold.</summary>
    public const int MaxGlobalMemoryChars = 256 * 1024;

    /// <summary>A new unbound token and the environment a job with it would carry (<see cref="MicroVmAgentRunner.GuestEnvironment"/>).</summary>
    public static WarmSpare Issue(RunTokens tokens, GuestEndpoints guest, string? globalMemory)
    {
        var token = tokens.IssueUnbound();
        return new WarmSpare(token, MicroVmAgentRunner.GuestEnvironment(guest, token), MicroVmAgentRunner.McpConfigJson(token, guest.GatewayUrl), globalMemory);
    }

    /// <summary>
    /// The global CLAUDE.md as a run's workspace carries it into the VM (a regular file, not a link), or null: every group
    /// reads it, so a warm VM may hold it before it knows its group. A text the frame cannot carry (NUL, too long) is
    /// null too; the guest then finds the job's differs and starts cold, as it does when the file changes meanwhile.
    /// </summary>
    public static string? ReadGlobalMemory(string globalDir)
    {
        var file = new FileInfo(Path.Combine(globalDir, "CLAUDE.md"));
        if (!file.Exists || file.LinkTarget is not null || file.Length > MaxGlobalMemoryChars * 4L) return null;
        try
        {
            var text = File.ReadAllText(file.FullName);
            return text.Length > MaxGlobalMemoryChars || text.Contains('\0') ? null : text;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
