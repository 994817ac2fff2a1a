/* apcu.c - stand-in for APCu 5.1.23 (php_apcu.dll from the PECL build zip). apcu_store() copies the key into a
   fixed slot without checking its length; a long key runs over the slot's `next` link with its own bytes. The next
   apcu_fetch() walks the chain and follows the overwritten link: the pointer is ASCII ("sion_dat..."), not a
   canonical x64 address, so the CPU raises a general-protection fault, which Windows reports as an access violation
   reading 0xffffffffffffffff. Only the faulting instruction tells the real target. */
#include "../php.h"
#include <string.h>

typedef struct apc_cache_slot { char key[24]; struct apc_cache_slot *next; int64_t value; } apc_cache_slot;

static apc_cache_slot apc_slots[4];
static apc_cache_slot *apc_head;

static NOINLINE void apc_cache_store(const char *key, int64_t value) {
    apc_cache_slot *slot = &apc_slots[0];
    strcpy(slot->key, key);          /* no bound: a key of 24 bytes or more overwrites slot->next */
    slot->value = value;
    apc_head = slot;
}

static NOINLINE apc_cache_slot *apc_cache_find(const char *key) {
    for (apc_cache_slot *slot = apc_head; slot; slot = slot->next)   /* follows the overwritten link */
        if (strncmp(slot->next->key, key, sizeof slot->key) == 0) return slot->next;
    return NULL;
}

static PHP_FUNCTION(apcu_store) {
    const char *key = ZEND_NUM_ARGS() > 0 && ZEND_ARG(0)->type == IS_STRING ? ZEND_ARG(0)->value.str : "";
    apc_cache_store(key, 1);
    return_value->type = IS_LONG;
    return_value->value.lval = 1;
}

static PHP_FUNCTION(apcu_fetch) {
    const char *key = ZEND_NUM_ARGS() > 0 && ZEND_ARG(0)->type == IS_STRING ? ZEND_ARG(0)->value.str : "";
    apc_cache_slot *slot = apc_cache_find(key);
    return_value->type = slot ? IS_LONG : IS_NULL;
    return_value->value.lval = slot ? slot->value : 0;
}

static const zend_function_entry apcu_functions[] = {
    { "apcu_store", zif_apcu_store }, { "apcu_fetch", zif_apcu_fetch }, { NULL, NULL } };
static zend_module_entry apcu_module_entry = { "apcu", apcu_functions, NULL };
__declspec(dllexport) zend_module_entry *get_module(void) { return &apcu_module_entry; }
