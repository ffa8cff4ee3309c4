/*
 * store.c: the console's local sqlite store (see store.h for what it keeps
 * and why).
 *
 * Every write that belongs to one event (its effect, its seq) happens in
 * one transaction, so a crash or a full disk leaves the store at the last
 * whole event. Statements are prepared the first time they are needed and
 * kept until close: a start prepares only the few that painting reads
 * (preparing all of them at open was a tenth of the start-up's CPU, spent
 * before the first paint on writes and searches that come later, if at
 * all). Conversations keep
 * their queue-pane fields in columns (painting 10,000 queued conversations
 * reads columns, not JSON) and the whole object as JSON for the context
 * pane.
 *
 * The queue pane's fields are also packed into one text column, qrow, at
 * the end of the queue's covering index: painting reads one column per row
 * instead of sixteen. sqlite's cost per row is mostly per column read
 * (record decoding, one API call each): with 10,000 queued conversations
 * the sixteen columns were 30M of the start's 74M instructions before the
 * first paint, the packed column about a third of that. The columns stay:
 * they order the index and answer everything else.
 */
#include "baton/store.h"
#include "baton/common.h"
#include "baton/log.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

/* The current schema, for a new store. */
static const char schema_new[] =
	"CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT);"
	"CREATE TABLE IF NOT EXISTS conversations("
	"  id TEXT PRIMARY KEY, state INTEGER NOT NULL, priority INTEGER NOT NULL,"
	"  channel INTEGER NOT NULL, language TEXT, customer TEXT, tier TEXT,"
	"  reason INTEGER, reason_text TEXT, sentiment REAL, confidence REAL,"
	"  created_at INTEGER, queued_at INTEGER, sla_due_at INTEGER, assignee TEXT,"
	"  version INTEGER NOT NULL, monitored INTEGER NOT NULL DEFAULT 0, qrow TEXT);"
	/* The queue pane's order and its packed row: painting 10,000 queued
	 * conversations reads this index alone, in order, with no sort
	 * (queued_at and created_at at the end only so sqlite sees the
	 * COALESCE of the ORDER BY covered: without them it reads the table). */
	"CREATE INDEX IF NOT EXISTS conversations_queue ON conversations(state, priority,"
	"  sla_due_at IS NULL, sla_due_at, COALESCE(queued_at, created_at), id, qrow, queued_at,"
	"  created_at);"
	/* Whole objects apart, so the rows the queue reads stay small. */
	"CREATE TABLE IF NOT EXISTS conversation_json(id TEXT PRIMARY KEY, json TEXT NOT NULL);"
	"CREATE TABLE IF NOT EXISTS messages("
	"  id TEXT PRIMARY KEY, conv TEXT NOT NULL, at INTEGER NOT NULL, sender INTEGER NOT NULL,"
	"  kind INTEGER NOT NULL, author TEXT, text TEXT NOT NULL);"
	"CREATE INDEX IF NOT EXISTS messages_conv_at ON messages(conv, at, id);"
	"CREATE VIRTUAL TABLE IF NOT EXISTS messages_fts USING fts5("
	"  text, content='messages', content_rowid='rowid');"
	"CREATE TRIGGER IF NOT EXISTS messages_ai AFTER INSERT ON messages BEGIN"
	"  INSERT INTO messages_fts(rowid, text) VALUES (new.rowid, new.text); END;"
	"CREATE TRIGGER IF NOT EXISTS messages_ad AFTER DELETE ON messages BEGIN"
	"  INSERT INTO messages_fts(messages_fts, rowid, text) VALUES('delete', old.rowid, old.text); END;"
	"CREATE TABLE IF NOT EXISTS outbox("
	"  n INTEGER PRIMARY KEY AUTOINCREMENT, cmd_id TEXT UNIQUE NOT NULL, op INTEGER NOT NULL,"
	"  conv TEXT, frame TEXT NOT NULL, text TEXT, created_at INTEGER NOT NULL,"
	"  tries INTEGER NOT NULL DEFAULT 0);"
	"CREATE TABLE IF NOT EXISTS drafts(conv TEXT PRIMARY KEY, text TEXT NOT NULL,"
	"  updated_at INTEGER NOT NULL);";

/*
 * qrow: the queue pane's fields of a conversation as one text, separated
 * by QROW_SEP (a control character, which sanitized text never holds):
 * id, customer, tier, language, reason_text, assignee, priority, channel,
 * reason, sentiment, confidence, created_at, queued_at, sla_due_at,
 * version. A missing text or number is empty. put_conv writes it (qrow_make);
 * QROW_SQL builds the same from the columns, for the migration. Numbers
 * are parsed by hand (glibc's strtoll and strtod were a third of the
 * queue's load): integers in decimal, the two fractions as "x" and their
 * 64 bits in hex, exact (decimal from the migration is read with strtod).
 */
#define QROW_SEP '\x1f'
#define QROW_FIELDS 15
#define QROW_SQL \
	"id||char(31)||ifnull(customer,'')||char(31)||ifnull(tier,'')||char(31)||" \
	"ifnull(language,'')||char(31)||ifnull(reason_text,'')||char(31)||ifnull(assignee,'')||" \
	"char(31)||priority||char(31)||channel||char(31)||ifnull(reason,'')||char(31)||" \
	"ifnull(sentiment,'')||char(31)||ifnull(confidence,'')||char(31)||ifnull(created_at,'')||" \
	"char(31)||ifnull(queued_at,'')||char(31)||ifnull(sla_due_at,'')||char(31)||version"

/* migrations[v] takes a store from schema v to v + 1. */
static const char *const migrations[] = {
	[1] =	/* 1 → 2: whole objects out of the queue's rows; a covering queue index */
	"CREATE TABLE conversation_json(id TEXT PRIMARY KEY, json TEXT NOT NULL);"
	"INSERT INTO conversation_json(id, json) SELECT id, json FROM conversations;"
	"DROP INDEX IF EXISTS conversations_state;"
	"ALTER TABLE conversations DROP COLUMN json;"
	"CREATE INDEX conversations_queue ON conversations(state, priority,"
	"  sla_due_at IS NULL, sla_due_at, COALESCE(queued_at, created_at), id, customer, tier,"
	"  language, reason_text, assignee, channel, reason, sentiment, confidence, created_at,"
	"  queued_at, version);",
	[2] =	/* 2 → 3: the queue's fields packed in one column (QROW_SQL) */
	"ALTER TABLE conversations ADD COLUMN qrow TEXT;"
	"UPDATE conversations SET qrow = " QROW_SQL ";"
	"DROP INDEX conversations_queue;"
	"CREATE INDEX conversations_queue ON conversations(state, priority,"
	"  sla_due_at IS NULL, sla_due_at, COALESCE(queued_at, created_at), id, qrow, queued_at,"
	"  created_at);",
};

