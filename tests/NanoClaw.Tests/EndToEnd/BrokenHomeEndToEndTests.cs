using Microsoft.Data.Sqlite;

namespace NanoClaw.Tests.EndToEnd;

/// <summary>
/// Every command, run as a new user would in a home that is broken in one way (no credential, a store that cannot be
/// opened, a store from a newer NanoClaw, no VM image), fails like a tool: a non-zero exit code and, as the last line
/// on stderr, one plain sentence saying what to do. No "Unhandled exception", no stack trace (those only with
/// LOG_LEVEL=Debug). Real <c>./nanoclaw</c> processes; no VM boots.
/// </summary>
public sealed class BrokenHomeEndToEndTests : IDisposable
{
    static readonly TimeSpan Timeout = TimeSpan.FromMinutes(3);
    const string Key = "sk-ant-api03-broken-home-test-0000000000";
    readonly string _home = Directory.CreateTempSubdirectory("nanoclaw-broken-").FullName;

    static readonly string RepoRoot = NanoClaw.Tests.Guest.VsockAddressTests.RepoRoot();

    public void Dispose()
    {
        try { Directory.Delete(_home, recursive: true); } catch (IOException) { }
    }

    /// <summary>Every command that reads the store (or the credential, or the image) and so must fail when it is broken.</summary>
    public static TheoryData<string> StoreCommands() => new()
    {
        "chat", "run", "doctor", "groups list", "groups chats", "groups register --jid 1@g.us --name G --folder g",
        "groups budget --default", "groups egress main list", "groups mount list --folder main",
        "tasks list", "tasks log t1", "tasks pause t1", "tasks add --group main --type once --value 2030-01-01T09:00:00 --prompt hi",
        "usage",
    };

    public static TheoryData<string> CredentialCommands() => new() { "chat", "run", "doctor" };

    Dictionary<string, string> Env(bool credential = true) => new()
    {
        ["NANOCLAW_HOME"] = _home,
        ["WARM_POOL_SIZE"] = "0",
        // Nothing may reach a real endpoint: the base URL is a closed port.
        ["ANTHROPIC_BASE_URL"] = "http://127.0.0.1:9",
        [credential ? "ANTHROPIC_API_KEY" : "UNUSED"] = Key,
    };

    async Task<NanoclawResult> RunAsync(string command, Dictionary<string, string> env) =>
        await NanoclawProcess.RunAsync(RepoRoot, env, "hello\n", Timeout, command.Split(' '));

    static void FailsPlainly(NanoclawResult result, string? lastLineMentions = null)
    {
        result.ExitCode.ShouldNotBe(0, result.ToString());
        result.Stderr.ShouldNotContain("Unhandled exception", Case.Sensitive, result.ToString());
        result.Stderr.Split('\n').ShouldNotContain(l => l.StartsWith("   at ", StringComparison.Ordinal), result.ToString());
        var last = result.Stderr.TrimEnd('\n').Split('\n')[^1];
        last.ShouldNotBeNullOrWhiteSpace(result.ToString());
        last.ShouldNotContain("Exception", Case.Sensitive, result.ToString());
        (last.EndsWith('.') || last.EndsWith(')')).ShouldBeTrue($"not one plain sentence: \"{last}\"\n{result}");
        if (lastLineMentions is not null) last.ShouldContain(lastLineMentions, Case.Insensitive, result.ToString());
    }

    [Theory]
    [MemberData(nameof(CredentialCommands))]
    public async Task NoCredential(string command) =>
        FailsPlainly(await RunAsync(command, Env(credential: false)), command == "doctor" ? "missing" : "ANTHROPIC_API_KEY");

    [Theory]
    [MemberData(nameof(StoreCommands))]
    public async Task StoreFolderIsAFile(string command)
    {
        // chmod 000 does not stop root (the tests run as root in CI); a file where the folder belongs stops everyone.
        await File.WriteAllTextAsync(Path.Combine(_home, "store"), "not a folder");
        FailsPlainly(await RunAsync(command, Env()), command == "doctor" ? "missing" : "store");
    }

    [Theory]
    [MemberData(nameof(StoreCommands))]
    public async Task StoreIsNotSqlite(string command)
    {
        Directory.CreateDirectory(Path.Combine(_home, "store"));
        await File.WriteAllTextAsync(Path.Combine(_home, "store", "messages.db"), new string('x', 8192));
        FailsPlainly(await RunAsync(command, Env()), command == "doctor" ? "missing" : "store");
    }

    [Theory]
    [MemberData(nameof(StoreCommands))]
    public async Task StoreHasANewerSchema(string command)
    {
        Directory.CreateDirectory(Path.Combine(_home, "store"));
        using (var c = new SqliteConnection($"Data Source={Path.Combine(_home, "store", "messages.db")};Pooling=False"))
        {
            c.Open();
            using var cmd = c.CreateCommand();
            cmd.CommandText = "PRAGMA user_version = 9999;";
            cmd.ExecuteNonQuery();
        }
        FailsPlainly(await RunAsync(command, Env()), command == "doctor" ? "missing" : "newer");
    }

    [Theory]
    [InlineData("chat")]
    [InlineData("doctor")]
    [InlineData("setup")]
    public async Task NoVmImage(string command)
    {
        // A cache that holds no image and cannot hold one (a file where the folder belongs): nothing is built.
        var cache = Path.Combine(_home, "cache");
        await File.WriteAllTextAsync(cache, "not a folder");
        var env = Env();
        env["NANOCLAW_CACHE"] = cache;
        FailsPlainly(await RunAsync(command, env));
    }

    /// <summary>auth keeps WhatsApp's keys in the store folder: when that cannot be a folder it says so at once, before
    /// the sidecar starts (which would retry the folder until the pairing timeout).</summary>
    [Theory]
    [InlineData("auth")]
    [InlineData("auth --phone +4915123456789")]
    public async Task AuthWhenTheStoreFolderIsAFile(string command)
    {
        await File.WriteAllTextAsync(Path.Combine(_home, "store"), "not a folder");
        FailsPlainly(await RunAsync(command, Env()), "store");
    }

    [Fact]
    public async Task WithLogLevelDebugTheStackTraceIsShownBeforeTheLine()
    {
        var env = Env(credential: false);
        env["LOG_LEVEL"] = "Debug";
        var result = await RunAsync("chat", env);
        result.ExitCode.ShouldNotBe(0, result.ToString());
        result.Stderr.ShouldContain("   at ", Case.Sensitive, result.ToString());
        result.Stderr.TrimEnd('\n').Split('\n')[^1].ShouldContain("ANTHROPIC_API_KEY");
    }

    [Theory]
    [InlineData("TERM")]
    [InlineData("INT")]
    public async Task RunStopsCleanlyOnASignalAndExitsZero(string signal)
    {
        var result = await NanoclawProcess.RunAsync(RepoRoot, Env(), "", until: async (stderr, ct) =>
        {
            while (!stderr().Contains("NanoClaw is running", StringComparison.Ordinal)) await Task.Delay(100, ct);
        }, Timeout, signal, "run");
        result.ExitCode.ShouldBe(0, result.ToString());
        result.Stderr.ShouldContain("Stopping: runs get", Case.Sensitive, result.ToString());
    }
}
