using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using NanoClaw.Gateway;
using NanoClaw.Gateway.Tools;
using NanoClaw.Storage;
using TaskStatus = NanoClaw.Storage.TaskStatus;

namespace NanoClaw.Tests.Gateway;

/// <summary>
/// The tools themselves over a real database and outbox: each row of the authorization table as a real call, and
/// every bad input, each checking that a refused or failed call changed nothing.
/// </summary>
public sealed class AgentToolsTests : IDisposable
{
    readonly AgentToolsHarness h = new();

    public void Dispose() => h.Dispose();

    static string Ok(ToolResult result)
    {
        result.ShouldBeOfType<ToolResult.Ok>(result.Text);
        return result.Text;
    }

    static string Error(ToolResult result, string contains)
    {
        result.ShouldBeOfType<ToolResult.Error>(result.Text);
        result.Text.ShouldContain(contains);
        return result.Text;
    }

    // ---- per-group task cap ----------------------------------------------------------------------

    [Fact]
    public void AGroupCannotScheduleMoreThanTheCapAndIsToldHowToMakeRoom()
    {
        var ids = new List<string>();
        for (var i = 0; i < NanoClaw.Scheduling.TaskService.MaxLiveTasksPerGroup; i++)
            ids.Add(JsonNode.Parse(Ok(h.Tools.ScheduleTask(h.FamilyRun, $"task {i}", "interval", "3600000", null)))!["task_id"]!.GetValue<string>());
        Ok(h.Tools.PauseTask(h.FamilyRun, ids[0])); // a paused task still counts: it can be resumed

        var refused = Error(h.Tools.ScheduleTask(h.FamilyRun, "one too many", "interval", "3600000", null), $"the most a group may have ({NanoClaw.Scheduling.TaskService.MaxLiveTasksPerGroup})");
        refused.ShouldContain("cancel_task");
        h.Home.Db.ListTasks("family").Count.ShouldBe(NanoClaw.Scheduling.TaskService.MaxLiveTasksPerGroup);
        Ok(h.Tools.ScheduleTask(AgentToolsHarness.As(h.Work), "another group is not affected", "interval", "3600000", null));

        Ok(h.Tools.CancelTask(h.FamilyRun, ids[1]));
        Ok(h.Tools.ScheduleTask(h.FamilyRun, "room again", "interval", "3600000", null));
    }

    [Fact]
    public void AnAgentsArgumentsReachTheHostsLogEscaped()
    {
        using var logs = new CapturingLoggerProvider();
        using var factory = logs.CreateFactory();
        var tools = new AgentTools(h.Home.Db, h.Tasks, h.Outbox, h.Home.Config, templatesDir: null, h.Time, factory.CreateLogger<AgentTools>());

        Error(tools.SendMessage(h.FamilyRun, "hi", "\u001b[2J\u001b]0;owned\u0007@g.us"), "only the main chat");
        Error(tools.CancelTask(h.FamilyRun, "task-\u001b[31m\r"), "no task");

        logs.Lines.Count.ShouldBe(2);
        logs.Lines.ShouldAllBe(l => !l.Contains('\u001b') && !l.Contains('\u0007') && !l.Contains('\r'));
        logs.Lines.ShouldContain(l => l.Contains(@"\x1b[2J"));
    }

    // ---- send_message ------------------------------------------------------------------------

    [Fact]
    public async Task SendMessageGoesToTheCallersOwnChat()
    {
        Ok(h.Tools.SendMessage(h.FamilyRun, "on my way"));
        (await h.DeliveredAsync()).ShouldBe([(h.Family.Jid, "Andy: on my way")]);
    }

    [Fact]
    public async Task ANonMainGroupNamingItsOwnChatMaySend()
    {
        Ok(h.Tools.SendMessage(h.FamilyRun, "hi", h.Family.Jid));
        (await h.DeliveredAsync()).ShouldBe([(h.Family.Jid, "Andy: hi")]);
    }

    [Theory]
    [InlineData("main@s.whatsapp.net")]
    [InlineData("work@g.us")]
    [InlineData("unregistered@g.us")]
    public async Task ANonMainGroupCannotSendToAnyOtherChat(string jid)
    {
        Error(h.Tools.SendMessage(h.FamilyRun, "psst", jid), "only the main chat");
        (await h.DeliveredAsync()).ShouldBeEmpty();
    }

