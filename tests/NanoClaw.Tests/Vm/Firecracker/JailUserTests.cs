using System.Runtime.Versioning;
using NanoClaw.Tests.Support;
using NanoClaw.Vm;
using NanoClaw.Vm.Firecracker;

namespace NanoClaw.Tests.Vm.Firecracker;

/// <summary>Finding the jail account, and refusing to run firecracker as root without it.</summary>
[SupportedOSPlatform("linux")]
public sealed class JailUserTests : IDisposable
{
    readonly TempDirectory temp = new();

    public void Dispose() => temp.Dispose();

    [Fact]
    public void FindsTheAccountByNameWithItsIds()
    {
        var passwd = temp.Write("passwd", "root:x:0:0:root:/root:/bin/bash\nnanoclaw-vm:x:999:995::/nonexistent:/usr/sbin/nologin\n");

        JailUser.Find("nanoclaw-vm", passwd).ShouldBe(new JailUser("nanoclaw-vm", 999, 995));
        JailUser.Find("nanoclaw", passwd).ShouldBeNull();
        JailUser.Find("nanoclaw-vm", temp["missing"]).ShouldBeNull();
    }

    [Fact]
    public void AnAccountWithRootIdsIsNeverAJailUser()
    {
        var passwd = temp.Write("passwd", "nanoclaw-vm:x:0:995::/:/bin/sh\nother:x:1000:0::/:/bin/sh\n");

        JailUser.Find("nanoclaw-vm", passwd).ShouldBeNull();
        JailUser.Find("other", passwd).ShouldBeNull();
    }

    [Fact]
    public void AsRootWithoutTheJailUserFirecrackerIsRefusedNamingTheFix()
    {
        var passwd = temp.Write("passwd", "root:x:0:0:root:/root:/bin/bash\n");

        if (!Environment.IsPrivilegedProcess)
        {
            FirecrackerOptions.ForThisHost("/fc", passwd).Jail.ShouldBeNull();
            return;
        }
        Should.Throw<VmBootException>(() => FirecrackerOptions.ForThisHost("/fc", passwd)).Message
            .ShouldBe("running as root, Firecracker runs only as the unprivileged user `nanoclaw-vm`, which does not exist: run `sudo ./nanoclaw setup` to create it.");
        var jailed = FirecrackerOptions.ForThisHost("/fc", temp.Write("passwd2", "nanoclaw-vm:x:999:995::/nonexistent:/usr/sbin/nologin\n"));
        jailed.Jail.ShouldBe(new JailUser("nanoclaw-vm", 999, 995));
        jailed.Cgroup.ShouldBe(VmCgroup.Unavailable() is null);
    }
}
