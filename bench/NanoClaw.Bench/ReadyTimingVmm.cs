using System.Diagnostics;
using NanoClaw.MicroVm;

namespace NanoClaw.Bench;

/// <summary>
/// Wraps the real VMM to time, from outside, how long the guest of the last boot took to say anything: the
/// guest agent's first frame is always <c>ready</c>, so the first byte on the control channel marks guest-ready.
/// Adds no behaviour; the runner under test cannot tell the difference.
/// </summary>
public sealed class ReadyTimingVmm(IVmm inner) : IVmm
{
    long bootStarted;
    long firstByte;

    public string Name => inner.Name;

    /// <summary>From the last <see cref="BootAsync"/> call to its guest's first byte; null if none arrived.</summary>
    public TimeSpan? LastBootToReady
    {
        get
        {
            var end = Interlocked.Read(ref firstByte);
            return end == 0 ? null : Stopwatch.GetElapsedTime(Interlocked.Read(ref bootStarted), end);
        }
    }

    public async Task<IMicroVm> BootAsync(VmSpec spec, CancellationToken ct)
    {
        Interlocked.Exchange(ref firstByte, 0);
        Interlocked.Exchange(ref bootStarted, Stopwatch.GetTimestamp());
        var vm = await inner.BootAsync(spec, ct);
        return new TimedVm(vm, new FirstReadStream(vm.Control, () => Interlocked.CompareExchange(ref firstByte, Stopwatch.GetTimestamp(), 0)));
    }

    sealed class TimedVm(IMicroVm inner, Stream control) : IMicroVm
    {
        public string RunId => inner.RunId;
        public Stream Control => control;
        public Task<VmExit> Exited => inner.Exited;
        public IReadOnlyList<string> ExtraDiskSerials => inner.ExtraDiskSerials;
        public ValueTask DisposeAsync() => inner.DisposeAsync();
    }
}
