namespace NanoClaw.Vm.Firecracker;

/// <summary>
/// The unprivileged account every jailed firecracker runs as (created by <c>./nanoclaw setup</c>: a system user with
/// no login shell and no home). A VMM escape lands in this account, inside a chroot, not in root.
/// </summary>
public sealed record JailUser(string Name, int Uid, int Gid)
{
    public const string DefaultName = "nanoclaw-vm";

    /// <summary>Looks the account up in <paramref name="passwdFile"/>; null when it does not exist, or is root.</summary>
    public static JailUser? Find(string name = DefaultName, string passwdFile = "/etc/passwd")
    {
        if (!File.Exists(passwdFile)) return null;
        foreach (var line in File.ReadLines(passwdFile))
        {
            // name:password:uid:gid:gecos:home:shell
            var fields = line.Split(':');
            if (fields.Length < 7 || fields[0] != name) continue;
            if (!int.TryParse(fields[2], out var uid) || !int.TryParse(fields[3], out var gid)) return null;
            return uid == 0 || gid == 0 ? null : new JailUser(name, uid, gid);
        }
        return null;
    }
}
