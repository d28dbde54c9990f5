using System.Text;

namespace NanoClaw.MicroVm;

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
            file.Write(data[..take]);
            written += take;
            if (take < data.Length)
            {
                full = true;
                file.Write(Encoding.UTF8.GetBytes($"\n[nanoclaw: console log capped at {capBytes} bytes; the rest was dropped]\n"));
            }
            file.Flush();
        }
    }

    public void WriteLine(string line) => Write(Encoding.UTF8.GetBytes(line + "\n"));

    public void Dispose()
    {
        lock (gate) file.Dispose();
    }
}
