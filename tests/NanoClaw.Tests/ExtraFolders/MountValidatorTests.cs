using NanoClaw.ExtraFolders;

namespace NanoClaw.Tests.ExtraFolders;

public class MountValidatorTests
{
    static ApprovedMount Approved(MountCheck check) => check.ShouldBeOfType<MountCheck.Approved>().Mount;
    static string Refused(MountCheck check) => check.ShouldBeOfType<MountCheck.Refused>().Reason;

    // ---- roots ----------------------------------------------------------------------------------

    [Fact]
    public void AFolderInsideAnAllowedRootIsApprovedReadOnlyByDefault()
    {
        using var rig = new MountRig();
        var notes = rig.Dir("home/u/vaults/notes");
        var mount = Approved(rig.Check(new AdditionalMount(notes), MountRig.Allowlist(new AllowedRoot(rig.Path_("home/u/vaults"), true, null))));
        mount.HostPath.ShouldBe(notes);
        mount.Name.ShouldBe("notes");
        mount.GuestPath.ShouldBe("/workspace/extra/notes");
        mount.ReadOnly.ShouldBeTrue();
        mount.Note.ShouldBeNull();
    }

    [Fact]
    public void APathEqualToAnAllowedRootIsApproved()
    {
        using var rig = new MountRig();
        var vaults = rig.Dir("home/u/vaults");
        Approved(rig.Check(new AdditionalMount(vaults + "/"), MountRig.Allowlist(new AllowedRoot(vaults, false, null)))).HostPath.ShouldBe(vaults);
    }

    [Fact]
    public void APathOutsideEveryRootIsRefused()
    {
        using var rig = new MountRig();
        var other = rig.Dir("srv/data");
        Refused(rig.Check(new AdditionalMount(other), MountRig.Allowlist(new AllowedRoot(rig.Dir("home/u/vaults"), false, null))))
            .ShouldContain("not under any allowed root");
    }

    [Fact]
    public void ASiblingWhoseNameStartsWithTheRootsNameIsOutsideIt()
    {
        using var rig = new MountRig();
        var sibling = rig.Dir("home/u/vaults-private");
        Refused(rig.Check(new AdditionalMount(sibling), MountRig.Allowlist(new AllowedRoot(rig.Dir("home/u/vaults"), false, null))))
            .ShouldContain("not under any allowed root");
    }

    [Fact]
    public void NoRootsMeansNothingIsApproved()
    {
        using var rig = new MountRig();
        Refused(rig.Check(new AdditionalMount(rig.Dir("home/u/vaults")), MountRig.Allowlist())).ShouldContain("not under any allowed root");
    }

    [Fact]
    public void DotDotInTheHostPathIsResolvedBeforeTheRootCheck()
    {
        using var rig = new MountRig();
        rig.Dir("home/u/vaults/notes");
        rig.Dir("srv/data");
        Refused(rig.Check(new AdditionalMount(rig.Path_("home/u/vaults/notes/../../../../srv/data")),
            MountRig.Allowlist(new AllowedRoot(rig.Path_("home/u/vaults"), false, null)))).ShouldContain("not under any allowed root");
    }

    [Fact]
    public void ARootThatIsASymlinkIsResolvedToo()
    {
        using var rig = new MountRig();
        var real = rig.Dir("disk/vaults");
        var link = rig.Link("home/u/vaults", real);
        rig.Dir("disk/vaults/notes");
        Approved(rig.Check(new AdditionalMount(rig.Path_("disk/vaults/notes")), MountRig.Allowlist(new AllowedRoot(link, false, null))))
            .HostPath.ShouldBe(Path.Combine(real, "notes"));
    }

    [Fact]
    public void ARootThatDoesNotExistApprovesNothing()
    {
        using var rig = new MountRig();
        var notes = rig.Dir("home/u/notes");
        Refused(rig.Check(new AdditionalMount(notes), MountRig.Allowlist(new AllowedRoot(rig.Path_("home/u/gone"), false, null))))
            .ShouldContain("not under any allowed root");
    }

    // ---- symlinks -------------------------------------------------------------------------------

    [Fact]
    public void ASymlinkThatEscapesTheAllowedRootIsRefused()
    {
        using var rig = new MountRig();
        var outside = rig.Dir("srv/data");
        var link = rig.Link("home/u/vaults/escape", outside);
        var reason = Refused(rig.Check(new AdditionalMount(link), MountRig.Allowlist(new AllowedRoot(rig.Path_("home/u/vaults"), true, null))));
        reason.ShouldContain($"resolves to {outside}");
        reason.ShouldContain("not under any allowed root");
    }

