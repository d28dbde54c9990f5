using NanoClaw.Cli;
using NanoClaw.ExtraFolders;
using NanoClaw.Tests.Support;

namespace NanoClaw.Tests.ExtraFolders;

public class GroupMountCommandTests
{
    sealed class Rig : IDisposable
    {
        public MountRig Tree { get; } = new();
        public TestHome Home { get; }
        public Config Config { get; }
        public StringWriter Output { get; } = new();
        public StringWriter Error { get; } = new();

        public Rig(string allowlistJson)
        {
            Home = new TestHome();
            Config = Home.Config with { UserHome = Tree.Home, MountAllowlistPathOverride = Tree.AllowlistPath };
            File.WriteAllText(Tree.AllowlistPath, allowlistJson);
            Home.Register("main@s", "main", isMain: true);
            Home.Register("family@g.us", "family");
        }

        public int Add(string folder, string hostPath, string? name = null, bool readWrite = false) =>
            GroupMountCommand.Add(Config, Home.Db, folder, hostPath, name, readWrite, Tree.Home, Output, Error);

        public IReadOnlyList<AdditionalMount> Stored(string folder) =>
            ContainerConfig.Parse(Home.Db.RegisteredGroups().Single(g => g.Folder == folder).ContainerConfigJson)
                .ShouldBeOfType<ContainerConfigRead.Parsed>().AdditionalMounts;

        public void Dispose()
        {
            Home.Dispose();
            Tree.Dispose();
        }
    }

    const string Vaults = """{"allowedRoots": [{"path": "~/vaults", "allowReadWrite": true}], "nonMainReadOnly": true}""";

    [Fact]
    public void AddStoresAnApprovedFolderAndSaysWhereItAppears()
    {
        using var rig = new Rig(Vaults);
        var notes = rig.Tree.Dir("home/u/vaults/notes");
        rig.Add("main", "~/vaults/notes", readWrite: true).ShouldBe(0);
        rig.Output.ToString().ShouldContain($"/workspace/extra/notes <- {notes} (read-write)");
        rig.Stored("main").ShouldBe([new AdditionalMount(notes, null, false)]);
    }

    [Fact]
    public void AddResolvesARelativeHostPathAgainstTheWorkingFolder()
    {
        using var rig = new Rig(Vaults);
        var notes = rig.Tree.Dir("home/u/vaults/notes");
        rig.Add("family", "vaults/notes", "n").ShouldBe(0);
        rig.Stored("family").ShouldBe([new AdditionalMount(notes, "n")]);
    }

    [Fact]
    public void AddRefusesWithTheReasonAndStoresNothing()
    {
        using var rig = new Rig(Vaults);
        rig.Tree.Dir("home/u/.ssh");
        rig.Add("main", "~/.ssh", "keys").ShouldBe(1);
        rig.Error.ToString().ShouldStartWith("Not added: ");
        rig.Stored("main").ShouldBeEmpty();
    }

    [Fact]
    public void AddRefusesEverythingWhenTheAllowlistIsInvalid()
    {
        using var rig = new Rig("{ nope");
        rig.Tree.Dir("home/u/vaults/notes");
        rig.Add("main", "~/vaults/notes").ShouldBe(1);
        rig.Error.ToString().ShouldContain("not valid JSON");
    }

    [Fact]
    public void AddTellsANonMainGroupItsReadWriteRequestBecameReadOnly()
    {
        using var rig = new Rig(Vaults);
        rig.Tree.Dir("home/u/vaults/notes");
        rig.Add("family", "~/vaults/notes", readWrite: true).ShouldBe(0);
        rig.Output.ToString().ShouldContain("(read-only)");
        rig.Output.ToString().ShouldContain("Note: read-only: only the main group");
    }

    [Fact]
    public void AddRefusesANameAlreadyInUse()
    {
        using var rig = new Rig(Vaults);
        rig.Tree.Dir("home/u/vaults/a/notes");
        rig.Tree.Dir("home/u/vaults/b/notes");
        rig.Add("main", "~/vaults/a/notes").ShouldBe(0);
        rig.Add("main", "~/vaults/b/notes").ShouldBe(1);
        rig.Error.ToString().ShouldContain("already used by");
        rig.Stored("main").Count.ShouldBe(1);
    }

    [Fact]
    public void AddForAnUnknownFolderSaysHowToListGroups()
    {
        using var rig = new Rig(Vaults);
        rig.Add("nobody", "~/vaults").ShouldBe(2);
        rig.Error.ToString().ShouldContain("groups list");
    }

    [Fact]
    public void ListShowsTodaysVerdictForEachFolder()
    {
        using var rig = new Rig(Vaults);
        var notes = rig.Tree.Dir("home/u/vaults/notes");
        var gone = rig.Tree.Dir("home/u/vaults/gone");
        rig.Add("main", notes).ShouldBe(0);
        rig.Add("main", gone).ShouldBe(0);
        Directory.Delete(gone);

        var output = new StringWriter();
        GroupMountCommand.List(rig.Config, rig.Home.Db, "main", output, rig.Error).ShouldBe(0);
        var lines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        lines[0].ShouldStartWith("notes");
        lines[0].ShouldContain(" ro ");
        lines[1].ShouldContain("refused");
        lines[1].ShouldContain("does not exist");
    }

    [Fact]
    public void RemoveTakesAFolderOutByName()
    {
        using var rig = new Rig(Vaults);
        var a = rig.Tree.Dir("home/u/vaults/a");
        rig.Tree.Dir("home/u/vaults/b");
        rig.Add("main", "~/vaults/a").ShouldBe(0);
        rig.Add("main", "~/vaults/b").ShouldBe(0);
        GroupMountCommand.Remove(rig.Config, rig.Home.Db, "main", "b", rig.Output, rig.Error).ShouldBe(0);
        rig.Stored("main").ShouldBe([new AdditionalMount(a)]);
        GroupMountCommand.Remove(rig.Config, rig.Home.Db, "main", "b", rig.Output, rig.Error).ShouldBe(1);
        rig.Error.ToString().ShouldContain("its folders are: a");
    }
}
