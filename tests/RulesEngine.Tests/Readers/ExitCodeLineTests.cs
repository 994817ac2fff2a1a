using FcgiExt.RulesEngine.Catalog;
using FcgiExt.RulesEngine.Readers;
using FcgiExt.RulesEngine.Triage;
using NUnit.Framework;

namespace FcgiExt.Tests.Readers;

/// <summary>Exit codes inside web server log lines and error pages: the reader records them, triage decodes them.</summary>
public class ExitCodeLineTests
{
    static readonly Lazy<RuleCatalog> Catalog = new(RuleCatalog.LoadBuiltIn);

    [TestCase("[Tue Mar 05 10:12:01.123456 2024] [mpm_winnt:notice] [pid 2188:tid 456] AH00428: Parent: child process 3280 " +
              "exited with status 3221225477 -- Restarting.", 0xC0000005u)]
    [TestCase("[notice] Parent: child process exited with exit status 3221225477 -- Restarting.", 0xC0000005u)]
    [TestCase("Error Number: -1073741819 (0xc0000005).", 0xC0000005u)]
    [TestCase("Error Number: -1073741819", 0xC0000005u)]
    [TestCase("Error Code 0xc0000374", 0xC0000374u)]
    [TestCase("php-cgi.exe exited with code 255", 255u)]
    [TestCase("Error Code: 0xffffffffc00000fd", 0xC00000FDu)]
    [TestCase("The process exit code was '0xffffffff'.", 0xFFFFFFFFu)]
    public void The_code_in_a_log_line_is_recorded(string line, uint code)
    {
        var r = DebuggerText.Read(line);
        Assert.That(r.Process.ExitCode, Is.EqualTo(code));
        Assert.That(r.Exception, Is.Null, "an exit code is not an exception record");
        Assert.That(DebuggerText.NothingRecognized(r), Is.False);
    }

    [TestCase("The exit status was fine.")]
    [TestCase("Error Code explained in the manual")]
    public void Prose_without_a_number_is_not_a_code(string line) => Assert.That(DebuggerText.Read(line).Process.ExitCode, Is.Null);

    [Test]
    public void Real_failed_request_trace_line()
    {
        var r = Fixture.Read("apcu-bc-17-iis-frt-errorcode.txt");
        Assert.That(r.Process.ExitCode, Is.EqualTo(0xC0000005u));
        var t = Triager.Triage(r, Catalog.Value);
        Assert.That(t.Exception?.Class, Is.EqualTo("ACCESS_VIOLATION"));
        Assert.That(t.Verdict.Bucket, Does.StartWith("ACCESS_VIOLATION_c0000005"));
    }

    [Test]
    public void Real_failed_request_trace_table_view()
    {
        var r = Fixture.Read("glpi-626-iis-frt-table-errorcode.txt");
        Assert.That((r.Process.ExitCode, r.Process.Name), Is.EqualTo(((uint?)0xC0000005u, "php-cgi.exe")));
    }

    [Test]
    public void Real_debugdiag_crash_rule_log_gives_the_code_of_its_exception_details()
    {
        var r = Fixture.Read("mongo-php-driver-666-debugdiag-crashrule-stack.txt");
        Assert.That(r.Exception?.Code, Is.EqualTo(0xC0000005u));
        Assert.That(r.Frames[0].Module, Is.EqualTo("php_mongodb"));
    }

    [Test]
    public void Real_w3svc_1009_event_gives_code_and_worker()
    {
        // KB 892988: the whole event on one Description line, "The process ID was" before "The process exit code was".
        var r = Fixture.Read("mskb-892988-w3svc1009-isapi-auth-type.txt");
        Assert.That((r.Process.ExitCode, r.Process.Name, r.Source.Kind), Is.EqualTo(((uint?)0xC0000005u, "w3wp.exe", "server-log")));
        Assert.That(r.Exception, Is.Null, "an exit code is not an exception record");
        Assert.That(Triager.Triage(r, Catalog.Value).Verdict.Bucket, Does.StartWith("ACCESS_VIOLATION_c0000005"));
    }

    [Test]
    public void Real_w3svc_1009_event_with_the_code_on_its_own_line()
    {
        // The event as the Event Viewer copies it: header fields, then the description over two lines.
        var r = Fixture.Read("webtopics-kb982666-w3svc1009-iis6-binary-mismatch.txt");
        Assert.That(r.Process.ExitCode, Is.EqualTo(0xFFFFFFFFu));
        Assert.That(r.Source.Kind, Is.EqualTo("server-log"));
    }

    const string FastCgiPage = """
        HTTP Error 500.0 - Internal Server Error
        C:\PHP\php-cgi.exe - The FastCGI process exited unexpectedly
        Module FastCgiModule
        Notification ExecuteRequestHandler
        Handler PHP_via_FastCGI
        Error Code 0xc0000005
        """;

    [Test]
    public void The_fastcgi_error_page_gives_code_and_process()
    {
        var r = DebuggerText.Read(FastCgiPage);
        Assert.That(r.Process.ExitCode, Is.EqualTo(0xC0000005u));
        Assert.That(r.Process.Name, Is.EqualTo("php-cgi.exe"));
    }

    [TestCase("Error Number: -1073741819 (0xc0000005).", "-1073741819")]
    [TestCase("[mpm_winnt:notice] AH00428: Parent: child process 3280 exited with status 3221225477 -- Restarting.", "3221225477")]
    [TestCase("Error Code 0xc0000374", "0xc0000374")]
    [TestCase("php-cgi.exe exited with code 255", "255")]
    [TestCase("php-cgi.exe exited with code 0", "0")]
    public void Triage_decodes_the_code_as_fcgi_explain_does(string line, string explainInput)
    {
        var crash = DebuggerText.Read(line);
        var explained = ExitCodeExplainer.Explain(explainInput, Triager.ProcessName(crash));
        var r = Triager.Triage(crash, Catalog.Value);
        Assert.That(r.Exception?.Class, Is.EqualTo(explained.Class));
        Assert.That(r.Exception?.Name, Is.EqualTo(explained.Name));
        Assert.That(r.NextSteps.Select(s => s.Command).Where(c => c is not null),
            Is.SupersetOf(explained.NextSteps.Select(s => s.Command).Where(c => c is not null)));
    }
}