    [Fact]
    public void ASymlinkedParentFolderThatEscapesTheRootIsRefused()
    {
        using var rig = new MountRig();
        rig.Dir("srv/data/sub");
        rig.Link("home/u/vaults/escape", rig.Path_("srv/data"));
        Refused(rig.Check(new AdditionalMount(rig.Path_("home/u/vaults/escape/sub")),
            MountRig.Allowlist(new AllowedRoot(rig.Path_("home/u/vaults"), true, null)))).ShouldContain("not under any allowed root");
    }

    [Fact]
    public void ARelativeSymlinkWithDotDotThatEscapesTheRootIsRefused()
    {
        using var rig = new MountRig();
        rig.Dir("home/u/vaults");
        rig.Dir("home/u/private");
        var link = rig.Link("home/u/vaults/up", "../private");
        Refused(rig.Check(new AdditionalMount(link), MountRig.Allowlist(new AllowedRoot(rig.Path_("home/u/vaults"), true, null))))
            .ShouldContain("not under any allowed root");
    }

    [Fact]
    public void ASymlinkIntoABlockedFolderIsRefusedEvenWhenTheRootCoversIt()
    {
        using var rig = new MountRig();
        var ssh = rig.Dir("home/u/.ssh");
        var link = rig.Link("home/u/vaults/keys", ssh);
        var reason = Refused(rig.Check(new AdditionalMount(link), MountRig.Allowlist(new AllowedRoot(rig.Home, true, null))));
        reason.ShouldContain($"resolves to {ssh}");
        reason.ShouldContain("\".ssh\"");
    }

    [Fact]
    public void ASymlinkNamedLikeABlockedFolderIsRefusedWhereverItPoints()
    {
        using var rig = new MountRig();
        var notes = rig.Dir("home/u/vaults/notes");
        var link = rig.Link("home/u/vaults/.aws", notes);
        Refused(rig.Check(new AdditionalMount(link), MountRig.Allowlist(new AllowedRoot(rig.Path_("home/u/vaults"), true, null))))
            .ShouldContain("\".aws\"");
    }

    [Fact]
    public void ADanglingSymlinkIsRefusedAsMissing()
    {
        using var rig = new MountRig();
        var link = rig.Link("home/u/vaults/gone", rig.Path_("nowhere"));
        Refused(rig.Check(new AdditionalMount(link), MountRig.Allowlist(new AllowedRoot(rig.Path_("home/u/vaults"), true, null))))
            .ShouldContain("does not exist");
    }

    [Fact]
    public void TheApprovedHostPathIsTheResolvedOneNotTheSymlink()
    {
        using var rig = new MountRig();
        var real = rig.Dir("home/u/vaults/real");
        var link = rig.Link("home/u/vaults/alias", real);
        var mount = Approved(rig.Check(new AdditionalMount(link), MountRig.Allowlist(new AllowedRoot(rig.Path_("home/u/vaults"), true, null))));
        mount.HostPath.ShouldBe(real);
        mount.Name.ShouldBe("alias");
    }

    // ---- blocked patterns -------------------------------------------------------------------------

    public static TheoryData<string> DefaultPatterns() => [.. MountAllowlist.DefaultBlockedPatterns];

    [Theory]
    [MemberData(nameof(DefaultPatterns))]
    public void EveryDefaultPatternIsBlockedAtAnyDepth(string pattern)
    {
        using var rig = new MountRig();
        var deep = rig.Dir($"home/u/vault/{pattern}/x");
        var allowlist = MountRig.Allowlist(new AllowedRoot(rig.Home, true, null));
        Refused(rig.Check(new AdditionalMount(deep, "x"), allowlist)).ShouldContain($"\"{pattern}\"");
        Refused(rig.Check(new AdditionalMount(rig.Path_($"home/u/vault/{pattern}"), "y"), allowlist)).ShouldContain($"\"{pattern}\"");
    }

    [Fact]
    public void ABlockedFolderDirectlyInHomeIsRefused()
    {
        using var rig = new MountRig();
        var aws = rig.Dir("home/u/.aws");
        Refused(rig.Check(new AdditionalMount(aws, "aws"), MountRig.Allowlist(new AllowedRoot(rig.Home, true, null)))).ShouldContain("\".aws\"");
    }

    [Theory]
    [InlineData(".env.local")]
    [InlineData("id_rsa.pub")]
    [InlineData("my-credentials")]
    [InlineData(".SSH")]
    public void AComponentThatContainsAPatternIsBlockedIgnoringCase(string component)
    {
        using var rig = new MountRig();
        var folder = rig.Dir($"home/u/vault/{component}");
        rig.Check(new AdditionalMount(folder, "x"), MountRig.Allowlist(new AllowedRoot(rig.Home, true, null))).ShouldBeOfType<MountCheck.Refused>();
    }

