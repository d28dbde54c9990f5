using System.Runtime.Versioning;
using NanoClaw.ExtraFolders;
using NanoClaw.Gateway;
using NanoClaw.Guest;
using NanoClaw.Runs;
using NanoClaw.Storage;
using NanoClaw.Tests.Gateway;
using NanoClaw.Tests.Support;

namespace NanoClaw.Tests.Runs;

/// <summary>
/// The runner's step before every boot: the group's folders checked again, refusals written to the run log and the
/// host log (never fatal), approved ones turned into disks. Real files, real mkfs, real allowlist files.
/// </summary>
[SupportedOSPlatform("linux")]
public sealed class ExtraFolderPreparationTests : IDisposable
{
    readonly TempDirectory _dir = new();
    readonly CapturingLoggerProvider _logs = new();

    public void Dispose() => _dir.Dispose();

    Config ConfigWith(string allowlistJson)
    {
        var allowlist = _dir.Write("settings/mount-allowlist.json", allowlistJson);
        return Config.Load(new Dictionary<string, string?>
        {
            ["NANOCLAW_HOME"] = _dir["home"],
            ["NANOCLAW_CACHE"] = _dir["cache"],
            [MountAllowlistFile.EnvironmentVariable] = allowlist,
        });
    }

    static RegisteredGroup Group(bool isMain, params AdditionalMount[] mounts) =>
        new("g@g.us", "G", isMain ? "main" : "family", "@Andy", DateTimeOffset.UtcNow, RequiresTrigger: false, IsMain: isMain, ContainerConfig.WithMounts(null, mounts));

    async Task<(MicroVmAgentRunner.ExtraFolderSetup Setup, string RunLog)> Prepare(Config config, RegisteredGroup group)
    {
        var runLogPath = _dir["run.log"];
        await using (var runLog = new RunLog(runLogPath, TimeProvider.System))
        {
            var setup = await MicroVmAgentRunner.PrepareExtraFoldersAsync(config, group, runLog, _logs.CreateFactory().CreateLogger("runner"), CancellationToken.None);
            return (setup, File.ReadAllText(runLogPath));
        }
    }

    [Fact]
    public async Task AnInvalidAllowlistMeansNoFoldersAndSaysWhyInBothLogs()
    {
        _dir.Write("roots/vault/note.md", "x");
        var config = ConfigWith("{ \"allowedRoots\": [ { \"path\": \"relative/path\" } ] }");

        var (setup, runLog) = await Prepare(config, Group(isMain: true, new AdditionalMount(_dir["roots/vault"])));

        setup.Disks.ShouldBeEmpty();
        setup.Folders.ShouldBeEmpty();
        runLog.ShouldContain("extra folders: the mount allowlist is unusable:");
        runLog.ShouldContain($"extra folder REFUSED {_dir["roots/vault"]}:");
        _logs.Lines.ShouldContain(l => l.Contains("[403]") && l.Contains("Group main gets no extra folders"));
        _logs.Lines.ShouldContain(l => l.Contains("[404]") && l.Contains(_dir["roots/vault"]));
    }

    [Fact]
    public async Task RefusedFoldersAreLoggedAndTheApprovedOnesStillBecomeDisks()
    {
        _dir.Write("roots/vault/note.md", "x");
        _dir.Write("elsewhere/notes/a.md", "x");
        var config = ConfigWith($$"""{ "allowedRoots": [ { "path": "{{_dir["roots"]}}", "allowReadWrite": true } ] }""");

        var (setup, runLog) = await Prepare(config, Group(isMain: true,
            new AdditionalMount(_dir["roots/vault"], ReadOnly: false), new AdditionalMount(_dir["elsewhere/notes"])));

        setup.Folders.ShouldBe([new ExtraFolder(0, "vault", Writable: true)]);
        setup.Disks.ShouldHaveSingleItem().Writable.ShouldBeTrue();
        setup.Writable.ShouldHaveSingleItem().HostDir.ShouldBe(_dir["roots/vault"]);
        runLog.ShouldContain("extra folder vault: ");
        runLog.ShouldContain("(read-write, changes written back)");
        runLog.ShouldContain($"extra folder REFUSED {_dir["elsewhere/notes"]}: ");
        _logs.Lines.ShouldContain(l => l.Contains("[404]") && l.Contains(_dir["elsewhere/notes"]));
    }

    [Fact]
    public async Task ReadWriteForANonMainGroupBecomesReadOnlyAndNothingGoesBack()
    {
        _dir.Write("roots/vault/note.md", "x");
        var config = ConfigWith($$"""{ "allowedRoots": [ { "path": "{{_dir["roots"]}}", "allowReadWrite": true } ] }""");

        var (setup, runLog) = await Prepare(config, Group(isMain: false, new AdditionalMount(_dir["roots/vault"], ReadOnly: false)));

        setup.Folders.ShouldBe([new ExtraFolder(0, "vault")]);
        setup.Disks.ShouldHaveSingleItem().Writable.ShouldBeFalse();
        setup.Writable.ShouldBeEmpty();
        runLog.ShouldContain("(read-only)");
    }

    [Fact]
    public async Task MoreFoldersThanAVmTakesAreRefusedByName()
    {
        var mounts = Enumerable.Range(0, ExtraFolder.MaxDisks + 1).Select(n => { _dir.Write($"roots/f{n}/a.md", "x"); return new AdditionalMount(_dir[$"roots/f{n}"]); }).ToArray();
        var config = ConfigWith($$"""{ "allowedRoots": [ { "path": "{{_dir["roots"]}}" } ] }""");

        var (setup, runLog) = await Prepare(config, Group(isMain: true, mounts));

        setup.Disks.Count.ShouldBe(ExtraFolder.MaxDisks);
        runLog.ShouldContain($"extra folder REFUSED {_dir[$"roots/f{ExtraFolder.MaxDisks}"]}: a VM takes at most {ExtraFolder.MaxDisks} extra folders");
    }
}
