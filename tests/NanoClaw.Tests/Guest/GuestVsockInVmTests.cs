using Microsoft.Extensions.Logging.Abstractions;
using NanoClaw.Tests.Support;
using NanoClaw.Tests.Vm.Image;
using NanoClaw.Vm;
using NanoClaw.Vm.Qemu;
using Xunit.Abstractions;

namespace NanoClaw.Tests.Guest;

/// <summary>
/// The guest agent's vsock control channel for real, inside a VM of the real image and kernel. QEMU here has no
/// vsock device (no /dev/vhost-vsock on the host), so the guest talks to itself: the kernel's vsock_loopback
/// transport is loaded in addition, the agent listens on a vsock port, and a small Perl client in the guest
/// (perl-base is in the rootfs) connects to CID 1 the way Firecracker's host side connects to the guest's CID.
/// </summary>
[Collection(VmCollection.Name)]
public sealed class GuestVsockInVmTests(VmTestEnvironment env, ITestOutputHelper output)
{
    const int Port = 5000;

    // connect() retried while the agent starts; then one line (the first frame) is read; then a second connect,
    // which must fail: the agent accepts exactly one connection and closes its listener.
    const string PerlClient = """
        my $addr = pack("SSLLCx3", 40, 0, PORT, 1, 0);
        my ($s, $ok);
        for (1 .. 100) {
            socket($s, 40, 1, 0) or die "socket: $!";
            if (connect($s, $addr)) { $ok = 1; last }
            close $s;
            select(undef, undef, undef, 0.1);
        }
        die "connect: $!" unless $ok;
        my $line = <$s>;
        chomp $line;
        print "ready=$line";
        socket(my $t, 40, 1, 0) or die "socket: $!";
        print connect($t, $addr) ? " second=accepted" : " second=refused";
        """;

    [Fact]
    public async Task TheAgentAcceptsOneHostConnectionOnItsVsockPortAndSaysReady()
    {
        var baseDir = Path.GetDirectoryName(env.Artifacts.Kernel)!;
        var release = (await File.ReadAllTextAsync(Path.Combine(baseDir, "kernel.release"))).Trim();
        var loopback = Path.Combine(baseDir, "modules", release, "kernel", "net", "vmw_vsock", "vsock_loopback.ko");
        File.Exists(loopback).ShouldBeTrue($"the guest kernel has no vsock_loopback module at {loopback}");
        var initrd = await ProbeInitrd.BuildAsync(env.Artifacts.Initrd, env.RepoRoot, Path.Combine(env.Home, "vsock-probe"), $"""
            cat > /tmp/vsock-client.pl <<'PERL'
            {PerlClient.Replace("PORT", Port.ToString())}
            PERL
            /usr/local/bin/nanoclaw-guest --control vsock:{Port} >/dev/null 2>/tmp/vsock-agent.err &
            echo "probe vsock: $(perl /tmp/vsock-client.pl 2>&1)"
            kill $! 2>/dev/null
            echo "probe vsock agent: $(cat /tmp/vsock-agent.err)"
            """,
            async root =>
            {
                // Stage 1 loads modules.load in order; vsock_loopback comes after its dependencies (vsock, the common transport).
                File.Copy(loopback, Path.Combine(root, "lib", "modules", "vsock_loopback.ko"));
                await File.AppendAllTextAsync(Path.Combine(root, "lib", "modules", "modules.load"), "vsock_loopback\n");
            });
        var spec = env.NewSpec() with { Artifacts = env.Artifacts with { Initrd = initrd } };

        var vmm = new QemuVmm(new KvmStatus(false, "tests use TCG"), NullLogger<QemuVmm>.Instance);
        await using (var vm = await vmm.BootAsync(spec, CancellationToken.None))
        {
            // The probe ran before the real agent started on virtio-serial: end the VM the usual way.
            (await new StreamReader(vm.Control).ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(120))).ShouldBe("""{"type":"ready"}""");
            await vm.Control.WriteAsync("{\"type\":\"close\"}\n"u8.ToArray());
            await vm.Control.FlushAsync();
            await vm.Exited.WaitAsync(TimeSpan.FromSeconds(60));
        }

        var console = await File.ReadAllTextAsync(spec.ConsoleLogPath);
        foreach (var line in console.Split('\n').Where(l => l.Contains("probe vsock"))) output.WriteLine(line);
        console.ShouldContain("""probe vsock: ready={"type":"ready"} second=refused""");
    }
}
