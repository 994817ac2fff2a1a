using System.Globalization;
using System.Text.RegularExpressions;
using FcgiExt.RulesEngine.Model;

namespace FcgiExt.RulesEngine.Readers;

/// <summary>
/// The Windows Application log's crash event (source "Application Error", event ID 1000), as Event Viewer
/// shows it ("Faulting application name: php-cgi.exe, version: …" one field a line) and in the one-sentence
/// form of Windows Server 2008 and older ("Faulting application php-cgi.exe, version …, faulting module …,
/// exception code 0xc0000005, fault offset 0x…"). It gives a one-frame stack: faulting module + offset.
/// </summary>
internal sealed partial class EventLogReader : IBlockReader
{
    public int TryRead(IReadOnlyList<TextLine> lines, int start, CrashReportBuilder builder, ReadState state)
    {
        var first = lines[start];
        if (first.Command is not null) return 0;
        var text = Localized.ToEnglish(WithoutOpeningQuote(first.Trimmed));

        var legacy = Legacy().Match(text);
        if (legacy.Success)
        {
            Apply(builder, legacy.Groups["app"].Value, legacy.Groups["appver"].Value, legacy.Groups["appts"].Value,
                legacy.Groups["mod"].Value, legacy.Groups["modver"].Value, legacy.Groups["modts"].Value,
                legacy.Groups["code"].Value, legacy.Groups["offset"].Value, legacy.Groups["pid"].Value, null, null);
            return 1;
        }
        // An excerpt may start at the module line (the application line left out): the module and offset are what count.
        if (!AppLine().IsMatch(text) && !text.StartsWith("Faulting module name:", StringComparison.OrdinalIgnoreCase)) return 0;

        var fields = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        int i = start;
        while (i < lines.Count && lines[i].Command is null)
        {
            // A pasted event is sometimes double-spaced (each field its own paragraph, as Markdown keeps it): one blank
            // line followed by another of the event's fields does not end the event.
            if (lines[i].IsBlank && fields.Count > 0 && i + 1 < lines.Count && lines[i + 1].Command is null
                && FieldOf(Localized.ToEnglish(lines[i + 1].Trimmed)) is not null)
            {
                i++;
                continue;
            }
            var t = Localized.ToEnglish(WithoutOpeningQuote(lines[i].Trimmed));
            if (FieldOf(t) is not { } f) break;
            fields.TryAdd(f.Key, f.Value);
            i++;
        }
        var app = AppLine().Match(fields.TryGetValue("Faulting application name", out var a) ? "Faulting application name: " + a : text);
        var mod = fields.TryGetValue("Faulting module name", out var mv) ? ModLine().Match(mv) : Match.Empty;
        Apply(builder,
            app.Groups["name"].Value, app.Groups["ver"].Value, app.Groups["ts"].Value,
            mod.Success ? mod.Groups["name"].Value : "", mod.Success ? mod.Groups["ver"].Value : "", mod.Success ? mod.Groups["ts"].Value : "",
            fields.GetValueOrDefault("Exception code", ""), fields.GetValueOrDefault("Fault offset", ""),
            fields.GetValueOrDefault("Faulting process id", ""), fields.GetValueOrDefault("Faulting application path"),
            fields.GetValueOrDefault("Faulting module path"));
        return i - start;
    }

