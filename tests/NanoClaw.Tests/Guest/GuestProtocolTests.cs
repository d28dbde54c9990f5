using System.Text;
using NanoClaw.Guest;

namespace NanoClaw.Tests.Guest;

public sealed class GuestProtocolTests
{
    static GuestFrame Parse(string line) => GuestProtocol.Parse(Encoding.UTF8.GetBytes(line));

    static readonly JobFrame Job = new("run-1", "family", IsMain: false, DateTimeOffset.Parse("2026-11-24T10:00:00Z"),
        new Dictionary<string, string> { ["ANTHROPIC_BASE_URL"] = "http://10.0.2.100", ["ANTHROPIC_API_KEY"] = "run-token" },
        Prompt: "<messages/>", SessionId: "3a662833-509a-4ea1-89e1-d4e55360d947", McpConfigJson: "{\"mcpServers\":{}}", AppendSystemPrompt: "Ünïcode ✓");

    [Fact]
    public void EveryFrameRoundTrips()
    {
        GuestFrame[] frames =
        [
            Job, Job with { Prompt = null }, new SpareFrame(new Dictionary<string, string> { ["ANTHROPIC_API_KEY"] = "t" }, "{}"), new SpareFrame(new Dictionary<string, string>(), null, "# Shared\nmemory"), new WorkspaceFrame(42), new MessageFrame("more"), new MessageFrame("a photo", 2048),
            new MessageFrame("later", UtcNow: DateTimeOffset.Parse("2026-12-07T16:40:00.123Z")), new CloseFrame(),
            new ReadyFrame(), new SessionFrame("s-1"), new OutputFrame("hi"), new ChangesFrame(0, ["group/a.txt"]),
            new IdleFrame(), new LogFrame(GuestLogLevel.Warn, "careful"), new DoneFrame(), new DoneFrame("claude exited with code 1"),
        ];
        foreach (var frame in frames)
        {
            var parsed = GuestProtocol.Parse(GuestProtocol.Serialize(frame));
            parsed.GetType().ShouldBe(frame.GetType());
            if (frame is SpareFrame spare)
            {
                var back = (SpareFrame)parsed;
                back.Env.ShouldBe(spare.Env);
                back.McpConfigJson.ShouldBe(spare.McpConfigJson);
            }
            else if (frame is JobFrame job)
            {
                var back = (JobFrame)parsed;
                back.Env.ShouldBe(job.Env);
                (back with { Env = job.Env }).ShouldBe(job);
            }
            else parsed.ShouldBe(frame);
        }
    }

    [Fact]
    public void TheWireFormatIsCamelCaseWithTheTypeFirstAndRawUtf8()
    {
        Encoding.UTF8.GetString(GuestProtocol.Serialize(new ChangesFrame(10, ["group/ä.txt"])))
            .ShouldBe("{\"type\":\"changes\",\"bytes\":10,\"deleted\":[\"group/ä.txt\"]}");
        Encoding.UTF8.GetString(GuestProtocol.Serialize(new LogFrame(GuestLogLevel.Info, "x")))
            .ShouldBe("{\"type\":\"log\",\"level\":\"info\",\"text\":\"x\"}");
        Encoding.UTF8.GetString(GuestProtocol.Serialize(new DoneFrame())).ShouldBe("{\"type\":\"done\"}");
        // A message without files says nothing of bytes; with files, how many follow.
        Encoding.UTF8.GetString(GuestProtocol.Serialize(new MessageFrame("hi"))).ShouldBe("{\"type\":\"message\",\"text\":\"hi\"}");
        Encoding.UTF8.GetString(GuestProtocol.Serialize(new MessageFrame("hi", 512))).ShouldBe("{\"type\":\"message\",\"text\":\"hi\",\"bytes\":512}");
        new MessageFrame("hi", 512).PayloadBytes.ShouldBe(512);
        // The host's clock when it was sent, when the host gives it.
        Encoding.UTF8.GetString(GuestProtocol.Serialize(new MessageFrame("hi", UtcNow: DateTimeOffset.Parse("2026-12-07T16:40:00Z"))))
            .ShouldBe("{\"type\":\"message\",\"text\":\"hi\",\"utcNow\":\"2026-12-07T16:40:00+00:00\"}");
    }

    [Fact]
    public void TheTypeMayComeAfterTheFields() =>
        Parse("{\"text\":\"hi\",\"type\":\"output\"}").ShouldBe(new OutputFrame("hi"));

