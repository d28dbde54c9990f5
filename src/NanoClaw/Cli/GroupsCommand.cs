using System.CommandLine;
using NanoClaw.Conversations;
using NanoClaw.Storage;

namespace NanoClaw.Cli;

/// <summary><c>./nanoclaw groups</c>: list registered chats, register one, give one extra folders (<c>mount</c>).</summary>
static class GroupsCommand
{
    public static Command Create()
    {
        var groups = new Command("groups", "List or register the chats the assistant acts in.");

        var list = new Command("list", "List registered groups.");
        list.SetAction(_ =>
        {
            var db = Database.Open(Config.Load().DatabasePath);
            var rows = db.RegisteredGroups();
            if (rows.Count == 0) { Console.WriteLine("No groups registered yet. `./nanoclaw chat` registers the terminal as the main chat."); return 0; }
            foreach (var g in rows)
                Console.WriteLine($"{g.Folder,-20} {g.Jid,-32} {(g.IsMain ? "main" : g.RequiresTrigger ? "trigger " + g.TriggerPattern : "no trigger"),-16} {g.Name}");
            return 0;
        });

        var jid = new Option<string>("--jid") { Description = "The chat's address (e.g. 1234567890-123@g.us).", Required = true };
        var name = new Option<string>("--name") { Description = "A display name.", Required = true };
        var folder = new Option<string>("--folder") { Description = "Folder under groups/ for its memory and files.", Required = true };
        var trigger = new Option<string?>("--trigger") { Description = "Trigger word (default @<ASSISTANT_NAME>)." };
        var noTrigger = new Option<bool>("--no-trigger") { Description = "Answer every message, not only triggered ones." };
        var isMain = new Option<bool>("--main") { Description = "Make this the main (admin) chat." };
        var register = new Command("register", "Register a chat.") { jid, name, folder, trigger, noTrigger, isMain };
        register.SetAction(parse =>
        {
            var config = Config.Load();
            var folderName = parse.GetValue(folder)!;
            if (GroupFolder.Validate(folderName) is { } error) { Console.Error.WriteLine(error); return 2; }
            var group = new RegisteredGroup(parse.GetValue(jid)!, parse.GetValue(name)!, folderName,
                parse.GetValue(trigger) ?? Trigger.DefaultPattern(config.AssistantName), DateTimeOffset.UtcNow,
                RequiresTrigger: !parse.GetValue(noTrigger), IsMain: parse.GetValue(isMain));
            switch (Database.Open(config.DatabasePath).RegisterGroup(group))
            {
                case RegisterResult.Refused r: Console.Error.WriteLine("Not registered: " + r.Reason); return 1;
                default:
                    GroupFolder.Ensure(config, folderName, RepoRoot.Templates(RepoRoot.Find()));
                    Console.WriteLine($"Registered {group.Name} ({group.Jid}) in groups/{folderName}/.");
                    return 0;
            }
        });

        // Every chat a channel has seen, registered or not: how the owner finds a new chat's jid (e.g. tg:<chat id>).
        var chats = new Command("chats", "List every chat the channels have seen (registered or not), newest first, to find a jid to register.");
        chats.SetAction(_ =>
        {
            var db = Database.Open(Config.Load().DatabasePath);
            var registered = db.RegisteredGroups().Select(g => g.Jid).ToHashSet(StringComparer.Ordinal);
            var rows = db.ListChats();
            if (rows.Count == 0) { Console.WriteLine("No chats seen yet. With ./nanoclaw run going, send a message in the chat first."); return 0; }
            foreach (var c in rows)
                Console.WriteLine($"{c.Jid,-36} {(registered.Contains(c.Jid) ? "registered" : "-"),-11} {c.Name}");
            return 0;
        });

        groups.Subcommands.Add(list);
        groups.Subcommands.Add(chats);
        groups.Subcommands.Add(register);
        groups.Subcommands.Add(GroupMountCommand.Create());
        groups.Subcommands.Add(GroupEgressCommand.Create());
        groups.Subcommands.Add(GroupBudgetCommand.Create());
        groups.Action = list.Action;
        return groups;
    }
}
