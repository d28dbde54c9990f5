using NanoClaw.Cli;
using NanoClaw.Gateway;
using NanoClaw.Gateway.Egress;
using NanoClaw.Tests.Support;

namespace NanoClaw.Tests.Cli;

public sealed class GroupEgressCommandTests : IDisposable
{
    readonly TestHome home = new();
    readonly StringWriter output = new();
    readonly StringWriter error = new();

    public GroupEgressCommandTests() => home.Register("family@g.us", "family");

    public void Dispose() => home.Dispose();

    int Run(string action, params string[] patterns) => GroupEgressCommand.Run(home.Db, "family", action, patterns, output, error);

    string? StoredJson => home.Db.RegisteredGroups().Single(g => g.Folder == "family").ContainerConfigJson;

    [Fact]
    public void AllowAndDenyAreStoredInSqliteAndShownBack()
    {
        Run("allow", "*.GitHub.com", "pypi.org.").ShouldBe(0);
        Run("deny", "gist.github.com").ShouldBe(0);
        Run("list").ShouldBe(0);

        var rules = EgressRules.FromContainerConfig(StoredJson);
        rules.Allow.ShouldBe(["*.github.com", "pypi.org"]);
        rules.Deny.ShouldBe(["gist.github.com"]);
        output.ToString().ShouldContain("family: allow *.github.com, pypi.org; deny gist.github.com");
    }

    [Fact]
    public void ClearKeepsTheGroupsOtherSettings()
    {
        home.Db.SetContainerConfig("family@g.us", """{"additionalMounts":[{"hostPath":"/srv/x"}]}""");
        Run("deny", "example.com").ShouldBe(0);

        Run("clear").ShouldBe(0);

        StoredJson.ShouldBe("""{"additionalMounts":[{"hostPath":"/srv/x"}]}""");
        output.ToString().ShouldContain("family: any public host");
    }

    [Fact]
    public void AnInvalidPatternChangesNothing()
    {
        Run("allow", "example.com", "exa mple.com").ShouldBe(2);

        error.ToString().ShouldContain("Not changed: \"exa mple.com\"");
        StoredJson.ShouldBeNull();
    }

    [Fact]
    public void AnUnknownFolderIsNamed()
    {
        GroupEgressCommand.Run(home.Db, "nope", "list", [], output, error).ShouldBe(2);
        error.ToString().ShouldContain("No group uses the folder \"nope\"");
    }
}
