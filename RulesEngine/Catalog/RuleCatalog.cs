using System.Reflection;
using FcgiExt.RulesEngine.Model;

namespace FcgiExt.RulesEngine.Catalog;

/// <summary>One catalog text to load: a file name for diagnostics, its YAML, and its layer (0 built-in, 1.. user).</summary>
public sealed record CatalogSource(string Name, string Text, int Layer);

/// <summary>
/// The owner rules: built-in files embedded in this assembly with user catalogs layered on top (same id
/// overrides, new ids add). Walks a faulting stack with triage.ini / Socorro semantics; see Catalog/README.md.
/// </summary>
public sealed class RuleCatalog : IOwnerCatalog
{
    /// <summary>Tag on rules whose frames mean the process is leaving on purpose (ExitProcess, exit, …).</summary>
    public const string ExitTag = "exit";
    /// <summary>Tag on rules whose frames mean the program aborted itself after a fatal error (abort()).</summary>
    public const string AbortTag = "abort";
    /// <summary>Tag on rules whose frames report a crash (UnhandledExceptionFilter, WerpReportFault): such a frame and
    /// every frame above it (the process's own crash filter, waits, a dumper it starts) only report the crash.</summary>
    public const string ReportingTag = "reporting";
    /// <summary>Tag on the exception dispatcher's frames (KiUserExceptionDispatcher, RtlDispatchException, vectored
    /// handler calls): reporting frames like <see cref="ReportingTag"/>'s, with the faulting frames right below them.</summary>
    public const string DispatcherTag = "exception-dispatcher";
    /// <summary>Tag on the frames that start a thread or a process (RtlUserThreadStart, BaseThreadInitThunk, the CRT's
    /// startup): below reporting frames with no dispatcher, they mean the stack is the reporter's own.</summary>
    public const string ThreadStartTag = "thread-start";
    public const string UnknownOwnerId = "unknown";

    private readonly List<CatalogRule> _rules;
    private readonly Dictionary<string, CatalogOwnerEntry> _owners;
    private readonly Dictionary<string, List<CatalogRule>> _rulesByExactModule = new(StringComparer.OrdinalIgnoreCase);
    private readonly List<CatalogRule> _rulesByPatternModule = [];
    private readonly List<CatalogRule> _rulesWithoutModule = [];

    public IReadOnlyList<CatalogRule> Rules => _rules;
    public IReadOnlyDictionary<string, CatalogOwnerEntry> Owners => _owners;
    /// <summary>Everything wrong found while loading; the broken parts were left out, the rest loaded.</summary>
    public IReadOnlyList<CatalogDiagnostic> Diagnostics { get; }
    /// <summary>The files loaded, in layer order.</summary>
    public IReadOnlyList<string> Files { get; }

    private RuleCatalog(List<CatalogRule> rules, Dictionary<string, CatalogOwnerEntry> owners,
        List<CatalogDiagnostic> diagnostics, List<string> files)
    {
        _rules = rules; _owners = owners; Diagnostics = diagnostics; Files = files;
        foreach (var r in rules)
        {
            if (r.Match.Module is null || r.Match.Module.Pattern.MatchesEverything) _rulesWithoutModule.Add(r);
            else if (r.Match.Module.Pattern.Kind == PatternKind.Exact)
                (_rulesByExactModule.TryGetValue(r.Match.Module.EngineForm.Text, out var list) ? list
                    : _rulesByExactModule[r.Match.Module.EngineForm.Text] = []).Add(r);
            else _rulesByPatternModule.Add(r);
        }
    }

    // ---- loading ---------------------------------------------------------------------------------------

    /// <summary>The built-in catalog alone. A broken built-in catalog is a bug of this build: it throws.</summary>
    public static RuleCatalog LoadBuiltIn()
    {
        var catalog = FromSources(BuiltInSources());
        if (catalog.Diagnostics.Any(d => d.Severity == DiagnosticSeverity.Error))
            throw new CatalogException(catalog.Diagnostics);
        return catalog;
    }

