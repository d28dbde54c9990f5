namespace NanoClaw;

/// <summary>
/// Everything configurable, read once at start from the environment and an optional
/// <c>.env</c> file in <see cref="Home"/>. Customization is code changes: keep this short.
/// </summary>
public sealed record Config
{
    /// <summary>Root of all state: <c>store/</c>, <c>groups/</c>, <c>data/</c>. Tests isolate by pointing it at a temp folder.</summary>
    public required string Home { get; init; }
    public string AssistantName { get; init; } = "Andy";
    /// <summary>True when the assistant has its own phone number; replies are then sent without the "Andy: " prefix.</summary>
    public bool AssistantHasOwnNumber { get; init; }
    public int MaxConcurrentAgents { get; init; } = 2;
    public TimeZoneInfo TimeZone { get; init; } = TimeZoneInfo.Local;
    /// <summary>WhatsApp bans accounts that send like a bot: at most this many messages to one chat per minute...</summary>
    public int WhatsAppSendPerChatPerMinute { get; init; } = 15;
    /// <summary>...and this many to all chats together. Held messages wait in the outbox; nothing is dropped.</summary>
    public int WhatsAppSendPerMinute { get; init; } = 40;
    /// <summary>The Telegram bot's token from @BotFather; Telegram runs in <c>run</c> when it is set.</summary>
    public string? TelegramBotToken { get; init; }
    /// <summary>Where the Bot API is (<c>TELEGRAM_API_URL</c>): Telegram's own servers unless a local Bot API server is used.</summary>
    public Uri TelegramApiUrl { get; init; } = new("https://api.telegram.org");

    /// <summary>Largest inbound file (photo, voice note, document) kept, in MiB (<c>MEDIA_MAX_MB</c>); a bigger one is refused with a note.</summary>
    public int MediaMaxMb { get; init; } = 25;
    public long MediaMaxBytes => MediaMaxMb * 1024L * 1024L;
    /// <summary>Inbound files are deleted after this many days (<c>MEDIA_KEEP_DAYS</c>).</summary>
    public int MediaKeepDays { get; init; } = 30;
    /// <summary>A whisper.cpp ggml model file (<c>WHISPER_MODEL</c>); voice notes are transcribed on the host when it is set.</summary>
    public string? WhisperModel { get; init; }

    // Upstream credentials: used by the host gateway only, never passed into a VM.
    public string? AnthropicApiKey { get; init; }
    public string? ClaudeCodeOAuthToken { get; init; }
    public string? VercelAiGatewayKey { get; init; }
    /// <summary>Where the gateway forwards Messages API calls (the host's ANTHROPIC_BASE_URL).</summary>
    public Uri? UpstreamBaseUrl { get; init; }

