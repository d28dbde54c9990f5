using Microsoft.Extensions.Time.Testing;
using NanoClaw.Cli;
using NanoClaw.Scheduling;
using NanoClaw.Tests.Support;

namespace NanoClaw.Tests.Scheduling;

/// <summary>The running host: its scheduler loop sleeps on the fake clock, wakes at the due time and the reply reaches the chat.</summary>
public class ScheduledTaskHostTests
{
    [Fact]
    public async Task ATaskCreatedThroughTheApiFiresOnTheRunningHostAndItsReplyReachesTheChat()
    {
        using var home = new TestHome(env => env["TZ"] = "Europe/Berlin");
        var family = home.Register("family@g.us", "family");
        var clock = new FakeTimeProvider(DateTimeOffset.Parse("2026-06-01T06:00:00Z"));
        var channel = new RecordingChannel();
        var runner = ScriptedRunner.Replying(r => "pipeline: 3 deals closing this week");
        await using var host = new AssistantHost(home.Config, home.Db, [channel], runner, clock, home.Logs);
        host.Start();

        var task = host.Tasks.Create(new NewTask(family, "send me the pipeline overview", "once", "2026-06-01T09:00:00"))
            .ShouldBeOfType<TaskResult.Ok>().Task;

        // Move the fake clock forward in small steps while the host's loops work in the background.
        await Eventually.True(() =>
        {
            if (channel.Sent.Count > 0) return true;
            if (clock.GetUtcNow() < task.NextRun!.Value.AddMinutes(5)) clock.Advance(TimeSpan.FromSeconds(15));
            return false;
        }, "the task's reply to reach the chat");

        channel.Sent.Single().ShouldBe(("family@g.us", "Andy: pipeline: 3 deals closing this week"));
        var run = home.Db.TaskRunLogs(task.Id).Single();
        run.RunAt.ShouldBeGreaterThanOrEqualTo(task.NextRun!.Value);
        run.RunAt.ShouldBeLessThan(task.NextRun.Value.AddMinutes(1));
        runner.Requests.Single().TaskId.ShouldBe(task.Id);
        await Eventually.True(() => home.Db.GetTask(task.Id)!.Status == NanoClaw.Storage.TaskStatus.Completed, "the once task to complete");
    }

    [Fact]
    public void TheTasksCommandListsPausesResumesRunsAndShowsTheLog()
    {
        using var home = new TestHome(env => env["TZ"] = "Europe/Berlin");
        var family = home.Register("family@g.us", "family");
        var clock = new FakeTimeProvider(DateTimeOffset.Parse("2026-06-01T06:00:00Z"));
        var tasks = new TaskService(home.Db, home.Config.TimeZone, clock);
        var task = tasks.Create(new NewTask(family, "send me the pipeline overview", "cron", "0 9 * * 1-5")).ShouldBeOfType<TaskResult.Ok>().Task;
        var (output, error) = (new StringWriter(), new StringWriter());

        TasksCommand.List(tasks, output).ShouldBe(0);
        output.ToString().ShouldContain($"{task.Id}");
        output.ToString().ShouldContain("next 2026-06-01 09:00"); // local time, not UTC

        TasksCommand.Apply(tasks.Pause(task.Id), output, error, "Paused", tasks.TimeZone).ShouldBe(0);
        TasksCommand.Apply(tasks.Pause(task.Id), output, error, "Paused", tasks.TimeZone).ShouldBe(1);
        error.ToString().ShouldContain("only an active task can be paused");
        TasksCommand.Apply(tasks.Resume(task.Id), output, error, "Resumed", tasks.TimeZone).ShouldBe(0);
        TasksCommand.Apply(tasks.RunNow(task.Id), output, error, "Will run now", tasks.TimeZone).ShouldBe(0);
        TasksCommand.Apply(tasks.Cancel("task-nope"), output, error, "Cancelled", tasks.TimeZone).ShouldBe(1);
        error.ToString().ShouldContain("no task task-nope");

        TasksCommand.Log(tasks, task.Id, 20, output, error).ShouldBe(0);
        output.ToString().ShouldContain("has not run yet");
    }

    /// <summary>Who may act on a task is ToolAuthorization's rule (its tests walk every row); this is only the
    /// service's own filter, which gives a group the same answer for another group's task as for a missing one.</summary>
    [Fact]
    public void OnlyGroupFolderLimitsAnOperationToThatGroupsTasks()
    {
        using var home = new TestHome();
        var family = home.Register("family@g.us", "family");
        home.Register("work@g.us", "work");
        var tasks = new TaskService(home.Db, home.Config.TimeZone, TimeProvider.System);
        var task = tasks.Create(new NewTask(family, "x", "interval", "3600000")).ShouldBeOfType<TaskResult.Ok>().Task;

        tasks.Cancel(task.Id, onlyGroupFolder: "work").ShouldBeOfType<TaskResult.Rejected>().Error.ShouldContain("no task");
        tasks.Cancel(task.Id, onlyGroupFolder: "family").ShouldBeOfType<TaskResult.Ok>();
    }
}
