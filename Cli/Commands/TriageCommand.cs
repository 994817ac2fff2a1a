using System.CommandLine;
using FcgiExt.RulesEngine.Catalog;
using FcgiExt.RulesEngine.Model;
using FcgiExt.RulesEngine.Readers;
using FcgiExt.RulesEngine.Rendering;
using FcgiExt.RulesEngine.Triage;

namespace FcgiExt.Cli.Commands;

/// <summary>
/// `fcgi triage --stack-text &lt;file&gt;`: the verdict from debugger text people already have.
/// </summary>
/// <remarks>
/// The batch form (`fcgi triage &lt;dump or folder&gt;…`, issue 5) joins this command: it adds a positional
/// `paths` argument to <see cref="Create"/> and a branch in <see cref="Run"/>; the shared options (format, rules,
/// verbose, out) are defined once here so both forms read them the same way.
/// </remarks>
public static class TriageCommand
{
    public const int Ok = 0, NotTriaged = 1, UsageError = 2;
    public static readonly string[] Formats = ["text", "json", "markdown", "html"];

    public static readonly Option<string?> StackTextOption = new("--stack-text")
    {
        Description = "A text file with debugger output (WinDbg k/lm/.exr/!analyze -v, the event log's crash event, Report.wer, Ruby's " +
            "crash report, DebugDiag)",
        HelpName = "file",
    };

    public static readonly Option<string> FormatOption = CreateFormatOption();

    public static readonly Option<string[]> RulesOption = SiteCatalogs.RulesOption();

    public static readonly Option<bool> VerboseOption = new("--verbose", "-v")
    {
        Description = "Explain each frame (the rule that skipped or decided it) and the decision trace; for dumps, every dump's own " +
                      "block, not only one per bucket",
    };

    public static readonly Option<string?> OutOption = new("--out")
    {
        Description = "Write the report to this file instead of standard output",
        HelpName = "file",
    };

    static Option<string> CreateFormatOption()
    {
        var option = new Option<string>("--format")
        {
            Description = "text: for a terminal; json: for scripts, the envelope of docs/batch.schema.json (with --stack-text " +
                          "one verdict, docs/verdict.schema.json, as !fcgi -json); markdown: to paste into an issue; " +
                          "html: a self-contained page",
            DefaultValueFactory = _ => "text",
        };
        option.AcceptOnlyFromAmong(Formats);
        return option;
    }

    public static Command Create()
    {
        var command = new Command("triage",
            "Who owns a crash and what to do next: `fcgi triage <dumps or folders>` runs the real debugger engine on every dump (in " +
            "parallel, resumable) and prints a bucketed report; `fcgi triage --stack-text <file>` reads debugger text instead. Exit " +
            "codes: 0 all triaged, 1 some dumps could not be triaged " +
            "(or the --stack-text file holds no debugger output), 2 usage error.");
        command.Options.Add(StackTextOption);
        command.Options.Add(FormatOption);
        command.Options.Add(RulesOption);
        command.Options.Add(VerboseOption);
        command.Options.Add(OutOption);
        TriageBatchCommand.AddTo(command);
        // The writers of the invocation (Console unless a test gives its own).
        command.SetAction(parse =>
        {
            var (stdout, stderr) = (parse.InvocationConfiguration.Output, parse.InvocationConfiguration.Error);
            return parse.GetValue(TriageBatchCommand.PathsArgument) is { Length: > 0 } && parse.GetValue(StackTextOption) is null
                ? TriageBatchCommand.Run(TriageBatchCommand.FromParse(parse), stdout, stderr)
                : Run(parse.GetValue(StackTextOption), parse.GetValue(FormatOption) ?? "text", parse.GetValue(RulesOption) ?? [],
                    parse.GetValue(VerboseOption), parse.GetValue(OutOption), stdout, stderr);
        });
        return command;
    }

    /// <summary>The command's work, with its writers given so tests can run it in process.</summary>
    public static int Run(string? stackText, string format, IReadOnlyList<string> rules, bool verbose, string? outFile,
        TextWriter stdout, TextWriter stderr)
    {
        if (stackText is null)
        {
            stderr.WriteLine("fcgi triage: give dumps or folders of dumps, or --stack-text <file> with debugger output");
            Usage.Write(stderr, "triage");
            return UsageError;
        }
        if (!Formats.Contains(format))
        {
            stderr.WriteLine($"fcgi triage: unknown format '{format}' (use {string.Join(", ", Formats)})");
            Usage.Write(stderr, "triage");
            return UsageError;
        }
        if (!File.Exists(stackText))
        {
            stderr.WriteLine($"fcgi triage: {stackText}: no such file");
            Usage.Write(stderr, "triage");
            return UsageError;
        }

        var layers = SiteCatalogs.Plan(null, rules);
        SiteCatalogs.Announce(layers, "fcgi triage", stderr);
        if (!TryLoadCatalog(layers, stderr, out var catalog)) return UsageError;

        CrashReport crash;
        try
        {
            crash = StackTextSource.ReadFile(stackText);
        }
        catch (StackTextException e)
        {
            stderr.WriteLine($"fcgi triage: {e.Message}");
            return UsageError;
        }

        // A text with nothing the readers know is not a crash without an exception: say so instead of a NO_EXCEPTION report.
        if (DebuggerText.NothingRecognized(crash))
        {
            stderr.WriteLine($"fcgi triage: {stackText}: no debugger output recognized (expected {DebuggerText.Expected})");
            return NotTriaged;
        }

        var result = Triager.Triage(crash, catalog);
        string report = format switch
        {
            "json" => JsonRenderer.Render(result) + "\n",
            "markdown" => MarkdownRenderer.Render(result, verbose),
            "html" => HtmlRenderer.Render(result, verbose),
            _ => TextRenderer.Render(result, verbose),
        };
        if (outFile is null)
        {
            stdout.Write(report);
            return Ok;
        }
        try
        {
            File.WriteAllText(outFile, report);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            stderr.WriteLine($"fcgi triage: {outFile}: cannot write the report ({e.Message.TrimEnd('.')})");
            return UsageError;
        }
        stderr.WriteLine($"fcgi triage: wrote {outFile}");
        return Ok;
    }

    /// <summary>The built-in catalog plus site catalogs. Errors in a site catalog stop the command with their
    /// file:line:col, so a verdict never silently comes from a half-loaded catalog; warnings are shown.</summary>
    public static bool TryLoadCatalog(IReadOnlyList<CatalogLayer> layers, TextWriter stderr, out RuleCatalog catalog)
    {
        catalog = CatalogLayers.Load(layers);
        foreach (var d in catalog.Diagnostics) stderr.WriteLine(d.ToString());
        if (catalog.Diagnostics.Any(d => d.Severity == DiagnosticSeverity.Error))
        {
            stderr.WriteLine("fcgi triage: the catalog has errors (above); fix them or leave the file out (of --rules or FCGIEXT_RULES)");
            return false;
        }
        return true;
    }
}
