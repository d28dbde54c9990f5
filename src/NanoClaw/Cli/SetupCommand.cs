using System.CommandLine;
using System.Diagnostics;
using NanoClaw.MicroVm;

namespace NanoClaw.Cli;

/// <summary><c>./nanoclaw setup</c>: host packages, the VM image (cached by recipe hash), the KVM decision.
/// Idempotent: a second run takes seconds.</summary>
static class SetupCommand
{
    public static Command Create()
    {
        var command = new Command("setup", "Install what the host needs and build the microVM image (cached; idempotent). Needs root the first time.");
        command.SetAction(async (ParseResult _, CancellationToken ct) =>
        {
            var config = Config.Load();
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
}
