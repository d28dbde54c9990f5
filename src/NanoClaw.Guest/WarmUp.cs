using System.Formats.Tar;

namespace NanoClaw.Guest;

/// <summary>
/// What a job runs first, run once on throwaway data while a warm VM waits for its job: under TCG the first run of any
/// code is translated first, and the first SHA-256 sets up OpenSSL (~150 ms measured in a warm VM's change baseline).
/// Done here, that is off the path to the first answer. Nothing of it stays: its folder is deleted, and it touches no
/// path of the workspace.
/// </summary>
static class WarmUp
{
    static readonly string[] ClaudeLines =
    [
        """{"type":"control_response","response":{"subtype":"success","request_id":"cwd","response":{"status":"ok"}}}""",
        """{"type":"system","subtype":"init","session_id":"warm-up"}""",
        """{"type":"stream_event","event":{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"a"}}}""",
        """{"type":"assistant","message":{"id":"m","content":[{"type":"text","text":"a"}]},"parent_tool_use_id":null}""",
        """{"type":"stream_event","event":{"type":"message_delta","delta":{"stop_reason":"end_turn"}},"parent_tool_use_id":null,"api_message_id":"m"}""",
        """{"type":"result","subtype":"success","is_error":false,"result":"a"}""",
    ];

    public static async Task RunAsync(CancellationToken cancellationToken)
    {
        var root = Directory.CreateTempSubdirectory("nanoclaw-warm-up-");
        try
        {
            var paths = new GuestPaths(root.FullName);
            using var tar = new MemoryStream();
            await using (var writer = new TarWriter(tar, TarEntryFormat.Pax, leaveOpen: true))
                await writer.WriteEntryAsync(new PaxTarEntry(TarEntryType.RegularFile, "group/CLAUDE.md") { DataStream = new MemoryStream([1]) }, cancellationToken).ConfigureAwait(false);
            tar.Position = 0;
            var (hashes, _) = await WorkspaceExtractor.ExtractAsync(tar, paths, cancellationToken).ConfigureAwait(false);
            var scratch = Directory.CreateDirectory(Path.Combine(root.FullName, "scratch")).FullName;
            var tracker = ChangeTracker.Baseline(paths.Tops, hashes, scratch);
            await File.WriteAllTextAsync(Path.Combine(paths.GroupDir, "new.txt"), "a", cancellationToken).ConfigureAwait(false);
            using (await tracker.CollectAsync(cancellationToken).ConfigureAwait(false)) { }
            foreach (var line in ClaudeLines) ClaudeOutput.Parse(line);
            GuestProtocol.Serialize(new OutputFrame("a"));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidDataException or OperationCanceledException)
        {
            // Only ever a head start: the job does all of it for real anyway.
        }
        finally
        {
            try { root.Delete(recursive: true); }
            catch (IOException) { }
        }
    }
}
