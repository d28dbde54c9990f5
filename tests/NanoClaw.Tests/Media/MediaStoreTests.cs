using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using NanoClaw.Conversations;
using NanoClaw.Media;
using NanoClaw.Storage;
using NanoClaw.Tests.Support;

namespace NanoClaw.Tests.Media;

/// <summary>Inbound files on a real disk and in the real SQLite file: names, permissions, caps, hostile ids, pruning.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public class MediaStoreTests : IDisposable
{
    readonly TestHome _home = new();
    readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 7, 9, 30, 0, TimeSpan.Zero));
    const long Cap = 1000;

    MediaStore Store(long cap = Cap) => new(_home.Config.GroupsDir, cap, _time);
    static MemoryStream Bytes(int n, byte fill = 7) => new([.. Enumerable.Repeat(fill, n)]);
    string MediaDir(string folder = "family") => Path.Combine(_home.Config.GroupsDir, folder, "media");

    [Fact]
    public async Task AFileLandsUnderMediaDateIdWithAnExtensionFromItsTypeOwnerOnly()
    {
        var a = await Store().StoreAsync("family", "3EB0ABC", AttachmentKind.Image, "image/jpeg", Bytes(500), 500, CancellationToken.None);

        a.ShouldBe(new Attachment(AttachmentKind.Image, "media/2026-12-07/3EB0ABC.jpg", "image/jpeg", 500));
        var file = Path.Combine(_home.Config.GroupsDir, "family", a.RelativePath!);
        (await File.ReadAllBytesAsync(file)).ShouldBe(Bytes(500).ToArray());
        File.GetUnixFileMode(file).ShouldBe(UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.GetUnixFileMode(MediaDir()).ShouldBe(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        File.GetUnixFileMode(Path.GetDirectoryName(file)!).ShouldBe(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        Directory.GetFiles(Path.GetDirectoryName(file)!).ShouldBe([file]); // no temp file left behind
    }

    [Theory]
    [InlineData("audio/ogg; codecs=opus", AttachmentKind.Voice, "ogg")]
    [InlineData("application/pdf", AttachmentKind.Document, "pdf")]
    [InlineData("application/x-sh", AttachmentKind.Document, "bin")]
    [InlineData("text/html\"><script>", AttachmentKind.Document, "bin")]
    [InlineData(null, AttachmentKind.Image, "jpg")]
    public async Task TheExtensionComesFromAnAllowListNeverFromTheSender(string? mime, AttachmentKind kind, string ext)
    {
        var a = await Store().StoreAsync("family", "ID1", kind, mime, Bytes(3), null, CancellationToken.None);
        Path.GetExtension(a.RelativePath).ShouldBe("." + ext);
    }

    [Theory]
    [InlineData("../../../etc/passwd")]
    [InlineData("..")]
    [InlineData("a/b")]
    [InlineData("evil\0.jpg")]
    [InlineData(".hidden")]
    [InlineData("")]
    public async Task AHostileMessageIdNeverBecomesAPathPart(string id)
    {
        var a = await Store().StoreAsync("family", id, AttachmentKind.Image, "image/png", Bytes(3), 3, CancellationToken.None);

        var name = Path.GetFileName(a.RelativePath!);
        name.ShouldMatch("^m-[0-9a-f]{32}\\.png$");
        a.RelativePath.ShouldBe("media/2026-12-07/" + name);
        File.Exists(Path.Combine(MediaDir(), "2026-12-07", name)).ShouldBeTrue();
        Directory.GetFileSystemEntries(_home.Config.GroupsDir).ShouldBe([Path.Combine(_home.Config.GroupsDir, "family")]);
    }

    [Fact]
    public async Task AVeryLongIdIsHashedAndTheSameIdAlwaysGetsTheSameName()
    {
        var id = new string('A', 5000);
        var first = await Store().StoreAsync("family", id, AttachmentKind.Image, "image/png", Bytes(3), 3, CancellationToken.None);
        var again = await Store().StoreAsync("family", id, AttachmentKind.Image, "image/png", Bytes(4), 4, CancellationToken.None);
        Path.GetFileName(first.RelativePath!).Length.ShouldBeLessThan(50);
        again.RelativePath.ShouldBe(first.RelativePath);
        Directory.GetFiles(Path.Combine(MediaDir(), "2026-12-07")).Length.ShouldBe(1);
    }

    [Theory]
    [InlineData(1001L)]
    [InlineData(-1L)]
    [InlineData(long.MaxValue)]
    public async Task AHostileOrTooLargeDeclaredSizeIsRefusedBeforeReading(long declared)
    {
        var source = Bytes(10);
        await Should.ThrowAsync<MediaTooLargeException>(() =>
            Store().StoreAsync("family", "BIG", AttachmentKind.Video, "video/mp4", source, declared, CancellationToken.None));
        source.Position.ShouldBe(0);
        Directory.Exists(MediaDir()).ShouldBeFalse();
    }

    [Fact]
    public async Task BytesBeyondTheCapAreRefusedWhileCopyingAndNothingStays()
    {
        // The sender's app claimed 10 bytes; 5000 came.
        await Should.ThrowAsync<MediaTooLargeException>(() =>
            Store().StoreAsync("family", "LIAR", AttachmentKind.Document, "application/pdf", Bytes(5000), 10, CancellationToken.None));
        Directory.GetFileSystemEntries(Path.Combine(MediaDir(), "2026-12-07")).ShouldBeEmpty();
    }

    [Fact]
    public async Task AMediaFolderAnAgentReplacedWithASymlinkIsNotFollowed()
    {
        var outside = Directory.CreateTempSubdirectory("nanoclaw-outside-").FullName;
        try
        {
            Directory.CreateDirectory(Path.Combine(_home.Config.GroupsDir, "family"));
            File.CreateSymbolicLink(MediaDir(), outside);
            await Should.ThrowAsync<IOException>(() =>
                Store().StoreAsync("family", "X", AttachmentKind.Image, "image/png", Bytes(3), 3, CancellationToken.None));
            Directory.GetFileSystemEntries(outside).ShouldBeEmpty();
        }
        finally { Directory.Delete(outside, recursive: true); }
    }

    [Fact]
    public async Task PruningDeletesDayFoldersOlderThanTheKeepDaysAndNothingElse()
    {
        var store = Store();
        await store.StoreAsync("family", "OLD", AttachmentKind.Image, "image/png", Bytes(3), 3, CancellationToken.None);
        _time.Advance(TimeSpan.FromDays(20));
        await store.StoreAsync("family", "NEW", AttachmentKind.Image, "image/png", Bytes(3), 3, CancellationToken.None);
        var notes = Path.Combine(MediaDir(), "notes.txt");
        File.WriteAllText(notes, "the agent's own file");
        var pruner = new MediaPruner(store, keepDays: 30, _time, NullLogger<MediaPruner>.Instance);

        pruner.Start(); // day 20: both kept
        Directory.GetDirectories(MediaDir()).Length.ShouldBe(2);
        _time.Advance(TimeSpan.FromDays(11)); // the daily timer fires: the first day is now 31 days old
        Directory.GetDirectories(MediaDir()).Select(Path.GetFileName).ShouldBe(["2026-12-27"]);
        File.Exists(notes).ShouldBeTrue();
        await pruner.DisposeAsync();
    }

    [Fact]
    public void PruningRemovesALinkNamedLikeADayWithoutFollowingIt()
    {
        var outside = Directory.CreateTempSubdirectory("nanoclaw-outside-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(outside, "keep.txt"), "x");
            Directory.CreateDirectory(MediaDir());
            File.CreateSymbolicLink(Path.Combine(MediaDir(), "2000-01-01"), outside);
            Store().Prune(30);
            File.Exists(Path.Combine(outside, "keep.txt")).ShouldBeTrue();
            Directory.GetFileSystemEntries(MediaDir()).ShouldBeEmpty();
        }
        finally { Directory.Delete(outside, recursive: true); }
    }

    [Fact]
    public async Task TheAttachmentTravelsThroughTheRealDatabaseAndIntoThePrompt()
    {
        _home.Register("g@g.us", "family");
        var a = await Store().StoreAsync("family", "3EB0", AttachmentKind.Voice, "audio/ogg", Bytes(12), 12, CancellationToken.None);
        var message = _home.Message("g@g.us", "listen") with { Attachment = a with { Transcript = "hello there" } };
        _home.Db.StoreMessage(message).ShouldNotBeNull();

        var stored = _home.Db.MessagesAfter("g@g.us", 0).Single().Message;
        stored.Attachment.ShouldBe(message.Attachment);
        CatchUpPrompt.Format([stored]).ShouldContain(
            "<attachment kind=\"voice\" path=\"/workspace/group/media/2026-12-07/3EB0.ogg\" size=\"12\" mime=\"audio/ogg\">listen"
            + "<transcript machine_made=\"true\">hello there</transcript></attachment>");
    }

    public void Dispose() => _home.Dispose();
}
