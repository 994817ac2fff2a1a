/* php-cgi.c - stand-in for php-cgi.exe as IIS runs it under FastCGI: start-up, the request loop
   (fcgi_accept_request -> php_request_startup -> php_execute_script -> php_request_shutdown) and the
   PHP_FCGI_MAX_REQUESTS recycling that makes a healthy worker exit on purpose.

   usage: php-cgi.exe [-d extension=<dll> | -d zend_extension=<dll> | -d <ini>=<value>]... <script>
   Each simulated FastCGI request runs <script>. Environment:
     PHP_FCGI_MAX_REQUESTS   requests served before the worker exits by itself (PHP's default 500)
     TESTDUMP_REQUESTS       requests IIS sends (default 1); after the last one the worker waits no more
     TESTDUMP_ON_EXIT=1      load dumponexit.dll, whose DLL_PROCESS_DETACH writes a dump inside ExitProcess */
#include "php.h"
#include "../../tools/crashfilter.h"
#include <string.h>

typedef struct fcgi_request { int id; const char *script_filename; } fcgi_request;

static NOINLINE int fcgi_accept_request(fcgi_request *request) {
    const char *incoming = getenv("TESTDUMP_REQUESTS");
    int available = incoming ? atoi(incoming) : 1;
    if (request->id >= available) return -1;    /* IIS closed the pipe */
    request->id++;
    return 0;
}

static NOINLINE int cgi_handle_request(fcgi_request *request) {
    if (php_request_startup() != 0) return -1;
    int status = php_execute_script(request->script_filename);
    php_request_shutdown();
    return status;
}

static NOINLINE int php_cgi_main_loop(const char *script, int max_requests) {
    fcgi_request request = { 0, script };
    int requests = 0, exit_status = 0;
    while (fcgi_accept_request(&request) >= 0) {
        exit_status = cgi_handle_request(&request);
        requests++;
        if (max_requests && requests == max_requests) break;   /* recycle: leave, IIS starts a new worker */
    }
    return exit_status;
}

int main(int argc, char **argv) {
    crashfilter_install();
    if (getenv("TESTDUMP_ON_EXIT") && !LoadLibraryA("dumponexit.dll"))
        fprintf(stderr, "php-cgi: cannot load dumponexit.dll (%lu)\n", GetLastError());
    char *directives[32];
    int directive_count = 0;
    const char *script = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-d") == 0 && i + 1 < argc && directive_count < 32) directives[directive_count++] = argv[++i];
        else script = argv[i];
    }
    if (!script) { fprintf(stderr, "usage: php-cgi.exe [-d extension=<dll>]... <script>\n"); return 2; }
    const char *max = getenv("PHP_FCGI_MAX_REQUESTS");
    int max_requests = max ? atoi(max) : 500;
    if (php_module_startup(directive_count, directives) != 0) return 1;
    int exit_status = php_cgi_main_loop(script, max_requests);
    php_module_shutdown();
    return exit_status;
}
