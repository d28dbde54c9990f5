using System.Diagnostics;

namespace NanoClaw.Vm;

/// <summary>
/// Makes a VMM die with the host process, however the host dies (SIGKILL, OOM, power cut of the process): the VMM
/// is started through <c>/bin/sh</c>, which forks a tiny watcher and then execs the VMM (same pid, so signals,
/// pid files and orphan cleanup are unchanged). The watcher reads the VMM's stdin pipe, whose only write end is
/// the host's (.NET opens it close-on-exec); when the host dies the kernel closes it, the watcher reads end-of-file
/// and SIGKILLs the VMM. It kills only its own parent: if the VMM already exited it was re-parented and does nothing,
/// so a recycled pid is never hit.
/// <para>Why not PR_SET_PDEATHSIG: it fires when the forking <em>thread</em> exits, and .NET forks on whichever
/// thread-pool thread called Process.Start; thread-pool threads retire, which would kill healthy VMs.</para>
/// </summary>
static class HostDeathWatch
{
    /// <summary>perl is part of every Debian/Ubuntu base system (perl-base) and needs no build step.</summary>
    public const string Perl = "/usr/bin/perl";

    // $1 is the pid to guard (the shell's own, which becomes the VMM's); the rest is the VMM's command line.
    const string Script = """
        exec 3<&0
        pid=$$
        "$0" -e '$p = shift; 1 while sysread(STDIN, $b, 512); kill 9, $p if getppid() == $p' "$pid" <&3 >/dev/null 2>&1 3<&- &
        exec "$@" 3<&-
        """;

    public static bool Available => File.Exists(Perl);

    /// <summary>The same launch, watched. <paramref name="psi"/> must redirect stdin (the pipe the watcher reads) and is
    /// returned unchanged when perl is missing.</summary>
    public static ProcessStartInfo Wrap(ProcessStartInfo psi)
    {
        // A missing binary is left to Process.Start, whose error the callers turn into "install it with ...".
        if (!Available || !psi.RedirectStandardInput || !Exists(psi.FileName)) return psi;
        var wrapped = new ProcessStartInfo("/bin/sh")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = psi.RedirectStandardOutput,
            RedirectStandardError = psi.RedirectStandardError,
            UseShellExecute = false,
            WorkingDirectory = psi.WorkingDirectory,
        };
        wrapped.ArgumentList.Add("-c");
        wrapped.ArgumentList.Add(Script);
        wrapped.ArgumentList.Add(Perl);
        wrapped.ArgumentList.Add(psi.FileName);
        foreach (var a in psi.ArgumentList) wrapped.ArgumentList.Add(a);
        // The VMM's environment exactly as the caller set it (often empty: no credential may leak into a VMM).
        wrapped.Environment.Clear();
        foreach (var (k, v) in psi.Environment) wrapped.Environment[k] = v;
        return wrapped;
    }

    static bool Exists(string file) => Path.IsPathRooted(file)
        ? File.Exists(file)
        : (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries).Any(dir => File.Exists(Path.Combine(dir, file)));
}
