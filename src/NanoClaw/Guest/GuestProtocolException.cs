namespace NanoClaw.Guest;

/// <summary>The other side of the control channel broke the protocol (docs/guest-protocol.md); the message says how.
/// The run cannot continue after this: the channel's framing is no longer trustworthy.</summary>
public sealed class GuestProtocolException : Exception
{
    public GuestProtocolException(string message) : base(message) { }
    public GuestProtocolException(string message, Exception inner) : base(message, inner) { }
}
