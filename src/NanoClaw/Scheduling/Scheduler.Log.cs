using Microsoft.Extensions.Logging;

namespace NanoClaw.Scheduling;

public sealed partial class Scheduler
{
    [LoggerMessage(EventId = 500, Level = LogLevel.Debug, Message = "Task {TaskId}: run {RunId} claimed, queued for its group")]
    static partial void LogDispatching(ILogger logger, string taskId, long runId);

    [LoggerMessage(EventId = 501, Level = LogLevel.Information, Message = "Task {TaskId}: running for {Group}")]
    static partial void LogRunStarting(ILogger logger, string taskId, string group);

    [LoggerMessage(EventId = 502, Level = LogLevel.Information, Message = "Task {TaskId}: run ended {Status} after {Duration}")]
    static partial void LogRunFinished(ILogger logger, string taskId, string status, TimeSpan duration);

    [LoggerMessage(EventId = 503, Level = LogLevel.Warning, Message = "Task {TaskId}: run failed ({Error}); retry {Attempt} in {Delay}")]
    static partial void LogRetrying(ILogger logger, string taskId, int attempt, TimeSpan delay, string error);

    [LoggerMessage(EventId = 504, Level = LogLevel.Information, Message = "Task {TaskId}: {Missed} occurrences missed while down; one catch-up run")]
    static partial void LogCatchUp(ILogger logger, string taskId, int missed);

    [LoggerMessage(EventId = 505, Level = LogLevel.Information, Message = "Task {TaskId}: run {RunId} was claimed but never started before the restart; running it now")]
    static partial void LogRedispatching(ILogger logger, string taskId, long runId);

    [LoggerMessage(EventId = 507, Level = LogLevel.Warning, Message = "Reported to the main chat: {Text}")]
    static partial void LogReport(ILogger logger, string text);

    [LoggerMessage(EventId = 508, Level = LogLevel.Error, Message = "Dispatching due tasks failed; trying again shortly")]
    static partial void LogDispatchFailed(ILogger logger, Exception ex);
}
