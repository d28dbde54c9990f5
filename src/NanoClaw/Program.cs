using System.CommandLine;
using NanoClaw;
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

try
{
    return await root.Parse(args).InvokeAsync();
}
catch (ConfigException ex)
{
    Console.Error.WriteLine("Configuration error: " + ex.Message);
    return 2;
}
