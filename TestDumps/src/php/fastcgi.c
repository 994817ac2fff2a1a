/* fastcgi.c - FastCGI 1.0 over IIS's named pipe, the way php-src's main/fastcgi.c serves it on Windows: the worker's
   stdin is the server end of \\.\pipe\IISFCGI-<guid>; each connection is accepted with ConnectNamedPipe and, unless
   IIS set FCGI_KEEP_CONN, ended with FlushFileBuffers + DisconnectNamedPipe after END_REQUEST. Records as the spec
   gives them (8-byte header, big-endian lengths, padding); GET_VALUES is answered, unknown types get UNKNOWN_TYPE. */
#include "fastcgi.h"
#include <stdlib.h>
#include <string.h>

enum { FCGI_BEGIN_REQUEST = 1, FCGI_ABORT_REQUEST, FCGI_END_REQUEST, FCGI_PARAMS, FCGI_STDIN, FCGI_STDOUT, FCGI_STDERR,
       FCGI_DATA, FCGI_GET_VALUES, FCGI_GET_VALUES_RESULT, FCGI_UNKNOWN_TYPE };
#define FCGI_KEEP_CONN 1

typedef struct fcgi_header {
    unsigned char version, type, request_id_b1, request_id_b0, content_length_b1, content_length_b0, padding_length, reserved;
} fcgi_header;

int fcgi_is_fastcgi(void) {
    HANDLE in = GetStdHandle(STD_INPUT_HANDLE), out = GetStdHandle(STD_OUTPUT_HANDLE), err = GetStdHandle(STD_ERROR_HANDLE);
    return in != INVALID_HANDLE_VALUE && in != NULL && (out == INVALID_HANDLE_VALUE || out == NULL)
           && (err == INVALID_HANDLE_VALUE || err == NULL);
}

int fcgi_init_request(fcgi_request *req) {
    memset(req, 0, sizeof *req);
    req->pipe = GetStdHandle(STD_INPUT_HANDLE);
    DWORD flags;
    if (!GetNamedPipeInfo(req->pipe, &flags, NULL, NULL, NULL)) return -1;   /* a socket: php-src's accept() path */
    DWORD mode = PIPE_READMODE_BYTE | PIPE_WAIT;
    SetNamedPipeHandleState(req->pipe, &mode, NULL, NULL);
    return 0;
}

static int fcgi_read_all(fcgi_request *req, void *buffer, DWORD length) {
    char *p = buffer;
    while (length > 0) {
        DWORD n = 0;
        if (!ReadFile(req->pipe, p, length, &n, NULL) || n == 0) return -1;
        p += n;
        length -= n;
    }
    return 0;
}

static int fcgi_write_all(fcgi_request *req, const void *buffer, DWORD length) {
    const char *p = buffer;
    while (length > 0) {
        DWORD n = 0;
        if (!WriteFile(req->pipe, p, length, &n, NULL) || n == 0) return -1;
        p += n;
        length -= n;
    }
    return 0;
}

static int fcgi_write_record(fcgi_request *req, int type, int id, const void *content, int length) {
    static const char zeros[8];
    int padding = (8 - length % 8) % 8;
    fcgi_header h = { 1, (unsigned char)type, (unsigned char)(id >> 8), (unsigned char)id,
                      (unsigned char)(length >> 8), (unsigned char)length, (unsigned char)padding, 0 };
    if (fcgi_write_all(req, &h, sizeof h) < 0) return -1;
    if (length > 0 && fcgi_write_all(req, content, (DWORD)length) < 0) return -1;
    return padding > 0 ? fcgi_write_all(req, zeros, (DWORD)padding) : 0;
}

static int fcgi_read_record(fcgi_request *req, fcgi_header *h, char **content, int *length) {
    if (fcgi_read_all(req, h, sizeof *h) < 0) return -1;
    *length = (h->content_length_b1 << 8) | h->content_length_b0;
    *content = malloc((size_t)*length + h->padding_length + 1);
    if (fcgi_read_all(req, *content, (DWORD)(*length + h->padding_length)) < 0) { free(*content); return -1; }
    (*content)[*length] = 0;
    return 0;
}

static unsigned fcgi_get_length(const unsigned char **p, const unsigned char *end) {
    if (*p >= end) return 0;
    if (!(**p & 0x80)) return *(*p)++;
    if (end - *p < 4) { *p = end; return 0; }
    unsigned n = ((unsigned)((*p)[0] & 0x7f) << 24) | ((unsigned)(*p)[1] << 16) | ((unsigned)(*p)[2] << 8) | (*p)[3];
    *p += 4;
    return n;
}

static void fcgi_parse_params(fcgi_request *req, const char *data, int length) {
    const unsigned char *p = (const unsigned char *)data, *end = p + length;
    while (p < end && req->param_count < FCGI_MAX_PARAMS) {
        unsigned name_len = fcgi_get_length(&p, end), value_len = fcgi_get_length(&p, end);
        if ((size_t)(end - p) < (size_t)name_len + value_len) break;
        char *name = malloc(name_len + 1), *value = malloc(value_len + 1);
        memcpy(name, p, name_len);
        name[name_len] = 0;
        memcpy(value, p + name_len, value_len);
        value[value_len] = 0;
        p += name_len + value_len;
        req->names[req->param_count] = name;
        req->values[req->param_count++] = value;
    }
}

