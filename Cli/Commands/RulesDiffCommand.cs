using System.CommandLine;
using FcgiExt.RulesEngine.Calibration;
using FcgiExt.RulesEngine.Catalog;
using FcgiExt.RulesEngine.Catalog.Tools;
using FcgiExt.RulesEngine.Readers;

namespace FcgiExt.Cli.Commands;

/// <summary>`fcgi rules diff <old> <new> --corpus <folder>`: per case Original / New / Same.</summary>
public static class RulesDiffCommand
{
    static readonly string[] TextExtensions = [".txt", ".log", ".wer", ".html", ".htm"];

    public static Command Create()
    {
        var oldPath = Usage.ExistingPaths(new Argument<string>("old")
        {
            Description = "The catalog before the change (a YAML file or a folder)",
        });
        var newPath = Usage.ExistingPaths(new Argument<string>("new")
        {
            Description = "The catalog after the change (a YAML file or a folder)",
        });
        var corpus = Usage.ExistingPaths(new Option<string>("--corpus")
        {
            Description = "A folder of debugger text (k/lm/!analyze output, event log crash events, Report.wer, Ruby crash reports, " +
                          "DebugDiag reports), read recursively",
            Required = true,
        });
        var overBuiltIn = new Option<bool>("--over-builtin")
        {
            Description = "Layer both catalogs over the built-in one, FCGIEXT_RULES and --rules (for site catalogs); by default each is " +
                "a whole catalog",
        };
        var rules = SiteCatalogs.RulesOption();
        var changedOnly = new Option<bool>("--changed") { Description = "Print only the cases whose verdict changed" };
        var cmd = new Command("diff", "How a catalog change moves verdicts: every case of a corpus triaged with the old and the new " +
            "catalog, printed as Original / New / Same. Exit 1 when any verdict changed.");
        cmd.Arguments.Add(oldPath);
        cmd.Arguments.Add(newPath);
        cmd.Options.Add(corpus);
        cmd.Options.Add(overBuiltIn);
        cmd.Options.Add(changedOnly);
        cmd.Options.Add(rules);
        cmd.SetAction(r => Run(r.GetValue(oldPath)!, r.GetValue(newPath)!, r.GetValue(corpus)!, r.GetValue(overBuiltIn),
            r.GetValue(changedOnly),
            Console.Out, Console.Error, r.GetValue(rules) ?? []));
        return cmd;
    }

    public static int Run(string oldPath, string newPath, string corpus, bool overBuiltIn, bool changedOnly, TextWriter output,
        TextWriter errors,
        IReadOnlyList<string>? rules = null)
    {
        if (!Directory.Exists(corpus)) { errors.WriteLine($"fcgi rules diff: {corpus}: no such folder"); return 2; }
        var catalogs = new List<RuleCatalog>();
        foreach (var path in new[] { oldPath, newPath })
        {
            // Over the built-in catalog the site layers apply as everywhere; a whole catalog stands alone.
            var catalog = overBuiltIn
                ? CatalogLayers.Load(SiteCatalogs.Plan(null, [.. rules ?? [], path]))
                : RuleCatalog.Load([path], includeBuiltIn: false);
            var broken = catalog.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
            if (broken.Count > 0)
            {
                foreach (var d in broken) errors.WriteLine(d.ToString());
                errors.WriteLine($"fcgi rules diff: {path}: the catalog has errors (fcgi rules lint {path})");
                return 2;
            }
            catalogs.Add(catalog);
        }
        var files = Directory.EnumerateFiles(corpus, "*", SearchOption.AllDirectories)
            .Where(f => TextExtensions.Any(e => f.EndsWith(e, StringComparison.OrdinalIgnoreCase)))
            .Order(StringComparer.Ordinal).ToList();
        if (files.Count == 0) { errors.WriteLine($"fcgi rules diff: {corpus}: no debugger text files " +
            $"({string.Join(", ", TextExtensions)})"); return 2; }

        var cases = CatalogDiff.Run(files.Select(f => (Path.GetRelativePath(corpus, f),
            (Func<RulesEngine.Model.CrashReport>)(() => DebuggerText.ReadFile(f)))),
            catalogs[0], catalogs[1]);
        foreach (var c in cases)
        {
            if (c.Error is not null) { output.WriteLine($"Error     {c.Name}: {c.Error}"); continue; }
            if (c.Same)
            {
                if (!changedOnly) output.WriteLine($"Same      {c.Name}: {c.Original}");
                continue;
            }
            output.WriteLine($"Changed   {c.Name}");
            output.WriteLine($"  Original  {c.Original}");
            output.WriteLine($"  New       {c.New}");
        }
        int changed = cases.Count(c => c.Error is null && !c.Same), same = cases.Count(c => c.Same),
            failed = cases.Count(c => c.Error is not null);
        output.WriteLine($"{cases.Count} case(s): {same} same, {changed} changed, {failed} unreadable");
        return changed > 0 ? 1 : 0;
    }
}
