/* exe_entry.c - TEST-GRADE process entry for the NativeAOT fcgihost.exe cross-linked on Linux (see README.md here).
   NOT FOR RELEASE BUILDS: on Windows the host is published with the Microsoft linker and CRT, and this file is unused.

   build/crosswin/test_crt_shim.c stands in for the MSVC static CRT of a DLL; an EXE needs the console entry point
   instead (wmainCRTStartup): run the C/C++ initialisers, split the command line, call the NativeAOT runtime's wmain,
   exit with its code. Handlers registered with atexit() are not run (the shim keeps them for DLL unload only);
   ExitProcess ends the process as Windows would after them.
   Compile: clang --target=x86_64-pc-windows-msvc -O2 -c exe_entry.c -o host_exe_entry.obj */
#pragma comment(lib, "shell32.lib")   /* CommandLineToArgvW */

typedef unsigned short wchar16;
typedef int (__cdecl *int_fn)(void);
typedef void (__cdecl *void_fn)(void);

/* Initialiser tables defined by test_crt_shim.c (.CRT$XIA..XIZ and .CRT$XCA..XCZ). */
extern int_fn __xi_a[], __xi_z[];
extern void_fn __xc_a[], __xc_z[];

extern int __cdecl wmain(int argc, wchar16 **argv);
__declspec(dllimport) wchar16 ** __stdcall CommandLineToArgvW(const wchar16 *cmdLine, int *argc);
__declspec(dllimport) const wchar16 * __stdcall GetCommandLineW(void);
__declspec(dllimport) void __stdcall ExitProcess(unsigned exitCode);

/* test_crt_shim.c's DLL entry calls DllMain; an EXE never takes that path, but the reference must resolve. */
int __stdcall DllMain(void *module, unsigned long reason, void *reserved)
{
    (void)module; (void)reason; (void)reserved;
    return 1;
}

void __cdecl wmainCRTStartup(void)
{
    for (int_fn *init = __xi_a + 1; init < __xi_z; ++init)
        if (*init && (*init)() != 0) ExitProcess(255);
    for (void_fn *init = __xc_a + 1; init < __xc_z; ++init)
        if (*init) (*init)();
    int argc = 0;
    wchar16 **argv = CommandLineToArgvW(GetCommandLineW(), &argc);
    ExitProcess((unsigned)wmain(argc, argv));
}
