/* mbstring.c - stand-in for PHP's bundled mbstring extension (php_mbstring.dll). mb_convert_case()
   title-cases a word into a fixed stack buffer without checking its length; the stack cookie check at
   the end of the function sees the overwritten cookie and fails fast, as an MSVC /GS build does:
   __security_check_cookie -> __report_gsfailure -> __fastfail(FAST_FAIL_STACK_COOKIE_CHECK_FAILURE),
   exception c0000409 with subcode 2. The cookie code is written out here because clang's windows-gnu
   target has no /GS; it follows the MSVC runtime's gs_report.c / gs_cookie.c. */
#include "../php.h"
#include <string.h>

#define FAST_FAIL_STACK_COOKIE_CHECK_FAILURE 2
static uintptr_t __security_cookie = 0x00002B992DDFA232ull;   /* the MSVC default cookie value */

static __attribute__((noinline, noreturn)) void __report_gsfailure(uintptr_t stack_cookie) {
    (void)stack_cookie;
    __asm__ volatile("int $0x29" : : "c"(FAST_FAIL_STACK_COOKIE_CHECK_FAILURE) : "memory");   /* __fastfail */
    __builtin_unreachable();
}

static NOINLINE void __security_check_cookie(uintptr_t cookie) {
    if (cookie != __security_cookie) __report_gsfailure(cookie);
}

static NOINLINE size_t php_unicode_convert_case(const char *src, char *out, size_t out_size) {
    struct { char title[32]; uintptr_t cookie; } frame;   /* the cookie sits right above the buffer, as /GS places it */
    frame.cookie = __security_cookie ^ (uintptr_t)__builtin_frame_address(0);
    size_t n = strlen(src);
    for (size_t i = 0; i < n; i++)      /* no bound: a word longer than 31 bytes runs into the cookie */
        frame.title[i] = (char)(i == 0 && src[i] >= 'a' && src[i] <= 'z' ? src[i] - 32 : src[i]);
    frame.title[n < sizeof frame.title ? n : sizeof frame.title - 1] = 0;
    strncpy(out, frame.title, out_size - 1);
    out[out_size - 1] = 0;
    __security_check_cookie(frame.cookie ^ (uintptr_t)__builtin_frame_address(0));
    return n;
}

static PHP_FUNCTION(mb_convert_case) {
    static char result[64];
    const char *text = ZEND_NUM_ARGS() > 0 && ZEND_ARG(0)->type == IS_STRING ? ZEND_ARG(0)->value.str : "";
    php_unicode_convert_case(text, result, sizeof result);
    return_value->type = IS_STRING;
    return_value->value.str = result;
}

static const zend_function_entry mbstring_functions[] = { { "mb_convert_case", zif_mb_convert_case }, { NULL, NULL } };
static zend_module_entry mbstring_module_entry = { "mbstring", mbstring_functions, NULL };
__declspec(dllexport) zend_module_entry *get_module(void) { return &mbstring_module_entry; }
