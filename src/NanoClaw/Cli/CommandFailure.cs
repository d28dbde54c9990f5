namespace NanoClaw.Cli;

/// <summary>
/// How every command fails: one plain line on stderr saying what to do, and a non-zero exit code. A stack trace
/// helps whoever fixes NanoClaw, not whoever runs it, so it is shown only with <c>LOG_LEVEL=Debug</c> (or Trace).
/// The one place: <c>Program.cs</c> sends every exception a command's action throws here.
/// </summary>
static class CommandFailure
{
    /// <summary>Writes the failure of <paramref name="ex"/> and returns the exit code.</summary>
    public static int Report(Exception ex, TextWriter error, bool interrupted)
    {
        if (Logs.DebugRequested) error.WriteLine(ex.ToString());
        var (line, code) = Describe(ex, interrupted);
        error.WriteLine(line);
        return code;
    }

    static (string Line, int ExitCode) Describe(Exception ex, bool interrupted) => ex switch
    {
        OperationCanceledException when interrupted => ("Interrupted before the command finished.", 130),
        // Expected failures: their messages are written for the user and already say what to do.
        ConfigException or Storage.StoreException or NanoClaw.Vm.Image.VmImageException or NanoClaw.Vm.VmBootException
            or Network.NetworkSetupException => (OneLine(ex.Message), ex is ConfigException ? 2 : 1),
        IOException or UnauthorizedAccessException =>
            ($"{OneLine(ex.Message).TrimEnd('.')}: check that path's permissions and free space, then run the command again.", 1),
        _ => ($"Unexpected error ({ex.GetType().Name}: {OneLine(ex.Message).TrimEnd('.')}); run again with LOG_LEVEL=Debug to see where, and report it.", 1),
    };

    static string OneLine(string message) => string.Join(' ', message.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
}
