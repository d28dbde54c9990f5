namespace NanoClaw.Cli;

/// <summary>The microVM part of <c>doctor</c>: tools on PATH, KVM, the built image.</summary>
static class VmChecks
{
    public static IEnumerable<DoctorCommand.Check> Run(Config config, string repo)
    {
        yield return Tool("qemu-system-x86_64", "qemu-system-x86", "runs the microVMs");
        yield return Tool("socat", "socat", "connects a VM's only network address to the host gateway");
    }

    static DoctorCommand.Check Tool(string binary, string package, string why) =>
        FindOnPath(binary) is { } path
            ? new(binary, true, path)
            : new(binary, false, $"not found ({why})", $"apt-get install {package}   (or run `sudo ./nanoclaw setup`, which installs it)");

    public static string? FindOnPath(string binary) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, binary)).FirstOrDefault(File.Exists);
}
