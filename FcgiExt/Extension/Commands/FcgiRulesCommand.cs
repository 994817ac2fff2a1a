using Dbg = FcgiExt.DbgEng.DbgEng;
using FcgiExt.DbgEng;
using FcgiExt.Extension.Hosting;
using FcgiExt.RulesEngine.Catalog;
using FcgiExt.RulesEngine.Catalog.Tools;

namespace FcgiExt.Extension.Commands;

[ExtensionCommand("fcgirules", "The owner rules catalog: a summary, its rules and owners, explain a frame, add a site catalog.",
    Usage = [
        "!fcgirules                          a summary: the catalog's files, owner and rule counts, site catalogs",
        "!fcgirules -list                    every rule (id, action, match -> owner)",
        "!fcgirules -owners                  every owner (id, name, category, where to report)",
        "!fcgirules -explain <module!function> [...]   which rule decides each frame and why",
        "!fcgirules -load <file|folder>      layer a site catalog over the current one for this session",
        "  /D                                DML output (also -dml); options are case-insensitive",
    ])]
public sealed class FcgiRulesCommand : ExtensionCommand
{
    public override int Execute(CommandContext context, ExtensionArguments args)
    {
        var o = context.Output;
        string? mode = null;
        while (!args.AtEnd && mode is null)
        {
            var option = args.NextOption() ?? throw new UsageException($"unexpected argument '{args.NextWord()}'");
            if (option is "d" or "dml") o.UseDml();
            else mode = option;
        }
        switch (mode)
        {
            case null:
                Summary(context);
                return Dbg.S_OK;
            case "?" or "h" or "help":
                HelpCommand.PrintUsage<FcgiRulesCommand>(o);
                return Dbg.S_OK;
            case "list":
                NoMoreArguments(args, "-list");
                ListRules(context);
                return Dbg.S_OK;
            case "owners":
                NoMoreArguments(args, "-owners");
                ListOwners(context);
                return Dbg.S_OK;
            case "explain":
            {
                var frames = args.Rest();
                if (frames.Count == 0) throw new UsageException("-explain needs at least one module!function");
                var catalog = Catalog(context);
                // The frames are read as one stack, top first, like `fcgi rules explain`.
                o.Text(RuleExplainer.Explain(catalog, frames, exception: null, process: null));
                return Dbg.S_OK;
            }
            case "load":
                return Load(context, args);
            default:
                throw new UsageException($"unknown option -{mode}");
        }
    }

    static void NoMoreArguments(ExtensionArguments args, string option)
    {
        if (!args.AtEnd) throw new UsageException($"unexpected argument '{args.NextWord()}' after {option}");
    }

    static RuleCatalog Catalog(CommandContext context)
    {
        var catalog = ExtensionState.Catalog(out var errors);
        foreach (var e in errors) context.Output.Warning($"site catalog: {e}\n");
        return catalog;
    }

    static int Load(CommandContext context, ExtensionArguments args)
    {
        var o = context.Output;
        var path = args.Value("load");
        NoMoreArguments(args, "-load <path>");
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

    /// <summary>What a user needs first: which files make the catalog, how big it is, which site catalogs are in, and
    /// how to see more. The 80-odd rules themselves are behind -list.</summary>
    static void Summary(CommandContext context)
    {
        var o = context.Output;
        var catalog = Catalog(context);
        var rulesByFile = catalog.Rules.GroupBy(r => r.Location.File).ToDictionary(g => g.Key, g => g.Count());
        var ownersByFile = catalog.Owners.Values.GroupBy(e => e.Location.File).ToDictionary(g => g.Key, g => g.Count());
        int site = catalog.Files.Count(f => !IsBuiltIn(f));
        o.Bold($"FcgiExt rules catalog: {catalog.Rules.Count} rules, {catalog.Owners.Count} owners, " +
               $"{catalog.Files.Count} files ({catalog.Files.Count - site} built-in, {site} site)");
        o.Line();
        o.Line();
        o.Line("Files, in layering order (a later file overrides an earlier one's rule or owner of the same id):");
        foreach (var f in catalog.Files)
        {
            int rules = rulesByFile.GetValueOrDefault(f), owners = ownersByFile.GetValueOrDefault(f);
            o.Line($"  {f}  ({rules} rule{(rules == 1 ? "" : "s")}, {owners} owner{(owners == 1 ? "" : "s")})");
        }
        o.Line();
        var layers = ExtensionState.SiteLayers();
        if (layers.Count == 0)
            o.Line($"Site catalogs: none (a `rules` folder next to fcgiext.dll, {CatalogLayers.EnvironmentVariable}, " +
                   "or !fcgirules -load)");
        else
        {
            o.Line("Site catalogs:");
            foreach (var layer in layers) o.Line($"  {layer.Describe()}");
        }
        if (ExtensionState.LoadErrors.Count > 0)
            o.Warning($"{ExtensionState.LoadErrors.Count} problem(s) in site catalog files were reported above; " +
                      "those files are skipped.\n");
        o.Line();
        o.Line("More:");
        o.Line("  !fcgirules -list              every rule");
        o.Line("  !fcgirules -owners            every owner");
        o.Line("  !fcgirules -explain mod!func  which rule decides a frame");
        o.Line("  !fcgirules -load <file>       add a site catalog for this session");
    }

    static bool IsBuiltIn(string file) => file.StartsWith("builtin/", StringComparison.Ordinal);

    static void ListRules(CommandContext context)
    {
        var o = context.Output;
        var catalog = Catalog(context);
        o.Bold($"FcgiExt rules catalog: {catalog.Rules.Count} rules, {catalog.Owners.Count} owners");
        o.Line();
        o.Line("Rules (id, action, match -> owner):");
        foreach (var rule in catalog.Rules)
        {
            if (context.Interrupted) throw new DbgEngInterruptedException();
            o.Line($"  {rule.Id,-36} {rule.Action.ToString().ToLowerInvariant(),-8} {rule.Match}" +
                   (rule.OwnerId is { } owner ? $" -> {owner}" : ""));
        }
    }

    static void ListOwners(CommandContext context)
    {
        var o = context.Output;
        var catalog = Catalog(context);
        o.Bold($"Owners ({catalog.Owners.Count}; id, name, category, where to report):");
        o.Line();
        foreach (var entry in catalog.Owners.Values.OrderBy(e => e.Owner.Id, StringComparer.Ordinal))
        {
            if (context.Interrupted) throw new DbgEngInterruptedException();
            var owner = entry.Owner;
            o.Text($"  {owner.Id,-24} {owner.Name,-28} {owner.Category,-16} ");
            o.Url(owner.ReportUrl ?? "-");
            o.Line();
        }
    }
}
