using System.Collections.Concurrent;
using NanoClaw.Channels;

namespace NanoClaw.Tests.Support;

/// <summary>A channel that records what it is asked to send and can be taken offline, to test delivery rules.</summary>
sealed class RecordingChannel(string ownedPrefix = "", bool prefixesReplies = true, int maxLength = 4000) : IChannel
{
    readonly ConcurrentQueue<(string Jid, string Text)> _sent = new();
    readonly SemaphoreSlim _arrived = new(0);

    public string Name => "recording";
    /// <summary>Every typing indicator asked for, in order.</summary>
    public ConcurrentQueue<(string Jid, bool On)> Typing { get; } = new();
    public Task SetTypingAsync(string chatJid, bool typing, CancellationToken cancellationToken)
    {
        Typing.Enqueue((chatJid, typing));
        return Task.CompletedTask;
    }
    public bool Owns(string chatJid) => chatJid.StartsWith(ownedPrefix, StringComparison.Ordinal);
    public bool IsConnected { get; set; } = true;
    public int MaxMessageLength => maxLength;
    public bool PrefixesReplies => prefixesReplies;
    public int FailuresToInject;

    public IReadOnlyList<(string Jid, string Text)> Sent => _sent.ToList();

    /// <summary>The files sent, with the bytes of the host's copy as they were when it was sent.</summary>
    public ConcurrentQueue<(string Jid, NanoClaw.Files.OutboundFile File, string Caption, byte[] Bytes)> SentFiles { get; } = new();

    public Task<SendResult> SendFileAsync(string chatJid, NanoClaw.Files.OutboundFile file, string caption, CancellationToken cancellationToken)
    {
        if (Interlocked.Decrement(ref FailuresToInject) >= 0) throw new IOException("injected send failure");
        SentFiles.Enqueue((chatJid, file, caption, File.ReadAllBytes(file.SpoolPath)));
        return SendResult.SentTask;
    }

    public Task<SendResult> SendAsync(string chatJid, string text, CancellationToken cancellationToken)
    {
        if (Interlocked.Decrement(ref FailuresToInject) >= 0) throw new IOException("injected send failure");
        _sent.Enqueue((chatJid, text));
        _arrived.Release();
        return SendResult.SentTask;
    }

    /// <summary>Waits until at least <paramref name="count"/> messages were sent in total.</summary>
    public async Task<IReadOnlyList<(string Jid, string Text)>> WaitForAsync(int count, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(10));
        while (_sent.Count < count)
        {
            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero || !await _arrived.WaitAsync(left))
                throw new TimeoutException($"expected {count} sent messages, got {_sent.Count}: {string.Join(" | ", _sent.Select(s => s.Text))}");
        }
        return Sent;
    }
}
