using Dbg = FcgiExt.DbgEng.DbgEng;
using FcgiExt.DbgEng;
using FcgiExt.DbgEng.Analysis;
using FcgiExt.Extension.Hosting;
using FcgiExt.RulesEngine.Rendering;

namespace FcgiExt.Extension.Commands;

[ExtensionCommand("fcgi", "Who owns this FastCGI worker crash: symbols, modules, exception, stack, verdict, next steps.",
    Usage = [
        "!fcgi [-v] [-offline] [-y <folder>]...   the whole procedure, each step shown",
        "!fcgi -json [-offline] [-y <folder>]...  the verdict as the FcgiExt JSON contract, nothing else",
        "  -v         explain every frame's decision and print the full trace",
        "  -offline   do not add Microsoft's symbol server to the symbol path",
        "  -y <dir>   add a symbol folder (e.g. an unpacked php-debug-pack); may repeat",
    ])]
public sealed class FcgiCommand : ExtensionCommand
{
    public override int Execute(CommandContext context, ExtensionArguments args)
    {
        var options = FcgiArgs.Parse(args, allowJson: true, allowVerbose: true, out bool json, out bool verbose, out bool help);
        var output = context.Output;
        if (help) { HelpCommand.PrintUsage<FcgiCommand>(output); return Dbg.S_OK; }

        var catalog = ExtensionState.Catalog(out var catalogErrors);
        var run = FcgiProcedure.Run(context.Engine, catalog, options with { Cancellation = default });
        if (json)
        {
            // A broken site catalog must show in the JSON too: a script reading it would otherwise never know.
            output.Plain(JsonRenderer.Render(run.Result, indented: true, ExtensionState.LoadErrors) + "\n");
            return Dbg.S_OK;
        }
        foreach (var e in catalogErrors) output.Warning($"site catalog: {e}\n");
        StepsRenderer.SymbolSetup(output, run);
        StepsRenderer.Processes(output, run);
        TextRenderer.Render(run.Result, output, verbose, firstSection: 2);
        return Dbg.S_OK;
    }
}

[ExtensionCommand("fcgisym", "Steps 1–2 of !fcgi only: set up symbols and list modules with missing, export-only or mismatched symbols.",
    Usage = ["!fcgisym [-offline] [-y <folder>]..."])]
public sealed class FcgiSymCommand : ExtensionCommand
{
    public override int Execute(CommandContext context, ExtensionArguments args)
    {
        var options = FcgiArgs.Parse(args, allowJson: false, allowVerbose: false, out _, out _, out bool help);
        var output = context.Output;
        if (help) { HelpCommand.PrintUsage<FcgiSymCommand>(output); return Dbg.S_OK; }
        var catalog = ExtensionState.Catalog(out var catalogErrors);
        foreach (var e in catalogErrors) output.Warning($"site catalog: {e}\n");
        var run = FcgiProcedure.Run(context.Engine, catalog, options);
        StepsRenderer.SymbolSetup(output, run);
        StepsRenderer.ModulesOnly(output, run.Result);
        return Dbg.S_OK;
    }
}

/// <summary>The options !fcgi and !fcgisym share.</summary>
static class FcgiArgs
{
    public static FcgiOptions Parse(ExtensionArguments args, bool allowJson, bool allowVerbose, out bool json, out bool verbose, out bool help)
    {
        json = verbose = help = false;
        bool offline = false;
        var folders = new List<string>();
        while (!args.AtEnd)
        {
            var option = args.NextOption() ?? throw new UsageException($"unexpected argument '{args.NextWord()}'");
            switch (option)
            {
                case "?" or "h" or "help": help = true; break;
                case "json" when allowJson: json = true; break;
                case "v" when allowVerbose: verbose = true; break;
                case "offline": offline = true; break;
                case "y": folders.Add(args.Value("y")); break;
                default: throw new UsageException($"unknown option -{option}");
            }
        }
        return new FcgiOptions { Offline = offline, SymbolFolders = folders };
    }
}
