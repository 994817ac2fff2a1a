using Dbg = FcgiExt.DbgEng.DbgEng;
using FcgiExt.DbgEng;
using FcgiExt.DbgEng.Analysis;
using FcgiExt.Extension.Hosting;
using FcgiExt.RulesEngine.Rendering;

namespace FcgiExt.Extension.Commands;

[ExtensionCommand("fcgi", "Who owns this FastCGI worker crash: symbols, modules, exception, stack, verdict, next steps.",
    Usage = [
        "!fcgi [-v] [/D] [-offline] [-y <folder>]...   the whole procedure, each step shown",
        "!fcgi -json [-offline] [-y <folder>]...  the verdict as the FcgiExt JSON contract, nothing else",
        "  -v         explain every frame's decision and print the full trace",
        "  /D         DML output (links for the next steps' commands), as with .prefer_dml 1; also -dml",
        "  -offline   do not add Microsoft's symbol server to the symbol path",
        "  -y <dir>   add a symbol folder (e.g. an unpacked php-debug-pack); may repeat",
        "The symbol path gets only what is missing; symbols are reloaded only when the path changed or a module",
        "of the faulting stack lacks symbols that !fcgi has not tried on this path yet (step 1 says which).",
        "Options are case-insensitive (-JSON, /d).",
    ])]
public sealed class FcgiCommand : ExtensionCommand
{
    public override int Execute(CommandContext context, ExtensionArguments args)
    {
        var a = FcgiArgs.Parse(args, context.Output, allowJson: true, allowVerbose: true);
        var output = context.Output;
        if (a.Help) { HelpCommand.PrintUsage<FcgiCommand>(output); return Dbg.S_OK; }

        var catalog = ExtensionState.Catalog(out var catalogErrors);
        var run = FcgiProcedure.Run(context.Engine, catalog, a.Procedure);
        if (a.Json)
        {
            // A broken site catalog must show in the JSON too: a script reading it would otherwise never know.
            output.Plain(JsonRenderer.Render(run.Result, indented: true, ExtensionState.LoadErrors) + "\n");
            return Dbg.S_OK;
        }
        foreach (var e in catalogErrors) output.Warning($"site catalog: {e}\n");
        // The verdict first (owner, confidence, bucket), then the procedure's steps with the detail.
        TextRenderer.RenderHeadline(run.Result, output);
        StepsRenderer.SymbolSetup(output, run);
        StepsRenderer.Processes(output, run);
        TextRenderer.Render(run.Result, output, a.Verbose, firstSection: 2, headline: false);
        return Dbg.S_OK;
    }
}

[ExtensionCommand("fcgisym", "Steps 1–2 of !fcgi only: set up symbols and list modules with missing, export-only or mismatched symbols.",
    Usage = ["!fcgisym [/D] [-offline] [-y <folder>]..."])]
public sealed class FcgiSymCommand : ExtensionCommand
{
    public override int Execute(CommandContext context, ExtensionArguments args)
    {
        var a = FcgiArgs.Parse(args, context.Output, allowJson: false, allowVerbose: false);
        var output = context.Output;
        if (a.Help) { HelpCommand.PrintUsage<FcgiSymCommand>(output); return Dbg.S_OK; }
        var catalog = ExtensionState.Catalog(out var catalogErrors);
        foreach (var e in catalogErrors) output.Warning($"site catalog: {e}\n");
        var run = FcgiProcedure.Run(context.Engine, catalog, a.Procedure);
        StepsRenderer.SymbolSetup(output, run);
        StepsRenderer.ModulesOnly(output, run.Result);
        return Dbg.S_OK;
    }
}

/// <summary>The options !fcgi and !fcgisym take.</summary>
sealed record FcgiArgs(FcgiOptions Procedure, bool Json, bool Verbose, bool Help)
{
    /// <summary>Options as WinDbg users type them: '-' or '/', any case (ExtensionArguments lower-cases them); /D turns
    /// DML on for this command's output.</summary>
    public static FcgiArgs Parse(ExtensionArguments args, DebuggerOutput output, bool allowJson, bool allowVerbose)
    {
        bool json = false, verbose = false, help = false, offline = false;
        var folders = new List<string>();
        while (!args.AtEnd)
        {
            var option = args.NextOption() ?? throw new UsageException($"unexpected argument '{args.NextWord()}'");
            switch (option)
            {
                case "?" or "h" or "help": help = true; break;
                case "json" when allowJson: json = true; break;
                case "v" when allowVerbose: verbose = true; break;
                case "d" or "dml": output.UseDml(); break;
                case "offline": offline = true; break;
                case "y": folders.Add(args.Value("y")); break;
                default: throw new UsageException($"unknown option -{option}");
            }
        }
        // The session's reload log: a second !fcgi on this target reloads nothing the first one tried.
        var procedure = new FcgiOptions { Offline = offline, SymbolFolders = folders, ReloadLog = ExtensionState.ReloadLog };
        return new FcgiArgs(procedure, json, verbose, help);
    }
}
