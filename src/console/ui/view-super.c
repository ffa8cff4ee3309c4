/*
 * view-super.c: the supervisor screen — queue health with sparklines,
 * pending approvals with the customer's history, agents with idle flags.
 *
 * It takes the whole area above the compose line and is redrawn whole when
 * anything it shows changed (a stats frame, once a second at most, or an
 * event); curses sends only the cells that differ, so a tick where one
 * number changed costs a few bytes. Every string goes through ui_draw*
 * (sanitized again, widths from text.h).
 */
#include "ui-internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "baton/text.h"

static const char *const vs_prio_names[4] = { "urgent", "high", "normal", "low" };
static const int vs_prio_slots[4] = { THEME_QUEUE_URGENT, THEME_QUEUE_HIGH, THEME_QUEUE_NORMAL,
				      THEME_QUEUE_LOW };
static const char *const vs_reason_short[8] = {
	"discount", "return", "fraud", "order", "low confidence", "asked for a person",
	"complaint", "other",
};

/* Formats and draws in slot at the cursor, clipped to the window's width. */
static int vs_put(struct ui *ui, WINDOW *w, int slot, const char *fmt, ...) BATON_PRINTF(4, 5);

static int vs_put(struct ui *ui, WINDOW *w, int slot, const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	int room = getmaxx(w) - getcurx(w);

	if (room <= 0)
		return 0;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return ui_draws(ui, w, slot, buf, room);
}

/* Ends the current line in slot and moves to the next (if there is one). */
static bool vs_eol(struct ui *ui, WINDOW *w, int slot, int *y)
{
	ui_pad(ui, w, slot, getmaxx(w));
	(*y)++;
	if (*y >= getmaxy(w))
		return false;
	wmove(w, *y, 0);
	return true;
}

static void vs_heading(struct ui *ui, WINDOW *w, const char *text)
{
	int cols = getmaxx(w);

	wattrset(w, ui->attr[THEME_DIVIDER]);
	waddstr(w, "-- ");
	ui_draws(ui, w, THEME_CTX_HEADING, text, cols - 4);
	if (getcurx(w) < cols - 1)
		waddch(w, ' ');
	wattrset(w, ui->attr[THEME_DIVIDER]);
	while (getcurx(w) < cols - 1)
		waddch(w, '-');
	ui_pad(ui, w, THEME_NORMAL, cols);
}

/* ---- agents ---- */

int ui_super_idle_s(const struct ui *ui)
{
	return ui->sup_idle_s;	/* 0: nobody is flagged (supervisor.idle_s = 0) */
}

static int vs_row_cmp(const void *pa, const void *pb)
{
	const struct ui_super_row *a = pa, *b = pb;

	if (a->flagged != b->flagged)
		return a->flagged ? -1 : 1;
	if (a->flagged && a->last != b->last)
		return a->last < b->last ? -1 : 1;	/* idle longest first */
	if (a->status != b->status)
		return a->status < b->status ? -1 : 1;	/* online, away, offline */
	if (a->active != b->active)
		return a->active > b->active ? -1 : 1;
	return strcmp(a->id, b->id);
}

