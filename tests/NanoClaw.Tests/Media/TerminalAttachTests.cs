using NanoClaw.Channels;
using NanoClaw.Cli;
using NanoClaw.Media;
using NanoClaw.Tests.Support;

namespace NanoClaw.Tests.Media;

/// <summary><c>/attach PATH [caption]</c> in <c>./nanoclaw chat</c>: the same storage path as a phone's photo.</summary>
public class TerminalAttachTests : IDisposable
{
    readonly TestHome _home = new(env => env["MEDIA_MAX_MB"] = "1");
    readonly string _files = Directory.CreateTempSubdirectory("nanoclaw-attach-").FullName;

    async Task<(string Errors, IReadOnlyList<NanoClaw.Storage.StoredMessage> Stored)> TypeAsync(string lines)
    {
        var main = ChatCommand.EnsureMainGroup(_home.Db, _home.Config, TimeProvider.System);
        TerminalChannel? terminal = null;
        await using var host = new AssistantHost(_home.Config, _home.Db, inbound => [terminal = new TerminalChannel(main.Jid, new StringWriter(), false, "Andy", TimeProvider.System, inbound: inbound)],
            ScriptedRunner.Replying(_ => "ok"), TimeProvider.System, _home.Logs);
        var errors = new StringWriter();
        await terminal!.ReadInputAsync(new StringReader(lines), CancellationToken.None, main.Folder, errors);
        return (errors.ToString(), [.. _home.Db.MessagesAfter(main.Jid, 0).Select(m => m.Message)]);
    }

    [Fact]
    public async Task AnAttachedPhotoIsCopiedIntoTheGroupsMediaAndTheCaptionIsTheMessage()
    {
        var photo = Path.Combine(_files, "holiday photo.PNG");
        byte[] bytes = [0x89, (byte)'P', (byte)'N', (byte)'G', 1, 2, 3];
        File.WriteAllBytes(photo, bytes);

        var (errors, stored) = await TypeAsync($"/attach \"{photo}\" what is this?\n");

        errors.ShouldBeEmpty();
        var m = stored.Single();
        m.Content.ShouldBe("what is this?");
        m.Attachment!.Kind.ShouldBe(AttachmentKind.Image);
        m.Attachment.Mime.ShouldBe("image/png");
        m.Attachment.RelativePath.ShouldBe($"media/{DateTime.UtcNow:yyyy-MM-dd}/{m.Id}.png");
        File.ReadAllBytes(Path.Combine(_home.Config.GroupDir("main"), m.Attachment.RelativePath!)).ShouldBe(bytes);
        File.Exists(photo).ShouldBeTrue(); // copied, not moved
    }

    [Fact]
    public async Task AVoiceFileArrivesWithTheNoteThatTranscriptionIsOffWhenThereIsNoModel()
    {
        var voice = Path.Combine(_files, "note.ogg");
        File.WriteAllBytes(voice, [1, 2, 3]);
        var (_, stored) = await TypeAsync($"/attach {voice}\n");
        var a = stored.Single().Attachment!;
        a.Kind.ShouldBe(AttachmentKind.Voice);
        a.Note.ShouldBe(InboundMedia.TranscriptionOff);
    }

    [Fact]
    public async Task AMissingOrTooBigFileIsExplainedAndNothingIsStored()
    {
        var big = Path.Combine(_files, "big.pdf");
        File.WriteAllBytes(big, new byte[(1 << 20) + 1]);

        var (errors, stored) = await TypeAsync($"/attach {Path.Combine(_files, "nope.jpg")}\n/attach {big} too big\n/attach {_files}\n/attach\n");

        stored.ShouldBeEmpty();
        errors.ShouldContain($"/attach: no file at {Path.Combine(_files, "nope.jpg")}");
        errors.ShouldContain($"/attach: {big} is 1048577 bytes; the limit is 1 MB (MEDIA_MAX_MB).");
        errors.ShouldContain($"/attach: no file at {_files} (a directory cannot be attached).");
        errors.ShouldContain("/attach: usage: /attach PATH [caption]");
        Directory.Exists(Path.Combine(_home.Config.GroupDir("main"), "media")).ShouldBeFalse();
    }

    public void Dispose()
    {
        _home.Dispose();
        Directory.Delete(_files, recursive: true);
    }
}
