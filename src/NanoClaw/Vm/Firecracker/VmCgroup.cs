using System.Globalization;
using NanoClaw.Guest;

namespace NanoClaw.Vm.Firecracker;

/// <summary>
/// One VM's cgroup v2, <c>&lt;cgroup2 mount&gt;/nanoclaw/&lt;runId&gt;</c>: memory.max, cpu.max and pids.max bound what a
/// runaway or compromised VMM can take from the host. Controllers the host does not delegate to cgroup v2 (e.g. a
/// hybrid v1/v2 host) are listed in <see cref="MissingControllers"/> and their limits are not set; the process is
/// still placed in the group, so it can be found and killed as a whole.
/// </summary>
public sealed class VmCgroup
{
    public const string ParentName = "nanoclaw";

    /// <summary>Firecracker's own memory on top of guest RAM (its threads, page tables, device queues), generously.</summary>
    public const int MemoryOverheadMb = 128;

    /// <summary>Firecracker runs an API thread, a VMM thread and one thread per vCPU; this leaves room, not a fork bomb.</summary>
    public const int PidsMax = 64;

    static readonly string[] Controllers = ["memory", "cpu", "pids"];

    VmCgroup(string path, IReadOnlyList<string> missing) => (Path, MissingControllers) = (path, missing);

    public string Path { get; }

    /// <summary>Write a pid here to move that process (all its threads) into the group.</summary>
    public string ProcsFile => System.IO.Path.Combine(Path, "cgroup.procs");

    public IReadOnlyList<string> MissingControllers { get; }

