using System.Runtime.Versioning;
using Microsoft.Extensions.Logging.Abstractions;
using NanoClaw.ExtraFolders;
using NanoClaw.Runs;
using NanoClaw.Storage;
using NanoClaw.Tests.Fakes;
using NanoClaw.Tests.Support;
using NanoClaw.Vm;

namespace NanoClaw.Tests.EndToEnd;

/// <summary>
/// An extra folder as a group gets it: allowed by the allowlist, requested in the group's container_config, attached by
/// QEMU as a read-only disk and mounted by the guest at /workspace/extra/vault. The real Claude Code reads it through
/// Bash, and its write fails inside the VM.
/// </summary>
[Collection(VmCollection.Name)]
[SupportedOSPlatform("linux")]
public sealed class ExtraFolderEndToEndTests(VmTestEnvironment vm)
{
    const string RealKey = "sk-ant-api03-REAL-SECRET-extra-folder-test";
    const string Note = "# Vault\nthe answer is 42\n";

    [Fact]
    public async Task AnAllowedFolderIsReadableInTheVmAndWritesToItFail()
    {
        await using var fake = await FakeMessagesApi.StartAsync(requiredApiKey: RealKey);
        var read = fake.ScriptToolCall("Bash", new { command = "cat /workspace/extra/vault/note.md", description = "Read the note" });
        // Five folders (the cap): each must appear under its own name, whatever order the guest probed the disks in.
        var all = fake.ScriptToolCall("Bash", new { command = "for d in /workspace/extra/*; do echo \"$d=$(cat \"$d/id.txt\")\"; done", description = "List the folders" });
        var write = fake.ScriptToolCall("Bash", new { command = "echo x > /workspace/extra/vault/note.md; echo rc=$?", description = "Try to write" },
            thenReply: "Read the vault.");

        using var roots = new TempDirectory();
        var note = roots.Write("vault/note.md", Note);
        roots.Write("vault/.env", "SECRET=1\n");
        string[] names = ["vault", "papers", "recipes", "music", "taxes"];
        foreach (var name in names) roots.Write($"{name}/id.txt", name);
        using var settings = new TempDirectory();
        var allowlist = settings.Write("mount-allowlist.json", $$"""{ "allowedRoots": [ { "path": "{{roots.Path}}" } ] }""");

        using var home = TestHome.ForVms(vm, fake, RealKey, env => env[MountAllowlistFile.EnvironmentVariable] = allowlist);
        var (config, db) = (home.Config, home.Db);
        db.RegisterGroup(new RegisteredGroup("family@g.us", "Family", "family", "@Andy", DateTimeOffset.UtcNow, RequiresTrigger: false, IsMain: false,
            ContainerConfig.WithMounts(null, [.. names.Select(n => new AdditionalMount(roots[n]))])));

        var channel = new RecordingChannel();
        await using var runtime = await MicroVmRuntime.StartAsync(config, vm.RepoRoot, NullLoggerFactory.Instance, CancellationToken.None);
        await using (var host = new AssistantHost(config, db, [channel], runtime.Runner, TimeProvider.System, NullLoggerFactory.Instance))
        {
            host.Start();
            host.Loop.Deliver(new StoredMessage("m1", "family@g.us", "x", "Xavier", "what is in the vault?", DateTimeOffset.UtcNow, false, false));

            var sent = await channel.WaitForAsync(1, TimeSpan.FromMinutes(5));

            sent.ShouldContain(("family@g.us", "Andy: Read the vault."));
            host.Queue.BeginDrain();
            await host.Queue.WhenQuietAsync().WaitAsync(TimeSpan.FromMinutes(2));
        }
        var readResult = await read.WaitForResultAsync();
        readResult.Content.ShouldContain("the answer is 42", customMessage: readResult.Content);
        var allResult = await all.WaitForResultAsync();
        foreach (var name in names) allResult.Content.ShouldContain($"/workspace/extra/{name}={name}", customMessage: allResult.Content);
        var writeResult = await write.WaitForResultAsync();
        writeResult.Content.ShouldContain("Read-only file system", customMessage: writeResult.Content);
        writeResult.Content.ShouldContain("rc=1", customMessage: writeResult.Content);
        File.ReadAllText(note).ShouldBe(Note);
        File.Exists(Path.Combine(home.Dir, "groups", "family", "extra", "vault", "note.md")).ShouldBeFalse();
        var runLog = home.RunLog("family");
        runLog.ShouldContain("extra folder vault:");
        runLog.ShouldContain("left out .env");
    }

