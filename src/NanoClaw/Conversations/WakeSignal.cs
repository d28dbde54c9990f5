namespace NanoClaw.Conversations;

/// <summary>A coalescing wake-up: any number of <see cref="Set"/> calls wake one waiter once.</summary>
public sealed class WakeSignal(TimeProvider time)
{
    readonly SemaphoreSlim _semaphore = new(0, 1);

    public void Set()
    {
        try { _semaphore.Release(); } catch (SemaphoreFullException) { } // already set
    }

    /// <summary>Waits until set or until <paramref name="timeout"/> passes (on the injected clock). True when set.</summary>
    public async Task<bool> WaitAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (timeout == Timeout.InfiniteTimeSpan) { await _semaphore.WaitAsync(cancellationToken); return true; }
        using var timer = new CancellationTokenSource(timeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timer.Token);
        try { await _semaphore.WaitAsync(linked.Token); return true; }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested) { return false; }
    }
}
