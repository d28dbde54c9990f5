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
    /// <remarks>The guest claims a spare as soon as it starts, in its own neutral folder and before any job, then moves
    /// it into the group folder with <see cref="SendSetCwdAsync"/>: most of a claim's work is then done while the VM
    /// waits in the pool.</remarks>
    public Task<bool> SendClaimAsync(string cwd, string? appendSystemPrompt, CancellationToken cancellationToken) =>
        WriteControlRequestAsync(ClaimRequestId, "claim_session", json =>
        {
            json.WriteString("cwd", cwd);
            if (appendSystemPrompt is not null) json.WriteString("append_system_prompt", appendSystemPrompt);
            json.WriteString("permission_mode", "bypassPermissions");
        }, cancellationToken);

    /// <summary>The id of the context summary request; its <c>control_response</c> carries it back, and nothing waits for it.</summary>
    public const string ContextSummaryRequestId = "context-summary";

    /// <summary>
    /// Asks a claimed spare for its context summary (<c>get_context_usage</c>, <c>detail: summary</c>), for the work, not
    /// the answer: Claude Code builds its system prompt, memory files and tool schemas for it, which a first turn does
    /// again, so the job's first turn then runs code Claude Code has already compiled (in a TCG VM, 0.7 of the 3.7 s
    /// from the move to the request; BENCHMARKS.md, session 11). The summary answers from local estimates: no API call,
    /// nothing written to the conversation (checked natively: the first request and the transcript are the same with
    /// and without it). False as for <see cref="SendUserMessageAsync"/>.
    /// </summary>
    public Task<bool> SendContextSummaryAsync(CancellationToken cancellationToken) =>
        WriteControlRequestAsync(ContextSummaryRequestId, "get_context_usage", json => json.WriteString("detail", "summary"), cancellationToken);

    /// <summary>The id of the move's request; its <c>control_response</c> carries it back.</summary>
    public const string SetCwdRequestId = "cwd";

    /// <summary>
    /// Moves a claimed Claude Code that has not run a turn into <paramref name="path"/>. Before the first turn Claude Code
    /// builds its first request as for a start there: that folder's CLAUDE.md files, skills, agents and commands, the
    /// user's memory, the session's transcript slot. Settings files are the exception (a start reads them before the
    /// move could), which is why a workspace with any is never given a moved spare. The folder is the one the guest chose
    /// for the job, as a spawn's working directory is, so it is attested as trusted (headless, nobody to ask). Answered
    /// by a <c>control_response</c> with <see cref="SetCwdRequestId"/>, status <c>ok</c>. False as for
    /// <see cref="SendUserMessageAsync"/>.
    /// </summary>
    public Task<bool> SendSetCwdAsync(string path, CancellationToken cancellationToken) =>
        WriteControlRequestAsync(SetCwdRequestId, "set_cwd", json =>
        {
            json.WriteString("path", path);
            json.WriteBoolean("trust_accepted", true);
            json.WriteString("trusted_directory", path);
        }, cancellationToken);

    /// <summary><c>{"type":"control_request","request_id":ID,"request":{"subtype":SUBTYPE,...fields}}</c>.</summary>
    Task<bool> WriteControlRequestAsync(string requestId, string subtype, Action<Utf8JsonWriter> fields, CancellationToken cancellationToken) =>
        WriteLineAsync(json =>
        {
            json.WriteStartObject();
            json.WriteString("type", "control_request");
            json.WriteString("request_id", requestId);
            json.WriteStartObject("request");
            json.WriteString("subtype", subtype);
            fields(json);
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
