/* pdo_sqlsrv.c - stand-in for Microsoft Drivers for PHP for SQL Server, PDO flavour
   (php_pdo_sqlsrv_83_ts_x64.dll), on top of the ODBC driver msodbcsql18.dll. Crashes it carries:
   - sqlsrv_connect to a tcp: server whose TLS certificate is not trusted: the driver throws a C++
     exception through this extension, which does not catch it (e06d7363);
   - sqlsrv_get_field on a varbinary(max) column: the length indicator of a partial fetch (the total
     length of the value) is taken as the size of the part, and the C runtime's memcpy reads past the
     driver's buffer;
   - sqlsrv_free_stmt twice: the statement's metadata buffer is freed twice (heap corruption). */
#include "../php.h"
#include <string.h>
#include <wchar.h>

__declspec(dllimport) short SQLDriverConnectW(void *connection_handle, const wchar_t *connection_string);
__declspec(dllimport) short SQLGetData(void *statement_handle, unsigned short column, void **data, long long *length_or_indicator);

typedef struct sqlsrv_stmt { void *handle; char *current_meta_data; char *field_cache; } sqlsrv_stmt;
static sqlsrv_stmt statement;

static NOINLINE int core_sqlsrv_connect(const char *server) {
    wchar_t connection_string[256];
    _snwprintf(connection_string, 256, L"Driver={ODBC Driver 18 for SQL Server};Server=%hs;Encrypt=yes", server);
    return SQLDriverConnectW(NULL, connection_string);
}

static PHP_FUNCTION(sqlsrv_connect) {
    const char *server = ZEND_NUM_ARGS() > 0 && ZEND_ARG(0)->type == IS_STRING ? ZEND_ARG(0)->value.str : "";
    return_value->type = IS_LONG;
    return_value->value.lval = core_sqlsrv_connect(server);
}

static NOINLINE char *pdo_sqlsrv_stmt_get_col_data(sqlsrv_stmt *stmt, unsigned short column) {
    void *part = NULL;
    long long field_len = 0;
    SQLGetData(stmt->handle, column, &part, &field_len);
    char *field = _emalloc((size_t)field_len + 1);
    memcpy(field, part, (size_t)field_len);      /* field_len is the total length, not this part's */
    field[field_len] = 0;
    return field;
}

static PHP_FUNCTION(sqlsrv_get_field) {
    int64_t column = ZEND_NUM_ARGS() > 0 && ZEND_ARG(0)->type == IS_LONG ? ZEND_ARG(0)->value.lval : 0;
    statement.field_cache = pdo_sqlsrv_stmt_get_col_data(&statement, (unsigned short)column);
    return_value->type = IS_STRING;
    return_value->value.str = statement.field_cache;
}

static PHP_FUNCTION(sqlsrv_prepare) {
    (void)execute_data;
    statement.current_meta_data = _emalloc(256);
    memset(statement.current_meta_data, 0, 256);
    return_value->type = IS_LONG;
    return_value->value.lval = 1;
}

static NOINLINE void sqlsrv_stmt_free_metadata(sqlsrv_stmt *stmt) {
    _efree(stmt->current_meta_data);   /* the pointer is not cleared, so a second free frees it again */
}

static PHP_FUNCTION(sqlsrv_free_stmt) {
    (void)execute_data; (void)return_value;
    sqlsrv_stmt_free_metadata(&statement);
}

static const zend_function_entry pdo_sqlsrv_functions[] = {
    { "sqlsrv_connect", zif_sqlsrv_connect }, { "sqlsrv_prepare", zif_sqlsrv_prepare },
    { "sqlsrv_get_field", zif_sqlsrv_get_field }, { "sqlsrv_free_stmt", zif_sqlsrv_free_stmt }, { NULL, NULL } };
static zend_module_entry pdo_sqlsrv_module_entry = { "pdo_sqlsrv", pdo_sqlsrv_functions, NULL };
__declspec(dllexport) zend_module_entry *get_module(void) { return &pdo_sqlsrv_module_entry; }
