using Microsoft.Extensions.Logging;

namespace NanoClaw.Cli;

static class Logs
{
    static LogLevel? Requested =>
        Enum.TryParse<LogLevel>(Environment.GetEnvironmentVariable("LOG_LEVEL"), ignoreCase: true, out var l) ? l : null;

    /// <summary>LOG_LEVEL=Debug or Trace: failures show their stack trace too.</summary>
    public static bool DebugRequested => Requested is LogLevel.Debug or LogLevel.Trace;

    /// <summary>Logs go to stderr (stdout belongs to the chat's replies). LOG_LEVEL overrides the default level.</summary>
    public static ILoggerFactory Create(LogLevel defaultLevel)
    {
        var level = Requested ?? defaultLevel;
        return LoggerFactory.Create(b => b
            .SetMinimumLevel(level)
            .AddFilter("Microsoft", LogLevel.Warning)
            .AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace)
            .AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "HH:mm:ss "; }));
    }
}
