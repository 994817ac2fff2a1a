/* dumper.c - writes a dump of another process with MiniDumpWriteDump from the DbgEng NuGet package's
   dbgcore.dll (started by crashfilter.h inside the crashing program).
   usage: dumper.exe <pid> <tid> <EXCEPTION_POINTERS* in the target, hex, 0 = none> <out.dmp> [mini|full]
          dumper.exe --debug <out.dmp> <mini|full> <program> [arguments...]
   The second form runs the program as its debugger and dumps it at the first second-chance exception,
   like `procdump -e`: a fail-fast (__fastfail, c0000409) bypasses every exception handler and filter in
   the process, on Windows and under Wine alike, so only a debugger (or WER) ever sees it; a stack
   overflow (c00000fd) is dumped at its first chance, before any handler runs on the exhausted stack.
   dbgcore.dll is loaded from dumper.exe's own folder: the package's dbghelp.dll only forwards
   MiniDumpWriteDump to it, and under Wine the call must come from another process (in process it spins).
   Build: x86_64-w64-mingw32-gcc -O1 -o dumper.exe dumper.c                                          */
#include <windows.h>
#include <dbghelp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef BOOL(WINAPI *MiniDumpWriteDumpFn)(HANDLE, DWORD, HANDLE, MINIDUMP_TYPE, PMINIDUMP_EXCEPTION_INFORMATION,
                                          PMINIDUMP_USER_STREAM_INFORMATION, PMINIDUMP_CALLBACK_INFORMATION);

/* Small dumps that still carry what a triage reads: threads with their stacks and contexts, modules
   with CodeView records, the exception stream, memory that stack values point to (strings, objects
   the faulting frame used), thread times and unloaded modules. */
static const MINIDUMP_TYPE MINI_FLAGS = (MINIDUMP_TYPE)(MiniDumpNormal | MiniDumpWithThreadInfo |
    MiniDumpWithIndirectlyReferencedMemory | MiniDumpWithUnloadedModules);
static const MINIDUMP_TYPE FULL_FLAGS = (MINIDUMP_TYPE)(MiniDumpWithFullMemory | MiniDumpWithHandleData |
    MiniDumpWithThreadInfo | MiniDumpWithUnloadedModules | MiniDumpWithFullMemoryInfo);

static MiniDumpWriteDumpFn load_minidump_writer(void) {
    char dll[MAX_PATH];
    DWORD n = GetModuleFileNameA(NULL, dll, MAX_PATH);
    char *slash = n ? strrchr(dll, '\\') : NULL;
    if (!slash) { fprintf(stderr, "[dumper] cannot find its own folder\n"); return NULL; }
    strcpy(slash + 1, "dbgcore.dll");
    HMODULE dbgcore = LoadLibraryA(dll);
    if (!dbgcore) { fprintf(stderr, "[dumper] LoadLibrary(%s) failed: %lu\n", dll, GetLastError()); return NULL; }
    MiniDumpWriteDumpFn write_dump = (MiniDumpWriteDumpFn)GetProcAddress(dbgcore, "MiniDumpWriteDump");
    if (!write_dump) fprintf(stderr, "[dumper] %s exports no MiniDumpWriteDump\n", dll);
    return write_dump;
}

/* A stack overflow's stack is the whole reserved stack (Wine gives every thread at least 1 MB), and a
   minidump keeps all of it. The top of it is what a triage reads (the frames at the fault and the
   recursion's cycle); the RemoveMemory callback drops the part of the faulting thread's stack that
   lies more than KEPT_OVERFLOW_STACK bytes above the stack pointer. */
#define KEPT_OVERFLOW_STACK ((ULONG64)160 * 1024)
struct trim_request { DWORD thread_id; ULONG64 keep_below; ULONG64 stack_base; int done; };

