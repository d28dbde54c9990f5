using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace NanoClaw.Guest;

// The host <-> guest wire protocol (docs/guest-protocol.md). This file is compiled into both the host
// and the NativeAOT guest agent, so everything here is source-generated JSON: no reflection.

/// <summary>Limits and the one place where frame lines are turned into frames and back.</summary>
public static class GuestProtocol
{
    /// <summary>Longest frame line, in bytes, not counting its terminating <c>\n</c>.</summary>
    public const int MaxLineBytes = 1024 * 1024;

    /// <summary>Longest text the guest puts in an <c>output</c> frame; longer results are cut (with a marker) so the line stays under <see cref="MaxLineBytes"/>.</summary>
    public const int MaxOutputChars = 100_000;

    /// <summary>Longest text in <c>log</c> and <c>done</c> frames.</summary>
    public const int MaxLogChars = 16_000;

    // Non-ASCII text travels as raw UTF-8 rather than \uXXXX escapes: that keeps lines short and the
    // size bound above honest. Everything else (strictness) comes from the source-generated options.
    static readonly GuestProtocolJsonContext Context = new(new JsonSerializerOptions(GuestProtocolJsonContext.Default.Options)
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    });

    /// <summary>Serializes one frame to its line, without the trailing <c>\n</c>.</summary>
    /// <exception cref="GuestProtocolException">The frame is invalid or its line is longer than <see cref="MaxLineBytes"/>.</exception>
    public static byte[] Serialize(GuestFrame frame)
    {
        ArgumentNullException.ThrowIfNull(frame);
        if (frame.Check() is { } problem)
            throw new GuestProtocolException($"refusing to send an invalid '{frame.TypeName}' frame: {problem}");
        var line = JsonSerializer.SerializeToUtf8Bytes(frame, Context.GuestFrame);
        if (line.Length > MaxLineBytes)
            throw new GuestProtocolException($"'{frame.TypeName}' frame is {line.Length} bytes; the limit is {MaxLineBytes}");
        return line;
    }

    /// <summary>Parses one frame line (without its <c>\n</c>) strictly: unknown types or fields, missing or null
    /// required fields, duplicate fields and out-of-range values are all errors.</summary>
    /// <exception cref="GuestProtocolException">The line is not a valid frame; the message says why.</exception>
    public static GuestFrame Parse(ReadOnlySpan<byte> line)
    {
        if (line.Length > MaxLineBytes)
            throw new GuestProtocolException($"frame line is {line.Length} bytes; the limit is {MaxLineBytes}");
        if (line.IsEmpty)
            throw new GuestProtocolException("empty frame line");
        GuestFrame? frame;
        try
        {
            frame = JsonSerializer.Deserialize(line, Context.GuestFrame);
        }
        catch (Exception e) when (e is JsonException or NotSupportedException or InvalidOperationException)
        {
            throw new GuestProtocolException($"malformed frame: {e.Message}", e);
        }
        if (frame is null)
            throw new GuestProtocolException("malformed frame: the line is JSON null");
        if (frame.Check() is { } problem)
            throw new GuestProtocolException($"invalid '{frame.TypeName}' frame: {problem}");
        return frame;
    }
}

/// <summary>One message on the control channel. The JSON <c>type</c> field selects the record.</summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "type", UnknownDerivedTypeHandling = JsonUnknownDerivedTypeHandling.FailSerialization)]
[JsonDerivedType(typeof(SpareFrame), "spare")]
[JsonDerivedType(typeof(JobFrame), "job")]
[JsonDerivedType(typeof(WorkspaceFrame), "workspace")]
[JsonDerivedType(typeof(MessageFrame), "message")]
[JsonDerivedType(typeof(CloseFrame), "close")]
[JsonDerivedType(typeof(ReadyFrame), "ready")]
[JsonDerivedType(typeof(SessionFrame), "session")]
[JsonDerivedType(typeof(OutputFrame), "output")]
[JsonDerivedType(typeof(ChangesFrame), "changes")]
[JsonDerivedType(typeof(IdleFrame), "idle")]
[JsonDerivedType(typeof(LogFrame), "log")]
[JsonDerivedType(typeof(DoneFrame), "done")]
public abstract record GuestFrame
{
    private protected GuestFrame() { }

