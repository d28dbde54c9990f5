namespace NanoClaw.ExtraFolders;

/// <summary>
/// What a run gets: the approved extra folders and the refused ones with reasons.
/// <see cref="AllowlistProblem"/> is set when the allowlist could not be used (then nothing is approved).
/// </summary>
public sealed record MountPlan(IReadOnlyList<ApprovedMount> Approved, IReadOnlyList<MountRefusal> Refused, string? AllowlistProblem = null)
{
    public static MountPlan Empty { get; } = new([], []);
}
