namespace NanoClaw.Tests.Media;

/// <summary>Runs when ffmpeg and espeak-ng are installed (<c>./test</c> installs them as root); skipped with the reason otherwise.</summary>
public sealed class AudioToolsFactAttribute : FactAttribute
{
    public AudioToolsFactAttribute()
    {
        foreach (var tool in new[] { "ffmpeg", "espeak-ng" })
            if (!OnPath(tool)) { Skip = $"{tool} is not installed (Debian: apt-get install ffmpeg espeak-ng)"; return; }
    }

    internal static bool OnPath(string tool) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Any(d => d.Length > 0 && File.Exists(Path.Combine(d, tool)));
}