/* Prepared statements, one enum and one SQL table. */
#define STORE_STMTS(X) \
	X(META_GET, "SELECT value FROM meta WHERE key = ?1") \
	X(META_SET, "INSERT INTO meta(key, value) VALUES (?1, ?2) " \
		    "ON CONFLICT(key) DO UPDATE SET value = excluded.value") \
	X(CONV_PUT, "INSERT INTO conversations(id, state, priority, channel, language, customer, " \
		    "tier, reason, reason_text, sentiment, confidence, created_at, queued_at, " \
		    "sla_due_at, assignee, version, monitored, qrow) VALUES " \
		    "(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17,?18) " \
		    "ON CONFLICT(id) DO UPDATE SET state=excluded.state, priority=excluded.priority, " \
		    "channel=excluded.channel, language=excluded.language, customer=excluded.customer, " \
		    "tier=excluded.tier, reason=excluded.reason, reason_text=excluded.reason_text, " \
		    "sentiment=excluded.sentiment, confidence=excluded.confidence, " \
		    "created_at=excluded.created_at, queued_at=excluded.queued_at, " \
		    "sla_due_at=excluded.sla_due_at, assignee=excluded.assignee, " \
		    "version=excluded.version, monitored=excluded.monitored, qrow=excluded.qrow " \
		    "WHERE excluded.version >= conversations.version") \
	X(CONV_JSON_PUT, "INSERT INTO conversation_json(id, json) SELECT ?1, ?2 WHERE " \
			 "(SELECT version FROM conversations WHERE id = ?1) = ?3 " \
			 "ON CONFLICT(id) DO UPDATE SET json = excluded.json") \
	X(CONV_GET, "SELECT j.json, c.monitored FROM conversations c JOIN conversation_json j " \
		    "ON j.id = c.id WHERE c.id = ?1") \
	X(CONV_STATE, "UPDATE conversations SET state = ?2 WHERE id = ?1") \
	X(MSG_PUT, "INSERT OR IGNORE INTO messages(id, conv, at, sender, kind, author, text) " \
		   "VALUES (?1,?2,?3,?4,?5,?6,?7)") \
	X(MSG_BEFORE, "SELECT id, at, sender, kind, author, text FROM messages " \
		      "WHERE conv = ?1 AND (at < ?2 OR (at = ?2 AND id < ?3)) " \
		      "ORDER BY at DESC, id DESC LIMIT ?4") \
	X(MSG_LAST, "SELECT id, at, sender, kind, author, text FROM messages WHERE conv = ?1 " \
		    "ORDER BY at DESC, id DESC LIMIT ?2") \
	X(QUEUE_LOAD, "SELECT qrow FROM conversations WHERE state = 0 ORDER BY priority, " \
		      "sla_due_at IS NULL, sla_due_at, COALESCE(queued_at, created_at), id") \
	X(QUEUE_LOAD_COLS, "SELECT id, customer, tier, language, reason_text, assignee, state, priority, " \
		      "channel, reason, sentiment, confidence, created_at, queued_at, sla_due_at, " \
		      "version FROM conversations WHERE state = 0 ORDER BY priority, " \
		      "sla_due_at IS NULL, sla_due_at, COALESCE(queued_at, created_at), id") \
	X(MINE_LOAD, "SELECT j.json, c.monitored FROM conversations c JOIN conversation_json j " \
		     "ON j.id = c.id WHERE c.state = 1 AND (c.assignee = ?1 OR c.monitored = 1)") \
	X(OUT_ADD, "INSERT INTO outbox(cmd_id, op, conv, frame, text, created_at) " \
		   "VALUES (?1,?2,?3,?4,?5,?6)") \
	X(OUT_DEL, "DELETE FROM outbox WHERE cmd_id = ?1") \
	X(OUT_TRIED, "UPDATE outbox SET tries = tries + 1 WHERE cmd_id = ?1") \
	X(OUT_LIST, "SELECT cmd_id, op, conv, frame, text, created_at, tries FROM outbox ORDER BY n") \
	X(DRAFT_SET, "INSERT INTO drafts(conv, text, updated_at) VALUES (?1,?2,?3) " \
		     "ON CONFLICT(conv) DO UPDATE SET text = excluded.text, " \
		     "updated_at = excluded.updated_at") \
	X(DRAFT_DEL, "DELETE FROM drafts WHERE conv = ?1") \
	X(DRAFT_GET, "SELECT text FROM drafts WHERE conv = ?1") \
	X(DRAFT_ALL, "SELECT conv, text FROM drafts") \
	X(SEARCH, "SELECT m.conv, m.id, m.sender, m.at, " \
		  "snippet(messages_fts, 0, '[', ']', '…', 16) FROM messages_fts " \
		  "JOIN messages m ON m.rowid = messages_fts.rowid " \
		  "WHERE messages_fts MATCH ?1 ORDER BY m.at DESC LIMIT ?2")

#define STMT_ENUM_(e, sql) S_##e,
enum { STORE_STMTS(STMT_ENUM_) S__COUNT };
#define STMT_SQL_(e, sql) sql,
static const char *const stmt_sql[] = { STORE_STMTS(STMT_SQL_) };

struct store {
	sqlite3 *db;
	sqlite3_stmt *s[S__COUNT];	/* prepared on first use (stmt()) */
	int prep_rc;			/* why the last prepare failed */
	char *path;
	int lock_fd;
	int64_t last_seq;
};

const char *store_path(const struct store *st)
{
	return st->path;
}

int64_t store_last_seq(const struct store *st)
{
	return st->last_seq;
}

/* A sentence for an sqlite failure that tells the agent what to do. */
static void db_err(struct store *st, int rc, const char *what, char *err, size_t errlen)
{
	const char *msg = st && st->db ? sqlite3_errmsg(st->db) : sqlite3_errstr(rc);
	const char *path = st && st->path ? st->path : "the local store";

	switch (rc & 0xff) {
	case SQLITE_FULL:
		snprintf(err, errlen, "Local store full (%s): free disk space; nothing typed is lost "
			 "while baton stays open.", path);
		break;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		snprintf(err, errlen, "Local store busy (%s): another program holds it; close it.", path);
		break;
	case SQLITE_READONLY:
	case SQLITE_PERM:
	case SQLITE_CANTOPEN:
		snprintf(err, errlen, "Cannot write the local store %s: check its permissions.", path);
		break;
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB:
		snprintf(err, errlen, "The local store %s is damaged: move it away and restart baton "
			 "(it is rebuilt from the hub).", path);
		break;
	default:
		snprintf(err, errlen, "Local store error while %s: %s.", what, msg);
	}
}

static int exec(struct store *st, const char *sql, char *err, size_t errlen)
{
	int rc = sqlite3_exec(st->db, sql, NULL, NULL, NULL);
	if (rc != SQLITE_OK) {
		db_err(st, rc, sql, err, errlen);
		return -1;
	}
	return 0;
}

/* Statement i, reset and unbound, prepared now if this is its first use.
 * NULL if sqlite cannot prepare it (out of memory, a damaged schema):
 * st->prep_rc says why, and the callers report it like a failed step. */
