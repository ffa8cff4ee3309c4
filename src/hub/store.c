/*
 * store.c: batond's sqlite store (see hub-store.h).
 *
 * Durability first: WAL with synchronous=FULL, so a COMMIT that returned is
 * on disk; the hub reaches its throughput by committing a whole loop pass at
 * once (server.c), never by relaxing this. The schema is a list of
 * migrations; PRAGMA user_version says how many have run.
 */
#include "baton/hub-store.h"
#include "baton/common.h"
#include "baton/hub-stats.h"
#include "baton/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#define STMT_SLOTS 512	/* power of two; far more than the hub's statements */

struct hub_store {
	sqlite3 *db;
	void (*guard)(void);	/* called before every statement (server.c: wait for a background COMMIT) */
	struct { const char *sql; sqlite3_stmt *stmt; } cache[STMT_SLOTS];
	int savepoints;
	char err[256];
};

/*
 * Migration n takes user_version n to n + 1. Append only; never edit one that
 * has shipped. The audit log is append-only, enforced by triggers.
 */
static const char *const migrations[] = {
	/* 1: the first schema */
	"CREATE TABLE agents(id TEXT PRIMARY KEY, name TEXT NOT NULL, role TEXT NOT NULL,"
	"  skills TEXT NOT NULL DEFAULT '', max_active INTEGER, token_hash TEXT NOT NULL UNIQUE,"
	"  created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL);"
	"CREATE TABLE customers(id TEXT PRIMARY KEY, name TEXT NOT NULL, currency TEXT,"
	"  json TEXT NOT NULL, updated_at INTEGER NOT NULL);"
	"CREATE TABLE orders(id TEXT PRIMARY KEY, customer TEXT NOT NULL REFERENCES customers(id),"
	"  status TEXT NOT NULL, placed_at INTEGER, delivered_at INTEGER, total_minor INTEGER NOT NULL,"
	"  currency TEXT NOT NULL, carrier TEXT, tracking TEXT);"
	"CREATE INDEX orders_customer ON orders(customer);"
	"CREATE TABLE items(order_id TEXT NOT NULL REFERENCES orders(id), sku TEXT NOT NULL,"
	"  name TEXT NOT NULL, qty INTEGER NOT NULL, price_minor INTEGER NOT NULL,"
	"  PRIMARY KEY(order_id, sku));"
	"CREATE TABLE conversations(n INTEGER PRIMARY KEY, external_id TEXT UNIQUE,"
	"  state TEXT NOT NULL, priority INTEGER NOT NULL, channel TEXT NOT NULL, language TEXT,"
	"  created_at INTEGER NOT NULL, queued_at INTEGER, sla_due_at INTEGER, assignee TEXT,"
	"  version INTEGER NOT NULL DEFAULT 1, customer TEXT REFERENCES customers(id),"
	"  escalation TEXT, skills TEXT NOT NULL DEFAULT '', callback_url TEXT,"
	"  disposition TEXT, handback_note TEXT, tags TEXT, csat INTEGER,"
	"  assigned_at INTEGER, handed_back_at INTEGER, closed_at INTEGER);"
	"CREATE INDEX conv_queue ON conversations(state, priority, sla_due_at);"
	"CREATE INDEX conv_assignee ON conversations(assignee, state);"
	"CREATE TABLE messages(n INTEGER PRIMARY KEY, conv INTEGER NOT NULL REFERENCES conversations(n),"
	"  sender TEXT NOT NULL, author TEXT, kind TEXT NOT NULL, text TEXT NOT NULL,"
	"  at INTEGER NOT NULL);"
	"CREATE INDEX messages_conv ON messages(conv, n);"
	"CREATE TABLE monitors(conv INTEGER NOT NULL, agent TEXT NOT NULL, at INTEGER NOT NULL,"
	"  PRIMARY KEY(conv, agent));"
	"CREATE TABLE actions(n INTEGER PRIMARY KEY, conv INTEGER NOT NULL REFERENCES conversations(n),"
	"  kind TEXT NOT NULL, status TEXT NOT NULL, agent TEXT, cmd_id TEXT, by TEXT,"
	"  at INTEGER NOT NULL, params TEXT, result TEXT, error TEXT);"
	"CREATE INDEX actions_conv ON actions(conv, n);"
	"CREATE TABLE coupons(code TEXT PRIMARY KEY, action INTEGER NOT NULL UNIQUE REFERENCES actions(n),"
	"  customer TEXT NOT NULL, order_id TEXT, percent INTEGER, amount_minor INTEGER,"
	"  currency TEXT NOT NULL, created_at INTEGER NOT NULL, expires_at INTEGER NOT NULL,"
	"  redeemed_at INTEGER);"
	"CREATE TABLE rmas(n INTEGER PRIMARY KEY, action INTEGER NOT NULL UNIQUE REFERENCES actions(n),"
	"  conv INTEGER NOT NULL, customer TEXT NOT NULL, order_id TEXT NOT NULL,"
	"  status TEXT NOT NULL, refund_minor INTEGER NOT NULL, currency TEXT NOT NULL,"
	"  reason TEXT, created_at INTEGER NOT NULL);"
	"CREATE TABLE rma_lines(rma INTEGER NOT NULL REFERENCES rmas(n), order_id TEXT NOT NULL,"
	"  sku TEXT NOT NULL, qty INTEGER NOT NULL, refund_minor INTEGER NOT NULL);"
	"CREATE INDEX rma_lines_order ON rma_lines(order_id, sku);"
	"CREATE TABLE labels(n INTEGER PRIMARY KEY, action INTEGER NOT NULL UNIQUE REFERENCES actions(n),"
	"  rma INTEGER NOT NULL REFERENCES rmas(n), carrier TEXT NOT NULL, service TEXT NOT NULL,"
	"  tracking TEXT NOT NULL UNIQUE, pdf BLOB NOT NULL, zpl TEXT NOT NULL,"
	"  created_at INTEGER NOT NULL);"
	"CREATE TABLE approvals(n INTEGER PRIMARY KEY, conv INTEGER NOT NULL,"
	"  action INTEGER NOT NULL REFERENCES actions(n), kind TEXT NOT NULL, params TEXT NOT NULL,"
	"  requested_by TEXT NOT NULL, at INTEGER NOT NULL, expires_at INTEGER NOT NULL,"
	"  state TEXT NOT NULL, decided_by TEXT, note TEXT, decided_at INTEGER);"
	"CREATE INDEX approvals_pending ON approvals(state, expires_at);"
	"CREATE TABLE events(seq INTEGER PRIMARY KEY, kind TEXT NOT NULL, conv INTEGER,"
	"  at INTEGER NOT NULL, to_all INTEGER NOT NULL, to_sups INTEGER NOT NULL,"
	"  audience TEXT NOT NULL, frame TEXT NOT NULL);"
	"CREATE TABLE commands(agent TEXT NOT NULL, cmd_id TEXT NOT NULL, op TEXT NOT NULL,"
	"  req_hash TEXT NOT NULL, status TEXT NOT NULL, body TEXT, at INTEGER NOT NULL,"
	"  UNIQUE(agent, cmd_id));"
	"CREATE TABLE audit(n INTEGER PRIMARY KEY, at INTEGER NOT NULL, who TEXT NOT NULL,"
	"  what TEXT NOT NULL, conv INTEGER, action INTEGER, percent INTEGER, amount_minor INTEGER,"
	"  currency TEXT, reason TEXT, outcome TEXT NOT NULL, detail TEXT);"
	"CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit"
	"  BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;"
	"CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit"
	"  BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;"
	"CREATE TABLE webhooks(n INTEGER PRIMARY KEY, conv INTEGER NOT NULL, url TEXT NOT NULL,"
	"  type TEXT NOT NULL, body TEXT NOT NULL, idem_key TEXT NOT NULL UNIQUE,"
	"  state TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, next_at INTEGER NOT NULL,"
	"  last_error TEXT, created_at INTEGER NOT NULL, done_at INTEGER);"
	"CREATE INDEX webhooks_due ON webhooks(state, next_at);"
	"CREATE INDEX webhooks_conv ON webhooks(conv, state, n);"
	"CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT);",
	/* 2: retention prunes old events, non-money commands and delivered webhooks by time */
	"CREATE INDEX events_at ON events(at);"
	"CREATE INDEX commands_at ON commands(at);"
	"CREATE INDEX webhooks_done ON webhooks(state, done_at);",
	/* 3: the supervisors' figures: queue samples, exact counters kept by triggers (hub-stats.h) */
	HUB_STATS_MIGRATION,
	/* 4: a conversation's messages are chained (prev) from its newest one
	 * (msg_last) instead of indexed by messages_conv(conv, n). That index
	 * put each message into its conversation's own leaf page, so a group
	 * commit of messages for 100 conversations wrote ~100 index pages
	 * (4 KiB each) to the WAL: most of the hub's WAL bytes and a fifth of
	 * its CPU per message under load. msg_last has one small row per
	 * conversation; the transcript is read by walking prev back from it.
	 * The trigger keeps the chain for every INSERT, whoever makes it. */
	"ALTER TABLE messages ADD COLUMN prev INTEGER;"
	"CREATE TABLE msg_last(conv INTEGER PRIMARY KEY, n INTEGER NOT NULL, at INTEGER NOT NULL);"
	"INSERT INTO msg_last(conv, n, at) SELECT conv, max(n), max(at) FROM messages GROUP BY conv;"
	"UPDATE messages SET prev = (SELECT max(p.n) FROM messages p WHERE p.conv = messages.conv AND p.n < messages.n);"
	"DROP INDEX messages_conv;"
	"CREATE TRIGGER messages_chain AFTER INSERT ON messages BEGIN"
	"  UPDATE messages SET prev = (SELECT n FROM msg_last WHERE conv = new.conv)"
	"   WHERE new.prev IS NULL AND n = new.n;"
	"  INSERT INTO msg_last(conv, n, at) VALUES (new.conv, new.n, new.at)"
	"   ON CONFLICT(conv) DO UPDATE SET n = excluded.n, at = max(at, excluded.at);"
	" END;",
	/* 5: a message event's row names its message (msg) and keeps an empty
	 * frame: the messages row holds the text, and replay rebuilds the
	 * frame from it (session.c). The frame was most of what a message
	 * added to the WAL. Rows from before keep their frames. */
	"ALTER TABLE events ADD COLUMN msg INTEGER;",
};
_Static_assert(BATON_ARRAY_LEN(migrations) == HUB_STORE_SCHEMA_VERSION, "migrations");

