/*
 * view-chat.c: the transcript of the selected conversation.
 *
 * Items (messages, and this conversation's actions as system lines) are
 * formatted to text ("14:03 Ayşe: hello"), wrapped to the pane width and
 * drawn bottom-up. A new message at the bottom while the agent follows
 * the conversation is drawn by scrolling the body window (wscrl) and
 * writing only the new lines: the pane spans the full width (layout.c), so
 * ncurses turns that into a terminal scroll and the terminal receives
 * about the message's own length. Scrolling above the oldest message in
 * memory pages older ones in from the local store (app_history_older).
 */
#include "ui-internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "baton/text.h"

#define VIEW_CHAT_TIME_W 6	/* "14:03 " */
#define VIEW_CHAT_PAGE   50	/* messages paged in from the store at a time */

/* One formatted item: text (sanitized, owned), the lead length in lslot. */
struct view_chat_item {
	char *text;
	size_t lead;
	int lslot, slot;
	int64_t at;
};

static void view_chat_items_free(struct view_chat_item *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i].text);
	free(v);
}

static const char *view_chat_action_kind(int k)
{
	return k == PROTO_ACT_DISCOUNT ? "Discount" : k == PROTO_ACT_RETURN ? "Return" :
	       k == PROTO_ACT_LABEL ? "Label" : "Action";
}

static const char *view_chat_action_status(int s)
{
	return s == PROTO_ACTST_APPLIED ? "applied" : s == PROTO_ACTST_PENDING_APPROVAL ?
	       "waiting for a supervisor" : s == PROTO_ACTST_DENIED ? "denied" :
	       s == PROTO_ACTST_FAILED ? "failed" : "?";
}

/* The approval an action waits for (or waited for), NULL if none. */
static const struct model_approval *view_chat_approval(const struct model *m, const char *action)
{
	for (size_t i = 0; action && i < m->napprovals; i++)
		if (m->approvals[i]->a && m->approvals[i]->a->action &&
		    strcmp(m->approvals[i]->a->action, action) == 0)
			return m->approvals[i];
	return NULL;
}

static void view_chat_fmt_action(const struct ui *ui, const struct proto_action *a, struct strbuf *sb)
{
	/* A discount that needed approval: its approval says where it stands
	 * (the hub denies an expired one; the approval tells the two apart). */
	const struct model_approval *ma = a->status == PROTO_ACTST_PENDING_APPROVAL ||
					  a->status == PROTO_ACTST_DENIED ?
					  view_chat_approval(ui_model(ui), a->id) : NULL;
	const struct proto_action_params *p = a->params;
	const struct proto_action_result *r = a->result;
	char money[48];

	sb_addf(sb, "%s", view_chat_action_kind(a->kind));
	if (a->kind == PROTO_ACT_DISCOUNT && p) {
		if (p->percent)
			sb_addf(sb, " %lld%%", (long long)p->percent);
		else if (p->amount_minor) {
			ui_fmt_money(p->amount_minor, p->currency, money, sizeof(money));
			sb_addf(sb, " %s", money);
		}
		if (p->order)
			sb_addf(sb, " on %s", p->order);
	} else if (a->kind == PROTO_ACT_RETURN && p) {
		if (p->order)
			sb_addf(sb, " of %s", p->order);
		for (size_t i = 0; i < p->lines.n; i++)
			sb_addf(sb, "%s%s x%lld", i ? "," : ":", p->lines.v[i].sku,
				(long long)p->lines.v[i].qty);
	} else if (a->kind == PROTO_ACT_LABEL && p && p->rma) {
		sb_addf(sb, " for %s", p->rma);
	}
	if (ma && ma->a->state == PROTO_APPR_PENDING) {
		/* Waiting: say for how long it can still be decided. */
		char left[16];
		int64_t rest = ma->a->expires_at ? (ma->a->expires_at - ui->now) / 1000 : 0;
		sb_addf(sb, ": waiting for a supervisor's approval (%s", ma->a->id);
		if (rest > 0) {
			ui_fmt_wait(rest, left, sizeof(left));
			sb_addf(sb, ", expires in %s", left);
		}
		sb_adds(sb, ")");
	} else if (ma) {
		/* Decided: the decision line below says how; this one says it is settled. */
		sb_addf(sb, ": %s", ma->a->state == PROTO_APPR_APPROVED ? "approved" :
			model_approval_expired(ma->a) ? "expired" : "denied");
	} else {
		sb_addf(sb, ": %s", view_chat_action_status(a->status));
	}
	if (r) {
		if (r->code)
			sb_addf(sb, ", code %s", r->code);
		if (r->rma)
			sb_addf(sb, ", %s", r->rma);
		if (r->refund_minor) {
			ui_fmt_money(r->refund_minor, r->currency, money, sizeof(money));
			sb_addf(sb, ", refund %s", money);
		}
		if (r->tracking)
			sb_addf(sb, ", tracking %s%s%s", r->tracking, r->carrier ? " via " : "",
				r->carrier ? r->carrier : "");
	}
	if (a->error && a->error->message)
		sb_addf(sb, " (%s)", a->error->message);
	if (a->by)
		sb_addf(sb, " - %s", a->by);
}

