using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Time.Testing;
using NanoClaw.Channels.Telegram;
using NanoClaw.Tests.Fakes;
using NanoClaw.Tests.Support;

namespace NanoClaw.Tests.Channels.Telegram;

/// <summary>The Telegram channel through the host, against the fake Bot API over real HTTP on loopback.</summary>
public class TelegramChannelTests
{
    const long Private = 555000111;
    const long Other = -1009999999999;

    static ScriptedRunner Replying(string text) => ScriptedRunner.Replying(_ => text);

    static IReadOnlyList<(string Id, string Content)> Stored(TestHome home, string chatJid)
    {
        using var c = new SqliteConnection($"Data Source={home.Config.DatabasePath}");
        c.Open();
        using var cmd = c.CreateCommand();
        cmd.CommandText = "SELECT id, content FROM messages WHERE chat_jid = $chat ORDER BY rowid";
        cmd.Parameters.AddWithValue("$chat", chatJid);
        using var r = cmd.ExecuteReader();
        var list = new List<(string, string)>();
        while (r.Read()) list.Add((r.GetString(0), r.GetString(1)));
        return list;
    }

    [Fact]
    public async Task AMessageInARegisteredGroupIsAnsweredInThatChatWithTypingAndWithoutThePrefix()
    {
        await using var api = await FakeTelegramApi.StartAsync(TelegramRig.Token);
        using var home = TelegramRig.Home(api);
        home.Register(TelegramRig.GroupJid, "family");
        await using var rig = new TelegramRig(home, Replying("Sounds good.")).Start();

        api.QueueMessage(TelegramRig.Group, "Family", "@Andy dinner at 8?");

        await api.WaitUntilAsync(a => a.SentTo(TelegramRig.Group).Count == 1, "the reply is sent to the group");
        api.SentTo(TelegramRig.Group).ShouldBe(["Sounds good."]); // a bot speaks under its own name
        api.ChatActions(TelegramRig.Group).ShouldBeGreaterThan(0);
        rig.Channel.BotUsername.ShouldBe(FakeTelegramApi.BotUsername);
        rig.Channel.IsConnected.ShouldBeTrue();
        home.Db.ListChats().Single(c => c.Jid == TelegramRig.GroupJid).Name.ShouldBe("Family");
        Stored(home, TelegramRig.GroupJid).Select(m => m.Content).ShouldBe(["@Andy dinner at 8?"]);
    }

    [Fact]
    public async Task ABotnameMentionAReplyToTheBotAndAPrivateChatAreAddressedToTheAssistantAndChatterIsNot()
    {
        await using var api = await FakeTelegramApi.StartAsync(TelegramRig.Token);
        using var home = TelegramRig.Home(api);
        home.Register(TelegramRig.GroupJid, "family");
        home.Register(TelegramJid.For(Private), "bob");
        var runner = Replying("ok");
        await using var rig = new TelegramRig(home, runner).Start();

        api.QueueMessage(TelegramRig.Group, "Family", "just chatting");
        api.QueueMessage(TelegramRig.Group, "Family", $"@{FakeTelegramApi.BotUsername} what's the weather?");
        await api.WaitUntilAsync(a => a.SentTo(TelegramRig.Group).Count == 1, "the mention is answered");
        api.QueueMessage(TelegramRig.Group, "Family", "and tomorrow?", replyToBotMessageId: 1001, replyToText: "ok");
        await api.WaitUntilAsync(a => a.SentTo(TelegramRig.Group).Count == 2, "the reply to the bot is answered");
        api.QueueMessage(Private, "Bob", "hello there");
        await api.WaitUntilAsync(a => a.SentTo(Private).Count == 1, "the private chat is answered without a trigger");

        Stored(home, TelegramRig.GroupJid).Select(m => m.Content).ShouldBe([
            "just chatting",
            "@Andy what's the weather?",
            "@Andy and tomorrow?\n[replying to Andy: \"ok\"]",
        ]);
        Stored(home, TelegramJid.For(Private)).Select(m => m.Content).ShouldBe(["@Andy hello there"]);
        runner.Requests.Count.ShouldBe(3); // the chatter alone started no run
    }

