namespace NanoClaw.ExtraFolders;

/// <summary>A request that was not approved, and why (phrased for the person who can fix it).</summary>
public sealed record MountRefusal(AdditionalMount Requested, string Reason);
