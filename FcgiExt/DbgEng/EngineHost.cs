using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using FcgiExt.DbgEng.Analysis;
using FcgiExt.RulesEngine.Catalog;
using FcgiExt.RulesEngine.Model;
using FcgiExt.RulesEngine.Rendering;

namespace FcgiExt.DbgEng;

/// <summary>One request of `fcgihost serve`: a JSON object on one line of standard input.</summary>
public sealed record ServeRequest
{
    public string Dump { get; init; } = "";
    /// <summary>Answer at once, with no dump: the client learns the engine is up (Wine and DebugCreate are slow the
    /// first time), so its per-dump timer starts only when a dump really starts.</summary>
    public bool Ping { get; set; }
    [JsonPropertyName("sympath")] public string? SymbolPath { get; init; }
    [JsonPropertyName("exepath")] public string? ImagePath { get; init; }
    /// <summary>Commands to run (as after cdb -c); their output comes back in "output".</summary>
    public string? Commands { get; init; }
    /// <summary>The commands' output keeps DML markup (links as &lt;exec&gt; tags), as WinDbg's window receives it.</summary>
    public bool Dml { get; set; }
    /// <summary>Fill the crash model ("report"); on by default. A setter, not init: the source-generated reader
    /// would otherwise pass false for a missing member instead of keeping the default.</summary>
    public bool Collect { get; set; } = true;
    /// <summary>`.reload /f` before collecting, so every module has its real symbol status.</summary>
    public bool LoadAllSymbols { get; set; } = true;
    /// <summary>Run the !fcgi procedure (symbols, collect, triage) and answer its JSON contract in "verdict": the batch
    /// (`fcgi triage`) uses this, so a dump's verdict is the one `!fcgi -json` gives.</summary>
    public bool Triage { get; set; }
    /// <summary>With Triage: never add Microsoft's symbol server (as `!fcgi -offline`).</summary>
    public bool Offline { get; set; }
    /// <summary>With Triage: site catalogs layered over the built-in one (as FCGIEXT_RULES for the extension).</summary>
    public List<string>? Rules { get; set; }
}

/// <summary>One answer line of `fcgihost serve`: the report and/or the command output, or the one-line error.</summary>
public sealed record ServeResponse
{
    public string Dump { get; init; } = "";
    public string? Error { get; init; }
    public string? Output { get; init; }
    public CrashReport? Report { get; init; }
    /// <summary>The !fcgi -json contract, as JSON text, when the request asked for Triage.</summary>
    public string? Verdict { get; init; }
    public double Seconds { get; init; }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, UseStringEnumConverter = true,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull, WriteIndented = false)]
[JsonSerializable(typeof(CrashReport))]
[JsonSerializable(typeof(ServeRequest))]
[JsonSerializable(typeof(ServeResponse))]
[JsonSerializable(typeof(LiveEvent))]
public sealed partial class HostJson : JsonSerializerContext
{
}

/// <summary>The engine host's commands, shared by fcgihost.exe (run under Wine on Linux) and by `fcgi engine` on
/// Windows (in process):
///   engine  &lt;dump&gt; [--sympath p] [--exepath p] -c "cmds"   the engine's output, like cdb -z &lt;dump&gt; -c "cmds"
///   collect &lt;dump&gt; [--sympath p] [--exepath p] [--no-reload] the crash model as JSON
///   serve                                               one JSON request per stdin line, one JSON answer line each
/// Exit codes: 0 done, 1 the dump could not be opened or the engine failed, 2 usage.</summary>
public static class EngineHost
{
    public const string Usage =
        "usage: fcgihost engine <dump> [--sympath <paths>] [--exepath <paths>] -c \"<commands>\"\n" +
        "       fcgihost collect <dump> [--sympath <paths>] [--exepath <paths>] [--no-reload]\n" +
        "       fcgihost serve      (one JSON request per line on stdin: " +
        "{\"dump\":…,\"sympath\":…,\"exepath\":…,\"commands\":…,\"collect\":true};\n" +
        "                   {\"ping\":true} is answered at once, once the engine is up)\n" +
        "       fcgihost capture (--pid N | --name <exe> | -- <command line>) --out <dir> [--children] [--first-chance] [--exits]\n" +
        "                        [--timeout S] [--sympath p] [--rules <file>]… [-c \"<commands at each stop>\"]   (one JSON event " +
        "per line)";

    sealed record Arguments(string Mode, string Dump, SessionOptions Session, string? Commands, bool Reload);

