namespace NanoClaw.Tests;

public class GroupFolderTests
{
    [Theory]
    [InlineData("family")]
    [InlineData("Work-Team_2")]
    [InlineData("a")]
    public void PlainNamesAreValid(string name) => GroupFolder.Validate(name).ShouldBeNull();

    [Theory]
    [InlineData("")]
    [InlineData("../etc")]
    [InlineData("a/b")]
    [InlineData(".hidden")]
    [InlineData("-dash")]
    [InlineData("has space")]
    [InlineData("global")]
    [InlineData("GLOBAL")]
    public void NamesThatEscapeOrCollideAreRefusedWithAReason(string name) => GroupFolder.Validate(name).ShouldNotBeNull();

    [Fact]
    public void ANameLongerThan64IsRefused() => GroupFolder.Validate(new string('a', 65)).ShouldNotBeNull();
}