static void hub_store_seterr(struct hub_store *st, const char *what)
{
	snprintf(st->err, sizeof st->err, "%s: %s", what, sqlite3_errmsg(st->db));
}

const char *hub_store_errmsg(struct hub_store *st)
{
	return st->err;
}

/* For setup statements without parameters (PRAGMAs, DDL, transaction control). */
static int hub_store_run_plain(struct hub_store *st, const char *sql)
{
	char *msg = NULL;

	if (sqlite3_exec(st->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		snprintf(st->err, sizeof st->err, "%s", msg ? msg : sqlite3_errmsg(st->db));
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

static int hub_store_migrate(struct hub_store *st, char *err, size_t errlen)
{
	int64_t version = 0;

	if (hub_store_int(st, &version, "PRAGMA user_version", "") < 0)
		goto fail;
	if (version > HUB_STORE_SCHEMA_VERSION) {
		snprintf(err, errlen,
			 "the database has schema version %lld, newer than this batond (%d); "
			 "run a newer batond or point --db elsewhere",
			 (long long)version, HUB_STORE_SCHEMA_VERSION);
		return -1;
	}
	for (int64_t v = version; v < HUB_STORE_SCHEMA_VERSION; v++) {
		char pragma[64];

		if (hub_store_run_plain(st, "BEGIN IMMEDIATE") < 0)
			goto fail;
		snprintf(pragma, sizeof pragma, "PRAGMA user_version = %lld", (long long)v + 1);
		if (hub_store_run_plain(st, migrations[v]) < 0 || hub_store_run_plain(st, pragma) < 0) {
			char keep[200];
			snprintf(keep, sizeof keep, "%.199s", st->err);
			hub_store_run_plain(st, "ROLLBACK");
			snprintf(st->err, sizeof st->err, "migration %lld: %.200s", (long long)v + 1, keep);
			goto fail;
		}
		if (hub_store_run_plain(st, "COMMIT") < 0)
			goto fail;
		log_info("store: schema migrated to version %lld", (long long)v + 1);
	}
	return 0;
fail:
	snprintf(err, errlen, "%s", st->err);
	return -1;
}

struct hub_store *hub_store_open(const char *path, char *err, size_t errlen)
{
	struct hub_store *st = xcalloc(1, sizeof *st);
	char mode[32] = "";

	if (sqlite3_open_v2(path, &st->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
			    SQLITE_OPEN_FULLMUTEX, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "cannot open the database %s: %s; check the path and its permissions",
			 path, st->db ? sqlite3_errmsg(st->db) : "out of memory");
		goto fail;
	}
	sqlite3_busy_timeout(st->db, 5000);
	sqlite3_extended_result_codes(st->db, 1);
	json_t *row = NULL;
	if (hub_store_row(st, &row, "PRAGMA journal_mode=WAL", "") == 1) {
		snprintf(mode, sizeof mode, "%s", json_string_value(json_object_get(row, "journal_mode")) ?
			 json_string_value(json_object_get(row, "journal_mode")) : "");
		json_decref(row);
	}
	if (strcmp(mode, "wal") != 0) {
		snprintf(err, errlen, "the database %s cannot use WAL mode (%s); put it on a local file system",
			 path, st->err[0] ? st->err : mode);
		goto fail;
	}
	if (hub_store_run_plain(st, "PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;") < 0) {
		snprintf(err, errlen, "database %s: %s", path, st->err);
		goto fail;
	}
	if (hub_store_migrate(st, err, errlen) < 0)
		goto fail;
	return st;
fail:
	hub_store_close(st);
	return NULL;
}

void hub_store_close(struct hub_store *st)
{
	if (!st)
		return;
	for (size_t i = 0; i < STMT_SLOTS; i++)
		if (st->cache[i].stmt)
			sqlite3_finalize(st->cache[i].stmt);
	if (st->db)
		sqlite3_close(st->db);
	free(st);
}

/* The cached statement for sql (keyed by the literal's address). */
static sqlite3_stmt *hub_store_stmt(struct hub_store *st, const char *sql)
{
	size_t h = ((uintptr_t)sql >> 3) * 0x9E3779B97F4A7C15ull;

	for (size_t k = 0; k < STMT_SLOTS; k++) {
		size_t i = (h + k) & (STMT_SLOTS - 1);
		if (st->cache[i].sql == sql)
			return st->cache[i].stmt;
		if (!st->cache[i].sql) {
			sqlite3_stmt *stmt;
			if (sqlite3_prepare_v3(st->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, NULL) != SQLITE_OK) {
				hub_store_seterr(st, "prepare");
				log_error("store: cannot prepare \"%.60s\": %s", sql, sqlite3_errmsg(st->db));
				return NULL;
			}
			st->cache[i].sql = sql;
			st->cache[i].stmt = stmt;
			return stmt;
		}
	}
	snprintf(st->err, sizeof st->err, "statement cache full");
	return NULL;
}

/* The commit thread's statements skip the guard (it is what the guard waits for). */
static _Thread_local bool store_unguarded;

void hub_store_set_guard(struct hub_store *st, void (*guard)(void))
{
	st->guard = guard;
}

int hub_store_commit_background(struct hub_store *st)
{
	int rc;

	store_unguarded = true;
	rc = hub_store_commit(st);
	store_unguarded = false;
	return rc;
}

static sqlite3_stmt *hub_store_bind(struct hub_store *st, const char *sql, const char *fmt, va_list ap)
{
	sqlite3_stmt *stmt;
	int rc = SQLITE_OK, i = 1;

	if (st->guard && !store_unguarded)
		st->guard();
	stmt = hub_store_stmt(st, sql);

	if (!stmt)
		return NULL;
	/* A format that does not match the statement is a programming error:
	 * stop here rather than bind a pointer as a number. */
	if ((size_t)sqlite3_bind_parameter_count(stmt) != strlen(fmt)) {
		log_error("store: \"%.60s\" has %d parameters, the format \"%s\" %zu", sql,
			  sqlite3_bind_parameter_count(stmt), fmt, strlen(fmt));
		abort();
	}
	sqlite3_reset(stmt);
	sqlite3_clear_bindings(stmt);
	for (const char *f = fmt; *f && rc == SQLITE_OK; f++, i++) {
		switch (*f) {
		case 'i':
			rc = sqlite3_bind_int64(stmt, i, va_arg(ap, int64_t));
			break;
		case 'z': {
			int64_t v = va_arg(ap, int64_t);
			rc = v ? sqlite3_bind_int64(stmt, i, v) : sqlite3_bind_null(stmt, i);
			break;
		}
		case 'd':
			rc = sqlite3_bind_double(stmt, i, va_arg(ap, double));
			break;
		case 's': {
			const char *s = va_arg(ap, const char *);
			rc = s ? sqlite3_bind_text(stmt, i, s, -1, SQLITE_TRANSIENT) : sqlite3_bind_null(stmt, i);
			break;
		}
		case 'b': {
			const void *p = va_arg(ap, const void *);
			size_t n = va_arg(ap, size_t);
			rc = sqlite3_bind_blob64(stmt, i, p, n, SQLITE_TRANSIENT);
			break;
		}
		case 'n':
			rc = sqlite3_bind_null(stmt, i);
			break;
		default:
			abort();	/* a programming error in a format string */
		}
	}
	if (rc != SQLITE_OK) {
		hub_store_seterr(st, "bind");
		return NULL;
	}
	return stmt;
}

static json_t *hub_store_rowjson(sqlite3_stmt *stmt)
{
	json_t *o = json_object();
	int n = sqlite3_column_count(stmt);

	for (int c = 0; c < n; c++) {
		const char *name = sqlite3_column_name(stmt, c);
		json_t *v = NULL;
		switch (sqlite3_column_type(stmt, c)) {
		case SQLITE_INTEGER:
			v = json_integer(sqlite3_column_int64(stmt, c));
			break;
		case SQLITE_FLOAT:
			v = json_real(sqlite3_column_double(stmt, c));
			break;
		case SQLITE_TEXT:
			/* Only validated UTF-8 is ever stored; nocheck saves a second pass. */
			v = json_stringn_nocheck((const char *)sqlite3_column_text(stmt, c),
						 (size_t)sqlite3_column_bytes(stmt, c));
			break;
		case SQLITE_NULL:
			v = json_null();
			break;
		default:
			break;	/* blobs: store_blob */
		}
		if (v)
			json_object_set_new_nocheck(o, name, v);
	}
	return o;
}

int hub_store_exec(struct hub_store *st, const char *sql, const char *fmt, ...)
{
	va_list ap;
	sqlite3_stmt *stmt;
	int rc;

	va_start(ap, fmt);
	stmt = hub_store_bind(st, sql, fmt, ap);
	va_end(ap);
	if (!stmt)
		return -1;
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW)
		;
	if (rc != SQLITE_DONE) {
		hub_store_seterr(st, "exec");
		sqlite3_reset(stmt);
		return -1;
	}
	sqlite3_reset(stmt);
	return sqlite3_changes(st->db);
}

/* Binds sql and steps it once: 1 with a row to read in *stmt, 0 none, -1
 * an error (in st->err). The caller reads the row, then resets *stmt with
 * first_row_done: column pointers stay valid until then. */
static int first_row(struct hub_store *st, sqlite3_stmt **stmt, const char *sql, const char *fmt, va_list ap)
{
	int rc;

	*stmt = hub_store_bind(st, sql, fmt, ap);
	if (!*stmt)
		return -1;
	rc = sqlite3_step(*stmt);
	if (rc == SQLITE_ROW)
		return 1;
	if (rc == SQLITE_DONE)
		return 0;
	hub_store_seterr(st, "query");
	return -1;
}

static int first_row_done(sqlite3_stmt *stmt, int ret)
{
	if (stmt)
		sqlite3_reset(stmt);
	return ret;
}

int hub_store_row(struct hub_store *st, json_t **out, const char *sql, const char *fmt, ...)
{
	va_list ap;
	sqlite3_stmt *stmt;
	int ret;

	*out = NULL;
	va_start(ap, fmt);
	ret = first_row(st, &stmt, sql, fmt, ap);
	va_end(ap);
	if (ret == 1)
		*out = hub_store_rowjson(stmt);
	return first_row_done(stmt, ret);
}

json_t *hub_store_rows(struct hub_store *st, const char *sql, const char *fmt, ...)
{
	va_list ap;
	sqlite3_stmt *stmt;
	json_t *a;
	int rc;

	va_start(ap, fmt);
	stmt = hub_store_bind(st, sql, fmt, ap);
	va_end(ap);
	if (!stmt)
		return NULL;
	a = json_array();
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW)
		json_array_append_new(a, hub_store_rowjson(stmt));
	if (rc != SQLITE_DONE) {
		hub_store_seterr(st, "query");
		json_decref(a);
		a = NULL;
	}
	sqlite3_reset(stmt);
	return a;
}

int hub_store_texts(struct hub_store *st, char (*out)[HUB_STORE_TEXT_MAX], int n, const char *sql,
		    const char *fmt, ...)
{
	va_list ap;
	sqlite3_stmt *stmt;
	int ret;

	for (int c = 0; c < n; c++)
		out[c][0] = '\0';
	va_start(ap, fmt);
	ret = first_row(st, &stmt, sql, fmt, ap);
	va_end(ap);
	for (int c = 0; ret == 1 && c < n && c < sqlite3_column_count(stmt); c++) {
		const unsigned char *v = sqlite3_column_text(stmt, c);
		size_t len = (size_t)sqlite3_column_bytes(stmt, c);
		if (!v)
			continue;
		if (len >= HUB_STORE_TEXT_MAX) {
			snprintf(st->err, sizeof st->err, "column %d of \"%.60s\" is longer than %d bytes", c,
				 sql, HUB_STORE_TEXT_MAX - 1);
			ret = -1;
			break;
		}
		memcpy(out[c], v, len + 1);
	}
	return first_row_done(stmt, ret);
}

int hub_store_each_text(struct hub_store *st, void (*fn)(const char *v, void *arg), void *arg, const char *sql,
			const char *fmt, ...)
{
	va_list ap;
	sqlite3_stmt *stmt;
	int rc, n = 0;

	va_start(ap, fmt);
	stmt = hub_store_bind(st, sql, fmt, ap);
	va_end(ap);
	if (!stmt)
		return -1;
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		const char *v = (const char *)sqlite3_column_text(stmt, 0);
		n++;
		if (v)
			fn(v, arg);
	}
	if (rc != SQLITE_DONE) {
		hub_store_seterr(st, "query");
		n = -1;
	}
	sqlite3_reset(stmt);
	return n;
}

