namespace NanoClaw.Guest;

/// <summary>Where the workspace goes inside the VM (everything under <see cref="Root"/>, which is <c>/</c> there).</summary>
public sealed record GuestPaths(string Root)
{
    /// <summary>The unprivileged user Claude Code runs as (<c>agent</c> in the image).</summary>
    public const int AgentUid = 1000, AgentGid = 1000;

    public string Workspace => Path.Combine(Root, "workspace");
    /// <summary><c>group/</c> of the tar; Claude Code's working directory.</summary>
    public string GroupDir => Path.Combine(Workspace, "group");
    /// <summary><c>global/</c> of the tar.</summary>
    public string GlobalDir => Path.Combine(Workspace, "global");
    public string Home => Path.Combine(Root, "home", "agent");
    /// <summary><c>claude/</c> of the tar; CLAUDE_CONFIG_DIR, so sessions travel between VMs.</summary>
    public string ClaudeStateDir => Path.Combine(Home, ".claude");

    /// <summary>A warm VM's parked Claude Code's working directory: outside the synced folders, so whatever it writes
    /// before its claim is never sent to the host.</summary>
    public string SpareDir => Path.Combine(Root, "tmp", "nanoclaw-spare");

    /// <summary>The tar's top folders and where each lives here.</summary>
    public IReadOnlyList<(string Top, string Dir)> Tops => [("group", GroupDir), ("global", GlobalDir), ("claude", ClaudeStateDir)];
}
