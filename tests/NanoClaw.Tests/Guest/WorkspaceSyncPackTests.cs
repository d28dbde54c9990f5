using System.Formats.Tar;
using System.Runtime.Versioning;
using NanoClaw.Guest;
using NanoClaw.Tests.Support;

namespace NanoClaw.Tests.Guest;

[SupportedOSPlatform("linux")]
public sealed class WorkspaceSyncPackTests : IDisposable
{
    readonly TempDirectory _root = new();
    readonly WorkspaceLayout _layout;

    public WorkspaceSyncPackTests() =>
        _layout = new WorkspaceLayout(_root["groups/family"], _root["groups/global"], _root["data/family/.claude"], GlobalWritable: false);

    public void Dispose() => _root.Dispose();

    [Fact]
    public async Task PackSendsFilesAndFoldersButNotLogsLinksOrFifos()
    {
        _root.Write("groups/family/CLAUDE.md", "memory");
        _root.Write("groups/family/notes/a.txt", "a");
        _root.Write("groups/family/logs/run.log", "host only");
        _root.Write("groups/family/sub/logs/kept.txt", "only the top logs/ is the host's");
        Directory.CreateDirectory(_root["groups/family/empty"]);
        _root.Write("groups/global/CLAUDE.md", "global");
        _root.Write("outside/secret.txt", "secret");
        File.CreateSymbolicLink(_root["groups/family/escape"], _root["outside"]);
        File.CreateSymbolicLink(_root["groups/family/secret.txt"], _root["outside/secret.txt"]);
        var fifo = System.Diagnostics.Process.Start("mkfifo", _root["groups/family/pipe"]);
        await fifo.WaitForExitAsync();

        var tar = new MemoryStream();
        var result = await WorkspaceSync.PackAsync(_layout, tar, default);

        result.Skipped.Order().ShouldBe(["group/escape (Symlink)", "group/pipe (Fifo)", "group/secret.txt (Symlink)"]);
        tar.Position = 0;
        var entries = new Dictionary<string, string?>();
        await using (var reader = new TarReader(tar))
            while (reader.GetNextEntry() is { } entry)
                entries[entry.Name] = entry.DataStream is null ? null : new StreamReader(entry.DataStream).ReadToEnd();

        entries.Keys.Order(StringComparer.Ordinal).ShouldBe([
            "claude/", "global/", "global/CLAUDE.md", "group/", "group/CLAUDE.md", "group/empty/", "group/notes/", "group/notes/a.txt",
            "group/sub/", "group/sub/logs/", "group/sub/logs/kept.txt"]);
        entries["group/CLAUDE.md"].ShouldBe("memory");
    }

    [Fact]
    public async Task WhatPackWritesApplyAccepts()
    {
        var source = new WorkspaceLayout(_root["a/group"], _root["a/global"], _root["a/claude"], GlobalWritable: true);
        _root.Write("a/group/x/y.txt", "deep");
        _root.Write("a/global/CLAUDE.md", "g");
        _root.Write("a/claude/projects/p/s.jsonl", "{}");
        var tar = new MemoryStream();
        await WorkspaceSync.PackAsync(source, tar, default);

        var target = new WorkspaceLayout(_root["b/group"], _root["b/global"], _root["b/claude"], GlobalWritable: true);
        tar.Position = 0;
        var result = await WorkspaceSync.ApplyChangesAsync(target, tar, [], WorkspaceSyncLimits.Default, default);

        result.AllApplied.ShouldBeTrue();
        result.Written.Order().ShouldBe(["claude/projects/p/s.jsonl", "global/CLAUDE.md", "group/x/y.txt"]);
        File.ReadAllText(_root["b/group/x/y.txt"]).ShouldBe("deep");
    }

