using System.CommandLine;
using Microsoft.Extensions.Logging;
using NanoClaw.Channels.WhatsApp;

namespace NanoClaw.Cli;

/// <summary>
/// <c>./nanoclaw auth</c>: links WhatsApp. Runs the sidecar with <c>store/auth</c> and prints its QR text (or, with
/// <c>--phone</c>, a pairing code) until the phone confirms and the sidecar reports <c>connected</c>. Run it while
/// the service is stopped: two sidecars on one account replace each other.
/// </summary>
static class AuthCommand
{
    static readonly TimeSpan PairingTimeout = TimeSpan.FromMinutes(5);

    public static Command Create()
    {
        var phone = new Option<string?>("--phone") { Description = "Pair by typing a code on the phone instead of scanning a QR: your number, country code first (e.g. +49 151 23456789)." };
        var command = new Command("auth", "Link WhatsApp: shows a QR to scan (or a pairing code with --phone) until the phone confirms.") { phone };
        command.SetAction(async (ParseResult parsed, CancellationToken ct) =>
        {
            using var logs = Logs.Create(LogLevel.Warning);
            var config = Config.Load();
            var commandLine = BridgeCommandLine.Node(RepoRoot.Find(), config.WhatsAppAuthDir);
            return await RunAsync(commandLine, parsed.GetValue(phone), Console.Out, logs, PairingTimeout, ct);
        });
        return command;
    }

    /// <summary>Pairs through the sidecar started by <paramref name="commandLine"/>. 0 when connected, 1 otherwise.</summary>
    internal static async Task<int> RunAsync(BridgeCommandLine commandLine, string? phone, TextWriter output, ILoggerFactory logs,
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
                    output.WriteLine("Scan this QR with WhatsApp on your phone (Settings > Linked devices > Link a device).");
                    output.WriteLine("It is printed as text; render it with a QR tool, e.g. qrencode -t ansiutf8 '<text>'. A new one follows every ~20 s.");
                    output.WriteLine(q.Code);
                    break;
                case BridgeEvent.PairingCode p:
                    output.WriteLine($"On your phone: WhatsApp > Linked devices > Link a device > Link with phone number instead, and enter: {p.Code}");
                    break;
                case BridgeEvent.Connected c:
                    output.WriteLine($"WhatsApp is linked as {c.Jid}. Its self-chat (message yourself) can be the main chat:");
                    output.WriteLine($"  ./nanoclaw groups register --jid {c.Jid} --name \"{c.Name ?? "Me"}\" --folder main --main");
                    output.WriteLine("Then start the service with ./nanoclaw run.");
                    outcome.TrySetResult(0);
                    break;
                case BridgeEvent.Closed { WillReconnect: false } c:
                    output.WriteLine($"WhatsApp closed the connection ({c.Reason}{(c.Detail is null ? "" : ": " + c.Detail)}); not linked. Run ./nanoclaw auth again.");
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
}
