using System.Globalization;
using System.Text;

namespace NanoClaw.Bench;

/// <summary>The report as markdown: the machine first (numbers mean nothing without it), then one table row per measurement.</summary>
public static class ReportWriter
{
    public static string Write(MachineInfo machine, string loadBefore, string loadAfter, DateTimeOffset started, TimeSpan took, int runs, IEnumerable<Measurement> rows)
    {
        var sb = new StringBuilder();
        sb.AppendLine(CultureInfo.InvariantCulture, $"## NanoClaw benchmarks, {started:yyyy-MM-dd HH:mm} UTC ({runs} runs each, took {took.TotalMinutes:F1} min)");
        sb.AppendLine();
        sb.AppendLine(CultureInfo.InvariantCulture, $"- Machine: {machine.Cores} cores, {machine.MemoryGiB:F1} GiB, {machine.CpuModel}");
        sb.AppendLine(CultureInfo.InvariantCulture, $"- OS: {machine.Os}; {machine.Runtime}; {machine.Qemu}");
        sb.AppendLine(CultureInfo.InvariantCulture, $"- KVM decision: {machine.KvmDecision}");
        sb.AppendLine(CultureInfo.InvariantCulture, $"- Load average (1/5/15 min): {loadBefore} before, {loadAfter} after");
        sb.AppendLine();
        sb.AppendLine("| name | what | unit | n | median | min | max | p90 |");
        sb.AppendLine("|---|---|---|--:|--:|--:|--:|--:|");
        foreach (var row in rows)
        {
            if (row.Stats is not { } s)
            {
                sb.AppendLine(CultureInfo.InvariantCulture, $"| {row.Name} | {row.What} | | | not measurable on this machine: {row.NotMeasurable} | | | |");
                continue;
            }
            sb.AppendLine(CultureInfo.InvariantCulture,
                $"| {row.Name} | {row.What} | {row.Unit} | {s.Count} | {Format(s.Median)} | {Format(s.Min)} | {Format(s.Max)} | {(s.P90 is { } p ? Format(p) : "")} |");
        }
        return sb.ToString();
    }

    /// <summary>Three significant digits at most, never scientific notation: 0.412, 41.2, 4120.</summary>
    static string Format(double value) => value switch
    {
        >= 100 => value.ToString("F0", CultureInfo.InvariantCulture),
        >= 10 => value.ToString("F1", CultureInfo.InvariantCulture),
        >= 1 => value.ToString("F2", CultureInfo.InvariantCulture),
        _ => value.ToString("F3", CultureInfo.InvariantCulture),
    };
}
