using System.Text;
using NanoClaw.Guest;

namespace NanoClaw.Runs;

/// <summary>The per-run log under <c>groups/&lt;folder&gt;/logs/</c>: what happened, never a credential or message text.
/// It stops growing at <paramref name="capBytes"/> (one marker line, then lines are dropped), and a line holding a raw
/// control character is escaped whole, so no guest text that slipped past <see cref="GuestText"/> reaches a terminal.</summary>
sealed class RunLog(string path, TimeProvider time, long capBytes = long.MaxValue) : IAsyncDisposable
{
    readonly StreamWriter _writer = new(path, append: true) { AutoFlush = true };
    readonly Lock _lock = new();
    long _written;
    bool _full;

    public string Path => path;

    public void Write(string line)
    {
        if (!GuestText.IsPlain(line)) line = GuestText.Escape(line, int.MaxValue);
        var text = $"{time.GetUtcNow():yyyy-MM-ddTHH:mm:ss.fffZ} {line}";
        lock (_lock)
        {
            if (_full) return;
            _written += Encoding.UTF8.GetByteCount(text) + 1;
            if (_written > capBytes)
            {
                _full = true;
                text = $"{time.GetUtcNow():yyyy-MM-ddTHH:mm:ss.fffZ} run log capped at {capBytes} bytes; later lines are dropped";
            }
            _writer.WriteLine(text);
        }
    }

    public ValueTask DisposeAsync() => _writer.DisposeAsync();
}
