namespace FcgiExt.IisConfig;

/// <summary>Where php-cgi looks for its php.ini on the server (found by PHPRC or beside php-cgi), and the copy the checks
/// read: the --php-ini file when <paramref name="Given"/>, else that path when readable here, else null.</summary>
public sealed record PhpIniChoice(string? ServerPath, string How, PhpIni? Ini, bool Given = false);

/// <summary>What the checks may look at besides the configuration: files beside php-cgi.exe, and php.ini files.</summary>
public interface IFileProbe
{
    bool Exists(string path);
}

public sealed class DiskProbe : IFileProbe
{
    public static readonly DiskProbe Instance = new();
    public bool Exists(string path)
    {
        try { return File.Exists(path); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return false; }
    }
}

/// <summary>The `fcgi iis check` rules: IIS's FastCGI settings against each other and against the php.ini in use.</summary>
public static class IisChecker
{
    const string McDocsApp = "https://learn.microsoft.com/iis/configuration/system.webserver/fastcgi/application/";
    const string PhpOnIis = "https://learn.microsoft.com/iis/application-frameworks/install-and-configure-php-on-iis/" +
                            "using-fastcgi-to-host-php-applications-on-iis";
    const string CgiMain = "php/php-src:sapi/cgi/cgi_main.c";

    public static readonly IisRule RecycleRace = new("recycle-race", "IIS expects more requests than php-cgi serves",
        "https://blogs.iis.net/rickjames/fastcgi-debugging-quot-the-fastcgi-process-exited-unexpectedly-quot");
    public static readonly IisRule MaxRequestsInvalid = new("php-max-requests-invalid",
        "PHP_FCGI_MAX_REQUESTS that php-cgi refuses", CgiMain);
    public static readonly IisRule RapidFail = new("rapid-fail-protection", "What Rapid Failure Protection does when workers die",
        "https://iis-blogs.azurewebsites.net/rickjames/fastcgi-rapid-failure-protection");
    public static readonly IisRule RequestTimeout = new("request-timeout-below-max-execution-time",
        "IIS's requestTimeout ends scripts PHP still allows", McDocsApp);
    public static readonly IisRule ActivityTimeout = new("activity-timeout-below-max-execution-time",
        "IIS's activityTimeout ends quiet scripts PHP still allows", McDocsApp);
    public static readonly IisRule Unlimited = new("max-execution-time-unlimited",
        "PHP never stops a script, IIS does", "https://www.php.net/manual/en/info.configuration.php#ini.max-execution-time");
    public static readonly IisRule StderrLogging = new("stderr-with-fastcgi-logging",
        "PHP log messages reach IIS as FastCGI stderr", PhpOnIis);
    public static readonly IisRule MonitorChanges = new("monitor-changes-to",
        "monitorChangesTo does not watch the php.ini in use", McDocsApp);
    public static readonly IisRule HandlerWithoutApp = new("handler-without-application",
        "A FastCGI handler names no fastCgi application", McDocsApp);
    public static readonly IisRule Children = new("php-fcgi-children",
        "PHP_FCGI_CHILDREN set under IIS", CgiMain);
    public static readonly IisRule ThreadSafe = new("thread-safe-build",
        "A thread-safe PHP build under FastCGI", PhpOnIis);
    public static readonly IisRule MaxInstances = new("max-instances",
        "maxInstances caps the requests served at once", McDocsApp);
    public static readonly IisRule QueueLength = new("queue-length",
        "A short request queue", McDocsApp);
    public static readonly IisRule Protocol = new("protocol",
        "The TCP transport", "php/php-src:main/fastcgi.c");
    public static readonly IisRule NoPhpIni = new("php-ini-not-found",
        "No php.ini to check against", "https://www.php.net/manual/en/configuration.file.php");

    /// <summary>Every rule, in the order findings are reported; docs/iis-check.md has a section for each id.</summary>
    public static readonly IReadOnlyList<IisRule> Rules =
    [
        HandlerWithoutApp, RecycleRace, MaxRequestsInvalid, StderrLogging, RequestTimeout, ActivityTimeout, Unlimited,
        Children, ThreadSafe, MonitorChanges, RapidFail, MaxInstances, QueueLength, Protocol, NoPhpIni,
    ];

    /// <summary>php-cgi's own limit when PHP_FCGI_MAX_REQUESTS is not set (cgi_main.c: max_requests = 500).</summary>
    public const long PhpDefaultMaxRequests = 500;
    /// <summary>PHP's built-in max_execution_time when php.ini does not set it (main/main.c).</summary>
    public const long PhpDefaultMaxExecutionTime = 30;

