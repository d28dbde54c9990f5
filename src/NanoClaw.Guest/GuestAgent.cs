using System.Threading.Channels;

namespace NanoClaw.Guest;

/// <summary>
/// One run inside the VM, in protocol order (docs/guest-protocol.md):
/// <list type="number">
/// <item>send <c>ready</c>; read <c>job</c>; set the clock from it;</item>
/// <item>read <c>workspace</c>, extract it, hand it to the agent user, mount the extra folders read-only, take the change baseline;</item>
/// <item>start Claude Code and send the prompt; then react to events (see <see cref="SessionLoop"/>) until it exits;</item>
/// <item>send the final <c>changes</c>, then <c>done</c> (with the error, if any).</item>
/// </list>
/// </summary>
sealed class GuestAgent(GuestOptions options, GuestFrameReader reader, GuestFrameWriter writer)
{
    /// <summary>Largest workspace tar accepted from the host.</summary>
    public const long MaxWorkspaceBytes = 8L << 30;
    const string MissingSession = "No conversation found";

    readonly GuestOptions _options = options;
    readonly GuestFrameWriter _writer = writer;
    readonly Channel<GuestEvent> _events = Channel.CreateUnbounded<GuestEvent>(new() { SingleReader = true });
    readonly HashSet<string> _reportedSkips = new(StringComparer.Ordinal);
    readonly TaskCompletionSource _hostGone = new(TaskCreationOptions.RunContinuationsAsynchronously);
    static readonly TimeSpan HostHangUpBound = TimeSpan.FromSeconds(10);
    bool _pumping;
    int _stderrLines;
    GuestTimings _timings = null!;

    /// <returns>The process exit code: 0 when the run succeeded.</returns>
    public async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        string? error;
        try
        {
            error = await RunCoreAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (GuestProtocolException e)
        {
            error = $"protocol error: {e.Message}";
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            error = $"guest agent failed: {e.GetType().Name}: {e.Message}";
        }
        try
        {
            await _writer.WriteAsync(new DoneFrame(Cut(error, GuestProtocol.MaxLogChars)), cancellationToken).ConfigureAwait(false);
            await WaitForHostToHangUpAsync().ConfigureAwait(false);
        }
        catch (Exception e) when (e is IOException or GuestProtocolException)
        {
            await Console.Error.WriteLineAsync($"nanoclaw-guest: could not send 'done' ({e.Message}); run error: {error}").ConfigureAwait(false);
        }
        return error is null ? 0 : 1;
    }

    /// <summary>
    /// After <c>done</c>, init powers the VM off at once, and whatever the VMM has not yet taken from the virtio
    /// queue would be lost with it. So the agent exits only once the host has read everything and hung up (it does
    /// so on <c>done</c>), or after a bound if it never does. A precaution: no loss was seen that this explains.
    /// </summary>
    async Task WaitForHostToHangUpAsync()
    {
        if (!_pumping) return; // the run failed before the host's frames were being read: nothing large was sent
        try { await _hostGone.Task.WaitAsync(HostHangUpBound).ConfigureAwait(false); }
        catch (TimeoutException)
        {
            await Console.Error.WriteLineAsync($"nanoclaw-guest: the host did not hang up within {HostHangUpBound.TotalSeconds} s of 'done'; exiting").ConfigureAwait(false);
        }
    }

