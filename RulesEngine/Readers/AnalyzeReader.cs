using System.Text.RegularExpressions;
using FcgiExt.RulesEngine.Model;

namespace FcgiExt.RulesEngine.Readers;

/// <summary>
/// The "NAME:  value" fields of `!analyze -v` (old style, e.g. FAULTING_IP, PROCESS_NAME, IMAGE_NAME,
/// MODULE_NAME, FAILURE_BUCKET_ID, EXCEPTION_PARAMETER1) and the "Key : Failure.Bucket / Value: …" pairs of
/// newer versions. STACK_TEXT is read by <see cref="StackTextReader"/>, the EXCEPTION_RECORD and CONTEXT
/// bodies by <see cref="ExceptionRecordReader"/> and <see cref="RegisterReader"/>. Other upper-case fields
/// (DUMP_TYPE, BUGCHECK_STR, PROBLEM_CLASSES…) are recognized and deliberately not used.
/// </summary>
internal sealed partial class AnalyzeReader : IBlockReader
{
    public int TryRead(IReadOnlyList<TextLine> lines, int start, CrashReportBuilder builder, ReadState state)
    {
        var line = lines[start];
        if (line.Command is not null) return 0;
        var text = line.Trimmed;

        var dump = LoadingDump().Match(text);
        if (dump.Success)
        {
            // "Loading Dump File [C:\dumps\php-cgi.exe.6700.dmp]" (procdump, WER and DebugDiag name dumps after the process).
            var exe = Regex.Match(ModuleNames.FileName(dump.Groups["path"].Value), @"^(?<name>.+?\.exe)(?=[._]|$)", RegexOptions.IgnoreCase);
            if (exe.Success) builder.ProcessName ??= exe.Groups["name"].Value;
            builder.AddKind("windbg-text");
            return 1;
        }
        var kv = KeyValueKey().Match(text);
        if (kv.Success)
        {
            // "Key  : Failure.Bucket" then "Value: INVALID_POINTER_READ_c0000005_php8.dll!ir_fix_bb_order"
            if (start + 1 < lines.Count && KeyValueValue().Match(lines[start + 1].Trimmed) is { Success: true } v)
            {
                ApplyKey(kv.Groups["key"].Value, v.Groups["value"].Value.Trim(), builder);
                builder.AddKind("windbg-text");
                return 2;
            }
            return 1;
        }

        var f = Field().Match(text);
        if (!f.Success) return 0;
        var name = f.Groups["name"].Value.ToUpperInvariant();
        if (!KnownField(name)) return 0;
        var value = InputText.FieldValue(f.Groups["value"].ValueSpan);
        builder.AddKind("windbg-text");
        switch (name)
        {
            case "FAULTING_IP":
                return 1 + ReadFaultingIp(lines, start + 1, builder);
            case "PROCESS_NAME":
                if (value.Length > 0) builder.ProcessName ??= value;
                break;
            case "IMAGE_NAME":
                if (value.Length > 0)
                {
                    imageName = value;
                    builder.AddModule(new ModuleInfo { FileName = value, Name = ModuleNames.EngineName(value), FileVersion = imageVersion });
                }
                break;
            case "MODULE_NAME":
                if (value.Length > 0) builder.AddModule(new ModuleInfo { Name = value });
                break;
            case "FAULTING_MODULE":
                // "00007ffb3c1b0000 php_xdebug"
                var fm = Regex.Match(value, @"^(?<base>[0-9a-fA-F`]+)\s+(?<name>\S+)$");
                if (fm.Success) builder.AddModule(new ModuleInfo { Name = fm.Groups["name"].Value, Base = Hex.Parse(fm.Groups["base"].Value) });
                break;
            case "FAILURE_BUCKET_ID":
                if (value.Length > 0) { builder.SourceBucket = value; BucketFrame(value, builder); ProblemClass(value, builder); }
                break;
            case "BUCKET_ID" or "DEFAULT_BUCKET_ID":
                if (value.Length > 0 && builder.SourceBucket is null) builder.SourceBucket = value;
                ProblemClass(value, builder);
                break;
            case "BUGCHECK_STR" or "PRIMARY_PROBLEM_CLASS" or "FAILURE_PROBLEM_CLASS" or "DEFAULT_BUCKET_ID_STR":
                ProblemClass(value, builder);
                break;
            case "ERROR_CODE" or "EXCEPTION_CODE" or "EXCEPTION_CODE_STR":
                var code = Regex.Match(value, @"(?:0x)?([0-9a-fA-F]{8})\b");
                if (code.Success && Hex.ParseCode(code.Groups[1].Value) is { } c) builder.SetCode(c, CrashReportBuilder.ExceptionStrength.Analyze);
                break;
            case "EXCEPTION_PARAMETER1" or "EXCEPTION_PARAMETER2":
                // Kept only when no .exr record gives the parameters.
                if (Hex.Parse(FirstToken(value)) is { } p)
                {
                    if (name.EndsWith('1')) analyzeParameter1 = p; else analyzeParameter2 = p;
                    if (analyzeParameter1 is { } p1)
                        builder.SetParameters(analyzeParameter2 is { } p2 ? [p1, p2] : [p1], CrashReportBuilder.ExceptionStrength.Analyze);
                }
                break;
            case "READ_ADDRESS" or "WRITE_ADDRESS":
                // Replaces a kind without address that a problem class above gave.
                if (builder.AccessFromText is null or { Target: null })
                    builder.AccessFromText = (name == "READ_ADDRESS" ? AccessKind.Read : AccessKind.Write, Hex.Parse(FirstToken(value)));
                break;
            case "FAULTING_THREAD":
                if (Hex.Parse(FirstToken(value)) is { } tid && tid <= uint.MaxValue) builder.FaultingThreadId ??= (uint)tid;
                break;
            case "IMAGE_VERSION":
                // The version of IMAGE_NAME's file, which may come before or after it.
                if (value.Length > 0)
                {
                    imageVersion = value;
                    if (imageName is not null) builder.AddModule(new ModuleInfo { FileName = imageName, Name = ModuleNames.EngineName(imageName), FileVersion = value });
                }
                break;
        }
        return 1;
    }

