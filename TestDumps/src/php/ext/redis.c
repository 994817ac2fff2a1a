/* redis.c - stand-in for PhpRedis 6.0.2 (php_redis.dll from the PECL build zip), built with -O2 like PHP's
   release builds (/O2): the small static helpers are inlined, so the PDB carries S_INLINESITE records and the
   engine shows inline frames. Redis::get() on a connection the server dropped (read_timeout passed): the socket
   wrapper's stream is already closed (NULL) and the bulk-reply reader dereferences it.
     zif_redis_get -> [inline] redis_get_impl -> redis_sock_read (not inlined)
                   -> [inline] redis_sock_gets -> [inline] php_stream_read_line: faults reading stream->readbuf */
#include "../php.h"
#include <string.h>

#define ALWAYS_INLINE static inline __attribute__((always_inline))

typedef struct php_stream { char *readbuf; size_t readpos, writepos; int eof; } php_stream;
typedef struct RedisSock { const char *host; int port; php_stream *stream; int status; double read_timeout; } RedisSock;

static RedisSock redis_socks[4];
static char reply_buffer[4096];

/* php_stream_get_line: scans the read buffer for the line end */
ALWAYS_INLINE size_t php_stream_read_line(php_stream *stream, char *buf, size_t maxlen) {
    size_t avail = stream->writepos - stream->readpos;   /* stream is NULL after the server closed it */
    const char *line = stream->readbuf + stream->readpos;
    size_t n = avail < maxlen - 1 ? avail : maxlen - 1;
    memcpy(buf, line, n);
    buf[n] = 0;
    stream->readpos += n;
    return n;
}

ALWAYS_INLINE int redis_sock_gets(RedisSock *redis_sock, char *buf, int buf_size, size_t *line_size) {
    *line_size = php_stream_read_line(redis_sock->stream, buf, (size_t)buf_size);
    return *line_size > 0 ? 0 : -1;
}

/* redis_sock_read: reads one bulk reply ("$<len>\r\n<data>\r\n"); kept out of line like the real one */
static NOINLINE char *redis_sock_read(RedisSock *redis_sock, int *buf_len) {
    size_t len;
    if (redis_sock_gets(redis_sock, reply_buffer, (int)sizeof reply_buffer, &len) < 0) return NULL;
    *buf_len = (int)len;
    return reply_buffer[0] == '$' ? reply_buffer + 1 : reply_buffer;
}

ALWAYS_INLINE void redis_get_impl(RedisSock *redis_sock, const char *key, zval *return_value) {
    int len = 0;
    (void)key;
    char *reply = redis_sock_read(redis_sock, &len);
    return_value->type = reply ? IS_STRING : IS_NULL;
    return_value->value.str = reply;
}

static PHP_FUNCTION(redis_connect) {
    RedisSock *sock = &redis_socks[0];
    sock->host = ZEND_NUM_ARGS() > 0 && ZEND_ARG(0)->type == IS_STRING ? ZEND_ARG(0)->value.str : "127.0.0.1";
    sock->port = 6379;
    sock->read_timeout = 1.0;
    /* the persistent stream of an earlier request; the server has closed the idle connection meanwhile, so the
       lookup finds none and the socket is left without a stream */
    sock->stream = (php_stream *)zend_hash_find("redis.persistent_stream");
    sock->status = 1;             /* ... but the socket still says "connected" (the bug) */
    return_value->type = IS_LONG;
    return_value->value.lval = 1;
}

static PHP_FUNCTION(redis_get) {
    const char *key = ZEND_NUM_ARGS() > 0 && ZEND_ARG(0)->type == IS_STRING ? ZEND_ARG(0)->value.str : "";
    redis_get_impl(&redis_socks[0], key, return_value);
}

static const zend_function_entry redis_functions[] = {
    { "redis_connect", zif_redis_connect }, { "redis_get", zif_redis_get }, { NULL, NULL } };
static zend_module_entry redis_module_entry = { "redis", redis_functions, NULL };
__declspec(dllexport) zend_module_entry *get_module(void) { return &redis_module_entry; }