    /// <summary>The php.ini for a PHP pool: <paramref name="given"/> (--php-ini), else PHPRC's, else the one beside
    /// php-cgi.exe, read only when this machine can read it.</summary>
    /// <exception cref="ConfigFileException">The chosen php.ini is malformed (or the given one unreadable).</exception>
    public static PhpIniChoice ChoosePhpIni(FastCgiApplication app, string? given, IFileProbe probe)
    {
        string? serverPath = null;
        string how;
        if (app.Environment("PHPRC") is { Value.Length: > 0 } rc)
        {
            serverPath = rc.Value.Trim().EndsWith(".ini", StringComparison.OrdinalIgnoreCase) ? rc.Value.Trim()
                : WindowsPath.Join(rc.Value.Trim(), "php.ini");
            how = "PHPRC";
        }
        else
        {
            serverPath = WindowsPath.DirectoryOf(app.FullPath) is { } dir ? WindowsPath.Join(dir, "php.ini") : null;
            how = "beside php-cgi";
        }
        if (given is not null) return new PhpIniChoice(serverPath, how, PhpIni.Load(given), Given: true);
        if (serverPath is not null && probe.Exists(serverPath)) return new PhpIniChoice(serverPath, how, PhpIni.Load(serverPath));
        return new PhpIniChoice(serverPath, how, null);
    }

    public static IReadOnlyList<Finding> Check(IisConfiguration config, Func<FastCgiApplication, PhpIniChoice> ini, IFileProbe probe)
    {
        var findings = new List<Finding>();
        foreach (var h in config.Handlers.Where(h => h.IsFastCgi))
            if (CheckHandler(h, config.Applications) is { } f) findings.Add(f);
        foreach (var app in config.Applications)
        {
            var own = new List<Finding>();
            if (app.IsPhp)
            {
                var choice = ini(app);
                own.AddRange(CheckMaxRequests(app));
                if (choice.Ini is { } php)
                {
                    own.AddRange(CheckStderr(app, php));
                    own.AddRange(CheckTimeouts(app, php));
                }
                own.AddRange(CheckChildren(app));
                own.AddRange(CheckThreadSafe(app, probe));
                own.AddRange(CheckMonitor(app, choice));
                if (choice.Ini is null)
                    own.Add(new Finding { Rule = NoPhpIni, Severity = Severity.Info, Location = app.Location, Application = app.Key,
                        Message = $"The checks against php.ini were skipped for {app.FullPath}: php-cgi reads " +
                                  $"{choice.ServerPath ?? "a php.ini"} ({choice.How}), which cannot be read here. " +
                                  "Pass a copy of it with --php-ini." });
            }
            own.Add(CheckRapidFail(app, own));
            own.AddRange(CheckPool(app));
            findings.AddRange(own);
        }
        var order = Rules.Select((r, i) => (r.Id, i)).ToDictionary(p => p.Id, p => p.i);
        return findings.OrderBy(f => order[f.Id]).ToList();
    }

    static Finding? CheckHandler(HandlerMapping h, IReadOnlyList<FastCgiApplication> apps)
    {
        string sp = h.ScriptProcessor?.Trim() ?? "";
        int bar = sp.IndexOf('|');
        string path = bar < 0 ? sp : sp[..bar], args = bar < 0 ? "" : sp[(bar + 1)..];
        if (path.Length > 0 && apps.Any(a => WindowsPath.Same(a.FullPath, path) && a.Arguments == args)) return null;
        var samePath = apps.Where(a => WindowsPath.Same(a.FullPath, path)).ToList();
        // The one pool it most likely meant: the same executable with other arguments, else the only pool there is.
        var meant = samePath.Count == 1 ? samePath[0] : samePath.Count == 0 && apps.Count == 1 ? apps[0] : null;
        bool inWebConfig = h.Location.File.EndsWith("web.config", StringComparison.OrdinalIgnoreCase);
        string where = h.LocationPath.Length > 0 ? h.LocationPath : inWebConfig ? "<site name>/<application path>" : "";
        // A <location> of applicationHost.config is changed there only with /commit:apphost (appcmd would write a web.config).
        bool commitAppHost = h.LocationPath.Length > 0 && !inWebConfig;
        string why = sp.Length == 0 ? "has no scriptProcessor"
            : samePath.Count > 0 ? $"sends requests to \"{sp}\", but the fastCgi application for {path} has other arguments " +
                                   $"(\"{samePath[0].Arguments}\"); fullPath|arguments must match exactly"
            : $"sends requests to \"{sp}\", but no fastCgi application has that fullPath";
        var fix = new List<string>();
        if (meant is not null) fix.Add(Appcmd.SetScriptProcessor(where, h.Name, meant.Key) + (commitAppHost ? " /commit:apphost" : ""));
        if (path.Length > 0) fix.Add(Appcmd.AddApplication(path, args));
        return new Finding
        {
            Rule = HandlerWithoutApp, Severity = Severity.Error, Location = h.Location,
            Message = $"The handler \"{h.Name}\" for {h.Path} {why}. IIS cannot start a process for it, so every such request " +
                      "fails. " + (meant is null ? "Add the pool it names."
                          : $"Point it at the pool \"{meant.Key}\"" + (path.Length > 0 ? ", or add the pool it names." : "."))
                      + (where.StartsWith('<') ? " (the mapping is in a web.config: put the site and application in the command)" : ""),
            Fix = fix,
        };
    }

