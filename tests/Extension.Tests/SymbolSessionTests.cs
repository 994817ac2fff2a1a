using System.Text.Json.Nodes;
using FcgiExt.Extension.Hosting;
using NUnit.Framework;
using Dbg = FcgiExt.DbgEng.DbgEng;

namespace FcgiExt.Tests.Extension;

/// <summary>!fcgi changes the session's symbols no more than it needs to: a path element only when one is missing,
/// `.reload` only when the path changed, single-module reloads only for faulting-stack modules without symbols that
/// it did not try yet on this path; a second !fcgi reloads nothing. The engine's own output while loading never
/// reaches the user.</summary>
public class SymbolSessionTests
{
    [SetUp] public void ResetState() => ExtensionState.Reset();

    static readonly string[] Reloads = [".reload"];

    static IEnumerable<string> CommandsOf(FakeEngine e) => e.Commands.Select(c => c.Command);

    static string SymbolLine(FakeEngine e)
    {
        var lines = e.AllText.Split('\n');
        int i = Array.FindIndex(lines, l => l.Contains("[1] Symbol set-up"));
        Assert.That(i, Is.GreaterThanOrEqualTo(0), e.AllText);
        return lines[i + 1].Trim();
    }

    [Test]
    public void First_fcgi_loads_deferred_symbols_module_by_module_without_a_reload_and_the_second_loads_nothing()
    {
        var e = FakeEngine.PhpXdebugCrash();
        e.DeferAll();
        Assert.That(ExportCalls.Fcgi(e, "-offline"), Is.EqualTo(Dbg.S_OK));
        Assert.That(CommandsOf(e), Is.EquivalentTo(new[]
        {
            ".reload /f php-cgi.exe", ".reload /f php8ts.dll", ".reload /f php_xdebug-3.3.1-8.3-vs16-x86_64.dll", ".reload /f ntdll.dll",
        }), "each deferred module is loaded by its image name; nothing is reloaded as a whole");
        Assert.That(e.Deferred, Is.Empty);
        Assert.That(SymbolLine(e), Does.StartWith("symbol path unchanged").And.Contain("; no reload")
            .And.EndWith("loaded the deferred symbols of 4 module(s)"));

        e.Commands.Clear();
        e.Output.Clear();
        Assert.That(ExportCalls.Fcgi(e, "-offline"), Is.EqualTo(Dbg.S_OK));
        Assert.That(e.Commands, Is.Empty, "a second !fcgi in the session loads and reloads nothing");
        Assert.That(SymbolLine(e),
            Is.EqualTo("symbol path unchanged; offline: Microsoft's symbol server not added (-offline); no reload"));
    }

    [Test]
    public void Faulting_stack_modules_without_symbols_are_reloaded_once_per_symbol_path()
    {
        // Loaded before !fcgi (the user ran k first): xdebug and ntdll have export symbols only, php8ts has its PDB.
        var e = FakeEngine.PhpXdebugCrash();
        Assert.That(ExportCalls.Fcgi(e, "-offline"), Is.EqualTo(Dbg.S_OK));
        Assert.That(CommandsOf(e), Is.EqualTo(new[] { ".reload /f php_xdebug-3.3.1-8.3-vs16-x86_64.dll", ".reload /f ntdll.dll" }));
        Assert.That(SymbolLine(e), Does.EndWith(
            "; reloaded php_xdebug-3.3.1-8.3-vs16-x86_64.dll, ntdll.dll (on the faulting stack without symbols)"));

        e.Commands.Clear();
        Assert.That(ExportCalls.Fcgi(e, "-offline"), Is.EqualTo(Dbg.S_OK));
        Assert.That(e.Commands, Is.Empty, "tried on this path already");

        // The user points the path elsewhere: the same modules deserve one more try there.
        e.SymbolPath = @"C:\other-symbols";
        Assert.That(ExportCalls.Fcgi(e, "-offline"), Is.EqualTo(Dbg.S_OK));
        Assert.That(CommandsOf(e), Has.Member(".reload /f ntdll.dll"));
    }

    [Test]
    public void An_added_path_element_reloads_once_and_says_what_was_added()
    {
        var e = FakeEngine.PhpXdebugCrash();
        e.SymbolPath = @"C:\mysyms";
        Assert.That(ExportCalls.Fcgi(e, @"-offline -y C:\php-debug-pack"), Is.EqualTo(Dbg.S_OK));
        Assert.That(e.SymbolPath, Is.EqualTo(@"C:\mysyms;C:\php-debug-pack"));
        Assert.That(CommandsOf(e).Where(c => c == ".reload"), Is.EqualTo(Reloads), "one whole reload for the new path");
        Assert.That(SymbolLine(e), Does.StartWith(@"symbol path: added C:\php-debug-pack (-y)").And.EndWith("; reloaded"));

        e.Commands.Clear();
        e.Output.Clear();
        Assert.That(ExportCalls.Fcgi(e, @"-offline -y C:\php-debug-pack"), Is.EqualTo(Dbg.S_OK));
        Assert.That(e.Commands, Is.Empty, "the element is there now: nothing to add, nothing to reload");
        Assert.That(SymbolLine(e), Does.StartWith("symbol path unchanged").And.EndWith("; no reload"));
    }

