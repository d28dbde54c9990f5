using System.Diagnostics;

namespace NanoClaw.Media;

/// <summary>
/// Converts audio to what Whisper reads (16 kHz mono 16-bit WAV) with ffmpeg, a documented host dependency (Debian's
/// <c>ffmpeg</c>): WhatsApp voice notes are OGG/Opus, which nothing in .NET decodes. ffmpeg runs with a fixed argument
/// list (no shell), reads only the given file, and is killed after <see cref="Timeout"/>.
/// </summary>
public static class AudioConverter
{
    public static readonly TimeSpan Timeout = TimeSpan.FromMinutes(2);

    /// <summary>Null when ffmpeg can be started; otherwise what to install.</summary>
    public static string? Missing(string ffmpeg = "ffmpeg")
    {
        try
        {
            using var p = Process.Start(new ProcessStartInfo(ffmpeg, "-version") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false })!;
            p.StandardOutput.ReadToEnd();
            p.WaitForExit();
            return p.ExitCode == 0 ? null : "ffmpeg -version failed";
        }
        catch (System.ComponentModel.Win32Exception) { return "ffmpeg is not installed (Debian: apt-get install ffmpeg)"; }
    }

    /// <exception cref="IOException">ffmpeg is missing, failed or took too long; the message says which.</exception>
    public static async Task ToWhisperWavAsync(string input, string output, CancellationToken cancellationToken, string ffmpeg = "ffmpeg")
    {
        var psi = new ProcessStartInfo(ffmpeg) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var a in new[] { "-nostdin", "-hide_banner", "-loglevel", "error", "-y", "-i", input, "-ar", "16000", "-ac", "1", "-c:a", "pcm_s16le", "-f", "wav", output })
            psi.ArgumentList.Add(a);
        Process process;
        try { process = Process.Start(psi)!; }
        catch (System.ComponentModel.Win32Exception e) { throw new IOException("ffmpeg cannot be started (install Debian's ffmpeg): " + e.Message, e); }
        using (process)
        {
            var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
            _ = process.StandardOutput.ReadToEndAsync(cancellationToken);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(Timeout);
            try { await process.WaitForExitAsync(timeout.Token); }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                throw new IOException($"ffmpeg took longer than {Timeout} and was stopped");
            }
            if (process.ExitCode != 0)
                throw new IOException($"ffmpeg could not convert the audio (exit {process.ExitCode}): {(await stderr).Trim()}");
        }
    }
}