static void fcgi_free_params(fcgi_request *req) {
    for (int i = 0; i < req->param_count; i++) { free(req->names[i]); free(req->values[i]); }
    req->param_count = 0;
}

/* Management records (request id 0): GET_VALUES answered with what a php-cgi worker under IIS serves. */
static int fcgi_management(fcgi_request *req, fcgi_header *h) {
    if (h->type == FCGI_GET_VALUES) {
        static const char result[] = "\x0e\x01" "FCGI_MAX_CONNS" "1" "\x0d\x01" "FCGI_MAX_REQS" "1" "\x0f\x01" "FCGI_MPXS_CONNS" "0";
        return fcgi_write_record(req, FCGI_GET_VALUES_RESULT, 0, result, (int)sizeof result - 1);
    }
    char body[8] = { (char)h->type };
    return fcgi_write_record(req, FCGI_UNKNOWN_TYPE, 0, body, 8);
}

/* Reads one whole request: BEGIN_REQUEST, the PARAMS stream, the STDIN stream (read to its end here, so that with
   KEEP_CONN the next request starts at a record boundary). */
static int fcgi_read_request(fcgi_request *req) {
    fcgi_header h;
    char *content;
    int length, params_done = 0, stdin_done = 0;
    char *params = NULL;
    int params_len = 0;
    fcgi_free_params(req);
    for (;;) {
        if (fcgi_read_record(req, &h, &content, &length) < 0) { free(params); return -1; }
        int id = (h.request_id_b1 << 8) | h.request_id_b0;
        if (id == 0) {
            free(content);
            if (fcgi_management(req, &h) < 0) { free(params); return -1; }
            continue;
        }
        if (h.type == FCGI_BEGIN_REQUEST && length >= 8) {
            req->id = id;
            req->keep = (content[2] & FCGI_KEEP_CONN) != 0;
        } else if (h.type == FCGI_PARAMS) {
            if (length == 0) params_done = 1;
            params = realloc(params, (size_t)params_len + length + 1);
            memcpy(params + params_len, content, (size_t)length);
            params_len += length;
        } else if (h.type == FCGI_STDIN) {
            if (length == 0) stdin_done = 1;
        } else if (h.type == FCGI_ABORT_REQUEST) {
            free(content);
            free(params);
            return -1;
        }
        free(content);
        if (params_done && stdin_done) break;
    }
    fcgi_parse_params(req, params, params_len);
    free(params);
    return 0;
}

static void fcgi_close(fcgi_request *req, int force) {
    if (!req->connected) return;
    if (force || !req->keep) {
        FlushFileBuffers(req->pipe);
        DisconnectNamedPipe(req->pipe);
        req->connected = 0;
    }
}

int fcgi_accept_request(fcgi_request *req) {
    for (;;) {
        if (!req->connected) {
            if (!ConnectNamedPipe(req->pipe, NULL) && GetLastError() != ERROR_PIPE_CONNECTED) {
                if (GetLastError() == ERROR_NO_DATA) { DisconnectNamedPipe(req->pipe); continue; }
                return -1;
            }
            req->connected = 1;
        }
        if (fcgi_read_request(req) == 0) return 0;
        fcgi_close(req, 1);   /* the client went away (or aborted): wait for the next connection */
    }
}

const char *fcgi_getenv(fcgi_request *req, const char *name) {
    for (int i = 0; i < req->param_count; i++)
        if (strcmp(req->names[i], name) == 0) return req->values[i];
    return NULL;
}

static void fcgi_flush(fcgi_request *req) {
    if (req->out_len > 0) fcgi_write_record(req, FCGI_STDOUT, req->id, req->out, req->out_len);
    req->out_len = 0;
}

void fcgi_write(fcgi_request *req, const char *data, int len) {
    while (len > 0) {
        int room = (int)sizeof req->out - req->out_len, n = len < room ? len : room;
        memcpy(req->out + req->out_len, data, (size_t)n);
        req->out_len += n;
        data += n;
        len -= n;
        if (req->out_len == (int)sizeof req->out) fcgi_flush(req);
    }
}

void fcgi_finish_request(fcgi_request *req, int app_status) {
    fcgi_flush(req);
    fcgi_write_record(req, FCGI_STDOUT, req->id, NULL, 0);
    unsigned char end[8] = { (unsigned char)(app_status >> 24), (unsigned char)(app_status >> 16), (unsigned char)(app_status >> 8),
                             (unsigned char)app_status, 0 /* FCGI_REQUEST_COMPLETE */ };
    fcgi_write_record(req, FCGI_END_REQUEST, req->id, end, 8);
    fcgi_close(req, 0);
}
