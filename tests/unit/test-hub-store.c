/* test-hub-store.c: schema and migrations, binding, savepoints, the append-only audit log. */
#include "baton/hub-store.h"
#include "baton/common.h"
#include "baton/log.h"

#include <stdlib.h>
#include <unistd.h>

#include "test.h"

static char dir[64];
static char path[128];

static struct hub_store *open_fresh(void)
{
	char err[256];
	struct hub_store *st;

	snprintf(dir, sizeof dir, "/tmp/test-hub-store.XXXXXX");
	if (!mkdtemp(dir))
		abort();
	snprintf(path, sizeof path, "%s/t.db", dir);
	st = hub_store_open(path, err, sizeof err);
	if (!st)
		printf("#   store_open: %s\n", err);
	return st;
}

static void cleanup(struct hub_store *st)
{
	char p[200];

	hub_store_close(st);
	for (const char *suf = ""; suf; suf = (*suf == '\0') ? "-wal" : (strcmp(suf, "-wal") == 0 ? "-shm" : NULL)) {
		snprintf(p, sizeof p, "%s%s", path, suf);
		unlink(p);
	}
	rmdir(dir);
}

static void test_schema(void)
{
	struct hub_store *st = open_fresh();
	int64_t v = 0;
	json_t *row = NULL;
	char err[200];

	CHECK(st != NULL);
	if (!st)
		return;
	CHECK_INT(hub_store_int(st, &v, "PRAGMA user_version", ""), 1);
	CHECK_INT(v, HUB_STORE_SCHEMA_VERSION);
	CHECK_INT(hub_store_row(st, &row, "PRAGMA journal_mode", ""), 1);
	CHECK_STR(json_string_value(json_object_get(row, "journal_mode")), "wal");
	json_decref(row);
	CHECK_INT(hub_store_int(st, &v, "PRAGMA synchronous", ""), 1);
	CHECK_INT(v, 2);	/* FULL */
	CHECK_INT(hub_store_check(st, err, sizeof err), 0);
	hub_store_close(st);
	/* Reopening an up-to-date store migrates nothing and keeps the data. */
	st = hub_store_open(path, err, sizeof err);
	CHECK(st != NULL);
	CHECK_INT(hub_store_int(st, &v, "PRAGMA user_version", ""), 1);
	CHECK_INT(v, HUB_STORE_SCHEMA_VERSION);
	cleanup(st);
}

static void test_migrate_from_1(void)
{
	struct hub_store *st = open_fresh();
	char err[300] = "";
	int64_t v = 0, n = 0;

	if (!st)
		return;
	/* Make it look like a version 1 database, with a row to keep. */
	CHECK(hub_store_exec(st, "DROP INDEX events_at", "") >= 0);
	CHECK(hub_store_exec(st, "DROP INDEX commands_at", "") >= 0);
	CHECK(hub_store_exec(st, "DROP INDEX webhooks_done", "") >= 0);
	CHECK(hub_store_exec(st, "INSERT INTO events(seq, kind, at, to_all, to_sups, audience, frame)"
			     " VALUES (1, 'message', 5, 1, 0, '', '{}')", "") == 1);
	/* Migration 4 undone: messages indexed by conversation, not chained;
	 * two conversations' messages interleaved, as a live hub writes them. */
	CHECK(hub_store_exec(st, "ALTER TABLE events DROP COLUMN msg", "") >= 0);	/* migration 5 */
	CHECK(hub_store_exec(st, "DROP TRIGGER messages_chain", "") >= 0);
	CHECK(hub_store_exec(st, "DROP TABLE msg_last", "") >= 0);
	CHECK(hub_store_exec(st, "ALTER TABLE messages DROP COLUMN prev", "") >= 0);
	CHECK(hub_store_exec(st, "CREATE INDEX messages_conv ON messages(conv, n)", "") >= 0);
	for (int c = 1; c <= 2; c++)
		CHECK(hub_store_exec(st, "INSERT INTO conversations(n, state, priority, channel, created_at)"
				     " VALUES (?, 'queued', 2, 'web', 1)", "i", (int64_t)c) == 1);
	for (int m = 1; m <= 5; m++)
		CHECK(hub_store_exec(st, "INSERT INTO messages(n, conv, sender, kind, text, at)"
				     " VALUES (?, ?, 'customer', 'public', 'x', ?)", "iii", (int64_t)m,
				     (int64_t)(m == 2 || m == 5 ? 2 : 1), (int64_t)(100 + m)) == 1);
	CHECK(hub_store_exec(st, "PRAGMA user_version = 1", "") >= 0);
	hub_store_close(st);
	st = hub_store_open(path, err, sizeof err);
	CHECK(st != NULL);
	if (!st) {
		printf("#   %s\n", err);
		return;
	}
	hub_store_int(st, &v, "PRAGMA user_version", "");
	CHECK_INT(v, HUB_STORE_SCHEMA_VERSION);
	hub_store_int(st, &n, "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name = 'events_at'", "");
	CHECK_INT(n, 1);
	hub_store_int(st, &n, "SELECT count(*) FROM events", "");
	CHECK_INT(n, 1);
	/* Migration 4 chained what the index held: 1 <- 3 <- 4 and 2 <- 5. */
	hub_store_int(st, &n, "SELECT count(*) FROM sqlite_master WHERE name = 'messages_conv'", "");
	CHECK_INT(n, 0);
	json_t *rows = hub_store_rows(st, "SELECT n, prev FROM messages ORDER BY n", "");
	char *s = json_dumps(rows, JSON_COMPACT);
	CHECK_STR(s, "[{\"n\":1,\"prev\":null},{\"n\":2,\"prev\":null},{\"n\":3,\"prev\":1},"
		     "{\"n\":4,\"prev\":3},{\"n\":5,\"prev\":2}]");
	free(s);
	json_decref(rows);
	rows = hub_store_rows(st, "SELECT conv, n, at FROM msg_last ORDER BY conv", "");
	s = json_dumps(rows, JSON_COMPACT);
	CHECK_STR(s, "[{\"conv\":1,\"n\":4,\"at\":104},{\"conv\":2,\"n\":5,\"at\":105}]");
	free(s);
	json_decref(rows);
	cleanup(st);
}

