namespace NanoClaw.Channels.WhatsApp;

/// <summary>One entry of a <c>groups</c> event.</summary>
public sealed record GroupInfo(string Jid, string Name);