    [Fact]
    public async Task AnUnregisteredChatIsListedWithItsJidButItsMessagesAreNotStored()
    {
        await using var api = await FakeTelegramApi.StartAsync(TelegramRig.Token);
        using var home = TelegramRig.Home(api);
        await using var rig = new TelegramRig(home, Replying("unused")).Start();

        api.QueueMessage(Other, "Strangers", "@Andy hi");
        await api.WaitUntilAsync(_ => home.Db.GetState(TelegramChannel.OffsetKey) is not null, "the update is committed");

        home.Db.ListChats().ShouldContain(c => c.Jid == "tg:-1009999999999" && c.Name == "Strangers");
        Stored(home, TelegramJid.For(Other)).ShouldBeEmpty();
        api.SentTo(Other).ShouldBeEmpty();
    }

    [Fact]
    public async Task ARestartBetweenStoreAndOffsetCommitAndAcrossAStreamLosesNothingAndDuplicatesNothing()
    {
        await using var api = await FakeTelegramApi.StartAsync(TelegramRig.Token);
        using var home = TelegramRig.Home(api);
        home.Register(TelegramRig.GroupJid, "family", requiresTrigger: false);
        var runner = Replying("ok");

        int lastOfFirstLife;
        await using (var first = new TelegramRig(home, runner).Start())
        {
            api.QueueMessage(TelegramRig.Group, "Family", "m1");
            api.QueueMessage(TelegramRig.Group, "Family", "m2");
            lastOfFirstLife = api.QueueMessage(TelegramRig.Group, "Family", "m3");
            await api.WaitUntilAsync(_ => home.Db.GetState(TelegramChannel.OffsetKey) == (lastOfFirstLife + 1).ToString(System.Globalization.CultureInfo.InvariantCulture),
                "the three updates are stored and committed");
        }
        // The host died after storing m3 but before committing its offset: the store has it, the offset does not.
        home.Db.SetState(TelegramChannel.OffsetKey, lastOfFirstLife.ToString(System.Globalization.CultureInfo.InvariantCulture));
        api.QueueAgain(RebuiltUpdate(lastOfFirstLife, "m3")); // so Telegram still holds it, as it would
        // Meanwhile more arrives while the host is down.
        api.QueueMessage(TelegramRig.Group, "Family", "m4");
        var last = api.QueueMessage(TelegramRig.Group, "Family", "m5");

        await using (var second = new TelegramRig(home, runner).Start())
        {
            await api.WaitUntilAsync(_ => home.Db.GetState(TelegramChannel.OffsetKey) == (last + 1).ToString(System.Globalization.CultureInfo.InvariantCulture),
                "the second life stores and commits the rest");
            // Telegram forgets them once the next poll's offset confirms them.
            await Eventually.True(() => api.PendingUpdates == 0, "the next poll confirms every update");
        }

        Stored(home, TelegramRig.GroupJid).Select(m => m.Content).ShouldBe(["m1", "m2", "m3", "m4", "m5"]);
    }

    [Fact]
    public async Task AMessageTheStoreRefusesIsNotCommittedAndIsStoredWhenTheStoreWorksAgain()
    {
        await using var api = await FakeTelegramApi.StartAsync(TelegramRig.Token);
        using var home = TelegramRig.Home(api);
        home.Register(TelegramRig.GroupJid, "family", requiresTrigger: false);
        // A real SQLite failure on one insert (as a full disk would cause), not a mock.
        using (var c = new SqliteConnection($"Data Source={home.Config.DatabasePath}"))
        {
            c.Open();
            using var cmd = c.CreateCommand();
            cmd.CommandText = "CREATE TRIGGER refuse_m2 BEFORE INSERT ON messages WHEN NEW.content = 'm2' BEGIN SELECT RAISE(ABORT, 'disk full'); END";
            cmd.ExecuteNonQuery();
        }
        await using var rig = new TelegramRig(home, Replying("ok")).Start();

        var first = api.QueueMessage(TelegramRig.Group, "Family", "m1");
        var refused = api.QueueMessage(TelegramRig.Group, "Family", "m2");
        var last = api.QueueMessage(TelegramRig.Group, "Family", "m3");
        await Eventually.True(() => rig.Logs.Lines.Count(l => l.Contains("disk full", StringComparison.Ordinal)) >= 2, "the store refuses m2, again on retry");
        home.Db.GetState(TelegramChannel.OffsetKey).ShouldBe(refused.ToString(System.Globalization.CultureInfo.InvariantCulture)); // m1 committed, m2 not
        first.ShouldBeLessThan(refused);

        using (var c = new SqliteConnection($"Data Source={home.Config.DatabasePath}"))
        {
            c.Open();
            using var cmd = c.CreateCommand();
            cmd.CommandText = "DROP TRIGGER refuse_m2";
            cmd.ExecuteNonQuery();
        }
        await api.WaitUntilAsync(_ => home.Db.GetState(TelegramChannel.OffsetKey) == (last + 1).ToString(System.Globalization.CultureInfo.InvariantCulture), "the rest is stored and committed");
        Stored(home, TelegramRig.GroupJid).Select(m => m.Content).ShouldBe(["m1", "m2", "m3"]);
    }

