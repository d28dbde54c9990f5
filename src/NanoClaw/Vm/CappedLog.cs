using System.Text;

namespace NanoClaw.Vm;

/// <summary>
/// An append-only log file that stops growing at a cap. A guest can print without end; the host's
/// disk must not fill. Past the cap, writes are dropped (after one marker line), never blocked,
/// so the guest's console never stalls.
/// </summary>
internal sealed class CappedLog(string path, long capBytes) : IDisposable
{
    readonly FileStream file = new(path, FileMode.Create, FileAccess.Write, FileShare.Read);
    readonly Lock gate = new();
    long written;
    bool full;

    public void Write(ReadOnlySpan<byte> data)
    {
        lock (gate)
        {
            if (full) return;
            var room = capBytes - written;
            var take = (int)Math.Min(room, data.Length);
            file.Write(Neutralized(data[..take]));
            written += take;
            if (take < data.Length)
            {
                full = true;
                file.Write(Encoding.UTF8.GetBytes($"\n[nanoclaw: console log capped at {capBytes} bytes; the rest was dropped]\n"));
            }
            file.Flush();
        }
    }

    /// <summary>The guest writes this file: its control bytes (ESC, BEL, ...) become '.', and carriage returns are dropped
    /// (a serial console ends lines with CR LF), so that showing the log in a terminal cannot move the cursor, rewrite
    /// earlier lines or set the window title. Newlines and tabs stay.</summary>
    static ReadOnlySpan<byte> Neutralized(ReadOnlySpan<byte> data)
    {
        if (data.IndexOfAnyInRange((byte)0, (byte)31) < 0 && !data.Contains((byte)127)) return data;
        var copy = new List<byte>(data.Length);
        foreach (var b in data)
        {
            if (b == (byte)'\r') continue;
            copy.Add((b < 32 && b is not ((byte)'\n' or (byte)'\t')) || b == 127 ? (byte)'.' : b);
        }
        return copy.ToArray();
    }

    public void WriteLine(string line) => Write(Encoding.UTF8.GetBytes(line + "\n"));

    public void Dispose()
    {
        lock (gate) file.Dispose();
    }
}
