using NanoClaw.ExtraFolders;

namespace NanoClaw.Tests.ExtraFolders;

public class MountAllowlistFileTests
{
    static MountAllowlist Loaded(AllowlistLoad load) => load.ShouldBeOfType<AllowlistLoad.Loaded>().Allowlist;
    static string Unavailable(AllowlistLoad load) => load.ShouldBeOfType<AllowlistLoad.Unavailable>().Reason;

    [Fact]
    public void AMissingFileMeansNoExtraFoldersAndSaysWhereToCreateIt()
    {
        using var rig = new MountRig();
        var reason = Unavailable(MountAllowlistFile.Load(rig.AllowlistPath, rig.Home));
        reason.ShouldContain(rig.AllowlistPath);
        reason.ShouldContain("no group gets extra folders");
        reason.ShouldContain("create it");
    }

    [Fact]
    public void AFileInAMissingFolderIsMissingToo()
    {
        using var rig = new MountRig();
        Unavailable(MountAllowlistFile.Load(rig.Path_("no/such/dir/allow.json"), rig.Home)).ShouldContain("no mount allowlist");
    }

    [Theory]
    [InlineData("{")]
    [InlineData("not json")]
    [InlineData("")]
    [InlineData("{\"allowedRoots\": [}")]
    public void InvalidJsonMeansNoExtraFolders(string text)
    {
        using var rig = new MountRig();
        Unavailable(rig.WriteAllowlist(text)).ShouldContain("not valid JSON");
    }

    [Theory]
    [InlineData("[]", "must be a JSON object")]
    [InlineData("{}", "\"allowedRoots\" is missing")]
    [InlineData("{\"allowedRoots\": {}}", "\"allowedRoots\" must be an array")]
    [InlineData("{\"allowedRoots\": \"/home\"}", "\"allowedRoots\" must be an array")]
    [InlineData("{\"allowedRoots\": [\"/home\"]}", "allowedRoots[0] must be a JSON object")]
    [InlineData("{\"allowedRoots\": [{}]}", "allowedRoots[0].path must be a non-empty string")]
    [InlineData("{\"allowedRoots\": [{\"path\": 3}]}", "allowedRoots[0].path must be a non-empty string")]
    [InlineData("{\"allowedRoots\": [{\"path\": \"\"}]}", "allowedRoots[0].path must be a non-empty string")]
    [InlineData("{\"allowedRoots\": [{\"path\": \"vaults\"}]}", "is relative")]
    [InlineData("{\"allowedRoots\": [{\"path\": \"~other/vaults\"}]}", "is relative")]
    [InlineData("{\"allowedRoots\": [{\"path\": \"/v\", \"allowReadWrite\": \"true\"}]}", "must be true or false")]
    [InlineData("{\"allowedRoots\": [{\"path\": \"/v\", \"description\": 1}]}", "description must be a string")]
    [InlineData("{\"allowedRoots\": [{\"path\": \"/v\", \"readWrite\": true}]}", "unknown key \"readWrite\"")]
    [InlineData("{\"allowedRoot\": []}", "unknown key \"allowedRoot\"")]
    [InlineData("{\"allowedRoots\": [], \"allowedRoots\": [{\"path\": \"/\"}]}", "twice")]
    [InlineData("{\"allowedRoots\": [], \"blockedPatterns\": \".ssh\"}", "\"blockedPatterns\" must be an array")]
    [InlineData("{\"allowedRoots\": [], \"blockedPatterns\": [\"\"]}", "non-empty string")]
    [InlineData("{\"allowedRoots\": [], \"blockedPatterns\": [1]}", "non-empty string")]
    [InlineData("{\"allowedRoots\": [], \"nonMainReadOnly\": \"no\"}", "must be true or false")]
    [InlineData("{\"allowedRoots\": [], \"nonMainReadOnly\": null}", "must be true or false")]
    public void AFileWithAWrongShapeMeansNoExtraFolders(string text, string expected)
    {
        using var rig = new MountRig();
        var reason = Unavailable(rig.WriteAllowlist(text));
        reason.ShouldContain(expected);
        reason.ShouldContain("No group gets extra folders");
    }

