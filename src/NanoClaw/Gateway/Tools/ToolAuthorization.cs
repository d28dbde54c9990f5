namespace NanoClaw.Gateway.Tools;

/// <summary>
/// Who may do what through the agent tools. The caller is the <see cref="RunIdentity"/> bound to the token the VM
/// presented, never anything the call's arguments say. The whole rule:
/// <list type="bullet">
/// <item>The main chat is the admin: every tool, on any group.</item>
/// <item>Any other group acts only on itself: its own chat, its own tasks. The tools marked main only in
/// <see cref="AgentToolTable"/> (<c>list_chats</c>, <c>register_group</c>, <c>usage</c>) it cannot use at all.</item>
/// </list>
/// The table in docs/gateway.md lists it tool by tool; the tests walk every row.
/// </summary>
public static class ToolAuthorization
{
    /// <summary>Tools only the main chat may use at all.</summary>
    public static bool IsMainOnly(AgentTool tool) => AgentToolTable.Of(tool).MainOnly;

    /// <summary>Whether <paramref name="caller"/> may act on the chat <paramref name="jid"/>.</summary>
    public static bool CanActOnChat(RunIdentity caller, string jid) => caller.IsMain || jid == caller.ChatJid;

    /// <summary>Whether <paramref name="caller"/> may act on what belongs to the group with <paramref name="folder"/>.</summary>
    public static bool CanActOnGroupFolder(RunIdentity caller, string folder) => caller.IsMain || folder == caller.GroupFolder;

    /// <summary>Whose tasks <c>list_tasks</c> shows: null (all groups) for main, else the caller's own folder.</summary>
    public static string? TaskListScope(RunIdentity caller) => caller.IsMain ? null : caller.GroupFolder;

    /// <summary>Null when <paramref name="caller"/> may use <paramref name="tool"/> on <paramref name="target"/>;
    /// otherwise the reason, phrased for the agent.</summary>
    public static string? Check(RunIdentity caller, AgentTool tool, ToolTarget target)
    {
        ArgumentNullException.ThrowIfNull(caller);
        ArgumentNullException.ThrowIfNull(target);
        if (IsMainOnly(tool) && !caller.IsMain)
            return $"{ToolNames.Of(tool)} is for the main chat only; this group ({caller.GroupFolder}) cannot use it.";
        return target switch
        {
            ToolTarget.OwnGroup => null,
            ToolTarget.Chat c when CanActOnChat(caller, c.Jid) => null,
            ToolTarget.Chat c => $"{ToolNames.Of(tool)} may only act on this group's own chat ({caller.ChatJid}), not {c.Jid}; only the main chat can act on other chats.",
            ToolTarget.GroupFolder f when CanActOnGroupFolder(caller, f.Folder) => null,
            ToolTarget.GroupFolder => $"{ToolNames.Of(tool)}: that belongs to another group; this group ({caller.GroupFolder}) may only act on its own tasks.",
            _ => throw new ArgumentOutOfRangeException(nameof(target)),
        };
    }
}
