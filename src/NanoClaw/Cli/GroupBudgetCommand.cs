using System.CommandLine;
using System.Globalization;
using NanoClaw.Storage;
using NanoClaw.Usage;

namespace NanoClaw.Cli;

/// <summary>
/// <c>./nanoclaw groups budget [F] [--daily USD] [--monthly USD] [--clear] [--default]</c>: a group's spending limits
/// (or the default for every group without its own). Without limits it shows them with what was spent today and this month.
/// A running service reads them before every call, so a change applies at once.
/// </summary>
static class GroupBudgetCommand
{
    public static Command Create()
    {
        var folder = new Argument<string?>("folder") { Description = "The group's folder (see `groups list`); leave out with --default.", Arity = ArgumentArity.ZeroOrOne };
        var daily = new Option<string?>("--daily") { Description = "Daily limit in USD (local day, TZ), e.g. 2.50." };
        var monthly = new Option<string?>("--monthly") { Description = "Monthly limit in USD (from the 1st, local), e.g. 40." };
        var clear = new Option<bool>("--clear") { Description = "Remove the limits (the group falls back to the default, if any)." };
        var isDefault = new Option<bool>("--default") { Description = "Set, show or clear the default for every group without limits of its own." };
        var budget = new Command("budget", "A group's spending limits: when over, its new runs do not start and further API calls are refused until the reset.")
        {
            folder, daily, monthly, clear, isDefault,
        };
        budget.SetAction(parse =>
        {
            var config = Config.Load();
            return Run(Database.Open(config.DatabasePath), config.TimeZone, DateTimeOffset.UtcNow, parse.GetValue(folder), parse.GetValue(daily),
                parse.GetValue(monthly), parse.GetValue(clear), parse.GetValue(isDefault), Console.Out, Console.Error);
        });
        return budget;
    }

    internal static int Run(Database db, TimeZoneInfo zone, DateTimeOffset now, string? folder, string? daily, string? monthly, bool clear, bool isDefault,
        TextWriter output, TextWriter error)
    {
        if (isDefault == (folder is not null))
        {
            error.WriteLine("Name a group's folder (`groups budget family --daily 2`) or use --default, not both.");
            return 2;
        }
        var key = folder ?? Database.DefaultBudgetKey;
        var name = folder is null ? "default (every group without its own)" : folder;
        if (folder is not null && db.RegisteredGroups().All(g => g.Folder != folder))
        {
            error.WriteLine($"No group uses the folder \"{folder}\"; `nanoclaw groups list` shows the registered ones.");
            return 2;
        }
        if (clear && (daily is not null || monthly is not null)) { error.WriteLine("--clear removes the limits; do not combine it with --daily or --monthly."); return 2; }
        if (clear)
        {
            output.WriteLine(db.ClearBudget(key) ? $"{name}: limits removed." : $"{name}: had no limits of its own.");
            return 0;
        }
        if (daily is not null || monthly is not null)
        {
            var current = db.GetBudget(key) ?? BudgetLimits.None;
            decimal? d = current.DailyUsd, m = current.MonthlyUsd;
            if (daily is not null && !TryUsd(daily, "--daily", error, out d)) return 2;
            if (monthly is not null && !TryUsd(monthly, "--monthly", error, out m)) return 2;
            db.SetBudget(key, new BudgetLimits(d, m));
        }
        var limits = db.GetBudget(key);
        output.WriteLine($"{name}: {limits?.ToString() ?? "no limits of its own"}" + (folder is not null && limits is null ? $" (applies: {db.EffectiveBudget(folder)})" : ""));
        if (folder is not null)
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"spent today ${db.SpentSince(folder, BudgetPeriod.DayStart(now, zone)):0.00##}, this month ${db.SpentSince(folder, BudgetPeriod.MonthStart(now, zone)):0.00##} (priced calls only; days and months in {zone.Id})."));
        return 0;
    }

    static bool TryUsd(string text, string option, TextWriter error, out decimal? value)
    {
        value = null;
        if (!decimal.TryParse(text.Trim().TrimStart('$'), NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var usd) || usd > 1_000_000m)
        {
            error.WriteLine($"{option} \"{text}\" is not an amount in USD: use a number like 2.50 (0 blocks all spending).");
            return false;
        }
        value = usd;
        return true;
    }
}
