using NanoClaw.Files;

namespace NanoClaw.Tests.Files;

/// <summary>The path an agent names is judged before anything on the host is looked at.</summary>
public sealed class AttachmentPathTests
{
    [Theory]
    [InlineData("/workspace/group/out/chart.png", "out/chart.png")]
    [InlineData("out/chart.png", "out/chart.png")]
    [InlineData("chart.png", "chart.png")]
    public void APathInTheGroupFolderGivesItsSegments(string path, string relative) =>
        string.Join('/', AttachmentPath.Parse(path, out _)!).ShouldBe(relative);

    [Theory]
    [InlineData("../work/secret.txt", "'..' segment")]
    [InlineData("/workspace/group/../../etc/passwd", "'..' segment")]
    [InlineData("out/./chart.png", "'.' segment")]
    [InlineData("/etc/passwd", "must be a file in your group folder")]
    [InlineData("/workspace/global/CLAUDE.md", "must be a file in your group folder")]
    [InlineData("/workspace/extra/docs/x.pdf", "must be a file in your group folder")]
    [InlineData("/home/agent/.claude/.credentials.json", "must be a file in your group folder")]
    [InlineData("logs/20260101-000000-abc.log", "group/logs/ belongs to the host")]
    [InlineData(".git/config", "git")]
    [InlineData("out//chart.png", "empty path segment")]
    [InlineData("out/chart\u001b[2J.png", "control characters")]
    [InlineData("", "attachment is empty")]
    [InlineData("/workspace/group/", "empty path segment")]
    public void AnythingElseIsRefusedWithWhatToDo(string path, string reason)
    {
        AttachmentPath.Parse(path, out var problem).ShouldBeNull();
        problem!.ShouldContain(reason);
    }
}
