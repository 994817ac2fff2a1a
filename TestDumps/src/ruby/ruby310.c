/* ruby310.c - stand-in for the Ruby 3.1 interpreter DLL of RubyInstaller (x64-ucrt-ruby310.dll):
   ruby_options "parses" a test script, ruby_run_node runs it through rb_ec_exec_node -> rb_vm_exec ->
   vm_exec_core -> vm_call_cfunc, `require` loads gem extensions (<name>.so) with LoadLibrary and calls
   their Init_<name>, and Thread.new runs a block on a new native thread (thread_start_func_2).

   Test scripts are text, one line a statement:
     require <path>             load <path>.so (relative to ruby.exe's folder), call Init_<name>
     call <method> [arg]        call a global method a gem defined, with one string argument
     thread <method> [arg]      Thread.new { <method>(arg) }.join                                */
#define RUBY_EXPORT
#include "ruby.h"
#include <windows.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_METHODS 64
#define MAX_INSNS 64

static struct { char name[64]; rb_method_func func; int argc; } method_table[MAX_METHODS];
static int method_count;

typedef struct rb_iseq_insn { char insn[16]; char operand[160]; char argument[128]; } rb_iseq_insn;
typedef struct rb_iseq_t { const char *path; rb_iseq_insn insns[MAX_INSNS]; int size; } rb_iseq_t;
typedef struct rb_control_frame_t { const rb_iseq_insn *pc; VALUE self; } rb_control_frame_t;
typedef struct rb_execution_context_t { rb_control_frame_t *cfp; const rb_iseq_t *iseq; int thread_id; } rb_execution_context_t;

RUBY_API NOINLINE void *ruby_xmalloc(uint64_t size) { return HeapAlloc(GetProcessHeap(), 0, (SIZE_T)size); }
RUBY_API NOINLINE void ruby_xfree(void *ptr) { if (ptr) HeapFree(GetProcessHeap(), 0, ptr); }

RUBY_API NOINLINE ID rb_intern(const char *name) {
    for (int i = 0; i < method_count; i++) if (strcmp(method_table[i].name, name) == 0) return (ID)(i + 1);
    return 0;
}

RUBY_API NOINLINE void rb_define_global_function(const char *name, rb_method_func func, int argc) {
    if (method_count == MAX_METHODS) return;
    snprintf(method_table[method_count].name, sizeof method_table[0].name, "%s", name);
    method_table[method_count].func = func;
    method_table[method_count].argc = argc;
    method_count++;
}

RUBY_API NOINLINE VALUE rb_str_new_cstr(const char *text) {
    size_t n = strlen(text) + 1;
    char *copy = ruby_xmalloc(n);
    memcpy(copy, text, n);
    return (VALUE)copy;
}
RUBY_API NOINLINE const char *rb_string_value_cstr(VALUE str) { return (const char *)str; }

static NOINLINE VALUE vm_call0_body(ID mid, VALUE recv, int argc, const VALUE *argv) {
    if (!mid || mid > (ID)method_count) { fprintf(stderr, "NoMethodError: undefined method\n"); return Qnil; }
    return method_table[mid - 1].func(argc, argv, recv);
}

static NOINLINE VALUE rb_call0(VALUE recv, ID mid, int argc, const VALUE *argv) { return vm_call0_body(mid, recv, argc, argv); }

RUBY_API NOINLINE VALUE rb_funcallv(VALUE recv, ID mid, int argc, const VALUE *argv) { return rb_call0(recv, mid, argc, argv); }

/* releases the GVL around a blocking call: other Ruby threads run meanwhile */
RUBY_API NOINLINE void *rb_thread_call_without_gvl(void *(*func)(void *), void *data1, void (*ubf)(void *), void *data2) {
    (void)ubf; (void)data2;
    return func(data1);
}

static NOINLINE VALUE vm_call_cfunc(rb_execution_context_t *ec, const rb_iseq_insn *insn) {
    VALUE argument = rb_str_new_cstr(insn->argument);
    /* a C method call from Ruby goes through rb_funcallv when the caller is a block or a send */
    return rb_funcallv(ec->cfp->self, rb_intern(insn->operand), insn->argument[0] ? 1 : 0, &argument);
}

/* feature: the gem extension's path relative to ruby.exe's folder, without ".so", as the gem's
   require_relative resolves it; Init_<basename> is its entry point */
