using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using NanoClaw.Channels.WhatsApp;
using NanoClaw.Cli;
using NanoClaw.Tests.Support;
using NanoClaw.Tests.WhatsApp;

namespace NanoClaw.Tests.Cli;

public class AuthCommandTests
{
    static BridgeCommandLine ScriptedSidecar(TestHome home, params string[] events)
    {
        var script = Path.Combine(home.Dir, "script.json");
        File.WriteAllText(script, JsonSerializer.Serialize(new { lives = new[] { new { events, on_send = "ack" } } }));
        return new BridgeCommandLine("node", [Path.Combine(AppContext.BaseDirectory, "WhatsApp", "scripted-bridge.mjs"),
            "--auth-dir", home.Config.WhatsAppAuthDir, "--script", script, "--record", Path.Combine(home.Dir, "commands.jsonl")]);
    }

    [Fact]
    public async Task PrintsTheQrUntilThePhoneConfirmsThenExplainsHowToRegisterTheSelfChat()
    {
        using var home = new TestHome();
        var output = new StringWriter();
        var code = await AuthCommand.RunAsync(ScriptedSidecar(home, """{"type":"qr","qr":"2@QRTEXT"}""", WhatsAppRig.Connected()),
            null, output, NullLoggerFactory.Instance, TimeSpan.FromSeconds(20), CancellationToken.None);

        code.ShouldBe(0);
        output.ToString().ShouldContain("2@QRTEXT");
        output.ToString().ShouldContain($"groups register --jid {WhatsAppRig.Owner}");
    }

    [Fact]
    public async Task FailsWithTheReasonWhenWhatsAppRefusesTheLink()
    {
        using var home = new TestHome();
        var output = new StringWriter();
        var code = await AuthCommand.RunAsync(ScriptedSidecar(home, """{"type":"closed","reason":"forbidden","will_reconnect":false,"status_code":403}"""),
            null, output, NullLoggerFactory.Instance, TimeSpan.FromSeconds(20), CancellationToken.None);

        code.ShouldBe(1);
        output.ToString().ShouldContain("(forbidden)");
    }
}