    ulong? analyzeParameter1, analyzeParameter2;
    string? imageName, imageVersion;

    /// <summary>
    /// !analyze's bucket ends with the frame it blamed ("…_c0000005_php8.dll!ir_fix_bb_order"). When the paste
    /// has no stack at all, that frame is the only one there is: it is offered with the lowest priority and
    /// a note says where it came from.
    /// </summary>
    static void BucketFrame(string bucket, CrashReportBuilder builder)
    {
        // The module!function part follows the exception code: "<CLASS>_<code>_<module>!<function>".
        var m = Regex.Match(bucket, @"_[0-9a-fA-F]{8}_(?<module>[^!\s]+)!(?<function>[^\s!+]+)");
        if (!m.Success || m.Groups["module"].Value.Equals("Unknown", StringComparison.OrdinalIgnoreCase)) return;
        var file = m.Groups["module"].Value;
        builder.AddStack(new CrashReportBuilder.StackCandidate("windbg-text", CrashReportBuilder.PriorityBucket,
            [new StackFrame { Module = ModuleNames.EngineName(file) ?? file, Function = m.Groups["function"].Value, Trust = FrameTrust.Unknown }], null, null));
        if (!builder.HasStackAbove(CrashReportBuilder.PriorityBucket))
            builder.Note("The only frame comes from !analyze's failure bucket (" + bucket + "): the paste holds no stack.");
    }

