using System.Text.Json.Nodes;

namespace FcgiExt.RulesEngine.Reporting;

// What a batch report shows of one dump, read from its JSON contract (a results file from an earlier run reads
// back the same as a fresh result): the exception line, the stack around the deciding frame, the deciding
// module, the symbol problems and the next steps. Every batch renderer (text, Markdown, HTML) prints this.

/// <summary>One frame as a report shows it: the frame, the catalog's decision in words, and its module's symbols.</summary>
public sealed record ReportFrame
{
    public int Index { get; init; }
    /// <summary>"module!function+0x1a [file @ line]".</summary>
    public required string Text { get; init; }
    /// <summary>"module!function+0x1a".</summary>
    public string Display { get; init; } = "";
    /// <summary>"[file @ line]" when the frame has a source line.</summary>
    public string? Source { get; init; }
    public string? Rule { get; init; }
    /// <summary>"owner Xdebug (xdebug-any)", "skipped: Windows wait (win-waits)", "maybe …", "below the deciding frame".</summary>
    public required string Decision { get; init; }
    public required string Action { get; init; }
    public bool Deciding { get; init; }
    public bool Scanned { get; init; }
    public bool Inline { get; init; }
    /// <summary>The frame's module symbol status ("private-pdb", "export-only", "none", …), null when the input does not say.</summary>
    public string? Symbols { get; init; }
}

/// <summary>The deciding module: what a maintainer asks for first (file, version, path, symbols).</summary>
public sealed record ReportModule
{
    public required string FileName { get; init; }
    public string? Version { get; init; }
    public string? Path { get; init; }
    public string? Symbols { get; init; }
}

/// <summary>A module whose symbols are missing, export-only or mismatched.</summary>
public sealed record ReportSymbolRow
{
    public required string Module { get; init; }
    /// <summary>"missing", "export only", "mismatched".</summary>
    public required string Problem { get; init; }
    public bool OnFaultingStack { get; init; }
    public string? WhereToGet { get; init; }
}

/// <summary>A next step as the contract holds it.</summary>
public sealed record ReportStep
{
    public required string Kind { get; init; }
    public required string Text { get; init; }
    public string? Command { get; init; }
    public string? Url { get; init; }
    /// <summary>Where <see cref="Command"/> runs: "debugger", "prompt" (a Windows command prompt) or "fcgi".</summary>
    public string? Runs { get; init; }
    /// <summary>The step's form for a reader outside the debugger, when it differs.</summary>
    public ReportStep? Outside { get; init; }

    /// <summary>The step as a batch report's reader follows it (outside the debugger): its outside form when it has one;
    /// <see cref="Label"/> says "in WinDbg:" for a command that only runs there.</summary>
    public ReportStep ForReader => Outside ?? this;

    public string? Label => Command is not null && Runs == "debugger" ? "in WinDbg:" : null;

    /// <summary>Text and command on one line ("… in WinDbg: lmv m php8ts").</summary>
    public string Line => Rendering.RenderFormat.StepLine(Text, Label, Command);
}

public sealed record DumpDetail
{
    /// <summary>Frames below the deciding frame a report still shows (its callers give the context).</summary>
    public const int FramesBelowDeciding = 2;
    /// <summary>Frames shown when no frame decided.</summary>
    public const int FramesWhenUndecided = 8;

    public required string Owner { get; init; }
    public string? Category { get; init; }
    public string? Confidence { get; init; }
    public IReadOnlyList<string> ConfidenceReasons { get; init; } = [];
    public string? Rule { get; init; }
    public string? Bucket { get; init; }
    public string? ReportUrl { get; init; }
    public string? Advice { get; init; }
    /// <summary>"0xc0000005 STATUS_ACCESS_VIOLATION — Access violation: write to NULL + 0x8 (NULL_POINTER_WRITE)".</summary>
    public string? ExceptionLine { get; init; }
    public string? ExceptionClass { get; init; }
    public string? ExceptionDetail { get; init; }
    /// <summary>True for a voluntary exit (owner "none"): nothing crashed.</summary>
    public bool IsExit { get; init; }
    /// <summary>The top frames up to and including the deciding frame plus <see cref="FramesBelowDeciding"/> below it.</summary>
    public IReadOnlyList<ReportFrame> Stack { get; init; } = [];
    /// <summary>How many frames the excerpt leaves out below its last frame.</summary>
    public int FramesNotShown { get; init; }
    public ReportModule? DecidingModule { get; init; }
    public IReadOnlyList<ReportSymbolRow> SymbolProblems { get; init; } = [];
    public IReadOnlyList<ReportStep> Steps { get; init; } = [];
    /// <summary>"owner (module): why" for each module that may have done it when the stack cannot say.</summary>
    public IReadOnlyList<string> Suspects { get; init; } = [];
    /// <summary>Every frame with the catalog's explanation, for -v.</summary>
    public IReadOnlyList<(ReportFrame Frame, string Explanation)> AllFrames { get; init; } = [];

