namespace NanoClaw.Channels.Telegram;

/// <summary>Where the channel is: <see cref="Unauthorized"/> is final (the token was refused; polling stopped, no spinning).</summary>
public enum TelegramState { Starting, Polling, Offline, Unauthorized, Stopped }