    public static int Run(string[] args, Stream stdout, TextWriter stderr, TextReader stdin, string? engineFolder = null)
    {
        if (args.Length == 1 && args[0] is "--version" or "version")
        {
            Write(stdout, RulesEngine.ProductInfo.Version + "\n");
            stdout.Flush();
            return 0;
        }
        if (args.Length >= 1 && args[0] is "serve" or "--serve")
            return Serve(stdin, stdout, stderr, engineFolder);
        if (args.Length >= 1 && args[0] == "capture")
            return Capture(args[1..], stdout, stderr, engineFolder);
        if (Parse(args, out var error) is not { } a)
        {
            stderr.WriteLine($"fcgihost: {error}");
            stderr.WriteLine(Usage);
            return 2;
        }
        // Check the file before starting the engine: a bad file costs nothing and says what is wrong with it.
        if (DumpFile.Problem(a.Dump) is { } problem) { stderr.WriteLine($"fcgihost: {problem}"); return 1; }
        try
        {
            using var engine = DebugEngine.Create(engineFolder);
            if (a.Mode == "engine")
            {
                engine.SetOutput((_, text) => Write(stdout, text));
                engine.Open(a.Dump, a.Session);
                int hr = engine.Execute(a.Commands!, echo: true);
                engine.EndSession();
                stdout.Flush();
                if (hr < 0) { stderr.WriteLine($"fcgihost: {a.Dump}: the engine failed the commands: {Hresult.Describe(hr)}"); return 1; }
                return 0;
            }
            engine.SetOutput(null);   // collect: the report is the output; the engine's chatter is not
            engine.Open(a.Dump, a.Session);
            var report = new Collector(engine.Interfaces, new CollectorOptions { LoadAllSymbols = a.Reload }).Collect(a.Dump);
            engine.EndSession();
            Write(stdout, JsonSerializer.Serialize(report, HostJson.Default.CrashReport) + "\n");
            stdout.Flush();
            return 0;
        }
        catch (Exception e)
        {
            stdout.Flush();
            stderr.WriteLine($"fcgihost: {OneLine(e, a.Dump)}");
            return 1;
        }
    }

    static Arguments? Parse(string[] args, out string error)
    {
        error = "";
        if (args.Length == 0 || args[0] is not ("engine" or "collect"))
        {
            error = "missing command (engine, collect or serve)";
            return null;
        }
        string mode = args[0];
        string? dump = null, sympath = null, exepath = null, commands = null;
        bool reload = true;
        for (int i = 1; i < args.Length; i++)
        {
            string arg = args[i];
            string? Value() => i + 1 < args.Length ? args[++i] : null;
            switch (arg)
            {
                case "--sympath" or "-y": sympath = Value() ?? Fail(ref error, $"{arg} needs a value"); break;
                case "--exepath" or "-i": exepath = Value() ?? Fail(ref error, $"{arg} needs a value"); break;
                case "-c": commands = Value() ?? Fail(ref error, "-c needs the commands"); break;
                case "--no-reload": reload = false; break;
                default:
                    if (arg.StartsWith('-') && arg.Length > 1) { error = $"unknown option {arg}"; return null; }
                    if (dump is not null) { error = $"one dump only ({dump}, then {arg})"; return null; }
                    dump = arg;
                    break;
            }
            if (error.Length > 0) return null;
        }
        if (dump is null) { error = "missing the dump file"; return null; }
        if (mode == "engine" && string.IsNullOrEmpty(commands)) { error = "engine needs -c \"<commands>\""; return null; }
        return new Arguments(mode, dump, new SessionOptions { SymbolPath = sympath, ImagePath = exepath }, commands, reload);
    }

    static string? Fail(ref string error, string message) { error = message; return null; }

