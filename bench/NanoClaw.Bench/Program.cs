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
using var logs = LoggerFactory.Create(b => b.AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Warning));
var started = DateTimeOffset.UtcNow;
var loadBefore = MachineInfo.LoadAverage();
var clock = Stopwatch.StartNew();

await using var env = await BenchEnvironment.StartAsync(logs, cancel.Token);
Console.Error.WriteLine($"VMs run on QEMU microvm ({(env.Kvm.Usable ? "KVM" : "TCG")}): {env.Kvm.Reason}");
var rows = new List<Measurement>();
if (options.Includes("store")) rows.AddRange(await new StoreBench(env).RunAsync(options.Runs, cancel.Token));
if (options.Includes("native")) rows.AddRange(await NativeClaudeBench.RunAsync(options.Runs, cancel.Token));
if (options.Includes("folder")) rows.AddRange(await FolderBench.RunAsync(options.Runs, cancel.Token));
if (options.Includes("boot")) rows.AddRange(await new BootBench(env).RunAsync(options.Runs, cancel.Token));
if (options.Includes("warm")) rows.AddRange(await new WarmBench(env).RunAsync(options.Runs, cancel.Token));
if (options.Includes("run")) rows.AddRange(await new RunBench(env).RunAsync(options.Runs, cancel.Token));
if (options.Includes("sync")) rows.AddRange(await new SyncBench(env).RunAsync(options.Runs, cancel.Token));
// The one benchmark with VMs side by side, last, so it cannot disturb the others.
if (options.Includes("concurrent")) rows.AddRange(await new ConcurrentBench(env).RunAsync(options.Runs, cancel.Token));

Console.Out.Write(ReportWriter.Write(MachineInfo.Read(env.Kvm.Reason), loadBefore, MachineInfo.LoadAverage(), started, clock.Elapsed, options.Runs, rows));
return 0;
