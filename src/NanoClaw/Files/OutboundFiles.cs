using System.Globalization;
using Microsoft.Extensions.Logging;
using NanoClaw.Guest;
using NanoClaw.Outbound;

namespace NanoClaw.Files;

/// <summary>
/// Files the agent sends. The file is written inside the VM, and the host has it only after the guest's next sync
/// (at the end of each turn), so a <c>send_message</c> with a file is recorded here (<see cref="Request"/>) and carried
/// out by the run after each sync (<see cref="AfterSync"/>):
/// 1. the file is copied out of the group folder by <see cref="GroupFileCopy"/> (regular file, inside the folder, capped)
///    into a host-owned spool, so no later run can swap it;
/// 2. its kind comes from its content (<see cref="FileSniffer"/>), its name from the host;
/// 3. it goes into the durable outbox with its caption, and is sent from there (surviving a restart).
/// A file that cannot be sent is replaced in the chat by its caption and "[file not sent: why]", so nobody waits for it.
/// </summary>
public sealed partial class OutboundFiles(Outbox outbox, Config config, TimeProvider time, ILogger<OutboundFiles> log)
{
    /// <summary>Largest file sent (WhatsApp and Telegram take more, but a chat is no file transfer).</summary>
    public const long MaxFileBytes = 25L << 20;
    /// <summary>Most files one run may have waiting for a sync.</summary>
    public const int MaxPendingPerRun = 20;

    readonly Lock _lock = new();
    readonly Dictionary<string, List<FileRequest>> _pending = new(StringComparer.Ordinal);

    /// <summary>The host-owned folder the outbox sends files from.</summary>
    public string SpoolDir => Path.Combine(config.DataDir, "outbox-files");

    /// <summary>Records a file to send after the run's next sync. Null when recorded, else why not.</summary>
    public string? Request(FileRequest request)
    {
        lock (_lock)
        {
            if (!_pending.TryGetValue(request.RunId, out var list)) _pending[request.RunId] = list = [];
            if (list.Count >= MaxPendingPerRun)
                return $"{MaxPendingPerRun} files are already waiting for this turn to end; send fewer files (zip them into one).";
            list.Add(request);
            return null;
        }
    }

    /// <summary>
    /// The run's files reached the host: sends every file waiting for them. A file not there yet waits for the next sync,
    /// unless this is the run's last one (<paramref name="final"/>), when it is refused. Returns lines for the run log.
    /// </summary>
    public IReadOnlyList<string> AfterSync(string runId, bool final)
    {
        List<FileRequest> requests;
        lock (_lock)
        {
            if (!_pending.Remove(runId, out var list)) return [];
            requests = list;
        }
        var lines = new List<string>();
        var waiting = new List<FileRequest>();
        foreach (var request in requests)
        {
            var outcome = Spool(request, out var file);
            if (outcome is null)
            {
                outbox.EnqueueFile(request.ChatJid, file!, request.Caption);
                lines.Add($"file {GuestText.Escape(request.Relative, 300)} queued for {request.ChatJid} as {file!.Kind.ToString().ToLowerInvariant()} ({file.MimeType}, {file.Bytes} bytes)");
                LogQueued(log, runId, request.GroupFolder, file.MimeType, file.Bytes);
            }
            else if (outcome.Missing && !final)
            {
                waiting.Add(request);
            }
            else
            {
                var reason = GuestText.Escape(outcome.Reason, 400);
                outbox.Enqueue(request.ChatJid, NotSentText(request.Caption, outcome.Reason));
                lines.Add($"REFUSED file {GuestText.Escape(request.Relative, 300)}: {reason}");
                LogRefused(log, runId, request.GroupFolder, reason);
            }
        }
        if (waiting.Count > 0)
            lock (_lock)
            {
                if (_pending.TryGetValue(runId, out var later)) waiting.AddRange(later);
                _pending[runId] = waiting;
            }
        return lines;
    }

    /// <summary>What a chat shows instead of a file that could not be sent.</summary>
    public static string NotSentText(string caption, string reason) =>
        (string.IsNullOrWhiteSpace(caption) ? "" : caption.TrimEnd() + "\n") + $"[file not sent: {reason}]";

    sealed record Refusal(string Reason, bool Missing);

    Refusal? Spool(FileRequest request, out OutboundFile? file)
    {
        file = null;
        if (OperatingSystem.IsWindows()) Directory.CreateDirectory(SpoolDir);
        else Directory.CreateDirectory(SpoolDir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var id = Guid.NewGuid().ToString("N");
        var part = Path.Combine(SpoolDir, id + ".part");
        var problem = GroupFileCopy.TryCopy(config.GroupDir(request.GroupFolder), request.Segments, part, MaxFileBytes, out var bytes);
        if (problem is not null)
            return new Refusal(problem, Missing: problem.EndsWith("does not exist in the group folder", StringComparison.Ordinal));
        if (bytes == 0)
        {
            File.Delete(part);
            return new Refusal($"{request.Relative} is empty", Missing: false);
        }
        var head = new byte[FileSniffer.HeadBytes];
        int read;
        using (var stream = File.OpenRead(part)) read = stream.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        var type = FileSniffer.Sniff(head.AsSpan(0, read));
        var spooled = Path.Combine(SpoolDir, $"{id}.{type.Extension}");
        File.Move(part, spooled);
        var stamp = TimeZoneInfo.ConvertTime(time.GetUtcNow(), config.TimeZone).ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture);
        var name = $"{(type.Kind == FileKind.Image ? "image" : "file")}-{stamp}.{type.Extension}";
        file = new OutboundFile(spooled, type.Kind, type.MimeType, name, bytes);
        return null;
    }

    [LoggerMessage(EventId = 210, Level = LogLevel.Information, Message = "Run {RunId} ({Group}): file queued ({Mime}, {Bytes} bytes)")]
    static partial void LogQueued(ILogger logger, string runId, string group, string mime, long bytes);

    [LoggerMessage(EventId = 211, Level = LogLevel.Warning, Message = "Run {RunId} ({Group}): file not sent: {Reason}")]
    static partial void LogRefused(ILogger logger, string runId, string group, string reason);
}
