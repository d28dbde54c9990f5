using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace NanoClaw.Tests.Vm.Firecracker;

/// <summary>
/// A STAND-IN for the real firecracker binary, which cannot run on hosts without working KVM:
/// Firecracker's pre-boot REST API on a Unix socket, validating every request strictly against
/// the documented schema (firecracker.yaml): required fields, JSON types, unknown fields
/// rejected with 400 + fault_message, and boot-source, a drive and machine-config required
/// before InstanceStart. After <c>PUT /vsock</c> it also plays the guest's vsock listener on
/// <c>uds_path</c> when <see cref="GuestListens"/> is set: <c>CONNECT port</c> gets
/// <c>OK 1073741824</c> and then the guest agent's ready line.
/// </summary>
public sealed class FakeFirecrackerApi : IAsyncDisposable
{
    enum Kind { String, Bool, Int }

    // Field name -> (type, required), per request body; anything not listed is an unknown field.
    static readonly Dictionary<string, Dictionary<string, (Kind Kind, bool Required)>> Schemas = new()
    {
        ["boot-source"] = new() { ["kernel_image_path"] = (Kind.String, true), ["boot_args"] = (Kind.String, false), ["initrd_path"] = (Kind.String, false) },
        ["drives"] = new() { ["drive_id"] = (Kind.String, true), ["path_on_host"] = (Kind.String, true), ["is_root_device"] = (Kind.Bool, true), ["is_read_only"] = (Kind.Bool, false) },
        ["machine-config"] = new() { ["vcpu_count"] = (Kind.Int, true), ["mem_size_mib"] = (Kind.Int, true), ["smt"] = (Kind.Bool, false) },
        ["network-interfaces"] = new() { ["iface_id"] = (Kind.String, true), ["host_dev_name"] = (Kind.String, true), ["guest_mac"] = (Kind.String, false) },
        ["vsock"] = new() { ["guest_cid"] = (Kind.Int, true), ["uds_path"] = (Kind.String, true) },
        ["actions"] = new() { ["action_type"] = (Kind.String, true) },
    };

    readonly WebApplication app;
    readonly List<Socket> vsockListeners = [];
    bool started;

    FakeFirecrackerApi(WebApplication app) => this.app = app;

    /// <summary>Every accepted request, in order: "PUT /path {body}".</summary>
    public List<string> Accepted { get; } = [];

    /// <summary>Every configured resource by path, as the JSON received.</summary>
    public Dictionary<string, JsonElement> Resources { get; } = [];

    public bool GuestListens { get; set; } = true;

    public static async Task<FakeFirecrackerApi> StartAsync(string socketPath)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.ListenUnixSocket(socketPath));
        var app = builder.Build();
        var fake = new FakeFirecrackerApi(app);
        app.MapPut("/{resource}/{id?}", fake.HandleAsync);
        await app.StartAsync();
        return fake;
    }

    async Task<IResult> HandleAsync(string resource, string? id, HttpRequest request)
    {
        using var reader = new StreamReader(request.Body);
        var text = await reader.ReadToEndAsync();
        lock (Accepted)
        {
            if (Validate(resource, id, text, out var body) is { } fault)
                return Results.Json(new Dictionary<string, string> { ["fault_message"] = fault }, statusCode: 400);
            Resources[id is null ? resource : $"{resource}/{id}"] = body;
            Accepted.Add($"PUT /{resource}{(id is null ? "" : "/" + id)} {text}");
        }
        return Results.NoContent();
    }

    string? Validate(string resource, string? id, string text, out JsonElement body)
    {
        body = default;
        if (!Schemas.TryGetValue(resource, out var schema)) return $"Invalid request method and/or path: PUT /{resource}.";
        if ((resource is "drives" or "network-interfaces") != (id is not null)) return $"Invalid request path for {resource}.";
        try { body = JsonDocument.Parse(text).RootElement.Clone(); }
        catch (JsonException e) { return "Failed to parse request body: " + e.Message; }
        if (body.ValueKind != JsonValueKind.Object) return "Failed to parse request body: not an object.";
        foreach (var property in body.EnumerateObject())
        {
            if (!schema.TryGetValue(property.Name, out var field)) return $"unknown field `{property.Name}`";
            var ok = field.Kind switch
            {
                Kind.String => property.Value.ValueKind == JsonValueKind.String,
                Kind.Bool => property.Value.ValueKind is JsonValueKind.True or JsonValueKind.False,
                _ => property.Value.ValueKind == JsonValueKind.Number && property.Value.TryGetInt32(out _),
            };
            if (!ok) return $"invalid type for `{property.Name}`: expected {field.Kind}";
        }
        foreach (var (name, field) in schema)
            if (field.Required && !body.TryGetProperty(name, out _)) return $"missing field `{name}`";
        if (resource == "drives" && body.GetProperty("drive_id").GetString() != id) return "The id from the path does not match the id from the body!";
        if (resource != "actions" && started) return "The requested operation is not supported after starting the microVM.";
        return resource switch
        {
            "machine-config" when body.GetProperty("vcpu_count").GetInt32() is < 1 or > 32 => "Invalid number of vCPUs: must be 1 to 32",
            "vsock" when body.GetProperty("guest_cid").GetInt32() < 3 => "Invalid guest CID: must be 3 or more",
            "vsock" => ListenVsock(body.GetProperty("uds_path").GetString()!),
            "actions" => Act(body.GetProperty("action_type").GetString()!),
            _ => null,
        };
    }

    string? Act(string action)
    {
        if (action is not ("InstanceStart" or "SendCtrlAltDel" or "FlushMetrics")) return $"unknown variant `{action}`";
        if (action != "InstanceStart") return started ? null : "The requested operation is not supported before starting the microVM.";
        if (started) return "The requested operation is not supported after starting the microVM.";
        var missing = new[] { "boot-source", "machine-config" }.Where(r => !Resources.ContainsKey(r))
            .Concat(Resources.Keys.Any(k => k.StartsWith("drives/", StringComparison.Ordinal)) ? [] : ["drives"]).ToList();
        if (missing.Count > 0) return "Cannot start microvm that was not configured: missing " + string.Join(", ", missing);
        started = true;
        return null;
    }

    string? ListenVsock(string udsPath)
    {
        var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try { listener.Bind(new UnixDomainSocketEndPoint(udsPath)); }
        catch (SocketException e)
        {
            listener.Dispose();
            return $"Cannot create backend for vsock device: {e.Message}";
        }
        listener.Listen();
        vsockListeners.Add(listener);
        _ = ServeVsockAsync(listener);
        return null;
    }

    async Task ServeVsockAsync(Socket listener)
    {
        try
        {
            while (true)
            {
                var connection = await listener.AcceptAsync();
                using var stream = new NetworkStream(connection, ownsSocket: true);
                var line = new StringBuilder();
                var b = new byte[1];
                while (await stream.ReadAsync(b) == 1 && b[0] != '\n') line.Append((char)b[0]);
                // Like Firecracker: no guest listener (or not started) -> the connection is closed.
                if (!started || !GuestListens || !line.ToString().StartsWith("CONNECT ", StringComparison.Ordinal)) continue;
                await stream.WriteAsync(Encoding.ASCII.GetBytes("OK 1073741824\n{\"type\":\"ready\"}\n"));
                // Hold the stream open as a guest would, until the host closes it.
                while (await stream.ReadAsync(b) > 0) { }
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException or IOException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var listener in vsockListeners) listener.Dispose();
        await app.StopAsync();
        await app.DisposeAsync();
    }
}
