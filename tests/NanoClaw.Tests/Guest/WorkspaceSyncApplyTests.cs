using System.Formats.Tar;
using System.Runtime.Versioning;
using NanoClaw.Guest;
using NanoClaw.Tests.Support;

namespace NanoClaw.Tests.Guest;

/// <summary>The guest is hostile: every way out of the writable folders must be refused, with nothing written outside.</summary>
[SupportedOSPlatform("linux")]
public sealed class WorkspaceSyncApplyTests : IDisposable
{
    readonly TempDirectory _root = new();
    readonly WorkspaceLayout _layout;
    readonly string _outside;

    public WorkspaceSyncApplyTests()
    {
        _layout = new WorkspaceLayout(_root["groups/family"], _root["groups/global"], _root["data/family/.claude"], GlobalWritable: false);
        Directory.CreateDirectory(_layout.GroupDir);
        Directory.CreateDirectory(_layout.GlobalDir);
        Directory.CreateDirectory(_layout.ClaudeStateDir);
        _outside = _root["outside"];
        Directory.CreateDirectory(_outside);
        _root.Write("outside/secret.txt", "host secret");
        _root.Write("groups/global/CLAUDE.md", "global memory");
    }

    public void Dispose() => _root.Dispose();

    Task<WorkspaceSyncResult> Apply(TarBuilder tar, WorkspaceSyncLimits? limits = null, params string[] deleted) =>
        WorkspaceSync.ApplyChangesAsync(_layout, tar.ToStream(), deleted, limits ?? WorkspaceSyncLimits.Default, CancellationToken.None);

    void OutsideIsUntouched()
    {
        Directory.GetFileSystemEntries(_outside, "*", SearchOption.AllDirectories).ShouldBe([Path.Combine(_outside, "secret.txt")]);
        File.ReadAllText(Path.Combine(_outside, "secret.txt")).ShouldBe("host secret");
        Directory.GetFileSystemEntries(_root.Path).Order().ShouldBe(new[] { _root["data"], _root["groups"], _outside }.Order());
    }

    [Fact]
    public async Task ValidFilesAreWrittenAtomicallyWithTheirExecutableBit()
    {
        var result = await Apply(new TarBuilder()
            .File("group/notes/today.md", "hello")
            .File("group/run.sh", "#!/bin/sh", (UnixFileMode)0b111_101_101)
            .File("claude/projects/x/session.jsonl", "{}"));

        result.AllApplied.ShouldBeTrue();
        result.Written.ShouldBe(["group/notes/today.md", "group/run.sh", "claude/projects/x/session.jsonl"]);
        File.ReadAllText(Path.Combine(_layout.GroupDir, "notes/today.md")).ShouldBe("hello");
        (File.GetUnixFileMode(Path.Combine(_layout.GroupDir, "run.sh")) & UnixFileMode.UserExecute).ShouldNotBe((UnixFileMode)0);
        (File.GetUnixFileMode(Path.Combine(_layout.GroupDir, "notes/today.md")) & UnixFileMode.UserExecute).ShouldBe((UnixFileMode)0);
        File.ReadAllText(Path.Combine(_layout.ClaudeStateDir, "projects/x/session.jsonl")).ShouldBe("{}");
        Directory.GetFiles(_layout.GroupDir, "*.tmp", SearchOption.AllDirectories).ShouldBeEmpty();
    }

    [Theory]
    [InlineData("group/../../etc/x", "'..' segment")]
    [InlineData("group/../../../../../../tmp/nanoclaw-escape", "'..' segment")]
    [InlineData("/etc/x", "absolute path")]
    [InlineData("group//x", "empty path segment")]
    [InlineData("group/./x", "'.' segment")]
    [InlineData("etc/passwd", "outside the writable folders")]
    [InlineData("outside/secret.txt", "outside the writable folders")]
    [InlineData("group", "top folder")]
    [InlineData("group/logs/2026.log", "belongs to the host")]
    [InlineData("group/a\tb", "control characters")]
    [InlineData("global/CLAUDE.md", "read-only")]
    public async Task BadPathsAreRefusedAndTheRestStillApplies(string name, string reason)
    {
        var result = await Apply(new TarBuilder().File(name, "evil").File("group/ok.txt", "fine"));

        result.ArchiveRefused.ShouldBeNull();
        result.Refused.ShouldHaveSingleItem().Reason.ShouldContain(reason);
        result.Written.ShouldBe(["group/ok.txt"]);
        File.Exists("/etc/x").ShouldBeFalse();
        File.Exists("/tmp/nanoclaw-escape").ShouldBeFalse();
        File.ReadAllText(Path.Combine(_layout.GlobalDir, "CLAUDE.md")).ShouldBe("global memory");
        OutsideIsUntouched();
    }