    /// <summary>Built-in files (unless excluded) plus each user path — a file or a folder of *.yaml / *.yml —
    /// as its own layer, in the order given. Problems are in <see cref="Diagnostics"/>; what loads, loads.</summary>
    public static RuleCatalog Load(IEnumerable<string> userPaths, bool includeBuiltIn = true)
    {
        var sources = new List<CatalogSource>();
        var early = new List<CatalogDiagnostic>();
        if (includeBuiltIn) sources.AddRange(BuiltInSources());
        int layer = 0;
        foreach (var path in userPaths)
        {
            layer++;
            foreach (var (file, text, error) in ReadUserPath(path))
            {
                if (error is not null) early.Add(new CatalogDiagnostic(file, 1, 1, error));
                else sources.Add(new CatalogSource(file, text!, layer));
            }
        }
        var catalog = FromSources(sources);
        if (early.Count == 0) return catalog;
        return new RuleCatalog(catalog._rules, catalog._owners, [.. early, .. catalog.Diagnostics], [.. catalog.Files]);
    }

    /// <summary>Files of a user path: the file itself, or a folder's *.yaml and *.yml sorted by name.</summary>
    public static IEnumerable<(string File, string? Text, string? Error)> ReadUserPath(string path)
    {
        if (Directory.Exists(path))
        {
            var files = Directory.EnumerateFiles(path)
                .Where(f => f.EndsWith(".yaml", StringComparison.OrdinalIgnoreCase) ||
                    f.EndsWith(".yml", StringComparison.OrdinalIgnoreCase))
                .Order(StringComparer.Ordinal).ToList();
            if (files.Count == 0) yield return (path, null, "no *.yaml or *.yml catalog files in this folder");
            foreach (var f in files) yield return ReadOne(f);
        }
        else if (File.Exists(path)) yield return ReadOne(path);
        else yield return (path, null, "no such file or folder");
    }

    private static (string, string?, string?) ReadOne(string file)
    {
        try { return (file, File.ReadAllText(file), null); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return (file, null, "cannot read: " + e.Message); }
    }

