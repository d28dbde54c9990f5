using System.Globalization;
using System.Text;

namespace NanoClaw.Guest;

/// <summary>
/// Names that make the host run something later, just because someone works in the folder: git reads
/// <c>.git/config</c> (<c>core.fsmonitor</c>, <c>core.hooksPath</c>) and runs <c>.git/hooks/*</c> on ordinary commands and
/// from git-aware shell prompts; a <c>.git</c> <em>file</em> (<c>gitdir: ...</c>) points git at any folder; a folder with a
/// <c>HEAD</c> file (plus <c>objects/</c>, <c>refs/</c>) is taken for a bare repository with its own <c>config</c>;
/// Mercurial runs <c>.hg/hgrc</c> hooks; direnv loads <c>.envrc</c> on <c>cd</c>; editors run <c>.vscode/</c> and
/// <c>.idea/</c> tasks when the folder is opened. The guest may never write or delete any of them, in any top folder.
/// <para>Not refused, because nothing on the host acts on them without one of the above: <c>.gitattributes</c> and
/// <c>.gitmodules</c> (filter drivers and submodule commands come from a config the guest cannot write),
/// <c>.editorconfig</c>, shell rc files (nothing on the host sources files in a group's folders). Package-manager
/// configs holding credentials (<c>.npmrc</c>, <c>.pypirc</c>) are in the extra folders' default blocked patterns.</para>
/// </summary>
public static class HostExecutedName
{
    /// <summary>Why <paramref name="segment"/> may not be written or deleted by a guest, or null when it may.
    /// Compared ignoring case, invisible format characters (which HFS+ ignores) and trailing dots and spaces (which NTFS
    /// ignores), so <c>.GIT</c>, <c>.Git</c>, <c>.g&#x200C;it</c> and <c>.git.</c> all count.</summary>
    /// <param name="isFile">True for the last segment of a file path; <c>HEAD</c> is refused only as a file.</param>
    public static string? Reason(string segment, bool isFile)
    {
        var name = Normalize(segment);
        if (name == ".git" || name.EndsWith(".git", StringComparison.Ordinal))
            return "a git repository's files run commands on the host when git is used there (.git is never synced back)";
        if (isFile && name == "head")
            return "a HEAD file makes its folder a git repository to git on the host (HEAD files are never synced back)";
        return name switch
        {
            ".hg" => "Mercurial runs .hg/hgrc hooks on the host (.hg is never synced back)",
            ".envrc" or ".direnv" => "direnv runs .envrc on the host when a shell enters the folder (never synced back)",
            ".vscode" or ".idea" => "editors run the tasks in this folder when it is opened on the host (never synced back)",
            _ => null,
        };
    }

    /// <summary>The first refused segment of <paramref name="segments"/> with its reason, or null.</summary>
    public static string? Reason(IReadOnlyList<string> segments, bool isDirectory)
    {
        for (var i = 0; i < segments.Count; i++)
        {
            if (Reason(segments[i], isFile: !isDirectory && i == segments.Count - 1) is { } reason)
                return $"'{segments[i]}': {reason}";
        }
        return null;
    }

    static string Normalize(string segment)
    {
        var kept = new StringBuilder(segment.Length);
        foreach (var c in segment)
        {
            if (CharUnicodeInfo.GetUnicodeCategory(c) != UnicodeCategory.Format) kept.Append(c);
        }
        return kept.ToString().TrimEnd('.', ' ').ToLowerInvariant();
    }
}
