namespace NanoClaw.Gateway.Tools;

/// <summary>
/// What a tool call acts on, as far as authorization cares. A chat is named by its jid, a group's belongings
/// (its tasks) by its folder: the two are different name spaces and are never compared with each other.
/// </summary>
public abstract record ToolTarget
{
    private ToolTarget() { }

    /// <summary>The caller's own group (no target named).</summary>
    public static readonly ToolTarget Own = new OwnGroup();

    public sealed record OwnGroup : ToolTarget;
    /// <summary>A chat named by jid (send_message, schedule_task's target_group_jid).</summary>
    public sealed record Chat(string Jid) : ToolTarget;
    /// <summary>Something that belongs to the group with this folder (a task).</summary>
    public sealed record GroupFolder(string Folder) : ToolTarget;
}
