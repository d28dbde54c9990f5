using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using NanoClaw.Runs;
using NanoClaw.Storage;

namespace NanoClaw.Conversations;

/// <summary>
/// The one place that consumes a run's <see cref="AgentEvent"/>s, for message runs and task runs alike: output goes
/// to <paramref name="queueOutput"/>, which puts it into the durable outbox (with whatever must be recorded in the same
/// transaction) and says whether any part was queued, the session id is stored when <paramref name="storeSession"/>,
/// idle goes to <paramref name="onIdle"/>, and every way a run can end (failed event, exception, cancellation) becomes
/// one <see cref="AgentRunOutcome"/>.
/// </summary>
public sealed partial class AgentRunEvents(Database db, IAgentRunner runner, ILogger log)
{
    public async Task<AgentRunOutcome> RunAsync(AgentRequest request, ChannelReader<RunMessage> followUps, bool storeSession,
        Func<string, bool> queueOutput, Action onIdle, CancellationToken cancellationToken)
    {
        var sent = false;
        string? error = null;
        try
        {
            await foreach (var e in runner.RunAsync(request, followUps, cancellationToken))
            {
                switch (e)
                {
                    case AgentEvent.Output o:
                        sent |= queueOutput(o.Text);
                        break;
                    case AgentEvent.SessionStarted s when storeSession: db.SetSession(request.Group.Folder, s.SessionId); break;
                    case AgentEvent.Idle: onIdle(); break;
                    case AgentEvent.Failed f: error = f.Error; break;
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested) { return new AgentRunOutcome("cancelled", sent, Cancelled: true); }
        catch (Exception ex)
        {
            error = ex.Message;
            LogRunnerThrew(log, request.Group.Name, ex);
        }
        return new AgentRunOutcome(error, sent, Cancelled: false);
    }

    [LoggerMessage(EventId = 104, Level = LogLevel.Error, Message = "The agent runner threw for {Group}")]
    static partial void LogRunnerThrew(ILogger logger, string group, Exception ex);
}
