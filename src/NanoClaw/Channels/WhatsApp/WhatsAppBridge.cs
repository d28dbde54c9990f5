using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using Microsoft.Extensions.Logging;

namespace NanoClaw.Channels.WhatsApp;

/// <summary>
/// Owns the WhatsApp sidecar process (docs/whatsapp-bridge.md): starts it, reads its stdout on a background task
/// (events go to <c>onEvent</c> in line order, on that task), forwards its stderr to the log, writes commands and
/// matches their <c>ack</c> by <c>ref</c>. When the sidecar dies unexpectedly it is started again with backoff;
/// after a <c>closed</c> that will not reconnect (<c>logged_out</c>, <c>replaced</c>, ...) it is not, because a
/// restart would show a fresh QR or fight the other session. Disposing closes stdin, which makes the sidecar exit.
/// </summary>
public sealed partial class WhatsAppBridge(BridgeCommandLine commandLine, Action<BridgeEvent> onEvent, ILogger<WhatsAppBridge> log, BridgeTimings? timings = null)
    : IAsyncDisposable
{
    readonly BridgeTimings _timings = timings ?? new BridgeTimings();
    readonly CancellationTokenSource _stop = new();
    readonly ConcurrentDictionary<string, TaskCompletionSource<BridgeEvent.Ack>> _pending = new();
    // One writer at a time, so two commands never interleave on stdin.
    readonly SemaphoreSlim _writeLock = new(1, 1);
    readonly Lock _lifeLock = new();
    Process? _process;
    long _nextRef;
    Task _supervisor = Task.CompletedTask;

    /// <summary>Completes when the sidecar will not be started again (stopped, or it reported a final close).</summary>
    public Task Stopped => _supervisor;

    public void Start() => _supervisor = Task.Run(SuperviseAsync);

    /// <summary>
    /// Writes one command and waits for its ack. Throws <see cref="IOException"/> when no sidecar is running or it
    /// exits before answering, and <see cref="TimeoutException"/> when no ack comes in time. A refusal is an ack
    /// with <c>Ok == false</c>, returned as a value.
    /// </summary>
    public async Task<BridgeEvent.Ack> SendAsync(BridgeCommand command, CancellationToken cancellationToken, TimeSpan? ackTimeout = null)
    {
        var timeout = ackTimeout ?? _timings.AckTimeout;
        var reference = Interlocked.Increment(ref _nextRef).ToString(System.Globalization.CultureInfo.InvariantCulture);
        var answered = new TaskCompletionSource<BridgeEvent.Ack>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pending[reference] = answered;
        try
        {
            await _writeLock.WaitAsync(cancellationToken);
            try
            {
                Process process;
                lock (_lifeLock) process = _process ?? throw new IOException("the WhatsApp sidecar is not running");
                await process.StandardInput.WriteAsync(BridgeProtocol.SerializeCommand(command, reference) + "\n");
                await process.StandardInput.FlushAsync(cancellationToken);
            }
            finally { _writeLock.Release(); }
            try { return await answered.Task.WaitAsync(timeout, cancellationToken); }
            catch (TimeoutException) { throw new TimeoutException($"the WhatsApp sidecar did not acknowledge {command.Type} within {timeout}"); }
        }
        finally { _pending.TryRemove(reference, out _); }
    }

    async Task SuperviseAsync()
    {
        var failures = 0;
        while (!_stop.IsCancellationRequested)
        {
            LifeResult life;
            try { life = await RunOnceAsync(); }
            catch (Exception e)
            {
                // Belt and braces: whatever failed, the supervisor lives on and restarts the sidecar with backoff.
                LogReaderFaulted(log, e);
                lock (_lifeLock) _process = null;
                life = new LifeResult(-1, false, null);
            }
            if (life.Connected) failures = 0;
            var final = life.FinalClose ?? (life.ExitCode is 0 or 2 ? $"exit code {life.ExitCode}" : null);
            var restart = !_stop.IsCancellationRequested && final is null;
            Emit(new BridgeEvent.SidecarExited(life.ExitCode, restart));
            if (_stop.IsCancellationRequested) return;
            if (!restart)
            {
                LogGaveUp(log, final!);
                return;
            }
            var delay = _timings.RestartDelays[Math.Min(failures++, _timings.RestartDelays.Count - 1)];
            LogRestarting(log, life.ExitCode, delay);
            try { await Task.Delay(delay, _stop.Token); }
            catch (OperationCanceledException) { return; }
        }
    }

    /// <summary>One life of the sidecar: start, read stdout to its end, wait for the exit, fail what was not answered.</summary>
    async Task<LifeResult> RunOnceAsync()
    {
        var psi = new ProcessStartInfo(commandLine.FileName)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardInputEncoding = new UTF8Encoding(false),
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        foreach (var a in commandLine.Arguments) psi.ArgumentList.Add(a);
        // The sidecar parses whatever WhatsApp delivers; it gets what Node needs and nothing of the host's secrets.
        psi.Environment.Clear();
        foreach (var (key, value) in BridgeCommandLine.SidecarEnvironment(Environment.GetEnvironmentVariables()))
            psi.Environment[key] = value;
        using var process = new Process { StartInfo = psi };
        try { process.Start(); }
        catch (System.ComponentModel.Win32Exception e)
        {
            LogCannotStart(log, commandLine.FileName, e.Message);
            return new LifeResult(-1, false, null);
        }
        lock (_lifeLock) _process = process;
        LogStarted(log, process.Id);
        if (_stop.IsCancellationRequested) process.StandardInput.Close(); // a stop raced the start

        var stderr = Task.Run(async () =>
        {
            while (await process.StandardError.ReadLineAsync() is { } line) LogSidecarOutput(log, line);
        });
        var connected = false;
        string? finalClose = null;
        try
        {
            var lines = new BoundedLineReader(process.StandardOutput, _timings.MaxLineChars);
            while (await lines.ReadLineAsync() is var (line, overlong))
            {
                if (overlong)
                {
                    LogInvalidLine(log, $"longer than {_timings.MaxLineChars} chars", line[..Math.Min(line.Length, 200)] + "...");
                    continue;
                }
                var e = ReadEvent(line);
                if (e is null) continue;
                if (e is BridgeEvent.Connected) connected = true;
                if (e is BridgeEvent.Closed { WillReconnect: false } closed) finalClose = closed.Reason;
                if (e is BridgeEvent.Ack ack) Acknowledge(ack);
                Emit(e);
            }
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // The reader itself failed (not one line: those are skipped above). Kill this life so the supervisor
            // starts a fresh one with backoff instead of leaving a sidecar nobody listens to.
            LogReaderFaulted(log, e);
            try { process.Kill(entireProcessTree: true); }
            catch (InvalidOperationException) { } // exited meanwhile
        }
        await stderr;
        await process.WaitForExitAsync();
        lock (_lifeLock) _process = null;
        foreach (var (_, waiting) in _pending)
            waiting.TrySetException(new IOException($"the WhatsApp sidecar exited (code {process.ExitCode}) before acknowledging the command"));
        return new LifeResult(process.ExitCode, connected, finalClose);
    }

    /// <summary>One line as an event, or null (blank, or invalid and logged). Never throws: one line must not stop the channel.</summary>
    BridgeEvent? ReadEvent(string line)
    {
        BridgeParseResult result;
        try { result = BridgeProtocol.ParseEvent(line); }
        catch (Exception e) { result = new BridgeParseResult.Invalid($"unreadable ({e.GetType().Name})"); }
        switch (result)
        {
            case BridgeParseResult.Invalid invalid:
                LogInvalidLine(log, invalid.Reason, line.Length > 200 ? line[..200] + "..." : line);
                return null;
            case BridgeParseResult.Parsed parsed:
                return parsed.Event;
            default:
                return null;
        }
    }

    void Acknowledge(BridgeEvent.Ack ack)
    {
        if (ack.Ref is null) LogUnmatchedAck(log, ack.Error ?? "(no error)");
        else if (_pending.TryGetValue(ack.Ref, out var waiting)) waiting.TrySetResult(ack);
    }

    void Emit(BridgeEvent e)
    {
        try { onEvent(e); }
        catch (Exception ex) { LogHandlerFailed(log, e.GetType().Name, ex); }
    }

    /// <summary>Closes the sidecar's stdin (it then exits 0), waits up to <see cref="BridgeTimings.StopTimeout"/>, then kills it.</summary>
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        Process? process;
        lock (_lifeLock) process = _process;
        await _writeLock.WaitAsync();
        try { process?.StandardInput.Close(); }
        catch (Exception e) when (e is IOException or InvalidOperationException) { } // already gone
        finally { _writeLock.Release(); }
        try { await _supervisor.WaitAsync(_timings.StopTimeout); }
        catch (TimeoutException)
        {
            lock (_lifeLock) process = _process;
            LogKilled(log, _timings.StopTimeout);
            try { process?.Kill(entireProcessTree: true); }
            catch (InvalidOperationException) { } // exited meanwhile
            await _supervisor.WaitAsync(TimeSpan.FromSeconds(10));
        }
        _stop.Dispose();
    }

    sealed record LifeResult(int ExitCode, bool Connected, string? FinalClose);

    [LoggerMessage(EventId = 700, Level = LogLevel.Information, Message = "WhatsApp sidecar started (pid {Pid})")]
    static partial void LogStarted(ILogger logger, int pid);

    [LoggerMessage(EventId = 701, Level = LogLevel.Information, Message = "WhatsApp sidecar: {Line}")]
    static partial void LogSidecarOutput(ILogger logger, string line);

    [LoggerMessage(EventId = 702, Level = LogLevel.Warning, Message = "WhatsApp sidecar wrote a line that is not a valid event ({Reason}); skipped: {Line}")]
    static partial void LogInvalidLine(ILogger logger, string reason, string line);

    [LoggerMessage(EventId = 703, Level = LogLevel.Warning, Message = "WhatsApp sidecar exited unexpectedly (code {ExitCode}); restarting in {Delay}")]
    static partial void LogRestarting(ILogger logger, int exitCode, TimeSpan delay);

    [LoggerMessage(EventId = 704, Level = LogLevel.Error, Message = "WhatsApp sidecar stopped for good ({Reason}); WhatsApp stays offline. If it was unlinked, pair again with `./nanoclaw auth`; if another WhatsApp Web session took over, close it and restart NanoClaw.")]
    static partial void LogGaveUp(ILogger logger, string reason);

    [LoggerMessage(EventId = 705, Level = LogLevel.Error, Message = "Cannot start the WhatsApp sidecar ({FileName}: {Error}). Is Node.js >= 20 installed and on PATH?")]
    static partial void LogCannotStart(ILogger logger, string fileName, string error);

    [LoggerMessage(EventId = 706, Level = LogLevel.Error, Message = "WhatsApp sidecar refused a command without a ref (a host bug): {Error}")]
    static partial void LogUnmatchedAck(ILogger logger, string error);

    [LoggerMessage(EventId = 707, Level = LogLevel.Error, Message = "Handling a WhatsApp {Event} event failed")]
    static partial void LogHandlerFailed(ILogger logger, string @event, Exception ex);

    [LoggerMessage(EventId = 709, Level = LogLevel.Error, Message = "Reading the WhatsApp sidecar failed; it is restarted")]
    static partial void LogReaderFaulted(ILogger logger, Exception ex);

    [LoggerMessage(EventId = 708, Level = LogLevel.Warning, Message = "WhatsApp sidecar did not exit within {Timeout} of closing its stdin; killed")]
    static partial void LogKilled(ILogger logger, TimeSpan timeout);
}
