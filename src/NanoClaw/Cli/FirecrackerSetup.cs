using System.Diagnostics;
using NanoClaw.Vm.Firecracker;

namespace NanoClaw.Cli;

/// <summary>Setup's Firecracker step: the jail user (as root) and the pinned release. Never fails setup: each
/// outcome is one line for the user, and without Firecracker QEMU is used.</summary>
static class FirecrackerSetup
{
    public static async Task<IReadOnlyList<string>> RunAsync(Config config, string repo, CancellationToken ct)
    {
        var lines = new List<string>();
        if (Environment.IsPrivilegedProcess) lines.Add(await EnsureJailUserAsync(ct));
        var pin = FirecrackerPin.Read(repo, Environment.GetEnvironmentVariable(FirecrackerPin.UrlVariable));
        // Bounded: an unreachable GitHub must cost seconds, not a hung setup.
        using var http = new HttpClient(new SocketsHttpHandler { ConnectTimeout = TimeSpan.FromSeconds(15) }) { Timeout = TimeSpan.FromMinutes(5) };
        lines.Add((await FirecrackerInstall.EnsureAsync(config, pin, http, ct)).Message);
        return lines;
    }

    /// <summary>Creates the system user jailed firecracker processes run as: no home, no login shell, its own group.</summary>
    static async Task<string> EnsureJailUserAsync(CancellationToken ct)
    {
        if (JailUser.Find() is { } user) return $"jail user {user.Name} (uid {user.Uid}) exists";
        var psi = new ProcessStartInfo("useradd")
        {
            ArgumentList = { "--system", "--user-group", "--no-create-home", "--home-dir", "/nonexistent", "--shell", "/usr/sbin/nologin", JailUser.DefaultName },
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        using var process = Process.Start(psi)!;
        var stderr = await process.StandardError.ReadToEndAsync(ct);
        await process.WaitForExitAsync(ct);
        return process.ExitCode == 0 && JailUser.Find() is { } created
            ? $"created jail user {created.Name} (uid {created.Uid})"
            : $"could not create the jail user {JailUser.DefaultName} (useradd: {stderr.Trim()}); Firecracker will refuse to run as root until it exists";
    }
}
