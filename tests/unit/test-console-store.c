/* test-console-store.c: the local store on a temporary database — seq
 * bookkeeping (an event and its seq in one transaction, old seq ignored,
 * snapshot), painting the model at start, the outbox surviving a restart
 * byte for byte, history paging, drafts, full-text search, one console per
 * store, identity changes, and a store from a newer baton refused. */
#include "baton/store.h"

#include <dirent.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "baton/common.h"
#include "baton/model.h"
#include "baton/proto.h"
#include "test.h"

#define T0 "2026-11-22T03:00:00.000Z"

static char dir[64];
static char path[128];

static void fresh_dir(void)
{
	snprintf(dir, sizeof dir, "/tmp/baton-test-store-XXXXXX");
	if (!mkdtemp(dir))
		abort();
	snprintf(path, sizeof path, "%s/data/baton/baton.db", dir);
}

static void rm_rf(const char *d)
{
	char *cmd = xasprintf("rm -rf '%s'", d);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", d);
	free(cmd);
}

static struct proto_frame *frame(const char *fmt, ...) BATON_PRINTF(1, 2);
static struct proto_frame *frame(const char *fmt, ...)
{
	struct strbuf sb = STRBUF_INIT;
	struct proto_err perr;
	struct proto_frame *f;
	va_list ap;

	va_start(ap, fmt);
	sb_vaddf(&sb, fmt, ap);
	va_end(ap);
	f = proto_frame_decode(sb_str(&sb), sb.len, 0, &perr);
	if (!f)
		printf("#   frame did not decode: %s\n#   %s\n", perr.msg, sb_str(&sb));
	else
		model_sanitize_frame(f);
	sb_free(&sb);
	return f;
}

static int apply(struct store *st, struct proto_frame *f)
{
	char err[300];
	int rc;

	if (!f)
		return -2;
	rc = store_apply_frame(st, f, err, sizeof err);
	if (rc < 0)
		printf("#   store_apply_frame: %s\n", err);
	proto_frame_free(f);
	return rc;
}

static char *conv(const char *id, const char *state, const char *prio, const char *assignee, int version,
		  const char *transcript)
{
	return xasprintf("{\"id\":\"%s\",\"state\":\"%s\",\"priority\":\"%s\",\"channel\":\"web\","
			 "\"created_at\":\"" T0 "\",\"queued_at\":\"" T0 "\",\"assignee\":%s,\"version\":%d,"
			 "\"escalation\":{\"reason\":{\"code\":\"other\",\"text\":\"why\"},\"summary\":\"sum\"},"
			 "\"customer\":{\"id\":\"cu-1\",\"name\":\"Ay\\u015fe\"},\"transcript\":[%s]}",
			 id, state, prio, assignee ? assignee : "null", version, transcript ? transcript : "");
}

static int event_conv(struct store *st, int seq, const char *kind, const char *c)
{
	return apply(st, frame("{\"type\":\"event\",\"seq\":%d,\"kind\":\"%s\",\"conv\":null,\"at\":\"" T0 "\","
			       "\"body\":{\"conversation\":%s,\"agent\":\"ana\"}}", seq, kind, c));
}

static int event_msg(struct store *st, int seq, const char *conv_id, int n, const char *text)
{
	return apply(st, frame("{\"type\":\"event\",\"seq\":%d,\"kind\":\"message\",\"conv\":\"%s\","
			       "\"at\":\"" T0 "\",\"body\":{\"message\":{\"id\":\"m-%d\",\"conv\":\"%s\","
			       "\"from\":\"customer\",\"author\":null,\"kind\":\"public\",\"text\":\"%s\","
			       "\"at\":\"2026-11-22T04:%02d:%02d.000Z\"}}}", seq, conv_id, n, conv_id, text,
			       n / 60, n % 60));
}

