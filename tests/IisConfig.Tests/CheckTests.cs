using NUnit.Framework;

namespace FcgiExt.IisConfig.Tests;

/// <summary>Each finding on the fixture written for it, and none on the install PHP Manager for IIS leaves behind.</summary>
public class CheckTests
{
    const string PhpCgi = @"C:\Program Files\PHP\v8.2\php-cgi.exe";
    const string Appcmd = @"%windir%\system32\inetsrv\appcmd.exe set config -section:system.webServer/fastCgi";

    static Finding Only(IisCheckReport report, string id)
    {
        var found = report.Findings.Where(f => f.Id == id).ToList();
        Assert.That(found, Has.Count.EqualTo(1), $"one {id} in: {string.Join(", ", report.Findings.Select(f => f.Id))}");
        return found[0];
    }

    /// <summary>The fixture's findings of warning or error severity: its own, and nothing the default install lacks.</summary>
    static List<string> Actionable(IisCheckReport report) =>
        report.Findings.Where(f => f.Severity >= Severity.Warning).Select(f => f.Id).ToList();

    [Test]
    public void The_php_manager_install_needs_nothing()
    {
        var report = Fixture.Check("default");
        Assert.That(Actionable(report), Is.Empty);
        Assert.That(report.NeedsAction, Is.False);
        Assert.That(report.Findings.Select(f => f.Id), Is.EqualTo(new[] { "rapid-fail-protection" }), "one remark: what RFP would do");
    }

    [Test]
    public void Without_a_readable_php_ini_the_ini_checks_say_they_were_skipped()
    {
        var config = IisConfiguration.Load([Fixture.Config("stderr-with-fastcgi-logging")]);
        var report = IisCheckReport.Run(config, null, new Fixture.NothingOnDisk());
        var skipped = Only(report, "php-ini-not-found");
        Assert.That(skipped.Message, Does.Contain(@"php-cgi reads C:\Program Files\PHP\v8.2\php.ini (PHPRC)"));
        Assert.That(report.Findings.Select(f => f.Id), Does.Not.Contain("stderr-with-fastcgi-logging"), "no guessing without the file");
        Assert.That(report.Pools.Single().Ini!.ServerPath, Is.EqualTo(@"C:\Program Files\PHP\v8.2\php.ini"));
    }

    [Test]
    public void Recycle_race_when_php_max_requests_is_left_at_500()
    {
        var report = Fixture.Check("recycle-race");
        var f = Only(report, "recycle-race");
        Assert.That(f.Severity, Is.EqualTo(Severity.Error));
        Assert.That(f.Message, Does.Contain("IIS sends up to 10000 requests").And.Contain("ends itself after 500")
            .And.Contain("PHP_FCGI_MAX_REQUESTS is not set, php-cgi's default is 500"));
        Assert.That(f.Fix, Is.EqualTo(new[]
        {
            $"{Appcmd} \"/[fullPath='{PhpCgi}'].instanceMaxRequests:500\"",
            $"{Appcmd} /+\"[fullPath='{PhpCgi}'].environmentVariables.[name='PHP_FCGI_MAX_REQUESTS',value='10000']\"",
        }));
        Assert.That(f.Location.Line, Is.EqualTo(48), "at the instanceMaxRequests attribute");
        Assert.That(Actionable(report), Is.EqualTo(new[] { "recycle-race", "rapid-fail-protection" }), "the race makes RFP a warning");
    }

    static IisCheckReport Inline(string application, string? ini = null)
    {
        var config = IisConfiguration.Parse([("a.config",
            $"<configuration><system.webServer><fastCgi>{application}</fastCgi></system.webServer></configuration>")]);
        string? iniFile = null;
        if (ini is not null) File.WriteAllText(iniFile = Path.Combine(Path.GetTempPath(), $"fcgi-iis-{Guid.NewGuid():N}.ini"), ini);
        try { return IisCheckReport.Run(config, iniFile, new Fixture.NothingOnDisk()); }
        finally { if (iniFile is not null) File.Delete(iniFile); }
    }

