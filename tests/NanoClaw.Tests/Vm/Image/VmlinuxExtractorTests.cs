using System.Diagnostics;
using System.IO.Compression;
using System.Runtime.Versioning;
using NanoClaw.Tests.Support;
using NanoClaw.Vm.Image;

namespace NanoClaw.Tests.Vm.Image;

/// <summary>Synthetic bzImages: a setup header, a compressed ELF, trailing bytes.</summary>
[SupportedOSPlatform("linux")]
public sealed class VmlinuxExtractorTests : IDisposable
{
    static readonly byte[] Kernel = [0x7F, (byte)'E', (byte)'L', (byte)'F', .. Enumerable.Range(0, 50_000).Select(i => (byte)(i * 7 % 251))];
    readonly TempDirectory temp = new();

    public void Dispose() => temp.Dispose();

    static byte[] Header() => [.. Enumerable.Repeat((byte)0x90, 1000), 0x1F, 0x8B, 0x08, 0x00, 0x02, 0x21, 0x4C, 0x18, 0x00];

    [Fact]
    public async Task ExtractsAGzipCompressedElf()
    {
        using var compressed = new MemoryStream();
        using (var gzip = new GZipStream(compressed, CompressionLevel.Fastest, leaveOpen: true)) gzip.Write(Kernel);
        var bz = temp["bzImage"];
        await File.WriteAllBytesAsync(bz, [.. Header(), .. compressed.ToArray(), .. new byte[300]]);

        await VmlinuxExtractor.ExtractAsync(bz, temp["vmlinux"], CancellationToken.None);

        (await File.ReadAllBytesAsync(temp["vmlinux"])).ShouldBe(Kernel);
        Directory.GetFiles(temp.Path).Select(Path.GetFileName).Order().ShouldBe(["bzImage", "vmlinux"]);
    }

    [Fact]
    public async Task ExtractsAnLz4LegacyCompressedElfLikeDebiansKernel()
    {
        await File.WriteAllBytesAsync(temp["elf"], Kernel);
        // -l: the legacy frame format the kernel's build uses.
        using (var lz4 = Process.Start("lz4", ["-l", "-q", "-f", temp["elf"], temp["elf.lz4"]])) await lz4.WaitForExitAsync();
        var bz = temp["bzImage"];
        await File.WriteAllBytesAsync(bz, [.. Header(), .. await File.ReadAllBytesAsync(temp["elf.lz4"]), .. new byte[300]]);

        await VmlinuxExtractor.ExtractAsync(bz, temp["vmlinux"], CancellationToken.None);

        (await File.ReadAllBytesAsync(temp["vmlinux"])).ShouldBe(Kernel);
    }

    [Fact]
    public async Task AFileWithoutACompressedElfIsRefused()
    {
        var bz = temp.Write("bzImage", "just text, \u001f\u008b\u0008 no kernel");

        var e = await Should.ThrowAsync<VmImageException>(() => VmlinuxExtractor.ExtractAsync(bz, temp["vmlinux"], CancellationToken.None));

        e.Message.ShouldContain("Firecracker needs an uncompressed vmlinux");
        File.Exists(temp["vmlinux"]).ShouldBeFalse();
    }
}