    /// <summary>The wire name of this frame (its <c>type</c>), for error messages.</summary>
    [JsonIgnore]
    public string TypeName => this switch
    {
        SpareFrame => "spare",
        JobFrame => "job",
        WorkspaceFrame => "workspace",
        MessageFrame => "message",
        CloseFrame => "close",
        ReadyFrame => "ready",
        SessionFrame => "session",
        OutputFrame => "output",
        ChangesFrame => "changes",
        IdleFrame => "idle",
        LogFrame => "log",
        DoneFrame => "done",
        _ => GetType().Name,
    };

    /// <summary>How many raw bytes follow this frame's line (a tar); zero for frames without a payload.</summary>
    [JsonIgnore]
    public long PayloadBytes => this switch
    {
        WorkspaceFrame w => w.Bytes,
        MessageFrame m => m.Bytes,
        ChangesFrame c => c.Bytes,
        _ => 0,
    };

    /// <summary>What is wrong with this frame beyond what JSON typing catches, or null when it is valid.</summary>
    internal virtual string? Check() => null;

    private protected static string? NotEmpty(string? value, string field) =>
        string.IsNullOrEmpty(value) ? $"'{field}' must not be empty" : null;

    private protected static string? NoNul(string? value, string field) =>
        value is not null && value.Contains('\0') ? $"'{field}' must not contain NUL" : null;

    private protected static string? CheckEnv(IReadOnlyDictionary<string, string> env)
    {
        foreach (var (name, value) in env)
        {
            if (!IsEnvName(name)) return $"env name '{name}' is not [A-Za-z_][A-Za-z0-9_]*";
            if (value is null || value.Contains('\0')) return $"env '{name}' must be a string without NUL";
        }
        return null;
    }

    static bool IsEnvName(string name) =>
        name.Length > 0 && !char.IsAsciiDigit(name[0]) && name.All(c => char.IsAsciiLetterOrDigit(c) || c == '_');
}

/// <summary>Frames the host sends to the guest.</summary>
public abstract record HostToGuestFrame : GuestFrame;

/// <summary>Frames the guest sends to the host.</summary>
public abstract record GuestToHostFrame : GuestFrame;

/// <summary>
/// A warm VM's pre-started Claude Code: optional, only as the first frame after <c>ready</c>, and then the next frame is
/// <c>job</c>. The guest starts Claude Code parked (<c>--await-claim</c>) with this environment and MCP config, which are
/// exactly what the claiming run's <c>job</c> must carry for the guest to claim it rather than start cold.
/// </summary>
/// <param name="Env">As <see cref="JobFrame.Env"/>: the gateway address and the VM's token (bound to no run yet).</param>
/// <param name="McpConfigJson">As <see cref="JobFrame.McpConfigJson"/>: the parked Claude Code connects it at its start.</param>
/// <param name="GlobalMemory">The global CLAUDE.md as the host has it now (every group reads it, so it is no group's
/// data): the guest claims the spare at once with it as the system prompt appendix, and a job whose appendix turns out
/// different (the file changed since) starts cold. Null when there is none.</param>
public sealed record SpareFrame(IReadOnlyDictionary<string, string> Env, string? McpConfigJson = null, string? GlobalMemory = null) : HostToGuestFrame
{
    internal override string? Check() => NoNul(McpConfigJson, "mcpConfigJson") ?? NoNul(GlobalMemory, "globalMemory") ?? CheckEnv(Env);
}

/// <summary>The run to do; the first frame the host sends (after an optional <c>spare</c>), once.</summary>
/// <param name="UtcNow">The host's clock: the guest's clock starts near 1970 and is set from this.</param>
/// <param name="Env">Extra environment for Claude Code (ANTHROPIC_BASE_URL, the per-run ANTHROPIC_API_KEY token, ...).
/// Never a real credential. The guest's own HOME, PATH and CLAUDE_CONFIG_DIR win over these.</param>
/// <param name="McpConfigJson">Passed to <c>claude --mcp-config</c> as is.</param>
/// <param name="AppendSystemPrompt">Appended to the system prompt, after the global CLAUDE.md.</param>
/// <param name="ExtraFolders">Disks to mount at <c>/workspace/extra/&lt;name&gt;</c> before Claude Code starts (read-only unless marked writable).</param>
/// <param name="Prompt">The first user turn; absent for a prepared run, whose Claude Code starts and waits for the first <c>message</c>.</param>
public sealed record JobFrame(
    string RunId,
    string GroupFolder,
    bool IsMain,
    DateTimeOffset UtcNow,
    IReadOnlyDictionary<string, string> Env,
    string? Prompt = null,
    string? SessionId = null,
    string? McpConfigJson = null,
    string? AppendSystemPrompt = null,
    IReadOnlyList<ExtraFolder>? ExtraFolders = null) : HostToGuestFrame
{

    internal override string? Check()
    {
        var problem = NotEmpty(RunId, "runId") ?? NotEmpty(GroupFolder, "groupFolder") ?? (Prompt is null ? null : NotEmpty(Prompt, "prompt"))
            ?? NoNul(Prompt, "prompt") ?? NoNul(McpConfigJson, "mcpConfigJson") ?? NoNul(AppendSystemPrompt, "appendSystemPrompt");
        if (problem is not null) return problem;
        if (ExtraFolder.CheckAll(ExtraFolders) is { } extra) return extra;
        if (SessionId is not null && (SessionId.Length is 0 or > 200 || SessionId.StartsWith('-') || SessionId.Any(char.IsControl)))
            return "'sessionId' must be a non-empty id without control characters that does not start with '-'";
        return CheckEnv(Env);
    }
}