    [TestCase("3", "5", true)]
    [TestCase("5", "5", false)]
    [TestCase("0", "100000", false)]
    [TestCase("unlimited", "100000", false)]
    [TestCase(null, "200", false)]
    [TestCase(null, "501", true)]
    public void Recycle_race_only_when_iis_expects_more(string? php, string? iis, bool race)
    {
        string env = php is null ? ""
            : $"<environmentVariables><environmentVariable name=\"PHP_FCGI_MAX_REQUESTS\" value=\"{php}\" /></environmentVariables>";
        var report = Inline($"<application fullPath=\"C:\\PHP\\php-cgi.exe\" instanceMaxRequests=\"{iis}\">{env}</application>");
        Assert.That(report.Findings.Any(f => f.Id == "recycle-race"), Is.EqualTo(race));
    }

    [Test]
    public void Iis_default_of_200_is_below_php_default_of_500()
    {
        var report = Inline("<application fullPath=\"C:\\PHP\\php-cgi.exe\" />");
        Assert.That(report.Findings.Select(f => f.Id), Does.Not.Contain("recycle-race"));
    }

    [Test]
    public void A_negative_php_max_requests_stops_every_start()
    {
        var f = Only(Fixture.Check("php-max-requests-invalid"), "php-max-requests-invalid");
        Assert.That(f.Severity, Is.EqualTo(Severity.Error));
        Assert.That(f.Message, Does.Contain("PHP_FCGI_MAX_REQUESTS=-1 is negative"));
        Assert.That(f.Fix.Single(), Is.EqualTo(
            $"{Appcmd} \"/[fullPath='{PhpCgi}'].environmentVariables.[name='PHP_FCGI_MAX_REQUESTS'].value:10000\""));
    }

    [Test]
    public void Php_notices_become_500s_with_fastcgi_logging_at_its_default()
    {
        var report = Fixture.Check("stderr-with-fastcgi-logging");
        var f = Only(report, "stderr-with-fastcgi-logging");
        Assert.That(f.Severity, Is.EqualTo(Severity.Warning));
        Assert.That(f.Message, Does.Contain("fastcgi.logging is not set in php.ini, and PHP's default is 1")
            .And.Contain("stderrMode is not set, IIS's default is ReturnStdErrIn500"));
        Assert.That(f.Fix, Is.EqualTo(new[] { "fastcgi.logging = 0" }));
        Assert.That(Actionable(report), Is.EqualTo(new[] { "stderr-with-fastcgi-logging" }));
    }

    [TestCase("TerminateProcess", "fastcgi.logging = 1", Severity.Error)]
    [TestCase("ReturnGeneric500", "fastcgi.logging = On", Severity.Warning)]
    [TestCase("IgnoreAndReturn200", "fastcgi.logging = 1", null)]
    [TestCase("ReturnStdErrIn500", "fastcgi.logging = Off", null)]
    public void Stderr_mode_against_fastcgi_logging(string mode, string ini, Severity? expected)
    {
        var report = Inline($"<application fullPath=\"C:\\PHP\\php-cgi.exe\" stderrMode=\"{mode}\" />",
            $"[PHP]\n{ini}\nmax_execution_time=30\n");
        Assert.That(report.Findings.FirstOrDefault(f => f.Id == "stderr-with-fastcgi-logging")?.Severity, Is.EqualTo(expected));
    }

    [Test]
    public void Request_timeout_below_max_execution_time()
    {
        var report = Fixture.Check("request-timeout-below-max-execution-time");
        var f = Only(report, "request-timeout-below-max-execution-time");
        Assert.That(f.Message, Does.Contain("PHP lets a script run 300 s (max_execution_time = 300)").And.Contain("after 120 s"));
        Assert.That(f.Fix, Is.EqualTo(new[] { $"{Appcmd} \"/[fullPath='{PhpCgi}'].requestTimeout:300\"", "max_execution_time = 120" }));
        Assert.That(Actionable(report), Is.EqualTo(new[] { "request-timeout-below-max-execution-time" }));
    }

