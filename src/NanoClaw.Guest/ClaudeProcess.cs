using System.Diagnostics;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Threading.Channels;

namespace NanoClaw.Guest;

/// <summary>
/// One running Claude Code process. Its stdout lines, stderr lines and exit become <see cref="GuestEvent"/>s tagged
/// with <see cref="Generation"/>; user messages go to its stdin as stream-json.
/// </summary>
sealed class ClaudeProcess : IAsyncDisposable
{
    const int StderrTailLines = 20;
    readonly Process _process;
    readonly Queue<string> _stderrTail = new();
    readonly Task _pump;
    bool _disposed;

    ClaudeProcess(Process process, int generation, ChannelWriter<GuestEvent> events)
    {
        _process = process;
        Generation = generation;
        _pump = PumpAsync(events);
    }

    public int Generation { get; }

    public static ClaudeProcess Start(ClaudeLaunch launch, int generation, ChannelWriter<GuestEvent> events)
    {
        var info = new ProcessStartInfo(launch.FileName)
        {
            WorkingDirectory = launch.WorkingDirectory,
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            StandardOutputEncoding = new UTF8Encoding(false),
            StandardErrorEncoding = new UTF8Encoding(false),
        };
        foreach (var arg in launch.Arguments) info.ArgumentList.Add(arg);
        info.Environment.Clear();
        foreach (var (name, value) in launch.Environment) info.Environment[name] = value;
        var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start {launch.FileName}");
        return new ClaudeProcess(process, generation, events);
    }

    /// <summary>Sends one user turn. False when the process no longer reads its input (it exited; the exit event follows).</summary>
    public Task<bool> SendUserMessageAsync(string text, CancellationToken cancellationToken) => WriteLineAsync(json =>
    {
        json.WriteStartObject();
        json.WriteString("type", "user");
        json.WriteStartObject("message");
        json.WriteString("role", "user");
        json.WriteString("content", text);
        json.WriteEndObject();
        json.WriteEndObject();
    }, cancellationToken);

    /// <summary>The id of the claim request; its <c>control_response</c> carries it back.</summary>
    public const string ClaimRequestId = "claim";

    /// <summary>
    /// Binds a parked (<c>--await-claim</c>) Claude Code to its session: working directory, system prompt appendix and
    /// permission mode. Answered by a <c>control_response</c> with <see cref="ClaimRequestId"/>. False as for
    /// <see cref="SendUserMessageAsync"/>.
    /// </summary>
    public Task<bool> SendClaimAsync(string cwd, string? appendSystemPrompt, CancellationToken cancellationToken) => WriteLineAsync(json =>
    {
        json.WriteStartObject();
        json.WriteString("type", "control_request");
        json.WriteString("request_id", ClaimRequestId);
        json.WriteStartObject("request");
        json.WriteString("subtype", "claim_session");
        json.WriteString("cwd", cwd);
        if (appendSystemPrompt is not null) json.WriteString("append_system_prompt", appendSystemPrompt);
        json.WriteString("permission_mode", "bypassPermissions");
        json.WriteEndObject();
        json.WriteEndObject();
    }, cancellationToken);

    async Task<bool> WriteLineAsync(Action<Utf8JsonWriter> write, CancellationToken cancellationToken)
    {
        var buffer = new MemoryStream();
        // Relaxed escaping: the text reaches Claude Code as written (no \u003C-style escapes of <, > and &).
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
            write(json);
        buffer.WriteByte((byte)'\n');
        try
        {
            var stdin = _process.StandardInput.BaseStream;
            await stdin.WriteAsync(buffer.GetBuffer().AsMemory(0, (int)buffer.Length), cancellationToken).ConfigureAwait(false);
            await stdin.FlushAsync(cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
            return false;
        }
    }

    /// <summary>End of input: Claude Code finishes the current turn and exits.</summary>
    public void CloseInput()
    {
        try { _process.StandardInput.Close(); }
        catch (IOException) { } // already gone; the exit event tells the rest
    }

    /// <summary>The last lines Claude Code wrote to stderr, for error reports.</summary>
    public string StderrTail()
    {
        lock (_stderrTail) return string.Join('\n', _stderrTail);
    }

    public void Kill()
    {
        try { _process.Kill(entireProcessTree: true); }
        catch (InvalidOperationException) { } // already exited
    }

    async Task PumpAsync(ChannelWriter<GuestEvent> events)
    {
        var stderr = Task.Run(async () =>
        {
            while (await _process.StandardError.ReadLineAsync().ConfigureAwait(false) is { } line)
            {
                lock (_stderrTail)
                {
                    _stderrTail.Enqueue(line);
                    if (_stderrTail.Count > StderrTailLines) _stderrTail.Dequeue();
                }
                await events.WriteAsync(new GuestEvent.ClaudeStderr(Generation, line)).ConfigureAwait(false);
            }
        });
        while (await _process.StandardOutput.ReadLineAsync().ConfigureAwait(false) is { } line)
            await events.WriteAsync(new GuestEvent.ClaudeLine(Generation, line)).ConfigureAwait(false);
        await stderr.ConfigureAwait(false);
        await _process.WaitForExitAsync().ConfigureAwait(false);
        await events.WriteAsync(new GuestEvent.ClaudeExited(Generation, _process.ExitCode)).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        // Twice is harmless: a spare handed to the session is disposed by it and again by the agent's cleanup.
        if (_disposed) return;
        _disposed = true;
        Kill();
        await _pump.ConfigureAwait(false);
        _process.Dispose();
    }
}
