namespace NanoClaw.Files;

/// <summary>An agent's <c>send_message</c> with a file, waiting for its run's files to reach the host.</summary>
/// <param name="GroupFolder">The caller's group, from its run token: the only folder the file is taken from.</param>
/// <param name="Segments">The file's path under that folder, already judged by <see cref="AttachmentPath.Parse"/>.</param>
public sealed record FileRequest(string RunId, string GroupFolder, string ChatJid, IReadOnlyList<string> Segments, string Caption)
{
    public string Relative => string.Join('/', Segments);
}
