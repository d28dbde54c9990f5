using System.CommandLine;
using NanoClaw.ExtraFolders;
using NanoClaw.Storage;

namespace NanoClaw.Cli;

/// <summary>
/// <c>./nanoclaw groups mount add|list|remove</c>: a group's extra host folders (its <c>container_config</c>
/// <c>additionalMounts</c>). A folder is checked against the mount allowlist when added, and again before every run.
/// </summary>
static class GroupMountCommand
{
    public static Command Create()
    {
        var mount = new Command("mount", "Give a group extra host folders (only under the roots of ~/.config/nanoclaw/mount-allowlist.json).");

        Option<string> Folder() => new("--folder") { Description = "The group's folder (see `groups list`).", Required = true };
        var containerPathDescription = "The folder's name inside the VM: /workspace/extra/<name> (default: the host folder's name).";

        var addFolder = Folder();
        var hostPath = new Option<string>("--host-path") { Description = "The host folder (absolute, ~/..., or relative to here).", Required = true };
        var containerPath = new Option<string?>("--container-path") { Description = containerPathDescription };
        var readWrite = new Option<bool>("--read-write") { Description = "Ask for read-write (granted only if the root allows it and the group is main or nonMainReadOnly is false)." };
        var add = new Command("add", "Add an extra folder to a group.") { addFolder, hostPath, containerPath, readWrite };
        add.SetAction(parse =>
        {
            var (config, db) = Open();
            return Add(config, db, parse.GetValue(addFolder)!, parse.GetValue(hostPath)!, parse.GetValue(containerPath),
                parse.GetValue(readWrite), Directory.GetCurrentDirectory(), Console.Out, Console.Error);
        });

        var listFolder = Folder();
        var list = new Command("list", "List a group's extra folders and whether each would be mounted now.") { listFolder };
        list.SetAction(parse =>
        {
            var (config, db) = Open();
            return List(config, db, parse.GetValue(listFolder)!, Console.Out, Console.Error);
        });

        var removeFolder = Folder();
        var removeName = new Option<string>("--container-path") { Description = "The name of the folder to remove (as `mount list` shows it), or its host path.", Required = true };
        var remove = new Command("remove", "Remove an extra folder from a group.") { removeFolder, removeName };
        remove.SetAction(parse =>
        {
            var (config, db) = Open();
            return Remove(config, db, parse.GetValue(removeFolder)!, parse.GetValue(removeName)!, Console.Out, Console.Error);
        });

        mount.Subcommands.Add(add);
        mount.Subcommands.Add(list);
        mount.Subcommands.Add(remove);
        return mount;
    }

    static (Config Config, Database Db) Open()
    {
        var config = Config.Load();
        return (config, Database.Open(config.DatabasePath));
    }

    /// <summary>Adds the folder if the rules approve it together with the group's existing ones; 1 with the reason if not.</summary>
    internal static int Add(Config config, Database db, string folder, string hostPath, string? containerPath, bool readWrite,
        string workingDirectory, TextWriter output, TextWriter error)
    {
        if (!TryGroup(db, folder, error, out var group, out var existing)) return 2;
        var host = Path.GetFullPath(MountAllowlistFile.ExpandHome(hostPath.Trim(), config.UserHome), workingDirectory);
        var request = new AdditionalMount(host, containerPath, readWrite ? false : null);
        List<AdditionalMount> requests = [.. existing, request];

        var allowlist = MountAllowlistFile.Load(config.MountAllowlistPath, config.UserHome);
        var plan = MountValidator.Plan(config, allowlist, requests, group.IsMain);
        if (plan.Refused.FirstOrDefault(r => ReferenceEquals(r.Requested, request)) is { } refusal)
        {
            error.WriteLine($"Not added: {refusal.Reason}");
            return 1;
        }
        var approved = plan.Approved.Single(a => ReferenceEquals(a.Requested, request));
        db.SetContainerConfig(group.Jid, ContainerConfig.WithMounts(group.ContainerConfigJson, requests));
        output.WriteLine($"Added to {folder}: {approved.GuestPath} <- {approved.HostPath} ({(approved.ReadOnly ? "read-only" : "read-write")}). It is checked again before every run.");
        if (approved.Note is { } note) output.WriteLine("Note: " + note);
        return 0;
    }

    /// <summary>Each requested folder with today's verdict.</summary>
    internal static int List(Config config, Database db, string folder, TextWriter output, TextWriter error)
    {
        if (!TryGroup(db, folder, error, out var group, out var existing)) return 2;
        if (existing.Count == 0)
        {
            output.WriteLine($"No extra folders for {folder}. Add one with `nanoclaw groups mount add --folder {folder} --host-path <folder>`.");
            return 0;
        }
        var plan = MountValidator.Plan(config, MountAllowlistFile.Load(config.MountAllowlistPath, config.UserHome), existing, group.IsMain);
        if (plan.AllowlistProblem is { } problem) output.WriteLine("Nothing is mounted: " + problem);
        foreach (var request in existing)
        {
            if (plan.Approved.FirstOrDefault(a => ReferenceEquals(a.Requested, request)) is { } a)
                output.WriteLine($"{a.Name,-20} {(a.ReadOnly ? "ro" : "rw")}  {a.HostPath}{(a.Note is null ? "" : "  (" + a.Note + ")")}");
            else
                output.WriteLine($"{NameOf(request),-20} refused  {request.HostPath}: {plan.Refused.First(r => ReferenceEquals(r.Requested, request)).Reason}");
        }
        return 0;
    }

    /// <summary>Removes the folder whose name (or host path) is <paramref name="name"/>.</summary>
    internal static int Remove(Config config, Database db, string folder, string name, TextWriter output, TextWriter error)
    {
        if (!TryGroup(db, folder, error, out var group, out var existing)) return 2;
        var hostPath = Path.GetFullPath(MountAllowlistFile.ExpandHome(name, config.UserHome));
        var match = existing.FirstOrDefault(m => NameOf(m) == name) ?? existing.FirstOrDefault(m => m.HostPath.TrimEnd('/') == hostPath.TrimEnd('/'));
        if (match is null)
        {
            error.WriteLine(existing.Count == 0
                ? $"{folder} has no extra folders."
                : $"{folder} has no extra folder \"{name}\"; its folders are: {string.Join(", ", existing.Select(NameOf))}.");
            return 1;
        }
        db.SetContainerConfig(group.Jid, ContainerConfig.WithMounts(group.ContainerConfigJson, [.. existing.Where(m => !ReferenceEquals(m, match))]));
        output.WriteLine($"Removed {NameOf(match)} ({match.HostPath}) from {folder}.");
        return 0;
    }

    static string NameOf(AdditionalMount m) => m.ContainerPath ?? Path.GetFileName(m.HostPath.TrimEnd('/'));

    static bool TryGroup(Database db, string folder, TextWriter error, out RegisteredGroup group, out IReadOnlyList<AdditionalMount> mounts)
    {
        group = db.RegisteredGroups().FirstOrDefault(g => g.Folder == folder)!;
        mounts = [];
        if (group is null)
        {
            error.WriteLine($"No group uses the folder \"{folder}\"; `nanoclaw groups list` shows the registered ones.");
            return false;
        }
        switch (ContainerConfig.Parse(group.ContainerConfigJson))
        {
            case ContainerConfigRead.Parsed p: mounts = p.AdditionalMounts; return true;
            case ContainerConfigRead.Invalid i: error.WriteLine($"The container_config of {folder} cannot be edited safely: {i.Reason}"); return false;
            default: return false;
        }
    }
}
