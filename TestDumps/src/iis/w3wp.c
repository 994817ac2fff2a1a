/* w3wp.c - stand-in for IIS's worker process w3wp.exe as far as a FastCGI worker sees it: it starts the worker's
   command line (CreateProcess, as the FastCGI module starts php-cgi.exe), waits for it to end, starts it again when
   asked (IIS replaces a worker that exited: PHP_FCGI_MAX_REQUESTS recycling, a crash), and exits with the last
   worker's exit code. Used by the live tests: `fcgi capture --children -- w3wp.exe php-cgi.exe ...` must catch the
   crash of the worker this process starts (IIS's parent itself never crashes here).

   usage: w3wp.exe [-n <starts>] [-w <ms>] <worker command line...>
     -n <starts>  how many times the worker is started, one after the other (default 1)
     -w <ms>      wait this long before each start (IIS starts a worker at the first request, not at once)
   The worker inherits this process's environment, standard handles and current folder. Each start is reported on
   stderr with the worker's process id. Exit code: the last worker's; 1 when a worker cannot be started. */
#include <windows.h>
#include <shellapi.h>
#include <stdio.h>
#include <stdlib.h>
#include <wchar.h>

#define NOINLINE __attribute__((noinline))

/* Appends one argument quoted as CommandLineToArgvW reads it back: backslashes are literal except before a quote. */
static void append_argument(wchar_t *line, size_t size, const wchar_t *arg) {
    size_t n = wcslen(line);
    if (n) line[n++] = L' ';
    if (*arg && !wcspbrk(arg, L" \t\"")) {
        for (; *arg && n + 1 < size; arg++) line[n++] = *arg;
        line[n] = 0;
        return;
    }
    if (n + 1 < size) line[n++] = L'"';
    for (const wchar_t *p = arg; *p && n + 4 < size; p++) {
        size_t backslashes = 0;
        while (*p == L'\\') { backslashes++; p++; }
        /* backslashes before a quote or the closing quote are doubled; elsewhere they stay single */
        size_t copies = (*p == L'"' || *p == 0) ? backslashes * 2 : backslashes;
        for (size_t i = 0; i < copies && n + 4 < size; i++) line[n++] = L'\\';
        if (*p == 0) break;
        if (*p == L'"') line[n++] = L'\\';
        line[n++] = *p;
    }
    if (n + 1 < size) line[n++] = L'"';
    line[n] = 0;
}

/* One worker's life: started, waited for; false when it cannot start. */
static NOINLINE BOOL start_worker(wchar_t *command_line, int start, DWORD *exit_code) {
    STARTUPINFOW si = { sizeof si };
    PROCESS_INFORMATION pi;
    if (!CreateProcessW(NULL, command_line, NULL, NULL, TRUE, 0, NULL, NULL, &si, &pi)) {
        fwprintf(stderr, L"w3wp: cannot start %ls (error %lu)\n", command_line, GetLastError());
        return FALSE;
    }
    fwprintf(stderr, L"w3wp: worker %d started, pid %lu\n", start, pi.dwProcessId);
    fflush(stderr);
    WaitForSingleObject(pi.hProcess, INFINITE);
    *exit_code = 1;
    GetExitCodeProcess(pi.hProcess, exit_code);
    fwprintf(stderr, L"w3wp: worker %d (pid %lu) exited with 0x%08lx\n", start, pi.dwProcessId, *exit_code);
    CloseHandle(pi.hThread);
    CloseHandle(pi.hProcess);
    return TRUE;
}

int main(void) {
    int argc;
    wchar_t **argv = CommandLineToArgvW(GetCommandLineW(), &argc);
    if (!argv) return 1;
    int starts = 1, wait_ms = 0, first = 1;
    while (first + 1 < argc && argv[first][0] == L'-') {
        if (wcscmp(argv[first], L"-n") == 0) starts = _wtoi(argv[first + 1]);
        else if (wcscmp(argv[first], L"-w") == 0) wait_ms = _wtoi(argv[first + 1]);
        else break;
        first += 2;
    }
    if (first >= argc || starts < 1 || wait_ms < 0) {
        fwprintf(stderr, L"usage: w3wp.exe [-n <starts>] [-w <ms>] <worker command line...>\n");
        return 2;
    }
    static wchar_t command_line[32768];
    for (int i = first; i < argc; i++) append_argument(command_line, sizeof command_line / sizeof command_line[0], argv[i]);
    DWORD code = 0;
    for (int start = 1; start <= starts; start++) {
        if (wait_ms) Sleep((DWORD)wait_ms);
        /* CreateProcessW may write into the buffer: each start gets a fresh copy */
        static wchar_t copy[32768];
        wcscpy(copy, command_line);
        if (!start_worker(copy, start, &code)) return 1;
    }
    return (int)code;
}