    static IEnumerable<Finding> CheckMaxRequests(FastCgiApplication app)
    {
        var env = app.Environment("PHP_FCGI_MAX_REQUESTS");
        long php = env is null ? PhpDefaultMaxRequests : PhpIni.Atoi(env.Value);
        long iis = app.InstanceMaxRequests ?? FastCgiApplication.DefaultInstanceMaxRequests;
        if (php < 0)
        {
            yield return new Finding
            {
                Rule = MaxRequestsInvalid, Severity = Severity.Error, Location = env!.Location, Application = app.Key,
                Message = $"PHP_FCGI_MAX_REQUESTS={env.Value} is negative: php-cgi refuses to start with it (it prints " +
                          "\"PHP_FCGI_MAX_REQUESTS is not valid\" and exits), so every process IIS starts fails at once. " +
                          $"Set it to the same value as instanceMaxRequests ({iis}).",
                Fix = [Appcmd.SetEnvironment(app, "PHP_FCGI_MAX_REQUESTS", iis.ToString())],
            };
            yield break;
        }
        // 0 (or text, which atoi reads as 0) means php-cgi never ends itself: IIS alone recycles, no race.
        if (php == 0 || iis <= php) yield break;
        string iisSaid = app.InstanceMaxRequests is null ? $"instanceMaxRequests is not set, IIS's default is {iis}"
            : $"instanceMaxRequests={iis}";
        string phpSaid = env is null ? $"PHP_FCGI_MAX_REQUESTS is not set, php-cgi's default is {php}"
            : $"PHP_FCGI_MAX_REQUESTS={env.Value}";
        yield return new Finding
        {
            Rule = RecycleRace, Severity = Severity.Error, Application = app.Key,
            Location = app.InstanceMaxRequests is null && env is not null ? env.Location : app.Where("instanceMaxRequests"),
            Message = $"IIS sends up to {iis} requests to each {WindowsPath.FileName(app.FullPath)} ({iisSaid}), but php-cgi " +
                      $"ends itself after {php} ({phpSaid}). A request that arrives between php-cgi's exit and IIS noticing it " +
                      "fails with \"The FastCGI process exited unexpectedly\", most often on a busy server. Set " +
                      $"instanceMaxRequests to {php} or less, or PHP_FCGI_MAX_REQUESTS to {iis} or more.",
            Fix = [Appcmd.Set(app, "instanceMaxRequests", php.ToString()),
                   Appcmd.SetEnvironment(app, "PHP_FCGI_MAX_REQUESTS", iis.ToString())],
        };
    }


    static IEnumerable<Finding> CheckStderr(FastCgiApplication app, PhpIni php)
    {
        var logging = php.Get("fastcgi.logging");
        if (logging is not null && !PhpIni.IsTrue(logging.Value!)) yield break;
        // The reader has made it one of the schema's names.
        string mode = app.StderrMode ?? "ReturnStdErrIn500";
        bool terminate = mode == "TerminateProcess";
        if (mode == "IgnoreAndReturn200") yield break;
        string said = logging is null ? "fastcgi.logging is not set in php.ini, and PHP's default is 1"
            : $"fastcgi.logging = {logging.Value}";
        string mine = app.StderrMode is null ? "stderrMode is not set, IIS's default is ReturnStdErrIn500"
            : $"stderrMode={app.StderrMode}";
        yield return new Finding
        {
            Rule = StderrLogging, Severity = terminate ? Severity.Error : Severity.Warning, Application = app.Key,
            Location = logging?.Location ?? new SourceLocation(php.File, 1, 1),
            Message = $"{said}: every notice, warning or deprecation PHP logs during a request is sent to IIS as FastCGI " +
                      $"stderr, and {mine}: " + (terminate
                          ? "IIS kills php-cgi on the first such message, an unexpected exit that counts towards Rapid Failure Protection."
                          : "IIS answers the whole page with a 500 instead of the page.") +
                      " Set fastcgi.logging = 0 in php.ini (PHP then logs to error_log only), as Microsoft's PHP-on-IIS guide advises.",
            Fix = ["fastcgi.logging = 0"],
        };
    }