    static void Apply(CrashReportBuilder builder, string app, string appVersion, string appTimestamp, string module, string moduleVersion,
        string moduleTimestamp, string code, string offset, string pid, string? appPath, string? modulePath)
    {
        builder.AddKind("event-log");
        app = app.Trim().TrimEnd(',');
        if (app.Length > 0)
        {
            builder.ProcessName ??= app;
            builder.AddModule(new ModuleInfo
            {
                FileName = app, Name = ModuleNames.EngineName(app), Path = NullIfEmpty(appPath),
                FileVersion = NullIfEmpty(appVersion), Timestamp = (uint?)Hex.Parse(appTimestamp),
            });
        }
        // Newer Windows 11 builds write the process id (and start time) with the prefix twice: "0x0x4688".
        if (pid.StartsWith("0x0x", StringComparison.OrdinalIgnoreCase)) pid = pid[2..];
        if (Hex.Parse(pid) is { } p && p <= uint.MaxValue) builder.ProcessId ??= (uint)p;
        if (Hex.ParseCode(code) is { } c) builder.SetCode(c, CrashReportBuilder.ExceptionStrength.Event);
        var off = offset.Trim();
        builder.SetArchitectureFromWidth(off);
        module = module.Trim().TrimEnd(',');
        if (module.Length > 0 && !module.Equals("unknown", StringComparison.OrdinalIgnoreCase))
        {
            var engine = ModuleNames.EngineName(module)!;
            builder.AddModule(new ModuleInfo
            {
                FileName = module, Name = engine, Path = NullIfEmpty(modulePath),
                FileVersion = NullIfEmpty(moduleVersion), Timestamp = (uint?)Hex.Parse(moduleTimestamp),
            });
            builder.AddStack(new CrashReportBuilder.StackCandidate("event-log", CrashReportBuilder.PriorityEventLog,
                [new StackFrame { Module = engine, Displacement = Hex.Parse(off), Trust = FrameTrust.Context }], null, null));
        }
        builder.Note("The Application log event gives only the faulting module and offset: one frame, no function names.");
    }

    static readonly string[] FieldNames =
    [
        "Faulting application name", "Faulting module name", "Exception code", "Fault offset", "Faulting process id",
        "Faulting application start time", "Faulting application path", "Faulting module path", "Report Id",
        "Faulting package full name", "Faulting package-relative application ID",
    ];

    /// <summary>
    /// "Label: value" for one of the event's labels (English, as <see cref="Localized.ToEnglish"/> gives them), the value
    /// trimmed; null for any other line. By hand, not a regex: every line of an event comes here, and a match with its
    /// groups and strings for each was most of what reading an event log export left to collect.
    /// </summary>
    static (string Key, string Value)? FieldOf(string line)
    {
        int colon = line.IndexOf(':');
        if (colon <= 0) return null;
        var label = line.AsSpan(0, colon).TrimEnd();
        foreach (var name in FieldNames)
            if (label.Equals(name, StringComparison.OrdinalIgnoreCase)) return (name, InputText.FieldValue(line.AsSpan(colon + 1)));
        return null;
    }

    static string? NullIfEmpty(string? s) => string.IsNullOrWhiteSpace(s) ? null : s.Trim();

    /// <summary>
    /// A pasted event wrapped in one pair of quotes or backticks for the whole block ("Faulting application name: …
    /// up to the last field's closing quote): the opening one sits before the first label. Only a quote right before
    /// a label is dropped; the closing one ends up in the last (usually empty) value.
    /// </summary>
    static string WithoutOpeningQuote(string line) =>
        line.Length > 1 && line[0] is '"' or '`' or '\u201c' && char.IsLetter(line[1]) ? line[1..] : line;