    [Fact]
    public async Task AReadWriteFolderOfMainGetsTheAgentsChangesBackAndNothingBlocked()
    {
        await using var fake = await FakeMessagesApi.StartAsync(requiredApiKey: RealKey);
        var edit = fake.ScriptToolCall("Bash", new
        {
            command = "cd /workspace/extra/vault && id -u && cat pipeline.md && echo 'won: acme' >> pipeline.md && mkdir -p deals && echo signed > deals/acme.md"
                + " && rm done.md && echo KEY=stolen > .env; mkdir -p .ssh && echo planted > .ssh/authorized_keys; ln -s /etc/passwd link; echo rc=$?",
            description = "Update the pipeline",
        }, thenReply: "Pipeline updated.");

        using var roots = new TempDirectory();
        roots.Write("vault/pipeline.md", "lead: acme\n");
        roots.Write("vault/done.md", "old\n");
        roots.Write("papers/paper.md", "read-only\n");
        using var settings = new TempDirectory();
        var allowlist = settings.Write("mount-allowlist.json", $$"""{ "allowedRoots": [ { "path": "{{roots.Path}}", "allowReadWrite": true } ] }""");

        using var home = TestHome.ForVms(vm, fake, RealKey, env => env[MountAllowlistFile.EnvironmentVariable] = allowlist);
        var (config, db) = (home.Config, home.Db);
        db.RegisterGroup(new RegisteredGroup("me@s.whatsapp.net", "Me", "main", "@Andy", DateTimeOffset.UtcNow, RequiresTrigger: false, IsMain: true,
            ContainerConfig.WithMounts(null, [new AdditionalMount(roots["vault"], ReadOnly: false), new AdditionalMount(roots["papers"])])));

        var channel = new RecordingChannel();
        await using var runtime = await MicroVmRuntime.StartAsync(config, vm.RepoRoot, NullLoggerFactory.Instance, CancellationToken.None);
        string[] imagesBefore;
        var started = DateTimeOffset.UtcNow;
        await using (var host = new AssistantHost(config, db, [channel], runtime.Runner, TimeProvider.System, NullLoggerFactory.Instance))
        {
            host.Start();
            host.Loop.Deliver(new StoredMessage("m1", "me@s.whatsapp.net", "me", "Me", "update the pipeline", DateTimeOffset.UtcNow, false, false));

            var sent = await channel.WaitForAsync(1, TimeSpan.FromMinutes(5));

            sent.ShouldContain(("me@s.whatsapp.net", "Andy: Pipeline updated."));
            host.Queue.BeginDrain();
            await host.Queue.WhenQuietAsync().WaitAsync(TimeSpan.FromMinutes(2));
            // The cache is shared with other tests: this run's images are the ones written since it started.
            imagesBefore = [.. Directory.GetFiles(Path.Combine(config.CacheDir, "folders"), "*.ext4", SearchOption.AllDirectories)
                .Where(image => File.GetLastWriteTimeUtc(image) >= started.UtcDateTime.AddSeconds(-1))];
        }
        var result = (await edit.WaitForResultAsync()).Content;
        result.ShouldContain("1000", customMessage: result); // the agent, not root
        result.ShouldContain("lead: acme", customMessage: result);

        // What the agent changed is on the host...
        File.ReadAllText(roots["vault/pipeline.md"]).ShouldBe("lead: acme\nwon: acme\n");
        File.ReadAllText(roots["vault/deals/acme.md"]).ShouldBe("signed\n");
        File.Exists(roots["vault/done.md"]).ShouldBeFalse();
        // ...but nothing blocked, no link, and the read-only folder untouched.
        File.Exists(roots["vault/.env"]).ShouldBeFalse();
        Directory.Exists(roots["vault/.ssh"]).ShouldBeFalse();
        File.Exists(roots["vault/link"]).ShouldBeFalse();
        Directory.GetFileSystemEntries(roots["papers"]).ShouldBe([roots["papers/paper.md"]]);
        var runLog = home.RunLog("main");
        runLog.ShouldContain("extra folder vault:");
        runLog.ShouldContain("read-write, changes written back");
        runLog.ShouldContain("REFUSED extra/vault/.env: matches the blocked pattern");
        runLog.ShouldContain("REFUSED extra/vault/.ssh/authorized_keys: matches the blocked pattern");

        // The cached image is a snapshot the VM never wrote (its writes went to QEMU's throwaway layer).
        imagesBefore.Length.ShouldBe(2);
        var inImage = await Task.WhenAll(imagesBefore.Select(async image =>
            string.Join("\n", (await ChildProcess.RunAsync("debugfs", ["-R", "cat /pipeline.md", image], null, null, TimeSpan.FromSeconds(30), default)).Tail)));
        inImage.ShouldContain(text => text.Contains("lead: acme") && !text.Contains("won"), customMessage: string.Join(" | ", inImage));
    }
}
