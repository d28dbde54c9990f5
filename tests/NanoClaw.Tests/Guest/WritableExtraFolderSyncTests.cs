using System.Runtime.Versioning;
using NanoClaw.ExtraFolders;
using NanoClaw.Guest;
using NanoClaw.Tests.Support;

namespace NanoClaw.Tests.Guest;

/// <summary>
/// The write-back of a read-write extra folder: the guest's changes under <c>extra/&lt;name&gt;/</c> land in the host
/// folder, and only there. The guest is hostile: another folder's name, a read-only folder, blocked names, symlinks on
/// the host and traversal are all refused, with nothing written anywhere else.
/// </summary>
[SupportedOSPlatform("linux")]
public sealed class WritableExtraFolderSyncTests : IDisposable
{
    readonly TempDirectory _root = new();
    readonly WorkspaceLayout _layout;
    readonly string _vault, _readOnly, _outside;

    public WritableExtraFolderSyncTests()
    {
        _vault = _root["vault"];
        _readOnly = _root["papers"];
        _outside = _root["outside"];
        foreach (var dir in new[] { _vault, _readOnly, _outside }) Directory.CreateDirectory(dir);
        _root.Write("vault/pipeline.md", "old pipeline");
        _root.Write("vault/done.md", "to delete");
        _root.Write("papers/paper.md", "read-only paper");
        _root.Write("outside/secret.txt", "host secret");
        _layout = new WorkspaceLayout(_root["groups/main"], _root["groups/global"], _root["data/main/.claude"], GlobalWritable: true,
            WritableExtras: [new WritableExtraFolder("vault", _vault, MountAllowlist.DefaultBlockedPatterns)]);
        Directory.CreateDirectory(_layout.GroupDir);
    }

    public void Dispose() => _root.Dispose();

    Task<WorkspaceSyncResult> Apply(TarBuilder tar, params string[] deleted) =>
        WorkspaceSync.ApplyChangesAsync(_layout, tar.ToStream(), deleted, WorkspaceSyncLimits.Default, CancellationToken.None);

    void NothingElseChanged()
    {
        File.ReadAllText(Path.Combine(_outside, "secret.txt")).ShouldBe("host secret");
        Directory.GetFileSystemEntries(_outside).ShouldBe([Path.Combine(_outside, "secret.txt")]);
        Directory.GetFileSystemEntries(_readOnly).ShouldBe([Path.Combine(_readOnly, "paper.md")]);
        File.ReadAllText(Path.Combine(_readOnly, "paper.md")).ShouldBe("read-only paper");
    }

    [Fact]
    public async Task ChangesToAWritableFolderAreWrittenToTheHostFolder()
    {
        var result = await Apply(new TarBuilder()
            .File("extra/vault/pipeline.md", "new pipeline")
            .File("extra/vault/deals/acme.md", "signed"), "extra/vault/done.md");

        result.AllApplied.ShouldBeTrue();
        result.Written.ShouldBe(["extra/vault/pipeline.md", "extra/vault/deals/acme.md"]);
        result.Deleted.ShouldBe(["extra/vault/done.md"]);
        File.ReadAllText(Path.Combine(_vault, "pipeline.md")).ShouldBe("new pipeline");
        File.ReadAllText(Path.Combine(_vault, "deals", "acme.md")).ShouldBe("signed");
        File.Exists(Path.Combine(_vault, "done.md")).ShouldBeFalse();
        NothingElseChanged();
    }

    [Theory]
    [InlineData("extra/papers/paper.md", "not a read-write extra folder")]
    [InlineData("extra/other/x.md", "not a read-write extra folder")]
    [InlineData("extra/Vault/x.md", "not a read-write extra folder")]
    [InlineData("extra/vault/../papers/paper.md", "'..' segment")]
    [InlineData("extra/vault/.ssh/authorized_keys", "blocked pattern")]
    [InlineData("extra/vault/notes/.env", "blocked pattern")]
    [InlineData("extra/vault/keys/id_rsa", "blocked pattern")]
    [InlineData("extra/vault/.git/config", "on the host")]
    [InlineData("extra/vault/.git/hooks/pre-commit", "on the host")]
    [InlineData("extra/vault/.GIT/config", "on the host")]
    [InlineData("extra/vault/sub/.Git/config", "on the host")]
    [InlineData("extra/vault/.git", "on the host")]
    [InlineData("extra/vault/.envrc", "on the host")]
    [InlineData("extra/vault", "top folder")]
    [InlineData("extra", "not a folder the guest may write")]
    public async Task WritesOutsideTheWritableFolderOrToBlockedNamesAreRefused(string path, string reason)
    {
        var result = await Apply(new TarBuilder().File(path, "planted"));

        result.Written.ShouldBeEmpty();
        result.Refused.ShouldHaveSingleItem().Reason.ShouldContain(reason);
        Directory.GetFileSystemEntries(_vault, "*", SearchOption.AllDirectories).Order()
            .ShouldBe(new[] { Path.Combine(_vault, "done.md"), Path.Combine(_vault, "pipeline.md") }.Order());
        NothingElseChanged();
    }

    [Fact]
    public async Task ASymlinkInTheHostFolderIsNeverFollowed()
    {
        File.CreateSymbolicLink(Path.Combine(_vault, "escape"), _outside);
        File.CreateSymbolicLink(Path.Combine(_vault, "secret.md"), Path.Combine(_outside, "secret.txt"));

        var result = await Apply(new TarBuilder()
            .File("extra/vault/escape/secret.txt", "overwritten")
            .File("extra/vault/escape/new.txt", "planted")
            .File("extra/vault/secret.md", "overwritten"), "extra/vault/escape/secret.txt");

        result.Written.ShouldBeEmpty();
        result.Deleted.ShouldBeEmpty();
        result.Refused.Count.ShouldBe(4);
        NothingElseChanged();
    }

    [Fact]
    public async Task DeletingABlockedOrForeignFileIsRefused()
    {
        _root.Write("vault/.env", "KEY=1");

        var result = await Apply(new TarBuilder(), "extra/vault/.env", "extra/papers/paper.md", "extra/vault");

        result.Deleted.ShouldBeEmpty();
        result.Refused.Select(r => r.Reason).ShouldBe(["matches the blocked pattern \".env\"", "extra/papers is not a read-write extra folder of this run", "'extra/vault' is a top folder, not a file"]);
        File.ReadAllText(Path.Combine(_vault, ".env")).ShouldBe("KEY=1");
        NothingElseChanged();
    }

    [Fact]
    public async Task WithoutWritableFoldersExtraPathsAreRefused()
    {
        var layout = _layout with { WritableExtras = null };

        var result = await WorkspaceSync.ApplyChangesAsync(layout, new TarBuilder().File("extra/vault/pipeline.md", "x").ToStream(), [], WorkspaceSyncLimits.Default, default);

        result.Refused.ShouldHaveSingleItem().Reason.ShouldContain("not a read-write extra folder");
        File.ReadAllText(Path.Combine(_vault, "pipeline.md")).ShouldBe("old pipeline");
    }
}