    /// <summary>
    /// Event Viewer writes the event in the server's language. The labels of the German, French, Portuguese
    /// (Brazil), Spanish, Russian, Japanese, Chinese, Korean, Polish and Dutch texts are mapped to the English
    /// ones so one parser reads them all. Each language's labels come from a real event text, cited above them.
    /// </summary>
    internal static class Localized
    {
        static readonly (string Local, string English)[] Labels =
        [
            ("Name der fehlerhaften Anwendung", "Faulting application name"), ("Name des fehlerhaften Moduls", "Faulting module name"),
            ("Ausnahmecode", "Exception code"), ("Fehleroffset", "Fault offset"), ("ID des fehlerhaften Prozesses", "Faulting process id"),
            ("Startzeit der fehlerhaften Anwendung", "Faulting application start time"),
            ("Pfad der fehlerhaften Anwendung", "Faulting application path"),
            ("Pfad des fehlerhaften Moduls", "Faulting module path"), ("Berichtskennung", "Report Id"),
            ("Nom de l'application défaillante", "Faulting application name"), ("Nom du module défaillant", "Faulting module name"),
            ("Code d'exception", "Exception code"), ("Décalage d'erreur", "Fault offset"),
            ("ID du processus défaillant", "Faulting process id"),
            ("Heure de début de l'application défaillante", "Faulting application start time"),
            ("Chemin d'accès de l'application défaillante", "Faulting application path"),
            ("Chemin d'accès du module défaillant", "Faulting module path"),
            ("ID de rapport", "Report Id"),
            ("Nome do aplicativo com falha", "Faulting application name"), ("Nome do módulo com falha", "Faulting module name"),
            ("Código de exceção", "Exception code"), ("Deslocamento da falha", "Fault offset"),
            ("ID do processo com falha", "Faulting process id"),
            ("Hora de início do aplicativo com falha", "Faulting application start time"),
            ("Caminho do aplicativo com falha", "Faulting application path"),
            ("Caminho do módulo com falha", "Faulting module path"), ("ID do Relatório", "Report Id"),
            ("Nombre de la aplicación con errores", "Faulting application name"),
            ("Nombre del módulo con errores", "Faulting module name"),
            ("Código de excepción", "Exception code"), ("Desplazamiento de errores", "Fault offset"),
            ("Identificador del proceso con errores", "Faulting process id"),
            ("Ruta de acceso de la aplicación con errores", "Faulting application path"),
            ("Ruta de acceso del módulo con errores", "Faulting module path"),
            // Russian: https://github.com/infostart-hub/snegopat_modul/issues/19 (the module line's "отметка времени" has no
            // colon), https://github.com/dragokas/hijackthis/issues/102 ("метка времени", "Идентификатор отчета").
            ("Имя сбойного приложения", "Faulting application name"), ("Имя сбойного модуля", "Faulting module name"),
            ("Код исключения", "Exception code"), ("Смещение ошибки", "Fault offset"),
            ("Идентификатор сбойного процесса", "Faulting process id"),
            ("Время запуска сбойного приложения", "Faulting application start time"),
            ("Путь сбойного приложения", "Faulting application path"),
            ("Путь сбойного модуля", "Faulting module path"), ("Код отчета", "Report Id"), ("Идентификатор отчета", "Report Id"),
            // Japanese: https://github.com/amate/UmaUmaCruise/issues/18 (fields separated by "、"); Windows 11 writes
            // "障害が発生したモジュール名" and "フォールト オフセット" (seen in a public GitHub file found by content search).
            ("障害が発生しているアプリケーション名", "Faulting application name"), ("障害が発生しているモジュール名", "Faulting module name"),
            ("障害が発生したモジュール名", "Faulting module name"), ("例外コード", "Exception code"), ("障害オフセット", "Fault offset"),
            ("フォールト オフセット", "Fault offset"), ("障害が発生しているプロセス ID", "Faulting process id"),
            ("障害が発生しているアプリケーションの開始時刻", "Faulting application start time"),
            ("障害が発生しているアプリケーション パス", "Faulting application path"), ("障害が発生しているモジュール パス", "Faulting module path"),
            ("レポート ID", "Report Id"),
            // Chinese (Simplified): https://github.com/ic005k/Xplist/issues/37 (fields separated by "，").
            ("错误应用程序名称", "Faulting application name"), ("错误模块名称", "Faulting module name"), ("异常代码", "Exception code"),
            ("错误偏移量", "Fault offset"), ("错误进程 ID", "Faulting process id"), ("错误应用程序启动时间", "Faulting application start time"),
            ("错误应用程序路径", "Faulting application path"), ("错误模块路径", "Faulting module path"), ("报告 ID", "Report Id"),
            // Korean: a public GitHub file found by content search (an installer's event 1000 pasted in full, "오류 있는 …").
            ("오류 있는 응용 프로그램 이름", "Faulting application name"), ("오류 있는 모듈 이름", "Faulting module name"),
            ("예외 코드", "Exception code"), ("오류 오프셋", "Fault offset"), ("오류 있는 프로세스 ID", "Faulting process id"),
            ("오류 있는 응용 프로그램 시작 시간", "Faulting application start time"), ("오류 있는 응용 프로그램 경로", "Faulting application path"),
            ("오류 있는 모듈 경로", "Faulting module path"), ("보고서 ID", "Report Id"),
            // Polish: a public GitHub file found by content search (a Windows 11 course quoting Get-WinEvent output); Windows
            // leaves the path labels half English ("Faulting ścieżka aplikacji").
            ("Nazwa aplikacji powodującej błąd", "Faulting application name"), ("Nazwa modułu powodującego błąd", "Faulting module name"),
            ("Kod wyjątku", "Exception code"), ("Przesunięcie błędu", "Fault offset"),
            ("Identyfikator procesu błędu", "Faulting process id"),
            ("Czas uruchomienia aplikacji powodującej błąd", "Faulting application start time"),
            ("Faulting ścieżka aplikacji", "Faulting application path"), ("Faulting ścieżka modułu", "Faulting module path"),
            // Dutch: these three labels were found in a real text (a public GitHub file found by content search); the
            // others in https://github.com/microsoft/IIS.Administration/issues/333 (Windows 11 keeps "Faulting-" in two).
            ("Naam van foutmodule", "Faulting module name"), ("Uitzonderingscode", "Exception code"), ("Foutoffset", "Fault offset"),
            ("Toepassingsnaam met fout", "Faulting application name"), ("Foutproces-id", "Faulting process id"),
            ("Begintijd van foutieve toepassing", "Faulting application start time"),
            ("Faulting-toepassingspad", "Faulting application path"), ("Faulting-modulepad", "Faulting module path"),
            ("Rapport-id", "Report Id"),
            // Italian: https://github.com/files-community/Files/issues/8728 (Event Viewer copy; "Offset errore" has no colon).
            ("Nome dell'applicazione che ha generato l'errore", "Faulting application name"),
            ("Nome del modulo che ha generato l'errore", "Faulting module name"), ("Codice eccezione", "Exception code"),
            ("Offset errore", "Fault offset"), ("ID processo che ha generato l'errore", "Faulting process id"),
            ("Ora di avvio dell'applicazione che ha generato l'errore", "Faulting application start time"),
            ("Percorso dell'applicazione che ha generato l'errore", "Faulting application path"),
            ("Percorso del modulo che ha generato l'errore", "Faulting module path"), ("ID segnalazione", "Report Id"),
            ("Nome completo pacchetto che ha generato l'errore", "Faulting package full name"),
            ("ID applicazione relativo al pacchetto che ha generato l'errore", "Faulting package-relative application ID"),
        ];
        static readonly LabelIndex LabelsByFirst = new(Labels);