    /// <summary>
    /// !analyze names the problem where no exception record was pasted: BUGCHECK_STR
    /// "APPLICATION_FAULT_INVALID_POINTER_READ", PRIMARY_PROBLEM_CLASS "NULL_CLASS_PTR_READ", a bucket
    /// "INVALID_POINTER_READ_c0000005_php8.dll!…". The code in a bucket and the access its words name stand in,
    /// weaker than EXCEPTION_CODE or a record.
    /// </summary>
    static void ProblemClass(string value, CrashReportBuilder builder)
    {
        if (value.Length == 0) return;
        // The words before the module part: "INVALID_POINTER_READ_c0000005_php8.dll!x" → INVALID, POINTER, READ, c0000005.
        var head = value.Split('!')[0];
        var words = head.Split('_', StringSplitOptions.RemoveEmptyEntries);
        foreach (var w in words)
            if (w.Length == 8 && (w[0] is 'c' or 'C' or '8' or 'e' or 'E') && Hex.ParseCode(w) is { } c)
            {
                builder.SetCode(c, CrashReportBuilder.ExceptionStrength.Summary);
                break;
            }
        var upper = head.ToUpperInvariant();
        bool pointer = upper.Contains("POINTER_") || upper.Contains("PTR_") || upper.Contains("ACCESS_VIOLATION") ||
                       upper.Contains("NULL_DEREFERENCE") || upper.Contains("BAD_INSTRUCTION_PTR");
        if (pointer)
        {
            builder.SetCode(0xC0000005, CrashReportBuilder.ExceptionStrength.Inferred);
            var kind = upper.Contains("_READ") ? AccessKind.Read : upper.Contains("_WRITE") ? AccessKind.Write
                : upper.Contains("_EXECUTE") || upper.Contains("BAD_INSTRUCTION_PTR") ? AccessKind.Execute : AccessKind.Unknown;
            if (kind != AccessKind.Unknown) builder.AccessFromText ??= (kind, null);
        }
        else if (upper.Contains("STACK_OVERFLOW")) builder.SetCode(0xC00000FD, CrashReportBuilder.ExceptionStrength.Inferred);
        else if (upper.Contains("HEAP_CORRUPTION")) builder.SetCode(0xC0000374, CrashReportBuilder.ExceptionStrength.Inferred);
    }