size_t ui_super_rows(struct ui *ui, int64_t now)
{
	const struct model *m = ui_model(ui);
	const struct ui_super *s = &ui->sup;
	size_t n = 0, want = m->nagents + s->nag;
	int idle_s = ui_super_idle_s(ui);
	int64_t idle_ms = (int64_t)idle_s * 1000;
	bool *used;

	if (want > ui->capsup_rows) {
		ui->capsup_rows = want + 16;
		ui->sup_rows = xrealloc(ui->sup_rows, ui->capsup_rows * sizeof(*ui->sup_rows));
	}
	used = xcalloc(s->nag + 1, sizeof(*used));
	/* Presence (live, from events) first, with the figures of the same agent. */
	for (size_t i = 0; i < m->nagents; i++) {
		const struct proto_presence *p = m->agents[i]->p;
		struct ui_super_row *r = &ui->sup_rows[n];
		const struct ui_super_agent *g;
		if (!p || !p->id || p->role == PROTO_ROLE_BOT)
			continue;
		g = ui_super_agent(s, p->id);
		memset(r, 0, sizeof(*r));
		r->id = p->id;
		r->name = p->name;
		r->status = p->status;
		r->active = (int64_t)p->active.n;
		if (g) {
			/* The hub's figures are a second old at most; a presence
			 * object's active list only changes with the agent's status. */
			used[g - s->ag] = true;
			r->handled = g->handled;
			r->last = g->last_msg_at;
			r->active = g->active;
		}
		n++;
	}
	/* Agents only the stats know (no presence event seen yet). */
	for (size_t i = 0; i < s->nag; i++) {
		struct ui_super_row *r = &ui->sup_rows[n];
		if (used[i])
			continue;
		memset(r, 0, sizeof(*r));
		r->id = s->ag[i].id;
		r->status = s->ag[i].status;
		r->active = s->ag[i].active;
		r->handled = s->ag[i].handled;
		r->last = s->ag[i].last_msg_at;
		n++;
	}
	free(used);
	for (size_t i = 0; i < n; i++) {
		struct ui_super_row *r = &ui->sup_rows[i];
		r->flagged = idle_s > 0 && r->active > 0 && r->last && now - r->last >= idle_ms;
	}
	if (n > 1)
		qsort(ui->sup_rows, n, sizeof(*ui->sup_rows), vs_row_cmp);
	ui->nsup_rows = n;
	return n;
}

/* ---- approvals ---- */

size_t ui_super_pending(const struct ui *ui, const struct model_approval **out, size_t max)
{
	const struct model *m = ui_model(ui);
	size_t n = 0;

	for (size_t i = 0; i < m->napprovals; i++) {
		const struct model_approval *a = m->approvals[i];
		if (!a->a || a->a->state != PROTO_APPR_PENDING)
			continue;
		if (out && n < max)
			out[n] = a;
		n++;
	}
	return n;
}

/* "30%" or "25.00 EUR" for an approval's params. */
static void vs_amount(const struct proto_action_params *p, char *out, size_t n)
{
	if (!p)
		snprintf(out, n, "?");
	else if (p->percent)
		snprintf(out, n, "%lld%%", (long long)p->percent);
	else
		ui_fmt_money(p->amount_minor, p->currency, out, n);
}

static void vs_past(const struct proto_approval_ctx *c, struct strbuf *sb)
{
	char d[16], money[48];

	if (!c || !PROTO_HAS(c, approval_ctx, discounts)) {
		sb_adds(sb, "history: not known yet");
		return;
	}
	if (!c->discounts.n)
		sb_adds(sb, "no past discounts");
	for (size_t i = 0; i < c->discounts.n; i++) {
		const struct proto_past_discount *x = &c->discounts.v[i];
		ui_fmt_date(x->at, d, sizeof(d));
		if (x->percent)
			snprintf(money, sizeof(money), "%lld%%", (long long)x->percent);
		else
			ui_fmt_money(x->amount_minor, x->currency, money, sizeof(money));
		sb_addf(sb, "%s%s %s", i ? ", " : "discounts: ", money, d);
	}
	if (!c->returns.n)
		sb_adds(sb, "; no past returns");
	for (size_t i = 0; i < c->returns.n; i++) {
		const struct proto_past_return *x = &c->returns.v[i];
		ui_fmt_date(x->at, d, sizeof(d));
		sb_addf(sb, "%s%s %s %s", i ? ", " : "; returns: ", x->order, x->status, d);
	}
}

