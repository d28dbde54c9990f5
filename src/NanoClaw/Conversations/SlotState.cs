namespace NanoClaw.Conversations;

/// <summary>Where a group stands in the <see cref="GroupQueue"/>.</summary>
enum SlotState
{
    /// <summary>Nothing runs; it may have work waiting behind other groups (see the waiting list).</summary>
    Free,
    MessageRun,
    TaskRun,
}
