using System.Runtime.Versioning;
using Microsoft.Extensions.Logging.Abstractions;
using NanoClaw.ExtraFolders;
using NanoClaw.Runs;
using NanoClaw.Storage;
using NanoClaw.Tests.Fakes;
using NanoClaw.Tests.Support;

namespace NanoClaw.Tests.EndToEnd;

/// <summary>
/// The attack on the host through files that run later: the real Claude Code's Bash, in a real VM, plants a git
/// repository (<c>core.fsmonitor</c>, a hook, the <c>.GIT</c> spelling) and an <c>.envrc</c> in the group's workspace
/// and in a read-write extra folder. None of it may reach the host; the legitimate change of the same run must.
/// </summary>
[Collection(VmCollection.Name)]
[SupportedOSPlatform("linux")]
public sealed class HostExecutedFilesEndToEndTests(VmTestEnvironment vm)
{
    const string RealKey = "sk-ant-api03-REAL-SECRET-git-planting-test";
    const string HostGitConfig = "[remote \"origin\"]\n\turl = https://user:host-token@example.com/vault.git\n";

    static string Plant(string dir, string legit) =>
        $"cd {dir} && mkdir -p .git/hooks .GIT"
        + " && printf '[core]\\n\\tfsmonitor = touch /tmp/nanoclaw-pwned\\n' > .git/config"
        + " && printf '#!/bin/sh\\ntouch /tmp/nanoclaw-pwned\\n' > .git/hooks/pre-commit && chmod +x .git/hooks/pre-commit"
        + " && printf '[core]\\n\\tfsmonitor = touch /tmp/nanoclaw-pwned\\n' > .GIT/config"
        + " && echo 'touch /tmp/nanoclaw-pwned' > .envrc"
        + $" && {legit}; echo rc=$?";

    [Fact]
    public async Task GitFilesAndEnvrcPlantedByTheAgentNeverReachTheHostButItsOtherChangesDo()
    {
        await using var fake = await FakeMessagesApi.StartAsync(requiredApiKey: RealKey);
        var peek = fake.ScriptToolCall("Bash", new { command = "cat /workspace/extra/vault/.git/config; ls -a /workspace/extra/vault", description = "Look" });
        var group = fake.ScriptToolCall("Bash", new { command = Plant("/workspace/group", "echo legit > notes.md"), description = "Plant in the group" });
        var extra = fake.ScriptToolCall("Bash", new { command = Plant("/workspace/extra/vault", "echo 'won: acme' >> pipeline.md"), description = "Plant in the vault" },
            thenReply: "Planted.");

        using var roots = new TempDirectory();
        roots.Write("vault/pipeline.md", "lead: acme\n");
        roots.Write("vault/.git/config", HostGitConfig); // the user's own repository: neither shown to the VM nor changed
        using var settings = new TempDirectory();
        var allowlist = settings.Write("mount-allowlist.json", $$"""{ "allowedRoots": [ { "path": "{{roots.Path}}", "allowReadWrite": true } ] }""");

        using var home = TestHome.ForVms(vm, fake, RealKey, env => env[MountAllowlistFile.EnvironmentVariable] = allowlist);
        var (config, db) = (home.Config, home.Db);
        db.RegisterGroup(new RegisteredGroup("me@s.whatsapp.net", "Me", "main", "@Andy", DateTimeOffset.UtcNow, RequiresTrigger: false, IsMain: true,
            ContainerConfig.WithMounts(null, [new AdditionalMount(roots["vault"], ReadOnly: false)])));

        var channel = new RecordingChannel();
        await using var runtime = await MicroVmRuntime.StartAsync(config, vm.RepoRoot, NullLoggerFactory.Instance, CancellationToken.None);
        await using (var host = new AssistantHost(config, db, [channel], runtime.Runner, TimeProvider.System, NullLoggerFactory.Instance))
        {
            host.Start();
            host.Loop.Deliver(new StoredMessage("m1", "me@s.whatsapp.net", "me", "Me", "set up the repos", DateTimeOffset.UtcNow, false, false));

            var sent = await channel.WaitForAsync(1, TimeSpan.FromMinutes(5));

            sent.ShouldContain(("me@s.whatsapp.net", "Andy: Planted."));
            host.Queue.BeginDrain();
            await host.Queue.WhenQuietAsync().WaitAsync(TimeSpan.FromMinutes(2));
        }
        var peeked = (await peek.WaitForResultAsync()).Content;
        peeked.ShouldNotContain("host-token", customMessage: peeked);
        peeked.ShouldContain("pipeline.md", customMessage: peeked);
        foreach (var planted in new[] { (await group.WaitForResultAsync()).Content, (await extra.WaitForResultAsync()).Content })
            planted.ShouldContain("rc=0", customMessage: planted); // the guest really wrote them all

        var groupDir = Path.Combine(home.Dir, "groups", "main");
        // The legitimate changes arrived...
        File.ReadAllText(Path.Combine(groupDir, "notes.md")).ShouldBe("legit\n");
        File.ReadAllText(roots["vault/pipeline.md"]).ShouldBe("lead: acme\nwon: acme\n");
        // ...and nothing that runs on the host did.
        foreach (var dir in new[] { groupDir, roots["vault"] })
        {
            File.Exists(Path.Combine(dir, ".envrc")).ShouldBeFalse();
            Directory.Exists(Path.Combine(dir, ".GIT")).ShouldBeFalse();
            Directory.Exists(Path.Combine(dir, ".git", "hooks")).ShouldBeFalse();
        }
        Directory.Exists(Path.Combine(groupDir, ".git")).ShouldBeFalse();
        Directory.GetFileSystemEntries(roots["vault/.git"]).ShouldBe([roots["vault/.git/config"]]);
        File.ReadAllText(roots["vault/.git/config"]).ShouldBe(HostGitConfig);
        var runLog = home.RunLog("main");
        foreach (var top in new[] { "group", "extra/vault" })
        {
            runLog.ShouldContain($"REFUSED {top}/.git/config: '.git': a git repository's files run commands on the host");
            runLog.ShouldContain($"REFUSED {top}/.git/hooks/pre-commit: '.git'");
            runLog.ShouldContain($"REFUSED {top}/.GIT/config: '.GIT'");
            runLog.ShouldContain($"REFUSED {top}/.envrc: '.envrc': direnv runs .envrc on the host");
        }
    }
}
