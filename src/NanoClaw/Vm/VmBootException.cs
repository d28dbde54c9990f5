namespace NanoClaw.Vm;

/// <summary>A VM did not come up; the message carries QEMU's own words and where the console log is.</summary>
public sealed class VmBootException(string message) : Exception(message);
