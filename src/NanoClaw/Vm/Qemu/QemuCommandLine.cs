using System.Globalization;
using NanoClaw.Guest;
using NanoClaw.Runs;

namespace NanoClaw.Vm.Qemu;

/// <summary>
/// The QEMU <c>microvm</c> command line for one <see cref="VmSpec"/>: the security-relevant
/// part of the backend, kept in one pure function so tests can read it.
/// What the guest gets:
/// <list type="bullet">
/// <item>the shared rootfs, read-only (<c>readonly=on</c>); its writable root is a tmpfs overlay in guest RAM;</item>
/// <item>each extra folder's image, serial <c>extraN</c>: read-only (<c>readonly=on</c>: QEMU refuses every write), or for a
/// read-write folder <c>snapshot=on</c> (writes land in a temporary layer QEMU deletes; the cached image never changes);</item>
/// <item>without <see cref="VmSpec.Tap"/>, no NIC at all (no slirp): a second virtio-serial port, <see cref="NetPortName"/>,
/// a Unix socket on the host, carries the guest's connections to 10.0.2.100:80 and :3128 as streams, which the host
/// process connects to 127.0.0.1:GatewayPort and :ProxyPort (<see cref="GatewayStreams"/>, docs/gateway-streams.md):
/// nothing else is reachable, and no host process is forked per connection;</item>
/// <item>or, with <see cref="VmSpec.Tap"/>, one NIC on that host TAP device, its static address on the kernel command
/// line; what it can reach is then the host firewall's business (<c>setup --network</c>, docs/network.md);</item>
/// <item>one virtio-serial port named <see cref="ControlPortName"/>, a Unix socket on the host;</item>
/// <item>a serial console on QEMU's stdout.</item>
/// </list>
/// No monitor, no default devices, no firmware ROMs, and a seccomp sandbox on QEMU itself.
/// </summary>
internal static class QemuCommandLine
{
    public const string Binary = "qemu-system-x86_64";
    public const string ControlPortName = "nanoclaw.control";
    /// <summary>The virtio-serial port of the gateway streams (no TAP); stage 2 finds it by this name.</summary>
    public const string NetPortName = "nanoclaw.net";
    public const string GuestGatewayAddress = GatewayMux.GuestAddress;
    /// <summary>Without TAP: the guest's port for the egress proxy on <see cref="GuestGatewayAddress"/>.</summary>
    public const int GuestProxyPort = GatewayMux.GuestProxyPort;

    public static string ControlSocketPath(VmSpec spec) => Path.Combine(spec.RunDir, "control.sock");
    public static string NetSocketPath(VmSpec spec) => Path.Combine(spec.RunDir, "net.sock");