    [Fact]
    public async Task GlobalIsWritableForTheMainGroupOnly()
    {
        var main = _layout with { GlobalWritable = true };
        var result = await WorkspaceSync.ApplyChangesAsync(main, new TarBuilder().File("global/CLAUDE.md", "new").ToStream(), [], WorkspaceSyncLimits.Default, default);

        result.Written.ShouldBe(["global/CLAUDE.md"]);
        File.ReadAllText(Path.Combine(_layout.GlobalDir, "CLAUDE.md")).ShouldBe("new");
    }

    [Fact]
    public async Task LinksDevicesAndFifosAreRefused()
    {
        var result = await Apply(new TarBuilder()
            .Symlink("group/etc", "/etc")
            .Symlink("group/up", "../../outside")
            .HardLink("group/passwd", "/etc/passwd")
            .Add(new PaxTarEntry(TarEntryType.CharacterDevice, "group/mem") { DeviceMajor = 1, DeviceMinor = 1 })
            .Add(new PaxTarEntry(TarEntryType.BlockDevice, "group/disk") { DeviceMajor = 8, DeviceMinor = 0 })
            .Add(new PaxTarEntry(TarEntryType.Fifo, "group/pipe"))
            .File("group/etc/x", "through the link?"));

        result.Refused.Select(r => r.Path).ShouldBe(["group/etc", "group/up", "group/passwd", "group/mem", "group/disk", "group/pipe"]);
        result.Refused.ShouldAllBe(r => r.Reason.Contains("only regular files and directories"));
        // With the link refused, group/etc/x is an ordinary new folder and file inside the group.
        result.Written.ShouldBe(["group/etc/x"]);
        LinuxStat.Lstat(Path.Combine(_layout.GroupDir, "etc"))!.Value.Type.ShouldBe(LinuxFileType.Directory);
        File.Exists("/etc/x").ShouldBeFalse();
        OutsideIsUntouched();
    }

    [Fact]
    public async Task HostSymlinksInsideTheGroupAreNeverWrittenThrough()
    {
        File.CreateSymbolicLink(Path.Combine(_layout.GroupDir, "vault"), _outside);
        File.CreateSymbolicLink(Path.Combine(_layout.GroupDir, "secret.txt"), Path.Combine(_outside, "secret.txt"));

        var result = await Apply(new TarBuilder()
            .File("group/vault/planted.txt", "x")
            .File("group/vault/secret.txt", "overwritten?")
            .File("group/secret.txt", "overwritten?")
            .Dir("group/vault/sub/"));

        result.Written.ShouldBeEmpty();
        result.Refused.Count.ShouldBe(4);
        result.Refused[0].Reason.ShouldContain("'group/vault' is a symlink on the host");
        result.Refused[2].Reason.ShouldContain("target is a symlink");
        OutsideIsUntouched();
    }

    [Fact]
    public async Task AFileInTheWayOfAFolderIsRefused()
    {
        _root.Write("groups/family/report", "a file");
        var result = await Apply(new TarBuilder().File("group/report/inner.txt", "x"));
        result.Refused.ShouldHaveSingleItem().Reason.ShouldContain("is a file on the host, not a directory");
        File.ReadAllText(Path.Combine(_layout.GroupDir, "report")).ShouldBe("a file");
    }

    [Fact]
    public async Task OversizedFilesAreRefusedOneByOne()
    {
        var limits = new WorkspaceSyncLimits(MaxFileBytes: 10, MaxTotalBytes: 1000, MaxEntries: 10);
        var result = await Apply(new TarBuilder().File("group/big.bin", new byte[11]).File("group/small.txt", "0123456789"), limits);

        result.Refused.ShouldHaveSingleItem().Path.ShouldBe("group/big.bin");
        result.Written.ShouldBe(["group/small.txt"]);
        File.Exists(Path.Combine(_layout.GroupDir, "big.bin")).ShouldBeFalse();
    }

    [Fact]
    public async Task TooManyEntriesRefusesTheWholeArchive()
    {
        var tar = new TarBuilder();
        for (var i = 0; i < 5; i++) tar.File($"group/f{i}.txt", "x");
        var result = await Apply(tar, new WorkspaceSyncLimits(100, 1000, MaxEntries: 4), "group/gone.txt");

        result.ArchiveRefused.ShouldNotBeNull().ShouldContain("more than 4 entries");
        result.Written.ShouldBeEmpty();
        result.Deleted.ShouldBeEmpty();
        Directory.GetFileSystemEntries(_layout.GroupDir).ShouldBeEmpty();
    }

