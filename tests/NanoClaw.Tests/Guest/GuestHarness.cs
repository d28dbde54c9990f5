using System.Diagnostics;
using System.Reflection;
using System.Runtime.Versioning;
using NanoClaw.Guest;

namespace NanoClaw.Tests.Guest;

/// <summary>
/// Runs the real guest agent binary as a process in <c>--control stdio</c> mode, with its <c>/workspace</c> and
/// <c>/home/agent</c> relocated under a scratch root, and speaks the wire protocol to it.
/// </summary>
[SupportedOSPlatform("linux")]
public sealed class GuestHarness : IAsyncDisposable
{
    readonly Process _process;
    readonly GuestFrameWriter _writer;
    readonly GuestFrameReader _reader;
    readonly Task<string> _stderr;

    GuestHarness(Process process)
    {
        _process = process;
        _writer = new GuestFrameWriter(process.StandardInput.BaseStream);
        _reader = new GuestFrameReader(process.StandardOutput.BaseStream, 1L << 30);
        _stderr = process.StandardError.ReadToEndAsync();
    }

    public static GuestHarness Start(string root, string claudePath)
    {
        var info = new ProcessStartInfo(GuestBinary)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var arg in new[] { "--control", "stdio", "--root", root, "--claude", claudePath }) info.ArgumentList.Add(arg);
        return new GuestHarness(Process.Start(info)!);
    }

    /// <summary>The guest binary the test build produced (the test project builds the guest project).</summary>
    public static string GuestBinary
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "NanoClaw.slnx"))) dir = dir.Parent;
            var configuration = typeof(GuestHarness).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug";
            var path = Path.Combine(dir!.FullName, "src", "NanoClaw.Guest", "bin", configuration, "net10.0", "linux-x64", "nanoclaw-guest");
            return File.Exists(path) ? path : throw new FileNotFoundException($"guest binary not built at {path}");
        }
    }

    public Task SendAsync(HostToGuestFrame frame) => _writer.WriteAsync(frame, Timeout);

    /// <summary>Sends <c>job</c> then <c>workspace</c> packed from <paramref name="layout"/>.</summary>
    public async Task StartJobAsync(JobFrame job, WorkspaceLayout layout)
    {
        await SendAsync(job);
        var tar = new MemoryStream();
        await WorkspaceSync.PackAsync(layout, tar, Timeout);
        tar.Position = 0;
        await _writer.WriteAsync(new WorkspaceFrame(tar.Length), tar, Timeout);
    }

    /// <summary>Sends a <c>message</c> that brings files: <paramref name="tar"/> follows its line.</summary>
    public Task SendMessageAsync(string text, byte[] tar) => _writer.WriteAsync(new MessageFrame(text, tar.Length), new MemoryStream(tar), Timeout);

    /// <summary>The next frame; a <c>changes</c> payload is read into <paramref name="payload"/>.</summary>
    public async Task<(GuestToHostFrame? Frame, byte[] Payload)> ReadAsync()
    {
        var frame = await _reader.ReadAsync<GuestToHostFrame>(Timeout);
        var payload = new MemoryStream();
        if (frame is not null) await _reader.Payload.CopyToAsync(payload, Timeout);
        return (frame, payload.ToArray());
    }

    /// <summary>Frames until (and including) the first of <typeparamref name="TUntil"/>, skipping <c>log</c>s into <paramref name="logs"/>.</summary>
    public async Task<List<(GuestToHostFrame Frame, byte[] Payload)>> ReadUntilAsync<TUntil>(List<string>? logs = null) where TUntil : GuestToHostFrame
    {
        var frames = new List<(GuestToHostFrame, byte[])>();
        while (true)
        {
            var (frame, payload) = await ReadAsync();
            if (frame is null) throw new InvalidOperationException($"guest ended before {typeof(TUntil).Name}; stderr: {await _stderr}");
            if (frame is LogFrame log) { logs?.Add(log.Text); continue; }
            frames.Add((frame, payload));
            if (frame is TUntil) return frames;
            if (frame is DoneFrame done)
                throw new InvalidOperationException($"guest sent 'done' ({done.Error ?? "no error"}) before {typeof(TUntil).Name}; logs: {string.Join(" | ", logs ?? [])}");
        }
    }

    public async Task<int> WaitForExitAsync()
    {
        _process.StandardInput.Close();
        await _process.WaitForExitAsync(Timeout);
        return _process.ExitCode;
    }

    static CancellationToken Timeout => new CancellationTokenSource(TimeSpan.FromSeconds(90)).Token;

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
        _process.Dispose();
    }
}
