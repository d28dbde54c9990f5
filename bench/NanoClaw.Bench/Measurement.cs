namespace NanoClaw.Bench;

/// <summary>
/// One row of the report: what was measured, in which unit, and either its samples or why it could not be
/// measured here (<see cref="NotMeasurable"/>), which is printed instead of numbers.
/// </summary>
public sealed record Measurement(string Name, string What, string Unit, IReadOnlyList<double> Samples, string? NotMeasurable = null)
{
    public static Measurement Unavailable(string name, string what, string reason) => new(name, what, "", [], reason);

    public Summary? Stats => Samples.Count > 0 ? Summary.Of([.. Samples]) : null;
}
