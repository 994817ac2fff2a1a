/* libmysql.c - stand-in for the MySQL C client library (libmysql.dll, MySQL Connector/C). The network
   buffer of a connection is one large allocation that mysql_close() releases; a query on the closed
   handle writes the command packet into the released buffer. */
#include <windows.h>
#include <string.h>

#define NOINLINE __attribute__((noinline))
#define NET_BUFFER_LENGTH ((size_t)1024 * 1024)   /* max_allowed_packet-sized net buffer */

typedef struct NET { unsigned char *buff, *buff_end, *write_pos; unsigned int pkt_nr; } NET;
typedef struct MYSQL { NET net; char host[64]; int status; } MYSQL;

static MYSQL default_connection;           /* mysql_init(NULL) hands out this one */
unsigned int mysql_port = 3306;

static NOINLINE unsigned char *my_malloc(size_t size) {
    return VirtualAlloc(NULL, size, MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE);
}

static NOINLINE void my_free(void *ptr) { VirtualFree(ptr, 0, MEM_RELEASE); }

static NOINLINE int my_net_init(NET *net) {
    net->buff = my_malloc(NET_BUFFER_LENGTH);
    net->buff_end = net->buff + NET_BUFFER_LENGTH;
    net->write_pos = net->buff;
    net->pkt_nr = 0;
    return net->buff ? 0 : 1;
}

static NOINLINE void net_end(NET *net) { my_free(net->buff); }

__declspec(dllexport) NOINLINE MYSQL *mysql_init(MYSQL *mysql) {
    if (!mysql) mysql = &default_connection;
    memset(mysql, 0, sizeof *mysql);
    strcpy(mysql->host, "localhost");
    my_net_init(&mysql->net);
    return mysql;
}

__declspec(dllexport) NOINLINE void mysql_close(MYSQL *mysql) { net_end(&mysql->net); mysql->status = 0; }

static NOINLINE int net_write_command(NET *net, unsigned char command, const unsigned char *packet, size_t length) {
    unsigned char *pos = net->write_pos;
    pos[0] = (unsigned char)(length + 1);        /* 3-byte length, packet number, command */
    pos[1] = (unsigned char)((length + 1) >> 8);
    pos[2] = (unsigned char)((length + 1) >> 16);
    pos[3] = (unsigned char)net->pkt_nr++;
    pos[4] = command;
    memcpy(pos + 5, packet, length);
    return 0;
}

static NOINLINE int cli_advanced_command(MYSQL *mysql, unsigned char command, const unsigned char *arg, size_t length) {
    return net_write_command(&mysql->net, command, arg, length);
}

__declspec(dllexport) NOINLINE int mysql_send_query(MYSQL *mysql, const char *query, unsigned long length) {
    return cli_advanced_command(mysql, 3 /* COM_QUERY */, (const unsigned char *)query, length);
}
