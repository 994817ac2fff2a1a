/* php8ts.c - stand-in for the PHP 8.3 thread-safe engine DLL (php8ts.dll): module start-up that loads
   extensions with LoadLibrary like php.ini's extension= lines, a tiny "compiler" for test scripts and an
   executor whose frames carry the real engine's names (php_execute_script, zend_execute_scripts,
   execute_ex, zend_call_function, _emalloc/_efree, zend_hash_find).

   Test scripts are text, one opcode a line:
     call <function> [arg1] [arg2]   call an internal function an extension registered
     ucall                           call the script's own main function again (PHP-level recursion)
     ini <name>=<value>              set an ini entry                                              */
#define PHP_ENGINE_BUILD
#include "php.h"
#include <windows.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_FUNCTIONS 128
#define MAX_INI 32
#define ZEND_MM_CHUNK_SIZE ((size_t)2 * 1024 * 1024)

static struct { char name[64]; zif_handler handler; } function_table[MAX_FUNCTIONS];
static int function_count;
static struct { char name[64]; char value[128]; } ini_entries[MAX_INI];
static int ini_count;

PHPAPI void (*zend_execute_ex)(zend_execute_data *execute_data) = execute_ex;
PHPAPI zend_op_array *(*zend_compile_file)(const char *filename) = compile_file;

/* USE_ZEND_ALLOC=0 (what PHP's own docs say to set when hunting memory errors) sends every emalloc to the
   system heap; here that is the Windows heap stand-in, which checks blocks on free like ntdll does. */
__declspec(dllimport) void *RtlAllocateHeap(void *heap, unsigned long flags, size_t size);
__declspec(dllimport) int RtlFreeHeap(void *heap, unsigned long flags, void *ptr);

static NOINLINE int use_system_allocator(void) {
    const char *use_zend_alloc = getenv("USE_ZEND_ALLOC");
    return use_zend_alloc && strcmp(use_zend_alloc, "0") == 0;
}

/* huge blocks (>= one 2 MB chunk) come straight from VirtualAlloc and go back to it on free, as in
   zend_alloc.c, so a use after free of one is an access violation */
