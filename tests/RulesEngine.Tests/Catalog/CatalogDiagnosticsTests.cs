using FcgiExt.Cli.Commands;
using FcgiExt.RulesEngine.Catalog;
using FcgiExt.RulesEngine.Catalog.Tools;
using NUnit.Framework;
using static FcgiExt.Tests.Catalog.CatalogTestKit;

namespace FcgiExt.Tests.Catalog;

/// <summary>Every kind of malformed catalog gives `file:line:col: message` at the exact position, never a stack trace.</summary>
public class CatalogDiagnosticsTests
{
    private const string OwnerA = "owners:\n  - { id: a, name: A, category: php-extension }\n";

    private static string Only(List<CatalogDiagnostic> diagnostics)
    {
        Assert.That(diagnostics, Has.Count.EqualTo(1), string.Join("\n", diagnostics));
        var text = diagnostics[0].ToString();
        Assert.That(text, Does.Not.Contain("   at "), "no stack trace");
        Assert.That(text, Does.Not.Contain("Exception"), "no exception type names");
        return text;
    }

    private static List<CatalogDiagnostic> LintOf(string yaml, string file = "bad.yaml") =>
        [.. CatalogLinter.Lint(RuleCatalog.FromSources([new CatalogSource(file, yaml, 1)]))];

    [Test]
    public void BadYamlIsReportedAtTheParserPosition()
    {
        var text = Only(Diagnose("rules:\n  - id: r1\n    match: { module: [a, b\n    action: ignore\n"));
        Assert.That(text, Is.EqualTo("bad.yaml:3:23: bad YAML: the parser could not continue after this point (an unclosed '[' or '{'?)"));
        Assert.That(Only(Diagnose("rules:\n  - id: 'r1\n")), Does.StartWith("bad.yaml:2:9: bad YAML: "));
        Assert.That(Only(Diagnose("rules:\n\t- id: r1\n")),
            Is.EqualTo("bad.yaml:2:1: bad YAML: tab in indentation (YAML indents with spaces)"));
    }

    [TestCase(10_000, "[", "")]
    [TestCase(40_000, "[", "")]
    [TestCase(5_000, "{a: ", "}")]
    [TestCase(2_000, "- ", "")]
    public void DeepNestingIsOneLineNotAStackOverflow(int levels, string open, string close)
    {
        // A 20 KB file of 10,000 '[' ended the whole debugger with StackOverflowException before the bound.
        // "- - - x" is block sequences nested on one line.
        string yaml = open == "- "
            ? "rules:\n  " + string.Concat(Enumerable.Repeat(open, levels)) + "x\n"
            : "rules: " + string.Concat(Enumerable.Repeat(open, levels)) + string.Concat(Enumerable.Repeat(close, levels)) + "\n";
        var text = Only(Diagnose(yaml));
        Assert.That(text, Does.Match(@"^bad\.yaml:\d+:\d+: nesting deeper than 64$"));
    }

    [TestCase("3221225477", 0xC0000005u)]
    [TestCase("-1073741819", 0xC0000005u)]
    [TestCase("0xc0000374", 0xC0000374u)]
    [TestCase("c0000409", 0xC0000409u)]
    public void ExceptionCodesAreReadInHexAndInDecimal(string text, uint code)
    {
        var condition = CatalogParser.ParseException(text, out var error);
        Assert.That(error, Is.Null);
        Assert.That(condition!.Code, Is.EqualTo(code));
    }

    [TestCase("99999999999")]
    [TestCase("1_FAULT")]
    public void ExceptionValuesThatCanNeverMatchAreErrors(string text)
    {
        Assert.That(CatalogParser.ParseException(text, out var error), Is.Null);
        Assert.That(error, Does.StartWith("bad exception"));
    }

    [Test]
    public void ManyCopiesOfOneRuleIdAreOneLineWithACount()
    {
        var yaml = OwnerA + "rules:\n" + string.Concat(Enumerable.Range(0, 1000).Select(i =>
            $"  - {{ id: same, match: {{ module: 'm{i}.dll' }}, action: owner, owner: a }}\n"));
        var text = Only(Diagnose(yaml));
        Assert.That(text, Is.EqualTo("bad.yaml:5:5: duplicate rule id 'same' (first defined at bad.yaml:4:5; 999 copies, the last at " +
            "bad.yaml:1003:5)"));
    }

