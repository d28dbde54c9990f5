namespace NanoClaw.Channels.WhatsApp;

/// <summary>The message a reply quotes (<c>quoted</c> of a <c>message</c> event); <paramref name="Text"/> is "" when it had none.</summary>
public sealed record QuotedMessage(string Id, string SenderJid, string Text);