static BOOL CALLBACK trim_overflowed_stack(void *param, const PMINIDUMP_CALLBACK_INPUT input, PMINIDUMP_CALLBACK_OUTPUT output) {
    struct trim_request *trim = param;
    if (input->CallbackType == ThreadCallback && input->Thread.ThreadId == trim->thread_id) {
        trim->stack_base = input->Thread.StackBase;
    } else if (input->CallbackType == RemoveMemoryCallback && !trim->done && trim->stack_base > trim->keep_below) {
        output->MemoryBase = trim->keep_below;
        output->MemorySize = (ULONG)(trim->stack_base - trim->keep_below);
        trim->done = 1;
    }
    return TRUE;
}

#define MAX_THREADS 64
struct debuggee_thread { DWORD id; HANDLE handle; };

/* Runs the command line as a debuggee; at the first second-chance exception writes the dump with the
   exception record from the debug event and the thread's context, then ends the debuggee. */
static int debug_and_dump(const char *out, int full, char *command_line) {
    MiniDumpWriteDumpFn write_dump = load_minidump_writer();
    if (!write_dump) return 1;
    STARTUPINFOA si = { sizeof si };
    PROCESS_INFORMATION pi;
    if (!CreateProcessA(NULL, command_line, NULL, NULL, FALSE, DEBUG_ONLY_THIS_PROCESS, NULL, NULL, &si, &pi)) {
        fprintf(stderr, "[dumper] CreateProcess(%s) failed: %lu\n", command_line, GetLastError());
        return 1;
    }
    struct debuggee_thread threads[MAX_THREADS];
    int thread_count = 0, result = 1;
    for (;;) {
        DEBUG_EVENT event;
        if (!WaitForDebugEvent(&event, 120000)) { fprintf(stderr, "[dumper] no debug event for 120 s\n"); break; }
        DWORD continue_status = DBG_CONTINUE;
        if (event.dwDebugEventCode == CREATE_PROCESS_DEBUG_EVENT && thread_count < MAX_THREADS) {
            threads[thread_count++] = (struct debuggee_thread){ event.dwThreadId, event.u.CreateProcessInfo.hThread };
            if (event.u.CreateProcessInfo.hFile) CloseHandle(event.u.CreateProcessInfo.hFile);
        } else if (event.dwDebugEventCode == CREATE_THREAD_DEBUG_EVENT && thread_count < MAX_THREADS) {
            threads[thread_count++] = (struct debuggee_thread){ event.dwThreadId, event.u.CreateThread.hThread };
        } else if (event.dwDebugEventCode == LOAD_DLL_DEBUG_EVENT && event.u.LoadDll.hFile) {
            CloseHandle(event.u.LoadDll.hFile);
        } else if (event.dwDebugEventCode == EXCEPTION_DEBUG_EVENT) {
            EXCEPTION_RECORD *record = &event.u.Exception.ExceptionRecord;
            /* a stack overflow is dumped at its first chance (procdump -e 1 -f c00000fd does the same): the
               program's own handlers would run on the few bytes of stack left and, under Wine, overflow
               again inside the exception dispatcher and hang */
            if (event.u.Exception.dwFirstChance && record->ExceptionCode != EXCEPTION_STACK_OVERFLOW) {
                /* the loader's initial breakpoint is ours to swallow; everything else goes to the program */
                continue_status = record->ExceptionCode == EXCEPTION_BREAKPOINT ? DBG_CONTINUE : DBG_EXCEPTION_NOT_HANDLED;
            } else {
                HANDLE thread = NULL;
                for (int i = 0; i < thread_count; i++) if (threads[i].id == event.dwThreadId) thread = threads[i].handle;
                CONTEXT context = { 0 };
                context.ContextFlags = CONTEXT_FULL | CONTEXT_SEGMENTS | CONTEXT_FLOATING_POINT;
                if (!thread || !GetThreadContext(thread, &context)) {
                    fprintf(stderr, "[dumper] no context for thread %lu\n", event.dwThreadId);
                    break;
                }
                HANDLE file = CreateFileA(out, GENERIC_READ | GENERIC_WRITE, 0, NULL, CREATE_ALWAYS, 0, NULL);
                if (file == INVALID_HANDLE_VALUE) { fprintf(stderr, "[dumper] CreateFile(%s) failed: %lu\n", out, GetLastError()); break; }
                EXCEPTION_POINTERS pointers = { record, &context };
                /* ClientPointers = FALSE: record and context live in this process */
                MINIDUMP_EXCEPTION_INFORMATION exception = { event.dwThreadId, &pointers, FALSE };
                struct trim_request trim = { event.dwThreadId, context.Rsp + KEPT_OVERFLOW_STACK, 0, 0 };
                MINIDUMP_CALLBACK_INFORMATION trim_callback = { trim_overflowed_stack, &trim };
                int trim_stack = !full && record->ExceptionCode == EXCEPTION_STACK_OVERFLOW;
                if (write_dump(pi.hProcess, pi.dwProcessId, file, full ? FULL_FLAGS : MINI_FLAGS, &exception, NULL,
                               trim_stack ? &trim_callback : NULL)) result = 0;
                else fprintf(stderr, "[dumper] MiniDumpWriteDump failed: 0x%lx\n", GetLastError());
                CloseHandle(file);
                TerminateProcess(pi.hProcess, record->ExceptionCode);
            }
        } else if (event.dwDebugEventCode == EXIT_PROCESS_DEBUG_EVENT) {
            ContinueDebugEvent(event.dwProcessId, event.dwThreadId, DBG_CONTINUE);
            break;
        }
        ContinueDebugEvent(event.dwProcessId, event.dwThreadId, continue_status);
    }
    CloseHandle(pi.hProcess);
    CloseHandle(pi.hThread);
    if (result != 0) fprintf(stderr, "[dumper] the program ended without a second-chance exception or the dump failed\n");
    return result;
}

