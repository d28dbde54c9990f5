using Microsoft.Extensions.Logging;
using NanoClaw.Channels;
using NanoClaw.Conversations;
using NanoClaw.Files;
using NanoClaw.Media;
using NanoClaw.Outbound;
using NanoClaw.Scheduling;
using NanoClaw.Storage;
using NanoClaw.Usage;

namespace NanoClaw;

/// <summary>
/// The parts of the assistant that do not need the agent runner, built first and in this order, so nothing is attached
/// later: the inbox and the outbox's signal (what channels hand things to) -> the channels -> the outbox -> files,
/// budgets, the task API. The agent tools are made from these; the runner (its gateway serves the tools) comes after,
/// then the <see cref="AssistantHost"/> (queue, loop, scheduler).
/// </summary>
public sealed record AssistantParts(
    Config Config, Database Db, TimeProvider Time, ILoggerFactory Logs,
    Inbox Inbox, InboundMedia Media, MediaPruner Pruner, ChannelInbound Inbound, IReadOnlyList<IChannel> Channels,
    Outbox Outbox, OutboundFiles Files, Budgets Budgets, TaskChanges TaskChanges, TaskService Tasks)
{
    /// <param name="channels">Makes the channels from what they hand inbound messages, media and reconnects to.</param>
    /// <param name="transcriber">Voice notes' transcription (<see cref="Transcription.FromConfig"/>); null: none.</param>
    public static AssistantParts Build(Config config, Database db, Func<ChannelInbound, IReadOnlyList<IChannel>> channels,
        TimeProvider time, ILoggerFactory logs, ITranscriber? transcriber = null)
    {
        var mediaStore = new MediaStore(config.GroupsDir, config.MediaMaxBytes, time);
        var media = new InboundMedia(mediaStore, transcriber, logs.CreateLogger<InboundMedia>());
        var pruner = new MediaPruner(mediaStore, config.MediaKeepDays, time, logs.CreateLogger<MediaPruner>());
        var inbox = new Inbox(db, time);
        var outboxSignal = new OutboxSignal(time);
        var inbound = new ChannelInbound(inbox.Deliver, outboxSignal.Reconnected, media);
        var made = channels(inbound);
        var outbox = new Outbox(db, made, config, time, logs.CreateLogger<Outbox>(), outboxSignal);
        var files = new OutboundFiles(outbox, config, time, logs.CreateLogger<OutboundFiles>());
        var budgets = new Budgets(db, config.TimeZone, time, logs.CreateLogger<Budgets>(), outbox);
        var taskChanges = new TaskChanges(db, time);
        var tasks = new TaskService(db, config.TimeZone, time, taskChanges.Changed);
        return new AssistantParts(config, db, time, logs, inbox, media, pruner, inbound, made, outbox, files, budgets, taskChanges, tasks);
    }
}
