using System.CommandLine;
using NanoClaw.Channels.Telegram;
using NanoClaw.Gateway;
using NanoClaw.Gateway.Credentials;
using NanoClaw.Storage;

namespace NanoClaw.Cli;

/// <summary><c>./nanoclaw doctor</c>: every check says what it found, and when something is missing, what to do.</summary>
static class DoctorCommand
{
    public sealed record Check(string Name, bool Ok, string Detail, string? Fix = null);

    public static Command Create()
    {
        var command = new Command("doctor", "Check this machine and configuration; explain anything missing.");
        command.SetAction(_ =>
        {
            var checks = Run(Config.Load(), RepoRoot.Find());
            foreach (var c in checks)
            {
                Console.WriteLine($"{(c.Ok ? "ok " : "MISSING")} {c.Name}: {c.Detail}");
                if (!c.Ok && c.Fix is not null) Console.WriteLine($"        -> {c.Fix}");
            }
            var missing = checks.Count(c => !c.Ok);
            // The verdict of a failed check goes to stderr, like every command's failure.
            if (missing == 0) Console.WriteLine("Everything needed is in place.");
            else Console.Error.WriteLine($"{missing} thing(s) missing; fix them in the order shown above.");
            return missing == 0 ? 0 : 1;
        });
        return command;
    }

    public static IReadOnlyList<Check> Run(Config config, string repo)
    {
        var checks = new List<Check> { StateFolder(config), DatabaseCheck(config), Credentials(config) };
        checks.AddRange(VmChecks.Run(config, repo));
        checks.Add(NetworkCheck(config));
        checks.Add(MainChat(config));
        checks.Add(WhatsAppCheck(config));
        checks.Add(TelegramCheck(config, TimeSpan.FromSeconds(10)));
        checks.Add(TranscriptionCheck(config));
        return checks;
    }

    /// <summary>Voice notes are transcribed on the host when a Whisper model is named; optional, but a named one must work.</summary>
    internal static Check TranscriptionCheck(Config config, string ffmpeg = "ffmpeg")
    {
        const string HowTo = "To transcribe voice notes on this machine: get a whisper.cpp ggml model file (e.g. ggml-base.en.bin, ~142 MB), "
            + "set WHISPER_MODEL=/path/to/ggml-base.en.bin in .env, and install ffmpeg (Debian: apt-get install ffmpeg).";
        if (config.WhisperModel is null)
            return new("transcription", true, "off: voice notes arrive as audio files with a note that transcription is off. " + HowTo);
        if (!File.Exists(config.WhisperModel))
            return new("transcription", false, $"WHISPER_MODEL={config.WhisperModel} does not exist", HowTo);
        if (Media.AudioConverter.Missing(ffmpeg) is { } missing)
            return new("transcription", false, missing + ": voice notes cannot be converted for Whisper", HowTo);
        return new("transcription", true, $"on: voice notes are transcribed with {config.WhisperModel}");
    }

    /// <summary>Channels are optional (<c>chat</c> works without any): only a configured one that cannot work is missing.</summary>
    internal static Check WhatsAppCheck(Config config) => Directory.Exists(config.WhatsAppAuthDir)
        ? new("whatsapp", true, $"linked ({config.WhatsAppAuthDir}); `./nanoclaw run` connects it")
        : new("whatsapp", true, "not linked (optional: `./nanoclaw auth` links it)");

    /// <summary>Asks Telegram (getMe) whether the configured token works: valid, invalid or unreachable.</summary>
    internal static Check TelegramCheck(Config config, TimeSpan timeout)
    {
        if (config.TelegramBotToken is null)
            return new("telegram", true, "not configured (optional: TELEGRAM_BOT_TOKEN in .env, see `./nanoclaw auth telegram`)");
        return TelegramTokenCheck.RunAsync(config, timeout, CancellationToken.None).GetAwaiter().GetResult() switch
        {
            TelegramTokenCheck.Valid bot => new("telegram", true, $"token valid: the bot is @{bot.Username}; `./nanoclaw run` polls it"),
            TelegramTokenCheck.Invalid invalid => new("telegram", false, $"token invalid: {invalid.Reason}", TelegramTokenCheck.InvalidAdvice),
            TelegramTokenCheck.Unreachable unreachable => new("telegram", false, $"unreachable: {unreachable.Reason}",
                "Check this machine's network (and TELEGRAM_API_URL if set), then run doctor again."),
            _ => throw new InvalidOperationException("unknown token check result"),
        };
    }