    // MicroVM sizing and limits.
    public string Vmm { get; init; } = "auto";
    public int VmMemoryMb { get; init; } = 2048;
    public int VmCpus { get; init; } = 2;
    /// <summary>What warm guests do to warm up while they wait for a job (see <see cref="NanoClaw.Runs.GuestPriming"/>). Off:
    /// on a quiet 2-core TCG machine a fully primed warm run was no faster than an unprimed one (BENCHMARKS.md, issue 19),
    /// and priming costs CPU beside the claimed run; the benchmark turns it on to measure it again.</summary>
    public NanoClaw.Runs.GuestPriming VmPriming { get; init; } = NanoClaw.Runs.GuestPriming.Off;
    public TimeSpan AgentTimeout { get; init; } = TimeSpan.FromMinutes(30);
    public TimeSpan AgentIdleTimeout { get; init; } = TimeSpan.FromMinutes(5);
    /// <summary>How long a prepared run waits for the group's next message (AGENT_PREPARE_MINUTES; 0 = no prepared runs):
    /// once a group's run has ended, its next one is started at once (VM, workspace, Claude Code resuming the session) and
    /// takes the next message as its first turn. <see cref="FromEnvironment"/> makes it 4 hours (a waiting VM is frozen, so it
    /// costs memory, not CPU; see <see cref="VmFreezeAfter"/>); zero here, so a Config
    /// built in code (tests, embedding) starts no run it did not ask for.</summary>
    public TimeSpan AgentPrepareWait { get; init; } = TimeSpan.Zero;
    /// <summary>A VM that only waits (a warm VM, a prepared run) is frozen once it has waited this long and settled
    /// (<see cref="NanoClaw.Vm.WaitingVm"/>; VM_FREEZE_SECONDS, 0 = never): it then uses no CPU until it is given work.</summary>
    public TimeSpan VmFreezeAfter { get; init; } = TimeSpan.FromSeconds(30);
    /// <summary>VMs kept booted and ready ahead of runs (0 = none); see <see cref="NanoClaw.Runs.WarmPool"/>.</summary>
    public int WarmPoolSize { get; init; } = 1;
    /// <summary>Whether a warm VM starts Claude Code before its run and parks it, so a fresh session's run claims it
    /// instead of waiting for Claude Code's start (VM_SPARE; docs/guest-protocol.md, "Spare Claude Code").</summary>
    public bool VmSpare { get; init; } = true;
    /// <summary>The warm pool is emptied after this long without a run (WARM_POOL_IDLE_MINUTES): as long as a prepared run
    /// waits, since a waiting warm VM is frozen (memory, no CPU) and without one a run that finds no prepared run boots
    /// cold (a boot plus Claude Code's start).</summary>
    public TimeSpan WarmPoolIdle { get; init; } = TimeSpan.FromMinutes(240);
    /// <summary>No warm VM is booted if MemAvailable minus its memory would fall under this many MiB.</summary>
    public int WarmPoolMinFreeMb { get; init; } = 1024;
    /// <summary><c>auto</c> (TAP networking when <c>setup --network</c> made it, else no NIC: the gateway streams), <c>tap</c> or <c>user</c> (the gateway streams).</summary>
    public string Network { get; init; } = "auto";
    /// <summary>TAP networking: the bridge, its host address, and the gateway's fixed ports on it (the firewall names them).</summary>
    public string Bridge { get; init; } = NanoClaw.Network.TapNetworkSettings.DefaultBridge;
    public string BridgeCidr { get; init; } = NanoClaw.Network.TapNetworkSettings.DefaultBridgeCidr;
    public int GatewayPort { get; init; } = NanoClaw.Network.TapNetworkSettings.DefaultGatewayPort;
    public int ProxyPort { get; init; } = NanoClaw.Network.TapNetworkSettings.DefaultProxyPort;
    /// <summary>Ports a VM may reach through the egress proxy besides 443 for CONNECT and 80 for plain HTTP (EGRESS_CONNECT_PORTS, comma-separated).</summary>
    public IReadOnlySet<int> EgressConnectPorts { get; init; } = new HashSet<int> { 443 };
    /// <summary>Cache of VM artifacts (kernel, initramfs, rootfs), keyed by recipe hash. Outside the checkout.</summary>
    public required string CacheDir { get; init; }

    /// <summary>The user's home, where <c>~</c> in mount paths points.</summary>
    public string UserHome { get; init; } = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
    /// <summary>The mount allowlist (<c>~/.config/nanoclaw/mount-allowlist.json</c>; <c>NANOCLAW_MOUNT_ALLOWLIST</c> overrides).
    /// Outside <see cref="Home"/> on purpose: nothing a VM can write may change which host folders VMs get.</summary>
    public string MountAllowlistPath => MountAllowlistPathOverride ?? NanoClaw.ExtraFolders.MountAllowlistFile.DefaultPath(UserHome);
    public string? MountAllowlistPathOverride { get; init; }

    public string StoreDir => Path.Combine(Home, "store");
    public string DatabasePath => Path.Combine(StoreDir, "messages.db");
    /// <summary>The WhatsApp sidecar's auth state (the linked device's keys). Exists once WhatsApp was paired.</summary>
    public string WhatsAppAuthDir => Path.Combine(StoreDir, "auth");
    /// <summary>Where the WhatsApp sidecar downloads media before the host moves each file into its group's folder.</summary>
    public string WhatsAppMediaSpoolDir => Path.Combine(DataDir, "whatsapp-media");
    public string GroupsDir => Path.Combine(Home, "groups");
    public string DataDir => Path.Combine(Home, "data");
    public string GroupDir(string folder) => Path.Combine(GroupsDir, folder);