static NOINLINE void *zend_mm_alloc_huge(size_t size) {
    return VirtualAlloc(NULL, size, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
}

static NOINLINE int zend_mm_free_huge(void *ptr) {
    MEMORY_BASIC_INFORMATION info;
    if (VirtualQuery(ptr, &info, sizeof info) && info.AllocationBase == ptr && info.Type == MEM_PRIVATE) {
        VirtualFree(ptr, 0, MEM_RELEASE);
        return 1;
    }
    return 0;
}

PHPAPI NOINLINE void *_emalloc(size_t size) {
    if (size >= ZEND_MM_CHUNK_SIZE) return zend_mm_alloc_huge(size);
    if (use_system_allocator()) return RtlAllocateHeap(GetProcessHeap(), 0, size);
    return HeapAlloc(GetProcessHeap(), 0, size);
}

PHPAPI NOINLINE void _efree(void *ptr) {
    if (zend_mm_free_huge(ptr)) return;
    if (use_system_allocator()) { RtlFreeHeap(GetProcessHeap(), 0, ptr); return; }
    HeapFree(GetProcessHeap(), 0, ptr);
}

static NOINLINE unsigned long zend_inline_hash_func(const char *key) {
    unsigned long hash = 5381;                      /* DJB "times 33", as zend_string hashes */
    for (; *key; key++) hash = hash * 33 + (unsigned char)*key;
    return hash;
}

PHPAPI NOINLINE void *zend_hash_find(const char *key) {
    unsigned long hash = zend_inline_hash_func(key);
    for (int i = 0; i < function_count; i++)
        if (zend_inline_hash_func(function_table[i].name) == hash && strcmp(function_table[i].name, key) == 0)
            return (void *)function_table[i].handler;
    return NULL;
}

PHPAPI NOINLINE const char *zend_ini_string(const char *name) {
    for (int i = 0; i < ini_count; i++) if (strcmp(ini_entries[i].name, name) == 0) return ini_entries[i].value;
    return NULL;
}

static NOINLINE void zend_alter_ini_entry(const char *assignment) {
    const char *equals = strchr(assignment, '=');
    if (!equals || ini_count == MAX_INI) return;
    snprintf(ini_entries[ini_count].name, sizeof ini_entries[0].name, "%.*s", (int)(equals - assignment), assignment);
    snprintf(ini_entries[ini_count].value, sizeof ini_entries[0].value, "%s", equals + 1);
    ini_count++;
}

static NOINLINE int zend_register_functions(const zend_function_entry *functions) {
    for (; functions && functions->fname; functions++) {
        if (function_count == MAX_FUNCTIONS) return -1;
        snprintf(function_table[function_count].name, sizeof function_table[0].name, "%s", functions->fname);
        function_table[function_count].handler = functions->handler;
        function_count++;
    }
    return 0;
}

/* extension=<dll> and zend_extension=<dll>, loaded from extension_dir: "ext" beside php-cgi.exe, the
   default of the Windows builds */
static NOINLINE int php_load_extension(const char *name, int zend_extension_type) {
    char filename[MAX_PATH];
    DWORD n = GetModuleFileNameA(NULL, filename, MAX_PATH);
    char *slash = n ? strrchr(filename, '\\') : NULL;
    if (slash) slash[1] = 0; else filename[0] = 0;
    snprintf(filename + strlen(filename), MAX_PATH - strlen(filename), "ext\\%s", name);
    HMODULE module = LoadLibraryA(filename);
    if (!module) { fprintf(stderr, "PHP Warning: Unable to load dynamic library '%s' (error %lu)\n", filename, GetLastError()); return -1; }
    if (zend_extension_type) {
        zend_extension *extension = (zend_extension *)GetProcAddress(module, "zend_extension_entry");
        if (!extension) { fprintf(stderr, "PHP Warning: %s is not a zend_extension\n", filename); return -1; }
        return extension->startup ? extension->startup(extension) : 0;
    }
    zend_module_entry *(*get_module)(void) = (zend_module_entry * (*)(void)) GetProcAddress(module, "get_module");
    if (!get_module) { fprintf(stderr, "PHP Warning: Invalid library (maybe not a PHP library) '%s'\n", filename); return -1; }
    zend_module_entry *entry = get_module();
    if (zend_register_functions(entry->functions) != 0) return -1;
    return entry->module_startup_func ? entry->module_startup_func() : 0;
}

PHPAPI NOINLINE int php_module_startup(int extension_count, char **extensions) {
    for (int i = 0; i < extension_count; i++) {
        if (strncmp(extensions[i], "zend_extension=", 15) == 0) php_load_extension(extensions[i] + 15, 1);
        else if (strncmp(extensions[i], "extension=", 10) == 0) php_load_extension(extensions[i] + 10, 0);
        else zend_alter_ini_entry(extensions[i]);
    }
    return 0;
}

PHPAPI NOINLINE void php_module_shutdown(void) { function_count = 0; ini_count = 0; }
PHPAPI NOINLINE int php_request_startup(void) { return 0; }
PHPAPI NOINLINE void php_request_shutdown(void) { }

static NOINLINE void zend_parse_arg(const char *text, zval *arg) {
    char *end;
    long long number = strtoll(text, &end, 0);
    if (*text && !*end) { arg->type = IS_LONG; arg->value.lval = number; }
    else { arg->type = IS_STRING; arg->value.str = _strdup(text); }
}

PHPAPI NOINLINE zend_op_array *compile_file(const char *filename) {
    FILE *script = fopen(filename, "r");
    if (!script) { fprintf(stderr, "Could not open input file: %s\n", filename); return NULL; }
    zend_op_array *op_array = _emalloc(sizeof *op_array);
    op_array->filename = _strdup(filename);
    op_array->opcodes = _emalloc(64 * sizeof(zend_op));
    op_array->last = 0;
    char line[256];
    while (op_array->last < 64 && fgets(line, sizeof line, script)) {
        char words[4][96] = { "", "", "", "" };
        int n = sscanf(line, "%15s %63s %95s %95s", words[0], words[1], words[2], words[3]);
        if (n < 1 || words[0][0] == '#') continue;
        zend_op *op = &op_array->opcodes[op_array->last++];
        memset(op, 0, sizeof *op);
        snprintf(op->opcode, sizeof op->opcode, "%s", words[0]);
        snprintf(op->function_name, sizeof op->function_name, "%s", words[1]);
        if (n > 2) zend_parse_arg(words[2], &op->op1);
        if (n > 3) zend_parse_arg(words[3], &op->op2);
    }
    fclose(script);
    return op_array;
}

PHPAPI NOINLINE int zend_call_function(const char *function_name, zend_execute_data *call, zval *retval) {
    zif_handler handler = (zif_handler)zend_hash_find(function_name);
    if (!handler) { fprintf(stderr, "PHP Fatal error: Call to undefined function %s()\n", function_name); return -1; }
    handler(call, retval);
    return 0;
}

static NOINLINE void ZEND_DO_ICALL_SPEC_RETVAL_USED_HANDLER(zend_execute_data *execute_data) {
    zend_execute_data call = { 0 };
    zval retval = { IS_NULL };
    call.prev_execute_data = execute_data;
    call.call_depth = execute_data->call_depth + 1;
    call.args[0] = execute_data->opline->op1;
    call.args[1] = execute_data->opline->op2;
    call.num_args = (call.args[0].type != IS_NULL) + (call.args[1].type != IS_NULL);
    zend_call_function(execute_data->opline->function_name, &call, &retval);
}

static NOINLINE void ZEND_DO_UCALL_SPEC_RETVAL_UNUSED_HANDLER(zend_execute_data *execute_data) {
    zend_execute_data call = { 0 };
    call.func = execute_data->func;
    call.prev_execute_data = execute_data;
    call.call_depth = execute_data->call_depth + 1;
    zend_execute_ex(&call);   /* through the hook, as PHP does for user functions: xdebug sits here */
}

PHPAPI NOINLINE void execute_ex(zend_execute_data *execute_data) {
    zend_op_array *op_array = execute_data->func;
    for (int i = 0; i < op_array->last; i++) {
        execute_data->opline = &op_array->opcodes[i];
        const char *opcode = execute_data->opline->opcode;
        if (strcmp(opcode, "call") == 0) ZEND_DO_ICALL_SPEC_RETVAL_USED_HANDLER(execute_data);
        else if (strcmp(opcode, "ucall") == 0) ZEND_DO_UCALL_SPEC_RETVAL_UNUSED_HANDLER(execute_data);
        else if (strcmp(opcode, "ini") == 0) zend_alter_ini_entry(execute_data->opline->function_name);
    }
}

static NOINLINE void zend_execute(zend_op_array *op_array) {
    zend_execute_data execute_data = { 0 };
    execute_data.func = op_array;
    zend_execute_ex(&execute_data);
}

static NOINLINE int zend_execute_scripts(const char *primary_file) {
    zend_op_array *op_array = zend_compile_file(primary_file);
    if (!op_array) return -1;
    zend_execute(op_array);
    _efree(op_array->opcodes);
    _efree(op_array);
    return 0;
}

PHPAPI NOINLINE int php_execute_script(const char *primary_file) {
    return zend_execute_scripts(primary_file);
}