    [Test]
    public void ShadowingIsFoundAmongManyExactModuleRules()
    {
        // The lint indexes exact module names; a glob still shadows an exact rule below it, and equal names still clash.
        var rules = string.Concat(Enumerable.Range(0, 2000).Select(i =>
            $"  - {{ id: r{i}, match: {{ module: 'm{i}.dll' }}, action: owner, owner: a }}\n"));
        var yaml = OwnerA + "rules:\n  - { id: glob, match: { module: 'm1*.dll' }, action: owner, owner: a }\n" + rules +
                   "  - { id: again, match: { module: 'M5.DLL' }, action: owner, owner: a }\n" +
                   "  - { id: glob2, match: { module: 'm1*.dll' }, action: owner, owner: a }\n";
        var lint = LintOf(yaml).Where(d => d.Message.Contains("shadowed")).Select(d => d.ToString()).ToList();
        Assert.That(lint, Has.Count.EqualTo(2), string.Join("\n", lint));
        Assert.That(lint, Has.One.Contains("rule 'again' is shadowed by rule 'r5'"));
        Assert.That(lint, Has.One.Contains("rule 'glob2' is shadowed by rule 'glob'"));
    }

    [Test]
    public void BytesThatAreNotUtf8AreAWarningAtTheirPosition()
    {
        var dir = Path.Combine(Path.GetTempPath(), "fcgiext-latin1-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            var file = Path.Combine(dir, "site.yaml");
            // "Société" in Latin-1: 0xE9 is not valid UTF-8.
            var bytes = System.Text.Encoding.ASCII.GetBytes(OwnerA.Replace("name: A", "name: Soci\u0001t\u0001"));
            for (int i = 0; i < bytes.Length; i++) if (bytes[i] == 1) bytes[i] = 0xE9;
            File.WriteAllBytes(file, bytes);
            var warnings = CatalogLinter.Lint(RuleCatalog.Load([file])).Where(d => d.Message.Contains("not UTF-8")).ToList();
            Assert.That(warnings.Select(d => d.ToString()), Is.EqualTo(new[]
            {
                $"{file}:2:24: warning: 2 byte sequence(s) that are not UTF-8 (shown as \uFFFD): save the file as UTF-8",
            }));
            Assert.That(warnings[0].Severity, Is.EqualTo(DiagnosticSeverity.Warning));
        }
        finally { Directory.Delete(dir, true); }
    }

    [Test]
    public void NestingUpToTheBoundIsRead()
    {
        string yaml = "x: " + new string('[', 60) + new string(']', 60) + "\n";
        Assert.That(Diagnose(yaml).Where(d => d.ToString().Contains("nesting")), Is.Empty);
    }

    [Test]
    public void UnknownKeysAreReportedAtTheKey()
    {
        Assert.That(Only(Diagnose(OwnerA + "rules:\n  - id: r1\n    match: { module: m.dll }\n    action: owner\n    owner: a\n    " +
            "priority: 3\n")),
            Is.EqualTo("bad.yaml:8:5: unknown key 'priority' in a rule (expected: id, description, match, action, owner, tags, examples)"));
        Assert.That(Only(Diagnose(OwnerA + "rules:\n  - id: r1\n    match: { module: m.dll, symbol: f }\n    action: owner\n    " +
            "owner: a\n")),
            Is.EqualTo("bad.yaml:5:29: unknown key 'symbol' in 'match' (expected: module, function, exception, process)"));
        Assert.That(Only(Diagnose(OwnerA + "rulez: []\n")),
            Is.EqualTo("bad.yaml:3:1: unknown key 'rulez' in the catalog (expected: owners, rules)"));
        Assert.That(Only(Diagnose(OwnerA + "rules:\n  - id: r1\n    match: { module: m.dll }\n    action: owner\n    owner: a\n    " +
            "examples:\n      - { frames: [ 'm!f' ], expect: a, note: x }\n")),
            Is.EqualTo("bad.yaml:9:41: unknown key 'note' in an example (expected: frames, exception, process, expect)"));
    }

    [TestCase(@"/(a)\1/", "backreference")]
    [TestCase("/foo(?=bar)/", "lookahead")]
    [TestCase("/(?<!x)y/", "lookbehind")]
    [TestCase("/(?>a+)b/", "atomic group")]
    public void A_regex_that_cannot_run_in_linear_time_is_an_error_at_its_value(string pattern, string construct)
    {
        var text = Only(Diagnose(OwnerA + $"rules:\n  - id: r1\n    match:\n      module: m.dll\n      function: '{pattern}'\n    " +
            "action: owner\n    owner: a\n"));
        Assert.That(text, Does.StartWith($"bad.yaml:7:17: bad regex '{pattern}': it needs a construct that cannot run in linear " +
            "time"), construct);
    }