static bool vs_approval(struct ui *ui, WINDOW *w, int *y, const struct model_approval *ma, bool sel)
{
	const struct proto_approval *a = ma->a;
	const struct proto_approval_ctx *c = ui_super_ctx(&ui->sup, a->id);
	const char *cust = c && c->customer ? c->customer : ui_customer_name(ui, a->conv);
	char amount[48], total[48], left[16];
	struct strbuf sb = STRBUF_INIT;
	int slot = sel ? THEME_QUEUE_SELECTED : THEME_NORMAL;
	int64_t rest = a->expires_at ? (a->expires_at - ui->now) / 1000 : -1;

	vs_amount(a->params, amount, sizeof(amount));
	vs_put(ui, w, slot, "%s%-6s ", sel ? "> " : "  ", a->id);
	vs_put(ui, w, sel ? slot : THEME_MSG_AGENT, "%s", a->requested_by);
	vs_put(ui, w, slot, " for ");
	vs_put(ui, w, sel ? slot : THEME_MSG_CUSTOMER, "%s", cust && *cust ? cust : a->conv);
	if (c && c->tier)
		vs_put(ui, w, slot, " (%s)", c->tier);
	vs_put(ui, w, slot, "  %s %s", PROTO_ENUM_STR(action_kind, a->kind), amount);
	if (a->params && a->params->order) {
		vs_put(ui, w, slot, " on %s", a->params->order);
		if (c && PROTO_HAS(c, approval_ctx, order_total_minor)) {
			ui_fmt_money(c->order_total_minor, c->currency, total, sizeof(total));
			vs_put(ui, w, slot, " (%s)", total);
		}
	}
	vs_put(ui, w, slot, "  in %s", a->conv);
	if (rest > 0) {
		ui_fmt_wait(rest, left, sizeof(left));
		vs_put(ui, w, rest < 120 ? THEME_SLA_WARN : slot, "  expires in %s", left);
	} else if (a->expires_at) {
		vs_put(ui, w, THEME_SLA_BREACH, "  expired");
	}
	if (!vs_eol(ui, w, slot, y))
		return false;
	wmove(w, *y, 0);
	sb_adds(&sb, "      ");
	if (a->params && a->params->reason)
		sb_addf(&sb, "\"%s\"  ", a->params->reason);
	vs_past(c, &sb);
	ui_draws(ui, w, THEME_CTX_LABEL, sb_str(&sb), getmaxx(w));
	sb_free(&sb);
	return vs_eol(ui, w, THEME_NORMAL, y);
}

/* ---- the screen ---- */

static void vs_health(struct ui *ui, WINDOW *w, int *y)
{
	const struct model *m = ui_model(ui);
	const struct model_stats *st = &m->stats;
	const struct ui_super *s = &ui->sup;
	int cols = getmaxx(w), left = cols >= 100 ? cols - 46 : cols;
	int cells = left - 20;
	char spark[UI_SUPER_HISTORY * 3 + 1], t1[16], t2[16];
	const int64_t *qc = st->valid ? st->queue : m->queue_counts;

	if (cells > UI_SUPER_HISTORY)
		cells = UI_SUPER_HISTORY;
	for (int p = 0; p < 4; p++) {
		wmove(w, *y, 0);
		vs_put(ui, w, vs_prio_slots[p], " %-6s", vs_prio_names[p]);
		vs_put(ui, w, THEME_NORMAL, " %6lld  ", (long long)qc[p]);
		if (cells > 0 && s->nhist) {
			ui_sparkline(s->hist[p], s->nhist, (size_t)cells, !ui->ascii, spark, sizeof(spark));
			vs_put(ui, w, p == PROTO_PRIO_URGENT && qc[p] ? THEME_SLA_WARN : THEME_CTX_VALUE, "%s", spark);
		} else if (p == 0) {
			vs_put(ui, w, THEME_CTX_LABEL, "(history after the first minute)");
		}
		if (cols >= 100) {
			ui_pad(ui, w, THEME_NORMAL, left + 2);
			switch (p) {
			case 0:
				ui_fmt_wait(st->oldest_wait_s, t1, sizeof(t1));
				vs_put(ui, w, THEME_CTX_LABEL, "oldest wait  ");
				vs_put(ui, w, st->sla_breached ? THEME_SLA_BREACH : THEME_CTX_VALUE, "%s", t1);
				break;
			case 1:
				vs_put(ui, w, THEME_CTX_LABEL, "SLA breached ");
				vs_put(ui, w, st->sla_breached ? THEME_SLA_BREACH : THEME_CTX_VALUE, "%lld now",
				       (long long)st->sla_breached);
				vs_put(ui, w, THEME_CTX_VALUE, ", %lld today", (long long)s->sla_breached_today);
				break;
			case 2:
				ui_fmt_wait(st->aht_s, t2, sizeof(t2));
				vs_put(ui, w, THEME_CTX_LABEL, "handled      ");
				vs_put(ui, w, THEME_CTX_VALUE, "%lld today, AHT %s", (long long)st->handled_today, t2);
				break;
			default:
				vs_put(ui, w, THEME_CTX_LABEL, "agents       ");
				vs_put(ui, w, THEME_CTX_VALUE, "%lld online, %lld away, %lld offline",
				       (long long)st->online, (long long)st->away, (long long)st->offline);
				break;
			}
		}
		if (!vs_eol(ui, w, THEME_NORMAL, y))
			return;
	}
	if (cols < 100) {
		ui_fmt_wait(st->oldest_wait_s, t1, sizeof(t1));
		ui_fmt_wait(st->aht_s, t2, sizeof(t2));
		vs_put(ui, w, THEME_CTX_VALUE, " oldest %s  SLA %lld now, %lld today  handled %lld  AHT %s",
		       t1, (long long)st->sla_breached, (long long)s->sla_breached_today,
		       (long long)st->handled_today, t2);
		if (!vs_eol(ui, w, THEME_NORMAL, y))
			return;
		vs_put(ui, w, THEME_CTX_VALUE, " agents %lld online, %lld away, %lld offline",
		       (long long)st->online, (long long)st->away, (long long)st->offline);
		if (!vs_eol(ui, w, THEME_NORMAL, y))
			return;
	}
	vs_put(ui, w, THEME_CTX_LABEL, " escalations today: ");
	if (!s->has_by_reason)
		vs_put(ui, w, THEME_CTX_LABEL, "not known yet");
	for (int r = 0, k = 0; s->has_by_reason && r < 8; r++) {
		if (!s->by_reason[r])
			continue;
		vs_put(ui, w, THEME_CTX_VALUE, "%s%s %lld", k++ ? ", " : "", vs_reason_short[r],
		       (long long)s->by_reason[r]);
	}
	vs_eol(ui, w, THEME_NORMAL, y);
}

