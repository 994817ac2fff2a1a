/* ioncube_loader.c - stand-in for the ionCube Loader (php_ioncube_loader_win_8.3.dll), a closed-source
   zend_extension that ships without PDBs: a debugger sees its exports only. It replaces
   zend_compile_file to decode encoded scripts; an encoded file whose header names a missing key block
   makes the decoder read through a NULL key pointer. Built without debug information on purpose. */
#include "../php.h"
#include <stdio.h>
#include <string.h>

typedef struct ic_key_block { unsigned int length; unsigned char key[64]; } ic_key_block;
typedef struct ic_file_header { char magic[8]; int version; ic_key_block *key_block; } ic_file_header;

static zend_op_array *(*ic_previous_compile_file)(const char *filename);

static NOINLINE unsigned int ic_key_checksum(const ic_file_header *header) {
    unsigned int sum = 0;
    for (unsigned int i = 0; i < header->key_block->length; i++) sum = sum * 31 + header->key_block->key[i];
    return sum;
}

static NOINLINE int ic_read_header(const char *filename, ic_file_header *header) {
    memset(header, 0, sizeof *header);
    FILE *file = fopen(filename, "r");
    if (!file) return -1;
    char line[64] = "";
    if (!fgets(line, sizeof line, file)) line[0] = 0;
    fclose(file);
    if (strncmp(line, "# <?php //0", 11) != 0) return 0;   /* not encoded */
    memcpy(header->magic, "ICENC", 6);
    header->version = 83;
    header->key_block = NULL;                                /* the licence file that carries it is missing */
    return 1;
}

static NOINLINE zend_op_array *ic_compile_file(const char *filename) {
    ic_file_header header;
    if (ic_read_header(filename, &header) == 1 && ic_key_checksum(&header) == 0) return NULL;
    return ic_previous_compile_file(filename);
}

static int ic_startup(zend_extension *extension) {
    (void)extension;
    ic_previous_compile_file = zend_compile_file;
    zend_compile_file = ic_compile_file;
    return 0;
}

__declspec(dllexport) zend_extension zend_extension_entry = {
    "the ionCube PHP Loader", "13.0.2", "ionCube Ltd.", "http://www.ioncube.com", "Copyright (c) 2002-2024", ic_startup };
__declspec(dllexport) struct { int zend_extension_api_no; const char *build_id; } extension_version_info = { 420230831, "API420230831,TS,VS16" };