    static IEnumerable<Finding> CheckTimeouts(FastCgiApplication app, PhpIni php)
    {
        var entry = php.Get("max_execution_time");
        long met = entry is null ? PhpDefaultMaxExecutionTime : PhpIni.Atoi(entry.Value!);
        long request = app.RequestTimeout ?? FastCgiApplication.DefaultRequestTimeout;
        long activity = app.ActivityTimeout ?? FastCgiApplication.DefaultActivityTimeout;
        var at = entry?.Location ?? app.Where("requestTimeout");
        string said = entry is null ? $"max_execution_time is not set, PHP's default is {met}" : $"max_execution_time = {entry.Value}";
        if (met <= 0)
        {
            yield return new Finding
            {
                Rule = Unlimited, Severity = Severity.Warning, Location = at, Application = app.Key,
                Message = $"PHP never stops a script ({said}), so IIS does: after requestTimeout ({request} s) or activityTimeout " +
                          $"({activity} s without output) IIS kills php-cgi in the middle of the request, and the user gets an IIS " +
                          "500 instead of PHP's \"Maximum execution time exceeded\" in the error log. Give PHP a limit below IIS's " +
                          "(scripts that call set_time_limit(0) make their own limit unlimited in the same way).",
                Fix = [$"max_execution_time = {Math.Min(request, activity)}"],
            };
            yield break;
        }
        if (met > request)
            yield return new Finding
            {
                Rule = RequestTimeout, Severity = Severity.Warning, Location = app.Where("requestTimeout"), Application = app.Key,
                Message = $"PHP lets a script run {met} s ({said}), but IIS ends a request after {request} s (requestTimeout" +
                          (app.RequestTimeout is null ? " is not set, IIS's default" : "") + "): IIS kills php-cgi first, the " +
                          "user gets \"The FastCGI process exceeded configured request timeout\" and PHP logs nothing. Raise " +
                          $"requestTimeout to {met}, or lower max_execution_time to {request}.",
                Fix = [Appcmd.Set(app, "requestTimeout", met.ToString()), $"max_execution_time = {request}"],
            };
        if (met > activity)
            yield return new Finding
            {
                Rule = ActivityTimeout, Severity = Severity.Warning, Location = app.Where("activityTimeout"), Application = app.Key,
                Message = $"PHP lets a script run {met} s ({said}), but IIS kills php-cgi when it sends nothing for {activity} s " +
                          "(activityTimeout" + (app.ActivityTimeout is null ? " is not set, IIS's default" : "") + "): a script " +
                          "that works quietly (a long query, output buffered) dies before PHP's limit. Raise activityTimeout to " +
                          $"{met}, as PHP Manager for IIS sets both to the same value.",
                Fix = [Appcmd.Set(app, "activityTimeout", met.ToString())],
            };
    }

    static IEnumerable<Finding> CheckChildren(FastCgiApplication app)
    {
        if (app.Environment("PHP_FCGI_CHILDREN") is not { } env || PhpIni.Atoi(env.Value) == 0) yield break;
        yield return new Finding
        {
            Rule = Children, Severity = Severity.Warning, Location = env.Location, Application = app.Key,
            Message = $"PHP_FCGI_CHILDREN={env.Value} asks php-cgi to run a pool of its own children. Under IIS the FastCGI " +
                      "module owns the pool (maxInstances, one request per process) and expects the process it started to " +
                      "serve; remove the variable (or set it to 0).",
            Fix = [Appcmd.RemoveEnvironment(app, "PHP_FCGI_CHILDREN")],
        };
    }

    /// <summary>Only with evidence in hand: the thread-safe engine DLL beside php-cgi.exe, in a folder this machine reads.</summary>
    static IEnumerable<Finding> CheckThreadSafe(FastCgiApplication app, IFileProbe probe)
    {
        if (WindowsPath.DirectoryOf(app.FullPath) is not { } dir) yield break;
        var dll = new[] { "php8ts.dll", "php7ts.dll", "php5ts.dll" }.FirstOrDefault(d => probe.Exists(WindowsPath.Join(dir, d)));
        if (dll is null) yield break;
        yield return new Finding
        {
            Rule = ThreadSafe, Severity = Severity.Warning, Location = app.Where("fullPath"), Application = app.Key,
            Message = $"{app.FullPath} is a thread-safe (TS) PHP build ({dll} is beside it). Under FastCGI every process " +
                      "serves one request at a time, so thread safety only costs speed; Microsoft's PHP-on-IIS guide " +
                      "recommends the non-thread-safe (NTS) build. Install the NTS zip of the same PHP version and point " +
                      "fullPath and the handler's scriptProcessor at its php-cgi.exe.",
        };
    }