void view_super_draw(struct ui *ui)
{
	WINDOW *w = ui->wsuper;
	const struct model *m = ui_model(ui);
	const struct model_approval *ap[64];
	size_t nap, shown, nrows;
	int y = 0, h, ap_rows, top;
	char buf[256], idle[16];

	if (!w)
		return;
	h = getmaxy(w);
	werase(w);
	wmove(w, 0, 0);
	snprintf(buf, sizeof(buf), " Supervisor%s  |  S agent view  j/k choose  a approve  d deny  "
		 "A/D with a note  m monitor  : command", m->stats.valid ? "" : " (waiting for figures)");
	ui_draw_title(ui, w, buf, true);
	y = 1;
	wmove(w, y, 0);
	vs_health(ui, w, &y);
	if (y >= h)
		return;

	/* Approvals: two lines each, up to about 40% of what is left. */
	nap = ui_super_pending(ui, ap, BATON_ARRAY_LEN(ap));
	shown = nap < BATON_ARRAY_LEN(ap) ? nap : BATON_ARRAY_LEN(ap);
	if (ui->sup_sel >= (int)shown)
		ui->sup_sel = shown ? (int)shown - 1 : 0;
	ap_rows = (h - y - 1) * 2 / 5 / 2;
	if (ap_rows < 1)
		ap_rows = 1;
	wmove(w, y, 0);
	snprintf(buf, sizeof(buf), "Approvals: %zu pending", nap);
	vs_heading(ui, w, buf);
	if (++y >= h)
		return;
	wmove(w, y, 0);
	if (!nap) {
		vs_put(ui, w, THEME_CTX_LABEL, "   none waiting");
		if (!vs_eol(ui, w, THEME_NORMAL, &y))
			return;
	}
	top = ui->sup_sel >= ap_rows ? ui->sup_sel - ap_rows + 1 : 0;
	for (int i = top; i < (int)shown && i < top + ap_rows; i++)
		if (!vs_approval(ui, w, &y, ap[i], i == ui->sup_sel))
			return;
	if ((int)shown > top + ap_rows) {
		vs_put(ui, w, THEME_CTX_LABEL, "   ... %d more (j/k)", (int)shown - top - ap_rows);
		if (!vs_eol(ui, w, THEME_NORMAL, &y))
			return;
	}

	/* Agents: the flagged first. */
	nrows = ui_super_rows(ui, ui->now);
	ui_fmt_wait(ui_super_idle_s(ui), idle, sizeof(idle));
	if (ui_super_idle_s(ui) > 0)
		snprintf(buf, sizeof(buf), "Agents: %zu  (! idle over %s on an assigned conversation)", nrows, idle);
	else
		snprintf(buf, sizeof(buf), "Agents: %zu", nrows);
	wmove(w, y, 0);
	vs_heading(ui, w, buf);
	if (++y >= h)
		return;
	wmove(w, y, 0);
	vs_put(ui, w, THEME_CTX_LABEL, "   %-16s %-20s %-8s %6s %8s  %s", "agent", "name", "status", "active",
	       "handled", "last message");
	if (!vs_eol(ui, w, THEME_NORMAL, &y))
		return;
	if (ui->sup_agent_top > (int)nrows - 1)
		ui->sup_agent_top = nrows ? (int)nrows - 1 : 0;
	for (size_t i = (size_t)ui->sup_agent_top; i < nrows; i++) {
		const struct ui_super_row *r = &ui->sup_rows[i];
		char last[24];
		int slot = r->status == PROTO_PRES_OFFLINE ? THEME_QUEUE_LOW : THEME_NORMAL;
		if (r->last) {
			ui_fmt_wait((ui->now - r->last) / 1000 > 0 ? (ui->now - r->last) / 1000 : 0, idle, sizeof(idle));
			snprintf(last, sizeof(last), "%s ago", idle);
		} else {
			snprintf(last, sizeof(last), "none today");
		}
		vs_put(ui, w, r->flagged ? THEME_SLA_BREACH : slot, " %s ", r->flagged ? "!" : " ");
		vs_put(ui, w, slot, "%-16.16s ", r->id);
		/* Names may be wide: fit them by columns, not bytes. */
		{
			const char *nm = r->name ? r->name : "";
			size_t used = 0, len = text_fit(nm, strlen(nm), 20, &used);
			int x0 = getcurx(w);
			ui_draw(ui, w, slot, nm, len, 20);
			ui_pad(ui, w, slot, x0 + 21);
		}
		vs_put(ui, w, r->status == PROTO_PRES_ONLINE ? THEME_CTX_GOOD : slot, "%-8s",
		       PROTO_ENUM_STR(presence_status, r->status));
		vs_put(ui, w, slot, " %6lld %8lld  ", (long long)r->active, (long long)r->handled);
		vs_put(ui, w, r->flagged ? THEME_SLA_BREACH : slot, "%s", last);
		if (!vs_eol(ui, w, THEME_NORMAL, &y))
			return;
	}
}

