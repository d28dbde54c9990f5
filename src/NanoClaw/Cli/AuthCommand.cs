using System.CommandLine;
using Microsoft.Extensions.Logging;
using NanoClaw.Channels.WhatsApp;

namespace NanoClaw.Cli;

/// <summary>
/// <c>./nanoclaw auth</c>: links WhatsApp. Runs the sidecar with <c>store/auth</c> and prints its QR (or, with
/// <c>--phone</c>, a pairing code) until the phone confirms and the sidecar reports <c>connected</c>.
/// <c>./nanoclaw auth --logout</c> unlinks this device and deletes <c>store/auth</c>. Run either while the service
/// is stopped: two sidecars on one account replace each other.
/// </summary>
static class AuthCommand
{
    static readonly TimeSpan PairingTimeout = TimeSpan.FromMinutes(5);
    static readonly TimeSpan LogoutTimeout = TimeSpan.FromMinutes(1);

    public static Command Create()
    {
        var phone = new Option<string?>("--phone") { Description = "Pair by typing a code on the phone instead of scanning a QR: your number, country code first (e.g. +49 151 23456789)." };
        var logout = new Option<bool>("--logout") { Description = "Unlink this device from WhatsApp and delete its credentials (store/auth)." };
        var command = new Command("auth", "Link WhatsApp: shows a QR to scan (or a pairing code with --phone) until the phone confirms; --logout unlinks.")
        {
            phone, logout, TelegramAuthCommand.Create(),
        };
        command.SetAction(async (ParseResult parsed, CancellationToken ct) =>
        {
            using var logs = Logs.Create(LogLevel.Warning);
            var config = Config.Load();
            var commandLine = BridgeCommandLine.Node(RepoRoot.Find(), config.WhatsAppAuthDir);
            if (!parsed.GetValue(logout)) EnsureStoreFolder(config);
            return parsed.GetValue(logout)
                ? await LogoutAsync(commandLine, config.WhatsAppAuthDir, Console.Out, logs, LogoutTimeout, ct)
                : await RunAsync(commandLine, config.WhatsAppAuthDir, parsed.GetValue(phone), Console.Out, logs, PairingTimeout, ct);
        });
        return command;
    }

