using System.Text.RegularExpressions;
using NanoClaw.Tests.Fakes;
using NanoClaw.Tests.Files;
using NanoClaw.Tests.Support;

namespace NanoClaw.Tests.EndToEnd;

/// <summary>
/// A file from the assistant, the whole way: <c>./nanoclaw chat</c>, a cold microVM with the real Claude Code, whose Bash
/// writes a PNG into the workspace and whose <c>send_message</c> names it as the attachment; the turn's sync brings it to
/// the host, which checks and spools it, and the terminal channel shows where the delivered file is.
/// </summary>
[Collection(VmCollection.Name)]
public sealed partial class FileSendEndToEndTests(VmTestEnvironment vm) : IAsyncLifetime
{
    const string RealKey = "sk-ant-api03-REAL-SECRET-must-never-enter-a-vm-0123456789";
    // Generous: the launcher may build the host first, and TCG under load is slow.
    static readonly TimeSpan ChatTimeout = TimeSpan.FromMinutes(15);

    readonly string _home = Directory.CreateTempSubdirectory("nanoclaw-e2e-file-").FullName;
    FakeMessagesApi _fake = null!;

    public async Task InitializeAsync() => _fake = await FakeMessagesApi.StartAsync(requiredApiKey: RealKey);

    public async Task DisposeAsync()
    {
        await _fake.DisposeAsync();
        if (Environment.GetEnvironmentVariable("KEEP_E2E_HOME") != "1")
            try { Directory.Delete(_home, recursive: true); } catch (IOException) { }
    }

    [GeneratedRegex(@"^Andy: \[file: (?<path>\S+) \(image/png, (?<bytes>\d+) bytes\)\] Here is the chart$", RegexOptions.Multiline)]
    private static partial Regex DeliveredFile();

    [Fact]
    public async Task APngTheAgentWritesAndSendsReachesTheTerminalByteForByte()
    {
        var png = Convert.ToBase64String(FileSnifferTests.Png);
        var write = _fake.ScriptToolCall("Bash", new
        {
            command = $"mkdir -p /workspace/group/out && echo {png} | base64 -d > /workspace/group/out/chart.png && echo rc=$?",
            description = "Draw the chart",
        });
        var send = _fake.ScriptToolCall("mcp__nanoclaw__send_message", new { text = "Here is the chart", attachment = "/workspace/group/out/chart.png" },
            thenReply: "Sent you the chart.");

        var result = await NanoclawProcess.RunAsync(vm.RepoRoot, new Dictionary<string, string>
        {
            ["NANOCLAW_HOME"] = _home,
            ["ANTHROPIC_API_KEY"] = RealKey,
            ["ANTHROPIC_BASE_URL"] = _fake.BaseUrl.ToString().TrimEnd('/'),
            ["NANOCLAW_CACHE"] = vm.Config.CacheDir,
            ["VM_MEMORY_MB"] = "2048",
            ["WARM_POOL_SIZE"] = "0",
            ["LOG_LEVEL"] = Environment.GetEnvironmentVariable("E2E_LOG_LEVEL") ?? "Information",
        }, "@Andy draw me a chart\n", ChatTimeout, "chat");

        result.ExitCode.ShouldBe(0, result.ToString());
        (await write.WaitForResultAsync()).Content.ShouldContain("rc=0");
        var sent = await send.WaitForResultAsync();
        sent.IsError.ShouldBeFalse(sent.Content);
        sent.Content.ShouldContain("when this turn ends");

        // The turn's reply comes first (the file reaches the host with the turn's sync, after it), then the file.
        var lines = result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        lines.Length.ShouldBe(2, result.ToString());
        lines[0].ShouldBe("Andy: Sent you the chart.");
        var delivered = DeliveredFile().Match(lines[1]);
        delivered.Success.ShouldBeTrue(result.ToString());
        var path = delivered.Groups["path"].Value;
        path.ShouldStartWith(Path.Combine(_home, "data", "terminal-files") + "/");
        File.ReadAllBytes(path).ShouldBe(FileSnifferTests.Png);
        delivered.Groups["bytes"].Value.ShouldBe(FileSnifferTests.Png.Length.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Directory.GetFiles(Path.Combine(_home, "data", "outbox-files")).ShouldBeEmpty(); // the spool is emptied once sent
    }
}
