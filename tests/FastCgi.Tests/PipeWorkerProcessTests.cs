using FcgiExt.FastCgi.Repro;
using NUnit.Framework;

namespace FcgiExt.FastCgi.Tests;

/// <summary>The pure parts of spawning a Windows worker as IIS does: CreateProcess's quoting, the environment block, and
/// the options as the engine host reads them.</summary>
public class PipeWorkerProcessTests
{
    [TestCase(@"Z:\php\php-cgi.exe", @"Z:\php\php-cgi.exe")]
    [TestCase(@"C:\Program Files\PHP\php-cgi.exe", @"""C:\Program Files\PHP\php-cgi.exe""")]
    [TestCase(@"say ""hi""", @"""say \""hi\""""")]
    [TestCase(@"C:\dir with space\", @"""C:\dir with space\\""")]
    [TestCase("", @"""""")]
    public void Arguments_are_quoted_as_CommandLineToArgvW_reads_them(string arg, string quoted) =>
        Assert.That(WindowsCommandLine.Quote(arg), Is.EqualTo(quoted));

    [Test]
    public void The_environment_block_is_sorted_NUL_separated_and_ends_with_two_NULs()
    {
        var block = WindowsCommandLine.EnvironmentBlock(new Dictionary<string, string>
        {
            ["PHP_FCGI_MAX_REQUESTS"] = "3", ["_FCGI_X_PIPE_"] = @"\\.\pipe\IISFCGI-x", ["APPL_PHYSICAL_PATH"] = @"C:\inetpub\",
        });
        Assert.That(block, Is.EqualTo("APPL_PHYSICAL_PATH=C:\\inetpub\\\0PHP_FCGI_MAX_REQUESTS=3\0" +
                                      "_FCGI_X_PIPE_=\\\\.\\pipe\\IISFCGI-x\0\0"));
    }

    [TestCase(unchecked((int)0x8007006D), "ERROR_BROKEN_PIPE (0x8007006d: the pipe has been ended)")]
    [TestCase(unchecked((int)0x80070002), "ERROR_FILE_NOT_FOUND (0x80070002: nobody holds the pipe; the worker is gone)")]
    [TestCase(unchecked((int)0x80131620), "IO_PipeBroken")]
    public void Pipe_errors_are_named_as_IIS_logs_them_whatever_the_message(int hresult, string described) =>
        Assert.That(FastCgiClient.Describe(new IOException("IO_PipeBroken", hresult)), Is.EqualTo(described));

    [Test]
    public void The_options_survive_the_trip_to_the_engine_host()
    {
        var options = new ReproOptions
        {
            Worker = @"Z:\php\php-cgi.exe", WorkerArguments = ["-c", @"Z:\php\php.ini"],
            Requests = [new RequestSpec("POST", @"Z:\www\form.php", "a=1", [1, 2, 3])], Count = 7, Concurrency = 2,
            InstanceMaxRequests = 5, Environment = new Dictionary<string, string> { ["PHP_FCGI_MAX_REQUESTS"] = "3" },
            RequestTimeout = TimeSpan.FromSeconds(12),
        };
        var back = ReproRender.OptionsFromJson(ReproRender.OptionsToJson(options));
        Assert.That((back.Worker, back.Count, back.Concurrency, back.InstanceMaxRequests, back.RequestTimeout),
            Is.EqualTo((options.Worker, 7, 2, 5, TimeSpan.FromSeconds(12))));
        Assert.That(back.WorkerArguments, Is.EqualTo(options.WorkerArguments));
        Assert.That(back.Requests.Single() with { Body = null }, Is.EqualTo(options.Requests[0] with { Body = null }));
        Assert.That(back.Requests.Single().Body, Is.EqualTo(new byte[] { 1, 2, 3 }));
        Assert.That(back.Environment["PHP_FCGI_MAX_REQUESTS"], Is.EqualTo("3"));
    }
}