    [Fact]
    public async Task MainMaySendToAnyRegisteredChat()
    {
        Ok(h.Tools.SendMessage(h.Main, "dinner at 7", h.Family.Jid));
        Ok(h.Tools.SendMessage(h.Main, "note to self"));
        (await h.DeliveredAsync()).ShouldBe([(h.Family.Jid, "Andy: dinner at 7"), (h.MainGroup.Jid, "Andy: note to self")]);
    }

    [Fact]
    public async Task MainCannotSendToAChatThatIsNotRegistered()
    {
        Error(h.Tools.SendMessage(h.Main, "hello stranger", "stranger@s.whatsapp.net"), "not a registered chat");
        (await h.DeliveredAsync()).ShouldBeEmpty();
    }

    [Theory]
    [InlineData("", "text is empty")]
    [InlineData("   ", "text is empty")]
    [InlineData(null, "text is empty")]
    [InlineData("<internal>thinking</internal>", "nothing to send")]
    public async Task EmptyTextIsRefused(string? text, string reason)
    {
        Error(h.Tools.SendMessage(h.FamilyRun, text), reason);
        (await h.DeliveredAsync()).ShouldBeEmpty();
    }

    [Fact]
    public async Task TextOver16KbIsRefusedAndNothingIsQueued()
    {
        Ok(h.Tools.SendMessage(h.FamilyRun, new string('a', AgentTools.MaxMessageBytes)));
        Error(h.Tools.SendMessage(h.FamilyRun, new string('a', AgentTools.MaxMessageBytes + 1)), "at most 16384 bytes");
        Error(h.Tools.SendMessage(h.FamilyRun, new string('é', AgentTools.MaxMessageBytes / 2 + 1)), "at most 16384 bytes"); // bytes, not chars
        (await h.DeliveredAsync()).Count.ShouldBe(1);
    }

    // ---- schedule_task -----------------------------------------------------------------------

    [Fact]
    public void ScheduleTaskStoresATaskForTheCallersGroupAndReturnsItsIdAndNextRun()
    {
        var reply = JsonNode.Parse(Ok(h.Tools.ScheduleTask(h.FamilyRun, "remind everyone to water the plants", "cron", "0 9 * * *", "isolated")))!;

        var task = h.Task(reply["task_id"]!.GetValue<string>());
        (task.GroupFolder, task.ChatJid, task.ScheduleType, task.ScheduleValue, task.ContextMode, task.Status)
            .ShouldBe(("family", h.Family.Jid, ScheduleType.Cron, "0 9 * * *", ContextMode.Isolated, TaskStatus.Active));
        task.NextRun.ShouldBe(new DateTimeOffset(2026, 3, 10, 9, 0, 0, TimeSpan.Zero));
        reply["next_run"]!.GetValue<string>().ShouldBe("2026-03-10T09:00:00+00:00");
    }

    [Fact]
    public void EveryTaskTheToolsCreateOrChangeWakesTheScheduler()
    {
        var id = JsonNode.Parse(Ok(h.Tools.ScheduleTask(h.FamilyRun, "check in", "interval", "3600000", null)))!["task_id"]!.GetValue<string>();
        Ok(h.Tools.PauseTask(h.FamilyRun, id));
        Ok(h.Tools.ResumeTask(h.FamilyRun, id));
        Ok(h.Tools.CancelTask(h.FamilyRun, id));

        h.Changed.ShouldBe([id, id, id, id]);
    }

    [Fact]
    public void ContextModeDefaultsToGroup()
    {
        var id = JsonNode.Parse(Ok(h.Tools.ScheduleTask(h.FamilyRun, "check in", "interval", "3600000", null)))!["task_id"]!.GetValue<string>();
        h.Task(id).ContextMode.ShouldBe(ContextMode.Group);
    }

    [Fact]
    public void MainMayScheduleForAnotherGroup()
    {
        var id = JsonNode.Parse(Ok(h.Tools.ScheduleTask(h.Main, "weekly summary", "cron", "0 18 * * 5", "group", h.Work.Jid)))!["task_id"]!.GetValue<string>();
        (h.Task(id).GroupFolder, h.Task(id).ChatJid).ShouldBe(("work", h.Work.Jid));
    }