    /// <summary>
    /// The credentials go in the store folder. The sidecar would retry a folder it cannot make until the pairing timeout,
    /// so one that cannot be made (a file where it belongs, no permission) is said now, before the sidecar starts.
    /// </summary>
    static void EnsureStoreFolder(Config config)
    {
        try { Directory.CreateDirectory(config.StoreDir); }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new Storage.StoreException($"Cannot make the store folder {config.StoreDir} for WhatsApp's credentials ({ex.Message.TrimEnd('.')}): " +
                "check that it is a writable folder, or move what is there aside.", ex);
        }
    }

    /// <summary>Pairs through the sidecar started by <paramref name="commandLine"/>. 0 when connected, 1 otherwise.</summary>
    internal static async Task<int> RunAsync(BridgeCommandLine commandLine, string authDir, string? phone, TextWriter output, ILoggerFactory logs,
        TimeSpan timeout, CancellationToken cancellationToken)
    {
        var outcome = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        var wantsCode = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        void OnEvent(BridgeEvent e)
        {
            switch (e)
            {
                // With --phone the first QR only says "not paired yet, ready": the code is asked for instead.
                case BridgeEvent.Qr when phone is not null:
                    wantsCode.TrySetResult();
                    break;
                case BridgeEvent.Qr q:
                    output.WriteLine("Scan this QR with WhatsApp on your phone (Settings > Linked devices > Link a device). A new one follows every ~20 s.");
                    output.WriteLine(QrText.Render(q.Code));
                    break;
                case BridgeEvent.PairingCode p:
                    output.WriteLine($"On your phone: WhatsApp > Linked devices > Link a device > Link with phone number instead, and enter: {p.Code}");
                    break;
                case BridgeEvent.Connected c:
                    // The sidecar already creates them owner-only (umask 077); made sure here because they are the account's keys.
                    RestrictToOwner(authDir);
                    output.WriteLine($"WhatsApp is linked as {c.Jid}. Its credentials are in {authDir} (readable by you only).");
                    output.WriteLine("Its self-chat (message yourself) can be the main chat:");
                    output.WriteLine($"  ./nanoclaw groups register --jid {c.Jid} --name \"{c.Name ?? "Me"}\" --folder main --main");
                    output.WriteLine("Then start the service with ./nanoclaw run.");
                    outcome.TrySetResult(0);
                    break;
                case BridgeEvent.Closed { WillReconnect: false } c:
                    output.WriteLine("Not linked. " + CloseAdvice.For(c));
                    outcome.TrySetResult(1);
                    break;
                case BridgeEvent.SidecarExited { WillRestart: false }:
                    outcome.TrySetResult(1);
                    break;
            }
        }

        await using var bridge = new WhatsAppBridge(commandLine, OnEvent, logs.CreateLogger<WhatsAppBridge>());
        bridge.Start();
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            if (phone is not null)
            {
                await Task.WhenAny(wantsCode.Task, outcome.Task).WaitAsync(deadline.Token);
                if (!outcome.Task.IsCompleted)
                {
                    var ack = await bridge.SendAsync(new BridgeCommand.Pair(phone), deadline.Token);
                    if (!ack.Ok)
                    {
                        output.WriteLine("WhatsApp did not give a pairing code: " + ack.Error);
                        return 1;
                    }
                }
            }
            return await outcome.Task.WaitAsync(deadline.Token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            output.WriteLine($"Not linked within {timeout}. Run ./nanoclaw auth again.");
            return 1;
        }
    }

    /// <summary>
    /// Unlinks: connects with the stored credentials, sends <c>logout</c> (the phone's Linked devices list drops this
    /// device), waits for the sidecar to confirm and exit, then deletes <paramref name="authDir"/>. 0 when unlinked.
    /// </summary>
    internal static async Task<int> LogoutAsync(BridgeCommandLine commandLine, string authDir, TextWriter output, ILoggerFactory logs,
        TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (!Directory.Exists(authDir))
        {
            output.WriteLine($"WhatsApp is not linked ({authDir} does not exist); nothing to unlink.");
            return 0;
        }
        var ready = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var loggedOut = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        string? failure = null;
        void OnEvent(BridgeEvent e)
        {
            switch (e)
            {
                case BridgeEvent.Connected:
                    ready.TrySetResult("connected");
                    break;
                // A QR means the credentials no longer work: the phone already dropped this device.
                case BridgeEvent.Qr or BridgeEvent.PairingCode:
                    ready.TrySetResult("unlinked");
                    break;
                case BridgeEvent.Closed { Reason: "logged_out" }:
                    ready.TrySetResult("unlinked");
                    loggedOut.TrySetResult();
                    break;
                case BridgeEvent.Closed { WillReconnect: false } c:
                    failure = CloseAdvice.For(c);
                    ready.TrySetResult("failed");
                    loggedOut.TrySetResult();
                    break;
                case BridgeEvent.SidecarExited { WillRestart: false }:
                    ready.TrySetResult("failed");
                    loggedOut.TrySetResult();
                    break;
            }
        }

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            await using (var bridge = new WhatsAppBridge(commandLine, OnEvent, logs.CreateLogger<WhatsAppBridge>()))
            {
                bridge.Start();
                var state = await ready.Task.WaitAsync(deadline.Token);
                if (state == "failed")
                {
                    output.WriteLine("Not unlinked; nothing was deleted. " + (failure ?? "The WhatsApp sidecar stopped; see the log above."));
                    return 1;
                }
                if (state == "connected")
                {
                    try
                    {
                        var ack = await bridge.SendAsync(new BridgeCommand.Logout(), deadline.Token);
                        if (!ack.Ok)
                        {
                            output.WriteLine("WhatsApp refused to unlink this device: " + ack.Error + ". Nothing was deleted; try again.");
                            return 1;
                        }
                    }
                    catch (IOException) when (loggedOut.Task.IsCompleted) { } // exited right after logging out, before its ack
                    await loggedOut.Task.WaitAsync(deadline.Token);
                    if (failure is not null)
                    {
                        output.WriteLine("Not unlinked; nothing was deleted. " + failure);
                        return 1;
                    }
                }
            } // the sidecar has exited: nothing writes into the folder any more
            Directory.Delete(authDir, recursive: true);
            output.WriteLine($"WhatsApp is unlinked: this device is gone from the phone's Linked devices and {authDir} is deleted.");
            output.WriteLine("Link again with ./nanoclaw auth.");
            return 0;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            output.WriteLine($"Could not reach WhatsApp within {timeout}; nothing was deleted. Check the network and try again. "
                + $"If the phone no longer lists this device, deleting {authDir} by hand is enough.");
            return 1;
        }
    }

    /// <summary>The auth folder 0700 and every file in it 0600: it holds the keys of the linked device.</summary>
    static void RestrictToOwner(string authDir)
    {
        if (OperatingSystem.IsWindows() || !Directory.Exists(authDir)) return;
        File.SetUnixFileMode(authDir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        foreach (var file in Directory.EnumerateFiles(authDir, "*", SearchOption.AllDirectories))
            File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        foreach (var dir in Directory.EnumerateDirectories(authDir, "*", SearchOption.AllDirectories))
            File.SetUnixFileMode(dir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }
}
