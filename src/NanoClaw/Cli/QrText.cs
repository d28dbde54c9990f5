using System.Text;

namespace NanoClaw.Cli;

/// <summary>
/// Draws a QR code in the terminal: two module rows per text line with half blocks (▀ ▄ █), black on white set by
/// ANSI colours so it scans the same on dark and light terminals (an inverted code is refused by many scanners),
/// with the standard 4-module quiet zone around it.
/// </summary>
static class QrText
{
    public const int QuietZone = 4;
    const string Colours = "\u001b[30;107m"; // black on bright white
    const string Reset = "\u001b[0m";

    public static string Render(string payload)
    {
        var qr = QrCode.Encode(Encoding.UTF8.GetBytes(payload));
        bool Dark(int x, int y) => x >= 0 && y >= 0 && x < qr.Size && y < qr.Size && qr[x, y];
        var text = new StringBuilder();
        for (var y = -QuietZone; y < qr.Size + QuietZone; y += 2)
        {
            text.Append(Colours);
            for (var x = -QuietZone; x < qr.Size + QuietZone; x++)
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
