/* curl.c - stand-in for PHP's bundled cURL extension (php_curl.dll). curl_close() frees the handle's
   callback block while a later curl_exec() on the same (closed) handle still reads through it: a
   use after free. The block is a huge emalloc (a whole 2 MB chunk), which the engine returns to the
   system on free, so the read faults at a non-NULL, no longer mapped address. */
#include "../php.h"
#include <string.h>

typedef struct php_curl_write { int method; void *fp; void *func_name; } php_curl_write;
typedef struct php_curl_handlers { php_curl_write *write; php_curl_write *write_header; char buffer[]; } php_curl_handlers;
typedef struct php_curl { void *cp; php_curl_handlers *handlers; int in_callback; } php_curl;

#define CURL_HANDLERS_SIZE ((size_t)2 * 1024 * 1024)   /* CURLOPT_BUFFERSIZE-sized receive buffer */

static php_curl curl_handles[8];
static int curl_handle_count;

static PHP_FUNCTION(curl_init) {
    (void)execute_data;
    php_curl *ch = &curl_handles[curl_handle_count++ % 8];
    ch->handlers = _emalloc(CURL_HANDLERS_SIZE);
    ch->handlers->write = (php_curl_write *)ch->handlers->buffer;
    ch->handlers->write->method = 1;
    ch->handlers->write_header = ch->handlers->write;
    return_value->type = IS_LONG;
    return_value->value.lval = curl_handle_count - 1;
}

static NOINLINE php_curl *php_curl_from_arg(zend_execute_data *execute_data) {
    int64_t id = ZEND_NUM_ARGS() > 0 && ZEND_ARG(0)->type == IS_LONG ? ZEND_ARG(0)->value.lval : 0;
    return &curl_handles[id % 8];
}

static PHP_FUNCTION(curl_close) {
    (void)return_value;
    php_curl *ch = php_curl_from_arg(execute_data);
    _efree(ch->handlers);          /* the handle itself stays reachable with a dangling handlers pointer */
}

static NOINLINE int _php_curl_verify_handlers(php_curl *ch) {
    php_curl_write *write = ch->handlers->write;   /* reads freed memory */
    return write && write->method == 1;
}

static PHP_FUNCTION(curl_exec) {
    php_curl *ch = php_curl_from_arg(execute_data);
    return_value->type = IS_LONG;
    return_value->value.lval = _php_curl_verify_handlers(ch);
}

static const zend_function_entry curl_functions[] = {
    { "curl_init", zif_curl_init }, { "curl_exec", zif_curl_exec }, { "curl_close", zif_curl_close }, { NULL, NULL } };
static zend_module_entry curl_module_entry = { "curl", curl_functions, NULL };
__declspec(dllexport) zend_module_entry *get_module(void) { return &curl_module_entry; }