    [Test]
    public void Activity_timeout_below_max_execution_time()
    {
        var report = Fixture.Check("activity-timeout-below-max-execution-time");
        var f = Only(report, "activity-timeout-below-max-execution-time");
        Assert.That(f.Message, Does.Contain("sends nothing for 30 s"));
        Assert.That(f.Fix, Is.EqualTo(new[] { $"{Appcmd} \"/[fullPath='{PhpCgi}'].activityTimeout:300\"" }));
        Assert.That(Actionable(report), Is.EqualTo(new[] { "activity-timeout-below-max-execution-time" }));
    }

    [Test]
    public void Iis_defaults_against_php_default_max_execution_time_are_fine()
    {
        // 30 s (PHP's built-in default) under activityTimeout 70 and requestTimeout 90 (IIS's).
        var report = Inline("<application fullPath=\"C:\\PHP\\php-cgi.exe\" />", "[PHP]\nfastcgi.logging=0\n");
        Assert.That(report.Findings.Where(f => f.Id.Contains("timeout") || f.Id.Contains("execution")), Is.Empty);
    }

    [Test]
    public void Max_execution_time_zero_leaves_the_killing_to_iis()
    {
        var report = Fixture.Check("max-execution-time-unlimited");
        var f = Only(report, "max-execution-time-unlimited");
        Assert.That(f.Message, Does.Contain("PHP never stops a script (max_execution_time = 0)").And.Contain("set_time_limit(0)"));
        Assert.That(f.Fix, Is.EqualTo(new[] { "max_execution_time = 300" }));
        Assert.That(f.Location.File, Is.EqualTo(Fixture.PhpIni("max-execution-time-unlimited")), "points at the php.ini line");
        Assert.That(Actionable(report), Is.EqualTo(new[] { "max-execution-time-unlimited" }));
    }

    [Test]
    public void Monitor_changes_to_an_old_php_ini()
    {
        var report = Fixture.Check("monitor-changes-to");
        var f = Only(report, "monitor-changes-to");
        Assert.That(f.Severity, Is.EqualTo(Severity.Warning));
        Assert.That(f.Message, Does.Contain(
            @"monitorChangesTo watches C:\PHP\php.ini, but php-cgi reads C:\Program Files\PHP\v8.2\php.ini (PHPRC)"));
        Assert.That(f.Fix.Single(),
            Is.EqualTo($@"{Appcmd} ""/[fullPath='{PhpCgi}'].monitorChangesTo:'C:\Program Files\PHP\v8.2\php.ini'"""));
        Assert.That(Actionable(report), Is.EqualTo(new[] { "monitor-changes-to" }));
    }

    [Test]
    public void Monitor_changes_to_unset_is_a_remark()
    {
        var report = Inline("<application fullPath=\"C:\\PHP\\php-cgi.exe\" />");
        Assert.That(Only(report, "monitor-changes-to").Severity, Is.EqualTo(Severity.Info));
        Assert.That(Only(report, "monitor-changes-to").Message, Does.Contain(@"php-cgi reads C:\PHP\php.ini (beside php-cgi)"));
    }

    [Test]
    public void A_handler_whose_arguments_name_no_pool()
    {
        var report = Fixture.Check("handler-without-application");
        var f = Only(report, "handler-without-application");
        Assert.That(f.Severity, Is.EqualTo(Severity.Error));
        Assert.That(f.Message, Does.Contain("has other arguments").And.Contain("fullPath|arguments must match exactly"));
        Assert.That(f.Fix, Is.EqualTo(new[]
        {
            $@"%windir%\system32\inetsrv\appcmd.exe set config -section:system.webServer/handlers " +
            $@"""/[name='PHP_via_FastCGI'].scriptProcessor:{PhpCgi}""",
            $@"{Appcmd} /+""[fullPath='{PhpCgi}',arguments='-d display_errors=0']""",
        }));
        Assert.That(f.Location.Line, Is.EqualTo(60));
    }

