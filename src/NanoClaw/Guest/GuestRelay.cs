using System.Text;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using NanoClaw.Runs;

namespace NanoClaw.Guest;

/// <summary>
/// Step 5 of a run, the guest's side: reads the guest's frames until <c>done</c> and turns them into
/// <see cref="AgentEvent"/>s, applied changes and run-log lines. Everything here came from a hostile guest: session ids
/// must have Claude Code's shape, the run's <see cref="RunCaps"/> bound what it can make the host store, and every piece
/// of guest text is escaped (<see cref="GuestText"/>) before it reaches a log.
/// </summary>
/// <param name="afterChanges">Called once each <c>changes</c> frame is applied (the files the agent asked to send are on the
/// host now); returns lines for the run log.</param>
sealed partial class GuestRelay(WorkspaceLayout layout, ChannelWriter<AgentEvent> events, RunLog runLog, ILogger log, RunCaps caps,
    Func<IReadOnlyList<string>>? afterChanges = null)
{
    int _changesFrames;
    long _changesBytes;
    long _guestLogBytes;
    bool _guestLogCapped;

    /// <summary>The run's last event: <see cref="AgentEvent.Completed"/> or <see cref="AgentEvent.Failed"/>.</summary>
    public async Task<AgentEvent> ReadAsync(GuestFrameReader reader, CancellationToken ct)
    {
        while (await reader.ReadAsync<GuestToHostFrame>(ct) is { } frame)
        {
            switch (frame)
            {
                case SessionFrame s when !ClaudeSessionId.IsValid(s.SessionId):
                    // Stored, it would be passed to `claude --resume` by every later run of the group.
                    runLog.Write($"REFUSED the session id \"{GuestText.Escape(s.SessionId, 100)}\": not a Claude Code session id (a UUID); not stored");
                    LogBadSession(log, layout.GroupDir);
                    break;
                case SessionFrame s:
                    events.TryWrite(new AgentEvent.SessionStarted(s.SessionId));
                    break;
                case OutputFrame o:
                    runLog.Write($"output ({o.Text.Length} chars)");
                    events.TryWrite(new AgentEvent.Output(o.Text));
                    break;
                case ChangesFrame c:
                    if (++_changesFrames > caps.MaxChangesFrames)
                        return Fail($"the guest sent more than {caps.MaxChangesFrames} changes frames in one run; the rest was not applied");
                    _changesBytes += c.Bytes;
                    if (_changesBytes > caps.MaxChangesBytes)
                        return Fail($"the guest's changes in this run add up to more than {caps.MaxChangesBytes} bytes; the rest was not applied");
                    await ApplyAsync(c, reader.Payload, ct);
                    foreach (var line in afterChanges?.Invoke() ?? []) runLog.Write(line);
                    break;
                case IdleFrame:
                    events.TryWrite(new AgentEvent.Idle());
                    break;
                case LogFrame l:
                    RelayLog(l);
                    break;
                case DoneFrame { Error: { } error }:
                    return Fail(GuestText.Escape(error));
                case DoneFrame:
                    return new AgentEvent.Completed();
                case ReadyFrame:
                    throw new GuestProtocolException("a second ready frame");
            }
        }
        return Fail("the VM stopped without finishing the run (see the console log)");
    }

    async Task ApplyAsync(ChangesFrame c, Stream payload, CancellationToken ct)
    {
        var result = await WorkspaceSync.ApplyChangesAsync(layout, payload, c.Deleted, WorkspaceSyncLimits.Default, ct);
        runLog.Write($"changes: {result.Written.Count} written, {result.Deleted.Count} deleted");
        if (result.ArchiveRefused is { } whole)
        {
            runLog.Write("REFUSED the whole archive: " + GuestText.Escape(whole));
            LogSyncRefused(log, layout.GroupDir, GuestText.Escape(whole));
        }
        foreach (var refusal in result.Refused)
        {
            var (path, reason) = (GuestText.Escape(refusal.Path, 300), GuestText.Escape(refusal.Reason));
            runLog.Write($"REFUSED {path}: {reason}");
            LogSyncRefused(log, path, reason);
        }
    }

    void RelayLog(LogFrame l)
    {
        if (_guestLogCapped) return;
        _guestLogBytes += Encoding.UTF8.GetByteCount(l.Text);
        if (_guestLogBytes > caps.MaxGuestLogBytes)
        {
            _guestLogCapped = true;
            runLog.Write($"guest log capped at {caps.MaxGuestLogBytes} bytes for this run; later guest log lines are dropped");
            return;
        }
        runLog.Write($"guest {l.Level}: {GuestText.Escape(l.Text)}");
    }

    AgentEvent.Failed Fail(string error)
    {
        runLog.Write("FAILED: " + error);
        return new AgentEvent.Failed(error);
    }

    [LoggerMessage(EventId = 402, Level = LogLevel.Warning, Message = "Refused a change from the guest: {Path}: {Reason}")]
    static partial void LogSyncRefused(ILogger logger, string path, string reason);

    [LoggerMessage(EventId = 407, Level = LogLevel.Warning, Message = "Refused a session id from the guest of {GroupDir}: not a UUID (see the run log)")]
    static partial void LogBadSession(ILogger logger, string groupDir);
}
