using System.CommandLine;
using System.Globalization;
using NanoClaw.Scheduling;
using NanoClaw.Storage;

namespace NanoClaw.Cli;

/// <summary>
/// <c>./nanoclaw tasks</c>: list scheduled tasks (next run in local time, last result), add, pause, resume,
/// cancel, run now, and show one task's recent runs. It edits the store directly; a running assistant notices
/// within <see cref="Scheduler.SafetyPoll"/>.
/// </summary>
static class TasksCommand
{
    public static Command Create()
    {
        var tasks = new Command("tasks", "List and manage scheduled tasks.");

        var list = new Command("list", "List scheduled tasks with their next run (local time) and last result.");
        list.SetAction(_ => List(Open(), Console.Out));

        var id = new Argument<string>("id") { Description = "The task id, as `tasks list` shows it." };
        Command ById(string name, string description, Func<TaskService, string, TaskResult> act, string done)
        {
            var command = new Command(name, description) { id };
            command.SetAction(parse =>
            {
                var service = Open();
                return Apply(act(service, parse.GetValue(id)!), Console.Out, Console.Error, done, service.TimeZone);
            });
            return command;
        }

        var limit = new Option<int>("--limit") { Description = "How many runs to show.", DefaultValueFactory = _ => 20 };
        var log = new Command("log", "Show the recent runs of one task.") { id, limit };
        log.SetAction(parse => Log(Open(), parse.GetValue(id)!, parse.GetValue(limit), Console.Out, Console.Error));

        var group = new Option<string>("--group") { Description = "The group folder the task runs in (see `groups list`).", Required = true };
        var type = new Option<string>("--type") { Description = "cron, interval or once.", Required = true };
        var value = new Option<string>("--value") { Description = "A cron expression (\"0 9 * * 1-5\"), milliseconds (3600000), or a local time without offset (2026-12-01T09:00:00).", Required = true };
        var prompt = new Option<string>("--prompt") { Description = "What the agent does at each run.", Required = true };
        var context = new Option<string>("--context") { Description = "group (resume the group's conversation) or isolated (fresh each run).", DefaultValueFactory = _ => "isolated" };
        var add = new Command("add", "Schedule a task.") { group, type, value, prompt, context };
        add.SetAction(parse =>
        {
            var (service, db) = (Open(), Database.Open(Config.Load().DatabasePath));
            var folder = parse.GetValue(group)!;
            if (db.RegisteredGroups().FirstOrDefault(g => g.Folder == folder) is not { } target)
            {
                Console.Error.WriteLine($"No registered group with folder \"{folder}\"; `./nanoclaw groups list` shows them.");
                return 2;
            }
            return Apply(service.Create(new NewTask(target, parse.GetValue(prompt)!, parse.GetValue(type)!, parse.GetValue(value)!, parse.GetValue(context)!)),
                Console.Out, Console.Error, "Scheduled", service.TimeZone);
        });

        tasks.Subcommands.Add(list);
        tasks.Subcommands.Add(add);
        tasks.Subcommands.Add(ById("pause", "Pause a task; it does not run until resumed.", (s, i) => s.Pause(i), "Paused"));
        tasks.Subcommands.Add(ById("resume", "Resume a paused task at its next slot.", (s, i) => s.Resume(i), "Resumed"));
        tasks.Subcommands.Add(ById("cancel", "Cancel a task for good (stops a run that is going).", (s, i) => s.Cancel(i), "Cancelled"));
        tasks.Subcommands.Add(ById("run", "Run a task now, without moving its schedule.", (s, i) => s.RunNow(i), "Will run now"));
        tasks.Subcommands.Add(log);
        tasks.Action = list.Action;
        return tasks;
    }

    static TaskService Open()
    {
        var config = Config.Load();
        return new TaskService(Database.Open(config.DatabasePath), config.TimeZone, TimeProvider.System);
    }

    internal static int List(TaskService tasks, TextWriter output)
    {
        var rows = tasks.List();
        if (rows.Count == 0) { output.WriteLine("No scheduled tasks. Ask the assistant, e.g. \"@Andy every weekday at 9am ...\"."); return 0; }
        foreach (var t in rows)
        {
            output.WriteLine($"{t.Id,-17} {t.GroupFolder,-14} {Word(t.Status),-10} {Word(t.ScheduleType)} {t.ScheduleValue,-20} next {Local(t.NextRun, tasks.TimeZone),-16} {Shorten(t.Prompt)}");
            if (t.LastResult is { } r) output.WriteLine($"{"",17} last {Local(t.LastRun, tasks.TimeZone)}: {Shorten(r)}");
        }
        return 0;
    }

    internal static int Log(TaskService tasks, string id, int limit, TextWriter output, TextWriter error)
    {
        if (tasks.Find(id) is TaskResult.Rejected r) { error.WriteLine(r.Error); return 1; }
        var runs = tasks.RunLog(id, limit);
        if (runs.Count == 0) { output.WriteLine($"Task {id} has not run yet."); return 0; }
        foreach (var run in runs)
        {
            output.WriteLine($"{Local(run.RunAt, tasks.TimeZone),-16} {run.Status,-11} {run.Kind,-9} {run.Duration.TotalSeconds,7:0.0}s {Shorten(run.Error ?? run.Result ?? "")}");
            if (run.Note is { } note) output.WriteLine($"{"",16} {note}");
        }
        return 0;
    }

    internal static int Apply(TaskResult result, TextWriter output, TextWriter error, string done, TimeZoneInfo zone)
    {
        switch (result)
        {
            case TaskResult.Ok(var t):
                output.WriteLine($"{done} {t.Id}: {Word(t.Status)}, next run {Local(t.NextRun, zone)}.");
                return 0;
            case TaskResult.Rejected r:
                error.WriteLine(r.Error);
                return 1;
            default:
                throw new InvalidOperationException("unknown task result");
        }
    }

    static string Local(DateTimeOffset? t, TimeZoneInfo zone) =>
        t is { } v ? TimeZoneInfo.ConvertTime(v, zone).ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture) : "-";

    static string Word<T>(T value) where T : Enum => value.ToString().ToLowerInvariant();

    static string Shorten(string s) => (s.Length <= 60 ? s : s[..57] + "...").ReplaceLineEndings(" ");
}
