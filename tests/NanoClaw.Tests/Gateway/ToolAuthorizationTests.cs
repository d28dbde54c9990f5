using NanoClaw.Gateway;
using NanoClaw.Gateway.Tools;

namespace NanoClaw.Tests.Gateway;

/// <summary>Every row of the authorization table in docs/gateway.md, against the real rule.</summary>
public class ToolAuthorizationTests
{
    static readonly RunIdentity Main = new("run-main", "main", "main@s.whatsapp.net", IsMain: true);
    static readonly RunIdentity Family = new("run-family", "family", "family@g.us", IsMain: false);

    public enum Whose { Own, Other }

    /// <summary>(tool, caller is main, whose group the call names, allowed)</summary>
    public static TheoryData<AgentTool, bool, Whose, bool> Table => new()
    {
        { AgentTool.SendMessage, true, Whose.Own, true },
        { AgentTool.SendMessage, true, Whose.Other, true },
        { AgentTool.SendMessage, false, Whose.Own, true },
        { AgentTool.SendMessage, false, Whose.Other, false },
        { AgentTool.ScheduleTask, true, Whose.Own, true },
        { AgentTool.ScheduleTask, true, Whose.Other, true },
        { AgentTool.ScheduleTask, false, Whose.Own, true },
        { AgentTool.ScheduleTask, false, Whose.Other, false },
        { AgentTool.PauseTask, true, Whose.Own, true },
        { AgentTool.PauseTask, true, Whose.Other, true },
        { AgentTool.PauseTask, false, Whose.Own, true },
        { AgentTool.PauseTask, false, Whose.Other, false },
        { AgentTool.ResumeTask, true, Whose.Own, true },
        { AgentTool.ResumeTask, true, Whose.Other, true },
        { AgentTool.ResumeTask, false, Whose.Own, true },
        { AgentTool.ResumeTask, false, Whose.Other, false },
        { AgentTool.CancelTask, true, Whose.Own, true },
        { AgentTool.CancelTask, true, Whose.Other, true },
        { AgentTool.CancelTask, false, Whose.Own, true },
        { AgentTool.CancelTask, false, Whose.Other, false },
        { AgentTool.ListTasks, true, Whose.Own, true },
        { AgentTool.ListTasks, false, Whose.Own, true },
        { AgentTool.ListChats, true, Whose.Own, true },
        { AgentTool.ListChats, false, Whose.Own, false },
        { AgentTool.RegisterGroup, true, Whose.Own, true },
        { AgentTool.RegisterGroup, false, Whose.Own, false },
        { AgentTool.Usage, true, Whose.Own, true },
        { AgentTool.Usage, false, Whose.Own, false },
    };

    /// <summary>What a call names: a chat (send, schedule), a task's group folder (pause, resume, cancel), or nothing.</summary>
    static ToolTarget Target(AgentTool tool, RunIdentity caller, Whose whose)
    {
        var other = caller.IsMain ? Family : Main;
        var group = whose == Whose.Own ? caller : other;
        return tool switch
        {
            AgentTool.SendMessage or AgentTool.ScheduleTask => new ToolTarget.Chat(group.ChatJid),
            AgentTool.PauseTask or AgentTool.ResumeTask or AgentTool.CancelTask => new ToolTarget.GroupFolder(group.GroupFolder),
            _ => ToolTarget.Own,
        };
    }

    [Theory]
    [MemberData(nameof(Table))]
    public void EachRowOfTheTable(AgentTool tool, bool callerIsMain, Whose whose, bool allowed)
    {
        var caller = callerIsMain ? Main : Family;

        var refusal = ToolAuthorization.Check(caller, tool, Target(tool, caller, whose));

        if (allowed) refusal.ShouldBeNull();
        else refusal.ShouldNotBeNullOrWhiteSpace();
    }

    [Fact]
    public void TheTableCoversEveryTool() =>
        Table.Select(row => (AgentTool)row[0]).Distinct().Order().ShouldBe(Enum.GetValues<AgentTool>().Order());

    [Theory]
    [InlineData(AgentTool.SendMessage)]
    [InlineData(AgentTool.ScheduleTask)]
    [InlineData(AgentTool.PauseTask)]
    public void NamingNoTargetMeansTheCallersOwnGroupForEveryone(AgentTool tool)
    {
        ToolAuthorization.Check(Main, tool, ToolTarget.Own).ShouldBeNull();
        ToolAuthorization.Check(Family, tool, ToolTarget.Own).ShouldBeNull();
    }

    [Fact]
    public void AChatIsNeverMatchedAgainstAFolderName()
    {
        // A jid that happens to equal the caller's folder name is still another chat.
        ToolAuthorization.Check(Family, AgentTool.SendMessage, new ToolTarget.Chat("family")).ShouldNotBeNull();
        ToolAuthorization.Check(Family, AgentTool.CancelTask, new ToolTarget.GroupFolder("family@g.us")).ShouldNotBeNull();
    }

    [Fact]
    public void AMainOnlyToolIsRefusedToANonMainCallerWhateverTheTarget()
    {
        ToolAuthorization.IsMainOnly(AgentTool.RegisterGroup).ShouldBeTrue();
        ToolAuthorization.IsMainOnly(AgentTool.ListChats).ShouldBeTrue();
        ToolAuthorization.Check(Family, AgentTool.RegisterGroup, new ToolTarget.Chat(Family.ChatJid)).ShouldNotBeNull();
        ToolAuthorization.Check(Family, AgentTool.ListChats, new ToolTarget.GroupFolder(Family.GroupFolder)).ShouldNotBeNull();
    }

    [Fact]
    public void MainListsEveryGroupsTasksAndAnyOtherGroupOnlyItsOwn()
    {
        ToolAuthorization.TaskListScope(Main).ShouldBeNull();
        ToolAuthorization.TaskListScope(Family).ShouldBe("family");
    }

    [Fact]
    public void TheRefusalSaysWhy()
    {
        ToolAuthorization.Check(Family, AgentTool.SendMessage, new ToolTarget.Chat(Main.ChatJid))!
            .ShouldBe("send_message may only act on this group's own chat (family@g.us), not main@s.whatsapp.net; only the main chat can act on other chats.");
        ToolAuthorization.Check(Family, AgentTool.RegisterGroup, ToolTarget.Own)!
            .ShouldBe("register_group is for the main chat only; this group (family) cannot use it.");
    }
}