    [Test]
    public void A_web_config_handler_for_a_removed_php()
    {
        var report = Fixture.Check("handler-without-application", null, "web.config");
        var web = report.Findings.Single(f => f.Id == "handler-without-application" && f.Location.File.EndsWith("web.config"));
        Assert.That(web.Message,
            Does.Contain(@"sends requests to ""C:\PHP\v7.4\php-cgi.exe"", but no fastCgi application has that fullPath")
            .And.Contain("put the site and application in the command"));
        Assert.That(web.Fix[0], Does.StartWith(
            @"%windir%\system32\inetsrv\appcmd.exe set config ""<site name>/<application path>"" -section:system.webServer/handlers"));
        Assert.That(web.Location.Line, Is.EqualTo(7));
    }

    [Test]
    public void Handler_paths_match_without_case_arguments_exactly()
    {
        var config = IisConfiguration.Parse([("a.config", """
            <configuration><system.webServer>
              <fastCgi><application fullPath="C:\PHP\php-cgi.exe" arguments="-c C:\PHP\site.ini" /></fastCgi>
              <handlers>
                <add name="a" path="*.php" modules="FastCgiModule" scriptProcessor="c:\php\PHP-CGI.exe|-c C:\PHP\site.ini" />
                <add name="b" path="*.php" modules="FastCgiModule" scriptProcessor="C:\PHP\php-cgi.exe|-c c:\php\site.ini" />
              </handlers>
            </system.webServer></configuration>
            """)]);
        var report = IisCheckReport.Run(config, null, new Fixture.NothingOnDisk());
        var broken = report.Findings.Where(f => f.Id == "handler-without-application").Select(f => f.Location.Line);
        Assert.That(broken, Is.EqualTo(new[] { 5 }), "b's arguments differ in case");
    }

    [Test]
    public void A_mapping_in_an_applicationhost_location_is_fixed_there()
    {
        var config = IisConfiguration.Parse([("applicationHost.config", """
            <configuration>
              <system.webServer><fastCgi><application fullPath="C:\PHP\php-cgi.exe" /></fastCgi></system.webServer>
              <location path="Default Web Site/shop"><system.webServer><handlers>
                <add name="PHP-shop" path="*.php" modules="FastCgiModule" scriptProcessor="C:\PHP\php-cgi.exe|-c shop.ini" />
              </handlers></system.webServer></location>
            </configuration>
            """)]);
        var f = Only(IisCheckReport.Run(config, null, new Fixture.NothingOnDisk()), "handler-without-application");
        Assert.That(f.Fix[0], Is.EqualTo(@"%windir%\system32\inetsrv\appcmd.exe set config ""Default Web Site/shop"" " +
            @"-section:system.webServer/handlers /[name='PHP-shop'].scriptProcessor:C:\PHP\php-cgi.exe /commit:apphost"));
    }

    [Test]
    public void Php_fcgi_children_under_iis()
    {
        var report = Fixture.Check("php-fcgi-children");
        var f = Only(report, "php-fcgi-children");
        Assert.That(f.Fix.Single(), Is.EqualTo($"{Appcmd} /-\"[fullPath='{PhpCgi}'].environmentVariables.[name='PHP_FCGI_CHILDREN']\""));
        Assert.That(Actionable(report), Is.EqualTo(new[] { "php-fcgi-children" }));
    }

