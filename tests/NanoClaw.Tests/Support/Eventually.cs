namespace NanoClaw.Tests.Support;

static class Eventually
{
    /// <summary>Waits for a condition that background work makes true; fails with <paramref name="what"/> after the timeout.
    /// The default bound only decides when a test that will not pass gives up: it is no speed check. 10 s was once too
    /// little for a node sidecar's first line while the suite's VM tests held both cores.</summary>
    public static async Task True(Func<bool> condition, string what, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException("timed out waiting for: " + what);
            await Task.Delay(10);
        }
    }
}
