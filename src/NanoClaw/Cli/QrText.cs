using System.Text;
using QRCoder;

namespace NanoClaw.Cli;

/// <summary>
/// Draws a QR code in the terminal: two module rows per text line with half blocks (▀ ▄ █), black on white set by
/// ANSI colours so it scans the same on dark and light terminals (an inverted code is refused by many scanners),
/// with the standard 4-module quiet zone around it. The code itself comes from QRCoder (byte mode, UTF-8, level L).
/// </summary>
static class QrText
{
    public const int QuietZone = 4;
    const string Colours = "\u001b[30;107m"; // black on bright white
    const string Reset = "\u001b[0m";

    public static string Render(string payload)
    {
        // The matrix already holds the quiet zone (QRCoder's default is the standard 4 modules).
        var modules = QRCodeGenerator.GenerateQrCode(payload, QRCodeGenerator.ECCLevel.L, forceUtf8: true).ModuleMatrix;
        var size = modules.Count;
        bool Dark(int x, int y) => y < size && modules[y][x];
        var text = new StringBuilder();
        for (var y = 0; y < size; y += 2)
        {
            text.Append(Colours);
            for (var x = 0; x < size; x++)
                text.Append((Dark(x, y), Dark(x, y + 1)) switch
                {
                    (true, true) => '█',
                    (true, false) => '▀',
                    (false, true) => '▄',
                    _ => ' ',
                });
            text.Append(Reset).Append('\n');
        }
        return text.ToString().TrimEnd('\n');
    }
}
