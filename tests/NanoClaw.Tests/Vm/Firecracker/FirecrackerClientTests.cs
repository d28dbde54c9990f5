using System.Net;
using System.Net.Sockets;
using System.Runtime.Versioning;
using System.Text;
using NanoClaw.Tests.Support;
using NanoClaw.Vm;
using NanoClaw.Vm.Firecracker;
using NanoClaw.Vm.Image;

namespace NanoClaw.Tests.Vm.Firecracker;

/// <summary>The typed API client against <see cref="FakeFirecrackerApi"/> (the real binary needs KVM).</summary>
[SupportedOSPlatform("linux")]
public sealed class FirecrackerClientTests : IAsyncLifetime
{
    readonly TempDirectory temp = new();
    FakeFirecrackerApi fake = null!;
    FirecrackerClient client = null!;

    string Socket => temp["api.sock"];

    public async Task InitializeAsync()
    {
        fake = await FakeFirecrackerApi.StartAsync(Socket);
        client = new FirecrackerClient(Socket, TimeSpan.FromSeconds(10));
    }

    public async Task DisposeAsync()
    {
        client.Dispose();
        await fake.DisposeAsync();
        temp.Dispose();
    }

    VmSpec Spec() => new("r1", new VmArtifacts("/img/vmlinuz", "/img/initrd.img", "/img/rootfs.ext4", "h", Vmlinux: "/img/vmlinux"),
        MemoryMb: 512, Cpus: 2, GatewayPort: 9, RunDir: temp["run"], ConsoleLogPath: temp["console.log"]);

    [Fact]
    public async Task TheBootSequenceConfiguresEverythingThenStarts()
    {
        Directory.CreateDirectory(temp["run"]);
        await FirecrackerBootSequence.ConfigureAndStartAsync(client, Spec(), Paths(Spec()), CancellationToken.None);

        fake.Accepted.Select(a => a.Split(' ')[1]).ShouldBe(["/boot-source", "/drives/rootfs", "/machine-config", "/vsock", "/actions"]);
        fake.Resources["boot-source"].GetProperty("kernel_image_path").GetString().ShouldBe("/img/vmlinux");
        fake.Resources["boot-source"].GetProperty("initrd_path").GetString().ShouldBe("/img/initrd.img");
        fake.Resources["drives/rootfs"].GetProperty("path_on_host").GetString().ShouldBe("/img/rootfs.ext4");
        fake.Resources["drives/rootfs"].GetProperty("is_read_only").GetBoolean().ShouldBeTrue();
        fake.Resources["machine-config"].GetProperty("vcpu_count").GetInt32().ShouldBe(2);
        fake.Resources["machine-config"].GetProperty("mem_size_mib").GetInt32().ShouldBe(512);
        fake.Resources["vsock"].GetProperty("uds_path").GetString().ShouldBe(Path.Combine(temp["run"], "v.sock"));
        fake.Resources["actions"].GetProperty("action_type").GetString().ShouldBe("InstanceStart");
    }

    FirecrackerPaths Paths(VmSpec spec) => FirecrackerPaths.Direct(spec.RunDir, "/img/vmlinux", spec.Artifacts, []);

    [Fact]
    public async Task ExtraDisksAreDrivesReadOnlyUnlessWritableBeforeStart()
    {
        Directory.CreateDirectory(temp["run"]);
        var spec = Spec() with { ExtraDisks = [new VmDisk("/c/a.ext4"), new VmDisk("/c/b.ext4", Writable: true)] };
        var paths = FirecrackerPaths.Direct(spec.RunDir, "/img/vmlinux", spec.Artifacts, ["/run/extra0.ext4", "/run/extra1.ext4"]);

        await FirecrackerBootSequence.ConfigureAndStartAsync(client, spec, paths, CancellationToken.None);

        fake.Accepted.Select(a => a.Split(' ')[1]).ShouldBe(["/boot-source", "/drives/rootfs", "/drives/extra0", "/drives/extra1", "/machine-config", "/vsock", "/actions"]);
        fake.Resources["drives/extra0"].GetProperty("path_on_host").GetString().ShouldBe("/run/extra0.ext4");
        fake.Resources["drives/extra0"].GetProperty("is_read_only").GetBoolean().ShouldBeTrue();
        fake.Resources["drives/extra1"].GetProperty("is_read_only").GetBoolean().ShouldBeFalse();
        fake.Resources["drives/extra1"].GetProperty("is_root_device").GetBoolean().ShouldBeFalse();
    }

