namespace NanoClaw.Tests.Media;

/// <summary>
/// Runs with a real whisper.cpp ggml model named by <c>WHISPER_TEST_MODEL</c>. None ships in a Debian, NuGet or npm package
/// (searched: the npm bindings carry sources or download models from Hugging Face at install time), so it is skipped here.
/// </summary>
public sealed class WhisperModelFactAttribute : FactAttribute
{
    public static string? Model => Environment.GetEnvironmentVariable("WHISPER_TEST_MODEL");

    public WhisperModelFactAttribute()
    {
        if (Model is null || !File.Exists(Model))
            Skip = "no whisper.cpp ggml model is obtainable from the registries this machine reaches (Debian, NuGet, npm); set WHISPER_TEST_MODEL=/path/to/ggml-base.en.bin to run it";
        else if (!AudioToolsFactAttribute.OnPath("ffmpeg") || !AudioToolsFactAttribute.OnPath("espeak-ng"))
            Skip = "ffmpeg and espeak-ng are needed (Debian: apt-get install ffmpeg espeak-ng)";
    }
}
