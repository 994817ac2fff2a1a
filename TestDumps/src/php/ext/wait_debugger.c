/* wait_debugger.c - php_wait_debugger.dll, a test-harness module loaded like an extension
   (-d extension=php_wait_debugger.dll, before the scenario's extensions): at module start-up it writes the worker's
   process id to a file and holds the worker until a debugger is attached, so a live test can attach by pid to a
   worker that has not crashed yet (`fcgi capture --pid N`, `--name php-cgi.exe`). A separate module and not an
   option of php-cgi.exe: the scenarios' committed images (and their dumps) stay as they are.

   Environment:
     TESTDUMP_PID_FILE  Windows path of the file that gets the process id (the Windows one: under Wine the Linux
                        pid of `wine php-cgi.exe` is another number)
     TESTDUMP_WAIT_MS   how long to wait for a debugger (default 60000); then the worker goes on without one */
#include <windows.h>
#include <stdio.h>
#include <stdlib.h>
#include "../php.h"

static NOINLINE void write_pid_file(const char *path) {
    /* written to a temporary name and renamed: a reader polling for the file never sees it half written */
    char temporary[MAX_PATH];
    snprintf(temporary, sizeof temporary, "%s.tmp", path);
    FILE *f = fopen(temporary, "w");
    if (!f) { fprintf(stderr, "wait_debugger: cannot write %s\n", temporary); return; }
    fprintf(f, "%lu\n", GetCurrentProcessId());
    fclose(f);
    if (!MoveFileExA(temporary, path, MOVEFILE_REPLACE_EXISTING))
        fprintf(stderr, "wait_debugger: cannot rename %s (error %lu)\n", temporary, GetLastError());
}

static NOINLINE int wait_debugger_startup(void) {
    const char *pid_file = getenv("TESTDUMP_PID_FILE");
    const char *wait = getenv("TESTDUMP_WAIT_MS");
    DWORD limit = wait ? (DWORD)atoi(wait) : 60000;
    if (pid_file) write_pid_file(pid_file);
    DWORD start = GetTickCount();
    while (!IsDebuggerPresent() && GetTickCount() - start < limit) Sleep(20);
    if (!IsDebuggerPresent()) fprintf(stderr, "wait_debugger: no debugger after %lu ms; going on\n", limit);
    return 0;
}

static const zend_function_entry wait_debugger_functions[] = { { NULL, NULL } };
static zend_module_entry wait_debugger_module_entry = { "wait_debugger", wait_debugger_functions, wait_debugger_startup };
__declspec(dllexport) zend_module_entry *get_module(void) { return &wait_debugger_module_entry; }
