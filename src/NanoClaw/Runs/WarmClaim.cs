namespace NanoClaw.Runs;

/// <summary>A warm VM handed to one run, and how long the claim waited for it (near zero when it was already ready).</summary>
public sealed record WarmClaim(ReadyVm Vm, TimeSpan Waited);