    static IEnumerable<Finding> CheckMonitor(FastCgiApplication app, PhpIniChoice choice)
    {
        if (choice.ServerPath is not { } ini) yield break;
        string? watched = app.MonitorChangesTo;
        if (!string.IsNullOrWhiteSpace(watched) && WindowsPath.Same(watched, ini)) yield break;
        bool unset = string.IsNullOrWhiteSpace(watched);
        yield return new Finding
        {
            Rule = MonitorChanges, Severity = unset ? Severity.Info : Severity.Warning, Application = app.Key,
            Location = app.Where("monitorChangesTo"),
            Message = (unset ? "monitorChangesTo is not set" : $"monitorChangesTo watches {watched}") +
                      $", but php-cgi reads {ini} ({choice.How}): an edit of that php.ini takes effect only when each process " +
                      "is recycled, so for a while old and new settings serve side by side. Watch the php.ini in use.",
            Fix = [Appcmd.Set(app, "monitorChangesTo", $"'{ini}'")],
        };
    }

    static Finding CheckRapidFail(FastCgiApplication app, List<Finding> own)
    {
        long n = app.RapidFailsPerMinute ?? FastCgiApplication.DefaultRapidFailsPerMinute;
        // Findings that make unexpected exits routine turn the protection into an outage: say so.
        var cause = own.FirstOrDefault(f => f.Severity == Severity.Error && f.Rule != HandlerWithoutApp);
        string what = n == 0 ? "rapidFailsPerMinute=0: the documentation does not say what IIS does with 0"
            : $"After {n} unexpected exits of this pool's processes within a minute (rapidFailsPerMinute" +
              (app.RapidFailsPerMinute is null ? " is not set, IIS's default" : $"={n}") +
              "), IIS stops starting them and answers every request to the application with a 500 " +
              "\"The FastCGI process has failed frequently recently\" until the minute is out";
        return new Finding
        {
            Rule = RapidFail, Severity = cause is null ? Severity.Info : Severity.Warning, Application = app.Key,
            Location = app.Where("rapidFailsPerMinute"),
            Message = $"{what}." + (cause is null ? "" : $" The {cause.Id} finding above makes such exits routine, so a busy site can " +
                                                         "be shut out a minute at a time: fix that first."),
            Fix = cause?.Fix ?? [],
        };
    }

    static IEnumerable<Finding> CheckPool(FastCgiApplication app)
    {
        long queue = app.QueueLength ?? FastCgiApplication.DefaultQueueLength;
        if (app.MaxInstances is > 0 and var max)
            yield return new Finding
            {
                Rule = MaxInstances, Severity = Severity.Info, Location = app.Where("maxInstances"), Application = app.Key,
                Message = $"At most {max} requests run at once (maxInstances={max}, one request per process); the rest wait in " +
                          $"the queue (queueLength {queue}). 0 lets IIS choose the number from the load (IIS 7.5 and later; the " +
                          "default since IIS 8.0).",
                Fix = [Appcmd.Set(app, "maxInstances", "0")],
            };
        if (app.QueueLength is { } q && q < FastCgiApplication.DefaultQueueLength)
            yield return new Finding
            {
                Rule = QueueLength, Severity = Severity.Info, Location = app.Where("queueLength"), Application = app.Key,
                Message = $"At most {q} requests wait for a free process (queueLength={q}, IIS's default is " +
                          $"{FastCgiApplication.DefaultQueueLength}); requests beyond that are refused with an error during a burst.",
                Fix = [Appcmd.Set(app, "queueLength", FastCgiApplication.DefaultQueueLength.ToString())],
            };
        if (app.Protocol == "Tcp")
            yield return new Finding
            {
                Rule = Protocol, Severity = Severity.Info, Location = app.Where("protocol"), Application = app.Key,
                Message = "protocol=Tcp: IIS talks to the process over a TCP socket instead of its default named pipe. php-cgi " +
                          "has a socket path for it, but the named pipe is what Microsoft's guide and PHP Manager for IIS use; " +
                          "go back to it unless you need TCP.",
                Fix = [Appcmd.Set(app, "protocol", "NamedPipe")],
            };
    }
}