    [Test]
    public void Runaway_patterns_stay_linear_on_long_frame_names()
    {
        var name = new string('a', 10_000) + "!";
        var watch = System.Diagnostics.Stopwatch.StartNew();
        foreach (var p in new[] { "/(a+)+$/", "/(a|aa)+$/", "/^(a*)*b$/", "/(.*a){20}$/" })
        {
            var pattern = NamePattern.Parse(p, out var error);
            Assert.That(error, Is.Null, p);
            Assert.That(pattern!.Matches(name), Is.False, p);
        }
        foreach (var g in new[] { "*a*a*a*a*a*a*a*a*b", "a*a*a*a*a*?b" })
            Assert.That(NamePattern.Parse(g, out _)!.Matches(name), Is.False, g);
        // A backtracking engine needs longer than the universe for the first of these; a bound with room for a slow
        // machine, not a timing test: the point is that it ends.
        Assert.That(watch.Elapsed, Is.LessThan(TimeSpan.FromSeconds(20)));
    }

    [Test]
    public void BadRegexIsReportedAtTheValue()
    {
        var text = Only(Diagnose(OwnerA + "rules:\n  - id: r1\n    match:\n      module: m.dll\n      function: '/zend_(mm/'\n    " +
            "action: owner\n    owner: a\n"));
        Assert.That(text, Does.StartWith("bad.yaml:7:17: bad regex '/zend_(mm/': "));
        Assert.That(Only(Diagnose(OwnerA + "rules:\n  - { id: r1, match: { module: m.dll, function: '/x/g' }, action: owner, " +
            "owner: a }\n")),
            Is.EqualTo("bad.yaml:4:49: bad regex '/x/g': unknown flag(s) 'g' (only 'i' is supported)"));
    }

    [Test]
    public void BadGlobsAreReportedAtTheValue()
    {
        Assert.That(Only(Diagnose(OwnerA + "rules:\n  - { id: r1, match: { module: ' php_*.dll' }, action: owner, owner: a }\n")),
            Is.EqualTo("bad.yaml:4:32: bad glob ' php_*.dll': leading or trailing white space"));
        Assert.That(Only(Diagnose(OwnerA + "rules:\n  - { id: r1, match: { module: 'ntdll!Rtl*' }, action: ignore }\n")),
            Does.StartWith("bad.yaml:4:32: bad module pattern 'ntdll!Rtl*': '!' separates module and function"));
        Assert.That(Only(Diagnose(OwnerA + "rules:\n  - { id: r1, match: { module: 'C:\\php\\php8ts.dll' }, action: ignore }\n")),
            Does.StartWith("bad.yaml:4:32: bad module pattern"));
    }

    [Test]
    public void DuplicateIdsInOneLayerAreReportedAtTheSecond()
    {
        var rules = OwnerA + "rules:\n  - { id: r1, match: { module: m.dll }, action: owner, owner: a }\n  - { id: r1, match: { module: " +
            "n.dll }, action: owner, owner: a }\n";
        Assert.That(Only(Diagnose(rules)), Is.EqualTo("bad.yaml:5:5: duplicate rule id 'r1' (first defined at bad.yaml:4:5)"));
        var owners = "owners:\n  - { id: a, name: A, category: php-extension }\n  - { id: a, name: A2, category: php-core }\n" +
                     "rules:\n  - { id: r1, match: { module: m.dll }, action: owner, owner: a }\n";
        Assert.That(Only(Diagnose(owners)), Is.EqualTo("bad.yaml:3:5: duplicate owner id 'a' (first defined at bad.yaml:2:5)"));
    }

    [Test]
    public void UnknownOwnerReferencesAreReportedAtTheOwnerValue()
    {
        Assert.That(Only(Diagnose(OwnerA + "rules:\n  - id: r1\n    match: { module: m.dll }\n    action: owner\n    owner: xdebg\n")),
            Is.EqualTo("bad.yaml:7:12: unknown owner 'xdebg' in rule 'r1'"));
        Assert.That(Only(Diagnose(OwnerA + "rules:\n  - id: r1\n    match: { module: m.dll }\n    action: owner\n    owner: a\n    " +
            "examples:\n      - { frames: [ 'm!f' ], expect: b }\n")),
            Is.EqualTo("bad.yaml:9:9: unknown owner 'b' expected by an example of rule 'r1' (use an owner id or 'unknown')"));
    }

    [Test]
    public void BadCategoryIsReportedAtTheValue()
    {
        var text = Only(Diagnose("owners:\n  - id: a\n    name: A\n    category: php-extention\n"));
        Assert.That(text, Does.StartWith("bad.yaml:4:15: bad category 'php-extention' (expected one of: "));
        Assert.That(text, Does.Contain("php-extension"));
    }

