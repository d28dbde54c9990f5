namespace NanoClaw.Tests.Fakes;

/// <summary>
/// Scripted usage of one answer, reported the way the Messages API does: <c>message_start</c> carries the input side and
/// one output token; <c>message_delta</c> carries running totals (input side again, and the final output count).
/// </summary>
public sealed record FakeUsage(long Input, long Output, long CacheWrite5m = 0, long CacheWrite1h = 0, long CacheRead = 0);
