#!/usr/bin/env python3
"""Writes FcgiExt/DbgEng/DbgEngInterfaces.g.cs from the package's dbgeng.h.

usage: gen_interfaces.py [dbgeng.h] [out.cs]      (defaults: the NuGet package's header, ../DbgEngInterfaces.g.cs)
       gen_interfaces.py --check                  (regenerate in memory; exit 1 if the committed file differs)

Each interface is declared flat, in dbgeng.h vtable order (dbgeng.h repeats every inherited method in each
DECLARE_INTERFACE_ block). Methods listed in WANTED get a signature translated from their C parameters;
every other slot up to the last wanted one gets a placeholder so the layout always matches; slots after the
last wanted one are left out (never called). The script stops if an interface's method count is not the one
documented for it, so a header that moved slots around cannot silently shift ours.
"""
import os, re, subprocess, sys

PKG_VERSION = '20260109.1235.0'
HERE = os.path.dirname(os.path.abspath(__file__))

# interface: (IID, methods in its dbgeng.h block, IUnknown's three included, [methods we call])
WANTED = {
    'IDebugClient5': ('e3acb9d7-7ec2-4f0c-a0da-e81e0cbbe628', 95, [
        'AttachProcess', 'DetachProcesses', 'TerminateProcesses', 'GetExitCode',
        'EndSession', 'FlushCallbacks', 'OpenDumpFileWide', 'SetOutputCallbacksWide',
        'GetOutputMask', 'SetOutputMask', 'CreateProcessWide',
    ]),
    'IDebugControl5': ('b2ffe162-2412-429f-8d1d-5bf6dd824696', 174, [
        'GetInterrupt', 'SetInterrupt', 'GetStackTrace', 'GetActualProcessorType', 'GetEffectiveProcessorType',
        'IsPointer64Bit', 'GetEngineOptions', 'AddEngineOptions', 'RemoveEngineOptions', 'SetEngineOptions',
        'GetExecutionStatus', 'SetExecutionStatus', 'WaitForEvent', 'GetNumberEventFilters', 'GetCurrentTimeDate', 'GetDebuggeeType',
        'OutputWide', 'ControlledOutputWide', 'ExecuteWide', 'GetLastEventInformationWide',
        'GetStoredEventInformation', 'GetStackTraceEx', 'GetContextStackTraceEx',
    ]),
    # IDebugSymbols5 (Windows 8 and later engines): the inline-frame name and line lookups.
    'IDebugSymbols5': ('c65fa83e-1e69-475e-8e0e-b5d79e9cc17e', 135, [
        'GetSymbolOptions', 'AddSymbolOptions', 'RemoveSymbolOptions', 'SetSymbolOptions',
        'GetNumberModules', 'GetModuleByIndex', 'GetModuleByOffset', 'GetModuleParameters',
        'GetNameByOffsetWide', 'GetLineByOffsetWide', 'GetModuleNameStringWide', 'GetModuleVersionInformationWide',
        'GetSymbolPathWide', 'SetSymbolPathWide', 'AppendSymbolPathWide', 'GetImagePathWide', 'SetImagePathWide',
        'AppendImagePathWide', 'ReloadWide', 'GetNameByInlineContextWide', 'GetLineByInlineContextWide',
        'GetCurrentScopeFrameIndexEx', 'SetScopeFrameByIndexEx',
    ]),
    'IDebugSystemObjects4': ('489468e6-7d0f-4af5-87ab-25207454d553', 48, [
        'GetEventThread', 'GetEventProcess', 'GetCurrentThreadId', 'SetCurrentThreadId', 'GetCurrentProcessId',
        'SetCurrentProcessId', 'GetNumberThreads', 'GetThreadIdsByIndex', 'GetCurrentThreadTeb',
        'GetCurrentThreadSystemId', 'GetNumberProcesses', 'GetProcessIdsByIndex', 'GetCurrentProcessPeb',
        'GetCurrentProcessSystemId', 'GetCurrentProcessExecutableNameWide',
    ]),
    'IDebugAdvanced3': ('cba4abb4-84c4-444d-87ca-a04e13286739', 13, [
        'GetThreadContext', 'SetThreadContext', 'GetSystemObjectInformation', 'GetSymbolInformationWide',
    ]),
    'IDebugDataSpaces4': ('d98ada1f-29e9-4ef5-a6c0-e53349883212', 44, [
        'ReadVirtual', 'ReadPointersVirtual', 'ReadUnicodeStringVirtualWide',
    ]),
    'IDebugOutputCallbacksWide': ('4c7fd663-c394-4e26-8ef1-34ad5ed3764c', 4, ['Output']),
}

