using FcgiExt.RulesEngine.Calibration;
using System.CommandLine;
using FcgiExt.RulesEngine.Catalog;
using FcgiExt.RulesEngine.Catalog.Tools;

namespace FcgiExt.Cli.Commands;

/// <summary>`fcgi rules …`: the maintainer tools of the owner rules catalog. Each subcommand is a thin
/// wrapper over RulesEngine/Catalog/Tools; the Run* methods take writers so tests can call them.</summary>
public static class RulesCommand
{
    public static Command Create()
    {
        var rules = new Command("rules", "Maintain the owner rules catalog: lint, test, explain, list, import a WinDbg triage.ini.");
        rules.Subcommands.Add(Lint());
        rules.Subcommands.Add(Test());
        rules.Subcommands.Add(Explain());
        rules.Subcommands.Add(List());
        rules.Subcommands.Add(ImportTriageIni());
        rules.Subcommands.Add(RulesDiffCommand.Create());
        rules.Subcommands.Add(Calibrate());
        return rules;
    }

    private static Argument<string[]> PathsArgument() => Usage.ExistingPaths(new Argument<string[]>("paths")
    {
        Description = "Catalog files or folders of *.yaml / *.yml, layered over the built-in catalog in this order",
        Arity = ArgumentArity.ZeroOrMore,
    });

    /// <summary>The built-in catalog (unless left out), FCGIEXT_RULES, then the paths, as every front end layers them.</summary>
    static RuleCatalog LoadLayered(IReadOnlyList<string> paths, bool includeBuiltIn)
    {
        var layers = SiteCatalogs.Plan(null, paths);
        SiteCatalogs.Announce(layers, "fcgi rules", Console.Error);
        return CatalogLayers.Load(layers, includeBuiltIn);
    }

    /// <summary>Positional catalog paths and `--rules` are the same thing: layers in the order given.</summary>
    static IReadOnlyList<string> Given(ParseResult r, Argument<string[]> paths, Option<string[]> rules) =>
        [.. r.GetValue(paths) ?? [], .. r.GetValue(rules) ?? []];

    private static Option<bool> NoBuiltInOption() => new("--no-builtin")
    {
        Description = "Leave the built-in catalog out (by default user catalogs are layered over it)",
    };

    private static Command Lint() => OverCatalogs("lint", "Check catalogs: every problem as file:line:col: message (bad YAML, " +
        "unknown key, bad regex or glob, duplicate id, unknown owner, bad category, shadowed or unreachable rule). Exit 1 on errors.",
        RunLint);

    // lint and test take the same inputs: catalog paths (positional or --rules) over the built-in one unless --no-builtin.
    private static Command OverCatalogs(string name, string description, Func<IReadOnlyList<string>, bool, TextWriter, int> run)
    {
        var paths = PathsArgument();
        var rules = SiteCatalogs.RulesOption();
        var noBuiltIn = NoBuiltInOption();
        var cmd = new Command(name, description);
        cmd.Arguments.Add(paths);
        cmd.Options.Add(noBuiltIn);
        cmd.Options.Add(rules);
        cmd.SetAction(r => run(Given(r, paths, rules), !r.GetValue(noBuiltIn), Console.Out));
        return cmd;
    }

    public static int RunLint(IReadOnlyList<string> paths, bool includeBuiltIn, TextWriter output)
    {
        var catalog = LoadLayered(paths, includeBuiltIn);
        var diagnostics = CatalogLinter.Lint(catalog);
        foreach (var d in diagnostics.OrderBy(d => d.File, StringComparer.Ordinal).ThenBy(d => d.Line).ThenBy(d => d.Column))
            output.WriteLine(d.ToString());
        int errors = diagnostics.Count(d => d.Severity == DiagnosticSeverity.Error);
        int warnings = diagnostics.Count - errors;
        output.WriteLine($"{catalog.Files.Count} file(s), {catalog.Owners.Count} owners, {catalog.Rules.Count} rules: {errors} " +
            $"error(s), {warnings} warning(s)");
        return errors > 0 ? 1 : 0;
    }

    private static Command Test() => OverCatalogs("test", "Run every rule's examples (built-in and the given catalogs); print each " +
        "failure with expected vs got and the walk's trace. Exit 1 on failures.", RunTest);

    public static int RunTest(IReadOnlyList<string> paths, bool includeBuiltIn, TextWriter output)
    {
        var catalog = LoadLayered(paths, includeBuiltIn);
        var errors = catalog.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        foreach (var d in errors) output.WriteLine(d.ToString());
        var result = ExampleRunner.Run(catalog);
        foreach (var f in result.Failures) output.Write(f.Format());
        output.WriteLine($"{result.Run} example(s) run, {result.Run - result.Failures.Count} passed, {result.Failures.Count} failed" +
                         (errors.Count > 0 ? $"; {errors.Count} catalog error(s) (the broken rules were not loaded)" : ""));
        return result.Failures.Count > 0 || errors.Count > 0 ? 1 : 0;
    }

