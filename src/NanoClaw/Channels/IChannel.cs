namespace NanoClaw.Channels;

/// <summary>A way messages come in and go out (terminal, WhatsApp, ...). Inbound messages are handed to the
/// <see cref="ChannelInbound"/> the channel got at construction, which stores them first and wakes the message loop.</summary>
public interface IChannel
{
    string Name { get; }
    /// <summary>Whether this channel is the one that reaches <paramref name="chatJid"/>.</summary>
    bool Owns(string chatJid);
    bool IsConnected { get; }
    /// <summary>Longest message the channel can send; longer replies are split.</summary>
    int MaxMessageLength { get; }
    /// <summary>True when the assistant's messages appear under the owner's identity (a shared number) and so
    /// must carry the "Andy: " prefix to be told apart.</summary>
    bool PrefixesReplies { get; }
    /// <summary>Sends one message: <see cref="SendResult.Sent"/>, or <see cref="SendResult.Held"/> when a rate limit holds it
    /// (nothing sent). A real failure throws; the outbox retries it with backoff.</summary>
    Task<SendResult> SendAsync(string chatJid, string text, CancellationToken cancellationToken);
    /// <summary>
    /// Sends a file (the host's own copy, already checked) as an image or a document with <paramref name="caption"/>
    /// (may be empty). A channel that cannot send files says so in the chat instead, so nobody waits for a file.
    /// Held and failed like <see cref="SendAsync"/>.
    /// </summary>
    Task<SendResult> SendFileAsync(string chatJid, Files.OutboundFile file, string caption, CancellationToken cancellationToken) =>
        SendAsync(chatJid, Files.OutboundFiles.NotSentText(caption, $"the {Name} channel cannot send files"), cancellationToken);
    /// <summary>Shows or hides "typing..." while a run is going. Channels without it do nothing.</summary>
    Task SetTypingAsync(string chatJid, bool typing, CancellationToken cancellationToken) => Task.CompletedTask;
}