static sqlite3_stmt *stmt(struct store *st, int i)
{
	sqlite3_stmt *s = st->s[i];
	int rc;

	if (s) {
		sqlite3_reset(s);
		sqlite3_clear_bindings(s);
		return s;
	}
	rc = sqlite3_prepare_v3(st->db, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT, &st->s[i], NULL);
	if (rc != SQLITE_OK) {
		st->prep_rc = rc;
		log_warn("store: cannot prepare a statement: %s", sqlite3_errmsg(st->db));
		sqlite3_finalize(st->s[i]);
		st->s[i] = NULL;
	}
	return st->s[i];
}

/* The error for a statement stmt() could not prepare; -1. */
static int no_stmt(struct store *st, const char *what, char *err, size_t errlen)
{
	db_err(st, st->prep_rc ? st->prep_rc : SQLITE_ERROR, what, err, errlen);
	return -1;
}

static void bind_text(sqlite3_stmt *s, int i, const char *v)
{
	if (v)
		sqlite3_bind_text(s, i, v, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(s, i);
}

/* Runs a statement that returns no rows. */
static int step_done(struct store *st, sqlite3_stmt *s, const char *what, char *err, size_t errlen)
{
	int rc;

	if (!s)
		return no_stmt(st, what, err, errlen);
	rc = sqlite3_step(s);
	sqlite3_reset(s);
	if (rc != SQLITE_DONE) {
		db_err(st, rc, what, err, errlen);
		return -1;
	}
	return 0;
}

static char *meta_get(struct store *st, const char *key)
{
	sqlite3_stmt *s = stmt(st, S_META_GET);
	char *v = NULL;

	if (!s)
		return NULL;
	bind_text(s, 1, key);
	if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_text(s, 0))
		v = xstrdup((const char *)sqlite3_column_text(s, 0));
	sqlite3_reset(s);
	return v;
}

static int meta_set(struct store *st, const char *key, const char *value, char *err, size_t errlen)
{
	sqlite3_stmt *s = stmt(st, S_META_SET);

	if (!s)
		return no_stmt(st, "saving state", err, errlen);
	bind_text(s, 1, key);
	bind_text(s, 2, value);
	return step_done(st, s, "saving state", err, errlen);
}

static int set_seq(struct store *st, int64_t seq, char *err, size_t errlen)
{
	char buf[32];

	snprintf(buf, sizeof buf, "%lld", (long long)seq);
	if (meta_set(st, "last_seq", buf, err, errlen) < 0)
		return -1;
	return 0;
}

/* mkdir -p with mode 0700 for the parents of path. */
static int make_parents(const char *path, char *err, size_t errlen)
{
	char *p = xstrdup(path);
	int rc = 0;

	for (char *s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, 0700) < 0 && errno != EEXIST) {
			snprintf(err, errlen, "Cannot create the directory %s for the local store: %s.", p,
				 strerror(errno));
			rc = -1;
			break;
		}
		*s = '/';
	}
	free(p);
	return rc;
}

char *store_default_path(void)
{
	const char *x = getenv("XDG_DATA_HOME");
	const char *home = getenv("HOME");

	if (x && *x == '/')
		return xasprintf("%s/baton/baton.db", x);
	return xasprintf("%s/.local/share/baton/baton.db", home && *home ? home : ".");
}

struct store *store_open(const char *path, char *err, size_t errlen)
{
	struct store *st = xcalloc(1, sizeof *st);
	char *lock = NULL, *v;
	int rc, ver = 0;
	sqlite3_stmt *s;

	st->path = xstrdup(path);
	st->lock_fd = -1;
	if (make_parents(path, err, errlen) < 0)
		goto fail;
	lock = xasprintf("%s.lock", path);
	st->lock_fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (st->lock_fd < 0) {
		snprintf(err, errlen, "Cannot create %s: %s.", lock, strerror(errno));
		goto fail;
	}
	if (flock(st->lock_fd, LOCK_EX | LOCK_NB) < 0) {
		snprintf(err, errlen, "Another baton is using the local store %s; this one runs "
			 "without it (set XDG_DATA_HOME to give it its own).", path);
		goto fail;
	}
	/* The store holds customers' conversations: private to the agent. */
	mode_t old = umask(077);
	rc = sqlite3_open_v2(path, &st->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
			     SQLITE_OPEN_NOMUTEX, NULL);
	umask(old);
	if (rc != SQLITE_OK) {
		db_err(st, rc, "opening", err, errlen);
		goto fail;
	}
	/* The loop must not stall on a lock for long: 200 ms, then an error. */
	sqlite3_busy_timeout(st->db, 200);
	/* 1 MB of page cache: reads are few and small once the screen is painted. */
	sqlite3_exec(st->db, "PRAGMA cache_size=-1024", NULL, NULL, NULL);
	if (exec(st, "PRAGMA journal_mode=WAL", err, errlen) < 0 ||
	    exec(st, "PRAGMA synchronous=FULL", err, errlen) < 0 ||
	    exec(st, "PRAGMA foreign_keys=ON", err, errlen) < 0)
		goto fail;
	rc = sqlite3_prepare_v2(st->db, "PRAGMA user_version", -1, &s, NULL);
	if (rc != SQLITE_OK) {
		db_err(st, rc, "reading the schema version", err, errlen);
		goto fail;
	}
	if (sqlite3_step(s) == SQLITE_ROW)
		ver = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	if (ver > STORE_SCHEMA_VERSION) {
		snprintf(err, errlen, "The local store %s was written by a newer baton (schema %d; this "
			 "one knows %d): upgrade baton, or move the file away.", path, ver,
			 STORE_SCHEMA_VERSION);
		goto fail;
	}
	/* A new store gets the current schema; an older one migrates one
	 * version at a time, each step in its own transaction. */
	for (int from = ver; from < STORE_SCHEMA_VERSION; from++) {
		const char *sql = from == 0 ? schema_new : migrations[from];
		char bump[64];
		snprintf(bump, sizeof bump, "PRAGMA user_version = %d",
			 from == 0 ? STORE_SCHEMA_VERSION : from + 1);
		if (exec(st, "BEGIN IMMEDIATE", err, errlen) < 0)
			goto fail;
		if (exec(st, sql, err, errlen) < 0 || exec(st, bump, err, errlen) < 0) {
			sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
			goto fail;
		}
		if (exec(st, "COMMIT", err, errlen) < 0)
			goto fail;
		if (from == 0)
			break;
		log_info("store: migrated %s to schema %d", path, from + 1);
	}
	/* The first statement reads the schema: a damaged one fails here,
	 * at open, not at the first write. */
	if (!stmt(st, S_META_GET)) {
		no_stmt(st, "reading the schema", err, errlen);
		goto fail;
	}
	v = meta_get(st, "last_seq");
	st->last_seq = v ? strtoll(v, NULL, 10) : 0;
	free(v);
	free(lock);
	return st;
fail:
	free(lock);
	store_close(st);
	return NULL;
}

