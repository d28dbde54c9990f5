using Microsoft.Extensions.Logging;
using NanoClaw.Channels;
using NanoClaw.Cli;
using NanoClaw.Gateway.Tools;
using NanoClaw.Media;
using NanoClaw.Runs;
using NanoClaw.Storage;

namespace NanoClaw;

/// <summary>
/// The assistant as <c>run</c> and <c>chat</c> start it: the one place its graph is built, each part after the parts it
/// needs, so nothing is attached later: <see cref="AssistantParts"/> (inbox, channels, outbox, files, budgets, task API)
/// -> the agent tools -> <see cref="MicroVmRuntime"/> (its gateway serves the tools from its start) -> the
/// <see cref="AssistantHost"/> with the runtime's runner. Owns all of it; disposes the host first (runs end, its last
/// outbox pass), then the channels, then the runtime (warm VMs, gateway).
/// </summary>
public sealed class Assistant : IAsyncDisposable
{
    readonly WhisperTranscriber? _transcriber;

    Assistant(AssistantHost host, MicroVmRuntime runtime, WhisperTranscriber? transcriber) =>
        (Host, Runtime, _transcriber) = (host, runtime, transcriber);

    public AssistantHost Host { get; }
    public MicroVmRuntime Runtime { get; }

    /// <param name="channels">Makes the channels from what they hand inbound messages, media and reconnects to; the
    /// assistant owns them (disposed after the host's last outbox pass). Not started: that is the caller's, after
    /// <see cref="AssistantHost.Start"/>.</param>
    public static async Task<Assistant> StartAsync(Config config, string repoRoot, Database db, Func<ChannelInbound, IReadOnlyList<IChannel>> channels,
        ILoggerFactory logs, CancellationToken ct, TimeProvider? time = null)
    {
        time ??= TimeProvider.System;
        var transcriber = Transcription.FromConfig(config);
        AssistantParts? parts = null;
        try
        {
            parts = AssistantParts.Build(config, db, channels, time, logs, transcriber);
            var tools = new AgentTools(db, parts.Tasks, parts.Outbox, config, RepoRoot.Templates(repoRoot), time, logs.CreateLogger<AgentTools>(), parts.Files);
            var runtime = await MicroVmRuntime.StartAsync(config, repoRoot, logs, ct, tools, parts.Budgets);
            return new Assistant(new AssistantHost(parts, runtime.Runner), runtime, transcriber);
        }
        catch
        {
            if (parts is not null) await DisposeChannelsAsync(parts.Channels);
            transcriber?.Dispose();
            throw;
        }
    }

    static async Task DisposeChannelsAsync(IReadOnlyList<IChannel> channels)
    {
        foreach (var channel in channels)
            if (channel is IAsyncDisposable disposable) await disposable.DisposeAsync();
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await Host.DisposeAsync();
            await DisposeChannelsAsync(Host.Channels);
        }
        finally
        {
            await Runtime.DisposeAsync();
            _transcriber?.Dispose();
        }
    }
}
