using NanoClaw.Gateway;
using NanoClaw.Usage;

namespace NanoClaw.Usage;

/// <summary>
/// One Messages API call under <see cref="UsageMeter"/>: refused (<see cref="Refusal"/>), or holding its reservation
/// until disposed, when what was observed is recorded and the reservation released. Disposal is the one exit: every
/// path of the proxy (answered, cut off, client gone, upstream unreachable) ends there.
/// </summary>
public sealed class MeteredCall : IDisposable
{
    readonly UsageMeter meter;
    int finished;

    internal MeteredCall(UsageMeter meter, RunIdentity run, string? requestModel, DateTimeOffset startedAt, decimal estimate, BudgetDecision.Over? refusal) =>
        (this.meter, Run, RequestModel, StartedAt, Estimate, Refusal) = (meter, run, requestModel, startedAt, estimate, refusal);

    public RunIdentity Run { get; }
    public string? RequestModel { get; }
    public DateTimeOffset StartedAt { get; }
    /// <summary>USD reserved for this call while it runs.</summary>
    public decimal Estimate { get; }
    /// <summary>Set when the group is over budget: the call must not be forwarded.</summary>
    public BudgetDecision.Over? Refusal { get; }

    public int Status { get; private set; }
    public UsageObserver? Observer { get; private set; }

    /// <summary>The upstream answered: its status and media type decide how the body is read.</summary>
    public void Answered(int status, string? mediaType) => (Status, Observer) = (status, new UsageObserver(mediaType));

    /// <summary>Bytes already written to the client.</summary>
    public void Observe(ReadOnlySpan<byte> bytes) => Observer?.Observe(bytes);

    /// <summary>The upstream's body ended normally (not cut off).</summary>
    public void Ended() => Observer?.End();

    public void Dispose()
    {
        if (Interlocked.Exchange(ref finished, 1) == 0 && Refusal is null) meter.Finish(this);
    }
}
