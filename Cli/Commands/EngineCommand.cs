using System.CommandLine;
using FcgiExt.Cli.Engine;
using FcgiExt.DbgEng;

namespace FcgiExt.Cli.Commands;

/// <summary>`fcgi engine &lt;dump&gt; [--sympath p] [--exepath p] -c "cmds"`: an engine session like `cdb -z dump -c cmds`.
/// On Windows dbgeng runs in this process; on Linux the win-x64 host runs under Wine (WineRunner).</summary>
public static class EngineCommand
{
    public static Command Create()
    {
        var dump = new Argument<string>("dump") { Description = "The dump file (.dmp, .mdmp)" };
        var sympath = new Option<string>("--sympath", "-y")
        {
            Description = "Symbol path (';'-separated folders or srv*cache*url), paths of this machine",
        };
        var exepath = new Option<string>("--exepath", "-i")
        {
            Description = "Image path; default: the symbol path (minidumps hold no images, x64 unwinding needs them)",
        };
        var commands = new Option<string>("--commands", "-c")
        {
            Description = "Debugger commands, as typed at the cdb prompt (e.g. \".ecxr; kn; lml\")",
            Required = true,
        };
        var timeout = new Option<int>("--timeout")
        {
            Description = "Seconds before the session is abandoned",
            DefaultValueFactory = _ => 300,
        };
        var command = new Command("engine", "Run debugger commands on a dump in Microsoft's engine (dbgeng), like cdb -z <dump> -c " +
            "\"<commands>\"")
        {
            dump, sympath, exepath, commands, timeout,
        };
        command.SetAction(parseResult => Run(parseResult.GetValue(dump)!, parseResult.GetValue(sympath),
            parseResult.GetValue(exepath), parseResult.GetValue(commands)!, parseResult.GetValue(timeout)));
        return command;
    }

    static int Run(string dump, string? sympath, string? exepath, string commands, int timeoutSeconds)
    {
        // A bad file gets its one-line error here, before Wine or the engine start; a path that does not exist is a
        // usage error (exit 2), a file that is no dump one the engine could not open (exit 1).
        if (DumpFile.Problem(dump) is { } problem)
        {
            Console.Error.WriteLine($"fcgi engine: {problem}");
            if (File.Exists(dump) || Directory.Exists(dump)) return 1;
            Usage.Write(Console.Error, "engine");
            return 2;
        }
        if (OperatingSystem.IsWindows())
        {
            var args = new List<string> { "engine", Path.GetFullPath(dump) };
            if (!string.IsNullOrEmpty(sympath)) { args.Add("--sympath"); args.Add(sympath); }
            if (!string.IsNullOrEmpty(exepath)) { args.Add("--exepath"); args.Add(exepath); }
            args.Add("-c");
            args.Add(commands);
            using var stdout = Console.OpenStandardOutput();
            return EngineHost.Run([.. args], stdout, Console.Error, TextReader.Null);
        }
        HostRun run;
        try
        {
            var wine = new WineRunner { Progress = message => Console.Error.WriteLine($"fcgi engine: {message}") };
            run = wine.Engine(dump, sympath, exepath, commands, TimeSpan.FromSeconds(timeoutSeconds));
        }
        catch (Exception e) when (e is InvalidOperationException or PlatformNotSupportedException)
        {
            Console.Error.WriteLine($"fcgi engine: {e.Message}");
            return 2;
        }
        // The host wrote LF-only UTF-8; Console.Out on Linux adds no CR.
        Console.Out.Write(run.Stdout);
        Console.Out.Flush();
        if (run.TimedOut)
        {
            Console.Error.WriteLine($"fcgi engine: {dump}: no answer within {timeoutSeconds} s, session abandoned");
            return 1;
        }
        // The host's errors already name the file; pass them through as they are.
        // The host names the file by its Wine path: name it as the user typed it.
        string winePath = WineRunner.ToWinePath(dump);
        foreach (var line in run.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            string text = line.TrimEnd('\r').Replace(winePath, dump, StringComparison.OrdinalIgnoreCase);
            Console.Error.WriteLine(text.StartsWith("fcgihost: ", StringComparison.Ordinal)
                ? "fcgi engine: " + text["fcgihost: ".Length..] : text);
        }
        return run.ExitCode;
    }
}
