namespace NanoClaw.Cli;

/// <summary>Progress lines written in order, on the reporting thread (<see cref="Progress{T}"/> would post them to
/// the thread pool, where they can overtake each other).</summary>
sealed class LineProgress(TextWriter output, string indent = "") : IProgress<string>
{
    public void Report(string value)
    {
        lock (output) output.WriteLine(indent + value);
    }
}
