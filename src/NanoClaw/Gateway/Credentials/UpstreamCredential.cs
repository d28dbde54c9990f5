using System.Net.Http.Headers;

namespace NanoClaw.Gateway.Credentials;

/// <summary>
/// The real upstream and the real secret the gateway swaps in for a run's token. It lives only in the host process:
/// its <see cref="ToString"/> never shows the secret, and nothing hands it to a VM.
/// </summary>
public sealed class UpstreamCredential
{
    /// <summary>The beta flag Claude Code itself sends when it authenticates with an OAuth token.</summary>
    public const string OAuthBeta = "oauth-2025-04-20";
    public static readonly Uri AnthropicBaseUrl = new("https://api.anthropic.com");
    /// <summary>Vercel AI Gateway's Anthropic-compatible Messages API.</summary>
    public static readonly Uri VercelAiGatewayBaseUrl = new("https://ai-gateway.vercel.sh");

    readonly string secret;

    public UpstreamCredential(UpstreamCredentialKind kind, string secret, Uri baseUrl)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(secret);
        ArgumentNullException.ThrowIfNull(baseUrl);
        (Kind, this.secret, BaseUrl) = (kind, secret, baseUrl);
    }

    public UpstreamCredentialKind Kind { get; }

    /// <summary>Scheme, host and optional path prefix that <c>/v1/...</c> is appended to.</summary>
    public Uri BaseUrl { get; }

    /// <summary><see cref="BaseUrl"/> without its userinfo (<c>https://user:pass@host</c> shows as <c>https://host</c>):
    /// the only form of it that may appear in an error a guest sees, or in a log.</summary>
    public string DisplayUrl => WithoutUserInfo(BaseUrl);

    /// <summary><paramref name="url"/> as text with any <c>user:pass@</c> left out (doctor prints the upstream this way).</summary>
    public static string WithoutUserInfo(Uri url) => string.IsNullOrEmpty(url.UserInfo)
        ? url.ToString()
        : new UriBuilder(url) { UserName = "", Password = "" }.Uri.ToString();

    /// <summary><paramref name="text"/> with every trace of <see cref="BaseUrl"/>'s userinfo removed (raw and escaped).</summary>
    public string Redact(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (string.IsNullOrEmpty(BaseUrl.UserInfo)) return text;
        foreach (var secretPart in new[] { BaseUrl.UserInfo, Uri.UnescapeDataString(BaseUrl.UserInfo) }
                     .Concat(Uri.UnescapeDataString(BaseUrl.UserInfo).Split(':')).Where(p => p.Length > 0).Distinct())
            text = text.Replace(secretPart, "***", StringComparison.Ordinal);
        return text;
    }

    /// <summary>The header that carries the secret upstream: <c>x-api-key</c> or <c>Authorization</c>.</summary>
    public string HeaderName => Kind == UpstreamCredentialKind.AnthropicApiKey ? "x-api-key" : "Authorization";

    /// <summary>
    /// Chooses the credential from the configuration. When several are set, the first of ANTHROPIC_API_KEY,
    /// CLAUDE_CODE_OAUTH_TOKEN, VERCEL_AI_GATEWAY_KEY wins (the API key first, as Claude Code itself prefers it).
    /// The upstream is the configured ANTHROPIC_BASE_URL when set, else the credential's own service.
    /// </summary>
    /// <exception cref="ConfigException">No credential is configured; the message says which keys to set.</exception>
    public static UpstreamCredential FromConfig(Config config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var (kind, secret, defaultBase) =
            config.AnthropicApiKey is { Length: > 0 } apiKey ? (UpstreamCredentialKind.AnthropicApiKey, apiKey, AnthropicBaseUrl)
            : config.ClaudeCodeOAuthToken is { Length: > 0 } oauth ? (UpstreamCredentialKind.ClaudeCodeOAuthToken, oauth, AnthropicBaseUrl)
            : config.VercelAiGatewayKey is { Length: > 0 } vercel ? (UpstreamCredentialKind.VercelAiGatewayKey, vercel, VercelAiGatewayBaseUrl)
            : throw new ConfigException(
                "No model credential is configured. Set one of ANTHROPIC_API_KEY (an Anthropic API key), " +
                "CLAUDE_CODE_OAUTH_TOKEN (from `claude setup-token`) or VERCEL_AI_GATEWAY_KEY in the environment or in " +
                $"{Path.Combine(config.Home, ".env")}.");
        return new UpstreamCredential(kind, secret, config.UpstreamBaseUrl ?? defaultBase);
    }

    /// <summary>
    /// Puts the secret on an outgoing request. The caller has already removed every credential the client sent.
    /// For OAuth the <c>anthropic-beta</c> list gains <see cref="OAuthBeta"/>: the guest authenticates with an API-key
    /// shaped token and so never sends it, but the upstream rejects OAuth tokens without it.
    /// </summary>
    public void ApplyTo(HttpRequestMessage request)
    {
        ArgumentNullException.ThrowIfNull(request);
        switch (Kind)
        {
            case UpstreamCredentialKind.AnthropicApiKey:
                request.Headers.TryAddWithoutValidation("x-api-key", secret);
                break;
            case UpstreamCredentialKind.ClaudeCodeOAuthToken:
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", secret);
                AddBeta(request.Headers, OAuthBeta);
                break;
            case UpstreamCredentialKind.VercelAiGatewayKey:
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", secret);
                break;
        }
    }

    public override string ToString() => $"{Kind} via {DisplayUrl} ({HeaderName})";

    static void AddBeta(HttpRequestHeaders headers, string beta)
    {
        var betas = headers.TryGetValues("anthropic-beta", out var values)
            ? values.SelectMany(v => v.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)).ToList()
            : [];
        if (betas.Contains(beta, StringComparer.OrdinalIgnoreCase)) return;
        betas.Add(beta);
        headers.Remove("anthropic-beta");
        headers.TryAddWithoutValidation("anthropic-beta", string.Join(',', betas));
    }
}