    /// <summary>Reads the process environment, with <c>$NANOCLAW_HOME/.env</c> filling keys the environment lacks.</summary>
    public static Config Load(IDictionary<string, string?>? environment = null, string? defaultHome = null)
    {
        var env = environment ?? ReadProcessEnvironment();
        var home = Path.GetFullPath(Get(env, "NANOCLAW_HOME") ?? defaultHome ?? Directory.GetCurrentDirectory());
        foreach (var (key, value) in ReadDotEnv(Path.Combine(home, ".env")))
            env.TryAdd(key, value);

        var userHome = Get(env, "HOME") ?? Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        var cacheHome = Get(env, "XDG_CACHE_HOME") ?? Path.Combine(Get(env, "HOME") ?? "/root", ".cache");
        return new Config
        {
            Home = home,
            AssistantName = Get(env, "ASSISTANT_NAME") ?? "Andy",
            AssistantHasOwnNumber = IsTrue(Get(env, "ASSISTANT_HAS_OWN_NUMBER")),
            MaxConcurrentAgents = PositiveInt(env, "MAX_CONCURRENT_AGENTS", 2),
            TimeZone = Get(env, "TZ") is { } tz ? FindTimeZone(tz) : TimeZoneInfo.Local,
            WhatsAppSendPerChatPerMinute = PositiveInt(env, "WHATSAPP_SEND_PER_CHAT_PER_MINUTE", 15),
            WhatsAppSendPerMinute = PositiveInt(env, "WHATSAPP_SEND_PER_MINUTE", 40),
            TelegramBotToken = Get(env, "TELEGRAM_BOT_TOKEN"),
            TelegramApiUrl = Get(env, "TELEGRAM_API_URL") is { } telegramUrl ? ParseUrl("TELEGRAM_API_URL", telegramUrl) : new Uri("https://api.telegram.org"),
            MediaMaxMb = PositiveInt(env, "MEDIA_MAX_MB", 25),
            MediaKeepDays = PositiveInt(env, "MEDIA_KEEP_DAYS", 30),
            WhisperModel = Get(env, "WHISPER_MODEL"),
            AnthropicApiKey = Get(env, "ANTHROPIC_API_KEY"),
            ClaudeCodeOAuthToken = Get(env, "CLAUDE_CODE_OAUTH_TOKEN"),
            VercelAiGatewayKey = Get(env, "VERCEL_AI_GATEWAY_KEY"),
            UpstreamBaseUrl = Get(env, "ANTHROPIC_BASE_URL") is { } url ? ParseUrl("ANTHROPIC_BASE_URL", url) : null,
            Vmm = Get(env, "NANOCLAW_VMM") ?? "auto",
            VmMemoryMb = PositiveInt(env, "VM_MEMORY_MB", 2048),
            VmCpus = PositiveInt(env, "VM_CPUS", 2),
            Network = Get(env, "NANOCLAW_NETWORK") is { } network
                ? network is "auto" or "tap" or "user" ? network : throw new ConfigException($"NANOCLAW_NETWORK={network} must be auto, tap or user.")
                : "auto",
            Bridge = Get(env, "NANOCLAW_BRIDGE") ?? NanoClaw.Network.TapNetworkSettings.DefaultBridge,
            BridgeCidr = Get(env, "NANOCLAW_BRIDGE_ADDRESS") ?? NanoClaw.Network.TapNetworkSettings.DefaultBridgeCidr,
            GatewayPort = PositiveInt(env, "NANOCLAW_GATEWAY_PORT", NanoClaw.Network.TapNetworkSettings.DefaultGatewayPort),
            ProxyPort = PositiveInt(env, "NANOCLAW_PROXY_PORT", NanoClaw.Network.TapNetworkSettings.DefaultProxyPort),
            EgressConnectPorts = Ports(env, "EGRESS_CONNECT_PORTS", 443),
            AgentTimeout = TimeSpan.FromSeconds(PositiveInt(env, "AGENT_TIMEOUT_SECONDS", 30 * 60)),
            AgentIdleTimeout = TimeSpan.FromSeconds(PositiveInt(env, "AGENT_IDLE_TIMEOUT_SECONDS", 5 * 60)),
            AgentPrepareWait = TimeSpan.FromMinutes(NonNegativeInt(env, "AGENT_PREPARE_MINUTES", 240)),
            VmFreezeAfter = TimeSpan.FromSeconds(NonNegativeInt(env, "VM_FREEZE_SECONDS", 30)),
            WarmPoolSize = NonNegativeInt(env, "WARM_POOL_SIZE", 1),
            VmSpare = Get(env, "VM_SPARE") is { } spare
                ? spare is "on" ? true : spare is "off" ? false : throw new ConfigException($"VM_SPARE={spare} must be on or off.")
                : true,
            WarmPoolIdle = TimeSpan.FromMinutes(PositiveInt(env, "WARM_POOL_IDLE_MINUTES", 240)),
            WarmPoolMinFreeMb = NonNegativeInt(env, "WARM_POOL_MIN_FREE_MB", 1024),
            CacheDir = Get(env, "NANOCLAW_CACHE") ?? Path.Combine(cacheHome, "nanoclaw"),
            UserHome = userHome,
            MountAllowlistPathOverride = Get(env, NanoClaw.ExtraFolders.MountAllowlistFile.EnvironmentVariable) is { } allowlist
                ? NanoClaw.ExtraFolders.MountAllowlistFile.DefaultPath(userHome, allowlist) : null,
        };
    }

