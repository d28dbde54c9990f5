using System.Buffers.Binary;
using System.Net.Sockets;

namespace NanoClaw.Guest;

/// <summary>
/// Carries the guest's TCP connections to the gateway as streams over one byte channel (a QEMU virtio-serial port),
/// so the host forks nothing per connection (docs/gateway-streams.md). The same code runs on both sides: the guest
/// <see cref="CarryAsync">carries</see> each connection it accepts; the host, built with a <c>connect</c> function,
/// answers each open by connecting to the port that function allows, or refuses it.
/// Bounds, enforced on whichever side receives: at most <see cref="Window"/> bytes of a stream are in flight
/// (credit), so the receiver buffers at most Window per stream, and a stream whose reader is slow stops only itself;
/// the host serves at most <c>maxStreams</c> streams at once and refuses the rest (reset), never queues them. Any frame
/// that breaks the protocol ends the whole mux (<see cref="Completion"/> faults with a <see cref="GuestProtocolException"/>);
/// it never throws into its caller otherwise.
/// </summary>
public sealed class GatewayMux : IAsyncDisposable
{
    /// <summary>type (1 byte), stream id (4, big-endian), payload length (2, big-endian).</summary>
    public const int HeaderBytes = 7;
    public const int MaxData = 16 * 1024;
    /// <summary>Per stream and direction: the most bytes sent and not yet credited back.</summary>
    public const int Window = 64 * 1024;
    /// <summary>The most streams the host serves at once per VM: a guest with 64 connections open is far past what
    /// Claude Code uses (a handful), and 64 * <see cref="Window"/> = 4 MiB is the most the host buffers for one VM.</summary>
    public const int DefaultMaxStreams = 64;
    /// <summary>The guest's gateway address and ports, the same as QEMU user networking used to give: the guest listens on them.</summary>
    public const string GuestAddress = "10.0.2.100";
    public const ushort GuestGatewayPort = 80;
    public const ushort GuestProxyPort = 3128;

    readonly Stream _input;
    readonly Stream _output;
    readonly Func<ushort, CancellationToken, Task<Socket?>>? _connect;
    readonly Action<string> _note;
    readonly int _maxStreams;
    readonly Dictionary<uint, GatewayMuxStream> _streams = [];
    readonly SemaphoreSlim _writeGate = new(1, 1);
    readonly CancellationTokenSource _stop = new();
    uint _lastId;
    int _opened, _refused, _peak;

    GatewayMux(Stream input, Stream output, Func<ushort, CancellationToken, Task<Socket?>>? connect, int maxStreams, Action<string> note)
    {
        (_input, _output, _connect, _maxStreams, _note) = (input, output, connect, maxStreams, note);
        Completion = Task.Run(ReadLoopAsync);
    }

    /// <summary>The host side: each open is answered by <paramref name="connect"/> (null: refused) unless
    /// <paramref name="maxStreams"/> are already open. <paramref name="note"/> hears every refusal, with its reason.</summary>
    public static GatewayMux Host(Stream input, Stream output, Func<ushort, CancellationToken, Task<Socket?>> connect, Action<string> note, int maxStreams = DefaultMaxStreams) =>
        new(input, output, connect, maxStreams, note);

    /// <summary>The guest side: it opens streams (<see cref="CarryAsync"/>) and accepts none.</summary>
    public static GatewayMux Guest(Stream input, Stream output, Action<string> note) => new(input, output, null, int.MaxValue, note);

    /// <summary>Ends when the channel ends (cleanly) or breaks the protocol (faulted with <see cref="GuestProtocolException"/>).</summary>
    public Task Completion { get; }
    public int Opened => Volatile.Read(ref _opened);
    public int Refused => Volatile.Read(ref _refused);
    /// <summary>The most streams open at once so far.</summary>
    public int PeakStreams => Volatile.Read(ref _peak);
    public int OpenStreams { get { lock (_streams) return _streams.Count; } }