    private static Command Explain()
    {
        var frames = new Argument<string[]>("frames")
        {
            Description = "Frames as module!function (image or engine module name), top of the stack first; an address for an " +
                "address-only frame",
            Arity = ArgumentArity.OneOrMore,
        };
        var rules = SiteCatalogs.RulesOption();
        // The old spelling keeps working, hidden: one option name for site catalogs everywhere.
        var catalogs = Usage.ExistingPaths(new Option<string[]>("--catalog", "-c")
        {
            Description = SiteCatalogs.RulesDescription, Hidden = true,
        });
        var exception = new Option<string?>("--exception", "-e")
        {
            Description = "Exception code (0xc0000005) or class name (HEAP_CORRUPTION) for exception conditions"
        };
        var process = new Option<string?>("--process", "-p") { Description = "Process name for process conditions, e.g. php-cgi.exe" };
        var noBuiltIn = NoBuiltInOption();
        var cmd = new Command("explain", "Show which rules match each frame and why (including the rules that lost on precedence), then " +
            "walk the frames as one stack.");
        cmd.Arguments.Add(frames);
        cmd.Options.Add(rules);
        cmd.Options.Add(catalogs);
        cmd.Options.Add(exception);
        cmd.Options.Add(process);
        cmd.Options.Add(noBuiltIn);
        cmd.SetAction(r => RunExplain(r.GetValue(frames) ?? [], [.. r.GetValue(rules) ?? [], .. r.GetValue(catalogs) ?? []],
            !r.GetValue(noBuiltIn),
            r.GetValue(exception), r.GetValue(process), Console.Out));
        return cmd;
    }

    public static int RunExplain(IReadOnlyList<string> frames, IReadOnlyList<string> catalogs, bool includeBuiltIn,
        string? exception, string? process, TextWriter output)
    {
        if (exception is not null && CatalogParser.ParseException(exception, out var err) is null)
        {
            output.WriteLine($"--exception: {err}");
            return 2;
        }
        var catalog = LoadLayered(catalogs, includeBuiltIn);
        foreach (var d in catalog.Diagnostics) output.WriteLine(d.ToString());
        output.Write(RuleExplainer.Explain(catalog, frames, exception, process));
        return 0;
    }

    private static Command List()
    {
        var paths = PathsArgument();
        var rules = SiteCatalogs.RulesOption();
        var noBuiltIn = NoBuiltInOption();
        var owners = new Option<bool>("--owners") { Description = "List the owners instead of the rules" };
        var cmd = new Command("list", "List the rules (id, action, match, owner, where defined) or, with --owners, the owners of the " +
            "layered catalog.");
        cmd.Arguments.Add(paths);
        cmd.Options.Add(noBuiltIn);
        cmd.Options.Add(owners);
        cmd.Options.Add(rules);
        cmd.SetAction(r => RunList(Given(r, paths, rules), !r.GetValue(noBuiltIn), r.GetValue(owners), Console.Out));
        return cmd;
    }

    public static int RunList(IReadOnlyList<string> paths, bool includeBuiltIn, bool owners, TextWriter output)
    {
        var catalog = LoadLayered(paths, includeBuiltIn);
        foreach (var d in catalog.Diagnostics) output.WriteLine(d.ToString());
        if (owners)
        {
            foreach (var o in catalog.Owners.Values.OrderBy(o => o.Owner.Category, StringComparer.Ordinal)
                .ThenBy(o => o.Owner.Id, StringComparer.Ordinal))
                output.WriteLine($"{o.Owner.Id,-28} {o.Owner.Category,-22} {o.Owner.Name}  " +
                    $"({o.Location}{(o.Overrides is { } ov ? $", overrides {ov}" : "")})");
            output.WriteLine($"{catalog.Owners.Count} owners");
        }
        else
        {
            foreach (var r in catalog.Rules)
                output.WriteLine($"{r.Id,-36} {r.ActionText,-8} {r.OwnerId ?? "-",-24} {r.Match}  " +
                    $"({r.Location}{(r.Overrides is { } ov ? $", overrides {ov}" : "")})");
            output.WriteLine($"{catalog.Rules.Count} rules");
        }
        return catalog.Diagnostics.Any(d => d.Severity == DiagnosticSeverity.Error) ? 1 : 0;
    }

