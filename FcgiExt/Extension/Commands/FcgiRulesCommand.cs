using Dbg = FcgiExt.DbgEng.DbgEng;
using FcgiExt.DbgEng;
using FcgiExt.Extension.Hosting;
using FcgiExt.RulesEngine.Catalog;
using FcgiExt.RulesEngine.Catalog.Tools;

namespace FcgiExt.Extension.Commands;

[ExtensionCommand("fcgirules", "The owner rules catalog: list it, explain a frame, or add a site catalog for this session.",
    Usage = [
        "!fcgirules                          list the catalog's files, owners and rules",
        "!fcgirules -explain <module!function> [...]   which rule decides each frame and why",
        "!fcgirules -load <file|folder>      layer a site catalog over the current one for this session",
    ])]
public sealed class FcgiRulesCommand : ExtensionCommand
{
    public override int Execute(CommandContext context, ExtensionArguments args)
    {
        var o = context.Output;
        var option = args.NextOption();
        switch (option)
        {
            case null when args.AtEnd:
                List(context);
                return Dbg.S_OK;
            case "?" or "h" or "help":
                HelpCommand.PrintUsage<FcgiRulesCommand>(o);
                return Dbg.S_OK;
            case "explain":
            {
                var frames = args.Rest();
                if (frames.Count == 0) throw new UsageException("-explain needs at least one module!function");
                var catalog = ExtensionState.Catalog(out var errors);
                foreach (var e in errors) o.Warning($"site catalog: {e}\n");
                // The frames are read as one stack, top first, like `fcgi rules explain`.
                o.Text(RuleExplainer.Explain(catalog, frames, exception: null, process: null));
                return Dbg.S_OK;
            }
            case "load":
            {
                var path = args.Value("load");
                if (!args.AtEnd) throw new UsageException($"unexpected argument '{args.NextWord()}' after -load <path>");
                var diagnostics = ExtensionState.AddSessionCatalog(path, out bool loaded);
                foreach (var d in diagnostics) o.Line(d);
                if (!loaded)
                {
                    o.Error($"!fcgirules: {path} not loaded; the catalog in use is unchanged");
                    return Dbg.S_FALSE;
                }
                var catalog = ExtensionState.Catalog(out _);
                o.Line($"loaded {path}: the catalog now has {catalog.Rules.Count} rules and {catalog.Owners.Count} owners");
                return Dbg.S_OK;
            }
            default:
                throw new UsageException(option is null ? $"unexpected argument '{args.NextWord()}'" : $"unknown option -{option}");
        }
    }

    static void List(CommandContext context)
    {
        var o = context.Output;
        var catalog = ExtensionState.Catalog(out var errors);
        foreach (var e in errors) o.Warning($"site catalog: {e}\n");
        o.Bold($"FcgiExt rules catalog: {catalog.Rules.Count} rules, {catalog.Owners.Count} owners");
        o.Line();
        o.Line("Files (later layers override earlier ones):");
        foreach (var f in catalog.Files) o.Line($"  {f}");
        o.Line();
        o.Line("Rules (id, action, match -> owner):");
        foreach (var rule in catalog.Rules)
        {
            if (context.Interrupted) throw new DbgEngInterruptedException();
            o.Line($"  {rule.Id,-36} {rule.Action.ToString().ToLowerInvariant(),-8} {rule.Match}" +
                   (rule.OwnerId is { } owner ? $" -> {owner}" : ""));
        }
    }
}
