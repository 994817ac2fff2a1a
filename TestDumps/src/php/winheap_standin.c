/* winheap_standin.c - the part of the Windows heap (ntdll) that detects corruption, for Wine.
   Why it exists: Wine's heap does not detect corruption the way Windows does. A double HeapFree under
   Wine 8 just fails with ERROR_INVALID_PARAMETER, and an overrun of a block hangs or crashes later in an
   unrelated place; Windows instead stops at the free with STATUS_HEAP_CORRUPTION (c0000374) raised from
   ntdll!RtlReportCriticalFailure. This DLL keeps a header on each block, checks it on free like ntdll's
   RtlFreeHeap, and on a bad block takes the same path with the same function names and raises c0000374
   with the same record (non-continuable, one parameter: the heap failure information) through the real
   ntdll!RtlRaiseException. Blocks are handed to the process heap for storage. */
#include <windows.h>
#include <stdint.h>

#define NOINLINE __attribute__((noinline))
#define STATUS_HEAP_CORRUPTION ((DWORD)0xC0000374)
#define BLOCK_BUSY 0x01u
#define BLOCK_SIGNATURE 0x48454150u   /* "HEAP" */

/* the values of Windows' HEAP_FAILURE_TYPE that this stand-in can detect */
typedef enum { heap_failure_entry_corruption = 3, heap_failure_block_not_busy = 8 } HEAP_FAILURE_TYPE;

typedef struct HEAP_FAILURE_INFORMATION {
    uint32_t Version, StructureSize;
    HEAP_FAILURE_TYPE FailureType;
    void *HeapAddress, *Address, *Param1, *Param2, *Param3, *PreviousBlock;
    void *StackTrace[32];
} HEAP_FAILURE_INFORMATION;

typedef struct HEAP_ENTRY { uint32_t Signature, Flags; size_t Size; } HEAP_ENTRY;

/* ntdll!RtlpHeapFailureInfo lives in ntdll's data section; this is its stand-in */
__declspec(dllexport) HEAP_FAILURE_INFORMATION RtlpHeapFailureInfo = { 1, sizeof(HEAP_FAILURE_INFORMATION) };

__declspec(dllimport) void NTAPI RtlRaiseException(EXCEPTION_RECORD *record);

static NOINLINE void RtlReportCriticalFailure(DWORD status, void *failure_information) {
    EXCEPTION_RECORD record = { 0 };
    record.ExceptionCode = status;
    record.ExceptionFlags = EXCEPTION_NONCONTINUABLE;
    record.ExceptionAddress = (void *)RtlReportCriticalFailure;
    record.NumberParameters = 1;
    record.ExceptionInformation[0] = (ULONG_PTR)failure_information;
    RtlRaiseException(&record);
}

static NOINLINE void RtlpHeapHandleError(void) {
    RtlReportCriticalFailure(STATUS_HEAP_CORRUPTION, &RtlpHeapFailureInfo);
}

static NOINLINE void RtlpLogHeapFailure(HEAP_FAILURE_TYPE type, void *heap, void *address) {
    RtlpHeapFailureInfo.FailureType = type;
    RtlpHeapFailureInfo.HeapAddress = heap;
    RtlpHeapFailureInfo.Address = address;
    RtlCaptureStackBackTrace(0, 32, RtlpHeapFailureInfo.StackTrace, NULL);
    RtlpHeapHandleError();
}

__declspec(dllexport) NOINLINE void *RtlAllocateHeap(void *heap, unsigned long flags, size_t size) {
    HEAP_ENTRY *entry = HeapAlloc(heap, flags, sizeof(HEAP_ENTRY) + size);
    if (!entry) return NULL;
    entry->Signature = BLOCK_SIGNATURE;
    entry->Flags = BLOCK_BUSY;
    entry->Size = size;
    return entry + 1;
}

static NOINLINE int RtlpFreeHeapInternal(void *heap, unsigned long flags, void *ptr) {
    HEAP_ENTRY *entry = (HEAP_ENTRY *)ptr - 1;
    if (entry->Signature != BLOCK_SIGNATURE) { RtlpLogHeapFailure(heap_failure_entry_corruption, heap, ptr); return FALSE; }
    if (!(entry->Flags & BLOCK_BUSY)) { RtlpLogHeapFailure(heap_failure_block_not_busy, heap, ptr); return FALSE; }
    /* freed blocks stay allocated underneath (a delayed-free list) so that a second free finds the
       header marked free, as ntdll's front-end heap finds the block on its free list */
    entry->Flags &= ~BLOCK_BUSY;
    (void)flags;
    return TRUE;
}

__declspec(dllexport) NOINLINE int RtlFreeHeap(void *heap, unsigned long flags, void *ptr) {
    if (!ptr) return TRUE;
    return RtlpFreeHeapInternal(heap, flags, ptr);
}