    [Theory]
    [InlineData("{\"type\":\"explode\"}", "explode")]
    [InlineData("{\"text\":\"no type\"}", "malformed frame")]
    [InlineData("{\"type\":\"output\"}", "text")]
    [InlineData("{\"type\":\"output\",\"text\":null}", "text")]
    [InlineData("{\"type\":\"output\",\"text\":\"\"}", "'text' must not be empty")]
    [InlineData("{\"type\":\"job\",\"runId\":\"r\",\"groupFolder\":\"g\",\"isMain\":false,\"prompt\":\"\",\"utcNow\":\"2026-11-24T10:00:00Z\",\"env\":{}}", "'prompt' must not be empty")]
    [InlineData("{\"type\":\"output\",\"text\":\"a\",\"extra\":1}", "extra")]
    [InlineData("{\"type\":\"output\",\"text\":\"a\",\"text\":\"b\"}", "Duplicate")]
    [InlineData("{\"type\":\"changes\",\"bytes\":-1,\"deleted\":[]}", "negative")]
    [InlineData("{\"type\":\"message\",\"text\":\"a\",\"bytes\":-1}", "negative")]
    [InlineData("{\"type\":\"changes\",\"bytes\":1}", "deleted")]
    [InlineData("{\"type\":\"changes\",\"bytes\":\"1\",\"deleted\":[]}", "malformed frame")]
    [InlineData("{\"type\":\"changes\",\"bytes\":0,\"deleted\":[null]}", "strings only")]
    [InlineData("{\"type\":\"log\",\"level\":1,\"text\":\"x\"}", "malformed frame")]
    [InlineData("{\"type\":\"log\",\"level\":\"loud\",\"text\":\"x\"}", "malformed frame")]
    [InlineData("{\"type\":\"done\",\"error\":\"\"}", "'error'")]
    [InlineData("{\"type\":\"job\",\"runId\":\"r\",\"groupFolder\":\"g\",\"isMain\":false,\"prompt\":\"p\",\"utcNow\":\"2026-11-24T10:00:00Z\"}", "env")]
    [InlineData("{\"type\":\"job\",\"runId\":\"r\",\"groupFolder\":\"g\",\"isMain\":false,\"prompt\":\"p\",\"utcNow\":\"2026-11-24T10:00:00Z\",\"env\":{\"BAD-NAME\":\"x\"}}", "env name")]
    [InlineData("{\"type\":\"job\",\"runId\":\"r\",\"groupFolder\":\"g\",\"isMain\":false,\"prompt\":\"p\",\"utcNow\":\"2026-11-24T10:00:00Z\",\"env\":{},\"sessionId\":\"--dangerous\"}", "sessionId")]
    [InlineData("{\"type\":\"job\",\"runId\":\"r\",\"groupFolder\":\"g\",\"isMain\":false,\"prompt\":\"p\",\"utcNow\":\"2026-11-24T10:00:00Z\",\"env\":{},\"extraFolders\":[{\"disk\":0,\"name\":\"../etc\"}]}", "plain name")]
    [InlineData("{\"type\":\"job\",\"runId\":\"r\",\"groupFolder\":\"g\",\"isMain\":false,\"prompt\":\"p\",\"utcNow\":\"2026-11-24T10:00:00Z\",\"env\":{},\"extraFolders\":[{\"disk\":0,\"name\":\"a/b\"}]}", "plain name")]
    [InlineData("{\"type\":\"job\",\"runId\":\"r\",\"groupFolder\":\"g\",\"isMain\":false,\"prompt\":\"p\",\"utcNow\":\"2026-11-24T10:00:00Z\",\"env\":{},\"extraFolders\":[{\"disk\":5,\"name\":\"a\"}]}", "disk 5")]
    [InlineData("{\"type\":\"job\",\"runId\":\"r\",\"groupFolder\":\"g\",\"isMain\":false,\"prompt\":\"p\",\"utcNow\":\"2026-11-24T10:00:00Z\",\"env\":{},\"extraFolders\":[{\"disk\":0,\"name\":\"a\"},{\"disk\":1,\"name\":\"A\"}]}", "twice")]
    [InlineData("{\"type\":\"job\",\"runId\":\"r\",\"groupFolder\":\"g\",\"isMain\":false,\"prompt\":\"p\",\"utcNow\":\"2026-11-24T10:00:00Z\",\"env\":{},\"extraFolders\":[{\"disk\":0,\"name\":\"a\"},{\"disk\":0,\"name\":\"b\"}]}", "twice")]
    [InlineData("{\"type\":\"job\",\"runId\":\"r\",\"groupFolder\":\"g\",\"isMain\":false,\"prompt\":\"p\",\"utcNow\":\"2026-11-24T10:00:00Z\",\"env\":{},\"extraFolders\":[{\"disk\":0,\"name\":\"a\",\"rw\":true}]}", "rw")]
    [InlineData("{\"type\":\"job\",\"runId\":\"r\",\"groupFolder\":\"g\",\"isMain\":false,\"prompt\":\"p\",\"utcNow\":\"2026-11-24T10:00:00Z\",\"env\":{},\"extraFolders\":[{\"name\":\"a\"}]}", "disk")]
    [InlineData("{\"type\":\"job\",\"runId\":\"r\",\"groupFolder\":\"g\",\"isMain\":false,\"prompt\":\"p\",\"utcNow\":\"2026-11-24T10:00:00Z\",\"env\":{},\"extraFolders\":[null]}", "objects only")]
    [InlineData("{\"type\":\"spare\"}", "env")]
    [InlineData("{\"type\":\"spare\",\"env\":{\"BAD-NAME\":\"x\"}}", "env name")]
    [InlineData("{\"type\":\"spare\",\"env\":{},\"sessionId\":\"s\"}", "sessionId")]
    [InlineData("{\"type\":\"spare\",\"env\":{},\"mcpConfigJson\":\"a\\u0000b\"}", "NUL")]
    [InlineData("{\"type\":\"spare\",\"env\":{},\"globalMemory\":\"a\\u0000b\"}", "globalMemory")]
    [InlineData("[1,2]", "malformed frame")]
    [InlineData("null", "null")]
    [InlineData("{\"type\":\"output\",\"text\":\"a\"} trailing", "malformed frame")]
    [InlineData("{\"type\":\"output\",/*c*/\"text\":\"a\"}", "malformed frame")]
    public void StrictParsingRefusesWithAReason(string line, string reason) =>
        Should.Throw<GuestProtocolException>(() => Parse(line)).Message.ShouldContain(reason, Case.Insensitive);