int hub_store_int(struct hub_store *st, int64_t *out, const char *sql, const char *fmt, ...)
{
	va_list ap;
	sqlite3_stmt *stmt;
	int ret;

	*out = 0;
	va_start(ap, fmt);
	ret = first_row(st, &stmt, sql, fmt, ap);
	va_end(ap);
	if (ret == 1) {
		ret = sqlite3_column_type(stmt, 0) == SQLITE_NULL ? 0 : 1;
		*out = sqlite3_column_int64(stmt, 0);
	}
	return first_row_done(stmt, ret);
}

int hub_store_blob(struct hub_store *st, void **data, size_t *len, const char *sql, const char *fmt, ...)
{
	va_list ap;
	sqlite3_stmt *stmt;
	int ret;

	*data = NULL;
	*len = 0;
	va_start(ap, fmt);
	ret = first_row(st, &stmt, sql, fmt, ap);
	va_end(ap);
	if (ret == 1) {
		size_t n = (size_t)sqlite3_column_bytes(stmt, 0);
		const void *p = sqlite3_column_blob(stmt, 0);
		*data = xmalloc(n + 1);
		if (n)
			memcpy(*data, p, n);
		((char *)*data)[n] = '\0';
		*len = n;
	}
	return first_row_done(stmt, ret);
}

