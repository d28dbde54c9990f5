using NanoClaw.Media;
using NanoClaw.Tests.Support;

namespace NanoClaw.Tests.Channels.WhatsApp;

/// <summary>
/// Photos, voice notes and files from WhatsApp through the host, against the scripted sidecar: a real download lands in the
/// group's folder; every hostile answer of the sidecar (a path outside its spool, a symlink, a lying size) is refused and the
/// message is still stored with a note.
/// </summary>
public class WhatsAppMediaTests
{
    const string Spool = "0123456789abcdef0123456789abcdef";
    static readonly byte[] Jpeg = [0xff, 0xd8, 0xff, 0xe0, 1, 2, 3, 4];

    static string MediaMessage(string id, string caption, string kind = "image", string mime = "image/jpeg", long? size = 8, string chat = WhatsAppRig.Group) =>
        WhatsAppRig.Line(new
        {
            type = "message",
            id,
            chat_jid = chat,
            sender_jid = "4915187654321@s.whatsapp.net",
            sender_name = "Bob",
            text = caption,
            timestamp = "2024-11-24T08:01:00.000Z",
            is_from_me = false,
            media = new { kind, mime, size },
        });

    static async Task<(WhatsAppRig Rig, NanoClaw.Storage.StoredMessage Stored)> ReceiveAsync(object download, string? message = null,
        Action<Dictionary<string, string?>>? configure = null)
    {
        var rig = new WhatsAppRig(new WhatsAppRig.Setup(Configure: configure, Downloads: new() { ["IMG1"] = download }), ScriptedRunner.Replying(_ => "ok"),
            ([WhatsAppRig.Connected(), message ?? MediaMessage("IMG1", "look"), WhatsAppRig.Message("AFTER", "and text after it")], "ack"));
        rig.Home.Register(WhatsAppRig.Group, "family", requiresTrigger: false);
        rig.Start();
        await Eventually.True(() => rig.Stored(WhatsAppRig.Group).Count >= 2, "both messages are stored");
        var stored = rig.Home.Db.MessagesAfter(WhatsAppRig.Group, 0).Select(m => m.Message).ToList();
        stored.Select(m => m.Id).Take(2).ShouldBe(["IMG1", "AFTER"], "stored in the order the sidecar reported them");
        return (rig, stored[0]);
    }

    [Fact]
    public async Task APhotoIsDownloadedIntoTheGroupsMediaBeforeItsMessageAndTheSpoolIsEmptiedAfter()
    {
        var (rig, m) = await ReceiveAsync(new { write = new { name = Spool, hex = Convert.ToHexString(Jpeg) }, ack = new { ok = true, file = Spool, size = 8 } });
        await using var _ = rig;

        m.Content.ShouldBe("look");
        m.Attachment.ShouldBe(new Attachment(AttachmentKind.Image, $"media/{DateTime.UtcNow:yyyy-MM-dd}/IMG1.jpg", "image/jpeg", 8));
        File.ReadAllBytes(Path.Combine(rig.Home.Config.GroupDir("family"), m.Attachment!.RelativePath!)).ShouldBe(Jpeg);
        Directory.GetFileSystemEntries(rig.Home.Config.WhatsAppMediaSpoolDir).ShouldBeEmpty();
        var download = rig.CommandsOf("download").Single().Command;
        download.GetProperty("max_bytes").GetInt64().ShouldBe(25L << 20);
        await Eventually.True(() => rig.Runner.Requests.Any(r => r.Prompt.Contains("<attachment kind=\"image\" path=\"/workspace/group/media/", StringComparison.Ordinal)),
            "the run's prompt carries the attachment");
    }

