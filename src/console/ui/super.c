/*
 * super.c: what the supervisor screen keeps from stats frames beyond the
 * model, and the sparkline. Pure (no curses), so the tests and the
 * benchmark use it without a terminal.
 */
#include "baton/ui.h"

#include <stdlib.h>
#include <string.h>

#include "baton/common.h"
#include "baton/model.h"
#include "baton/proto.h"
#include "baton/text.h"

void ui_super_init(struct ui_super *s)
{
	memset(s, 0, sizeof(*s));
}

void ui_super_free(struct ui_super *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->nag; i++)
		free(s->ag[i].id);
	free(s->ag);
	proto_arena_free(s->ctx_arena);
	memset(s, 0, sizeof(*s));
}

static int ui_super_agent_cmp(const void *a, const void *b)
{
	return strcmp(((const struct ui_super_agent *)a)->id, ((const struct ui_super_agent *)b)->id);
}

const struct ui_super_agent *ui_super_agent(const struct ui_super *s, const char *id)
{
	struct ui_super_agent key = { .id = (char *)id };

	if (!s->nag || !id)
		return NULL;
	return bsearch(&key, s->ag, s->nag, sizeof(*s->ag), ui_super_agent_cmp);
}

const struct proto_approval_ctx *ui_super_ctx(const struct ui_super *s, const char *approval)
{
	for (size_t i = 0; approval && i < s->nctx; i++)
		if (s->ctx[i].approval && strcmp(s->ctx[i].approval, approval) == 0)
			return &s->ctx[i];
	return NULL;
}

static void ui_super_history(struct ui_super *s, const struct proto_stats_sample_arr *h)
{
	/* The newest UI_SUPER_HISTORY samples. */
	size_t from = h->n > UI_SUPER_HISTORY ? h->n - UI_SUPER_HISTORY : 0;

	s->nhist = 0;
	for (size_t i = from; i < h->n; i++) {
		const struct proto_stats_sample *x = &h->v[i];
		s->hist_at[s->nhist] = x->at;
		s->hist[PROTO_PRIO_URGENT][s->nhist] = x->urgent;
		s->hist[PROTO_PRIO_HIGH][s->nhist] = x->high;
		s->hist[PROTO_PRIO_NORMAL][s->nhist] = x->normal;
		s->hist[PROTO_PRIO_LOW][s->nhist] = x->low;
		s->nhist++;
	}
}

static void ui_super_agents(struct ui_super *s, const struct proto_agent_stat_arr *a)
{
	size_t nsorted = s->nag;
	bool added = false;

	for (size_t i = 0; i < a->n; i++) {
		const struct proto_agent_stat *x = &a->v[i];
		struct ui_super_agent key, *g;
		char *clean;
		if (!x->id)
			continue;
		/* Keyed by the cleaned id: the same one whatever arrives. */
		clean = text_sanitize_line(x->id, strlen(x->id), NULL);
		key.id = clean;
		g = nsorted ? bsearch(&key, s->ag, nsorted, sizeof(*s->ag), ui_super_agent_cmp) : NULL;
		for (size_t k = nsorted; !g && k < s->nag; k++)
			if (strcmp(s->ag[k].id, clean) == 0)
				g = &s->ag[k];
		if (!g) {
			if (s->nag == s->capag) {
				s->capag = s->capag ? s->capag * 2 : 64;
				s->ag = xrealloc(s->ag, s->capag * sizeof(*s->ag));
			}
			g = &s->ag[s->nag++];
			memset(g, 0, sizeof(*g));
			g->id = clean;
			clean = NULL;
			g->status = PROTO_PRES_OFFLINE;
			added = true;
		}
		free(clean);
		if (PROTO_HAS(x, agent_stat, status))
			g->status = x->status;
		if (PROTO_HAS(x, agent_stat, active))
			g->active = x->active;
		if (PROTO_HAS(x, agent_stat, handled_today))
			g->handled = x->handled_today;
		if (PROTO_HAS(x, agent_stat, last_msg_at))
			g->last_msg_at = PROTO_IS_NULL(x, agent_stat, last_msg_at) ? 0 : x->last_msg_at;
	}
	if (added)
		qsort(s->ag, s->nag, sizeof(*s->ag), ui_super_agent_cmp);
}

