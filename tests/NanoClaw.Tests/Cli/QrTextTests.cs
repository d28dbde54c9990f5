using System.Diagnostics;
using System.Text;
using NanoClaw.Cli;
using NanoClaw.Tests.Support;

namespace NanoClaw.Tests.Cli;

/// <summary>
/// The terminal QR is read back from the printed text into modules and decoded by zbar (<c>zbarimg</c>, Debian
/// package zbar-tools), an independent decoder: what the user's phone would scan.
/// </summary>
public class QrTextTests
{
    // A WhatsApp pairing QR is "ref,publicKey,identityKey,advSecret": about 240 characters of base64 and commas.
    const string WhatsAppLike = "2@Yk9h0x1Xb6N4Sx0F8W9cHqJ1mE3QJtKf+PZpJm7bC0Yy2Vq8a1QeQ6d3L6kD0Xo5m9v9Z5W1c0Xf3r8sWm3i2Q==,"
        + "x5x3Jb9qV0m4kG9cV2tH1eW7r2dQ9p0k1s2a3b4c5d6=,Qm9vZ2xlIGlzIG5vdCBXaGF0c0FwcCBidXQgaXQgaXMgbG9uZyBlbm91Z2g=,"
        + "c2VjcmV0IGFkdiBrZXkgZm9yIHRlc3Rz=";

    [ZbarTheory]
    [InlineData("2@short")]                  // version 1
    [InlineData(WhatsAppLike)]               // a real pairing QR's size
    [InlineData(WhatsAppLike + ",bG9uZ2VyIHN0aWxsOiBhIDE2LWJpdCBsZW5ndGggYW5kIGZvdXIgYmxvY2tzIG9mIHR3byBzaXplcw==")]
    [InlineData("ünïcode ✓ in a QR payload")] // UTF-8 bytes
    public async Task ThePrintedQrDecodesToThePayload(string payload)
    {
        var text = QrText.Render(payload);
        var modules = ReadBack(text);
        using var home = new TestHome();
        var image = Path.Combine(home.Dir, "qr.pbm");
        WritePbm(image, modules, scale: 4);

        var psi = new ProcessStartInfo(ZbarTheoryAttribute.ZbarImg!) { RedirectStandardOutput = true, RedirectStandardError = true, StandardOutputEncoding = Encoding.UTF8 };
        foreach (var a in new[] { "--quiet", "--raw", "-Sbinary", image }) psi.ArgumentList.Add(a);
        using var process = Process.Start(psi)!;
        var decoded = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        process.ExitCode.ShouldBe(0, "zbarimg found no QR code in the printed text");
        decoded.TrimEnd('\n').ShouldBe(payload);
    }

    [Fact]
    public void TheQrIsBlackOnWhiteWithAQuietZone()
    {
        var lines = QrText.Render("2@short").Split('\n');
        var size = 21; // version 1
        lines.Length.ShouldBe((size + 2 * QrText.QuietZone + 1) / 2);
        lines[0].Length.ShouldBe("\u001b[30;107m".Length + size + 2 * QrText.QuietZone + "\u001b[0m".Length);
        lines.ShouldAllBe(l => l.StartsWith("\u001b[30;107m", StringComparison.Ordinal) && l.EndsWith("\u001b[0m", StringComparison.Ordinal));
        var modules = ReadBack(string.Join('\n', lines));
        modules[0].ShouldAllBe(dark => !dark); // quiet zone
        modules[QrText.QuietZone][QrText.QuietZone].ShouldBeTrue(); // the finder pattern's corner
    }

    /// <summary>The module rows the text shows (two per line, by half block).</summary>
    static List<bool[]> ReadBack(string text)
    {
        var rows = new List<bool[]>();
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.Replace("\u001b[30;107m", "", StringComparison.Ordinal).Replace("\u001b[0m", "", StringComparison.Ordinal);
            rows.Add([.. line.Select(c => c is '█' or '▀')]);
            rows.Add([.. line.Select(c => c is '█' or '▄')]);
        }
        return rows;
    }

    static void WritePbm(string path, List<bool[]> rows, int scale)
    {
        var text = new StringBuilder($"P1\n{rows[0].Length * scale} {rows.Count * scale}\n");
        foreach (var row in rows)
        {
            var line = string.Join(' ', row.SelectMany(dark => Enumerable.Repeat(dark ? '1' : '0', scale)));
            for (var i = 0; i < scale; i++) text.Append(line).Append('\n');
        }
        File.WriteAllText(path, text.ToString());
    }
}