static const char *welcome(const char *agent)
{
	static char buf[600];
	snprintf(buf, sizeof buf, "{\"type\":\"welcome\",\"v\":1,\"session\":\"s-1\",\"agent\":{\"id\":\"%s\","
		 "\"name\":\"X\",\"role\":\"agent\"},\"limits\":{\"discount_percent_max\":15,"
		 "\"discount_amount_max_minor\":5000,\"currency\":\"EUR\",\"max_frame_bytes\":65536,"
		 "\"max_active\":3},\"head\":0,\"resume\":\"snapshot\"}", agent);
	return buf;
}

static int bind_as(struct store *st, const char *agent, size_t *dropped)
{
	struct proto_frame *f = frame("%s", welcome(agent));
	char err[300];
	int rc = store_bind_identity(st, "ws://hub", &f->u.welcome, dropped, err, sizeof err);
	proto_frame_free(f);
	return rc;
}

static void test_open_modes_and_lock(void)
{
	char err[300];
	struct stat sb;
	struct store *st, *st2;

	fresh_dir();
	st = store_open(path, err, sizeof err);
	CHECK(st != NULL);
	if (!st)
		goto out;
	char *d = xasprintf("%s/data/baton", dir);
	CHECK(stat(d, &sb) == 0 && (sb.st_mode & 0777) == 0700);
	free(d);
	CHECK(stat(path, &sb) == 0 && (sb.st_mode & 0077) == 0);
	CHECK_INT(store_last_seq(st), 0);
	/* A second console on the same store is refused, and told why. */
	st2 = store_open(path, err, sizeof err);
	CHECK(st2 == NULL);
	CHECK(strstr(err, "Another baton") != NULL);
	store_close(st2);
	store_close(st);
	/* A store written by a newer baton is not touched. */
	sqlite3 *db;
	CHECK_INT(sqlite3_open(path, &db), SQLITE_OK);
	CHECK_INT(sqlite3_exec(db, "PRAGMA user_version = 99", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	st = store_open(path, err, sizeof err);
	CHECK(st == NULL);
	CHECK(strstr(err, "newer baton") != NULL);
	store_close(st);
out:
	rm_rf(dir);
}

static void test_seq_bookkeeping(void)
{
	char err[300];
	struct store *st;
	char *q = conv("c-1", "queued", "high", NULL, 1, NULL);

	fresh_dir();
	st = store_open(path, err, sizeof err);
	if (!st) {
		CHECK(st != NULL);
		goto out;
	}
	CHECK_INT(event_conv(st, 5, "conversation.queued", q), 0);
	CHECK_INT(store_last_seq(st), 5);
	CHECK_INT(event_msg(st, 6, "c-1", 1, "hello"), 0);
	CHECK_INT(store_last_seq(st), 6);
	/* Old or repeated seq: ignored, nothing written. */
	CHECK_INT(event_msg(st, 6, "c-1", 2, "dup"), 0);
	CHECK_INT(event_msg(st, 3, "c-1", 3, "old"), 0);
	CHECK_INT(store_last_seq(st), 6);
	store_close(st);

	/* Reopened: the seq and the messages are there; m-2 and m-3 never were. */
	st = store_open(path, err, sizeof err);
	CHECK(st != NULL);
	if (!st)
		goto out;
	CHECK_INT(store_last_seq(st), 6);
	struct model_msg msgs[5];
	bool more;
	long n = store_messages_before(st, "c-1", 0, NULL, 5, msgs, &more);
	CHECK_INT(n, 1);
	if (n == 1) {
		CHECK_STR(msgs[0].id, "m-1");
		model_msg_clear(&msgs[0]);
	}
	/* A loop pass's frames in one transaction: seq is the last event's,
	 * a repeated seq inside the batch is skipped. */
	struct proto_frame *batch[3];
	batch[0] = frame("{\"type\":\"event\",\"seq\":7,\"kind\":\"message\",\"conv\":\"c-1\",\"at\":\"" T0 "\","
			 "\"body\":{\"message\":{\"id\":\"m-7\",\"conv\":\"c-1\",\"from\":\"bot\",\"author\":null,"
			 "\"kind\":\"public\",\"text\":\"seven\",\"at\":\"" T0 "\"}}}");
	batch[1] = frame("{\"type\":\"event\",\"seq\":7,\"kind\":\"message\",\"conv\":\"c-1\",\"at\":\"" T0 "\","
			 "\"body\":{\"message\":{\"id\":\"m-77\",\"conv\":\"c-1\",\"from\":\"bot\",\"author\":null,"
			 "\"kind\":\"public\",\"text\":\"again\",\"at\":\"" T0 "\"}}}");
	batch[2] = frame("{\"type\":\"event\",\"seq\":8,\"kind\":\"message\",\"conv\":\"c-1\",\"at\":\"" T0 "\","
			 "\"body\":{\"message\":{\"id\":\"m-8\",\"conv\":\"c-1\",\"from\":\"bot\",\"author\":null,"
			 "\"kind\":\"public\",\"text\":\"eight\",\"at\":\"" T0 "\"}}}");
	CHECK_INT(store_apply_frames(st, batch, 3, err, sizeof err), 0);
	CHECK_INT(store_last_seq(st), 8);
	for (int i = 0; i < 3; i++)
		proto_frame_free(batch[i]);
	struct model_hit h[4];
	CHECK_INT(store_search(st, "seven OR eight OR again", h, 4, err, sizeof err), 2);

	/* A snapshot sets seq to upto and is the truth about queued conversations. */
	char *q2 = conv("c-2", "queued", "low", NULL, 1, NULL);
	CHECK_INT(apply(st, frame("{\"type\":\"snapshot\",\"upto\":90,\"queue\":[%s],\"mine\":[]}", q2)), 0);
	CHECK_INT(store_last_seq(st), 90);
	struct model *m = model_new(0);
	CHECK_INT(store_load(st, m, err, sizeof err), 0);
	CHECK_INT(m->nqueue, 1);
	CHECK_STR(m->queue[0]->id, "c-2");
	CHECK_INT(m->last_seq, 90);
	CHECK(!m->queue_more);
	model_free(m);
	/* A snapshot of the head of a longer queue: the console knows after a restart. */
	CHECK_INT(apply(st, frame("{\"type\":\"snapshot\",\"upto\":91,\"queue\":[%s],\"queue_total\":700,"
				  "\"mine\":[]}", q2)), 0);
	m = model_new(0);
	CHECK_INT(store_load(st, m, err, sizeof err), 0);
	CHECK(m->queue_more);
	model_free(m);
	free(q2);
	store_close(st);
out:
	free(q);
	rm_rf(dir);
}

static void test_paint_from_store(void)
{
	char err[300];
	struct store *st;
	size_t dropped;

	fresh_dir();
	st = store_open(path, err, sizeof err);
	if (!st) {
		CHECK(st != NULL);
		goto out;
	}
	CHECK_INT(bind_as(st, "ana", &dropped), 0);
	int seq = 1;
	const char *prios[] = { "low", "urgent", "normal", "high" };
	for (int i = 0; i < 40; i++) {
		char id[16];
		snprintf(id, sizeof id, "c-q%02d", i);
		char *c = conv(id, "queued", prios[i % 4], NULL, 1, NULL);
		CHECK_INT(event_conv(st, seq++, "conversation.queued", c), 0);
		free(c);
	}
	char *mine = conv("c-m", "assigned", "high", "\"ana\"", 2,
			  "{\"id\":\"m-0\",\"conv\":\"c-m\",\"from\":\"bot\",\"author\":null,\"kind\":\"public\","
			  "\"text\":\"bot said \\u001b]0;x\\u0007\",\"at\":\"2026-11-22T03:59:00.000Z\"}");
	CHECK_INT(event_conv(st, seq++, "conversation.assigned", mine), 0);
	free(mine);
	for (int i = 1; i <= 30; i++)
		CHECK_INT(event_msg(st, seq++, "c-m", i, "zipper broken"), 0);
	CHECK_INT(store_draft_set(st, "c-m", "Dear Ayşe,", err, sizeof err), 0);
	store_close(st);

	st = store_open(path, err, sizeof err);
	if (!st) {
		CHECK(st != NULL);
		goto out;
	}
	struct model *m = model_new(10);
	CHECK_INT(store_load(st, m, err, sizeof err), 0);
	CHECK(m->me && strcmp(m->me->id, "ana") == 0);
	CHECK(m->limits && m->limits->max_active == 3);
	CHECK_INT(m->nqueue, 40);
	for (size_t i = 1; i < m->nqueue; i++)
		CHECK(model_qitem_cmp(m->queue[i - 1], m->queue[i]) < 0);
	CHECK_INT(m->queue[0]->priority, PROTO_PRIO_URGENT);
	CHECK_STR(m->queue[0]->reason_text, "why");
	CHECK_INT(m->nmine, 1);
	struct model_conv *c = model_mine_find(m, "c-m");
	CHECK(c != NULL);
	if (c) {
		CHECK_INT(c->nmsgs, 10);
		CHECK(c->older_in_store);
		CHECK_STR(c->msgs[9].id, "m-30");
		CHECK_STR(c->draft, "Dear Ayşe,");
		CHECK(c->conv->escalation && strcmp(c->conv->escalation->summary, "sum") == 0);
		/* Page back: 10 older, then the rest. */
		struct model_msg older[25];
		bool more;
		long n = store_messages_before(st, "c-m", c->msgs[0].at, c->msgs[0].id, 10, older, &more);
		CHECK_INT(n, 10);
		CHECK(more);
		if (n == 10) {
			CHECK_STR(older[9].id, "m-20");
			CHECK_STR(older[0].id, "m-11");
		}
		model_conv_prepend(c, older, (size_t)n, more);
		for (long i = 0; i < n; i++)
			model_msg_clear(&older[i]);
		n = store_messages_before(st, "c-m", c->msgs[0].at, c->msgs[0].id, 25, older, &more);
		CHECK_INT(n, 11);	/* m-0 .. m-10 */
		CHECK(!more);
		if (n == 11) {
			CHECK_STR(older[0].id, "m-0");
			CHECK(strchr(older[0].text, 0x1b) == NULL);	/* stored sanitized */
		}
		for (long i = 0; i < n; i++)
			model_msg_clear(&older[i]);
	}
	/* A queued conversation's details come back whole. */
	struct proto_arena *a = proto_arena_new();
	struct proto_conversation *full;
	CHECK_INT(store_get_conversation(st, "c-q05", 20, a, &full, err, sizeof err), 1);
	CHECK(full && full->customer && strcmp(full->customer->name, "Ay\xc5\x9f" "e") == 0);
	CHECK_INT(store_get_conversation(st, "c-none", 20, a, &full, err, sizeof err), 0);
	proto_arena_free(a);
	model_free(m);

	/* Search: words, a prefix, and text that is not FTS syntax. */
	struct model_hit hits[50];
	CHECK_INT(store_search(st, "zipper", hits, 50, err, sizeof err), 30);
	CHECK(strstr(hits[0].snippet, "[zipper]") != NULL);
	CHECK_STR(hits[0].msg_id, "m-30");	/* newest first */
	CHECK_INT(store_search(st, "zip*", hits, 5, err, sizeof err), 5);
	CHECK_INT(store_search(st, "\"unbalanced AND (", hits, 5, err, sizeof err), 0);
	CHECK_INT(store_search(st, "", hits, 5, err, sizeof err), -1);
	store_close(st);
out:
	rm_rf(dir);
}

static struct store_cmd cmd(const char *id, int op, const char *conv_id, const char *frame_json)
{
	struct store_cmd c;
	memset(&c, 0, sizeof c);
	snprintf(c.cmd_id, sizeof c.cmd_id, "%s", id);
	c.op = op;
	snprintf(c.conv, sizeof c.conv, "%s", conv_id);
	c.frame = (char *)frame_json;
	c.text = (char *)"say hi";
	c.created_at = 1;
	return c;
}

static void test_outbox_rows(void)
{
	char err[300];
	struct store *st;
	const char *f1 = "{\"type\":\"cmd\",\"cmd_id\":\"ana-1\",\"op\":\"message.send\",\"args\":{\"conv\":\"c-1\",\"text\":\"a\"}}";
	const char *f2 = "{\"type\":\"cmd\",\"cmd_id\":\"ana-2\",\"op\":\"note.add\",\"args\":{\"conv\":\"c-1\",\"text\":\"b\"}}";
	const char *f3 = "{\"type\":\"cmd\",\"cmd_id\":\"ana-3\",\"op\":\"release\",\"args\":{\"conv\":\"c-1\"}}";
	struct store_cmd c1 = cmd("ana-1", PROTO_OP_MESSAGE_SEND, "c-1", f1);
	struct store_cmd c2 = cmd("ana-2", PROTO_OP_NOTE_ADD, "c-1", f2);
	struct store_cmd c3 = cmd("ana-3", PROTO_OP_RELEASE, "c-1", f3);
	struct store_cmd *v;
	size_t n, dropped;

	fresh_dir();
	st = store_open(path, err, sizeof err);
	if (!st) {
		CHECK(st != NULL);
		goto out;
	}
	CHECK(store_is_for(st, "ws://hub"));		/* never bound: fine */
	CHECK_INT(bind_as(st, "ana", &dropped), 0);
	CHECK(store_is_for(st, "ws://hub"));
	CHECK(!store_is_for(st, "ws://hub2"));
	CHECK(!store_is_for(st, "ws://hu"));
	CHECK_INT(store_outbox_add(st, &c1, err, sizeof err), 0);
	CHECK_INT(store_outbox_add(st, &c2, err, sizeof err), 0);
	CHECK_INT(store_outbox_add(st, &c3, err, sizeof err), 0);
	CHECK_INT(store_outbox_add(st, &c3, err, sizeof err), -1);	/* a cmd_id is unique */
	store_outbox_tried(st, "ana-1");
	/* The result of ana-2 removes its row in the result's transaction. */
	CHECK_INT(apply(st, frame("{\"type\":\"result\",\"cmd_id\":\"ana-2\",\"status\":\"ok\",\"body\":{}}")), 0);
	CHECK_INT(store_outbox_remove(st, "ana-3", err, sizeof err), 1);
	CHECK_INT(store_outbox_remove(st, "ana-3", err, sizeof err), 0);
	store_close(st);

	/* After a restart the waiting command is the same bytes, same id. */
	st = store_open(path, err, sizeof err);
	if (!st) {
		CHECK(st != NULL);
		goto out;
	}
	CHECK_INT(store_outbox_list(st, &v, &n, err, sizeof err), 0);
	CHECK_INT(n, 1);
	if (n == 1) {
		CHECK_STR(v[0].cmd_id, "ana-1");
		CHECK_STR(v[0].frame, f1);
		CHECK_STR(v[0].conv, "c-1");
		CHECK_INT(v[0].op, PROTO_OP_MESSAGE_SEND);
		CHECK_INT(v[0].tries, 1);
	}
	store_cmds_free(v, n);

	/* The same agent again: nothing dropped. Another agent: the store's
	 * view and the waiting commands (theirs) go, drafts stay. */
	CHECK_INT(store_draft_set(st, "c-1", "draft", err, sizeof err), 0);
	CHECK_INT(bind_as(st, "ana", &dropped), 0);
	CHECK_INT(bind_as(st, "bora", &dropped), 1);
	CHECK_INT(dropped, 1);
	CHECK_INT(store_last_seq(st), 0);
	CHECK_INT(store_outbox_list(st, &v, &n, err, sizeof err), 0);
	CHECK_INT(n, 0);
	store_cmds_free(v, n);
	char *d = store_draft_get(st, "c-1");
	CHECK_STR(d, "draft");
	free(d);
	CHECK_INT(store_draft_set(st, "c-1", "", err, sizeof err), 0);
	CHECK(store_draft_get(st, "c-1") == NULL);
	store_close(st);
out:
	rm_rf(dir);
}

/* A store from the first schema (queue rows holding the JSON) migrates and
 * keeps its conversations, messages, seq and outbox. */
static void test_migration_from_v1(void)
{
	static const char v1[] =
		"CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT);"
		"CREATE TABLE conversations(id TEXT PRIMARY KEY, state INTEGER NOT NULL, priority INTEGER NOT NULL,"
		"  channel INTEGER NOT NULL, language TEXT, customer TEXT, tier TEXT, reason INTEGER, reason_text TEXT,"
		"  sentiment REAL, confidence REAL, created_at INTEGER, queued_at INTEGER, sla_due_at INTEGER,"
		"  assignee TEXT, version INTEGER NOT NULL, monitored INTEGER NOT NULL DEFAULT 0, json TEXT NOT NULL);"
		"CREATE INDEX conversations_state ON conversations(state, priority);"
		"CREATE TABLE messages(id TEXT PRIMARY KEY, conv TEXT NOT NULL, at INTEGER NOT NULL,"
		"  sender INTEGER NOT NULL, kind INTEGER NOT NULL, author TEXT, text TEXT NOT NULL);"
		"CREATE INDEX messages_conv_at ON messages(conv, at, id);"
		"CREATE VIRTUAL TABLE messages_fts USING fts5(text, content='messages', content_rowid='rowid');"
		"CREATE TRIGGER messages_ai AFTER INSERT ON messages BEGIN"
		"  INSERT INTO messages_fts(rowid, text) VALUES (new.rowid, new.text); END;"
		"CREATE TABLE outbox(n INTEGER PRIMARY KEY AUTOINCREMENT, cmd_id TEXT UNIQUE NOT NULL,"
		"  op INTEGER NOT NULL, conv TEXT, frame TEXT NOT NULL, text TEXT, created_at INTEGER NOT NULL,"
		"  tries INTEGER NOT NULL DEFAULT 0);"
		"CREATE TABLE drafts(conv TEXT PRIMARY KEY, text TEXT NOT NULL, updated_at INTEGER NOT NULL);"
		"INSERT INTO meta VALUES('last_seq','77');"
		"INSERT INTO conversations(id,state,priority,channel,created_at,version,sentiment,json) VALUES"
		"  ('c-5',0,1,0,1,3,-0.25,'{\"id\":\"c-5\",\"state\":\"queued\",\"priority\":\"high\","
		"\"channel\":\"web\",\"created_at\":\"2026-11-22T03:00:00Z\",\"version\":3,"
		"\"customer\":{\"id\":\"cu\",\"name\":\"Old Row\"}}');"
		"INSERT INTO messages VALUES('m-1','c-5',5,0,0,NULL,'kept zipper');"
		"INSERT INTO outbox(cmd_id,op,conv,frame,text,created_at) VALUES('ana-9',2,'c-5','{}','say',1);"
		"PRAGMA user_version = 1;";
	char err[300];
	sqlite3 *db;

	fresh_dir();
	char *d = xasprintf("%s/data/baton", dir);
	char *cmd = xasprintf("mkdir -p '%s'", d);
	CHECK_INT(system(cmd), 0);
	free(cmd);
	free(d);
	CHECK_INT(sqlite3_open(path, &db), SQLITE_OK);
	CHECK_INT(sqlite3_exec(db, v1, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);

	struct store *st = store_open(path, err, sizeof err);
	CHECK(st != NULL);
	if (!st) {
		printf("#   %s\n", err);
		goto out;
	}
	CHECK_INT(store_last_seq(st), 77);
	struct model *m = model_new(0);
	CHECK_INT(store_load(st, m, err, sizeof err), 0);
	CHECK_INT(m->nqueue, 1);
	if (m->nqueue == 1) {	/* its packed row, made by the 2 → 3 migration */
		CHECK_STR(m->queue[0]->id, "c-5");
		CHECK_INT(m->queue[0]->priority, 1);
		CHECK_INT(m->queue[0]->created_at, 1);
		CHECK_INT(m->queue[0]->version, 3);
		CHECK(m->queue[0]->has_sentiment && m->queue[0]->sentiment == -0.25);
		CHECK(!m->queue[0]->has_confidence);
	}
	struct proto_arena *a = proto_arena_new();
	struct proto_conversation *c;
	CHECK_INT(store_get_conversation(st, "c-5", 10, a, &c, err, sizeof err), 1);
	CHECK(c && c->customer && strcmp(c->customer->name, "Old Row") == 0);
	CHECK(c && c->transcript.n == 1);
	proto_arena_free(a);
	struct model_hit hits[4];
	CHECK_INT(store_search(st, "zipper", hits, 4, err, sizeof err), 1);
	struct store_cmd *v;
	size_t n;
	CHECK_INT(store_outbox_list(st, &v, &n, err, sizeof err), 0);
	CHECK_INT(n, 1);
	store_cmds_free(v, n);
	/* New writes work on the migrated schema. */
	char *q = conv("c-6", "queued", "low", NULL, 1, NULL);
	CHECK_INT(event_conv(st, 78, "conversation.queued", q), 0);
	free(q);
	model_free(m);
	store_close(st);
out:
	rm_rf(dir);
}

/* Statements are prepared on first use: a store opens without preparing
 * what it does not use yet, and one that cannot be prepared later (here
 * its table was dropped behind the console's back) is an error with a
 * sentence, while the rest of the store keeps working. */
static void test_statement_fails_on_first_use(void)
{
	char err[300] = "";
	sqlite3 *db;
	struct store *st;

	fresh_dir();
	st = store_open(path, err, sizeof err);
	CHECK(st != NULL);
	if (!st)
		goto out;
	CHECK_INT(store_draft_set(st, "c-1", "kept", err, sizeof err), 0);
	CHECK_INT(sqlite3_open(path, &db), SQLITE_OK);
	CHECK_INT(sqlite3_exec(db, "DROP TABLE outbox", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);

	struct store_cmd c = { .cmd_id = "ana-1", .op = 2, .conv = "c-1", .created_at = 1 };
	c.frame = (char *)"{}";
	c.text = (char *)"say hi";
	err[0] = '\0';
	CHECK_INT(store_outbox_add(st, &c, err, sizeof err), -1);
	CHECK(strstr(err, "outbox") != NULL);
	printf("#   %s\n", err);
	/* Asked again, it fails again the same way (nothing half-prepared). */
	struct store_cmd *v = NULL;
	size_t n = 9;
	CHECK_INT(store_outbox_list(st, &v, &n, err, sizeof err), -1);
	CHECK(strstr(err, "outbox") != NULL);
	/* What was prepared before still works, and so does what comes new. */
	char *d = store_draft_get(st, "c-1");
	CHECK_STR(d, "kept");
	free(d);
	CHECK_INT(store_draft_set(st, "c-1", "", err, sizeof err), 0);
	CHECK(store_draft_get(st, "c-1") == NULL);
	store_close(st);
out:
	rm_rf(dir);
}

/* The queue is painted from one packed column per row (qrow); it must say
 * what the columns say, for every field, and a damaged packed row falls
 * back to the columns. */
static void check_qitem(const struct model_qitem *q, const struct model_qitem *w)
{
	CHECK_STR(q->id, w->id);
	CHECK_STR(q->customer, w->customer);
	CHECK_STR(q->tier, w->tier);
	CHECK_STR(q->language, w->language);
	CHECK_STR(q->reason_text, w->reason_text);
	CHECK(q->assignee == NULL && w->assignee == NULL);
	CHECK_INT(q->state, w->state);
	CHECK_INT(q->priority, w->priority);
	CHECK_INT(q->channel, w->channel);
	CHECK_INT(q->reason, w->reason);
	CHECK_INT(q->has_sentiment, w->has_sentiment);
	CHECK(q->sentiment == w->sentiment);
	CHECK_INT(q->has_confidence, w->has_confidence);
	CHECK(q->confidence == w->confidence);
	CHECK_INT(q->created_at, w->created_at);
	CHECK_INT(q->queued_at, w->queued_at);
	CHECK_INT(q->sla_due_at, w->sla_due_at);
	CHECK_INT(q->version, w->version);
}

static void test_queue_rows_packed(void)
{
	char err[300];
	struct store *st;
	size_t dropped;
	sqlite3 *db;

	fresh_dir();
	st = store_open(path, err, sizeof err);
	if (!st) {
		CHECK(st != NULL);
		goto out;
	}
	CHECK_INT(bind_as(st, "ana", &dropped), 0);
	/* Every field set (odd numbers, text with a separator that was not
	 * sanitized), and one with nothing optional. */
	CHECK_INT(event_conv(st, 1, "conversation.queued",
		  "{\"id\":\"c-full\",\"state\":\"queued\",\"priority\":\"high\",\"channel\":\"email\","
		  "\"language\":\"tr\",\"created_at\":\"2026-11-22T03:00:00.123Z\","
		  "\"queued_at\":\"2026-11-22T03:00:05.000Z\",\"sla_due_at\":\"2026-11-22T03:10:00.000Z\","
		  "\"assignee\":null,\"version\":7,\"escalation\":{\"reason\":{\"code\":\"complaint\","
		  "\"text\":\"wants money\"},\"summary\":\"s\",\"sentiment\":-0.7345,\"confidence\":0.41},"
		  "\"customer\":{\"id\":\"cu-1\",\"name\":\"Ay\\u015fe Y\\u0131lmaz\",\"tier\":\"gold\"},"
		  "\"transcript\":[]}"), 0);
	CHECK_INT(event_conv(st, 2, "conversation.queued",
		  "{\"id\":\"c-bare\",\"state\":\"queued\",\"priority\":\"low\",\"channel\":\"web\","
		  "\"created_at\":\"" T0 "\",\"assignee\":null,\"version\":1}"), 0);
	struct model *m = model_new(10);
	CHECK_INT(store_load(st, m, err, sizeof err), 0);
	CHECK_INT(m->nqueue, 2);
	if (m->nqueue == 2) {
		struct model_qitem *q = m->queue[0];
		CHECK_STR(q->id, "c-full");
		CHECK_STR(q->customer, "Ayşe Yılmaz");
		CHECK_STR(q->tier, "gold");
		CHECK_STR(q->language, "tr");
		CHECK_STR(q->reason_text, "wants money");
		CHECK_INT(q->priority, PROTO_PRIO_HIGH);
		CHECK_INT(q->channel, PROTO_CHAN_EMAIL);
		CHECK_INT(q->reason, PROTO_REASON_COMPLAINT);
		CHECK(q->has_sentiment && q->sentiment == -0.7345);
		CHECK(q->has_confidence && q->confidence == 0.41);
		CHECK(q->created_at % 1000 == 123);
		CHECK_INT(q->queued_at - q->created_at, 4877);
		CHECK_INT(q->sla_due_at - q->queued_at, 595000);
		CHECK_INT(q->version, 7);
		q = m->queue[1];
		CHECK_STR(q->id, "c-bare");
		CHECK_STR(q->customer, "");
		CHECK_INT(q->reason, PROTO_UNKNOWN);
		CHECK(!q->has_sentiment && !q->has_confidence);
		CHECK_INT(q->sla_due_at, 0);
		CHECK_INT(q->queued_at, 0);
	}
	/* Damage one packed row behind the store's back: the columns answer,
	 * field for field the same. */
	CHECK_INT(sqlite3_open(path, &db), SQLITE_OK);
	CHECK_INT(sqlite3_exec(db, "UPDATE conversations SET qrow = 'c-bare' WHERE id = 'c-bare'",
			       NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	struct model *m2 = model_new(10);
	CHECK_INT(store_load(st, m2, err, sizeof err), 0);
	CHECK_INT(m2->nqueue, 2);
	for (size_t i = 0; i < m->nqueue && i < m2->nqueue; i++)
		check_qitem(m->queue[i], m2->queue[i]);
	model_free(m2);
	model_free(m);
	store_close(st);
out:
	rm_rf(dir);
}

static const struct test tests[] = {
	TEST(test_queue_rows_packed),
	TEST(test_statement_fails_on_first_use),
	TEST(test_migration_from_v1),
	TEST(test_open_modes_and_lock),
	TEST(test_seq_bookkeeping),
	TEST(test_paint_from_store),
	TEST(test_outbox_rows),
};
TEST_MAIN(tests)
