using NanoClaw.Guest;

// nanoclaw-guest: the agent inside each microVM. Init starts it as root with the control port; it runs one job
// (docs/guest-protocol.md) and exits, and init then powers the VM off. With --gateway-streams it is instead the
// long-lived carrier of the guest's gateway connections (GatewayListener).
if (args.Length > 0 && args[0] == GatewayListener.Option)
    return await GatewayListener.RunAsync(args);
var (options, error) = GuestOptions.Parse(args);
if (options is null)
{
    Console.Error.WriteLine(error);
    return 2;
}
using var channel = ControlChannel.Open(options);
var agent = new GuestAgent(options, new GuestFrameReader(channel.Input, GuestAgent.MaxWorkspaceBytes), new GuestFrameWriter(channel.Output));
return await agent.RunAsync(CancellationToken.None);