    [Fact]
    public async Task PackLeavesOutARepositoryAndOtherHostExecutedNames()
    {
        _root.Write("groups/family/CLAUDE.md", "memory");
        _root.Write("groups/family/.git/config", "[remote \"origin\"]\n\turl = https://token@example.com/x\n");
        _root.Write("groups/family/.envrc", "export X=1");
        _root.Write("groups/family/.gitignore", "*.tmp");

        var tar = new MemoryStream();
        var result = await WorkspaceSync.PackAsync(_layout, tar, default);

        result.Skipped.Order().ShouldBe(["group/.envrc (runs on the host; never synced)", "group/.git (runs on the host; never synced)"]);
        tar.Position = 0;
        var names = new List<string>();
        await using (var reader = new TarReader(tar))
            while (reader.GetNextEntry() is { } entry) names.Add(entry.Name);
        names.ShouldContain("group/.gitignore");
        names.ShouldNotContain(n => n.Contains(".git/") || n.Contains(".envrc"));
    }

    /// <summary>A message's files, packed for a running session, follow the workspace's rules: only regular files reached
    /// through real folders of the group's own folder; nothing through a symlink, nothing of logs/ or that the host runs.</summary>
    [Fact]
    public async Task PackGroupFilesTakesOnlyRegularFilesOfTheGroupFolderReachedThroughRealFolders()
    {
        _root.Write("groups/family/media/2026-12-07/a.jpg", "JPEG");
        _root.Write("groups/family/logs/run.log", "host only");
        _root.Write("groups/family/.git/config", "[core]");
        _root.Write("outside/secret.txt", "secret");
        File.CreateSymbolicLink(_root["groups/family/escape"], _root["outside"]);
        File.CreateSymbolicLink(_root["groups/family/link.jpg"], _root["outside/secret.txt"]);

        var tar = new MemoryStream();
        var result = await WorkspaceSync.PackGroupFilesAsync(_layout,
            ["media/2026-12-07/a.jpg", "escape/secret.txt", "link.jpg", "logs/run.log", ".git/config", "../outside/secret.txt", "gone.jpg", "media"], tar, default);

        (result.Files, result.FileBytes).ShouldBe((1, 4L));
        result.Skipped.ShouldBe(["group/escape/secret.txt", "group/link.jpg", "group/logs/run.log", "group/.git/config", "group/../outside/secret.txt", "group/gone.jpg", "group/media"]);
        tar.Position = 0;
        await using var reader = new TarReader(tar);
        var entry = reader.GetNextEntry().ShouldNotBeNull();
        (entry.Name, new StreamReader(entry.DataStream!).ReadToEnd()).ShouldBe(("group/media/2026-12-07/a.jpg", "JPEG"));
        reader.GetNextEntry().ShouldBeNull();
    }

    /// <summary>What a prepared run compares: any file added, edited or removed moves the stamp; a folder's own time
    /// does not (it moves with every file added, and the tar carries none); files left out are not seen.</summary>
    [Fact]
    public void TheStampMovesWithEveryFileButNotWithFolderTimesOrTheFilesLeftOut()
    {
        _root.Write("groups/family/notes.md", "milk");
        _root.Write("groups/global/CLAUDE.md", "global");
        var before = WorkspaceSync.Stamp(_layout);

        Directory.CreateDirectory(_root["groups/family/media/2026-12-07"]);
        Directory.SetLastWriteTimeUtc(_root["groups/family"], DateTime.UtcNow.AddMinutes(5));
        WorkspaceSync.Stamp(_layout).ShouldBe(before, "folders and their times alone");
        _root.Write("groups/family/media/2026-12-07/a.jpg", "JPEG");
        WorkspaceSync.Stamp(_layout).ShouldNotBe(before, "a new file");
        WorkspaceSync.Stamp(_layout, new HashSet<string> { "group/media/2026-12-07/a.jpg" }).ShouldBe(before, "the new file left out");
        _root.Write("groups/global/CLAUDE.md", "global, edited");
        WorkspaceSync.Stamp(_layout, new HashSet<string> { "group/media/2026-12-07/a.jpg" }).ShouldNotBe(before, "another file edited");
        _root.Write("groups/global/CLAUDE.md", "global");
        File.SetLastWriteTimeUtc(_root["groups/global/CLAUDE.md"], DateTime.UtcNow.AddMinutes(1));
        WorkspaceSync.Stamp(_layout, new HashSet<string> { "group/media/2026-12-07/a.jpg" }).ShouldNotBe(before, "same size, new mtime");
    }
}
