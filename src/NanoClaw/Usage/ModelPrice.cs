namespace NanoClaw.Usage;

/// <summary>
/// The price of one model. Some models bill a whole call at higher rates when its prompt (input plus cache reads and
/// writes) is over a threshold: <see cref="LongPromptAbove"/> and <see cref="LongPrompt"/>.
/// </summary>
public sealed record ModelPrice(string Model, ModelRates Rates, long? LongPromptAbove = null, ModelRates? LongPrompt = null)
{
    public ModelRates RatesFor(TokenUsage tokens) =>
        LongPromptAbove is { } above && LongPrompt is { } rates && tokens.PromptTokens > above ? rates : Rates;

    public decimal Cost(TokenUsage tokens) => RatesFor(tokens).Cost(tokens);
}
