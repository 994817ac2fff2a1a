/* fastcgi.h - the FastCGI side of the php-cgi.exe stand-in (fastcgi.c), named after php-src's main/fastcgi.h. */
#ifndef TESTDUMPS_FASTCGI_H
#define TESTDUMPS_FASTCGI_H
#include <windows.h>

#define FCGI_MAX_PARAMS 64

typedef struct fcgi_request {
    HANDLE pipe;          /* the server end of IIS's named pipe: the worker's stdin */
    int connected;        /* a client (IIS) is connected to the pipe */
    int id;               /* the FastCGI request id of the request being served */
    int keep;             /* FCGI_KEEP_CONN: the connection stays open after END_REQUEST */
    int param_count;
    char *names[FCGI_MAX_PARAMS], *values[FCGI_MAX_PARAMS];
    char out[8192];       /* FCGI_STDOUT content not sent yet */
    int out_len;
} fcgi_request;

/* FastCGI mode as php-src detects it on Windows: stdin valid, stdout and stderr INVALID_HANDLE_VALUE. */
int fcgi_is_fastcgi(void);
/* 0 when stdin is a named pipe this process can serve (GetNamedPipeInfo), -1 otherwise. */
int fcgi_init_request(fcgi_request *req);
/* Waits for IIS (ConnectNamedPipe) unless still connected, then reads BEGIN_REQUEST, PARAMS and STDIN. 0: a request
   is ready; -1: the pipe is gone (IIS closed it). */
int fcgi_accept_request(fcgi_request *req);
const char *fcgi_getenv(fcgi_request *req, const char *name);
void fcgi_write(fcgi_request *req, const char *data, int len);
/* Ends the request: the rest of STDOUT, the empty STDOUT record, END_REQUEST; without KEEP_CONN FlushFileBuffers and
   DisconnectNamedPipe, as php-src's fcgi_close does. */
void fcgi_finish_request(fcgi_request *req, int app_status);
#endif
