using NanoClaw.Messaging;
using NanoClaw.Storage;

namespace NanoClaw.Channels;

/// <summary>
/// The terminal as the main chat (<c>./nanoclaw chat</c>). Each input line is one message from the owner.
/// Each reply is printed as one line <c>Andy: text</c>; when output is not a terminal, newlines inside a reply
/// are written as <c>\n</c> so every reply stays one line for scripts.
/// </summary>
public sealed class TerminalChannel(string chatJid, TextWriter output, bool interactive, string assistantName, TimeProvider time) : IChannel
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
