using System.Globalization;
using System.Text.RegularExpressions;

namespace NanoClaw.Bench;

/// <summary>
/// One run split into phases, in milliseconds. Host times come from the run log's line stamps and the fake's request
/// times (both the host's UTC clock); <see cref="WorkspaceIn"/> and <see cref="ClaudeInit"/> from the guest's timing
/// line, which is hostile input: parsed strictly, bounded, used for this report only. A phase whose milestone is missing
/// is null. The guest's clock is not the host's: under TCG on a loaded host the guest's time ran at half the host's
/// (its timer ticks arrive late), so guest spans are scaled by <see cref="GuestClock"/>, the host's ready -> output
/// over the guest's job -> first result in the same run, and shown as such.
/// </summary>
public sealed partial record RunPhases(
    double Total, double FirstOutput, double ToReady, double ReadyToRequest, double? WorkspaceIn, double? ClaudeToRequest,
    double? ClaudeInit, double? GuestClock, double Model, double OutputToHost, double SyncOut, double End)
{
    /// <summary>A prepared run: the VMM's CPU while it waited for the message (the last seconds before it), % of one host core.</summary>
    public double? WaitCpu { get; init; }

    /// <summary>Guest milestones above this are not believed (no run here takes an hour to start).</summary>
    const double MaxGuestMs = 3_600_000;

    /// <param name="prepared">A prepared run, timed from its first message: "ready" is that message going into the VM, and
    /// the guest's milestones (counted from the job, long before) are not shown.</param>
    public static RunPhases From(DateTimeOffset started, DateTimeOffset ended, IReadOnlyList<string> runLog, DateTimeOffset requestAt, DateTimeOffset answeredAt,
        bool prepared = false)
    {
        DateTimeOffset At(string what, Func<string, bool> match) =>
            runLog.Select(Parse).FirstOrDefault(l => l.Text is { } t && match(t)).At
            ?? throw new InvalidOperationException($"the run log has no line for {what}");
        var ready = prepared
            ? At("the first follow-up", t => t.StartsWith("follow-up (", StringComparison.Ordinal))
            : At("claim or guest ready", t => t.StartsWith("claimed warm VM ", StringComparison.Ordinal) || t.StartsWith("guest ready after ", StringComparison.Ordinal));
        var output = At("output", t => t.StartsWith("output (", StringComparison.Ordinal));
        var changes = runLog.Select(Parse).FirstOrDefault(l => l.At >= output && l.Text!.StartsWith("changes: ", StringComparison.Ordinal)).At ?? output;
        var guest = prepared ? [] : GuestMilestones(runLog);
        double Ms(DateTimeOffset a, DateTimeOffset b) => (b - a).TotalMilliseconds;
        var readyToRequest = Ms(ready, requestAt);
        double? ratio = guest.TryGetValue("result", out var r) && r > 0 ? Ms(ready, output) / r : null;
        double? workspace = guest.TryGetValue("workspace", out var w) ? w * ratio : null;
        // A spare has no spawn in the run: its start is its move into the group folder (claimed before the job).
        double? init = (guest.TryGetValue("claude-spawned", out var s) || guest.TryGetValue("cwd-sent", out s)) && guest.TryGetValue("claude-init", out var i) && i >= s
            ? (i - s) * ratio : null;
        return new RunPhases(Ms(started, ended), Ms(started, output), Ms(started, ready), readyToRequest, workspace, readyToRequest - workspace,
            init, ratio, Ms(requestAt, answeredAt), Ms(answeredAt, output), Ms(output, changes), Ms(changes, ended));
    }

    static (DateTimeOffset? At, string? Text) Parse(string line)
    {
        var space = line.IndexOf(' ', StringComparison.Ordinal);
        return space > 0 && DateTimeOffset.TryParseExact(line[..space], "yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture,
            DateTimeStyles.AssumeUniversal, out var at) ? (at, line[(space + 1)..]) : (null, null);
    }

    /// <summary>The guest's <c>timing</c> line: known names, whole milliseconds, in range; anything else is ignored.</summary>
    static Dictionary<string, double> GuestMilestones(IReadOnlyList<string> runLog)
    {
        var result = new Dictionary<string, double>(StringComparer.Ordinal);
        var line = runLog.Select(Parse).Select(l => l.Text).FirstOrDefault(t => t is not null && t.Contains("timing (guest ms since job):", StringComparison.Ordinal));
        if (line is null) return result;
        foreach (Match m in Milestone().Matches(line))
            if (double.TryParse(m.Groups[2].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var ms) && ms <= MaxGuestMs)
                result.TryAdd(m.Groups[1].Value, ms);
        return result;
    }

    [GeneratedRegex(@" (workspace|claude-spawned|cwd-sent|claude-init|result)=([0-9]{1,7})\b")]
    private static partial Regex Milestone();

    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"first output {FirstOutput:F0} ms (ready {ToReady:F0}, ready->request {ReadyToRequest:F0} [workspace {WorkspaceIn:F0}, claude init {ClaudeInit:F0}, guest clock x{GuestClock:F2}], model {Model:F0}, ->host {OutputToHost:F0}), sync-out {SyncOut:F0}, end {End:F0}, total {Total:F0}{(WaitCpu is { } cpu ? $", waiting VM {cpu:F1} % CPU" : "")}");
}
