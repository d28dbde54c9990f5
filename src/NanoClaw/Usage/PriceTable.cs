namespace NanoClaw.Usage;

/// <summary>
/// The pinned price table: USD per million tokens, per model, as Anthropic publishes them for the Claude API
/// (platform.claude.com/docs/en/about-claude/pricing and each model's overview page), transcribed on
/// <see cref="AsOf"/>. To update: change the rows and the date together; calls already stored keep the cost they were
/// priced at when they ended. A model not listed here is counted in tokens with its cost shown as unknown: never guessed
/// from a similar name.
/// <para>Not priced here (the gateway cannot see them in the usage it reads): Batch API discounts, fast mode, data
/// residency surcharges, server tools billed per use (web search), and anything under a subscription plan.</para>
/// <para>NOTE: a third-party changelog reports a cut of Sonnet 5.5 cache reads to $0.10 on 2026-10-07; the model's own
/// overview page as stored says $0.20. The table keeps the official page's number until that page says otherwise.</para>
/// </summary>
public static class PriceTable
{
    public static readonly DateOnly AsOf = new(2026, 12, 6);

    // input, output, 5 m cache write, 1 h cache write, cache read
    static ModelRates R(decimal input, decimal output, decimal write5m, decimal write1h, decimal read) => new(input, output, write5m, write1h, read);

    static readonly ModelRates Opus45Tier = R(5m, 25m, 6.25m, 10m, 0.50m);
    static readonly ModelRates OpusOldTier = R(15m, 75m, 18.75m, 30m, 1.50m);
    static readonly ModelRates SonnetTier = R(3m, 15m, 3.75m, 6m, 0.30m);
    // Sonnet 4 and 4.5 with a prompt over 200K tokens (the 1M-context window): the whole call at these rates.
    static readonly ModelRates SonnetLongTier = R(6m, 22.50m, 7.50m, 12m, 0.60m);

    public static readonly IReadOnlyList<ModelPrice> Models =
    [
        new("claude-opus-5-5", R(4m, 20m, 5m, 8m, 0.20m)),
        new("claude-opus-5", Opus45Tier),
        new("claude-opus-4-8", Opus45Tier),
        new("claude-opus-4-7", Opus45Tier),
        new("claude-opus-4-6", Opus45Tier),
        new("claude-opus-4-5", Opus45Tier),
        new("claude-opus-4-1", OpusOldTier),
        new("claude-opus-4-0", OpusOldTier),
        new("claude-opus-4", OpusOldTier),
        new("claude-3-opus", OpusOldTier),
        new("claude-sonnet-5-5", R(2m, 10m, 2.50m, 4m, 0.20m)),
        new("claude-sonnet-5", R(2m, 10m, 2.50m, 4m, 0.20m)),
        new("claude-sonnet-4-6", SonnetTier),
        new("claude-sonnet-4-5", SonnetTier, 200_000, SonnetLongTier),
        new("claude-sonnet-4-0", SonnetTier, 200_000, SonnetLongTier),
        new("claude-sonnet-4", SonnetTier, 200_000, SonnetLongTier),
        new("claude-3-7-sonnet", SonnetTier),
        new("claude-sonnet-3-7", SonnetTier),
        new("claude-haiku-5-5", R(0.10m, 0.50m, 0.125m, 0.20m, 0.01m), 100_000, R(0.50m, 2.50m, 0.625m, 1m, 0.05m)),
        new("claude-haiku-4-5", R(1m, 5m, 1.25m, 2m, 0.10m)),
        new("claude-3-5-haiku", R(0.80m, 4m, 1m, 1.6m, 0.08m)),
        new("claude-3-haiku", R(0.25m, 1.25m, 0.30m, 0.50m, 0.03m)),
        new("claude-fable-5-1", R(10m, 50m, 12.50m, 20m, 0.25m)),
        new("claude-fable-5", R(10m, 50m, 12.50m, 20m, 1m)),
    ];

    static readonly Dictionary<string, ModelPrice> ByModel = Models.ToDictionary(m => m.Model, StringComparer.Ordinal);

    /// <summary>
    /// The price of <paramref name="model"/>: its exact id, or a listed id followed by a release date
    /// (<c>-YYYYMMDD</c>), <c>-latest</c> or a context-window tag (<c>[1m]</c>). Nothing looser: <c>claude-opus-4-1</c>
    /// must never fall back to <c>claude-opus-4</c>'s row, nor an unknown new model to an old one.
    /// </summary>
    public static ModelPrice? Find(string? model)
    {
        if (string.IsNullOrEmpty(model)) return null;
        var id = model;
        var bracket = id.IndexOf('[', StringComparison.Ordinal);
        if (bracket > 0 && id.EndsWith(']')) id = id[..bracket];
        if (ByModel.TryGetValue(id, out var exact)) return exact;
        if (id.EndsWith("-latest", StringComparison.Ordinal) && ByModel.TryGetValue(id[..^"-latest".Length], out var latest)) return latest;
        var dash = id.LastIndexOf('-');
        if (dash > 0 && id.Length - dash - 1 == 8 && id.AsSpan(dash + 1).ContainsAnyExceptInRange('0', '9') == false
            && ByModel.TryGetValue(id[..dash], out var dated)) return dated;
        return null;
    }

    /// <summary>The cost of a call, or null when the model is not in the table.</summary>
    public static decimal? Cost(string? model, TokenUsage tokens) => Find(model)?.Cost(tokens);
}
