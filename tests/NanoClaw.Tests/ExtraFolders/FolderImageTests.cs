using System.Diagnostics;
using System.Runtime.Versioning;
using NanoClaw.ExtraFolders;
using NanoClaw.Tests.Support;

namespace NanoClaw.Tests.ExtraFolders;

/// <summary>The extra folder images, read back with <c>debugfs</c> (no mount needed).</summary>
[SupportedOSPlatform("linux")]
public sealed class FolderImageTests : IDisposable
{
    readonly TempDirectory _folder = new();
    readonly TempDirectory _cache = new();
    static readonly IReadOnlyList<string> Blocked = [.. MountAllowlist.DefaultBlockedPatterns, "private"];

    public void Dispose()
    {
        _folder.Dispose();
        _cache.Dispose();
    }

    Task<FolderImage> EnsureAsync() => FolderImage.EnsureAsync(_cache.Path, _folder.Path, "vault", Blocked, CancellationToken.None);

    [Fact]
    public async Task AnImageIsBuiltOnceAndReusedWhileTheFolderIsUnchanged()
    {
        _folder.Write("note.md", "hello\n");
        _folder.Write("sub/deep.txt", "deep\n");

        var first = await EnsureAsync();
        var second = await EnsureAsync();

        first.Reused.ShouldBeFalse();
        (first.Files, first.FileBytes, first.Label).ShouldBe((2, 11L, "vault"));
        second.Reused.ShouldBeTrue();
        second.ImagePath.ShouldBe(first.ImagePath);
        Debugfs(first.ImagePath, "cat /note.md").ShouldBe("hello\n");
        Debugfs(first.ImagePath, "cat /sub/deep.txt").ShouldBe("deep\n");
        Debugfs(first.ImagePath, "stat /").ShouldContain("User:  1000   Group:  1000");
    }

    [Fact]
    public async Task AChangedFolderGetsANewImageAndTheOldOneIsRemoved()
    {
        var note = _folder.Write("note.md", "v1\n");
        var first = await EnsureAsync();

        File.WriteAllText(note, "v2, longer\n");
        File.SetLastWriteTimeUtc(note, DateTime.UtcNow.AddMinutes(1));
        var second = await EnsureAsync();

        second.Reused.ShouldBeFalse();
        second.ImagePath.ShouldNotBe(first.ImagePath);
        File.Exists(first.ImagePath).ShouldBeFalse();
        Debugfs(second.ImagePath, "cat /note.md").ShouldBe("v2, longer\n");
        Directory.GetFileSystemEntries(Path.GetDirectoryName(second.ImagePath)!).ShouldBe([second.ImagePath]); // no temp files or staging left
    }

    [Fact]
    public async Task BlockedEntriesSymlinksAndFifosAreLeftOut()
    {
        _folder.Write("note.md", "ok\n");
        _folder.Write(".env", "SECRET=1\n");
        _folder.Write("keys/id_rsa.pub", "ssh-rsa\n");
        _folder.Write("private/diary.md", "dear diary\n");
        _folder.Write("notes/.ssh/config", "Host x\n");
        _folder.Write(".git/config", "[remote \"origin\"]\n\turl = https://token@example.com/x\n");
        _folder.Write(".gitignore", "*.tmp\n");
        File.CreateSymbolicLink(_folder["passwd"], "/etc/passwd");
        File.CreateSymbolicLink(_folder["dangling"], "/nowhere");
        Process.Start("mkfifo", _folder["pipe"]).WaitForExit();

        var image = await EnsureAsync();

        var root = Debugfs(image.ImagePath, "ls /");
        root.ShouldContain("note.md");
        root.ShouldContain(".gitignore");
        foreach (var absent in new[] { ".env", "private", "passwd", "dangling", "pipe", ".git " }) root.ShouldNotContain(absent);
        Debugfs(image.ImagePath, "ls /keys").ShouldNotContain("id_rsa");
        Debugfs(image.ImagePath, "ls /notes").ShouldNotContain(".ssh");
        image.Skipped.ShouldBe([".env", ".git", "dangling", "keys/id_rsa.pub", "notes/.ssh", "passwd", "pipe", "private"], ignoreOrder: true);
        File.Exists(_folder[".env"]).ShouldBeTrue(); // the host folder is untouched
    }

    [Fact]
    public async Task TwoFoldersGetTwoCacheEntries()
    {
        _folder.Write("a.txt", "a\n");
        using var other = new TempDirectory();
        other.Write("a.txt", "a\n");

        var one = await EnsureAsync();
        var two = await FolderImage.EnsureAsync(_cache.Path, other.Path, "vault", Blocked, CancellationToken.None);

        Path.GetDirectoryName(one.ImagePath).ShouldNotBe(Path.GetDirectoryName(two.ImagePath));
        two.Reused.ShouldBeFalse();
    }

    [Theory]
    [InlineData("vault", "vault")]
    [InlineData("My Papers (2024).v2", "MyPapers2024v2")]
    [InlineData("a-very-long-folder-name-indeed", "a-very-long-fold")]
    [InlineData("...", "extra")]
    public void TheLabelIsAtMost16SafeCharacters(string name, string label) => FolderImage.LabelFor(name).ShouldBe(label);

    static string Debugfs(string image, string request)
    {
        var psi = new ProcessStartInfo("debugfs") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { "-R", request, image }) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        return output;
    }
}