void store_close(struct store *st)
{
	if (!st)
		return;
	for (int i = 0; i < S__COUNT; i++)
		sqlite3_finalize(st->s[i]);
	if (st->db)
		sqlite3_close(st->db);
	if (st->lock_fd >= 0)
		close(st->lock_fd);
	free(st->path);
	free(st);
}

/* ---- writing objects ---- */

static int put_message(struct store *st, const struct proto_message *m, char *err, size_t errlen)
{
	sqlite3_stmt *s = stmt(st, S_MSG_PUT);

	if (!s)
		return no_stmt(st, "saving a message", err, errlen);
	bind_text(s, 1, m->id);
	bind_text(s, 2, m->conv);
	sqlite3_bind_int64(s, 3, m->at);
	sqlite3_bind_int(s, 4, m->from);
	sqlite3_bind_int(s, 5, m->kind);
	bind_text(s, 6, m->author);
	bind_text(s, 7, m->text);
	return step_done(st, s, "saving a message", err, errlen);
}

static void bind_time(sqlite3_stmt *s, int i, int64_t t)
{
	if (t)
		sqlite3_bind_int64(s, i, t);
	else
		sqlite3_bind_null(s, i);
}

/* One text field of qrow; a stray separator (text that was not sanitized)
 * becomes a space rather than shifting the fields after it. */
static void qrow_text(struct strbuf *sb, const char *v)
{
	for (const char *p = v ? v : ""; *p; p++)
		sb_addc(sb, *p == QROW_SEP ? ' ' : *p);
	sb_addc(sb, QROW_SEP);
}

static void qrow_int(struct strbuf *sb, bool has, int64_t v, bool last)
{
	if (has)
		sb_addf(sb, "%lld", (long long)v);
	if (!last)
		sb_addc(sb, QROW_SEP);
}

static void qrow_real(struct strbuf *sb, bool has, double v)
{
	uint64_t bits;

	if (has) {
		memcpy(&bits, &v, sizeof bits);
		sb_addf(sb, "x%016llx", (unsigned long long)bits);
	}
	sb_addc(sb, QROW_SEP);
}

/* c's qrow (see QROW_SQL for the order); caller frees. */
static char *qrow_make(const struct proto_conversation *c)
{
	const struct proto_escalation *e = c->escalation;
	struct strbuf sb = STRBUF_INIT;

	qrow_text(&sb, c->id);
	qrow_text(&sb, c->customer ? c->customer->name : NULL);
	qrow_text(&sb, c->customer ? c->customer->tier : NULL);
	qrow_text(&sb, c->language);
	qrow_text(&sb, e && e->reason ? e->reason->text : NULL);
	qrow_text(&sb, c->assignee);
	qrow_int(&sb, true, c->priority, false);
	qrow_int(&sb, true, c->channel, false);
	qrow_int(&sb, e && e->reason, e && e->reason ? e->reason->code : 0, false);
	qrow_real(&sb, e && PROTO_HAS(e, escalation, sentiment) &&
		  !PROTO_IS_NULL(e, escalation, sentiment), e ? e->sentiment : 0);
	qrow_real(&sb, e && PROTO_HAS(e, escalation, confidence) &&
		  !PROTO_IS_NULL(e, escalation, confidence), e ? e->confidence : 0);
	qrow_int(&sb, c->created_at != 0, c->created_at, false);
	qrow_int(&sb, c->queued_at != 0, c->queued_at, false);
	qrow_int(&sb, c->sla_due_at != 0, c->sla_due_at, false);
	qrow_int(&sb, true, c->version, true);
	return sb_take(&sb);
}

static int put_conv(struct store *st, const struct proto_conversation *c, bool monitored,
		    char *err, size_t errlen)
{
	struct proto_conversation tmp = *c;
	const struct proto_escalation *e = c->escalation;
	sqlite3_stmt *s;
	json_t *j;
	char *json;
	int rc;

	/* The transcript goes to messages; the row keeps the rest. */
	tmp.transcript.v = NULL;
	tmp.transcript.n = 0;
	tmp.m.has &= ~(UINT64_C(1) << PF_conversation_transcript);
	j = proto_encode(&proto_type_conversation, &tmp);
	json = json_dumps(j, JSON_COMPACT);
	json_decref(j);

	s = stmt(st, S_CONV_PUT);
	if (!s) {
		free(json);
		return no_stmt(st, "saving a conversation", err, errlen);
	}
	bind_text(s, 1, c->id);
	sqlite3_bind_int(s, 2, c->state);
	sqlite3_bind_int(s, 3, c->priority);
	sqlite3_bind_int(s, 4, c->channel);
	bind_text(s, 5, c->language);
	bind_text(s, 6, c->customer ? c->customer->name : NULL);
	bind_text(s, 7, c->customer ? c->customer->tier : NULL);
	if (e && e->reason)
		sqlite3_bind_int(s, 8, e->reason->code);
	bind_text(s, 9, e && e->reason ? e->reason->text : NULL);
	if (e && PROTO_HAS(e, escalation, sentiment) && !PROTO_IS_NULL(e, escalation, sentiment))
		sqlite3_bind_double(s, 10, e->sentiment);
	if (e && PROTO_HAS(e, escalation, confidence) && !PROTO_IS_NULL(e, escalation, confidence))
		sqlite3_bind_double(s, 11, e->confidence);
	bind_time(s, 12, c->created_at);
	bind_time(s, 13, c->queued_at);
	bind_time(s, 14, c->sla_due_at);
	bind_text(s, 15, c->assignee);
	sqlite3_bind_int64(s, 16, c->version);
	sqlite3_bind_int(s, 17, monitored);
	{
		char *qrow = qrow_make(c);
		sqlite3_bind_text(s, 18, qrow, -1, free);
	}
	rc = step_done(st, s, "saving a conversation", err, errlen);
	if (rc == 0) {
		/* Only if the row above took this version (not an older copy). */
		s = stmt(st, S_CONV_JSON_PUT);
		if (s) {
			bind_text(s, 1, c->id);
			bind_text(s, 2, json);
			sqlite3_bind_int64(s, 3, c->version);
		}
		rc = step_done(st, s, "saving a conversation", err, errlen);
	}
	free(json);
	for (size_t i = 0; rc == 0 && i < c->transcript.n; i++)
		rc = put_message(st, &c->transcript.v[i], err, errlen);
	return rc;
}

static int set_state(struct store *st, const char *id, int state, char *err, size_t errlen)
{
	sqlite3_stmt *s = stmt(st, S_CONV_STATE);

	if (!s)
		return no_stmt(st, "saving a conversation", err, errlen);
	bind_text(s, 1, id);
	sqlite3_bind_int(s, 2, state);
	return step_done(st, s, "saving a conversation", err, errlen);
}

