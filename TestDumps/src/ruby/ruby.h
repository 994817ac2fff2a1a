/* ruby.h - the slice of the Ruby 3.1 C API (x64-ucrt-ruby310.dll) that the test gems and ruby.exe use.
   Names follow CRuby so stacks read like real Ruby crash stacks. */
#ifndef TESTDUMPS_RUBY_H
#define TESTDUMPS_RUBY_H
#include <stdint.h>

#ifdef RUBY_EXPORT
#define RUBY_API __declspec(dllexport)
#else
#define RUBY_API __declspec(dllimport)
#endif
#define NOINLINE __attribute__((noinline))

typedef uintptr_t VALUE;
typedef uintptr_t ID;
#define Qnil ((VALUE)8)
#define Qtrue ((VALUE)20)

typedef VALUE (*rb_method_func)(int argc, const VALUE *argv, VALUE self);

RUBY_API void rb_define_global_function(const char *name, rb_method_func func, int argc);
RUBY_API VALUE rb_funcallv(VALUE recv, ID mid, int argc, const VALUE *argv);
RUBY_API ID rb_intern(const char *name);
RUBY_API VALUE rb_str_new_cstr(const char *text);
RUBY_API const char *rb_string_value_cstr(VALUE str);
RUBY_API void *rb_thread_call_without_gvl(void *(*func)(void *), void *data1, void (*ubf)(void *), void *data2);
RUBY_API void *ruby_xmalloc(uint64_t size);
RUBY_API void ruby_xfree(void *ptr);
RUBY_API void ruby_sysinit(int *argc, char ***argv);
RUBY_API void ruby_init(void);
RUBY_API void *ruby_options(int argc, char **argv);
RUBY_API int ruby_run_node(void *node);
#endif
