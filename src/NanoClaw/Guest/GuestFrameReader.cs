using System.Buffers;

namespace NanoClaw.Guest;

/// <summary>
/// Reads frames from the control channel, strictly (docs/guest-protocol.md). Not thread-safe: one reader task.
/// A frame with a payload is followed by its raw bytes; read them through <see cref="Payload"/> before the
/// next <see cref="ReadAsync{TFrame}"/>, which otherwise skips whatever is left of them.
/// </summary>
/// <param name="maxPayloadBytes">Largest payload accepted; a frame announcing more is a protocol error
/// (so a hostile peer cannot make the reader buffer or skip without bound).</param>
public sealed class GuestFrameReader(Stream stream, long maxPayloadBytes)
{
    readonly byte[] _buffer = new byte[64 * 1024];
    int _start, _end; // unread bytes are _buffer[_start.._end)
    long _payloadRemaining;
    GuestFrame? _current;

    /// <summary>
    /// The next frame, or null when the stream ends cleanly between frames.
    /// <typeparamref name="TFrame"/> is the direction this side accepts (<see cref="GuestToHostFrame"/> on the host,
    /// <see cref="HostToGuestFrame"/> in the guest); a frame of the other direction is a protocol error.
    /// </summary>
    /// <exception cref="GuestProtocolException">Malformed, unknown, oversized or truncated input; the message says which.</exception>
    public async ValueTask<TFrame?> ReadAsync<TFrame>(CancellationToken cancellationToken) where TFrame : GuestFrame
    {
        await SkipPayloadAsync(cancellationToken).ConfigureAwait(false);
        _current = null;
        var line = await ReadLineAsync(cancellationToken).ConfigureAwait(false);
        if (line is null) return null;
        var frame = GuestProtocol.Parse(line.WrittenSpan);
        if (frame is not TFrame typed)
            throw new GuestProtocolException($"'{frame.TypeName}' frame was not expected from this side of the channel");
        if (frame.PayloadBytes > maxPayloadBytes)
            throw new GuestProtocolException($"'{frame.TypeName}' frame announces {frame.PayloadBytes} payload bytes; the limit is {maxPayloadBytes}");
        _current = frame;
        _payloadRemaining = frame.PayloadBytes;
        return typed;
    }

    /// <summary>The payload of the frame last returned: exactly its <see cref="GuestFrame.PayloadBytes"/> bytes,
    /// then end of stream. Reading past what the peer sent throws <see cref="GuestProtocolException"/>.
    /// No payload is an empty seekable stream: readers such as TarReader take an unseekable empty stream for a
    /// truncated archive (which refused every deletions-only <c>changes</c> frame).</summary>
    public Stream Payload => _current is { PayloadBytes: 0 } ? Stream.Null : new PayloadStream(this, _current);

    async ValueTask<ArrayBufferWriter<byte>?> ReadLineAsync(CancellationToken cancellationToken)
    {
        var line = new ArrayBufferWriter<byte>(256);
        while (true)
        {
            var newline = Array.IndexOf(_buffer, (byte)'\n', _start, _end - _start);
            var take = (newline >= 0 ? newline : _end) - _start;
            if (line.WrittenCount + take > GuestProtocol.MaxLineBytes)
                throw new GuestProtocolException($"frame line is longer than {GuestProtocol.MaxLineBytes} bytes");
            line.Write(_buffer.AsSpan(_start, take));
            _start += take;
            if (newline >= 0)
            {
                _start++; // the '\n'
                return line;
            }
            if (await FillAsync(cancellationToken).ConfigureAwait(false) == 0)
            {
                if (line.WrittenCount == 0) return null;
                throw new GuestProtocolException($"stream ended inside a frame line ({line.WrittenCount} bytes without '\\n')");
            }
        }
    }

    async ValueTask<int> FillAsync(CancellationToken cancellationToken)
    {
        _start = 0;
        _end = await stream.ReadAsync(_buffer, cancellationToken).ConfigureAwait(false);
        return _end;
    }

    async ValueTask SkipPayloadAsync(CancellationToken cancellationToken)
    {
        var scratch = _payloadRemaining > 0 ? new byte[16 * 1024] : [];
        while (_payloadRemaining > 0)
            await ReadPayloadAsync(scratch, cancellationToken).ConfigureAwait(false);
    }

    async ValueTask<int> ReadPayloadAsync(Memory<byte> destination, CancellationToken cancellationToken)
    {
        if (_payloadRemaining == 0 || destination.IsEmpty) return 0;
        var want = (int)Math.Min(destination.Length, _payloadRemaining);
        int got;
        if (_start < _end)
        {
            got = Math.Min(want, _end - _start);
            _buffer.AsMemory(_start, got).CopyTo(destination);
            _start += got;
        }
        else
        {
            got = await stream.ReadAsync(destination[..want], cancellationToken).ConfigureAwait(false);
            if (got == 0)
                throw new GuestProtocolException(
                    $"stream ended {_payloadRemaining} bytes short of the {_current?.PayloadBytes}-byte '{_current?.TypeName}' payload");
        }
        _payloadRemaining -= got;
        return got;
    }

    /// <summary>Read-only view of the current payload; shares the reader's buffer, so it is only valid until the next frame.</summary>
    sealed class PayloadStream(GuestFrameReader reader, GuestFrame? frame) : Stream
    {
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count) =>
            ReadAsync(buffer.AsMemory(offset, count), CancellationToken.None).AsTask().GetAwaiter().GetResult();

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            ReferenceEquals(frame, reader._current)
                ? reader.ReadPayloadAsync(buffer, cancellationToken)
                : throw new InvalidOperationException("this payload's frame is no longer current; read a payload before the next frame");

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
