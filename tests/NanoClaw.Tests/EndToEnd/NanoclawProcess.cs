using System.Diagnostics;
using System.Text;

namespace NanoClaw.Tests.EndToEnd;

/// <summary>Runs the real <c>./nanoclaw</c> launcher as a user would, with its own NANOCLAW_HOME, and captures everything.</summary>
sealed record NanoclawResult(int ExitCode, string Stdout, string Stderr)
{
    public override string ToString() => $"exit {ExitCode}\n--- stdout\n{Stdout}\n--- stderr\n{Stderr}";
}

static class NanoclawProcess
{
    public static Task<NanoclawResult> RunAsync(string repoRoot, IReadOnlyDictionary<string, string> env, string stdin, TimeSpan timeout, params string[] args) =>
        RunAsync(repoRoot, env, stdin, until: null, timeout, args);

    /// <summary>For a service (<c>run</c>): once <paramref name="until"/> completes, stops it with SIGTERM as a service
    /// manager would, and returns what it did. Within <paramref name="timeout"/> in all.</summary>
    public static Task<NanoclawResult> RunAsync(string repoRoot, IReadOnlyDictionary<string, string> env, string stdin,
        Func<CancellationToken, Task>? until, TimeSpan timeout, params string[] args) =>
        RunAsync(repoRoot, env, stdin, until is null ? null : (_, ct) => until(ct), timeout, "TERM", args);

    /// <summary>Like the service overload, but <paramref name="until"/> may watch stderr so far (e.g. for "is running"),
    /// and the stop is <paramref name="signal"/> (TERM or INT).</summary>
    public static async Task<NanoclawResult> RunAsync(string repoRoot, IReadOnlyDictionary<string, string> env, string stdin,
        Func<Func<string>, CancellationToken, Task>? until, TimeSpan timeout, string signal = "TERM", params string[] args)
    {
        // Through env(1), which execs it with SIGINT at its default: a test suite started in the background by a shell
        // without job control inherits SIGINT ignored, and .NET keeps an ignored SIGINT ignored, so Ctrl-C would never arrive.
        var psi = new ProcessStartInfo("env")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = repoRoot,
        };
        psi.ArgumentList.Add("--default-signal=INT");
        psi.ArgumentList.Add(Path.Combine(repoRoot, "nanoclaw"));
        foreach (var a in args) psi.ArgumentList.Add(a);
        // A clean environment: only what a user's shell would have plus the test's settings. No inherited secrets.
        psi.Environment.Clear();
        foreach (var key in new[] { "PATH", "HOME", "DOTNET_ROOT", "NANOCLAW_CACHE", "DOTNET_CLI_HOME", "NUGET_PACKAGES" })
            if (Environment.GetEnvironmentVariable(key) is { } v) psi.Environment[key] = v;
        foreach (var (k, v) in env) psi.Environment[k] = v;

        using var process = Process.Start(psi)!;
        var stdout = new StringBuilder();
        var stderr = new StringBuilder();
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (stdout) stdout.Append(e.Data).Append('\n'); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (stderr) stderr.Append(e.Data).Append('\n'); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        await process.StandardInput.WriteAsync(stdin);
        process.StandardInput.Close();
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            if (until is not null)
            {
                await until(() => { lock (stderr) return stderr.ToString(); }, cts.Token).WaitAsync(cts.Token);
                // The launcher execs dotnet, so this pid is the host itself (the process this test started).
                using var kill = Process.Start("kill", ["-" + signal, process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
                await kill.WaitForExitAsync(cts.Token);
            }
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"nanoclaw {string.Join(' ', args)} did not finish within {timeout}.\n--- stdout\n{stdout}\n--- stderr\n{stderr}");
        }
        process.WaitForExit(); // drain the output events
        return new NanoclawResult(process.ExitCode, stdout.ToString(), stderr.ToString());
    }
}
