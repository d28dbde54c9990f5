using System.Text.RegularExpressions;

namespace NanoClaw.Runs;

/// <summary>
/// The shape of a Claude Code session id: a lower-case UUID. The guest reports it and the next run passes it to
/// <c>claude --resume</c>, so an id of any other shape (an option, a path, a huge string) is refused where it arrives
/// and dropped where it is stored, instead of breaking every later run of the group.
/// </summary>
public static partial class ClaudeSessionId
{
    [GeneratedRegex("^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\\z", RegexOptions.CultureInvariant)]
    private static partial Regex Shape();

    public static bool IsValid(string? id) => id is not null && Shape().IsMatch(id);
}
