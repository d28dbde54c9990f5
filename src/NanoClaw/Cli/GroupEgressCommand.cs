using System.CommandLine;
using NanoClaw.Gateway;
using NanoClaw.Gateway.Egress;
using NanoClaw.Storage;

namespace NanoClaw.Cli;

/// <summary>
/// <c>./nanoclaw groups egress &lt;folder&gt; allow|deny|clear|list [pattern...]</c>: a group's web access rules
/// (<see cref="EgressRules"/>), kept in its <c>container_config</c> in SQLite where no VM can write. They apply from the
/// group's next run on.
/// </summary>
static class GroupEgressCommand
{
    public static Command Create()
    {
        var folder = new Argument<string>("folder") { Description = "The group's folder (see `groups list`)." };
        var action = new Argument<string>("action") { Description = "allow, deny, clear or list." };
        action.AcceptOnlyFromAmong("allow", "deny", "clear", "list");
        var patterns = new Argument<string[]>("patterns") { Description = "Host patterns: example.com or *.example.com.", Arity = ArgumentArity.ZeroOrMore };
        var egress = new Command("egress", "A group's web access: allow or deny host patterns (deny wins; an allow list means only those), clear or list them.")
        {
            folder, action, patterns,
        };
        egress.SetAction(parse =>
        {
            var config = Config.Load();
            return Run(Database.Open(config.DatabasePath), parse.GetValue(folder)!, parse.GetValue(action)!, parse.GetValue(patterns) ?? [], Console.Out, Console.Error);
        });
        return egress;
    }

    internal static int Run(Database db, string folder, string action, IReadOnlyList<string> patterns, TextWriter output, TextWriter error)
    {
        var group = db.RegisteredGroups().FirstOrDefault(g => g.Folder == folder);
        if (group is null)
        {
            error.WriteLine($"No group uses the folder \"{folder}\"; `nanoclaw groups list` shows the registered ones.");
            return 2;
        }
        var rules = EgressRules.FromContainerConfig(group.ContainerConfigJson);
        if (rules.Broken is { } broken && action != "clear")
        {
            error.WriteLine($"The egress rules of {folder} cannot be read ({broken}); all web access is refused until `groups egress {folder} clear`.");
            return 1;
        }
        if (action is "allow" or "deny")
        {
            if (patterns.Count == 0) { error.WriteLine($"Name at least one host pattern, e.g. `groups egress {folder} {action} *.example.com`."); return 2; }
            foreach (var p in patterns)
                if (EgressRules.ValidatePattern(p) is { } problem) { error.WriteLine("Not changed: " + problem); return 2; }
            var normalized = patterns.Select(p => p.Trim().TrimEnd('.').ToLowerInvariant());
            rules = action == "allow"
                ? rules with { Allow = [.. rules.Allow.Union(normalized)] }
                : rules with { Deny = [.. rules.Deny.Union(normalized)] };
        }
        else if (action == "clear")
        {
            rules = EgressRules.None;
        }
        if (action != "list")
        {
            string? json;
            // Replaces only the egress key (also a broken one, on clear); other settings stay as they are.
            try { json = rules.WriteInto(group.ContainerConfigJson); }
            catch (ArgumentException e) { error.WriteLine("Not changed: " + e.Message); return 1; }
            db.SetContainerConfig(group.Jid, json);
        }
        output.WriteLine($"{folder}: {rules} (from the next run on; private and local addresses are refused always).");
        return 0;
    }
}
