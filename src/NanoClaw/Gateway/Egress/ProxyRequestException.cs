namespace NanoClaw.Gateway.Egress;

/// <summary>A request to the egress proxy that is not well-formed; the message is the 400's body.</summary>
public sealed class ProxyRequestException(string message) : Exception(message);
