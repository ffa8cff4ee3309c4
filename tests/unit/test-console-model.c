/* test-console-model.c: the console's state — every event kind, queue order,
 * old seq ignored, snapshot replacing state, results in words, transcript
 * windows bounded, text sanitized on entry. Frames are written as JSON and
 * decoded by the real decoder, as they come from the hub. */
#include "baton/model.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "baton/common.h"
#include "baton/proto.h"
#include "test.h"

#define T0 "2026-11-22T03:00:00.000Z"

/* Decodes and applies one frame; returns model_apply_frame's result. */
static int apply(struct model *m, const char *fmt, ...) BATON_PRINTF(2, 3);
static int apply(struct model *m, const char *fmt, ...)
{
	struct proto_err perr;
	struct proto_frame *f;
	char *json, err[200];
	va_list ap;
	int rc;

	va_start(ap, fmt);
	struct strbuf sb = STRBUF_INIT;
	sb_vaddf(&sb, fmt, ap);
	va_end(ap);
	json = sb_take(&sb);
	f = proto_frame_decode(json, strlen(json), 0, &perr);
	if (!f) {
		printf("#   frame did not decode: %s\n#   %s\n", perr.msg, json);
		free(json);
		return -2;
	}
	rc = model_apply_frame(m, f, 1000, err, sizeof err);
	proto_frame_free(f);
	free(json);
	return rc;
}

static char *conv_json(const char *id, const char *state, const char *prio, const char *assignee,
		       const char *sla, int version, const char *transcript)
{
	return xasprintf("{\"id\":\"%s\",\"state\":\"%s\",\"priority\":\"%s\",\"channel\":\"web\","
			 "\"language\":\"tr\",\"created_at\":\"" T0 "\",\"queued_at\":\"" T0 "\","
			 "\"sla_due_at\":%s,\"assignee\":%s,\"version\":%d,"
			 "\"escalation\":{\"reason\":{\"code\":\"discount_request\",\"text\":\"wants 20%%\\nmore\"},"
			 "\"sentiment\":-0.5,\"summary\":\"s\"},"
			 "\"customer\":{\"id\":\"cu-1\",\"name\":\"Ay\\u015fe\",\"tier\":\"gold\","
			 "\"orders\":[{\"id\":\"o-1\",\"placed_at\":\"" T0 "\",\"status\":\"delivered\","
			 "\"total_minor\":8999,\"currency\":\"EUR\",\"items\":[{\"sku\":\"S1\",\"name\":\"n\","
			 "\"qty\":1,\"price_minor\":8999}]}]},"
			 "\"transcript\":[%s],\"actions\":[]}",
			 id, state, prio, sla ? sla : "null", assignee ? assignee : "null", version,
			 transcript ? transcript : "");
}

static const char *welcome_ana =
	"{\"type\":\"welcome\",\"v\":1,\"session\":\"s-1\",\"agent\":{\"id\":\"ana\",\"name\":\"Ana\","
	"\"role\":\"agent\"},\"limits\":{\"discount_percent_max\":15,\"discount_amount_max_minor\":5000,"
	"\"currency\":\"EUR\",\"max_frame_bytes\":65536,\"max_active\":3},\"head\":0,\"resume\":\"snapshot\"}";

static struct model *new_ana(void)
{
	struct model *m = model_new(5);
	CHECK_INT(apply(m, "%s", welcome_ana), 1);
	return m;
}

static int ev(struct model *m, int seq, const char *kind, const char *body)
{
	return apply(m, "{\"type\":\"event\",\"seq\":%d,\"kind\":\"%s\",\"conv\":null,\"at\":\"" T0 "\","
		     "\"body\":%s}", seq, kind, body);
}

static int ev_conv(struct model *m, int seq, const char *kind, const char *conv, const char *extra)
{
	char *body = xasprintf("{\"conversation\":%s%s}", conv, extra ? extra : "");
	int rc = ev(m, seq, kind, body);
	free(body);
	return rc;
}

static void test_welcome(void)
{
	struct model *m = new_ana();
	CHECK(m->me != NULL);
	CHECK_STR(m->me->id, "ana");
	CHECK_INT(m->limits->discount_percent_max, 15);
	CHECK_INT(m->conn, MODEL_CONN_CONNECTED);
	CHECK(m->dirty & MODEL_DIRTY_STATUS);
	model_free(m);
}

