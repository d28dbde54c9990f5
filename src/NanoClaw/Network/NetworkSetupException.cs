namespace NanoClaw.Network;

/// <summary>The host network could not be set up or removed; the message says which step and what to do.</summary>
public sealed class NetworkSetupException(string message) : Exception(message);