# C parameter type -> C# type. 'out' pointers (_Out_ on a scalar pointer) become out parameters.
SCALARS = {'ULONG': 'uint', 'LONG': 'int', 'ULONG64': 'ulong', 'LONG64': 'long', 'BOOL': 'int', 'USHORT': 'ushort',
           'UCHAR': 'byte', 'HRESULT': 'int', 'ULONG_PTR': 'nuint'}
POINTERS = {'PULONG': 'uint', 'PLONG': 'int', 'PULONG64': 'ulong', 'PLONG64': 'long', 'PBOOL': 'int',
            'PUSHORT': 'ushort', 'PUCHAR': 'byte'}
STRUCTS = {'PDEBUG_STACK_FRAME': 'DEBUG_STACK_FRAME*', 'PDEBUG_STACK_FRAME_EX': 'DEBUG_STACK_FRAME_EX*',
           'PDEBUG_MODULE_PARAMETERS': 'DEBUG_MODULE_PARAMETERS*', 'PDEBUG_MODULE_AND_ID': 'DEBUG_MODULE_AND_ID*',
'PVOID': 'void*', 'PCSTR': 'byte*', 'PSTR': 'byte*',
           'PWSTR': 'char*', 'REFIID': 'Guid*', 'PVOID*': 'void**'}
CSHARP_KEYWORDS = set('''abstract as base bool break byte case catch char checked class const continue decimal default delegate do
    double else enum event explicit extern false finally fixed float for foreach goto if implicit in int interface internal is
    lock long namespace new null object operator out override params private protected public readonly ref return sbyte
    sealed short sizeof stackalloc static string struct switch this throw true try typeof uint ulong unchecked unsafe
    ushort using virtual void volatile while'''.split())
INTERFACES = {'PDEBUG_OUTPUT_CALLBACKS_WIDE': 'IDebugOutputCallbacksWide'}


def header_path():
    out = subprocess.run(['dotnet', 'nuget', 'locals', 'global-packages', '--list'], capture_output=True, text=True).stdout
    root = re.search(r'global-packages:\s*(.+)', out).group(1).strip()
    return os.path.join(root, 'microsoft.debugging.platform.dbgeng', PKG_VERSION, 'build', 'native', 'inc', 'dbgeng.h')


def methods(h, iface):
    """[(name, is_varargs, [raw parameter text])] of one interface; dbgeng.h lists IUnknown's three first."""
    m = re.search(r'DECLARE_INTERFACE_\(%s,\s*IUnknown\)\s*\{(.*?)\n\};' % iface, h, re.S)
    if not m:
        sys.exit(f'gen_interfaces: {iface} not found in dbgeng.h')
    body = re.sub(r'/\*.*?\*/', '', re.sub(r'//[^\n]*', '', m.group(1)), flags=re.S)
    found = re.findall(r'STDMETHOD(V?)(?:_\(([^,]+),\s*(\w+)\)|\((\w+)\))\s*\((.*?)\)\s*PURE;', body, re.S)
    result = []
    for varargs, _ret, name1, name2, params in found:
        ps = [p.strip() for p in split_top_level(params.replace('THIS_', '').replace('THIS', '')) if p.strip()]
        result.append((name1 or name2, varargs == 'V', ps))
    return result


def split_top_level(params):
    """Splits a parameter list on the commas outside parentheses (SAL annotations have commas inside)."""
    parts, depth, cur = [], 0, ''
    for ch in params:
        if ch == ',' and depth == 0:
            parts.append(cur); cur = ''
            continue
        depth += (ch == '(') - (ch == ')')
        cur += ch
    return parts + [cur]


def strip_annotations(p):
    """'_Out_writes_opt_(BufferSize) PWSTR Buffer' -> ('_Out_writes_opt_', 'PWSTR', 'Buffer')."""
    annot = ''
    m = re.match(r'(_\w+_)(\([^()]*(?:\([^()]*\)[^()]*)*\))?\s+(.*)$', p)
    if m:
        annot, p = m.group(1), m.group(3)
    toks = p.replace('*', ' * ').split()
    name = toks[-1]
    ctype = ''.join(toks[:-1]).replace('*', '*')
    return annot, ctype, name