    [Fact]
    public async Task OverTheTotalCapRefusesTheWholeArchive()
    {
        var result = await Apply(new TarBuilder().File("group/a", new byte[60]).File("group/b", new byte[60]), new WorkspaceSyncLimits(100, 100, 10));
        result.ArchiveRefused.ShouldNotBeNull().ShouldContain("more than 100 bytes");
        Directory.GetFileSystemEntries(_layout.GroupDir).ShouldBeEmpty();
    }

    [Fact]
    public async Task ATruncatedArchiveIsRefusedWholeEvenItsValidFirstEntry()
    {
        var bytes = new TarBuilder().File("group/first.txt", "ok").File("group/second.bin", new byte[5000]).ToArray();
        foreach (var cut in new[] { 1536 + 512 + 100, bytes.Length - 1024 - 2000 })
        {
            var result = await WorkspaceSync.ApplyChangesAsync(_layout, new MemoryStream(bytes[..cut]), [], WorkspaceSyncLimits.Default, default);
            result.ArchiveRefused.ShouldNotBeNull();
            Directory.GetFileSystemEntries(_layout.GroupDir).ShouldBeEmpty();
        }
    }

    [Fact]
    public async Task GarbageIsRefusedWhole()
    {
        var garbage = Enumerable.Range(0, 2048).Select(i => (byte)(i * 7 + 1)).ToArray();
        var result = await WorkspaceSync.ApplyChangesAsync(_layout, new MemoryStream(garbage), [], WorkspaceSyncLimits.Default, default);
        result.ArchiveRefused.ShouldNotBeNull().ShouldContain("malformed archive");
    }

    [Fact]
    public async Task AnEmptyPayloadCarriesOnlyDeletions()
    {
        _root.Write("groups/family/old.txt", "bye");
        var result = await WorkspaceSync.ApplyChangesAsync(_layout, Stream.Null, ["group/old.txt", "group/never-existed.txt"], WorkspaceSyncLimits.Default, default);
        result.AllApplied.ShouldBeTrue();
        result.Deleted.ShouldBe(["group/old.txt"]);
        File.Exists(Path.Combine(_layout.GroupDir, "old.txt")).ShouldBeFalse();
    }

    [Theory]
    [InlineData("../outside/secret.txt", "'..' segment")]
    [InlineData("outside/secret.txt", "outside the writable folders")]
    [InlineData("group/../../outside/secret.txt", "'..' segment")]
    [InlineData("/srv/outside/secret.txt", "absolute path")]
    [InlineData("global/CLAUDE.md", "read-only")]
    [InlineData("group/vault/secret.txt", "symlink on the host")]
    [InlineData("group/link.txt", "only regular files are deleted")]
    [InlineData("group/folder", "only regular files are deleted")]
    [InlineData("group", "top folder")]
    public async Task DeletionsOutsideOrThroughLinksAreRefused(string path, string reason)
    {
        File.CreateSymbolicLink(Path.Combine(_layout.GroupDir, "vault"), _outside);
        File.CreateSymbolicLink(Path.Combine(_layout.GroupDir, "link.txt"), Path.Combine(_outside, "secret.txt"));
        Directory.CreateDirectory(Path.Combine(_layout.GroupDir, "folder"));

        var result = await WorkspaceSync.ApplyChangesAsync(_layout, Stream.Null, [path], WorkspaceSyncLimits.Default, default);

        result.Refused.ShouldHaveSingleItem().Reason.ShouldContain(reason);
        result.Deleted.ShouldBeEmpty();
        OutsideIsUntouched();
        File.ReadAllText(Path.Combine(_layout.GlobalDir, "CLAUDE.md")).ShouldBe("global memory");
        LinuxStat.Lstat(Path.Combine(_layout.GroupDir, "link.txt"))!.Value.Type.ShouldBe(LinuxFileType.Symlink);
    }

    [Fact]
    public async Task DuplicateEntriesAreRefused()
    {
        var result = await Apply(new TarBuilder().File("group/a.txt", "one").File("group/a.txt", "two"));
        result.Written.ShouldBe(["group/a.txt"]);
        result.Refused.ShouldHaveSingleItem().Reason.ShouldBe("duplicate entry");
        File.ReadAllText(Path.Combine(_layout.GroupDir, "a.txt")).ShouldBe("one");
    }

    // ---- names that run on the host later (git, direnv, editors) ------------------------------------

