using System.CommandLine;
using Microsoft.Extensions.Logging;
using NanoClaw.Channels;
using NanoClaw.Channels.Telegram;
using NanoClaw.Channels.WhatsApp;
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

            if (!Directory.Exists(config.WhatsAppAuthDir))
                log.LogInformation("WhatsApp is not paired yet ({AuthDir} does not exist): pair it first with `./nanoclaw auth`, then restart.", config.WhatsAppAuthDir);
            if (config.TelegramBotToken is null)
                log.LogInformation("Telegram is not configured (no TELEGRAM_BOT_TOKEN); see `./nanoclaw auth telegram`.");
            if (!Directory.Exists(config.WhatsAppAuthDir) && config.TelegramBotToken is null)
                log.LogWarning("No chat channel is configured yet, so only stored messages are recovered and answered into the outbox. Talk to the assistant with `./nanoclaw chat`.");
            WhatsAppChannel? whatsApp = null;
            TelegramChannel? telegram = null;

            // ct is cancelled by SIGINT or SIGTERM (Program.cs, StopSignals). The assistant owns the channels: they are
            // disposed after the host's last outbox pass.
            await using var assistant = await Assistant.StartAsync(config, repo, db, inbound =>
            {
                whatsApp = Directory.Exists(config.WhatsAppAuthDir)
                    ? new WhatsAppChannel(config, db, BridgeCommandLine.Node(repo, config.WhatsAppAuthDir, config.WhatsAppMediaSpoolDir), logs, inbound)
                    : null;
                telegram = config.TelegramBotToken is not null ? new TelegramChannel(config, db, logs, inbound) : null;
                return [.. new IChannel?[] { whatsApp, telegram }.OfType<IChannel>()];
            }, logs, ct);
            var host = assistant.Host;
            foreach (var group in db.RegisteredGroups()) GroupFolder.Ensure(config, group.Folder, RepoRoot.Templates(repo));
            host.Start();
            whatsApp?.Start();
            telegram?.Start();
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
