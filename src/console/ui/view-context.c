/*
 * view-context.c: what the agent needs to know before answering: the
 * bot's summary, what it tried and how that went, why it escalated, and
 * the customer (tier, value, orders with items, status and tracking, past
 * contacts, discounts and returns).
 *
 * The text is built as labelled paragraphs, wrapped to the pane, and
 * scrolled with j/k when the pane has the focus.
 */
#include "ui-internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "baton/text.h"

struct view_ctx_par {
	char *text;		/* sanitized */
	size_t lead;		/* label bytes */
	int lslot, slot, indent;
	bool sla;		/* the SLA countdown (view_context_sla) */
};

struct view_ctx {
	struct view_ctx_par *v;
	size_t n, cap;
};

static void view_ctx_add(struct view_ctx *x, int indent, int lslot, const char *label, int slot,
			 const char *fmt, ...) BATON_PRINTF(6, 7);
static void view_ctx_add(struct view_ctx *x, int indent, int lslot, const char *label, int slot,
			 const char *fmt, ...)
{
	struct strbuf sb = STRBUF_INIT;
	struct view_ctx_par *p;
	va_list ap;
	char *l, *r;
	size_t llen;

	va_start(ap, fmt);
	sb_vaddf(&sb, fmt, ap);
	va_end(ap);
	if (x->n == x->cap) {
		x->cap = x->cap ? x->cap * 2 : 32;
		x->v = xrealloc(x->v, x->cap * sizeof(*x->v));
	}
	p = &x->v[x->n++];
	l = text_sanitize_line(label ? label : "", label ? strlen(label) : 0, &llen);
	r = text_sanitize(sb_str(&sb), sb.len, NULL);
	p->text = xasprintf("%s%s", l, r);
	p->lead = llen;
	p->lslot = lslot;
	p->slot = slot;
	p->indent = indent;
	p->sla = false;
	free(l);
	free(r);
	sb_free(&sb);
}

static void view_ctx_heading(struct view_ctx *x, const char *h)
{
	view_ctx_add(x, 0, THEME_CTX_HEADING, h, THEME_CTX_HEADING, "%s", "");
}

static int view_ctx_outcome_slot(const char *o)
{
	static const char *const bad[] = { "declined", "failed", "rejected", "refused", "error",
					   "unresolved", "denied", "no" };
	static const char *const good[] = { "accepted", "ok", "resolved", "done", "success",
					    "applied", "yes" };

	for (size_t i = 0; o && i < BATON_ARRAY_LEN(bad); i++)
		if (strcasecmp(o, bad[i]) == 0)
			return THEME_CTX_BAD;
	for (size_t i = 0; o && i < BATON_ARRAY_LEN(good); i++)
		if (strcasecmp(o, good[i]) == 0)
			return THEME_CTX_GOOD;
	return THEME_CTX_VALUE;
}

/* A queued conversation's SLA runs: it counts down every second. */
static bool view_ctx_sla_runs(const struct proto_conversation *cv)
{
	return cv->sla_due_at && cv->state == PROTO_STATE_QUEUED;
}

/*
 * "in 4:07" or "passed 1h05 ago" while the conversation waits in the queue.
 * The SLA is the time to be claimed: once claimed it is decided, so the line
 * says when it was due ("due 03:12") and stays still, rather than counting
 * down a deadline nobody has any more (and rewriting the pane every second).
 */
static void view_ctx_sla_text(const struct ui *ui, const struct proto_conversation *cv, char *out,
			      size_t size)
{
	int64_t left = (cv->sla_due_at - ui->now) / 1000;
	char w[32];

	if (!view_ctx_sla_runs(cv)) {
		if (left > 20 * 3600 || left < -20 * 3600)
			ui_fmt_date(cv->sla_due_at, w, sizeof(w));
		else
			ui_fmt_hm(cv->sla_due_at, w, sizeof(w));
		snprintf(out, size, "due %s", w);
		return;
	}

	ui_fmt_wait(left < 0 ? -left : left, w, sizeof(w));
	snprintf(out, size, left < 0 ? "passed %s ago" : "in %s", w);
}