/* Replaces one action inside a stored conversation's JSON. */
static int put_action(struct store *st, const struct proto_action *act, char *err, size_t errlen)
{
	struct proto_arena *a = proto_arena_new();
	struct proto_conversation *c = NULL;
	bool monitored = false;
	int rc = 0;
	sqlite3_stmt *s = stmt(st, S_CONV_GET);

	if (!s) {
		proto_arena_free(a);
		return no_stmt(st, "reading a conversation", err, errlen);
	}
	bind_text(s, 1, act->conv);
	if (sqlite3_step(s) == SQLITE_ROW) {
		const char *txt = (const char *)sqlite3_column_text(s, 0);
		json_t *j = json_loads(txt ? txt : "", 0, NULL);
		struct proto_err perr;
		monitored = sqlite3_column_int(s, 1);
		c = PROTO_NEW(a, conversation);
		if (!j || proto_decode(a, &proto_type_conversation, j, c, "", &perr) < 0)
			c = NULL;
		json_decref(j);
	}
	sqlite3_reset(s);
	if (c) {
		size_t n = c->actions.n, i;
		struct proto_action *v = proto_arena_alloc(a, (n + 1) * sizeof *v);
		if (n)
			memcpy(v, c->actions.v, n * sizeof *v);
		for (i = 0; i < n; i++)
			if (strcmp(v[i].id, act->id) == 0)
				break;
		v[i] = *act;
		c->actions.v = v;
		c->actions.n = i == n ? n + 1 : n;
		PROTO_SET(c, conversation, actions);
		rc = put_conv(st, c, monitored, err, errlen);
	}
	proto_arena_free(a);
	return rc;
}

int store_put_conversation(struct store *st, const struct proto_conversation *c, bool monitored,
			   char *err, size_t errlen)
{
	return put_conv(st, c, monitored, err, errlen);
}

static int apply_event(struct store *st, const struct proto_event *ev, char *err, size_t errlen)
{
	const struct proto_body *b = ev->body;
	const char *conv;

	if (ev->kind == PROTO_UNKNOWN || !b)
		return 0;
	switch ((enum proto_event_kind)ev->kind) {
	case PROTO_EV_CONV_QUEUED:
	case PROTO_EV_CONV_ASSIGNED:
	case PROTO_EV_CONV_RELEASED:
	case PROTO_EV_CONV_TRANSFERRED:
		return put_conv(st, b->conversation, false, err, errlen);
	case PROTO_EV_CONV_HANDED_BACK:
	case PROTO_EV_CONV_CLOSED:
		conv = b->conv ? b->conv : ev->conv;
		if (!conv)
			return 0;
		return set_state(st, conv, ev->kind == PROTO_EV_CONV_CLOSED ? PROTO_STATE_CLOSED :
				 PROTO_STATE_HANDED_BACK, err, errlen);
	case PROTO_EV_MESSAGE:
		return put_message(st, b->message, err, errlen);
	case PROTO_EV_ACTION:
		return put_action(st, b->action, err, errlen);
	case PROTO_EV_APPROVAL_DECIDED:
		return b->action ? put_action(st, b->action, err, errlen) : 0;
	default:
		return 0;	/* approvals and presence are live-only */
	}
}

static int apply_snapshot(struct store *st, const struct proto_snapshot *s, char *err, size_t errlen)
{
	/* The snapshot is the truth now: conversations not in it are no longer
	 * queued or mine. Messages stay (history and search). */
	if (exec(st, "UPDATE conversations SET state = 3 WHERE state IN (0, 1)", err, errlen) < 0)
		return -1;
	/* The hub lists only the head of a long queue: remember that more wait. */
	if (meta_set(st, "queue_more", PROTO_HAS(s, snapshot, queue_total) &&
		     s->queue_total > (int64_t)s->queue.n ? "1" : "0", err, errlen) < 0)
		return -1;
	for (size_t i = 0; i < s->queue.n; i++)
		if (put_conv(st, &s->queue.v[i], false, err, errlen) < 0)
			return -1;
	for (size_t i = 0; i < s->mine.n; i++)
		if (put_conv(st, &s->mine.v[i], false, err, errlen) < 0)
			return -1;
	return 0;
}

static int outbox_del(struct store *st, const char *cmd_id, char *err, size_t errlen)
{
	sqlite3_stmt *s = stmt(st, S_OUT_DEL);

	if (!s)
		return no_stmt(st, "updating the outbox", err, errlen);
	bind_text(s, 1, cmd_id);
	if (step_done(st, s, "updating the outbox", err, errlen) < 0)
		return -1;
	return sqlite3_changes(st->db) > 0;
}

static int apply_result(struct store *st, const struct proto_result *r, char *err, size_t errlen)
{
	const struct proto_body *b = r->body;

	/* A duplicate's body is the first answer's, maybe stale: not stored. */
	if (b && (r->status == PROTO_RES_OK || r->status == PROTO_RES_PENDING)) {
		if (b->conversation && put_conv(st, b->conversation, false, err, errlen) < 0)
			return -1;
		if (b->message && put_message(st, b->message, err, errlen) < 0)
			return -1;
		if (b->action && put_action(st, b->action, err, errlen) < 0)
			return -1;
	}
	return outbox_del(st, r->cmd_id, err, errlen) < 0 ? -1 : 0;
}

/* One frame inside the caller's transaction; *seq advances with events and
 * snapshots. */
static int apply_one(struct store *st, const struct proto_frame *f, int64_t *seq, char *err, size_t errlen)
{
	switch (f->type) {
	case PROTO_FRAME_EVENT:
		if (f->u.event.seq <= *seq)
			return 0;	/* already applied */
		*seq = f->u.event.seq;
		return apply_event(st, &f->u.event, err, errlen);
	case PROTO_FRAME_SNAPSHOT:
		*seq = f->u.snapshot.upto;
		return apply_snapshot(st, &f->u.snapshot, err, errlen);
	case PROTO_FRAME_RESULT:
		return apply_result(st, &f->u.result, err, errlen);
	default:
		return 0;
	}
}

int store_apply_frames(struct store *st, struct proto_frame *const *f, size_t n, char *err, size_t errlen)
{
	int rc = 0;
	int64_t seq = st->last_seq;

	if (!n)
		return 0;
	if (exec(st, "BEGIN IMMEDIATE", err, errlen) < 0)
		return -1;
	for (size_t i = 0; i < n && rc == 0; i++)
		rc = apply_one(st, f[i], &seq, err, errlen);
	/* The seq goes in the same transaction as the events it counts. */
	if (rc == 0 && seq != st->last_seq)
		rc = set_seq(st, seq, err, errlen);
	if (rc == 0)
		rc = exec(st, "COMMIT", err, errlen);
	if (rc < 0) {
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
		return -1;
	}
	st->last_seq = seq;
	return 0;
}

int store_apply_frame(struct store *st, const struct proto_frame *f, char *err, size_t errlen)
{
	struct proto_frame *one = (struct proto_frame *)f;	/* only read */

	if (f->type == PROTO_FRAME_EVENT && f->u.event.seq <= st->last_seq)
		return 0;
	if (f->type != PROTO_FRAME_EVENT && f->type != PROTO_FRAME_SNAPSHOT &&
	    f->type != PROTO_FRAME_RESULT)
		return 0;
	return store_apply_frames(st, &one, 1, err, errlen);
}

