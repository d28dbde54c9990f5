using System.CommandLine;
using Microsoft.Extensions.Logging;
using NanoClaw.Channels;
using NanoClaw.Conversations;
using NanoClaw.Gateway.Credentials;
using NanoClaw.Runs;
using NanoClaw.Storage;

namespace NanoClaw.Cli;

/// <summary><c>./nanoclaw chat</c>: the terminal is the main chat.</summary>
static class ChatCommand
{
    public static Command Create()
    {
        var command = new Command("chat", "Talk to the assistant from this terminal (it is the main chat; no trigger needed). One message per line; reads until end of input.");
        command.SetAction(async (ParseResult _, CancellationToken ct) =>
        {
            var interactive = !Console.IsInputRedirected;
            using var logs = Logs.Create(interactive ? LogLevel.Warning : LogLevel.Information);
            var config = Config.Load();
            if (interactive) Console.Error.WriteLine($"Talking to {config.AssistantName} as the main chat. One message per line; Ctrl-D to finish.");
            var repo = RepoRoot.Find();
            // A missing credential is said before the store is touched (the main chat registered).
            UpstreamCredential.FromConfig(config);
            var time = TimeProvider.System;
            var (db, main) = OpenMainChat(config, RepoRoot.Templates(repo), time);
            TerminalChannel? terminal = null;
            await using var assistant = await Assistant.StartAsync(config, repo, db,
                inbound => [terminal = Terminal(config, main, Console.Out, interactive, time, inbound)], logs, ct, time);
            return await TalkAsync(config, assistant.Host, terminal!, main, Console.In, ct);
        });
        return command;
    }

    /// <summary>A chat session with <paramref name="runner"/> (no VMs, no agent tools): the same host as <see cref="Create"/>'s
    /// around a given runner. Exit code 0, or 1 when a run failed (the error is on stderr).</summary>
    public static async Task<int> RunAsync(Config config, TextReader input, TextWriter output, bool interactive, IAgentRunner runner,
        string? templatesDir, TimeProvider time, ILoggerFactory logs, CancellationToken cancellationToken)
    {
        var (db, main) = OpenMainChat(config, templatesDir, time);
        TerminalChannel? terminal = null;
        using var transcriber = Media.Transcription.FromConfig(config);
        await using var host = new AssistantHost(config, db, inbound => [terminal = Terminal(config, main, output, interactive, time, inbound)],
            runner, time, logs, transcriber);
        return await TalkAsync(config, host, terminal!, main, input, cancellationToken);
    }

    static (Database Db, RegisteredGroup Main) OpenMainChat(Config config, string? templatesDir, TimeProvider time)
    {
        var db = Database.Open(config.DatabasePath);
        var main = EnsureMainGroup(db, config, time);
        GroupFolder.Ensure(config, main.Folder, templatesDir);
        return (db, main);
    }

    static TerminalChannel Terminal(Config config, RegisteredGroup main, TextWriter output, bool interactive, TimeProvider time, ChannelInbound inbound) =>
        new(main.Jid, output, interactive, config.AssistantName, time, Path.Combine(config.DataDir, "terminal-files"), inbound);

    /// <summary>Runs the session until end of input and until every run it started has finished.</summary>
    static async Task<int> TalkAsync(Config config, AssistantHost host, TerminalChannel terminal, RegisteredGroup main, TextReader input,
        CancellationToken cancellationToken)
    {
        host.Start();
        try
        {
            await terminal.ReadInputAsync(input, cancellationToken, main.Folder);
            // End of input: no follow-ups can come, so idle conversations close now instead of after the idle timeout.
            host.Loop.ScanNewMessages();
            host.Queue.BeginDrain();
            await host.Queue.WhenQuietAsync().WaitAsync(cancellationToken);
            await host.Outbox.DeliverDueAsync(cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            Console.Error.WriteLine("Interrupted: stopping runs (their VMs are destroyed).");
            await host.StopAsync(TimeSpan.FromSeconds(5));
            return 130;
        }
        await host.StopAsync(TimeSpan.FromSeconds(10));
        if (host.Queue.FailedRuns > 0)
        {
            Console.Error.WriteLine($"{host.Queue.FailedRuns} run(s) failed without a reply: the run logs in {Path.Combine(config.GroupDir(main.Folder), "logs")} say why.");
            return 1;
        }
        return 0;
    }

    /// <summary>The main chat: the registered one if there is one, else the terminal is registered as main.</summary>
    internal static RegisteredGroup EnsureMainGroup(Database db, Config config, TimeProvider time)
    {
        if (db.RegisteredGroups().FirstOrDefault(g => g.IsMain) is { } main) return main;
        var terminalMain = new RegisteredGroup("terminal:main", "Main (terminal)", GroupFolder.Main,
            Trigger.DefaultPattern(config.AssistantName), time.GetUtcNow(), RequiresTrigger: false, IsMain: true);
        return db.RegisterGroup(terminalMain) switch
        {
            RegisterResult.Registered r => r.Group,
            RegisterResult.Refused refused => throw new InvalidOperationException("Cannot register the terminal as the main chat: " + refused.Reason),
            _ => throw new InvalidOperationException(),
        };
    }
}