    /// <summary>Guest side: carries an accepted connection to the host's <paramref name="port"/> until either end closes
    /// it or the host refuses it; the socket is disposed at the end.</summary>
    public async Task CarryAsync(Socket socket, ushort port)
    {
        var open = new byte[HeaderBytes + 2];
        open[0] = (byte)GatewayMuxFrameType.Open;
        BinaryPrimitives.WriteUInt16BigEndian(open.AsSpan(5), 2);
        BinaryPrimitives.WriteUInt16BigEndian(open.AsSpan(HeaderBytes), port);
        GatewayMuxStream? stream = null;
        try
        {
            // The id is taken under the write gate: opens must reach the host in id order.
            await _writeGate.WaitAsync(_stop.Token).ConfigureAwait(false);
            try
            {
                lock (_streams)
                {
                    stream = new GatewayMuxStream(++_lastId, port) { Socket = socket };
                    _streams.Add(stream.Id, stream);
                }
                BinaryPrimitives.WriteUInt32BigEndian(open.AsSpan(1), stream.Id);
                await _output.WriteAsync(open, _stop.Token).ConfigureAwait(false);
                await _output.FlushAsync(_stop.Token).ConfigureAwait(false);
            }
            finally
            {
                _writeGate.Release();
            }
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or OperationCanceledException)
        {
            if (stream is not null) Forget(stream);
            else socket.Dispose();
            return;
        }
        await RunStreamAsync(stream).ConfigureAwait(false);
    }

    async Task ReadLoopAsync()
    {
        var header = new byte[HeaderBytes];
        var payload = new byte[MaxData];
        try
        {
            while (true)
            {
                if (!await ReadFullyAsync(header).ConfigureAwait(false)) return;
                var type = (GatewayMuxFrameType)header[0];
                var id = BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(1));
                int length = BinaryPrimitives.ReadUInt16BigEndian(header.AsSpan(5));
                if (length > MaxData) throw new GuestProtocolException($"stream {id}: a frame of {length} bytes (at most {MaxData})");
                if (length > 0 && !await ReadFullyAsync(payload.AsMemory(0, length)).ConfigureAwait(false))
                    throw new GuestProtocolException($"stream {id}: the channel ended inside a frame");
                await HandleAsync(type, id, payload.AsMemory(0, length)).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or OperationCanceledException)
        {
            // The channel is gone (the VM ended or we are disposed): a clean end.
        }
        finally
        {
            _stop.Cancel();
            GatewayMuxStream[] all;
            lock (_streams) all = [.. _streams.Values];
            foreach (var s in all) s.Abort.Cancel();
        }
    }

    async Task HandleAsync(GatewayMuxFrameType type, uint id, ReadOnlyMemory<byte> payload)
    {
        if (type == GatewayMuxFrameType.Open)
        {
            await OpenAsync(id, payload).ConfigureAwait(false);
            return;
        }
        GatewayMuxStream? s;
        lock (_streams)
        {
            // Streams are numbered 1, 2, ... and never reused: an id above the last open is a lie; a known id that is
            // gone was closed or refused here while the frame was on its way, and the frame is dropped.
            if (id == 0 || id > _lastId) throw new GuestProtocolException($"a '{type}' frame for stream {id}, which was never opened");
            _streams.TryGetValue(id, out s);
        }
        switch (type)
        {
            case GatewayMuxFrameType.Data:
                if (payload.Length == 0) throw new GuestProtocolException($"stream {id}: an empty data frame");
                if (s is null) return;
                lock (s)
                {
                    if (s.FinReceived) throw new GuestProtocolException($"stream {id}: data after fin");
                    if (s.Buffered + payload.Length > Window)
                        throw new GuestProtocolException($"stream {id}: {payload.Length} bytes sent with only {Window - s.Buffered} of credit");
                    s.Buffered += payload.Length;
                    s.Inbound.Writer.TryWrite(payload.ToArray());
                }
                return;
            case GatewayMuxFrameType.Fin:
                if (payload.Length != 0) throw new GuestProtocolException($"stream {id}: a fin with a payload");
                if (s is null) return;
                lock (s)
                {
                    if (s.FinReceived) throw new GuestProtocolException($"stream {id}: a second fin");
                    s.FinReceived = true;
                    s.Inbound.Writer.TryComplete();
                }
                return;
            case GatewayMuxFrameType.Reset:
                if (payload.Length != 0) throw new GuestProtocolException($"stream {id}: a reset with a payload");
                if (s is null) return;
                s.ResetReceived = true;
                s.Abort.Cancel();
                return;
            case GatewayMuxFrameType.Credit:
                if (payload.Length != 4) throw new GuestProtocolException($"stream {id}: a credit frame of {payload.Length} bytes (4)");
                var credit = BinaryPrimitives.ReadUInt32BigEndian(payload.Span);
                if (s is null) return;
                lock (s)
                {
                    if (credit == 0 || credit > (uint)(Window - s.SendCredit))
                        throw new GuestProtocolException($"stream {id}: {credit} bytes of credit, more than were sent");
                    s.SendCredit += (int)credit;
                    if (s.CreditArrived.CurrentCount == 0) s.CreditArrived.Release();
                }
                return;
            default:
                throw new GuestProtocolException($"stream {id}: unknown frame type {(byte)type}");
        }
    }

