using System.Diagnostics;
using NanoClaw.Tests.Support;
using NanoClaw.Vm;

namespace NanoClaw.Tests.Vm;

public class HostDeathWatchTests
{
    [Fact]
    public async Task AWatchedProcessKeepsItsPidAndDiesWhenTheHostsEndOfItsStdinCloses()
    {
        HostDeathWatch.Available.ShouldBeTrue("perl is part of every Debian base system");
        var marker = "0.00" + Random.Shared.Next(100000, 999999);
        var psi = new ProcessStartInfo("sleep") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add("600");
        psi.ArgumentList.Add(marker);
        psi.Environment.Clear();
        psi.Environment["PATH"] = "/usr/bin:/bin";

        using var process = Process.Start(HostDeathWatch.Wrap(psi))!;
        try
        {
            // The shell execs the command: the pid the host holds is the command's own.
            await Support.Eventually.True(() => ProcessTable.Mentioning("sleep 600 " + marker).Contains(process.Id), "the watched command to run under the host's pid");
            await Task.Delay(300);
            process.HasExited.ShouldBeFalse();

            // What the kernel does when the host dies, however it dies: its end of the pipe closes.
            process.StandardInput.Close();
            var gone = Stopwatch.StartNew();
            (await VmProcess.CompletesWithin(process.WaitForExitAsync(), TimeSpan.FromSeconds(5))).ShouldBeTrue("the watcher kills the command once the host's pipe closes");
            gone.Elapsed.ShouldBeLessThan(TimeSpan.FromSeconds(5));
            ProcessTable.Mentioning(marker).ShouldBeEmpty(); // the watcher is gone too
        }
        finally
        {
            if (!process.HasExited) process.Kill(entireProcessTree: true);
        }
    }

    [Fact]
    public async Task AMissingBinaryIsLeftToProcessStartSoItsErrorStaysTheSame()
    {
        var psi = new ProcessStartInfo("no-such-vmm-binary") { RedirectStandardInput = true, UseShellExecute = false };
        HostDeathWatch.Wrap(psi).ShouldBeSameAs(psi);
        await Task.CompletedTask;
    }
}