    async Task<string?> RunCoreAsync(CancellationToken cancellationToken)
    {
        // 1. Hello, job, clock.
        await _writer.WriteAsync(new ReadyFrame(), cancellationToken).ConfigureAwait(false);
        var paths = new GuestPaths(_options.Root);
        var privileged = Environment.IsPrivilegedProcess;
        var first = await reader.ReadAsync<HostToGuestFrame>(cancellationToken).ConfigureAwait(false);
        ClaudeProcess? spare = null;
        SpareFrame? spareFrame = null;
        try
        {
            if (first is SpareFrame sparing)
            {
                // A warm VM: start Claude Code now and claim it in its own folder, so the job finds it started and bound.
                Primer.Stop();
                spareFrame = sparing;
                spare = await StartSpareAsync(sparing, paths, privileged, cancellationToken).ConfigureAwait(false);
                _ = Task.Run(() => WarmUp.RunAsync(cancellationToken), CancellationToken.None);
                first = await reader.ReadAsync<HostToGuestFrame>(cancellationToken).ConfigureAwait(false);
                if (first is not JobFrame) throw new GuestProtocolException("the frame after 'spare' must be 'job'");
            }
            var job = first as JobFrame ?? throw new GuestProtocolException("the first frame from the host must be 'job' (or 'spare')");
            _timings = new GuestTimings();
            Primer.Stop();
            await SetClockAsync(job.UtcNow, privileged, cancellationToken).ConfigureAwait(false);
            _timings.Mark("clock");
            var claimable = SpareMismatch(spare, spareFrame, job);
            if (spare is not null && claimable is not null)
            {
                // Kill it before the workspace arrives: it must never see this run's files under the wrong identity.
                await LogAsync(GuestLogLevel.Info, $"claude code: not claiming the spare ({claimable}); starting it cold", cancellationToken).ConfigureAwait(false);
                await spare.DisposeAsync().ConfigureAwait(false);
            }
            if (claimable is not null) spare = null;
            // The finally disposes the spare too when the run fails before the session takes it (disposing twice is harmless).
            return await RunJobAsync(job, paths, privileged, spare, spareFrame, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            if (spare is not null) await spare.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Why the job cannot claim the spare, or null when it can: a fresh session with exactly the spare's
    /// environment and MCP config (a claim changes neither, and a parked Claude Code refuses <c>--resume</c>).</summary>
    static string? SpareMismatch(ClaudeProcess? spare, SpareFrame? frame, JobFrame job)
    {
        if (spare is null || frame is null) return "no spare";
        if (job.SessionId is not null) return "the job resumes a session";
        if (!string.Equals(job.McpConfigJson, frame.McpConfigJson, StringComparison.Ordinal)) return "the job's MCP config differs";
        if (job.Env.Count != frame.Env.Count
            || job.Env.Any(e => !frame.Env.TryGetValue(e.Key, out var v) || !string.Equals(v, e.Value, StringComparison.Ordinal)))
            return "the job's environment differs";
        return null;
    }

    async Task<ClaudeProcess?> StartSpareAsync(SpareFrame spare, GuestPaths paths, bool privileged, CancellationToken cancellationToken)
    {
        try
        {
            // Claude Code keeps its state in CLAUDE_CONFIG_DIR from its start: it must exist and be the agent's, as the
            // hand-over leaves it for a cold start. The working directory is private to the agent user.
            Directory.CreateDirectory(paths.Home);
            Directory.CreateDirectory(paths.ClaudeStateDir);
            Directory.CreateDirectory(paths.SpareDir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            if (privileged)
            {
                foreach (var dir in new[] { paths.Home, paths.ClaudeStateDir, paths.SpareDir })
                    Native.LChownOrThrow(dir, GuestPaths.AgentUid, GuestPaths.AgentGid);
            }
            var process = ClaudeProcess.Start(ClaudeLaunch.ForSpare(spare, paths, _options.ClaudePath, privileged), SpareGeneration, _events.Writer);
            // Claimed now, in the folder it is parked in (nothing of any group there), with the appendix every job would
            // give it today; Claude Code reads the claim once it has parked, then the context summary request (its first
            // turn's set-up once, in this neutral folder). The job moves it into the group folder. The answers wait in the event queue
            // for the job's session loop. A write that fails means it exited: the job then starts Claude Code cold.
            await process.SendClaimAsync(paths.SpareDir, ClaudeLaunch.SystemPromptAppendix(spare.GlobalMemory, null), cancellationToken).ConfigureAwait(false);
            await process.SendContextSummaryAsync(cancellationToken).ConfigureAwait(false);
            return process;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            await LogAsync(GuestLogLevel.Warn, $"could not start the spare Claude Code ({e.Message}); the job will start it cold", cancellationToken).ConfigureAwait(false);
            return null;
        }
    }

    /// <summary>The spare is always the first Claude Code process; a cold start after it counts on from here, so events
    /// of the killed spare still queued are never taken for the new process's.</summary>
    const int SpareGeneration = 1;

    /// <summary>
    /// Why a spare that matched the job before its workspace cannot serve it after all, or null when it can. It was
    /// claimed with the global CLAUDE.md of the <c>spare</c> frame, which may have changed since; and a start reads the
    /// settings files before a move into the group folder could (the move honours everything else: CLAUDE.md files,
    /// skills, agents, commands, memory), so a workspace with any gets Claude Code started in it.
    /// </summary>
    static string? SpareOutOfDate(JobFrame job, SpareFrame frame, GuestPaths paths)
    {
        if (ClaudeLaunch.SystemPromptAppendix(job, paths) != ClaudeLaunch.SystemPromptAppendix(frame.GlobalMemory, null))
            return "the global CLAUDE.md changed since it was claimed";
        string[] settings = [Path.Combine(paths.GroupDir, ".claude", "settings.json"), Path.Combine(paths.GroupDir, ".claude", "settings.local.json"),
            Path.Combine(paths.GroupDir, ".mcp.json"), Path.Combine(paths.ClaudeStateDir, "settings.json"), Path.Combine(paths.ClaudeStateDir, "settings.local.json")];
        return settings.FirstOrDefault(f => LinuxStat.Lstat(f) is not null) is { } found
            ? $"{Path.GetRelativePath(paths.Root, found)} is read at a start"
            : null;
    }

    async Task<string?> RunJobAsync(JobFrame job, GuestPaths paths, bool privileged, ClaudeProcess? spare, SpareFrame? spareFrame, CancellationToken cancellationToken)
    {
        // 2. Workspace.
        var workspace = await reader.ReadAsync<HostToGuestFrame>(cancellationToken).ConfigureAwait(false) as WorkspaceFrame
            ?? throw new GuestProtocolException("the frame after 'job' must be 'workspace'");
        Directory.CreateDirectory(paths.Workspace);
        Directory.CreateDirectory(paths.Home);
        var (hashes, skipped) = await WorkspaceExtractor.ExtractAsync(reader.Payload, paths, cancellationToken).ConfigureAwait(false);
        _timings.Mark("extracted");
        if (skipped.Count > 0)
            await LogAsync(GuestLogLevel.Warn, $"workspace entries not extracted: {string.Join(", ", skipped.Take(20))}", cancellationToken).ConfigureAwait(false);
        if (privileged) WorkspaceExtractor.HandOver(paths, globalWritable: job.IsMain);
        _timings.Mark("handed-over");
        if (spare is not null && spareFrame is not null && SpareOutOfDate(job, spareFrame, paths) is { } outOfDate)
        {
            // Same identity as the job (checked before the workspace), so it saw nothing it should not have.
            await LogAsync(GuestLogLevel.Info, $"claude code: not claiming the spare ({outOfDate}); starting it cold", cancellationToken).ConfigureAwait(false);
            await spare.DisposeAsync().ConfigureAwait(false);
            spare = null;
        }
        // After the hand-over, which must not touch them: read-only ones stay owned as the image says.
        IReadOnlyList<(string Top, string Dir)> extraTops = [];
        if (job.ExtraFolders is { Count: > 0 } extras)
        {
            if (!privileged) throw new IOException("extra folders need the guest agent to run as root, to mount them");
            extraTops = await ExtraFolderMounter.MountAllAsync(extras, paths, "/sys/block", cancellationToken).ConfigureAwait(false);
            await LogAsync(GuestLogLevel.Info, "extra folders mounted: " + string.Join(", ", extras.Select(e => e.Name + (e.Writable ? " (read-write)" : " (read-only)"))), cancellationToken).ConfigureAwait(false);
        }
        var scratch = Directory.CreateTempSubdirectory("nanoclaw-guest-");
        try
        {
            // Extra folders can be large: their baseline is size and mtime only, not a hash of every file.
            var tracker = ChangeTracker.Baseline([.. paths.Tops, .. extraTops], hashes, scratch.FullName, unhashedTops: [.. extraTops.Select(t => t.Top)]);

            // 3. The session.
            _timings.Mark("workspace");
            _pumping = true;
            _ = PumpHostAsync(scratch.FullName, cancellationToken);
            var loop = new SessionLoop(this, job, paths, privileged, tracker, spare, spareFrame is not null ? SpareGeneration : 0);
            return await loop.RunAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            scratch.Delete(recursive: true);
        }
    }

    static readonly TimeSpan ClockTolerance = TimeSpan.FromSeconds(2);

    async Task SetClockAsync(DateTimeOffset hostNow, bool privileged, CancellationToken cancellationToken)
    {
        // A VM boots near 1970, and a VM frozen while it waited (or starved of CPU) falls behind; TLS, mtimes, Claude
        // Code's own bookkeeping and the agent's sense of "now" need the real time. A clock that is close (tests on a
        // host; the time the frame took to arrive) is left alone.
        var skew = (DateTimeOffset.UtcNow - hostNow).Duration();
        if (skew < ClockTolerance) return;
        var problem = !_options.OwnsTheClock ? "not in a VM (--root is not /)" : privileged ? Native.SetClock(hostNow) : "not running as root";
        await LogAsync(problem is null ? GuestLogLevel.Info : GuestLogLevel.Warn,
            problem is null ? $"clock set from the host (it was {skew:g} off)" : $"clock is {skew:g} off and could not be set: {problem}",
            cancellationToken).ConfigureAwait(false);
    }

    /// <param name="scratch">Where a message's files wait for the session loop, which puts them in place in order.</param>
    async Task PumpHostAsync(string scratch, CancellationToken cancellationToken)
    {
        string? error = null;
        var messages = 0;
        try
        {
            while (await reader.ReadAsync<HostToGuestFrame>(cancellationToken).ConfigureAwait(false) is { } frame)
            {
                string? filesTar = null;
                if (frame is MessageFrame { Bytes: > 0 })
                {
                    // The payload must be read before the next frame; the loop may still be busy with an earlier one.
                    filesTar = Path.Combine(scratch, $"message-{++messages}.tar");
                    await using var file = File.Create(filesTar);
                    await reader.Payload.CopyToAsync(file, cancellationToken).ConfigureAwait(false);
                }
                await _events.Writer.WriteAsync(new GuestEvent.FromHost(frame, filesTar), cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is GuestProtocolException or IOException)
        {
            error = e.Message;
        }
        catch (OperationCanceledException)
        {
            _hostGone.TrySetResult();
            return;
        }
        _hostGone.TrySetResult();
        await _events.Writer.WriteAsync(new GuestEvent.HostGone(error), CancellationToken.None).ConfigureAwait(false);
    }

    Task LogAsync(GuestLogLevel level, string text, CancellationToken cancellationToken) =>
        _writer.WriteAsync(new LogFrame(level, Cut(text, GuestProtocol.MaxLogChars)!), cancellationToken);

    async Task SyncAsync(ChangeTracker tracker, CancellationToken cancellationToken)
    {
        using var changes = await tracker.CollectAsync(cancellationToken).ConfigureAwait(false);
        var newSkips = changes.Skipped.Where(_reportedSkips.Add).ToList();
        if (newSkips.Count > 0)
            await LogAsync(GuestLogLevel.Info, $"not synced (not regular files): {string.Join(", ", newSkips.Take(20))}", cancellationToken).ConfigureAwait(false);
        if (changes.TarPath is null)
        {
            await _writer.WriteAsync(new ChangesFrame(0, changes.Deleted), Stream.Null, cancellationToken).ConfigureAwait(false);
            return;
        }
        await using var tar = File.OpenRead(changes.TarPath);
        await _writer.WriteAsync(new ChangesFrame(tar.Length, changes.Deleted), tar, cancellationToken).ConfigureAwait(false);
    }

    static string? Cut(string? text, int max) =>
        text is null || text.Length <= max ? text : string.Concat(text.AsSpan(0, max), "\n[... cut]");

    /// <summary>
    /// The event loop of one session. Claude Code's <c>system/init</c> becomes <c>session</c>; each <c>result</c>
    /// becomes <c>output</c> (if any text), <c>changes</c>, <c>idle</c>. <c>message</c> frames become user turns,
    /// <c>close</c> ends the input. If a resumed session does not exist, Claude Code is started once more without
    /// <c>--resume</c> and gets the same messages again. Returns the run's error, or null.
    /// </summary>
    /// <param name="spare">A spare Claude Code, claimed at its start, that this job may move into the group folder
    /// (already checked to match it), or null.</param>
    /// <param name="spentGenerations">Process generations already used (the spare's), so a new process counts on.</param>
    sealed class SessionLoop(GuestAgent agent, JobFrame job, GuestPaths paths, bool privileged, ChangeTracker tracker, ClaudeProcess? spare, int spentGenerations)
    {
        ClaudeProcess _claude = null!;
        bool _resumed, _sawInit, _retrying, _closing, _awaitingClaim;
        string? _sessionId, _failure;
        // The session's last text block and its message, and the answer already sent at its message's end_turn.
        (string MessageId, string Text)? _lastText;
        string? _earlyAnswer;
        readonly List<string> _sentBeforeInit = [];
        // Messages held until the spare is claimed and in the group folder: sent to it then, or to a cold start if refused.
        readonly List<string> _heldForClaim = [];

        public async Task<string?> RunAsync(CancellationToken cancellationToken)
        {
            if (spare is not null) await MoveSpareAsync(spare, cancellationToken).ConfigureAwait(false);
            // A prepared run's job has no prompt: Claude Code starts (and resumes) now, its first turn is the first message.
            else await StartAsync(resume: job.SessionId is not null, job.Prompt is null ? [] : [job.Prompt], cancellationToken).ConfigureAwait(false);
            try
            {
                while (true)
                {
                    var e = await agent._events.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);
                    if (await HandleAsync(e, cancellationToken).ConfigureAwait(false) is { } finished)
                        return finished.Error;
                }
            }
            finally
            {
                await _claude.DisposeAsync().ConfigureAwait(false);
            }
        }

        /// <summary>
        /// Moves the spare (claimed at its start, in its own folder) into the group folder and holds the prompt until
        /// both its claim and the move are answered: a refusal must leave nothing sent, so a cold start gets the same
        /// messages. Claude Code answers its stdin in order, so the claim's answer comes first.
        /// </summary>
        async Task MoveSpareAsync(ClaudeProcess claimed, CancellationToken cancellationToken)
        {
            _claude = claimed;
            (_resumed, _sawInit, _retrying, _awaitingClaim) = (false, false, false, true);
            if (job.Prompt is not null) _heldForClaim.Add(job.Prompt);
            agent._timings.Mark("cwd-sent");
            await claimed.SendSetCwdAsync(paths.GroupDir, cancellationToken).ConfigureAwait(false);
            // A write that fails means it exited: its exit event follows and starts Claude Code cold.
        }

        async Task SpareAnsweredAsync(ClaudeOutput.ControlResponse response, CancellationToken cancellationToken)
        {
            if (response.RequestId == ClaudeProcess.ClaimRequestId)
            {
                if (!response.Success)
                    await ColdAfterSpareAsync($"spare refused: {response.Error ?? "(no reason)"}", [.. _heldForClaim], cancellationToken).ConfigureAwait(false);
                return; // claimed: the move's answer follows
            }
            if (!response.Success || response.Status != "ok")
            {
                await ColdAfterSpareAsync($"spare could not move into the group folder: {response.Error ?? response.Status ?? "(no reason)"}",
                    [.. _heldForClaim], cancellationToken).ConfigureAwait(false);
                return;
            }
            _awaitingClaim = false;
            agent._timings.Mark("cwd-set");
            List<string> held = [.. _heldForClaim];
            _heldForClaim.Clear();
            await agent.LogAsync(GuestLogLevel.Info, "claude code: claimed the spare started before the job", cancellationToken).ConfigureAwait(false);
            foreach (var message in held) await SendAsync(message, cancellationToken).ConfigureAwait(false);
            if (_closing) _claude.CloseInput();
        }

        async Task ColdAfterSpareAsync(string why, List<string> held, CancellationToken cancellationToken)
        {
            _awaitingClaim = false;
            _heldForClaim.Clear();
            await agent.LogAsync(GuestLogLevel.Warn, $"{why}; starting Claude Code cold", cancellationToken).ConfigureAwait(false);
            await StartAsync(resume: false, held, cancellationToken).ConfigureAwait(false);
        }

        async Task StartAsync(bool resume, IReadOnlyList<string> messages, CancellationToken cancellationToken)
        {
            var generation = _claude is null ? spentGenerations + 1 : _claude.Generation + 1;
            if (_claude is not null) await _claude.DisposeAsync().ConfigureAwait(false);
            _claude = ClaudeProcess.Start(ClaudeLaunch.For(job, paths, agent._options.ClaudePath, resume, privileged), generation, agent._events.Writer);
            agent._timings.Mark("claude-spawned");
            (_resumed, _sawInit, _retrying) = (resume, false, false);
            _sentBeforeInit.Clear();
            foreach (var message in messages) await SendAsync(message, cancellationToken).ConfigureAwait(false);
            if (_closing) _claude.CloseInput();
        }

        async Task SendAsync(string text, CancellationToken cancellationToken)
        {
            if (_awaitingClaim)
            {
                _heldForClaim.Add(text);
                return;
            }
            if (!_sawInit) _sentBeforeInit.Add(text);
            await _claude.SendUserMessageAsync(text, cancellationToken).ConfigureAwait(false);
        }

        /// <returns>Non-null when the run is over.</returns>
        async Task<Finished?> HandleAsync(GuestEvent e, CancellationToken cancellationToken)
        {
            switch (e)
            {
                case GuestEvent.ClaudeLine line when line.Generation == _claude.Generation:
                    await HandleClaudeOutputAsync(ClaudeOutput.Parse(line.Line), cancellationToken).ConfigureAwait(false);
                    return null;
                case GuestEvent.ClaudeStderr err when err.Generation == _claude.Generation:
                    if (++agent._stderrLines <= 200)
                        await agent.LogAsync(GuestLogLevel.Warn, $"claude: {err.Line}", cancellationToken).ConfigureAwait(false);
                    return null;
                case GuestEvent.ClaudeExited exited when exited.Generation == _claude.Generation:
                    return await HandleExitAsync(exited.ExitCode, cancellationToken).ConfigureAwait(false);
                case GuestEvent.FromHost { Frame: MessageFrame message } fromHost:
                    if (_closing) throw new GuestProtocolException("'message' after 'close'");
                    if (message.UtcNow is { } hostNow) await agent.SetClockAsync(hostNow, privileged, cancellationToken).ConfigureAwait(false);
                    if (fromHost.FilesTar is { } filesTar) await PlaceFilesAsync(filesTar, cancellationToken).ConfigureAwait(false);
                    await SendAsync(message.Text, cancellationToken).ConfigureAwait(false);
                    return null;
                case GuestEvent.FromHost { Frame: CloseFrame }:
                    if (_closing) throw new GuestProtocolException("a second 'close'");
                    _closing = true;
                    if (!_awaitingClaim) _claude.CloseInput(); // else once the claim is answered and the held messages sent
                    return null;
                case GuestEvent.FromHost other:
                    throw new GuestProtocolException($"'{other.Frame.TypeName}' is only valid at the start of a run");
                case GuestEvent.HostGone gone:
                    if (gone.Error is null && _closing) return null; // the host is done writing; we still send the rest
                    _failure ??= gone.Error is null ? "the host closed the control channel without 'close'" : $"control channel failed: {gone.Error}";
                    _claude.Kill();
                    return null;
                default:
                    return null; // from a replaced process
            }
        }

        /// <summary>The files a message brought, put in place before the session gets its text; they count as synced
        /// (the host has them), so they are not sent back.</summary>
        async Task PlaceFilesAsync(string filesTar, CancellationToken cancellationToken)
        {
            List<string> skipped;
            var placed = 0;
            await using (var tar = File.OpenRead(filesTar))
                skipped = await WorkspaceExtractor.PlaceMessageFilesAsync(tar, paths, privileged, (path, status, hash) =>
                {
                    tracker.Record(path, status, hash);
                    placed++;
                }, cancellationToken).ConfigureAwait(false);
            File.Delete(filesTar);
            await agent.LogAsync(skipped.Count > 0 ? GuestLogLevel.Warn : GuestLogLevel.Info,
                $"files that came with the message: {placed} put in place" + (skipped.Count > 0 ? $"; left out: {string.Join(", ", skipped.Take(20))}" : ""),
                cancellationToken).ConfigureAwait(false);
        }

        async Task HandleClaudeOutputAsync(ClaudeOutput output, CancellationToken cancellationToken)
        {
            switch (output)
            {
                case ClaudeOutput.ControlResponse response when _awaitingClaim && response.RequestId is ClaudeProcess.ClaimRequestId or ClaudeProcess.SetCwdRequestId:
                    await SpareAnsweredAsync(response, cancellationToken).ConfigureAwait(false);
                    break;
                case ClaudeOutput.ControlResponse { RequestId: ClaudeProcess.ContextSummaryRequestId }:
                    break; // its work was the point; a refusal only means the first turn compiles that code itself
                case ClaudeOutput.ControlResponse response:
                    await agent.LogAsync(GuestLogLevel.Debug, $"unexpected control response from claude (request {response.RequestId ?? "?"})", cancellationToken).ConfigureAwait(false);
                    break;
                case ClaudeOutput.Init init:
                    agent._timings.Mark("claude-init");
                    _sawInit = true;
                    if (init.SessionId != _sessionId)
                    {
                        _sessionId = init.SessionId;
                        await agent._writer.WriteAsync(new SessionFrame(init.SessionId), cancellationToken).ConfigureAwait(false);
                    }
                    break;
                case ClaudeOutput.Assistant { Nested: false } assistant:
                    agent._timings.Mark("assistant");
                    _lastText = assistant is { MessageId: { } id, Text: { Length: > 0 } text } ? (id, text) : null;
                    break;
                case ClaudeOutput.MessageEnded { Nested: false, StopReason: "end_turn" } ended when _lastText is { } last && last.MessageId == ended.MessageId:
                    // The answer is final: nothing follows an end_turn but Claude Code's own bookkeeping before its result,
                    // whose text is this same last text block (checked there).
                    _lastText = null;
                    _earlyAnswer = last.Text;
                    agent._timings.Mark("answer");
                    await agent._writer.WriteAsync(new OutputFrame(Cut(last.Text, GuestProtocol.MaxOutputChars)!), cancellationToken).ConfigureAwait(false);
                    break;
                case ClaudeOutput.Result { IsError: true } result:
                    (_lastText, _earlyAnswer) = (null, null);
                    var detail = result.Errors.Count > 0 ? string.Join("; ", result.Errors) : result.Text ?? "(no detail)";
                    if (_resumed && !_sawInit && detail.Contains(MissingSession, StringComparison.Ordinal))
                    {
                        _retrying = true; // restart once the process has exited
                        break;
                    }
                    _failure ??= $"claude reported an error ({result.Subtype}): {detail}";
                    _claude.CloseInput();
                    break;
                case ClaudeOutput.Result result:
                    agent._timings.Mark("result");
                    // Sent already at the end_turn, unless the turn went on after it (a message that came meanwhile).
                    if (!string.IsNullOrEmpty(result.Text) && result.Text != _earlyAnswer)
                        await agent._writer.WriteAsync(new OutputFrame(Cut(result.Text, GuestProtocol.MaxOutputChars)!), cancellationToken).ConfigureAwait(false);
                    (_lastText, _earlyAnswer) = (null, null);
                    if (agent._timings.TakeLine() is { } timing)
                        await agent.LogAsync(GuestLogLevel.Debug, timing, cancellationToken).ConfigureAwait(false);
                    await agent.SyncAsync(tracker, cancellationToken).ConfigureAwait(false);
                    if (!_closing)
                        await agent._writer.WriteAsync(new IdleFrame(), cancellationToken).ConfigureAwait(false);
                    break;
                case ClaudeOutput.Unreadable unreadable:
                    await agent.LogAsync(GuestLogLevel.Debug, $"unreadable line from claude: {unreadable.Reason}", cancellationToken).ConfigureAwait(false);
                    break;
            }
        }

        async Task<Finished?> HandleExitAsync(int exitCode, CancellationToken cancellationToken)
        {
            var tail = _claude.StderrTail();
            if (_awaitingClaim && _failure is null)
            {
                await ColdAfterSpareAsync($"spare refused: it exited with code {exitCode} before its claim was answered" + (tail.Length > 0 ? $" ({tail})" : ""),
                    [.. _heldForClaim], cancellationToken).ConfigureAwait(false);
                return null;
            }
            var sessionMissing = _retrying || (_resumed && !_sawInit && exitCode != 0 && tail.Contains(MissingSession, StringComparison.Ordinal));
            if (sessionMissing && _failure is null)
            {
                await agent.LogAsync(GuestLogLevel.Warn, $"session {job.SessionId} was not found; starting a new session", cancellationToken).ConfigureAwait(false);
                await StartAsync(resume: false, [.. _sentBeforeInit], cancellationToken).ConfigureAwait(false);
                return null;
            }
            if (_failure is null && exitCode != 0)
                _failure = $"claude exited with code {exitCode}" + (tail.Length > 0 ? $": {tail}" : "");
            else if (_failure is not null && tail.Length > 0 && !_failure.Contains(tail, StringComparison.Ordinal))
                _failure += $"\nstderr: {tail}";
            await agent.SyncAsync(tracker, cancellationToken).ConfigureAwait(false);
            return new Finished(_failure);
        }

        sealed record Finished(string? Error);
    }
}
