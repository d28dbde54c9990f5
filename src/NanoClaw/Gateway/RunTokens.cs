using System.Buffers.Text;
using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using System.Text;

namespace NanoClaw.Gateway;

/// <summary>
/// Per-run bearer tokens: the only credential a VM ever holds. Issued when a run starts, revoked when its VM is gone,
/// so a token that leaks out of a guest is worthless once the run ends. A warm VM's pre-started Claude Code needs a
/// token before any run exists: <see cref="IssueUnbound"/> gives one that authenticates nothing until
/// <see cref="Bind"/> ties it, once, to the run that claims the VM.
/// </summary>
public sealed class RunTokens
{
    // Keyed by SHA-256 of the token, not the token: the lookup's timing can then reveal at most bits of a digest,
    // which does not help anyone guess a token, and a heap dump holds no usable tokens. The value is the run, or
    // Unbound for a token no run owns yet.
    readonly ConcurrentDictionary<string, Slot> byDigest = new(StringComparer.Ordinal);

    static readonly Slot Unbound = new(null);

    /// <summary>A fresh unguessable token (32 random bytes, base64url) that authenticates as <paramref name="run"/>.</summary>
    public string Issue(RunIdentity run)
    {
        ArgumentNullException.ThrowIfNull(run);
        var token = NewToken();
        byDigest[Digest(token)] = new Slot(run);
        return token;
    }

    /// <summary>
    /// A live token that speaks for no run: <see cref="TryValidate"/> refuses it until <see cref="Bind"/>. It lets a
    /// parked Claude Code in a warm VM connect its MCP server (and nothing else) before the VM is claimed.
    /// </summary>
    public string IssueUnbound()
    {
        var token = NewToken();
        byDigest[Digest(token)] = Unbound;
        return token;
    }

    /// <summary>
    /// Ties an unbound token to <paramref name="run"/>. Once only: false when the token is unknown, revoked or already
    /// bound (so one VM's token can never be moved to a second run).
    /// </summary>
    public bool Bind(string token, RunIdentity run)
    {
        ArgumentNullException.ThrowIfNull(run);
        // TryUpdate compares the stored reference with Unbound: a concurrent Bind or Revoke makes this one fail.
        return !string.IsNullOrEmpty(token) && byDigest.TryUpdate(Digest(token), new Slot(run), Unbound);
    }

    /// <summary>The run a token was issued or bound to; false for unknown, revoked, unbound, empty or null tokens.</summary>
    public bool TryValidate(string? token, [NotNullWhen(true)] out RunIdentity? run)
    {
        run = null;
        if (string.IsNullOrEmpty(token) || !byDigest.TryGetValue(Digest(token), out var slot)) return false;
        run = slot.Run;
        return run is not null;
    }

    /// <summary>
    /// Whether a token is live, bound or not; <paramref name="run"/> is its run, null while unbound. Only for the MCP
    /// endpoint, whose handshake a parked Claude Code makes before any run exists.
    /// </summary>
    public bool TryValidateLive(string? token, out RunIdentity? run)
    {
        run = null;
        if (string.IsNullOrEmpty(token) || !byDigest.TryGetValue(Digest(token), out var slot)) return false;
        run = slot.Run;
        return true;
    }

    /// <summary>Revokes one token, bound or not. Returns false when it was not live (already revoked or never issued).</summary>
    public bool Revoke(string token) => !string.IsNullOrEmpty(token) && byDigest.TryRemove(Digest(token), out _);

    /// <summary>Tokens currently live, bound or not.</summary>
    public int Count => byDigest.Count;

    static string NewToken() => Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));

    static string Digest(string token) => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(token)));

    // A class, not a record: Bind's TryUpdate compares by reference, so the Unbound sentinel is unique.
    sealed class Slot(RunIdentity? run)
    {
        public RunIdentity? Run { get; } = run;
    }
}
