namespace NanoClaw.Cli;

/// <summary>How a QR payload is shown in the terminal.</summary>
static class QrText
{
    public static string Render(string payload) =>
        payload + "\n(That is the QR's text; render it with a QR tool, e.g. qrencode -t ansiutf8 '<text>'.)";
}
