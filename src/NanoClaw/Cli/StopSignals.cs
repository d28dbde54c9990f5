using System.Runtime.InteropServices;

namespace NanoClaw.Cli;

/// <summary>
/// SIGINT and SIGTERM cancel <see cref="Token"/>, which every command's action gets: a service manager's stop and a
/// user's Ctrl-C both let the command shut down cleanly, in its own time (System.CommandLine's own handling ends the
/// process 2 s after the signal with 130/143, cutting a run's grace period short). A second signal is not held back:
/// it ends the process at once.
/// </summary>
sealed class StopSignals : IDisposable
{
    readonly CancellationTokenSource _stop = new();
    readonly PosixSignalRegistration _sigint;
    readonly PosixSignalRegistration _sigterm;

    public StopSignals()
    {
        _sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
        _sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
    }

    public CancellationToken Token => _stop.Token;

    void OnSignal(PosixSignalContext context)
    {
        if (_stop.IsCancellationRequested) return;
        context.Cancel = true;
        _stop.Cancel();
    }

    public void Dispose()
    {
        _sigint.Dispose();
        _sigterm.Dispose();
        _stop.Dispose();
    }
}
