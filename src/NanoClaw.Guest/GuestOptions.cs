namespace NanoClaw.Guest;

/// <summary>The guest agent's command line:
/// <c>nanoclaw-guest --control PATH|vsock:PORT|stdio [--root DIR] [--claude PATH]</c>.</summary>
/// <param name="Control">The control channel: a virtio-serial device in a QEMU VM, <c>vsock:PORT</c> under Firecracker
/// (which has no virtio-serial), or <c>stdio</c> for tests on a host.</param>
/// <param name="Root">Where <c>/workspace</c> and <c>/home/agent</c> live; <c>/</c> in the VM, a scratch folder in tests.</param>
/// <param name="ClaudePath">The Claude Code executable; it must be executable by the agent user.</param>
public sealed record GuestOptions(string Control, string Root, string ClaudePath)
{
    public const string Usage = "usage: nanoclaw-guest --control PATH|vsock:PORT|stdio [--root DIR] [--claude PATH]";
    public const string DefaultClaudePath = "/usr/local/bin/claude";

    public bool UsesStdio => Control == "stdio";

    /// <summary>Only the agent of a whole machine (the VM's, whose root is <c>/</c>) sets the machine's clock; one run on a
    /// host for tests (root) must never move the host's.</summary>
    public bool OwnsTheClock => Root == "/";

    /// <summary>The vsock port to listen on when <see cref="Control"/> is <c>vsock:PORT</c>; null otherwise.</summary>
    public VsockAddress? Vsock => Control.StartsWith(VsockAddress.Prefix, StringComparison.Ordinal) ? VsockAddress.Parse(Control).Address : null;

    /// <summary>Parses the command line; the error says what is wrong.</summary>
    public static (GuestOptions? Options, string? Error) Parse(IReadOnlyList<string> args)
    {
        string? control = null, root = null, claude = null;
        for (var i = 0; i < args.Count; i += 2)
        {
            if (i + 1 >= args.Count || args[i + 1].Length == 0) return (null, $"{args[i]} needs a value. {Usage}");
            var value = args[i + 1];
            switch (args[i])
            {
                case "--control": control = value; break;
                case "--root": root = Path.GetFullPath(value); break;
                case "--claude": claude = Path.GetFullPath(value); break;
                default: return (null, $"unknown option '{args[i]}'. {Usage}");
            }
        }
        if (control is null) return (null, $"--control is required. {Usage}");
        if (control.StartsWith(VsockAddress.Prefix, StringComparison.Ordinal) && VsockAddress.Parse(control).Error is { } vsockError)
            return (null, $"--control {vsockError}. {Usage}");
        return (new GuestOptions(control, root ?? "/", claude ?? DefaultClaudePath), null);
    }
}
