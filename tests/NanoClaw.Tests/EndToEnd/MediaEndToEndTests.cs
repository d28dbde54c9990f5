using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using NanoClaw.Tests.Fakes;
using NanoClaw.Tests.Support;

namespace NanoClaw.Tests.EndToEnd;

/// <summary>
/// A photo from the terminal (<c>/attach</c>, the same storage path as a phone's) reaches Claude Code in a real microVM
/// and goes to the model as an image: the fake API answers the first call with a <c>Read</c> of the path the prompt's
/// <c>&lt;attachment&gt;</c> names, and the next request must carry that file's bytes as an image block.
/// </summary>
[Collection(VmCollection.Name)]
public sealed partial class MediaEndToEndTests(VmTestEnvironment vm) : IAsyncLifetime
{
    const string RealKey = "sk-ant-api03-REAL-SECRET-must-never-enter-a-vm-0123456789";
    // A real 1x1 PNG: Claude Code decodes what it reads.
    static readonly byte[] Png = Convert.FromBase64String("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==");

    readonly string _home = Directory.CreateTempSubdirectory("nanoclaw-e2e-").FullName;
    FakeMessagesApi _fake = null!;

    public async Task InitializeAsync() => _fake = await FakeMessagesApi.StartAsync(requiredApiKey: RealKey);

    public async Task DisposeAsync()
    {
        await _fake.DisposeAsync();
        if (Environment.GetEnvironmentVariable("KEEP_E2E_HOME") != "1")
            try { Directory.Delete(_home, recursive: true); } catch (IOException) { }
    }

    [GeneratedRegex("/workspace/group/media/[0-9]{4}-[0-9]{2}-[0-9]{2}/[0-9a-f]{32}\\.png")]
    private static partial Regex AttachmentPath();

    [Fact]
    public async Task AnAttachedPhotoReachesTheModelAsAnImageThatClaudeCodeRead()
    {
        var photo = Path.Combine(_home, "dot.png");
        File.WriteAllBytes(photo, Png);
        string? readPath = null;
        _fake.Script(req =>
        {
            readPath = AttachmentPath().Match(req.RawBody).Value;
            return readPath.Length > 0 ? FakeReply.ToolUse("Read", new { file_path = readPath }) : FakeReply.Text("no attachment in the prompt");
        });
        FakeRequest? afterRead = null;
        _fake.Script(req => { afterRead = req; return FakeReply.Text("A single dot."); });
        var env = new Dictionary<string, string>
        {
            ["NANOCLAW_HOME"] = _home,
            ["ANTHROPIC_API_KEY"] = RealKey,
            ["ANTHROPIC_BASE_URL"] = _fake.BaseUrl.ToString().TrimEnd('/'),
            ["NANOCLAW_CACHE"] = vm.Config.CacheDir,
            ["VM_MEMORY_MB"] = "2048",
            ["WARM_POOL_SIZE"] = "0",
            ["LOG_LEVEL"] = "Information",
        };

        var result = await NanoclawProcess.RunAsync(vm.RepoRoot, env, $"/attach {photo} what is in this picture?\n", TimeSpan.FromMinutes(5), "chat");

        result.ExitCode.ShouldBe(0, result.ToString());
        result.Stdout.ShouldBe("Andy: A single dot.\n", result.ToString());
        readPath.ShouldNotBeNullOrEmpty();
        var first = _fake.Requests.First(r => r.Path == "/v1/messages" && !r.IsSide);
        first.Mentions("<attachment kind=\\\"image\\\" path=\\\"" + readPath + "\\\" size=\\\"" + Png.Length + "\\\" mime=\\\"image/png\\\">what is in this picture?</attachment>")
            .ShouldBeTrue(first.RawBody);
        File.ReadAllBytes(Path.Combine(_home, "groups", "main", readPath!["/workspace/group/".Length..])).ShouldBe(Png);

        afterRead.ShouldNotBeNull();
        var toolResult = afterRead.Messages.OfType<JsonObject>().Where(m => (string?)m["role"] == "user")
            .SelectMany(m => m["content"] as JsonArray ?? []).OfType<JsonObject>().Last(b => (string?)b["type"] == "tool_result");
        var image = (toolResult["content"] as JsonArray ?? []).OfType<JsonObject>().SingleOrDefault(b => (string?)b["type"] == "image");
        image.ShouldNotBeNull(toolResult.ToJsonString());
        ((string?)image["source"]!["type"]).ShouldBe("base64", image.ToJsonString());
        ((string?)image["source"]!["data"]).ShouldBe(Convert.ToBase64String(Png), image.ToJsonString());
    }
}
