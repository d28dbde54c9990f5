namespace NanoClaw.Guest;

/// <summary>How Claude Code is started for a job: program, arguments, working directory and the complete environment.</summary>
sealed record ClaudeLaunch(string FileName, IReadOnlyList<string> Arguments, string WorkingDirectory, IReadOnlyDictionary<string, string> Environment)
{
    static readonly string[] SetprivLocations = ["/usr/bin/setpriv", "/bin/setpriv", "/usr/sbin/setpriv"];

    /// <param name="resume">False for the retry after the job's session turned out not to exist.</param>
    /// <param name="dropPrivileges">True when running as root: Claude Code then runs as the agent user through
    /// setpriv. It refuses --dangerously-skip-permissions as root anyway, and the agent must not own the VM.</param>
    public static ClaudeLaunch For(JobFrame job, GuestPaths paths, string claudePath, bool resume, bool dropPrivileges)
    {
        var claudeArgs = CommonArguments();
        if (resume && job.SessionId is { } session) claudeArgs.AddRange(["--resume", session]);
        if (job.McpConfigJson is { } mcp) claudeArgs.AddRange(["--mcp-config", mcp]);
        if (SystemPromptAppendix(job, paths) is { } appendix) claudeArgs.AddRange(["--append-system-prompt", appendix]);
        return Build(claudeArgs, job.Env, paths.GroupDir, paths, claudePath, dropPrivileges);
    }

    /// <summary>
    /// A warm VM's Claude Code, started before any job and parked (<c>--await-claim</c>) in <see cref="GuestPaths.SpareDir"/>,
    /// outside the synced folders. Environment and MCP config are fixed at its start (a claim can change neither), so
    /// they come from the <c>spare</c> frame; the working directory and system prompt come with the claim.
    /// </summary>
    public static ClaudeLaunch ForSpare(SpareFrame spare, GuestPaths paths, string claudePath, bool dropPrivileges)
    {
        var claudeArgs = CommonArguments();
        claudeArgs.Add("--await-claim");
        if (spare.McpConfigJson is { } mcp) claudeArgs.AddRange(["--mcp-config", mcp]);
        return Build(claudeArgs, spare.Env, paths.SpareDir, paths, claudePath, dropPrivileges);
    }

    /// <summary>Claude Code's own timers (a cron or wake-up held by the process) die with the VM, which is discarded once
    /// the session idles out: offered, they would let the agent promise a reminder that never comes. The agent schedules
    /// through the host's <c>schedule_task</c> tool instead.</summary>
    const string ToolsThatDieWithTheVm = "CronCreate,CronDelete,CronList,ScheduleWakeup";

    /// <summary><c>--include-partial-messages</c>: the model's stream, so the guest sees a message end with <c>end_turn</c> and
    /// sends the answer then, not after Claude Code's own end-of-turn work (0.2-0.8 s under TCG).</summary>
    static List<string> CommonArguments() =>
        ["-p", "--input-format", "stream-json", "--output-format", "stream-json", "--verbose", "--include-partial-messages",
            "--dangerously-skip-permissions", "--disallowedTools", ToolsThatDieWithTheVm];

    static ClaudeLaunch Build(List<string> claudeArgs, IReadOnlyDictionary<string, string> extraEnv, string workingDirectory, GuestPaths paths,
        string claudePath, bool dropPrivileges)
    {
        // Minimal and explicit: nothing from the guest agent's own environment leaks in.
        var env = new Dictionary<string, string>(extraEnv, StringComparer.Ordinal)
        {
            ["HOME"] = paths.Home,
            ["PATH"] = "/usr/local/bin:/usr/bin:/bin",
            ["CLAUDE_CONFIG_DIR"] = paths.ClaudeStateDir,
            ["DISABLE_TELEMETRY"] = "1",
            ["CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC"] = "1",
        };
        env.TryAdd("LANG", "C.UTF-8");
        env.TryAdd("USER", "agent");

        if (!dropPrivileges)
            return new ClaudeLaunch(claudePath, claudeArgs, workingDirectory, env);
        var setpriv = SetprivLocations.FirstOrDefault(File.Exists)
            ?? throw new InvalidOperationException("setpriv (util-linux) is not installed; it is needed to run Claude Code as the agent user");
        string[] drop = [$"--reuid={GuestPaths.AgentUid}", $"--regid={GuestPaths.AgentGid}", "--clear-groups", "--no-new-privs", "--", claudePath];
        return new ClaudeLaunch(setpriv, [.. drop, .. claudeArgs], workingDirectory, env);
    }

    /// <summary>The global CLAUDE.md (every group's shared memory; not in claude's working directory, so not read by
    /// it on its own) followed by the job's own appendix.</summary>
    public static string? SystemPromptAppendix(JobFrame job, GuestPaths paths) => SystemPromptAppendix(GlobalMemory(paths), job.AppendSystemPrompt);

    /// <summary>The same from its two parts: the spare is claimed with it before the job, from the <c>spare</c> frame's
    /// copy of the global CLAUDE.md, and the job then checks that its own comes out the same.</summary>
    public static string? SystemPromptAppendix(string? globalMemory, string? jobAppendix)
    {
        var parts = new List<string>();
        if (globalMemory?.Trim() is { Length: > 0 } text) parts.Add(text);
        if (!string.IsNullOrWhiteSpace(jobAppendix)) parts.Add(jobAppendix);
        return parts.Count == 0 ? null : string.Join("\n\n", parts);
    }

    static string? GlobalMemory(GuestPaths paths)
    {
        var path = Path.Combine(paths.GlobalDir, "CLAUDE.md");
        return LinuxStat.Lstat(path)?.Type == LinuxFileType.Regular ? File.ReadAllText(path) : null;
    }
}
