using NanoClaw.Tests.Fakes;
using NanoClaw.Tests.Support;

namespace NanoClaw.Tests.EndToEnd;

/// <summary>
/// The vertical slice, as a user runs it: <c>./nanoclaw chat</c> -> store -> loop -> queue -> a fresh microVM (QEMU,
/// TCG here) running the real Claude Code binary -> the host gateway -> a fake Messages API (the one part that
/// cannot exist here) -> the reply on stdout. Each test boots real VMs; they run one at a time.
/// </summary>
[Collection(VmCollection.Name)]
public sealed class ChatEndToEndTests(VmTestEnvironment vm) : IAsyncLifetime
{
    const string RealKey = "sk-ant-api03-REAL-SECRET-must-never-enter-a-vm-0123456789";
    static readonly TimeSpan ChatTimeout = TimeSpan.FromMinutes(4);

    readonly string _home = Directory.CreateTempSubdirectory("nanoclaw-e2e-").FullName;
    FakeMessagesApi _fake = null!;

    public async Task InitializeAsync() => _fake = await FakeMessagesApi.StartAsync(requiredApiKey: RealKey);

    public async Task DisposeAsync()
    {
        await _fake.DisposeAsync();
        if (Environment.GetEnvironmentVariable("KEEP_E2E_HOME") != "1")
            try { Directory.Delete(_home, recursive: true); } catch (IOException) { }
    }

    Dictionary<string, string> Env() => new()
    {
        ["NANOCLAW_HOME"] = _home,
        ["ANTHROPIC_API_KEY"] = RealKey,
        ["ANTHROPIC_BASE_URL"] = _fake.BaseUrl.ToString().TrimEnd('/'),
        ["NANOCLAW_CACHE"] = vm.Config.CacheDir,
        ["VM_MEMORY_MB"] = "2048",
        ["LOG_LEVEL"] = Environment.GetEnvironmentVariable("E2E_LOG_LEVEL") ?? "Information",
    };

    Task<NanoclawResult> ChatAsync(string input) => NanoclawProcess.RunAsync(vm.RepoRoot, Env(), input, ChatTimeout, "chat");

    [Fact]
    public async Task AtAndyHelloIsAnsweredByClaudeCodeInAMicroVm()
    {
        _fake.Script("Hello from inside the VM!");

        var result = await ChatAsync("@Andy hello\n");

        result.ExitCode.ShouldBe(0, result.ToString());
        result.Stdout.ShouldBe("Andy: Hello from inside the VM!\n", result.ToString());
        var request = _fake.Requests.First(r => r.Path == "/v1/messages");
        request.Mentions("@Andy hello").ShouldBeTrue();
        request.Header("x-api-key").ShouldBe(RealKey); // injected by the gateway, not sent by the guest
        Directory.GetFiles(Path.Combine(_home, "groups", "main", "logs"), "*.log").ShouldNotBeEmpty();
        Directory.Exists(Path.Combine(_home, "data", "vms")).ShouldBeTrue();
        Directory.GetDirectories(Path.Combine(_home, "data", "vms")).ShouldBeEmpty(); // the VM is gone
    }

    [Fact]
    public async Task AFileWrittenByTheAgentAppearsInTheGroupFolderAndTheNextRunResumesTheSession()
    {
        var write = _fake.ScriptToolCall("Write", new { file_path = "/workspace/group/notes/plan.md", content = "# Plan\nship it\n" }, thenReply: "Saved the plan.");

        var first = await ChatAsync("@Andy save a plan\n");

        first.ExitCode.ShouldBe(0, first.ToString());
        first.Stdout.ShouldBe("Andy: Saved the plan.\n", first.ToString());
        (await write.WaitForResultAsync()).IsError.ShouldBeFalse();
        File.ReadAllText(Path.Combine(_home, "groups", "main", "notes", "plan.md")).ShouldBe("# Plan\nship it\n");

        // A second chat: a new VM, the same Claude session (its state travelled back to the host and in again).
        _fake.Script(req => FakeReply.Text(req.Mentions("save a plan") && req.Mentions("Saved the plan.") ? "I remember the plan." : "I remember nothing."));
        var second = await ChatAsync("@Andy what did we do?\n");

        second.ExitCode.ShouldBe(0, second.ToString());
        second.Stdout.ShouldBe("Andy: I remember the plan.\n", second.ToString());
    }

    [Fact]
    public async Task TheRealKeyIsNowhereInsideTheVmWhileEveryUpstreamRequestCarriesIt()
    {
        var probe = _fake.ScriptToolCall("Bash", new
        {
            command = "env; echo CMDLINE; cat /proc/cmdline; echo CONFIG; cat ~/.claude.json ~/.claude/*.json /home/agent/.claude/.claude.json 2>/dev/null; " +
                      "echo LISTING; ls -laR /home/agent /workspace 2>/dev/null | head -300; grep -rl 'REAL-SECRET' / --exclude-dir=proc --exclude-dir=sys 2>/dev/null | head; echo END",
        }, thenReply: "Looked around.");

        var result = await ChatAsync("@Andy look around\n");

        result.ExitCode.ShouldBe(0, result.ToString());
        var toolResult = (await probe.WaitForResultAsync()).Content;
        toolResult.ShouldContain("CMDLINE");
        toolResult.ShouldContain("ANTHROPIC_BASE_URL=http://10.0.2.100");
        toolResult.ShouldContain("END");
        toolResult.ShouldNotContain("REAL-SECRET");
        _fake.Requests.Where(r => r.Path == "/v1/messages").ShouldAllBe(r => r.Header("x-api-key") == RealKey);
    }
}
