using System.Diagnostics;
using System.Text.Json.Nodes;
using FcgiExt.Cli.Commands;
using FcgiExt.Cli.Engine;

namespace FcgiExt.Integration.Tests;

/// <summary>
/// `fcgi capture` on workers it did not start, in the real engine under Wine, with the TestDumps live helpers
/// (TestDumps/live, built by `TestDumps/make.sh --live`): `--pid` and `--name` attach to an Xdebug worker that
/// php_wait_debugger.dll holds at start-up until a debugger is there, and `--children` on the w3wp.exe stand-in
/// catches the crashes of the php-cgi.exe workers it starts. Each crash must be named (process, pid), carry the
/// scenario's verdict (expected.yaml) and have its full dump written.
/// </summary>
[Category("Integration")]
[NonParallelizable]   // the workers share the engine's Wine prefix and server with the other live tests
public class CaptureAttachAndChildrenTests
{
    const string ScenarioName = "xdebug-null-write";
    static readonly string Rules = Path.Combine(TestPaths.TestDumps, "rules", "testdumps.yaml");
    static readonly string Live = Path.Combine(TestPaths.TestDumps, "live");
    string _dir = "";
    readonly List<Process> _workers = [];

    [SetUp]
    public void Make()
    {
        _dir = TestPaths.TempDir();
        // Prefix, host build and warm server before any worker runs: setting the prefix up waits for every Wine process
        // of it to end (wineserver -w), a waiting worker among them.
        TestPaths.Wine.EnsureReady();
    }

    [TearDown]
    public void Remove()
    {
        foreach (var worker in _workers)
        {
            try { if (!worker.HasExited) worker.Kill(); }
            catch (InvalidOperationException) { /* already gone */ }
            worker.Dispose();
        }
        _workers.Clear();
        try { Directory.Delete(_dir, true); }
        catch (IOException) { /* a Wine process may still hold a file; the folder is under /tmp */ }
    }

    [Test]
    public void Attach_by_pid_catches_the_crash_of_a_waiting_worker()
    {
        var expected = Load();
        var (worker, pid, log) = StartWaitingWorker();
        var request = new CaptureCommand.CaptureRequest { Pid = pid, Out = Captures, Rules = [Rules], Timeout = 120, Format = "json" };
        var events = Capture(request, out int exitCode);
        var crash = SingleCrash(events);
        Assert.That(exitCode, Is.EqualTo(CaptureCommand.Captured));
        Assert.That(crash["pid"]!.GetValue<uint>(), Is.EqualTo(pid));
        AssertXdebugCrash(crash, expected);
        Assert.That(worker.WaitForExit(30_000), Is.True, "the worker ends after its crash");
        Assert.That(File.ReadAllText(log), Does.Not.Contain("no debugger after"), "the worker waited for the attach");
    }

    [Test]
    public void Children_catches_and_names_each_worker_the_w3wp_stand_in_starts()
    {
        ExtensionSession.BuildDllIfStale();
        var expected = Load();
        var command = Layout();
        string php = Path.GetDirectoryName(command[0])!;
        // -n 2: the stand-in starts the worker again after its crash, as IIS does; both crashes are caught.
        var events = Capture(new CaptureCommand.CaptureRequest
        {
            CommandLine = [Path.Combine(Live, "w3wp.exe"), "-n", "2", .. command], Children = true, Out = Captures, Rules = [Rules],
            Timeout = 120, Format = "json", SymbolPath = php + ";" + Path.Combine(php, "ext"),
            // The extension at each stop: in this two-process session it must name the worker that raised the event.
            Commands = $".load {ExtensionSession.WineDll}; !fcgi -offline",
        }, out int exitCode);
        string all = string.Join("\n", events.Select(e => e.ToJsonString()));
        var crashes = events.Where(e => e["event"]!.GetValue<string>() == "crash").ToList();
        Assert.That(exitCode, Is.EqualTo(CaptureCommand.Captured));
        Assert.That(crashes, Has.Count.EqualTo(2), all);
        foreach (var crash in crashes)
        {
            AssertXdebugCrash(crash, expected);
            string report = crash["output"]!.GetValue<string>();
            Assert.That(report, Does.Contain("Processes in this session"), report);
            Assert.That(report, Does.Match(@"pid \d+ w3wp\.exe"));
            Assert.That(report, Does.Match($@"pid {crash["pid"]} php-cgi\.exe  \(FastCGI worker\)  <- raised the event"));
            Assert.That(report, Does.Contain("a live process stopped in the debugger"));
        }
        Assert.That(crashes.Select(c => c["pid"]!.GetValue<uint>()).Distinct().Count(), Is.EqualTo(2), "two workers, two pids");
        Assert.That(crashes.Select(c => c["dump"]!.GetValue<string>()).Distinct().Count(), Is.EqualTo(2), "each crash its own dump");
        // The session outlives the children: the parent's own end is seen, with the last worker's exit code passed on.
        var parentEnd = events.SingleOrDefault(e =>
            e["event"]!.GetValue<string>() == "exited" && e["process"]?.GetValue<string>() == "w3wp.exe");
        Assert.That(parentEnd, Is.Not.Null, all);
        Assert.That(parentEnd!["exitCode"]!.GetValue<uint>(), Is.EqualTo(0xC0000005u));
    }