    /// <summary>Which guest networking runs will use; missing only when TAP networking is demanded but not set up.</summary>
    internal static Check NetworkCheck(Config config)
    {
        if (config.Network == "user")
            return new("network", true, "no NIC, gateway streams (NANOCLAW_NETWORK=user): guests reach the gateway at 10.0.2.100, the web through its egress proxy");
        Network.TapNetworkSettings settings;
        try { settings = Network.TapNetworkSettings.FromConfig(config); }
        catch (ConfigException ex) { return new("network", false, ex.Message, "Fix the value in .env or the environment."); }
        var taps = Network.TapNetworkSetup.InstalledTaps(settings).Count;
        if (taps > 0)
            return new("network", true, $"TAP networking: bridge {settings.Bridge} ({settings.Cidr}) with {taps} TAPs; guests reach the gateway at " +
                $"{settings.BridgeAddress}:{settings.GatewayPort} and the egress proxy at :{settings.ProxyPort}" +
                (taps < config.MaxConcurrentAgents ? $" (fewer TAPs than MAX_CONCURRENT_AGENTS={config.MaxConcurrentAgents}: re-run `sudo ./nanoclaw setup --network --taps N`)" : ""));
        return config.Network == "tap"
            ? new("network", false, $"NANOCLAW_NETWORK=tap, but there is no bridge {settings.Bridge} with TAP devices", "Run `sudo ./nanoclaw setup --network` (after every reboot).")
            : new("network", true, $"no NIC, gateway streams (no bridge {settings.Bridge}; `sudo ./nanoclaw setup --network` makes TAP networking)");
    }

    static Check StateFolder(Config config)
    {
        try
        {
            Directory.CreateDirectory(config.StoreDir);
            var probe = Path.Combine(config.StoreDir, $".doctor-{Environment.ProcessId}");
            File.WriteAllText(probe, "");
            File.Delete(probe);
            return new("state folder", true, $"{config.Home} (NANOCLAW_HOME) is writable");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return new("state folder", false, $"{config.Home} is not writable: {ex.Message}", "Set NANOCLAW_HOME to a folder you own, or fix its permissions.");
        }
    }

    static Check DatabaseCheck(Config config)
    {
        try
        {
            var db = Database.Open(config.DatabasePath);
            return new("database", true, $"{config.DatabasePath}, schema version {db.SchemaVersion}");
        }
        catch (Exception ex)
        {
            return new("database", false, $"{config.DatabasePath} cannot be opened: {ex.Message}", "Move the file aside and run again to start a fresh store, or restore a backup.");
        }
    }

    internal static Check Credentials(Config config)
    {
        var which = config.AnthropicApiKey is not null ? "ANTHROPIC_API_KEY"
            : config.ClaudeCodeOAuthToken is not null ? "CLAUDE_CODE_OAUTH_TOKEN"
            : config.VercelAiGatewayKey is not null ? "VERCEL_AI_GATEWAY_KEY" : null;
        return which is null
            ? new("credentials", false, "no Claude credential is configured",
                "Put one of ANTHROPIC_API_KEY, CLAUDE_CODE_OAUTH_TOKEN or VERCEL_AI_GATEWAY_KEY in .env (it stays on the host; VMs never see it).")
            : new("credentials", true, $"{which} is set (used by the host gateway only)" + (config.UpstreamBaseUrl is { } u ? $", upstream {UpstreamCredential.WithoutUserInfo(u)}" : ""));
    }

    static Check MainChat(Config config)
    {
        RegisteredGroup? main;
        try { main = Database.Open(config.DatabasePath).RegisteredGroups().FirstOrDefault(g => g.IsMain); }
        catch (StoreException) { return new("main chat", false, "unknown: the store cannot be opened", "Fix the database first (above)."); }
        return main is null
            ? new("main chat", false, "no main chat registered", "Run `./nanoclaw chat` (the terminal becomes the main chat), or register one with `./nanoclaw groups register --main ...`.")
            : new("main chat", true, $"{main.Name} ({main.Jid}) in groups/{main.Folder}/");
    }
}