        public static string ToEnglish(string line)
        {
            if (line.Length == 0 || char.IsAsciiLetterLower(line[0]) && line.StartsWith("faulting", StringComparison.Ordinal)) return line;
            var s = line.Replace('\u2019', '\'');
            foreach (var (local, english) in LabelsByFirst.Candidates(s))
                if (s.StartsWith(local, StringComparison.OrdinalIgnoreCase))
                {
                    var rest = s[local.Length..];
                    // French writes the first label without its colon ("Nom de l’application défaillante php-cgi.exe, …").
                    if (rest.TrimStart().StartsWith(':')) rest = rest.TrimStart()[1..];
                    else if (rest.Length == 0 || rest[0] != ' ') continue;
                    // Japanese and Chinese separate the fields with an ideographic or a full-width comma.
                    s = english + ": " + rest.TrimStart().Replace('\u3001', ',').Replace('\uFF0C', ',').Replace('\uFF1A', ':');
                    // ", Version: …, Zeitstempel: 0x…" / ", version : …, horodatage : 0x…" / ", versão: …, carimbo de data/hora: 0x…"
                    s = Regex.Replace(s, @",\s*(?:version|versão|versión|versione|версия|バージョン|版本|버전|wersja|versie)\s*:", ", version:",
                        RegexOptions.IgnoreCase);
                    // Russian writes the module line's time stamp without a colon.
                    s = Regex.Replace(s, @",\s*(?:Zeitstempel|horodatage|carimbo de data/hora|marca de tiempo|" +
                        @"отметка времени|метка времени|タイム スタンプ|时间戳|타임스탬프|sygnatura czasowa|tijdstempel|timestamp)\s*:?\s*(?=0x)", ", time stamp: ", RegexOptions.IgnoreCase);
                    return s;
                }
            return line;
        }
    }

