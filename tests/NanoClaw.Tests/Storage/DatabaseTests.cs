using Microsoft.Data.Sqlite;
using NanoClaw.Storage;
using NanoClaw.Tests.Support;

namespace NanoClaw.Tests.Storage;

public class DatabaseTests
{
    [Fact]
    public void AnEmptyFileIsMigratedToTheLatestSchemaWithTheOriginalTables()
    {
        using var home = new TestHome();
        home.Db.SchemaVersion.ShouldBe(Migrations.LatestVersion);
        using var c = new SqliteConnection($"Data Source={home.Config.DatabasePath}");
        c.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name";
        var tables = new List<string>();
        using (var r = cmd.ExecuteReader()) while (r.Read()) tables.Add(r.GetString(0));
        tables.ShouldBe(["api_calls", "budgets", "chats", "message_runs", "messages", "outbox", "registered_groups", "router_state", "scheduled_tasks", "sessions", "sqlite_sequence", "task_run_logs"], ignoreOrder: true);
        cmd.CommandText = "PRAGMA journal_mode";
        cmd.ExecuteScalar().ShouldBe("wal");
    }

    [Fact]
    public void AVersionOneFileKeepsItsDataWhenUpgraded()
    {
        var dir = Directory.CreateTempSubdirectory("nanoclaw-db-").FullName;
        var path = Path.Combine(dir, "messages.db");
        using (var c = new SqliteConnection($"Data Source={path};Pooling=False"))
        {
            c.Open();
            using var cmd = c.CreateCommand();
            cmd.CommandText = Migrations.Steps[0] + """
                PRAGMA user_version = 1;
                INSERT INTO messages VALUES ('m1', 'chat@g.us', 's', 'Sam', 'kept', '2026-01-01T00:00:00.000Z', 0, 0);
                """;
            cmd.ExecuteNonQuery();
        }

        var db = Database.Open(path);

        db.SchemaVersion.ShouldBe(Migrations.LatestVersion);
        db.MessagesAfter("chat@g.us", 0).Single().Message.Content.ShouldBe("kept");
        db.EnqueueOutbound("chat@g.us", "the new table works", DateTimeOffset.UtcNow).ShouldBeGreaterThan(0);
    }

    [Fact]
    public void AFileFromANewerVersionIsRefusedWithAnExplanation()
    {
        var path = Path.Combine(Directory.CreateTempSubdirectory("nanoclaw-db-").FullName, "messages.db");
        using (var c = new SqliteConnection($"Data Source={path};Pooling=False"))
        {
            c.Open();
            using var cmd = c.CreateCommand();
            cmd.CommandText = "PRAGMA user_version = 99;";
            cmd.ExecuteNonQuery();
        }
        Should.Throw<StoreException>(() => Database.Open(path)).Message.ShouldContain("newer than this build");
    }

    [Fact]
    public void AMessageIsStoredOnceEvenWhenDeliveredTwice()
    {
        using var home = new TestHome();
        var m = home.Message("chat@g.us", "hi");
        home.Db.StoreMessage(m).ShouldNotBeNull();
        home.Db.StoreMessage(m).ShouldBeNull();
        home.Db.MessagesAfter("chat@g.us", 0).Count.ShouldBe(1);
    }

    [Fact]
    public void RegisteringRefusesATakenFolderOrASecondMain()
    {
        using var home = new TestHome();
        home.Register("a@g.us", "family", isMain: true);
        var sameFolder = new RegisteredGroup("b@g.us", "B", "family", "@Andy", DateTimeOffset.UtcNow, true, false);
        home.Db.RegisterGroup(sameFolder).ShouldBeOfType<RegisterResult.Refused>().Reason.ShouldContain("folder \"family\" already belongs to a@g.us");
        var secondMain = new RegisteredGroup("c@g.us", "C", "other", "@Andy", DateTimeOffset.UtcNow, true, true);
        home.Db.RegisterGroup(secondMain).ShouldBeOfType<RegisterResult.Refused>().Reason.ShouldContain("already the main chat");
        home.Db.RegisteredGroups().Count.ShouldBe(1);
    }
}
