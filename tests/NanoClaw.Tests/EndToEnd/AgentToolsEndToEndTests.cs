using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using NanoClaw.Gateway;
using NanoClaw.Gateway.Tools;
using NanoClaw.Runs;
using NanoClaw.Storage;
using NanoClaw.Tests.Fakes;
using NanoClaw.Tests.Support;

namespace NanoClaw.Tests.EndToEnd;

/// <summary>
/// The agent tools as the real Claude Code in a microVM uses them: the fake model calls <c>mcp__nanoclaw__*</c> (loading
/// them through ToolSearch, as the CLI defers MCP tools), the call goes through the gateway's <c>/mcp</c> with the run's
/// token, and the host acts for the group that token belongs to.
/// </summary>
[Collection(VmCollection.Name)]
public sealed class AgentToolsEndToEndTests(VmTestEnvironment vm) : IAsyncLifetime
{
    const string RealKey = "sk-ant-api03-REAL-SECRET-must-never-enter-a-vm-0123456789";
    static readonly TimeSpan RunTimeout = TimeSpan.FromMinutes(4);

    readonly string _home = Directory.CreateTempSubdirectory("nanoclaw-e2e-tools-").FullName;
    FakeMessagesApi _fake = null!;

    public async Task InitializeAsync() => _fake = await FakeMessagesApi.StartAsync(requiredApiKey: RealKey);

    public async Task DisposeAsync()
    {
        await _fake.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        if (Environment.GetEnvironmentVariable("KEEP_E2E_HOME") != "1")
            try { Directory.Delete(_home, recursive: true); } catch (IOException) { }
    }

    [Fact]
    public async Task FromMainChatSendMessageArrivesBeforeTheReplyAndRegisterGroupRegistersAChat()
    {
        var send = _fake.ScriptToolCall("mcp__nanoclaw__send_message", new { text = "Working on it" });
        var register = _fake.ScriptToolCall("mcp__nanoclaw__register_group", new { jid = "family@g.us", name = "Family", folder = "family" },
            thenReply: "Registered the family chat.");

        var result = await NanoclawProcess.RunAsync(vm.RepoRoot, new Dictionary<string, string>
        {
            ["NANOCLAW_HOME"] = _home,
            ["ANTHROPIC_API_KEY"] = RealKey,
            ["ANTHROPIC_BASE_URL"] = _fake.BaseUrl.ToString().TrimEnd('/'),
            ["NANOCLAW_CACHE"] = vm.Config.CacheDir,
            ["VM_MEMORY_MB"] = "2048",
            ["LOG_LEVEL"] = Environment.GetEnvironmentVariable("E2E_LOG_LEVEL") ?? "Information",
        }, "@Andy join the family chat as Family\n", RunTimeout, "chat");

        result.ExitCode.ShouldBe(0, result.ToString());
        (await send.WaitForResultAsync()).IsError.ShouldBeFalse(result.ToString());
        send.UsedToolSearch.ShouldBeTrue(); // the CLI deferred the MCP tool, as in real use
        var registered = await register.WaitForResultAsync();
        registered.IsError.ShouldBeFalse(registered.Content);
        // The tool's message is on the terminal before the run's final reply.
        result.Stdout.ShouldBe("Andy: Working on it\nAndy: Registered the family chat.\n", result.ToString());
        var group = Database.Open(Path.Combine(_home, "store", "messages.db")).GroupByJid("family@g.us").ShouldNotBeNull();
        (group.Name, group.Folder, group.IsMain, group.RequiresTrigger).ShouldBe(("Family", "family", false, true));
        Directory.Exists(Path.Combine(_home, "groups", "family")).ShouldBeTrue();
    }

