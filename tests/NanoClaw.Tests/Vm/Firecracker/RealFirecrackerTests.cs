using System.Diagnostics;
using System.Runtime.Versioning;
using NanoClaw.Tests.Support;
using NanoClaw.Vm.Firecracker;

namespace NanoClaw.Tests.Vm.Firecracker;

/// <summary>
/// The typed client against the real firecracker binary: proves the request bodies match the
/// real schema and that its faults surface. Skipped, with the reason, where it cannot run.
/// </summary>
[SupportedOSPlatform("linux")]
public sealed class RealFirecrackerTests : IAsyncLifetime
{
    readonly TempDirectory temp = new();
    Process? firecracker;

    string Socket => temp["fc.sock"];

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (firecracker is not null)
        {
            firecracker.Kill(entireProcessTree: true);
            await firecracker.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
            firecracker.Dispose();
        }
        temp.Dispose();
    }

    async Task<FirecrackerClient> StartAsync()
    {
        var psi = new ProcessStartInfo(RealFirecrackerFactAttribute.BinaryPath!) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add("--api-sock");
        psi.ArgumentList.Add(Socket);
        firecracker = Process.Start(psi)!;
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (!File.Exists(Socket))
        {
            if (DateTime.UtcNow > deadline || firecracker.HasExited) throw new TimeoutException("firecracker did not create its API socket");
            await Task.Delay(20);
        }
        return new FirecrackerClient(Socket, TimeSpan.FromSeconds(10));
    }

    [RealFirecrackerFact]
    public async Task AcceptsOurPreBootRequestsAndRefusesBadOnesWithAFaultMessage()
    {
        using var client = await StartAsync();
        Directory.CreateDirectory(temp["run"]);

        await client.PutMachineConfigAsync(new MachineConfiguration(1, 128, Smt: false), CancellationToken.None);
        await client.PutDriveAsync(new Drive("rootfs", temp.Write("rootfs.ext4", new string('\0', 4096)), IsRootDevice: false, IsReadOnly: true), CancellationToken.None);
        await client.PutVsockAsync(new Vsock(3, temp["run/v.sock"]), CancellationToken.None);

        var bad = await Should.ThrowAsync<FirecrackerApiException>(
            () => client.PutMachineConfigAsync(new MachineConfiguration(0, 128), CancellationToken.None));
        bad.FaultMessage.ShouldNotBeNullOrWhiteSpace();
        var early = await Should.ThrowAsync<FirecrackerApiException>(
            () => client.PutActionAsync(new InstanceActionInfo(InstanceActionType.InstanceStart), CancellationToken.None));
        early.FaultMessage.ShouldNotBeNullOrWhiteSpace();
    }
}
