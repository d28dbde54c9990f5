using System.Diagnostics;
using Microsoft.Extensions.Logging;
using NanoClaw.Bench;

// Wiring only: parse, prepare the shared environment, run the selected benchmarks one after another (two VMs at
// once only where that is what is measured: warm runs' refill, and `concurrent`), print the report on stdout.
var (options, error) = BenchOptions.Parse(args);
if (options is null)
{
    Console.Error.WriteLine(error);
    return 2;
}

using var cancel = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) => { e.Cancel = true; cancel.Cancel(); };
// Logs go to stderr with the progress lines: stdout is the report.
using var logs = LoggerFactory.Create(b => b.AddSimpleConsole(o => o.SingleLine = true)
    .AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace).SetMinimumLevel(LogLevel.Warning));
var started = DateTimeOffset.UtcNow;
var loadBefore = MachineInfo.LoadAverage();
var clock = Stopwatch.StartNew();

await using var env = await BenchEnvironment.StartAsync(logs, cancel.Token);
Console.Error.WriteLine($"VMs run on QEMU microvm ({(env.Kvm.Usable ? "KVM" : "TCG")}): {env.Kvm.Reason}");
var rows = new List<Measurement>();
// One benchmark failing (a VM that never came up, say) costs its rows, not the whole report.
async Task Bench(string name, Func<Task<IReadOnlyList<Measurement>>> run)
{
    if (!options.Includes(name)) return;
    try { rows.AddRange(await run()); }
    catch (Exception e) when (e is not OperationCanceledException)
    {
        Console.Error.WriteLine($"{name} failed: {e}");
        rows.Add(Measurement.Unavailable(name, "the whole benchmark", $"it failed: {e.GetType().Name}: {e.Message}"));
    }
}
await Bench("store", () => new StoreBench(env).RunAsync(options.Runs, cancel.Token));
await Bench("native", () => NativeClaudeBench.RunAsync(options.Runs, cancel.Token));
await Bench("folder", () => FolderBench.RunAsync(options.Runs, cancel.Token));
await Bench("boot", () => new BootBench(env).RunAsync(options.Runs, cancel.Token));
await Bench("warm", () => new WarmBench(env).RunAsync(options.Runs, cancel.Token));
await Bench("run", () => new RunBench(env).RunAsync(options.Runs, cancel.Token));
await Bench("sync", () => new SyncBench(env).RunAsync(options.Runs, cancel.Token));
await Bench("phases", () => new PhaseBench(env).RunAsync(options.Runs, cancel.Token));
await Bench("usage", () => new UsageBench(env).RunAsync(options.Runs, cancel.Token));
// The one benchmark with VMs side by side, last, so it cannot disturb the others.
await Bench("concurrent", () => new ConcurrentBench(env).RunAsync(options.Runs, cancel.Token));

Console.Out.Write(ReportWriter.Write(MachineInfo.Read(env.Kvm.Reason), loadBefore, MachineInfo.LoadAverage(), started, clock.Elapsed, options.Runs, rows));
return 0;