static void test_queue_order(void)
{
	struct model *m = new_ana();
	char *a = conv_json("c-a", "queued", "normal", NULL, "\"2026-11-22T03:10:00Z\"", 1, NULL);
	char *b = conv_json("c-b", "queued", "urgent", NULL, "\"2026-11-22T03:30:00Z\"", 1, NULL);
	char *c = conv_json("c-c", "queued", "normal", NULL, "\"2026-11-22T03:05:00Z\"", 1, NULL);
	char *d = conv_json("c-d", "queued", "normal", NULL, NULL, 1, NULL);
	char *e = conv_json("c-e", "queued", "high", NULL, NULL, 1, NULL);

	CHECK_INT(ev_conv(m, 1, "conversation.queued", a, NULL), 1);
	CHECK_INT(ev_conv(m, 2, "conversation.queued", d, NULL), 1);
	CHECK_INT(ev_conv(m, 3, "conversation.queued", b, NULL), 1);
	CHECK_INT(ev_conv(m, 4, "conversation.queued", c, NULL), 1);
	CHECK_INT(ev_conv(m, 5, "conversation.queued", e, NULL), 1);
	CHECK_INT(m->nqueue, 5);
	/* urgent, high, then normal by SLA due (none last). */
	CHECK_STR(m->queue[0]->id, "c-b");
	CHECK_STR(m->queue[1]->id, "c-e");
	CHECK_STR(m->queue[2]->id, "c-c");
	CHECK_STR(m->queue[3]->id, "c-a");
	CHECK_STR(m->queue[4]->id, "c-d");
	CHECK_INT(m->queue_counts[PROTO_PRIO_URGENT], 1);
	CHECK_INT(m->queue_counts[PROTO_PRIO_NORMAL], 3);
	/* The row is compact and holds the first line of the reason, sanitized. */
	CHECK_STR(m->queue[0]->reason_text, "wants 20%");
	CHECK_STR(m->queue[0]->customer, "Ay\xc5\x9f" "e");
	CHECK(m->queue[0]->has_sentiment);
	CHECK_INT(m->last_seq, 5);
	/* The UI's marks survive a newer version of the row. */
	m->queue[0]->ui_marks = 5;
	char *b2 = conv_json("c-b", "queued", "urgent", NULL, "\"2026-11-22T03:30:00Z\"", 2, NULL);
	CHECK_INT(ev_conv(m, 6, "conversation.queued", b2, NULL), 1);
	CHECK_INT(m->queue[0]->ui_marks, 5);
	CHECK_INT(m->queue[0]->version, 2);
	free(b2);
	for (size_t i = 1; i < m->nqueue; i++)
		CHECK(model_qitem_cmp(m->queue[i - 1], m->queue[i]) < 0);
	free(a); free(b); free(c); free(d); free(e);
	model_free(m);
}

static void test_old_seq_ignored(void)
{
	struct model *m = new_ana();
	char *a = conv_json("c-a", "queued", "normal", NULL, NULL, 1, NULL);
	char *b = conv_json("c-b", "queued", "normal", NULL, NULL, 1, NULL);

	CHECK_INT(ev_conv(m, 10, "conversation.queued", a, NULL), 1);
	CHECK_INT(ev_conv(m, 10, "conversation.queued", b, NULL), 0);
	CHECK_INT(ev_conv(m, 9, "conversation.queued", b, NULL), 0);
	CHECK_INT(m->nqueue, 1);
	CHECK_INT(m->last_seq, 10);
	/* An unknown kind from a newer hub advances seq and changes nothing. */
	CHECK_INT(apply(m, "{\"type\":\"event\",\"seq\":11,\"kind\":\"future.thing\",\"conv\":null,"
			"\"at\":\"" T0 "\",\"body\":{\"x\":1}}"), 0);
	CHECK_INT(m->last_seq, 11);
	CHECK_INT(m->nqueue, 1);
	free(a); free(b);
	model_free(m);
}

