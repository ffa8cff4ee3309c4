/*
 * hub-store.h: batond's sqlite store.
 *
 * The store owns the connection, the schema and its migrations (PRAGMA
 * user_version), durability (WAL, synchronous=FULL) and the statement cache.
 * Every query is a prepared statement with bound parameters; a module keeps
 * its SQL next to the logic that needs it, as a static string, and the store
 * prepares it once and caches it by that string's address.
 *
 * Binding: fmt has one letter per parameter:
 *   i int64_t   z int64_t, 0 binds null   d double   s const char * (NULL binds null)   n null (no argument)
 *   b const void *, size_t (a blob)
 * Rows come back as JSON objects keyed by column name (integers, reals,
 * strings, null; blobs are left out: use store_blob).
 *
 * Transactions: the server opens one per loop pass (group commit); each
 * command runs inside a savepoint so a refused one leaves nothing behind.
 */
#ifndef BATON_HUB_STORE_H
#define BATON_HUB_STORE_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

struct hub_store;

#define HUB_STORE_SCHEMA_VERSION 5

struct hub_store *hub_store_open(const char *path, char *err, size_t errlen);
void hub_store_close(struct hub_store *st);
const char *hub_store_errmsg(struct hub_store *st);

int hub_store_begin(struct hub_store *st);
int hub_store_commit(struct hub_store *st);
int hub_store_rollback(struct hub_store *st);
int hub_store_savepoint(struct hub_store *st);
int hub_store_release(struct hub_store *st);
int hub_store_rollback_to(struct hub_store *st);
/*
 * Pipelined group commit (server.c): the COMMIT of a pass may run on a
 * second thread while the loop goes on. The connection is never used by two
 * threads at once: guard is called before every statement of the loop's
 * thread and waits for a background COMMIT to finish; the commit thread
 * itself calls hub_store_commit_background().
 */
void hub_store_set_guard(struct hub_store *st, void (*guard)(void));
int hub_store_commit_background(struct hub_store *st);

/* Runs a statement; returns the rows it changed, or -1. */
int hub_store_exec(struct hub_store *st, const char *sql, const char *fmt, ...);
/* The first row: 1 and *out (new reference), 0 if none, -1 on error. */
int hub_store_row(struct hub_store *st, json_t **out, const char *sql, const char *fmt, ...);
/* Every row as an array (new reference), NULL on error. */
json_t *hub_store_rows(struct hub_store *st, const char *sql, const char *fmt, ...);
/* The first row's first n columns as text, each copied into out[i] ("" for
 * null) without a JSON row or an allocation, for the hot path: 1, 0 if
 * none, -1 on error (also if a value does not fit in HUB_STORE_TEXT_MAX). */
#define HUB_STORE_TEXT_MAX 128
int hub_store_texts(struct hub_store *st, char (*out)[HUB_STORE_TEXT_MAX], int n, const char *sql,
		    const char *fmt, ...);
/* fn(the first column as text, arg) for each row whose first column is not
 * null, without JSON rows: the number of rows, or -1 on error. */
int hub_store_each_text(struct hub_store *st, void (*fn)(const char *v, void *arg), void *arg, const char *sql,
			const char *fmt, ...);
/* The first column of the first row as an integer: 1, 0 (no row or null), -1. */
int hub_store_int(struct hub_store *st, int64_t *out, const char *sql, const char *fmt, ...);
/* The first column of the first row as a blob (malloc'd copy): 1, 0, -1. */
int hub_store_blob(struct hub_store *st, void **data, size_t *len, const char *sql, const char *fmt, ...);
int64_t hub_store_last_id(struct hub_store *st);
/* Bytes sqlite holds (page cache, statements, …), for /metrics. */
int64_t hub_store_memory(void);
/* PRAGMA integrity_check says "ok": 0, else -1 with err. */
int hub_store_check(struct hub_store *st, char *err, size_t errlen);

#endif
