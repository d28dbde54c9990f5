namespace NanoClaw.Vm.Image;

/// <summary>Building the VM image failed; the message says what went wrong and what to do.</summary>
public sealed class VmImageException(string message) : Exception(message);