    /// <param name="dumpPath">The dump the contract came from: fills the `&lt;dump&gt;` of the steps' fcgi commands.</param>
    public static DumpDetail FromContract(JsonObject result, string? dumpPath = null)
    {
        var verdict = result["verdict"] as JsonObject;
        var exception = result["exception"] as JsonObject;
        var modules = (result["modules"] as JsonArray ?? []).OfType<JsonObject>().ToList();
        string owner = Str(verdict, "owner") ?? "unknown";
        var frames = (result["frames"] as JsonArray ?? []).OfType<JsonObject>().Select(f => Frame(f, modules, verdict)).ToList();
        var explanations = (result["frames"] as JsonArray ?? []).OfType<JsonObject>().Select(f => Str(f, "explanation") ?? "").ToList();
        int deciding = frames.FindIndex(f => f.Deciding);
        int shown = deciding >= 0
            ? Math.Min(frames.Count, deciding + 1 + FramesBelowDeciding)
            : Math.Min(frames.Count, FramesWhenUndecided);
        return new DumpDetail
        {
            Owner = owner,
            Category = Str(verdict, "category"),
            Confidence = Str(verdict, "confidence"),
            ConfidenceReasons = Strings(verdict?["confidence_reasons"]),
            Rule = Str(verdict, "rule"),
            Bucket = Str(verdict, "bucket"),
            ReportUrl = Str(verdict, "report_url"),
            Suspects = (verdict?["suspects"] as JsonArray ?? []).OfType<JsonObject>()
                .Select(x => $"{Str(x, "owner")}" + ((Str(x, "frame") ?? Str(x, "module")) is { } where ? $" ({where})" : "") +
                             (Str(x, "why") is { } why ? $": {why}" : ""))
                .ToList(),
            Advice = Str(verdict, "advice"),
            ExceptionLine = ExceptionLineOf(exception, result["process"] as JsonObject),
            ExceptionClass = Str(exception, "class"),
            ExceptionDetail = Str(exception, "detail"),
            IsExit = owner == "none",
            Stack = frames.Take(shown).ToList(),
            FramesNotShown = frames.Count - shown,
            DecidingModule = DecidingModuleOf(Str(verdict, "owner_module"), modules),
            SymbolProblems = SymbolRows(result["symbols"] as JsonObject),
            Steps = (result["next_steps"] as JsonArray ?? []).Select(StepOf).OfType<ReportStep>()
                .Select(st => WithDumpPath(st, dumpPath)).ToList(),
            AllFrames = frames.Select((f, i) => (f, explanations[i])).ToList(),
        };
    }

    static ReportFrame Frame(JsonObject f, List<JsonObject> modules, JsonObject? verdict)
    {
        string display = Str(f, "display") ?? "?";
        string? source = Str(f, "source_file") is { Length: > 0 } file
            ? $"[{file} @ {(f["source_line"] is JsonValue line ? line.ToJsonString() : "?")}]"
            : null;
        string text = source is null ? display : $"{display} {source}";
        string action = Str(f, "action") ?? "no-rule";
        string? rule = Str(f, "rule");
        string? frameOwner = Str(f, "owner");
        bool deciding = action is "owner" or "maybe" or "last" or "default" && Str(verdict, "owner_frame") == display
            && frameOwner == Str(verdict, "owner");
        var module = Str(f, "module") is { } m
            ? modules.FirstOrDefault(x => string.Equals(Str(x, "name"), m, StringComparison.OrdinalIgnoreCase)) : null;
        return new ReportFrame
        {
            Index = f["index"] is JsonValue v && v.TryGetValue<int>(out var i) ? i : 0,
            Text = text,
            Display = display,
            Source = source,
            Rule = rule,
            Decision = DecisionText(action, rule, frameOwner, Str(f, "reason")),
            Action = action,
            Deciding = deciding,
            Scanned = Str(f, "trust") == "scan",
            Inline = f["inline"] is JsonValue b && b.TryGetValue<bool>(out var inl) && inl,
            Symbols = module is null ? null : Str(module, "symbols"),
        };
    }

    /// <summary>The decision in words: who owns it, why it was skipped (the rule's own reason), or that it was not reached.</summary>
    public static string DecisionText(string action, string? rule, string? owner, string? reason)
    {
        string r = rule is { Length: > 0 } ? $" ({rule})" : "";
        return action switch
        {
            "owner" => $"owner {owner}{r}",
            "maybe" => $"maybe {owner}{r}",
            "last" => $"owner {owner}, last resort{r}",
            "default" => $"owner {owner}, by default{r}",
            "suspect" => $"suspect {owner}{r}",
            "not-reached" => "below the deciding frame",
            "no-rule" => "no rule",
            "ignore" or "skipped-before-sentinel" or "prefix" or "sentinel" => $"skipped: {SkipReason(action, reason)}{r}",
            "reporting" => $"skipped: reports the crash{r}",
            _ => action + r,
        };
    }

