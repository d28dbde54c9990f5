using NanoClaw.Files;
using NanoClaw.Tests.Fakes;
using NanoClaw.Tests.Files;
using NanoClaw.Tests.Support;

namespace NanoClaw.Tests.Channels.Telegram;

/// <summary>Files from the assistant to Telegram: the real channel uploads the host's copy as multipart/form-data, which the
/// fake Bot API takes apart like the real one (a missing file part is its 400).</summary>
public class TelegramFileTests
{
    static async Task SendAsync(TelegramRig rig, TestHome home, string relative, byte[] bytes, string caption)
    {
        var path = Path.Combine(home.Config.GroupDir("family"), relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        await File.WriteAllBytesAsync(path, bytes);
        rig.Host.Files.Request(new FileRequest("run-1", "family", TelegramRig.GroupJid, relative.Split('/'), caption)).ShouldBeNull();
        rig.Host.Files.AfterSync("run-1", final: true).ShouldHaveSingleItem().ShouldContain("queued");
    }

    [Fact]
    public async Task AnImageIsUploadedWithSendPhotoAndItsCaption()
    {
        await using var api = await FakeTelegramApi.StartAsync(TelegramRig.Token);
        using var home = TelegramRig.Home(api);
        home.Register(TelegramRig.GroupJid, "family");
        await using var rig = new TelegramRig(home, ScriptedRunner.Replying(_ => "ok")).Start();
        await api.WaitUntilAsync(a => a.Calls.Any(c => c.Method == "getUpdates"), "polling started");

        await SendAsync(rig, home, "out/chart.png", FileSnifferTests.Png, "the chart");

        await api.WaitUntilAsync(a => a.Calls.Any(c => c.Method == "sendPhoto"), "the photo is sent");
        var call = api.Calls.Single(c => c.Method == "sendPhoto");
        call.Status.ShouldBe(200);
        call.ChatId.ShouldBe(TelegramRig.Group);
        call.Parameters["caption"]!.GetValue<string>().ShouldBe("the chart"); // a bot needs no prefix
        var upload = call.Uploads!["photo"];
        upload.Bytes.ShouldBe(FileSnifferTests.Png);
        upload.FileName.ShouldEndWith(".png");
        // The outbox deletes its copy once Telegram's answer is in, just after the fake recorded the call.
        await Eventually.True(() => Directory.GetFiles(rig.Host.Files.SpoolDir).Length == 0, "the spooled copy is deleted once sent");
    }

    [Fact]
    public async Task AnythingElseIsUploadedWithSendDocumentUnderTheHostsName()
    {
        await using var api = await FakeTelegramApi.StartAsync(TelegramRig.Token);
        using var home = TelegramRig.Home(api);
        home.Register(TelegramRig.GroupJid, "family");
        await using var rig = new TelegramRig(home, ScriptedRunner.Replying(_ => "ok")).Start();
        await api.WaitUntilAsync(a => a.Calls.Any(c => c.Method == "getUpdates"), "polling started");
        var pdf = "%PDF-1.7\n% a report\n"u8.ToArray();

        await SendAsync(rig, home, "Quarterly Report; rm -rf.pdf", pdf, "");

        await api.WaitUntilAsync(a => a.Calls.Any(c => c.Method == "sendDocument"), "the document is sent");
        var call = api.Calls.Single(c => c.Method == "sendDocument");
        call.Status.ShouldBe(200);
        call.Parameters["caption"].ShouldBeNull();
        var upload = call.Uploads!["document"];
        upload.Bytes.ShouldBe(pdf);
        upload.FileName.ShouldMatch(@"^file-\d{8}-\d{6}\.pdf$"); // the host's name, not the guest's
    }
}
