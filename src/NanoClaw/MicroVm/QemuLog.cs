using Microsoft.Extensions.Logging;

namespace NanoClaw.MicroVm;

/// <summary>Log events of the QEMU backend (event ids 3100-3199).</summary>
internal static partial class QemuLog
{
    [LoggerMessage(EventId = 3100, Level = LogLevel.Information, Message = "VM {RunId} started: qemu pid {Pid}, {Accel}, {MemoryMb} MB, {Cpus} vCPU")]
    public static partial void VmStarted(this ILogger logger, string runId, int pid, string accel, int memoryMb, int cpus);

    [LoggerMessage(EventId = 3101, Level = LogLevel.Information, Message = "VM {RunId} exited with code {ExitCode} after {Seconds:F1} s")]
    public static partial void VmExited(this ILogger logger, string runId, int exitCode, double seconds);

    [LoggerMessage(EventId = 3102, Level = LogLevel.Warning, Message = "VM {RunId} still running at dispose: sending {Signal} to qemu pid {Pid}")]
    public static partial void VmKilling(this ILogger logger, string runId, string signal, int pid);

    [LoggerMessage(EventId = 3103, Level = LogLevel.Warning, Message = "killed orphaned qemu pid {Pid} of a previous host process ({RunDir})")]
    public static partial void OrphanKilled(this ILogger logger, int pid, string runDir);

    [LoggerMessage(EventId = 3104, Level = LogLevel.Information, Message = "removed stale VM run folder {RunDir}")]
    public static partial void OrphanDirRemoved(this ILogger logger, string runDir);
}
