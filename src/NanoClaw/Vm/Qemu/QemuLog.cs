using Microsoft.Extensions.Logging;

namespace NanoClaw.Vm.Qemu;

/// <summary>Log events of the QEMU backend (event ids 3100-3199).</summary>
internal static partial class QemuLog
{
    [LoggerMessage(EventId = 3100, Level = LogLevel.Information, Message = "VM {RunId} started: qemu pid {Pid}, {Accel}, {MemoryMb} MB, {Cpus} vCPU")]
    public static partial void VmStarted(this ILogger logger, string runId, int pid, string accel, int memoryMb, int cpus);

    [LoggerMessage(EventId = 3105, Level = LogLevel.Warning, Message = "VM {RunId}: its cgroup has no {Controllers} controller(s) on this host, so those limits are not set")]
    public static partial void CgroupWithoutLimits(this ILogger logger, string runId, string controllers);

    [LoggerMessage(EventId = 3106, Level = LogLevel.Warning, Message = "VM {RunId}: cannot create its cgroup ({Reason}); QEMU runs without pids/memory limits")]
    public static partial void CgroupUnavailable(this ILogger logger, string runId, string reason);

    [LoggerMessage(EventId = 3103, Level = LogLevel.Warning, Message = "killed orphaned qemu pid {Pid} of a previous host process ({RunDir})")]
    public static partial void OrphanKilled(this ILogger logger, int pid, string runDir);

    [LoggerMessage(EventId = 3104, Level = LogLevel.Information, Message = "removed stale VM run folder {RunDir}")]
    public static partial void OrphanDirRemoved(this ILogger logger, string runDir);

    [LoggerMessage(EventId = 3107, Level = LogLevel.Debug, Message = "VM {RunId}: gateway {Reason}")]
    public static partial void GatewayStreamRefused(this ILogger logger, string runId, string reason);

    [LoggerMessage(EventId = 3108, Level = LogLevel.Error, Message = "VM {RunId}: its gateway streams broke the protocol ({Reason}); the VM's gateway connections are closed")]
    public static partial void GatewayStreamsBroken(this ILogger logger, string runId, string reason);

    [LoggerMessage(EventId = 3109, Level = LogLevel.Warning, Message = "VM {RunId}: {Refused} gateway connection(s) refused ({Opened} served, at most {Peak} at once)")]
    public static partial void GatewayStreamsRefusedTotal(this ILogger logger, string runId, int refused, int opened, int peak);
}
