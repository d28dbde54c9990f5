using System.IO.Compression;

namespace NanoClaw.Vm.Image;

/// <summary>
/// Recovers the uncompressed ELF <c>vmlinux</c> that Firecracker boots from a bzImage, the way
/// the kernel's own <c>scripts/extract-vmlinux</c> does: find each compression magic in the
/// file, decompress from there, and keep the first result that is an ELF image. gzip is
/// decompressed in-process; LZ4 (Debian's cloud kernel) by the <c>lz4</c> tool.
/// </summary>
public static class VmlinuxExtractor
{
    static readonly byte[] Elf = [0x7F, (byte)'E', (byte)'L', (byte)'F'];
    static readonly byte[] Gzip = [0x1F, 0x8B, 0x08];
    static readonly byte[] Lz4Legacy = [0x02, 0x21, 0x4C, 0x18];

    /// <summary>
    /// Writes the ELF to <paramref name="output"/> (through a temp file and a rename, so a
    /// file with that name is always complete). Throws <see cref="VmImageException"/> when no
    /// compressed ELF is found.
    /// </summary>
    public static async Task ExtractAsync(string bzImage, string output, CancellationToken ct)
    {
        var image = await File.ReadAllBytesAsync(bzImage, ct);
        // Unique: two hosts may extract into the same cache at once; the rename makes either result win whole.
        var temp = $"{output}.{Guid.NewGuid():N}.tmp";
        try
        {
            foreach (var (magic, decompress) in new (byte[], Func<byte[], int, string, CancellationToken, Task<bool>>)[] { (Lz4Legacy, Lz4Async), (Gzip, GzipAsync) })
                for (var at = image.AsSpan().IndexOf(magic); at >= 0; at = Next(image, magic, at))
                    if (await decompress(image, at, temp, ct) && StartsWithElf(temp))
                    {
                        File.Move(temp, output, overwrite: true);
                        return;
                    }
        }
        finally
        {
            File.Delete(temp);
        }
        throw new VmImageException($"no gzip- or LZ4-compressed ELF kernel found in {bzImage}: Firecracker needs an uncompressed vmlinux");
    }

    static int Next(byte[] image, byte[] magic, int at)
    {
        var rest = image.AsSpan(at + 1).IndexOf(magic);
        return rest < 0 ? -1 : at + 1 + rest;
    }

    static bool StartsWithElf(string path)
    {
        if (!File.Exists(path) || new FileInfo(path).Length < Elf.Length) return false;
        Span<byte> head = stackalloc byte[4];
        using var file = File.OpenRead(path);
        file.ReadExactly(head);
        return head.SequenceEqual(Elf);
    }

    static async Task<bool> GzipAsync(byte[] image, int at, string temp, CancellationToken ct)
    {
        try
        {
            await using var output = File.Create(temp);
            await using var gzip = new GZipStream(new MemoryStream(image, at, image.Length - at), CompressionMode.Decompress);
            await gzip.CopyToAsync(output, ct);
        }
        catch (InvalidDataException)
        {
            // A false magic, or trailing data after the stream: the ELF check decides.
        }
        return true;
    }

    /// <summary>
    /// NOTE: lz4 reports an error on the bytes after the kernel's stream (the rest of the
    /// bzImage); like extract-vmlinux we ignore its exit code and check the output instead.
    /// </summary>
    static async Task<bool> Lz4Async(byte[] image, int at, string temp, CancellationToken ct)
    {
        var input = temp + ".lz4";
        try
        {
            await File.WriteAllBytesAsync(input, image.AsMemory(at).ToArray(), ct);
            await ChildProcess.RunAsync("lz4", ["-d", "-f", "-q", input, temp], null, null, TimeSpan.FromMinutes(1), ct);
            return true;
        }
        catch (FileNotFoundException)
        {
            return false; // no lz4 tool: try the other formats
        }
        finally
        {
            File.Delete(input);
        }
    }
}
