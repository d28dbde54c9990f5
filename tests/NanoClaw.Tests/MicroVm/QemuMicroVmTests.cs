using System.Diagnostics;
using Microsoft.Extensions.Logging.Abstractions;
using NanoClaw.MicroVm;
using Xunit.Abstractions;

namespace NanoClaw.Tests.MicroVm;

/// <summary>Real VMs under QEMU (TCG here): no mocks. Each boot takes a few seconds.</summary>
[Collection(VmCollection.Name)]
public sealed class QemuMicroVmTests(VmTestEnvironment env, ITestOutputHelper output)
{
    readonly QemuVmm vmm = new(new KvmStatus(false, "tests use TCG"), NullLogger<QemuVmm>.Instance);
    static readonly TimeSpan BootBound = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task AGuestSaysReadyOnTheControlChannelThenExitsAndDisposeLeavesNothing()
    {
        var spec = env.NewSpec();
        var clock = Stopwatch.StartNew();
        int pid;
        await using (var vm = await vmm.BootAsync(spec, CancellationToken.None))
        {
            pid = ((QemuMicroVm)vm).Pid;
            using var cts = new CancellationTokenSource(BootBound);
            using var reader = new StreamReader(vm.Control);
            var first = await reader.ReadLineAsync(cts.Token);
            output.WriteLine($"boot to ready: {clock.Elapsed.TotalSeconds:F2} s, qemu RSS {RssKb(pid)} kB");

            first.ShouldBe("""{"type":"ready"}""");
            // The placeholder agent exits after "ready"; stage 2 then powers the VM off.
            await vm.Exited.WaitAsync(BootBound);
            output.WriteLine($"boot to exit: {clock.Elapsed.TotalSeconds:F2} s");
        }

        Directory.Exists(spec.RunDir).ShouldBeFalse();
        ProcessTable.Mentioning(spec.RunDir).ShouldBeEmpty();
        File.ReadAllText(spec.ConsoleLogPath).ShouldContain("nanoclaw-init: guest agent exited with status 0");
    }

    [Fact]
    public async Task DisposingAVmThatIsStillRunningKillsItWithinABound()
    {
        var spec = env.NewSpec();
        var vm = await vmm.BootAsync(spec, CancellationToken.None);
        vm.Exited.IsCompleted.ShouldBeFalse();

        var clock = Stopwatch.StartNew();
        await vm.DisposeAsync();

        clock.Elapsed.ShouldBeLessThan(TimeSpan.FromSeconds(10));
        vm.Exited.IsCompleted.ShouldBeTrue();
        Directory.Exists(spec.RunDir).ShouldBeFalse();
        ProcessTable.Mentioning(spec.RunDir).ShouldBeEmpty();
    }

    [Fact]
    public async Task OrphanCleanupKillsAQemuLeftByACrashedHostAndRemovesItsFolder()
    {
        // A "crashed host": qemu started with our command line, its pid file written, nobody owning it.
        var spec = env.NewSpec();
        Directory.CreateDirectory(spec.RunDir);
        var psi = new ProcessStartInfo(QemuCommandLine.Binary)
        {
            RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true,
        };
        foreach (var a in QemuCommandLine.Build(spec, kvm: false, tscKhz: 2_000_000)) psi.ArgumentList.Add(a);
        psi.ArgumentList.Add("-S"); // paused: it only has to exist
        using var orphan = Process.Start(psi)!;
        File.WriteAllText(Path.Combine(spec.RunDir, QemuMicroVm.PidFileName), orphan.Id.ToString());
        await WaitUntil(() => File.Exists(QemuCommandLine.ControlSocketPath(spec)));

        var killed = await QemuVmm.CleanOrphansAsync(env.VmsDir, NullLogger.Instance);

        killed.ShouldBe(1);
        orphan.WaitForExit(5000).ShouldBeTrue();
        Directory.Exists(spec.RunDir).ShouldBeFalse();
    }

    [Fact]
    public async Task OrphanCleanupLeavesAProcessAloneWhenThePidIsNotOurQemu()
    {
        var spec = env.NewSpec();
        Directory.CreateDirectory(spec.RunDir);
        using var stranger = Process.Start(new ProcessStartInfo("sleep", "60") { RedirectStandardInput = true })!;
        File.WriteAllText(Path.Combine(spec.RunDir, QemuMicroVm.PidFileName), stranger.Id.ToString());
        try
        {
            var killed = await QemuVmm.CleanOrphansAsync(env.VmsDir, NullLogger.Instance);

            killed.ShouldBe(0);
            stranger.HasExited.ShouldBeFalse();
            Directory.Exists(spec.RunDir).ShouldBeFalse();
        }
        finally
        {
            stranger.Kill();
        }
    }

    [Fact]
    public async Task ABootFailureSaysWhatQemuSaidAndLeavesNothing()
    {
        var spec = env.NewSpec() with { Artifacts = env.Artifacts with { Kernel = "/nonexistent/vmlinuz" } };

        var error = await Should.ThrowAsync<VmBootException>(() => vmm.BootAsync(spec, CancellationToken.None));

        error.Message.ShouldContain("/nonexistent/vmlinuz");
        Directory.Exists(spec.RunDir).ShouldBeFalse();
        ProcessTable.Mentioning(spec.RunDir).ShouldBeEmpty();
    }

    static async Task WaitUntil(Func<bool> condition)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > TimeSpan.FromSeconds(10)) throw new TimeoutException("condition not met within 10 s");
            await Task.Delay(20);
        }
    }

    static long RssKb(int pid) =>
        File.ReadAllLines($"/proc/{pid}/status").Where(l => l.StartsWith("VmRSS:", StringComparison.Ordinal))
            .Select(l => long.Parse(l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1])).FirstOrDefault();
}
