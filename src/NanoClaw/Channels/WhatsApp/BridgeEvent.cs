namespace NanoClaw.Channels.WhatsApp;

/// <summary>
/// One event line from the WhatsApp sidecar (docs/whatsapp-bridge.md, "Events"), parsed by
/// <see cref="BridgeProtocol.ParseEvent"/>. Unknown fields are ignored; missing or mistyped ones are a parse error.
/// </summary>
public abstract record BridgeEvent
{
    BridgeEvent() { }

    public sealed record Qr(string Code) : BridgeEvent;
    public sealed record PairingCode(string Code) : BridgeEvent;
    /// <summary><paramref name="Jid"/> is the owner's phone jid, which is also the jid of the owner's self-chat.</summary>
    public sealed record Connected(string Jid, string? Lid, string? Name) : BridgeEvent;
    public sealed record Closed(string Reason, bool WillReconnect, int? StatusCode, string? Detail) : BridgeEvent;
    public sealed record Message(
        string Id, string ChatJid, string SenderJid, string SenderName, string Text,
        DateTimeOffset Timestamp, bool IsFromMe, QuotedMessage? Quoted, MessageMedia? Media = null) : BridgeEvent;
    public sealed record Chat(string Jid, string? Name, bool IsGroup) : BridgeEvent;
    public sealed record Groups(IReadOnlyList<GroupInfo> List) : BridgeEvent;
    /// <summary><paramref name="Ref"/> is null when the command had none (a host bug); <paramref name="Id"/> is a sent message's id;
    /// <paramref name="File"/> and <paramref name="Size"/> name a <c>download</c>'s file in the spool (unchecked: see <see cref="MediaSpool"/>).</summary>
    public sealed record Ack(string? Ref, bool Ok, string? Error, string? Id, string? File = null, long? Size = null) : BridgeEvent;
    /// <summary>The sidecar refused a line or could not create its socket (<c>error</c> event).</summary>
    public sealed record SidecarError(string Text) : BridgeEvent;

    /// <summary>Not on the wire: raised by <see cref="WhatsAppBridge"/> when the sidecar process ended, and whether
    /// it will be started again (false after <c>logged_out</c>/<c>replaced</c>/..., or when the host stops it).</summary>
    public sealed record SidecarExited(int ExitCode, bool WillRestart) : BridgeEvent;
}