    public static IReadOnlyList<string> Build(VmSpec spec, bool kvm, long tscKhz)
    {
        var i = CultureInfo.InvariantCulture;
        // reboot=t + -no-reboot: the guest "reboots" to finish and QEMU exits. panic=-1 turns
        // a guest panic into the same exit instead of a hang.
        var kernelArgs = $"console=ttyS0 reboot=t panic=-1 quiet tsc_early_khz={tscKhz.ToString(i)}";
        // Stage 2 reads these; without them it starts the gateway streams (no NIC).
        if (spec.Tap is { } tap) kernelArgs += $" nanoclaw.ip={tap.GuestCidr} nanoclaw.gw={tap.Gateway}";
        kernelArgs += spec.Prime.KernelArgument();
        return
        [
            "-M", "microvm,x-option-roms=off,isa-serial=on,rtc=on",
            // KVM only when the probe proved it works; nested paravirtual KVM crashes stock kernels.
            "-accel", kvm ? "kvm" : "tcg,thread=multi",
            // TCG's default CPU lacks the AVX-class instructions the Claude Code binary uses.
            "-cpu", kvm ? "host" : "max",
            "-m", spec.MemoryMb.ToString(i),
            "-smp", spec.Cpus.ToString(i),
            "-nodefaults", "-no-user-config", "-display", "none", "-no-reboot",
            // spawn=deny: QEMU may not fork or exec anything (nothing needs it since the gateway streams replaced the
            // forwarders user networking forked). elevateprivileges stays allowed: QEMU installs the filter before
            // -runas drops to nobody, and with it denied that setuid kills QEMU (SIGSYS, measured on QEMU 7.2).
            "-sandbox", "on,obsolete=deny,resourcecontrol=deny,spawn=deny",
            // A root host still runs the emulator unprivileged once its files and sockets are open.
            .. (Environment.IsPrivilegedProcess ? ["-runas", "nobody"] : Array.Empty<string>()),
            "-serial", "stdio",
            "-kernel", spec.Artifacts.Kernel,
            "-initrd", spec.Artifacts.Initrd,
            "-append", kernelArgs,
            "-drive", $"id=root,file={Escape(spec.Artifacts.Rootfs)},format=raw,if=none,readonly=on",
            "-device", "virtio-blk-device,drive=root",
            .. ExtraDrives(spec),
            .. Tap(spec),
            "-device", "virtio-serial-device",
            "-chardev", $"socket,id=control,path={Escape(ControlSocketPath(spec))},server=on,wait=off",
            "-device", $"virtserialport,chardev=control,name={ControlPortName}",
            .. NetPort(spec),
        ];
    }

    static IEnumerable<string> Tap(VmSpec spec)
    {
        if (spec.Tap is not { } tap) yield break;
        // script=no: QEMU must not run ifup scripts as whoever it runs as; the TAP is already on the bridge.
        yield return "-netdev";
        yield return $"tap,id=net0,ifname={Escape(tap.Device)},script=no,downscript=no";
        yield return "-device";
        yield return $"virtio-net-device,netdev=net0,mac={tap.Mac}";
    }

    /// <summary>Without TAP the VM has no NIC; this port carries its gateway connections. (QEMU user networking's
    /// guestfwd cannot do it without a host process per connection: its cmd: form forks one, its socket form
    /// serves only the first connection.)</summary>
    static IEnumerable<string> NetPort(VmSpec spec)
    {
        if (spec.Tap is not null) yield break;
        yield return "-chardev";
        yield return $"socket,id=net,path={Escape(NetSocketPath(spec))},server=on,wait=off";
        yield return "-device";
        yield return $"virtserialport,chardev=net,name={NetPortName}";
    }

    /// <summary>The most extra disks a VM gets (see <see cref="ExtraFolder.MaxDisks"/>).</summary>
    public const int MaxExtraDisks = ExtraFolder.MaxDisks;

    static IEnumerable<string> ExtraDrives(VmSpec spec)
    {
        var disks = spec.ExtraDisks ?? [];
        if (disks.Count > MaxExtraDisks)
            throw new ArgumentException($"a VM takes at most {MaxExtraDisks} extra disks, not {disks.Count}", nameof(spec));
        for (var n = 0; n < disks.Count; n++)
        {
            var id = "extra" + n.ToString(CultureInfo.InvariantCulture);
            yield return "-drive";
            var access = disks[n].Writable ? "snapshot=on" : "readonly=on";
            yield return $"id={id},file={Escape(disks[n].ImagePath)},format=raw,if=none,{access}";
            yield return "-device";
            yield return $"virtio-blk-device,drive={id},serial={VmDisk.Serial(n)}";
        }
    }

    /// <summary>QEMU option values are comma-separated; a literal comma is written twice.</summary>
    static string Escape(string value) => value.Replace(",", ",,");

    /// <summary>What <see cref="Build"/> puts into QEMU's argv for the control socket; orphan cleanup matches on it.</summary>
    public static string ControlSocketArgument(string runDir) => "path=" + Escape(Path.Combine(runDir, "control.sock")) + ",";
}
