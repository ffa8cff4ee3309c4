/*
 * view-queue.c: the queue pane: my active conversations, then the queue in
 * the hub's order, one row each, with a live wait timer coloured by SLA.
 *
 * The selection is the model's (model.sel), not a row number, so rows
 * arriving above it do not move what the agent is looking at.
 */
#include "ui-internal.h"

#include <stdio.h>
#include <string.h>

#include "baton/notify.h"
#include "baton/text.h"

size_t view_queue_rows(const struct ui *ui)
{
	const struct model *m = ui_model(ui);

	return m->nmine + m->nqueue;
}

const char *view_queue_row_id(const struct ui *ui, size_t i, bool *mine)
{
	const struct model *m = ui_model(ui);

	if (i < m->nmine) {
		if (mine)
			*mine = true;
		return m->mine[i]->id;
	}
	i -= m->nmine;
	if (i < m->nqueue) {
		if (mine)
			*mine = false;
		return m->queue[i]->id;
	}
	return NULL;
}

long view_queue_sel_row(const struct ui *ui)
{
	const struct model *m = ui_model(ui);
	long qi;

	if (!m->sel[0])
		return -1;
	for (size_t i = 0; i < m->nmine; i++)
		if (strcmp(m->mine[i]->id, m->sel) == 0)
			return (long)i;
	qi = model_queue_index(m, m->sel);
	return qi < 0 ? -1 : (long)m->nmine + qi;
}

void view_queue_move(struct ui *ui, long delta)
{
	long rows = (long)view_queue_rows(ui), cur = view_queue_sel_row(ui), to;
	const char *id;

	if (rows == 0)
		return;
	to = cur < 0 ? (delta > 0 ? 0 : rows - 1) : cur + delta;
	if (to < 0)
		to = 0;
	if (to >= rows)
		to = rows - 1;
	if (to == cur)
		return;
	id = view_queue_row_id(ui, (size_t)to, NULL);
	if (id)
		app_select(ui->app, id);
	ui->dirty |= UI_D_QUEUE;
}

static const char *view_queue_reason(int r)
{
	static const char *const names[] = { "discount", "return", "fraud", "order", "low conf",
					     "asked", "complaint", "other" };
	return r >= 0 && r < (int)BATON_ARRAY_LEN(names) ? names[r] : "";
}

static const char *view_queue_channel(int c)
{
	static const char *const names[] = { "web", "wa", "msgr", "sms", "mail" };
	return c >= 0 && c < (int)BATON_ARRAY_LEN(names) ? names[c] : "?";
}

static int view_queue_prio_slot(int p)
{
	switch (p) {
	case PROTO_PRIO_URGENT: return THEME_QUEUE_URGENT;
	case PROTO_PRIO_HIGH: return THEME_QUEUE_HIGH;
	case PROTO_PRIO_LOW: return THEME_QUEUE_LOW;
	default: return THEME_QUEUE_NORMAL;
	}
}

static const char *view_queue_prio_mark(int p)
{
	switch (p) {
	case PROTO_PRIO_URGENT: return "!!";
	case PROTO_PRIO_HIGH: return "! ";
	case PROTO_PRIO_LOW: return "  ";
	default: return "  ";
	}
}

static int view_queue_sla_slot(const struct ui *ui, int64_t due)
{
	int lead = ui->app->notify ? notify_sla_lead_s(ui->app->notify) : 120;

	if (!due)
		return THEME_SLA_OK;
	if (ui->now >= due)
		return THEME_SLA_BREACH;
	if (due - ui->now <= (int64_t)lead * 1000)
		return THEME_SLA_WARN;
	return THEME_SLA_OK;
}

/* A column: text padded to width w, then one blank. */
static void view_queue_col(struct ui *ui, WINDOW *win, int slot, const char *s, int w, int base,
			   bool right)
{
	int y, x, n;

	getyx(win, y, x);
	(void)y;
	if (right) {
		n = (int)text_width(s, strlen(s));
		if (n < w)
			ui_pad(ui, win, base, x + w - n);
		ui_draws(ui, win, slot, s, w);
	} else {
		ui_draws(ui, win, slot, s, w);
	}
	ui_pad(ui, win, base, x + w + 1);
}

