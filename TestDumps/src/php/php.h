/* php.h - the small slice of the PHP 8.3 engine API (php8ts.dll) that the test extensions and the
   php-cgi.exe host use. Names follow php-src so stacks read like real PHP crash stacks. */
#ifndef TESTDUMPS_PHP_H
#define TESTDUMPS_PHP_H
#include <stddef.h>
#include <stdint.h>

#ifdef PHP_ENGINE_BUILD
#define PHPAPI __declspec(dllexport)
#else
#define PHPAPI __declspec(dllimport)
#endif
#define NOINLINE __attribute__((noinline))

typedef enum { IS_NULL, IS_LONG, IS_STRING, IS_PTR } zend_type;
typedef struct zval { zend_type type; union { int64_t lval; const char *str; void *ptr; } value; } zval;

struct zend_execute_data;
typedef void (*zif_handler)(struct zend_execute_data *execute_data, zval *return_value);
typedef struct zend_function_entry { const char *fname; zif_handler handler; } zend_function_entry;
typedef struct zend_module_entry {
    const char *name;
    const zend_function_entry *functions;
    int (*module_startup_func)(void);
} zend_module_entry;

/* one line of a test script: a call of an internal function with up to two arguments, or a call of
   the user function the script itself defines (recursion) */
typedef struct zend_op { char opcode[16]; char function_name[64]; zval op1, op2; } zend_op;
typedef struct zend_op_array { const char *filename; zend_op *opcodes; int last; } zend_op_array;
typedef struct zend_execute_data {
    const zend_op *opline;
    zend_op_array *func;
    struct zend_execute_data *prev_execute_data;
    int call_depth;
    zval args[2];
    int num_args;
} zend_execute_data;

PHPAPI extern void (*zend_execute_ex)(zend_execute_data *execute_data);
PHPAPI void execute_ex(zend_execute_data *execute_data);
PHPAPI int zend_call_function(const char *function_name, zend_execute_data *call, zval *retval);
PHPAPI void *zend_hash_find(const char *key);
PHPAPI void *_emalloc(size_t size);
PHPAPI void _efree(void *ptr);
PHPAPI const char *zend_ini_string(const char *name);
PHPAPI int php_module_startup(int extension_count, char **extensions);
PHPAPI void php_module_shutdown(void);
PHPAPI int php_request_startup(void);
PHPAPI void php_request_shutdown(void);
PHPAPI int php_execute_script(const char *primary_file);

#define ZEND_NUM_ARGS() (execute_data->num_args)
#define ZEND_ARG(n) (&execute_data->args[n])
#define PHP_FUNCTION(name) void zif_##name(zend_execute_data *execute_data, zval *return_value)
#endif

/* zend_extension= modules (like the ionCube Loader) export this structure instead of get_module */
typedef struct zend_extension {
    const char *name, *version, *author, *url, *copyright;
    int (*startup)(struct zend_extension *extension);
} zend_extension;
PHPAPI extern zend_op_array *(*zend_compile_file)(const char *filename);
PHPAPI zend_op_array *compile_file(const char *filename);
