using NanoClaw.Cli;
using NanoClaw.Runs;
using NanoClaw.Tests.Support;

namespace NanoClaw.Tests.Cli;

public class ChatCommandTests
{
    [Fact]
    public async Task PipedInputGetsOneLinePerReplyAndExitsZeroWhenRunsAreDone()
    {
        using var home = new TestHome();
        var runner = ScriptedRunner.Replying(r => "line one\nline two for " + r.Group.Folder);
        var output = new StringWriter();

        var exit = await ChatCommand.RunAsync(home.Config, new StringReader("@Andy hello\n"), output, interactive: false,
            runner, templatesDir: null, TimeProvider.System, home.Logs, CancellationToken.None);

        exit.ShouldBe(0);
        output.ToString().ShouldBe("Andy: line one\\nline two for main\n");
        runner.Requests.Single().Prompt.ShouldContain("@Andy hello");
        home.Db.RegisteredGroups().Single().IsMain.ShouldBeTrue();
        Directory.Exists(Path.Combine(home.Dir, "groups", "main")).ShouldBeTrue();
    }

    [Fact]
    public async Task TheMainChatNeedsNoTrigger()
    {
        using var home = new TestHome();
        var runner = ScriptedRunner.Replying(_ => "hi");
        var output = new StringWriter();
        (await ChatCommand.RunAsync(home.Config, new StringReader("hello there\n"), output, false, runner, null, TimeProvider.System, home.Logs, CancellationToken.None)).ShouldBe(0);
        output.ToString().ShouldBe("Andy: hi\n");
    }

    [Fact]
    public async Task ARunThatFailsMakesTheExitCodeNonZero()
    {
        using var home = new TestHome();
        var runner = new ScriptedRunner((_, _) => ScriptedRunner.Events(new AgentEvent.Failed("the VM could not boot")));
        var exit = await ChatCommand.RunAsync(home.Config, new StringReader("hello\n"), new StringWriter(), false, runner, null, TimeProvider.System, home.Logs, CancellationToken.None);
        exit.ShouldBe(1);
    }
}
