namespace NanoClaw.Runs;

/// <summary>
/// What a guest does while it waits for its job (vm/guest/stage2): <see cref="Full"/> in the product; the others exist so
/// a benchmark can measure what each step saves. QEMU passes it as the kernel argument <c>nanoclaw.prime</c>.
/// </summary>
public enum GuestPriming
{
    /// <summary>Reads Claude Code into the page cache, then starts it once, thrown away (the default).</summary>
    Full,
    /// <summary>Only reads Claude Code and its libraries into the page cache.</summary>
    PageCache,
    /// <summary>Nothing.</summary>
    Off,
}
