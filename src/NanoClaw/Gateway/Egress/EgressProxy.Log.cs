using Microsoft.Extensions.Logging;

namespace NanoClaw.Gateway.Egress;

public sealed partial class EgressProxy
{
    // One "egress" line per destination, attributed to the group by its run token. Never log header values: the
    // Proxy-Authorization header is the run's credential.
    static partial class Log
    {
        [LoggerMessage(EventId = 130, Level = LogLevel.Information, Message = "egress {Group} run {RunId}: {Host}:{Port} ({Address}) allowed, {BytesUp} bytes up, {BytesDown} bytes down")]
        public static partial void Allowed(ILogger logger, string group, string runId, string host, int port, string address, long bytesUp, long bytesDown);

        [LoggerMessage(EventId = 131, Level = LogLevel.Warning, Message = "egress {Group} run {RunId}: {Host}:{Port} ({Address}) refused: {Reason}")]
        public static partial void Refused(ILogger logger, string group, string runId, string host, int port, string address, string reason);

        [LoggerMessage(EventId = 132, Level = LogLevel.Warning, Message = "egress {Group} run {RunId}: {Host}:{Port} ({Address}) failed: {Reason}")]
        public static partial void Failed(ILogger logger, string group, string runId, string host, int port, string address, string reason);

        [LoggerMessage(EventId = 133, Level = LogLevel.Warning, Message = "egress (no group): {Host}:{Port} refused: {Reason}")]
        public static partial void Unauthenticated(ILogger logger, string host, int port, string reason);

        [LoggerMessage(EventId = 134, Level = LogLevel.Error, Message = "egress proxy: a connection failed unexpectedly")]
        public static partial void Crashed(ILogger logger, Exception exception);
    }
}
