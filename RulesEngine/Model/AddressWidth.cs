namespace FcgiExt.RulesEngine.Model;

/// <summary>
/// A 32-bit process has 32-bit addresses, but its dump stores them in 64-bit fields, and writers fill the upper half
/// differently: sign-extended (0xffffffff80001000), or with garbage (0xffffffff00000045 for a write to 0x45). Left
/// as they are, the same crash is NULL_POINTER_WRITE in one dump and INVALID_POINTER_WRITE in another, and the
/// reports print addresses no one can find. So every address of an x86 target is cut to 32 bits before anything
/// classifies or prints it: exception address and parameters (ULONG_PTR in a 32-bit process), frames, registers,
/// modules. Readers apply it as they build a report, triage again for every other source (dumps, JSON, tests).
/// </summary>
public static class AddressWidth
{
    public static CrashReport CutTo32Bits(CrashReport crash)
    {
        if (crash.Process?.Architecture != Architecture.X86) return crash;
        return crash with
        {
            Exception = crash.Exception is { } e
                ? e with
                {
                    Address = Cut(e.Address), Parameters = e.Parameters.Select(p => p & 0xFFFFFFFF).ToArray(),
                    Instruction = e.Instruction is { } i ? i with { Address = i.Address & 0xFFFFFFFF, Registers = Cut(i.Registers) } : null,
                }
                : null,
            FaultingThread = crash.FaultingThread is { } t
                ? t with { Frames = t.Frames.Select(CutFrame).ToList(), Registers = Cut(t.Registers) }
                : null,
            Modules = crash.Modules.Select(m => m with { Base = Cut(m.Base) }).ToList(),
        };
    }

    static StackFrame CutFrame(StackFrame f) => f with
    {
        InstructionPointer = Cut(f.InstructionPointer), ChildStackPointer = Cut(f.ChildStackPointer), ReturnAddress = Cut(f.ReturnAddress),
    };

    static ulong? Cut(ulong? address) => address & 0xFFFFFFFF;

    static Dictionary<string, ulong> Cut(IReadOnlyDictionary<string, ulong> registers) =>
        registers.ToDictionary(kv => kv.Key, kv => kv.Value & 0xFFFFFFFF);
}
