using NUnit.Framework;

namespace FcgiExt.IisConfig.Tests;

/// <summary>applicationHost.config and web.config as the checks see them: pools, their settings and where they were
/// written, FastCGI handler mappings by scope, and one file:line:col error for a broken file.</summary>
public class IisConfigurationTests
{
    [Test]
    public void Reads_the_pool_php_manager_registers()
    {
        var config = IisConfiguration.Load([Fixture.Config("default")]);
        var app = config.Applications.Single();
        Assert.That(app.FullPath, Is.EqualTo(@"C:\Program Files\PHP\v8.2\php-cgi.exe"));
        Assert.That(app.Key, Is.EqualTo(app.FullPath), "no arguments: the key is the path alone");
        Assert.That((app.InstanceMaxRequests, app.ActivityTimeout, app.RequestTimeout), Is.EqualTo((10000L, 300L, 300L)));
        Assert.That(app.MaxInstances, Is.Null, "unset stays unset, not IIS's default");
        Assert.That(app.Environment("php_fcgi_max_requests")!.Value, Is.EqualTo("10000"), "environment names ignore case");
        Assert.That(app.Environment("PHPRC")!.Location.Line, Is.EqualTo(50));
        Assert.That(app.Location.Line, Is.EqualTo(47));
        Assert.That(app.Where("instanceMaxRequests").Line, Is.EqualTo(48), "the attribute's own line");
        Assert.That(app.IsPhp, Is.True);
    }

    [Test]
    public void Handlers_come_with_their_location_and_only_fastcgi_ones_count()
    {
        var config = IisConfiguration.Load([Fixture.Config("default")]);
        Assert.That(config.Handlers.Count, Is.EqualTo(5));
        var php = config.Handlers.Single(h => h.IsFastCgi);
        Assert.That((php.Name, php.Path, php.LocationPath), Is.EqualTo(("PHP_via_FastCGI", "*.php", "")));
        Assert.That(php.ScriptProcessor, Is.EqualTo(@"C:\Program Files\PHP\v8.2\php-cgi.exe"));
    }

    [Test]
    public void A_remove_or_clear_drops_mappings_of_its_own_scope_only()
    {
        var config = IisConfiguration.Parse([
            ("applicationHost.config", """
                <configuration><system.webServer><handlers>
                  <add name="PHP" path="*.php" modules="FastCgiModule" scriptProcessor="C:\a.exe" />
                  <add name="OLD" path="*.php5" modules="FastCgiModule" scriptProcessor="C:\b.exe" />
                  <remove name="old" />
                </handlers></system.webServer>
                <location path="Default Web Site/blog"><system.webServer><handlers>
                  <clear /><add name="BLOG" path="*.php" modules="FastCgiModule" scriptProcessor="C:\c.exe" />
                </handlers></system.webServer></location></configuration>
                """),
            ("web.config", """
                <configuration><system.webServer><handlers><remove name="PHP" /></handlers></system.webServer></configuration>
                """),
        ]);
        Assert.That(config.Handlers.Select(h => $"{h.Name}@{h.LocationPath}"), Is.EqualTo(new[] { "PHP@", "BLOG@Default Web Site/blog" }));
    }

    [Test]
    public void Malformed_xml_is_one_error_at_the_broken_character()
    {
        var file = Fixture.Config("malformed");
        var e = Assert.Throws<ConfigFileException>(() => IisConfiguration.Load([file]))!;
        Assert.That((e.File, e.Line, e.Column), Is.EqualTo((file, 6, 97)));
        Assert.That(e.Message, Does.StartWith($"{file}:6:97: Name cannot begin with the '1' character"));
        Assert.That(e.Message, Does.Not.Contain("Line 6"), "the position is said once, in front");
    }

    [TestCase("<configuration><system.webServer><fastCgi><application fullPath=\"C:\\p.exe\" maxInstances=\"four\" />" +
              "</fastCgi></system.webServer></configuration>", 1, 76, "maxInstances=\"four\" is not a whole number from 0 to 4294967295")]
    [TestCase("<configuration><system.webServer><fastCgi>\n  <application arguments=\"-c x\" />" +
              "</fastCgi></system.webServer></configuration>",
              2, 4, "a fastCgi <application> without fullPath (IIS requires it)")]
    [TestCase("<?xml version=\"1.0\"?>\n<settings />", 2, 2,
              "the root element is <settings>, an IIS configuration file has <configuration>")]
    [TestCase("<configuration><system.webServer><fastCgi><application fullPath=\"C:\\p.exe\" stderrMode=\"Quiet\" />" +
              "</fastCgi></system.webServer></configuration>", 1, 76,
              "stderrMode=\"Quiet\" is none of ReturnStdErrIn500, ReturnGeneric500, IgnoreAndReturn200, TerminateProcess")]
    [TestCase("<configuration><system.webServer><fastCgi>\n<application fullPath=\"C:\\PHP\\php-cgi.exe\" />\n" +
              "<application fullPath=\"c:\\php\\php-cgi.exe\" /></fastCgi></system.webServer></configuration>", 3, 2,
              "a second fastCgi application \"c:\\php\\php-cgi.exe\" (the first is at a.config:2:2): IIS refuses duplicate keys")]
    public void Settings_iis_itself_would_refuse(string xml, int line, int column, string problem)
    {
        var e = Assert.Throws<ConfigFileException>(() => IisConfiguration.Parse([("a.config", xml)]))!;
        Assert.That(e.Message, Is.EqualTo($"a.config:{line}:{column}: {problem}"));
    }

    [Test]
    public void Enumerations_read_by_name_in_any_case_or_by_number()
    {
        var config = IisConfiguration.Parse([("a.config", """
            <configuration><system.webServer><fastCgi>
              <application fullPath="C:\a.exe" stderrMode="terminateprocess" protocol="1" />
              <application fullPath="C:\b.exe" stderrMode="2" />
            </fastCgi></system.webServer></configuration>
            """)]);
        Assert.That(config.Applications.Select(a => (a.StderrMode, a.Protocol)),
            Is.EqualTo(new[] { ("TerminateProcess", "Tcp"), ("IgnoreAndReturn200", (string?)null) }));
    }

    [Test]
    public void A_missing_file_is_named()
    {
        var e = Assert.Throws<ConfigFileException>(() => IisConfiguration.Load(["/nonexistent/applicationHost.config"]))!;
        Assert.That((e.File, e.Line), Is.EqualTo(("/nonexistent/applicationHost.config", 0)));
        Assert.That(e.Problem, Does.StartWith("cannot read: "));
    }

    [TestCase(@"C:\PHP\php-cgi.exe", @"c:/php/PHP-CGI.EXE", true)]
    [TestCase(@"C:\PHP\php.ini", @"C:\PHP\v8\php.ini", false)]
    public void Windows_paths_compare_without_case(string a, string b, bool same) => Assert.That(WindowsPath.Same(a, b), Is.EqualTo(same));

    [Test]
    public void Windows_paths_split_on_linux_too()
    {
        Assert.That(WindowsPath.DirectoryOf(@"C:\Program Files\PHP\php-cgi.exe"), Is.EqualTo(@"C:\Program Files\PHP"));
        Assert.That(WindowsPath.Join(@"C:\PHP\", "php.ini"), Is.EqualTo(@"C:\PHP\php.ini"));
        Assert.That(WindowsPath.Join("srv/php", "php.ini"), Is.EqualTo("srv/php/php.ini"));
    }
}
