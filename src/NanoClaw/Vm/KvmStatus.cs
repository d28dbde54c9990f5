namespace NanoClaw.Vm;

/// <summary>Whether QEMU may use KVM on this host, and a sentence saying why (shown by <c>nanoclaw doctor</c>).</summary>
public sealed record KvmStatus(bool Usable, string Reason);
