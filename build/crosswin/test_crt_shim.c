/*
 * test_crt_shim.c — TEST-GRADE replacement for the few MSVC static CRT pieces (vcruntime, libcmt,
 * libcpmt) that a NativeAOT win-x64 image references, so the image links on Linux with lld-link.
 *
 * NEVER USE IN A RELEASE BUILD. Deliberate gaps:
 *   - stack cookies are not checked (__security_check_cookie returns, __GSHandlerCheck continues);
 *   - no Control Flow Guard: indirect calls jump straight to their target;
 *   - a fixed-size atexit table run at DLL_PROCESS_DETACH; dynamic TLS initialisers only on thread attach.
 * Release DLLs are linked on Windows by the Microsoft linker against the real CRT.
 *
 * Build: clang --target=x86_64-pc-windows-msvc -O2 -c test_crt_shim.c   (no headers needed)
 */
/* A marker the release workflow looks for: a DLL holding it was linked with this shim and is not for release. */
__attribute__((used)) const char fcgiext_test_grade_crt_shim[] = "FCGIEXT-TEST-GRADE-CRT-SHIM";

typedef unsigned long long size_t64;
typedef unsigned long ulong32;
typedef int win_bool;
typedef void (*void_fn)(void);
typedef int (*int_fn)(void);
typedef void (__stdcall *tls_callback)(void *module, ulong32 reason, void *reserved);

void *malloc(size_t64 size);
void free(void *block);
void abort(void);
win_bool __stdcall DllMain(void *module, ulong32 reason, void *reserved);

enum { REASON_PROCESS_DETACH = 0, REASON_PROCESS_ATTACH = 1, REASON_THREAD_ATTACH = 2 };

/* ---- C++ allocation operators the runtime uses (MSVC-mangled names bound with .set) ---- */
const struct { char unused; } shim_std_nothrow = { 0 };
static void *shim_new_nothrow(size_t64 size, const void *tag) { (void)tag; return malloc(size == 0 ? 1 : size); }
static void shim_delete(void *block) { free(block); }
static void shim_delete_sized(void *block, size_t64 size) { (void)size; free(block); }
__asm__(".globl \"?nothrow@std@@3Unothrow_t@1@B\"\n"
        ".set \"?nothrow@std@@3Unothrow_t@1@B\", shim_std_nothrow\n"
        ".globl \"??2@YAPEAX_KAEBUnothrow_t@std@@@Z\"\n"
        ".set \"??2@YAPEAX_KAEBUnothrow_t@std@@@Z\", shim_new_nothrow\n"
        ".globl \"??_U@YAPEAX_KAEBUnothrow_t@std@@@Z\"\n"
        ".set \"??_U@YAPEAX_KAEBUnothrow_t@std@@@Z\", shim_new_nothrow\n"
        ".globl \"??_V@YAXPEAX@Z\"\n"
        ".set \"??_V@YAXPEAX@Z\", shim_delete\n"
        ".globl \"??3@YAXPEAX_K@Z\"\n"
        ".set \"??3@YAXPEAX_K@Z\", shim_delete_sized\n");
/* Keep the static functions referenced so the optimiser does not drop them. */
void *shim_keep_alive[] = { (void *)shim_new_nothrow, (void *)shim_delete, (void *)shim_delete_sized };

/* ---- /GS and friends: present, not enforced (test-grade) ---- */
int _fltused = 0x9875;
size_t64 __security_cookie = 0x00002B992DDFA232ULL;
void __security_check_cookie(size_t64 cookie) { (void)cookie; }
void __report_rangecheckfailure(void) { abort(); }
int __GSHandlerCheck(void *record, void *frame, void *context, void *dispatch)
{
    (void)record; (void)frame; (void)context; (void)dispatch;
    return 1; /* ExceptionContinueSearch */
}

size_t64 strnlen(const char *text, size_t64 limit)
{
    size_t64 n = 0;
    while (n < limit && text[n] != 0) n++;
    return n;
}

/* ---- Control Flow Guard: the dispatch pointer calls rax directly ---- */
__asm__(".text\n.globl shim_cfg_dispatch\nshim_cfg_dispatch:\n\tjmpq *%rax\n");
void shim_cfg_dispatch(void);
void *__guard_dispatch_icall_fptr = (void *)shim_cfg_dispatch;

