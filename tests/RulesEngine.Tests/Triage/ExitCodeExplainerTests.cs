using FcgiExt.Cli.Commands;
using FcgiExt.RulesEngine.Triage;
using NUnit.Framework;

namespace FcgiExt.Tests.Triage;

public class ExitCodeExplainerTests
{
    [TestCase("Error Code 0xc0000005", 0xC0000005u, "hexadecimal")]
    [TestCase("Error Code: 0xC0000005.", 0xC0000005u, "hexadecimal")]
    [TestCase("0xc0000005", 0xC0000005u, "hexadecimal")]
    [TestCase("c0000005", 0xC0000005u, "hexadecimal")]
    [TestCase("-1073741819", 0xC0000005u, "signed decimal (two's complement)")]
    [TestCase("3221225477", 0xC0000005u, "decimal")]
    [TestCase("0xffffffffc0000005", 0xC0000005u, "hexadecimal")]
    [TestCase("255", 255u, "decimal")]
    [TestCase("0xff", 255u, "hexadecimal")]
    [TestCase("Error Code 0x000000ff", 255u, "hexadecimal")]
    [TestCase("0n255", 255u, "decimal")]
    [TestCase("80000003", 0x80000003u, "hexadecimal (8 digits, as debuggers print codes)")]
    [TestCase("(0xc0000374)", 0xC0000374u, "hexadecimal")]
    public void Parses_codes_as_iis_and_debuggers_print_them(string input, uint expected, string reading)
    {
        Assert.That(ExitCodeExplainer.TryParse(input, out var code, out var how, out var error), Is.True, error);
        Assert.That(code, Is.EqualTo(expected));
        Assert.That(how, Is.EqualTo(reading));
    }

    [TestCase("", "no code given")]
    [TestCase("nonsense", "holds no number")]
    [TestCase("0x1234567890", "does not fit in 32 bits")]
    [TestCase("99999999999", "not a 32-bit")]
    [TestCase("-99999999999", "not a 32-bit code")]
    public void Rejects_what_is_not_a_code_with_a_reason(string input, string reason)
    {
        Assert.That(ExitCodeExplainer.TryParse(input, out _, out _, out var error), Is.False);
        Assert.That(error, Does.Contain(reason));
        Assert.Throws<FormatException>(() => ExitCodeExplainer.Explain(input));
    }

    [TestCase("0xc0000005", "ACCESS_VIOLATION", "exception")]
    [TestCase("0xc00000fd", "STACK_OVERFLOW", "exception")]
    [TestCase("0xc0000374", "HEAP_CORRUPTION", "exception")]
    [TestCase("0xc0000409", "STACK_BUFFER_OVERRUN", "exception")]
    [TestCase("0xc0000417", "INVALID_PARAMETER", "exception")]
    [TestCase("0xe06d7363", "CPP_EXCEPTION", "exception")]
    [TestCase("0xc0000135", "DLL_NOT_FOUND", "exception")]
    [TestCase("0x80000003", "BREAKPOINT", "exception")]
    [TestCase("0xdeadbeef", "UNKNOWN_EXCEPTION", "exception")]
    [TestCase("0", "EXIT", "exit-code")]
    [TestCase("255", "EXIT_CODE_255", "exit-code")]
    [TestCase("3", "ABORT", "exit-code")]
    [TestCase("1", "EXIT_CODE_1", "exit-code")]
    [TestCase("-1", "EXIT_CODE_M1", "exit-code")]
    [TestCase("0x8007006d", "ERROR_BROKEN_PIPE", "hresult")]
    [TestCase("0x80070102", "WAIT_TIMEOUT", "hresult")]
    public void Classes_and_kinds(string input, string cls, string kind)
    {
        var e = ExitCodeExplainer.Explain(input);
        Assert.That((e.Class, e.Kind), Is.EqualTo((cls, kind)));
        Assert.That(e.Name, Is.Not.Empty);
    }

    [Test]
    public void Heap_corruption_explains_page_heap_for_the_given_process()
    {
        var e = ExitCodeExplainer.Explain("0xc0000374", "ruby.exe");
        Assert.That(e.NextSteps.Select(s => s.Command),
            Does.Contain("gflags /p /enable ruby.exe /full").And.Contain("gflags /p /disable ruby.exe").And.Contain("gflags /p"));
    }

    [Test]
    public void Exit_code_255_points_at_php_startup_and_zero_at_the_request_limits()
    {
        Assert.That(ExitCodeExplainer.Explain("255").Detail, Does.Contain("fatal error"));
        Assert.That(ExitCodeExplainer.Explain("255").NextSteps.Select(s => s.Command), Does.Contain("php-cgi.exe -v"));
        var exit = ExitCodeExplainer.Explain("0");
        Assert.That(exit.NextSteps.Select(s => s.Command), Has.Some.Contains("instanceMaxRequests"));
        Assert.That(exit.NextSteps.Select(s => s.Command), Has.Some.Contains("PHP_FCGI_MAX_REQUESTS"));
    }

    [Test]
    public void A_crash_code_tells_how_to_get_a_dump_next_time() =>
        Assert.That(ExitCodeExplainer.Explain("0xc0000005").NextSteps.Select(s => s.Command),
            Has.Some.Contains(@"Windows Error Reporting\LocalDumps\php-cgi.exe"));

    [Test]
    public void Dll_not_found_names_the_visual_cpp_runtime() =>
        Assert.That(ExitCodeExplainer.Explain("0xc0000135").NextSteps.Single().Text, Does.Contain("Visual C++ Redistributable"));

    [Test]
    public void Explain_command_prints_the_code_three_ways_and_the_steps()
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        Assert.That(ExplainCommand.Run("Error Code 0xc0000005", "php-cgi.exe", stdout, stderr), Is.EqualTo(0));
        Assert.That(stdout.ToString(), Does.StartWith("0xc0000005 = -1073741819 = 3221225477"));
        Assert.That(stdout.ToString(), Does.Contain("class: ACCESS_VIOLATION").And.Contain("Next steps"));
        Assert.That(stderr.ToString(), Is.Empty);
    }

    [Test]
    public void Explain_command_bad_input_is_one_line_and_exit_2()
    {
        var stderr = new StringWriter();
        Assert.That(ExplainCommand.Run("hello world", "php-cgi.exe", new StringWriter(), stderr), Is.EqualTo(2));
        // The error in one line, then the short usage every usage error ends with.
        var lines = stderr.ToString().TrimEnd().Split('\n');
        Assert.That(lines, Has.Length.EqualTo(2));
        Assert.That(lines[0], Does.StartWith("fcgi explain: "));
        Assert.That(lines[1], Does.StartWith("Usage: fcgi explain <code>..."));
    }
}
