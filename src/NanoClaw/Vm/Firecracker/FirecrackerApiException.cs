using System.Net;

namespace NanoClaw.Vm.Firecracker;

/// <summary>
/// Firecracker refused an API request. The message carries its own words (<c>fault_message</c>),
/// which say which field was wrong or which state forbade the call.
/// </summary>
public sealed class FirecrackerApiException(string request, HttpStatusCode status, string faultMessage)
    : Exception($"firecracker refused {request} ({(int)status} {status}): {faultMessage}")
{
    public string Request { get; } = request;
    public HttpStatusCode Status { get; } = status;
    public string FaultMessage { get; } = faultMessage;
}
