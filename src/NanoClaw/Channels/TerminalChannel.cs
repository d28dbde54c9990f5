using NanoClaw.Media;
using NanoClaw.Storage;

namespace NanoClaw.Channels;

/// <summary>
/// The terminal as the main chat (<c>./nanoclaw chat</c>). Each input line is one message from the owner.
/// Each reply is printed as one line <c>Andy: text</c>; when output is not a terminal, newlines inside a reply
/// are written as <c>\n</c> so every reply stays one line for scripts. A file from the assistant is kept in
/// <paramref name="filesDir"/> (the outbox deletes its own copy once sent) and printed as
/// <c>Andy: [file: PATH (image/png, N bytes)] caption</c>.
/// <para><c>/attach PATH [caption]</c> sends a local file as if it came from the phone: it goes through the same
/// <see cref="InboundMedia"/> (copied into the group's <c>media/</c>, same caps); an audio file counts as a voice note, so
/// transcription can be tried too. A path with spaces goes in double quotes.</para>
/// </summary>
/// <param name="inbound">Where its input lines go (and <c>/attach</c>'s files: its media); null: output only.</param>
public sealed class TerminalChannel(string chatJid, TextWriter output, bool interactive, string assistantName, TimeProvider time, string? filesDir = null,
    ChannelInbound? inbound = null) : IChannel
{
    readonly Lock _writeLock = new();

    public string Name => "terminal";
    public bool Owns(string jid) => jid == chatJid;
    public bool IsConnected => true;
    public int MaxMessageLength => 64_000;
    // The terminal prints the assistant's name itself.
    public bool PrefixesReplies => false;

    public Task<SendResult> SendAsync(string jid, string text, CancellationToken cancellationToken)
    {
        var body = interactive ? text : text.Replace("\r\n", "\n").Replace("\n", "\\n");
        lock (_writeLock)
        {
            output.WriteLine($"{assistantName}: {body}");
            output.Flush();
        }
        return SendResult.SentTask;
    }

    public async Task<SendResult> SendFileAsync(string jid, Files.OutboundFile file, string caption, CancellationToken cancellationToken)
    {
        var path = file.SpoolPath;
        if (filesDir is not null)
        {
            if (OperatingSystem.IsWindows()) Directory.CreateDirectory(filesDir);
            else Directory.CreateDirectory(filesDir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            path = Path.Combine(filesDir, file.FileName);
            // Two files in the same second get the same name; the later one gets a number.
            for (var n = 2; File.Exists(path); n++)
                path = Path.Combine(filesDir, $"{Path.GetFileNameWithoutExtension(file.FileName)}-{n}{Path.GetExtension(file.FileName)}");
            File.Copy(file.SpoolPath, path);
        }
        return await SendAsync(jid, $"[file: {path} ({file.MimeType}, {file.Bytes} bytes)]" + (caption.Length > 0 ? " " + caption : ""), cancellationToken);
    }

    public Task SetTypingAsync(string jid, bool typing, CancellationToken cancellationToken)
    {
        // Progress for the person at the keyboard only; scripts read stdout and would not want it there.
        if (interactive && typing) Console.Error.WriteLine($"({assistantName} is working on it...)");
        return Task.CompletedTask;
    }

    /// <summary>Reads messages until end of input; each non-empty line is stored and wakes the loop.</summary>
    /// <param name="groupFolder">The main group's folder, where <c>/attach</c> stores files (with the inbound's media); without
    /// them <c>/attach</c> is refused.</param>
    /// <param name="errors">Where a refused <c>/attach</c> is explained (stderr by default: stdout is the chat).</param>
    public async Task ReadInputAsync(TextReader input, CancellationToken cancellationToken, string? groupFolder = null, TextWriter? errors = null)
    {
        if (inbound is null) throw new InvalidOperationException("This terminal channel was made for output only.");
        var media = inbound.Media;
        var sender = Environment.UserName;
        while (await input.ReadLineAsync(cancellationToken) is { } line)
        {
            if (string.IsNullOrWhiteSpace(line)) continue;
            var id = Guid.NewGuid().ToString("N");
            Attachment? attachment = null;
            var content = line;
            if (line == AttachCommand || line.StartsWith(AttachCommand + " ", StringComparison.Ordinal))
            {
                var (attached, caption, error) = await AttachAsync(line[AttachCommand.Length..].Trim(), id, media, groupFolder, cancellationToken);
                if (error is not null)
                {
                    (errors ?? Console.Error).WriteLine("/attach: " + error);
                    continue;
                }
                (attachment, content) = (attached, caption);
            }
            inbound.Deliver(new StoredMessage(
                Id: id, ChatJid: chatJid, Sender: sender, SenderName: sender,
                Content: content, Timestamp: time.GetUtcNow(), IsFromMe: true, IsBotMessage: false, attachment), "Terminal");
        }
    }

    public const string AttachCommand = "/attach";

    static async Task<(Attachment? Attachment, string Caption, string? Error)> AttachAsync(string arguments, string id, InboundMedia? media,
        string? groupFolder, CancellationToken cancellationToken)
    {
        if (media is null || groupFolder is null) return (null, "", "files cannot be attached in this session.");
        string path, caption;
        if (arguments.StartsWith('"') && arguments.IndexOf('"', 1) is var close and > 0)
            (path, caption) = (arguments[1..close], arguments[(close + 1)..].Trim());
        else if (arguments.IndexOf(' ') is var space and > 0)
            (path, caption) = (arguments[..space], arguments[(space + 1)..].Trim());
        else
            (path, caption) = (arguments, "");
        if (path.Length == 0) return (null, "", "usage: /attach PATH [caption] (quote a path with spaces: /attach \"my file.pdf\" caption)");
        if (path == "~" || path.StartsWith("~/", StringComparison.Ordinal))
            path = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), path.TrimStart('~').TrimStart('/'));
        var info = new FileInfo(path);
        if (!info.Exists) return (null, "", $"no file at {path} (a directory cannot be attached).");
        if (info.Length > media.MaxBytes)
            return (null, "", $"{path} is {info.Length} bytes; the limit is {MediaNames.Megabytes(media.MaxBytes)} (MEDIA_MAX_MB).");
        var (kind, mime) = MediaNames.FromExtension(path);
        if (kind == AttachmentKind.Audio) kind = AttachmentKind.Voice;
        try
        {
            await using var source = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, useAsync: true);
            var attachment = await media.AcceptAsync(groupFolder, id, kind, mime, source, info.Length, cancellationToken);
            return attachment.RelativePath is null ? (null, "", attachment.Note ?? "not stored.") : (attachment, caption, null);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return (null, "", $"cannot read {path}: {e.Message}");
        }
    }
}
