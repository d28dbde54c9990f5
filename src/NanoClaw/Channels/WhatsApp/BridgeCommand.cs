namespace NanoClaw.Channels.WhatsApp;

/// <summary>
/// A command to the WhatsApp sidecar (docs/whatsapp-bridge.md, "Commands"). Written as one line by
/// <see cref="BridgeProtocol.SerializeCommand"/> with a <c>ref</c> the sidecar echoes in its <c>ack</c>.
/// </summary>
public abstract record BridgeCommand
{
    BridgeCommand() { }

    public abstract string Type { get; }

    public sealed record Send(string ChatJid, string Text) : BridgeCommand { public override string Type => "send"; }
    /// <summary>A file from the host's spool: <paramref name="Kind"/> is <c>image</c> or <c>document</c>; the name is the host's.</summary>
    public sealed record SendFile(string ChatJid, string Path, string Kind, string MimeType, string FileName, string Caption) : BridgeCommand { public override string Type => "send_file"; }
    public sealed record Typing(string ChatJid, bool On) : BridgeCommand { public override string Type => "typing"; }
    public sealed record MarkRead(string ChatJid, IReadOnlyList<string> MessageIds) : BridgeCommand { public override string Type => "mark_read"; }
    public sealed record SyncGroups : BridgeCommand { public override string Type => "sync_groups"; }
    public sealed record Logout : BridgeCommand { public override string Type => "logout"; }
    /// <summary>Downloads a <c>message</c>'s media into the spool, refusing more than <paramref name="MaxBytes"/>.</summary>
    public sealed record Download(string ChatJid, string Id, long MaxBytes) : BridgeCommand { public override string Type => "download"; }
    public sealed record Pair(string Phone) : BridgeCommand { public override string Type => "pair"; }
}