    async Task OpenAsync(uint id, ReadOnlyMemory<byte> payload)
    {
        if (_connect is null) throw new GuestProtocolException($"the host opened stream {id}; only the guest opens streams");
        if (payload.Length != 2) throw new GuestProtocolException($"stream {id}: an open of {payload.Length} bytes (2: the port)");
        var port = BinaryPrimitives.ReadUInt16BigEndian(payload.Span);
        GatewayMuxStream? stream = null;
        lock (_streams)
        {
            if (id != _lastId + 1) throw new GuestProtocolException($"stream {id} opened after stream {_lastId}: ids go up by one");
            _lastId = id;
            if (_streams.Count < _maxStreams)
            {
                stream = new GatewayMuxStream(id, port);
                _streams.Add(id, stream);
                _opened++;
                _peak = Math.Max(_peak, _streams.Count);
            }
            else _refused++;
        }
        if (stream is null)
        {
            _note($"stream {id} to port {port} refused: {_maxStreams} streams are open, the most one VM gets");
            await SendAsync(GatewayMuxFrameType.Reset, id, default).ConfigureAwait(false);
            return;
        }
        _ = ConnectAndRunAsync(stream);
    }

    async Task ConnectAndRunAsync(GatewayMuxStream stream)
    {
        Socket? socket = null;
        try
        {
            socket = await _connect!(stream.Port, stream.Abort.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException or IOException)
        {
            _note($"stream {stream.Id} to port {stream.Port}: cannot connect ({e.Message})");
        }
        if (socket is null)
        {
            Forget(stream);
            lock (_streams) _refused++;
            await TrySendAsync(GatewayMuxFrameType.Reset, stream.Id).ConfigureAwait(false);
            return;
        }
        stream.Socket = socket;
        await RunStreamAsync(stream).ConfigureAwait(false);
    }

    /// <summary>Pumps one stream both ways until both sides sent fin, or either failed or reset; then forgets it.</summary>
    async Task RunStreamAsync(GatewayMuxStream stream)
    {
        using var abort = CancellationTokenSource.CreateLinkedTokenSource(stream.Abort.Token, _stop.Token);
        var failed = false;
        try
        {
            var outbound = SocketToPeerAsync(stream, abort.Token);
            var inbound = PeerToSocketAsync(stream, abort.Token);
            // Either failing aborts the other.
            var first = await Task.WhenAny(outbound, inbound).ConfigureAwait(false);
            if (first.IsFaulted || first.IsCanceled) await abort.CancelAsync().ConfigureAwait(false);
            await Task.WhenAll(outbound, inbound).ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            failed = true;
        }
        finally
        {
            Forget(stream);
        }
        if (failed && !stream.ResetReceived && !_stop.IsCancellationRequested)
            await TrySendAsync(GatewayMuxFrameType.Reset, stream.Id).ConfigureAwait(false);
    }

    async Task SocketToPeerAsync(GatewayMuxStream stream, CancellationToken ct)
    {
        var socket = stream.Socket!;
        var buffer = new byte[MaxData];
        while (true)
        {
            int allowed;
            lock (stream) allowed = stream.SendCredit;
            if (allowed == 0)
            {
                // The peer has all it allowed and has not consumed it: read nothing more, so the socket's own
                // buffers fill and its sender is held back by TCP.
                await stream.CreditArrived.WaitAsync(ct).ConfigureAwait(false);
                continue;
            }
            var read = await socket.ReceiveAsync(buffer.AsMemory(0, Math.Min(allowed, MaxData)), SocketFlags.None, ct).ConfigureAwait(false);
            if (read == 0)
            {
                await SendAsync(GatewayMuxFrameType.Fin, stream.Id, default, ct).ConfigureAwait(false);
                return;
            }
            lock (stream) stream.SendCredit -= read;
            await SendAsync(GatewayMuxFrameType.Data, stream.Id, buffer.AsMemory(0, read), ct).ConfigureAwait(false);
        }
    }

    async Task PeerToSocketAsync(GatewayMuxStream stream, CancellationToken ct)
    {
        var socket = stream.Socket!;
        var credit = new byte[4];
        await foreach (var chunk in stream.Inbound.Reader.ReadAllAsync(ct).ConfigureAwait(false))
        {
            await socket.SendAsync(chunk, SocketFlags.None, ct).ConfigureAwait(false);
            lock (stream) stream.Buffered -= chunk.Length;
            // Credit only once written: what the peer may still send is what this side can still hold.
            BinaryPrimitives.WriteUInt32BigEndian(credit, (uint)chunk.Length);
            await SendAsync(GatewayMuxFrameType.Credit, stream.Id, credit, ct).ConfigureAwait(false);
        }
        socket.Shutdown(SocketShutdown.Send);
    }

    void Forget(GatewayMuxStream stream)
    {
        lock (_streams) _streams.Remove(stream.Id);
        stream.Inbound.Writer.TryComplete();
        stream.Socket?.Dispose();
    }

    async Task TrySendAsync(GatewayMuxFrameType type, uint id)
    {
        try { await SendAsync(type, id, default).ConfigureAwait(false); }
        catch (Exception e) when (e is IOException or ObjectDisposedException or OperationCanceledException) { /* the channel is gone */ }
    }

    async Task SendAsync(GatewayMuxFrameType type, uint id, ReadOnlyMemory<byte> payload, CancellationToken ct = default)
    {
        var frame = new byte[HeaderBytes + payload.Length];
        frame[0] = (byte)type;
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(1), id);
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(5), (ushort)payload.Length);
        payload.CopyTo(frame.AsMemory(HeaderBytes));
        using var both = CancellationTokenSource.CreateLinkedTokenSource(ct, _stop.Token);
        await _writeGate.WaitAsync(both.Token).ConfigureAwait(false);
        try
        {
            await _output.WriteAsync(frame, both.Token).ConfigureAwait(false);
            await _output.FlushAsync(both.Token).ConfigureAwait(false);
        }
        finally
        {
            _writeGate.Release();
        }
    }

    async Task<bool> ReadFullyAsync(Memory<byte> buffer)
    {
        var done = 0;
        while (done < buffer.Length)
        {
            var read = await _input.ReadAsync(buffer[done..], _stop.Token).ConfigureAwait(false);
            if (read == 0)
            {
                if (done == 0) return false;
                throw new GuestProtocolException("the channel ended inside a frame header");
            }
            done += read;
        }
        return true;
    }

    /// <summary>Stops the mux: every stream's socket is closed. The channel streams belong to the caller.</summary>
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        try { await Completion.ConfigureAwait(false); }
        catch (GuestProtocolException) { /* reported through Completion to whoever watches it */ }
    }
}
