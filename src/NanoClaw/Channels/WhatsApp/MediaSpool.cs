using System.Text.RegularExpressions;
using NanoClaw.Guest;

namespace NanoClaw.Channels.WhatsApp;

/// <summary>
/// The folder the sidecar downloads media into (<c>--media-dir</c>; <c>data/whatsapp-media</c>). The sidecar parses strangers'
/// messages, so what its <c>download</c> ack says is checked before a byte is read: the name must be the 32 hex digits the
/// sidecar makes up (no path, no sender's name), the entry a regular file (not a symlink, FIFO or device), its length the
/// size the ack claims and within the cap.
/// </summary>
public static partial class MediaSpool
{
    [GeneratedRegex("^[0-9a-f]{32}$")]
    private static partial Regex SpoolName();

    /// <summary>The validated path of a downloaded file.</summary>
    /// <exception cref="InvalidDataException">The ack names something else; the reason says what.</exception>
    public static string Validate(string spoolDir, string? file, long? claimedSize, long maxBytes)
    {
        if (file is null || !SpoolName().IsMatch(file))
            throw new InvalidDataException($"the sidecar named the file \"{GuestText.Escape(file ?? "(none)", 80)}\", not a spool name (32 hex digits)");
        if (claimedSize is not { } size || size < 0 || size > maxBytes)
            throw new InvalidDataException($"the sidecar claimed a size of {claimedSize?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "(none)"} bytes (the limit is {maxBytes})");
        var path = Path.Combine(spoolDir, file);
        var status = LinuxStat.Lstat(path) ?? throw new InvalidDataException($"the sidecar's file {file} does not exist in the spool");
        if (status.Type != LinuxFileType.Regular)
            throw new InvalidDataException($"the sidecar's file {file} is a {status.Type}, not a regular file");
        if (status.Size != size)
            throw new InvalidDataException($"the sidecar's file {file} has {status.Size} bytes, not the {size} it claimed");
        return path;
    }

    /// <summary>Empties the spool (at start, before the sidecar runs): a file there was never stored, since the host
    /// deletes each one after copying it, so it belongs to a message that died with the last process.</summary>
    public static void Clear(string spoolDir)
    {
        if (LinuxStat.Lstat(spoolDir)?.Type != LinuxFileType.Directory) return;
        foreach (var entry in Directory.EnumerateFileSystemEntries(spoolDir))
        {
            if (LinuxStat.Lstat(entry)?.Type == LinuxFileType.Directory) Directory.Delete(entry, recursive: true);
            else File.Delete(entry);
        }
    }
}