    /// <summary>m3 as Telegram would send it again: same update id, same message id (1003, the third in the group).</summary>
    static System.Text.Json.Nodes.JsonObject RebuiltUpdate(int updateId, string text) => new()
    {
        ["update_id"] = updateId,
        ["message"] = new System.Text.Json.Nodes.JsonObject
        {
            ["message_id"] = 1003,
            ["from"] = new System.Text.Json.Nodes.JsonObject { ["id"] = 4242, ["is_bot"] = false, ["first_name"] = "Bob" },
            ["chat"] = new System.Text.Json.Nodes.JsonObject { ["id"] = TelegramRig.Group, ["type"] = "supergroup", ["title"] = "Family" },
            ["date"] = DateTimeOffset.UtcNow.ToUnixTimeSeconds(),
            ["text"] = text,
        },
    };

    [Fact]
    public async Task TheSameUpdateIdTwiceInOneAnswerIsStoredOnce()
    {
        await using var api = await FakeTelegramApi.StartAsync(TelegramRig.Token);
        using var home = TelegramRig.Home(api);
        home.Register(TelegramRig.GroupJid, "family", requiresTrigger: false);
        var runner = Replying("ok");
        var first = api.QueueMessage(TelegramRig.Group, "Family", "once");
        api.QueueAgain(api.PendingUpdate(first));
        var last = api.QueueMessage(TelegramRig.Group, "Family", "twice?");

        await using var rig = new TelegramRig(home, runner).Start();
        await api.WaitUntilAsync(_ => home.Db.GetState(TelegramChannel.OffsetKey) == (last + 1).ToString(System.Globalization.CultureInfo.InvariantCulture), "all committed");

        Stored(home, TelegramRig.GroupJid).Select(m => m.Content).ShouldBe(["once", "twice?"]);
    }

    [Fact]
    public async Task A429HoldsThatChatOnlyUntilRetryAfterAndIsNotCountedAsAFailedAttempt()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.Parse("2026-06-01T06:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        await using var api = await FakeTelegramApi.StartAsync(TelegramRig.Token);
        using var home = TelegramRig.Home(api);
        await using var rig = new TelegramRig(home, Replying("unused"), clock).Start();
        await Eventually.True(() => rig.Channel.IsConnected, "the channel polls");
        api.FailNext("sendMessage", TelegramRig.Group, FakeTelegramError.TooManyRequests(30));

        rig.Host.Outbox.Enqueue(TelegramRig.GroupJid, "A1");
        await api.WaitUntilAsync(a => a.Calls.Any(c => c.Method == "sendMessage" && c.Status == 429), "Telegram answers 429");
        rig.Host.Outbox.Enqueue(TelegramJid.For(Other), "B1");
        await api.WaitUntilAsync(a => a.SentTo(Other).Count == 1, "the other chat is not held");
        rig.Logs.Lines.ShouldContain(l => l.Contains("held until 2026-06-01T06:00:30", StringComparison.Ordinal)
            && l.Contains("429 Too Many Requests, retry after 30 s", StringComparison.Ordinal));

        clock.Advance(TimeSpan.FromSeconds(29));
        await Task.Delay(300);
        api.SentTo(TelegramRig.Group).ShouldBeEmpty(); // still inside retry_after

        await Eventually.True(() => { clock.Advance(TimeSpan.FromSeconds(1)); return api.SentTo(TelegramRig.Group).Count == 1; }, "A1 goes out once retry_after is up");
        await Eventually.True(() => home.Db.PendingOutboundCount() == 0, "every entry is marked sent");
        using var c = new SqliteConnection($"Data Source={home.Config.DatabasePath}");
        c.Open();
        using var cmd = c.CreateCommand();
        // One attempt, the one that went out; the 429 was a hold, not a failure (no error, no backoff).
        cmd.CommandText = "SELECT attempts, last_error IS NULL FROM outbox WHERE chat_jid = $chat";
        cmd.Parameters.AddWithValue("$chat", TelegramRig.GroupJid);
        using var r = cmd.ExecuteReader();
        r.Read().ShouldBeTrue();
        (r.GetInt64(0), r.GetInt64(1)).ShouldBe((1L, 1L));
    }

