using System.Globalization;

namespace NanoClaw.Bench;

/// <summary>
/// Resident memory of one qemu process, split the way the comparison needs it: Firecracker's "&lt;5 MiB" is the
/// VMM's own overhead, without guest RAM, so the guest RAM mapping is taken out. All sizes in MiB.
/// </summary>
/// <param name="TotalMiB">VmRSS from /proc/&lt;pid&gt;/status.</param>
/// <param name="GuestRamMiB">Resident part of the one anonymous mapping exactly as large as the guest's memory.</param>
/// <param name="TcgCodeMiB">Resident part of the anonymous writable+executable mappings: QEMU TCG's translated-code
/// cache (1 GiB reserved in 64 MiB regions on QEMU 7.2); zero under KVM.</param>
public sealed record QemuMemory(double TotalMiB, double GuestRamMiB, double TcgCodeMiB)
{
    /// <summary>Everything but guest RAM: QEMU's code, heap, device state and (under TCG) its translation cache.</summary>
    public double VmmMiB => TotalMiB - GuestRamMiB;

    public static QemuMemory Read(int pid, int guestMemoryMb)
    {
        var totalKiB = File.ReadLines($"/proc/{pid}/status")
            .Where(l => l.StartsWith("VmRSS:", StringComparison.Ordinal))
            .Select(KiBField)
            .Single();
        long guestKiB = 0, tcgKiB = 0, size = 0;
        var anonymousRwx = false;
        // smaps: a header line per mapping ("start-end perms offset dev inode [path]"), then "Size:", "Rss:", ...
        foreach (var line in File.ReadLines($"/proc/{pid}/smaps"))
        {
            var fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length >= 5 && fields[0].Contains('-') && !fields[0].EndsWith(':'))
                anonymousRwx = fields[1] == "rwxp" && fields.Length == 5;
            else if (fields[0] == "Size:") size = KiBField(line);
            else if (fields[0] == "Rss:")
            {
                if (size == guestMemoryMb * 1024L && guestKiB == 0) guestKiB = KiBField(line);
                else if (anonymousRwx) tcgKiB += KiBField(line);
            }
        }
        if (guestKiB == 0)
            throw new InvalidOperationException($"qemu pid {pid} has no mapping of the guest's {guestMemoryMb} MiB: QEMU's memory layout changed, update {nameof(QemuMemory)}.");
        return new QemuMemory(totalKiB / 1024.0, guestKiB / 1024.0, tcgKiB / 1024.0);
    }

    static long KiBField(string line) => long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
}
