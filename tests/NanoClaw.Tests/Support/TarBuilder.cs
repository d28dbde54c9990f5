using System.Formats.Tar;
using System.Text;

namespace NanoClaw.Tests.Support;

/// <summary>Crafts tar archives entry by entry, including the hostile kinds a guest could send.</summary>
public sealed class TarBuilder
{
    readonly MemoryStream _stream = new();
    readonly TarWriter _writer;

    public TarBuilder(TarEntryFormat format = TarEntryFormat.Pax) => _writer = new TarWriter(_stream, format, leaveOpen: true);

    public TarBuilder File(string name, string content, UnixFileMode mode = (UnixFileMode)0b110_100_100) =>
        Add(new PaxTarEntry(TarEntryType.RegularFile, name) { DataStream = new MemoryStream(Encoding.UTF8.GetBytes(content)), Mode = mode });

    public TarBuilder File(string name, byte[] content) =>
        Add(new PaxTarEntry(TarEntryType.RegularFile, name) { DataStream = new MemoryStream(content) });

    public TarBuilder Dir(string name) => Add(new PaxTarEntry(TarEntryType.Directory, name));

    public TarBuilder Symlink(string name, string target) => Add(new PaxTarEntry(TarEntryType.SymbolicLink, name) { LinkName = target });

    public TarBuilder HardLink(string name, string target) => Add(new PaxTarEntry(TarEntryType.HardLink, name) { LinkName = target });

    public TarBuilder Add(TarEntry entry)
    {
        _writer.WriteEntry(entry);
        return this;
    }

    public byte[] ToArray()
    {
        _writer.Dispose();
        return _stream.ToArray();
    }

    public MemoryStream ToStream() => new(ToArray());
}
