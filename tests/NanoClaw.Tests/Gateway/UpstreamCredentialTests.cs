using NanoClaw.Gateway;
using NanoClaw.Gateway.Credentials;

namespace NanoClaw.Tests.Gateway;

public class UpstreamCredentialTests
{
    static Config ConfigWith(string? apiKey = null, string? oauth = null, string? vercel = null, Uri? baseUrl = null) => new()
    {
        Home = "/tmp/nanoclaw-home",
        CacheDir = "/tmp/nanoclaw-cache",
        AnthropicApiKey = apiKey,
        ClaudeCodeOAuthToken = oauth,
        VercelAiGatewayKey = vercel,
        UpstreamBaseUrl = baseUrl,
    };

    static HttpRequestMessage Apply(UpstreamCredential credential, string? clientBeta = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "http://upstream.test/v1/messages");
        if (clientBeta is not null) request.Headers.TryAddWithoutValidation("anthropic-beta", clientBeta);
        credential.ApplyTo(request);
        return request;
    }

    [Fact]
    public void AnApiKeyGoesToAnthropicAsXApiKey()
    {
        var credential = UpstreamCredential.FromConfig(ConfigWith(apiKey: "sk-ant-api-real"));

        credential.Kind.ShouldBe(UpstreamCredentialKind.AnthropicApiKey);
        credential.BaseUrl.ShouldBe(new Uri("https://api.anthropic.com"));
        var request = Apply(credential);
        request.Headers.GetValues("x-api-key").ShouldBe(["sk-ant-api-real"]);
        request.Headers.Authorization.ShouldBeNull();
    }

    [Fact]
    public void AnOAuthTokenGoesAsBearerWithTheOAuthBetaAddedToTheClientsBetas()
    {
        var credential = UpstreamCredential.FromConfig(ConfigWith(oauth: "sk-ant-oat01-real"));

        credential.Kind.ShouldBe(UpstreamCredentialKind.ClaudeCodeOAuthToken);
        credential.BaseUrl.ShouldBe(new Uri("https://api.anthropic.com"));
        var request = Apply(credential, clientBeta: "claude-code-20250219,interleaved-thinking-2025-05-14");
        request.Headers.Authorization!.ToString().ShouldBe("Bearer sk-ant-oat01-real");
        request.Headers.Contains("x-api-key").ShouldBeFalse();
        request.Headers.GetValues("anthropic-beta").ShouldBe(["claude-code-20250219,interleaved-thinking-2025-05-14,oauth-2025-04-20"]);
    }

    [Fact]
    public void TheOAuthBetaIsNotDuplicated()
    {
        var request = Apply(UpstreamCredential.FromConfig(ConfigWith(oauth: "t")), clientBeta: "oauth-2025-04-20");

        request.Headers.GetValues("anthropic-beta").ShouldBe(["oauth-2025-04-20"]);
    }

    [Fact]
    public void AVercelKeyGoesToTheAiGatewayAsBearer()
    {
        var credential = UpstreamCredential.FromConfig(ConfigWith(vercel: "vck-real"));

        credential.Kind.ShouldBe(UpstreamCredentialKind.VercelAiGatewayKey);
        credential.BaseUrl.ShouldBe(new Uri("https://ai-gateway.vercel.sh"));
        var request = Apply(credential);
        request.Headers.Authorization!.ToString().ShouldBe("Bearer vck-real");
        request.Headers.Contains("anthropic-beta").ShouldBeFalse();
    }

    [Fact]
    public void TheConfiguredBaseUrlOverridesTheDefault()
    {
        var credential = UpstreamCredential.FromConfig(ConfigWith(vercel: "vck", baseUrl: new Uri("http://127.0.0.1:9999/prefix")));

        credential.BaseUrl.ShouldBe(new Uri("http://127.0.0.1:9999/prefix"));
    }

    [Fact]
    public void TheApiKeyWinsWhenSeveralCredentialsAreSet()
    {
        UpstreamCredential.FromConfig(ConfigWith(apiKey: "k", oauth: "o", vercel: "v")).Kind.ShouldBe(UpstreamCredentialKind.AnthropicApiKey);
        UpstreamCredential.FromConfig(ConfigWith(oauth: "o", vercel: "v")).Kind.ShouldBe(UpstreamCredentialKind.ClaudeCodeOAuthToken);
    }

    [Fact]
    public void WithNoCredentialTheErrorNamesTheKeysToSet()
    {
        var error = Should.Throw<ConfigException>(() => UpstreamCredential.FromConfig(ConfigWith()));

        error.Message.ShouldContain("ANTHROPIC_API_KEY");
        error.Message.ShouldContain("CLAUDE_CODE_OAUTH_TOKEN");
        error.Message.ShouldContain("VERCEL_AI_GATEWAY_KEY");
        error.Message.ShouldContain(Path.Combine("/tmp/nanoclaw-home", ".env"));
    }

    [Fact]
    public void ToStringNeverShowsTheSecret()
    {
        foreach (var config in new[] { ConfigWith(apiKey: "sk-secret-1"), ConfigWith(oauth: "sk-secret-1"), ConfigWith(vercel: "sk-secret-1") })
            UpstreamCredential.FromConfig(config).ToString().ShouldNotContain("sk-secret-1");
    }
}