def cs_param(iface, method, p):
    annot, ctype, name = strip_annotations(p)
    name = name[0].lower() + name[1:]
    if name in CSHARP_KEYWORDS:
        name = '@' + name
    if ctype in SCALARS:
        return f'{SCALARS[ctype]} {name}'
    if ctype in POINTERS:
        t = POINTERS[ctype]
        return f'out {t} {name}' if annot == '_Out_' else f'{t}* {name}'
    if ctype == 'PCWSTR':
        return f'string{"?" if "opt" in annot else ""} {name}'
    if ctype in INTERFACES:
        return f'{INTERFACES[ctype]}? {name}'   # null detaches (SetOutputCallbacksWide(NULL) is how dbgeng is told)
    if ctype in STRUCTS:
        return f'{STRUCTS[ctype]} {name}'
    sys.exit(f'gen_interfaces: no C# type for {ctype!r} ({iface}::{method}: {p})')


def generate(h):
    out = ['// <auto-generated> by FcgiExt/DbgEng/gen/gen_interfaces.py from dbgeng.h of Microsoft.Debugging.Platform.DbgEng '
           f'{PKG_VERSION}. Do not edit: change WANTED in the script and rerun it.',
           '// Vtable order = dbgeng.h order; IUnknown (slots 0-2) is implicit. "_Name" members are placeholders that keep the',
           '// slots of methods we do not call; they are never called.',
           '#nullable enable', 'using System.Runtime.InteropServices;', 'using System.Runtime.InteropServices.Marshalling;', '',
           'namespace FcgiExt.DbgEng;', '']
    counts = []
    for iface, (iid, count, wanted) in WANTED.items():
        ms = methods(h, iface)
        total = len(ms)
        if [n for n, _, _ in ms[:3]] != ['QueryInterface', 'AddRef', 'Release']:
            sys.exit(f'gen_interfaces: {iface} does not start with the IUnknown methods')
        if total != count:
            sys.exit(f'gen_interfaces: {iface} has {total} methods in dbgeng.h, expected {count}: the header changed')
        names = [n for n, _, _ in ms]
        missing = [w for w in wanted if w not in names]
        if missing:
            sys.exit(f'gen_interfaces: {iface} has no {missing}')
        last = max(names.index(w) for w in wanted)
        counts.append((iface, count))
        out.append(f'/// <summary>dbgeng.h {iface}: {count} slots, declared up to slot {last} ({names[last]}).</summary>')
        out.append(f'[GeneratedComInterface(StringMarshalling = StringMarshalling.Utf16), Guid("{iid}")]')
        out.append(f'public unsafe partial interface {iface}')
        out.append('{')
        for slot, (name, varargs, ps) in enumerate(ms[:last + 1]):
            if slot < 3:
                continue   # IUnknown: implicit in [GeneratedComInterface]
            if name not in wanted:
                out.append(f'    /* slot {slot} */ [PreserveSig] int _{name}();')
                continue
            args = [cs_param(iface, name, p) for p in ps if p != '...']
            if varargs:
                # printf-style: declared with one extra fixed argument, always called with "%s" + the text.
                # On win-x64 a varargs call with integer/pointer arguments has the fixed-argument ABI.
                args.append('string text')
                out.append(f'    /// <summary>Varargs in dbgeng.h: always call with format "%s" and the text.</summary>')
            out.append(f'    /* slot {slot} */ [PreserveSig] int {name}({", ".join(args)});')
        out.append('}')
        out.append('')
    out.append('/// <summary>Method counts per interface in dbgeng.h (IUnknown included), checked by the generator.</summary>')
    out.append('public static class DbgEngSlotCounts')
    out.append('{')
    for iface, count in counts:
        out.append(f'    public const int {iface} = {count};')
    out.append('}')
    return '\n'.join(out) + '\n'


def main():
    args = sys.argv[1:]
    check = '--check' in args
    args = [a for a in args if a != '--check']
    hpath = args[0] if args else header_path()
    target = args[1] if len(args) > 1 else os.path.join(HERE, '..', 'DbgEngInterfaces.g.cs')
    text = generate(open(hpath, encoding='latin-1').read())
    if check:
        same = os.path.exists(target) and open(target, encoding='utf-8').read() == text
        print('gen_interfaces: ' + ('up to date' if same else f'{target} differs from the generator output'))
        sys.exit(0 if same else 1)
    with open(target, 'w', encoding='utf-8', newline='\n') as f:
        f.write(text)
    print(f'gen_interfaces: wrote {target}')


if __name__ == '__main__':
    main()
