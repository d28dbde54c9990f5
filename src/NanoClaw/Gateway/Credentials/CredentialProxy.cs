using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;
using NanoClaw.Guest;
using NanoClaw.Usage;


namespace NanoClaw.Gateway.Credentials;

/// <summary>
/// Forwards a VM's Messages API calls to the real upstream with the real credential in place of the run's token.
/// <list type="number">
/// <item>Authenticate the caller by its per-run token (<c>x-api-key</c> or <c>Authorization: Bearer</c>); 401 otherwise.
/// Only the Messages API endpoints in <see cref="Forwards"/> go on; 403 otherwise.</item>
/// <item>Build the upstream request: same method, path, query and body; other headers copied except hop-by-hop
/// ones and every credential the client sent; then the real credential added.</item>
/// <item>Send, returning as soon as the upstream's headers arrive; 502 with a reason when it cannot be reached.</item>
/// <item>Copy status and headers back, then the body chunk by chunk with a flush each, so SSE flows event by event.</item>
/// </list>
/// </summary>
public sealed partial class CredentialProxy(RunTokens tokens, UpstreamCredential upstream, HttpMessageInvoker client, ILogger<CredentialProxy> logger, TimeProvider time,
    UsageMeter? meter = null)
{
    // Hop-by-hop headers (RFC 9110 7.6.1) describe one connection, not the message; Host is set from the target URL.
    static readonly HashSet<string> HopByHop = new(StringComparer.OrdinalIgnoreCase)
    {
        "Connection", "Keep-Alive", "Proxy-Connection", "TE", "Trailer", "Transfer-Encoding", "Upgrade", "Host",
        "Proxy-Authenticate",
    };

    // Anything a client could authenticate with. None of it may reach the upstream: the run token must not leak
    // out, and a guest must not be able to smuggle in a credential of its own choosing.
    static readonly HashSet<string> ClientCredentials = new(StringComparer.OrdinalIgnoreCase)
    {
        "x-api-key", "Authorization", "Proxy-Authorization", "Cookie",
    };

    public async Task HandleAsync(HttpContext context)
    {
        var started = time.GetTimestamp();
        var aborted = context.RequestAborted;

        // 1. Authenticate.
        if (!tokens.TryValidate(PresentedToken(context.Request), out var run))
        {
            Log.Rejected(logger, context.Request.Method, GuestText.Escape(context.Request.Path.Value), PresentedToken(context.Request) is null ? "no run token" : "unknown or revoked run token");
            // NOTE: without this header Claude Code retries a 401 with backoff for minutes; a dead token stays dead.
            context.Response.Headers["x-should-retry"] = "false";
            await WriteErrorAsync(context, StatusCodes.Status401Unauthorized, "authentication_error",
                "Run token rejected by the NanoClaw gateway: missing, unknown, or its run has ended.");
            return;
        }

        if (PathRefusal(context) is { } pathRefusal)
        {
            Log.NotForwarded(logger, run.RunId, run.GroupFolder, context.Request.Method, GuestText.Escape(context.Request.Path.Value), pathRefusal);
            context.Response.Headers["x-should-retry"] = "false";
            await WriteErrorAsync(context, StatusCodes.Status400BadRequest, "invalid_request_error",
                $"The NanoClaw gateway does not forward this path: {pathRefusal}.");
            return;
        }

        if (!Forwards(context.Request.Method, context.Request.Path))
        {
            Log.NotForwarded(logger, run.RunId, run.GroupFolder, context.Request.Method, GuestText.Escape(context.Request.Path.Value), "not a Messages API endpoint");
            context.Response.Headers["x-should-retry"] = "false";
            await WriteErrorAsync(context, StatusCodes.Status403Forbidden, "permission_error",
                $"The NanoClaw gateway does not forward {context.Request.Method} {context.Request.Path}: a VM may use the Messages API only.");
            return;
        }

        // Budget and accounting (UsageMeter): a group over its budget is refused here; any other call is metered until disposed.
        using var metered = meter is null ? null : await meter.BeginAsync(context, run);
        if (metered?.Refusal is { } over)
        {
            context.Response.Headers["x-should-retry"] = "false";
            await WriteErrorAsync(context, StatusCodes.Status402PaymentRequired, "billing_error", $"NanoClaw budget: {over.Reason}. Stop here and tell the user.");
            return;
        }

        // 2. Build the upstream request.
        using var request = BuildUpstreamRequest(context);

        // 3. Send.
        HttpResponseMessage response;
        try
        {
            response = await client.SendAsync(request, aborted);
        }
        catch (OperationCanceledException) when (aborted.IsCancellationRequested)
        {
            Log.ClientGone(logger, run.RunId, run.GroupFolder, GuestText.Escape(context.Request.Path.Value));
            return;
        }
        catch (HttpRequestException e)
        {
            // NOTE: ANTHROPIC_BASE_URL may carry a password (https://user:pass@host); the guest sees neither part of it.
            var reason = upstream.Redact(e.Message);
            Log.UpstreamUnreachable(logger, run.RunId, run.GroupFolder, upstream.DisplayUrl, reason);
            await WriteErrorAsync(context, StatusCodes.Status502BadGateway, "api_error",
                $"The gateway could not reach the model API at {upstream.DisplayUrl}: {reason}");
            Log.Forwarded(logger, run.RunId, run.GroupFolder, context.Request.Method, GuestText.Escape(context.Request.Path.Value), 502, time.GetElapsedTime(started).TotalMilliseconds);
            return;
        }

        // 4. Copy the response back as it arrives.
        using (response)
        {
            try
            {
                await CopyResponseAsync(context, response, aborted, metered);
            }
            catch (OperationCanceledException) when (aborted.IsCancellationRequested)
            {
                Log.ClientGone(logger, run.RunId, run.GroupFolder, GuestText.Escape(context.Request.Path.Value));
                return;
            }
            catch (Exception e) when (e is IOException or HttpRequestException)
            {
                // NOTE: the status line has gone out already, so the only honest signal left is to cut the connection.
                Log.UpstreamBrokeOff(logger, run.RunId, run.GroupFolder, GuestText.Escape(context.Request.Path.Value), upstream.Redact(e.Message));
                context.Abort();
                return;
            }
        }
        Log.Forwarded(logger, run.RunId, run.GroupFolder, context.Request.Method, GuestText.Escape(context.Request.Path.Value), (int)response.StatusCode, time.GetElapsedTime(started).TotalMilliseconds);
    }

    /// <summary>
    /// The endpoints a VM may reach with the real credential: what Claude Code uses, nothing more. The same key
    /// would open the account's files and batches (<c>/v1/files</c>, <c>/v1/messages/batches</c>), which are not a
    /// guest's business.
    /// </summary>
    public static bool Forwards(string method, PathString path) => (method, path.Value) switch
    {
        ("POST", "/v1/messages" or "/v1/messages/count_tokens") => true,
        ("GET", "/v1/models") => true,
        ("GET", { } p) => p.StartsWith("/v1/models/", StringComparison.Ordinal) && ModelId().IsMatch(p["/v1/models/".Length..]),
        _ => false,
    };

    /// <summary>
    /// Null when the request's path may be forwarded; otherwise why not. Kestrel leaves <c>%2F</c> encoded in
    /// <see cref="HttpRequest.Path"/> and decodes <c>%5C</c> to a backslash, so <c>/v1/models/..%2Ffiles</c> looks
    /// like one segment here while an upstream (or a proxy before it) may decode it to <c>/v1/files</c>, with the
    /// real key. No path this gateway forwards needs either character, so both are refused, raw or decoded.
    /// </summary>
    internal static string? PathRefusal(HttpContext context)
    {
        var raw = context.Features.Get<IHttpRequestFeature>()?.RawTarget ?? "";
        var rawPath = raw.IndexOf('?') is var q and >= 0 ? raw[..q] : raw;
        var path = context.Request.Path.Value ?? "";
        if (rawPath.Contains('%') || path.Contains('%')) return "percent-encoding ('%') is not allowed in the path";
        if (rawPath.Contains('\\') || path.Contains('\\')) return "a backslash is not allowed in the path";
        return null;
    }

    /// <summary>A model id as the Models API names them (<c>claude-opus-4-1-20250805</c>): letters, digits, <c>. _ - : @</c>.</summary>
    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$", RegexOptions.CultureInvariant)]
    private static partial Regex ModelId();

    /// <summary>The token from <c>x-api-key</c> (ANTHROPIC_API_KEY) or, failing that, <c>Authorization: Bearer</c> (ANTHROPIC_AUTH_TOKEN).</summary>
    static string? PresentedToken(HttpRequest request)
    {
        if (request.Headers["x-api-key"].ToString() is { Length: > 0 } apiKey) return apiKey;
        var authorization = request.Headers.Authorization.ToString();
        return authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) && authorization[7..].Trim() is { Length: > 0 } bearer
            ? bearer
            : null;
    }

    HttpRequestMessage BuildUpstreamRequest(HttpContext context)
    {
        var incoming = context.Request;
        var target = new Uri(upstream.BaseUrl.GetLeftPart(UriPartial.Authority) + upstream.BaseUrl.AbsolutePath.TrimEnd('/')
            + incoming.Path.ToUriComponent() + incoming.QueryString.ToUriComponent());
        var request = new HttpRequestMessage(new HttpMethod(incoming.Method), target)
        {
            Version = new Version(2, 0),
            VersionPolicy = HttpVersionPolicy.RequestVersionOrLower,
        };
        if (context.Features.Get<IHttpRequestBodyDetectionFeature>()?.CanHaveBody == true)
            request.Content = new StreamContent(incoming.Body);

        var connectionScoped = incoming.Headers.Connection.SelectMany(v => (v ?? "").Split(',', StringSplitOptions.TrimEntries));
        var skip = new HashSet<string>(connectionScoped, StringComparer.OrdinalIgnoreCase);
        foreach (var (name, values) in incoming.Headers)
        {
            if (HopByHop.Contains(name) || ClientCredentials.Contains(name) || skip.Contains(name)) continue;
            if (!request.Headers.TryAddWithoutValidation(name, (IEnumerable<string?>)values))
                request.Content?.Headers.TryAddWithoutValidation(name, (IEnumerable<string?>)values);
        }
        upstream.ApplyTo(request);
        return request;
    }

    static async Task CopyResponseAsync(HttpContext context, HttpResponseMessage response, CancellationToken aborted, MeteredCall? metered)
    {
        context.Response.StatusCode = (int)response.StatusCode;
        metered?.Answered((int)response.StatusCode, response.Content.Headers.ContentType?.MediaType);
        foreach (var (name, values) in response.Headers.Concat(response.Content.Headers))
        {
            if (HopByHop.Contains(name)) continue;
            context.Response.Headers[name] = values.ToArray();
        }
        context.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
        await using var body = await response.Content.ReadAsStreamAsync(aborted);
        var buffer = new byte[16 * 1024];
        int read;
        while ((read = await body.ReadAsync(buffer, aborted)) > 0)
        {
            await context.Response.Body.WriteAsync(buffer.AsMemory(0, read), aborted);
            await context.Response.Body.FlushAsync(aborted);
            metered?.Observe(buffer.AsSpan(0, read)); // after the flush: the client never waits for the accounting
        }
        metered?.Ended();
        // The client gets the end of the answer before the call's row is written (on disposal of the metered call).
        if (metered is not null) await context.Response.CompleteAsync();
    }

    /// <summary>An error in the Messages API's own shape, so Claude Code shows the message instead of a parse failure.</summary>
    internal static Task WriteErrorAsync(HttpContext context, int status, string type, string message)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        var body = JsonSerializer.Serialize(new { type = "error", error = new { type, message } });
        return context.Response.WriteAsync(body, context.RequestAborted);
    }
}
