using NanoClaw.Guest;
using NanoClaw.MicroVm;

// nanoclaw-guest: the agent inside each microVM. Init starts it as root with the control port; it runs one job
// (docs/guest-protocol.md) and exits, and init then powers the VM off.
var (options, error) = GuestOptions.Parse(args);
if (options is null)
{
    Console.Error.WriteLine(error);
    return 2;
}
using var channel = ControlChannel.Open(options);
var agent = new GuestAgent(options, new GuestFrameReader(channel.Input, GuestAgent.MaxWorkspaceBytes), new GuestFrameWriter(channel.Output));
return await agent.RunAsync(CancellationToken.None);
