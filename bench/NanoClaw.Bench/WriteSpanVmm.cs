using System.Diagnostics;
using NanoClaw.MicroVm;

namespace NanoClaw.Bench;

/// <summary>
/// Wraps the real VMM to time, from outside the runner, how long the host spent writing to the last VM's control
/// channel: from the start of the first write (the job frame) to the end of the last (with no follow-ups, the close
/// frame right after the workspace). That span is the workspace's sync-in: packing the tar, and pushing it through
/// a channel that only drains as fast as the guest reads and extracts it. Adds no behaviour.
/// </summary>
public sealed class WriteSpanVmm(IVmm inner) : IVmm
{
    long firstWriteStart;
    long lastWriteEnd;

    public string Name => inner.Name;

    /// <summary>First write start to last write end of the last boot's control channel; null before any write.</summary>
    public TimeSpan? LastWriteSpan
    {
        get
        {
            var start = Interlocked.Read(ref firstWriteStart);
            return start == 0 ? null : Stopwatch.GetElapsedTime(start, Interlocked.Read(ref lastWriteEnd));
        }
    }

    public async Task<IMicroVm> BootAsync(VmSpec spec, CancellationToken ct)
    {
        Interlocked.Exchange(ref firstWriteStart, 0);
        Interlocked.Exchange(ref lastWriteEnd, 0);
        var vm = await inner.BootAsync(spec, ct);
        return new TimedVm(vm, new TimedStream(vm.Control, this));
    }

    sealed class TimedVm(IMicroVm inner, Stream control) : IMicroVm
    {
        public string RunId => inner.RunId;
        public Stream Control => control;
        public Task<VmExit> Exited => inner.Exited;
        public IReadOnlyList<string> ExtraDiskSerials => inner.ExtraDiskSerials;
        public ValueTask DisposeAsync() => inner.DisposeAsync();
    }

    /// <summary>Passes everything through, closing included (the runner hangs up on the guest by disposing it); notes
    /// when writes start and end.</summary>
    sealed class TimedStream(Stream inner, WriteSpanVmm owner) : Stream
    {
        public override bool CanRead => inner.CanRead;
        public override bool CanSeek => false;
        public override bool CanWrite => inner.CanWrite;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => inner.ReadAsync(buffer, cancellationToken);
        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => inner.ReadAsync(buffer, offset, count, cancellationToken);

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

        void Started() => Interlocked.CompareExchange(ref owner.firstWriteStart, Stopwatch.GetTimestamp(), 0);
        void Ended() => Interlocked.Exchange(ref owner.lastWriteEnd, Stopwatch.GetTimestamp());
    }
}