/// <summary>
/// An extra folder of the job: virtio disk <see cref="Disk"/> (its serial is <see cref="DiskSerial"/>), an ext4 image,
/// mounted by the guest at <c>/workspace/extra/<see cref="Name"/></c>. Read-only unless <see cref="Writable"/>: then the
/// VMM gave the guest a throwaway write layer and the guest reports the folder's changes as <c>extra/&lt;name&gt;/...</c>.
/// </summary>
/// <param name="Serial">The disk's virtio id, when the VMM does not use <see cref="DiskSerial"/> (Firecracker derives it
/// from the image file; see FirecrackerDisks).</param>
public sealed record ExtraFolder(int Disk, string Name,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] bool Writable = false,
    string? Serial = null)
{
    /// <summary>The id to look for in <c>/sys/block/vd*/serial</c>.</summary>
    [JsonIgnore]
    public string ExpectedSerial => Serial ?? DiskSerial(Disk);

    /// <summary>The top folder of a writable extra folder's paths in the <c>changes</c> tar.</summary>
    [JsonIgnore]
    public string ChangesTop => "extra/" + Name;

    /// <summary>Disk numbers run from 0 to below this. QEMU 7.2's microvm takes 24 virtio-mmio devices (root, net and the
    /// control port use 3), but a boot is tested with 5 (the end-to-end test), so that is the cap.</summary>
    public const int MaxDisks = 5;

    public static string DiskSerial(int disk) => "extra" + disk.ToString(System.Globalization.CultureInfo.InvariantCulture);

    internal static string? CheckAll(IReadOnlyList<ExtraFolder>? folders)
    {
        if (folders is null) return null;
        if (folders.Count > MaxDisks) return $"'extraFolders' holds at most {MaxDisks} entries";
        var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var disks = new HashSet<int>();
        var serials = new HashSet<string>(StringComparer.Ordinal);
        foreach (var f in folders)
        {
            if (f is null) return "'extraFolders' must hold objects only";
            if (f.Disk is < 0 or >= MaxDisks) return $"'extraFolders' disk {f.Disk} is not in 0..{MaxDisks - 1}";
            if (!IsName(f.Name)) return $"'extraFolders' name '{f.Name}' is not one plain name (1-64 of letters, digits, '.', '_', '-', space; not starting with '.', '-' or ' '; no '..')";
            if (!names.Add(f.Name)) return $"'extraFolders' name '{f.Name}' appears twice";
            if (!disks.Add(f.Disk)) return $"'extraFolders' disk {f.Disk} appears twice";
            if (f.Serial is { } serial && (serial.Length is 0 or > 20 || !serial.All(char.IsAsciiLetterOrDigit)))
                return $"'extraFolders' serial '{serial}' is not 1-20 ASCII letters or digits";
            if (!serials.Add(f.ExpectedSerial)) return $"'extraFolders' serial '{f.ExpectedSerial}' appears twice";
        }
        return null;
    }

    // The same rule as the host's MountValidator.ValidateName: the name becomes a path component under /workspace/extra.
    static bool IsName(string name) =>
        name.Length is > 0 and <= 64 && !name.Contains("..", StringComparison.Ordinal)
        && (char.IsAsciiLetterOrDigit(name[0]) || name[0] == '_')
        && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-' or ' ');
}