    [Theory]
    [InlineData("group/.git/config")]
    [InlineData("group/.git/hooks/pre-commit")]
    [InlineData("group/.GIT/config")]
    [InlineData("group/.Git/config")]
    [InlineData("group/notes/.git/config")]
    [InlineData("group/.git")] // a gitdir file: "gitdir: /anywhere"
    [InlineData("group/.g\u200cit/config")] // an invisible joiner, which HFS+ ignores
    [InlineData("group/.git./config")] // a trailing dot, which NTFS ignores
    [InlineData("group/mirror.git/config")] // a bare repository
    [InlineData("group/mirror/HEAD")] // makes mirror/ a bare repository to git
    [InlineData("claude/.git/config")]
    [InlineData("claude/plugins/x/.git/hooks/post-checkout")]
    [InlineData("group/.hg/hgrc")]
    [InlineData("group/.envrc")]
    [InlineData("group/.direnv/bin/git")]
    [InlineData("group/.vscode/tasks.json")]
    [InlineData("group/.idea/workspace.xml")]
    public async Task NamesThatRunCommandsOnTheHostAreNeverWritten(string name)
    {
        name = System.Text.RegularExpressions.Regex.Unescape(name);
        var result = await Apply(new TarBuilder()
            .File(name, "[core]\n\tfsmonitor = touch /tmp/nanoclaw-pwned\n")
            .File("group/ok.txt", "fine"));

        result.Refused.ShouldHaveSingleItem().Reason.ShouldContain("on the host");
        result.Written.ShouldBe(["group/ok.txt"]);
        Directory.GetFileSystemEntries(_layout.GroupDir, "*", SearchOption.AllDirectories).ShouldBe([Path.Combine(_layout.GroupDir, "ok.txt")]);
        Directory.GetFileSystemEntries(_layout.ClaudeStateDir, "*", SearchOption.AllDirectories).ShouldBeEmpty();
        OutsideIsUntouched();
    }

    [Fact]
    public async Task AGitFolderEntryIsRefusedAsWellAsItsFiles()
    {
        var result = await Apply(new TarBuilder().Dir("group/.git/").Dir("group/.git/hooks/").File("group/.git/hooks/post-checkout", "#!/bin/sh", (UnixFileMode)0b111_101_101));

        result.Written.ShouldBeEmpty();
        result.Refused.Count.ShouldBe(3);
        Directory.Exists(Path.Combine(_layout.GroupDir, ".git")).ShouldBeFalse();
    }

    [Fact]
    public async Task WritableGlobalRefusesGitToo()
    {
        var main = _layout with { GlobalWritable = true };
        var result = await WorkspaceSync.ApplyChangesAsync(main, new TarBuilder().File("global/.git/config", "[core]").ToStream(), [], WorkspaceSyncLimits.Default, default);

        result.Refused.ShouldHaveSingleItem().Reason.ShouldContain("git");
        Directory.Exists(Path.Combine(_layout.GlobalDir, ".git")).ShouldBeFalse();
    }

    [Fact]
    public async Task AHostRepositorysFilesAreNeverDeletedOrReplaced()
    {
        _root.Write("groups/family/.git/config", "[core]\n\trepositoryformatversion = 0\n");
        _root.Write("groups/family/.git/HEAD", "ref: refs/heads/main\n");
        _root.Write("groups/family/.envrc", "use nix");

        var result = await Apply(new TarBuilder().File("group/.git/config", "[core]\n\tfsmonitor = evil\n"),
            deleted: ["group/.git/HEAD", "group/.GIT/config", "group/.envrc"]);

        result.Written.ShouldBeEmpty();
        result.Deleted.ShouldBeEmpty();
        result.Refused.Count.ShouldBe(4);
        File.ReadAllText(Path.Combine(_layout.GroupDir, ".git/config")).ShouldNotContain("fsmonitor");
        File.Exists(Path.Combine(_layout.GroupDir, ".git/HEAD")).ShouldBeTrue();
        File.Exists(Path.Combine(_layout.GroupDir, ".envrc")).ShouldBeTrue();
    }

    [Theory]
    [InlineData("group/.gitignore")]
    [InlineData("group/.github/workflows/ci.yml")]
    [InlineData("group/.gitattributes")]
    [InlineData("group/notes/git/config")]
    [InlineData("group/head/notes.md")]
    [InlineData("group/.editorconfig")]
    public async Task NamesThatOnlyLookLikeThemAreWritten(string name)
    {
        var result = await Apply(new TarBuilder().File(name, "fine"));

        result.AllApplied.ShouldBeTrue();
        result.Written.ShouldBe([name]);
    }
}
