/* cgi_main.c - stand-in for php-cgi.exe serving FastCGI the way IIS runs it (php-src sapi/cgi/cgi_main.c): stdin is
   the server end of IIS's named pipe, stdout and stderr are invalid handles, and each request runs the script its
   SCRIPT_FILENAME names through php8ts.dll, with the extensions php.ini loads. PHP_FCGI_MAX_REQUESTS (default 500)
   requests served, the worker exits with status 0: the recycling behind the "exited unexpectedly" race. A crash in
   an extension (crash.php: xdebug.mode=trace without a trace file) kills the worker in the middle of a request.

   usage: php-cgi.exe [-c <php.ini>] [-d <directive>]...
   Run from a console (stdout valid) it says it is the FastCGI stand-in and exits 1: it has no CGI mode. */
#include "php.h"
#include "fastcgi.h"
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#define MAX_DIRECTIVES 64

static char *directives[MAX_DIRECTIVES];
static int directive_count;

static char *trim(char *s) {
    while (isspace((unsigned char)*s)) s++;
    char *end = s + strlen(s);
    while (end > s && isspace((unsigned char)end[-1])) *--end = 0;
    if (end - s >= 2 && *s == '"' && end[-1] == '"') { end[-1] = 0; s++; }
    return s;
}

/* php.ini: `name = value` lines; `;` comments and [sections] skipped. extension= and zend_extension= load modules. */
static NOINLINE void php_ini_parse(const char *path) {
    FILE *ini = fopen(path, "r");
    if (!ini) return;
    char line[512];
    while (directive_count < MAX_DIRECTIVES && fgets(line, sizeof line, ini)) {
        char *text = trim(line);
        if (!*text || *text == ';' || *text == '[') continue;
        char *eq = strchr(text, '=');
        if (!eq) continue;
        *eq = 0;
        char assignment[512];
        snprintf(assignment, sizeof assignment, "%s=%s", trim(text), trim(eq + 1));
        directives[directive_count++] = _strdup(assignment);
    }
    fclose(ini);
}

static void sapi_cgi_write(fcgi_request *request, const char *text) { fcgi_write(request, text, (int)strlen(text)); }

static NOINLINE int cgi_handle_request(fcgi_request *request, int number) {
    const char *script = fcgi_getenv(request, "SCRIPT_FILENAME");
    if (!script || GetFileAttributesA(script) == INVALID_FILE_ATTRIBUTES) {
        sapi_cgi_write(request, "Status: 404 Not Found\r\nContent-type: text/html; charset=UTF-8\r\n\r\nNo input file specified.\n");
        return 0;
    }
    if (php_request_startup() != 0) return 255;
    int status = php_execute_script(script);
    php_request_shutdown();
    /* what the tests check the driver sent: the server's CGI variables and IIS's pipe in the environment */
    const char *server = fcgi_getenv(request, "SERVER_SOFTWARE"), *pipe = getenv("_FCGI_X_PIPE_");
    char body[1024];
    snprintf(body, sizeof body, "X-Powered-By: PHP/8.3.4\r\nContent-type: text/html; charset=UTF-8\r\n\r\n"
             "%s ran (request %d of worker %lu) for %s over %s\n", script, number, GetCurrentProcessId(),
             server ? server : "?", pipe ? pipe : "?");
    sapi_cgi_write(request, body);
    return status < 0 ? 255 : 0;
}

int main(int argc, char **argv) {
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-c") == 0 && i + 1 < argc) php_ini_parse(argv[++i]);
        else if (strcmp(argv[i], "-d") == 0 && i + 1 < argc && directive_count < MAX_DIRECTIVES) directives[directive_count++] = argv[++i];
    }
    if (!fcgi_is_fastcgi()) {
        printf("php-cgi.exe (FcgiExt TestDumps stand-in): FastCGI only; run it as IIS does, with a named pipe as stdin\n");
        return 1;
    }
    fcgi_request request;
    if (fcgi_init_request(&request) != 0) return 1;   /* stdin is not a named pipe: nothing to serve */
    const char *max = getenv("PHP_FCGI_MAX_REQUESTS");
    int max_requests = max ? atoi(max) : 500;
    if (php_module_startup(directive_count, directives) != 0) return 1;
    int requests = 0;
    while (fcgi_accept_request(&request) >= 0) {
        int status = cgi_handle_request(&request, requests + 1);
        fcgi_finish_request(&request, status);
        requests++;
        if (max_requests && requests == max_requests) break;   /* recycle: leave, IIS starts a new worker */
    }
    php_module_shutdown();
    return 0;
}
