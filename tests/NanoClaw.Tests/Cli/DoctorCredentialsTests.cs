using NanoClaw.Cli;

namespace NanoClaw.Tests.Cli;

public sealed class DoctorCredentialsTests
{
    [Fact]
    public void TheUpstreamIsShownWithoutItsUserAndPassword()
    {
        var config = new Config
        {
            Home = "/tmp/x",
            CacheDir = "/tmp/x",
            AnthropicApiKey = "sk-ant-test",
            UpstreamBaseUrl = new Uri("https://proxyuser:hunter2secret@llm.example.com/anthropic"),
        };

        var check = DoctorCommand.Credentials(config);

        check.Ok.ShouldBeTrue();
        check.Detail.ShouldContain("upstream https://llm.example.com/anthropic");
        check.Detail.ShouldNotContain("hunter2secret");
        check.Detail.ShouldNotContain("proxyuser");
    }
}
