using System.Globalization;
using System.IO.Compression;
using System.Text;

namespace NanoClaw.Vm.Image;

/// <summary>
/// The kernel modules a built initramfs loads (its <c>lib/modules/modules.load</c>, written by
/// vm/build-initrd.sh). Read from the image itself rather than assumed from the recipe, because the cached
/// image may predate the checkout: it answers "can a guest of THIS image talk vsock?".
/// </summary>
public static class InitrdModules
{
    /// <summary>What a guest needs to serve its control channel over vsock (Firecracker has no virtio-serial).</summary>
    public static readonly string[] Vsock = ["vsock", "vmw_vsock_virtio_transport_common", "vmw_vsock_virtio_transport"];

    const string LoadList = "lib/modules/modules.load";

    /// <summary>The module names in load order; empty when the archive has no load list. Throws
    /// <see cref="InvalidDataException"/> when the file is not a gzip'd newc cpio archive.</summary>
    public static IReadOnlyList<string> Read(string initrdPath)
    {
        using var file = File.OpenRead(initrdPath);
        using var gzip = new GZipStream(file, CompressionMode.Decompress);
        var header = new byte[110];
        while (true)
        {
            gzip.ReadExactly(header);
            var magic = Encoding.ASCII.GetString(header, 0, 6);
            if (magic != "070701") throw new InvalidDataException($"{initrdPath} is not a newc cpio archive (magic '{magic}')");
            var size = Field(header, 6);
            var nameSize = Field(header, 11);
            var name = new byte[nameSize];
            gzip.ReadExactly(name);
            Skip(gzip, Pad(110 + nameSize));
            var path = Encoding.UTF8.GetString(name, 0, Math.Max(0, nameSize - 1));
            if (path == "TRAILER!!!") return [];
            if (path.StartsWith("./", StringComparison.Ordinal)) path = path[2..];
            if (path == LoadList)
            {
                var content = new byte[size];
                gzip.ReadExactly(content);
                return Encoding.UTF8.GetString(content).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            }
            Skip(gzip, size + Pad(size));
        }
    }

    /// <summary>The vsock modules the image lacks (empty when it has them all), or null with the reason when it cannot be read.</summary>
    public static (IReadOnlyList<string>? Missing, string? Error) MissingVsock(string initrdPath)
    {
        try
        {
            var modules = Read(initrdPath);
            return (Vsock.Where(m => !modules.Contains(m)).ToList(), null);
        }
        catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException)
        {
            return (null, $"cannot read {initrdPath}: {e.Message}");
        }
    }

    /// <summary>Field <paramref name="index"/> of the newc header: 8 hex digits each after the 6-byte magic
    /// (0 ino, 1 mode, 2 uid, 3 gid, 4 nlink, 5 mtime, 6 filesize, 7-10 devices, 11 namesize, 12 check).</summary>
    static int Field(byte[] header, int index)
    {
        var hex = Encoding.ASCII.GetString(header, 6 + index * 8, 8);
        return int.TryParse(hex, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var value) && value >= 0
            ? value
            : throw new InvalidDataException($"bad cpio header field '{hex}'");
    }

    static int Pad(int length) => (4 - length % 4) % 4;

    static void Skip(Stream stream, int count)
    {
        Span<byte> buffer = stackalloc byte[4096];
        while (count > 0)
        {
            var n = stream.Read(buffer[..Math.Min(count, buffer.Length)]);
            if (n == 0) throw new EndOfStreamException("the cpio archive ends inside an entry");
            count -= n;
        }
    }
}