static void ui_super_ctxs(struct ui_super *s, const struct proto_approval_ctx_arr *c)
{
	proto_arena_free(s->ctx_arena);
	s->ctx_arena = proto_arena_new();
	s->ctx = proto_arena_alloc(s->ctx_arena, (c->n + 1) * sizeof(*s->ctx));
	s->nctx = 0;
	for (size_t i = 0; i < c->n; i++) {
		struct proto_approval_ctx *x = PROTO_CLONE(s->ctx_arena, approval_ctx, &c->v[i]);
		/* Names and codes come from customers' data: clean them here too. */
		model_sanitize_obj(s->ctx_arena, &proto_type_approval_ctx, x);
		s->ctx[s->nctx++] = *x;
	}
}

void ui_super_apply(struct ui_super *s, const struct proto_stats *st)
{
	if (PROTO_HAS(st, stats, history))
		ui_super_history(s, &st->history);
	if (st->by_reason) {
		const struct proto_reason_counts *r = st->by_reason;
		s->has_by_reason = true;
		s->by_reason[PROTO_REASON_DISCOUNT_REQUEST] = r->discount_request;
		s->by_reason[PROTO_REASON_RETURN_DISPUTE] = r->return_dispute;
		s->by_reason[PROTO_REASON_FRAUD_CLAIM] = r->fraud_claim;
		s->by_reason[PROTO_REASON_ORDER_PROBLEM] = r->order_problem;
		s->by_reason[PROTO_REASON_LOW_CONFIDENCE] = r->low_confidence;
		s->by_reason[PROTO_REASON_CUSTOMER_REQUEST] = r->customer_request;
		s->by_reason[PROTO_REASON_COMPLAINT] = r->complaint;
		s->by_reason[PROTO_REASON_OTHER] = r->other;
	}
	s->sla_breached_today = st->sla_breached_today;
	s->approvals_pending = st->approvals_pending;
	if (st->agent_stats.n)
		ui_super_agents(s, &st->agent_stats);
	if (PROTO_HAS(st, stats, approval_ctx))
		ui_super_ctxs(s, &st->approval_ctx);
	s->version++;
}

/* ---- sparkline ---- */

size_t ui_sparkline(const int64_t *v, size_t n, size_t cells, bool utf8, char *out, size_t outsz)
{
	static const char ascii[] = "_.:-=+*#";
	int64_t max = 0;
	size_t k = 0, pos = 0;

	if (!outsz)
		return 0;
	out[0] = '\0';
	if (!n || !cells)
		return 0;
	if (cells > n)
		cells = n;
	for (size_t i = 0; i < n; i++)
		if (v[i] > max)
			max = v[i];
	for (k = 0; k < cells; k++) {
		/* Cell k covers v[lo, hi): every sample lands in exactly one cell. */
		size_t lo = k * n / cells, hi = (k + 1) * n / cells;
		int64_t b = 0;
		int level;
		for (size_t i = lo; i < hi; i++)
			if (v[i] > b)
				b = v[i];
		/* 0 is the lowest bar; any non-zero value at least the second. */
		level = max <= 0 || b <= 0 ? 0 : 1 + (int)((b * 7 - 1) / max);
		if (level > 7)
			level = 7;
		if (utf8) {
			if (pos + 4 > outsz)
				break;
			out[pos++] = (char)0xe2;
			out[pos++] = (char)0x96;
			out[pos++] = (char)(0x81 + level);
		} else {
			if (pos + 2 > outsz)
				break;
			out[pos++] = ascii[level];
		}
	}
	out[pos] = '\0';
	return k;
}