    static string FirstToken(string s) => s.Split(' ', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault() ?? "";

    /// <summary>FAULTING_IP's body: the symbol line and the disassembly line.</summary>
    static int ReadFaultingIp(IReadOnlyList<TextLine> lines, int i, CrashReportBuilder builder)
    {
        int used = 0;
        CallSite? site = null;
        if (i < lines.Count && lines[i].Command is null && lines[i].Trimmed is { Length: > 0 } s && CallSiteParser.Parse(s.TrimEnd(':')) is { Module: not null } cs)
        {
            site = cs; used++;
        }
        ulong? ip = null;
        if (i + used < lines.Count && lines[i + used].Command is null)
        {
            var dis = Regex.Match(lines[i + used].Trimmed, @"^(?<addr>[0-9a-fA-F]{8}(?:`?[0-9a-fA-F]{8})?)\s+[0-9a-fA-F]{2,}\s+(?<rest>.+)$");
            if (dis.Success)
            {
                ip = Hex.Parse(dis.Groups["addr"].Value);
                builder.Note("Faulting instruction: " + dis.Groups["rest"].Value.Trim());
                used++;
            }
        }
        if (site is not null && !builder.HasStackAbove(CrashReportBuilder.PriorityFaultingInstruction))
            builder.AddStack(new CrashReportBuilder.StackCandidate("windbg-text", CrashReportBuilder.PriorityFaultingInstruction,
                [new StackFrame { InstructionPointer = ip, Module = site.Module, Function = site.Function, Displacement = site.Displacement, Trust = FrameTrust.Context }], null, null));
        if (ip is not null) builder.SetAddress(ip.Value, CrashReportBuilder.ExceptionStrength.Analyze);
        return used;
    }

    void ApplyKey(string key, string value, CrashReportBuilder builder)
    {
        switch (key)
        {
            case "Failure.Bucket": builder.SourceBucket ??= value; BucketFrame(value, builder); ProblemClass(value, builder); break;
            case "Failure.Exception.Code":
                if (Hex.ParseCode(value) is { } c) builder.SetCode(c, CrashReportBuilder.ExceptionStrength.Analyze); break;
            case "Failure.Exception.IP.Address":
                if (Hex.Parse(value) is { } a) builder.SetAddress(a, CrashReportBuilder.ExceptionStrength.Analyze); break;
            case "Failure.ProcessName": builder.ProcessName ??= value; break;
            case "AV.Type" or "AV.Fault":
                var kind = value.ToLowerInvariant() switch { "read" => AccessKind.Read, "write" => AccessKind.Write, "execute" => AccessKind.Execute, _ => AccessKind.Unknown };
                if (kind != AccessKind.Unknown) builder.AccessFromText ??= (kind, null);
                // !analyze writes AV.* keys only for access violations.
                builder.SetCode(0xC0000005, CrashReportBuilder.ExceptionStrength.Inferred);
                break;
        }
    }

    static bool KnownField(string name) => name is "FAULTING_IP" or "PROCESS_NAME" or "IMAGE_NAME" or "MODULE_NAME" or "FAULTING_MODULE"
        or "FAILURE_BUCKET_ID" or "BUCKET_ID" or "DEFAULT_BUCKET_ID" or "ERROR_CODE" or "EXCEPTION_CODE" or "EXCEPTION_CODE_STR"
        or "EXCEPTION_PARAMETER1" or "EXCEPTION_PARAMETER2" or "READ_ADDRESS" or "WRITE_ADDRESS" or "FAULTING_THREAD" or "IMAGE_VERSION"
        or "EXCEPTION_RECORD" or "CONTEXT" or "SYMBOL_NAME" or "BUGCHECK_STR" or "PRIMARY_PROBLEM_CLASS" or "DUMP_TYPE" or "STACK_COMMAND"
        or "LAST_CONTROL_TRANSFER" or "FOLLOWUP_IP" or "FOLLOWUP_NAME" or "FAILURE_ID_HASH" or "FAILURE_ID_HASH_STRING" or "BUCKET_ID_FUNC_OFFSET"
        or "BUCKET_ID_MODULE_STR" or "BUCKET_ID_PREFIX_STR" or "FAILURE_EXCEPTION_CODE" or "FAILURE_IMAGE_NAME" or "FAILURE_MODULE_NAME"
        or "FAILURE_SYMBOL_NAME" or "FAILURE_FUNCTION_NAME" or "OS_VERSION" or "BUILDLAB_STR" or "OSPLATFORM_TYPE" or "OSNAME" or "PROBLEM_CLASSES"
        or "THREAD_ATTRIBUTES" or "OS_LOCALE" or "ANALYSIS_SESSION_HOST" or "ANALYSIS_SESSION_TIME" or "ANALYSIS_VERSION" or "ADDITIONAL_DEBUG_TEXT"
        or "FAULTING_SOURCE_LINE" or "FAULTING_SOURCE_FILE" or "FAULTING_SOURCE_LINE_NUMBER" or "FAULTING_SOURCE_CODE" or "THREAD_SHA1_HASH_MOD_FUNC"
        or "THREAD_SHA1_HASH_MOD_FUNC_OFFSET" or "THREAD_SHA1_HASH_MOD" or "TARGET_TIME" or "SYSTEM_UPTIME" or "PROCESS_UPTIME" or "EXCEPTION_STR"
        or "NTGLOBALFLAG" or "APPLICATION_VERIFIER_FLAGS" or "APP" or "APPLICATION_VERIFIER_LOADED" or "MODULE_TIMESTAMP" or "IMAGE_VERSION_STR"
        or "FILE_IN_CAB" or "CONTEXT_RECORD" or "ERROR_CODE_STR" or "NTSTATUS_STR" or "KEY_VALUES_STRING" or "BLOCKING_THREAD" or "FAULTING_THREAD_ID"
        or "EXCEPTION_CODE_DESCRIPTION" or "FAILURE_PROBLEM_CLASS" or "DEFAULT_BUCKET_ID_STR" or "PROCESS_BAM_CURRENT_THROTTLED" or "PROCESS_BAM_PREVIOUS_THROTTLED" or "ADDITIONAL_XML" or "FAILURE_BUCKET"
        or "STACKUSAGE_FUNCTION" or "STACKUSAGE_FUNCTION_SIZE" or "STACKUSAGE_IMAGE" or "STACKUSAGE_IMAGE_SIZE" or "MISSING_SOURCE_FILE"
        or "IP_MODULE_UNLOADED" or "IP_ON_HEAP" or "IP_IN_FREE_BLOCK" or "FRAME_ONE_INVALID" or "MANAGED_CODE" or "DERIVED_WAIT_CHAIN"
        or "WAIT_CHAIN_COMMAND" or "DETOURED_IMAGE" or "INVALID_POINTER_READ" or "EXCEPTION_PARAMETER3" or "EXCEPTION_PARAMETER4";

    [GeneratedRegex(@"^(?<name>[A-Z][A-Z0-9_]{2,}):(?:\s+(?<value>.*))?$")] private static partial Regex Field();
    [GeneratedRegex(@"^Loading Dump File \[(?<path>[^\]]+)\]", RegexOptions.IgnoreCase)] private static partial Regex LoadingDump();
    [GeneratedRegex(@"^Key\s*:\s*(?<key>[\w.]+)\s*$")] private static partial Regex KeyValueKey();
    [GeneratedRegex(@"^Value\s*:\s*(?<value>.*)$")] private static partial Regex KeyValueValue();
}
