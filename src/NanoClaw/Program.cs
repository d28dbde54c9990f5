using System.CommandLine;
using NanoClaw.Cli;

// Program.cs only wires: each command's work lives in its own file under Cli/.
var root = new RootCommand("NanoClaw: a personal Claude assistant that runs every agent task in its own microVM.")
{
    SetupCommand.Create(),
    RunCommand.Create(),
    AuthCommand.Create(),
    ChatCommand.Create(),
    DoctorCommand.Create(),
    GroupsCommand.Create(),
    TasksCommand.Create(),
    UsageCommand.Create(),
};

// Failures and signals are handled here, once, for every command (CommandFailure, StopSignals).
using var signals = new StopSignals();
var invocation = new InvocationConfiguration { EnableDefaultExceptionHandler = false, ProcessTerminationTimeout = null };
try
{
    return await root.Parse(args).InvokeAsync(invocation, signals.Token);
}
catch (Exception ex)
{
    return CommandFailure.Report(ex, Console.Error, signals.Token.IsCancellationRequested);
}