    [Fact]
    public void ExtraFoldersRoundTripAndAreAbsentWhenNone()
    {
        var job = Job with { ExtraFolders = [new ExtraFolder(0, "vault"), new ExtraFolder(1, "My Papers")] };
        var back = (JobFrame)GuestProtocol.Parse(GuestProtocol.Serialize(job));
        back.ExtraFolders.ShouldBe([new ExtraFolder(0, "vault"), new ExtraFolder(1, "My Papers")]);
        Encoding.UTF8.GetString(GuestProtocol.Serialize(job)).ShouldContain("\"extraFolders\":[{\"disk\":0,\"name\":\"vault\"},");
        Encoding.UTF8.GetString(GuestProtocol.Serialize(Job)).ShouldNotContain("extraFolders");
    }

    [Theory]
    [InlineData("{\"disk\":0,\"name\":\"a\",\"serial\":\"\"}", "serial")]
    [InlineData("{\"disk\":0,\"name\":\"a\",\"serial\":\"123456789012345678901\"}", "serial")]
    [InlineData("{\"disk\":0,\"name\":\"a\",\"serial\":\"../vda\"}", "serial")]
    [InlineData("{\"disk\":0,\"name\":\"a\",\"serial\":\"extra1\"},{\"disk\":1,\"name\":\"b\"}", "appears twice")]
    public void ABadOrRepeatedDiskSerialIsRefused(string folders, string reason)
    {
        var valid = Encoding.UTF8.GetString(GuestProtocol.Serialize(Job with { ExtraFolders = [new ExtraFolder(0, "a")] }));
        var line = valid.Replace("\"extraFolders\":[{\"disk\":0,\"name\":\"a\"}]", "\"extraFolders\":[" + folders + "]", StringComparison.Ordinal);
        line.ShouldNotBe(valid);
        Should.Throw<GuestProtocolException>(() => Parse(line)).Message.ShouldContain(reason);
    }

    [Fact]
    public void AFirecrackerDiskSerialTravelsWithItsFolder()
    {
        var job = Job with { ExtraFolders = [new ExtraFolder(0, "vault", Serial: "6502405309469")] };
        var back = (JobFrame)GuestProtocol.Parse(GuestProtocol.Serialize(job));
        back.ExtraFolders![0].ExpectedSerial.ShouldBe("6502405309469");
        new ExtraFolder(1, "papers").ExpectedSerial.ShouldBe("extra1");
    }

    [Fact]
    public void AWritableExtraFolderSaysSoAndAReadOnlyOneStaysTwoFields()
    {
        var job = Job with { ExtraFolders = [new ExtraFolder(0, "papers"), new ExtraFolder(1, "vault", Writable: true)] };
        var line = Encoding.UTF8.GetString(GuestProtocol.Serialize(job));
        line.ShouldContain("\"extraFolders\":[{\"disk\":0,\"name\":\"papers\"},{\"disk\":1,\"name\":\"vault\",\"writable\":true}]");
        ((JobFrame)GuestProtocol.Parse(Encoding.UTF8.GetBytes(line))).ExtraFolders![1].Writable.ShouldBeTrue();
        Should.Throw<GuestProtocolException>(() => Parse(line.Replace("\"writable\":true", "\"writable\":\"yes\"", StringComparison.Ordinal)));
    }

    [Fact]
    public void InvalidUtf8IsRefused() =>
        Should.Throw<GuestProtocolException>(() => GuestProtocol.Parse([.. "{\"type\":\"output\",\"text\":\""u8, 0xff, 0xfe, .. "\"}"u8]));

    [Fact]
    public void SendingAnInvalidOrOversizedFrameIsRefused()
    {
        Should.Throw<GuestProtocolException>(() => GuestProtocol.Serialize(new OutputFrame(""))).Message.ShouldContain("empty");
        Should.Throw<GuestProtocolException>(() => GuestProtocol.Serialize(new OutputFrame(new string('x', GuestProtocol.MaxLineBytes))))
            .Message.ShouldContain("limit");
    }
}
