/*
 * stats.c: the supervisors' figures, once a second (see hub-stats.h for why
 * they are kept in memory and advanced from high-water marks).
 */
#include "baton/hub-stats.h"
#include "baton/common.h"
#include "baton/hub-store.h"
#include "baton/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#define DAY_MS    86400000
#define MINUTE_MS 60000
/* A handback written up to this long after a tick's clock reading (a command
 * that read the clock before the tick) is still counted, once. */
#define LATE_MS   5000
/* At start, agents' last messages are looked for among this many newest messages. */
#define MSG_LOOKBACK 50000

struct hs_agent {
	char *id;
	int status;
	int64_t active, handled, last_msg_at;
	bool pending;		/* changed since the last DELTA frame */
	bool present;		/* in this tick's input or with figures */
};

struct hs_seen {
	int64_t n, t;
};

struct hub_stats {
	bool ready;		/* one update succeeded */
	int64_t now, day, minute;
	/* now */
	int64_t queue[4], oldest_wait_s, sla_breached;
	int64_t online, away, offline, approvals_pending;
	/* today */
	int64_t handled, handle_ms, breached_today, by_reason[8];
	int64_t hw_handback;	/* handbacks before this were counted */
	struct hs_seen *seen;	/* handbacks counted in [hw_handback - LATE_MS, hw_handback) */
	size_t nseen, capseen;
	int64_t hw_conv;	/* conversations up to this n were counted by reason */
	int64_t hw_msg;		/* messages up to this n were looked at */
	int64_t hw_sla;		/* SLAs due up to this time were counted */
	int64_t hw_load;	/* agent_load changes up to this seq were read */
	/* agents, sorted by id (the tail from nsorted on is not, until the end of an update) */
	struct hs_agent *ag;
	size_t nag, capag, nsorted;
	/* history: samples[0..nhist) oldest first */
	struct proto_stats_sample hist[HUB_STATS_HISTORY];
	size_t nhist;
	bool hist_changed;
	/* approval contexts of the pending approvals */
	int64_t *ap_ids;
	size_t nap;
	struct proto_arena *ctx_arena;
	struct proto_approval_ctx *ctx;
	size_t nctx;
	bool ctx_changed;
};

#define STMT_ITEM_(x) x,
static const char *const SQL_MIGRATION[] = { HUB_STATS_MIGRATION_STMTS(STMT_ITEM_) };

/* Kept by triggers (hub-stats.h): 4 rows. */
static const char SQL_QUEUE[] = "SELECT priority, n FROM queue_depth";
/* Only the breached entries of conv_queue(state, priority, sla_due_at) are walked. */
static const char SQL_BREACHED[] =
	"SELECT count(*) FROM conversations"
	" WHERE state = 'queued' AND priority IN (0, 1, 2, 3) AND sla_due_at < ?";
static const char SQL_OLDEST[] =
	"SELECT min(queued_at) FROM conversations WHERE state = 'queued'";
static const char SQL_ACTIVE[] =
	"SELECT agent AS assignee, active AS n, seq FROM agent_load WHERE seq > ? ORDER BY seq";
static const char SQL_HANDBACKS[] =
	"SELECT n, assignee, assigned_at, handed_back_at FROM conversations"
	" WHERE handed_back_at >= ? AND handed_back_at < ?";
static const char SQL_SLA_PASSED[] =
	"SELECT count(*) FROM conversations"
	" WHERE state = 'queued' AND priority IN (0, 1, 2, 3) AND sla_due_at >= ? AND sla_due_at < ?";
/* At start: SLAs of today that passed before the conversation was taken. */
static const char SQL_SLA_TODAY[] =
	"SELECT count(*) FROM conversations WHERE sla_due_at >= ? AND sla_due_at < ?"
	" AND (assigned_at IS NULL OR assigned_at > sla_due_at)";
static const char SQL_CONV_MAX[] = "SELECT max(n) FROM conversations";
/* The first conversation of the day: walk back by rowid to the first older one. */
static const char SQL_CONV_BEFORE_DAY[] =
	"SELECT n FROM conversations WHERE created_at < ? ORDER BY n DESC LIMIT 1";
static const char SQL_NEW_CONVS[] =
	"SELECT n, created_at, json_extract(escalation, '$.reason.code') AS code FROM conversations"
	" WHERE n > ? ORDER BY n LIMIT 20000";
