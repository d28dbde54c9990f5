using Microsoft.Extensions.Logging;

namespace NanoClaw.Gateway.Credentials;

public sealed partial class CredentialProxy
{
    // Never log a header value here: they carry tokens and keys.
    static partial class Log
    {
        [LoggerMessage(EventId = 100, Level = LogLevel.Information, Message = "Run {RunId} ({Group}) {Method} {Path} -> {Status} in {ElapsedMs:F0} ms")]
        public static partial void Forwarded(ILogger logger, string runId, string group, string method, string path, int status, double elapsedMs);

        [LoggerMessage(EventId = 101, Level = LogLevel.Warning, Message = "Rejected {Method} {Path}: {Reason}")]
        public static partial void Rejected(ILogger logger, string method, string path, string reason);

        [LoggerMessage(EventId = 102, Level = LogLevel.Warning, Message = "Run {RunId} ({Group}): model API at {Upstream} unreachable: {Reason}")]
        public static partial void UpstreamUnreachable(ILogger logger, string runId, string group, string upstream, string reason);

        [LoggerMessage(EventId = 103, Level = LogLevel.Warning, Message = "Run {RunId} ({Group}) {Path}: upstream broke off mid-response: {Reason}")]
        public static partial void UpstreamBrokeOff(ILogger logger, string runId, string group, string path, string reason);

        [LoggerMessage(EventId = 105, Level = LogLevel.Warning, Message = "Run {RunId} ({Group}) {Method} {Path}: refused, {Reason}")]
        public static partial void NotForwarded(ILogger logger, string runId, string group, string method, string path, string reason);

        [LoggerMessage(EventId = 104, Level = LogLevel.Debug, Message = "Run {RunId} ({Group}) {Path}: client went away")]
        public static partial void ClientGone(ILogger logger, string runId, string group, string path);
    }
}
