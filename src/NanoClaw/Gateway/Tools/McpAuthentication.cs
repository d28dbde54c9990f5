using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace NanoClaw.Gateway.Tools;

/// <summary>
/// Authenticates every request to <c>/mcp</c> by its run token (<c>Authorization: Bearer</c>, as the run's
/// <c>--mcp-config</c> sends it) and records the <see cref="RunIdentity"/> for the tools. Unknown or revoked: 401.
/// An unbound token (a warm VM's parked Claude Code, before any run claims the VM) passes with no caller set: the MCP
/// handshake and <c>tools/list</c> work, and every tool call answers a tool error (<see cref="NanoClawMcpTools"/>).
/// </summary>
public static class McpAuthentication
{
    public const string Path = "/mcp";

    /// <summary>Tool calls are small; the 64 MB the Messages API route allows is not for them.</summary>
    public const long MaxRequestBodyBytes = 1024 * 1024;

    /// <summary>The caller of the current request, set once its token is validated; null for an unbound token.</summary>
    public static RunIdentity? Caller(HttpContext context) => context.Items[typeof(RunIdentity)] as RunIdentity;

    public static Func<HttpContext, RequestDelegate, Task> Middleware(RunTokens tokens) => async (context, next) =>
    {
        if (!context.Request.Path.StartsWithSegments(Path))
        {
            await next(context);
            return;
        }
        if (!tokens.TryValidateLive(BearerToken(context.Request), out var run))
        {
            context.Response.StatusCode = StatusCodes.Status401Unauthorized;
            context.Response.ContentType = "application/json";
            var body = JsonSerializer.Serialize(new
            {
                jsonrpc = "2.0",
                id = (string?)null,
                error = new { code = -32001, message = "Run token rejected by the NanoClaw gateway: missing, unknown, or its run has ended." },
            });
            await context.Response.WriteAsync(body, context.RequestAborted);
            return;
        }
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
            limit.MaxRequestBodySize = MaxRequestBodyBytes;
        if (run is not null) context.Items[typeof(RunIdentity)] = run;
        await next(context);
    };

    static string? BearerToken(HttpRequest request)
    {
        var authorization = request.Headers.Authorization.ToString();
        return authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) && authorization[7..].Trim() is { Length: > 0 } bearer
            ? bearer
            : null;
    }
}
