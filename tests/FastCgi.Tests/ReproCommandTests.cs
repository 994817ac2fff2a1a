using FcgiExt.Cli;
using NUnit.Framework;

namespace FcgiExt.FastCgi.Tests;

/// <summary>`fcgi repro`'s usage errors: exit 2, the reason and the short usage on stderr, nothing spawned.</summary>
public class ReproCommandTests
{
    static (int Code, string Err) Fcgi(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = FcgiCli.Run(args, stdout, stderr);
        return (code, stderr.ToString());
    }

    static string AScript()
    {
        string path = Path.Combine(Directory.CreateTempSubdirectory("fcgi-repro-cmd-").FullName, "a.php");
        File.WriteAllText(path, "<?php echo 1;");
        return path;
    }

    [Test]
    public void Debug_of_a_Linux_worker_says_it_needs_a_Windows_one()
    {
        var (code, err) = Fcgi("repro", "--script", AScript(), "--worker", "/bin/sh", "--debug", "--out", Path.GetTempPath());
        Assert.That(code, Is.EqualTo(2));
        Assert.That(err, Does.Contain("--debug runs a Windows worker (php-cgi.exe) under the debugger engine; /bin/sh is not one")
            .And.Contain("Usage: fcgi repro"));
    }

    [Test]
    public void Debug_needs_the_out_folder_for_its_dumps()
    {
        string exe = Path.Combine(Directory.CreateTempSubdirectory("fcgi-repro-exe-").FullName, "php-cgi.exe");
        File.WriteAllBytes(exe, "MZ"u8.ToArray());
        var (code, err) = Fcgi("repro", "--script", AScript(), "--worker", exe, "--debug");
        Assert.That(code, Is.EqualTo(2));
        Assert.That(err, Does.Contain("--debug needs --out <dir> (the dumps go there)"));
    }

    [TestCase("php-cgi.exe", "", true)]
    [TestCase("worker", "MZ\x90\x00", true)]
    [TestCase("php-cgi", "#!/bin/sh", false)]
    public void A_Windows_worker_is_a_PE_image_or_an_exe(string name, string start, bool windows)
    {
        string path = Path.Combine(Directory.CreateTempSubdirectory("fcgi-repro-kind-").FullName, name);
        File.WriteAllText(path, System.Text.RegularExpressions.Regex.Unescape(start));
        Assert.That(Cli.Commands.ReproCommand.IsWindowsImage(path), Is.EqualTo(windows));
    }

    [Test]
    public void One_of_script_or_requests_is_needed()
    {
        Assert.That(Fcgi("repro").Err, Does.Contain("give one of --script <file.php> or --requests <file>"));
        string script = AScript();
        Assert.That(Fcgi("repro", "--script", script, "--requests", script).Code, Is.EqualTo(2));
    }

    [TestCase("-n", "0", "-n needs a positive number")]
    [TestCase("-c", "0", "-c needs a positive number")]
    [TestCase("--instance-max-requests", "0", "--instance-max-requests needs a positive number")]
    [TestCase("--env", "NOVALUE", "--env NOVALUE: give NAME=VALUE")]
    [TestCase("--worker", "/no/such/php-cgi", "--worker /no/such/php-cgi: no such file")]
    [TestCase("--format", "xml", "xml")]
    public void Bad_values_are_usage_errors(string option, string value, string says)
    {
        var (code, err) = Fcgi("repro", "--script", AScript(), option, value);
        Assert.That(code, Is.EqualTo(2));
        Assert.That(err, Does.Contain(says));
    }

    [Test]
    public void A_missing_script_in_the_requests_file_is_a_usage_error()
    {
        string dir = Directory.CreateTempSubdirectory("fcgi-repro-cmd-").FullName;
        File.WriteAllText(Path.Combine(dir, "requests.txt"), "GET typo.php?x=1\n");
        var (code, err) = Fcgi("repro", "--requests", Path.Combine(dir, "requests.txt"));
        Assert.That(code, Is.EqualTo(2));
        Assert.That(err, Does.Contain($"{Path.Combine(dir, "typo.php")}: no such script (in {Path.Combine(dir, "requests.txt")})"));
    }

    [Test]
    public void A_worker_that_is_not_executable_is_a_usage_error()
    {
        string script = AScript();
        var (code, err) = Fcgi("repro", "--script", script, "--worker", script);
        Assert.That(code, Is.EqualTo(2));
        Assert.That(err, Does.Contain($"--worker {script}: cannot start {script}: posix_spawn error 13 (permission denied)"));
    }

    [Test]
    public void A_missing_script_is_a_usage_error_at_parse_time()
    {
        var (code, err) = Fcgi("repro", "--script", "/no/such/script.php");
        Assert.That((code, err), Is.EqualTo((2, err)));
        Assert.That(err, Does.Contain("/no/such/script.php: no such file or folder"));
    }
}
