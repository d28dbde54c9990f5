using NanoClaw.Gateway;

namespace NanoClaw.Runs;

/// <summary>
/// What a warm VM's pre-started Claude Code was given (the <c>spare</c> frame): the VM's token, bound to no run until a
/// run claims the VM (<see cref="RunTokens.Bind"/>), and the environment and MCP config made from it. The claiming run
/// sends exactly these in its <c>job</c>, which is how the guest knows it may claim the spare. The token dies with the VM.
/// </summary>
public sealed record WarmSpare(string Token, IReadOnlyDictionary<string, string> Env, string McpConfigJson)
{
    /// <summary>A new unbound token and the environment a job with it would carry (<see cref="MicroVmAgentRunner.GuestEnvironment"/>).</summary>
    public static WarmSpare Issue(RunTokens tokens, GuestEndpoints guest)
    {
        var token = tokens.IssueUnbound();
        return new WarmSpare(token, MicroVmAgentRunner.GuestEnvironment(guest, token), MicroVmAgentRunner.McpConfigJson(token, guest.GatewayUrl));
    }
}