static const char SQL_MSG_MAX[] = "SELECT max(n) FROM messages";
static const char SQL_NEW_MSGS[] =
	"SELECT n, author, at FROM messages WHERE n > ? AND sender = 'agent' AND kind = 'public'"
	" ORDER BY n LIMIT 50000";
static const char SQL_MSG_HW[] =
	"SELECT max(n) FROM (SELECT n FROM messages WHERE n > ? ORDER BY n LIMIT 50000)";
static const char SQL_SAMPLES[] =
	"SELECT minute, urgent, high, normal, low FROM queue_samples WHERE minute > ? ORDER BY minute";
static const char SQL_SAMPLE_PUT[] =
	"INSERT OR REPLACE INTO queue_samples(minute, urgent, high, normal, low) VALUES (?, ?, ?, ?, ?)";
static const char SQL_SAMPLE_PRUNE[] = "DELETE FROM queue_samples WHERE minute < ?";
static const char SQL_PENDING[] =
	"SELECT a.n AS n, a.params AS params, c.customer AS customer FROM approvals a"
	" LEFT JOIN conversations c ON c.n = a.conv WHERE a.state = 'pending' ORDER BY a.n";
static const char SQL_CUSTOMER[] = "SELECT json FROM customers WHERE id = ?";
static const char SQL_ORDER[] = "SELECT total_minor, currency FROM orders WHERE id = ?";

int hub_stats_prepare(struct hub_store *st, char *err, size_t errlen)
{
	if (hub_store_begin(st) < 0)
		goto fail;
	for (size_t i = 0; i < BATON_ARRAY_LEN(SQL_MIGRATION); i++)
		if (hub_store_exec(st, SQL_MIGRATION[i], "") < 0) {
			hub_store_rollback(st);
			goto fail;
		}
	if (hub_store_commit(st) < 0)
		goto fail;
	return 0;
fail:
	snprintf(err, errlen, "the store could not be prepared for stats (%s); "
		 "is the database writable?", hub_store_errmsg(st));
	return -1;
}

struct hub_stats *hub_stats_new(void)
{
	return xcalloc(1, sizeof(struct hub_stats));
}

void hub_stats_free(struct hub_stats *hs)
{
	if (!hs)
		return;
	for (size_t i = 0; i < hs->nag; i++)
		free(hs->ag[i].id);
	free(hs->ag);
	free(hs->seen);
	free(hs->ap_ids);
	proto_arena_free(hs->ctx_arena);
	free(hs);
}

static int64_t jint(json_t *o, const char *k)
{
	return json_integer_value(json_object_get(o, k));
}

static const char *hs_str(json_t *o, const char *k, const char *dflt)
{
	const char *s = json_string_value(json_object_get(o, k));

	return s ? s : dflt;
}

/* ---- agents ---- */

static int hs_agent_cmp(const void *a, const void *b)
{
	return strcmp(((const struct hs_agent *)a)->id, ((const struct hs_agent *)b)->id);
}

static struct hs_agent *hs_agent(struct hub_stats *hs, const char *id, bool create)
{
	struct hs_agent key = { .id = (char *)id };
	struct hs_agent *a = hs->nsorted ? bsearch(&key, hs->ag, hs->nsorted, sizeof *hs->ag, hs_agent_cmp) : NULL;

	if (a)
		return a;
	for (size_t i = hs->nsorted; i < hs->nag; i++)
		if (strcmp(hs->ag[i].id, id) == 0)
			return &hs->ag[i];
	if (!create)
		return NULL;
	if (hs->nag == hs->capag) {
		hs->capag = hs->capag ? hs->capag * 2 : 64;
		hs->ag = xrealloc(hs->ag, hs->capag * sizeof *hs->ag);
	}
	a = &hs->ag[hs->nag++];
	memset(a, 0, sizeof *a);
	a->id = xstrdup(id);
	a->status = PROTO_PRES_OFFLINE;
	a->pending = true;
	/* Many new at once (the first tick): keep lookups logarithmic. */
	if (hs->nag - hs->nsorted > 32) {
		qsort(hs->ag, hs->nag, sizeof *hs->ag, hs_agent_cmp);
		hs->nsorted = hs->nag;
		a = bsearch(&key, hs->ag, hs->nsorted, sizeof *hs->ag, hs_agent_cmp);
	}
	return a;
}