    [Test]
    public void Name_attaches_to_a_worker_started_after_the_capture_began()
    {
        var expected = Load();
        int exitCode = -1;
        List<JsonObject> events = [];
        var capture = Task.Run(() => events = Capture(new CaptureCommand.CaptureRequest
        {
            Name = "php-cgi.exe", Out = Captures, Rules = [Rules], Timeout = 25, Format = "json",
        }, out exitCode));
        // The worker starts only once the capture's engine host runs (found by its --out folder).
        var started = Stopwatch.StartNew();
        while (!HostRunning() && !capture.IsCompleted && started.Elapsed < TimeSpan.FromSeconds(60)) Thread.Sleep(100);
        Assert.That(HostRunning(), Is.True, "the capture's engine host did not start");
        var (_, pid, log) = StartWaitingWorker();
        // --name keeps watching for the next worker until --timeout.
        Assert.That(capture.Wait(TimeSpan.FromSeconds(90)), Is.True, "the capture ends at --timeout");
        Assert.That(events.Last()["event"]!.GetValue<string>(), Is.EqualTo("timeout"));
        var crash = SingleCrash(events);
        Assert.That(exitCode, Is.EqualTo(CaptureCommand.Captured));
        Assert.That(crash["pid"]!.GetValue<uint>(), Is.EqualTo(pid));
        AssertXdebugCrash(crash, expected);
        Assert.That(File.ReadAllText(log), Does.Not.Contain("no debugger after"), "the worker waited for the attach");
    }

    // ------------------------------------------------------------------ helpers

    string Captures => Path.Combine(_dir, "captures");

    static Scenario Load() => Scenario.Load(Path.Combine(TestPaths.Scenarios, ScenarioName, "expected.yaml"));

    static void AssertXdebugCrash(JsonObject crash, Scenario expected)
    {
        Assert.That(crash["process"]!.GetValue<string>(), Is.EqualTo("php-cgi.exe"));
        Assert.That(crash["code"]!.GetValue<string>(), Is.EqualTo(expected.ExceptionCode));
        var verdict = crash["verdict"]!.AsObject();
        Assert.That(verdict["verdict"]!["owner"]!.GetValue<string>(), Is.EqualTo(expected.Owner));
        Assert.That(verdict["verdict"]!["owner_module"]!.GetValue<string>(), Is.EqualTo(expected.OwnerModule));
        Assert.That(verdict["exception"]!["class"]!.GetValue<string>(), Is.EqualTo(expected.ExceptionClass));
        string dump = crash["dump"]!.GetValue<string>();
        Assert.That(File.Exists(dump), Is.True, dump);
        Assert.That(new FileInfo(dump).Length, Is.GreaterThan(1_000_000), "a full dump (/ma), not a minidump");
    }

    static JsonObject SingleCrash(List<JsonObject> events)
    {
        var crashes = events.Where(e => e["event"]!.GetValue<string>() == "crash").ToList();
        Assert.That(crashes, Has.Count.EqualTo(1), string.Join("\n", events.Select(e => e.ToJsonString())));
        return crashes[0];
    }