    [Theory]
    [InlineData("../../../../etc/passwd")]
    [InlineData("/etc/passwd")]
    [InlineData("0123456789ABCDEF0123456789ABCDEF")]
    [InlineData("0123456789abcdef0123456789abcdef/../x")]
    public async Task ASpoolNameThatIsAPathIsRefused(string file)
    {
        var (rig, m) = await ReceiveAsync(new { write = new { name = Spool, hex = "00" }, ack = new { ok = true, file, size = 1 } });
        await using var _ = rig;
        m.Attachment!.RelativePath.ShouldBeNull();
        m.Attachment.Note!.ShouldContain("not a spool name");
        Directory.Exists(Path.Combine(rig.Home.Config.GroupDir("family"), "media")).ShouldBeFalse();
    }

    [Fact]
    public async Task ASymlinkInTheSpoolIsNotFollowed()
    {
        var secret = Path.Combine(Path.GetTempPath(), "nanoclaw-secret-" + Guid.NewGuid().ToString("N"));
        File.WriteAllText(secret, "the host's secret");
        try
        {
            var (rig, m) = await ReceiveAsync(new { symlink = new { name = Spool, target = secret }, ack = new { ok = true, file = Spool, size = 17 } });
            await using var _ = rig;
            m.Attachment!.RelativePath.ShouldBeNull();
            m.Attachment.Note!.ShouldContain("is a Symlink, not a regular file");
        }
        finally { File.Delete(secret); }
    }

    [Theory]
    [InlineData(3L, "has 8 bytes, not the 3 it claimed")]
    [InlineData(-1L, "claimed a size of -1 bytes")]
    [InlineData(30_000_000L, "claimed a size of 30000000 bytes")]
    public async Task ASizeThatLiesOrIsOverTheCapIsRefused(long size, string reason)
    {
        var (rig, m) = await ReceiveAsync(new { write = new { name = Spool, hex = Convert.ToHexString(Jpeg) }, ack = new { ok = true, file = Spool, size } });
        await using var _ = rig;
        m.Attachment!.RelativePath.ShouldBeNull();
        m.Attachment.Note!.ShouldContain(reason);
    }

    [Fact]
    public async Task AFileDeclaredOverTheCapIsNotEvenRequestedAndTheMessageSaysSo()
    {
        var (rig, m) = await ReceiveAsync(new { ack = new { ok = true } }, MediaMessage("IMG1", "", kind: "video", mime: "video/mp4", size: 40L << 20));
        await using var _ = rig;
        rig.CommandsOf("download").ShouldBeEmpty();
        m.Attachment.ShouldBe(new Attachment(AttachmentKind.Video, null, "video/mp4", 40L << 20,
            "not downloaded: the file is 40 MB; the limit is 25 MB (MEDIA_MAX_MB)"));
        rig.Logs.Lines.ShouldContain(l => l.Contains("was not stored", StringComparison.Ordinal));
    }

    [Fact]
    public async Task TheSidecarsRefusalBecomesTheNote()
    {
        var (rig, m) = await ReceiveAsync(new { ack = new { ok = false, error = "too large: more than 26214400 bytes arrived (the limit)" } });
        await using var _ = rig;
        m.Attachment!.Note.ShouldBe("not downloaded: too large: more than 26214400 bytes arrived (the limit)");
    }

    [Fact]
    public async Task MediaOfAnUnregisteredChatIsNeverDownloaded()
    {
        await using var rig = new WhatsAppRig(new WhatsAppRig.Setup(Downloads: new() { ["X1"] = new { ack = new { ok = true } } }), ScriptedRunner.Replying(_ => "ok"),
            ([WhatsAppRig.Connected(), MediaMessage("X1", "hi", chat: "4915100000000@s.whatsapp.net"), WhatsAppRig.Message("DONE", "@Andy hi")], "ack"));
        rig.Home.Register(WhatsAppRig.Group, "family");
        rig.Start();
        await Eventually.True(() => rig.Stored(WhatsAppRig.Group).Count == 1, "the later message is stored");
        rig.CommandsOf("download").ShouldBeEmpty();
        rig.Stored("4915100000000@s.whatsapp.net").ShouldBeEmpty();
    }
}
