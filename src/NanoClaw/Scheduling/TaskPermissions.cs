using NanoClaw.Storage;

namespace NanoClaw.Scheduling;

/// <summary>Who may act on which task. The main chat is the admin; any other group acts only on its own tasks.</summary>
public static class TaskPermissions
{
    /// <summary>True when <paramref name="actor"/> may list, pause, resume, cancel or run <paramref name="task"/>.</summary>
    public static bool MayActOn(RegisteredGroup actor, ScheduledTask task) => actor.IsMain || actor.Folder == task.GroupFolder;

    /// <summary>True when <paramref name="actor"/> may create a task that runs in <paramref name="target"/>.</summary>
    public static bool MayScheduleFor(RegisteredGroup actor, RegisteredGroup target) => actor.IsMain || actor.Jid == target.Jid;
}