    [Test]
    public void The_same_elements_written_differently_are_no_path_change()
    {
        var e = FakeEngine.PhpXdebugCrash();
        e.SymbolPath = @"C:\a; C:\b;";
        Assert.That(ExportCalls.Fcgi(e, "-offline"), Is.EqualTo(Dbg.S_OK));
        Assert.That(e.SymbolPath, Is.EqualTo(@"C:\a; C:\b;"), "the user's path is left as it was typed");
        Assert.That(CommandsOf(e), Has.No.Member(".reload"));
    }

    [Test]
    public void A_new_target_forgets_what_was_tried()
    {
        var e = FakeEngine.PhpXdebugCrash();
        ExportCalls.Fcgi(e, "-offline");
        e.Commands.Clear();
        ExportCalls.Notify(1);   // DEBUG_NOTIFY_SESSION_INACTIVE: the dump was closed, another may open
        ExportCalls.Fcgi(e, "-offline");
        Assert.That(CommandsOf(e), Has.Member(".reload /f ntdll.dll"));
        e.Commands.Clear();
        ExportCalls.Notify(2);   // DEBUG_NOTIFY_SESSION_ACCESSIBLE: a break in the same target remembers
        ExportCalls.Fcgi(e, "-offline");
        Assert.That(e.Commands, Is.Empty);
    }

    [Test]
    public void Lines_are_turned_on_only_when_off_and_the_report_says_so()
    {
        var e = FakeEngine.PhpXdebugCrash();
        ExportCalls.Fcgi(e, "-offline");
        Assert.That(e.SymbolOptions & Dbg.SYMOPT_LOAD_LINES, Is.Not.Zero);
        Assert.That(e.AllText, Does.Contain("line numbers turned on (.lines)"));
        e.Output.Clear();
        ExportCalls.Fcgi(e, "-offline");
        Assert.That(e.AllText, Does.Not.Contain("line numbers turned on"));
    }

    [Test]
    public void Json_is_the_whole_output_while_the_engine_chatters_during_the_loads()
    {
        var e = FakeEngine.PhpXdebugCrash();
        e.DeferAll();
        e.SymbolPath = @"C:\mysyms";
        uint mask = e.OutputMask;
        Assert.That(ExportCalls.Fcgi(e, @"-json -offline -y C:\pack"), Is.EqualTo(Dbg.S_OK));
        Assert.That(e.Chatter, Has.Some.Contains("Symbol Loading Error Summary"), "the engine did try to print");
        Assert.That(e.Commands, Has.All.Matches<FakeEngine.Executed>(c =>
            (c.OutputControl & 7) == Dbg.DEBUG_OUTCTL_IGNORE && c.MaskWhileRunning == 0), "loads run with output ignored and muted");
        Assert.That(() => JsonNode.Parse(e.AllText), Throws.Nothing, "the whole output is one JSON document");
        Assert.That(JsonNode.Parse(e.AllText)!["verdict"]!["owner"]!.GetValue<string>(), Is.EqualTo("Xdebug"));
        Assert.That(e.OutputMask, Is.EqualTo(mask), "the user's output mask is restored");
    }

    [Test]
    public void The_output_mask_is_restored_when_the_run_fails()
    {
        var e = FakeEngine.PhpXdebugCrash();
        e.DeferAll();
        e.OutputMask = 0x2f7;
        e.Interrupt = true;   // Ctrl+Break while the symbols load
        Assert.That(ExportCalls.Fcgi(e, "-json -offline"), Is.EqualTo(Dbg.HRESULT_CANCELLED));
        Assert.That(e.OutputMask, Is.EqualTo(0x2f7u));
        Assert.That(e.AllText, Does.Contain("interrupted"), "the error line is printed after the mask is back");
    }

    [Test]
    public void Paths_are_set_with_output_ignored_so_the_path_validation_summary_reaches_no_client()
    {
        var e = FakeEngine.PhpXdebugCrash();
        e.SymbolPath = @"C:\mysyms";
        Assert.That(ExportCalls.Fcgi(e, @"-offline -y C:\pack"), Is.EqualTo(Dbg.S_OK));
        var set = e.Commands.Where(c => c.Command.StartsWith(".sympath ") || c.Command.StartsWith(".exepath ")).ToList();
        Assert.That(set.Select(c => c.Command), Is.EqualTo(new[] { @".sympath C:\mysyms;C:\pack", @".exepath C:\mysyms;C:\pack" }));
        Assert.That(set, Has.All.Matches<FakeEngine.Executed>(c => (c.OutputControl & 7) == Dbg.DEBUG_OUTCTL_IGNORE));
        Assert.That(e.SymbolPath, Is.EqualTo(@"C:\mysyms;C:\pack"));
        Assert.That(e.ImagePath, Is.EqualTo(@"C:\mysyms;C:\pack"));
    }
}
