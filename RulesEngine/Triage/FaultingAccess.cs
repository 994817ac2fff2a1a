using Iced.Intel;
using FcgiExt.RulesEngine.Model;

namespace FcgiExt.RulesEngine.Triage;

/// <summary>
/// On x64 a general-protection fault (a non-canonical pointer) is reported as an access violation reading
/// 0xffffffffffffffff, whatever the instruction did: the CPU does not give the address. Decoding the faulting
/// instruction with the context's registers gives the real access and target, as Breakpad's processor does
/// (`mov rax, [rax+rcx]` with rax+rcx = 0xfefefefefefefefe). Without the bytes the access is honestly unknown.
/// </summary>
public static class FaultingAccess
{
    /// <summary>What the instruction really touched, or null when it cannot be told.</summary>
    public sealed record Decoded(AccessKind Access, ulong Target, string Instruction, string Operand);

    /// <summary>True for the record Windows writes for a #GP: an x64 access violation "reading" 0xffffffffffffffff.</summary>
    public static bool IsGeneralProtectionFault(ExceptionInfo ex, Architecture architecture) =>
        ex.Code == ExceptionCodes.AccessViolation && architecture != Architecture.X86 && ex.TargetAddress == ulong.MaxValue;

    public static Decoded? Decode(FaultingInstruction? instruction, Architecture architecture)
    {
        if (instruction is null || instruction.Bytes.Count == 0) return null;
        int bitness = architecture == Architecture.X86 ? 32 : 64;
        var decoder = Decoder.Create(bitness, new ByteArrayCodeReader(instruction.Bytes.ToArray()));
        decoder.IP = instruction.Address;
        decoder.Decode(out var decoded);
        if (decoded.IsInvalid) return null;
        var used = new InstructionInfoFactory().GetInfo(decoded).GetUsedMemory()
            .Where(m => m.Access is not (OpAccess.None or OpAccess.NoMemAccess)).ToList();
        // One memory operand, or several that agree, is an answer; a movs (two operands) is not.
        if (used.Count == 0) return null;
        var registers = instruction.Registers;
        var targets = new List<(AccessKind, ulong, UsedMemory)>();
        foreach (var m in used)
        {
            if (!m.TryGetVirtualAddress(0, out ulong address, (Register r, int _, int _, out ulong v) => TryRegister(registers, r, out v)))
                return null;
            targets.Add((AccessOf(m.Access), address, m));
        }
        var nonCanonical = targets.Where(t => ExceptionClassifier.IsNonCanonical(t.Item2)).ToList();
        var (access, target, memory) = nonCanonical.Count == 1 ? nonCanonical[0] : targets.Count == 1 ? targets[0] : default;
        if (target == 0 && access == AccessKind.Unknown) return null;
        var formatter = new IntelFormatter();
        var output = new StringOutput();
        formatter.Format(decoded, output);
        return new Decoded(access, target, output.ToStringAndReset(), Operand(memory));
    }

    static AccessKind AccessOf(OpAccess access) => access switch
    {
        OpAccess.Read or OpAccess.CondRead => AccessKind.Read,
        OpAccess.Write or OpAccess.CondWrite or OpAccess.ReadWrite or OpAccess.ReadCondWrite => AccessKind.Write,
        _ => AccessKind.Unknown,
    };

    static string Operand(UsedMemory m)
    {
        var parts = new List<string>();
        if (m.Base != Register.None) parts.Add(m.Base.ToString().ToLowerInvariant());
        if (m.Index != Register.None) parts.Add(m.Index.ToString().ToLowerInvariant() + (m.Scale > 1 ? $"*{m.Scale}" : ""));
        if (m.Displacement != 0 || parts.Count == 0) parts.Add($"0x{m.Displacement:x}");
        return "[" + string.Join("+", parts) + "]";
    }

    /// <summary>A register's value from the context: sub-registers are cut from their full register; segment bases
    /// are 0 in user mode except fs and gs, which the context does not hold.</summary>
    static bool TryRegister(IReadOnlyDictionary<string, ulong> registers, Register register, out ulong value)
    {
        value = 0;
        if (register.IsSegmentRegister()) return register is not (Register.FS or Register.GS);
        var full = register.GetFullRegister();
        if (!registers.TryGetValue(full.ToString().ToLowerInvariant(), out var v)) return false;
        int size = register.GetSize();
        value = size >= 8 ? v : v & ((1UL << (size * 8)) - 1);
        return true;
    }
}