bool store_is_for(struct store *st, const char *url)
{
	char *id = meta_get(st, "identity");
	size_t n = strlen(url ? url : "");
	bool yes = !id || (strncmp(id, url ? url : "", n) == 0 && id[n] == ' ');

	free(id);
	return yes;
}

int store_bind_identity(struct store *st, const char *url, const struct proto_welcome *w,
			size_t *dropped_cmds, char *err, size_t errlen)
{
	char *id = xasprintf("%s %s", url ? url : "", w->agent->id);
	char *old = meta_get(st, "identity");
	json_t *j;
	char *agent = NULL, *limits = NULL;
	int rc = -1;

	bool reset = false;

	*dropped_cmds = 0;
	if (exec(st, "BEGIN IMMEDIATE", err, errlen) < 0)
		goto out;
	if (old && strcmp(old, id) != 0) {
		reset = true;
		sqlite3_stmt *s;
		if (sqlite3_prepare_v2(st->db, "SELECT count(*) FROM outbox", -1, &s, NULL) == SQLITE_OK) {
			if (sqlite3_step(s) == SQLITE_ROW)
				*dropped_cmds = (size_t)sqlite3_column_int64(s, 0);
			sqlite3_finalize(s);
		}
		if (exec(st, "DELETE FROM conversations; DELETE FROM conversation_json;"
			 "DELETE FROM messages; DELETE FROM outbox;"
			 "DELETE FROM meta WHERE key = 'last_seq'", err, errlen) < 0)
			goto rollback;
		st->last_seq = 0;
	}
	j = proto_encode(&proto_type_agent, w->agent);
	agent = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	j = proto_encode(&proto_type_limits, w->limits);
	limits = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	if (meta_set(st, "identity", id, err, errlen) < 0 ||
	    meta_set(st, "agent", agent, err, errlen) < 0 ||
	    meta_set(st, "limits", limits, err, errlen) < 0)
		goto rollback;
	if (exec(st, "COMMIT", err, errlen) < 0)
		goto rollback;
	rc = reset ? 1 : 0;
	goto out;
rollback:
	sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
out:
	free(id);
	free(old);
	free(agent);
	free(limits);
	return rc;
}

/* ---- reading ---- */

static void row_msg(sqlite3_stmt *s, struct model_msg *m)
{
	const char *author = (const char *)sqlite3_column_text(s, 4);

	m->id = xstrdup((const char *)sqlite3_column_text(s, 0));
	m->at = sqlite3_column_int64(s, 1);
	m->from = sqlite3_column_int(s, 2);
	m->kind = sqlite3_column_int(s, 3);
	m->author = author ? xstrdup(author) : NULL;
	m->text = xstrdup((const char *)sqlite3_column_text(s, 5));
}

long store_messages_before(struct store *st, const char *conv, int64_t before_at,
			   const char *before_id, size_t max, struct model_msg *out, bool *more)
{
	sqlite3_stmt *s = stmt(st, before_id ? S_MSG_BEFORE : S_MSG_LAST);
	size_t n = 0;
	int rc;

	*more = false;
	if (!s)
		return -1;
	bind_text(s, 1, conv);
	if (before_id) {
		sqlite3_bind_int64(s, 2, before_at);
		bind_text(s, 3, before_id);
		sqlite3_bind_int64(s, 4, (sqlite3_int64)max + 1);
	} else {
		sqlite3_bind_int64(s, 2, (sqlite3_int64)max + 1);
	}
	/* Newest first from sqlite; one extra row tells whether more remain. */
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (n == max) {
			*more = true;
			break;
		}
		row_msg(s, &out[n++]);
	}
	sqlite3_reset(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		for (size_t i = 0; i < n; i++)
			model_msg_clear(&out[i]);
		return -1;
	}
	for (size_t i = 0; i < n / 2; i++) {
		struct model_msg t = out[i];
		out[i] = out[n - 1 - i];
		out[n - 1 - i] = t;
	}
	return (long)n;
}

/* Decodes a stored conversation row's JSON into a; NULL if damaged. */
static struct proto_conversation *decode_conv(struct proto_arena *a, const char *txt)
{
	json_t *j = json_loads(txt ? txt : "", 0, NULL);
	struct proto_conversation *c = PROTO_NEW(a, conversation);
	struct proto_err perr;

	if (!j || proto_decode(a, &proto_type_conversation, j, c, "", &perr) < 0)
		c = NULL;
	json_decref(j);
	return c;
}

/* Attaches the newest max messages of c as its transcript (in arena a). */
static void attach_transcript(struct store *st, struct proto_arena *a, struct proto_conversation *c,
			      size_t max)
{
	struct model_msg *msgs = xcalloc(max ? max : 1, sizeof *msgs);
	bool more;
	long n = store_messages_before(st, c->id, 0, NULL, max, msgs, &more);

	if (n > 0) {
		struct proto_message *v = proto_arena_alloc(a, (size_t)n * sizeof *v);
		for (long i = 0; i < n; i++) {
			v[i].id = proto_arena_strdup(a, msgs[i].id);
			v[i].conv = c->id;
			v[i].from = msgs[i].from;
			v[i].kind = msgs[i].kind;
			v[i].author = msgs[i].author ? proto_arena_strdup(a, msgs[i].author) : NULL;
			v[i].text = proto_arena_strdup(a, msgs[i].text);
			v[i].at = msgs[i].at;
			model_msg_clear(&msgs[i]);
		}
		c->transcript.v = v;
		c->transcript.n = (size_t)n;
		PROTO_SET(c, conversation, transcript);
	}
	free(msgs);
}

int store_get_conversation(struct store *st, const char *id, size_t max_msgs, struct proto_arena *a,
			   struct proto_conversation **out, char *err, size_t errlen)
{
	sqlite3_stmt *s = stmt(st, S_CONV_GET);
	int rc;

	*out = NULL;
	if (!s)
		return no_stmt(st, "reading a conversation", err, errlen);
	bind_text(s, 1, id);
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*out = decode_conv(a, (const char *)sqlite3_column_text(s, 0));
	sqlite3_reset(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		db_err(st, rc, "reading a conversation", err, errlen);
		return -1;
	}
	if (!*out)
		return 0;
	attach_transcript(st, a, *out, max_msgs);
	return 1;
}

void store_trim(struct store *st)
{
	sqlite3_db_release_memory(st->db);
}

static char *col_dup(sqlite3_stmt *s, int i)
{
	const unsigned char *t = sqlite3_column_text(s, i);
	return (char *)t;
}

/* The next field of a qrow being cut in place; NULL past the last. */
static char *qrow_next(char **p)
{
	char *f = *p, *sep;

	if (!f)
		return NULL;
	sep = strchr(f, QROW_SEP);
	if (sep) {
		*sep = '\0';
		*p = sep + 1;
	} else {
		*p = NULL;
	}
	return f;
}