int main(int argc, char **argv) {
    if (argc >= 5 && strcmp(argv[1], "--debug") == 0) {
        /* the rest of our own command line, verbatim, is the debuggee's */
        char *rest = GetCommandLineA();
        for (int skip = 0; skip < 4; skip++) {        /* program name, --debug, out, kind */
            while (*rest == ' ') rest++;
            if (*rest == '"') { rest = strchr(rest + 1, '"'); rest = rest ? rest + 1 : ""; }
            else while (*rest && *rest != ' ') rest++;
        }
        while (*rest == ' ') rest++;
        return debug_and_dump(argv[2], strcmp(argv[3], "full") == 0, rest);
    }
    if (argc < 5) {
        fprintf(stderr, "usage: dumper.exe <pid> <tid> <exception-pointers-hex|0> <out.dmp> [mini|full]\n"
                        "       dumper.exe --debug <out.dmp> <mini|full> <program> [arguments...]\n");
        return 2;
    }
    DWORD pid = strtoul(argv[1], NULL, 0), tid = strtoul(argv[2], NULL, 0);
    ULONG_PTR pointers = (ULONG_PTR)_strtoui64(argv[3], NULL, 16);
    const char *out = argv[4];
    int full = argc > 5 && strcmp(argv[5], "full") == 0;

    MiniDumpWriteDumpFn write_dump = load_minidump_writer();
    if (!write_dump) return 1;

    HANDLE process = OpenProcess(PROCESS_ALL_ACCESS, FALSE, pid);
    if (!process) { fprintf(stderr, "[dumper] OpenProcess(%lu) failed: %lu\n", pid, GetLastError()); return 1; }
    HANDLE file = CreateFileA(out, GENERIC_READ | GENERIC_WRITE, 0, NULL, CREATE_ALWAYS, 0, NULL);
    if (file == INVALID_HANDLE_VALUE) {
        fprintf(stderr, "[dumper] CreateFile(%s) failed: %lu\n", out, GetLastError());
        return 1;
    }
    /* ClientPointers = TRUE: the EXCEPTION_POINTERS address is one in the target process */
    MINIDUMP_EXCEPTION_INFORMATION exception = { tid, (PEXCEPTION_POINTERS)pointers, TRUE };
    BOOL ok = write_dump(process, pid, file, full ? FULL_FLAGS : MINI_FLAGS, pointers ? &exception : NULL, NULL, NULL);
    if (!ok) fprintf(stderr, "[dumper] MiniDumpWriteDump failed: 0x%lx\n", GetLastError());
    CloseHandle(file);
    CloseHandle(process);
    return ok ? 0 : 1;
}
