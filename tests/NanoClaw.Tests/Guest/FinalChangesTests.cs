using System.Runtime.Versioning;
using NanoClaw.Guest;
using NanoClaw.Tests.Support;

namespace NanoClaw.Tests.Guest;

/// <summary>
/// A large change in a turn, then a deletion that only the final sync (after close) carries: a <c>changes</c> frame
/// with no archive at all. Read back through the host's frame reader over short, uneven reads (as from a socket),
/// both must apply. Before the fix, the empty payload was refused as a truncated archive and the deletion lost.
/// </summary>
[SupportedOSPlatform("linux")]
public sealed class FinalChangesTests : IAsyncLifetime
{
    readonly TempDirectory _dir = new();
    readonly WorkspaceLayout _layout;
    GuestHarness _guest = null!;

    public FinalChangesTests()
    {
        _layout = new WorkspaceLayout(_dir["host/groups/fam"], _dir["host/groups/global"], _dir["host/data/fam/.claude"], GlobalWritable: false);
        _dir.Write("host/groups/fam/CLAUDE.md", "group memory");
        Directory.CreateDirectory(_layout.GlobalDir);
        Directory.CreateDirectory(_layout.ClaudeStateDir);
        Directory.CreateDirectory(_dir["vm"]);
        File.SetUnixFileMode(_dir["vm"], (UnixFileMode)0b111_101_101);
        Directory.CreateDirectory(_dir["bin"]);
    }

    public Task InitializeAsync()
    {
        _guest = GuestHarness.Start(_dir["vm"], ScriptedClaude.Install(_dir["bin"]));
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _guest.DisposeAsync();
        _dir.Dispose();
    }

    [Fact]
    public async Task ALargeTurnChangeAndAFinalDeletionWithoutArchiveBothApply()
    {
        (await _guest.ReadAsync()).Frame.ShouldBe(new ReadyFrame());
        await _guest.StartJobAsync(new JobFrame("run-1", "fam", false, DateTimeOffset.UtcNow, new Dictionary<string, string>(),
            Prompt: "head -c 10485760 /dev/urandom > big; (sleep 1; rm CLAUDE.md) >/dev/null 2>&1 &"), _layout);
        var turn = await _guest.ReadUntilAsync<IdleFrame>();
        await Task.Delay(2000);
        await _guest.SendAsync(new CloseFrame());
        var end = await _guest.ReadUntilAsync<DoneFrame>();

        // Replayed through the host's reader, as the runner reads the control channel.
        var wire = new MemoryStream();
        var writer = new GuestFrameWriter(wire);
        foreach (var (frame, payload) in turn.Concat(end))
            await writer.WriteAsync(frame, new MemoryStream(payload), default);
        wire.Position = 0;
        var reader = new GuestFrameReader(new Trickle(wire), WorkspaceSyncLimits.Default.MaxTotalBytes);
        var applied = 0;
        var sizes = new List<long>();
        while (await reader.ReadAsync<GuestToHostFrame>(default) is { } frame)
        {
            if (frame is not ChangesFrame changes) continue;
            sizes.Add(changes.Bytes);
            var result = await WorkspaceSync.ApplyChangesAsync(_layout, reader.Payload, changes.Deleted, WorkspaceSyncLimits.Default, default);
            result.ArchiveRefused.ShouldBeNull($"changes frame {++applied} of {changes.Bytes} bytes");
        }
        new FileInfo(Path.Combine(_layout.GroupDir, "big")).Length.ShouldBe(10485760);
        sizes[^1].ShouldBe(0); // the final frame: a deletion, no archive
        File.Exists(Path.Combine(_layout.GroupDir, "CLAUDE.md")).ShouldBeFalse();
    }

    /// <summary>A socket's reads: short and uneven.</summary>
    sealed class Trickle(Stream inner) : Stream
    {
        readonly Random random = new(7);
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, Math.Min(count, random.Next(1, 5000)));
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            inner.ReadAsync(buffer[..Math.Min(buffer.Length, random.Next(1, 5000))], cancellationToken);
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
