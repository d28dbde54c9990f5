using System.Diagnostics;
using NanoClaw.Vm.Firecracker;

namespace NanoClaw.Tests.Vm.Firecracker;

/// <summary>
/// The static stand-in for a jailed firecracker (StandIn/jail-stand-in.c), compiled once per test run with
/// <c>gcc -static</c>: the real release binary is static as well, which is what lets it run in an empty chroot.
/// </summary>
internal static class JailStandIn
{
    static readonly Lazy<(string? Path, string? Error)> Built = new(Build);

    /// <summary>The unprivileged account the jail tests run the stand-in as: Debian's <c>nobody</c>.</summary>
    public static JailUser? User => JailUser.Find("nobody");

    public static string Path => Built.Value.Path ?? throw new InvalidOperationException(Built.Value.Error);

    /// <summary>Why the jail tests cannot run here, or null when they can.</summary>
    public static string? SkipReason()
    {
        if (!Environment.IsPrivilegedProcess) return "the jail needs root (chroot, setuid, mknod, cgroups); run the suite with `sudo ./test`";
        if (User is null) return "no `nobody` account in /etc/passwd to run the jailed stand-in as";
        return Built.Value.Error;
    }

    static (string?, string?) Build()
    {
        var source = System.IO.Path.Combine(AppContext.BaseDirectory, "Vm", "Firecracker", "StandIn", "jail-stand-in.c");
        var output = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"nanoclaw-jail-stand-in-{Environment.ProcessId}");
        try
        {
            var psi = new ProcessStartInfo("gcc", ["-static", "-O1", "-o", output, source]) { RedirectStandardError = true };
            using var gcc = Process.Start(psi)!;
            var stderr = gcc.StandardError.ReadToEnd();
            gcc.WaitForExit();
            if (gcc.ExitCode != 0) return (null, $"`gcc -static` cannot build the stand-in here (install gcc and libc6-dev): {stderr.Trim()}");
            // One build per test process, removed when it ends.
            AppDomain.CurrentDomain.ProcessExit += (_, _) => File.Delete(output);
            return (output, null);
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            return (null, $"no gcc to build the static stand-in ({e.Message}): apt-get install gcc libc6-dev");
        }
    }
}

/// <summary>A test of the real jail: reported as skipped, with the reason, where it cannot run.</summary>
public sealed class JailFactAttribute : FactAttribute
{
    public JailFactAttribute()
    {
        if (JailStandIn.SkipReason() is { } reason) Skip = reason;
    }
}

/// <summary>A jail test that also needs cgroup v2 with the memory, cpu and pids controllers (a pure v2 host).</summary>
public sealed class CgroupLimitsFactAttribute : FactAttribute
{
    public CgroupLimitsFactAttribute()
    {
        if (JailStandIn.SkipReason() is { } reason) Skip = reason;
        else if (VmCgroup.Unavailable() is { } why) Skip = "no writable cgroup v2: " + why;
        else if (VmCgroup.V2Root() is { } root && File.ReadAllText(System.IO.Path.Combine(root, "cgroup.controllers")).Split(' ', '\n') is var offered
            && new[] { "memory", "cpu", "pids" }.Where(c => !offered.Contains(c)).ToList() is { Count: > 0 } missing)
            Skip = $"cgroup v2 at {root} offers no {string.Join(", ", missing)} controller(s) (a hybrid v1/v2 host binds them to v1), so no limits can be set here";
    }
}
