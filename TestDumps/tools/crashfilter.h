/* crashfilter.h - how the TestDumps programs get dumped: an unhandled-exception filter that hands the
   crash to a dump thread, which starts dumper.exe (out of process) and waits for it.

   Why a dump thread: the filter may run on an exhausted stack (c00000fd) or with a corrupt heap, where
   CreateProcess itself would fault. The filter only signals an event and waits; the dump thread was
   created at start-up with its own stack. Real crash reporters (WER, crashpad) do the same.
   Why out of process: the NuGet package's dbgcore.dll MiniDumpWriteDump never returns when called in
   process under Wine; from another process it takes ~0.1 s.

   Environment (all optional, the program runs without dumping when TESTDUMP_WRITER is unset):
     TESTDUMP_WRITER  Windows path of dumper.exe
     TESTDUMP_FILE    Windows path of the dump to write (default crash.dmp)
     TESTDUMP_KIND    mini (default) or full

   crashfilter_install()   at start-up, in the exe;
   crashfilter_dump_now()  writes a dump of the calling thread without an exception (used on the way out
                           of the process, where the dump thread has already been terminated).        */
#ifndef CRASHFILTER_H
#define CRASHFILTER_H
#include <windows.h>
#include <stdio.h>
#include <stdlib.h>

static HANDLE crashfilter_request, crashfilter_done;
static EXCEPTION_POINTERS *crashfilter_pointers;
static DWORD crashfilter_thread_id;

/* Starts dumper.exe for this process and waits; ep may be NULL (no exception stream). */
static DWORD crashfilter_run_dumper(DWORD thread_id, EXCEPTION_POINTERS *ep) {
    const char *writer = getenv("TESTDUMP_WRITER");
    const char *file = getenv("TESTDUMP_FILE");
    const char *kind = getenv("TESTDUMP_KIND");
    if (!writer) return 1;
    if (!file) file = "crash.dmp";
    if (!kind) kind = "mini";
    char command[2048];
    snprintf(command, sizeof command, "\"%s\" %lu %lu %p \"%s\" %s", writer, GetCurrentProcessId(), thread_id,
             (void *)ep, file, kind);
    STARTUPINFOA si = { sizeof si };
    PROCESS_INFORMATION pi;
    DWORD exit_code = 1;
    if (CreateProcessA(NULL, command, NULL, NULL, FALSE, 0, NULL, NULL, &si, &pi)) {
        WaitForSingleObject(pi.hProcess, 120000);
        GetExitCodeProcess(pi.hProcess, &exit_code);
        CloseHandle(pi.hProcess);
        CloseHandle(pi.hThread);
    }
    return exit_code;
}

static DWORD WINAPI crashfilter_dump_thread(void *unused) {
    (void)unused;
    WaitForSingleObject(crashfilter_request, INFINITE);
    DWORD rc = crashfilter_run_dumper(crashfilter_thread_id, crashfilter_pointers);
    if (rc != 0) fprintf(stderr, "[crashfilter] dumper.exe exit code %lu\n", rc);
    SetEvent(crashfilter_done);
    return 0;
}

static LONG WINAPI crashfilter_filter(EXCEPTION_POINTERS *ep) {
    /* keep this frame small: it may run on the last page of an overflowed stack */
    crashfilter_pointers = ep;
    crashfilter_thread_id = GetCurrentThreadId();
    SetEvent(crashfilter_request);
    WaitForSingleObject(crashfilter_done, 120000);
    return EXCEPTION_EXECUTE_HANDLER;   /* terminate the process, like WER after the dump */
}

static void crashfilter_install(void) {
    if (!getenv("TESTDUMP_WRITER")) return;
    crashfilter_request = CreateEventA(NULL, FALSE, FALSE, NULL);
    crashfilter_done = CreateEventA(NULL, TRUE, FALSE, NULL);
    CloseHandle(CreateThread(NULL, 0, crashfilter_dump_thread, NULL, 0, NULL));
    SetUnhandledExceptionFilter(crashfilter_filter);
}

static void crashfilter_dump_now(void) {
    DWORD rc = crashfilter_run_dumper(GetCurrentThreadId(), NULL);
    if (rc != 0) fprintf(stderr, "[crashfilter] dumper.exe exit code %lu\n", rc);
}
#endif
