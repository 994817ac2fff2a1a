using FcgiExt.Cli;

// `fcgi`: a thin front for batch triage, the rules tools and engine sessions. Each subcommand
// lives in Commands/ and only parses options, calls RulesEngine (or the engine host) and prints.
return FcgiCli.Run(args, Console.Out, Console.Error);
