using NanoClaw.Messaging;
using NanoClaw.Storage;

namespace NanoClaw.Channels;

/// <summary>
/// The terminal as the main chat (<c>./nanoclaw chat</c>). Each input line is one message from the owner.
/// Each reply is printed as one line <c>Andy: text</c>; when output is not a terminal, newlines inside a reply
/// are written as <c>\n</c> so every reply stays one line for scripts. A file from the assistant is kept in
/// <paramref name="filesDir"/> (the outbox deletes its own copy once sent) and printed as
/// <c>Andy: [file: PATH (image/png, N bytes)] caption</c>.
/// </summary>
public sealed class TerminalChannel(string chatJid, TextWriter output, bool interactive, string assistantName, TimeProvider time, string? filesDir = null) : IChannel
{
    readonly Lock _writeLock = new();

    public string Name => "terminal";
    public bool Owns(string jid) => jid == chatJid;
    public bool IsConnected => true;
    public int MaxMessageLength => 64_000;
    // The terminal prints the assistant's name itself.
    public bool PrefixesReplies => false;

    public Task SendAsync(string jid, string text, CancellationToken cancellationToken)
    {
        var body = interactive ? text : text.Replace("\r\n", "\n").Replace("\n", "\\n");
        lock (_writeLock)
        {
            output.WriteLine($"{assistantName}: {body}");
            output.Flush();
        }
        return Task.CompletedTask;
    }

    public async Task SendFileAsync(string jid, Files.OutboundFile file, string caption, CancellationToken cancellationToken)
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
        await SendAsync(jid, $"[file: {path} ({file.MimeType}, {file.Bytes} bytes)]" + (caption.Length > 0 ? " " + caption : ""), cancellationToken);
    }

    public Task SetTypingAsync(string jid, bool typing, CancellationToken cancellationToken)
    {
        // Progress for the person at the keyboard only; scripts read stdout and would not want it there.
        if (interactive && typing) Console.Error.WriteLine($"({assistantName} is working on it...)");
        return Task.CompletedTask;
    }

    /// <summary>Reads messages until end of input; each non-empty line is stored and wakes the loop.</summary>
    public async Task ReadInputAsync(TextReader input, MessageLoop loop, CancellationToken cancellationToken)
    {
        var sender = Environment.UserName;
        while (await input.ReadLineAsync(cancellationToken) is { } line)
        {
            if (string.IsNullOrWhiteSpace(line)) continue;
            loop.Deliver(new StoredMessage(
                Id: Guid.NewGuid().ToString("N"), ChatJid: chatJid, Sender: sender, SenderName: sender,
                Content: line, Timestamp: time.GetUtcNow(), IsFromMe: true, IsBotMessage: false), "Terminal");
        }
    }
}