/* ---- keys ---- */

static const struct model_approval *vs_selected(struct ui *ui)
{
	const struct model_approval *ap[64];
	size_t n = ui_super_pending(ui, ap, BATON_ARRAY_LEN(ap));

	if (n > BATON_ARRAY_LEN(ap))
		n = BATON_ARRAY_LEN(ap);
	if (!n)
		return NULL;
	if (ui->sup_sel >= (int)n)
		ui->sup_sel = (int)n - 1;
	return ap[ui->sup_sel];
}

/* Asks before approving or denying; on yes the ui runs cmdline. */
static void vs_decide(struct ui *ui, const struct model_approval *ma, bool approve, const char *note,
		      const char *cmdline)
{
	const struct proto_approval *a = ma->a;
	const struct proto_approval_ctx *c = ui_super_ctx(&ui->sup, a->id);
	const char *cust = c && c->customer ? c->customer : ui_customer_name(ui, a->conv);
	char amount[48], title[96], cmd[96];
	struct strbuf sb = STRBUF_INIT;

	vs_amount(a->params, amount, sizeof(amount));
	snprintf(title, sizeof(title), "%s %s?", approve ? "Approve" : "Deny", a->id);
	sb_addf(&sb, "%s a %s %s for %s%s%s, asked by %s", approve ? "Approve" : "Deny",
		amount, PROTO_ENUM_STR(action_kind, a->kind), cust && *cust ? cust : a->conv,
		a->params && a->params->order ? " on " : "", a->params && a->params->order ? a->params->order : "",
		a->requested_by);
	if (a->params && a->params->reason)
		sb_addf(&sb, " (\"%s\")", a->params->reason);
	sb_adds(&sb, approve ? ". The coupon is issued at once and the agent sees its code." :
		". The agent is told it was denied.");
	if (note && *note)
		sb_addf(&sb, " Your note for the agent: \"%s\".", note);
	else
		sb_adds(&sb, " A/D instead adds a note for the agent.");
	snprintf(cmd, sizeof(cmd), "%s %s", approve ? "approve" : "deny", a->id);
	ui_confirm(ui, title, sb_str(&sb), cmdline ? cmdline : cmd);
	sb_free(&sb);
}