/* The decision on an approval of this conversation, as a system line at
 * the time it was decided. */
static void view_chat_fmt_decision(const struct model_approval *ma, struct strbuf *sb)
{
	const struct proto_approval *ap = ma->a;
	const struct proto_action_params *p = ap->params;
	const struct proto_action_result *r = ma->action ? ma->action->result : NULL;
	char what[64] = "";

	if (p && p->percent)
		snprintf(what, sizeof(what), " %lld%%", (long long)p->percent);
	else if (p && p->amount_minor)
		ui_fmt_money(p->amount_minor, p->currency, what + 1, sizeof(what) - 1), what[0] = ' ';
	if (ap->state == PROTO_APPR_APPROVED) {
		sb_addf(sb, "%s approved the %s%s", ap->decided_by ? ap->decided_by : "A supervisor",
			PROTO_ENUM_STR(action_kind, ap->kind), what);
		if (r && r->code)
			sb_addf(sb, ": code %s", r->code);
		else
			sb_adds(sb, " (the code follows with the action)");
	} else if (model_approval_expired(ap)) {
		sb_addf(sb, "The request for a %s%s expired: no supervisor decided in time. Ask again if "
			"the customer still needs it.", PROTO_ENUM_STR(action_kind, ap->kind), what);
	} else {
		sb_addf(sb, "%s denied the %s%s", ap->decided_by, PROTO_ENUM_STR(action_kind, ap->kind), what);
	}
	if (ap->note && *ap->note && !model_approval_expired(ap))
		sb_addf(sb, ": \"%s\"", ap->note);
}

/* Adds the decided approvals of c to v[0..*n) in time order. */
static struct view_chat_item *view_chat_decisions(struct ui *ui, const struct model_conv *c,
						  struct view_chat_item *v, size_t *n, int64_t oldest)
{
	const struct model *m = ui_model(ui);

	for (size_t i = 0; i < m->napprovals; i++) {
		const struct model_approval *ma = m->approvals[i];
		const struct proto_approval *ap = ma->a;
		struct strbuf sb = STRBUF_INIT;
		struct view_chat_item it;
		char hm[16];
		size_t k;

		if (!ap || ap->state == PROTO_APPR_PENDING || !ap->conv || strcmp(ap->conv, c->id) != 0)
			continue;
		memset(&it, 0, sizeof(it));
		it.at = ap->decided_at ? ap->decided_at : ap->at;
		if (it.at < oldest && c->older_in_store)
			continue;
		ui_fmt_hm(it.at, hm, sizeof(hm));
		sb_addf(&sb, "%s -- ", hm);
		it.lead = sb.len;
		view_chat_fmt_decision(ma, &sb);
		it.lslot = THEME_MSG_TIME;
		it.slot = ap->state == PROTO_APPR_APPROVED ? THEME_CTX_GOOD : THEME_CTX_BAD;
		it.text = text_sanitize_line(sb.buf, sb.len, NULL);
		sb_free(&sb);
		/* After everything at or before its time. */
		v = xrealloc(v, (*n + 1) * sizeof(*v));
		for (k = *n; k > 0 && v[k - 1].at > it.at; k--)
			v[k] = v[k - 1];
		v[k] = it;
		(*n)++;
	}
	return v;
}

