namespace NanoClaw.Runs;

/// <summary>
/// What a guest does while it waits for its job (vm/guest/stage2). <see cref="Off"/> in the product: on a quiet 2-core
/// TCG machine a fully primed warm run was no faster than an unprimed one (BENCHMARKS.md, issue 19); the others exist so
/// the benchmark can measure each step again (e.g. under KVM). Both VMMs pass it as the kernel argument <c>nanoclaw.prime</c>.
/// </summary>
public enum GuestPriming
{
    /// <summary>Reads Claude Code into the page cache, then starts it once, thrown away (stage 2's own default).</summary>
    Full,
    /// <summary>Only reads Claude Code and its libraries into the page cache.</summary>
    PageCache,
    /// <summary>Nothing.</summary>
    Off,
}

public static class GuestPrimingArgument
{
    /// <summary>What goes on the kernel command line (with its leading space); nothing for stage 2's default.</summary>
    public static string KernelArgument(this GuestPriming priming) => priming switch
    {
        GuestPriming.Off => " nanoclaw.prime=0",
        GuestPriming.PageCache => " nanoclaw.prime=cache",
        _ => "",
    };
}