static int64_t qrow_i64(const char *f)
{
	uint64_t v = 0;
	bool neg = *f == '-';

	for (f += neg; *f >= '0' && *f <= '9'; f++)
		v = v * 10 + (uint64_t)(*f - '0');
	return (int64_t)(neg ? 0 - v : v);	/* unsigned: a damaged row cannot overflow */
}

static double qrow_real_parse(const char *f)
{
	uint64_t bits = 0;
	double v;

	if (*f != 'x')
		return strtod(f, NULL);	/* written by the migration */
	for (f++; *f; f++)
		bits = bits << 4 | (uint64_t)(*f <= '9' ? *f - '0' : (*f | 0x20) - 'a' + 10);
	memcpy(&v, &bits, sizeof v);
	return v;
}

/* The queue from the packed rows, in order: SQLITE_DONE, an sqlite error,
 * -1 for a row that does not parse, -2 if the statement cannot be made. */
static int queue_load(struct store *st, struct model *m)
{
	sqlite3_stmt *s = stmt(st, S_QUEUE_LOAD);
	struct strbuf buf = STRBUF_INIT;
	int rc;

	if (!s)
		return -2;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *t = (const char *)sqlite3_column_text(s, 0);
		char *f[QROW_FIELDS], *p;
		struct model_qitem q;
		int n = 0;

		if (!t) {
			rc = -1;
			break;
		}
		sb_reset(&buf);
		sb_add(&buf, t, (size_t)sqlite3_column_bytes(s, 0));
		p = buf.buf;
		while (n < QROW_FIELDS && (f[n] = qrow_next(&p)))
			n++;
		if (n != QROW_FIELDS || p || !*f[0]) {
			rc = -1;
			break;
		}
		memset(&q, 0, sizeof q);
		q.id = f[0];
		q.customer = f[1];
		q.tier = f[2];
		q.language = f[3];
		q.reason_text = f[4];
		q.assignee = *f[5] ? f[5] : NULL;
		q.state = PROTO_STATE_QUEUED;
		q.priority = (int)qrow_i64(f[6]);
		q.channel = (int)qrow_i64(f[7]);
		q.reason = *f[8] ? (int)qrow_i64(f[8]) : PROTO_UNKNOWN;
		q.has_sentiment = *f[9] != '\0';
		q.sentiment = q.has_sentiment ? qrow_real_parse(f[9]) : 0;
		q.has_confidence = *f[10] != '\0';
		q.confidence = q.has_confidence ? qrow_real_parse(f[10]) : 0;
		q.created_at = qrow_i64(f[11]);
		q.queued_at = qrow_i64(f[12]);
		q.sla_due_at = qrow_i64(f[13]);
		q.version = qrow_i64(f[14]);
		model_queue_put_row(m, &q);
	}
	sqlite3_reset(s);
	sb_free(&buf);
	return rc;
}

/* The same from the columns (slower: sixteen reads a row). */
static int queue_load_cols(struct store *st, struct model *m)
{
	sqlite3_stmt *s;
	int rc;

	s = stmt(st, S_QUEUE_LOAD_COLS);
	if (!s)
		return -2;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		struct model_qitem q;
		memset(&q, 0, sizeof q);
		q.id = col_dup(s, 0);
		q.customer = col_dup(s, 1);
		q.tier = col_dup(s, 2);
		q.language = col_dup(s, 3);
		q.reason_text = col_dup(s, 4);
		q.assignee = col_dup(s, 5);
		q.state = sqlite3_column_int(s, 6);
		q.priority = sqlite3_column_int(s, 7);
		q.channel = sqlite3_column_int(s, 8);
		q.reason = sqlite3_column_type(s, 9) == SQLITE_NULL ? PROTO_UNKNOWN :
			   sqlite3_column_int(s, 9);
		q.has_sentiment = sqlite3_column_type(s, 10) != SQLITE_NULL;
		q.sentiment = sqlite3_column_double(s, 10);
		q.has_confidence = sqlite3_column_type(s, 11) != SQLITE_NULL;
		q.confidence = sqlite3_column_double(s, 11);
		q.created_at = sqlite3_column_int64(s, 12);
		q.queued_at = sqlite3_column_int64(s, 13);
		q.sla_due_at = sqlite3_column_int64(s, 14);
		q.version = sqlite3_column_int64(s, 15);
		model_queue_put_row(m, &q);
	}
	sqlite3_reset(s);
	return rc;
}

int store_load(struct store *st, struct model *m, char *err, size_t errlen)
{
	char *agent = meta_get(st, "agent"), *limits = meta_get(st, "limits");
	sqlite3_stmt *s;
	int rc;

	/* Me first: deciding what is mine needs my id. */
	if (agent && limits && !m->me) {
		struct proto_arena *a = proto_arena_new();
		json_t *ja = json_loads(agent, 0, NULL), *jl = json_loads(limits, 0, NULL);
		struct proto_agent *me = PROTO_NEW(a, agent);
		struct proto_limits *li = PROTO_NEW(a, limits);
		struct proto_err perr;
		if (ja && jl && proto_decode(a, &proto_type_agent, ja, me, "", &perr) == 0 &&
		    proto_decode(a, &proto_type_limits, jl, li, "", &perr) == 0) {
			m->me_arena = a;
			m->me = me;
			m->limits = li;
		} else {
			proto_arena_free(a);
		}
		json_decref(ja);
		json_decref(jl);
	}
	free(agent);
	free(limits);

	char *more = meta_get(st, "queue_more");
	m->queue_more = more && strcmp(more, "1") == 0;
	free(more);
	rc = queue_load(st, m);
	if (rc < 0) {
		/* A packed row that does not parse (a damaged store): the
		 * columns, which every row has; rows already put are replaced. */
		log_warn("store: a packed queue row is damaged; reading the queue's columns");
		rc = queue_load_cols(st, m);
	}
	if (rc != SQLITE_DONE) {
		if (rc == -2)
			return no_stmt(st, "reading the queue", err, errlen);
		db_err(st, rc, "reading the queue", err, errlen);
		return -1;
	}

	if (m->me) {
		s = stmt(st, S_MINE_LOAD);
		if (!s)
			return no_stmt(st, "reading your conversations", err, errlen);
		bind_text(s, 1, m->me->id);
		while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
			struct proto_arena *a = proto_arena_new();
			struct proto_conversation *c = decode_conv(a, (const char *)sqlite3_column_text(s, 0));
			bool monitored = sqlite3_column_int(s, 1);
			if (c) {
				attach_transcript(st, a, c, m->history_lines);
				model_put_conversation(m, c, monitored);
				struct model_conv *mc = model_mine_find(m, c->id);
				if (mc && c->transcript.n >= m->history_lines)
					mc->older_in_store = true;
			}
			proto_arena_free(a);
		}
		sqlite3_reset(s);
		if (rc != SQLITE_DONE) {
			db_err(st, rc, "reading your conversations", err, errlen);
			return -1;
		}
	}

	s = stmt(st, S_DRAFT_ALL);
	while (s && sqlite3_step(s) == SQLITE_ROW)
		model_set_draft(m, (const char *)sqlite3_column_text(s, 0),
				(const char *)sqlite3_column_text(s, 1));
	sqlite3_reset(s);
	m->last_seq = st->last_seq;
	m->dirty = MODEL_DIRTY_ALL;
	return 0;
}

