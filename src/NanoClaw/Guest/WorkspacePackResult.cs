namespace NanoClaw.Guest;

/// <summary>What went into the workspace tar, and what was left out because it is not a regular file or directory.</summary>
public sealed record WorkspacePackResult(int Files, int Directories, long FileBytes, IReadOnlyList<string> Skipped);