static void view_ctx_build(struct ui *ui, const struct proto_conversation *cv,
			   const struct model_qitem *q, struct view_ctx *x)
{
	const struct proto_escalation *e = cv ? cv->escalation : NULL;
	const struct proto_customer *cu = cv ? cv->customer : NULL;
	char a[64], b[64];

	if (!cv && !q) {
		view_ctx_add(x, 1, THEME_CTX_LABEL, "", THEME_CTX_LABEL, "%s",
			     "The selected conversation's summary, what the bot tried and the "
			     "customer's orders show here.");
		return;
	}
	/* Who. */
	if (cu) {
		struct strbuf sb = STRBUF_INIT;
		sb_addf(&sb, "%s", cu->name);
		if (cu->tier)
			sb_addf(&sb, "  %s", cu->tier);
		if (cu->since) {
			ui_fmt_date(cu->since, a, sizeof(a));
			sb_addf(&sb, "  customer since %s", a);
		}
		if (PROTO_HAS(cu, customer, lifetime_value_minor)) {
			ui_fmt_money(cu->lifetime_value_minor, cu->currency, a, sizeof(a));
			sb_addf(&sb, "  lifetime value %s", a);
		}
		view_ctx_add(x, 0, THEME_CTX_HEADING, "", THEME_CTX_HEADING, "%s", sb_str(&sb));
		if (cu->email)
			view_ctx_add(x, 1, THEME_CTX_LABEL, "email ", THEME_CTX_VALUE, "%s", cu->email);
		sb_free(&sb);
	} else if (q) {
		view_ctx_add(x, 0, THEME_CTX_HEADING, "", THEME_CTX_HEADING, "%s%s%s", q->customer,
			     q->tier[0] ? "  " : "", q->tier);
	}
	/* Why. */
	{
		int reason = e && e->reason ? e->reason->code : q ? q->reason : PROTO_UNKNOWN;
		const char *rtext = e && e->reason ? e->reason->text : q ? q->reason_text : NULL;
		bool hc = e ? PROTO_HAS(e, escalation, confidence) && !PROTO_IS_NULL(e, escalation, confidence)
			    : q && q->has_confidence;
		bool hs = e ? PROTO_HAS(e, escalation, sentiment) && !PROTO_IS_NULL(e, escalation, sentiment)
			    : q && q->has_sentiment;
		double conf = e ? e->confidence : q ? q->confidence : 0;
		double sent = e ? e->sentiment : q ? q->sentiment : 0;

		a[0] = '\0';
		if (hc)
			snprintf(a, sizeof(a), "  confidence %.2f", conf);
		snprintf(b, sizeof(b), "  sentiment %+.2f", sent);
		view_ctx_add(x, 1, THEME_CTX_LABEL, "why ", hs && sent < -0.1 ? THEME_SENTIMENT_NEG :
			     THEME_CTX_VALUE, "%s%s%s%s%s",
			     reason >= 0 ? PROTO_ENUM_STR(reason_code, reason) : "?",
			     rtext && *rtext ? ": " : "", rtext ? rtext : "", a, hs ? b : "");
	}
	if (cv) {
		struct strbuf sb = STRBUF_INIT;
		sb_addf(&sb, "%s  %s  %s", cv->id, PROTO_ENUM_STR(priority, cv->priority),
			PROTO_ENUM_STR(channel, cv->channel));
		if (cv->language)
			sb_addf(&sb, "  %s", cv->language);
		if (cv->assignee)
			sb_addf(&sb, "  with %s", cv->assignee);
		view_ctx_add(x, 1, THEME_CTX_LABEL, "conv ", THEME_CTX_VALUE, "%s", sb_str(&sb));
		sb_free(&sb);
		/* A line of its own: the tick rewrites this value, nothing else. */
		if (cv->sla_due_at) {
			view_ctx_sla_text(ui, cv, a, sizeof(a));
			view_ctx_add(x, 1, THEME_CTX_LABEL, "SLA ", THEME_CTX_VALUE, "%s", a);
			x->v[x->n - 1].sla = view_ctx_sla_runs(cv);
		}
	}
	if (e && e->summary && *e->summary) {
		view_ctx_heading(x, "Bot's summary");
		view_ctx_add(x, 1, THEME_CTX_LABEL, "", THEME_CTX_VALUE, "%s", e->summary);
	}
	if (e && e->attempted.n) {
		view_ctx_heading(x, "What the bot tried");
		for (size_t i = 0; i < e->attempted.n; i++) {
			const struct proto_attempt *t = &e->attempted.v[i];
			view_ctx_add(x, 1, view_ctx_outcome_slot(t->outcome), t->outcome,
				     THEME_CTX_VALUE, "  %s%s%s", t->step, t->detail ? " - " : "",
				     t->detail ? t->detail : "");
		}
	}
	if (cu && cu->orders.n) {
		view_ctx_heading(x, "Orders");
		for (size_t i = 0; i < cu->orders.n; i++) {
			const struct proto_order *o = &cu->orders.v[i];
			struct strbuf sb = STRBUF_INIT;
			ui_fmt_date(o->placed_at, a, sizeof(a));
			ui_fmt_money(o->total_minor, o->currency, b, sizeof(b));
			sb_addf(&sb, " %s  %s  %s", a, o->status, b);
			if (o->delivered_at) {
				ui_fmt_date(o->delivered_at, a, sizeof(a));
				sb_addf(&sb, "  delivered %s", a);
			}
			if (o->tracking)
				sb_addf(&sb, "  tracking %s%s%s", o->tracking, o->carrier ? " " : "",
					o->carrier ? o->carrier : "");
			view_ctx_add(x, 1, THEME_CTX_VALUE, o->id, THEME_CTX_LABEL, "%s", sb_str(&sb));
			sb_free(&sb);
			for (size_t k = 0; k < o->items.n; k++) {
				const struct proto_item *it = &o->items.v[k];
				ui_fmt_money(it->price_minor, o->currency, b, sizeof(b));
				view_ctx_add(x, 3, THEME_CTX_VALUE, "", THEME_CTX_VALUE,
					     "%lldx %s  %s  %s", (long long)it->qty, it->name, it->sku, b);
			}
		}
	}
	if (cu && cu->contacts.n) {
		view_ctx_heading(x, "Past contacts");
		for (size_t i = 0; i < cu->contacts.n; i++) {
			const struct proto_contact *c = &cu->contacts.v[i];
			ui_fmt_date(c->at, a, sizeof(a));
			view_ctx_add(x, 1, THEME_CTX_LABEL, a, THEME_CTX_VALUE, " %s: %s%s%s",
				     c->channel, c->summary, c->outcome ? " - " : "",
				     c->outcome ? c->outcome : "");
		}
	}
	if (cu && cu->discounts.n) {
		view_ctx_heading(x, "Past discounts");
		for (size_t i = 0; i < cu->discounts.n; i++) {
			const struct proto_past_discount *d = &cu->discounts.v[i];
			ui_fmt_date(d->at, a, sizeof(a));
			if (d->amount_minor)
				ui_fmt_money(d->amount_minor, d->currency, b, sizeof(b));
			else
				snprintf(b, sizeof(b), "%lld%%", (long long)d->percent);
			view_ctx_add(x, 1, THEME_CTX_LABEL, a, THEME_CTX_VALUE, " %s  %s%s%s", b,
				     d->code, d->order ? "  on " : "", d->order ? d->order : "");
		}
	}
	if (cu && cu->returns.n) {
		view_ctx_heading(x, "Past returns");
		for (size_t i = 0; i < cu->returns.n; i++) {
			const struct proto_past_return *r = &cu->returns.v[i];
			ui_fmt_date(r->at, a, sizeof(a));
			view_ctx_add(x, 1, THEME_CTX_LABEL, a, THEME_CTX_VALUE, " %s  %s  %s", r->rma,
				     r->order, r->status);
		}
	}
	if (cv && cv->actions.n) {
		view_ctx_heading(x, "Actions here");
		for (size_t i = 0; i < cv->actions.n; i++) {
			const struct proto_action *ac = &cv->actions.v[i];
			view_ctx_add(x, 1, ac->status == PROTO_ACTST_APPLIED ? THEME_CTX_GOOD :
				     THEME_CTX_BAD, PROTO_ENUM_STR(action_status, ac->status),
				     THEME_CTX_VALUE, "  %s%s%s%s%s", PROTO_ENUM_STR(action_kind, ac->kind),
				     ac->result && ac->result->code ? " " : "",
				     ac->result && ac->result->code ? ac->result->code : "",
				     ac->result && ac->result->rma ? " " : "",
				     ac->result && ac->result->rma ? ac->result->rma : "");
		}
	}
}