    public static IReadOnlyList<CatalogSource> BuiltInSources()
    {
        var assembly = typeof(RuleCatalog).Assembly;
        var result = new List<CatalogSource>();
        foreach (var name in assembly.GetManifestResourceNames().Where(n => n.StartsWith("builtin/", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal))
        {
            using var stream = assembly.GetManifestResourceStream(name)!;
            using var reader = new StreamReader(stream);
            result.Add(new CatalogSource(name, reader.ReadToEnd(), 0));
        }
        return result;
    }

    /// <summary>Parses and layers the given texts (lower layers first). Used by the loaders and by tests.</summary>
    public static RuleCatalog FromSources(IEnumerable<CatalogSource> sources)
    {
        var diagnostics = new List<CatalogDiagnostic>();
        var owners = new Dictionary<string, CatalogOwnerEntry>(StringComparer.Ordinal);
        var rules = new List<CatalogRule>();
        var ruleIndex = new Dictionary<string, int>(StringComparer.Ordinal);
        var ruleLayer = new Dictionary<string, int>(StringComparer.Ordinal);
        var files = new List<string>();
        foreach (var source in sources.OrderBy(s => s.Layer))
        {
            files.Add(source.Name);
            var file = CatalogParser.Parse(source.Text, source.Name, diagnostics);
            foreach (var o in file.Owners)
            {
                o.Layer = source.Layer;
                if (owners.TryGetValue(o.Owner.Id, out var existing))
                {
                    if (existing.Layer == source.Layer)
                    {
                        diagnostics.Add(new(o.Location.File, o.Location.Line, o.Location.Column,
                            $"duplicate owner id '{o.Owner.Id}' (first defined at {existing.Location})"));
                        continue;
                    }
                    o.Overrides = existing.Location;
                }
                owners[o.Owner.Id] = o;
            }
            var duplicateRules = new Dictionary<string, (int Index, SourceLocation First, int Count)>(StringComparer.Ordinal);
            foreach (var r in file.Rules)
            {
                r.Layer = source.Layer;
                if (ruleIndex.TryGetValue(r.Id, out var at))
                {
                    if (ruleLayer[r.Id] == source.Layer)
                    {
                        // One line per id, with a count: a generated file with 200,000 copies must not print 200,000 lines.
                        if (duplicateRules.TryGetValue(r.Id, out var seen))
                        {
                            duplicateRules[r.Id] = seen with { Count = seen.Count + 1 };
                            diagnostics[seen.Index] = new(seen.First.File, seen.First.Line, seen.First.Column,
                                $"duplicate rule id '{r.Id}' (first defined at {rules[at].Location}; {seen.Count + 1} copies, the " +
                                "last at " +
                                $"{r.Location.File}:{r.Location.Line}:{r.Location.Column})");
                            continue;
                        }
                        duplicateRules[r.Id] = (diagnostics.Count, r.Location, 1);
                        diagnostics.Add(new(r.Location.File, r.Location.Line, r.Location.Column,
                            $"duplicate rule id '{r.Id}' (first defined at {rules[at].Location})"));
                        continue;
                    }
                    r.Overrides = rules[at].Location;
                    rules[at] = r;
                    ruleLayer[r.Id] = source.Layer;
                    continue;
                }
                ruleIndex[r.Id] = rules.Count;
                ruleLayer[r.Id] = source.Layer;
                rules.Add(r);
            }
        }
        // Owner references are resolved once every layer is in: a user rule may name a built-in owner and
        // a user owner may replace the built-in one a built-in rule names.
        var resolved = new List<CatalogRule>();
        foreach (var r in rules)
        {
            bool ok = true;
            if (r.OwnerId is not null && !owners.ContainsKey(r.OwnerId))
            {
                var at = r.OwnerLocation ?? r.Location;
                diagnostics.Add(new(at.File, at.Line, at.Column, $"unknown owner '{r.OwnerId}' in rule '{r.Id}'"));
                ok = false;
            }
            foreach (var e in r.Examples)
                if (e.Expect != UnknownOwnerId && !owners.ContainsKey(e.Expect))
                {
                    diagnostics.Add(new(e.Location.File, e.Location.Line, e.Location.Column,
                        $"unknown owner '{e.Expect}' expected by an example of rule '{r.Id}' (use an owner id or 'unknown')"));
                }
            if (ok) resolved.Add(r);
        }
        for (int i = 0; i < resolved.Count; i++) resolved[i].Order = i;
        return new RuleCatalog(resolved, owners, diagnostics, files);
    }

    public Owner? FindOwner(string id) => _owners.TryGetValue(id, out var o) ? o.Owner : null;

    // ---- matching --------------------------------------------------------------------------------------

    /// <summary>Orders two rules matching the same frame: the more specific first, then the higher layer,
    /// then the one declared first.</summary>
    public static int ComparePrecedence(CatalogRule a, CatalogRule b)
    {
        int c = b.Specificity.CompareTo(a.Specificity);
        if (c == 0) c = b.Layer.CompareTo(a.Layer);
        if (c == 0) c = a.Order.CompareTo(b.Order);
        return c;
    }

    /// <summary>Why <paramref name="winner"/> beats <paramref name="loser"/>, in one phrase.</summary>
    public static string WhyBeats(CatalogRule winner, CatalogRule loser)
    {
        RuleSpecificity w = winner.Specificity, l = loser.Specificity;
        if (w.Conditions != l.Conditions) return $"it has more exception/process conditions ({w.Conditions} > {l.Conditions})";
        static string Kind(int k) => k switch { 2 => "an exact", 1 => "a pattern", _ => "no" };
        if (w.ModuleKind != l.ModuleKind) return $"{Kind(w.ModuleKind)} module beats {Kind(l.ModuleKind)} module";
        if (w.FunctionKind != l.FunctionKind) return $"{Kind(w.FunctionKind)} function beats {Kind(l.FunctionKind)} function";
        if (w.ModuleLiterals != l.ModuleLiterals)
            return $"its module pattern is longer ({w.ModuleLiterals} > {l.ModuleLiterals} literal chars)";
        if (w.FunctionLiterals != l.FunctionLiterals)
            return $"its function pattern is longer ({w.FunctionLiterals} > {l.FunctionLiterals} literal chars)";
        if (winner.Layer != loser.Layer) return "it comes from a later catalog layer";
        return "equally specific, and it is declared first";
    }

    private sealed class WalkContext(RuleCatalog catalog, CrashReport crash, string? exceptionClass = null)
    {
        private readonly Dictionary<(string?, string?), List<CatalogRule>> _byModule = new();
        private readonly Dictionary<CatalogRule, bool> _conditions = new(ReferenceEqualityComparer.Instance);
        private IReadOnlySet<string>? _classes;
        private ModuleCandidate? _process;

        public CrashReport Crash => crash;
        public Dictionary<(string?, string?), List<CatalogRule>> FrameCache { get; } = new();

        /// <summary>Rules whose module (or absence of one) fits; cached per module since stacks repeat modules.</summary>
        public List<CatalogRule> RulesForModule(ModuleCandidate module)
        {
            var key = (module.FileName, module.EngineName);
            if (_byModule.TryGetValue(key, out var cached)) return cached;
            var list = new List<CatalogRule>();
            if (module.EngineName is not null)
            {
                if (catalog._rulesByExactModule.TryGetValue(module.EngineName, out var exact))
                    list.AddRange(exact.Where(r => r.Match.Module!.Matches(module)));
                list.AddRange(catalog._rulesByPatternModule.Where(r => r.Match.Module!.Matches(module)));
            }
            list.AddRange(catalog._rulesWithoutModule);
            return _byModule[key] = list;
        }

        public bool ConditionsHold(CatalogRule rule)
        {
            if (rule.Match.ConditionCount == 0) return true;
            if (_conditions.TryGetValue(rule, out var known)) return known;
            bool ok = true;
            if (rule.Match.Exception is { } ex)
                ok = ex.Code is { } code ? crash.Exception?.Code == code : Classes().Any(c => ex.Class!.Matches(c));
            if (ok && rule.Match.Process is { } p)
            {
                _process ??= crash.Process.Name is { } n ? ModuleCandidate.For(n, null) : default;
                ok = _process.Value.EngineName is not null && p.Matches(_process.Value);
            }
            return _conditions[rule] = ok;
        }

        private IReadOnlySet<string> Classes()
        {
            if (_classes is not null) return _classes;
            var set = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            foreach (var c in CoarseExceptionClasses(crash.Exception?.Code)) set.Add(c);
            if (exceptionClass is not null) set.Add(exceptionClass);
            return _classes = set;
        }
    }

    /// <summary>Class names a rule's `exception:` may use without the triage classifier, derived from the code alone.</summary>
    public static IEnumerable<string> CoarseExceptionClasses(uint? code) => code switch
    {
        null => ["NONE"],
        0xC0000005 => ["ACCESS_VIOLATION"],
        0xC0000006 => ["IN_PAGE_ERROR"],
        0xC00000FD => ["STACK_OVERFLOW"],
        0xC0000374 => ["HEAP_CORRUPTION"],
        0xC0000409 => ["STACK_BUFFER_OVERRUN", "FAIL_FAST"],
        0xC000000D => ["INVALID_PARAMETER"],
        0xC0000417 => ["INVALID_PARAMETER", "INVALID_CRUNTIME_PARAMETER"],
        0xE06D7363 => ["CPP_EXCEPTION"],
        0xE0434352 => ["CLR_EXCEPTION"],
        0x80000003 => ["BREAKPOINT"],
        0xC000001D => ["ILLEGAL_INSTRUCTION"],
        0xC0000094 => ["INTEGER_DIVIDE_BY_ZERO"],
        _ => [],
    };

    /// <summary>Every rule matching one frame, best first (sentinels included; the walk uses them separately).</summary>
    public IReadOnlyList<CatalogRule> MatchingRules(StackFrame frame, CrashReport crash, string? exceptionClass = null)
    {
        if (exceptionClass is not null) return MatchingRules(frame, new WalkContext(this, crash, exceptionClass));
        var ctx = QuestionsAbout(crash);
        lock (ctx) return MatchingRules(frame, ctx);
    }

    /// <summary>
    /// What the rules answered about one crash's modules and frames, kept while the crash is: triage asks about every frame
    /// several times (tags for exits, heap checks, reporting frames; the owner of a module), and matching every rule's
    /// module pattern again for each question was most of a triage's time. The catalog and the crash do not change, so
    /// the answers do not either.
    /// </summary>
    private readonly System.Runtime.CompilerServices.ConditionalWeakTable<CrashReport, WalkContext> _questions = new();

    private WalkContext QuestionsAbout(CrashReport crash) => _questions.GetValue(crash, c => new WalkContext(this, c));

    private static List<CatalogRule> MatchingRules(StackFrame frame, WalkContext ctx)
    {
        if (frame.Module is null && frame.Function is null) return [];
        // Deep stacks repeat the same frames (recursion, stack overflows): match each module!function once per walk.
        var key = (frame.Module, frame.Function);
        if (ctx.FrameCache.TryGetValue(key, out var cached)) return cached;
        var module = ModuleCandidate.For(frame.Module, ctx.Crash);
        var result = new List<CatalogRule>();
        foreach (var r in ctx.RulesForModule(module))
        {
            if (r.Match.Module is not null && frame.Module is null) continue;
            if (!ctx.ConditionsHold(r)) continue;       // cached per walk: cheaper than a function regex
            if (r.Match.Function is { } f && (frame.Function is null ? !f.MatchesEverything : !f.Matches(frame.Function))) continue;
            result.Add(r);
        }
        if (result.Count > 1) result.Sort(ComparePrecedence);
        ctx.FrameCache[key] = result;
        return result;
    }

    public bool FrameHasTag(StackFrame frame, CrashReport crash, string tag) =>
        MatchingRules(frame, crash).Any(r => r.Has(tag));

    // ---- the walk --------------------------------------------------------------------------------------

    /// <summary>The walk, with the exception class triage already knows added to the class names `exception:`
    /// conditions can match (without one, they match the coarse classes of the code alone).</summary>
    public StackWalkResult Walk(CrashReport crash, string? exceptionClass)
    {
        var ctx = new WalkContext(this, crash, exceptionClass);
        var frames = crash.Frames;
        var matches = new List<CatalogRule>[frames.Count];
        for (int i = 0; i < frames.Count; i++) matches[i] = MatchingRules(frames[i], ctx);

        var decisions = new List<FrameDecision>(frames.Count);
        var trace = new List<string>();
        var signature = new List<StackFrame>();

        // Reporting machinery: the lowest frame a `reporting` or `exception-dispatcher` rule matches, and every frame
        // above it, only report the crash. The lowest, not the topmost: what runs above UnhandledExceptionFilter or
        // the dispatcher (a process's own crash filter, waits, a dumper) is application code no rule can name, and a
        // fault inside a filter is secondary to the fault whose dispatch ran it.
        int reportingAt = -1;
        CatalogRule? reporting = null;
        bool dispatcher = false;
        for (int i = 0; i < frames.Count; i++)
        {
            if (matches[i].FirstOrDefault(r => r.Has(ReportingTag) || r.Has(DispatcherTag)) is not { } tagged) continue;
            (reportingAt, reporting) = (i, tagged);
            dispatcher |= matches[i].Any(r => r.Has(DispatcherTag));
        }
        bool reporterStack = reporting is not null && !dispatcher && OnlyThreadStartBelow(matches, reportingAt + 1);
        FrameDecision? reportingFrame = null;
        for (int i = 0; i < reportingAt; i++)
        {
            // A frame's own ignore rule says what it is (its reason shows in reports); an owner rule there is overruled.
            var own = matches[i].FirstOrDefault(r => r.Action != RuleAction.Sentinel);
            var above = $"above the reporting frame #{frames[reportingAt].Index:d2} {frames[reportingAt].Display} (rule {reporting!.Id}): " +
                "reports the crash, never the owner";
            if (own is { Action: RuleAction.Ignore })
                Add(frames[i], FrameAction.Reporting, own.Id, null, above + $"; skipped by rule {own.Id} (ignore) too", own.Description);
            else
                Add(frames[i], FrameAction.Reporting, reporting.Id, null,
                    above + (own is null ? "" : $"; rule {own.Id} ({own.Action.ToString().ToLowerInvariant()}) does not apply here"));
        }
        if (reporting is not null)
            reportingFrame = Add(frames[reportingAt], FrameAction.Reporting, reporting.Id, null,
                $"reports the crash by rule {reporting.Id} ({(reporting.Has(DispatcherTag) ? DispatcherTag : ReportingTag)}): it and every frame above it " +
                (reporterStack ? "only report the crash" : "only report the crash; the walk starts below it"), reporting.Description);
        if (reporterStack)
        {
            for (int i = reportingAt + 1; i < frames.Count; i++)
                Add(frames[i], FrameAction.Reporting, reporting!.Id, null,
                    "the reporting thread's own start (thread start, or the thread procedure it calls): not faulting code");
            trace.Add($"=> owner unknown: this stack is the thread that reported the crash, not the one that faulted: reporting " +
                $"frames from #{frames[reportingAt].Index:d2} {frames[reportingAt].Display} up, no exception dispatcher, and only " +
                "the thread's start below them");
            return new StackWalkResult { Decisions = decisions, Trace = trace, ReportingFrame = reportingFrame, ReporterStack = true };
        }

        // Sentinels (Socorro): the walk starts at the topmost frame any sentinel rule matches below the reporting frames.
        int start = reportingAt + 1;
        CatalogRule? sentinel = null;
        for (int i = start; i < frames.Count && sentinel is null; i++)
        {
            sentinel = matches[i].FirstOrDefault(r => r.Action == RuleAction.Sentinel);
            if (sentinel is not null) start = i;
        }
        for (int i = reportingAt + 1; i < start; i++)
            Add(frames[i], FrameAction.SkippedBeforeSentinel, sentinel!.Id, null,
                $"above the sentinel frame #{frames[start].Index:d2} (rule {sentinel.Id}): not considered");

        (FrameDecision Decision, CatalogRule Rule, Owner Owner)? definite = null, maybe = null, last = null, fallback = null;
        int i2 = start;
        for (; i2 < frames.Count && definite is null; i2++)
        {
            var frame = frames[i2];
            var prefixText = i2 == start && sentinel is not null ? $"walk starts here (rule {sentinel.Id}, sentinel); " : "";
            if (frame.Module is null && frame.Function is null)
            {
                Add(frame, FrameAction.NoRule, null, null,
                    prefixText + "address only (no module or function known): no rule can match; going on down");
                continue;
            }
            var best = matches[i2].FirstOrDefault(r => r.Action != RuleAction.Sentinel);
            if (best is null)
            {
                if (i2 == start && sentinel is not null)
                {
                    signature.Add(frame);
                    Add(frame, FrameAction.Sentinel, sentinel.Id, null,
                        $"walk starts here by rule {sentinel.Id} (sentinel); going on down");
                }
                else Add(frame, FrameAction.NoRule, null, null, prefixText + "no rule matched");
                continue;
            }
            if (i2 == start && sentinel is not null) signature.Add(frame);
            var owner = best.OwnerId is null ? null : _owners[best.OwnerId].Owner;
            switch (best.Action)
            {
                case RuleAction.Ignore:
                    Add(frame, FrameAction.Ignore, best.Id, null, prefixText + $"skipped by rule {best.Id} (ignore)", best.Description);
                    break;
                case RuleAction.Prefix:
                    if (!signature.Contains(frame)) signature.Add(frame);
                    Add(frame, FrameAction.Prefix, best.Id, null,
                        prefixText + $"kept in the signature by rule {best.Id} (prefix); going on down",
                        best.Description);
                    break;
                case RuleAction.Owner:
                    definite = (Add(frame, FrameAction.Owner, best.Id, owner!.Name,
                        prefixText + $"decided by rule {best.Id}: owner {owner.Name}"), best, owner);
                    break;
                case RuleAction.Maybe:
                    if (maybe is null)
                        maybe = (Add(frame, FrameAction.Maybe, best.Id, owner!.Name,
                            prefixText + $"maybe-owner {owner.Name} by rule {best.Id}; a definite owner lower on the stack would win"),
                                best, owner);
                    else
                        Add(frame, FrameAction.Maybe, best.Id, owner!.Name,
                            prefixText + $"maybe-owner {owner.Name} by rule {best.Id}; the maybe-owner {maybe.Value.Owner.Name} higher " +
                                "on the stack stays first");
                    break;
                case RuleAction.Last:
                    if (last is null)
                        last = (Add(frame, FrameAction.Last, best.Id, owner!.Name,
                            prefixText + $"last-resort owner {owner.Name} by rule {best.Id}; any maybe or definite owner lower on the " +
                                "stack would win"), best, owner);
                    else
                        Add(frame, FrameAction.Last, best.Id, owner!.Name,
                            prefixText + $"last-resort owner {owner.Name} by rule {best.Id}; the last-resort " +
                                $"owner {last.Value.Owner.Name} higher on the stack stays first");
                    break;
                case RuleAction.Default:
                    if (fallback is null)
                        fallback = (Add(frame, FrameAction.Default, best.Id, owner!.Name,
                            prefixText + $"default owner {owner.Name} by rule {best.Id}; used only if nothing else matches"), best, owner);
                    else
                        Add(frame, FrameAction.Default, best.Id, owner!.Name,
                            prefixText + $"default owner {owner.Name} by rule {best.Id}; the default {fallback.Value.Owner.Name} higher " +
                                "on the stack stays first");
                    break;
            }
        }
        for (; i2 < frames.Count; i2++)
            Add(frames[i2], FrameAction.NotReached, null, null, "below the deciding frame: not considered");

        var chosen = definite ?? maybe ?? last ?? fallback;
        FrameAction? strength = chosen is null ? null
            : definite is not null ? FrameAction.Owner : maybe is not null ? FrameAction.Maybe : last is not null ? FrameAction.Last
                : FrameAction.Default;
        if (chosen is { } c)
        {
            if (!signature.Contains(c.Decision.Frame)) signature.Add(c.Decision.Frame);
            trace.Add($"=> owner {c.Owner.Name} ({c.Owner.Category}) from frame #{c.Decision.Frame.Index:d2} {c.Decision.Frame.Display} " +
                $"by rule {c.Rule.Id} ({strength!.Value.Name()})" +
                      (strength == FrameAction.Maybe && (last is not null || fallback is not null)
                          ? "; a maybe-owner beats last-resort and default owners" :
                       strength == FrameAction.Last && fallback is not null ? "; a last-resort owner beats default owners" : ""));
        }
        else trace.Add(frames.Count == 0 ? "=> owner unknown: the stack has no frames"
            : "=> owner unknown: no frame matched an owner rule");

        return new StackWalkResult
        {
            Decisions = decisions, Deciding = chosen?.Decision, Owner = chosen?.Owner, RuleId = chosen?.Rule.Id,
            Strength = strength, SignatureFrames = signature, Trace = trace, ReportingFrame = reportingFrame,
        };

        FrameDecision Add(StackFrame frame, FrameAction action, string? ruleId, string? ownerName, string explanation,
            string? reason = null)
        {
            var d = new FrameDecision { Frame = frame, Action = action, RuleId = ruleId, Owner = ownerName, Explanation = explanation,
                Reason = reason };
            decisions.Add(d);
            trace.Add($"#{frame.Index:d2} {frame.Display}: {explanation}");
            return d;
        }
    }

    /// <summary>True when the frames from <paramref name="from"/> down are a thread's start (rules tagged `thread-start`)
    /// and at most the one frame they call (the thread procedure, or main): no frame there can have faulted, since a fault
    /// would have put the exception dispatcher between. Nothing at all below counts too; one lone frame without a
    /// thread start under it does not (a cut stack may hold the faulting frame there).</summary>
    private static bool OnlyThreadStartBelow(List<CatalogRule>[] matches, int from)
    {
        int firstStart = matches.Length;
        while (firstStart > from && matches[firstStart - 1].Any(r => r.Has(ThreadStartTag))) firstStart--;
        int rest = firstStart - from;
        return rest == 0 || (rest == 1 && firstStart < matches.Length);
    }

    // ---- owners of modules, symbols ----------------------------------------------------------------------

    /// <summary>The owner of a module regardless of function: the best rule naming this module (not the
    /// catch-all `*`) that has an owner, preferring rules without a function.</summary>
    public Owner? OwnerOfModule(ModuleInfo module, CrashReport crash) => OwnerRuleOfModule(module, crash)?.Owner;

    private (CatalogRule Rule, Owner Owner)? OwnerRuleOfModule(ModuleInfo module, CrashReport crash)
    {
        var candidate = ModuleCandidate.For(module);
        if (candidate.EngineName is null && candidate.FileName is null) return null;
        var ctx = QuestionsAbout(crash);
        List<CatalogRule> rules;
        lock (ctx)
            rules = ctx.RulesForModule(candidate)
                .Where(r => r.OwnerId is not null && r.Match.Module is { } m && !m.Pattern.MatchesEverything && ctx.ConditionsHold(r))
                .ToList();
        rules.Sort((a, b) =>
        {
            int fa = a.Match.Function is null || a.Match.Function.MatchesEverything ? 0 : 1;
            int fb = b.Match.Function is null || b.Match.Function.MatchesEverything ? 0 : 1;
            return fa != fb ? fa.CompareTo(fb) : ComparePrecedence(a, b);
        });
        var best = rules.FirstOrDefault();
        return best is null ? null : (best, _owners[best.OwnerId!].Owner);
    }

    public string? WhereToGetSymbols(ModuleInfo module, CrashReport crash)
    {
        var owner = OwnerOfModule(module, crash);
        return owner?.Symbols is { } text ? SymbolPlaceholders.Expand(text, module, crash) : null;
    }
}
