using System.CommandLine;
using Microsoft.Extensions.Logging;
using NanoClaw.Channels;
using NanoClaw.Channels.Telegram;
using NanoClaw.Channels.WhatsApp;
using NanoClaw.Gateway;
using NanoClaw.Gateway.Tools;
using NanoClaw.Runs;
using NanoClaw.Storage;

namespace NanoClaw.Cli;

/// <summary><c>./nanoclaw run</c>: the service. Every configured channel, the message loop, the outbox, until
/// SIGINT/SIGTERM; then runs get a grace period and their VMs are destroyed.</summary>
static class RunCommand
{
    static readonly TimeSpan ShutdownGrace = TimeSpan.FromSeconds(30);

    public static Command Create()
    {
        var command = new Command("run", "Run the assistant as a service with all configured channels (stop with Ctrl-C or SIGTERM).");
        command.SetAction(async (ParseResult _, CancellationToken ct) =>
        {
            using var logs = Logs.Create(LogLevel.Information);
            var log = logs.CreateLogger("NanoClaw.Run");
            var config = Config.Load();
            var repo = RepoRoot.Find();
            var db = Database.Open(config.DatabasePath);

            // Owned here and declared before the host, so it is disposed after the host's last outbox pass.
            await using var whatsApp = Directory.Exists(config.WhatsAppAuthDir)
                ? new WhatsAppChannel(config, db, BridgeCommandLine.Node(repo, config.WhatsAppAuthDir, config.WhatsAppMediaSpoolDir), logs)
                : null;
            if (whatsApp is null)
                log.LogInformation("WhatsApp is not paired yet ({AuthDir} does not exist): pair it first with `./nanoclaw auth`, then restart.", config.WhatsAppAuthDir);
            await using var telegram = config.TelegramBotToken is not null ? new TelegramChannel(config, db, logs) : null;
            if (telegram is null)
                log.LogInformation("Telegram is not configured (no TELEGRAM_BOT_TOKEN); see `./nanoclaw auth telegram`.");
            IReadOnlyList<IChannel> channels = [.. new IChannel?[] { whatsApp, telegram }.OfType<IChannel>()];
            if (channels.Count == 0)
                log.LogWarning("No chat channel is configured yet, so only stored messages are recovered and answered into the outbox. Talk to the assistant with `./nanoclaw chat`.");

            // ct is cancelled by SIGINT or SIGTERM (Program.cs, StopSignals).
            await using var runtime = await MicroVmRuntime.StartAsync(config, repo, logs, ct);
            using var transcriber = Media.Transcription.FromConfig(config);
            await using var host = new AssistantHost(config, db, channels, runtime.Runner, TimeProvider.System, logs, runtime.Gateway.Usage?.Budgets, transcriber);
            runtime.Gateway.AttachTools(new AgentTools(db, host.Tasks, host.Outbox, config, RepoRoot.Templates(repo), TimeProvider.System, logs.CreateLogger<AgentTools>(), host.Files));
            foreach (var group in db.RegisteredGroups()) GroupFolder.Ensure(config, group.Folder, RepoRoot.Templates(repo));
            host.Start();
            whatsApp?.Start(host.Loop, host.Outbox, host.Media);
            telegram?.Start(host.Loop, host.Outbox);
            log.LogInformation("NanoClaw is running ({Groups} registered groups). Ctrl-C to stop.", db.RegisteredGroups().Count);
            try { await Task.Delay(Timeout.Infinite, ct); }
            catch (OperationCanceledException) { }
            log.LogInformation("Stopping: runs get {Grace} to finish, then their VMs are destroyed.", ShutdownGrace);
            await host.StopAsync(ShutdownGrace);
            return 0;
        });
        return command;
    }
}
