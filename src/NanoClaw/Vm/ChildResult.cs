namespace NanoClaw.Vm;

/// <summary>How a finished child process ended: its exit code and the last lines it printed.</summary>
internal sealed record ChildResult(int ExitCode, IReadOnlyList<string> Tail, bool TimedOut)
{
    /// <summary>The last line starting with "error:" (what our scripts print when they give up), else the last line.</summary>
    public string LastError =>
        Tail.LastOrDefault(l => l.StartsWith("error:", StringComparison.Ordinal)) ?? Tail.LastOrDefault() ?? "(no output)";
}
