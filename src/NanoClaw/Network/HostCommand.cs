using System.Diagnostics;

namespace NanoClaw.Network;

/// <summary>Runs one host tool (<c>ip</c>, <c>nft</c>) for the network setup, printing it first, as a person would type it.</summary>
public static class HostCommand
{
    public static async Task RunAsync(TextWriter output, string program, IReadOnlyList<string> arguments, CancellationToken ct, string? stdin = null)
    {
        output.WriteLine("  $ " + program + " " + string.Join(' ', arguments) + (stdin is null ? "" : " <<EOF (ruleset)"));
        var psi = new ProcessStartInfo(program) { RedirectStandardError = true, RedirectStandardOutput = true, RedirectStandardInput = stdin is not null, UseShellExecute = false };
        foreach (var a in arguments) psi.ArgumentList.Add(a);
        Process process;
        try { process = Process.Start(psi)!; }
        catch (System.ComponentModel.Win32Exception e) { throw new NetworkSetupException($"cannot run {program} ({e.Message}); install it (iproute2, nftables) and try again"); }
        using (process)
        {
            if (stdin is not null)
            {
                await process.StandardInput.WriteAsync(stdin.AsMemory(), ct);
                process.StandardInput.Close();
            }
            var stdout = process.StandardOutput.ReadToEndAsync(ct);
            var stderr = process.StandardError.ReadToEndAsync(ct);
            await process.WaitForExitAsync(ct);
            if (process.ExitCode != 0)
                throw new NetworkSetupException($"`{program} {string.Join(' ', arguments)}` failed ({process.ExitCode}): {(await stderr).Trim()} {(await stdout).Trim()}".Trim());
        }
    }
}
