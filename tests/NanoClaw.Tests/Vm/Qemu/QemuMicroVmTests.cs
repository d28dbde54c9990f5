using System.Diagnostics;
using Microsoft.Extensions.Logging.Abstractions;
using NanoClaw.Tests.Support;
using NanoClaw.Vm;
using NanoClaw.Vm.Qemu;
using Xunit.Abstractions;

namespace NanoClaw.Tests.Vm.Qemu;

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
            output.WriteLine($"boot to ready: {clock.Elapsed.TotalSeconds:F2} s, qemu RSS {StatusNumber(pid, "VmRSS")} kB");

            first.ShouldBe("""{"type":"ready"}""");
            // QEMU gets no host environment: no credential can reach it.
            File.ReadAllText($"/proc/{pid}/environ").Split('\0', StringSplitOptions.RemoveEmptyEntries)
                .Select(v => v.Split('=')[0]).ShouldBe(["PATH"]);
            // A root host runs the emulator as nobody once it is set up.
            if (Environment.IsPrivilegedProcess) StatusNumber(pid, "Uid").ShouldBe(65534);
            // A close before any job is a protocol error for the agent: it answers done{error} and exits, and
            // stage 2 powers the VM off.
            await vm.Control.WriteAsync("{\"type\":\"close\"}\n"u8.ToArray());
            await vm.Control.FlushAsync();
            await vm.Exited.WaitAsync(BootBound);
            output.WriteLine($"boot to exit: {clock.Elapsed.TotalSeconds:F2} s");
        }

        Directory.Exists(spec.RunDir).ShouldBeFalse();
        ProcessTable.Mentioning(spec.RunDir).ShouldBeEmpty();
        File.ReadAllText(spec.ConsoleLogPath).ShouldContain("nanoclaw-init: guest agent exited with status");
    }

    [Fact]
    public async Task AGuestWhoseInitFailsPowersOffAndSaysWhyOnTheConsole()
    {
        // A "rootfs" that is not a filesystem: stage 1 cannot mount it.
        var notAFilesystem = Path.Combine(env.Home, "zeros.img");
        File.WriteAllBytes(notAFilesystem, new byte[1 << 20]);
        var spec = env.NewSpec() with { Artifacts = env.Artifacts with { Rootfs = notAFilesystem } };

        await using (var vm = await vmm.BootAsync(spec, CancellationToken.None))
            await vm.Exited.WaitAsync(BootBound);

        File.ReadAllText(spec.ConsoleLogPath).ShouldContain("nanoclaw-init: FATAL: cannot mount the rootfs /dev/vda read-only");
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
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
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
    public async Task AMissingImageFileIsReportedBeforeAnythingStarts()
    {
        var spec = env.NewSpec() with { Artifacts = env.Artifacts with { Kernel = "/nonexistent/vmlinuz" } };

        var error = await Should.ThrowAsync<VmBootException>(() => vmm.BootAsync(spec, CancellationToken.None));

        error.Message.ShouldContain("/nonexistent/vmlinuz");
        error.Message.ShouldContain("nanoclaw setup");
        Directory.Exists(spec.RunDir).ShouldBeFalse();
    }

    [Fact]
    public async Task AQemuErrorReachesTheCallerAndLeavesNothing()
    {
        var spec = env.NewSpec(memoryMb: int.MaxValue);

        // QEMU may fail before or after its control socket is up: a boot error or an exit, both with its words.
        VmExit exit;
        try
        {
            await using var vm = await vmm.BootAsync(spec, CancellationToken.None);
            exit = await vm.Exited.WaitAsync(BootBound);
        }
        catch (VmBootException e)
        {
            exit = new VmExit(1, e.Message);
        }

        exit.ExitCode.ShouldNotBe(0);
        exit.Detail.ShouldContain("qemu-system-x86_64:");
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

    static long StatusNumber(int pid, string field) =>
        File.ReadAllLines($"/proc/{pid}/status").Where(l => l.StartsWith(field + ":", StringComparison.Ordinal))
            .Select(l => long.Parse(l.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries)[1])).FirstOrDefault();
}