    [Test]
    public void BadActionMissingOwnerAndStrayOwnerAreReported()
    {
        Assert.That(Only(Diagnose(OwnerA + "rules:\n  - { id: r1, match: { module: m.dll }, action: maybe_owner, owner: a }\n")),
            Is.EqualTo("bad.yaml:4:49: bad action 'maybe_owner' (expected one of: owner, maybe, last, ignore, sentinel, prefix, default)"));
        Assert.That(Only(Diagnose(OwnerA + "rules:\n  - { id: r1, match: { module: m.dll }, action: maybe }\n")),
            Is.EqualTo("bad.yaml:4:49: action 'maybe' needs an 'owner:'"));
        Assert.That(Only(Diagnose(OwnerA + "rules:\n  - { id: r1, match: { module: m.dll }, action: ignore, owner: a }\n")),
            Is.EqualTo("bad.yaml:4:64: action 'ignore' takes no owner; remove 'owner:'"));
    }

    [Test]
    public void DuplicateKeysAndBadExceptionsAndMatchAllAreReported()
    {
        Assert.That(Only(Diagnose(OwnerA + "rules:\n  - id: r1\n    id: r2\n    match: { module: m.dll }\n    action: ignore\n")),
            Is.EqualTo("bad.yaml:5:5: duplicate key 'id'"));
        Assert.That(Only(Diagnose(OwnerA + "rules:\n  - { id: r1, match: { module: m.dll, exception: 0xc00005 }, action: ignore }\n")),
            Is.EqualTo("bad.yaml:4:50: bad exception code '0xc00005': write 8 hex digits, e.g. 0xc0000374"));
        Assert.That(Only(Diagnose(OwnerA + "rules:\n  - { id: r1, match: { module: m.dll, exception: heap corruption }, action: " +
            "ignore }\n")),
            Does.StartWith("bad.yaml:4:50: bad exception 'heap corruption': give a code"));
        Assert.That(Only(Diagnose(OwnerA + "rules:\n  - { id: r1, match: {}, action: owner, owner: a }\n")),
            Does.StartWith("bad.yaml:4:22: the rule matches every frame"));
    }

    [Test]
    public void ShadowedRulesAreReportedAtTheShadowedRule()
    {
        var yaml = OwnerA + "rules:\n" +
                   "  - { id: wide, match: { module: 'php_*.dll' }, action: owner, owner: a }\n" +
                   "  - { id: same, match: { module: 'php_*.dll' }, action: ignore }\n";
        var text = Only(LintOf(yaml));
        Assert.That(text, Is.EqualTo("bad.yaml:5:5: rule 'same' is shadowed by rule 'wide' (bad.yaml:4:5): it matches every frame 'same' " +
            "matches and wins because equally specific, and it is declared first"));
        // a narrower rule is not shadowed: it wins on precedence
        var fine = OwnerA + "rules:\n  - { id: wide, match: { module: 'php_*.dll' }, action: owner, owner: a }\n  - { id: narrow, match: " +
            "{ module: 'php_x*.dll' }, action: ignore }\n";
        Assert.That(LintOf(fine), Is.Empty);
        // the same match in another file of the same layer (a folder) is shadowed too
        var twoFiles = RuleCatalog.FromSources([
            new CatalogSource("site/a.yaml", OwnerA +
                "rules:\n  - { id: x1, match: { module: m.dll, function: 'f*' }, action: owner, owner: a }\n", 1),
            new CatalogSource("site/b.yaml", "rules:\n  - { id: x2, match: { module: M.DLL, function: 'F*' }, action: ignore }\n", 1)]);
        Assert.That(Only([.. CatalogLinter.Lint(twoFiles)]),
            Does.StartWith("site/b.yaml:2:5: rule 'x2' is shadowed by rule 'x1' (site/a.yaml:4:5)"));
    }

    [Test]
    public void ShadowingABuiltInRuleFromASiteCatalogIsAWarning()
    {
        var catalog = RuleCatalog.FromSources([
            new CatalogSource("base.yaml", OwnerA + "rules:\n  - { id: base, match: { module: m.dll }, action: owner, owner: a }\n", 0),
            new CatalogSource("site.yaml", "rules:\n  - { id: site, match: { module: m.dll }, action: ignore }\n", 1)]);
        var d = CatalogLinter.Lint(catalog).Single();
        Assert.That(d.Severity, Is.EqualTo(DiagnosticSeverity.Warning));
        Assert.That(d.ToString(), Does.StartWith("base.yaml:4:5: warning: rule 'base' is shadowed by rule 'site' (site.yaml:2:5)"));
        Assert.That(CatalogLinter.HasErrors([d]), Is.False);
    }

