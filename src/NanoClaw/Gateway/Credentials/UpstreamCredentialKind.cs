namespace NanoClaw.Gateway.Credentials;

/// <summary>Which secret from the configuration the gateway forwards with, in the order it is preferred.</summary>
public enum UpstreamCredentialKind
{
    /// <summary>ANTHROPIC_API_KEY, sent as <c>x-api-key</c>.</summary>
    AnthropicApiKey,
    /// <summary>CLAUDE_CODE_OAUTH_TOKEN (a Claude subscription), sent as <c>Authorization: Bearer</c> plus the OAuth beta.</summary>
    ClaudeCodeOAuthToken,
    /// <summary>VERCEL_AI_GATEWAY_KEY, sent as <c>Authorization: Bearer</c> to Vercel's Anthropic-compatible endpoint.</summary>
    VercelAiGatewayKey,
}
