namespace NanoClaw.Vm;

/// <summary>
/// The outcome of <see cref="VmmChoice.Decide"/>: the backend and a sentence saying why, or no
/// backend (<paramref name="Backend"/> null) and a sentence naming what is missing.
/// </summary>
public sealed record VmmDecision(VmmBackend? Backend, string Reason);
