namespace NanoClaw.Channels.WhatsApp;

/// <summary>How to start the sidecar. Injectable so tests can start a scripted stand-in speaking the same protocol.</summary>
public sealed record BridgeCommandLine(string FileName, IReadOnlyList<string> Arguments)
{
    /// <summary>The real sidecar: <c>node &lt;repo&gt;/bridges/whatsapp/bridge.js --auth-dir &lt;authDir&gt;</c>.</summary>
    public static BridgeCommandLine Node(string repo, string authDir) =>
        new("node", [Path.Combine(repo, "bridges", "whatsapp", "bridge.js"), "--auth-dir", authDir]);
}