static void hs_set(struct hs_agent *a, int64_t *field, int64_t v)
{
	if (*field != v) {
		*field = v;
		a->pending = true;
	}
}

/* ---- the day's counters ---- */

static void hs_seen_add(struct hub_stats *hs, int64_t n, int64_t t)
{
	if (hs->nseen == hs->capseen) {
		hs->capseen = hs->capseen ? hs->capseen * 2 : 64;
		hs->seen = xrealloc(hs->seen, hs->capseen * sizeof *hs->seen);
	}
	hs->seen[hs->nseen++] = (struct hs_seen){ n, t };
}

static bool hs_seen_has(const struct hub_stats *hs, int64_t n, int64_t t)
{
	for (size_t i = 0; i < hs->nseen; i++)
		if (hs->seen[i].n == n && hs->seen[i].t == t)
			return true;
	return false;
}

static int hs_day_start(struct hub_stats *hs, struct hub_store *st, int64_t day0)
{
	int64_t n = 0;

	hs->handled = hs->handle_ms = hs->breached_today = 0;
	memset(hs->by_reason, 0, sizeof hs->by_reason);
	for (size_t i = 0; i < hs->nag; i++)
		hs_set(&hs->ag[i], &hs->ag[i].handled, 0);
	hs->nseen = 0;
	hs->hw_handback = day0 + LATE_MS;	/* the window below starts at day0 */
	if (!hs->ready) {
		/* Breaches of the day so far, once; then counted as they pass. */
		if (hub_store_int(st, &n, SQL_SLA_TODAY, "ii", day0, hs->now) < 0)
			return -1;
		hs->breached_today = n;
		hs->hw_sla = hs->now;
		if (hub_store_int(st, &n, SQL_CONV_BEFORE_DAY, "i", day0) < 0)
			return -1;
		hs->hw_conv = n;
		if (hub_store_int(st, &n, SQL_MSG_MAX, "") < 0)
			return -1;
		hs->hw_msg = n > MSG_LOOKBACK ? n - MSG_LOOKBACK : 0;
	} else {
		hs->hw_sla = day0;
		/* Conversations from now on count for the new day. */
		if (hub_store_int(st, &n, SQL_CONV_MAX, "") < 0)
			return -1;
		hs->hw_conv = n;
	}
	return 0;
}

static int hs_handbacks(struct hub_stats *hs, struct hub_store *st)
{
	int64_t lo = hs->hw_handback - LATE_MS;
	json_t *rows = hub_store_rows(st, SQL_HANDBACKS, "ii", lo, hs->now);
	json_t *r;
	size_t i, k = 0;

	if (!rows)
		return -1;
	json_array_foreach(rows, i, r) {
		int64_t n = jint(r, "n"), t = jint(r, "handed_back_at"), at = jint(r, "assigned_at");
		const char *who = json_string_value(json_object_get(r, "assignee"));
		if (hs_seen_has(hs, n, t))
			continue;
		/* Only what the next window can see again is remembered. */
		if (t >= hs->now - LATE_MS)
			hs_seen_add(hs, n, t);
		hs->handled++;
		if (at && t > at)
			hs->handle_ms += t - at;
		if (who) {
			struct hs_agent *a = hs_agent(hs, who, true);
			hs_set(a, &a->handled, a->handled + 1);
		}
	}
	json_decref(rows);
	hs->hw_handback = hs->now;
	/* Forget what can no longer come back in the window. */
	for (i = 0; i < hs->nseen; i++)
		if (hs->seen[i].t >= hs->now - LATE_MS)
			hs->seen[k++] = hs->seen[i];
	hs->nseen = k;
	return 0;
}

static int hs_new_convs(struct hub_stats *hs, struct hub_store *st, int64_t day0)
{
	json_t *rows = hub_store_rows(st, SQL_NEW_CONVS, "i", hs->hw_conv), *r;
	size_t i;

	if (!rows)
		return -1;
	json_array_foreach(rows, i, r) {
		const char *code = json_string_value(json_object_get(r, "code"));
		int c = code ? PROTO_ENUM_PARSE(reason_code, code) : PROTO_REASON_OTHER;
		if (jint(r, "created_at") >= day0)
			hs->by_reason[c < 0 ? PROTO_REASON_OTHER : c]++;
		hs->hw_conv = jint(r, "n");
	}
	json_decref(rows);
	return 0;
}

