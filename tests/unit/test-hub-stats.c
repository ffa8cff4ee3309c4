/* test-hub-stats.c: the supervisors' figures from a seeded store — queue by
 * priority, breaches now and today, handled and handle time, escalations by
 * reason, per-agent figures and their deltas, the minute samples (kept in the
 * store across a restart), approval contexts, frame paging under 64 KiB. */
#include "baton/hub-stats.h"
#include "baton/common.h"
#include "baton/hub-store.h"
#include "baton/log.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "test.h"

static char dir[64];
static char path[128];

/* A fixed day: 2026-11-22T10:00:30Z. */
#define DAY0   INT64_C(1795305600000)
#define NOW    (DAY0 + 10 * 3600000 + 30000)

static struct hub_store *open_fresh(void)
{
	char err[256];
	struct hub_store *st;

	snprintf(dir, sizeof dir, "/tmp/test-hub-stats.XXXXXX");
	if (!mkdtemp(dir))
		abort();
	snprintf(path, sizeof path, "%s/t.db", dir);
	st = hub_store_open(path, err, sizeof err);
	if (!st) {
		printf("#   store_open: %s\n", err);
		return NULL;
	}
	if (hub_stats_prepare(st, err, sizeof err) < 0) {
		printf("#   prepare: %s\n", err);
		hub_store_close(st);
		return NULL;
	}
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

static const char SQL_CONV[] =
	"INSERT INTO conversations(state, priority, channel, created_at, queued_at, sla_due_at, assignee,"
	" customer, escalation, assigned_at, handed_back_at) VALUES (?, ?, 'web', ?, ?, ?, ?, ?, ?, ?, ?)";

static const char *cust_id;	/* customer of the next conversations (NULL: none) */

static int64_t conv(struct hub_store *st, const char *state, int prio, int64_t created, int64_t sla,
		    const char *assignee, const char *reason, int64_t assigned, int64_t handed)
{
	char esc[128];

	snprintf(esc, sizeof esc, "{\"reason\":{\"code\":\"%s\"}}", reason);
	if (hub_store_exec(st, SQL_CONV, "siiizssszz", state, (int64_t)prio, created, created, sla, assignee,
			   cust_id, esc, assigned, handed) != 1) {
		printf("#   insert: %s\n", hub_store_errmsg(st));
		abort();
	}
	return hub_store_last_id(st);
}

static void msg(struct hub_store *st, int64_t c, const char *sender, const char *author, int64_t at)
{
	if (hub_store_exec(st, "INSERT INTO messages(conv, sender, author, kind, text, at) VALUES (?, ?, ?, 'public', 'x', ?)",
			   "issi", c, sender, author, at) != 1)
		abort();
}

static struct proto_frame *roundtrip(struct proto_frame *f, size_t *len)
{
	struct proto_err perr;
	char *text = proto_frame_encode(f, len);
	struct proto_frame *g = proto_frame_decode(text, *len, PROTO_MAX_FRAME_BYTES, &perr);

