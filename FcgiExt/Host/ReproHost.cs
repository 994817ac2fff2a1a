using System.Runtime.Versioning;
using System.Text;
using FcgiExt.DbgEng;
using FcgiExt.FastCgi.Repro;

namespace FcgiExt.Host;

/// <summary>
/// `fcgihost repro`: the driver of `fcgi repro` for a Windows worker (php-cgi.exe). The driver's end of IIS's named pipe must
/// be a Windows process (under Wine a Linux pipe is no named pipe to the worker), so the CLI hands the run over here as JSON
/// (ReproRender.OptionsToJson) and reads the report back. Under --debug every worker is spawned suspended, attached to by one
/// engine (LiveCapture, fed each pid) before it runs, and its crash is dumped with the !fcgi verdict of that moment.
/// Exit codes: 0 no worker died unexpectedly, 1 one did, 2 usage or the worker could not be started.
/// </summary>
[SupportedOSPlatform("windows")]
public static class ReproHost
{
    public const string Usage =
        "usage: fcgihost repro --job <options.json> [--debug --out <dir> [--sympath <paths>] [--rules <file>]…]   (the report " +
        "as JSON on stdout)";

    public static int Run(string[] args, Stream stdout, TextWriter stderr)
    {
        string? job = null, outFolder = null, sympath = null, error = null;
        bool debug = false;
        var rules = new List<string>();
        for (int i = 0; i < args.Length && error is null; i++)
        {
            string? Value() => i + 1 < args.Length ? args[++i] : null;
            switch (args[i])
            {
                case "--job": job = Value(); break;
                case "--debug": debug = true; break;
                case "--out": outFolder = Value(); break;
                case "--sympath" or "-y": sympath = Value(); break;
                case "--rules": if (Value() is { } r) rules.Add(r); break;
                default: error = $"unknown option {args[i]}"; break;
            }
        }
        if (error is null && job is null) error = "--job <options.json> is needed";
        if (error is null && debug && outFolder is null) error = "--debug needs --out <dir> (the dumps go there)";
        if (error is not null)
        {
            stderr.WriteLine($"fcgihost repro: {error}");
            stderr.WriteLine(Usage);
            return 2;
        }
        ReproOptions options;
        try
        {
            options = ReproRender.OptionsFromJson(File.ReadAllText(job!));
        }
        catch (Exception e) when (e is IOException or System.Text.Json.JsonException or UnauthorizedAccessException)
        {
            stderr.WriteLine($"fcgihost repro: {job}: {e.Message.ReplaceLineEndings(" ")}");
            return 2;
        }
        using var debugger = debug ? new ReproDebugger(outFolder!, sympath, rules) : null;
        options = ReproDebugger.WindowsWorkers(options, debugger);
        ReproReport report;
        try
        {
            report = ReproDriver.RunAsync(options).GetAwaiter().GetResult();
        }
        catch (IOException e) when (e.Message.StartsWith("cannot start", StringComparison.Ordinal))
        {
            stderr.WriteLine($"fcgihost repro: {e.Message}");
            return 2;
        }
        if (debugger?.Failure is { } failure) stderr.WriteLine($"fcgihost repro: the debugger engine: {failure}");
        byte[] bytes = Encoding.UTF8.GetBytes(ReproRender.ToJson(report, RulesEngine.Reporting.BatchJsonReport.ToolVersion) + "\n");
        stdout.Write(bytes);
        stdout.Flush();
        return report.UnexpectedExits > 0 ? 1 : 0;
    }
}