/// <summary>The workspace tar (<c>group/</c>, <c>global/</c>, <c>claude/</c>); <see cref="Bytes"/> raw bytes follow the line.</summary>
public sealed record WorkspaceFrame(long Bytes) : HostToGuestFrame
{
    internal override string? Check() => Bytes < 0 ? "'bytes' must not be negative" : null;
}

/// <summary>A follow-up user message for the running session. When <see cref="Bytes"/> is not zero, a tar of that many
/// raw bytes follows the line: files under <c>group/</c> that came with the message (a photo sent in the chat), which
/// the VM does not have yet; the guest puts them in place before the session gets the text.</summary>
/// <param name="UtcNow">The host's clock when the message was sent: the guest sets its clock from it when it is off (a VM
/// that was frozen while it waited, or whose clock fell behind under load), so the turn sees the real time.</param>
public sealed record MessageFrame(string Text,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)] long Bytes = 0,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] DateTimeOffset? UtcNow = null) : HostToGuestFrame
{
    internal override string? Check() => NotEmpty(Text, "text") ?? NoNul(Text, "text") ?? (Bytes < 0 ? "'bytes' must not be negative" : null);
}

/// <summary>No more messages: finish the session, sync back and end.</summary>
public sealed record CloseFrame : HostToGuestFrame;

/// <summary>The guest agent is up; always its first frame.</summary>
public sealed record ReadyFrame : GuestToHostFrame;

/// <summary>The Claude session id of this run (sent again only if it changes).</summary>
public sealed record SessionFrame(string SessionId) : GuestToHostFrame
{
    internal override string? Check() => NotEmpty(SessionId, "sessionId");
}

/// <summary>One turn's result text; never empty.</summary>
public sealed record OutputFrame(string Text) : GuestToHostFrame
{
    internal override string? Check() => NotEmpty(Text, "text");
}

/// <summary>Files created or modified since the last sync (a tar of <see cref="Bytes"/> raw bytes after the line,
/// none when zero) and files deleted since then (paths like <c>group/notes.md</c>).</summary>
public sealed record ChangesFrame(long Bytes, IReadOnlyList<string> Deleted) : GuestToHostFrame
{

    internal override string? Check() =>
        Bytes < 0 ? "'bytes' must not be negative"
        : Deleted.Any(d => d is null) ? "'deleted' must hold strings only"
        : null;

    // Records compare lists by reference; frames are compared in tests, so compare the contents.
    public bool Equals(ChangesFrame? other) =>
        other is not null && Bytes == other.Bytes && Deleted.SequenceEqual(other.Deleted);

    public override int GetHashCode() => HashCode.Combine(Bytes, Deleted.Count);
}

/// <summary>The turn is finished; the session waits for a <c>message</c> or <c>close</c>.</summary>
public sealed record IdleFrame : GuestToHostFrame;

/// <summary>A diagnostic line from the guest, for the host's log.</summary>
public sealed record LogFrame(GuestLogLevel Level, string Text) : GuestToHostFrame
{
    internal override string? Check() => Enum.IsDefined(Level) ? null : "'level' is not one of debug, info, warn, error";
}

/// <summary>The run ended; always the guest's last frame. <see cref="Error"/> says why it failed, null on success.</summary>
public sealed record DoneFrame(string? Error = null) : GuestToHostFrame
{
    internal override string? Check() => Error is "" ? "'error' must be absent or non-empty" : null;
}

/// <summary>Severity of a <see cref="LogFrame"/>. Written as lower-case strings; numbers are refused.</summary>
[JsonConverter(typeof(GuestLogLevelConverter))]
public enum GuestLogLevel
{
    [JsonStringEnumMemberName("debug")] Debug,
    [JsonStringEnumMemberName("info")] Info,
    [JsonStringEnumMemberName("warn")] Warn,
    [JsonStringEnumMemberName("error")] Error,
}

/// <summary>String-only enum converter: <c>"level": 1</c> is a protocol error, not <see cref="GuestLogLevel.Info"/>.</summary>
public sealed class GuestLogLevelConverter() : JsonStringEnumConverter<GuestLogLevel>(namingPolicy: null, allowIntegerValues: false);

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    RespectNullableAnnotations = true,
    RespectRequiredConstructorParameters = true,
    AllowOutOfOrderMetadataProperties = true,
    AllowDuplicateProperties = false)]
[JsonSerializable(typeof(GuestFrame))]
internal sealed partial class GuestProtocolJsonContext : JsonSerializerContext;
