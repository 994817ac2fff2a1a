/* mysql2.c - stand-in for the mysql2 gem's native extension (mysql2.so) on top of libmysql.dll.
   Mysql2::Client#query sends the query with the GVL released (rb_thread_call_without_gvl), so it runs
   on the calling Ruby thread's native thread; a client closed by another thread is still used. */
#include "../ruby.h"
#include <string.h>

typedef struct MYSQL MYSQL;
__declspec(dllimport) MYSQL *mysql_init(MYSQL *mysql);
__declspec(dllimport) void mysql_close(MYSQL *mysql);
__declspec(dllimport) int mysql_send_query(MYSQL *mysql, const char *query, unsigned long length);

typedef struct mysql_client_wrapper { MYSQL *client; int active_thread; int closed; } mysql_client_wrapper;
static mysql_client_wrapper wrapper;

struct nogvl_send_query_args { MYSQL *mysql; const char *sql; unsigned long sql_len; };

static void *nogvl_send_query(void *ptr) {
    struct nogvl_send_query_args *args = ptr;
    return (void *)(intptr_t)mysql_send_query(args->mysql, args->sql, args->sql_len);
}

static NOINLINE VALUE do_send_query(struct nogvl_send_query_args *args) {
    return (VALUE)(intptr_t)rb_thread_call_without_gvl(nogvl_send_query, args, NULL, NULL);
}

static VALUE rb_mysql_client_query(int argc, const VALUE *argv, VALUE self) {
    (void)self;
    struct nogvl_send_query_args args = { wrapper.client, argc > 0 ? rb_string_value_cstr(argv[0]) : "", 0 };
    args.sql_len = (unsigned long)strlen(args.sql);
    return do_send_query(&args);
}

static VALUE rb_mysql_client_connect(int argc, const VALUE *argv, VALUE self) {
    (void)argc; (void)argv; (void)self;
    wrapper.client = mysql_init(NULL);
    return Qtrue;
}

static VALUE rb_mysql_client_close(int argc, const VALUE *argv, VALUE self) {
    (void)argc; (void)argv; (void)self;
    mysql_close(wrapper.client);   /* wrapper.client is not cleared: the next query uses the closed handle */
    wrapper.closed = 1;
    return Qnil;
}

__declspec(dllexport) void Init_mysql2(void) {
    rb_define_global_function("Mysql2::Client.new", rb_mysql_client_connect, 0);
    rb_define_global_function("Mysql2::Client#query", rb_mysql_client_query, 1);
    rb_define_global_function("Mysql2::Client#close", rb_mysql_client_close, 0);
}
