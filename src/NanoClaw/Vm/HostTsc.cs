using System.Globalization;

namespace NanoClaw.Vm;

/// <summary>
/// The host's TSC frequency in kHz, for the guest's <c>tsc_early_khz=</c>. Under TCG the guest
/// reads the host's TSC, and the microvm machine has no PIT/HPET the guest kernel can calibrate
/// against: without this value it sometimes hangs at boot. A wrong value only makes the guest
/// clock run at the wrong rate.
/// </summary>
internal static class HostTsc
{
    /// <summary>Used when the host does not say: a typical server TSC.</summary>
    public const long FallbackKhz = 2_000_000;

    public static long Khz()
    {
        // Only some kernels export it; when present it is exact.
        if (TryRead("/sys/devices/system/cpu/cpu0/tsc_freq_khz") is { } exact && long.TryParse(exact.Trim(), out var khz) && khz > 0)
            return khz;
        return FromCpuInfo(TryRead("/proc/cpuinfo") ?? "") ?? FallbackKhz;
    }

    /// <summary>
    /// With an invariant TSC (<c>constant_tsc</c>) Linux reports the TSC rate as "cpu MHz" unless
    /// it has frequency feedback; close enough either way.
    /// </summary>
    internal static long? FromCpuInfo(string cpuinfo)
    {
        var lines = cpuinfo.Split('\n');
        var flags = lines.FirstOrDefault(l => l.StartsWith("flags", StringComparison.Ordinal)) ?? "";
        if (!flags.Split(' ', '\t').Contains("constant_tsc")) return null;
        var mhzLine = lines.FirstOrDefault(l => l.StartsWith("cpu MHz", StringComparison.Ordinal));
        if (mhzLine is null || !double.TryParse(mhzLine[(mhzLine.IndexOf(':') + 1)..].Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var mhz) || mhz <= 0)
            return null;
        return (long)Math.Round(mhz * 1000);
    }

    static string? TryRead(string path)
    {
        try { return File.ReadAllText(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return null; }
    }
}
