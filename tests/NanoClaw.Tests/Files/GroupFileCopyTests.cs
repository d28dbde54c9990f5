using System.Diagnostics;
using System.Runtime.Versioning;
using NanoClaw.Files;

namespace NanoClaw.Tests.Files;

/// <summary>
/// The guest wrote the group folder and chose the path, so each of these is an attack on the copy that sends a file:
/// a symlink out (to a host secret or to another group's folder), a symlinked folder on the way, a FIFO (which would
/// hang a plain open), a huge file. Each must be refused with a reason and leave no copy behind.
/// </summary>
[SupportedOSPlatform("linux")]
public sealed class GroupFileCopyTests : IDisposable
{
    readonly string _root = Directory.CreateTempSubdirectory("nanoclaw-filecopy-").FullName;
    readonly string _group, _other, _spool;

    public GroupFileCopyTests()
    {
        _group = Directory.CreateDirectory(Path.Combine(_root, "groups", "family")).FullName;
        _other = Directory.CreateDirectory(Path.Combine(_root, "groups", "work")).FullName;
        _spool = Directory.CreateDirectory(Path.Combine(_root, "spool")).FullName;
        File.WriteAllText(Path.Combine(_other, "salaries.txt"), "work's secret");
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);

    string Copy(string relative, out long bytes, long max = OutboundFiles.MaxFileBytes) =>
        GroupFileCopy.TryCopy(_group, relative.Split('/'), Path.Combine(_spool, "copy"), max, out bytes)!;

    [Fact]
    public void ARegularFileIsCopiedOwnerOnly()
    {
        Directory.CreateDirectory(Path.Combine(_group, "out"));
        File.WriteAllBytes(Path.Combine(_group, "out", "chart.png"), FileSnifferTests.Png);

        Copy("out/chart.png", out var bytes).ShouldBeNull();

        bytes.ShouldBe(FileSnifferTests.Png.Length);
        File.ReadAllBytes(Path.Combine(_spool, "copy")).ShouldBe(FileSnifferTests.Png);
        File.GetUnixFileMode(Path.Combine(_spool, "copy")).ShouldBe(UnixFileMode.UserRead | UnixFileMode.UserWrite);
    }

    [Fact]
    public void AFileThatIsASymlinkToAHostSecretIsRefused()
    {
        File.CreateSymbolicLink(Path.Combine(_group, "passwd.png"), "/etc/passwd");
        Copy("passwd.png", out _).ShouldContain("is a symlink");
        File.Exists(Path.Combine(_spool, "copy")).ShouldBeFalse();
    }

    [Fact]
    public void AFileThatIsASymlinkToAnotherGroupsFileIsRefused()
    {
        File.CreateSymbolicLink(Path.Combine(_group, "report.txt"), Path.Combine(_other, "salaries.txt"));
        Copy("report.txt", out _).ShouldContain("is a symlink");
        File.Exists(Path.Combine(_spool, "copy")).ShouldBeFalse();
    }

    [Fact]
    public void AFolderOnTheWayThatIsASymlinkToAnotherGroupIsRefused()
    {
        Directory.CreateSymbolicLink(Path.Combine(_group, "out"), _other);
        Copy("out/salaries.txt", out _).ShouldContain("not inside the group folder");
        File.Exists(Path.Combine(_spool, "copy")).ShouldBeFalse();
    }

    [Fact]
    public void AFolderOnTheWayThatIsASymlinkToEtcIsRefused()
    {
        Directory.CreateSymbolicLink(Path.Combine(_group, "etc"), "/etc");
        Copy("etc/passwd", out _).ShouldContain("not inside the group folder");
    }

    [Fact]
    public async Task AFifoIsRefusedWithoutHangingTheHost()
    {
        var fifo = Path.Combine(_group, "pipe.png");
        using (var mkfifo = Process.Start("mkfifo", fifo)) mkfifo.WaitForExit();
        File.Exists(fifo).ShouldBeTrue();

        // Nobody ever writes to the FIFO: a blocking open would never return.
        var refused = await Task.Run(() => Copy("pipe.png", out _)).WaitAsync(TimeSpan.FromSeconds(10));
        refused.ShouldContain("FIFO");
    }

    [Fact]
    public void AFolderIsRefused()
    {
        Directory.CreateDirectory(Path.Combine(_group, "out"));
        Copy("out", out _).ShouldContain("is a folder");
    }

    [Fact]
    public void AFileOverTheCapIsRefusedBeforeAnythingIsCopied()
    {
        using (var huge = File.Create(Path.Combine(_group, "huge.bin"))) huge.SetLength(OutboundFiles.MaxFileBytes + 1); // sparse
        Copy("huge.bin", out _).ShouldContain($"the most that can be sent is {OutboundFiles.MaxFileBytes} bytes");
        File.Exists(Path.Combine(_spool, "copy")).ShouldBeFalse();
    }

    [Fact]
    public void AMissingFileIsSaidToBeMissing() =>
        Copy("nothing-here.png", out _).ShouldContain("does not exist in the group folder");

    [Fact]
    public void AFileOnTheWayInsteadOfAFolderIsRefused()
    {
        File.WriteAllText(Path.Combine(_group, "out"), "a file");
        Copy("out/chart.png", out _).ShouldContain("not a folder");
    }
}
