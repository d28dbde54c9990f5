namespace NanoClaw.Tests.Support;

static class Eventually
{
    /// <summary>Waits for a condition that background work makes true; fails with <paramref name="what"/> after the timeout.</summary>
    public static async Task True(Func<bool> condition, string what, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(10));
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException("timed out waiting for: " + what);
            await Task.Delay(10);
        }
    }
}