    [Fact]
    public void AValidFileIsReadWithItsRootsPatternsAndNonMainSetting()
    {
        using var rig = new MountRig();
        var allowlist = Loaded(rig.WriteAllowlist("""
            {
              // people edit this by hand
              "allowedRoots": [
                { "path": "/srv/vaults/", "allowReadWrite": true, "description": "Obsidian" },
                { "path": "/srv/docs/../papers" },
              ],
              "blockedPatterns": ["private", ".ssh"],
              "nonMainReadOnly": false
            }
            """));
        allowlist.AllowedRoots.ShouldBe([new AllowedRoot("/srv/vaults/", true, "Obsidian"), new AllowedRoot("/srv/papers", false, null)]);
        allowlist.NonMainReadOnly.ShouldBeFalse();
        allowlist.BlockedPatterns.Count(p => p == ".ssh").ShouldBe(1);
        allowlist.BlockedPatterns.ShouldContain("private");
    }

    [Fact]
    public void TildeExpandsToTheUsersHome()
    {
        using var rig = new MountRig();
        var allowlist = Loaded(rig.WriteAllowlist("""{ "allowedRoots": [ { "path": "~/vaults" }, { "path": "~" } ] }"""));
        allowlist.AllowedRoots.Select(r => r.Path).ShouldBe([Path.Combine(rig.Home, "vaults"), rig.Home]);
    }

    [Fact]
    public void TheDefaultPatternsAreAlwaysBlockedAndNonMainIsReadOnlyByDefault()
    {
        using var rig = new MountRig();
        var allowlist = Loaded(rig.WriteAllowlist("""{ "allowedRoots": [] }"""));
        allowlist.BlockedPatterns.ShouldBe(MountAllowlist.DefaultBlockedPatterns);
        allowlist.NonMainReadOnly.ShouldBeTrue();
        allowlist.AllowedRoots.ShouldBeEmpty();

        var withOwn = Loaded(rig.WriteAllowlist("""{ "allowedRoots": [], "blockedPatterns": ["work"] }"""));
        withOwn.BlockedPatterns.ShouldBe([.. MountAllowlist.DefaultBlockedPatterns, "work"]);
    }

    [Fact]
    public void TheDefaultPatternsAreTheDesignsList() =>
        MountAllowlist.DefaultBlockedPatterns.ShouldBe([".ssh", ".gnupg", ".gpg", ".aws", ".azure", ".gcloud", ".kube", ".docker",
            "credentials", ".env", ".netrc", ".npmrc", ".pypirc", "id_rsa", "id_ed25519", "private_key", ".secret", ".git/"]);

    [Fact]
    public void TheFileLivesInTheUsersConfigFolderUnlessOverridden()
    {
        MountAllowlistFile.DefaultPath("/home/u").ShouldBe("/home/u/.config/nanoclaw/mount-allowlist.json");
        MountAllowlistFile.DefaultPath("/home/u", "~/elsewhere.json").ShouldBe("/home/u/elsewhere.json");

        var config = Config.Load(new Dictionary<string, string?> { ["NANOCLAW_HOME"] = "/srv/nc", ["HOME"] = "/home/u" });
        config.UserHome.ShouldBe("/home/u");
        config.MountAllowlistPath.ShouldBe("/home/u/.config/nanoclaw/mount-allowlist.json");

        var overridden = Config.Load(new Dictionary<string, string?> { ["NANOCLAW_HOME"] = "/srv/nc", ["HOME"] = "/home/u", ["NANOCLAW_MOUNT_ALLOWLIST"] = "/etc/nc/allow.json" });
        overridden.MountAllowlistPath.ShouldBe("/etc/nc/allow.json");
    }
}
