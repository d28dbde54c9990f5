using System.Diagnostics;

namespace NanoClaw.Tests.Vm.Image;

/// <summary>
/// Test-only initramfs: the real one, with shell lines inserted into stage 2 just before the
/// guest agent starts. Lets a test look at the guest from inside without a guest-agent feature.
/// </summary>
internal static class ProbeInitrd
{
    /// <param name="prepareRoot">Optional: changes the unpacked initramfs (its root folder) before it is packed again.</param>
    public static async Task<string> BuildAsync(string realInitrd, string repoRoot, string workDir, string probeLines, Func<string, Task>? prepareRoot = null)
    {
        var root = Path.Combine(workDir, "probe-initrd-root");
        Directory.CreateDirectory(root);
        await Sh($"zcat '{realInitrd}' | cpio -id --quiet", root);

        var stage2 = await File.ReadAllTextAsync(Path.Combine(repoRoot, "vm", "guest", "stage2"));
        const string agentLine = "/usr/local/bin/nanoclaw-guest --control";
        stage2.ShouldContain(agentLine);
        await File.WriteAllTextAsync(Path.Combine(root, "stage2"), stage2.Replace(agentLine, probeLines + "\n" + agentLine));

        if (prepareRoot is not null) await prepareRoot(root);
        var output = Path.Combine(workDir, "probe-initrd.img");
        await Sh($"find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc --owner=0:0 --quiet | gzip -n > '{output}'", root);
        return output;
    }

    static async Task Sh(string script, string workingDirectory)
    {
        var psi = new ProcessStartInfo("sh", ["-ec", script]) { WorkingDirectory = workingDirectory, RedirectStandardError = true };
        using var process = Process.Start(psi)!;
        var stderr = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        process.ExitCode.ShouldBe(0, $"`{script}` failed: {stderr}");
    }
}
