using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using FcgiExt.RulesEngine.Model;
using FcgiExt.RulesEngine.Triage;

namespace FcgiExt.RulesEngine.Rendering;

/// <summary>
/// The JSON contract (docs/verdict.schema.json) shared by `!fcgi -json` and `fcgi triage --format json`.
/// Written with Utf8JsonWriter, field by field: no reflection, so it works the same under NativeAOT.
/// snake_case names; addresses and codes as "0x…" strings (JSON numbers lose 64-bit precision in many readers).
/// </summary>
public static class JsonRenderer
{
    public static string Render(TriageResult result, bool indented = true, IReadOnlyList<string>? catalogDiagnostics = null)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream, Options(indented)))
            Write(writer, result, catalogDiagnostics is { Count: > 0 } d ? w => StrArray(w, "catalog_diagnostics", d) : null);
        return Encoding.UTF8.GetString(stream.ToArray());
    }

    /// <summary>Writer options: indented or not; non-ASCII and '+' kept readable.</summary>
    public static JsonWriterOptions Options(bool indented) => new()
    {
        Indented = indented,
        // Relaxed: '+' and quotes stay readable in `!fcgi -json`; the output is JSON, never pasted into HTML
        // unescaped (the HTML renderer escapes everything itself).
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>Writes the contract as one object. <paramref name="extra"/> adds properties first (the batch tool's
    /// "dump" path) so callers can extend the object without re-parsing it.</summary>
    public static void Write(Utf8JsonWriter w, TriageResult r, Action<Utf8JsonWriter>? extra = null)
    {
        var crash = r.Crash;
        w.WriteStartObject();
        extra?.Invoke(w);
        w.WriteNumber("schema_version", TriageResult.SchemaVersion);

        w.WriteStartObject("verdict");
        var v = r.Verdict;
        Str(w, "owner", v.Owner);
        Str(w, "owner_module", v.OwnerModule);
        Str(w, "owner_frame", v.OwnerFrame);
        Str(w, "category", v.Category);
        w.WriteString("confidence", RenderFormat.Lower(v.Confidence));
        StrArray(w, "confidence_reasons", v.ConfidenceReasons);
        Str(w, "bucket", v.Bucket);
        Str(w, "rule", v.Rule);
        Str(w, "report_url", v.ReportUrl);
        Str(w, "symbols_hint", v.SymbolsHint);
        Str(w, "advice", v.Advice);
        w.WriteStartArray("suspects");
        foreach (var s in v.Suspects)
        {
            w.WriteStartObject();
            Str(w, "owner", s.Owner);
            Str(w, "module", s.Module);
            Str(w, "frame", s.Frame);
            Str(w, "why", s.Why);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();

        w.WriteStartObject("exception");
        var ex = crash.Exception;
        Str(w, "code", RenderFormat.Code(ex?.Code));
        Str(w, "symbolic_name", ex is null ? null : ExceptionCodes.NameOf(ex.Code));
        Str(w, "name", r.Exception?.Name);
        Str(w, "class", r.Exception?.Class);
        Str(w, "detail", r.Exception?.Detail);
        Str(w, "address", RenderFormat.Address(ex?.Address));
        Str(w, "access", ex is null ? null : RenderFormat.Access(ex.Access));
        Str(w, "target_address", RenderFormat.Address(ex?.TargetAddress));
        if (ex?.FirstChance is { } fc) w.WriteBoolean("first_chance", fc); else w.WriteNull("first_chance");
        Str(w, "flags", ex is null ? null : $"0x{ex.Flags:x}");
        w.WriteStartArray("parameters");
        foreach (var p in ex?.Parameters ?? []) w.WriteStringValue(RenderFormat.Address(p));
        w.WriteEndArray();
        w.WriteEndObject();

        w.WriteStartArray("frames");
        foreach (var d in r.Frames) WriteFrame(w, d);
        w.WriteEndArray();

        w.WriteStartArray("modules");
        foreach (var m in crash.Modules) WriteModule(w, m);
        w.WriteEndArray();

        w.WriteStartObject("symbols");
        WriteAdvice(w, "missing", r.Symbols.Missing);
        WriteAdvice(w, "export_only", r.Symbols.ExportOnly);
        WriteAdvice(w, "mismatched", r.Symbols.Mismatched);
        w.WriteEndObject();

        w.WriteStartArray("next_steps");
        foreach (var s in r.NextSteps)
        {
            w.WriteStartObject();
            Str(w, "kind", s.Kind);
            Str(w, "text", s.Text);
            Str(w, "command", s.Command);
            Str(w, "runs", s.Runs);
            Str(w, "url", s.Url);
            if (s.Outside is { } o)
            {
                w.WriteStartObject("outside");
                Str(w, "text", o.Text);
                Str(w, "command", o.Command);
                Str(w, "runs", o.Runs);
                w.WriteEndObject();
            }
            else w.WriteNull("outside");
            w.WriteEndObject();
        }
        w.WriteEndArray();

        StrArray(w, "explanation", r.Explanation);

        w.WriteStartObject("process");
        Str(w, "name", crash.Process.Name);
        w.WriteString("architecture", RenderFormat.Architecture(crash.Process.Architecture));
        Str(w, "command_line", crash.Process.CommandLine);
        if (crash.Process.ProcessId is { } pid) w.WriteNumber("pid", pid); else w.WriteNull("pid");
        w.WriteEndObject();

        w.WriteStartObject("source");
        Str(w, "kind", crash.Source.Kind);
        Str(w, "path", crash.Source.Path);
        w.WriteBoolean("live", crash.Source.Live);
        w.WriteNumber("skipped_lines", crash.Source.SkippedLineCount);
        StrArray(w, "notes", crash.Source.Notes);
        Str(w, "bucket", crash.SourceBucket);
        Str(w, "time", crash.Time?.ToString("o"));
        w.WriteEndObject();

        w.WriteEndObject();
    }

    static void WriteFrame(Utf8JsonWriter w, FrameDecision d)
    {
        var f = d.Frame;
        w.WriteStartObject();
        w.WriteNumber("index", f.Index);
        Str(w, "display", f.Display);
        Str(w, "module", f.Module);
        Str(w, "function", f.Function);
        Str(w, "displacement", RenderFormat.Address(f.Displacement));
        Str(w, "instruction_pointer", RenderFormat.Address(f.InstructionPointer));
        Str(w, "child_stack_pointer", RenderFormat.Address(f.ChildStackPointer));
        Str(w, "return_address", RenderFormat.Address(f.ReturnAddress));
        Str(w, "source_file", f.SourceFile);
        if (f.SourceLine is { } line) w.WriteNumber("source_line", line); else w.WriteNull("source_line");
        w.WriteString("trust", RenderFormat.Trust(f.Trust));
        w.WriteBoolean("inline", f.Inline);
        Str(w, "action", d.Action.Name());
        Str(w, "rule", d.RuleId);
        Str(w, "owner", d.Owner);
        Str(w, "explanation", d.Explanation);
        Str(w, "reason", d.Reason);
        w.WriteEndObject();
    }

    static void WriteModule(Utf8JsonWriter w, ModuleInfo m)
    {
        w.WriteStartObject();
        Str(w, "file_name", m.FileName);
        Str(w, "name", m.Name);
        Str(w, "path", m.Path);
        Str(w, "base", RenderFormat.Address(m.Base));
        Str(w, "size", RenderFormat.Address(m.Size));
        Str(w, "timestamp", m.Timestamp is { } t ? $"0x{t:x8}" : null);
        // The module's version and CodeView identity (the PDB a symbol store files under pdb/<GUID><age>/pdb).
        Str(w, "version", m.FileVersion);
        Str(w, "product_version", m.ProductVersion);
        Str(w, "linker_version", m.LinkerVersion);
        Str(w, "pdb", m.PdbName);
        Str(w, "pdb_guid", m.PdbGuid?.ToString("D"));
        if (m.PdbAge is { } age) w.WriteNumber("pdb_age", age); else w.WriteNull("pdb_age");
        // schema_version 1 names of version and pdb: the schema promises no removal without a version bump.
        Str(w, "file_version", m.FileVersion);
        Str(w, "pdb_name", m.PdbName);
        w.WriteString("symbols", RenderFormat.Symbols(m.Symbols));
        Str(w, "symbol_file", m.SymbolFile);
        w.WriteEndObject();
    }

    static void WriteAdvice(Utf8JsonWriter w, string name, IReadOnlyList<ModuleSymbolAdvice> list)
    {
        w.WriteStartArray(name);
        foreach (var a in list)
        {
            w.WriteStartObject();
            Str(w, "module", a.Module);
            w.WriteBoolean("on_faulting_stack", a.OnFaultingStack);
            Str(w, "where_to_get", a.WhereToGet);
            Str(w, "symbol_server", a.SymbolServer);
            w.WriteEndObject();
        }
        w.WriteEndArray();
    }

    static void Str(Utf8JsonWriter w, string name, string? value)
    {
        if (value is null) w.WriteNull(name); else w.WriteString(name, ValidUtf16(value));
    }

    static void StrArray(Utf8JsonWriter w, string name, IEnumerable<string> values)
    {
        w.WriteStartArray(name);
        foreach (var v in values) w.WriteStringValue(ValidUtf16(v));
        w.WriteEndArray();
    }

    /// <summary>Utf8JsonWriter refuses lone surrogates; text from a damaged dump or paste may hold them.</summary>
    static string ValidUtf16(string s)
    {
        for (int i = 0; i < s.Length; i++)
        {
            if (!char.IsSurrogate(s[i])) continue;
            if (char.IsHighSurrogate(s[i]) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1])) { i++; continue; }
            var chars = s.ToCharArray();
            for (int j = 0; j < chars.Length; j++)
            {
                if (char.IsHighSurrogate(chars[j]) && j + 1 < chars.Length && char.IsLowSurrogate(chars[j + 1])) { j++; continue; }
                if (char.IsSurrogate(chars[j])) chars[j] = '\uFFFD';
            }
            return new string(chars);
        }
        return s;
    }
}
