using System.Globalization;
using System.Text;

namespace NanoClaw.Guest;

/// <summary>
/// Text a guest chose (its log lines, error messages, paths it sent) made safe to write into a host log or terminal:
/// every C0 and C1 control (ESC and so ANSI sequences, CR, BEL, backspace, NUL), DEL, invisible format characters
/// (bidi overrides that reorder a line), line and paragraph separators and lone surrogates are written as <c>\xNN</c>
/// or <c>\uNNNN</c>; a backslash is doubled so an escape cannot be forged. One line in, one line out.
/// </summary>
public static class GuestText
{
    /// <summary>Most characters kept of one piece of guest text; the rest is cut with a marker.</summary>
    public const int MaxChars = 4000;

    /// <summary>True when <see cref="Escape"/> would change nothing but backslashes: no character that moves a terminal.</summary>
    public static bool IsPlain(string text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1])) { i++; continue; }
            if (NeedsEscape(c)) return false;
        }
        return true;
    }

    static bool NeedsEscape(char c) =>
        char.IsControl(c) || char.IsSurrogate(c)
        || CharUnicodeInfo.GetUnicodeCategory(c) is UnicodeCategory.Format or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator;

    public static string Escape(string? text, int maxChars = MaxChars)
    {
        if (string.IsNullOrEmpty(text)) return text ?? "";
        var result = new StringBuilder(Math.Min(text.Length, maxChars) + 16);
        for (var i = 0; i < text.Length; i++)
        {
            if (result.Length >= maxChars)
            {
                result.Append($"... [{text.Length - i} more characters cut]");
                break;
            }
            var c = text[i];
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                result.Append(c).Append(text[++i]);
                continue;
            }
            if (c == '\\') result.Append(@"\\");
            else if (c == '\n') result.Append(@"\n");
            else if (c == '\t') result.Append(@"\t");
            else if (c < 0x100 && char.IsControl(c)) result.Append(CultureInfo.InvariantCulture, $"\\x{(int)c:x2}");
            else if (NeedsEscape(c))
                result.Append(CultureInfo.InvariantCulture, $"\\u{(int)c:x4}");
            else result.Append(c);
        }
        return result.ToString();
    }
}
