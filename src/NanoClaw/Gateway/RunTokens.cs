using System.Buffers.Text;
using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using System.Text;

namespace NanoClaw.Gateway;

/// <summary>
/// Per-run bearer tokens: the only credential a VM ever holds. Issued when a run starts, revoked when its VM is gone,
/// so a token that leaks out of a guest is worthless once the run ends.
/// </summary>
public sealed class RunTokens
{
    // Keyed by SHA-256 of the token, not the token: the lookup's timing can then reveal at most bits of a digest,
    // which does not help anyone guess a token, and a heap dump holds no usable tokens.
    readonly ConcurrentDictionary<string, RunIdentity> byDigest = new(StringComparer.Ordinal);

    /// <summary>A fresh unguessable token (32 random bytes, base64url) that authenticates as <paramref name="run"/>.</summary>
    public string Issue(RunIdentity run)
    {
        ArgumentNullException.ThrowIfNull(run);
        var token = Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));
        byDigest[Digest(token)] = run;
        return token;
    }

    /// <summary>The run a token was issued to; false for unknown, revoked, empty or null tokens.</summary>
    public bool TryValidate(string? token, [NotNullWhen(true)] out RunIdentity? run)
    {
        run = null;
        return !string.IsNullOrEmpty(token) && byDigest.TryGetValue(Digest(token), out run);
    }

    /// <summary>Revokes one token. Returns false when it was not live (already revoked or never issued).</summary>
    public bool Revoke(string token) => !string.IsNullOrEmpty(token) && byDigest.TryRemove(Digest(token), out _);

    /// <summary>Tokens currently live.</summary>
    public int Count => byDigest.Count;

    static string Digest(string token) => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(token)));
}
