using Microsoft.Extensions.Logging;

namespace NanoClaw.MicroVm.Firecracker;

/// <summary>Log events of the Firecracker backend (event ids 3200-3299).</summary>
internal static partial class FirecrackerLog
{
    [LoggerMessage(EventId = 3200, Level = LogLevel.Information, Message = "VM {RunId} started: firecracker pid {Pid}, {MemoryMb} MB, {Cpus} vCPU")]
    public static partial void VmStarted(this ILogger logger, string runId, int pid, int memoryMb, int cpus);

    [LoggerMessage(EventId = 3201, Level = LogLevel.Information, Message = "VM {RunId} exited with code {ExitCode} after {Seconds:F1} s")]
    public static partial void VmExited(this ILogger logger, string runId, int exitCode, double seconds);

    [LoggerMessage(EventId = 3202, Level = LogLevel.Warning, Message = "VM {RunId} still running at dispose: sending {Signal} to firecracker pid {Pid}")]
    public static partial void VmKilling(this ILogger logger, string runId, string signal, int pid);
}