static const char *msg_json(int n, const char *from, const char *kind, const char *text)
{
	static char buf[4][512];
	char *b = buf[n % 4];
	snprintf(b, 512, "{\"id\":\"m-%d\",\"conv\":\"c-1\",\"from\":\"%s\",\"author\":null,\"kind\":\"%s\","
		 "\"text\":\"%s\",\"at\":\"2026-11-22T03:%02d:00.000Z\"}", n, from, kind, text, n % 60);
	return b;
}

static void test_claim_and_messages(void)
{
	struct model *m = new_ana();
	char *q = conv_json("c-1", "queued", "high", NULL, NULL, 1, NULL);
	char tr[4096];
	snprintf(tr, sizeof tr, "%s,%s", msg_json(1, "customer", "public", "hi"),
		 msg_json(2, "bot", "public", "bot here"));
	char *mine = conv_json("c-1", "assigned", "high", "\"ana\"", NULL, 2, tr);
	char *body;

	CHECK_INT(ev_conv(m, 1, "conversation.queued", q, NULL), 1);
	model_select(m, "c-1");
	CHECK_INT(ev_conv(m, 2, "conversation.assigned", mine, ",\"agent\":\"ana\""), 1);
	CHECK_INT(m->nqueue, 0);
	CHECK_INT(m->nmine, 1);
	struct model_conv *c = model_mine_find(m, "c-1");
	CHECK(c != NULL);
	if (!c)
		goto out;
	CHECK(c->mine);
	CHECK_INT(c->nmsgs, 2);
	CHECK_INT(c->conv->transcript.n, 0);	/* the transcript lives in msgs */
	CHECK(c->conv->customer != NULL);
	CHECK(model_selected(m) == c);

	/* Messages append; a duplicate id is ignored; the window keeps 5. */
	c->dirty = 0;
	c->appended = 0;
	body = xasprintf("{\"message\":%s}", msg_json(3, "customer", "public", "\\u001b[2Jwipe"));
	CHECK_INT(ev(m, 3, "message", body), 1);
	free(body);
	CHECK_INT(c->nmsgs, 3);
	CHECK(c->dirty & MODEL_CONV_APPENDED);
	CHECK_INT(c->appended, 1);
	/* The escape sequence is a visible placeholder, never raw. */
	CHECK(strchr(c->msgs[2].text, 0x1b) == NULL);
	CHECK(strstr(c->msgs[2].text, "\xe2\x90\x9b") != NULL);
	/* Bidi overrides and C1 controls too (JSON cannot carry invalid UTF-8;
	 * the decoder refuses it before the model sees it). */
	body = xasprintf("{\"message\":%s}", msg_json(4, "customer", "public",
							 "abc\\u202egnp.exe \\u0085 \\u2066x\\u0007"));
	CHECK_INT(ev(m, 4, "message", body), 1);
	free(body);
	CHECK_INT(c->nmsgs, 4);
	CHECK(strstr(c->msgs[3].text, "\xe2\x80\xae") == NULL);	/* U+202E */
	CHECK(strstr(c->msgs[3].text, "\xc2\x85") == NULL);		/* U+0085 */
	CHECK(strstr(c->msgs[3].text, "\xe2\x81\xa6") == NULL);	/* U+2066 */
	CHECK(strchr(c->msgs[3].text, 0x07) == NULL);
	CHECK(strstr(c->msgs[3].text, "\xe2\xb8\xae") != NULL);	/* the bidi placeholder */
	body = xasprintf("{\"message\":%s}", msg_json(3, "customer", "public", "again"));
	CHECK_INT(ev(m, 5, "message", body), 1);
	free(body);
	CHECK_INT(c->nmsgs, 4);
	for (int i = 6; i <= 10; i++) {
		body = xasprintf("{\"message\":%s}", msg_json(i, i % 2 ? "agent" : "customer",
							       i == 7 ? "note" : "public", "x"));
		CHECK_INT(ev(m, i, "message", body), 1);
		free(body);
	}
	CHECK_INT(c->nmsgs, 5);
	CHECK(c->older_in_store);
	CHECK_STR(c->msgs[4].id, "m-10");
	CHECK_STR(c->msgs[0].id, "m-6");
	CHECK_INT(c->msgs[1].kind, PROTO_MSG_NOTE);

	/* Paging: older messages prepend, trimming drops them again. */
	char id0[] = "m-0a", id1[] = "m-0b", t0[] = "old1", t1[] = "old2";
	struct model_msg older[2] = {
		{ .id = id0, .text = t0, .from = PROTO_FROM_CUSTOMER, .at = 1 },
		{ .id = id1, .text = t1, .from = PROTO_FROM_BOT, .at = 2 },
	};
	model_conv_prepend(c, older, 2, false);
	CHECK_INT(c->nmsgs, 7);
	CHECK_STR(c->msgs[0].id, "m-0a");
	CHECK(!c->older_in_store);
	model_conv_trim(c, 5);
	CHECK_INT(c->nmsgs, 5);
	CHECK_STR(c->msgs[0].id, "m-6");
	CHECK(c->older_in_store);
out:
	free(q);
	free(mine);
	model_free(m);
}

