using Microsoft.Data.Sqlite;
using NanoClaw.Storage;

namespace NanoClaw.Gateway;

/// <summary>
/// The few writes the task tools make to <c>scheduled_tasks</c> beyond <see cref="Database.CreateTask"/>: a status
/// change that happens only from the expected status, in one statement, so two callers cannot both win and a
/// refused change writes nothing.
/// NOTE: kept here, beside the tools, until the scheduler's own task API exists; then these calls move to it.
/// </summary>
public sealed class TaskCommands(Database db)
{
    readonly string connectionString = new SqliteConnectionStringBuilder { DataSource = db.Path, Pooling = true, DefaultTimeout = 30 }.ToString();

    public ScheduledTask? Find(string taskId) => db.ListTasks().FirstOrDefault(t => t.Id == taskId);

    /// <summary>Sets <paramref name="to"/> (and <paramref name="nextRun"/> when given) if the task's status is still
    /// <paramref name="from"/>. Returns false, writing nothing, when it is not.</summary>
    public bool TryChangeStatus(string taskId, Storage.TaskStatus from, Storage.TaskStatus to, DateTimeOffset? nextRun = null)
    {
        using var connection = new SqliteConnection(connectionString);
        connection.Open();
        using var cmd = connection.CreateCommand();
        cmd.CommandText = """
            UPDATE scheduled_tasks SET status = $to, next_run = COALESCE($next, next_run)
            WHERE id = $id AND status = $from
            """;
        cmd.Parameters.AddWithValue("$to", Name(to));
        cmd.Parameters.AddWithValue("$from", Name(from));
        cmd.Parameters.AddWithValue("$id", taskId);
        cmd.Parameters.AddWithValue("$next", nextRun is { } n ? Database.Iso(n) : DBNull.Value);
        return cmd.ExecuteNonQuery() == 1;
    }

    static string Name(Storage.TaskStatus status) => status.ToString().ToLowerInvariant();
}