/* The items of conversation c, oldest first. */
static struct view_chat_item *view_chat_items(struct ui *ui, const struct model_conv *c,
					      size_t *n)
{
	const struct model *m = ui_model(ui);
	const struct proto_action_arr *acts = c->conv ? &c->conv->actions : NULL;
	size_t na = acts ? acts->n : 0, ni = 0, ai = 0, mi = 0;
	struct view_chat_item *v = xcalloc(c->nmsgs + na + 1, sizeof(*v));
	const char *cust = c->conv && c->conv->customer && c->conv->customer->name ?
			   c->conv->customer->name : "customer";
	int64_t oldest = c->nmsgs ? c->msgs[0].at : INT64_MIN;

	while (mi < c->nmsgs || ai < na) {
		struct strbuf sb = STRBUF_INIT;
		struct view_chat_item *it = &v[ni];
		char hm[16];
		char *clean;

		/* Actions older than the oldest message in memory belong to
		 * history not shown yet. */
		if (ai < na && acts->v[ai].at < oldest && c->older_in_store) {
			ai++;
			continue;
		}
		if (ai < na && (mi >= c->nmsgs || acts->v[ai].at < c->msgs[mi].at)) {
			const struct proto_action *a = &acts->v[ai++];
			ui_fmt_hm(a->at, hm, sizeof(hm));
			sb_addf(&sb, "%s -- ", hm);
			it->lead = sb.len;
			view_chat_fmt_action(ui, a, &sb);
			it->lslot = THEME_MSG_TIME;
			it->slot = a->status == PROTO_ACTST_APPLIED ? THEME_CTX_GOOD :
				   a->status == PROTO_ACTST_PENDING_APPROVAL ? THEME_MSG_SYSTEM :
				   THEME_CTX_BAD;
			it->at = a->at;
		} else {
			const struct model_msg *msg = &c->msgs[mi++];
			const char *who;
			bool me = msg->author && m->me && m->me->id && strcmp(msg->author, m->me->id) == 0;

			ui_fmt_hm(msg->at, hm, sizeof(hm));
			sb_addf(&sb, "%s ", hm);
			it->at = msg->at;
			if (msg->kind == PROTO_MSG_NOTE) {
				sb_addf(&sb, "[note] %s: ", me ? "you" : msg->author ? msg->author : "?");
				it->lslot = it->slot = THEME_MSG_NOTE;
			} else if (msg->from == PROTO_FROM_SYSTEM) {
				sb_adds(&sb, "-- ");
				it->lslot = it->slot = THEME_MSG_SYSTEM;
			} else {
				who = msg->from == PROTO_FROM_CUSTOMER ? cust :
				      msg->from == PROTO_FROM_BOT ? "bot" :
				      me ? "you" : msg->author ? msg->author : "agent";
				sb_addf(&sb, "%s: ", who);
				it->lslot = msg->from == PROTO_FROM_CUSTOMER ? THEME_MSG_CUSTOMER :
					    msg->from == PROTO_FROM_BOT ? THEME_MSG_BOT : THEME_MSG_AGENT;
				it->slot = msg->from == PROTO_FROM_BOT ? THEME_MSG_BOT : THEME_MSG_TEXT;
			}
			it->lead = sb.len;
			sb_adds(&sb, msg->text ? msg->text : "");
		}
		/* Sanitized again here: the lead has names from the network. */
		{
			size_t lead_clean;
			char *l = text_sanitize_line(sb.buf, it->lead, &lead_clean);
			char *rest = text_sanitize(sb.buf + it->lead, sb.len - it->lead, NULL);
			clean = xasprintf("%s%s", l, rest);
			it->lead = lead_clean;
			free(l);
			free(rest);
		}
		it->text = clean;
		sb_free(&sb);
		ni++;
	}
	*n = ni;
	return view_chat_decisions(ui, c, v, n, oldest);
}

/* Wraps all items to width; lines go to ui->clines. The time column
 * indents continuation lines. */
static void view_chat_wrap(struct ui *ui, struct view_chat_item *v, size_t n, int width)
{
	ui->nclines = 0;
	for (size_t i = 0; i < n; i++) {
		size_t len = strlen(v[i].text), need, got;
		int cols = width - 1 - VIEW_CHAT_TIME_W;	/* the last column stays empty */
		struct text_line stack[64], *tl = stack;
		size_t skip = VIEW_CHAT_TIME_W;

		if (cols < 8)
			cols = width - 1 > 1 ? width - 1 : 1, skip = 0;
		/* The time is drawn on the first line; the rest wraps beside it. */
		need = text_wrap(v[i].text + skip, len - skip, (size_t)cols, stack, 64);
		if (need > 64) {
			tl = xcalloc(need, sizeof(*tl));
			text_wrap(v[i].text + skip, len - skip, (size_t)cols, tl, need);
		}
		got = need;
		for (size_t k = 0; k < got; k++) {
			struct ui_line *L;
			if (ui->nclines == ui->capclines) {
				ui->capclines = ui->capclines ? ui->capclines * 2 : 256;
				ui->clines = xrealloc(ui->clines, ui->capclines * sizeof(*ui->clines));
			}
			L = &ui->clines[ui->nclines++];
			L->item = (int)i;
			L->indent = (int)skip;
			L->lslot = v[i].lslot;
			L->slot = v[i].slot;
			if (k == 0) {
				/* The first line carries the time. */
				L->s = v[i].text;
				L->len = skip + tl[k].off + tl[k].len;
				L->lead = v[i].lead;
				L->indent = 0;
			} else {
				size_t off = skip + tl[k].off;
				L->s = v[i].text + off;
				L->len = tl[k].len;
				L->lead = v[i].lead > off ? v[i].lead - off : 0;
			}
		}
		if (tl != stack)
			free(tl);
	}
}