    [Test]
    public void A_thread_safe_build_seen_beside_php_cgi()
    {
        string dir = Path.Combine(Path.GetTempPath(), "fcgi-iis-ts-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            foreach (var file in Directory.GetFiles(Fixture.Dir("thread-safe-build")))
                File.WriteAllText(Path.Combine(dir, Path.GetFileName(file)), File.ReadAllText(file).Replace("{{dir}}", dir));
            var config = IisConfiguration.Load([Path.Combine(dir, "applicationHost.config")]);
            // No --php-ini: PHPRC names this folder, which is readable here.
            var report = IisCheckReport.Run(config, null, DiskProbe.Instance);
            var f = Only(report, "thread-safe-build");
            Assert.That(f.Message, Does.Contain("(php8ts.dll is beside it)"));
            Assert.That(report.Pools.Single().Ini!.Ini!.File, Is.EqualTo(Path.Combine(dir, "php.ini")), "found by PHPRC");
            Assert.That(Actionable(report), Is.EqualTo(new[] { "thread-safe-build" }));

            File.Move(Path.Combine(dir, "php8ts.dll"), Path.Combine(dir, "php8.dll"));
            report = IisCheckReport.Run(config, null, DiskProbe.Instance);
            Assert.That(report.Findings.Select(f => f.Id), Does.Not.Contain("thread-safe-build"), "php8.dll is the NTS build");
        }
        finally { Directory.Delete(dir, true); }
    }

    [TestCase("max-instances", "At most 4 requests run at once", "maxInstances:0")]
    [TestCase("queue-length", "At most 10 requests wait", "queueLength:1000")]
    [TestCase("protocol", "protocol=Tcp", "protocol:NamedPipe")]
    public void Pool_remarks(string id, string says, string fix)
    {
        var report = Fixture.Check(id);
        var f = Only(report, id);
        Assert.That(f.Severity, Is.EqualTo(Severity.Info));
        Assert.That(f.Message, Does.Contain(says));
        Assert.That(f.Fix.Single(), Does.EndWith($"].{fix}\""));
        Assert.That(report.NeedsAction, Is.False, "remarks alone need no action");
    }

    [Test]
    public void Rapid_failure_protection_with_a_cause_of_exits()
    {
        var report = Fixture.Check("rapid-fail-protection");
        var f = Only(report, "rapid-fail-protection");
        Assert.That(f.Severity, Is.EqualTo(Severity.Warning));
        Assert.That(f.Message, Does.StartWith("After 3 unexpected exits").And.Contain("The recycle-race finding above"));
        Assert.That(f.Fix, Is.EqualTo(Only(report, "recycle-race").Fix));
    }

    [Test]
    public void Non_php_pools_get_only_the_iis_checks()
    {
        var report = Inline(
            "<application fullPath=\"C:\\Ruby\\bin\\ruby.exe\" arguments=\"C:\\Ruby\\dispatch.fcgi\" instanceMaxRequests=\"100000\" />");
        Assert.That(report.Findings.Select(f => f.Id), Is.EqualTo(new[] { "rapid-fail-protection" }));
        Assert.That(report.Pools.Single().Ini, Is.Null);
    }

    [Test]
    public void Every_finding_is_in_the_rule_list_with_a_fix_when_it_needs_action()
    {
        var fixtures = Directory.GetDirectories(Path.Combine(TestContext.CurrentContext.TestDirectory, "Fixtures"))
            .Select(Path.GetFileName).ToList();
        Assert.That(fixtures, Has.Count.GreaterThan(10));
        foreach (var name in fixtures)
        {
            if (name is "malformed" or "thread-safe-build") continue;
            string[] web = File.Exists(Path.Combine(Fixture.Dir(name!), "web.config")) ? ["web.config"] : [];
            foreach (var f in Fixture.Check(name!, null, web).Findings)
            {
                Assert.That(IisChecker.Rules, Does.Contain(f.Rule), $"{name}: {f.Id}");
                if (f.Severity >= Severity.Warning) Assert.That(f.Fix, Is.Not.Empty, $"{name}: {f.Id} has no fix");
            }
        }
    }
}
