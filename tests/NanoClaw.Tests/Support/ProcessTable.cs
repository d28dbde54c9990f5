namespace NanoClaw.Tests.Support;

/// <summary>Looks at every process on the host, to prove none of a test's VMs is left.</summary>
internal static class ProcessTable
{
    /// <summary>Pids of running (non-zombie) processes whose argv contains <paramref name="text"/>.</summary>
    public static List<int> Mentioning(string text)
    {
        var found = new List<int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid) || pid == Environment.ProcessId) continue;
            try
            {
                var cmdline = File.ReadAllText(Path.Combine(dir, "cmdline")).Replace('\0', ' ');
                var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                var state = stat[(stat.LastIndexOf(')') + 2)..][0];
                if (state != 'Z' && cmdline.Contains(text, StringComparison.Ordinal)) found.Add(pid);
            }
            catch (IOException) { /* exited while we looked */ }
        }
        return found;
    }
}