static void view_chat_draw_line(struct ui *ui, WINDOW *w, int y, const struct ui_line *L, int width)
{
	int x = L->indent, used;
	size_t lead = L->lead < L->len ? L->lead : L->len;

	wmove(w, y, 0);
	ui_pad(ui, w, THEME_NORMAL, x);
	/* The time is dim, the name in the speaker's colour. */
	if (L->indent == 0 && lead >= VIEW_CHAT_TIME_W && L->lslot != THEME_MSG_NOTE &&
	    L->lslot != THEME_MSG_SYSTEM) {
		used = ui_draw(ui, w, THEME_MSG_TIME, L->s, VIEW_CHAT_TIME_W, width - 1 - x);
		x += used;
		used = ui_draw(ui, w, L->lslot, L->s + VIEW_CHAT_TIME_W, lead - VIEW_CHAT_TIME_W,
			       width - 1 - x);
	} else {
		used = ui_draw(ui, w, L->lslot, L->s, lead, width - 1 - x);
	}
	x += used;
	x += ui_draw(ui, w, L->slot, L->s + lead, L->len - lead, width - 1 - x);
	ui_pad(ui, w, THEME_NORMAL, width);
}

static void view_chat_title(struct ui *ui, const struct model_conv *c)
{
	const struct model *m = ui_model(ui);
	struct strbuf sb = STRBUF_INIT;
	const struct proto_conversation *cv = c ? c->conv : NULL;

	if (!c) {
		sb_adds(&sb, "Conversation");
	} else {
		sb_addf(&sb, "%s", cv && cv->customer && cv->customer->name ? cv->customer->name :
			"Conversation");
		sb_addf(&sb, "  %s", c->id);
		if (cv)
			sb_addf(&sb, "  %s  %s", PROTO_ENUM_STR(conv_state, cv->state),
				PROTO_ENUM_STR(channel, cv->channel));
		if (c->monitored)
			sb_adds(&sb, "  (monitoring)");
		if (c->customer_typing_until > ui->now)
			sb_adds(&sb, "   customer is typing...");
		if (c->typing_agent[0] && c->agent_typing_until > ui->now)
			sb_addf(&sb, "   %s is typing...", c->typing_agent);
		if (ui->chat_scroll > 0)
			sb_addf(&sb, "   [scrolled back %d lines: End returns]", ui->chat_scroll);
	}
	(void)m;
	ui_draw_title(ui, ui->pw[UI_PANE_CHAT].title, sb_str(&sb), ui->focus == UI_PANE_CHAT);
	sb_free(&sb);
}

void view_chat_draw_title(struct ui *ui)
{
	if (ui->pw[UI_PANE_CHAT].title)
		view_chat_title(ui, model_selected(ui_model(ui)));
}

