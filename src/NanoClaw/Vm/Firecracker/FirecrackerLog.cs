using Microsoft.Extensions.Logging;

namespace NanoClaw.Vm.Firecracker;

/// <summary>Log events of the Firecracker backend (event ids 3200-3299).</summary>
internal static partial class FirecrackerLog
{
    [LoggerMessage(EventId = 3200, Level = LogLevel.Information, Message = "VM {RunId} started: firecracker pid {Pid}, {MemoryMb} MB, {Cpus} vCPU")]
    public static partial void VmStarted(this ILogger logger, string runId, int pid, int memoryMb, int cpus);

    [LoggerMessage(EventId = 3203, Level = LogLevel.Warning, Message = "VM {RunId}: its cgroup has no {Controllers} controller(s) on this host, so those limits are not set")]
    public static partial void CgroupWithoutLimits(this ILogger logger, string runId, string controllers);

    [LoggerMessage(EventId = 3204, Level = LogLevel.Warning, Message = "VM {RunId}: cgroup {Path} could not be removed; orphan cleanup at the next start retries")]
    public static partial void CgroupLeft(this ILogger logger, string runId, string path);

    [LoggerMessage(EventId = 3205, Level = LogLevel.Warning, Message = "killed orphaned firecracker pid {Pid} left in {RunDir}")]
    public static partial void OrphanKilled(this ILogger logger, int pid, string runDir);

    [LoggerMessage(EventId = 3206, Level = LogLevel.Information, Message = "removed orphaned firecracker run folder {RunDir}")]
    public static partial void OrphanDirRemoved(this ILogger logger, string runDir);
}