/* ---- __chkstk: probe each 4 KiB page between rsp and rsp-rax; only r10/r11 may change ---- */
__asm__(".text\n.globl __chkstk\n__chkstk:\n"
        "\tpushq %r10\n\tpushq %r11\n"
        "\tleaq 24(%rsp), %r10\n"          /* caller's rsp before the call */
        "\tsubq %rax, %r10\n"              /* lowest address to touch */
        "\tjae 1f\n\txorl %r10d, %r10d\n"  /* wrapped below zero: clamp */
        "1:\tleaq 24(%rsp), %r11\n"
        "2:\tsubq $0x1000, %r11\n\tcmpq %r10, %r11\n\tjb 3f\n\ttestb %al, (%r11)\n\tjmp 2b\n"
        "3:\ttestb %al, (%r10)\n"
        "\tpopq %r11\n\tpopq %r10\n\tret\n");

/* ---- C/C++ static initialisers: tables bounded by .CRT$XIA/XIZ and .CRT$XCA/XCZ ---- */
#pragma section(".CRT$XIA", long, read)
#pragma section(".CRT$XIZ", long, read)
#pragma section(".CRT$XCA", long, read)
#pragma section(".CRT$XCZ", long, read)
__declspec(allocate(".CRT$XIA")) int_fn __xi_a[] = { 0 };
__declspec(allocate(".CRT$XIZ")) int_fn __xi_z[] = { 0 };
__declspec(allocate(".CRT$XCA")) void_fn __xc_a[] = { 0 };
__declspec(allocate(".CRT$XCZ")) void_fn __xc_z[] = { 0 };

#define SHIM_ATEXIT_MAX 512
static void_fn shim_atexit_table[SHIM_ATEXIT_MAX];
static int shim_atexit_count;
int atexit(void_fn fn)
{
    if (shim_atexit_count == SHIM_ATEXIT_MAX) return -1;
    shim_atexit_table[shim_atexit_count++] = fn;
    return 0;
}

/* ---- Thread-local storage directory (what tlssup.obj provides) ---- */
#pragma section(".tls", long, read, write)
#pragma section(".tls$ZZZ", long, read, write)
#pragma section(".CRT$XLA", long, read)
#pragma section(".CRT$XLC", long, read)
#pragma section(".CRT$XLZ", long, read)
#pragma section(".CRT$XDA", long, read)
#pragma section(".CRT$XDZ", long, read)
__declspec(allocate(".tls")) char _tls_start = 0;
__declspec(allocate(".tls$ZZZ")) char _tls_end = 0;
__declspec(allocate(".CRT$XLA")) tls_callback __xl_a = 0;
__declspec(allocate(".CRT$XLZ")) tls_callback __xl_z = 0;
__declspec(allocate(".CRT$XDA")) void_fn __xd_a = 0;
__declspec(allocate(".CRT$XDZ")) void_fn __xd_z = 0;
ulong32 _tls_index = 0;
struct image_tls_directory {
    size_t64 raw_data_start, raw_data_end, address_of_index, address_of_callbacks;
    ulong32 size_of_zero_fill, characteristics;
};
const struct image_tls_directory _tls_used = {
    (size_t64)&_tls_start, (size_t64)&_tls_end, (size_t64)&_tls_index, (size_t64)(&__xl_a + 1), 0, 0
};

/* Dynamic initialisers of thread_local variables, run once per thread (__tls_guard is the name the runtime expects). */
__declspec(thread) int __tls_guard = 0;
void __stdcall __dyn_tls_init(void *module, ulong32 reason, void *reserved)
{
    (void)module; (void)reserved;
    if (reason != REASON_THREAD_ATTACH || __tls_guard) return;
    __tls_guard = 1;
    for (void_fn *init = &__xd_a + 1; init < &__xd_z; ++init)
        if (*init) (*init)();
}
void __dyn_tls_on_demand_init(void) { __dyn_tls_init(0, REASON_THREAD_ATTACH, 0); }
__declspec(allocate(".CRT$XLC")) tls_callback shim_tls_callback = __dyn_tls_init;

/* ---- DLL entry point: initialisers, DllMain, then atexit handlers on unload ---- */
win_bool __stdcall _DllMainCRTStartup(void *module, ulong32 reason, void *reserved)
{
    if (reason == REASON_PROCESS_ATTACH) {
        for (int_fn *init = __xi_a + 1; init < __xi_z; ++init)
            if (*init && (*init)() != 0) return 0;
        for (void_fn *init = __xc_a + 1; init < __xc_z; ++init)
            if (*init) (*init)();
    }
    win_bool ok = DllMain(module, reason, reserved);
    if (reason == REASON_PROCESS_DETACH)
        while (shim_atexit_count > 0) shim_atexit_table[--shim_atexit_count]();
    return ok;
}
