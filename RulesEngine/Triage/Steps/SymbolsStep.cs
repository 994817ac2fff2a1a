using FcgiExt.RulesEngine.Catalog;
using FcgiExt.RulesEngine.Model;

namespace FcgiExt.RulesEngine.Triage;

/// <summary>Step 6: modules without good symbols, those on the faulting stack first, with where to get them.</summary>
public static class SymbolsStep
{
    public static SymbolProblems Run(CrashReport crash, IOwnerCatalog catalog)
    {
        var missing = new List<ModuleSymbolAdvice>();
        var exportOnly = new List<ModuleSymbolAdvice>();
        var mismatched = new List<ModuleSymbolAdvice>();
        var seen = new HashSet<ModuleInfo>(ReferenceEqualityComparer.Instance);
        var seenNames = new HashSet<string>(StringComparer.OrdinalIgnoreCase);

        void Add(ModuleInfo module, bool onStack)
        {
            var list = module.Symbols switch
            {
                SymbolStatus.None => missing, SymbolStatus.ExportOnly => exportOnly, SymbolStatus.Mismatched => mismatched, _ => null,
            };
            if (list is null) return;
            list.Add(new ModuleSymbolAdvice
            {
                Module = module.FileName ?? (module.Path is { Length: > 0 } p ? ModuleNames.FileName(p) : module.Name ?? "?"),
                OnFaultingStack = onStack,
                WhereToGet = catalog.WhereToGetSymbols(module, crash) ?? CatchAllAdvice(module, crash, catalog),
                SymbolServer = catalog.OwnerOfModule(module, crash)?.SymbolServer,
            });
        }

        foreach (var frame in crash.Frames)
        {
            var module = crash.FindModule(frame.Module, frame.InstructionPointer);
            if (module is not null)
            {
                if (seen.Add(module)) Add(module, true);
                continue;
            }
            // Text with no module list: a frame with a module but no function means that module has no symbols.
            if (frame.Module is { Length: > 0 } name && frame.Function is null && seenNames.Add(name))
            {
                var synthetic = name.Contains('.')
                    ? new ModuleInfo { FileName = name, Name = ModuleNames.EngineName(name), Symbols = SymbolStatus.None }
                    : new ModuleInfo { Name = name, Symbols = SymbolStatus.None };
                Add(synthetic, true);
            }
        }
        foreach (var module in crash.Modules)
            if (seen.Add(module)) Add(module, false);
        return new SymbolProblems { Missing = missing, ExportOnly = exportOnly, Mismatched = mismatched };
    }

    /// <summary>The catalog's owner for modules no rule names (fallback.yaml).</summary>
    public const string UnknownModuleOwner = "unknown-module";

    /// <summary>A module no owner names still gets advice: the catch-all owner's text, which names its PDB, GUID, age
    /// and symbol store path.</summary>
    static string? CatchAllAdvice(ModuleInfo module, CrashReport crash, IOwnerCatalog catalog) =>
        catalog.FindOwner(UnknownModuleOwner)?.Symbols is { } text ? SymbolPlaceholders.Expand(text, module, crash) : null;
}
