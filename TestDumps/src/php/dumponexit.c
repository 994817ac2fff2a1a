/* dumponexit.c - test harness stand-in for `procdump -t` (dump on process termination): when the
   process unloads its DLLs inside ExitProcess, write a dump of the exiting thread, no exception.
   The resulting stack reads php-cgi!main -> exit -> ExitProcess -> (loader shutdown) -> this DllMain. */
#include "../../tools/crashfilter.h"

static LONG exit_dumps_written;

BOOL WINAPI DllMain(HINSTANCE instance, DWORD reason, void *reserved) {
    (void)instance;
    /* reserved != NULL on DLL_PROCESS_DETACH means the process is terminating (not FreeLibrary) */
    if (reason == DLL_PROCESS_DETACH && reserved && InterlockedIncrement(&exit_dumps_written) == 1) crashfilter_dump_now();
    return TRUE;
}
