using NanoClaw.Channels.Telegram;
using NanoClaw.Storage;
using NanoClaw.Tests.Fakes;
using NanoClaw.Tests.Support;

namespace NanoClaw.Tests.EndToEnd;

/// <summary>
/// Telegram as a user runs it: <c>./nanoclaw run</c> with TELEGRAM_BOT_TOKEN polls a fake Bot API (Telegram's servers
/// cannot be reached here) over real HTTP; a message in a registered group goes through the store, the loop, a fresh
/// microVM with the real Claude Code (against the fake Messages API), and the reply arrives at the fake's sendMessage.
/// </summary>
[Collection(VmCollection.Name)]
public sealed class TelegramEndToEndTests(VmTestEnvironment vm) : IAsyncLifetime
{
    const string RealKey = "sk-ant-api03-REAL-SECRET-must-never-enter-a-vm-0123456789";
    const string Token = "123456789:TEST-token-for-the-fake";
    const long Group = -1001234567890;
    static readonly TimeSpan RunTimeout = TimeSpan.FromMinutes(6);

    readonly string _home = Directory.CreateTempSubdirectory("nanoclaw-e2e-").FullName;
    FakeMessagesApi _claude = null!;
    FakeTelegramApi _telegram = null!;

    public async Task InitializeAsync()
    {
        _claude = await FakeMessagesApi.StartAsync(requiredApiKey: RealKey);
        _telegram = await FakeTelegramApi.StartAsync(Token);
    }

    public async Task DisposeAsync()
    {
        await _telegram.DisposeAsync();
        await _claude.DisposeAsync();
        if (Environment.GetEnvironmentVariable("KEEP_E2E_HOME") != "1")
            try { Directory.Delete(_home, recursive: true); } catch (IOException) { }
    }

    [Fact]
    public async Task AMessageInARegisteredTelegramGroupIsAnsweredByClaudeCodeInAMicroVm()
    {
        var db = Database.Open(Path.Combine(_home, "store", "messages.db"));
        db.RegisterGroup(new RegisteredGroup(TelegramJid.For(Group), "Family", "family", "@Andy", DateTimeOffset.UtcNow, true, false))
            .ShouldBeOfType<RegisterResult.Registered>();
        _claude.Script(req => FakeReply.Text(req.Mentions("@Andy what's for dinner?") ? "Pasta, from inside the VM." : "I did not get the question."));
        _telegram.QueueMessage(Group, "Family", "we should eat soon");
        _telegram.QueueMessage(Group, "Family", $"@{FakeTelegramApi.BotUsername} what's for dinner?");

        var result = await NanoclawProcess.RunAsync(vm.RepoRoot, new Dictionary<string, string>
        {
            ["NANOCLAW_HOME"] = _home,
            ["ANTHROPIC_API_KEY"] = RealKey,
            ["ANTHROPIC_BASE_URL"] = _claude.BaseUrl.ToString().TrimEnd('/'),
            ["TELEGRAM_BOT_TOKEN"] = Token,
            ["TELEGRAM_API_URL"] = _telegram.BaseUrl.ToString(),
            ["NANOCLAW_CACHE"] = vm.Config.CacheDir,
            ["VM_MEMORY_MB"] = "2048",
            ["WARM_POOL_SIZE"] = "0",
            ["LOG_LEVEL"] = Environment.GetEnvironmentVariable("E2E_LOG_LEVEL") ?? "Information",
        }, "", until: ct => _telegram.WaitUntilAsync(t => t.SentTo(Group).Count > 0, "the reply reaches sendMessage", RunTimeout), RunTimeout, "run");

        result.ExitCode.ShouldBe(0, result.ToString());
        result.Stderr.ShouldContain("Stopping: runs get");
        _telegram.SentTo(Group).ShouldBe(["Pasta, from inside the VM."], result.ToString());
        _telegram.ChatActions(Group).ShouldBeGreaterThan(0);
        _claude.Requests.First(r => r.Path == "/v1/messages").Mentions("we should eat soon").ShouldBeTrue(); // the chatter is context
        result.Stderr.ShouldContain($"Telegram connected as @{FakeTelegramApi.BotUsername}");
        _claude.Requests.Where(r => r.Path == "/v1/messages").ShouldAllBe(r => r.Header("x-api-key") == RealKey);
    }
}
