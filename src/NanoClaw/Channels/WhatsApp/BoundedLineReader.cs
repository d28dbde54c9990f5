using System.Text;

namespace NanoClaw.Channels.WhatsApp;

/// <summary>
/// Reads <c>\n</c>-terminated lines (a trailing <c>\r</c> dropped) from a <see cref="TextReader"/>, never holding more
/// than <c>maxLineChars</c> of one line: <see cref="TextReader.ReadLineAsync()"/> would buffer a line of any length,
/// so a sidecar (or whatever controls its output) could exhaust the host's memory with one endless line.
/// </summary>
public sealed class BoundedLineReader(TextReader reader, int maxLineChars)
{
    readonly char[] _buffer = new char[8192];
    readonly StringBuilder _line = new();
    int _start, _end;
    bool _eof;

    /// <summary>The next line; null at the end of input. <c>Overlong</c> is true (and <c>Line</c> holds only the first
    /// <c>maxLineChars</c>) when the line was longer; the rest of it is read and dropped.</summary>
    public async Task<(string Line, bool Overlong)?> ReadLineAsync(CancellationToken cancellationToken = default)
    {
        _line.Clear();
        var overlong = false;
        while (true)
        {
            if (_start == _end)
            {
                if (_eof) return _line.Length > 0 || overlong ? (Finish(), overlong) : null;
                _start = 0;
                _end = await reader.ReadAsync(_buffer.AsMemory(), cancellationToken);
                if (_end == 0) { _eof = true; continue; }
            }
            var span = _buffer.AsSpan(_start, _end - _start);
            var newline = span.IndexOf('\n');
            var take = newline < 0 ? span : span[..newline];
            var room = maxLineChars - _line.Length;
            if (take.Length > room) { overlong = true; take = take[..Math.Max(0, room)]; }
            _line.Append(take);
            if (newline < 0) { _start = _end; continue; }
            _start += newline + 1;
            return (Finish(), overlong);
        }
    }

    string Finish()
    {
        if (_line.Length > 0 && _line[^1] == '\r') _line.Length--;
        return _line.ToString();
    }
}
