namespace NanoClaw.Guest;

/// <summary>
/// Writes frames to the control channel. Safe to call from several tasks: each frame (line plus payload)
/// goes out whole, never interleaved with another.
/// </summary>
public sealed class GuestFrameWriter(Stream stream)
{
    readonly SemaphoreSlim _gate = new(1, 1);

    /// <summary>Writes a frame that has no payload.</summary>
    public Task WriteAsync(GuestFrame frame, CancellationToken cancellationToken)
    {
        if (frame.PayloadBytes != 0)
            throw new ArgumentException($"'{frame.TypeName}' announces {frame.PayloadBytes} payload bytes; pass the payload", nameof(frame));
        return WriteAsync(frame, Stream.Null, cancellationToken);
    }

    /// <summary>Writes a frame followed by exactly <see cref="GuestFrame.PayloadBytes"/> bytes read from <paramref name="payload"/>.</summary>
    /// <exception cref="GuestProtocolException">The frame is invalid or too long, or the payload is shorter than announced
    /// (the channel is then unusable: the peer waits for the missing bytes).</exception>
    public async Task WriteAsync(GuestFrame frame, Stream payload, CancellationToken cancellationToken)
    {
        var line = GuestProtocol.Serialize(frame);
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await stream.WriteAsync(line, cancellationToken).ConfigureAwait(false);
            await stream.WriteAsync("\n"u8.ToArray(), cancellationToken).ConfigureAwait(false);
            await CopyExactlyAsync(payload, frame, cancellationToken).ConfigureAwait(false);
            await stream.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    async Task CopyExactlyAsync(Stream payload, GuestFrame frame, CancellationToken cancellationToken)
    {
        var remaining = frame.PayloadBytes;
        if (remaining == 0) return;
        var buffer = new byte[(int)Math.Min(remaining, 81920)];
        while (remaining > 0)
        {
            var read = await payload.ReadAsync(buffer.AsMemory(0, (int)Math.Min(remaining, buffer.Length)), cancellationToken).ConfigureAwait(false);
            if (read == 0)
                throw new GuestProtocolException($"'{frame.TypeName}' payload ended {remaining} bytes short of the announced {frame.PayloadBytes}");
            await stream.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
            remaining -= read;
        }
    }
}
