using System.Runtime.Versioning;
using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using NanoClaw.Channels.WhatsApp;
using NanoClaw.Cli;
using NanoClaw.Tests.Channels.WhatsApp;
using NanoClaw.Tests.Support;

namespace NanoClaw.Tests.Cli;

[SupportedOSPlatform("linux")]
public class AuthCommandTests
{
    static BridgeCommandLine ScriptedSidecar(TestHome home, params string[] events) => ScriptedSidecar(home, events, []);

    /// <summary><paramref name="afterPair"/>: what the stand-in plays after answering a <c>pair</c> command.</summary>
    static BridgeCommandLine ScriptedSidecar(TestHome home, string[] events, string[] afterPair)
    {
        var script = Path.Combine(home.Dir, "script.json");
        File.WriteAllText(script, JsonSerializer.Serialize(new { lives = new[] { new { events, on_send = "ack", after_pair = afterPair } } }));
        return new BridgeCommandLine("node", [Path.Combine(AppContext.BaseDirectory, "Channels", "WhatsApp", "scripted-bridge.mjs"),
            "--auth-dir", home.Config.WhatsAppAuthDir, "--script", script, "--record", Path.Combine(home.Dir, "commands.jsonl")]);
    }

    [Fact]
    public async Task PrintsTheQrUntilThePhoneConfirmsThenExplainsHowToRegisterTheSelfChat()
    {
        using var home = new TestHome();
        var output = new StringWriter();
        var code = await AuthCommand.RunAsync(ScriptedSidecar(home, """{"type":"qr","qr":"2@QRTEXT"}""", WhatsAppRig.Connected()),
            home.Config.WhatsAppAuthDir, null, output, NullLoggerFactory.Instance, TimeSpan.FromSeconds(20), CancellationToken.None);

        code.ShouldBe(0);
        output.ToString().ShouldContain(QrText.Render("2@QRTEXT")); // drawn, not the raw text
        output.ToString().ShouldContain("Scan this QR with WhatsApp on your phone");
        output.ToString().ShouldContain($"WhatsApp is linked as {WhatsAppRig.Owner}");
        output.ToString().ShouldContain($"groups register --jid {WhatsAppRig.Owner}");
    }

    [Fact]
    public async Task FailsWithTheReasonWhenWhatsAppRefusesTheLink()
    {
        using var home = new TestHome();
        var output = new StringWriter();
        var code = await AuthCommand.RunAsync(ScriptedSidecar(home, """{"type":"closed","reason":"forbidden","will_reconnect":false,"status_code":403}"""),
            home.Config.WhatsAppAuthDir, null, output, NullLoggerFactory.Instance, TimeSpan.FromSeconds(20), CancellationToken.None);

        code.ShouldBe(1);
        output.ToString().ShouldContain("(forbidden)");
    }

    static string[] Recorded(TestHome home, string type)
    {
        var path = Path.Combine(home.Dir, "commands.jsonl");
        return !File.Exists(path) ? [] : [.. File.ReadAllLines(path)
            .Select(l => JsonDocument.Parse(l).RootElement.GetProperty("line").GetString()!)
            .Where(l => JsonDocument.Parse(l).RootElement.GetProperty("type").GetString() == type)];
    }

