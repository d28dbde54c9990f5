using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using NanoClaw.Gateway;
using NanoClaw.Gateway.Egress;
using NanoClaw.Gateway.Tools;
using NanoClaw.Guest;
using NanoClaw.Storage;
using NanoClaw.Vm;
using NanoClaw.Vm.Image;

namespace NanoClaw.Runs;

/// <summary>
/// Runs each agent run in a fresh microVM:
/// 1. make sure the VM image exists (built on first use);
/// 2. check the group's extra folders and build (or reuse) their images;
/// 3. claim a ready VM from the <see cref="WarmPool"/>, or boot one and wait for the guest agent's <c>ready</c>; then the run's
///    gateway token (the only credential the guest ever sees): the warm VM's spare token bound to this run, else a new one;
/// 4. send the job and the group's workspace;
/// 5. relay: guest output, session and idle become <see cref="AgentEvent"/>s, changed files are validated
///    and applied, follow-ups go in as <c>message</c> frames and the end of follow-ups as <c>close</c>;
/// 6. revoke the token and destroy the VM on every path.
/// </summary>
public sealed partial class MicroVmAgentRunner(
    Config config, VmImage image, IVmm vmm, HostGateway gateway, RunTokens tokens, TimeProvider time, ILogger<MicroVmAgentRunner> log,
    WarmPool? warmPool = null) : IAgentRunner
{
    /// <summary>What the guest sees as its Messages API without TAP, over the gateway streams (TAP networking: <see cref="HostGateway.Guest"/>).</summary>
    public const string GuestGatewayUrl = "http://10.0.2.100";
    /// <summary>The name the agent's tools go by: the model sees them as <c>mcp__nanoclaw__&lt;tool&gt;</c>.</summary>
    public const string McpServerName = "nanoclaw";
    static readonly TimeSpan GuestPowerOffGrace = TimeSpan.FromSeconds(5);

    public IAsyncEnumerable<AgentEvent> RunAsync(AgentRequest request, ChannelReader<RunMessage> followUps, CancellationToken cancellationToken)
    {
        var events = Channel.CreateUnbounded<AgentEvent>(new UnboundedChannelOptions { SingleReader = true });
        _ = Task.Run(async () =>
        {
            AgentEvent last;
            try { last = await RunVmAsync(request, followUps, events.Writer, cancellationToken); }
            catch (Exception ex) { last = new AgentEvent.Failed(ex.Message); LogRunCrashed(log, request.Group.Folder, ex); }
            events.Writer.TryWrite(last);
            events.Writer.TryComplete();
        }, CancellationToken.None);
        return events.Reader.ReadAllAsync(CancellationToken.None);
    }

    async Task<AgentEvent> RunVmAsync(AgentRequest request, ChannelReader<RunMessage> followUps, ChannelWriter<AgentEvent> events, CancellationToken cancellationToken)
    {
        var group = request.Group;
        // 1. the image
        var artifacts = await image.EnsureAsync(new Progress<string>(line => LogImageProgress(log, line)), cancellationToken);

        var started = time.GetUtcNow();
        var runId = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6));
        var logsDir = Directory.CreateDirectory(Path.Combine(config.GroupDir(group.Folder), "logs")).FullName;
        var stamp = started.ToString("yyyyMMdd-HHmmss");
        await using var runLog = new RunLog(Path.Combine(logsDir, $"{stamp}-{runId}.log"), time, RunCaps.Default.MaxRunLogBytes);
        runLog.Write($"run {runId} for {group.Name} ({group.Jid}, folder {group.Folder}) on {vmm.Name}; session {(request.SessionId is { } id ? GuestText.Escape(id, 100) : "new")}");
        var sessionId = SessionToResume(request, runLog, log);

        // 2. extra folders, then the run's credential (it dies with the VM)
        var extras = await PrepareExtraFoldersAsync(config, group, runLog, log, cancellationToken);
        var layout = Layout(config, group, extras.Writable);
        Directory.CreateDirectory(layout.ClaudeStateDir);
        Directory.CreateDirectory(layout.GlobalDir);
        // The group's web rules are read from SQLite (never from the folder the VM writes back), fixed for the run.
        var egress = EgressRules.FromContainerConfig(group.ContainerConfigJson);
        var identity = new RunIdentity(runId, group.Folder, group.Jid, group.IsMain, egress, request.TaskId);
        // Issued once the VM is known: a warm VM with a spare already holds a token, which is bound to this run instead.
        string? token = null;
        runLog.Write($"web access through the egress proxy ({gateway.Guest.ProxyAuthority}): {egress}; each destination is logged as `egress {group.Folder} run {runId}`");
        using var hardTimeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        // A prepared run's limit counts from its first message (see the feeding below), not from while it waited for one;
        // until then it is bounded by the wait plus a run, so a guest that hangs while it waits is still stopped.
        hardTimeout.CancelAfter(request.Prepared ? config.AgentPrepareWait + config.AgentTimeout : config.AgentTimeout);
        if (request.Prepared) runLog.Write("prepared run: Claude Code starts now and waits; the group's next message is its first turn");
        var ct = hardTimeout.Token;
        try
        {
            // 3. a VM whose guest said ready: warm from the pool, else booted now
            var consoleLog = Path.Combine(logsDir, $"{stamp}-{runId}.console.log");
            ReadyVm ready;
            try { ready = await ClaimOrBootAsync(group, runId, artifacts, extras.Disks, consoleLog, started, runLog, ct); }
            catch (VmBootException ex) { return Fail(runLog, ex.Message); }
            await using var readyVm = ready;
            var vm = ready.Vm;
            var reader = ready.Reader;
            var writer = new GuestFrameWriter(vm.Control);

            // The run's credential: one VM, one token, one run. A warm VM's spare token is bound to this run (before the
            // job is sent, so the spare's first tool or model call already speaks for it); its env and MCP config are
            // then exactly what the spare was started with, which is what lets the guest claim it.
            IReadOnlyDictionary<string, string> env;
            string mcpConfig;
            if (ready.Spare is { } spare && tokens.Bind(spare.Token, identity))
            {
                (token, env, mcpConfig) = (spare.Token, spare.Env, spare.McpConfigJson);
                runLog.Write(sessionId is null
                    ? "Claude Code: the warm VM's spare (started before this run) is bound to it; the guest claims it"
                    : "Claude Code: cold start, the session is resumed (a spare cannot resume); the warm VM's token is bound to this run");
            }
            else
            {
                token = tokens.Issue(identity);
                (env, mcpConfig) = (GuestEnvironment(gateway.Guest, token), McpConfigJson(token, gateway.Guest.GatewayUrl));
                runLog.Write(ready.Spare is null
                    ? "Claude Code: cold start (no spare in this VM)"
                    : "Claude Code: cold start (the spare's token could not be bound; the guest kills the spare)");
            }

            // 4. job and workspace
            await writer.WriteAsync(new JobFrame(runId, group.Folder, group.IsMain, time.GetUtcNow(), env,
                Prompt: request.Prepared ? null : request.Prompt, SessionId: sessionId, McpConfigJson: mcpConfig, ExtraFolders: extras.Folders.Count > 0 ? WithSerials(extras.Folders, vm) : null), ct);
            await SendWorkspaceAsync(layout, writer, runLog, ct);

            // 5. relay until done
            using var relayEnd = CancellationTokenSource.CreateLinkedTokenSource(ct);
            var feeding = FeedFollowUpsAsync(followUps, layout, writer, runLog,
                request.Prepared ? () => hardTimeout.CancelAfter(config.AgentTimeout) : null,
                request.Prepared && config.VmFreezeAfter > TimeSpan.Zero ? vm : null, relayEnd.Token);
            try
            {
                var files = gateway.Tools?.Files;
                var outcome = await new GuestRelay(layout, events, runLog, log, RunCaps.Default,
                    files is null ? null : () => files.AfterSync(runId, final: false)).ReadAsync(reader, ct);
                // Everything the guest sent is read: hang up, which is what the guest waits for before it powers off
                // (so nothing still in flight is lost). Then give it a moment so the VM ends cleanly rather than killed.
                await vm.Control.DisposeAsync();
                try { await vm.Exited.WaitAsync(GuestPowerOffGrace, ct); }
                catch (TimeoutException) { runLog.Write($"the guest did not power off within {GuestPowerOffGrace.TotalSeconds} s; stopping it"); }
                return outcome;
            }
            finally
            {
                await relayEnd.CancelAsync();
                await feeding;
            }
        }
        catch (OperationCanceledException) when (hardTimeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            return Fail(runLog, $"the run took longer than {config.AgentTimeout} and was stopped (AGENT_TIMEOUT_SECONDS)");
        }
        catch (GuestProtocolException ex)
        {
            return Fail(runLog, "the guest broke the protocol: " + GuestText.Escape(ex.Message));
        }
        finally
        {
            // 6. the token dies with the VM (the VM itself is disposed by its using above); then no file can be asked
            // for any more, and the ones whose file never reached the host are refused (the chat is told).
            if (token is not null) tokens.Revoke(token);
            foreach (var line in gateway.Tools?.Files?.AfterSync(runId, final: true) ?? []) runLog.Write(line);
            runLog.Write($"run ended after {(time.GetUtcNow() - started).TotalSeconds:F1} s");
        }
    }

    /// <summary>Where a group's workspace lives on the host: its folder, the global folder, its Claude Code state.</summary>
    public static WorkspaceLayout Layout(Config config, RegisteredGroup group, IReadOnlyList<WritableExtraFolder>? writableExtras = null) => new(
        GroupDir: config.GroupDir(group.Folder),
        GlobalDir: config.GroupDir(GroupFolder.Global),
        ClaudeStateDir: Path.Combine(config.DataDir, "sessions", group.Folder, ".claude"),
        GlobalWritable: group.IsMain,
        WritableExtras: writableExtras);

    /// <summary>The stored session to resume, or null for a new one. An id of another shape can only have come from a guest
    /// before ids were checked; resuming it would fail every run of the group, so it is dropped (logged) and the new
    /// session's id replaces it.</summary>
    internal static string? SessionToResume(AgentRequest request, RunLog runLog, ILogger log)
    {
        if (request.SessionId is null || ClaudeSessionId.IsValid(request.SessionId)) return request.SessionId;
        runLog.Write("the stored session id is not a Claude Code session id (a UUID); dropped, starting a new session");
        LogStoredSessionDropped(log, request.Group.Folder);
        return null;
    }

    /// <summary>Each folder with the id its disk shows the guest, when the VMM chose one other than <c>extraN</c>.</summary>
    static List<ExtraFolder> WithSerials(IReadOnlyList<ExtraFolder> folders, IMicroVm vm) =>
        [.. folders.Select(f => vm.ExtraDiskSerials[f.Disk] is var serial && serial != ExtraFolder.DiskSerial(f.Disk) ? f with { Serial = serial } : f)];

    /// <summary>
    /// A warm VM when the pool has one and the run needs nothing at boot time; otherwise a cold boot. Extra folders
    /// are disks attached when QEMU starts, which a warm VM booted for nobody cannot have. Either way the run log
    /// says which path was taken, and the VM's console log ends up next to the run log.
    /// </summary>
    async Task<ReadyVm> ClaimOrBootAsync(RegisteredGroup group, string runId, VmArtifacts artifacts, IReadOnlyList<VmDisk> extraDisks,
        string consoleLog, DateTimeOffset started, RunLog runLog, CancellationToken ct)
    {
        string coldReason;
        if (warmPool is null || warmPool.Target == 0) coldReason = "the warm pool is off (WARM_POOL_SIZE=0)";
        else if (extraDisks.Count > 0) coldReason = "extra folders are attached at boot, which a warm VM cannot have";
        else if (await warmPool.ClaimAsync(ct) is { } claim)
        {
            claim.Vm.KeepConsoleLogAt(consoleLog);
            runLog.Write($"claimed warm VM {claim.Vm.Id}, ready in {claim.Waited.TotalMilliseconds:F0} ms (console log: {Path.GetFileName(consoleLog)})");
            LogWarmClaimed(log, group.Folder, claim.Vm.Id, claim.Waited.TotalMilliseconds);
            return claim.Vm;
        }
        else coldReason = "no warm VM was ready";

        runLog.Write($"cold boot: {coldReason}");
        LogColdBoot(log, group.Folder, coldReason);
        // No priming for a VM whose job follows its ready at once: it would only compete with the run (measured: the
        // phase benchmark's `cold` against `cold-unprimed`, BENCHMARKS.md).
        var spec = WarmPool.Spec(config, artifacts, gateway.Port, gateway.ProxyPort, runId, consoleLog, extraDisks) with { Prime = GuestPriming.Off };
        var ready = await ReadyVm.BootAsync(vmm, spec, WarmPool.BootTimeout, time, ct);
        runLog.Write($"guest ready after {(time.GetUtcNow() - started).TotalSeconds:F1} s");
        return ready;
    }

    /// <summary>The environment a job (or a warm VM's spare) gives Claude Code: the gateway's address, the token as the API
    /// key, and the egress proxy with the token as its password. One place, so a spare's and its claiming job's match.</summary>
    public static Dictionary<string, string> GuestEnvironment(GuestEndpoints guest, string token) =>
        new(guest.ProxyEnvironment(token), StringComparer.Ordinal) { ["ANTHROPIC_BASE_URL"] = guest.GatewayUrl, ["ANTHROPIC_API_KEY"] = token };

    /// <summary>Claude Code's <c>--mcp-config</c> for a run: the gateway's MCP server, with the run's token as the
    /// bearer, which is how the gateway knows which group every tool call speaks for.</summary>
    public static string McpConfigJson(string runToken, string gatewayUrl = GuestGatewayUrl) => JsonSerializer.Serialize(new
    {
        mcpServers = new Dictionary<string, object>
        {
            [McpServerName] = new
            {
                type = "http",
                url = gatewayUrl + McpAuthentication.Path,
                headers = new Dictionary<string, string> { ["Authorization"] = "Bearer " + runToken },
            },
        },
    });

    static Task SendWorkspaceAsync(WorkspaceLayout layout, GuestFrameWriter writer, RunLog runLog, CancellationToken ct) =>
        SendPackedAsync(writer, tar => WorkspaceSync.PackAsync(layout, tar, ct), bytes => new WorkspaceFrame(bytes),
            packed => runLog.Write($"workspace: {packed.Files} files, {packed.FileBytes} bytes" + Skipped(packed)), ct);

    /// <summary>Sends a frame whose payload is a tar: the frame announces its length, so the tar is staged in a temp file first.</summary>
    static async Task SendPackedAsync(GuestFrameWriter writer, Func<Stream, Task<WorkspacePackResult>> pack, Func<long, HostToGuestFrame> frame,
        Action<WorkspacePackResult> report, CancellationToken ct)
    {
        var tarPath = Path.GetTempFileName();
        try
        {
            await using var tar = new FileStream(tarPath, FileMode.Create, FileAccess.ReadWrite, FileShare.None, 1 << 16, FileOptions.DeleteOnClose);
            var packed = await pack(tar);
            tar.Position = 0;
            report(packed);
            await writer.WriteAsync(frame(tar.Length), tar, ct);
        }
        finally { File.Delete(tarPath); }
    }

    static string Skipped(WorkspacePackResult packed) => packed.Skipped.Count > 0 ? $"; skipped {string.Join(", ", packed.Skipped)}" : "";

    /// <param name="onFirst">Called once, before the first follow-up is sent.</param>
    /// <param name="waiting">A prepared run's VM: frozen while it waits for its first message (<see cref="WaitFrozenAsync"/>).</param>
    async Task FeedFollowUpsAsync(ChannelReader<RunMessage> followUps, WorkspaceLayout layout, GuestFrameWriter writer, RunLog runLog,
        Action? onFirst, IMicroVm? waiting, CancellationToken ct)
    {
        try
        {
            if (waiting is not null) await WaitFrozenAsync(followUps, waiting, runLog, ct);
            await foreach (var message in followUps.ReadAllAsync(ct))
            {
                onFirst?.Invoke();
                onFirst = null;
                if (message.Files.Count == 0)
                {
                    runLog.Write($"follow-up ({message.Text.Length} chars) sent into the session");
                    await writer.WriteAsync(new MessageFrame(message.Text, UtcNow: time.GetUtcNow()), ct);
                    continue;
                }
                // Its files were stored after the workspace went in: they go in first, in the same frame.
                await SendPackedAsync(writer, tar => WorkspaceSync.PackGroupFilesAsync(layout, message.Files, tar, ct), bytes => new MessageFrame(message.Text, bytes, time.GetUtcNow()),
                    packed => runLog.Write($"follow-up ({message.Text.Length} chars) sent into the session with {packed.Files} of its files, {packed.FileBytes} bytes" + Skipped(packed)), ct);
            }
            runLog.Write("no more follow-ups: closing the session");
            await writer.WriteAsync(new CloseFrame(), ct);
        }
        catch (OperationCanceledException) { }
        catch (Exception e) when (e is IOException or ObjectDisposedException) { } // the VM is gone, or the run is over; the reader reports why
    }

    /// <summary>
    /// A prepared run's VM waits for the group's next message for up to AGENT_PREPARE_MINUTES: once Claude Code has started
    /// and the VM has settled, it is frozen (<see cref="WaitingVm"/>) until the message (or the close) comes, and holds
    /// only memory meanwhile. The message then thaws it and is still the first turn of a started Claude Code; it carries
    /// the host's clock, which a frozen guest's has fallen behind.
    /// </summary>
    async Task WaitFrozenAsync(ChannelReader<RunMessage> followUps, IMicroVm vm, RunLog runLog, CancellationToken ct)
    {
        var input = followUps.WaitToReadAsync(ct).AsTask();
        using var stopWatching = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var settled = WaitingVm.SettledAsync(vm, config.VmFreezeAfter, time, () => !input.IsCompleted, stopWatching.Token);
        await Task.WhenAny(input, settled);
        await stopWatching.CancelAsync();
        if (input.IsCompleted || !settled.IsCompletedSuccessfully || !settled.Result) return;
        vm.Freeze();
        var frozenAt = time.GetTimestamp();
        runLog.Write("prepared run: Claude Code has started; the VM is frozen (no CPU) until the group's next message");
        try { await input; }
        finally
        {
            vm.Thaw();
            runLog.Write($"prepared run: the VM is thawed after {time.GetElapsedTime(frozenAt).TotalSeconds:F1} s frozen");
        }
    }

    AgentEvent.Failed Fail(RunLog runLog, string error)
    {
        runLog.Write("FAILED: " + error);
        return new AgentEvent.Failed(error);
    }

    [LoggerMessage(EventId = 400, Level = LogLevel.Information, Message = "VM image: {Line}")]
    static partial void LogImageProgress(ILogger logger, string line);

    [LoggerMessage(EventId = 401, Level = LogLevel.Error, Message = "Agent run for {Folder} crashed")]
    static partial void LogRunCrashed(ILogger logger, string folder, Exception ex);

    [LoggerMessage(EventId = 408, Level = LogLevel.Warning, Message = "Group {Folder}: the stored session id is not a Claude Code session id; starting a new session")]
    static partial void LogStoredSessionDropped(ILogger logger, string folder);

    [LoggerMessage(EventId = 405, Level = LogLevel.Information, Message = "Run for {Folder}: claimed warm VM {VmId}, ready in {Milliseconds:F0} ms")]
    static partial void LogWarmClaimed(ILogger logger, string folder, string vmId, double milliseconds);

    [LoggerMessage(EventId = 406, Level = LogLevel.Information, Message = "Run for {Folder}: cold boot ({Reason})")]
    static partial void LogColdBoot(ILogger logger, string folder, string reason);
}
