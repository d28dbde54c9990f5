using System.CommandLine;
using System.Diagnostics;
using NanoClaw.Network;
using NanoClaw.Vm;
using NanoClaw.Vm.Image;

namespace NanoClaw.Cli;

/// <summary><c>./nanoclaw setup</c>: host packages, the VM image (cached by recipe hash), the KVM decision.
/// Idempotent: a second run takes seconds. <c>--network</c> does the host network for TAP-mode VMs instead
/// (<see cref="TapNetworkSetup"/>), <c>--network --remove</c> undoes it.</summary>
static class SetupCommand
{
    public static Command Create()
    {
        var network = new Option<bool>("--network") { Description = "Set up the host network for TAP-mode VMs instead: bridge, TAP pool, firewall (root; see docs/network.md)." };
        var remove = new Option<bool>("--remove") { Description = "With --network: remove the bridge, the TAPs and the firewall tables again." };
        var taps = new Option<int>("--taps") { Description = "With --network: how many TAP devices, i.e. VMs at once (default 8).", DefaultValueFactory = _ => 8 };
        var user = new Option<string?>("--user") { Description = "With --network: the user the service runs as, who owns the TAPs (default: SUDO_USER, else you)." };
        var command = new Command("setup", "Install what the host needs and build the microVM image (cached; idempotent). Needs root the first time.")
        {
            network, remove, taps, user,
        };
        command.SetAction(async (ParseResult parse, CancellationToken ct) =>
        {
            var config = Config.Load();
            if (parse.GetValue(network))
                return await NetworkAsync(config, parse.GetValue(remove), parse.GetValue(taps), parse.GetValue(user), ct);
            if (parse.GetValue(remove)) { Console.Error.WriteLine("--remove goes with --network."); return 2; }
            var repo = RepoRoot.Find();
            var clock = Stopwatch.StartNew();

            Console.Error.WriteLine("[1/4] host packages (qemu, socat, debootstrap, ...)");
            var packages = Process.Start(new ProcessStartInfo(Path.Combine(repo, "vm", "host-packages.sh")) { UseShellExecute = false })!;
            await packages.WaitForExitAsync(ct);
            if (packages.ExitCode != 0) { Console.Error.WriteLine("setup stopped: host packages are missing (see above)."); return 1; }

            Console.Error.WriteLine("[2/4] microVM image (first time: a few minutes; then cached)");
            VmArtifacts artifacts;
            try
            {
                artifacts = await new VmImage(config, repo).EnsureAsync(new LineProgress(Console.Error, "      "), ct);
            }
            catch (VmImageException ex)
            {
                Console.Error.WriteLine("setup stopped: " + ex.Message);
                return 1;
            }
            Console.Error.WriteLine($"      kernel {artifacts.Kernel}\n      rootfs {artifacts.Rootfs}\n      initrd {artifacts.Initrd}");

            Console.Error.WriteLine("[3/4] virtualization");
            var kvm = await new KvmProbe(config).ProbeAsync(artifacts, ct);
            Console.Error.WriteLine("      " + kvm.Reason);

            Console.Error.WriteLine("[4/4] Firecracker (optional: QEMU runs VMs without it)");
            foreach (var line in await FirecrackerSetup.RunAsync(config, repo, ct)) Console.Error.WriteLine("      " + line);

            Console.Error.WriteLine($"setup done in {clock.Elapsed.TotalSeconds:F0} s. Next: put a credential in .env (see `./nanoclaw doctor`), then `./nanoclaw chat`.");
            return 0;
        });
        return command;
    }

    static async Task<int> NetworkAsync(Config config, bool remove, int taps, string? user, CancellationToken ct)
    {
        if (!Environment.IsPrivilegedProcess)
        {
            Console.Error.WriteLine("setup --network changes the host's network and firewall: run it with sudo.");
            return 1;
        }
        var settings = TapNetworkSettings.FromConfig(config);
        var setup = new TapNetworkSetup(settings, Console.Error);
        try
        {
            if (remove)
            {
                await setup.RemoveAsync(ct);
                Console.Error.WriteLine($"network removed: bridge {settings.Bridge}, its TAPs and the nftables tables {settings.Bridge} are gone. VMs have no NIC again and reach only the gateway (the gateway streams).");
                return 0;
            }
            var owner = user ?? Environment.GetEnvironmentVariable("SUDO_USER") ?? Environment.UserName;
            await setup.ApplyAsync(taps, owner, ct);
            Console.Error.WriteLine($"network ready: VMs get {settings.GuestAddress(0)} and up on {settings.Bridge} and reach only the gateway at " +
                $"{settings.BridgeAddress}:{settings.GatewayPort} (API, MCP) and :{settings.ProxyPort} (egress proxy). It lasts until reboot: run this again after one.");
            return 0;
        }
        catch (NetworkSetupException ex)
        {
            Console.Error.WriteLine("setup --network stopped: " + ex.Message);
            return 1;
        }
    }
}
