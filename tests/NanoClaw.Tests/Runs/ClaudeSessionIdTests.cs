using NanoClaw.Runs;

namespace NanoClaw.Tests.Runs;

public sealed class ClaudeSessionIdTests
{
    [Theory]
    [InlineData("0b5f4c7e-3c1a-4d2b-9e8f-112233445566", true)]
    [InlineData("0B5F4C7E-3C1A-4D2B-9E8F-112233445566", false)]
    [InlineData("0b5f4c7e-3c1a-4d2b-9e8f-112233445566\n", false)]
    [InlineData("{0b5f4c7e-3c1a-4d2b-9e8f-112233445566}", false)]
    [InlineData("0b5f4c7e3c1a4d2b9e8f112233445566", false)]
    [InlineData("--resume", false)]
    [InlineData("", false)]
    [InlineData(null, false)]
    public void OnlyALowerCaseUuidIsASessionId(string? id, bool valid) => ClaudeSessionId.IsValid(id).ShouldBe(valid);
}
