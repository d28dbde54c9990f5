namespace NanoClaw.Bench;

/// <summary>The command line: <c>[--runs N] [--only NAME]</c>. Unknown arguments are an error, not ignored.</summary>
public sealed record BenchOptions(int Runs, string? Only)
{
    public const int DefaultRuns = 5;
    public static readonly string[] Names = ["boot", "warm", "run", "sync", "concurrent", "store", "native", "folder", "usage", "phases"];

    /// <summary>The options, or an error message that says what to type instead.</summary>
    public static (BenchOptions? Options, string? Error) Parse(IReadOnlyList<string> args)
    {
        var runs = DefaultRuns;
        string? only = null;
        for (var i = 0; i < args.Count; i++)
        {
            var value = i + 1 < args.Count ? args[i + 1] : null;
            switch (args[i])
            {
                case "--runs" when int.TryParse(value, out var n) && n > 0:
                    runs = n;
                    i++;
                    break;
                case "--only" when value is not null && Names.Contains(value):
                    only = value;
                    i++;
                    break;
                default:
                    return (null, $"unexpected argument '{args[i]}'. Usage: [--runs N (N >= 1, default {DefaultRuns})] [--only {string.Join('|', Names)}]");
            }
        }
        return (new BenchOptions(runs, only), null);
    }

    /// <summary>Opt-in only (<c>--only</c>): benchmarks too long for the default report.</summary>
    static readonly string[] OptIn = ["phases"];

    public bool Includes(string name) => Only == name || (Only is null && !OptIn.Contains(name));
}
