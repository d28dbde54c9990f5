namespace NanoClaw.Vm.Firecracker;

/// <summary>What setup's Firecracker step did: installed (or already there), or not, with one sentence for the user.</summary>
public sealed record FirecrackerInstallResult(bool Installed, string Message);