/* ---- outbox ---- */

int store_outbox_add(struct store *st, const struct store_cmd *c, char *err, size_t errlen)
{
	sqlite3_stmt *s = stmt(st, S_OUT_ADD);

	if (!s)
		return no_stmt(st, "saving a command", err, errlen);
	bind_text(s, 1, c->cmd_id);
	sqlite3_bind_int(s, 2, c->op);
	bind_text(s, 3, c->conv[0] ? c->conv : NULL);
	bind_text(s, 4, c->frame);
	bind_text(s, 5, c->text);
	sqlite3_bind_int64(s, 6, c->created_at);
	return step_done(st, s, "saving a command", err, errlen);
}

int store_outbox_remove(struct store *st, const char *cmd_id, char *err, size_t errlen)
{
	return outbox_del(st, cmd_id, err, errlen);
}

int store_outbox_tried(struct store *st, const char *cmd_id)
{
	char err[200];
	sqlite3_stmt *s = stmt(st, S_OUT_TRIED);

	if (!s)
		return no_stmt(st, "updating the outbox", err, sizeof err);
	bind_text(s, 1, cmd_id);
	return step_done(st, s, "updating the outbox", err, sizeof err);
}

int store_outbox_list(struct store *st, struct store_cmd **out, size_t *n, char *err, size_t errlen)
{
	sqlite3_stmt *s = stmt(st, S_OUT_LIST);
	struct store_cmd *v = NULL;
	size_t cnt = 0, cap = 0;
	int rc;

	if (!s)
		return no_stmt(st, "reading the outbox", err, errlen);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (cnt == cap) {
			cap = cap ? cap * 2 : 8;
			v = xrealloc(v, cap * sizeof *v);
		}
		struct store_cmd *c = &v[cnt++];
		memset(c, 0, sizeof *c);
		snprintf(c->cmd_id, sizeof c->cmd_id, "%s", sqlite3_column_text(s, 0));
		c->op = sqlite3_column_int(s, 1);
		if (sqlite3_column_text(s, 2))
			snprintf(c->conv, sizeof c->conv, "%s", sqlite3_column_text(s, 2));
		c->frame = xstrdup((const char *)sqlite3_column_text(s, 3));
		c->text = xstrdup(sqlite3_column_text(s, 4) ? (const char *)sqlite3_column_text(s, 4) : "");
		c->created_at = sqlite3_column_int64(s, 5);
		c->tries = sqlite3_column_int(s, 6);
	}
	sqlite3_reset(s);
	if (rc != SQLITE_DONE) {
		store_cmds_free(v, cnt);
		db_err(st, rc, "reading the outbox", err, errlen);
		return -1;
	}
	*out = v;
	*n = cnt;
	return 0;
}

void store_cmds_free(struct store_cmd *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].frame);
		free(v[i].text);
	}
	free(v);
}

/* ---- drafts ---- */

int store_draft_set(struct store *st, const char *conv, const char *text, char *err, size_t errlen)
{
	sqlite3_stmt *s;

	if (!text || !*text) {
		if (!(s = stmt(st, S_DRAFT_DEL)))
			return no_stmt(st, "saving a draft", err, errlen);
		bind_text(s, 1, conv);
	} else {
		if (!(s = stmt(st, S_DRAFT_SET)))
			return no_stmt(st, "saving a draft", err, errlen);
		bind_text(s, 1, conv);
		bind_text(s, 2, text);
		sqlite3_bind_int64(s, 3, time_now_ms());
	}
	return step_done(st, s, "saving a draft", err, errlen);
}

char *store_draft_get(struct store *st, const char *conv)
{
	sqlite3_stmt *s = stmt(st, S_DRAFT_GET);
	char *v = NULL;

	if (!s)
		return NULL;
	bind_text(s, 1, conv);
	if (sqlite3_step(s) == SQLITE_ROW)
		v = xstrdup((const char *)sqlite3_column_text(s, 0));
	sqlite3_reset(s);
	return v;
}

/* ---- search ---- */

/* The agent's words as FTS5 phrases ("a" "b"), so punctuation in what
 * they typed cannot be a syntax error; a trailing * keeps prefix search. */
static char *fts_quote(const char *q)
{
	struct strbuf sb = STRBUF_INIT;
	const char *p = q;

	while (*p) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p)
			break;
		size_t n = strcspn(p, " \t");
		bool prefix = n > 1 && p[n - 1] == '*';
		sb_addc(&sb, '"');
		for (size_t i = 0; i < n - (prefix ? 1 : 0); i++) {
			if (p[i] == '"')
				sb_addc(&sb, '"');
			sb_addc(&sb, p[i]);
		}
		sb_addc(&sb, '"');
		if (prefix)
			sb_addc(&sb, '*');
		sb_addc(&sb, ' ');
		p += n;
	}
	return sb_take(&sb);
}

static long search_run(struct store *st, const char *match, struct model_hit *hits, size_t max,
		       int *rcp)
{
	sqlite3_stmt *s = stmt(st, S_SEARCH);
	size_t n = 0;
	int rc;

	if (!s) {
		*rcp = st->prep_rc ? st->prep_rc : SQLITE_ERROR;
		return 0;
	}
	bind_text(s, 1, match);
	sqlite3_bind_int64(s, 2, (sqlite3_int64)max);
	while ((rc = sqlite3_step(s)) == SQLITE_ROW && n < max) {
		struct model_hit *h = &hits[n++];
		memset(h, 0, sizeof *h);
		snprintf(h->conv, sizeof h->conv, "%s", sqlite3_column_text(s, 0));
		snprintf(h->msg_id, sizeof h->msg_id, "%s", sqlite3_column_text(s, 1));
		h->from = sqlite3_column_int(s, 2);
		h->at = sqlite3_column_int64(s, 3);
		snprintf(h->snippet, sizeof h->snippet, "%s",
			 sqlite3_column_text(s, 4) ? (const char *)sqlite3_column_text(s, 4) : "");
	}
	sqlite3_reset(s);
	*rcp = rc;
	return (long)n;
}

long store_search(struct store *st, const char *query, struct model_hit *hits, size_t max,
		  char *err, size_t errlen)
{
	int rc;
	long n;

	if (!query || !*query) {
		snprintf(err, errlen, "search: give some words to look for. Usage: search TEXT");
		return -1;
	}
	n = search_run(st, query, hits, max, &rc);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		/* FTS5 syntax the agent did not mean: search the words literally. */
		char *q = fts_quote(query);
		n = search_run(st, q, hits, max, &rc);
		free(q);
		if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
			db_err(st, rc, "searching", err, errlen);
			return -1;
		}
	}
	return n;
}
