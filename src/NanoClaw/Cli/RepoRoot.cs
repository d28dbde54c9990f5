namespace NanoClaw.Cli;

/// <summary>The checkout NanoClaw runs from: where the VM recipe (<c>vm/</c>) and the memory templates (<c>templates/</c>) are.</summary>
static class RepoRoot
{
    public static string Find()
    {
        if (Environment.GetEnvironmentVariable("NANOCLAW_REPO") is { Length: > 0 } fromLauncher) return fromLauncher;
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "NanoClaw.slnx"))) return dir.FullName;
        throw new InvalidOperationException("Cannot find the NanoClaw checkout (no NanoClaw.slnx above the program). Start it with ./nanoclaw from the checkout.");
    }

    /// <summary>The memory templates: outside <c>groups/</c>, so no group (not one named <c>default</c>, not main writing its own
    /// CLAUDE.md) can change what other groups start from.</summary>
    public static string Templates(string repo) => Path.Combine(repo, "templates");
}
