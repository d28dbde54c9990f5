using System.Diagnostics;
using System.Text.Json.Nodes;

namespace NanoClaw.Tests.Fakes;

/// <summary>
/// Runs the REAL Claude Code binary (the pinned one from <c>vm/fetch-claude-code.sh</c>) on this machine with a clean
/// environment: only the given base URL and key, a private HOME/CLAUDE_CONFIG_DIR, telemetry and nonessential traffic off.
/// Owns its temp folder: <see cref="HomeDir"/> (config) and <see cref="WorkDir"/> (the CLI's working directory).
/// <code>
/// using var cli = new ClaudeCli(fake.BaseUrl, "sk-test");
/// var run = await cli.RunAsync("hello");
/// run.Result.ShouldBe("Hi!");
/// </code>
/// </summary>
public sealed class ClaudeCli(Uri baseUrl, string apiKey) : IDisposable
{
    static readonly Lazy<Task<string>> Binary = new(LocateBinaryAsync);
    readonly DirectoryInfo root = Directory.CreateTempSubdirectory("nanoclaw-claude-");

    public string HomeDir => Directory.CreateDirectory(Path.Combine(root.FullName, "home")).FullName;
    public string WorkDir => Directory.CreateDirectory(Path.Combine(root.FullName, "work")).FullName;
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(90);
    /// <summary>Extra environment variables, e.g. <c>ENABLE_TOOL_SEARCH=false</c>.</summary>
    public IReadOnlyDictionary<string, string> Environment { get; init; } = new Dictionary<string, string>();

    /// <summary><c>claude -p PROMPT --output-format json [args]</c>; e.g. args <c>"--allowedTools", "Bash"</c> to permit a tool.</summary>
    public async Task<ClaudeCliRun> RunAsync(string prompt, params string[] args)
    {
        var start = new ProcessStartInfo(await Binary.Value)
        {
            WorkingDirectory = WorkDir,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
        };
        foreach (var a in (string[])["-p", prompt, "--output-format", "json", .. args]) start.ArgumentList.Add(a);
        // NOTE: a clean environment on purpose: the host's own ANTHROPIC_* variables must never leak into a test run.
        start.Environment.Clear();
        start.Environment["PATH"] = "/usr/local/bin:/usr/bin:/bin";
        start.Environment["HOME"] = HomeDir;
        start.Environment["CLAUDE_CONFIG_DIR"] = Path.Combine(HomeDir, ".claude");
        start.Environment["ANTHROPIC_BASE_URL"] = baseUrl.ToString().TrimEnd('/');
        start.Environment["ANTHROPIC_API_KEY"] = apiKey;
        start.Environment["DISABLE_TELEMETRY"] = "1";
        start.Environment["CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC"] = "1";
        foreach (var (key, value) in Environment) start.Environment[key] = value;

        using var process = Process.Start(start) ?? throw new InvalidOperationException("Could not start the claude binary.");
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        try
        {
            await process.WaitForExitAsync().WaitAsync(Timeout);
        }
        catch (TimeoutException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            throw new TimeoutException($"claude -p did not finish within {Timeout}. stderr: {await stderr} stdout: {await stdout}");
        }
        return new ClaudeCliRun(process.ExitCode, await stdout, await stderr);
    }

    public void Dispose()
    {
        try { root.Delete(recursive: true); }
        catch (IOException) { } // a CLI child still writing: the temp folder is left for the OS to clean
    }

    /// <summary>NANOCLAW_CLAUDE_BIN when set, else the cached pinned binary (fetched once if missing).</summary>
    static async Task<string> LocateBinaryAsync()
    {
        if (System.Environment.GetEnvironmentVariable("NANOCLAW_CLAUDE_BIN") is { Length: > 0 } explicitPath) return explicitPath;
        var repo = new DirectoryInfo(AppContext.BaseDirectory);
        while (repo is not null && !File.Exists(Path.Combine(repo.FullName, "NanoClaw.slnx"))) repo = repo.Parent;
        if (repo is null) throw new InvalidOperationException("Cannot find the repository root (NanoClaw.slnx) above the test binaries.");
        var cache = System.Environment.GetEnvironmentVariable("NANOCLAW_CACHE") is { Length: > 0 } c
            ? c
            : Path.Combine(System.Environment.GetFolderPath(System.Environment.SpecialFolder.UserProfile), ".cache", "nanoclaw");
        Directory.CreateDirectory(cache);
        var fetch = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in (string[])[Path.Combine(repo.FullName, "vm", "fetch-claude-code.sh"), cache]) fetch.ArgumentList.Add(a);
        using var process = Process.Start(fetch)!;
        var path = (await process.StandardOutput.ReadToEndAsync()).Trim();
        var error = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return process.ExitCode == 0 && File.Exists(path)
            ? path
            : throw new InvalidOperationException($"vm/fetch-claude-code.sh failed ({process.ExitCode}): {error}. Set NANOCLAW_CLAUDE_BIN to a claude binary to skip fetching.");
    }
}

/// <summary>Exit code and output of one <c>claude -p --output-format json</c> run.</summary>
public sealed record ClaudeCliRun(int ExitCode, string Stdout, string Stderr)
{
    /// <summary>The JSON result object the CLI printed (its last line of stdout).</summary>
    public JsonObject Json => JsonNode.Parse(Stdout.Trim().Split('\n')[^1]) as JsonObject
        ?? throw new InvalidOperationException($"claude printed no JSON object. stdout: {Stdout} stderr: {Stderr}");

    /// <summary>The final assistant text (<c>result</c>).</summary>
    public string? Result => (string?)Json["result"];

    public bool IsError => Json["is_error"]?.GetValue<bool>() ?? true;

    public override string ToString() => $"exit {ExitCode}; stdout: {Stdout}; stderr: {Stderr}";
}
