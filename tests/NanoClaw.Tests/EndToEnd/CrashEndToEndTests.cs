using System.Collections.Concurrent;
using System.Text.RegularExpressions;
using NanoClaw.Tests.Fakes;
using NanoClaw.Tests.Support;

namespace NanoClaw.Tests.EndToEnd;

/// <summary>
/// Nothing is lost across <c>kill -9</c>: a real <c>./nanoclaw chat</c> (real VMs, real Claude Code, the fake API) is
/// SIGKILLed at five points of a run and restarted each time. Every message is answered exactly once across the
/// restarts, and after each kill no VMM of the dead host is left once a few seconds have passed.
/// </summary>
[Collection(VmCollection.Name)]
public sealed partial class CrashEndToEndTests(VmTestEnvironment vm) : IAsyncLifetime
{
    const string RealKey = "sk-ant-api03-REAL-SECRET-must-never-enter-a-vm-0123456789";
    static readonly TimeSpan Step = TimeSpan.FromMinutes(3);
    static readonly TimeSpan VmmGrace = TimeSpan.FromSeconds(5);

    readonly string _home = Directory.CreateTempSubdirectory("nanoclaw-crash-").FullName;
    readonly ConcurrentDictionary<string, TaskCompletionSource> _holdOnce = new();
    readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);
    readonly List<string> _chat = [];
    FakeMessagesApi _fake = null!;

    public async Task InitializeAsync()
    {
        _fake = await FakeMessagesApi.StartAsync(requiredApiKey: RealKey);
        // Every request is answered "reply to msg-N" for the last message it carries; a held one streams nothing
        // until the test is over (its host is killed meanwhile).
        _fake.AnswerEvery(request =>
        {
            var message = MessageToken().Matches(request.LastUserText).LastOrDefault()?.Value ?? "nothing";
            var reply = FakeReply.Text($"reply to {message}");
            if (!_holdOnce.TryRemove(message, out var arrived)) return reply;
            arrived.TrySetResult();
            return reply with { BeforeDelta = _ => _release.Task };
        });
    }

    public async Task DisposeAsync()
    {
        _release.TrySetResult();
        await _fake.DisposeAsync();
        if (Environment.GetEnvironmentVariable("KEEP_E2E_HOME") != "1")
            try { Directory.Delete(_home, recursive: true); } catch (IOException) { }
    }

    [GeneratedRegex(@"msg-\d+")]
    private static partial Regex MessageToken();

    [Fact]
    public async Task EveryMessageIsAnsweredExactlyOnceAcrossKillsAndNoVmOutlivesItsHost()
    {
        // 1. Killed after the run took msg-1, before its VM is up.
        using (var host = Start())
        {
            await host.SayAsync("msg-1: what is the capital of France?");
            await host.WaitForAsync((_, log) => log.Contains("Starting a run for"), Step, "the run for msg-1 to start");
            await KillAsync(host, "before the VM booted");
        }

        // 2. Restarted: msg-1 is run again and answered. msg-2 is fed into the running session as a follow-up;
        //    killed while the model streams its answer.
        using (var host = Start())
        {
            await host.WaitForAsync((chat, _) => chat.Contains("reply to msg-1"), Step, "msg-1 answered after the restart");
            var streaming = Hold("msg-2");
            await host.SayAsync("msg-2: and of Italy?");
            await streaming.WaitAsync(Step);
            await KillAsync(host, "while a follow-up was fed and the model streamed");
        }

        // 3. msg-2 is run again. msg-3, a follow-up, is answered; killed between that output and the workspace sync.
        using (var host = Start())
        {
            await host.WaitForAsync((chat, _) => chat.Contains("reply to msg-2"), Step, "msg-2 answered after the restart");
            await host.SayAsync("msg-3: and of Spain?");
            await host.WaitForAsync((chat, _) => chat.Contains("reply to msg-3"), Step, "msg-3 answered");
            await Task.Delay(500); // past the outbox's "sent" mark: this point is about the run, not the channel
            await KillAsync(host, "between output and sync");
        }

        // 4. Nothing to re-run (msg-3 was answered). A fresh run for msg-4 is killed while its VM boots.
        using (var host = Start())
        {
            await host.SayAsync("msg-4: and of Portugal?");
            await host.WaitForAsync((_, log) => log.Contains("Starting a run for") && log.Contains("started: qemu pid"), Step, "msg-4's run waiting for a booting VM");
            ProcessTable.Mentioning(_home).ShouldNotBeEmpty("a VM is booting at this kill point");
            await KillAsync(host, "during boot");
        }

        // 5. msg-4 is run again; msg-5 works as usual; end of input ends the chat cleanly.
        using (var host = Start())
        {
            await host.WaitForAsync((chat, _) => chat.Contains("reply to msg-4"), Step, "msg-4 answered after the restart");
            await host.SayAsync("msg-5: thanks!");
            await host.WaitForAsync((chat, _) => chat.Contains("reply to msg-5"), Step, "msg-5 answered");
            var exit = await host.EndAsync(Step);
            _chat.Add(host.Stdout);
            exit.ShouldBe(0, host.ToString());
        }
        await NoVmmLeftAsync("after the clean exit");

        var chat = string.Concat(_chat);
        foreach (var n in Enumerable.Range(1, 5))
            Regex.Matches(chat, $"Andy: reply to msg-{n}\n").Count.ShouldBe(1, $"msg-{n} must be answered exactly once; the chat across restarts was:\n{chat}");
    }

    LiveNanoclaw Start() => LiveNanoclaw.Start(vm.RepoRoot, new Dictionary<string, string>
    {
        ["NANOCLAW_HOME"] = _home,
        ["ANTHROPIC_API_KEY"] = RealKey,
        ["ANTHROPIC_BASE_URL"] = _fake.BaseUrl.ToString().TrimEnd('/'),
        ["NANOCLAW_CACHE"] = vm.Config.CacheDir,
        ["VM_MEMORY_MB"] = "2048",
        // One VM per run keeps the test inside its time on a small machine; warm VMs go through the same
        // VmProcess launch (and its watch) and are covered by WarmPoolVmTests.
        ["WARM_POOL_SIZE"] = "0",
        ["LOG_LEVEL"] = "Information",
    }, "chat");

    Task Hold(string message)
    {
        var arrived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _holdOnce[message] = arrived;
        return arrived.Task;
    }

    async Task KillAsync(LiveNanoclaw host, string point)
    {
        host.KillHard();
        _chat.Add(host.Stdout);
        await NoVmmLeftAsync($"after a kill {point}\n{host}");
    }

    /// <summary>Every VMM of this home (its argv names the home's run folders) is gone within the grace period.</summary>
    async Task NoVmmLeftAsync(string when)
    {
        var deadline = DateTime.UtcNow + VmmGrace;
        while (ProcessTable.Mentioning(_home).Count > 0 && DateTime.UtcNow < deadline) await Task.Delay(100);
        ProcessTable.Mentioning(_home).ShouldBeEmpty($"no VMM may outlive its host ({VmmGrace.TotalSeconds:F0} s grace), {when}");
    }
}