static void view_queue_row_queued(struct ui *ui, WINDOW *w, const struct model_qitem *q, int width,
				  bool sel)
{
	int base = sel ? THEME_QUEUE_SELECTED : THEME_NORMAL;
	char wait[16], sent[8];
	int64_t from = q->queued_at ? q->queued_at : q->created_at;
	int rest = width - 3 - 6, namew;
	bool show_reason = rest >= 12 + 10, show_chan = rest >= 12 + 10 + 5,
	     show_lang = rest >= 12 + 10 + 5 + 3, show_sent = rest >= 12 + 10 + 5 + 3 + 3;

	ui_fmt_wait((ui->now - from) / 1000, wait, sizeof(wait));
	wattrset(w, ui->attr[base]);
	ui_draw(ui, w, sel ? base : view_queue_prio_slot(q->priority),
		view_queue_prio_mark(q->priority), 2, 2);
	ui_pad(ui, w, base, 3);	/* "!!" never touches a 59:59 wait */
	view_queue_col(ui, w, sel ? base : view_queue_sla_slot(ui, q->sla_due_at), wait, 5, base,
		       true);
	namew = rest - (show_reason ? 10 : 0) - (show_chan ? 5 : 0) - (show_lang ? 3 : 0) -
		(show_sent ? 3 : 0) - 1;
	view_queue_col(ui, w, base, q->customer[0] ? q->customer : q->id, namew, base, false);
	if (show_reason)
		view_queue_col(ui, w, base, view_queue_reason(q->reason), 9, base, false);
	if (show_chan)
		view_queue_col(ui, w, base, view_queue_channel(q->channel), 4, base, false);
	if (show_lang)
		view_queue_col(ui, w, base, q->language, 2, base, false);
	if (show_sent) {
		int slot = base;
		snprintf(sent, sizeof(sent), "%s", !q->has_sentiment ? "" :
			 q->sentiment <= -0.5 ? "--" : q->sentiment < -0.1 ? "-" :
			 q->sentiment > 0.3 ? "+" : "");
		if (!sel && q->has_sentiment && q->sentiment < -0.1)
			slot = THEME_SENTIMENT_NEG;
		else if (!sel && q->has_sentiment && q->sentiment > 0.3)
			slot = THEME_SENTIMENT_POS;
		view_queue_col(ui, w, slot, sent, 2, base, false);
	}
	ui_pad(ui, w, base, width);
}

static void view_queue_row_mine(struct ui *ui, WINDOW *w, const struct model_conv *c, int width,
				bool sel)
{
	const struct model *m = ui_model(ui);
	int base = sel ? THEME_QUEUE_SELECTED : THEME_QUEUE_MINE;
	const char *name = c->conv && c->conv->customer ? c->conv->customer->name : "";
	char extra[48] = "";
	int64_t last = c->nmsgs ? c->msgs[c->nmsgs - 1].at : 0;
	/* The one on screen needs no timer: its messages are in view. */
	bool waiting = c->nmsgs && c->msgs[c->nmsgs - 1].from == PROTO_FROM_CUSTOMER &&
		       strcmp(c->id, m->sel) != 0;

	wattrset(w, ui->attr[base]);
	ui_draw(ui, w, base, c->monitored ? "@ " : "> ", 2, 2);
	ui_pad(ui, w, base, 3);
	if (waiting && last) {
		char wait[16];
		/* How long the customer has waited for my answer. */
		ui_fmt_wait((ui->now - last) / 1000, wait, sizeof(wait));
		view_queue_col(ui, w, sel ? base : THEME_SLA_WARN, wait, 5, base, true);
	} else {
		view_queue_col(ui, w, base, "", 5, base, true);
	}
	if (c->unread && strcmp(c->id, m->sel) != 0)
		snprintf(extra, sizeof(extra), " (%u new)", c->unread);
	{
		int y, x;
		getyx(w, y, x);
		(void)y;
		x += ui_draws(ui, w, base, name && *name ? name : c->id,
			      width - x - (int)strlen(extra) - (int)strlen(c->id) - 2);
		ui_draws(ui, w, base, extra, width - x);
		getyx(w, y, x);
		ui_pad(ui, w, base, width - (int)strlen(c->id) - 1);
		getyx(w, y, x);
		ui_draws(ui, w, sel ? base : THEME_MSG_TIME, c->id, width - x);
	}
	ui_pad(ui, w, base, width);
}

void view_queue_draw(struct ui *ui)
{
	const struct model *m = ui_model(ui);
	WINDOW *w = ui->pw[UI_PANE_QUEUE].body;
	int h, width;
	long rows = (long)view_queue_rows(ui), sel = view_queue_sel_row(ui);
	char title[160];

	if (!w)
		return;
	getmaxyx(w, h, width);
	/* "500+": the hub listed the head of a longer queue (claim next
	 * still reaches all of it). */
	snprintf(title, sizeof(title), "Queue %zu%s  (%lld urgent, %lld high)   Mine %zu",
		 m->nqueue, m->queue_more ? "+" : "", (long long)m->queue_counts[PROTO_PRIO_URGENT],
		 (long long)m->queue_counts[PROTO_PRIO_HIGH], m->nmine);
	ui_draw_title(ui, ui->pw[UI_PANE_QUEUE].title, title, ui->focus == UI_PANE_QUEUE);
	/* Keep the selection in view. */
	if (sel >= 0) {
		if (sel < ui->qtop)
			ui->qtop = (int)sel;
		if (sel >= ui->qtop + h)
			ui->qtop = (int)sel - h + 1;
	}
	if (ui->qtop > rows - h)
		ui->qtop = rows - h > 0 ? (int)(rows - h) : 0;
	if (ui->qtop < 0)
		ui->qtop = 0;
	for (int y = 0; y < h; y++) {
		long r = ui->qtop + y;
		wmove(w, y, 0);
		if (r >= rows) {
			if (rows == 0 && y == h / 2) {
				ui_draws(ui, w, THEME_CTX_LABEL, m->conn == MODEL_CONN_CONNECTED ?
					 "  Nobody is waiting. New escalations appear here." :
					 "  The queue shows once connected.", width);
			}
			ui_pad(ui, w, THEME_NORMAL, width);
			continue;
		}
		if ((size_t)r < m->nmine)
			view_queue_row_mine(ui, w, m->mine[r], width, r == sel);
		else
			view_queue_row_queued(ui, w, m->queue[r - (long)m->nmine], width, r == sel);
	}
}