static int hs_new_msgs(struct hub_stats *hs, struct hub_store *st)
{
	json_t *rows = hub_store_rows(st, SQL_NEW_MSGS, "i", hs->hw_msg), *r;
	int64_t hw = 0;
	size_t i;

	if (!rows)
		return -1;
	json_array_foreach(rows, i, r) {
		const char *who = json_string_value(json_object_get(r, "author"));
		int64_t at = jint(r, "at");
		if (who) {
			struct hs_agent *a = hs_agent(hs, who, true);
			if (at > a->last_msg_at)
				hs_set(a, &a->last_msg_at, at);
		}
	}
	json_decref(rows);
	/* The mark moves past every message read, the customers' too. */
	if (hub_store_int(st, &hw, SQL_MSG_HW, "i", hs->hw_msg) < 0)
		return -1;
	if (hw > hs->hw_msg)
		hs->hw_msg = hw;
	return 0;
}

/* ---- now ---- */

static int hs_queue(struct hub_stats *hs, struct hub_store *st)
{
	json_t *rows = hub_store_rows(st, SQL_QUEUE, ""), *r;
	int64_t oldest = 0;
	size_t i;

	if (!rows)
		return -1;
	memset(hs->queue, 0, sizeof hs->queue);
	json_array_foreach(rows, i, r) {
		int64_t p = jint(r, "priority");
		hs->queue[p >= 0 && p < 4 ? p : PROTO_PRIO_LOW] += jint(r, "n");
	}
	json_decref(rows);
	if (hub_store_int(st, &hs->sla_breached, SQL_BREACHED, "i", hs->now) < 0 ||
	    hub_store_int(st, &oldest, SQL_OLDEST, "") < 0)
		return -1;
	hs->oldest_wait_s = oldest && hs->now > oldest ? (hs->now - oldest) / 1000 : 0;
	return 0;
}

static int hs_active(struct hub_stats *hs, struct hub_store *st)
{
	json_t *rows = hub_store_rows(st, SQL_ACTIVE, "i", hs->hw_load), *r;
	size_t i;

	if (!rows)
		return -1;
	/* Only the agents whose load changed since the last tick. */
	json_array_foreach(rows, i, r) {
		const char *who = json_string_value(json_object_get(r, "assignee"));
		if (who) {
			struct hs_agent *a = hs_agent(hs, who, true);
			hs_set(a, &a->active, jint(r, "n"));
		}
		hs->hw_load = jint(r, "seq");
	}
	json_decref(rows);
	return 0;
}

static void hs_statuses(struct hub_stats *hs, const struct hub_stats_agent *agents, size_t n)
{
	size_t i;

	for (i = 0; i < hs->nag; i++)
		hs->ag[i].present = false;
	for (i = 0; i < n; i++) {
		if (!agents[i].id)
			continue;
		struct hs_agent *a = hs_agent(hs, agents[i].id, true);
		if (a->status != agents[i].status) {
			a->status = agents[i].status;
			a->pending = true;
		}
		a->present = true;
	}
	hs->online = hs->away = hs->offline = 0;
	for (i = 0; i < hs->nag; i++) {
		struct hs_agent *a = &hs->ag[i];
		if (!a->present && a->status != PROTO_PRES_OFFLINE) {
			a->status = PROTO_PRES_OFFLINE;
			a->pending = true;
		}
		if (a->status == PROTO_PRES_ONLINE)
			hs->online++;
		else if (a->status == PROTO_PRES_AWAY)
			hs->away++;
		else
			hs->offline++;
	}
}

/* ---- history ---- */

static void hs_hist_push(struct hub_stats *hs, const struct proto_stats_sample *s)
{
	if (hs->nhist == HUB_STATS_HISTORY) {
		memmove(hs->hist, hs->hist + 1, (HUB_STATS_HISTORY - 1) * sizeof *hs->hist);
		hs->nhist--;
	}
	hs->hist[hs->nhist++] = *s;
}

