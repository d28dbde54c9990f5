using System.Reflection;
using ModelContextProtocol.Server;
using NanoClaw.Gateway.Tools;

namespace NanoClaw.Tests.Gateway;

/// <summary>
/// The tools are listed once, in <see cref="AgentToolTable"/>; the lists that cannot read it (the enum, the MCP
/// attributes, which need constants, and the docs) are held to it here.
/// </summary>
public class AgentToolTableTests
{
    [Fact]
    public void EveryToolHasExactlyOneRowWithItsOwnName()
    {
        AgentToolTable.All.Select(s => s.Tool).Order().ShouldBe(Enum.GetValues<AgentTool>().Order());
        AgentToolTable.All.Select(s => s.Name).Distinct().Count().ShouldBe(AgentToolTable.All.Count);
        foreach (var spec in AgentToolTable.All) ToolNames.Of(spec.Tool).ShouldBe(spec.Name);
    }

    [Fact]
    public void TheMcpServerRegistersExactlyTheTablesNames()
    {
        var registered = typeof(NanoClawMcpTools).GetMethods(BindingFlags.Public | BindingFlags.Instance)
            .Select(m => m.GetCustomAttribute<McpServerToolAttribute>()?.Name).OfType<string>().Order().ToList();
        registered.ShouldBe(AgentToolTable.All.Select(s => s.Name).Order().ToList());
    }

    [Fact]
    public void MainOnlyIsWhatTheAuthorizationRuleUses()
    {
        foreach (var spec in AgentToolTable.All) ToolAuthorization.IsMainOnly(spec.Tool).ShouldBe(spec.MainOnly, spec.Name);
    }

    [Fact]
    public void TheDocsListEveryToolInBothTables()
    {
        var docs = File.ReadAllText(Path.Combine(RepoRoot(), "docs", "gateway.md"));
        foreach (var spec in AgentToolTable.All)
        {
            // Each tool shows up in the tools table and in the who-may-do-what table: two table rows naming it.
            var rows = docs.Split('\n').Count(l => l.StartsWith('|') && l.Contains($"`{spec.Name}`", StringComparison.Ordinal));
            rows.ShouldBe(2, $"{spec.Name} in docs/gateway.md");
        }
    }

    static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "NanoClaw.slnx"))) return dir.FullName;
        throw new InvalidOperationException("tests must run from inside the NanoClaw checkout");
    }
}
