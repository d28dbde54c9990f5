namespace NanoClaw.Vm.Firecracker;

/// <summary>Where the firecracker binary is, how it is confined, and how long each boot step may take.</summary>
public sealed record FirecrackerOptions(string Binary)
{
    /// <summary>The account a jailed firecracker runs as; null runs it unjailed as the current user (what a
    /// non-root host can do). See <see cref="FirecrackerJail"/>.</summary>
    public JailUser? Jail { get; init; }

    /// <summary>Whether a jailed firecracker also gets its own cgroup (<see cref="VmCgroup"/>).</summary>
    public bool Cgroup { get; init; }

    /// <summary>
    /// What this host runs: as root, the jail (user from setup, chroot, cgroup when cgroup v2 is writable) is not
    /// optional; without the jail user it refuses, naming the fix. As another user, firecracker runs unjailed.
    /// </summary>
    public static FirecrackerOptions ForThisHost(string binary, string passwdFile = "/etc/passwd")
    {
        if (!Environment.IsPrivilegedProcess) return new FirecrackerOptions(binary);
        var user = JailUser.Find(JailUser.DefaultName, passwdFile)
            ?? throw new VmBootException($"running as root, Firecracker runs only as the unprivileged user `{JailUser.DefaultName}`, which does not exist: run `sudo ./nanoclaw setup` to create it.");
        return new FirecrackerOptions(binary) { Jail = user, Cgroup = VmCgroup.Unavailable() is null };
    }

    /// <summary>Firecracker creates its API socket within milliseconds; a generous bound for loaded hosts.</summary>
    public TimeSpan SocketBound { get; init; } = TimeSpan.FromSeconds(10);

    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>From InstanceStart until the guest agent accepts the control connection.</summary>
    public TimeSpan ControlBound { get; init; } = TimeSpan.FromSeconds(30);
}
