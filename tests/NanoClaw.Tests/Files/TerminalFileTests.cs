using NanoClaw.Channels;
using NanoClaw.Files;

namespace NanoClaw.Tests.Files;

/// <summary>The terminal channel shows a file from the assistant as a path to the kept copy, with its type and caption.</summary>
public sealed class TerminalFileTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("nanoclaw-terminal-files-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task AFileIsKeptAndItsPathPrintedWithTheCaption()
    {
        var spool = Path.Combine(_dir, "spool.png");
        await File.WriteAllBytesAsync(spool, FileSnifferTests.Png);
        var output = new StringWriter();
        var terminal = new TerminalChannel("terminal:main", output, interactive: false, "Andy", TimeProvider.System, Path.Combine(_dir, "kept"));
        var file = new OutboundFile(spool, FileKind.Image, "image/png", "image-20260310-080000.png", FileSnifferTests.Png.Length);

        await terminal.SendFileAsync("terminal:main", file, "the chart", CancellationToken.None);
        await terminal.SendFileAsync("terminal:main", file, "", CancellationToken.None); // same name again

        var kept = Path.Combine(_dir, "kept", "image-20260310-080000.png");
        var second = Path.Combine(_dir, "kept", "image-20260310-080000-2.png");
        output.ToString().ShouldBe(
            $"Andy: [file: {kept} (image/png, {FileSnifferTests.Png.Length} bytes)] the chart\n" +
            $"Andy: [file: {second} (image/png, {FileSnifferTests.Png.Length} bytes)]\n");
        (await File.ReadAllBytesAsync(kept)).ShouldBe(FileSnifferTests.Png);
        (await File.ReadAllBytesAsync(second)).ShouldBe(FileSnifferTests.Png);
    }
}
