// msodbcsql18.cpp - stand-in for the Microsoft ODBC Driver 18 for SQL Server (msodbcsql18.dll), the
// database driver under php_pdo_sqlsrv. It is C++: a failed login throws a C++ exception that nothing
// catches, which ends the worker with exception code e06d7363.
//
// Why the throw is spelled out: clang's windows-gnu target throws with the Itanium ABI (libgcc,
// exception code 20474343), while the real driver is built with MSVC, whose `throw` calls
// _CxxThrowException(object, ThrowInfo*) and raises e06d7363 with the MSVC ThrowInfo (type names such
// as ".?AVTdsLoginException@sqlsrv@@") that debuggers decode. So this file builds the MSVC ThrowInfo
// tables itself and calls _CxxThrowException from the C runtime DLL (msvcrt.dll here; vcruntime140.dll
// in a Visual Studio build), which raises exactly what an MSVC `throw` raises.
#include <windows.h>
#include <string.h>

#define NOINLINE __attribute__((noinline))
#define EXPORT extern "C" __declspec(dllexport)

extern "C" __declspec(dllimport) void __stdcall _CxxThrowException(void *object, void *throw_info);
extern "C" IMAGE_DOS_HEADER __ImageBase;

namespace msvc_eh {
// the x64 MSVC exception-handling data layout; pointers inside are 32-bit offsets from the image base
struct TypeDescriptor { const void *vftable; void *spare; char name[48]; };
struct PMD { int mdisp, pdisp, vdisp; };
struct CatchableType { unsigned properties; int type; PMD this_displacement; int size_or_offset; int copy_function; };
struct CatchableTypeArray { int count; int types[2]; };
struct ThrowInfo { unsigned attributes; int unwind; int forward_compat; int catchable_type_array; };

static int rva(const void *address) { return (int)((const char *)address - (const char *)&__ImageBase); }
}  // namespace msvc_eh

namespace sqlsrv {
struct TdsException { const char *message; long native_error; char sql_state[6]; };
struct TdsLoginException : TdsException { };

static msvc_eh::TypeDescriptor login_exception_type = { nullptr, nullptr, ".?AUTdsLoginException@sqlsrv@@" };
static msvc_eh::TypeDescriptor base_exception_type = { nullptr, nullptr, ".?AUTdsException@sqlsrv@@" };
static msvc_eh::CatchableType login_catchable, base_catchable;
static msvc_eh::CatchableTypeArray catchable_types;
static msvc_eh::ThrowInfo login_exception_throw_info;

static NOINLINE void *throw_info_for_login_exception() {
    login_catchable = { 0, msvc_eh::rva(&login_exception_type), { 0, -1, 0 }, (int)sizeof(TdsLoginException), 0 };
    base_catchable = { 0, msvc_eh::rva(&base_exception_type), { 0, -1, 0 }, (int)sizeof(TdsException), 0 };
    catchable_types = { 2, { msvc_eh::rva(&login_catchable), msvc_eh::rva(&base_catchable) } };
    login_exception_throw_info = { 0, 0, 0, msvc_eh::rva(&catchable_types) };
    return &login_exception_throw_info;
}

class TdsConnection {
public:
    NOINLINE void Login(const wchar_t *server) {
        if (wcsncmp(server, L"tcp:", 4) != 0) return;
        // the pre-login handshake got a TLS alert: an MSVC `throw TdsLoginException{...};`
        TdsLoginException error;
        error.message = "SSL Provider: The certificate chain was issued by an authority that is not trusted.";
        error.native_error = -2146893019;
        strcpy(error.sql_state, "08001");
        _CxxThrowException(&error, throw_info_for_login_exception());
    }
    NOINLINE void Open(const wchar_t *connection_string) {
        const wchar_t *server = wcsstr(connection_string, L"Server=");
        Login(server ? server + 7 : L"");
    }
};
}  // namespace sqlsrv

// ODBC entry points, simplified signatures: the php_pdo_sqlsrv stand-in is their only caller
EXPORT NOINLINE short SQLDriverConnectW(void *connection_handle, const wchar_t *connection_string) {
    (void)connection_handle;
    sqlsrv::TdsConnection connection;
    connection.Open(connection_string);
    return 0;
}

// Fetches a varbinary(max) column in parts: returns the current part (one packet buffer) and, as the
// length indicator, the total length of the value, as SQLGetData does for long data.
static char *packet_buffer;
EXPORT NOINLINE short SQLGetData(void *statement_handle, unsigned short column, void **data, long long *length_or_indicator) {
    (void)statement_handle; (void)column;
    const size_t part = (size_t)2 * 1024 * 1024;
    if (!packet_buffer) {
        // the driver's buffer pool reserves more than it commits: whatever reads past a part faults
        packet_buffer = (char *)VirtualAlloc(nullptr, 2 * part, MEM_RESERVE, PAGE_NOACCESS);
        VirtualAlloc(packet_buffer, part, MEM_COMMIT, PAGE_READWRITE);
    }
    memset(packet_buffer, 'x', part);
    *data = packet_buffer;
    *length_or_indicator = (long long)(2 * part);
    return 1;   // SQL_SUCCESS_WITH_INFO: more data to come
}
