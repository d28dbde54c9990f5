namespace NanoClaw.Channels.WhatsApp;

/// <summary>What one stdout line of the sidecar turned out to be: an event, nothing (a blank line), or invalid with a reason.</summary>
public abstract record BridgeParseResult
{
    BridgeParseResult() { }

    public sealed record Parsed(BridgeEvent Event) : BridgeParseResult;
    public sealed record Blank : BridgeParseResult;
    public sealed record Invalid(string Reason) : BridgeParseResult;
}
