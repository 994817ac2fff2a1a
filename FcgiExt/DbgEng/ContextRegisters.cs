using System.Buffers.Binary;
using FcgiExt.RulesEngine.Model;

namespace FcgiExt.DbgEng;

/// <summary>General registers out of a CONTEXT record (winnt.h layouts), by the lower-case names of the full x64
/// registers ("rax"…"r15", "rip"): the x86 ones are filed under them too (eax as "rax"), as the decoder asks.</summary>
public static class ContextRegisters
{
    // AMD64 CONTEXT: Rax at 0x78, then Rcx, Rdx, Rbx, Rsp, Rbp, Rsi, Rdi, R8…R15, Rip at 0xF8 (8 bytes each).
    static readonly string[] Amd64Order =
        ["rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi", "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15", "rip"];
    const int Amd64Rax = 0x78;

    // x86 CONTEXT: Edi at 0x9C, Esi, Ebx, Edx, Ecx, Eax, Ebp, Eip (0xB8), SegCs, EFlags, Esp (0xC4).
    static readonly (string Name, int Offset)[] X86Fields =
        [("rdi", 0x9C), ("rsi", 0xA0), ("rbx", 0xA4), ("rdx", 0xA8), ("rcx", 0xAC), ("rax", 0xB0), ("rbp", 0xB4), ("rip", 0xB8),
         ("rsp", 0xC4)];

    public static IReadOnlyDictionary<string, ulong> Read(ReadOnlySpan<byte> context, Architecture arch)
    {
        var registers = new Dictionary<string, ulong>();
        if (arch == Architecture.X64 && context.Length >= Amd64Rax + Amd64Order.Length * 8)
            for (int i = 0; i < Amd64Order.Length; i++)
                registers[Amd64Order[i]] = BinaryPrimitives.ReadUInt64LittleEndian(context[(Amd64Rax + i * 8)..]);
        else if (arch == Architecture.X86 && context.Length >= 0xC8)
            foreach (var (name, offset) in X86Fields)
                registers[name] = BinaryPrimitives.ReadUInt32LittleEndian(context[offset..]);
        return registers;
    }
}
