using NanoClaw.Gateway;
using NanoClaw.Guest;
using NanoClaw.Vm;

namespace NanoClaw.Runs;

/// <summary>
/// A booted VM whose guest agent has sent <c>ready</c> and has been sent nothing yet: no job, no workspace, no
/// token. Cold boots and the warm pool both produce one; a run then owns it and disposes it, which destroys the VM
/// and settles its console log (moved next to the run's log, or deleted when it only ever held a boot).
/// </summary>
public sealed class ReadyVm : IAsyncDisposable
{
    ReadyVm(IMicroVm vm, GuestFrameReader reader, VmSpec spec, long readyAt) => (Vm, Reader, Spec, ReadyAt) = (vm, reader, spec, readyAt);

    public IMicroVm Vm { get; }

    /// <summary>The reader that consumed <c>ready</c>. Keep using this one: a fresh reader could miss bytes it buffered.</summary>
    public GuestFrameReader Reader { get; }

    public VmSpec Spec { get; }

    public string Id => Spec.RunId;

    /// <summary>When <c>ready</c> arrived (<see cref="TimeProvider.GetTimestamp"/> of the provider passed to <see cref="BootAsync"/>).</summary>
    public long ReadyAt { get; }

    /// <summary>
    /// The Claude Code this VM's guest has pre-started (sent as <c>spare</c>), or null. Its token is revoked when this is
    /// disposed, whoever owns the VM then: a warm VM discarded, drained or dead takes its token with it, and a run
    /// that bound it revokes it too.
    /// </summary>
    public WarmSpare? Spare { get; private set; }

    RunTokens? spareTokens;
    string? consoleLogTarget;
    bool deleteConsoleLog;

    /// <summary>Boots a VM and waits for the guest's <c>ready</c>. On any failure the VM is destroyed before this throws.</summary>
    /// <exception cref="VmBootException">The VM did not reach ready within <paramref name="bound"/>, or said something else first.</exception>
    public static async Task<ReadyVm> BootAsync(IVmm vmm, VmSpec spec, TimeSpan bound, TimeProvider time, CancellationToken ct)
    {
        var vm = await vmm.BootAsync(spec, ct);
        try
        {
            var reader = new GuestFrameReader(vm.Control, WorkspaceSyncLimits.Default.MaxTotalBytes);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(bound);
            GuestToHostFrame? first;
            try { first = await reader.ReadAsync<GuestToHostFrame>(timeout.Token); }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                throw new VmBootException($"the guest did not say ready within {bound.TotalSeconds:F0} s (console log: {spec.ConsoleLogPath})");
            }
            if (first is not ReadyFrame)
                throw new VmBootException(first is null
                    ? "the VM stopped before its agent started (see the console log)"
                    : $"the guest's first frame was {first.TypeName}, not ready");
            return new ReadyVm(vm, reader, spec, time.GetTimestamp());
        }
        catch
        {
            await vm.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// Issues the VM's token (unbound) and sends <c>spare</c>, the first frame after <c>ready</c>: the guest starts Claude
    /// Code and claims it in a folder of its own. On failure this throws; the VM is then unusable and its disposal
    /// revokes the token.
    /// </summary>
    /// <param name="globalMemory">The global CLAUDE.md now (<see cref="WarmSpare.ReadGlobalMemory"/>).</param>
    public async Task SendSpareAsync(RunTokens tokens, GuestEndpoints guest, string? globalMemory, CancellationToken ct)
    {
        var spare = WarmSpare.Issue(tokens, guest, globalMemory);
        (Spare, spareTokens) = (spare, tokens);
        await new GuestFrameWriter(Vm.Control).WriteAsync(new SpareFrame(spare.Env, spare.McpConfigJson, spare.GlobalMemory), ct);
    }

    /// <summary>The console log moves here when the VM is destroyed (a warm VM booted before its run had a log folder).</summary>
    public void KeepConsoleLogAt(string path) => (consoleLogTarget, deleteConsoleLog) = (path, false);

    /// <summary>Deletes the console log with the VM: for warm VMs that never served a run, whose log holds only a boot.</summary>
    public void DeleteConsoleLog() => (consoleLogTarget, deleteConsoleLog) = (null, true);

    public async ValueTask DisposeAsync()
    {
        if (Spare is { } spare) spareTokens?.Revoke(spare.Token);
        await Vm.DisposeAsync();
        // After the VM is gone nothing writes the file any more, so a move (even across file systems) loses nothing.
        try
        {
            if (deleteConsoleLog) File.Delete(Spec.ConsoleLogPath);
            else if (consoleLogTarget is { } target && target != Spec.ConsoleLogPath && File.Exists(Spec.ConsoleLogPath))
                File.Move(Spec.ConsoleLogPath, target, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The run is over either way; a console log left where it was is still named in the run log.
        }
    }
}
