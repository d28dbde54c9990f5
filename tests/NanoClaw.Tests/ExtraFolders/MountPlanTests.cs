using NanoClaw.ExtraFolders;
using NanoClaw.Storage;

namespace NanoClaw.Tests.ExtraFolders;

/// <summary>The function the runner calls before every run: container_config + allowlist + group -> approved and refused.</summary>
public class MountPlanTests
{
    static RegisteredGroup Group(string? configJson, bool isMain = false) =>
        new("g@g.us", "Family", "family", "@Andy", DateTimeOffset.UtcNow, true, isMain, configJson);

    static string Mounts(params AdditionalMount[] mounts) => ContainerConfig.WithMounts(null, mounts)!;

    [Fact]
    public void AMissingAllowlistRefusesEveryRequestWithTheReason()
    {
        using var rig = new MountRig();
        var notes = rig.Dir("home/u/notes");
        var plan = MountValidator.Plan(rig.Config, MountAllowlistFile.Load(rig.AllowlistPath, rig.Home), Group(Mounts(new AdditionalMount(notes))));
        plan.Approved.ShouldBeEmpty();
        plan.Refused.Single().Reason.ShouldContain("no mount allowlist");
        plan.AllowlistProblem!.ShouldContain(rig.AllowlistPath);
    }

    [Fact]
    public void AnInvalidAllowlistRefusesEveryRequest()
    {
        using var rig = new MountRig();
        var notes = rig.Dir("home/u/notes");
        var plan = MountValidator.Plan(rig.Config, rig.WriteAllowlist("""{"allowedRoots": "~"}"""), Group(Mounts(new AdditionalMount(notes)), isMain: true));
        plan.Approved.ShouldBeEmpty();
        plan.Refused.Single().Reason.ShouldContain("must be an array");
    }

    [Fact]
    public void AGroupWithoutExtraFoldersGetsAnEmptyPlanEvenWithoutAnAllowlist()
    {
        using var rig = new MountRig();
        var plan = MountValidator.Plan(rig.Config, MountAllowlistFile.Load(rig.AllowlistPath, rig.Home), Group(null));
        plan.Approved.ShouldBeEmpty();
        plan.Refused.ShouldBeEmpty();
    }

    [Fact]
    public void ApprovedAndRefusedAreSortedOutPerRequestInOrder()
    {
        using var rig = new MountRig();
        var a = rig.Dir("home/u/vaults/a");
        var b = rig.Dir("home/u/vaults/b");
        var ssh = rig.Dir("home/u/vaults/.ssh");
        var allowlist = rig.WriteAllowlist("""{"allowedRoots": [{"path": "~/vaults", "allowReadWrite": true}], "nonMainReadOnly": true}""");
        var plan = MountValidator.Plan(rig.Config, allowlist,
            Group(Mounts(new AdditionalMount(a), new AdditionalMount(ssh, "keys"), new AdditionalMount(b, "bee", false))));
        plan.Approved.Select(m => (m.GuestPath, m.HostPath, m.ReadOnly)).ShouldBe([("/workspace/extra/a", a, true), ("/workspace/extra/bee", b, true)]);
        plan.Approved[1].Note!.ShouldContain("nonMainReadOnly");
        plan.Refused.Single().Requested.HostPath.ShouldBe(ssh);
        plan.AllowlistProblem.ShouldBeNull();
    }

    [Fact]
    public void TwoMountsWithTheSameContainerPathCollideAndTheLaterIsRefused()
    {
        using var rig = new MountRig();
        var one = rig.Dir("home/u/vaults/one/notes");
        var two = rig.Dir("home/u/vaults/two/Notes");
        var allowlist = rig.WriteAllowlist("""{"allowedRoots": [{"path": "~/vaults"}]}""");
        var plan = MountValidator.Plan(rig.Config, allowlist, Group(Mounts(new AdditionalMount(one), new AdditionalMount(two))));
        plan.Approved.Single().HostPath.ShouldBe(one);
        plan.Refused.Single().Reason.ShouldContain("already used by");
    }

    [Fact]
    public void TheSameHostFolderTwiceIsRefusedEvenThroughASymlink()
    {
        using var rig = new MountRig();
        var notes = rig.Dir("home/u/vaults/notes");
        var alias = rig.Link("home/u/vaults/alias", notes);
        var allowlist = rig.WriteAllowlist("""{"allowedRoots": [{"path": "~/vaults"}]}""");
        var plan = MountValidator.Plan(rig.Config, allowlist, Group(Mounts(new AdditionalMount(notes), new AdditionalMount(alias))));
        plan.Approved.Single().Name.ShouldBe("notes");
        plan.Refused.Single().Reason.ShouldContain("already mounted as \"notes\"");
    }

    [Fact]
    public void AnInvalidContainerConfigIsOneRefusalThatSaysHowToFixIt()
    {
        using var rig = new MountRig();
        var plan = MountValidator.Plan(rig.Config, rig.WriteAllowlist("""{"allowedRoots": []}"""), Group("""{"additionalMounts": 3}"""));
        plan.Approved.ShouldBeEmpty();
        plan.Refused.Single().Reason.ShouldContain("groups mount");
    }

    [Fact]
    public void EveryRunDecidesAfreshSoARetargetedSymlinkIsCaught()
    {
        using var rig = new MountRig();
        var notes = rig.Dir("home/u/vaults/notes");
        var link = rig.Link("home/u/vaults/current", notes);
        var allowlist = rig.WriteAllowlist("""{"allowedRoots": [{"path": "~/vaults"}]}""");
        var group = Group(Mounts(new AdditionalMount(link)));
        MountValidator.Plan(rig.Config, allowlist, group).Approved.Single().HostPath.ShouldBe(notes);

        File.Delete(link);
        File.CreateSymbolicLink(link, rig.Dir("home/u/.gnupg"));
        var plan = MountValidator.Plan(rig.Config, allowlist, group);
        plan.Approved.ShouldBeEmpty();
        plan.Refused.Single().Reason.ShouldContain(".gnupg");
    }
}
