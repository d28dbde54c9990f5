using System.Text.RegularExpressions;

namespace NanoClaw;

/// <summary>
/// Names of group folders (<c>groups/&lt;folder&gt;/</c>). A name is one plain path segment, so it can never
/// point outside <c>groups/</c>; <c>global</c> is reserved for the memory every group reads.
/// </summary>
public static partial class GroupFolder
{
    public const string Global = "global";
    public const string Main = "main";

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")]
    private static partial Regex ValidName();

    /// <summary>Null when valid; otherwise what is wrong, phrased for the person who chose the name.</summary>
    public static string? Validate(string name) =>
        !ValidName().IsMatch(name) ? $"\"{name}\" is not a valid folder name: use 1-64 letters, digits, '-' or '_', starting with a letter or digit."
        : name.Equals(Global, StringComparison.OrdinalIgnoreCase) ? "\"global\" is reserved for the memory shared by all groups."
        : null;

    /// <summary>Creates <c>groups/&lt;folder&gt;/</c> (and <c>groups/global/</c>), seeding CLAUDE.md from the shipped templates when absent.</summary>
    /// <remarks>The templates must lie outside <c>groups/</c>: a template there is a folder some group writes (a group named
    /// <c>default</c> would seed every later group, main would seed itself), so such a folder is refused.</remarks>
    public static string Ensure(Config config, string folder, string? templatesDir)
    {
        if (Validate(folder) is { } error) throw new ArgumentException(error, nameof(folder));
        if (templatesDir is not null && NanoClaw.ExtraFolders.MountValidator.IsWithin(Path.GetFullPath(templatesDir), Path.GetFullPath(config.GroupsDir)))
            throw new ArgumentException($"the memory templates ({templatesDir}) are inside {config.GroupsDir}, where groups write; keep them outside (the checkout's templates/).", nameof(templatesDir));
        foreach (var name in new[] { Global, folder })
        {
            var dir = config.GroupDir(name);
            Directory.CreateDirectory(dir);
            var memory = Path.Combine(dir, "CLAUDE.md");
            var template = templatesDir is null ? null : Path.Combine(templatesDir, name == Global || name == Main ? name : "default", "CLAUDE.md");
            if (!File.Exists(memory) && template is not null && File.Exists(template) && Path.GetFullPath(template) != Path.GetFullPath(memory))
                File.Copy(template, memory);
        }
        return config.GroupDir(folder);
    }
}
