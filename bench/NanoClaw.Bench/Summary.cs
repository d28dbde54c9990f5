namespace NanoClaw.Bench;

/// <summary>Median, min, max and (from 10 samples on, where it means something) the 90th percentile.</summary>
public sealed record Summary(int Count, double Median, double Min, double Max, double? P90)
{
    public static Summary Of(IReadOnlyCollection<double> samples)
    {
        if (samples.Count == 0) throw new ArgumentException("A summary needs at least one sample.", nameof(samples));
        var sorted = samples.Order().ToArray();
        var mid = sorted.Length / 2;
        var median = sorted.Length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
        // Nearest-rank percentile: a value that was actually observed.
        double? p90 = sorted.Length >= 10 ? sorted[(int)Math.Ceiling(0.9 * sorted.Length) - 1] : null;
        return new Summary(sorted.Length, median, sorted[0], sorted[^1], p90);
    }
}
