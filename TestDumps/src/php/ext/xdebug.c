/* xdebug.c - stand-in for Xdebug 3.3.1 (php_xdebug-3.3.1-8.3-vs16-x86_64.dll). Like the real one it
   replaces zend_execute_ex with xdebug_execute_ex, so every PHP user function call runs through it.
   Crashes it carries:
   - xdebug.mode=trace without a usable trace file: the trace context stays NULL and
     xdebug_execute_ex writes the call depth into it (NULL pointer write);
   - endless PHP recursion: execute_ex and xdebug_execute_ex alternate until the stack is gone, each
     xdebug frame carrying its function stack entry on the stack. */
#include "../php.h"
#include <string.h>

typedef struct xdebug_trace_context { void *trace_file; int level; int function_nr; } xdebug_trace_context;
typedef struct function_stack_entry {
    char function_name[512];   /* xdebug_str: class::function built for the trace line */
    char filename[512];
    int level, lineno;
    zend_execute_data *execute_data;
} function_stack_entry;

static void (*xdebug_old_execute_ex)(zend_execute_data *execute_data);
static xdebug_trace_context *xdebug_trace;     /* XG_TRACE(trace_context) */
static int xdebug_mode_trace;

static NOINLINE void xdebug_build_fname(function_stack_entry *fse, zend_execute_data *execute_data) {
    memset(fse->function_name, 0, sizeof fse->function_name);
    strcpy(fse->function_name, "{main}");
    strncpy(fse->filename, execute_data->func->filename, sizeof fse->filename - 1);
    fse->level = execute_data->call_depth;
    fse->execute_data = execute_data;
}

static NOINLINE void xdebug_trace_function_begin(xdebug_trace_context *context, function_stack_entry *fse) {
    context->level = fse->level;                 /* reached only with a trace context */
    context->function_nr++;
}

NOINLINE void xdebug_execute_ex(zend_execute_data *execute_data) {
    function_stack_entry fse;
    if (!xdebug_mode_trace) { const char *mode = zend_ini_string("xdebug.mode"); xdebug_mode_trace = mode && strcmp(mode, "trace") == 0; }
    xdebug_build_fname(&fse, execute_data);
    if (xdebug_mode_trace) xdebug_trace->level = fse.level;   /* NULL when no trace file could be opened */
    xdebug_old_execute_ex(execute_data);
    if (xdebug_mode_trace) xdebug_trace_function_begin(xdebug_trace, &fse);
}

static PHP_FUNCTION(xdebug_info) { (void)execute_data; return_value->type = IS_LONG; return_value->value.lval = 3; }

static int zm_startup_xdebug(void) {
    xdebug_old_execute_ex = zend_execute_ex;
    zend_execute_ex = xdebug_execute_ex;
    return 0;
}

static const zend_function_entry xdebug_functions[] = { { "xdebug_info", zif_xdebug_info }, { NULL, NULL } };
static zend_module_entry xdebug_module_entry = { "xdebug", xdebug_functions, zm_startup_xdebug };
__declspec(dllexport) zend_module_entry *get_module(void) { return &xdebug_module_entry; }
