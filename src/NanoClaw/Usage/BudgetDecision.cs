namespace NanoClaw.Usage;

/// <summary>Whether a group may spend more now, and if not, which limit it hit and when that limit resets.</summary>
public abstract record BudgetDecision
{
    private BudgetDecision() { }

    public sealed record Allowed : BudgetDecision;

    /// <param name="Period">"daily" or "monthly".</param>
    /// <param name="PeriodStart">When the period that is over began: the tell-once key.</param>
    public sealed record Over(string GroupFolder, string Period, decimal LimitUsd, decimal SpentUsd, DateTimeOffset PeriodStart, DateTimeOffset ResetsAt) : BudgetDecision
    {
        /// <summary>For the gateway's refusal and the logs; the chat gets <see cref="Budgets.ChatNotice"/>.</summary>
        public string Reason => $"the {Period} budget of group {GroupFolder} is used up (${SpentUsd:0.00##} spent of ${LimitUsd:0.00##}); it resets at {ResetsAt:yyyy-MM-dd HH:mm zzz}";
    }

    public static readonly BudgetDecision Allow = new Allowed();
}