int64_t hub_store_memory(void)
{
	return sqlite3_memory_used();
}

int64_t hub_store_last_id(struct hub_store *st)
{
	return sqlite3_last_insert_rowid(st->db);
}

int hub_store_begin(struct hub_store *st)
{
	/* IMMEDIATE: take the write lock now, so COMMIT cannot fail with BUSY
	 * because another process (a `token add`) wrote in between. */
	return hub_store_exec(st, "BEGIN IMMEDIATE", "") < 0 ? -1 : 0;
}

int hub_store_commit(struct hub_store *st)
{
	return hub_store_exec(st, "COMMIT", "") < 0 ? -1 : 0;
}

int hub_store_rollback(struct hub_store *st)
{
	st->savepoints = 0;
	if (sqlite3_get_autocommit(st->db))
		return 0;
	return hub_store_exec(st, "ROLLBACK", "") < 0 ? -1 : 0;
}

int hub_store_savepoint(struct hub_store *st)
{
	if (hub_store_exec(st, "SAVEPOINT cmd", "") < 0)
		return -1;
	st->savepoints++;
	return 0;
}

int hub_store_release(struct hub_store *st)
{
	if (hub_store_exec(st, "RELEASE cmd", "") < 0)
		return -1;
	st->savepoints--;
	return 0;
}

int hub_store_rollback_to(struct hub_store *st)
{
	/* ROLLBACK TO keeps the savepoint open; RELEASE closes it. */
	if (hub_store_exec(st, "ROLLBACK TO cmd", "") < 0 || hub_store_exec(st, "RELEASE cmd", "") < 0)
		return -1;
	st->savepoints--;
	return 0;
}

int hub_store_check(struct hub_store *st, char *err, size_t errlen)
{
	json_t *rows = hub_store_rows(st, "PRAGMA integrity_check", "");
	int ret = -1;

	if (!rows) {
		snprintf(err, errlen, "%s", st->err);
		return -1;
	}
	if (json_array_size(rows) == 1) {
		const char *v = json_string_value(json_object_get(json_array_get(rows, 0), "integrity_check"));
		if (v && strcmp(v, "ok") == 0)
			ret = 0;
	}
	if (ret < 0)
		snprintf(err, errlen, "integrity_check failed; restore the database from a backup");
	json_decref(rows);
	return ret;
}