    /// <summary>The cgroup2 mount point from /proc/self/mountinfo, or null when this host has none.</summary>
    public static string? V2Root()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/self/mountinfo"))
            {
                // "... mountpoint options - fstype source superoptions": the fields after " - " start with the type.
                var dash = line.IndexOf(" - ", StringComparison.Ordinal);
                if (dash < 0 || !line[(dash + 3)..].StartsWith("cgroup2 ", StringComparison.Ordinal)) continue;
                return line.Split(' ')[4];
            }
        }
        catch (IOException) { }
        return null;
    }

    /// <summary>Why no VM cgroup can be created here, or null when it can (root and a writable cgroup2 mount).</summary>
    public static string? Unavailable()
    {
        if (!Environment.IsPrivilegedProcess) return "not running as root";
        if (V2Root() is not { } root) return "no cgroup2 file system is mounted";
        return File.Exists(System.IO.Path.Combine(root, "cgroup.procs")) ? null : $"{root} is not a usable cgroup2 mount";
    }

    /// <summary>The limits this host cannot set: the controllers its cgroup2 root does not offer (all of them when
    /// there is no cgroup2). A hybrid v1/v2 host binds memory, cpu and pids to v1.</summary>
    public static IReadOnlyList<string> ControllersMissingOnHost() =>
        V2Root() is { } root ? Controllers.Except(Words(System.IO.Path.Combine(root, "cgroup.controllers"))).ToList() : Controllers;

    /// <summary>The path a run's cgroup has (or had), for cleanup; null without cgroup2.</summary>
    public static string? PathFor(string runId) => V2Root() is { } root ? System.IO.Path.Combine(root, ParentName, runId) : null;

    /// <summary>
    /// What <see cref="Create"/> writes into the group, given the controllers it could enable: memory.max = VM memory
    /// + <paramref name="memoryOverheadMb"/>, memory.swap.max = 0 (when the file exists) so the limit cannot be dodged
    /// by swapping, cpu.max = <paramref name="cpus"/> full CPUs, pids.max = <paramref name="pidsMax"/>.
    /// </summary>
    public static IReadOnlyList<(string File, string Value)> Limits(IReadOnlyCollection<string> available, bool hasSwapMax,
        int memoryMb, int cpus, int pidsMax = PidsMax, int memoryOverheadMb = MemoryOverheadMb)
    {
        ArgumentNullException.ThrowIfNull(available);
        var limits = new List<(string, string)>();
        if (available.Contains("memory"))
        {
            limits.Add(("memory.max", ((long)(memoryMb + memoryOverheadMb) << 20).ToString(CultureInfo.InvariantCulture)));
            if (hasSwapMax) limits.Add(("memory.swap.max", "0"));
        }
        if (available.Contains("cpu")) limits.Add(("cpu.max", $"{cpus * 100_000} 100000"));
        if (available.Contains("pids")) limits.Add(("pids.max", pidsMax.ToString(CultureInfo.InvariantCulture)));
        return limits;
    }

    /// <summary>Creates the group and writes the <see cref="Limits"/> that this host's controllers allow.</summary>
    public static VmCgroup Create(string runId, int memoryMb, int cpus, int pidsMax = PidsMax, int memoryOverheadMb = MemoryOverheadMb)
    {
        var root = V2Root() ?? throw new IOException("no cgroup2 file system is mounted");
        var parent = System.IO.Path.Combine(root, ParentName);
        Directory.CreateDirectory(parent);
        // A controller reaches a child only when every ancestor lists it in cgroup.subtree_control.
        var available = Enable(root, Controllers);
        available = Enable(parent, available);
        var path = System.IO.Path.Combine(parent, runId);
        Directory.CreateDirectory(path);
        var group = new VmCgroup(path, Controllers.Except(available).ToList());
        try
        {
            foreach (var (file, value) in Limits(available, File.Exists(System.IO.Path.Combine(path, "memory.swap.max")), memoryMb, cpus, pidsMax, memoryOverheadMb))
                group.Write(file, value);
        }
        catch
        {
            Rmdir(path);
            throw;
        }
        return group;
    }

    /// <summary>Enables what it can of <paramref name="wanted"/> for the children of <paramref name="cgroup"/>; returns what is enabled.</summary>
    static List<string> Enable(string cgroup, IEnumerable<string> wanted)
    {
        var offered = Words(System.IO.Path.Combine(cgroup, "cgroup.controllers"));
        var enabled = new List<string>();
        foreach (var controller in wanted.Where(offered.Contains))
        {
            try
            {
                File.AppendAllText(System.IO.Path.Combine(cgroup, "cgroup.subtree_control"), "+" + controller);
                enabled.Add(controller);
            }
            catch (IOException) { /* e.g. the group has processes of its own: the controller stays off */ }
        }
        return enabled;
    }

    static string[] Words(string file) =>
        File.Exists(file) ? File.ReadAllText(file).Split((char[])[' ', '\n'], StringSplitOptions.RemoveEmptyEntries) : [];

    void Write(string file, string value) => File.WriteAllText(System.IO.Path.Combine(Path, file), value);

    /// <summary>Removes the group: kills whatever is still in it (cgroup.kill), then rmdir, retried for a second
    /// while the kernel finishes reaping. False if it is still there.</summary>
    public static async Task<bool> TryRemoveAsync(string path)
    {
        if (!Directory.Exists(path)) return true;
        var kill = System.IO.Path.Combine(path, "cgroup.kill");
        for (var attempt = 0; attempt < 50; attempt++)
        {
            try
            {
                if (File.Exists(kill) && Words(System.IO.Path.Combine(path, "cgroup.procs")).Length > 0) File.WriteAllText(kill, "1");
                // Directory.Delete would try to delete the control files first; a cgroup is removed by rmdir alone.
                if (Rmdir(path) || !Directory.Exists(path)) return true;
            }
            catch (IOException) { }
            await Task.Delay(20, CancellationToken.None);
        }
        return !Directory.Exists(path);
    }

    public Task<bool> TryRemoveAsync() => TryRemoveAsync(Path);

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "rmdir", SetLastError = true)]
    static extern int SysRmdir(byte[] path);

    static bool Rmdir(string path) => SysRmdir(LinuxStat.NullTerminated(path)) == 0;
}