static int hs_sample(struct hub_stats *hs, struct hub_store *st)
{
	int64_t minute = hs->now / MINUTE_MS;
	struct proto_stats_sample s;

	if (minute == hs->minute)
		return 0;
	if (!hs->minute) {
		/* A restarted hub shows the hour before it. */
		json_t *rows = hub_store_rows(st, SQL_SAMPLES, "i", minute - HUB_STATS_HISTORY), *r;
		size_t i;
		if (!rows)
			return -1;
		json_array_foreach(rows, i, r) {
			if (jint(r, "minute") >= minute)
				break;
			memset(&s, 0, sizeof s);
			s.at = jint(r, "minute") * MINUTE_MS;
			s.urgent = jint(r, "urgent");
			s.high = jint(r, "high");
			s.normal = jint(r, "normal");
			s.low = jint(r, "low");
			hs_hist_push(hs, &s);
		}
		json_decref(rows);
	}
	memset(&s, 0, sizeof s);
	s.at = minute * MINUTE_MS;
	s.urgent = hs->queue[PROTO_PRIO_URGENT];
	s.high = hs->queue[PROTO_PRIO_HIGH];
	s.normal = hs->queue[PROTO_PRIO_NORMAL];
	s.low = hs->queue[PROTO_PRIO_LOW];
	if (hub_store_exec(st, SQL_SAMPLE_PUT, "iiiii", minute, s.urgent, s.high, s.normal, s.low) < 0 ||
	    hub_store_exec(st, SQL_SAMPLE_PRUNE, "i", minute - 24 * 60) < 0)
		return -1;
	/* Minutes the hub was down stay out: the sparkline shows what was measured. */
	hs_hist_push(hs, &s);
	hs->minute = minute;
	hs->hist_changed = true;
	return 0;
}

/* ---- approvals ---- */

static int hs_past_cmp(int64_t a, int64_t b)
{
	return a > b ? -1 : a < b;
}

static int hs_disc_cmp(const void *a, const void *b)
{
	return hs_past_cmp(((const struct proto_past_discount *)a)->at, ((const struct proto_past_discount *)b)->at);
}

static int hs_ret_cmp(const void *a, const void *b)
{
	return hs_past_cmp(((const struct proto_past_return *)a)->at, ((const struct proto_past_return *)b)->at);
}

static void hs_ctx_fill(struct hub_store *st, struct proto_arena *ar, struct proto_approval_ctx *c,
			json_t *row)
{
	const char *cust = json_string_value(json_object_get(row, "customer"));
	json_t *params = NULL, *crow = NULL, *orow = NULL, *cj = NULL;
	struct proto_customer cu;
	struct proto_err perr;
	const char *order;

	params = json_loads(hs_str(row, "params", "{}"), 0, NULL);
	order = json_string_value(json_object_get(params, "order"));
	if (order && hub_store_row(st, &orow, SQL_ORDER, "s", order) == 1) {
		c->order_total_minor = jint(orow, "total_minor");
		c->currency = proto_arena_strdup(ar, json_string_value(json_object_get(orow, "currency")));
		PROTO_SET(c, approval_ctx, order_total_minor);
	}
	if (!cust || hub_store_row(st, &crow, SQL_CUSTOMER, "s", cust) != 1)
		goto out;
	cj = json_loads(hs_str(crow, "json", "null"), 0, NULL);
	memset(&cu, 0, sizeof cu);
	if (!cj || proto_decode(ar, &proto_type_customer, cj, &cu, "customer", &perr) < 0) {
		log_warn("stats: customer %s: stored record unreadable: %s", cust, cj ? perr.msg : "not JSON");
		goto out;
	}
	c->customer = cu.name;
	c->tier = cu.tier;
	/* The newest few: what a decision needs, and frames stay small. */
	if (cu.discounts.n > 1)
		qsort(cu.discounts.v, cu.discounts.n, sizeof *cu.discounts.v, hs_disc_cmp);
	if (cu.returns.n > 1)
		qsort(cu.returns.v, cu.returns.n, sizeof *cu.returns.v, hs_ret_cmp);
	c->discounts = cu.discounts;
	c->returns = cu.returns;
	if (c->discounts.n > HUB_STATS_CTX_PAST)
		c->discounts.n = HUB_STATS_CTX_PAST;
	if (c->returns.n > HUB_STATS_CTX_PAST)
		c->returns.n = HUB_STATS_CTX_PAST;
	/* An empty history is news too: "never had a discount". */
	PROTO_SET(c, approval_ctx, discounts);
	PROTO_SET(c, approval_ctx, returns);
out:
	json_decref(params);
	json_decref(crow);
	json_decref(orow);
	json_decref(cj);
}