    private static Command Calibrate()
    {
        var corpus = Usage.ExistingPaths(new Argument<string[]>("corpus")
        {
            Description = "Case lists (cases.yaml), scenario expected.yaml files, or folders holding them; by default the project's " +
                          "real-case corpus (tests/RulesEngine.Tests/Fixtures/text/cases.yaml) and TestDumps (its scenarios, with " +
                          "TestDumps/rules)",
            Arity = ArgumentArity.ZeroOrMore,
        });
        var rules = SiteCatalogs.RulesOption();
        var cmd = new Command("calibrate", "Triage every case whose owner was established and print, per confidence level, how many " +
                                           "verdicts agree, then every disagreement. Exit 1 when a high-confidence verdict is wrong.");
        cmd.Arguments.Add(corpus);
        cmd.Options.Add(rules);
        cmd.SetAction(r => RunCalibrate(r.GetValue(corpus) ?? [], r.GetValue(rules) ?? [], Console.Out, Console.Error));
        return cmd;
    }

    /// <summary>The project's own corpus, from the repository this CLI runs in.</summary>
    public static IReadOnlyList<string> DefaultCorpus(string repoRoot) =>
        [Path.Combine(repoRoot, "tests", "RulesEngine.Tests", "Fixtures", "text", CalibrationCorpus.CaseListName),
         Path.Combine(repoRoot, "TestDumps")];

    public static int RunCalibrate(IReadOnlyList<string> corpus, IReadOnlyList<string> rules, TextWriter output, TextWriter errors)
    {
        if (CalibrateCorpus(corpus, rules, errors) is not { } result) return 2;
        output.Write(Calibrator.Render(result));
        return result.WrongHigh.Any() ? 1 : 0;
    }

    /// <summary>The calibration of a corpus (the default one when empty); null after a one-line error on
    /// <paramref name="errors"/>.</summary>
    public static CalibrationResult? CalibrateCorpus(IReadOnlyList<string> corpus, IReadOnlyList<string> rules, TextWriter errors)
    {
        if (corpus.Count == 0)
        {
            try { corpus = DefaultCorpus(Engine.WineRunner.FindRepoRoot()); }
            catch (InvalidOperationException e) { errors.WriteLine($"fcgi rules calibrate: {e.Message}; name the corpus"); return null; }
        }
        // Each corpus path is triaged with the catalog its dumps would get: a `rules` folder at its top counts
        // (TestDumps/rules teaches the harness's stand-in modules), as for `fcgi triage <folder>`.
        var outcomes = new List<CalibrationOutcome>();
        foreach (var path in corpus)
        {
            IReadOnlyList<CalibrationCase> cases;
            try { cases = CalibrationCorpus.Load(path); }
            catch (InvalidDataException e) { errors.WriteLine($"fcgi rules calibrate: {e.Message}"); return null; }
            var layers = SiteCatalogs.Plan(Directory.Exists(path) ? [path] : [], rules);
            SiteCatalogs.Announce(layers, "fcgi rules calibrate", errors);
            var catalog = CatalogLayers.Load(layers);
            var broken = catalog.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
            foreach (var d in broken) errors.WriteLine(d.ToString());
            if (broken.Count > 0) { errors.WriteLine("fcgi rules calibrate: the catalog has errors (above)"); return null; }
            outcomes.AddRange(Calibrator.Run(cases, catalog).Outcomes);
        }
        return new CalibrationResult(outcomes);
    }

    private static Command ImportTriageIni()
    {
        var file = Usage.ExistingPaths(new Argument<string>("file")
        {
            Description = "A WinDbg triage.ini (Module[!Function]=Owner lines)",
        });
        var outFile = new Option<string?>("--out", "-o") { Description = "Write the catalog YAML to this file instead of standard output" };
        var cmd = new Command("import-triage-ini", "Convert a WinDbg triage.ini into catalog YAML (ignore, maybe_, last_, default and " +
            "trailing-* globs are kept); lines that do not fit are reported on standard error.");
        cmd.Arguments.Add(file);
        cmd.Options.Add(outFile);
        cmd.SetAction(r => RunImportTriageIni(r.GetValue(file)!, r.GetValue(outFile), Console.Out, Console.Error));
        return cmd;
    }

    public static int RunImportTriageIni(string file, string? outFile, TextWriter output, TextWriter error)
    {
        string text;
        try { text = File.ReadAllText(file); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            error.WriteLine($"{file}: cannot read: {e.Message}");
            return 2;
        }
        var import = TriageIniImporter.Convert(text, file);
        foreach (var d in import.Skipped) error.WriteLine(d.ToString());
        if (outFile is null) output.Write(import.Yaml);
        else
        {
            try { File.WriteAllText(outFile, import.Yaml); }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                error.WriteLine($"{outFile}: cannot write: {e.Message}");
                return 2;
            }
            output.WriteLine($"{outFile}: {import.OwnerCount} owners, {import.RuleCount} rules; set each owner's category, then run fcgi " +
                $"rules lint {outFile}");
        }
        return 0;
    }
}