    [Fact]
    public void ANonMainGroupCannotScheduleForAnotherGroup()
    {
        Error(h.Tools.ScheduleTask(h.FamilyRun, "spam main", "cron", "* * * * *", "group", h.MainGroup.Jid), "only the main chat");
        h.Home.Db.ListTasks().ShouldBeEmpty();
    }

    [Fact]
    public void MainCannotScheduleForAnUnregisteredChat()
    {
        Error(h.Tools.ScheduleTask(h.Main, "x", "cron", "0 9 * * *", "group", "stranger@g.us"), "not a registered group");
        h.Home.Db.ListTasks().ShouldBeEmpty();
    }

    [Theory]
    [InlineData("", "cron", "0 9 * * *", null, "prompt is empty")]
    [InlineData("p", "daily", "0 9 * * *", null, "schedule_type \"daily\" is not known")]
    [InlineData("p", "cron", "61 9 * * *", null, "minute field \"61\"")]
    [InlineData("p", "cron", "0 9 * * *", "shared", "context_mode \"shared\" is not known")]
    [InlineData("p", "interval", "1000", null, "shorter than the minimum of 60000 ms")]
    [InlineData("p", "interval", "soon", null, "whole number of milliseconds")]
    [InlineData("p", "interval", "999999999999999", null, "longer than the maximum")]
    [InlineData("p", "once", "2026-03-09T10:00:00", null, "in the past")]
    [InlineData("p", "once", "next tuesday", null, "without offset")]
    [InlineData("p", "once", null, null, "schedule_value is empty")]
    public void BadScheduleInputIsRefusedAndStoresNothing(string prompt, string type, string? value, string? mode, string reason)
    {
        Error(h.Tools.ScheduleTask(h.FamilyRun, prompt, type, value, mode), reason);
        h.Home.Db.ListTasks().ShouldBeEmpty();
    }

    [Fact]
    public void AHugePromptIsRefused()
    {
        Error(h.Tools.ScheduleTask(h.FamilyRun, new string('p', AgentTools.MaxPromptBytes + 1), "cron", "0 9 * * *", null), "prompt is longer");
        h.Home.Db.ListTasks().ShouldBeEmpty();
    }

    // ---- list_tasks --------------------------------------------------------------------------

    [Fact]
    public void AGroupListsOnlyItsOwnTasksAndMainListsAll()
    {
        h.AddTask(h.Family, "task-f");
        h.AddTask(h.Work, "task-w");
        h.AddTask(h.MainGroup, "task-m");

        Ids(Ok(h.Tools.ListTasks(h.FamilyRun))).ShouldBe(["task-f"]);
        Ids(Ok(h.Tools.ListTasks(h.Main))).Order().ShouldBe(["task-f", "task-m", "task-w"]);
    }

    static List<string> Ids(string json) => [.. JsonNode.Parse(json)!.AsArray().Select(t => t!["task_id"]!.GetValue<string>())];

    // ---- pause_task, resume_task, cancel_task ------------------------------------------------

    [Fact]
    public void AGroupPausesResumesAndCancelsItsOwnTask()
    {
        h.AddTask(h.Family, "task-f");

        Ok(h.Tools.PauseTask(h.FamilyRun, "task-f"));
        h.Task("task-f").Status.ShouldBe(TaskStatus.Paused);
        Ok(h.Tools.ResumeTask(h.FamilyRun, "task-f"));
        h.Task("task-f").Status.ShouldBe(TaskStatus.Active);
        Ok(h.Tools.CancelTask(h.FamilyRun, "task-f"));
        h.Task("task-f").Status.ShouldBe(TaskStatus.Cancelled);
    }

    [Fact]
    public void ANonMainGroupCannotTouchAnotherGroupsTask()
    {
        h.AddTask(h.MainGroup, "task-m");
        h.AddTask(h.Work, "task-w", TaskStatus.Paused);

        Error(h.Tools.PauseTask(h.FamilyRun, "task-m"), "may only act on its own tasks");
        Error(h.Tools.CancelTask(h.FamilyRun, "task-m"), "may only act on its own tasks");
        Error(h.Tools.ResumeTask(h.FamilyRun, "task-w"), "may only act on its own tasks");

        h.Task("task-m").Status.ShouldBe(TaskStatus.Active);
        h.Task("task-w").Status.ShouldBe(TaskStatus.Paused);
    }

