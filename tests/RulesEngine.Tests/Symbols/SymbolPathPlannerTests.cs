using FcgiExt.RulesEngine.Symbols;
using NUnit.Framework;

namespace FcgiExt.Tests.Symbols;

public class SymbolPathPlannerTests
{
    const string Cache = @"C:\Users\admin\AppData\Local\FcgiExt\symbols";

    [Test]
    public void Adds_microsoft_server_when_missing()
    {
        var plan = SymbolPathPlanner.Plan(@"C:\syms", [], null, offline: false, Cache, _ => false);
        Assert.That(plan.SymbolPath, Is.EqualTo($@"C:\syms;srv*{Cache}*https://msdl.microsoft.com/download/symbols"));
        Assert.That(plan.Changes, Has.Count.EqualTo(1));
    }

    [Test]
    public void Keeps_an_existing_microsoft_server_and_changes_nothing()
    {
        var current = @"cache*C:\c;SRV*C:\sym*https://msdl.microsoft.com/download/symbols";
        var plan = SymbolPathPlanner.Plan(current, [], null, offline: false, Cache, _ => false);
        Assert.That(plan.SymbolPath, Is.EqualTo(current));
        Assert.That(plan.Changed, Is.False);
    }

    [Test]
    public void Offline_never_adds_the_server_and_says_so()
    {
        var plan = SymbolPathPlanner.Plan("", [@"D:\pdbs"], null, offline: true, Cache, _ => false);
        Assert.That(plan.SymbolPath, Is.EqualTo(@"D:\pdbs"));
        Assert.That(plan.Changes, Has.Some.Contains("-offline"));
    }

    [Test]
    public void Adds_user_folders_once_and_debug_pack_folders_that_exist()
    {
        var exists = new HashSet<string>(StringComparer.OrdinalIgnoreCase) { @"C:\php\debug", @"C:\php" };
        var plan = SymbolPathPlanner.Plan(@"d:\PDBS\", [@"D:\pdbs", @"E:\more"], @"C:\php\php-cgi.exe", offline: true, Cache, exists.Contains);
        Assert.That(plan.SymbolPath, Is.EqualTo(@"d:\PDBS\;E:\more;C:\php\debug;C:\php"));
    }

    [Test]
    public void No_debug_pack_hints_for_ruby()
    {
        Assert.That(SymbolPathPlanner.DebugPackHints(@"C:\Ruby31-x64\bin\ruby.exe"), Is.Empty);
        Assert.That(SymbolPathPlanner.DebugPackHints(@"C:\php\php-cgi.exe"), Does.Contain(@"C:\php\debug"));
    }

    [TestCase(@"c:\test_app.exe")]
    [TestCase(@"C:\Windows\System32\inetsrv\w3wp.exe")]
    public void Never_adds_a_drive_root_or_a_windows_folder_the_engine_would_search_whole(string exe)
    {
        var plan = SymbolPathPlanner.Plan(@"D:\pdbs", [], exe, offline: true, Cache, _ => true);
        Assert.That(plan.SymbolPath, Is.EqualTo(@"D:\pdbs"));
    }
}