bool view_super_confirm(struct ui *ui, const char *line)
{
	const struct model *m = ui_model(ui);
	const struct model_approval *ma;
	char verb[16], id[MODEL_ID_MAX + 1];
	const char *p = line;
	size_t n;
	bool approve;

	/* One command typed on the : line; a ';' list runs as typed. */
	if (!m->me || m->me->role != PROTO_ROLE_SUPERVISOR || strchr(line, ';'))
		return false;
	p += strspn(p, " \t");
	n = strcspn(p, " \t");
	if (n >= sizeof(verb))
		return false;
	memcpy(verb, p, n);
	verb[n] = '\0';
	if (strcmp(verb, "approve") != 0 && strcmp(verb, "deny") != 0)
		return false;
	approve = verb[0] == 'a';
	p += n;
	p += strspn(p, " \t");
	n = strcspn(p, " \t");
	if (!n || n >= sizeof(id))
		return false;
	memcpy(id, p, n);
	id[n] = '\0';
	p += n;
	p += strspn(p, " \t");
	/* Unknown or no longer pending: the hub answers, in words. */
	ma = model_approval_find(m, id);
	if (!ma || !ma->a || ma->a->state != PROTO_APPR_PENDING)
		return false;
	vs_decide(ui, ma, approve, p, line);
	return true;
}

bool view_super_key(struct ui *ui, int key)
{
	const struct model_approval *ma;
	char cmd[128];

	if (key == 'j' || key == (KEYS_FN | KEYS_K_DOWN)) {
		ui->sup_sel++;
		vs_selected(ui);
	} else if (key == 'k' || key == (KEYS_FN | KEYS_K_UP)) {
		if (ui->sup_sel > 0)
			ui->sup_sel--;
	} else if (key == (KEYS_FN | KEYS_K_PGDN) || key == ' ') {
		ui->sup_agent_top += 10;
	} else if (key == (KEYS_FN | KEYS_K_PGUP)) {
		ui->sup_agent_top = ui->sup_agent_top > 10 ? ui->sup_agent_top - 10 : 0;
	} else if (key == 'a' || key == 'd' || key == 'A' || key == 'D' || key == 'm' ||
		   key == (KEYS_FN | KEYS_K_ENTER)) {
		if (!(ma = vs_selected(ui))) {
			ui_feedback(ui, false, "No approval is waiting: there is nothing to decide.");
			return true;
		}
		if (key == 'a' || key == 'd') {
			vs_decide(ui, ma, key == 'a', NULL, NULL);
			return true;
		}
		if (key == 'A' || key == 'D') {
			snprintf(cmd, sizeof(cmd), "%s %s ", key == 'A' ? "approve" : "deny", ma->a->id);
			ui->mode = UI_MODE_CMDLINE;
			ui_editor_set(&ui->cmd, cmd);
			ui->dirty |= UI_D_LAYOUT;
			return true;
		}
		/* m / Enter: follow the conversation (:monitor shows the agent panes). */
		snprintf(cmd, sizeof(cmd), "monitor %s", ma->a->conv);
		ui_run(ui, cmd, 0);
		return true;
	} else {
		return false;
	}
	ui->dirty |= UI_D_SUPER;
	return true;
}