    [Fact]
    public void MainMayPauseResumeAndCancelAnyGroupsTask()
    {
        h.AddTask(h.Family, "task-f");
        Ok(h.Tools.PauseTask(h.Main, "task-f"));
        Ok(h.Tools.ResumeTask(h.Main, "task-f"));
        Ok(h.Tools.CancelTask(h.Main, "task-f"));
        h.Task("task-f").Status.ShouldBe(TaskStatus.Cancelled);
    }

    [Fact]
    public void AnUnknownTaskIdIsAnError()
    {
        Error(h.Tools.PauseTask(h.Main, "task-nope"), "no task task-nope");
        Error(h.Tools.ResumeTask(h.FamilyRun, "task-nope"), "no task task-nope");
        Error(h.Tools.CancelTask(h.FamilyRun, ""), "task_id is empty");
    }

    [Fact]
    public void StatusChangesThatMakeNoSenseAreErrorsAndChangeNothing()
    {
        h.AddTask(h.Family, "task-active");
        h.AddTask(h.Family, "task-paused", TaskStatus.Paused);
        h.AddTask(h.Family, "task-cancelled", TaskStatus.Cancelled);
        h.AddTask(h.Family, "task-completed", TaskStatus.Completed);

        Error(h.Tools.ResumeTask(h.FamilyRun, "task-active"), "is active, not paused");
        Error(h.Tools.PauseTask(h.FamilyRun, "task-paused"), "is paused, not active");
        Error(h.Tools.PauseTask(h.FamilyRun, "task-cancelled"), "only an active task can be paused");
        Error(h.Tools.ResumeTask(h.FamilyRun, "task-completed"), "only a paused task can be resumed");
        Error(h.Tools.CancelTask(h.FamilyRun, "task-cancelled"), "already cancelled");

        h.Home.Db.ListTasks().Select(t => (t.Id, t.Status)).Order().ShouldBe([
            ("task-active", TaskStatus.Active), ("task-cancelled", TaskStatus.Cancelled),
            ("task-completed", TaskStatus.Completed), ("task-paused", TaskStatus.Paused),
        ]);
    }

    [Fact]
    public void ResumingARepeatingTaskWhoseRunWasMissedStartsFromNow()
    {
        h.AddTask(h.Family, "task-f");
        Ok(h.Tools.PauseTask(h.FamilyRun, "task-f"));
        h.Time.Advance(TimeSpan.FromDays(3)); // its 09:00 runs went by while paused

        Ok(h.Tools.ResumeTask(h.FamilyRun, "task-f"));

        h.Task("task-f").NextRun.ShouldBe(new DateTimeOffset(2026, 3, 13, 9, 0, 0, TimeSpan.Zero));
    }

    // ---- list_chats, register_group ----------------------------------------------------------

    [Fact]
    public void MainListsChatsWithWhichAreRegistered()
    {
        h.Home.Db.UpsertChat(h.Family.Jid, "Family", AgentToolsHarness.Now);
        h.Home.Db.UpsertChat("stranger@g.us", "Book club", AgentToolsHarness.Now.AddMinutes(-5));

        var chats = JsonNode.Parse(Ok(h.Tools.ListChats(h.Main)))!.AsArray();

        chats.Select(c => (c!["jid"]!.GetValue<string>(), c["registered"]!.GetValue<bool>(), c["folder"]?.GetValue<string>()))
            .ShouldBe([(h.Family.Jid, true, "family"), ("stranger@g.us", false, null)]);
    }

    [Fact]
    public void ANonMainGroupCannotListChats() => Error(h.Tools.ListChats(h.FamilyRun), "main chat only");

    // ---- usage -------------------------------------------------------------------------------