/* Whoever inserts a message, with prev or without, the chain and msg_last
 * follow (the trigger of migration 4). */
static void test_message_chain(void)
{
	struct hub_store *st = open_fresh();
	json_t *rows;
	char *s;

	if (!st)
		return;
	for (int c = 1; c <= 2; c++)
		CHECK(hub_store_exec(st, "INSERT INTO conversations(n, state, priority, channel, created_at)"
				     " VALUES (?, 'queued', 2, 'web', 1)", "i", (int64_t)c) == 1);
	/* Without prev (the trigger fills it in) and with it (as the hub does). */
	CHECK(hub_store_exec(st, "INSERT INTO messages(conv, sender, kind, text, at) VALUES (1, 'bot', 'public', 'a', 50)",
			     "") == 1);
	CHECK(hub_store_exec(st, "INSERT INTO messages(conv, sender, kind, text, at) VALUES (2, 'bot', 'public', 'b', 60)",
			     "") == 1);
	CHECK(hub_store_exec(st, "INSERT INTO messages(conv, sender, kind, text, at, prev)"
			     " VALUES (1, 'bot', 'public', 'c', 40, (SELECT n FROM msg_last WHERE conv = 1))", "") == 1);
	CHECK(hub_store_exec(st, "INSERT INTO messages(conv, sender, kind, text, at) VALUES (1, 'bot', 'public', 'd', 70)",
			     "") == 1);
	rows = hub_store_rows(st, "SELECT n, prev FROM messages ORDER BY n", "");
	s = json_dumps(rows, JSON_COMPACT);
	CHECK_STR(s, "[{\"n\":1,\"prev\":null},{\"n\":2,\"prev\":null},{\"n\":3,\"prev\":1},"
		     "{\"n\":4,\"prev\":3}]");
	free(s);
	json_decref(rows);
	/* at is the latest time seen, whatever the order the messages came in. */
	rows = hub_store_rows(st, "SELECT conv, n, at FROM msg_last ORDER BY conv", "");
	s = json_dumps(rows, JSON_COMPACT);
	CHECK_STR(s, "[{\"conv\":1,\"n\":4,\"at\":70},{\"conv\":2,\"n\":2,\"at\":60}]");
	free(s);
	json_decref(rows);
	cleanup(st);
}

static void test_newer_schema_refused(void)
{
	struct hub_store *st = open_fresh();
	char err[300] = "";

	if (!st)
		return;
	CHECK(hub_store_exec(st, "PRAGMA user_version = 99", "") >= 0);
	hub_store_close(st);
	st = hub_store_open(path, err, sizeof err);
	CHECK(st == NULL);
	CHECK(strstr(err, "newer than this batond") != NULL);
	cleanup(st);
}