    /// <summary>The rule's own reason (its description, first sentence, without the full stop), else the action's.</summary>
    static string SkipReason(string action, string? reason)
    {
        if (reason is { Length: > 0 })
        {
            var first = reason.Split(". ", 2)[0].Trim().TrimEnd('.');
            if (first.Length > 0) return first;
        }
        return action switch
        {
            "skipped-before-sentinel" => "above the exception dispatcher",
            "prefix" => "a wrapper, kept in the bucket",
            "sentinel" => "the exception dispatcher",
            _ => "not an owner",
        };
    }

    static string? ExceptionLineOf(JsonObject? exception, JsonObject? process)
    {
        if (exception is null) return null;
        var parts = new List<string>();
        if (Str(exception, "code") is { } code) parts.Add(code + (Str(exception, "symbolic_name") is { } sym ? " " + sym : ""));
        if (Str(exception, "name") is { } name) parts.Add(parts.Count > 0 ? "— " + name : name);
        if (Str(exception, "address") is { } at) parts.Add($"at {at}");
        if (Str(exception, "class") is { } cls) parts.Add($"({cls})");
        return parts.Count == 0 ? null : string.Join(" ", parts);
    }

    static ReportModule? DecidingModuleOf(string? ownerModule, List<JsonObject> modules)
    {
        if (ownerModule is null) return null;
        var m = modules.FirstOrDefault(x => string.Equals(Str(x, "file_name"), ownerModule, StringComparison.OrdinalIgnoreCase))
                ?? modules.FirstOrDefault(x => string.Equals(Str(x, "name"), ownerModule, StringComparison.OrdinalIgnoreCase));
        return new ReportModule
        {
            FileName = m is null ? ownerModule : Str(m, "file_name") ?? ownerModule,
            Version = m is null ? null : Str(m, "version") ?? Str(m, "file_version"),
            Path = m is null ? null : Str(m, "path"),
            Symbols = m is null ? null : Str(m, "symbols"),
        };
    }

    static List<ReportSymbolRow> SymbolRows(JsonObject? symbols)
    {
        var rows = new List<ReportSymbolRow>();
        if (symbols is null) return rows;
        foreach (var (key, label) in new[] { ("missing", "missing"), ("export_only", "export only"), ("mismatched", "mismatched") })
            foreach (var m in (symbols[key] as JsonArray ?? []).OfType<JsonObject>())
                rows.Add(new ReportSymbolRow
                {
                    Module = Str(m, "module") ?? "?", Problem = label,
                    OnFaultingStack = m["on_faulting_stack"] is JsonValue v && v.TryGetValue<bool>(out var b) && b,
                    WhereToGet = Str(m, "where_to_get"),
                });
        return rows;
    }

    /// <summary>The dump's own path in place of the placeholder of an fcgi command (the engine does not know the path
    /// the batch was given); quoted when it has spaces, left as the placeholder when it has characters a shell reads.</summary>
    static ReportStep WithDumpPath(ReportStep step, string? dumpPath)
    {
        if (dumpPath is null || dumpPath.IndexOfAny(['"', '&', '|', '<', '>', '^', '%', '$', '`', ';', '\n']) >= 0) return step;
        string path = dumpPath.Contains(' ') ? $"\"{dumpPath}\"" : dumpPath;
        ReportStep Fill(ReportStep s) => s.Runs == "fcgi" && s.Command?.Contains(DumpPlaceholder) == true
            ? s with { Command = s.Command.Replace(DumpPlaceholder, path) } : s;
        return Fill(step) with { Outside = step.Outside is { } o ? Fill(o) : null };
    }

    public const string DumpPlaceholder = "<dump>";

    static ReportStep? StepOf(JsonNode? node) => node switch
    {
        JsonValue v when v.TryGetValue<string>(out var text) => new ReportStep { Kind = "class", Text = text },
        JsonObject o when Str(o, "text") is { } text => new ReportStep
        {
            Kind = Str(o, "kind") ?? "class", Text = text, Command = Str(o, "command"), Url = Str(o, "url"), Runs = Str(o, "runs"),
            Outside = o["outside"] is JsonObject outside && Str(outside, "text") is { } ot
                ? new ReportStep { Kind = Str(o, "kind") ?? "class", Text = ot, Command = Str(outside, "command"),
                    Runs = Str(outside, "runs") }
                : null,
        },
        _ => null,
    };

    static string? Str(JsonObject? o, string name) =>
        o is not null && o.TryGetPropertyValue(name, out var n) && n is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    static List<string> Strings(JsonNode? node) =>
        (node as JsonArray ?? []).Select(x => x is JsonValue v && v.TryGetValue<string>(out var s) ? s : null).OfType<string>().ToList();
}