    [Fact]
    public async Task TheCredentialsAreOwnerOnlyOnceLinked()
    {
        using var home = new TestHome();
        // The stand-in creates the folder and a file with the default umask (0755/0644), unlike the real sidecar.
        var code = await AuthCommand.RunAsync(ScriptedSidecar(home, """{"type":"qr","qr":"2@QRTEXT"}""", WhatsAppRig.Connected()),
            home.Config.WhatsAppAuthDir, null, new StringWriter(), NullLoggerFactory.Instance, TimeSpan.FromSeconds(20), CancellationToken.None);

        code.ShouldBe(0);
        File.GetUnixFileMode(home.Config.WhatsAppAuthDir).ShouldBe(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var files = Directory.GetFiles(home.Config.WhatsAppAuthDir);
        files.ShouldNotBeEmpty();
        files.ShouldAllBe(f => File.GetUnixFileMode(f) == (UnixFileMode.UserRead | UnixFileMode.UserWrite));
    }

    [Fact]
    public async Task WithAPhoneNumberItAsksForAPairingCodeAndShowsIt()
    {
        using var home = new TestHome();
        var output = new StringWriter();
        var code = await AuthCommand.RunAsync(ScriptedSidecar(home, ["""{"type":"qr","qr":"2@QRTEXT"}"""], [WhatsAppRig.Connected()]),
            home.Config.WhatsAppAuthDir, "+49 151 23456789", output, NullLoggerFactory.Instance, TimeSpan.FromSeconds(20), CancellationToken.None);

        code.ShouldBe(0);
        var text = output.ToString();
        text.ShouldContain("Link with phone number instead, and enter: ABCD1234");
        text.ShouldNotContain("Scan this QR"); // no QR when pairing by code
        text.ShouldContain($"WhatsApp is linked as {WhatsAppRig.Owner}");
        JsonDocument.Parse(Recorded(home, "pair").Single()).RootElement.GetProperty("phone").GetString().ShouldBe("+49 151 23456789");
    }

    [Theory]
    [InlineData("logged_out", 401, "Pair again with ./nanoclaw auth")]
    [InlineData("replaced", 440, "Is ./nanoclaw run or another ./nanoclaw auth still running? Stop it")]
    public async Task AFinalCloseSaysWhatToDo(string reason, int status, string advice)
    {
        using var home = new TestHome();
        var output = new StringWriter();
        var code = await AuthCommand.RunAsync(
            ScriptedSidecar(home, $$"""{"type":"closed","reason":"{{reason}}","will_reconnect":false,"status_code":{{status}}}"""),
            home.Config.WhatsAppAuthDir, null, output, NullLoggerFactory.Instance, TimeSpan.FromSeconds(20), CancellationToken.None);

        code.ShouldBe(1);
        output.ToString().ShouldContain($"({reason})");
        output.ToString().ShouldContain(advice);
    }

    [Fact]
    public async Task LogoutUnlinksThenDeletesTheCredentialsAndSaysSo()
    {
        using var home = new TestHome();
        Directory.CreateDirectory(home.Config.WhatsAppAuthDir);
        File.WriteAllText(Path.Combine(home.Config.WhatsAppAuthDir, "creds.json"), "{}");
        var output = new StringWriter();
        var code = await AuthCommand.LogoutAsync(ScriptedSidecar(home, WhatsAppRig.Connected()), home.Config.WhatsAppAuthDir, output,
            NullLoggerFactory.Instance, TimeSpan.FromSeconds(20), CancellationToken.None);

        code.ShouldBe(0);
        Recorded(home, "logout").Length.ShouldBe(1);
        Directory.Exists(home.Config.WhatsAppAuthDir).ShouldBeFalse();
        output.ToString().ShouldContain($"WhatsApp is unlinked: this device is gone from the phone's Linked devices and {home.Config.WhatsAppAuthDir} is deleted.");
    }

    [Fact]
    public async Task LogoutOfADeviceThePhoneAlreadyDroppedOnlyDeletesTheCredentials()
    {
        using var home = new TestHome();
        Directory.CreateDirectory(home.Config.WhatsAppAuthDir);
        var output = new StringWriter();
        var code = await AuthCommand.LogoutAsync(ScriptedSidecar(home, """{"type":"qr","qr":"2@QRTEXT"}"""), home.Config.WhatsAppAuthDir, output,
            NullLoggerFactory.Instance, TimeSpan.FromSeconds(20), CancellationToken.None);

        code.ShouldBe(0);
        Recorded(home, "logout").ShouldBeEmpty(); // nothing to log out of: the sidecar asked for a new link
        Directory.Exists(home.Config.WhatsAppAuthDir).ShouldBeFalse();
        output.ToString().ShouldContain("WhatsApp is unlinked");
    }

    [Fact]
    public async Task LogoutWhenAnotherSessionHoldsTheLinkDeletesNothing()
    {
        using var home = new TestHome();
        Directory.CreateDirectory(home.Config.WhatsAppAuthDir);
        var output = new StringWriter();
        var code = await AuthCommand.LogoutAsync(
            ScriptedSidecar(home, """{"type":"closed","reason":"replaced","will_reconnect":false,"status_code":440}"""),
            home.Config.WhatsAppAuthDir, output, NullLoggerFactory.Instance, TimeSpan.FromSeconds(20), CancellationToken.None);

        code.ShouldBe(1);
        Directory.Exists(home.Config.WhatsAppAuthDir).ShouldBeTrue();
        output.ToString().ShouldContain("Not unlinked; nothing was deleted.");
        output.ToString().ShouldContain("Stop it, then try again");
    }

    [Fact]
    public async Task LogoutWithoutALinkHasNothingToDo()
    {
        using var home = new TestHome();
        var output = new StringWriter();
        var code = await AuthCommand.LogoutAsync(ScriptedSidecar(home, WhatsAppRig.Connected()), home.Config.WhatsAppAuthDir, output,
            NullLoggerFactory.Instance, TimeSpan.FromSeconds(20), CancellationToken.None);

        code.ShouldBe(0);
        output.ToString().ShouldContain("nothing to unlink");
        Recorded(home, "logout").ShouldBeEmpty();
    }
}
