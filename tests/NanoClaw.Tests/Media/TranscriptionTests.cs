using System.Diagnostics;
using Microsoft.Extensions.Logging.Abstractions;
using NanoClaw.Cli;
using NanoClaw.Media;
using NanoClaw.Tests.Support;

namespace NanoClaw.Tests.Media;

/// <summary>
/// Voice notes: the transcription seam with real audio files (espeak-ng speech, converted by the real ffmpeg), and the
/// real Whisper model when one is available (none can be fetched from the registries this machine reaches).
/// </summary>
public class TranscriptionTests : IDisposable
{
    readonly TestHome _home = new();
    readonly string _work = Directory.CreateTempSubdirectory("nanoclaw-voice-").FullName;

    /// <summary>Speech made on this machine: espeak-ng's WAV of <paramref name="text"/>, encoded as OGG/Opus like a WhatsApp voice note.</summary>
    string VoiceNote(string text)
    {
        var wav = Path.Combine(_work, "speech.wav");
        var ogg = Path.Combine(_work, "voice.ogg");
        Run("espeak-ng", "-w", wav, text);
        Run("ffmpeg", "-nostdin", "-loglevel", "error", "-y", "-i", wav, "-c:a", "libopus", "-b:a", "24k", ogg);
        return ogg;
    }

    static void Run(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var p = Process.Start(psi)!;
        var err = p.StandardError.ReadToEnd();
        p.WaitForExit();
        p.ExitCode.ShouldBe(0, $"{file} failed: {err}");
    }

    [AudioToolsFact]
    public async Task AVoiceNoteBecomesSixteenKilohertzMonoWavForWhisper()
    {
        var wav = Path.Combine(_work, "out.wav");
        await AudioConverter.ToWhisperWavAsync(VoiceNote("hello from the test"), wav, CancellationToken.None);

        var header = File.ReadAllBytes(wav).AsSpan(0, 44);
        System.Text.Encoding.ASCII.GetString(header[..4]).ShouldBe("RIFF");
        BitConverter.ToInt16(header[20..22]).ShouldBe((short)1, "PCM");
        BitConverter.ToInt16(header[22..24]).ShouldBe((short)1, "mono");
        BitConverter.ToInt32(header[24..28]).ShouldBe(16000);
        BitConverter.ToInt16(header[34..36]).ShouldBe((short)16);
        new FileInfo(wav).Length.ShouldBeGreaterThan(16000, "about a second of speech or more");
    }

    [AudioToolsFact]
    public async Task AnUnreadableFileIsAClearErrorNotAHang()
    {
        var junk = Path.Combine(_work, "junk.ogg");
        File.WriteAllText(junk, "not audio at all");
        var e = await Should.ThrowAsync<IOException>(() => AudioConverter.ToWhisperWavAsync(junk, Path.Combine(_work, "x.wav"), CancellationToken.None));
        e.Message.ShouldStartWith("ffmpeg could not convert the audio");
    }

    /// <summary>The seam: the transcriber gets the stored voice note itself (real bytes at the real path) and its text lands next to it.</summary>
    [Fact]
    public async Task TheTranscriptOfTheStoredVoiceNoteGoesIntoTheAttachmentAndAFailureIntoItsNote()
    {
        var heard = new List<byte[]>();
        var store = new MediaStore(_home.Config.GroupsDir, 1 << 20, TimeProvider.System);
        byte[] audio = [(byte)'O', (byte)'g', (byte)'g', (byte)'S', 1, 2, 3];
        var media = new InboundMedia(store, new FileTranscriber(path => { heard.Add(File.ReadAllBytes(path)); return " hello there "; }), NullLogger<InboundMedia>.Instance);

        var a = await media.AcceptAsync("family", "V1", AttachmentKind.Voice, "audio/ogg; codecs=opus", new MemoryStream(audio), audio.Length, CancellationToken.None);

        heard.Single().ShouldBe(audio);
        a.Transcript.ShouldBe("hello there");
        a.Note.ShouldBeNull();
        var failing = new InboundMedia(store, new FileTranscriber(_ => throw new IOException("ffmpeg could not convert the audio")), NullLogger<InboundMedia>.Instance);
        var b = await failing.AcceptAsync("family", "V2", AttachmentKind.Voice, "audio/ogg", new MemoryStream(audio), null, CancellationToken.None);
        (b.RelativePath, b.Transcript, b.Note).ShouldBe(("media/" + DateTime.UtcNow.ToString("yyyy-MM-dd") + "/V2.ogg", null, "transcription failed: ffmpeg could not convert the audio"));
        var photo = await media.AcceptAsync("family", "P1", AttachmentKind.Image, "image/jpeg", new MemoryStream(audio), null, CancellationToken.None);
        (photo.Transcript, heard.Count).ShouldBe((null, 1), "only voice notes are transcribed");
    }

    [WhisperModelFact]
    public async Task WhisperTranscribesSpeechMadeOnThisMachine()
    {
        using var whisper = new WhisperTranscriber(WhisperModelFactAttribute.Model!);
        var text = await whisper.TranscribeAsync(VoiceNote("The weather is nice today."), CancellationToken.None);
        text.ToLowerInvariant().ShouldContain("weather");
        text.ToLowerInvariant().ShouldContain("today");
    }

    [Fact]
    public void DoctorSaysHowToTurnTranscriptionOnAndRefusesAMissingModel()
    {
        var off = DoctorCommand.TranscriptionCheck(_home.Config);
        off.Ok.ShouldBeTrue();
        off.Detail.ShouldContain("set WHISPER_MODEL=/path/to/ggml-base.en.bin");
        var missing = DoctorCommand.TranscriptionCheck(_home.Config with { WhisperModel = Path.Combine(_work, "nope.bin") });
        missing.Ok.ShouldBeFalse();
        missing.Detail.ShouldContain("does not exist");
        Should.Throw<FileNotFoundException>(() => new WhisperTranscriber(Path.Combine(_work, "nope.bin"))).Message.ShouldContain("WHISPER_MODEL");
    }

    /// <summary>A transcriber that runs <paramref name="transcribe"/> on the stored file (the seam's stand-in for Whisper).</summary>
    sealed class FileTranscriber(Func<string, string> transcribe) : ITranscriber
    {
        public Task<string> TranscribeAsync(string audioPath, CancellationToken cancellationToken) => Task.FromResult(transcribe(audioPath));
    }

    public void Dispose()
    {
        _home.Dispose();
        Directory.Delete(_work, recursive: true);
    }
}
