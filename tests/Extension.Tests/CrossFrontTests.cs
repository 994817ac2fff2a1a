using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json.Nodes;
using FcgiExt.Cli.Commands;
using FcgiExt.DbgEng;
using FcgiExt.Extension;
using FcgiExt.Extension.Hosting;
using FcgiExt.RulesEngine.Catalog;
using NUnit.Framework;

namespace FcgiExt.Tests.Extension;

/// <summary>
/// One crash, one site catalog, three front ends — `!fcgi -json` (the export, driven by the fake engine), the engine
/// host's `serve` (its loop, over the same fake engine) and `fcgi triage --stack-text` (the same crash as debugger
/// text) — must give the same verdict, byte for byte once parsed. The site rule matches on the fine exception class
/// (NULL_POINTER_WRITE), which once reached the walk on the text path only.
/// </summary>
[NonParallelizable] // sets FCGIEXT_RULES for the extension
public unsafe class CrossFrontTests
{
    string dir = "";

    [SetUp]
    public void SetUp()
    {
        ExtensionState.Reset();
        Directory.CreateDirectory(dir = Path.Combine(Path.GetTempPath(), "fcgi-cross-" + Guid.NewGuid().ToString("N")));
    }

    [TearDown]
    public void TearDown()
    {
        Environment.SetEnvironmentVariable(CatalogLayers.EnvironmentVariable, null);
        ExtensionState.Reset();
        Directory.Delete(dir, recursive: true);
    }

    const string SiteCatalog = """
        owners:
          - id: site-null-writers
            name: Our NULL-writing extension team
            category: application
            report_url: https://tracker.example/null
        rules:
          - id: site-null-write-in-xdebug
            match: { module: '/^php_xdebug.*$/i', exception: NULL_POINTER_WRITE }
            action: owner
            owner: site-null-writers
        """;

    // FakeEngine.PhpXdebugCrash as WinDbg prints it: .exr -1, kn, lm.
    const string CrashText = """
        0:000> .exr -1
        ExceptionAddress: 00000001c0001234 (php_xdebug_3_3_1_8_3_vs16_x86_64!xdebug_execute_ex+0x34)
           ExceptionCode: c0000005 (Access violation)
          ExceptionFlags: 00000000
        NumberParameters: 2
           Parameter[0]: 0000000000000001
           Parameter[1]: 0000000000000000
        Attempt to write to address 0000000000000000
        0:000> kn
         # Child-SP          RetAddr               Call Site
        00 00000000`0011e000 00000001`80012000     php_xdebug_3_3_1_8_3_vs16_x86_64!xdebug_execute_ex+0x34
        01 00000000`0011e100 00000001`80013000     php8ts!execute_ex+0x120 [C:\php-src\Zend\zend_vm_execute.h @ 55123]
        02 00000000`0011e200 00000001`80014000     php8ts!zend_execute+0x40 [C:\php-src\Zend\zend_vm_execute.h @ 60001]
        03 00000000`0011e300 00000001`40001000     php8ts!php_execute_script+0x2f0 [C:\php-src\main\main.c @ 2539]
        04 00000000`0011e400 00007ff8`00001000     php_cgi!main+0x99 [C:\php-src\sapi\cgi\cgi_main.c @ 2580]
        05 00000000`0011e500 00000000`00000000     ntdll!RtlUserThreadStart+0x21
        0:000> lm
        start             end                 module name
        00000001`40000000 00000001`40010000   php_cgi    (private pdb symbols)  C:\php\php-cgi.pdb
        00000001`80000000 00000001`80800000   php8ts     (private pdb symbols)  C:\php\php8ts.pdb
        00000001`c0000000 00000001`c0100000   php_xdebug_3_3_1_8_3_vs16_x86_64   (export symbols)       php_xdebug-3.3.1-8.3-vs16-x86_64.dll
        00007ff8`00000000 00007ff8`00200000   ntdll      (export symbols)       ntdll.dll
        """;

    static JsonNode Verdict(string json) => JsonNode.Parse(json)!["verdict"]!.DeepClone();

    string ExtensionVerdict(string site)
    {
        Environment.SetEnvironmentVariable(CatalogLayers.EnvironmentVariable, site);
        var engine = FakeEngine.PhpXdebugCrash();
        nint client = EngineInterfaces.ComPointerFor(engine);
        nint args = Marshal.StringToHGlobalAnsi("-json -offline");
        delegate* unmanaged<nint, byte*, int> fcgi = &Exports.Fcgi;
        try { Assert.That(fcgi(client, (byte*)args), Is.EqualTo(0)); }
        finally { Marshal.FreeHGlobal(args); Marshal.Release(client); }
        return engine.AllText;
    }

