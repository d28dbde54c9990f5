using System.Globalization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using NanoClaw.Gateway;
using NanoClaw.Gateway.Tools;
using NanoClaw.Runs;
using NanoClaw.Storage;
using NanoClaw.Tests.Fakes;
using NanoClaw.Tests.Support;
using TaskStatus = NanoClaw.Storage.TaskStatus;

namespace NanoClaw.Tests.EndToEnd;

/// <summary>
/// A reminder as a user sets it: the agent, in one VM, calls the real <c>schedule_task</c> MCP tool; the scheduler
/// fires the task at its time; a second VM runs it; its reply reaches the chat; the task ends completed.
/// </summary>
[Collection(VmCollection.Name)]
public sealed class ScheduledTaskEndToEndTests(VmTestEnvironment vm)
{
    const string RealKey = "sk-ant-api03-REAL-SECRET-scheduled-task-test";

    [Fact]
    public async Task ATaskScheduledByTheAgentFiresInItsOwnVmAndItsReplyReachesTheChat()
    {
        await using var fake = await FakeMessagesApi.StartAsync(requiredApiKey: RealKey);
        using var home = TestHome.ForVms(vm, fake, RealKey, env => env["TZ"] = "Europe/Berlin");
        var (config, db) = (home.Config, home.Db);
        var family = new RegisteredGroup("family@g.us", "Family", "family", "@Andy", DateTimeOffset.UtcNow, RequiresTrigger: true, IsMain: false);
        db.RegisterGroup(family);

        // Local Berlin time, no offset, as the tool takes it. Far enough ahead for the first run to finish under TCG.
        var fireAt = TimeZoneInfo.ConvertTime(DateTimeOffset.UtcNow.AddSeconds(75), config.TimeZone);
        var schedule = fake.ScriptToolCall("mcp__nanoclaw__schedule_task", new
        {
            prompt = "Remind the family to water the plants.",
            schedule_type = "once",
            schedule_value = fireAt.ToString("yyyy-MM-dd'T'HH:mm:ss", CultureInfo.InvariantCulture),
            context_mode = "isolated",
        }, thenReply: "Reminder set.");
        fake.Script(request => FakeReply.Text(request.Mentions("water the plants") ? "Time to water the plants!" : "unexpected prompt"));

        var channel = new RecordingChannel();
        ILoggerFactory logs = NullLoggerFactory.Instance;
        // The graph `run` and `chat` build: the gateway serves the agent tools from its start.
        await using (var assistant = await Assistant.StartAsync(config, vm.RepoRoot, db, _ => [channel], logs, CancellationToken.None))
        {
            var host = assistant.Host;
            host.Start();
            host.Loop.Deliver(new StoredMessage("m1", family.Jid, "ann@s", "Ann", "@Andy remind us to water the plants", DateTimeOffset.UtcNow, false, false), "Family");

            (await schedule.WaitForResultAsync(TimeSpan.FromMinutes(3))).IsError.ShouldBeFalse();
            var task = db.ListTasks("family").ShouldHaveSingleItem();
            (task.ScheduleType, task.ChatJid, task.Status).ShouldBe((ScheduleType.Once, family.Jid, TaskStatus.Active));

            var sent = await channel.WaitForAsync(2, TimeSpan.FromMinutes(5));
            sent.Select(s => s.Text).ShouldBe(["Andy: Reminder set.", "Andy: Time to water the plants!"]);
            sent.ShouldAllBe(s => s.Jid == family.Jid);
            await Eventually.True(() => db.ListTasks("family").Single().Status == TaskStatus.Completed, "the once task to end completed", TimeSpan.FromMinutes(1));
            // It fired at its time, not when it was created.
            db.ListTasks("family").Single().LastRun!.Value.ShouldBeGreaterThanOrEqualTo(fireAt.AddSeconds(-1));
        }
    }
}
