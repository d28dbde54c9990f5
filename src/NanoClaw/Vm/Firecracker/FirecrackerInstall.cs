using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;

namespace NanoClaw.Vm.Firecracker;

/// <summary>
/// Setup's Firecracker step: download the pinned release archive, verify its SHA-256 BEFORE anything of it is
/// used, and install the binary at <see cref="InstalledPath"/>. Firecracker is optional (QEMU serves every host), so
/// no outcome fails setup: an unreachable URL or a wrong checksum is reported and QEMU is used.
/// </summary>
public static class FirecrackerInstall
{
    /// <summary>Where setup puts firecracker; <see cref="VmmChoice.FindFirecracker"/> looks here after PATH.</summary>
    public static string InstalledPath(Config config) => Path.Combine(config.CacheDir, "bin", "firecracker");

    /// <summary>Next to the binary: the archive checksum it came from, so a second setup skips the download.</summary>
    static string StampPath(Config config) => InstalledPath(config) + ".sha256";

    public static async Task<FirecrackerInstallResult> EnsureAsync(Config config, FirecrackerPin pin, HttpClient http, CancellationToken ct)
    {
        var target = InstalledPath(config);
        if (File.Exists(target) && File.Exists(StampPath(config)) && (await File.ReadAllTextAsync(StampPath(config), ct)).Trim() == pin.Sha256)
            return new(true, $"firecracker {pin.Version} already installed at {target}");

        var bin = Path.GetDirectoryName(target)!;
        Directory.CreateDirectory(bin);
        var download = Path.Combine(bin, $".firecracker-{Environment.ProcessId}.tgz");
        try
        {
            try
            {
                using var response = await http.GetAsync(pin.Url, HttpCompletionOption.ResponseHeadersRead, ct);
                if (!response.IsSuccessStatusCode)
                    return NotInstalled($"{pin.Url} answered {(int)response.StatusCode} {response.ReasonPhrase}");
                await using var file = File.Create(download);
                await response.Content.CopyToAsync(file, ct);
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
            {
                return NotInstalled($"{pin.Url} unreachable ({e.Message})");
            }

            string actual;
            await using (var file = File.OpenRead(download))
                actual = Convert.ToHexStringLower(await SHA256.HashDataAsync(file, ct));
            if (actual != pin.Sha256)
                return NotInstalled($"the download from {pin.Url} has SHA-256 {actual}, but vm/versions.env pins {pin.Sha256}; it was discarded");

            var staged = target + ".new";
            if (!await ExtractAsync(download, pin.ArchiveMember, staged, ct))
                return NotInstalled($"the archive from {pin.Url} has no {pin.ArchiveMember}");
            if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(staged, (UnixFileMode)0b111_101_101);
            // Rename last: a half-written binary is never at the path that is run.
            File.Move(staged, target, overwrite: true);
            await File.WriteAllTextAsync(StampPath(config), pin.Sha256 + "\n", ct);
            return new(true, $"firecracker {pin.Version} installed at {target} (archive SHA-256 verified)");
        }
        finally
        {
            File.Delete(download);
        }
    }

    static FirecrackerInstallResult NotInstalled(string why) => new(false, $"Firecracker not installed: {why}; QEMU will be used");

    static async Task<bool> ExtractAsync(string archive, string member, string target, CancellationToken ct)
    {
        await using var file = File.OpenRead(archive);
        await using var gzip = new GZipStream(file, CompressionMode.Decompress);
        await using var tar = new TarReader(gzip);
        while (await tar.GetNextEntryAsync(copyData: false, ct) is { } entry)
        {
            if (entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile)) continue;
            if (entry.Name.TrimStart('.', '/') != member || entry.DataStream is null) continue;
            await using var output = File.Create(target);
            await entry.DataStream.CopyToAsync(output, ct);
            return true;
        }
        return false;
    }
}
