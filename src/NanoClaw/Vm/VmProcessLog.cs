using Microsoft.Extensions.Logging;

namespace NanoClaw.Vm;

/// <summary>Log events of a VMM process, whichever the VMM (event ids 3000-3099).</summary>
internal static partial class VmProcessLog
{
    [LoggerMessage(EventId = 3001, Level = LogLevel.Information, Message = "VM {RunId} exited ({Vmm}) with code {ExitCode} after {Seconds:F1} s")]
    public static partial void VmExited(this ILogger logger, string runId, string vmm, int exitCode, double seconds);

    [LoggerMessage(EventId = 3002, Level = LogLevel.Warning, Message = "VM {RunId} still running at dispose: sending {Signal} to {Vmm} pid {Pid}")]
    public static partial void VmKilling(this ILogger logger, string runId, string signal, string vmm, int pid);
}