    [Fact]
    public void PatternsFromTheFileAreBlockedToo()
    {
        using var rig = new MountRig();
        var folder = rig.Dir("home/u/vault/private/diary");
        var allowlist = new MountAllowlist([new AllowedRoot(rig.Home, true, null)], [.. MountAllowlist.DefaultBlockedPatterns, "private"], true);
        Refused(rig.Check(new AdditionalMount(folder), allowlist)).ShouldContain("\"private\"");
    }

    [Fact]
    public void APatternWithASlashMatchesThatSequenceOfFolders()
    {
        using var rig = new MountRig();
        var allowlist = new MountAllowlist([new AllowedRoot(rig.Home, true, null)], [.. MountAllowlist.DefaultBlockedPatterns, "vault/work"], true);
        rig.Check(new AdditionalMount(rig.Dir("home/u/vault/work/x")), allowlist).ShouldBeOfType<MountCheck.Refused>();
        rig.Check(new AdditionalMount(rig.Dir("home/u/vault/workshop")), allowlist).ShouldBeOfType<MountCheck.Approved>();
    }

    // ---- the host path itself ---------------------------------------------------------------------

    [Fact]
    public void ANonexistentHostPathIsRefused()
    {
        using var rig = new MountRig();
        Refused(rig.Check(new AdditionalMount(rig.Path_("home/u/vaults/none")), MountRig.Allowlist(new AllowedRoot(rig.Home, true, null))))
            .ShouldContain("does not exist");
    }

    [Fact]
    public void AHostPathThatIsAFileIsRefused()
    {
        using var rig = new MountRig();
        var file = rig.File("home/u/vaults/note.md");
        Refused(rig.Check(new AdditionalMount(file, "note"), MountRig.Allowlist(new AllowedRoot(rig.Home, true, null)))).ShouldContain("is a file, not a folder");
    }

    [Theory]
    [InlineData("vaults/notes")]
    [InlineData("~/vaults")]
    [InlineData("")]
    [InlineData(" ")]
    public void ARelativeOrEmptyHostPathIsRefused(string hostPath)
    {
        using var rig = new MountRig();
        rig.Check(new AdditionalMount(hostPath, "x"), MountRig.Allowlist(new AllowedRoot("/", true, null))).ShouldBeOfType<MountCheck.Refused>();
    }

    [Fact]
    public void NanoClawsOwnHomeCannotBeMountedNorAFolderAroundIt()
    {
        using var rig = new MountRig();
        var allowlist = MountRig.Allowlist(new AllowedRoot(rig.Root, true, null));
        Refused(rig.Check(new AdditionalMount(rig.Dir("nanoclaw/groups/other")), allowlist)).ShouldContain("NanoClaw's own state");
        Refused(rig.Check(new AdditionalMount(rig.Root, "all"), allowlist)).ShouldContain("NanoClaw's own state");
    }

    [Fact]
    public void TheAllowlistsFolderCannotBeMounted()
    {
        using var rig = new MountRig();
        Refused(rig.Check(new AdditionalMount(rig.Path_("etc")), MountRig.Allowlist(new AllowedRoot(rig.Root, true, null))))
            .ShouldContain("mount allowlist");
    }

    // ---- container path ---------------------------------------------------------------------------

    [Theory]
    [InlineData("..")]
    [InlineData("../x")]
    [InlineData("a..b")]
    [InlineData("a/b")]
    [InlineData("/abs")]
    [InlineData("a\\b")]
    [InlineData("")]
    [InlineData(".")]
    [InlineData(".hidden")]
    [InlineData("tab\there")]
    public void ABadContainerPathIsRefused(string name)
    {
        using var rig = new MountRig();
        var notes = rig.Dir("home/u/vaults/notes");
        rig.Check(new AdditionalMount(notes, name), MountRig.Allowlist(new AllowedRoot(rig.Home, true, null))).ShouldBeOfType<MountCheck.Refused>();
        MountValidator.ValidateName(name).ShouldNotBeNull();
    }

    [Theory]
    [InlineData("vault")]
    [InlineData("My Notes")]
    [InlineData("notes_2.0")]
    [InlineData("_x")]
    public void APlainContainerPathIsAccepted(string name) => MountValidator.ValidateName(name).ShouldBeNull();