void view_context_draw(struct ui *ui)
{
	struct model *m = ui_model(ui);
	WINDOW *w = ui->pw[UI_PANE_CONTEXT].body;
	struct model_conv *c = model_selected(m);
	struct model_qitem *q = m->sel[0] ? model_queue_find(m, m->sel) : NULL;
	struct view_ctx x = { 0 };
	struct text_line *tl = NULL;
	size_t ntl = 0, row = 0;
	int h, width;

	if (!w)
		return;
	getmaxyx(w, h, width);
	ui_draw_title(ui, ui->pw[UI_PANE_CONTEXT].title, "Context", ui->focus == UI_PANE_CONTEXT);
	werase(w);
	ui->ctx_sla_y = -1;
	view_ctx_build(ui, c ? c->conv : NULL, q, &x);
	for (size_t i = 0; i < x.n; i++) {
		struct view_ctx_par *p = &x.v[i];
		size_t len = strlen(p->text), need;
		/* Continuation lines are indented two more: wrap for those. */
		int cols = width - 1 - p->indent - 2;

		if (cols < 4)
			cols = 4;
		need = text_wrap(p->text, len, (size_t)cols, NULL, 0);
		if (need > ntl) {
			ntl = need;
			tl = xrealloc(tl, ntl * sizeof(*tl));
		}
		text_wrap(p->text, len, (size_t)cols, tl, need);
		if (p->lslot == THEME_CTX_HEADING && i > 0)
			row++;	/* a blank line before each heading */
		for (size_t k = 0; k < need; k++, row++) {
			long y = (long)row - ui->ctx_top;
			size_t lead = p->lead > tl[k].off ? p->lead - tl[k].off : 0;
			int xcol = p->indent + (k ? 2 : 0), used;
			if (lead > tl[k].len)
				lead = tl[k].len;
			if (y < 0 || y >= h)
				continue;
			wmove(w, (int)y, xcol);
			used = ui_draw(ui, w, p->lslot, p->text + tl[k].off, lead, width - 1 - xcol);
			ui_draw(ui, w, p->slot, p->text + tl[k].off + lead, tl[k].len - lead,
				width - 1 - xcol - used);
			if (p->sla && need == 1 && lead == p->lead) {
				ui->ctx_sla_y = (int)y;
				ui->ctx_sla_x = xcol + used;
				ui->ctx_sla_w = width - 1 - xcol - used;
			}
		}
	}
	ui->ctx_nlines = row;
	for (size_t i = 0; i < x.n; i++)
		free(x.v[i].text);
	free(x.v);
	free(tl);
}