    static Dictionary<string, string?> ReadProcessEnvironment()
    {
        var result = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (System.Collections.DictionaryEntry e in Environment.GetEnvironmentVariables())
            result[(string)e.Key] = (string?)e.Value;
        return result;
    }

    /// <summary>KEY=value lines; '#' comments; optional surrounding quotes. No interpolation, on purpose.</summary>
    internal static IEnumerable<(string Key, string Value)> ReadDotEnv(string path)
    {
        if (!File.Exists(path)) yield break;
        foreach (var raw in File.ReadLines(path))
        {
            var line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#')) continue;
            if (line.StartsWith("export ", StringComparison.Ordinal)) line = line[7..].TrimStart();
            var eq = line.IndexOf('=');
            if (eq <= 0) continue;
            var value = line[(eq + 1)..].Trim();
            if (value.Length >= 2 && (value[0] == '"' || value[0] == '\'') && value[^1] == value[0])
                value = value[1..^1];
            yield return (line[..eq].Trim(), value);
        }
    }

    static string? Get(IDictionary<string, string?> env, string key) =>
        env.TryGetValue(key, out var v) && !string.IsNullOrWhiteSpace(v) ? v.Trim() : null;

    static bool IsTrue(string? value) => value is not null && (value == "1" || value.Equals("true", StringComparison.OrdinalIgnoreCase) || value.Equals("yes", StringComparison.OrdinalIgnoreCase));

    static int PositiveInt(IDictionary<string, string?> env, string key, int fallback)
    {
        var raw = Get(env, key);
        if (raw is null) return fallback;
        return int.TryParse(raw, out var n) && n > 0
            ? n
            : throw new ConfigException($"{key}={raw} is not a positive whole number. Fix it in the environment or .env.");
    }

    /// <summary>A comma-separated list of TCP ports, plus <paramref name="always"/>.</summary>
    static HashSet<int> Ports(IDictionary<string, string?> env, string key, int always)
    {
        var ports = new HashSet<int> { always };
        if (Get(env, key) is not { } raw) return ports;
        foreach (var part in raw.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            ports.Add(int.TryParse(part, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n) && n is >= 1 and <= 65535
                ? n
                : throw new ConfigException($"{key}={raw}: \"{part}\" is not a port from 1 to 65535. Give a comma-separated list, e.g. {key}=8443,9443."));
        return ports;
    }

    static int NonNegativeInt(IDictionary<string, string?> env, string key, int fallback)
    {
        var raw = Get(env, key);
        if (raw is null) return fallback;
        return int.TryParse(raw, out var n) && n >= 0
            ? n
            : throw new ConfigException($"{key}={raw} is not a whole number of 0 or more. Fix it in the environment or .env.");
    }

    static Uri ParseUrl(string key, string raw) =>
        Uri.TryCreate(raw, UriKind.Absolute, out var uri) && (uri.Scheme == "http" || uri.Scheme == "https")
            ? uri
            : throw new ConfigException($"{key}={raw} is not an http(s) URL.");

    static TimeZoneInfo FindTimeZone(string id)
    {
        try { return TimeZoneInfo.FindSystemTimeZoneById(id.TrimStart(':')); }
        catch (TimeZoneNotFoundException) { throw new ConfigException($"TZ={id} is not a known time zone (try e.g. Europe/Berlin)."); }
    }
}

/// <summary>A configuration value is wrong; the message says which and how to fix it.</summary>
public sealed class ConfigException(string message) : Exception(message);
