using NanoClaw.Channels.Telegram;
using NanoClaw.Tests.Fakes;
using NanoClaw.Tests.Gateway;
using NanoClaw.Tests.Support;

namespace NanoClaw.Tests.Channels.Telegram;

/// <summary>
/// The whole host (loop, queue, outbox) with a real <see cref="TelegramChannel"/> talking HTTP to a
/// <see cref="FakeTelegramApi"/> on loopback. The home and the fake outlive a rig, so a second rig is a restart.
/// </summary>
sealed class TelegramRig : IAsyncDisposable
{
    public const string Token = "123456789:TEST-token-for-the-fake";
    public const long Group = -1001234567890;
    public static readonly string GroupJid = TelegramJid.For(Group);

    public CapturingLoggerProvider Logs { get; } = new();
    public TelegramChannel Channel { get; }
    public AssistantHost Host { get; }

    public TelegramRig(TestHome home, ScriptedRunner runner, TimeProvider? time = null)
    {
        var logs = Logs.CreateFactory();
        TelegramChannel? channel = null;
        Host = new AssistantHost(home.Config, home.Db, inbound => [channel = new TelegramChannel(home.Config, home.Db, logs, inbound,
            new TelegramTimings { PollTimeout = TimeSpan.FromSeconds(5), RetryDelays = [TimeSpan.FromMilliseconds(50)] }, time)],
            runner, time ?? TimeProvider.System, logs);
        Channel = channel!;
    }

    /// <summary>A home whose Telegram settings point at <paramref name="api"/>.</summary>
    public static TestHome Home(FakeTelegramApi api, string token = Token) => new(env =>
    {
        env["TELEGRAM_BOT_TOKEN"] = token;
        env["TELEGRAM_API_URL"] = api.BaseUrl.ToString();
    });

    public TelegramRig Start()
    {
        Host.Start();
        Channel.Start();
        return this;
    }

    public async ValueTask DisposeAsync()
    {
        await Host.DisposeAsync();
        await Channel.DisposeAsync();
    }
}