static void test_unread_and_typing(void)
{
	struct model *m = new_ana();
	char *mine = conv_json("c-1", "assigned", "high", "\"ana\"", NULL, 2, NULL);
	char *body;

	CHECK_INT(ev_conv(m, 1, "conversation.assigned", mine, ",\"agent\":\"ana\""), 1);
	struct model_conv *c = model_mine_find(m, "c-1");
	if (!c) {
		CHECK(c != NULL);
		goto out;
	}
	body = xasprintf("{\"message\":%s}", msg_json(1, "customer", "public", "hello?"));
	CHECK_INT(ev(m, 2, "message", body), 1);
	free(body);
	CHECK_INT(c->unread, 1);
	model_select(m, "c-1");
	CHECK_INT(c->unread, 0);

	CHECK_INT(apply(m, "{\"type\":\"typing\",\"conv\":\"c-1\",\"on\":true,\"from\":\"customer\"}"), 1);
	CHECK(c->customer_typing_until > 1000);
	CHECK(c->dirty & MODEL_CONV_TYPING);
	CHECK(!model_tick(m, 2000));
	CHECK(model_tick(m, 1000 + 60000));
	CHECK_INT(c->customer_typing_until, 0);
	CHECK_INT(apply(m, "{\"type\":\"typing\",\"conv\":\"c-1\",\"on\":true,\"from\":\"agent\","
			"\"agent\":\"bora\"}"), 1);
	CHECK_STR(c->typing_agent, "bora");
	/* My own typing echoed back is not shown. */
	CHECK_INT(apply(m, "{\"type\":\"typing\",\"conv\":\"c-1\",\"on\":false,\"from\":\"agent\","
			"\"agent\":\"ana\"}"), 1);
	CHECK_STR(c->typing_agent, "bora");
out:
	free(mine);
	model_free(m);
}

static const char *action_json(const char *id, const char *status)
{
	static char buf[1024];
	snprintf(buf, sizeof buf, "{\"id\":\"%s\",\"conv\":\"c-1\",\"kind\":\"discount\",\"status\":\"%s\","
		 "\"cmd_id\":\"x-1\",\"by\":\"ana\",\"at\":\"" T0 "\",\"params\":{\"percent\":10,"
		 "\"reason\":\"late\"},\"result\":{\"code\":\"BTN-1\",\"percent\":10,\"currency\":\"EUR\"}}",
		 id, status);
	return buf;
}

static const char *approval_json(const char *state)
{
	static char buf[1024];
	snprintf(buf, sizeof buf, "{\"id\":\"ap-1\",\"conv\":\"c-1\",\"action\":\"act-1\",\"kind\":\"discount\","
		 "\"params\":{\"percent\":30},\"requested_by\":\"ana\",\"at\":\"" T0 "\",\"state\":\"%s\","
		 "\"decided_by\":null,\"note\":null}", state);
	return buf;
}

