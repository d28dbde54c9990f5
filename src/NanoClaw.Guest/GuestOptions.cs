namespace NanoClaw.Guest;

/// <summary>The guest agent's command line:
/// <c>nanoclaw-guest --control PATH|stdio [--root DIR] [--claude PATH]</c>.</summary>
/// <param name="Control">The control channel: a virtio-serial device in the VM, or <c>stdio</c> for tests on a host.</param>
/// <param name="Root">Where <c>/workspace</c> and <c>/home/agent</c> live; <c>/</c> in the VM, a scratch folder in tests.</param>
/// <param name="ClaudePath">The Claude Code executable; it must be executable by the agent user.</param>
public sealed record GuestOptions(string Control, string Root, string ClaudePath)
{
    public const string Usage = "usage: nanoclaw-guest --control PATH|stdio [--root DIR] [--claude PATH]";
    public const string DefaultClaudePath = "/usr/local/bin/claude";

    public bool UsesStdio => Control == "stdio";

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
        return control is null
            ? (null, $"--control is required. {Usage}")
            : (new GuestOptions(control, root ?? "/", claude ?? DefaultClaudePath), null);
    }
}
