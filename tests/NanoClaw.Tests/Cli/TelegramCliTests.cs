using NanoClaw.Cli;
using NanoClaw.Tests.Channels.Telegram;
using NanoClaw.Tests.Fakes;
using NanoClaw.Tests.Support;

namespace NanoClaw.Tests.Cli;

/// <summary><c>auth telegram</c> and doctor's channel checks, against the fake Bot API on loopback.</summary>
public class TelegramCliTests
{
    [Fact]
    public async Task AuthTelegramNamesTheBotAndSaysHowToRegisterAChat()
    {
        await using var api = await FakeTelegramApi.StartAsync(TelegramRig.Token);
        using var home = TelegramRig.Home(api);
        var output = new StringWriter();

        (await TelegramAuthCommand.RunAsync(home.Config, output, default)).ShouldBe(0, output.ToString());

        output.ToString().ShouldContain($"the bot is @{FakeTelegramApi.BotUsername}");
        output.ToString().ShouldContain("./nanoclaw groups chats");
        output.ToString().ShouldContain("./nanoclaw groups register --jid tg:");
        api.Calls.Single().Method.ShouldBe("getMe");
    }

    [Fact]
    public async Task AuthTelegramWithARefusedTokenSaysWhereToGetANewOne()
    {
        await using var api = await FakeTelegramApi.StartAsync(TelegramRig.Token);
        using var home = TelegramRig.Home(api, token: "123456789:WRONG");
        var output = new StringWriter();

        (await TelegramAuthCommand.RunAsync(home.Config, output, default)).ShouldBe(1);

        output.ToString().ShouldContain("401");
        output.ToString().ShouldContain("@BotFather");
    }

    [Fact]
    public async Task AuthTelegramWithoutATokenSaysHowToMakeABot()
    {
        using var home = new TestHome();
        var output = new StringWriter();

        (await TelegramAuthCommand.RunAsync(home.Config, output, default)).ShouldBe(1);

        output.ToString().ShouldContain("/newbot");
        output.ToString().ShouldContain("TELEGRAM_BOT_TOKEN=");
    }

    [Fact]
    public async Task DoctorReportsEachChannelsState()
    {
        await using var api = await FakeTelegramApi.StartAsync(TelegramRig.Token);
        using var valid = TelegramRig.Home(api);
        using var invalid = TelegramRig.Home(api, token: "123456789:WRONG");
        using var unreachable = new TestHome(env => { env["TELEGRAM_BOT_TOKEN"] = TelegramRig.Token; env["TELEGRAM_API_URL"] = "http://127.0.0.1:9"; });
        using var none = new TestHome();
        var timeout = TimeSpan.FromSeconds(10);

        DoctorCommand.TelegramCheck(valid.Config, timeout).ShouldSatisfyAllConditions(c => c.Ok.ShouldBeTrue(), c => c.Detail.ShouldContain("token valid"));
        DoctorCommand.TelegramCheck(invalid.Config, timeout).ShouldSatisfyAllConditions(c => c.Ok.ShouldBeFalse(), c => c.Detail.ShouldContain("token invalid"),
            c => c.Fix!.ShouldContain("@BotFather"));
        DoctorCommand.TelegramCheck(unreachable.Config, timeout).ShouldSatisfyAllConditions(c => c.Ok.ShouldBeFalse(), c => c.Detail.ShouldContain("unreachable"));
        DoctorCommand.TelegramCheck(none.Config, timeout).ShouldSatisfyAllConditions(c => c.Ok.ShouldBeTrue(), c => c.Detail.ShouldContain("not configured"));
        DoctorCommand.WhatsAppCheck(none.Config).Detail.ShouldContain("not linked");
        Directory.CreateDirectory(none.Config.WhatsAppAuthDir);
        DoctorCommand.WhatsAppCheck(none.Config).Detail.ShouldContain("linked (");
    }
}