static NOINLINE int dln_load(const char *feature) {
    char file[MAX_PATH], init[96];
    DWORD n = GetModuleFileNameA(NULL, file, MAX_PATH);
    char *slash = n ? strrchr(file, '\\') : NULL;
    if (slash) slash[1] = 0; else file[0] = 0;
    snprintf(file + strlen(file), MAX_PATH - strlen(file), "%s.so", feature);
    for (char *c = file; *c; c++) if (*c == '/') *c = '\\';
    const char *base = strrchr(feature, '/');
    snprintf(init, sizeof init, "Init_%s", base ? base + 1 : feature);
    HMODULE library = LoadLibraryA(file);
    if (!library) { fprintf(stderr, "LoadError: cannot load such file -- %s (%lu)\n", feature, GetLastError()); return -1; }
    void (*init_function)(void) = (void (*)(void))GetProcAddress(library, init);
    if (!init_function) { fprintf(stderr, "LoadError: %s has no %s\n", file, init); return -1; }
    init_function();
    return 0;
}

static NOINLINE int rb_require_string(const char *feature) { return dln_load(feature); }

typedef struct rb_thread_t { HANDLE handle; rb_execution_context_t ec; rb_iseq_insn block; rb_control_frame_t cfp; } rb_thread_t;

static NOINLINE VALUE rb_vm_invoke_proc(rb_execution_context_t *ec) { return vm_call_cfunc(ec, ec->cfp->pc); }

static NOINLINE void thread_start_func_2(rb_thread_t *th) { rb_vm_invoke_proc(&th->ec); }

static DWORD WINAPI thread_start_func_1(void *thread) {
    thread_start_func_2((rb_thread_t *)thread);
    return 0;
}

static NOINLINE VALUE rb_thread_create_and_join(rb_execution_context_t *ec, const rb_iseq_insn *insn) {
    rb_thread_t *th = ruby_xmalloc(sizeof *th);
    memset(th, 0, sizeof *th);
    th->block = *insn;
    th->cfp.pc = &th->block;
    th->cfp.self = ec->cfp->self;
    th->ec.cfp = &th->cfp;
    th->ec.iseq = ec->iseq;
    th->handle = CreateThread(NULL, 0, thread_start_func_1, th, 0, NULL);
    WaitForSingleObject(th->handle, INFINITE);   /* Thread#join */
    CloseHandle(th->handle);
    ruby_xfree(th);
    return Qnil;
}

static NOINLINE VALUE vm_exec_core(rb_execution_context_t *ec) {
    for (int i = 0; i < ec->iseq->size; i++) {
        const rb_iseq_insn *insn = &ec->iseq->insns[i];
        ec->cfp->pc = insn;
        if (strcmp(insn->insn, "require") == 0) rb_require_string(insn->operand);
        else if (strcmp(insn->insn, "call") == 0) vm_call_cfunc(ec, insn);
        else if (strcmp(insn->insn, "thread") == 0) rb_thread_create_and_join(ec, insn);
    }
    return Qnil;
}

static NOINLINE VALUE rb_vm_exec(rb_execution_context_t *ec) { return vm_exec_core(ec); }

static NOINLINE int rb_ec_exec_node(rb_execution_context_t *ec, const rb_iseq_t *iseq) {
    rb_control_frame_t top = { NULL, Qnil };
    ec->cfp = &top;
    ec->iseq = iseq;
    rb_vm_exec(ec);
    return 0;
}

RUBY_API NOINLINE void ruby_sysinit(int *argc, char ***argv) { (void)argc; (void)argv; }
RUBY_API NOINLINE void ruby_init(void) { method_count = 0; }

RUBY_API NOINLINE void *ruby_options(int argc, char **argv) {
    if (argc < 2) { fprintf(stderr, "usage: ruby.exe <script>\n"); return NULL; }
    FILE *script = fopen(argv[argc - 1], "r");
    if (!script) { fprintf(stderr, "ruby: No such file or directory -- %s (LoadError)\n", argv[argc - 1]); return NULL; }
    rb_iseq_t *iseq = ruby_xmalloc(sizeof *iseq);
    memset(iseq, 0, sizeof *iseq);
    iseq->path = argv[argc - 1];
    char line[256];
    while (iseq->size < MAX_INSNS && fgets(line, sizeof line, script)) {
        rb_iseq_insn *insn = &iseq->insns[iseq->size];
        if (sscanf(line, "%15s %159s %127s", insn->insn, insn->operand, insn->argument) < 1 || insn->insn[0] == '#') {
            memset(insn, 0, sizeof *insn);
            continue;
        }
        iseq->size++;
    }
    fclose(script);
    return iseq;
}

RUBY_API NOINLINE int ruby_run_node(void *node) {
    if (!node) return 1;
    rb_execution_context_t ec = { 0 };
    return rb_ec_exec_node(&ec, (const rb_iseq_t *)node);
}