static void test_every_other_event(void)
{
	struct model *m = new_ana();
	char *mine = conv_json("c-1", "assigned", "high", "\"ana\"", NULL, 2, NULL);
	char *queued = conv_json("c-1", "queued", "high", NULL, NULL, 3, NULL);
	char *bora = conv_json("c-1", "assigned", "high", "\"bora\"", NULL, 5, NULL);
	char *body;
	int seq = 1;

	CHECK_INT(ev_conv(m, seq++, "conversation.assigned", mine, ",\"agent\":\"ana\""), 1);
	/* action: added, then updated in place. */
	body = xasprintf("{\"action\":%s}", action_json("act-1", "pending_approval"));
	CHECK_INT(ev(m, seq++, "action", body), 1);
	free(body);
	struct model_conv *c = model_mine_find(m, "c-1");
	CHECK(c && c->conv->actions.n == 1);
	body = xasprintf("{\"action\":%s}", action_json("act-1", "applied"));
	CHECK_INT(ev(m, seq++, "action", body), 1);
	free(body);
	c = model_mine_find(m, "c-1");
	CHECK(c && c->conv->actions.n == 1 && c->conv->actions.v[0].status == PROTO_ACTST_APPLIED);

	/* approvals */
	body = xasprintf("{\"approval\":%s}", approval_json("pending"));
	CHECK_INT(ev(m, seq++, "approval.requested", body), 1);
	free(body);
	CHECK_INT(m->napprovals, 1);
	body = xasprintf("{\"approval\":%s,\"action\":%s}", approval_json("approved"),
			 action_json("act-2", "applied"));
	CHECK_INT(ev(m, seq++, "approval.decided", body), 1);
	free(body);
	CHECK_INT(m->napprovals, 1);
	CHECK_INT(m->approvals[0]->a->state, PROTO_APPR_APPROVED);
	CHECK(m->approvals[0]->action != NULL);
	c = model_mine_find(m, "c-1");
	CHECK(c && c->conv->actions.n == 2);

	/* stats (supervisors) */
	CHECK_INT(apply(m, "{\"type\":\"stats\",\"queue\":{\"urgent\":1,\"high\":4,\"normal\":9,\"low\":2},"
			"\"oldest_wait_s\":312,\"sla_breached\":2,\"agents\":{\"online\":5,\"away\":1},"
			"\"handled_today\":48,\"aht_s\":410,\"approvals_pending\":3}"), 1);
	CHECK(m->stats.valid);
	CHECK_INT(m->stats.queue[PROTO_PRIO_HIGH], 4);
	CHECK_INT(m->stats.online, 5);
	CHECK_INT(m->stats.approvals_pending, 3);
	CHECK_INT(m->stats.sla_breached_today, -1);
	CHECK(m->dirty & MODEL_DIRTY_STATS);

	/* presence */
	CHECK_INT(ev(m, seq++, "agent.presence", "{\"presence\":{\"id\":\"bora\",\"status\":\"away\"}}"), 1);
	CHECK_INT(ev(m, seq++, "agent.presence", "{\"presence\":{\"id\":\"bora\",\"status\":\"online\"}}"), 1);
	CHECK_INT(m->nagents, 1);
	CHECK_INT(m->agents[0]->p->status, PROTO_PRES_ONLINE);

	/* released: back to the queue; transferred to someone else: gone. */
	CHECK_INT(ev_conv(m, seq++, "conversation.released", queued, NULL), 1);
	CHECK_INT(m->nmine, 0);
	CHECK_INT(m->nqueue, 1);
	CHECK_INT(ev_conv(m, seq++, "conversation.transferred", bora, ",\"from\":\"ana\",\"to\":\"bora\""), 1);
	CHECK_INT(m->nqueue, 0);
	CHECK_INT(m->nmine, 0);

	/* handed back and closed: leave mine; a selected one stays as detail. */
	char *again = conv_json("c-1", "assigned", "high", "\"ana\"", NULL, 6, NULL);
	CHECK_INT(ev_conv(m, seq++, "conversation.assigned", again, ",\"agent\":\"ana\""), 1);
	CHECK_INT(m->nmine, 1);
	model_select(m, "c-1");
	CHECK_INT(ev(m, seq++, "conversation.handed_back", "{\"conv\":\"c-1\",\"disposition\":\"resolved\","
		     "\"note\":\"done\",\"by\":\"ana\"}"), 1);
	CHECK_INT(m->nmine, 0);
	CHECK(m->detail != NULL);
	CHECK(m->detail && m->detail->conv->state == PROTO_STATE_HANDED_BACK);
	CHECK(model_selected(m) == m->detail);
	CHECK_INT(ev(m, seq++, "conversation.closed", "{\"conv\":\"c-1\",\"csat\":5}"), 1);
	CHECK(m->detail && m->detail->conv->state == PROTO_STATE_CLOSED);
	CHECK_INT(m->last_seq, seq - 1);
	free(again);
	free(mine);
	free(queued);
	free(bora);
	model_free(m);
}