    [Fact]
    public void TheDefaultNameIsTheHostFoldersName()
    {
        using var rig = new MountRig();
        var notes = rig.Dir("home/u/vaults/Obsidian Vault");
        Approved(rig.Check(new AdditionalMount(notes + "/"), MountRig.Allowlist(new AllowedRoot(rig.Home, true, null)))).Name.ShouldBe("Obsidian Vault");
    }

    [Fact]
    public void AHostFolderWhoseNameCannotBeAContainerPathAsksForOne()
    {
        using var rig = new MountRig();
        var hidden = rig.Dir("home/u/vaults/.obsidian");
        Refused(rig.Check(new AdditionalMount(hidden), MountRig.Allowlist(new AllowedRoot(rig.Home, true, null)))).ShouldContain("--container-path");
        rig.Check(new AdditionalMount(hidden, "obsidian"), MountRig.Allowlist(new AllowedRoot(rig.Home, true, null))).ShouldBeOfType<MountCheck.Approved>();
    }

    // ---- read-write -------------------------------------------------------------------------------

    [Fact]
    public void ReadWriteIsGrantedToMainWhenAskedAndTheRootAllowsIt()
    {
        using var rig = new MountRig();
        var notes = rig.Dir("home/u/vaults/notes");
        var mount = Approved(rig.Check(new AdditionalMount(notes, ReadOnly: false), MountRig.Allowlist(new AllowedRoot(rig.Home, true, null)), isMain: true));
        mount.ReadOnly.ShouldBeFalse();
        mount.Note.ShouldBeNull();
    }

    [Fact]
    public void ReadWriteIsNeverGrantedUnasked()
    {
        using var rig = new MountRig();
        var notes = rig.Dir("home/u/vaults/notes");
        var allowlist = MountRig.Allowlist(false, new AllowedRoot(rig.Home, true, null));
        Approved(rig.Check(new AdditionalMount(notes), allowlist)).ReadOnly.ShouldBeTrue();
        Approved(rig.Check(new AdditionalMount(notes, ReadOnly: true), allowlist)).ReadOnly.ShouldBeTrue();
    }

    [Fact]
    public void ReadWriteIsDowngradedWhenTheRootDoesNotAllowIt()
    {
        using var rig = new MountRig();
        var notes = rig.Dir("home/u/vaults/notes");
        var mount = Approved(rig.Check(new AdditionalMount(notes, ReadOnly: false), MountRig.Allowlist(false, new AllowedRoot(rig.Home, false, null)), isMain: true));
        mount.ReadOnly.ShouldBeTrue();
        mount.Note!.ShouldContain("does not allow read-write");
    }

    [Fact]
    public void ReadWriteIsDowngradedForANonMainGroupWhileNonMainReadOnly()
    {
        using var rig = new MountRig();
        var notes = rig.Dir("home/u/vaults/notes");
        var mount = Approved(rig.Check(new AdditionalMount(notes, ReadOnly: false), MountRig.Allowlist(true, new AllowedRoot(rig.Home, true, null)), isMain: false));
        mount.ReadOnly.ShouldBeTrue();
        mount.Note!.ShouldContain("nonMainReadOnly");
    }

    [Fact]
    public void ReadWriteIsGrantedToANonMainGroupWhenNonMainReadOnlyIsFalse()
    {
        using var rig = new MountRig();
        var notes = rig.Dir("home/u/vaults/notes");
        Approved(rig.Check(new AdditionalMount(notes, ReadOnly: false), MountRig.Allowlist(false, new AllowedRoot(rig.Home, true, null)), isMain: false))
            .ReadOnly.ShouldBeFalse();
    }

    [Fact]
    public void TheFirstRootThatContainsThePathDecidesReadWrite()
    {
        using var rig = new MountRig();
        var notes = rig.Dir("home/u/vaults/notes");
        var allowlist = MountRig.Allowlist(false, new AllowedRoot(rig.Path_("home/u/vaults"), false, "ro"), new AllowedRoot(rig.Home, true, "rw"));
        Approved(rig.Check(new AdditionalMount(notes, ReadOnly: false), allowlist)).ReadOnly.ShouldBeTrue();
    }

    // ---- helpers used by the rules ------------------------------------------------------------------

    [Theory]
    [InlineData("/a/b", "/a/b", true)]
    [InlineData("/a/b/c", "/a/b", true)]
    [InlineData("/a/b/", "/a/b", true)]
    [InlineData("/a/bc", "/a/b", false)]
    [InlineData("/a", "/a/b", false)]
    [InlineData("/anything", "/", true)]
    public void IsWithinComparesWholeComponents(string path, string root, bool expected) => MountValidator.IsWithin(path, root).ShouldBe(expected);
}
