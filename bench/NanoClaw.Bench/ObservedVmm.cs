using System.Diagnostics;
using NanoClaw.Vm;

namespace NanoClaw.Bench;

/// <summary>
/// Wraps the real VMM to time, from outside the runner, what happens on the last VM's control channel. Adds no
/// behaviour; the runner under test cannot tell the difference.
/// <list type="bullet">
/// <item><see cref="LastBootToReady"/>: from <see cref="BootAsync"/> to the guest's first byte. The guest agent's first
/// frame is always <c>ready</c>, so that byte marks guest-ready.</item>
/// <item><see cref="LastWriteSpan"/>: from the start of the host's first write (the job frame) to the end of its last
/// (with no follow-ups, the close frame right after the workspace). That span is the workspace's sync-in: packing the
/// tar, and pushing it through a channel that drains only as fast as the guest reads and extracts it.</item>
/// </list>
/// </summary>
public sealed class ObservedVmm(IVmm inner) : IVmm
{
    long bootStarted, firstRead, firstWriteStart, lastWriteEnd;

    public string Name => inner.Name;

    /// <summary>From the last <see cref="BootAsync"/> call to its guest's first byte; null if none arrived.</summary>
    public TimeSpan? LastBootToReady =>
        Interlocked.Read(ref firstRead) is var end && end == 0 ? null : Stopwatch.GetElapsedTime(Interlocked.Read(ref bootStarted), end);

    /// <summary>First write start to last write end of the last boot's control channel; null before any write.</summary>
    public TimeSpan? LastWriteSpan =>
        Interlocked.Read(ref firstWriteStart) is var start && start == 0 ? null : Stopwatch.GetElapsedTime(start, Interlocked.Read(ref lastWriteEnd));

    public async Task<IMicroVm> BootAsync(VmSpec spec, CancellationToken ct)
    {
        Interlocked.Exchange(ref firstRead, 0);
        Interlocked.Exchange(ref firstWriteStart, 0);
        Interlocked.Exchange(ref lastWriteEnd, 0);
        Interlocked.Exchange(ref bootStarted, Stopwatch.GetTimestamp());
        var vm = await inner.BootAsync(spec, ct);
        return new ObservedVm(vm, new ObservedStream(vm.Control, this));
    }

    sealed class ObservedVm(IMicroVm inner, Stream control) : IMicroVm
    {
        public string RunId => inner.RunId;
        public Stream Control => control;
        public Task<VmExit> Exited => inner.Exited;
        public IReadOnlyList<string> ExtraDiskSerials => inner.ExtraDiskSerials;
        public void Freeze() => inner.Freeze();
        public void Thaw() => inner.Thaw();
        public TimeSpan CpuTime => inner.CpuTime;
        public ValueTask DisposeAsync() => inner.DisposeAsync();
    }

    /// <summary>Passes everything through, closing included (the runner hangs up on the guest by disposing it), and
    /// notes the first read and the span of the writes.</summary>
    sealed class ObservedStream(Stream inner, ObservedVmm owner) : Stream
    {
        public override bool CanRead => inner.CanRead;
        public override bool CanSeek => false;
        public override bool CanWrite => inner.CanWrite;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => Seen(inner.Read(buffer, offset, count));

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            Seen(await inner.ReadAsync(buffer, cancellationToken));

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Write(byte[] buffer, int offset, int count)
        {
            Started();
            inner.Write(buffer, offset, count);
            Ended();
        }

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            Started();
            await inner.WriteAsync(buffer, cancellationToken);
            Ended();
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Flush() => inner.Flush();
        public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing) inner.Dispose();
            base.Dispose(disposing);
        }

        int Seen(int read)
        {
            if (read > 0) Interlocked.CompareExchange(ref owner.firstRead, Stopwatch.GetTimestamp(), 0);
            return read;
        }

        void Started() => Interlocked.CompareExchange(ref owner.firstWriteStart, Stopwatch.GetTimestamp(), 0);
        void Ended() => Interlocked.Exchange(ref owner.lastWriteEnd, Stopwatch.GetTimestamp());
    }
}