static void test_snapshot_replaces(void)
{
	struct model *m = new_ana();
	char *a = conv_json("c-a", "queued", "low", NULL, NULL, 1, NULL);
	char *mine = conv_json("c-m", "assigned", "high", "\"ana\"", NULL, 2,
			       "{\"id\":\"m-1\",\"conv\":\"c-m\",\"from\":\"customer\",\"author\":null,"
			       "\"kind\":\"public\",\"text\":\"hi\",\"at\":\"" T0 "\"}");
	char *b = conv_json("c-b", "queued", "urgent", NULL, NULL, 1, NULL);

	CHECK_INT(ev_conv(m, 1, "conversation.queued", a, NULL), 1);
	CHECK_INT(ev_conv(m, 2, "conversation.assigned", mine, ",\"agent\":\"ana\""), 1);
	model_set_draft(m, "c-m", "half-typed");
	CHECK_INT(apply(m, "{\"type\":\"snapshot\",\"upto\":40,\"queue\":[%s],\"mine\":[%s],"
			"\"approvals\":[%s],\"agents\":[]}", b, mine, approval_json("pending")), 1);
	CHECK_INT(m->last_seq, 40);
	CHECK_INT(m->nqueue, 1);
	CHECK_STR(m->queue[0]->id, "c-b");
	CHECK_INT(m->nmine, 1);
	CHECK_STR(m->mine[0]->draft, "half-typed");	/* the console's own state survives */
	CHECK_INT(m->mine[0]->nmsgs, 1);
	CHECK_INT(m->napprovals, 1);
	CHECK(m->dirty & MODEL_DIRTY_QUEUE);
	CHECK(!m->queue_more);		/* no queue_total: an older hub, the list is all there is */
	/* The hub listed the head of a longer queue. */
	CHECK_INT(apply(m, "{\"type\":\"snapshot\",\"upto\":40,\"queue\":[%s],\"queue_total\":900,"
			"\"mine\":[%s]}", b, mine), 1);
	CHECK(m->queue_more);
	/* A snapshot without c-m drops it; its queue is whole. */
	CHECK_INT(apply(m, "{\"type\":\"snapshot\",\"upto\":41,\"queue\":[],\"queue_total\":0,\"mine\":[]}"), 1);
	CHECK(!m->queue_more);
	CHECK_INT(m->nmine, 0);
	CHECK_INT(m->nqueue, 0);
	CHECK_INT(m->napprovals, 0);
	free(a);
	free(b);
	free(mine);
	model_free(m);
}