    [GeneratedRegex(@"^Faulting application name:\s*(?<name>[^,]+?)\s*(?:,\s*version:\s*(?<ver>[^,]*?))?\s*(?:,\s*time stamp:\s*(?<ts>0x[0-9a-fA-F]+))?\s*$", RegexOptions.IgnoreCase)]
    private static partial Regex AppLine();
    [GeneratedRegex(@"^(?<name>[^,]+?)\s*(?:,\s*version:\s*(?<ver>[^,]*?))?\s*(?:,\s*time stamp:\s*(?<ts>0x[0-9a-fA-F]+))?\s*$", RegexOptions.IgnoreCase)]
    private static partial Regex ModLine();
    [GeneratedRegex(@"Faulting application (?<app>\S+?),? version\s*(?<appver>[^,]*),\s*time stamp (?<appts>0x[0-9a-fA-F]+),\s*faulting module (?<mod>\S+?),? version\s*(?<modver>[^,]*),\s*time stamp (?<modts>0x[0-9a-fA-F]+),\s*exception code (?<code>0x[0-9a-fA-F]+),\s*fault offset (?<offset>0x[0-9a-fA-F]+)(?:,\s*process id (?<pid>0x[0-9a-fA-F]+))?", RegexOptions.IgnoreCase)]
    private static partial Regex Legacy();
}

/// <summary>
/// WER's Report.wer (key=value lines: EventType, Sig[n].Name/Value, AppPath, LoadedModule[n]) and the
/// "Problem signature" text of the Reliability Monitor and event 1001 (P1…P10, or "Fault Module Name:"…).
/// </summary>
internal sealed partial class WerReportReader : IBlockReader
{
    public int TryRead(IReadOnlyList<TextLine> lines, int start, CrashReportBuilder builder, ReadState state)
    {
        var first = lines[start];
        if (first.Command is not null) return 0;
        var text = SignatureNames.ToEnglish(first.Trimmed);
        if (WerStart().IsMatch(text)) return ReadReportWer(lines, start, builder);
        if (SignatureHeader().IsMatch(text) || ProblemDetailStart().IsMatch(text))
            return ReadProblemSignature(lines, start, builder);
        return 0;
    }

    static int ReadReportWer(IReadOnlyList<TextLine> lines, int start, CrashReportBuilder builder)
    {
        var values = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        var loaded = new List<string>();
        int i = start;
        while (i < lines.Count && lines[i].Command is null)
        {
            var t = lines[i].Trimmed;
            if (t.Length == 0) { if (i + 1 < lines.Count && KeyValue().IsMatch(lines[i + 1].Trimmed)) { i++; continue; } break; }
            var kv = KeyValue().Match(t);
            if (!kv.Success)
            {
                if (i + 1 < lines.Count && KeyValue().IsMatch(lines[i + 1].Trimmed)) { builder.Skip(lines[i]); i++; continue; }
                break;
            }
            var key = kv.Groups["key"].Value;
            var value = InputText.FieldValue(kv.Groups["value"].ValueSpan);
            if (key.StartsWith("LoadedModule[", StringComparison.OrdinalIgnoreCase)) loaded.Add(value);
            else if (key.EndsWith("].Name", StringComparison.OrdinalIgnoreCase)) values.TryAdd(key, SignatureNames.English(value));
            else values.TryAdd(key, value);
            i++;
        }
        var sig = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        for (int n = 0; n < 16; n++)
            if (values.TryGetValue($"Sig[{n}].Name", out var name) && values.TryGetValue($"Sig[{n}].Value", out var value))
                sig.TryAdd(name, value);
        builder.AddKind("wer");
        if (values.TryGetValue("EventTime", out var ft) && long.TryParse(ft, NumberStyles.None, CultureInfo.InvariantCulture, out var fileTime) &&
            fileTime > 0 && fileTime < DateTime.MaxValue.ToFileTimeUtc())
            builder.Time ??= DateTimeOffset.FromFileTime(fileTime).ToUniversalTime();
        var appPath = values.GetValueOrDefault("AppPath");
        ApplySignature(builder, sig, values.GetValueOrDefault("EventType"), appPath, loaded);
        foreach (var path in loaded)
        {
            var file = ModuleNames.FileName(path);
            builder.AddModule(new ModuleInfo { FileName = file, Name = ModuleNames.EngineName(file), Path = path });
        }
        return Math.Max(1, i - start);
    }

