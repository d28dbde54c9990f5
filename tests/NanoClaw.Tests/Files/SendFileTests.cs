using System.Runtime.Versioning;
using Microsoft.Extensions.Logging;
using NanoClaw.Files;
using NanoClaw.Gateway;
using NanoClaw.Gateway.Tools;
using NanoClaw.Outbound;
using NanoClaw.Storage;
using NanoClaw.Tests.Gateway;

namespace NanoClaw.Tests.Files;

/// <summary>
/// <c>send_message</c> with an attachment, on the host's side of a run: the tool records it, the run's sync brings the
/// file, <see cref="OutboundFiles.AfterSync"/> spools it into the durable outbox, and the channel gets the spooled copy.
/// Real SQLite file, real folders; the identity is the caller's run, as the gateway takes it from the token.
/// </summary>
[SupportedOSPlatform("linux")]
public sealed class SendFileTests : IDisposable
{
    readonly AgentToolsHarness h = new();

    public void Dispose() => h.Dispose();

    string GroupFile(RegisteredGroup group, string relative, byte[] bytes)
    {
        var path = Path.Combine(h.Home.Config.GroupDir(group.Folder), relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    async Task<IReadOnlyList<(string Jid, string Text)>> DeliverAsync()
    {
        await h.Outbox.DeliverDueAsync(CancellationToken.None);
        return h.Channel.Sent;
    }

    [Fact]
    public async Task AFileInTheGroupFolderReachesTheChatAsAnImageWithItsCaptionAfterTheSync()
    {
        Ok(h.Tools.SendMessage(h.FamilyRun, "the chart", attachment: "/workspace/group/out/chart.png"));
        GroupFile(h.Family, "out/chart.png", FileSnifferTests.Png); // the turn's sync brings it home after the call

        h.Files.AfterSync(h.FamilyRun.RunId, final: false).ShouldHaveSingleItem().ShouldContain("queued");
        await DeliverAsync();

        var (jid, file, caption, bytes) = h.Channel.SentFiles.ShouldHaveSingleItem();
        jid.ShouldBe(h.Family.Jid);
        caption.ShouldBe("Andy: the chart");
        bytes.ShouldBe(FileSnifferTests.Png);
        file.Kind.ShouldBe(FileKind.Image);
        file.MimeType.ShouldBe("image/png");
        file.FileName.ShouldBe("image-20260310-080000.png"); // the host's name, not the guest's
        File.Exists(file.SpoolPath).ShouldBeFalse("the spooled copy is deleted once sent");
    }

    [Fact]
    public async Task AFileNamedPngThatIsNotAnImageGoesAsADocument()
    {
        GroupFile(h.Family, "evil.png", "#!/bin/sh\nrm -rf /\n"u8.ToArray());
        Ok(h.Tools.SendMessage(h.FamilyRun, null, attachment: "evil.png"));
        h.Files.AfterSync(h.FamilyRun.RunId, final: false);
        await DeliverAsync();
        var sent = h.Channel.SentFiles.ShouldHaveSingleItem();
        sent.File.Kind.ShouldBe(FileKind.Document);
        sent.File.FileName.ShouldEndWith(".txt");
        sent.Caption.ShouldBe("");
    }

    [Fact]
    public async Task TheSpooledCopyIsSentEvenIfTheGroupFileIsSwappedForASymlinkAfterwards()
    {
        var path = GroupFile(h.Family, "chart.png", FileSnifferTests.Png);
        Ok(h.Tools.SendMessage(h.FamilyRun, "chart", attachment: "chart.png"));
        h.Files.AfterSync(h.FamilyRun.RunId, final: false);
        // A later turn replaces the file by a link to a host secret before the outbox sends (a channel outage, say).
        File.Delete(path);
        File.CreateSymbolicLink(path, "/etc/passwd");

        await DeliverAsync();
        h.Channel.SentFiles.ShouldHaveSingleItem().Bytes.ShouldBe(FileSnifferTests.Png);
    }

    [Fact]
    public async Task AFileNotThereYetWaitsForTheNextSyncAndIsRefusedInTheChatWhenTheRunEnds()
    {
        Ok(h.Tools.SendMessage(h.FamilyRun, "report", attachment: "report.pdf"));
        h.Files.AfterSync(h.FamilyRun.RunId, final: false).ShouldBeEmpty();
        (await DeliverAsync()).ShouldBeEmpty();

        h.Files.AfterSync(h.FamilyRun.RunId, final: true).ShouldHaveSingleItem().ShouldContain("REFUSED");
        (await DeliverAsync()).ShouldBe([(h.Family.Jid, "Andy: report\n[file not sent: report.pdf does not exist in the group folder]")]);
        h.Channel.SentFiles.ShouldBeEmpty();
    }

    [Fact]
    public async Task AGroupCannotSendAnotherGroupsFileWhateverPathItNames()
    {
        GroupFile(h.Work, "salaries.pdf", "%PDF-1.7 work's secret"u8.ToArray());
        // The identity is family's (from its token); every spelling of work's file stays in family's folder or is refused.
        Error(h.Tools.SendMessage(h.FamilyRun, "x", attachment: "../work/salaries.pdf"), "'..' segment");
        Error(h.Tools.SendMessage(h.FamilyRun, "x", attachment: h.Home.Config.GroupDir("work") + "/salaries.pdf"), "must be a file in your group folder");
        Ok(h.Tools.SendMessage(h.FamilyRun, "x", attachment: "salaries.pdf"));
        h.Files.AfterSync(h.FamilyRun.RunId, final: true);

        (await DeliverAsync()).ShouldBe([(h.Family.Jid, "Andy: x\n[file not sent: salaries.pdf does not exist in the group folder]")]);
        h.Channel.SentFiles.ShouldBeEmpty();
    }

    [Fact]
    public async Task ASymlinkedFileIsRefusedInTheChatAndTheSecretIsNotSent()
    {
        Directory.CreateDirectory(h.Home.Config.GroupDir("family"));
        File.CreateSymbolicLink(Path.Combine(h.Home.Config.GroupDir("family"), "passwd.png"), "/etc/passwd");
        Ok(h.Tools.SendMessage(h.FamilyRun, "look", attachment: "passwd.png"));
        h.Files.AfterSync(h.FamilyRun.RunId, final: false).ShouldHaveSingleItem().ShouldContain("symlink");

        (await DeliverAsync()).ShouldBe([(h.Family.Jid, "Andy: look\n[file not sent: passwd.png is a symlink; only regular files are sent]")]);
        h.Channel.SentFiles.ShouldBeEmpty();
    }

    [Fact]
    public async Task AnEmptyFileIsRefused()
    {
        GroupFile(h.Family, "empty.txt", []);
        Ok(h.Tools.SendMessage(h.FamilyRun, null, attachment: "empty.txt"));
        h.Files.AfterSync(h.FamilyRun.RunId, final: false);
        (await DeliverAsync()).ShouldBe([(h.Family.Jid, "Andy: [file not sent: empty.txt is empty]")]);
    }

    [Fact]
    public async Task ALongCaptionIsRefusedAtOnceAndNothingIsQueued()
    {
        Error(h.Tools.SendMessage(h.FamilyRun, new string('a', AgentTools.MaxCaptionChars + 1), attachment: "chart.png"), "Send the long text as its own message");
        h.Files.AfterSync(h.FamilyRun.RunId, final: true).ShouldBeEmpty();
        (await DeliverAsync()).ShouldBeEmpty();
    }

    [Fact]
    public void ARunCannotQueueFilesWithoutEnd()
    {
        for (var i = 0; i < OutboundFiles.MaxPendingPerRun; i++) Ok(h.Tools.SendMessage(h.FamilyRun, null, attachment: $"f{i}.txt"));
        Error(h.Tools.SendMessage(h.FamilyRun, null, attachment: "one-more.txt"), "zip them into one");
    }

    [Fact]
    public async Task AQueuedFileSurvivesARestartAndIsSentFromTheSpool()
    {
        GroupFile(h.Family, "chart.png", FileSnifferTests.Png);
        Ok(h.Tools.SendMessage(h.FamilyRun, "chart", attachment: "chart.png"));
        h.Channel.IsConnected = false; // not sent before the "crash"
        h.Files.AfterSync(h.FamilyRun.RunId, final: false);
        await DeliverAsync();
        h.Channel.SentFiles.ShouldBeEmpty();

        // A new process, after the retry's backoff: the same SQLite file, a new outbox and channel.
        h.Time.Advance(TimeSpan.FromMinutes(1));
        var db = Database.Open(h.Home.Config.DatabasePath);
        var entry = db.DueOutbound(DateTimeOffset.MaxValue).ShouldHaveSingleItem();
        entry.File.ShouldNotBeNull().MimeType.ShouldBe("image/png");
        var channel = new NanoClaw.Tests.Support.RecordingChannel();
        var outbox = new Outbox(db, [channel], h.Home.Config, h.Time, h.Home.Logs.CreateLogger<Outbox>());
        (await outbox.DeliverDueAsync(CancellationToken.None)).ShouldBe(1);

        var sent = channel.SentFiles.ShouldHaveSingleItem();
        sent.Bytes.ShouldBe(FileSnifferTests.Png);
        sent.Caption.ShouldBe("Andy: chart");
        db.PendingOutboundCount().ShouldBe(0);
    }

    [Fact]
    public async Task AChannelWithoutFilesSaysSoInTheChat()
    {
        var textOnly = new TextOnlyChannel();
        var outbox = new Outbox(h.Home.Db, [textOnly], h.Home.Config, h.Time, h.Home.Logs.CreateLogger<Outbox>());
        var files = new OutboundFiles(outbox, h.Home.Config, h.Time, h.Home.Logs.CreateLogger<OutboundFiles>());
        GroupFile(h.Family, "chart.png", FileSnifferTests.Png);
        files.Request(new FileRequest("run-1", "family", h.Family.Jid, ["chart.png"], "the chart")).ShouldBeNull();
        files.AfterSync("run-1", final: false);
        await outbox.DeliverDueAsync(CancellationToken.None);
        textOnly.Sent.ShouldBe(["Andy: the chart\n[file not sent: the text-only channel cannot send files]"]);
    }

    sealed class TextOnlyChannel : NanoClaw.Channels.IChannel
    {
        public List<string> Sent { get; } = [];
        public string Name => "text-only";
        public bool Owns(string chatJid) => true;
        public bool IsConnected => true;
        public int MaxMessageLength => 4000;
        public bool PrefixesReplies => true;
        public Task<NanoClaw.Channels.SendResult> SendAsync(string chatJid, string text, CancellationToken cancellationToken)
        {
            Sent.Add(text);
            return NanoClaw.Channels.SendResult.SentTask;
        }
    }

    static void Ok(ToolResult result) => result.ShouldBeOfType<ToolResult.Ok>(result.Text);

    static void Error(ToolResult result, string contains)
    {
        result.ShouldBeOfType<ToolResult.Error>(result.Text);
        result.Text.ShouldContain(contains);
    }
}