bool view_context_sla(struct ui *ui)
{
	WINDOW *w = ui->pw[UI_PANE_CONTEXT].body;
	struct model_conv *c = model_selected(ui_model(ui));
	char a[64];

	if (!w || ui->ctx_sla_y < 0 || !c || !c->conv || !view_ctx_sla_runs(c->conv))
		return false;
	view_ctx_sla_text(ui, c->conv, a, sizeof(a));
	if ((int)text_width(a, strlen(a)) > ui->ctx_sla_w)
		return false;
	wmove(w, ui->ctx_sla_y, ui->ctx_sla_x);
	ui_draw(ui, w, THEME_CTX_VALUE, a, strlen(a), ui->ctx_sla_w);
	/* "in 10:00" -> "in 9:59": the cell left over is cleared with the
	 * plain blank, which ncurses sends as one erase. */
	wattrset(w, ui->blank);
	wclrtoeol(w);
	return true;
}

void view_context_scroll(struct ui *ui, int delta)
{
	int h = ui->pw[UI_PANE_CONTEXT].body ? getmaxy(ui->pw[UI_PANE_CONTEXT].body) : 0;
	long max = (long)ui->ctx_nlines - h;

	ui->ctx_top += delta;
	if (ui->ctx_top > max)
		ui->ctx_top = max > 0 ? (int)max : 0;
	if (ui->ctx_top < 0)
		ui->ctx_top = 0;
	ui->dirty |= UI_D_CONTEXT;
}
