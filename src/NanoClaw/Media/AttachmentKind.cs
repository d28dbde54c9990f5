namespace NanoClaw.Media;

/// <summary>What a message's file is. A sticker arrives as an <see cref="Image"/>; a WhatsApp voice note (push to talk)
/// is <see cref="Voice"/>, any other audio file <see cref="Audio"/>.</summary>
public enum AttachmentKind { Image, Voice, Audio, Video, Document }