static int hs_approvals(struct hub_stats *hs, struct hub_store *st)
{
	json_t *rows = hub_store_rows(st, SQL_PENDING, ""), *r;
	size_t i, n;
	bool same;

	if (!rows)
		return -1;
	n = json_array_size(rows);
	hs->approvals_pending = (int64_t)n;
	same = n == hs->nap;
	for (i = 0; same && i < n; i++)
		same = jint(json_array_get(rows, i), "n") == hs->ap_ids[i];
	if (same) {
		json_decref(rows);
		return 0;
	}
	hs->ap_ids = xrealloc(hs->ap_ids, (n + 1) * sizeof *hs->ap_ids);
	hs->nap = n;
	proto_arena_free(hs->ctx_arena);
	hs->ctx_arena = proto_arena_new();
	hs->nctx = n < HUB_STATS_CTX_MAX ? n : HUB_STATS_CTX_MAX;
	hs->ctx = proto_arena_alloc(hs->ctx_arena, (hs->nctx + 1) * sizeof *hs->ctx);
	json_array_foreach(rows, i, r) {
		hs->ap_ids[i] = jint(r, "n");
		if (i >= hs->nctx)
			continue;
		char id[32];
		snprintf(id, sizeof id, "ap-%lld", (long long)hs->ap_ids[i]);
		hs->ctx[i].approval = proto_arena_strdup(hs->ctx_arena, id);
		hs_ctx_fill(st, hs->ctx_arena, &hs->ctx[i], r);
	}
	json_decref(rows);
	hs->ctx_changed = true;
	return 0;
}

/* ---- the tick ---- */

int hub_stats_update(struct hub_stats *hs, struct hub_store *st,
		     const struct hub_stats_agent *agents, size_t n, int64_t now_ms,
		     char *err, size_t errlen)
{
	int64_t day = now_ms / DAY_MS, day0 = day * DAY_MS, passed = 0;

	hs->now = now_ms;
	if (day != hs->day) {
		if (hs_day_start(hs, st, day0) < 0)
			goto fail;
		hs->day = day;
	}
	if (hs_handbacks(hs, st) < 0 || hs_new_convs(hs, st, day0) < 0 || hs_new_msgs(hs, st) < 0)
		goto fail;
	if (hs->ready && now_ms > hs->hw_sla) {
		if (hub_store_int(st, &passed, SQL_SLA_PASSED, "ii", hs->hw_sla, now_ms) < 0)
			goto fail;
		hs->breached_today += passed;
		hs->hw_sla = now_ms;
	}
	if (hs_queue(hs, st) < 0 || hs_active(hs, st) < 0 || hs_approvals(hs, st) < 0)
		goto fail;
	hs_statuses(hs, agents, n);
	if (hs_sample(hs, st) < 0)
		goto fail;
	if (hs->nsorted != hs->nag) {
		qsort(hs->ag, hs->nag, sizeof *hs->ag, hs_agent_cmp);
		hs->nsorted = hs->nag;
	}
	hs->ready = true;
	return 0;
fail:
	snprintf(err, errlen, "stats: the store could not be read (%s); the previous figures stay",
		 hub_store_errmsg(st));
	return -1;
}

void hub_stats_totals(const struct hub_stats *hs, struct hub_stats_totals *out)
{
	memset(out, 0, sizeof *out);
	memcpy(out->queue, hs->queue, sizeof out->queue);
	out->oldest_wait_s = hs->oldest_wait_s;
	out->sla_breached = hs->sla_breached;
	out->sla_breached_today = hs->breached_today;
	out->online = hs->online;
	out->away = hs->away;
	out->offline = hs->offline;
	out->handled_today = hs->handled;
	out->aht_s = hs->handled ? hs->handle_ms / hs->handled / 1000 : 0;
	out->approvals_pending = hs->approvals_pending;
	memcpy(out->by_reason, hs->by_reason, sizeof out->by_reason);
}

/* ---- frames ---- */

static void hs_agent_stat(struct proto_agent_stat *o, const struct hs_agent *a)
{
	o->id = a->id;		/* the encoder only reads; the frame is encoded before the next update */
	o->status = a->status;
	o->active = a->active;
	o->handled_today = a->handled;
	PROTO_SET(o, agent_stat, status);
	PROTO_SET(o, agent_stat, active);
	PROTO_SET(o, agent_stat, handled_today);
	if (a->last_msg_at)
		o->last_msg_at = a->last_msg_at;
	else
		PROTO_SET_NULL(o, agent_stat, last_msg_at);
}

