namespace NanoClaw.Tests.Fakes;

/// <summary>A Bot API error the fake answers with, as Telegram does: HTTP status = <c>error_code</c>, and for 429 <c>parameters.retry_after</c>.</summary>
public sealed record FakeTelegramError(int Code, string Description, int? RetryAfter = null)
{
    public static FakeTelegramError TooManyRequests(int retryAfter) => new(429, $"Too Many Requests: retry after {retryAfter}", retryAfter);
    public static readonly FakeTelegramError Unauthorized = new(401, "Unauthorized");
}