    [Fact]
    public void MainSeesWhatEachTaskCostThisMonthWithItsPrompt()
    {
        h.Home.Db.CreateTask(new ScheduledTask("task-monday", "family", "family@g.us", "Monday briefing: news and calendar", ScheduleType.Cron, "0 8 * * 1",
            ContextMode.Isolated, null, null, null, TaskStatus.Active, AgentToolsHarness.Now));
        var tokens = new NanoClaw.Usage.TokenUsage(1000, 500, 0, 0, 0); // claude-sonnet-4-5: $0.003 + $0.0075
        h.Home.Db.InsertApiCall(new("r1", "family", "task-monday", "claude-sonnet-4-5", tokens, 0.0105m, AgentToolsHarness.Now.AddDays(-2), false));
        h.Home.Db.InsertApiCall(new("r2", "family", "task-monday", "claude-sonnet-4-5", tokens, 0.0105m, AgentToolsHarness.Now.AddDays(-1), false));
        h.Home.Db.InsertApiCall(new("r3", "work", null, "claude-sonnet-4-5", tokens, 0.0105m, AgentToolsHarness.Now.AddDays(-1), false));
        h.Home.Db.InsertApiCall(new("r0", "family", "task-monday", "claude-sonnet-4-5", tokens, 0.0105m, AgentToolsHarness.Now.AddDays(-40), false)); // last month

        var report = JsonNode.Parse(Ok(h.Tools.Usage(h.Main, since: null, by: null, groupFolder: null)))!;

        var monday = report["rows"]!.AsArray().Single(r => (string?)r!["key"] == "task-monday")!;
        ((decimal)monday["cost_usd"]!).ShouldBe(0.021m);
        ((int)monday["calls"]!).ShouldBe(2);
        ((string)monday["label"]!).ShouldContain("Monday briefing");
        ((decimal)report["total"]!["cost_usd"]!).ShouldBe(0.0315m);
        ((string)report["top_tasks"]![0]!["key"]!).ShouldBe("task-monday");
    }

    [Fact]
    public void ANonMainGroupCannotSeeUsageNotEvenItsOwn()
    {
        Error(h.Tools.Usage(h.FamilyRun, null, null, null), "main chat only");
        Error(h.Tools.Usage(h.FamilyRun, "7d", "day", "family"), "main chat only");
    }

    [Fact]
    public void UsageSaysWhatIsWrongWithItsArguments()
    {
        Error(h.Tools.Usage(h.Main, "last tuesday", null, null), "--since");
        Error(h.Tools.Usage(h.Main, null, "week", null), "by is day, group, task or run");
    }

    [Fact]
    public void MainRegistersAGroupWithItsFolder()
    {
        Ok(h.Tools.RegisterGroup(h.Main, "club@g.us", "Book club", "book-club", requiresTrigger: false));

        var group = h.Home.Db.GroupByJid("club@g.us").ShouldNotBeNull();
        (group.Name, group.Folder, group.TriggerPattern, group.RequiresTrigger, group.IsMain).ShouldBe(("Book club", "book-club", "@Andy", false, false));
        Directory.Exists(h.Home.Config.GroupDir("book-club")).ShouldBeTrue();
    }

    [Fact]
    public void ANonMainGroupCannotRegisterAGroup()
    {
        Error(h.Tools.RegisterGroup(h.FamilyRun, "club@g.us", "Book club", "book-club"), "main chat only");
        h.Home.Db.GroupByJid("club@g.us").ShouldBeNull();
        Directory.Exists(h.Home.Config.GroupDir("book-club")).ShouldBeFalse();
    }

    [Theory]
    [InlineData("club@g.us", "Club", "../escape", "not a valid folder name")]
    [InlineData("club@g.us", "Club", "a/b", "not a valid folder name")]
    [InlineData("club@g.us", "Club", "/etc", "not a valid folder name")]
    [InlineData("club@g.us", "Club", ".hidden", "not a valid folder name")]
    [InlineData("club@g.us", "Club", "global", "reserved")]
    [InlineData("club@g.us", "Club", "family", "already belongs to family@g.us")]
    [InlineData("work@g.us", "Club", "club", "already registered")]
    [InlineData("", "Club", "club", "jid is missing")]
    [InlineData("club @g.us", "Club", "club", "jid contains spaces")]
    [InlineData("club@g.us", " ", "club", "name is missing")]
    [InlineData("club@g.us", "Club\n", "club", "name contains control characters")]
    public void BadRegistrationsAreRefusedAndWriteNothing(string jid, string name, string folder, string reason)
    {
        var before = h.Home.Db.RegisteredGroups().Count;

        Error(h.Tools.RegisterGroup(h.Main, jid, name, folder), reason);

        h.Home.Db.RegisteredGroups().Count.ShouldBe(before);
        Directory.Exists(Path.Combine(h.Home.Config.GroupsDir, "club")).ShouldBeFalse();
        Directory.Exists(Path.Combine(h.Home.Dir, "escape")).ShouldBeFalse();
    }
}
