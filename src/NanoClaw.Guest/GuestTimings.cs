using System.Diagnostics;
using System.Globalization;

namespace NanoClaw.Guest;

/// <summary>
/// Milestones of one run on the guest's monotonic clock, in milliseconds since the <c>job</c> frame was read. Sent
/// once, as a <c>log</c> line after the first answer, so a run log (and the phase benchmark) can split the time
/// between "VM ready" and "first API request" into the guest's own steps. The host only shows them: they come from
/// the guest, so nothing may ever be decided on them.
/// </summary>
sealed class GuestTimings
{
    /// <summary>What the host-side parser (the benchmark) looks for at the start of the log line.</summary>
    public const string Prefix = "timing (guest ms since job):";

    readonly long _start = Stopwatch.GetTimestamp();
    readonly List<(string Name, double Ms)> _marks = [];
    bool _sent;

    /// <summary>Notes a milestone the first time it is reached; later ones of the same name (a retried process) are ignored.</summary>
    public void Mark(string name)
    {
        if (_marks.Exists(m => m.Name == name)) return;
        _marks.Add((name, Stopwatch.GetElapsedTime(_start).TotalMilliseconds));
    }

    /// <summary>The log line, once per run; null after that.</summary>
    public string? TakeLine()
    {
        if (_sent || _marks.Count == 0) return null;
        _sent = true;
        return Prefix + string.Concat(_marks.Select(m => string.Create(CultureInfo.InvariantCulture, $" {m.Name}={m.Ms:F0}")));
    }
}
