/* test-console-outbox.c: commands are written before they are sent, kept in
 * order, sent only when the hub can take them, sent again unchanged after a
 * reconnect, and survive a restart of the console (same cmd_id, same bytes). */
#include "baton/outbox.h"

#include <stdlib.h>
#include <string.h>

#include "baton/common.h"
#include "baton/link.h"
#include "baton/proto.h"
#include "baton/store.h"
#include "test.h"

static struct proto_cmd say(const char *id, struct proto_args *a, const char *text)
{
	struct proto_cmd c;

	memset(a, 0, sizeof *a);
	a->conv = "c-1";
	a->text = text;
	memset(&c, 0, sizeof c);
	c.cmd_id = id;
	c.op = PROTO_OP_MESSAGE_SEND;
	PROTO_SET(&c, cmd, op);
	c.args = a;
	return c;
}

static void test_memory_only(void)
{
	char err[200];
	struct outbox *ob = outbox_new(NULL, err, sizeof err);
	struct proto_args a;
	struct proto_cmd c1 = say("ana-1", &a, "first");
	const struct outbox_item *it;

	CHECK_INT(outbox_add(ob, &c1, "c-1", "say first", &it, err, sizeof err), 0);
	struct proto_cmd c2 = say("ana-2", &a, "second; with \"quotes\"");
	CHECK_INT(outbox_add(ob, &c2, "c-1", "say second", NULL, err, sizeof err), 0);
	CHECK_INT(outbox_count(ob), 2);
	it = outbox_find(ob, "ana-2");
	CHECK(it != NULL);
	if (it) {
		/* The frame is the wire form, and it decodes as the hub will. */
		struct proto_err perr;
		struct proto_frame *f = proto_frame_decode(it->c.frame, strlen(it->c.frame), 0, &perr);
		CHECK(f != NULL);
		if (f) {
			CHECK_STR(f->u.cmd.cmd_id, "ana-2");
			CHECK_STR(f->u.cmd.args->text, "second; with \"quotes\"");
			proto_frame_free(f);
		}
		CHECK(!it->sent);
		CHECK(!it->from_store);
	}
	CHECK(outbox_done(ob, "ana-1"));
	CHECK(!outbox_done(ob, "ana-1"));
	CHECK_INT(outbox_count(ob), 1);
	CHECK_STR(outbox_at(ob, 0)->c.cmd_id, "ana-2");
	outbox_clear(ob);
	CHECK_INT(outbox_count(ob), 0);
	outbox_free(ob);
}

static void test_not_sent_while_closed(void)
{
	char err[200];
	struct link_opts lo = { .url = "ws://127.0.0.1:9/v1/stream" };
	struct link_cb cb;
	struct link *l;
	struct outbox *ob = outbox_new(NULL, err, sizeof err);
	struct proto_args a;
	struct proto_cmd c1 = say("ana-1", &a, "x");

	memset(&cb, 0, sizeof cb);
	l = link_new(&lo, &cb, err, sizeof err);
	CHECK(l != NULL);
	if (!l)
		goto out;
	outbox_add(ob, &c1, "c-1", "say x", NULL, err, sizeof err);
	CHECK(!link_is_open(l));
	CHECK_INT(outbox_flush(ob, l), 0);
	CHECK(!outbox_at(ob, 0)->sent);
	CHECK_INT(link_send(l, "{}", 2), -1);
	link_free(l);
out:
	outbox_free(ob);
	/* Bad URLs are refused with words. */
	lo.url = "http://x/";
	CHECK(link_new(&lo, &cb, err, sizeof err) == NULL);
	CHECK(strstr(err, "ws://") != NULL);
	lo.url = "ws://host:99999/x";
	CHECK(link_new(&lo, &cb, err, sizeof err) == NULL);
	CHECK(strstr(err, "port") != NULL);
}

static void test_backoff(void)
{
	static const int want[] = { 1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000 };
	for (unsigned i = 0; i < BATON_ARRAY_LEN(want); i++)
		CHECK_INT(link_backoff_ms(i), want[i]);
	CHECK_INT(link_backoff_ms(1000), 30000);
}

static void test_survives_restart(void)
{
	char dir[] = "/tmp/baton-test-outbox-XXXXXX", err[300];
	char *path;
	struct store *st;
	struct outbox *ob;
	struct proto_args a;
	char *frame1 = NULL;

	if (!mkdtemp(dir)) {
		CHECK(0);
		return;
	}
	path = xasprintf("%s/baton.db", dir);
	st = store_open(path, err, sizeof err);
	CHECK(st != NULL);
	if (!st)
		goto out;
	ob = outbox_new(st, err, sizeof err);
	struct proto_cmd c1 = say("ana-1", &a, "typed while the hub was down");
	CHECK_INT(outbox_add(ob, &c1, "c-1", "say typed while the hub was down", NULL, err, sizeof err), 0);
	struct proto_cmd c2 = say("ana-2", &a, "second");
	CHECK_INT(outbox_add(ob, &c2, "c-1", "say second", NULL, err, sizeof err), 0);
	frame1 = xstrdup(outbox_at(ob, 0)->c.frame);
	/* ana-2 was answered: its row goes with the result. */
	struct proto_err perr;
	const char *res = "{\"type\":\"result\",\"cmd_id\":\"ana-2\",\"status\":\"ok\",\"body\":{}}";
	struct proto_frame *f = proto_frame_decode(res, strlen(res), 0, &perr);
	CHECK_INT(store_apply_frame(st, f, err, sizeof err), 0);
	proto_frame_free(f);
	CHECK(outbox_done(ob, "ana-2"));
	outbox_free(ob);
	store_close(st);	/* the console stops here */

	st = store_open(path, err, sizeof err);
	CHECK(st != NULL);
	if (!st)
		goto out;
	ob = outbox_new(st, err, sizeof err);
	CHECK_INT(outbox_count(ob), 1);
	if (outbox_count(ob) == 1) {
		const struct outbox_item *it = outbox_at(ob, 0);
		CHECK_STR(it->c.cmd_id, "ana-1");
		CHECK_STR(it->c.frame, frame1);	/* resent unchanged */
		CHECK_STR(it->c.text, "say typed while the hub was down");
		CHECK(it->from_store);
		CHECK(!it->sent);
	}
	outbox_unsent_all(ob);
	outbox_free(ob);
	store_close(st);
out:
	free(frame1);
	char *cmd = xasprintf("rm -rf '%s'", dir);
	if (system(cmd) != 0)
		printf("# cleanup failed\n");
	free(cmd);
	free(path);
}

static const struct test tests[] = {
	TEST(test_memory_only),
	TEST(test_not_sent_while_closed),
	TEST(test_backoff),
	TEST(test_survives_restart),
};
TEST_MAIN(tests)
