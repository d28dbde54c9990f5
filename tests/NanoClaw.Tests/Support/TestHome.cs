using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using NanoClaw.Storage;

namespace NanoClaw.Tests.Support;

/// <summary>An isolated NANOCLAW_HOME in a temp folder, with its own real SQLite file. Deleted on dispose.</summary>
sealed class TestHome : IDisposable
{
    public string Dir { get; } = Directory.CreateTempSubdirectory("nanoclaw-test-").FullName;
    public Config Config { get; }
    public Database Db { get; }
    public ILoggerFactory Logs { get; } = Environment.GetEnvironmentVariable("TEST_LOGS") == "1" ? LoggerFactory.Create(b => b.AddConsole().SetMinimumLevel(LogLevel.Debug)) : NullLoggerFactory.Instance;

    public TestHome(Action<Dictionary<string, string?>>? configure = null)
    {
        // No prepared runs unless a test asks (PreparedRunTests): a scripted runner answers whatever it is asked.
        var env = new Dictionary<string, string?> { ["NANOCLAW_HOME"] = Dir, ["NANOCLAW_CACHE"] = Path.Combine(Dir, "cache"), ["TZ"] = "UTC", ["AGENT_PREPARE_MINUTES"] = "0" };
        configure?.Invoke(env);
        Config = Config.Load(env);
        Db = Database.Open(Config.DatabasePath);
    }

    /// <summary>A home for an in-process end-to-end run in real VMs: the test collection's VM image cache, the fake
    /// Messages API as the upstream with <paramref name="realKey"/> as the real credential, and 2 GiB VMs.</summary>
    public static TestHome ForVms(NanoClaw.Tests.Support.VmTestEnvironment vm, Fakes.FakeMessagesApi fake, string realKey, Action<Dictionary<string, string?>>? configure = null) =>
        new(env =>
        {
            env["NANOCLAW_CACHE"] = vm.Config.CacheDir;
            env["ANTHROPIC_API_KEY"] = realKey;
            env["ANTHROPIC_BASE_URL"] = fake.BaseUrl.ToString().TrimEnd('/');
            env["VM_MEMORY_MB"] = "2048";
            configure?.Invoke(env);
        });

    /// <summary>The text of the one run log of <paramref name="folder"/> (not the VM console log).</summary>
    public string RunLog(string folder) =>
        File.ReadAllText(Directory.GetFiles(Path.Combine(Dir, "groups", folder, "logs"), "*-*.log").Single(p => !p.EndsWith(".console.log", StringComparison.Ordinal)));

    public RegisteredGroup Register(string jid, string folder, bool isMain = false, bool requiresTrigger = true)
    {
        var group = new RegisteredGroup(jid, folder, folder, "@Andy", DateTimeOffset.UtcNow, requiresTrigger, isMain);
        Db.RegisterGroup(group).ShouldBeOfType<RegisterResult.Registered>();
        return group;
    }

    int _next;
    public StoredMessage Message(string chatJid, string content, string sender = "Alice") =>
        new($"m{Interlocked.Increment(ref _next)}", chatJid, sender + "@s", sender, content, DateTimeOffset.UtcNow, false, false);

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try { Directory.Delete(Dir, recursive: true); } catch (IOException) { }
    }
}
