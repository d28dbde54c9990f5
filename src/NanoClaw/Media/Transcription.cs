namespace NanoClaw.Media;

/// <summary>Whether voice notes are transcribed: a <see cref="WhisperTranscriber"/> when <c>WHISPER_MODEL</c> is set, else none.</summary>
public static class Transcription
{
    /// <exception cref="FileNotFoundException">WHISPER_MODEL names a missing file (start-up stops with what to do).</exception>
    public static WhisperTranscriber? FromConfig(Config config) => config.WhisperModel is { } model ? new WhisperTranscriber(model) : null;
}
