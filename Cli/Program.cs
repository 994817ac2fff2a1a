using System.CommandLine;
using FcgiExt.Cli.Commands;

// `fcgi`: a thin front for batch triage, the rules tools and engine sessions. Each subcommand
// lives in Commands/ and only parses options, calls RulesEngine (or the engine host) and prints.
var root = new RootCommand(
    "FcgiExt: who owns a FastCGI worker crash (php-cgi.exe, ruby.exe under IIS) and what to do next.");
foreach (var command in CommandRegistry.All())
    root.Subcommands.Add(command);
return root.Parse(args).Invoke();
