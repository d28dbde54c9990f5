using System.Text;
using Whisper.net;

namespace NanoClaw.Media;

/// <summary>
/// Voice notes to text on the host with Whisper.net (whisper.cpp) and the ggml model file the user names
/// (<c>WHISPER_MODEL</c>): nothing leaves the machine. The audio is first converted by <see cref="AudioConverter"/>.
/// One transcription at a time: the model is large and the machine small.
/// </summary>
public sealed class WhisperTranscriber : ITranscriber, IDisposable
{
    readonly WhisperFactory _factory;
    readonly SemaphoreSlim _one = new(1, 1);

    /// <exception cref="FileNotFoundException">No model file at <paramref name="modelPath"/>.</exception>
    public WhisperTranscriber(string modelPath)
    {
        if (!File.Exists(modelPath))
            throw new FileNotFoundException($"WHISPER_MODEL names {modelPath}, which does not exist. Point it at a ggml model file (e.g. ggml-base.en.bin) or unset it.", modelPath);
        _factory = WhisperFactory.FromPath(modelPath);
    }

    public async Task<string> TranscribeAsync(string audioPath, CancellationToken cancellationToken)
    {
        // Next to the voice note, in its owner-only folder (not a shared /tmp); a crash leaves a .part the prune deletes.
        var wav = Path.Combine(Path.GetDirectoryName(audioPath)!, "." + Path.GetFileName(audioPath) + ".wav" + MediaStore.PartSuffix);
        await _one.WaitAsync(cancellationToken);
        try
        {
            await AudioConverter.ToWhisperWavAsync(audioPath, wav, cancellationToken);
            using var processor = _factory.CreateBuilder().WithLanguage("auto").Build();
            await using var input = File.OpenRead(wav);
            var text = new StringBuilder();
            await foreach (var segment in processor.ProcessAsync(input, cancellationToken))
                text.Append(segment.Text);
            return text.ToString().Trim();
        }
        catch (Exception e) when (e is not (IOException or OperationCanceledException))
        {
            throw new IOException($"Whisper could not transcribe the voice note ({e.GetType().Name}: {e.Message})", e);
        }
        finally
        {
            _one.Release();
            File.Delete(wav);
        }
    }

    public void Dispose()
    {
        _factory.Dispose();
        _one.Dispose();
    }
}
