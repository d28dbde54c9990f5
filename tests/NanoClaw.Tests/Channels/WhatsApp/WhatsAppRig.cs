using System.Text.Json;
using Microsoft.Data.Sqlite;
using NanoClaw.Channels.WhatsApp;
using NanoClaw.Tests.Gateway;
using NanoClaw.Tests.Support;

namespace NanoClaw.Tests.Channels.WhatsApp;

/// <summary>
/// The whole host (loop, queue, outbox) with a real <see cref="WhatsAppChannel"/> whose sidecar is
/// <c>scripted-bridge.mjs</c>, a stand-in for WhatsApp that plays scripted events over real pipes and records the
/// commands it receives.
/// </summary>
sealed class WhatsAppRig : IAsyncDisposable
{
    public const string Group = "120363025246125888@g.us";
    public const string Owner = "4915199999999@s.whatsapp.net";

    public TestHome Home { get; }
    public CapturingLoggerProvider Logs { get; } = new();
    public ScriptedRunner Runner { get; }
    public WhatsAppChannel Channel { get; }
    public AssistantHost Host { get; }
    readonly string _record;

    /// <summary><paramref name="lives"/>: per start of the sidecar, the raw stdout lines it plays and what it does on a send.</summary>
    public WhatsAppRig(ScriptedRunner runner, params (string[] Events, string OnSend)[] lives)
        : this(new Setup(), runner, lives) { }

    /// <summary>With a clock (e.g. a fake one for the host's timers) and .env keys for the config.</summary>
    public WhatsAppRig(Setup setup, ScriptedRunner runner, params (string[] Events, string OnSend)[] lives)
    {
        Home = new TestHome(setup.Configure);
        Runner = runner;
        var script = Path.Combine(Home.Dir, "script.json");
        _record = Path.Combine(Home.Dir, "commands.jsonl");
        File.WriteAllText(script, JsonSerializer.Serialize(new
        {
            lives = lives.Select(l => new { events = l.Events, on_send = l.OnSend, groups = setup.Groups, downloads = setup.Downloads }),
        }));
        var commandLine = new BridgeCommandLine("node", [Path.Combine(AppContext.BaseDirectory, "Channels", "WhatsApp", "scripted-bridge.mjs"),
            "--auth-dir", Home.Config.WhatsAppAuthDir, "--script", script, "--record", _record, "--media-dir", Home.Config.WhatsAppMediaSpoolDir]);
        var logs = Logs.CreateFactory();
        WhatsAppChannel? channel = null;
        Host = new AssistantHost(Home.Config, Home.Db, inbound => [channel = new WhatsAppChannel(Home.Config, Home.Db, commandLine, logs,
            inbound,
            new BridgeTimings { RestartDelays = [TimeSpan.FromMilliseconds(50)], AckTimeout = TimeSpan.FromSeconds(5), MaxLineChars = setup.MaxLineChars ?? new BridgeTimings().MaxLineChars },
            setup.Time)], runner, setup.Time ?? TimeProvider.System, logs);
        Channel = channel!;
    }

    public void Start()
    {
        Host.Start();
        Channel.Start();
    }

    /// <summary>Every command line the sidecar received, with the life (0, 1, ...) that received it.</summary>
    public IReadOnlyList<(int Life, JsonElement Command)> Commands()
    {
        if (!File.Exists(_record)) return [];
        return [.. File.ReadAllLines(_record).Select(l =>
        {
            using var entry = JsonDocument.Parse(l);
            var line = entry.RootElement.GetProperty("line").GetString()!;
            return (entry.RootElement.GetProperty("life").GetInt32(), JsonDocument.Parse(line).RootElement.Clone());
        })];
    }

    public IReadOnlyList<(int Life, JsonElement Command)> Sends() => CommandsOf("send");

    public IReadOnlyList<(int Life, JsonElement Command)> CommandsOf(string type) =>
        [.. Commands().Where(c => c.Command.GetProperty("type").GetString() == type)];

    /// <summary>The texts sent to one chat, in the order the sidecar received them.</summary>
    public IReadOnlyList<string> TextsSentTo(string chatJid) =>
        [.. Sends().Where(s => s.Command.GetProperty("chat_jid").GetString() == chatJid).Select(s => s.Command.GetProperty("text").GetString()!)];

    /// <summary>A script line that pauses the sidecar until <see cref="Release"/> is called with the same name.</summary>
    public static string WaitFor(string name) => "@wait gate-" + name;

    public void Release(string name) => File.WriteAllText(Path.Combine(Home.Dir, "gate-" + name), "");

    /// <summary>Stored messages of a chat, including the assistant's own (which the loop's queries leave out).</summary>
    public IReadOnlyList<(string Id, string Content, bool IsFromMe, bool IsBot)> Stored(string chatJid)
    {
        using var c = new SqliteConnection($"Data Source={Home.Config.DatabasePath}");
        c.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT id, content, is_from_me, is_bot_message FROM messages WHERE chat_jid = $chat ORDER BY rowid";
        cmd.Parameters.AddWithValue("$chat", chatJid);
        using var r = cmd.ExecuteReader();
        var list = new List<(string, string, bool, bool)>();
        while (r.Read()) list.Add((r.GetString(0), r.GetString(1), r.GetInt64(2) != 0, r.GetInt64(3) != 0));
        return list;
    }

    public static string Connected() => Line(new { type = "connected", jid = Owner, name = "Owner" });

    public static string Message(string id, string text, string chat = Group, object? quoted = null) => Line(new
    {
        type = "message",
        id,
        chat_jid = chat,
        sender_jid = "4915187654321@s.whatsapp.net",
        sender_name = "Bob",
        text,
        timestamp = "2024-11-24T08:01:00.000Z",
        is_from_me = false,
        quoted,
    });

    public static string Line(object o) => JsonSerializer.Serialize(o);

    /// <summary>Options of a rig: <paramref name="Time"/> drives the host and channel timers (System when null),
    /// <paramref name="Configure"/> sets config keys, <paramref name="Groups"/> answers <c>sync_groups</c>,
    /// <paramref name="MaxLineChars"/> limits an event line (the default when null), <paramref name="Downloads"/> answers
    /// <c>download</c> commands by message id (see scripted-bridge.mjs).</summary>
    public sealed record Setup(TimeProvider? Time = null, Action<Dictionary<string, string?>>? Configure = null, object[]? Groups = null,
        int? MaxLineChars = null, Dictionary<string, object>? Downloads = null);

    public async ValueTask DisposeAsync()
    {
        await Host.DisposeAsync();
        await Channel.DisposeAsync();
        Home.Dispose();
    }
}
