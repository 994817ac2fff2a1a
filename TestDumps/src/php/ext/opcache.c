/* opcache.c - stand-in for PHP's bundled OPcache (php_opcache.dll), loaded but not involved in any
   crash: it makes the module list look like a production worker's. */
#include "../php.h"

static PHP_FUNCTION(opcache_get_status) { (void)execute_data; return_value->type = IS_LONG; return_value->value.lval = 1; }
static const zend_function_entry opcache_functions[] = { { "opcache_get_status", zif_opcache_get_status }, { NULL, NULL } };
static zend_module_entry opcache_module_entry = { "Zend OPcache", opcache_functions, NULL };
__declspec(dllexport) zend_module_entry *get_module(void) { return &opcache_module_entry; }
