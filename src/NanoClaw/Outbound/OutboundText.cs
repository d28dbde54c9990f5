using System.Text.RegularExpressions;

namespace NanoClaw.Outbound;

/// <summary>What the agent's text becomes before a channel sends it.</summary>
public static partial class OutboundText
{
    [GeneratedRegex(@"<internal>.*?(</internal>|\z)", RegexOptions.Singleline | RegexOptions.IgnoreCase)]
    private static partial Regex InternalSpan();

    /// <summary>
    /// Strips <c>&lt;internal&gt;</c> spans (the agent's notes to itself; an unclosed one hides the rest),
    /// adds the <c>Andy: </c> prefix when the assistant shares the owner's number (so its replies are told apart
    /// from the owner's own), and splits to the channel's length limit. Empty result: nothing to send.
    /// </summary>
    public static IReadOnlyList<string> Prepare(string text, string assistantName, bool prefix, int maxLength)
    {
        var visible = InternalSpan().Replace(text, "").Trim();
        if (visible.Length == 0) return [];
        var prefixText = prefix ? assistantName + ": " : "";
        return Split(visible, maxLength - prefixText.Length).Select(part => prefixText + part).ToList();
    }

    /// <summary>Splits at a paragraph, line or word boundary when one is near the limit; hard-cuts otherwise.</summary>
    public static IEnumerable<string> Split(string text, int maxLength)
    {
        if (maxLength < 1) throw new ArgumentOutOfRangeException(nameof(maxLength), "The channel's limit is shorter than the prefix.");
        var rest = text;
        while (rest.Length > maxLength)
        {
            var window = rest[..maxLength];
            var cut = BestCut(window);
            // Never cut inside a surrogate pair.
            if (char.IsHighSurrogate(rest[cut - 1])) cut--;
            yield return rest[..cut].TrimEnd();
            rest = rest[cut..].TrimStart();
        }
        if (rest.Length > 0) yield return rest;
    }

    static int BestCut(string window)
    {
        var minimum = window.Length / 2; // a boundary in the first half would make silly tiny parts
        foreach (var separator in new[] { "\n\n", "\n", " " })
        {
            var at = window.LastIndexOf(separator, StringComparison.Ordinal);
            if (at >= minimum) return at + separator.Length;
        }
        return window.Length;
    }
}