    static string HostVerdict(string site)
    {
        var request = new JsonObject { ["dump"] = "fake.dmp", ["triage"] = true, ["collect"] = false, ["offline"] = true,
            ["rules"] = new JsonArray(site) };
        var stdout = new MemoryStream();
        var stderr = new StringWriter();
        int code = EngineHost.Serve(new StringReader(request.ToJsonString() + "\n"), stdout, stderr,
            () => new FakeHostEngine(FakeEngine.PhpXdebugCrash()));
        Assert.That(code, Is.EqualTo(0), stderr.ToString());
        var response = JsonNode.Parse(Encoding.UTF8.GetString(stdout.ToArray()).Trim())!;
        Assert.That(response["error"]?.GetValue<string>(), Is.Null);
        return response["verdict"]!.GetValue<string>();
    }

    string CliVerdict(string site)
    {
        var text = Path.Combine(dir, "crash.txt");
        File.WriteAllText(text, CrashText);
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        Assert.That(TriageCommand.Run(text, "json", [site], false, null, stdout, stderr), Is.EqualTo(0), stderr.ToString());
        return stdout.ToString();
    }

    [Test]
    public void Fcgi_json_carries_the_site_catalog_problems_every_time()
    {
        var site = Path.Combine(dir, "broken.yaml");
        File.WriteAllText(site, "rules:\n  - id: r1\n    match: { module: [a, b\n");
        for (int run = 0; run < 2; run++)
        {
            var json = JsonNode.Parse(ExtensionVerdict(site))!;
            var problems = json["catalog_diagnostics"]!.AsArray().Select(n => n!.GetValue<string>()).ToList();
            Assert.That(problems, Has.Count.EqualTo(1), $"run {run}");
            Assert.That(problems[0], Does.StartWith(site + ":").And.Contain("bad YAML"));
            Assert.That(json["verdict"]!["owner"]!.GetValue<string>(), Is.EqualTo("Xdebug"), "the broken file is skipped");
        }
    }

    [Test]
    public void One_crash_and_one_site_catalog_give_one_verdict_on_every_front_end()
    {
        var site = Path.Combine(dir, "site.yaml");
        File.WriteAllText(site, SiteCatalog);
        var extension = Verdict(ExtensionVerdict(site));
        var host = Verdict(HostVerdict(site));
        Environment.SetEnvironmentVariable(CatalogLayers.EnvironmentVariable, null);
        var cli = Verdict(CliVerdict(site));

        Assert.That(extension["owner"]!.GetValue<string>(), Is.EqualTo("Our NULL-writing extension team"),
            "the site rule on the fine exception class decides in the debugger too");
        Assert.That(extension["rule"]!.GetValue<string>(), Is.EqualTo("site-null-write-in-xdebug"));
        TestContext.Out.WriteLine(extension.ToJsonString());
        Assert.That(host.ToJsonString(), Is.EqualTo(extension.ToJsonString()), "engine host serve vs !fcgi");
        Assert.That(cli.ToJsonString(), Is.EqualTo(extension.ToJsonString()), "fcgi triage --stack-text vs !fcgi");
    }

    [Test]
    public void Serve_answers_a_ping_without_opening_a_dump_and_then_serves_the_next_request()
    {
        // The batch's ready check (fcgi triage starts its per-dump timer only after this answer).
        var request = new JsonObject { ["dump"] = "fake.dmp", ["triage"] = true, ["collect"] = false, ["offline"] = true };
        var stdout = new MemoryStream();
        var stderr = new StringWriter();
        FakeHostEngine? engine = null;
        int code = EngineHost.Serve(new StringReader("{\"ping\":true}\n" + request.ToJsonString() + "\n"), stdout, stderr,
            () => engine = new FakeHostEngine(FakeEngine.PhpXdebugCrash()));
        Assert.That(code, Is.EqualTo(0), stderr.ToString());
        var lines = Encoding.UTF8.GetString(stdout.ToArray()).Trim().Split('\n');
        Assert.That(lines, Has.Length.EqualTo(2));
        var ping = JsonNode.Parse(lines[0])!.AsObject();
        Assert.That(ping["error"], Is.Null, lines[0]);
        Assert.That(ping["verdict"], Is.Null, lines[0]);
        Assert.That(engine!.Opened, Is.EqualTo(new[] { "fake.dmp" }), "the ping opened nothing; the dump request did");
        Assert.That(JsonNode.Parse(lines[1])!["verdict"]?.GetValue<string>(), Does.Contain("\"owner\""), lines[1]);
    }

    /// <summary>The serve loop's engine over a fake: no dump to open, the fake's interfaces for the procedure.</summary>
    sealed class FakeHostEngine(FakeEngine fake) : IHostEngine
    {
        readonly nint _client = EngineInterfaces.ComPointerFor(fake);
        EngineInterfaces? _interfaces;
        public readonly List<string> Opened = [];
        public EngineInterfaces Interfaces => _interfaces ??= EngineInterfaces.FromClientPointer(_client);
        public void Open(string dumpPath, SessionOptions options) => Opened.Add(dumpPath);
        public void SetOutput(Action<uint, string>? output) { }
        public int Execute(string commands, bool echo = false) => 0;
        public void EndSession() { }
        public void Dispose()
        {
            _interfaces?.Dispose();
            Marshal.Release(_client);
        }
    }
}