void view_chat_draw(struct ui *ui)
{
	struct model *m = ui_model(ui);
	WINDOW *w = ui->pw[UI_PANE_CHAT].body;
	struct model_conv *c = model_selected(m);
	struct view_chat_item *items;
	size_t n;
	int h, width;
	long first;

	if (!w)
		return;
	getmaxyx(w, h, width);
	if (!c || strcmp(c->id, ui->chat_conv) != 0) {
		snprintf(ui->chat_conv, sizeof(ui->chat_conv), "%s", c ? c->id : "");
		ui->chat_scroll = 0;
	}
	view_chat_title(ui, c);
	werase(w);
	if (!c) {
		const char *hint = view_queue_rows(ui) ? "Select a conversation in the queue "
			"(j/k), Enter claims it." : "No conversation selected.";
		wmove(w, h / 2, 2);
		ui_draws(ui, w, THEME_CTX_LABEL, hint, width - 3);
		ui->chat_nlines = 0;
		return;
	}
	for (int paged = 0;; paged++) {
		items = view_chat_items(ui, c, &n);
		view_chat_wrap(ui, items, n, width);
		/* Scrolled above what memory holds: page older messages in,
		 * one page per draw, so "top" cannot pull a whole history
		 * into memory at once. */
		if (!paged && (long)ui->nclines - h - ui->chat_scroll < 0 && c->older_in_store &&
		    app_history_older(ui->app, c->id, VIEW_CHAT_PAGE) > 0) {
			view_chat_items_free(items, n);
			c = model_selected(m);
			if (!c)
				return;
			continue;
		}
		break;
	}
	if (ui->chat_scroll > (int)ui->nclines - h)
		ui->chat_scroll = (int)ui->nclines - h > 0 ? (int)ui->nclines - h : 0;
	first = (long)ui->nclines - h - ui->chat_scroll;
	ui->chat_at_top = first <= 0 && !c->older_in_store;
	for (int y = 0; y < h; y++) {
		long li = first + y;
		if (li < 0) {
			if (li == -1 && !c->older_in_store && first < -1) {
				wmove(w, y, VIEW_CHAT_TIME_W);
				ui_draws(ui, w, THEME_MSG_SYSTEM, "-- start of the conversation --",
					 width - 1 - VIEW_CHAT_TIME_W);
			}
			continue;
		}
		if ((size_t)li >= ui->nclines)
			break;
		view_chat_draw_line(ui, w, y, &ui->clines[li], width);
	}
	ui->chat_nlines = ui->nclines;
	view_chat_items_free(items, n);
	/* Draw-time lines point into items, now freed. */
	ui->nclines = 0;
}

void view_chat_append(struct ui *ui, size_t appended)
{
	struct model *m = ui_model(ui);
	WINDOW *w = ui->pw[UI_PANE_CHAT].body;
	struct model_conv *c = model_selected(m);
	struct view_chat_item *items;
	size_t n, newlines, first_new_item;
	int h, width;

	if (!w || !c || strcmp(c->id, ui->chat_conv) != 0) {
		view_chat_draw(ui);
		return;
	}
	getmaxyx(w, h, width);
	items = view_chat_items(ui, c, &n);
	view_chat_wrap(ui, items, n, width);
	if (ui->chat_scroll != 0) {
		/* Scrolled back: the new lines go below the view, which stays
		 * where it is; the title says so. */
		size_t first = appended < n ? n - appended : 0, k = 0;
		for (size_t i = ui->nclines; i > 0 && (size_t)ui->clines[i - 1].item >= first; i--)
			k++;
		ui->chat_scroll += (int)k;
		view_chat_items_free(items, n);
		ui->nclines = 0;
		view_chat_title(ui, c);
		return;
	}
	if (ui->nclines < ui->chat_nlines || appended > n) {
		view_chat_items_free(items, n);
		ui->nclines = 0;
		view_chat_draw(ui);
		return;
	}
	/* The window trimmed old messages as new ones came: count the new
	 * items' lines from the end rather than the difference in totals. */
	first_new_item = n - appended;
	newlines = 0;
	for (size_t i = ui->nclines; i > 0 && (size_t)ui->clines[i - 1].item >= first_new_item; i--)
		newlines++;
	if (newlines == 0 || (int)newlines >= h || ui->chat_nlines < (size_t)h) {
		view_chat_items_free(items, n);
		ui->nclines = 0;
		view_chat_draw(ui);
		return;
	}
	scrollok(w, TRUE);
	wscrl(w, (int)newlines);
	scrollok(w, FALSE);
	for (size_t k = 0; k < newlines; k++) {
		size_t li = ui->nclines - newlines + k;
		view_chat_draw_line(ui, w, h - (int)newlines + (int)k, &ui->clines[li], width);
	}
	ui->chat_nlines = ui->nclines;
	view_chat_items_free(items, n);
	ui->nclines = 0;
}

void view_chat_scroll(struct ui *ui, int delta)
{
	ui->chat_scroll += delta;
	if (ui->chat_scroll < 0)
		ui->chat_scroll = 0;
	if (ui->chat_scroll == 0) {
		struct model_conv *c = model_selected(ui_model(ui));
		/* Back at the bottom: memory goes back to the window size. */
		if (c && c->nmsgs > ui_model(ui)->history_lines && ui_model(ui)->history_lines)
			model_conv_trim(c, ui_model(ui)->history_lines);
	}
	ui->dirty |= UI_D_CHAT;
}

void view_chat_free(struct ui *ui)
{
	free(ui->clines);
	ui->clines = NULL;
	ui->nclines = ui->capclines = 0;
}
