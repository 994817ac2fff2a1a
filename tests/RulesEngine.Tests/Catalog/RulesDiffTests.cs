using FcgiExt.Cli.Commands;
using NUnit.Framework;

namespace FcgiExt.Tests.Catalog;

public class RulesDiffTests
{
    string _dir = "";

    [SetUp] public void SetUp() { _dir = Path.Combine(Path.GetTempPath(), "fcgi-diff-" + Guid.NewGuid().ToString("n")); Directory.CreateDirectory(_dir); }
    [TearDown] public void TearDown() => Directory.Delete(_dir, true);

    const string XdebugStack = """
        0:000> kn
         # Child-SP          RetAddr               Call Site
        00 00000000`0011fc48 00007ffb`1a2b3c4d     php_xdebug!xdebug_execute_ex+0x34
        01 00000000`0011fc90 00007ffb`1a2b0000     php8ts!execute_ex+0x120
        02 00000000`0011fd00 00007ff6`00001000     php8ts!php_execute_script+0x2f0
        """;

    const string CurlStack = """
        0:000> kn
         # Child-SP          RetAddr               Call Site
        00 00000000`0011fc48 00007ffb`1a2b3c4d     php_curl!curl_exec+0x34
        01 00000000`0011fc90 00007ffb`1a2b0000     php8ts!execute_ex+0x120
        """;

    const string SiteV1 = """
        owners:
          - id: site-team
            name: Site team
            category: application
        rules:
          - id: site-nothing
            match: { module: "no_such_module" }
            action: owner
            owner: site-team
        """;

    const string SiteV2 = """
        owners:
          - id: site-team
            name: Site team
            category: application
        rules:
          - id: site-xdebug
            match: { module: "php_xdebug*" }
            action: owner
            owner: site-team
        """;

    [Test]
    public void Prints_original_new_and_same_per_case_and_exits_1_when_a_verdict_moved()
    {
        var corpus = Directory.CreateDirectory(Path.Combine(_dir, "corpus")).FullName;
        File.WriteAllText(Path.Combine(corpus, "xdebug.txt"), XdebugStack);
        File.WriteAllText(Path.Combine(corpus, "curl.txt"), CurlStack);
        File.WriteAllText(Path.Combine(_dir, "v1.yaml"), SiteV1);
        File.WriteAllText(Path.Combine(_dir, "v2.yaml"), SiteV2);
        var output = new StringWriter();
        int code = RulesDiffCommand.Run(Path.Combine(_dir, "v1.yaml"), Path.Combine(_dir, "v2.yaml"), corpus, overBuiltIn: true, changedOnly: false, output, new StringWriter());
        var text = output.ToString();
        Assert.That(code, Is.EqualTo(1));
        Assert.That(text, Does.Contain("Same      curl.txt: "));
        Assert.That(text, Does.Contain("Changed   xdebug.txt"));
        Assert.That(text, Does.Match(@"Original  Xdebug \[php-extension\]"));
        Assert.That(text, Does.Match(@"New       Site team \[application\] .* \(rule site-xdebug\)"));
        Assert.That(text, Does.Contain("2 case(s): 1 same, 1 changed, 0 unreadable"));
    }

    [Test]
    public void Identical_catalogs_give_exit_0()
    {
        var corpus = Directory.CreateDirectory(Path.Combine(_dir, "corpus")).FullName;
        File.WriteAllText(Path.Combine(corpus, "xdebug.txt"), XdebugStack);
        File.WriteAllText(Path.Combine(_dir, "v1.yaml"), SiteV1);
        int code = RulesDiffCommand.Run(Path.Combine(_dir, "v1.yaml"), Path.Combine(_dir, "v1.yaml"), corpus, true, false, new StringWriter(), new StringWriter());
        Assert.That(code, Is.EqualTo(0));
    }

    [Test]
    public void A_broken_catalog_is_a_usage_error_with_its_position()
    {
        var corpus = Directory.CreateDirectory(Path.Combine(_dir, "corpus")).FullName;
        File.WriteAllText(Path.Combine(corpus, "xdebug.txt"), XdebugStack);
        File.WriteAllText(Path.Combine(_dir, "v1.yaml"), SiteV1);
        File.WriteAllText(Path.Combine(_dir, "bad.yaml"), "rules:\n  - id: [oops\n");
        var errors = new StringWriter();
        int code = RulesDiffCommand.Run(Path.Combine(_dir, "v1.yaml"), Path.Combine(_dir, "bad.yaml"), corpus, true, false, new StringWriter(), errors);
        Assert.That(code, Is.EqualTo(2));
        Assert.That(errors.ToString(), Does.Match(@"bad\.yaml:\d+:\d+: "));
    }
}
