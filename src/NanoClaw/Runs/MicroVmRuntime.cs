using Microsoft.Extensions.Logging;
using NanoClaw.Gateway;
using NanoClaw.Gateway.Credentials;
using NanoClaw.Gateway.Egress;
using NanoClaw.Gateway.Tools;
using NanoClaw.Guest;
using NanoClaw.Network;
using NanoClaw.Storage;
using NanoClaw.Usage;
using NanoClaw.Vm;
using NanoClaw.Vm.Firecracker;
using NanoClaw.Vm.Image;
using NanoClaw.Vm.Qemu;

namespace NanoClaw.Runs;

/// <summary>
/// Everything agent runs need for the life of the host: the gateway (the only endpoint a VM reaches), the run
/// tokens, the chosen VMM, the image and the warm pool. Started once by <c>run</c> and <c>chat</c>, disposed at exit
/// (warm VMs first, so none outlives the host).
/// </summary>
public sealed class MicroVmRuntime : IAsyncDisposable
{
    MicroVmRuntime(MicroVmAgentRunner runner, HostGateway gateway, KvmStatus kvm, WarmPool warmPool) =>
        (Runner, Gateway, Kvm, WarmPool) = (runner, gateway, kvm, warmPool);

    public MicroVmAgentRunner Runner { get; }
    public WarmPool WarmPool { get; }
    public HostGateway Gateway { get; }
    public KvmStatus Kvm { get; }

    /// <param name="tools">The agent tools the gateway serves at <c>/mcp</c>, from its start; null: none (tests of runs alone).</param>
    /// <param name="budgets">The host's budget rule (its notices go to the host's outbox), so the gateway's meter and the
    /// run starts tell once; null: one of its own that only logs its notices (tests of runs alone).</param>
    public static async Task<MicroVmRuntime> StartAsync(Config config, string repoRoot, ILoggerFactory logs, CancellationToken ct,
        AgentTools? tools = null, Budgets? budgets = null)
    {
        // Fails first, with a clear message, when no credential is configured.
        var upstream = UpstreamCredential.FromConfig(config);
        var log = logs.CreateLogger<MicroVmRuntime>();
        // Firecracker's first: its run folders may hold bind mounts that only it knows to detach.
        await FirecrackerVmm.CleanOrphansAsync(Path.Combine(config.DataDir, "vms"), log);
        await QemuVmm.CleanOrphansAsync(Path.Combine(config.DataDir, "vms"), log);

        var image = new VmImage(config, repoRoot);
        var cached = image.TryGetCached();
        var kvm = await new KvmProbe(config).ProbeAsync(cached, ct);
        var firecracker = VmmChoice.FindFirecracker(config);
        var decision = VmmChoice.Decide(config.Vmm, firecracker, kvm, VsockGuest.Of(cached), TapNetwork.For(config));
        var taps = ChooseTapNetwork(config);
        IVmm vmm = decision.Backend switch
        {
            VmmBackend.Firecracker => new FirecrackerVmm(FirecrackerOptions.ForThisHost(firecracker!), logs.CreateLogger<FirecrackerVmm>(), taps),
            VmmBackend.Qemu => new QemuVmm(kvm, logs.CreateLogger<QemuVmm>(), taps),
            _ => throw new VmBootException(decision.Reason),
        };
        var tokens = new RunTokens();
        var listen = taps is null ? null : new GatewayListen(taps.Settings.BridgeAddress, taps.Settings.GatewayPort, taps.Settings.ProxyPort);
        // Every Messages API call is accounted in the store and checked against the group's budget (UsageMeter).
        budgets ??= new Budgets(Database.Open(config.DatabasePath), config.TimeZone, TimeProvider.System, logs.CreateLogger<Budgets>());
        var usage = new UsageMeter(Database.Open(config.DatabasePath), budgets, TimeProvider.System, logs.CreateLogger<UsageMeter>());
        var gateway = await HostGateway.StartAsync(upstream, tokens, logs, TimeProvider.System, ct, listen,
            egressOptions: new EgressProxyOptions { ConnectPorts = config.EgressConnectPorts }, usage: usage, tools: tools);
        log.LogInformation("Agent runs use {Vmm}; {Kvm}; gateway on 127.0.0.1:{Port} forwarding to {Upstream}; guests reach it at {GuestUrl}, the egress proxy at {Proxy}",
            vmm.Name, kvm.Reason, gateway.Port, upstream, gateway.Guest.GatewayUrl, gateway.Guest.ProxyAuthority);
        // Warm VMs only use an image that is already built: a build needs root and minutes, and the first run
        // does it with its progress shown.
        var warmPool = new WarmPool(config, vmm,
            c => image.TryGetCached() is null
                ? throw new VmImageException("the VM image is not built yet (the first run builds it, or `nanoclaw setup`)")
                : image.EnsureAsync(new Progress<string>(), c),
            gateway.Port, TimeProvider.System, logs.CreateLogger<WarmPool>(), proxyPort: gateway.ProxyPort, spares: (tokens, gateway.Guest));
        var runner = new MicroVmAgentRunner(config, image, vmm, gateway, tokens, TimeProvider.System, logs.CreateLogger<MicroVmAgentRunner>(), warmPool);
        warmPool.Start();
        return new MicroVmRuntime(runner, gateway, kvm, warmPool);
    }

    /// <summary>
    /// TAP networking when <c>setup --network</c> made it (NANOCLAW_NETWORK=auto) or when asked for (tap, which fails
    /// without it); no NIC otherwise (the gateway streams).
    /// </summary>
    static TapPool? ChooseTapNetwork(Config config)
    {
        if (config.Network == "user") return null;
        var settings = TapNetworkSettings.FromConfig(config);
        if (TapNetworkSetup.IsSetUp(settings)) return new TapPool(settings, Path.Combine(config.CacheDir, "taps"));
        if (config.Network == "tap")
            throw new VmBootException($"NANOCLAW_NETWORK=tap, but there is no bridge {settings.Bridge} with TAP devices: run `sudo ./nanoclaw setup --network` first.");
        return null;
    }

    public async ValueTask DisposeAsync()
    {
        await WarmPool.DisposeAsync();
        await Gateway.DisposeAsync();
    }
}