    [Fact]
    public async Task ANonMainGroupCannotActOnMainAndItsOwnMessageIsDeliveredWhileTheRunGoesOn()
    {
        // An in-process assistant with a recording channel: `chat` is always the main chat, this run is a group's.
        var config = InProcessConfig();
        var logs = NullLoggerFactory.Instance;
        var db = Database.Open(config.DatabasePath);
        var main = new RegisteredGroup("main@s.whatsapp.net", "Main", "main", "@Andy", DateTimeOffset.UtcNow, RequiresTrigger: false, IsMain: true);
        var family = new RegisteredGroup("family@g.us", "Family", "family", "@Andy", DateTimeOffset.UtcNow, RequiresTrigger: true, IsMain: false);
        db.RegisterGroup(main).ShouldBeOfType<RegisterResult.Registered>();
        db.RegisterGroup(family).ShouldBeOfType<RegisterResult.Registered>();
        db.CreateTask(new ScheduledTask("task-main-1", "main", main.Jid, "morning brief", ScheduleType.Cron, "0 7 * * *", ContextMode.Group,
            DateTimeOffset.UtcNow.AddHours(1), null, null, NanoClaw.Storage.TaskStatus.Active, DateTimeOffset.UtcNow));
        var channel = new RecordingChannel();

        var toMain = _fake.ScriptToolCall("mcp__nanoclaw__send_message", new { text = "psst", target_group_jid = main.Jid });
        var cancel = _fake.ScriptToolCall("mcp__nanoclaw__cancel_task", new { task_id = "task-main-1" });
        var progress = _fake.ScriptToolCall("mcp__nanoclaw__send_message", new { text = "Progress from family" });
        _fake.Script(_ => FakeReply.Text(channel.Sent.Any(s => s.Text.Contains("Progress from family", StringComparison.Ordinal))
            ? "Done; the progress message was already delivered."
            : "Done; the progress message was NOT delivered yet."));

        // The graph `run` and `chat` build: the gateway serves the agent tools from its start.
        await using (var assistant = await Assistant.StartAsync(config, vm.RepoRoot, db, _ => [channel], logs, CancellationToken.None))
        {
            var host = assistant.Host;
            host.Start();
            host.Loop.Deliver(new StoredMessage("m1", family.Jid, "bob@s", "Bob", "@Andy please do the things", DateTimeOffset.UtcNow, false, false), "Family");

            await channel.WaitForAsync(2, RunTimeout);
            host.Queue.BeginDrain();
            await host.Queue.WhenQuietAsync().WaitAsync(RunTimeout);
        }

        var refused = await toMain.WaitForResultAsync();
        refused.IsError.ShouldBeTrue(refused.Content);
        refused.Content.ShouldContain("only the main chat");
        var cancelRefused = await cancel.WaitForResultAsync();
        cancelRefused.IsError.ShouldBeTrue(cancelRefused.Content);
        db.ListTasks().Single().Status.ShouldBe(NanoClaw.Storage.TaskStatus.Active);
        (await progress.WaitForResultAsync()).IsError.ShouldBeFalse();
        channel.Sent.ShouldBe([
            (family.Jid, "Andy: Progress from family"),
            (family.Jid, "Andy: Done; the progress message was already delivered."),
        ]);
    }
    [Fact]
    public async Task MainListsEveryGroupsTasksAndAChatItRegistersThenGetsAnswers()
    {
        var config = InProcessConfig();
        ILoggerFactory logs = NullLoggerFactory.Instance;
        var db = Database.Open(config.DatabasePath);
        var main = new RegisteredGroup("main@s.whatsapp.net", "Main", "main", "@Andy", DateTimeOffset.UtcNow, RequiresTrigger: false, IsMain: true);
        var work = new RegisteredGroup("work@g.us", "Work", "work", "@Andy", DateTimeOffset.UtcNow, RequiresTrigger: true, IsMain: false);
        db.RegisterGroup(main).ShouldBeOfType<RegisterResult.Registered>();
        db.RegisterGroup(work).ShouldBeOfType<RegisterResult.Registered>();
        db.CreateTask(new ScheduledTask("task-work-7", "work", work.Jid, "weekly report", ScheduleType.Cron, "0 9 * * 1", ContextMode.Group,
            DateTimeOffset.UtcNow.AddDays(1), null, null, NanoClaw.Storage.TaskStatus.Active, DateTimeOffset.UtcNow));
        var channel = new RecordingChannel();

        var list = _fake.ScriptToolCall("mcp__nanoclaw__list_tasks", new { });
        var register = _fake.ScriptToolCall("mcp__nanoclaw__register_group", new { jid = "family@g.us", name = "Family", folder = "family" },
            thenReply: "Family is registered.");
        // The next request is the family chat's own run, in a new VM.
        _fake.Script(request => FakeReply.Text(request.Mentions("hello from the family") ? "Hello, family!" : "unexpected prompt"));

        // The graph `run` and `chat` build: the gateway serves the agent tools from its start.
        await using (var assistant = await Assistant.StartAsync(config, vm.RepoRoot, db, _ => [channel], logs, CancellationToken.None))
        {
            var host = assistant.Host;
            host.Start();
            host.Loop.Deliver(new StoredMessage("m1", main.Jid, "me@s", "Me", "show all tasks and join the family chat", DateTimeOffset.UtcNow, true, false), "Main");
            await channel.WaitForAsync(1, RunTimeout);

            // The chat registered by main's agent is answered like any registered group.
            host.Loop.Deliver(new StoredMessage("f1", "family@g.us", "ann@s", "Ann", "@Andy hello from the family", DateTimeOffset.UtcNow, false, false), "Family");
            await channel.WaitForAsync(2, RunTimeout);
            host.Queue.BeginDrain();
            await host.Queue.WhenQuietAsync().WaitAsync(RunTimeout);
        }

        var listed = await list.WaitForResultAsync();
        listed.IsError.ShouldBeFalse(listed.Content);
        listed.Content.ShouldContain("task-work-7"); // another group's task: main sees every group's
        (await register.WaitForResultAsync()).IsError.ShouldBeFalse();
        channel.Sent.ShouldBe([
            (main.Jid, "Andy: Family is registered."),
            ("family@g.us", "Andy: Hello, family!"),
        ]);
    }

    Config InProcessConfig() => new()
    {
        Home = _home,
        CacheDir = vm.Config.CacheDir,
        AnthropicApiKey = RealKey,
        UpstreamBaseUrl = _fake.BaseUrl,
        VmMemoryMb = 2048,
        TimeZone = TimeZoneInfo.Utc,
    };
}