    static int ReadProblemSignature(IReadOnlyList<TextLine> lines, int start, CrashReportBuilder builder)
    {
        var sig = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        var positional = new Dictionary<int, string>();
        string? eventName = null;
        int i = SignatureHeader().IsMatch(lines[start].Trimmed) ? start + 1 : start;
        while (i < lines.Count && lines[i].Command is null)
        {
            var t = SignatureNames.ToEnglish(lines[i].Trimmed);
            Match m;
            if ((m = Positional().Match(t)).Success)
                positional[int.Parse(m.Groups["n"].Value, CultureInfo.InvariantCulture)] = InputText.FieldValue(m.Groups["v"].ValueSpan);
            else if ((m = Named().Match(t)).Success)
            {
                if (m.Groups["k"].Value.Equals("Problem Event Name", StringComparison.OrdinalIgnoreCase))
                    eventName = InputText.FieldValue(m.Groups["v"].ValueSpan);
                else sig.TryAdd(m.Groups["k"].Value, InputText.FieldValue(m.Groups["v"].ValueSpan));
            }
            else break;
            i++;
        }
        // Look back a few lines for "Event Name: APPCRASH" (event 1001 puts it above the signature).
        for (int b = Math.Max(0, start - 4); b < start && eventName is null; b++)
            if (Regex.Match(lines[b].Trimmed, @"^(?:(?:Problem )?Event Name|Nome do Evento|Nome evento|Ereignisname|Nom d['\u2019]événement)\s*:\s*(\S+)", RegexOptions.IgnoreCase) is { Success: true } en) eventName = en.Groups[1].Value;
        if (positional.Count >= 4 && sig.Count == 0)
        {
            bool bex = eventName?.StartsWith("BEX", StringComparison.OrdinalIgnoreCase) == true;
            string[] names = ["Application Name", "Application Version", "Application Timestamp", "Fault Module Name", "Fault Module Version",
                "Fault Module Timestamp", bex ? "Exception Offset" : "Exception Code", bex ? "Exception Code" : "Exception Offset"];
            for (int n = 1; n <= names.Length; n++)
                if (positional.TryGetValue(n, out var v) && v.Length > 0) sig[names[n - 1]] = v;
        }
        if (sig.Count == 0) return 0;
        builder.AddKind("wer");
        ApplySignature(builder, sig, eventName, null, []);
        return Math.Max(1, i - start);
    }

