using System.CommandLine;
using NanoClaw.Storage;

namespace NanoClaw.Cli;

/// <summary><c>./nanoclaw tasks</c>: scheduled tasks, next run in local time.</summary>
static class TasksCommand
{
    public static Command Create()
    {
        var tasks = new Command("tasks", "List scheduled tasks.");
        var list = new Command("list", "List scheduled tasks with their next run (local time) and last result.");
        list.SetAction(_ =>
        {
            var config = Config.Load();
            var rows = Database.Open(config.DatabasePath).ListTasks();
            if (rows.Count == 0) { Console.WriteLine("No scheduled tasks. Ask the assistant, e.g. \"@Andy every weekday at 9am ...\"."); return 0; }
            foreach (var t in rows)
            {
                var next = t.NextRun is { } n ? TimeZoneInfo.ConvertTime(n, config.TimeZone).ToString("yyyy-MM-dd HH:mm") : "-";
                Console.WriteLine($"{t.Id,-14} {t.GroupFolder,-14} {t.Status.ToString().ToLowerInvariant(),-10} {t.ScheduleType.ToString().ToLowerInvariant()} {t.ScheduleValue,-16} next {next,-16} {Shorten(t.Prompt)}");
                if (t.LastResult is { } r) Console.WriteLine($"{"",14} last: {Shorten(r)}");
            }
            return 0;
        });
        tasks.Subcommands.Add(list);
        tasks.Action = list.Action;
        return tasks;
    }

    static string Shorten(string s) => s.Length <= 60 ? s.ReplaceLineEndings(" ") : s[..57].ReplaceLineEndings(" ") + "...";
}
