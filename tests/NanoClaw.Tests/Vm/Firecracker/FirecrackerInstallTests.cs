using System.Formats.Tar;
using System.IO.Compression;
using System.Runtime.Versioning;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using NanoClaw.Tests.Guest;
using NanoClaw.Tests.Support;
using NanoClaw.Vm.Firecracker;

namespace NanoClaw.Tests.Vm.Firecracker;

/// <summary>
/// Setup's Firecracker download against a real local HTTP server (never GitHub): unreachable, wrong checksum, a
/// good archive, and a second run. Setup must never fail on any of them; the message says what happened.
/// </summary>
[SupportedOSPlatform("linux")]
public sealed class FirecrackerInstallTests : IAsyncLifetime
{
    const string Version = "v9.9.9";
    readonly TempDirectory temp = new();
    readonly HttpClient http = new() { Timeout = TimeSpan.FromSeconds(20) };
    WebApplication server = null!;
    byte[] served = [];
    int requests;

    Config Config => new() { Home = temp["home"], CacheDir = temp["cache"] };

    string Url => server.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First() + "/fc.tgz";

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        server = builder.Build();
        server.MapGet("/fc.tgz", () =>
        {
            Interlocked.Increment(ref requests);
            return Results.Bytes(served, "application/gzip");
        });
        await server.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await server.DisposeAsync();
        http.Dispose();
        temp.Dispose();
    }

    /// <summary>A release archive shaped like Firecracker's: release-VERSION-x86_64/firecracker-VERSION-x86_64 and friends.</summary>
    static byte[] ReleaseArchive(string binaryContent)
    {
        var buffer = new MemoryStream();
        using (var gzip = new GZipStream(buffer, CompressionLevel.Fastest, leaveOpen: true))
        using (var tar = new TarWriter(gzip))
        {
            foreach (var (name, content) in new[]
            {
                ($"release-{Version}-x86_64/jailer-{Version}-x86_64", "jailer"),
                ($"release-{Version}-x86_64/firecracker-{Version}-x86_64", binaryContent),
            })
            {
                var entry = new PaxTarEntry(TarEntryType.RegularFile, name) { DataStream = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(content)) };
                tar.WriteEntry(entry);
            }
        }
        return buffer.ToArray();
    }

    static string Sha(byte[] data) => Convert.ToHexStringLower(SHA256.HashData(data));

    [Fact]
    public async Task AnUnreachableUrlIsReportedAndQemuIsUsed()
    {
        // .invalid never resolves (RFC 2606), the way github.com does not resolve on an offline host.
        var pin = new FirecrackerPin(Version, new string('a', 64), "https://firecracker.invalid/fc.tgz");

        var result = await FirecrackerInstall.EnsureAsync(Config, pin, http, CancellationToken.None);

        result.Installed.ShouldBeFalse();
        result.Message.ShouldStartWith("Firecracker not installed: https://firecracker.invalid/fc.tgz unreachable (");
        result.Message.ShouldEndWith("; QEMU will be used");
        File.Exists(FirecrackerInstall.InstalledPath(Config)).ShouldBeFalse();
    }

    [Fact]
    public async Task AWrongChecksumIsRefusedAndNothingIsInstalled()
    {
        served = ReleaseArchive("#!/bin/sh\necho evil\n");
        var pinned = new string('0', 64);
        var pin = new FirecrackerPin(Version, pinned, Url);

        var result = await FirecrackerInstall.EnsureAsync(Config, pin, http, CancellationToken.None);

        result.Installed.ShouldBeFalse();
        result.Message.ShouldBe($"Firecracker not installed: the download from {Url} has SHA-256 {Sha(served)}, but vm/versions.env pins {pinned}; it was discarded; QEMU will be used");
        File.Exists(FirecrackerInstall.InstalledPath(Config)).ShouldBeFalse();
        Directory.GetFiles(temp["cache/bin"]).ShouldBeEmpty();
    }

    [Fact]
    public async Task AVerifiedArchiveInstallsTheBinaryOnceAndFindFirecrackerSeesIt()
    {
        served = ReleaseArchive("#!/bin/sh\necho firecracker-stand-in\n");
        var pin = new FirecrackerPin(Version, Sha(served), Url);

        var first = await FirecrackerInstall.EnsureAsync(Config, pin, http, CancellationToken.None);
        var second = await FirecrackerInstall.EnsureAsync(Config, pin, http, CancellationToken.None);

        var installed = FirecrackerInstall.InstalledPath(Config);
        first.ShouldBe(new FirecrackerInstallResult(true, $"firecracker {Version} installed at {installed} (archive SHA-256 verified)"));
        second.ShouldBe(new FirecrackerInstallResult(true, $"firecracker {Version} already installed at {installed}"));
        requests.ShouldBe(1);
        File.ReadAllText(installed).ShouldBe("#!/bin/sh\necho firecracker-stand-in\n");
        File.GetUnixFileMode(installed).HasFlag(UnixFileMode.OtherExecute).ShouldBeTrue();
        if (NanoClaw.Vm.VmmChoice.FindOnPath("firecracker") is null) NanoClaw.Vm.VmmChoice.FindFirecracker(Config).ShouldBe(installed);
    }

    [Fact]
    public async Task AnArchiveWithoutTheBinaryIsReported()
    {
        served = ReleaseArchive("x");
        var pin = new FirecrackerPin("v0.0.1", Sha(served), Url);

        var result = await FirecrackerInstall.EnsureAsync(Config, pin, http, CancellationToken.None);

        result.Message.ShouldBe($"Firecracker not installed: the archive from {Url} has no release-v0.0.1-x86_64/firecracker-v0.0.1-x86_64; QEMU will be used");
    }

    [Fact]
    public void ThePinIsReadFromVersionsEnvAndTheUrlCanBeOverridden()
    {
        var repo = VsockAddressTests.RepoRoot();

        var pin = FirecrackerPin.Read(repo, null);
        var mirrored = FirecrackerPin.Read(repo, "http://mirror.example/fc.tgz");

        pin.Version.ShouldStartWith("v1.");
        pin.Sha256.Length.ShouldBe(64);
        pin.Url.ShouldBe($"https://github.com/firecracker-microvm/firecracker/releases/download/{pin.Version}/firecracker-{pin.Version}-x86_64.tgz");
        mirrored.ShouldBe(pin with { Url = "http://mirror.example/fc.tgz" });
    }
}
