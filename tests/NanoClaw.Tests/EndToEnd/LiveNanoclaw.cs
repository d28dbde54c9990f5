using System.Diagnostics;
using System.Text;

namespace NanoClaw.Tests.EndToEnd;

/// <summary>
/// A real <c>./nanoclaw</c> process kept running: the test writes lines to its stdin as the user would, watches its
/// stdout (the chat) and stderr (the log), and can SIGKILL it at any moment, as a power cut or the OOM killer would.
/// </summary>
sealed class LiveNanoclaw : IDisposable
{
    readonly Process _process;
    readonly StringBuilder _stdout = new();
    readonly StringBuilder _stderr = new();

    LiveNanoclaw(Process process) => _process = process;

    public static LiveNanoclaw Start(string repoRoot, IReadOnlyDictionary<string, string> env, params string[] args)
    {
        var psi = new ProcessStartInfo(Path.Combine(repoRoot, "nanoclaw"))
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = repoRoot,
        };
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment.Clear();
        foreach (var key in new[] { "PATH", "HOME", "DOTNET_ROOT", "NANOCLAW_CACHE", "DOTNET_CLI_HOME", "NUGET_PACKAGES" })
            if (Environment.GetEnvironmentVariable(key) is { } v) psi.Environment[key] = v;
        foreach (var (k, v) in env) psi.Environment[k] = v;
        var live = new LiveNanoclaw(Process.Start(psi)!);
        live._process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (live._stdout) live._stdout.Append(e.Data).Append('\n'); };
        live._process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (live._stderr) live._stderr.Append(e.Data).Append('\n'); };
        live._process.BeginOutputReadLine();
        live._process.BeginErrorReadLine();
        return live;
    }

    public int Pid => _process.Id;

    public string Stdout { get { lock (_stdout) return _stdout.ToString(); } }

    public string Stderr { get { lock (_stderr) return _stderr.ToString(); } }

    public async Task SayAsync(string line)
    {
        await _process.StandardInput.WriteLineAsync(line);
        await _process.StandardInput.FlushAsync();
    }

    /// <summary>Waits until <paramref name="condition"/> holds for (stdout, stderr); fails with both when it does not in time.</summary>
    public async Task WaitForAsync(Func<string, string, bool> condition, TimeSpan timeout, string what)
    {
        var clock = Stopwatch.StartNew();
        while (!condition(Stdout, Stderr))
        {
            if (_process.HasExited && !condition(Stdout, Stderr))
                throw new InvalidOperationException($"nanoclaw exited ({_process.ExitCode}) before {what}.\n{this}");
            if (clock.Elapsed > timeout) throw new TimeoutException($"no {what} within {timeout}.\n{this}");
            await Task.Delay(50);
        }
    }

    /// <summary>SIGKILL, the way a host dies without any chance to clean up.</summary>
    public void KillHard()
    {
        if (!_process.HasExited) NanoClaw.Vm.Posix.Signal(_process.Id, NanoClaw.Vm.Posix.SigKill);
        _process.WaitForExit();
    }

    /// <summary>End of input: the chat finishes its runs and exits.</summary>
    public async Task<int> EndAsync(TimeSpan timeout)
    {
        _process.StandardInput.Close();
        await _process.WaitForExitAsync().WaitAsync(timeout);
        _process.WaitForExit();
        return _process.ExitCode;
    }

    public override string ToString() => $"--- stdout\n{Stdout}\n--- stderr\n{Stderr}";

    public void Dispose()
    {
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        _process.Dispose();
    }

}
