using NanoClaw.Files;

namespace NanoClaw.Tests.Files;

public sealed class FileSnifferTests
{
    public static readonly byte[] Png = Convert.FromBase64String(
        "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==");

    [Fact]
    public void APngIsAnImageWhateverItsNameSays() =>
        FileSniffer.Sniff(Png).ShouldBe(new SniffedType(FileKind.Image, "image/png", "png"));

    [Theory]
    [InlineData(new byte[] { 0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10 }, "image/jpeg")]
    [InlineData(new byte[] { (byte)'G', (byte)'I', (byte)'F', (byte)'8', (byte)'9', (byte)'a', 1 }, "image/gif")]
    [InlineData(new byte[] { (byte)'R', (byte)'I', (byte)'F', (byte)'F', 0, 0, 0, 0, (byte)'W', (byte)'E', (byte)'B', (byte)'P' }, "image/webp")]
    public void OtherImagesAreImages(byte[] head, string mime)
    {
        var type = FileSniffer.Sniff(head);
        type.Kind.ShouldBe(FileKind.Image);
        type.MimeType.ShouldBe(mime);
    }

    [Theory]
    [InlineData("%PDF-1.7\n", "application/pdf", "pdf")]
    [InlineData("PK\u0003\u0004rest", "application/zip", "zip")]
    [InlineData("just some notes, déjà vu\n", "text/plain", "txt")]
    [InlineData("\u007fELF\u0002\u0001\u0001\u0000\u0000", "application/octet-stream", "bin")]
    public void EverythingElseIsADocument(string head, string mime, string extension) =>
        FileSniffer.Sniff(System.Text.Encoding.UTF8.GetBytes(head)).ShouldBe(new SniffedType(FileKind.Document, mime, extension));

    [Fact]
    public void AnExecutableNamedPngIsNotAnImage() =>
        FileSniffer.Sniff([0x7F, (byte)'E', (byte)'L', (byte)'F', 2, 1, 1, 0]).Kind.ShouldBe(FileKind.Document);
}