    [Fact]
    public async Task ARefusedTokenStopsPollingForGoodAndTheLogSaysWhatToDo()
    {
        await using var api = await FakeTelegramApi.StartAsync(TelegramRig.Token);
        using var home = TelegramRig.Home(api, token: "123456789:WRONG");
        await using var rig = new TelegramRig(home, Replying("unused")).Start();

        await Eventually.True(() => rig.Channel.State == TelegramState.Unauthorized, "the channel gives up on the token");
        await Task.Delay(500);
        api.Calls.Count.ShouldBe(1); // one getMe, refused; no spinning
        rig.Channel.IsConnected.ShouldBeFalse();
        rig.Logs.Lines.ShouldContain(l => l.Contains("TELEGRAM_BOT_TOKEN", StringComparison.Ordinal) && l.Contains("@BotFather", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ATokenThatIsNotEvenWellFormedIsRefusedTheSameWayWithoutCrashing()
    {
        await using var api = await FakeTelegramApi.StartAsync(TelegramRig.Token);
        using var home = TelegramRig.Home(api, token: "garbage");
        await using var rig = new TelegramRig(home, Replying("unused")).Start();

        await Eventually.True(() => rig.Channel.State == TelegramState.Unauthorized, "the channel gives up on the token");
        (await TelegramTokenCheck.RunAsync(home.Config, TimeSpan.FromSeconds(10), default)).ShouldBeOfType<TelegramTokenCheck.Invalid>();
    }

    [Fact]
    public async Task ATokenRevokedWhilePollingStopsTheChannelToo()
    {
        await using var api = await FakeTelegramApi.StartAsync(TelegramRig.Token);
        using var home = TelegramRig.Home(api);
        await using var rig = new TelegramRig(home, Replying("unused")).Start();
        await Eventually.True(() => rig.Channel.IsConnected, "the channel polls");

        api.RevokeToken();
        api.QueueMessage(Other, "x", "wake the poll");

        await Eventually.True(() => rig.Channel.State == TelegramState.Unauthorized, "the channel gives up on the token");
        var calls = api.Calls.Count;
        await Task.Delay(500);
        api.Calls.Count.ShouldBe(calls);
    }

    [Fact]
    public async Task AReplyLongerThanTelegramsLimitIsSplitAndSentInOrder()
    {
        await using var api = await FakeTelegramApi.StartAsync(TelegramRig.Token);
        using var home = TelegramRig.Home(api);
        await using var rig = new TelegramRig(home, Replying("unused")).Start();
        await Eventually.True(() => rig.Channel.IsConnected, "the channel polls");
        var text = string.Join(' ', Enumerable.Range(0, 1500).Select(i => $"word{i:D4}")); // 14999 chars

        rig.Host.Outbox.Enqueue(TelegramJid.For(Private), text).ShouldBe(4);

        // One a second per chat (Telegram's limit): four parts take about three seconds.
        await api.WaitUntilAsync(a => a.SentTo(Private).Count == 4, "all parts are sent", TimeSpan.FromSeconds(30));
        api.SentTo(Private).ShouldAllBe(p => p.Length <= TelegramChannel.MaxLength);
        string.Join(' ', api.SentTo(Private)).ShouldBe(text);
    }

    [Fact]
    public async Task TheTokenCheckTellsValidInvalidAndUnreachableApart()
    {
        await using var api = await FakeTelegramApi.StartAsync(TelegramRig.Token);
        using var good = TelegramRig.Home(api);
        using var bad = TelegramRig.Home(api, token: "123456789:WRONG");
        using var nowhere = new TestHome(env => { env["TELEGRAM_BOT_TOKEN"] = TelegramRig.Token; env["TELEGRAM_API_URL"] = "http://127.0.0.1:9"; });

        (await TelegramTokenCheck.RunAsync(good.Config, TimeSpan.FromSeconds(10), default))
            .ShouldBe(new TelegramTokenCheck.Valid(FakeTelegramApi.BotId, FakeTelegramApi.BotUsername, "Andy"));
        (await TelegramTokenCheck.RunAsync(bad.Config, TimeSpan.FromSeconds(10), default)).ShouldBeOfType<TelegramTokenCheck.Invalid>();
        (await TelegramTokenCheck.RunAsync(nowhere.Config, TimeSpan.FromSeconds(10), default)).ShouldBeOfType<TelegramTokenCheck.Unreachable>();
    }
}