static void test_bind_and_rows(void)
{
	struct hub_store *st = open_fresh();
	json_t *rows, *row = NULL;
	void *blob = NULL;
	size_t len = 0;
	int64_t v;

	if (!st)
		return;
	CHECK_INT(hub_store_exec(st, "CREATE TABLE t(a INTEGER, b TEXT, c REAL, d BLOB, e INTEGER)", ""), 0);
	CHECK_INT(hub_store_exec(st, "INSERT INTO t VALUES (?, ?, ?, ?, ?)", "isdbz", (int64_t)7, "héllo", 1.5,
			     (const void *)"\0\1\2", (size_t)3, (int64_t)0), 1);
	CHECK_INT(hub_store_exec(st, "INSERT INTO t VALUES (?, ?, ?, ?, ?)", "isdbz", (int64_t)8, (const char *)NULL, 2.5,
			     (const void *)"x", (size_t)1, (int64_t)5), 1);
	rows = hub_store_rows(st, "SELECT a, b, c, e FROM t ORDER BY a", "");
	CHECK_INT(json_array_size(rows), 2);
	CHECK_STR(json_string_value(json_object_get(json_array_get(rows, 0), "b")), "héllo");
	CHECK(json_is_null(json_object_get(json_array_get(rows, 0), "e")));	/* z: 0 binds null */
	CHECK(json_is_null(json_object_get(json_array_get(rows, 1), "b")));
	CHECK_INT(json_integer_value(json_object_get(json_array_get(rows, 1), "e")), 5);
	json_decref(rows);
	CHECK_INT(hub_store_blob(st, &blob, &len, "SELECT d FROM t WHERE a = ?", "i", (int64_t)7), 1);
	CHECK_INT(len, 3);
	CHECK(blob && memcmp(blob, "\0\1\2", 3) == 0);
	free(blob);
	CHECK_INT(hub_store_row(st, &row, "SELECT a FROM t WHERE a = ?", "i", (int64_t)99), 0);
	CHECK(row == NULL);
	CHECK_INT(hub_store_int(st, &v, "SELECT max(a) FROM t WHERE a > ?", "i", (int64_t)100), 0);
	CHECK_INT(hub_store_exec(st, "INSERT INTO nosuch VALUES (1)", ""), -1);
	CHECK(strstr(hub_store_errmsg(st), "nosuch") != NULL);
	cleanup(st);
}

static void test_savepoints(void)
{
	struct hub_store *st = open_fresh();
	int64_t n = -1;

	if (!st)
		return;
	hub_store_exec(st, "CREATE TABLE t(a INTEGER)", "");
	CHECK_INT(hub_store_begin(st), 0);
	hub_store_exec(st, "INSERT INTO t VALUES (1)", "");
	CHECK_INT(hub_store_savepoint(st), 0);
	hub_store_exec(st, "INSERT INTO t VALUES (2)", "");
	CHECK_INT(hub_store_rollback_to(st), 0);	/* the refused command */
	CHECK_INT(hub_store_savepoint(st), 0);
	hub_store_exec(st, "INSERT INTO t VALUES (3)", "");
	CHECK_INT(hub_store_release(st), 0);	/* the accepted one */
	CHECK_INT(hub_store_commit(st), 0);
	hub_store_int(st, &n, "SELECT group_concat(a) = '1,3' FROM t", "");
	CHECK_INT(n, 1);
	cleanup(st);
}

static void test_audit_append_only(void)
{
	struct hub_store *st = open_fresh();

	if (!st)
		return;
	CHECK_INT(hub_store_exec(st, "INSERT INTO audit(at, who, what, outcome) VALUES (1, 'ana', 'x', 'accepted')", ""), 1);
	CHECK_INT(hub_store_exec(st, "UPDATE audit SET outcome = 'refused'", ""), -1);
	CHECK(strstr(hub_store_errmsg(st), "append-only") != NULL);
	CHECK_INT(hub_store_exec(st, "DELETE FROM audit", ""), -1);
	CHECK(strstr(hub_store_errmsg(st), "append-only") != NULL);
	cleanup(st);
}

static void test_unique_command(void)
{
	struct hub_store *st = open_fresh();
	static const char ins[] = "INSERT INTO commands(agent, cmd_id, op, req_hash, status, at) VALUES (?, ?, 'claim', 'h', 'ok', 1)";

	if (!st)
		return;
	CHECK_INT(hub_store_exec(st, ins, "ss", "ana", "c1"), 1);
	CHECK_INT(hub_store_exec(st, ins, "ss", "ben", "c1"), 1);	/* per agent */
	CHECK_INT(hub_store_exec(st, ins, "ss", "ana", "c1"), -1);
	cleanup(st);
}

static const struct test tests[] = {
	TEST(test_schema), TEST(test_migrate_from_1), TEST(test_message_chain), TEST(test_newer_schema_refused), TEST(test_bind_and_rows), TEST(test_savepoints),
	TEST(test_audit_append_only), TEST(test_unique_command),
};

int main(void)
{
	log_init("test-hub-store", LOG_OFF);
	return test_run_(tests, BATON_ARRAY_LEN(tests));
}