    List<JsonObject> Capture(CaptureCommand.CaptureRequest request, out int exitCode)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var watch = Stopwatch.StartNew();
        exitCode = CaptureCommand.Run(request, stdout, stderr);
        TestContext.Out.WriteLine($"fcgi capture: exit {exitCode} after {watch.Elapsed.TotalSeconds:f1} s\n{stderr}");
        return stdout.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonNode.Parse(l)!.AsObject()).ToList();
    }

    /// <summary>The scenario's worker laid out as installed (TestDumps/live-layout.sh), with the wait module in its ext
    /// folder; returns the worker's command line with Linux paths.</summary>
    List<string> Layout()
    {
        string server = Path.Combine(_dir, "server");
        var psi = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(Path.Combine(TestPaths.TestDumps, "live-layout.sh"));
        psi.ArgumentList.Add(ScenarioName);
        psi.ArgumentList.Add(server);
        using var p = Process.Start(psi)!;
        var lines = p.StandardOutput.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        p.WaitForExit();
        Assert.That(p.ExitCode, Is.Zero, p.StandardError.ReadToEnd());
        Assert.That(lines[0], Is.EqualTo("-"), "the Xdebug scenario needs no environment");
        File.Copy(Path.Combine(Live, "php_wait_debugger.dll"), Path.Combine(server, "php", "ext", "php_wait_debugger.dll"));
        return lines[1].Split(' ').Select(WineRunner.FromWinePath).ToList();
    }

    /// <summary>Starts the worker under Wine, held at start-up by php_wait_debugger.dll, and returns it with its Windows
    /// process id (from the file the module writes: the Linux pid of `wine` is another number) and its log.</summary>
    (Process Worker, uint Pid, string Log) StartWaitingWorker()
    {
        var command = Layout();
        string pidFile = Path.Combine(_dir, "pid"), log = Path.Combine(_dir, "worker.log");
        // The wait module first: it holds the worker before Xdebug is loaded and the script runs.
        var args = new List<string> { command[0], "-d", "extension=php_wait_debugger.dll" };
        args.AddRange(command.Skip(1));
        // Wine output goes to a file: Wine's background services inherit pipes and would keep them open.
        var psi = new ProcessStartInfo("/bin/sh") { UseShellExecute = false, WorkingDirectory = Path.GetDirectoryName(command[0])! };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add("log=$1; shift; exec wine \"$@\" >\"$log\" 2>&1 </dev/null");
        psi.ArgumentList.Add("sh");
        psi.ArgumentList.Add(log);
        foreach (var a in args) psi.ArgumentList.Add(File.Exists(a) ? WineRunner.ToWinePath(a) : a);
        foreach (var (k, v) in TestPaths.Wine.WineEnvironment()) psi.Environment[k] = v;
        psi.Environment["TESTDUMP_PID_FILE"] = WineRunner.ToWinePath(pidFile);
        psi.Environment["TESTDUMP_WAIT_MS"] = "90000";
        var worker = Process.Start(psi) ?? throw new InvalidOperationException("cannot start wine");
        _workers.Add(worker);
        var watch = Stopwatch.StartNew();
        while (!File.Exists(pidFile) && !worker.HasExited && watch.Elapsed < TimeSpan.FromSeconds(60)) Thread.Sleep(50);
        string output = File.Exists(log) ? File.ReadAllText(log) : "";
        Assert.That(File.Exists(pidFile), Is.True, $"the worker wrote no pid file; its output:\n{output}");
        uint pid = uint.Parse(File.ReadAllText(pidFile).Trim(), System.Globalization.CultureInfo.InvariantCulture);
        TestContext.Out.WriteLine($"worker: Windows pid {pid}, Linux pid {worker.Id}, waiting after {watch.Elapsed.TotalSeconds:f1} s");
        return (worker, pid, log);
    }

    /// <summary>Whether this test's engine host runs: a Linux process whose command line names this test's --out folder.</summary>
    bool HostRunning()
    {
        string marker = WineRunner.ToWinePath(Captures);
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out _)) continue;
            try
            {
                string cmdline = File.ReadAllText(Path.Combine(dir, "cmdline")).Replace('\0', ' ');
                if (cmdline.Contains("fcgihost.exe", StringComparison.Ordinal) && cmdline.Contains(marker, StringComparison.Ordinal))
                    return true;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException) { /* the process ended meanwhile */ }
        }
        return false;
    }
}
