using System.Diagnostics;
using System.Runtime.InteropServices;

namespace NanoClaw.Bench;

/// <summary>The machine a report was measured on. Numbers without this are meaningless, so it is printed with every report.</summary>
public sealed record MachineInfo(int Cores, double MemoryGiB, string CpuModel, string Os, string Runtime, string Qemu, string KvmDecision)
{
    public static MachineInfo Read(string kvmDecision) => new(
        Environment.ProcessorCount,
        ReadMemTotalKiB() / 1024.0 / 1024.0,
        ReadCpuModel(),
        RuntimeInformation.OSDescription,
        RuntimeInformation.FrameworkDescription,
        QemuVersion(),
        kvmDecision);

    /// <summary>The 1, 5 and 15 minute load averages: other work on the machine shifts every number here.</summary>
    public static string LoadAverage()
    {
        var fields = File.ReadAllText("/proc/loadavg").Split(' ');
        return $"{fields[0]} {fields[1]} {fields[2]}";
    }

    static long ReadMemTotalKiB() =>
        File.ReadLines("/proc/meminfo")
            .Where(l => l.StartsWith("MemTotal:", StringComparison.Ordinal))
            .Select(l => long.Parse(l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]))
            .FirstOrDefault();

    static string ReadCpuModel() =>
        File.ReadLines("/proc/cpuinfo")
            .Where(l => l.StartsWith("model name", StringComparison.Ordinal))
            .Select(l => l[(l.IndexOf(':') + 1)..].Trim())
            .FirstOrDefault() ?? "unknown";

    static string QemuVersion()
    {
        try
        {
            using var process = Process.Start(new ProcessStartInfo("qemu-system-x86_64", "--version") { RedirectStandardOutput = true })!;
            var first = process.StandardOutput.ReadLine() ?? "";
            process.WaitForExit();
            return first.Trim();
        }
        catch (System.ComponentModel.Win32Exception) { return "qemu-system-x86_64 not found"; }
    }
}