static void test_results_in_words(void)
{
	struct model *m = new_ana();
	struct model_result *r = model_result_add(m, "ana-1", PROTO_OP_CLAIM, "c-9", MODEL_RES_SENT, "…", 1);

	CHECK(r != NULL);
	CHECK_INT(apply(m, "{\"type\":\"result\",\"cmd_id\":\"ana-1\",\"status\":\"rejected\",\"body\":null,"
			"\"error\":{\"code\":\"already_claimed\",\"message\":\"bora has it \\u001b[5m\"}}"), 1);
	r = model_result_find(m, "ana-1");
	CHECK_INT(r->state, MODEL_RES_REJECTED);
	CHECK_STR(r->code, "already_claimed");
	CHECK(strstr(r->text, "someone else claimed it first") != NULL);
	CHECK(strchr(r->text, 0x1b) == NULL);

	model_result_add(m, "ana-2", PROTO_OP_DISCOUNT_APPROVE, "c-1", MODEL_RES_SENT, "", 1);
	CHECK_INT(apply(m, "{\"type\":\"result\",\"cmd_id\":\"ana-2\",\"status\":\"pending\",\"body\":"
			"{\"action\":%s}}", action_json("act-1", "pending_approval")), 1);
	r = model_result_find(m, "ana-2");
	CHECK_INT(r->state, MODEL_RES_PENDING);
	CHECK(strstr(r->text, "supervisor") != NULL);

	model_result_add(m, "ana-3", PROTO_OP_MESSAGE_SEND, "c-1", MODEL_RES_SENT, "", 1);
	CHECK_INT(apply(m, "{\"type\":\"result\",\"cmd_id\":\"ana-3\",\"status\":\"duplicate\",\"body\":{}}"), 1);
	r = model_result_find(m, "ana-3");
	CHECK_INT(r->state, MODEL_RES_DUPLICATE);
	CHECK(strstr(r->text, "nothing done twice") != NULL);

	/* A duplicate's body is the first answer's: not applied (it may be stale). */
	char *old = conv_json("c-7", "assigned", "high", "\"ana\"", NULL, 1, NULL);
	model_result_add(m, "ana-4", PROTO_OP_CLAIM, "c-7", MODEL_RES_SENT, "", 1);
	CHECK_INT(apply(m, "{\"type\":\"result\",\"cmd_id\":\"ana-4\",\"status\":\"duplicate\","
			"\"body\":{\"conversation\":%s}}", old), 1);
	CHECK_INT(m->nmine, 0);
	model_result_add(m, "ana-5", PROTO_OP_CLAIM, "c-7", MODEL_RES_SENT, "", 1);
	CHECK_INT(apply(m, "{\"type\":\"result\",\"cmd_id\":\"ana-5\",\"status\":\"ok\","
			"\"body\":{\"conversation\":%s}}", old), 1);
	CHECK_INT(m->nmine, 1);
	free(old);

	/* The ring keeps the newest MODEL_RESULTS_MAX. */
	for (int i = 0; i < MODEL_RESULTS_MAX + 3; i++) {
		char id[16];
		snprintf(id, sizeof id, "x-%d", i);
		model_result_add(m, id, PROTO_OP_NOTE_ADD, "", MODEL_RES_QUEUED, "t", i);
	}
	CHECK_INT(m->nresults, MODEL_RESULTS_MAX);
	CHECK(model_result_find(m, "ana-1") == NULL);
	CHECK_STR(model_result_last(m)->cmd_id, "x-34");
	model_free(m);
}

static void test_conn_text(void)
{
	struct model *m = model_new(0);
	char buf[64];

	CHECK_INT(m->history_lines, MODEL_HISTORY_DEFAULT);
	model_conn_text(m, 0, buf, sizeof buf);
	CHECK_STR(buf, "offline");
	model_set_conn(m, MODEL_CONN_RECONNECTING, 5000, "cannot reach the hub\x1b[31m");
	model_conn_text(m, 1100, buf, sizeof buf);
	CHECK_STR(buf, "reconnecting in 4 s");
	CHECK(strchr(m->conn_error, 0x1b) == NULL);
	model_set_conn(m, MODEL_CONN_CONNECTED, 0, NULL);
	model_conn_text(m, 0, buf, sizeof buf);
	CHECK_STR(buf, "connected");
	model_free(m);
}

static void test_queue_rows(void)
{
	struct model *m = model_new(0);
	char i1[] = "c-1", i2[] = "c-2", i0[] = "c-0";
	struct model_qitem r = { .id = i1, .priority = PROTO_PRIO_HIGH, .queued_at = 5 };
	struct model_qitem r2 = { .id = i2, .priority = PROTO_PRIO_HIGH, .queued_at = 9 };
	struct model_qitem r3 = { .id = i0, .priority = PROTO_PRIO_URGENT, .queued_at = 9 };

	model_queue_put_row(m, &r);
	model_queue_put_row(m, &r2);
	model_queue_put_row(m, &r3);	/* out of order: inserted where it belongs */
	CHECK_INT(m->nqueue, 3);
	CHECK_STR(m->queue[0]->id, "c-0");
	CHECK_STR(m->queue[2]->id, "c-2");
	CHECK_STR(m->queue[1]->customer, "");
	CHECK_INT(m->queue_counts[PROTO_PRIO_HIGH], 2);
	model_free(m);
}

static const struct test tests[] = {
	TEST(test_welcome),
	TEST(test_queue_order),
	TEST(test_old_seq_ignored),
	TEST(test_claim_and_messages),
	TEST(test_unread_and_typing),
	TEST(test_every_other_event),
	TEST(test_snapshot_replaces),
	TEST(test_results_in_words),
	TEST(test_conn_text),
	TEST(test_queue_rows),
};
TEST_MAIN(tests)
