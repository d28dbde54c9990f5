using System.CommandLine;

// Program.cs only wires: each command's work lives in its own file.
var root = new RootCommand("NanoClaw: a personal Claude assistant that runs every agent task in its own microVM.");
return await root.Parse(args).InvokeAsync();
