using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace NanoClaw.Vm.Firecracker;

/// <summary>
/// Firecracker's REST API over its Unix socket (<c>--api-sock</c>): one method per request, each
/// taking its typed body. Any non-2xx answer becomes a <see cref="FirecrackerApiException"/> that
/// carries Firecracker's <c>fault_message</c>.
/// </summary>
public sealed class FirecrackerClient : IDisposable
{
    internal static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        // Action names are PascalCase in the API ("InstanceStart"): no naming policy for enums.
        Converters = { new JsonStringEnumConverter() },
    };

    readonly HttpClient http;

    public FirecrackerClient(string apiSocketPath, TimeSpan requestTimeout)
    {
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (_, ct) =>
            {
                var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                try
                {
                    await socket.ConnectAsync(new UnixDomainSocketEndPoint(apiSocketPath), ct);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        };
        // The host name is never resolved: every connection goes to the socket above.
        http = new HttpClient(handler) { BaseAddress = new Uri("http://localhost/"), Timeout = requestTimeout };
    }

    public Task PutBootSourceAsync(BootSource body, CancellationToken ct) => PutAsync("boot-source", body, ct);

    public Task PutDriveAsync(Drive body, CancellationToken ct) => PutAsync("drives/" + Segment(body.DriveId), body, ct);

    public Task PutMachineConfigAsync(MachineConfiguration body, CancellationToken ct) => PutAsync("machine-config", body, ct);

    public Task PutNetworkInterfaceAsync(NetworkInterface body, CancellationToken ct) =>
        PutAsync("network-interfaces/" + Segment(body.IfaceId), body, ct);

    public Task PutVsockAsync(Vsock body, CancellationToken ct) => PutAsync("vsock", body, ct);

    public Task PutActionAsync(InstanceActionInfo body, CancellationToken ct) => PutAsync("actions", body, ct);

    async Task PutAsync<T>(string path, T body, CancellationToken ct)
    {
        using var response = await http.PutAsJsonAsync(path, body, Json, ct);
        if (response.IsSuccessStatusCode) return;
        var text = await response.Content.ReadAsStringAsync(ct);
        throw new FirecrackerApiException("PUT /" + path, response.StatusCode, FaultMessage(text));
    }

    /// <summary>Firecracker answers errors with <c>{"fault_message": "..."}</c>; anything else is shown raw.</summary>
    internal static string FaultMessage(string body)
    {
        try
        {
            using var doc = JsonDocument.Parse(body);
            if (doc.RootElement.ValueKind == JsonValueKind.Object
                && doc.RootElement.TryGetProperty("fault_message", out var fault) && fault.ValueKind == JsonValueKind.String)
                return fault.GetString()!;
        }
        catch (JsonException)
        {
        }
        return body.Length == 0 ? "(empty response body)" : body;
    }

    static string Segment(string id) => Uri.EscapeDataString(id);

    public void Dispose() => http.Dispose();
}