struct proto_frame *hub_stats_frame(struct hub_stats *hs, bool full, size_t page)
{
	struct proto_frame *f;
	struct proto_stats *s;
	struct hub_stats_totals t;
	size_t npages = (hs->nag + HUB_STATS_AGENTS_PER_FRAME - 1) / HUB_STATS_AGENTS_PER_FRAME;

	if (!hs->ready || (full && page > npages))
		return NULL;
	hub_stats_totals(hs, &t);
	f = proto_frame_new(PROTO_FRAME_STATS);
	s = &f->u.stats;
	s->queue = PROTO_NEW(f->arena, queue_counts);
	s->queue->urgent = t.queue[PROTO_PRIO_URGENT];
	s->queue->high = t.queue[PROTO_PRIO_HIGH];
	s->queue->normal = t.queue[PROTO_PRIO_NORMAL];
	s->queue->low = t.queue[PROTO_PRIO_LOW];
	s->oldest_wait_s = t.oldest_wait_s;
	s->sla_breached = t.sla_breached;
	s->agents = PROTO_NEW(f->arena, agent_counts);
	s->agents->online = t.online;
	s->agents->away = t.away;
	s->agents->offline = t.offline;
	PROTO_SET(s->agents, agent_counts, offline);
	s->handled_today = t.handled_today;
	s->aht_s = t.aht_s;
	s->sla_breached_today = t.sla_breached_today;
	PROTO_SET(s, stats, sla_breached_today);
	s->approvals_pending = t.approvals_pending;
	PROTO_SET(s, stats, approvals_pending);
	s->by_reason = PROTO_NEW(f->arena, reason_counts);
	s->by_reason->discount_request = t.by_reason[PROTO_REASON_DISCOUNT_REQUEST];
	s->by_reason->return_dispute = t.by_reason[PROTO_REASON_RETURN_DISPUTE];
	s->by_reason->fraud_claim = t.by_reason[PROTO_REASON_FRAUD_CLAIM];
	s->by_reason->order_problem = t.by_reason[PROTO_REASON_ORDER_PROBLEM];
	s->by_reason->low_confidence = t.by_reason[PROTO_REASON_LOW_CONFIDENCE];
	s->by_reason->customer_request = t.by_reason[PROTO_REASON_CUSTOMER_REQUEST];
	s->by_reason->complaint = t.by_reason[PROTO_REASON_COMPLAINT];
	s->by_reason->other = t.by_reason[PROTO_REASON_OTHER];
	if ((full && page == 0) || (!full && hs->hist_changed)) {
		s->history.v = hs->hist;	/* read only by the encoder */
		s->history.n = hs->nhist;
		PROTO_SET(s, stats, history);
	}
	if ((full && page == 0) || (!full && hs->ctx_changed)) {
		s->approval_ctx.v = hs->ctx;
		s->approval_ctx.n = hs->nctx;
		PROTO_SET(s, stats, approval_ctx);
	}
	if (full && page > 0) {
		size_t from = (page - 1) * HUB_STATS_AGENTS_PER_FRAME, k = 0;
		s->agent_stats.v = proto_arena_alloc(f->arena, HUB_STATS_AGENTS_PER_FRAME * sizeof *s->agent_stats.v);
		for (size_t i = from; i < hs->nag && k < HUB_STATS_AGENTS_PER_FRAME; i++)
			hs_agent_stat(&s->agent_stats.v[k++], &hs->ag[i]);
		s->agent_stats.n = k;
	} else if (!full) {
		size_t k = 0;
		for (size_t i = 0; i < hs->nag && k < HUB_STATS_AGENTS_PER_FRAME; i++) {
			if (!hs->ag[i].pending)
				continue;
			if (!s->agent_stats.v)
				s->agent_stats.v = proto_arena_alloc(f->arena, HUB_STATS_AGENTS_PER_FRAME *
								     sizeof *s->agent_stats.v);
			hs_agent_stat(&s->agent_stats.v[k++], &hs->ag[i]);
			/* Beyond a frame's worth the rest wait for the next tick. */
			hs->ag[i].pending = false;
		}
		s->agent_stats.n = k;
		hs->hist_changed = false;
		hs->ctx_changed = false;
	}
	return f;
}
