using Microsoft.Extensions.Logging;

namespace NanoClaw.Cli;

static class Logs
{
    /// <summary>Logs go to stderr (stdout belongs to the chat's replies). LOG_LEVEL overrides the default level.</summary>
    public static ILoggerFactory Create(LogLevel defaultLevel)
    {
        var level = Enum.TryParse<LogLevel>(Environment.GetEnvironmentVariable("LOG_LEVEL"), ignoreCase: true, out var l) ? l : defaultLevel;
        return LoggerFactory.Create(b => b
            .SetMinimumLevel(level)
            .AddFilter("Microsoft", LogLevel.Warning)
            .AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace)
            .AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "HH:mm:ss "; }));
    }
}