    /// <summary>capture: the live loop (LiveCapture), one JSON line per event. Exit codes: 0 nothing captured, 1 crashes
    /// or exits captured (or the engine failed), 2 usage.</summary>
    static int Capture(string[] args, Stream stdout, TextWriter stderr, string? engineFolder)
    {
        uint? pid = null;
        string? name = null;
        string? command = null, outFolder = null, sympath = null, stopCommands = null;
        bool children = false, firstChance = false, exits = false;
        double? timeout = null;
        var rules = new List<string>();
        string? error = null;
        for (int i = 0; i < args.Length && error is null; i++)
        {
            string? Value() => i + 1 < args.Length ? args[++i] : null;
            switch (args[i])
            {
                case "--": command = string.Join(' ', args[(i + 1)..].Select(Quote)); i = args.Length; break;
                case "--pid":
                    pid = uint.TryParse(Value(), out var p) ? p : null; if (pid is null) error = "--pid needs a process id"; break;
                case "--name": name = Value(); if (string.IsNullOrWhiteSpace(name)) error = "--name needs an image name"; break;
                case "--out": outFolder = Value(); break;
                case "-c": stopCommands = Value(); break;
                case "--sympath" or "-y": sympath = Value(); break;
                case "--rules": if (Value() is { } r) rules.Add(r); break;
                case "--children": children = true; break;
                case "--first-chance": firstChance = true; break;
                case "--exits": exits = true; break;
                case "--timeout":
                    timeout = double.TryParse(Value(), System.Globalization.CultureInfo.InvariantCulture, out var t) && t > 0 ? t : null;
                    if (timeout is null) error = "--timeout needs a number of seconds";
                    break;
                default: error = $"unknown option {args[i]}"; break;
            }
        }
        if (error is null && (pid is null ? 0 : 1) + (name is null ? 0 : 1) + (string.IsNullOrWhiteSpace(command) ? 0 : 1) != 1)
            error = "give one of --pid N, --name <exe> or -- <command line>";
        if (error is null && outFolder is null) error = "--out <dir> is needed (the dumps go there)";
        if (error is not null)
        {
            stderr.WriteLine($"fcgihost: {error}");
            stderr.WriteLine(Usage);
            return 2;
        }
        try
        {
            Directory.CreateDirectory(outFolder!);
            var catalog = new CatalogCache().For(rules);
            using var engine = DebugEngine.Create(engineFolder);
            // FCGIEXT_TRACE=1 shows the engine's own output on stderr (what a cdb session would print).
            engine.SetOutput(Environment.GetEnvironmentVariable("FCGIEXT_TRACE") == "1" ? (_, text) => stderr.Write(text) : null);
            if (sympath is not null) Hresult.Check(engine.Interfaces.Symbols.SetSymbolPathWide(sympath), "SetSymbolPathWide");
            if (sympath is not null) Hresult.Check(engine.Interfaces.Symbols.SetImagePathWide(sympath), "SetImagePathWide");
            var capture = new LiveCapture(engine, new LiveOptions
            {
                OutFolder = Path.GetFullPath(outFolder!), FirstChance = firstChance, Exits = exits, StopCommands = stopCommands,
                Timeout = timeout is { } s ? TimeSpan.FromSeconds(s) : null,
            }, e =>
            {
                Write(stdout, JsonSerializer.Serialize(e, HostJson.Default.LiveEvent) + "\n");
                stdout.Flush();
            });
            capture.Run(new LiveTarget { CommandLine = command, ProcessId = pid, ProcessName = name, Children = children }, catalog);
            try { engine.EndSession(); } catch { /* the target is gone already */ }
            return capture.Captures > 0 ? 1 : 0;
        }
        catch (Exception e)
        {
            Write(stdout, JsonSerializer.Serialize(new LiveEvent { Event = "error", Error = OneLine(e, null) },
                HostJson.Default.LiveEvent) + "\n");
            stdout.Flush();
            stderr.WriteLine($"fcgihost: {OneLine(e, null)}");
            // A target that cannot be started or attached to is the user's to fix (a wrong pid or path): a usage error.
            return e is DbgEngException { Call: "AttachProcess" or "CreateProcessWide" } ? 2 : 1;
        }
    }

    /// <summary>An argument as part of a Windows command line (quoted when it has spaces).</summary>
    static string Quote(string arg) =>
        arg.Length > 0 && !arg.Any(c => c is ' ' or '\t' or '"') ? arg : "\"" + arg.Replace("\"", "\\\"") + "\"";

    /// <summary>serve: one engine (one DebugCreate) for every request; EndSession between dumps. A failing dump is an
    /// answer with "error"; only a broken engine (DebugCreate) or closed stdin ends the loop.</summary>
    static int Serve(TextReader stdin, Stream stdout, TextWriter stderr, string? engineFolder) =>
        Serve(stdin, stdout, stderr, () => new DbgEngHostEngine(DebugEngine.Create(engineFolder)));