    static void ApplySignature(CrashReportBuilder builder, Dictionary<string, string> sig, string? eventType, string? appPath, List<string> loaded)
    {
        if (eventType is not null) builder.Note($"WER event type: {eventType}.");
        var app = sig.GetValueOrDefault("Application Name");
        if (!string.IsNullOrEmpty(app))
        {
            builder.ProcessName ??= app;
            builder.AddModule(new ModuleInfo
            {
                FileName = app, Name = ModuleNames.EngineName(app), Path = appPath,
                FileVersion = sig.GetValueOrDefault("Application Version"), Timestamp = (uint?)Hex.Parse(sig.GetValueOrDefault("Application Timestamp")),
            });
        }
        if (Hex.ParseCode(sig.GetValueOrDefault("Exception Code")) is { } code) builder.SetCode(code, CrashReportBuilder.ExceptionStrength.Event);
        var module = sig.GetValueOrDefault("Fault Module Name");
        var offset = sig.GetValueOrDefault("Exception Offset") ?? "";
        builder.SetArchitectureFromWidth(offset);
        if (!string.IsNullOrEmpty(module) && !module.Equals("unknown", StringComparison.OrdinalIgnoreCase))
        {
            var path = loaded.FirstOrDefault(p => ModuleNames.Same(ModuleNames.FileName(p), module));
            var engine = ModuleNames.EngineName(module)!;
            builder.AddModule(new ModuleInfo
            {
                FileName = module, Name = engine, Path = path,
                FileVersion = sig.GetValueOrDefault("Fault Module Version"), Timestamp = (uint?)Hex.Parse(sig.GetValueOrDefault("Fault Module Timestamp")),
            });
            builder.AddStack(new CrashReportBuilder.StackCandidate("wer", CrashReportBuilder.PriorityEventLog,
                [new StackFrame { Module = engine, Displacement = Hex.Parse(offset), Trust = FrameTrust.Context }], null, null));
        }
        builder.Note("WER's signature gives only the faulting module and offset: one frame, no function names.");
    }

    /// <summary>
    /// WER's signature names in the server's language, as Report.wer's Sig[n].Name and the problem signature text
    /// write them. Russian: https://github.com/Macro-Deck-App/Macro-Deck/issues/338; Polish:
    /// https://github.com/leohubert/Launcher_Multigaming/issues/4; German: https://github.com/Ultimaker/Cura/issues/4297.
    /// </summary>
    internal static class SignatureNames
    {
        static readonly (string Local, string English)[] Names =
        [
            ("Имя события проблемы", "Problem Event Name"), ("Имя приложения", "Application Name"),
            ("Версия приложения", "Application Version"),
            ("Отметка времени приложения", "Application Timestamp"), ("Имя модуля с ошибкой", "Fault Module Name"),
            ("Версия модуля с ошибкой", "Fault Module Version"), ("Отметка времени модуля с ошибкой", "Fault Module Timestamp"),
            ("Код исключения", "Exception Code"), ("Смещение исключения", "Exception Offset"),
            ("Nazwa zdarzenia problemu", "Problem Event Name"), ("Nazwa aplikacji", "Application Name"),
            ("Wersja aplikacji", "Application Version"),
            ("Sygnatura czasowa aplikacji", "Application Timestamp"), ("Nazwa modułu z błędem", "Fault Module Name"),
            ("Wersja modułu z błędem", "Fault Module Version"), ("Sygnatura czasowa modułu z błędem", "Fault Module Timestamp"),
            ("Kod wyjątku", "Exception Code"), ("Przesunięcie wyjątku", "Exception Offset"),
            // Chinese (Windows 8.1 dialog): https://github.com/Physton/RapidOCRServer/issues/1
            ("问题事件名称", "Problem Event Name"), ("应用程序名", "Application Name"), ("应用程序版本", "Application Version"),
            ("应用程序时间戳", "Application Timestamp"), ("故障模块名称", "Fault Module Name"), ("故障模块版本", "Fault Module Version"),
            ("故障模块时间戳", "Fault Module Timestamp"), ("异常代码", "Exception Code"), ("异常偏移", "Exception Offset"),
            ("OS 版本", "OS Version"), ("区域设置 ID", "Locale ID"), ("其他信息 1", "Additional Information 1"),
            ("其他信息 2", "Additional Information 2"), ("其他信息 3", "Additional Information 3"),
            ("其他信息 4", "Additional Information 4"),
            // German (Windows 7 dialog, "Problemsignatur:"): https://github.com/Ultimaker/Cura/issues/4297
            ("Problemereignisname", "Problem Event Name"), ("Anwendungsname", "Application Name"),
            ("Anwendungsversion", "Application Version"), ("Anwendungszeitstempel", "Application Timestamp"),
            ("Fehlermodulname", "Fault Module Name"), ("Fehlermodulversion", "Fault Module Version"),
            ("Fehlermodulzeitstempel", "Fault Module Timestamp"), ("Ausnahmecode", "Exception Code"),
            ("Ausnahmeoffset", "Exception Offset"), ("Betriebsystemversion", "OS Version"), ("Gebietsschema-ID", "Locale ID"),
            ("Zusatzinformation 1", "Additional Information 1"), ("Zusatzinformation 2", "Additional Information 2"),
            ("Zusatzinformation 3", "Additional Information 3"), ("Zusatzinformation 4", "Additional Information 4"),
        ];
        static readonly LabelIndex NamesByFirst = new(Names);

