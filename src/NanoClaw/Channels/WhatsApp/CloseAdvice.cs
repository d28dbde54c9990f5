namespace NanoClaw.Channels.WhatsApp;

/// <summary>What the user should do after a <c>closed</c> that will not reconnect, in words for a terminal or log.
/// One place, so <c>./nanoclaw auth</c> and the running service say the same thing.</summary>
public static class CloseAdvice
{
    public static string For(BridgeEvent.Closed closed) => closed.Reason switch
    {
        "logged_out" => "WhatsApp unlinked this device (logged_out): it was removed under Linked devices on the phone, "
            + "or the link expired. Pair again with ./nanoclaw auth.",
        "replaced" => "Another WhatsApp Web session for this account took over (replaced). Is ./nanoclaw run or another "
            + "./nanoclaw auth still running? Stop it, then try again; only one may hold the link at a time.",
        "forbidden" => "WhatsApp refused this account (forbidden): it may be banned or restricted. Check WhatsApp on the phone.",
        _ => $"WhatsApp closed the connection ({closed.Reason}{(closed.Detail is null ? "" : ": " + closed.Detail)}). Run ./nanoclaw auth again.",
    };
}
