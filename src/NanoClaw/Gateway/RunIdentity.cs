using NanoClaw.Gateway.Egress;

namespace NanoClaw.Gateway;

/// <summary>
/// Who a request from a VM speaks for. Bound to the run's token when the VM starts, so identity always comes from
/// the token the caller presents, never from anything the guest says about itself. <paramref name="Egress"/> are the
/// group's web access rules as they were when the run started (null: no rules, any public host); <paramref name="TaskId"/> the
/// scheduled task that started the run, if one did (usage is accounted per task).
/// </summary>
public sealed record RunIdentity(string RunId, string GroupFolder, string ChatJid, bool IsMain, EgressRules? Egress = null, string? TaskId = null);
