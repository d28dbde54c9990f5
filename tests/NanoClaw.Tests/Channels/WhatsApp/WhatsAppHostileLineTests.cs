using System.Text.Json;
using NanoClaw.Channels.WhatsApp;
using NanoClaw.Tests.Support;

namespace NanoClaw.Tests.Channels.WhatsApp;

/// <summary>
/// Whatever a WhatsApp sender can make the sidecar print, one line must never stop the channel: each hostile line
/// is logged and skipped, and the next ordinary message is still delivered and answered, by the same sidecar life.
/// </summary>
public class WhatsAppHostileLineTests
{
    const string Header = """{"type":"message","id":"BAD","chat_jid":"120363025246125888@g.us","sender_jid":"b@s.whatsapp.net","sender_name":"Bob",""";
    const string Tail = ",\"timestamp\":\"2024-11-24T08:01:00.000Z\",\"is_from_me\":false}";

    /// <summary>A message line whose <c>text</c> is <paramref name="textJson"/>, written as raw JSON.</summary>
    static string WithText(string textJson) => Header + "\"text\":" + textJson + Tail;

    static string Hex(string s) => Convert.ToHexString(System.Text.Encoding.UTF8.GetBytes(s));

    public static TheoryData<string, string> HostileLines => new()
    {
        // A lone surrogate escape is valid JSON but not a string .NET can hold: GetString() throws.
        { "lone surrogate", WithText("\"@Andy \\ud800\"") },
        { "lone low surrogate in a name", Header.Replace("\"Bob\"", "\"\\udfff\"", StringComparison.Ordinal) + "\"text\":\"hi\"" + Tail },
        // Bytes that are not UTF-8 (a lone continuation byte, an overlong encoding, a truncated sequence).
        { "invalid UTF-8", "@hex " + Hex(Header + "\"text\":\"") + "80C0AFE2" + Hex("\"" + Tail) },
        { "deep nesting", new string('[', 100_000) + new string(']', 100_000) },
        { "deep nesting inside an event", WithText(new string('[', 10_000) + new string(']', 10_000)) },
        { "wrong types", """{"type":"message","id":7,"chat_jid":["x"],"sender_jid":null,"sender_name":{},"text":true,"timestamp":1,"is_from_me":"yes"}""" },
        { "type not a string", """{"type":{"type":"message"}}""" },
        { "huge number", """{"type":"closed","reason":"x","will_reconnect":true,"status_code":1e400}""" },
        { "NUL and control characters", "{\"type\":\"qr\",\"qr\":\"\0\u0001\"}" },
        { "a bare string", "\"\\ud800\"" },
        { "timestamp out of range", Header + "\"text\":\"hi\",\"timestamp\":\"99999-01-01T00:00:00Z\",\"is_from_me\":false}" },
    };

    [Theory]
    [MemberData(nameof(HostileLines))]
    public async Task AHostileLineIsSkippedAndTheNextMessageIsStillDelivered(string what, string line)
    {
        await using var rig = new WhatsAppRig(ScriptedRunner.Replying(_ => "still here"), ([
            WhatsAppRig.Connected(),
            line,
            WhatsAppRig.Message("GOOD", "@Andy still there?"),
        ], "ack"));
        rig.Home.Register(WhatsAppRig.Group, "family");
        rig.Start();

        await Eventually.True(() => rig.Sends().Count == 1, $"the message after the {what} line is answered");
        rig.Stored(WhatsAppRig.Group).ShouldContain(m => m.Id == "GOOD");
        rig.Commands().ShouldAllBe(c => c.Life == 0, "one sidecar life: the line did not cost a restart");
        rig.Channel.IsConnected.ShouldBeTrue();
        rig.Channel.Stopped.IsCompleted.ShouldBeFalse("the supervisor is still running");
    }

    [Fact]
    public async Task ALineLongerThanTheLimitIsSkippedWithoutBeingHeldAndTheNextMessageIsDelivered()
    {
        await using var rig = new WhatsAppRig(new WhatsAppRig.Setup(MaxLineChars: 64 * 1024), ScriptedRunner.Replying(_ => "ok"), ([
            WhatsAppRig.Connected(),
            WhatsAppRig.Message("HUGE", "@Andy " + new string('x', 1024 * 1024)),
            WhatsAppRig.Message("GOOD", "@Andy still there?"),
        ], "ack"));
        rig.Home.Register(WhatsAppRig.Group, "family");
        rig.Start();

        await Eventually.True(() => rig.Sends().Count == 1, "the message after the huge line is answered");
        rig.Stored(WhatsAppRig.Group).Select(m => m.Id).ShouldNotContain("HUGE");
        rig.Logs.Lines.ShouldContain(l => l.Contains("longer than 65536 chars", StringComparison.Ordinal));
    }

    [Fact]
    public async Task TheSidecarGetsAScrubbedEnvironmentWithoutKeysOrTokens()
    {
        // Variables of this test's own: nothing else reads them, so setting them process-wide is harmless.
        Environment.SetEnvironmentVariable("ANTHROPIC_SIDECAR_CANARY", "sk-ant-canary");
        Environment.SetEnvironmentVariable("SIDECAR_CANARY_BOT_TOKEN", "123:canary");
        Environment.SetEnvironmentVariable("NODE_SIDECAR_CANARY", "kept");
        await using var rig = new WhatsAppRig(ScriptedRunner.Replying(_ => "ok"), ([WhatsAppRig.Connected()], "ack"));
        rig.Start();

        var dump = Path.Combine(rig.Home.Config.WhatsAppAuthDir, "env.json");
        await Eventually.True(() => File.Exists(dump) && rig.Channel.IsConnected, "the sidecar started and wrote its environment");
        var env = JsonSerializer.Deserialize<Dictionary<string, string>>(File.ReadAllText(dump))!;
        env.Keys.ShouldNotContain("ANTHROPIC_SIDECAR_CANARY");
        env.Keys.ShouldNotContain("SIDECAR_CANARY_BOT_TOKEN");
        env.Keys.ShouldAllBe(k => !k.StartsWith("ANTHROPIC", StringComparison.Ordinal) && !k.Contains("TOKEN", StringComparison.Ordinal));
        env["NODE_SIDECAR_CANARY"].ShouldBe("kept");
        env.ShouldContainKey("PATH");
    }
}