    /// <summary>The serve loop over any engine (tests give it a fake one, so the host's answer can be compared with
    /// the other front ends').</summary>
    public static int Serve(TextReader stdin, Stream stdout, TextWriter stderr, Func<IHostEngine> createEngine)
    {
        IHostEngine engine;
        try { engine = createEngine(); }
        catch (Exception e) { stderr.WriteLine($"fcgihost: {OneLine(e, null)}"); return 1; }
        using (engine)
        {
            var output = new CapturedOutput();
            var catalogs = new CatalogCache();
            engine.SetOutput(null);
            string? line;
            while ((line = stdin.ReadLine()) is not null)
            {
                if (line.Trim().Length == 0) continue;
                var watch = Stopwatch.StartNew();
                ServeResponse response;
                ServeRequest? request = null;
                try
                {
                    request = JsonSerializer.Deserialize(line, HostJson.Default.ServeRequest);
                    if (request is { Ping: true })
                    {
                        Write(stdout, JsonSerializer.Serialize(new ServeResponse(), HostJson.Default.ServeResponse) + "\n");
                        stdout.Flush();
                        continue;
                    }
                    if (request is null || string.IsNullOrWhiteSpace(request.Dump)) throw new FormatException("request without \"dump\"");
                    engine.SetOutput(null);
                    engine.Open(request.Dump, new SessionOptions { SymbolPath = request.SymbolPath, ImagePath = request.ImagePath });
                    string? text = null;
                    if (!string.IsNullOrEmpty(request.Commands))
                    {
                        output.Take();
                        engine.SetOutput(output.Append);
                        if (request.Dml) engine.SetDmlOutput(true);
                        try { engine.Execute(request.Commands, echo: true); }
                        finally
                        {
                            if (request.Dml) engine.SetDmlOutput(false);
                            engine.SetOutput(null);
                        }
                        text = output.Take();
                    }
                    string? verdict = null;
                    CrashReport? report = null;
                    if (request.Triage)
                    {
                        var catalog = catalogs.For(request.Rules);
                        var run = FcgiProcedure.Run(engine.Interfaces, catalog, new FcgiOptions { Offline = request.Offline });
                        verdict = JsonRenderer.Render(run.Result, indented: false);
                    }
                    else if (request.Collect)
                        report = new Collector(engine.Interfaces, new CollectorOptions { LoadAllSymbols = request.LoadAllSymbols })
                            .Collect(request.Dump);
                    response = new ServeResponse { Dump = request.Dump, Output = text, Report = report, Verdict = verdict };
                }
                catch (Exception e)
                {
                    response = new ServeResponse { Dump = request?.Dump ?? "", Error = OneLine(e, request?.Dump) };
                }
                finally
                {
                    engine.SetOutput(null);
                    try { engine.EndSession(); } catch { /* the next Open starts clean or reports its own error */ }
                }
                response = response with { Seconds = Math.Round(watch.Elapsed.TotalSeconds, 3) };
                Write(stdout, JsonSerializer.Serialize(response, HostJson.Default.ServeResponse) + "\n");
                stdout.Flush();
            }
        }
        return 0;
    }

    /// <summary>One loaded catalog per set of site catalog paths, kept for the life of the server.</summary>
    public sealed class CatalogCache
    {
        readonly Dictionary<string, RuleCatalog> _byPaths = new(StringComparer.Ordinal);

        public RuleCatalog For(List<string>? paths)
        {
            var key = string.Join('\n', paths ?? []);
            if (_byPaths.TryGetValue(key, out var catalog)) return catalog;
            // The front end already ordered the layers (CatalogLayers.Plan); the host layers them as given, nothing more.
            catalog = CatalogLayers.Load((paths ?? []).Select(p => new CatalogLayer(p, CatalogLayerSource.Given)).ToList());
            var errors = catalog.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
            if (errors.Count > 0) throw new CatalogException(errors);
            return _byPaths[key] = catalog;
        }
    }

    /// <summary>A one-line error: DbgEngException messages already name the file; others get it prefixed.</summary>
    static string OneLine(Exception e, string? dump)
    {
        string message = (e.Message ?? e.GetType().Name).ReplaceLineEndings(" ").Trim();
        if (e is JsonException) message = $"bad request: {message}";
        return dump is null || message.Contains(dump, StringComparison.OrdinalIgnoreCase) ? message : $"{dump}: {message}";
    }

    static void Write(Stream stdout, string text)
    {
        // Raw bytes: no console encoding or CRLF translation (Wine's console CRT would add CRs).
        byte[] bytes = Encoding.UTF8.GetBytes(text);
        stdout.Write(bytes, 0, bytes.Length);
    }
}

/// <summary>What the serve loop needs of an engine: one session at a time, its interfaces, its output.</summary>
public interface IHostEngine : IDisposable
{
    EngineInterfaces Interfaces { get; }
    void Open(string dumpPath, SessionOptions options);
    void SetOutput(Action<uint, string>? output);
    int Execute(string commands, bool echo = false);
    void EndSession();
    /// <summary>DML as it is (true) or the engine's plain text (false) for what Execute prints; engines without DML
    /// keep plain text.</summary>
    void SetDmlOutput(bool dml) { }
}

/// <summary>The real engine (dbgeng.dll's DebugCreate) behind <see cref="IHostEngine"/>.</summary>
sealed class DbgEngHostEngine(DebugEngine engine) : IHostEngine
{
    public EngineInterfaces Interfaces => engine.Interfaces;
    public void Open(string dumpPath, SessionOptions options) => engine.Open(dumpPath, options);
    public void SetOutput(Action<uint, string>? output) => engine.SetOutput(output);
    public int Execute(string commands, bool echo = false) => engine.Execute(commands, echo);
    public void EndSession() => engine.EndSession();
    public void SetDmlOutput(bool dml) => engine.SetDmlOutput(dml);
    public void Dispose() => engine.Dispose();
}