    [Fact]
    public async Task AVmWithATapDeviceGetsItsNetworkInterfaceBeforeStart()
    {
        Directory.CreateDirectory(temp["run"]);
        var spec = Spec() with { Tap = new VmTap("nctap3", "06:00:ac:1d:00:0a", "172.29.0.10/24", "172.29.0.1") };

        await FirecrackerBootSequence.ConfigureAndStartAsync(client, spec, Paths(spec), CancellationToken.None);

        fake.Accepted.Select(a => a.Split(' ')[1]).ShouldBe(["/boot-source", "/drives/rootfs", "/machine-config", "/network-interfaces/eth0", "/vsock", "/actions"]);
        fake.Resources["network-interfaces/eth0"].GetProperty("iface_id").GetString().ShouldBe("eth0");
        fake.Resources["network-interfaces/eth0"].GetProperty("host_dev_name").GetString().ShouldBe("nctap3");
        fake.Resources["network-interfaces/eth0"].GetProperty("guest_mac").GetString().ShouldBe("06:00:ac:1d:00:0a");
        // Stage 2 sets eth0's static address from the kernel command line, as under QEMU.
        fake.Resources["boot-source"].GetProperty("boot_args").GetString()!.ShouldContain(" nanoclaw.ip=172.29.0.10/24 nanoclaw.gw=172.29.0.1");
    }

    [Fact]
    public async Task JailedPathsAreWhatFirecrackerSeesInsideItsChroot()
    {
        var inside = new FirecrackerPaths("/fc.sock", "/v.sock", "/vmlinux", "/initrd.img", "/rootfs.ext4", []);

        await FirecrackerBootSequence.ConfigureAndStartAsync(client, Spec(), inside, CancellationToken.None);

        fake.Resources["boot-source"].GetProperty("kernel_image_path").GetString().ShouldBe("/vmlinux");
        fake.Resources["boot-source"].GetProperty("initrd_path").GetString().ShouldBe("/initrd.img");
        fake.Resources["drives/rootfs"].GetProperty("path_on_host").GetString().ShouldBe("/rootfs.ext4");
        fake.Resources["vsock"].GetProperty("uds_path").GetString().ShouldBe("/v.sock");
    }

    [Fact]
    public async Task NullOptionalFieldsAreLeftOut()
    {
        await client.PutBootSourceAsync(new BootSource("/img/vmlinux"), CancellationToken.None);

        fake.Accepted.ShouldBe(["PUT /boot-source {\"kernel_image_path\":\"/img/vmlinux\"}"]);
    }

    [Fact]
    public async Task StartingBeforeConfiguringFailsWithFirecrackersFaultMessage()
    {
        var e = await Should.ThrowAsync<FirecrackerApiException>(
            () => client.PutActionAsync(new InstanceActionInfo(InstanceActionType.InstanceStart), CancellationToken.None));

        e.Status.ShouldBe(HttpStatusCode.BadRequest);
        e.FaultMessage.ShouldBe("Cannot start microvm that was not configured: missing boot-source, machine-config, drives");
        e.Message.ShouldContain("PUT /actions");
        e.Message.ShouldContain(e.FaultMessage);
    }

    [Fact]
    public async Task AnInvalidValueSurfacesTheFaultMessage()
    {
        var e = await Should.ThrowAsync<FirecrackerApiException>(
            () => client.PutMachineConfigAsync(new MachineConfiguration(0, 512), CancellationToken.None));

        e.Message.ShouldContain("Invalid number of vCPUs");
    }

    [Fact]
    public async Task ConfigurationAfterStartIsRefused()
    {
        Directory.CreateDirectory(temp["run"]);
        await FirecrackerBootSequence.ConfigureAndStartAsync(client, Spec(), Paths(Spec()), CancellationToken.None);

        var e = await Should.ThrowAsync<FirecrackerApiException>(
            () => client.PutMachineConfigAsync(new MachineConfiguration(1, 256), CancellationToken.None));
        e.FaultMessage.ShouldContain("not supported after starting");
    }

    [Theory]
    [InlineData("{\"kernel_image_path\":\"/k\",\"kernel_args\":\"x\"}", "unknown field `kernel_args`")]
    [InlineData("{\"boot_args\":\"x\"}", "missing field `kernel_image_path`")]
    [InlineData("{\"kernel_image_path\":42}", "invalid type for `kernel_image_path`")]
    public async Task TheStandInRejectsWhatFirecrackerRejects(string body, string fault)
    {
        var (status, text) = await RawPutAsync("boot-source", body);

        status.ShouldBe(HttpStatusCode.BadRequest);
        FirecrackerClient.FaultMessage(text).ShouldContain(fault);
    }

    [Fact]
    public void ANonJsonErrorBodyIsShownRaw()
    {
        FirecrackerClient.FaultMessage("upstream exploded").ShouldBe("upstream exploded");
        FirecrackerClient.FaultMessage("").ShouldBe("(empty response body)");
    }

    async Task<(HttpStatusCode, string)> RawPutAsync(string path, string json)
    {
        using var http = new HttpClient(new SocketsHttpHandler
        {
            ConnectCallback = async (_, ct) =>
            {
                var s = new System.Net.Sockets.Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                await s.ConnectAsync(new UnixDomainSocketEndPoint(Socket), ct);
                return new NetworkStream(s, ownsSocket: true);
            },
        });
        using var response = await http.PutAsync("http://localhost/" + path, new StringContent(json, Encoding.UTF8, "application/json"));
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }
}
