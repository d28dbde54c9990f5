namespace NanoClaw.Vm;

/// <summary>
/// How a VM ended. <paramref name="ExitCode"/> is the VMM's (QEMU: 0 when the guest powered off,
/// non-zero on a VMM error, negative or 128+signal when killed); <paramref name="Detail"/> is what
/// the VMM last said on stderr, empty if nothing. The guest's own story is in the console log.
/// </summary>
public sealed record VmExit(int ExitCode, string Detail);
