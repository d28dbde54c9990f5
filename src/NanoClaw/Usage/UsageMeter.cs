using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using NanoClaw.Gateway;
using NanoClaw.Storage;
using NanoClaw.Usage;

namespace NanoClaw.Usage;

/// <summary>
/// Accounting and budgets for the Messages API calls the gateway forwards (<c>POST /v1/messages</c>; token counting
/// and model listing cost nothing and pass unmetered):
/// <list type="number">
/// <item>Before a call: read the request's <c>model</c> and <c>max_tokens</c>, estimate its most likely-high cost
/// (prompt bytes / 4 at the input rate, plus max_tokens at the output rate), and ask <see cref="Budgets"/> whether the
/// group may spend more counting what its calls in flight have reserved. Over: refused. Else the estimate is reserved,
/// so a concurrent call of the same group sees it; two runs at the edge overshoot by at most their one call each.</item>
/// <item>While relaying: a <see cref="UsageObserver"/> reads usage from the bytes after they were written to the client.</item>
/// <item>After: one <c>api_calls</c> row (also for a cut-off answer, marked partial), then the reservation is released.</item>
/// </list>
/// </summary>
public sealed partial class UsageMeter(Database db, Budgets budgets, TimeProvider time, ILogger<UsageMeter> log)
{
    /// <summary>Bytes of prompt per token, for the estimate only: low, so the reservation errs high.</summary>
    const int BytesPerTokenEstimate = 4;
    const int BufferThreshold = 256 * 1024;

    readonly Lock gate = new();
    readonly Dictionary<string, decimal> reserved = new(StringComparer.Ordinal);
    readonly HashSet<string> unknownModelsLogged = new(StringComparer.Ordinal);

    public Budgets Budgets => budgets;

    /// <summary>What the group's calls in flight have reserved.</summary>
    public decimal Reserved(string groupFolder) { lock (gate) return reserved.GetValueOrDefault(groupFolder); }

    /// <summary>
    /// Starts metering one request: null when it is not a billed endpoint; a call whose <see cref="MeteredCall.Refusal"/>
    /// is set when the group is over its budget; else a call holding its reservation (dispose it to record and release).
    /// The request body stays readable from its start (it is buffered so the model and max_tokens can be read first).
    /// </summary>
    public async Task<MeteredCall?> BeginAsync(HttpContext context, RunIdentity run)
    {
        if (context.Request.Method != "POST" || context.Request.Path.Value != "/v1/messages") return null;
        var (model, maxTokens, bytes) = await ReadRequestAsync(context.Request, context.RequestAborted);
        var estimate = PriceTable.Find(model) is { } price
            ? price.Cost(new TokenUsage(bytes / BytesPerTokenEstimate, maxTokens, 0, 0, 0))
            : 0m; // an unknown model's cost is unknown; it is counted in tokens, never guessed
        var now = time.GetUtcNow();
        lock (gate)
        {
            var inFlight = reserved.GetValueOrDefault(run.GroupFolder);
            if (budgets.Check(run.GroupFolder, now, inFlight) is BudgetDecision.Over over)
            {
                budgets.CallRefused(run.GroupFolder, run.IsMain, run.ChatJid, over);
                return new MeteredCall(this, run, model, now, 0m, over);
            }
            reserved[run.GroupFolder] = inFlight + estimate;
        }
        return new MeteredCall(this, run, model, now, estimate, null);
    }

    /// <summary>Records the call (when it got a 2xx answer) and releases its reservation, in that order, so the spend is
    /// never invisible to a concurrent check.</summary>
    internal void Finish(MeteredCall call)
    {
        try
        {
            if (call.Observer is { } seen && call.Status is >= 200 and < 300)
            {
                var model = seen.Model ?? call.RequestModel ?? "unknown";
                var tokens = seen.Tokens;
                var cost = PriceTable.Cost(model, tokens);
                if (cost is null) LogUnknownModelOnce(model, call.Run.GroupFolder);
                if (!seen.SawUsage) LogNoUsage(log, call.Run.RunId, call.Run.GroupFolder);
                db.InsertApiCall(new ApiCall(call.Run.RunId, call.Run.GroupFolder, call.Run.TaskId, model, tokens, cost, call.StartedAt, seen.Partial));
                LogRecorded(log, call.Run.RunId, call.Run.GroupFolder, model, tokens.Input, tokens.Output, tokens.CacheWrite5m + tokens.CacheWrite1h, tokens.CacheRead,
                    cost is { } usd ? $"${usd:0.######}" : "unknown", seen.Partial);
            }
        }
        catch (Exception e) when (e is Microsoft.Data.Sqlite.SqliteException or IOException)
        {
            LogRecordFailed(log, call.Run.RunId, call.Run.GroupFolder, e.Message);
        }
        finally
        {
            if (call.Estimate != 0m)
                lock (gate)
                {
                    var left = reserved.GetValueOrDefault(call.Run.GroupFolder) - call.Estimate;
                    if (left <= 0m) reserved.Remove(call.Run.GroupFolder);
                    else reserved[call.Run.GroupFolder] = left;
                }
        }
    }

    static async Task<(string? Model, long MaxTokens, long Bytes)> ReadRequestAsync(HttpRequest request, CancellationToken ct)
    {
        // NOTE: buffered (memory, then a temp file) so the body can be read here and again when it is forwarded.
        request.EnableBuffering(BufferThreshold);
        string? model = null;
        long maxTokens = 0;
        try
        {
            using var doc = await JsonDocument.ParseAsync(request.Body, cancellationToken: ct);
            if (doc.RootElement.ValueKind == JsonValueKind.Object)
            {
                if (doc.RootElement.TryGetProperty("model", out var m) && m.ValueKind == JsonValueKind.String) model = m.GetString();
                if (doc.RootElement.TryGetProperty("max_tokens", out var t) && t.ValueKind == JsonValueKind.Number && t.TryGetInt64(out var n) && n > 0) maxTokens = n;
            }
        }
        catch (JsonException) { } // not JSON: the upstream says what is wrong with it
        var bytes = request.Body.Position;
        request.Body.Position = 0;
        return (model, maxTokens, bytes);
    }

    void LogUnknownModelOnce(string model, string group)
    {
        lock (gate) if (!unknownModelsLogged.Add(model)) return;
        LogUnknownModel(log, model, group, PriceTable.AsOf);
    }

    [LoggerMessage(EventId = 110, Level = LogLevel.Debug, Message = "Run {RunId} ({Group}) {Model}: input {Input}, output {Output}, cache write {CacheWrite}, cache read {CacheRead}, cost {Cost}, partial {Partial}")]
    static partial void LogRecorded(ILogger logger, string runId, string group, string model, long input, long output, long cacheWrite, long cacheRead, string cost, bool partial);

    [LoggerMessage(EventId = 111, Level = LogLevel.Warning, Message = "Model {Model} (group {Group}) is not in the price table of {AsOf}: its tokens are counted, its cost is unknown and does not count toward budgets. Add it to Usage/PriceTable.cs")]
    static partial void LogUnknownModel(ILogger logger, string model, string group, DateOnly asOf);

    [LoggerMessage(EventId = 112, Level = LogLevel.Warning, Message = "Run {RunId} ({Group}): a Messages API answer carried no usage; stored with zero tokens")]
    static partial void LogNoUsage(ILogger logger, string runId, string group);

    [LoggerMessage(EventId = 113, Level = LogLevel.Error, Message = "Run {RunId} ({Group}): the call's usage could not be stored: {Reason}")]
    static partial void LogRecordFailed(ILogger logger, string runId, string group, string reason);
}
