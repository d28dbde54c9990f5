using System.CommandLine;
using NanoClaw.Storage;
using NanoClaw.Usage;

namespace NanoClaw.Cli;

/// <summary><c>./nanoclaw usage [--group F] [--since 7d] [--by day|group|task|run] [--json]</c>: what the Messages API calls cost.</summary>
static class UsageCommand
{
    public static Command Create()
    {
        var group = new Option<string?>("--group") { Description = "Only this group's calls (its folder, see `groups list`)." };
        var since = new Option<string>("--since") { Description = "7d, 24h, today, month or a date (2026-12-01). Default 7d.", DefaultValueFactory = _ => "7d" };
        var by = new Option<string>("--by") { Description = "Rows per day, group, task or run. Default day.", DefaultValueFactory = _ => "day" };
        by.AcceptOnlyFromAmong(UsageReport.Groupings);
        var json = new Option<bool>("--json") { Description = "JSON for scripts instead of a table." };
        var command = new Command("usage", "What the assistant's Messages API calls used and cost, per day, group, task or run (priced from the pinned price table).")
        {
            group, since, by, json,
        };
        command.SetAction(parse =>
        {
            var config = Config.Load();
            return Run(Database.Open(config.DatabasePath), config.TimeZone, DateTimeOffset.UtcNow, parse.GetValue(group), parse.GetValue(since)!,
                parse.GetValue(by)!, parse.GetValue(json), Console.Out, Console.Error);
        });
        return command;
    }

    internal static int Run(Database db, TimeZoneInfo zone, DateTimeOffset now, string? group, string since, string by, bool json, TextWriter output, TextWriter error)
    {
        if (UsageReport.ParseSince(since, now, zone, out var problem) is not { } from) { error.WriteLine(problem); return 2; }
        if (group is not null && db.RegisteredGroups().All(g => g.Folder != group) && db.ApiCallsSince(from, group).Count == 0)
        {
            error.WriteLine($"No group uses the folder \"{group}\" and no calls of it are stored; `nanoclaw groups list` shows the registered ones.");
            return 2;
        }
        var report = UsageReport.Build(db, from, group, by, zone);
        output.Write(json ? report.ToJson() + "\n" : report.ToText(zone));
        return 0;
    }
}
