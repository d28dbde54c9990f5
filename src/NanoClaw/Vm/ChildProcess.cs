using System.Diagnostics;

namespace NanoClaw.Vm;

/// <summary>
/// Runs a helper program (a build script, a probe) to completion, streaming its output lines.
/// On cancellation or timeout the whole process tree is killed and awaited: no helper outlives its caller.
/// </summary>
internal static class ChildProcess
{
    const int TailLines = 40;

    public static async Task<ChildResult> RunAsync(
        string fileName, IEnumerable<string> arguments, Action<ProcessStartInfo>? configure,
        Action<string>? onLine, TimeSpan? timeout, CancellationToken ct)
    {
        var psi = new ProcessStartInfo(fileName)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in arguments) psi.ArgumentList.Add(a);
        configure?.Invoke(psi);

        var tail = new Queue<string>();
        void Line(string? line)
        {
            if (line is null) return;
            lock (tail)
            {
                tail.Enqueue(line);
                if (tail.Count > TailLines) tail.Dequeue();
            }
            onLine?.Invoke(line);
        }

        using var process = new Process { StartInfo = psi };
        process.OutputDataReceived += (_, e) => Line(e.Data);
        process.ErrorDataReceived += (_, e) => Line(e.Data);
        try { process.Start(); }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new FileNotFoundException($"cannot start {fileName}: {e.Message}. Is it installed and on PATH?", fileName, e);
        }
        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        using var timeoutCts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        if (timeout is { } t) timeoutCts.CancelAfter(t);
        var timedOut = false;
        try
        {
            // Also waits until the redirected output reaches end of file, so no line is lost.
            await process.WaitForExitAsync(timeoutCts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            // Bounded: SIGKILL cannot be ignored, so this only waits for the kernel to reap.
            await process.WaitForExitAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10), CancellationToken.None);
            ct.ThrowIfCancellationRequested();
            timedOut = true;
        }
        lock (tail) return new ChildResult(timedOut ? -1 : process.ExitCode, [.. tail], timedOut);
    }

    /// <summary>The host's environment minus credentials and the parent build's MSBuild state.</summary>
    public static void ScrubEnvironment(ProcessStartInfo psi)
    {
        foreach (var key in psi.Environment.Keys.ToList())
        {
            var k = key.ToUpperInvariant();
            // A nested `dotnet publish` inherits these from `dotnet test` and then builds with the wrong SDK paths.
            var msbuild = k.StartsWith("MSBUILD", StringComparison.Ordinal) || k == "DOTNET_HOST_PATH";
            var secret = k.Contains("KEY", StringComparison.Ordinal) || k.Contains("TOKEN", StringComparison.Ordinal)
                || k.Contains("SECRET", StringComparison.Ordinal) || k.Contains("PASSWORD", StringComparison.Ordinal);
            if (msbuild || secret) psi.Environment.Remove(key);
        }
    }
}