	if (!g)
		printf("#   decode: %s\n", perr.msg);
	free(text);
	proto_frame_free(f);
	return g;
}

static void test_figures(void)
{
	struct hub_store *st = open_fresh();
	struct hub_stats *hs;
	struct hub_stats_totals t;
	struct hub_stats_agent ag[] = { { "ana", PROTO_PRES_ONLINE }, { "ben", PROTO_PRES_AWAY } };
	char err[256];
	size_t len;

	if (!st)
		return;
	/* Yesterday's (rowids follow creation, as in the hub). */
	conv(st, "handed_back", PROTO_PRIO_LOW, DAY0 - 9000000, 0, "ben", "other", DAY0 - 8000000, DAY0 - 7000000);
	/* Queued: 2 urgent (one past its SLA), 1 normal; oldest queued 10 min ago. */
	conv(st, "queued", PROTO_PRIO_URGENT, NOW - 600000, NOW - 1000, NULL, "fraud_claim", 0, 0);
	conv(st, "queued", PROTO_PRIO_URGENT, NOW - 60000, NOW + 60000, NULL, "complaint", 0, 0);
	conv(st, "queued", PROTO_PRIO_NORMAL, NOW - 30000, NOW + 600000, NULL, "discount_request", 0, 0);
	/* Ana has 2 assigned, handed back 2 today (300 s and 500 s), 1 yesterday. */
	int64_t a1 = conv(st, "assigned", PROTO_PRIO_HIGH, NOW - 100000, NOW + 1, "ana", "discount_request", NOW - 90000, 0);
	conv(st, "assigned", PROTO_PRIO_HIGH, NOW - 100000, NOW + 1, "ana", "order_problem", NOW - 80000, 0);
	conv(st, "handed_back", PROTO_PRIO_LOW, NOW - 900000, 0, "ana", "other", NOW - 800000, NOW - 500000);
	conv(st, "handed_back", PROTO_PRIO_LOW, NOW - 900000, 0, "ben", "other", NOW - 700000, NOW - 200000);
	msg(st, a1, "customer", NULL, NOW - 50000);
	msg(st, a1, "agent", "ana", NOW - 40000);

	hs = hub_stats_new();
	CHECK(hub_stats_frame(hs, false, 0) == NULL);	/* nothing before the first update */
	CHECK_INT(hub_stats_update(hs, st, ag, 2, NOW, err, sizeof err), 0);
	hub_stats_totals(hs, &t);
	CHECK_INT(t.queue[PROTO_PRIO_URGENT], 2);
	CHECK_INT(t.queue[PROTO_PRIO_HIGH], 0);
	CHECK_INT(t.queue[PROTO_PRIO_NORMAL], 1);
	CHECK_INT(t.oldest_wait_s, 600);
	CHECK_INT(t.sla_breached, 1);
	CHECK_INT(t.sla_breached_today, 1);
	CHECK_INT(t.handled_today, 2);
	CHECK_INT(t.aht_s, 400);
	CHECK_INT(t.online, 1);
	CHECK_INT(t.away, 1);
	/* Every conversation created today, by reason (yesterday's is left out). */
	CHECK_INT(t.by_reason[PROTO_REASON_DISCOUNT_REQUEST], 2);
	CHECK_INT(t.by_reason[PROTO_REASON_OTHER], 2);
	CHECK_INT(t.by_reason[PROTO_REASON_FRAUD_CLAIM], 1);

	/* The first DELTA after start carries every agent (all new) and the history. */
	struct proto_frame *f = roundtrip(hub_stats_frame(hs, false, 0), &len);
	CHECK(f != NULL);
	if (f) {
		struct proto_stats *s = &f->u.stats;
		CHECK_INT(s->queue->urgent, 2);
		CHECK_INT(s->sla_breached_today, 1);
		CHECK_INT(s->by_reason->discount_request, 2);
		CHECK_INT(s->history.n, 1);
		CHECK_INT(s->history.n ? s->history.v[0].urgent : -1, 2);
		CHECK_INT(s->agent_stats.n, 2);
		CHECK_STR(s->agent_stats.n ? s->agent_stats.v[0].id : "", "ana");
		CHECK_INT(s->agent_stats.n ? s->agent_stats.v[0].active : -1, 2);
		CHECK_INT(s->agent_stats.n ? s->agent_stats.v[0].handled_today : -1, 1);
		CHECK_INT(s->agent_stats.n ? s->agent_stats.v[0].last_msg_at : -1, NOW - 40000);
		CHECK(s->agent_stats.n > 1 && PROTO_IS_NULL(&s->agent_stats.v[1], agent_stat, last_msg_at));
		proto_frame_free(f);
	}

	/* Next second: one handback by ben, an SLA passes, ana writes. Only
	 * what changed travels; no history within the same minute. */
	int64_t now2 = NOW + 1000;
	CHECK(hub_store_exec(st, "UPDATE conversations SET state = 'handed_back', handed_back_at = ?,"
			     " assignee = 'ben', assigned_at = ? WHERE n = 4", "ii", now2 - 10, now2 - 100010) == 1);
	CHECK(hub_store_exec(st, "UPDATE conversations SET sla_due_at = ? WHERE n = 3", "i", now2 - 500) == 1);
	msg(st, a1, "agent", "ana", now2 - 5);
	CHECK_INT(hub_stats_update(hs, st, ag, 2, now2, err, sizeof err), 0);
	hub_stats_totals(hs, &t);
	CHECK_INT(t.handled_today, 3);
	CHECK_INT(t.aht_s, 300);	/* (300 + 500 + 100) / 3 */
	CHECK_INT(t.sla_breached, 2);
	CHECK_INT(t.sla_breached_today, 2);
	CHECK_INT(t.queue[PROTO_PRIO_NORMAL], 0);
	f = roundtrip(hub_stats_frame(hs, false, 0), &len);
	if (f) {
		struct proto_stats *s = &f->u.stats;
		CHECK(!PROTO_HAS(s, stats, history));
		CHECK(!PROTO_HAS(s, stats, approval_ctx));
		CHECK_INT(s->agent_stats.n, 2);	/* ana wrote, ben handled one */
		proto_frame_free(f);
	}
	/* A tick where nothing changed sends no agents. */
	CHECK_INT(hub_stats_update(hs, st, ag, 2, now2 + 1000, err, sizeof err), 0);
	f = roundtrip(hub_stats_frame(hs, false, 0), &len);
	if (f) {
		CHECK_INT(f->u.stats.agent_stats.n, 0);
		proto_frame_free(f);
	}
	/* The same handback seen again within the late window counts once. */
	CHECK_INT(hub_stats_update(hs, st, ag, 2, now2 + 2000, err, sizeof err), 0);
	hub_stats_totals(hs, &t);
	CHECK_INT(t.handled_today, 3);
	/* Ben goes offline (not in the input any more). */
	CHECK_INT(hub_stats_update(hs, st, ag, 1, now2 + 3000, err, sizeof err), 0);
	hub_stats_totals(hs, &t);
	CHECK_INT(t.away, 0);
	CHECK_INT(t.offline, 1);
	/* A new minute: a sample, and the history travels again. */
	CHECK_INT(hub_stats_update(hs, st, ag, 1, NOW + 60000, err, sizeof err), 0);
	f = roundtrip(hub_stats_frame(hs, false, 0), &len);
	if (f) {
		CHECK_INT(f->u.stats.history.n, 2);
		proto_frame_free(f);
	}
	hub_stats_free(hs);

	/* A restarted hub reads the hour back from the store. */
	hs = hub_stats_new();
	CHECK_INT(hub_stats_update(hs, st, ag, 1, NOW + 120000, err, sizeof err), 0);
	f = roundtrip(hub_stats_frame(hs, true, 0), &len);
	if (f) {
		CHECK_INT(f->u.stats.history.n, 3);
		CHECK_INT(f->u.stats.history.n == 3 ? f->u.stats.history.v[0].at : 0, (NOW / 60000) * 60000);
		proto_frame_free(f);
	}
	/* Midnight: the day's counters start again. */
	CHECK_INT(hub_stats_update(hs, st, ag, 1, DAY0 + 86400000 + 1000, err, sizeof err), 0);
	hub_stats_totals(hs, &t);
	CHECK_INT(t.handled_today, 0);
	CHECK_INT(t.by_reason[PROTO_REASON_OTHER], 0);
	hub_stats_free(hs);
	cleanup(st);
}

static void test_approval_ctx(void)
{
	struct hub_store *st = open_fresh();
	struct hub_stats *hs;
	char err[256];
	size_t len;

	if (!st)
		return;
	CHECK(hub_store_exec(st, "INSERT INTO customers(id, name, currency, json, updated_at) VALUES ('cu-1', 'Zoë', 'EUR', ?, 1)", "s",
			     "{\"id\":\"cu-1\",\"name\":\"Zoë\",\"tier\":\"gold\",\"discounts\":["
			     "{\"code\":\"A\",\"percent\":5,\"at\":\"2026-01-01T00:00:00Z\"},"
			     "{\"code\":\"B\",\"percent\":10,\"at\":\"2026-03-01T00:00:00Z\"},"
			     "{\"code\":\"C\",\"percent\":15,\"at\":\"2026-02-01T00:00:00Z\"},"
			     "{\"code\":\"D\",\"percent\":20,\"at\":\"2025-02-01T00:00:00Z\"}],"
			     "\"returns\":[{\"rma\":\"r-1\",\"order\":\"o-1\",\"status\":\"refunded\",\"at\":\"2026-04-01T00:00:00Z\"}]}") == 1);
	CHECK(hub_store_exec(st, "INSERT INTO orders(id, customer, status, total_minor, currency) VALUES ('o-1', 'cu-1', 'delivered', 12999, 'EUR')", "") == 1);
	cust_id = "cu-1";
	int64_t c = conv(st, "assigned", PROTO_PRIO_HIGH, NOW - 1000, NOW + 1000, "ana", "discount_request", NOW - 500, 0);
	cust_id = NULL;
	CHECK(hub_store_exec(st, "INSERT INTO actions(conv, kind, status, at) VALUES (?, 'discount', 'pending_approval', ?)", "ii", c, NOW) == 1);
	CHECK(hub_store_exec(st, "INSERT INTO approvals(conv, action, kind, params, requested_by, at, expires_at, state)"
			     " VALUES (?, 1, 'discount', '{\"percent\":30,\"order\":\"o-1\"}', 'ana', ?, ?, 'pending')", "iii",
			     c, NOW, NOW + 900000) == 1);
	hs = hub_stats_new();
	CHECK_INT(hub_stats_update(hs, st, NULL, 0, NOW, err, sizeof err), 0);
	struct proto_frame *f = roundtrip(hub_stats_frame(hs, false, 0), &len);
	if (f) {
		struct proto_stats *s = &f->u.stats;
		CHECK_INT(s->approvals_pending, 1);
		CHECK_INT(s->approval_ctx.n, 1);
		if (s->approval_ctx.n) {
			struct proto_approval_ctx *x = &s->approval_ctx.v[0];
			CHECK_STR(x->approval, "ap-1");
			CHECK_STR(x->customer, "Zoë");
			CHECK_STR(x->tier, "gold");
			CHECK_INT(x->order_total_minor, 12999);
			CHECK_INT(x->discounts.n, HUB_STATS_CTX_PAST);	/* the newest three, newest first */
			CHECK_STR(x->discounts.n ? x->discounts.v[0].code : "", "B");
			CHECK_STR(x->discounts.n > 2 ? x->discounts.v[2].code : "", "A");
			CHECK_INT(x->returns.n, 1);
		}
		proto_frame_free(f);
	}
	/* Unchanged set: no context in the next delta; decided: an empty list. */
	CHECK_INT(hub_stats_update(hs, st, NULL, 0, NOW + 1000, err, sizeof err), 0);
	f = roundtrip(hub_stats_frame(hs, false, 0), &len);
	if (f) {
		CHECK(!PROTO_HAS(&f->u.stats, stats, approval_ctx));
		proto_frame_free(f);
	}
	CHECK(hub_store_exec(st, "UPDATE approvals SET state = 'approved'", "") == 1);
	CHECK_INT(hub_stats_update(hs, st, NULL, 0, NOW + 2000, err, sizeof err), 0);
	f = roundtrip(hub_stats_frame(hs, false, 0), &len);
	if (f) {
		CHECK(PROTO_HAS(&f->u.stats, stats, approval_ctx));
		CHECK_INT(f->u.stats.approval_ctx.n, 0);
		CHECK_INT(f->u.stats.approvals_pending, 0);
		proto_frame_free(f);
	}
	hub_stats_free(hs);
	cleanup(st);
}

/* 1,000 agents: the full set goes in pages, each under the frame limit, and
 * together they name every agent once. */
static void test_paging(void)
{
	struct hub_store *st = open_fresh();
	struct hub_stats *hs;
	struct hub_stats_agent *ag = xcalloc(1000, sizeof *ag);
	char (*ids)[40] = xcalloc(1000, sizeof *ids);
	char err[256];
	size_t len, seen = 0, page, maxlen = 0;

	if (!st)
		goto out;
	CHECK_INT(hub_store_begin(st), 0);
	for (int i = 0; i < 1000; i++) {
		snprintf(ids[i], sizeof ids[i], "agent-with-a-long-name-%04d", i);
		ag[i].id = ids[i];
		ag[i].status = i % 3 ? PROTO_PRES_ONLINE : PROTO_PRES_AWAY;
		int64_t c = conv(st, "assigned", PROTO_PRIO_NORMAL, NOW - 1000, NOW + 1000, ids[i], "other", NOW - 900, 0);
		msg(st, c, "agent", ids[i], NOW - 100 - i);
	}
	CHECK_INT(hub_store_commit(st), 0);
	hs = hub_stats_new();
	CHECK_INT(hub_stats_update(hs, st, ag, 1000, NOW, err, sizeof err), 0);
	for (page = 0;; page++) {
		struct proto_frame *f = hub_stats_frame(hs, true, page);
		if (!f)
			break;
		f = roundtrip(f, &len);
		if (len > maxlen)
			maxlen = len;
		if (f) {
			seen += f->u.stats.agent_stats.n;
			proto_frame_free(f);
		}
	}
	CHECK_INT(seen, 1000);
	CHECK_INT(page, 1 + (1000 + HUB_STATS_AGENTS_PER_FRAME - 1) / HUB_STATS_AGENTS_PER_FRAME);
	CHECK(maxlen < PROTO_MAX_FRAME_BYTES);
	printf("# largest full page: %zu bytes\n", maxlen);
	/* The first delta holds one frame's worth; the rest follow on later ticks. */
	seen = 0;
	for (int tick = 0; tick < 6; tick++) {
		struct proto_frame *f = hub_stats_frame(hs, false, 0);
		if (f) {
			seen += f->u.stats.agent_stats.n;
			CHECK(f->u.stats.agent_stats.n <= HUB_STATS_AGENTS_PER_FRAME);
			proto_frame_free(f);
		}
	}
	CHECK_INT(seen, 1000);
	hub_stats_free(hs);
	cleanup(st);
out:
	free(ag);
	free(ids);
}

/* The trigger-kept counters match a count over conversations after
 * every kind of change the hub makes (claim, release, transfer, handback,
 * re-escalation, a priority change, a delete), and after a rebuild. */
static int counters_match(struct hub_store *st)
{
	int64_t bad = -1;

	if (hub_store_int(st, &bad,
			  "SELECT (SELECT count(*) FROM (SELECT priority, count(*) AS n FROM conversations"
			  "  WHERE state = 'queued' GROUP BY priority) t"
			  "  WHERE n IS NOT (SELECT n FROM queue_depth d WHERE d.priority = t.priority))"
			  " + (SELECT count(*) FROM queue_depth d WHERE n != (SELECT count(*) FROM conversations"
			  "  WHERE state = 'queued' AND priority = d.priority))"
			  " + (SELECT count(*) FROM agent_load l WHERE active != (SELECT count(*) FROM conversations"
			  "  WHERE state = 'assigned' AND assignee = l.agent))"
			  " + (SELECT count(*) FROM (SELECT assignee, count(*) AS n FROM conversations"
			  "  WHERE state = 'assigned' GROUP BY assignee) t"
			  "  WHERE n IS NOT (SELECT active FROM agent_load l WHERE l.agent = t.assignee))", "") < 0)
		return -1;
	return (int)bad;
}

static void test_counters(void)
{
	struct hub_store *st = open_fresh();
	char err[256];
	uint64_t r = 12345;

	if (!st)
		return;
	for (int i = 0; i < 40; i++)
		conv(st, "queued", i % 4, NOW - i * 1000, NOW + 1000, NULL, "other", 0, 0);
	CHECK_INT(counters_match(st), 0);
	/* 400 random changes of the kinds the hub makes. */
	for (int k = 0; k < 400; k++) {
		r = r * 6364136223846793005u + 1442695040888963407u;
		int64_t n = 1 + (int64_t)((r >> 33) % 40);
		const char *who = ((r >> 20) & 1) ? "ana" : "ben";
		switch ((r >> 40) % 7) {
		case 0: hub_store_exec(st, "UPDATE conversations SET state = 'assigned', assignee = ? WHERE n = ? AND state = 'queued'", "si", who, n); break;
		case 1: hub_store_exec(st, "UPDATE conversations SET state = 'queued', assignee = NULL WHERE n = ? AND state = 'assigned'", "i", n); break;
		case 2: hub_store_exec(st, "UPDATE conversations SET assignee = ? WHERE n = ? AND state = 'assigned'", "si", who, n); break;
		case 3: hub_store_exec(st, "UPDATE conversations SET state = 'handed_back' WHERE n = ?", "i", n); break;
		case 4: hub_store_exec(st, "UPDATE conversations SET state = 'queued', assignee = NULL, priority = ? WHERE n = ?", "ii", (int64_t)(k % 4), n); break;
		case 5: hub_store_exec(st, "UPDATE conversations SET priority = ? WHERE n = ?", "ii", (int64_t)((k + 1) % 4), n); break;
		default: hub_store_exec(st, "UPDATE conversations SET version = version + 1 WHERE n = ?", "i", n); break;
		}
	}
	CHECK_INT(counters_match(st), 0);
	CHECK(hub_store_exec(st, "DELETE FROM conversations WHERE n % 3 = 0", "") > 0);
	CHECK_INT(counters_match(st), 0);
	/* Preparing again (every start) rebuilds them to the same. */
	CHECK(hub_store_exec(st, "UPDATE queue_depth SET n = n + 1", "") > 0);
	CHECK(counters_match(st) > 0);	/* the comparison does see a drift */
	CHECK_INT(hub_stats_prepare(st, err, sizeof err), 0);
	CHECK_INT(counters_match(st), 0);
	cleanup(st);
}

static const struct test tests[] = {
	TEST(test_figures), TEST(test_approval_ctx), TEST(test_paging), TEST(test_counters),
};

int main(void)
{
	log_init("test-hub-stats", LOG_OFF);
	return test_run_(tests, BATON_ARRAY_LEN(tests));
}
