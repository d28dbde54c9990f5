using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using NanoClaw.Guest;
using NanoClaw.Tests.Support;
using NanoClaw.Tests.Vm.Image;
using NanoClaw.Vm;
using NanoClaw.Vm.Qemu;

namespace NanoClaw.Tests.Vm.Qemu;

/// <summary>
/// A real guest floods the gateway with connections (issue: each one used to fork a host socat). The host must fork
/// nothing, serve at most the cap at once, refuse the rest at once, and still serve the VM afterwards.
/// </summary>
[Collection(VmCollection.Name)]
public sealed class GatewayStreamsVmTests(VmTestEnvironment env)
{
    const int Connections = 200;

    /// <summary>Children of every thread of <paramref name="pid"/> (QEMU forks from its I/O thread), except the
    /// <see cref="HostDeathWatch"/> it starts before it runs.</summary>
    static List<string> ChildrenOf(int pid) =>
        [.. Directory.EnumerateDirectories($"/proc/{pid}/task")
            .SelectMany(t => File.ReadAllText(Path.Combine(t, "children")).Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Select(child => $"{child} {File.ReadAllText($"/proc/{child}/cmdline").Replace('\0', ' ')}")
            .Where(line => !line.Split(' ')[1].Equals(HostDeathWatch.Perl, StringComparison.Ordinal))];

    [Fact]
    public async Task TwoHundredGuestConnectionsForkNothingOnTheHostAndOnlyTheCapIsServedAtOnce()
    {
        var go = new TaskCompletionSource();
        var waiting = new TaskCompletionSource();
        // The gateway stand-in: one HTTP answer per connection; /wait is held until the test has looked.
        using var gateway = new StubTcpServer(async s =>
        {
            var request = new StringBuilder();
            var buffer = new byte[1024];
            int n;
            while (!request.ToString().Contains("\r\n\r\n") && (n = await s.ReceiveAsync(buffer)) > 0)
                request.Append(Encoding.ASCII.GetString(buffer, 0, n));
            if (request.ToString().StartsWith("GET /wait ", StringComparison.Ordinal))
            {
                waiting.TrySetResult();
                await go.Task;
            }
            await s.SendAsync("HTTP/1.0 200 OK\r\nContent-Length: 10\r\n\r\ngateway-ok"u8.ToArray());
            s.Shutdown(SocketShutdown.Send);
        });

        // Connections are opened one after another and held; the first then asks for /wait, and once that is
        // answered every connection sends a request: each either gets the gateway's answer or was refused.
        var initrd = await ProbeInitrd.BuildAsync(env.Artifacts.Initrd, env.RepoRoot, Path.Combine(env.Home, "flood-probe"), $$"""
            cat >/tmp/flood.sh <<'FLOOD'
            trap '' PIPE
            fds=()
            for i in $(seq 1 {{Connections}}); do
              if exec {fd}<>/dev/tcp/10.0.2.100/80; then fds+=("$fd"); else echo "flood: connect $i failed"; fi
            done
            echo "flood: connected ${#fds[@]}"
            served=0
            refused=0
            for fd in "${fds[@]}"; do
              if [ "$fd" = "${fds[0]}" ]; then path=wait; else path=n; fi
              printf 'GET /%s HTTP/1.0\r\n\r\n' "$path" >&"$fd" 2>/dev/null
              case "$(timeout 120 cat <&"$fd" 2>/dev/null)" in
                *gateway-ok) served=$((served + 1)) ;;
                *) refused=$((refused + 1)) ;;
              esac
              exec {fd}>&-
            done
            echo "flood: served $served refused $refused"
            echo "flood: after $(curl -sS -m 30 http://gateway.nanoclaw/after 2>&1)"
            FLOOD
            bash /tmp/flood.sh
            """);
        var spec = env.NewSpec() with { Artifacts = env.Artifacts with { Initrd = initrd }, GatewayPort = gateway.Port };

        var vmm = new QemuVmm(new KvmStatus(false, "tests use TCG"), NullLogger<QemuVmm>.Instance);
        await using (var vm = await vmm.BootAsync(spec, CancellationToken.None))
        {
            var qemu = (QemuMicroVm)vm;
            await waiting.Task.WaitAsync(TimeSpan.FromSeconds(240));
            var mux = qemu.Gateway.ShouldNotBeNull();
            await Eventually.True(() => mux.Opened + mux.Refused == Connections, $"the host has answered all {Connections} opens", TimeSpan.FromSeconds(60));

            // Every connection is open or refused now, and the held ones are still held.
            ChildrenOf(qemu.Pid).ShouldBeEmpty("QEMU forks nothing per guest connection");
            // QEMU's guestfwd forwarders were double-forked (glib), so not its children: look for any process that
            // names the gateway port (QEMU's own argv named it too, in its guestfwd option).
            ProcessTable.Mentioning($"127.0.0.1:{gateway.Port}").ShouldBeEmpty("no host process forwards the guest's connections");
            mux.OpenStreams.ShouldBe(GatewayMux.DefaultMaxStreams);
            mux.Refused.ShouldBe(Connections - GatewayMux.DefaultMaxStreams);
            gateway.Open.ShouldBe(GatewayMux.DefaultMaxStreams);
            go.SetResult();

            (await new StreamReader(vm.Control).ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(240))).ShouldBe("""{"type":"ready"}""");
            ChildrenOf(qemu.Pid).ShouldBeEmpty();
            await vm.Control.WriteAsync("{\"type\":\"close\"}\n"u8.ToArray());
            await vm.Control.FlushAsync();
            await vm.Exited.WaitAsync(TimeSpan.FromSeconds(60));
        }

        var console = await File.ReadAllTextAsync(spec.ConsoleLogPath);
        console.ShouldContain($"flood: connected {Connections}");
        console.ShouldContain($"flood: served {GatewayMux.DefaultMaxStreams} refused {Connections - GatewayMux.DefaultMaxStreams}");
        console.ShouldContain("flood: after gateway-ok");
        gateway.Peak.ShouldBeLessThanOrEqualTo(GatewayMux.DefaultMaxStreams);
    }
}
