namespace NanoClaw.Media;

/// <summary>Speech to text on the host (nothing leaves the machine). <see cref="WhisperTranscriber"/> is the real one.</summary>
public interface ITranscriber
{
    /// <summary>The text spoken in the audio file at <paramref name="audioPath"/> (any format ffmpeg reads); empty when silent.</summary>
    Task<string> TranscribeAsync(string audioPath, CancellationToken cancellationToken);
}
