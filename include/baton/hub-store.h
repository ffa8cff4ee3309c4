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

struct store;

#define STORE_SCHEMA_VERSION 1

struct store *store_open(const char *path, char *err, size_t errlen);
void store_close(struct store *st);
const char *store_errmsg(struct store *st);

int store_begin(struct store *st);
int store_commit(struct store *st);
int store_rollback(struct store *st);
int store_savepoint(struct store *st);
int store_release(struct store *st);
int store_rollback_to(struct store *st);

/* Runs a statement; returns the rows it changed, or -1. */
int store_exec(struct store *st, const char *sql, const char *fmt, ...);
/* The first row: 1 and *out (new reference), 0 if none, -1 on error. */
int store_row(struct store *st, json_t **out, const char *sql, const char *fmt, ...);
/* Every row as an array (new reference), NULL on error. */
json_t *store_rows(struct store *st, const char *sql, const char *fmt, ...);
/* The first column of the first row as an integer: 1, 0 (no row or null), -1. */
int store_int(struct store *st, int64_t *out, const char *sql, const char *fmt, ...);
/* The first column of the first row as a blob (malloc'd copy): 1, 0, -1. */
int store_blob(struct store *st, void **data, size_t *len, const char *sql, const char *fmt, ...);
int64_t store_last_id(struct store *st);
/* PRAGMA integrity_check says "ok": 0, else -1 with err. */
int store_check(struct store *st, char *err, size_t errlen);

#endif