        /// <summary>The English name of a localized one; the name itself otherwise.</summary>
        public static string English(string name)
        {
            foreach (var (local, english) in Names)
                if (name.Equals(local, StringComparison.OrdinalIgnoreCase)) return english;
            return name;
        }

        /// <summary>"Имя приложения: x" → "Application Name: x"; other lines as they are.</summary>
        public static string ToEnglish(string line)
        {
            int colon = line.IndexOf(':');
            if (colon <= 0) return line;
            // Every line is offered: the label compared as a span, a string only for a localized one.
            var label = line.AsSpan(0, colon).TrimEnd();
            foreach (var (local, english) in NamesByFirst.Candidates(label))
                if (label.Equals(local, StringComparison.OrdinalIgnoreCase)) return english + line[colon..];
            return line;
        }
    }

    [GeneratedRegex(@"^(?:Version=\d|EventType=|Sig\[\d+\]\.(?:Name|Value)=|ReportIdentifier=|AppPath=|LoadedModule\[\d+\]=)", RegexOptions.IgnoreCase)] private static partial Regex WerStart();
    [GeneratedRegex(@"^(?<key>[A-Za-z][\w.\[\]]*)=(?<value>.*)$")] private static partial Regex KeyValue();
    [GeneratedRegex(@"^P(?<n>\d{1,2}):\s*(?<v>.*)$")] private static partial Regex Positional();
    [GeneratedRegex(@"^(?<k>Problem Event Name|Application Name|Application Version|Application Timestamp|Fault Module Name|" +
        @"Fault Module Version|Fault Module Timestamp|Exception Code|Exception Offset|Exception Data|OS Version|Locale ID|" +
        @"Additional Information \d+)\s*:\s*(?<v>.*)$", RegexOptions.IgnoreCase)]
    private static partial Regex Named();
    [GeneratedRegex(@"^Problem Event Name\s*:\s*\S+", RegexOptions.IgnoreCase)] private static partial Regex ProblemDetailStart();
    // English, Portuguese, German, French, Spanish, Russian (https://github.com/dragokas/hijackthis/issues/102), Italian
    // (https://github.com/winsiderss/systeminformer/issues/2571), Chinese (https://github.com/Physton/RapidOCRServer/issues/1).
    [GeneratedRegex(
        @"^(?:Problem signature|Assinatura do problema|Problemsignatur|Signature du problème|Firma con problemas|Сигнатура проблемы|" +
        @"Firma problema|问题签名)\s*:?\s*$",
        RegexOptions.IgnoreCase)] private static partial Regex SignatureHeader();
}

/// <summary>
/// Localized labels by their first letter, upper-cased as OrdinalIgnoreCase compares them: every line of a text is
/// offered, and comparing each with every label of every language was most of the event reader's time. Within a
/// letter the labels keep their order, so the first that matches is the one the whole list gave.
/// </summary>
internal sealed class LabelIndex((string Local, string English)[] labels)
{
    readonly Dictionary<char, (string Local, string English)[]> byFirst =
        labels.GroupBy(l => char.ToUpperInvariant(l.Local[0])).ToDictionary(g => g.Key, g => g.ToArray());

    public ReadOnlySpan<(string Local, string English)> Candidates(ReadOnlySpan<char> text) =>
        text.Length > 0 && byFirst.TryGetValue(char.ToUpperInvariant(text[0]), out var found) ? found : default;
}
