namespace NanoClaw.MicroVm;

/// <summary>The per-run log under <c>groups/&lt;folder&gt;/logs/</c>: what happened, never a credential or message text.</summary>
sealed class RunLog(string path, TimeProvider time) : IAsyncDisposable
{
    readonly StreamWriter _writer = new(path, append: true) { AutoFlush = true };
    readonly Lock _lock = new();

    public string Path => path;

    public void Write(string line)
    {
        lock (_lock) _writer.WriteLine($"{time.GetUtcNow():yyyy-MM-ddTHH:mm:ss.fffZ} {line}");
    }

    public ValueTask DisposeAsync() => _writer.DisposeAsync();
}
