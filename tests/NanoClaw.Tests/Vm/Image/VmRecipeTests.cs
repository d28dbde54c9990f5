using NanoClaw.Guest;
using NanoClaw.Vm.Image;

namespace NanoClaw.Tests.Vm.Image;

public sealed class VmRecipeTests : IDisposable
{
    readonly string repo = Directory.CreateTempSubdirectory("nanoclaw-recipe-").FullName;

    public VmRecipeTests()
    {
        Write("vm/build-base.sh", "base");
        Write("vm/build-initrd.sh", "initrd");
        Write("vm/versions.env", "CLAUDE_CODE_VERSION=1");
        Write("vm/guest/init", "#!/bin/sh");
        Write("src/NanoClaw.Guest/Program.cs", "return 0;");
    }

    public void Dispose() => Directory.Delete(repo, recursive: true);

    [Fact]
    public void AGuestAgentChangeRebuildsOnlyTheInitramfs()
    {
        var before = VmRecipe.Compute(repo);
        Write("src/NanoClaw.Guest/Program.cs", "return 1;");
        var after = VmRecipe.Compute(repo);

        after.BaseHash.ShouldBe(before.BaseHash);
        after.InitrdHash.ShouldNotBe(before.InitrdHash);
    }

    [Fact]
    public void AVersionChangeRebuildsBoth()
    {
        var before = VmRecipe.Compute(repo);
        Write("vm/versions.env", "CLAUDE_CODE_VERSION=2");
        var after = VmRecipe.Compute(repo);

        after.BaseHash.ShouldNotBe(before.BaseHash);
        after.InitrdHash.ShouldNotBe(before.InitrdHash);
    }

    [Fact]
    public void FirecrackerPinsAreHostToolsAndDoNotRebuildTheImage()
    {
        Write("vm/versions.env", "CLAUDE_CODE_VERSION=1\n");
        var before = VmRecipe.Compute(repo);
        Write("vm/versions.env", "CLAUDE_CODE_VERSION=1\n# Firecracker, installed on the host by setup\n# (host tool)\nFIRECRACKER_VERSION=v1.10.1\nFIRECRACKER_SHA256=" + new string('a', 64) + "\n");
        var pinned = VmRecipe.Compute(repo);
        Write("vm/versions.env", "CLAUDE_CODE_VERSION=1\n# Firecracker, installed on the host by setup\n# (host tool)\nFIRECRACKER_VERSION=v1.11.0\nFIRECRACKER_SHA256=" + new string('b', 64) + "\n");
        var bumped = VmRecipe.Compute(repo);

        pinned.ShouldBe(before);
        bumped.ShouldBe(before);
    }

    [Fact]
    public void TheSharedVsockAddressIsAnInitramfsInput()
    {
        Write("src/NanoClaw/Guest/VsockAddress.cs", "port 1024");
        var before = VmRecipe.Compute(repo);
        Write("src/NanoClaw/Guest/VsockAddress.cs", "port 1025");
        var after = VmRecipe.Compute(repo);

        after.BaseHash.ShouldBe(before.BaseHash);
        after.InitrdHash.ShouldNotBe(before.InitrdHash);
    }

    [Fact]
    public void BuildOutputOfTheGuestAgentDoesNotCount()
    {
        var before = VmRecipe.Compute(repo);
        Write("src/NanoClaw.Guest/obj/project.assets.json", "{}");
        Write("src/NanoClaw.Guest/bin/Release/nanoclaw-guest", "elf");

        VmRecipe.Compute(repo).ShouldBe(before);
    }

    void Write(string relative, string content)
    {
        var path = Path.Combine(repo, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content);
    }
}