    [Test]
    public void UnreachableRulesAreReported()
    {
        Assert.That(Only(LintOf(OwnerA + "rules:\n  - { id: r1, match: { module: m.dll, process: php8ts.dll }, action: owner, " +
            "owner: a }\n")),
            Does.StartWith("bad.yaml:4:5: rule 'r1' is unreachable: process 'php8ts.dll' is not an .exe"));
        Assert.That(Only(LintOf(OwnerA + "rules:\n  - { id: r1, match: { module: m.dll, exception: 0x00000000 }, action: owner, " +
            "owner: a }\n")),
            Does.StartWith("bad.yaml:4:5: rule 'r1' is unreachable: exception code 0x00000000 is never raised"));
    }

    [Test]
    public void UnusedOwnersAreAWarning()
    {
        var d = LintOf("owners:\n  - { id: a, name: A, category: php-extension }\n").Single();
        Assert.That(d.ToString(), Is.EqualTo("bad.yaml:2:5: warning: owner 'a' is not used by any rule"));
    }

    [Test]
    public void ABrokenUserFileReportsItsErrorsAndTheRestStillLoads()
    {
        var dir = Directory.CreateTempSubdirectory("fcgi-catalog-");
        try
        {
            File.WriteAllText(Path.Combine(dir.FullName, "a-good.yaml"),
                OwnerA + "rules:\n  - { id: good, match: { module: good.dll }, action: owner, owner: a }\n");
            File.WriteAllText(Path.Combine(dir.FullName, "b-broken.yaml"), "rules:\n  - id: [\n");
            File.WriteAllText(Path.Combine(dir.FullName, "c-halfbad.yml"),
                "rules:\n  - { id: ok2, match: { module: ok2.dll }, action: owner, owner: a }\n  - { id: bad, match: { module: x.dll }, " +
                    "action: owner, owner: nobody }\n");
            File.WriteAllText(Path.Combine(dir.FullName, "notes.txt"), "not a catalog");
            var catalog = RuleCatalog.Load([dir.FullName]);
            Assert.That(catalog.Diagnostics.Select(d => Path.GetFileName(d.File)),
                Is.EquivalentTo(new[] { "b-broken.yaml", "c-halfbad.yml" }));
            Assert.That(catalog.Rules.Select(r => r.Id), Does.Contain("good").And.Contain("ok2").And.Not.Contain("bad"));
            Assert.That(catalog.Rules.Select(r => r.Id), Does.Contain("xdebug-any"), "built-in rules load too");
            Assert.That(RuleCatalog.Load(["/nonexistent/catalog.yaml"]).Diagnostics.Single().ToString(),
                Is.EqualTo("/nonexistent/catalog.yaml:1:1: no such file or folder"));
        }
        finally { dir.Delete(true); }
    }

    [Test]
    public void CatalogExceptionTextIsTheDiagnosticsWithoutAStackTrace()
    {
        var ex = new CatalogException([new CatalogDiagnostic("x.yaml", 3, 7, "unknown key 'colour'")]);
        try { throw ex; }
        catch (CatalogException caught)
        {
            Assert.That(caught.ToString(), Is.EqualTo("x.yaml:3:7: unknown key 'colour'"));
            Assert.That(caught.Message, Is.EqualTo("x.yaml:3:7: unknown key 'colour'"));
        }
    }

    [Test]
    public void LintCommandPrintsPositionsAndExitsOneOnErrors()
    {
        var file = Path.Combine(Path.GetTempPath(), $"fcgi-lint-{Guid.NewGuid():N}.yaml");
        File.WriteAllText(file, OwnerA + "rules:\n  - { id: r1, match: { module: m.dll, function: '/(/' }, action: owner, owner: a }\n  " +
            "- { id: r2, match: { module: n.dll }, action: owner, owner: zz }\n");
        try
        {
            var output = new StringWriter();
            int rc = RulesCommand.RunLint([file], includeBuiltIn: true, output);
            var text = output.ToString();
            Assert.That(rc, Is.EqualTo(1));
            Assert.That(text, Does.Contain($"{file}:4:49: bad regex '/(/'"));
            Assert.That(text, Does.Contain($"{file}:5:63: unknown owner 'zz' in rule 'r2'"));
            Assert.That(text, Does.Not.Contain("   at "));
            var clean = new StringWriter();
            Assert.That(RulesCommand.RunLint([], includeBuiltIn: true, clean), Is.EqualTo(0), clean.ToString());
            Assert.That(clean.ToString(), Does.Contain("0 error(s)"));
        }
        finally { File.Delete(file); }
    }
}
