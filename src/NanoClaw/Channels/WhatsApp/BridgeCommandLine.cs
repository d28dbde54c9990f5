namespace NanoClaw.Channels.WhatsApp;

/// <summary>How to start the sidecar. Injectable so tests can start a scripted stand-in speaking the same protocol.</summary>
public sealed record BridgeCommandLine(string FileName, IReadOnlyList<string> Arguments)
{
    /// <summary>The real sidecar: <c>node &lt;repo&gt;/bridges/whatsapp/bridge.js --auth-dir &lt;authDir&gt; [--media-dir &lt;mediaDir&gt;]</c>.</summary>
    public static BridgeCommandLine Node(string repo, string authDir, string? mediaDir = null) =>
        new("node", [Path.Combine(repo, "bridges", "whatsapp", "bridge.js"), "--auth-dir", authDir, .. mediaDir is null ? Array.Empty<string>() : ["--media-dir", mediaDir]]);

    /// <summary>
    /// The sidecar's whole environment, picked from <paramref name="parent"/> by name: <c>PATH</c> (to find node),
    /// <c>HOME</c>, <c>TMPDIR</c>, locale and time zone, and <c>NODE_*</c> (Node's own settings, e.g. extra CA
    /// certificates). Everything else stays behind, above all <c>ANTHROPIC_*</c>, OAuth and bot tokens: the sidecar
    /// handles text from strangers and a dependency of it must not find a key lying in its environment.
    /// Its own settings come as arguments, not variables.
    /// </summary>
    public static IEnumerable<(string Key, string Value)> SidecarEnvironment(System.Collections.IDictionary parent)
    {
        ArgumentNullException.ThrowIfNull(parent);
        foreach (System.Collections.DictionaryEntry e in parent)
        {
            if (e.Key is not string key || e.Value is not string value) continue;
            var keep = key is "PATH" or "HOME" or "TMPDIR" or "LANG" or "TZ"
                || key.StartsWith("LC_", StringComparison.Ordinal)
                || key.StartsWith("NODE_", StringComparison.Ordinal);
            if (keep) yield return (key, value);
        }
    }
}
