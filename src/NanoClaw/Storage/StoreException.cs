namespace NanoClaw.Storage;

/// <summary>The store cannot be opened or is from a newer NanoClaw; the message says what to do.</summary>
public sealed class StoreException(string message, Exception? inner = null) : Exception(message, inner);
