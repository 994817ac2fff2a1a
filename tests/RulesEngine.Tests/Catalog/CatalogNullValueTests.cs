using FcgiExt.RulesEngine.Catalog;
using FcgiExt.RulesEngine.Catalog.Tools;
using FcgiExt.RulesEngine.Rendering;
using FcgiExt.RulesEngine.Triage;
using FcgiExt.Tests.Triage;
using NUnit.Framework;

namespace FcgiExt.Tests.Catalog;

/// <summary>Issue 15: the catalog fuzz run once threw a NullReferenceException. Null scalars (`~`, nothing after the
/// colon), empty mappings and sequences and missing keys in every place the parser reads must give diagnostics (or
/// load), never an exception, and a catalog that loads must triage, render and run its examples.</summary>
public class CatalogNullValueTests
{
    static readonly string[] Texts =
    [
        "owners: ~\nrules: ~\n",
        "owners:\nrules:\n",
        "owners: [ ~ ]\nrules: [ ~ ]\n",
        "owners: [ {} ]\nrules: [ {} ]\n",
        "owners:\n  - id: ~\n    name: ~\n    category: ~\n",
        "owners:\n  - id: a\n    name: A\n    category: php-extension\n    symbols: ~\n    advice: ~\n    report_url: ~\n" +
            "rules:\n  - id: r\n    match: ~\n    action: owner\n    owner: a\n",
        "rules:\n  - id: r\n    match: { module: ~, function: ~ }\n    action: ~\n    owner: ~\n",
        "rules:\n  - id: ~\n    match: {}\n    action: ignore\n    tags: [ ~ ]\n",
        "rules:\n  - id: r\n    match: { module: x.dll }\n    action: ignore\n    tags: ~\n    examples: ~\n",
        "rules:\n  - id: r\n    match: { module: x.dll }\n    action: ignore\n    examples: [ ~ ]\n",
        "rules:\n  - id: r\n    match: { module: x.dll }\n    action: ignore\n    examples:\n      - frames: ~\n        expect: ~\n",
        "rules:\n  - id: r\n    match: { module: x.dll }\n    action: ignore\n    examples:\n      - frames: [ ~ ]\n        expect: unknown\n",
        "rules:\n  - id: r\n    match: { module: x.dll, exception: ~, process: ~ }\n    action: ignore\n",
        "rules:\n  - id: r\n    match: { module: x.dll, exception: [ ~ ], process: [ ~ ] }\n    action: ignore\n",
        "rules:\n  - ~\n  - id: r\n    match: { module: [ ~ ] }\n    action: ignore\n",
        "~\n",
        "[]\n",
        "owners: {}\nrules: {}\n",
        "rules:\n  - id: r\n    match: { module: x.dll }\n    action: ignore\n    description: ~\n",
    ];

    [TestCaseSource(nameof(Texts))]
    public void A_null_or_empty_value_anywhere_gives_diagnostics_never_an_exception(string text)
    {
        RuleCatalog? catalog = null;
        Assert.DoesNotThrow(() => catalog = RuleCatalog.FromSources([new CatalogSource("nulls.yaml", text, 1)]), text);
        foreach (var d in catalog!.Diagnostics)
            Assert.That(d.ToString(), Does.StartWith("nulls.yaml").And.Not.Contain("\n"), text);
        Assert.DoesNotThrow(() => ExampleRunner.Run(catalog), text);
        Assert.DoesNotThrow(() => CatalogLinter.Lint(catalog), text);
        var r = Triager.Triage(Crashes.XdebugNullWrite(), catalog);
        Assert.That(r.Explanation, Has.None.StartsWith("internal error in triage"), text);
        Assert.DoesNotThrow(() => TextRenderer.Render(r, verbose: true, dml: true), text);
    }
}
