/*
 * ui.c: the console's screen — how it is put together.
 *
 * app.c calls in (ui.h): ui_on_input when stdin is readable, ui_tick once
 * a second, ui_render at the end of every loop pass. Input handlers never
 * draw: they change the model through app.c, or the ui's own state, and
 * set dirty bits (UI_D_*). ui_render turns the model's dirty flags into
 * ours, asks each dirty view to redraw its window (view-*.c), does one
 * wnoutrefresh per window touched and one doupdate. ncurses then sends
 * the terminal only the cells that changed, so a status change costs a
 * few bytes; a new chat line is drawn by scrolling (view-chat.c).
 *
 * Keys: in the normal mode a key is looked up in the bindings (keys.c);
 * a binding names a screen action (the table in keys.c, handled in
 * ui_action below) or a console command (run with app_run). The compose
 * area and the : line are editors (view-input.c) that keep the readline
 * keys; what they do not use falls through to the bindings if it is a
 * function or meta key. Overlays (help, text, confirm, paste, return
 * items) take every key while open.
 */
#include "baton/ui.h"

#include <errno.h>
#include <langinfo.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "ui-internal.h"

#include "baton/config.h"
#include "baton/log.h"
#include "baton/macro.h"
#include "baton/notify.h"
#include "baton/text.h"

#define UI_FEEDBACK_OK_MS 8000	/* a result stays this long; an error until a key */

static void ui_layout(struct ui *ui);

struct model *ui_model(const struct ui *ui)
{
	return ui->app->model;
}

/* ---- theme ---- */

static attr_t ui_attrs(unsigned a)
{
	attr_t r = A_NORMAL;

	if (a & THEME_A_BOLD) r |= A_BOLD;
	if (a & THEME_A_DIM) r |= A_DIM;
	if (a & THEME_A_UNDERLINE) r |= A_UNDERLINE;
	if (a & THEME_A_REVERSE) r |= A_REVERSE;
#ifdef A_ITALIC
	if (a & THEME_A_ITALIC) r |= A_ITALIC;
#endif
	return r;
}

static void ui_apply_theme(struct ui *ui)
{
	bool color = has_colors() && !ui->theme.mono && COLORS >= 8 &&
		     COLOR_PAIRS > THEME_SLOT__COUNT + 1;
	int nbg = theme_color_reduce(ui->theme.s[THEME_NORMAL].bg, COLORS);

	ui->blank = A_NORMAL;
	if (color && nbg != THEME_DEFAULT_COLOR) {
		init_pair(THEME_SLOT__COUNT + 1, -1, (short)nbg);
		ui->blank = COLOR_PAIR(THEME_SLOT__COUNT + 1);
	}

	for (int i = 0; i < THEME_SLOT__COUNT; i++) {
		const struct theme_style *st = &ui->theme.s[i];
		ui->attr[i] = ui_attrs(st->attrs);
		/* A blank shows only its background, reverse and underline. */
		ui->pad_blank[i] = !(st->attrs & (THEME_A_REVERSE | THEME_A_UNDERLINE)) &&
				   (!color || theme_color_reduce(st->bg, COLORS) == nbg);
		if (color) {
			int fg, bg;
			theme_style_colors(st, COLORS, &fg, &bg);
			/* The terminal's own colours are colour pair 0, not a
			 * pair of two defaults: ncurses then sends no colour
			 * change into or out of the slot, and after it no
			 * reset (sgr0) at the end of the update. */
			if (fg == THEME_DEFAULT_COLOR && bg == THEME_DEFAULT_COLOR)
				continue;
			init_pair((short)(i + 1), (short)fg, (short)bg);
			ui->attr[i] |= COLOR_PAIR(i + 1);
		}
	}
}

int ui_set_theme(struct ui *ui, const char *name, char *err, size_t errlen)
{
	struct theme t;

	if (theme_no_color() && strcmp(name, "mono") != 0) {
		snprintf(err, errlen, "NO_COLOR is set: the screen stays without colours");
		return -1;
	}
	if (theme_load(&t, name, err, errlen) < 0)
		return -1;
	ui->theme = t;
	ui_apply_theme(ui);
	ui->dirty |= UI_D_ALL | UI_D_LAYOUT;
	return 0;
}

/* ---- windows ---- */

static void ui_delwin(WINDOW **w)
{
	if (*w)
		delwin(*w);
	*w = NULL;
}

static void ui_free_windows(struct ui *ui)
{
	for (int i = 0; i < UI_PANE__COUNT; i++) {
		ui_delwin(&ui->pw[i].title);
		ui_delwin(&ui->pw[i].body);
	}
	ui_delwin(&ui->wdiv);
	ui_delwin(&ui->wtabs);
	ui_delwin(&ui->wctitle);
	ui_delwin(&ui->wcompose);
	ui_delwin(&ui->wstatus);
	ui_delwin(&ui->wov);
	ui_delwin(&ui->wsuper);
}

static WINDOW *ui_newwin(struct ui *ui, int h, int w, int y, int x)
{
	WINDOW *win;

	if (h <= 0 || w <= 0)
		return NULL;
	win = newwin(h, w, y, x);
	if (win) {
		wbkgdset(win, ui->blank | ' ');
		werase(win);
		/* The cursor only matters in the compose area (ui_set_cursor). */
		leaveok(win, TRUE);
	}
	return win;
}

/* Text columns of the compose area: its width less "> " and the last column. */
static int ui_compose_cols(const struct ui *ui)
{
	return (ui->g.cols ? ui->g.cols : COLS) - 3;
}

static void ui_layout(struct ui *ui)
{
	struct ui_geom *g = &ui->g;

	ui_free_windows(ui);
	ui->compose_lines = ui_editor_lines(&ui->compose, ui_compose_cols(ui));
	if (ui->mode == UI_MODE_CMDLINE)
		ui->compose_lines = 1;
	ui_layout_compute(ui->want, LINES, COLS, ui->compose_lines, ui->band, g);
	ui->dirty |= UI_D_ALL;
	ui->dirty &= ~UI_D_LAYOUT;
	wbkgdset(stdscr, ui->blank | ' ');
	werase(stdscr);
	wnoutrefresh(stdscr);
	if (g->too_small)
		return;
	ui->too_small_drawn = false;
	for (int i = 0; i < UI_PANE__COUNT; i++) {
		struct ui_rect *r = &g->pane[i];
		if (!r->h)
			continue;
		ui->pw[i].title = ui_newwin(ui, 1, r->w, r->y, r->x);
		ui->pw[i].body = ui_newwin(ui, r->h - 1, r->w, r->y + 1, r->x);
	}
	if (ui->pw[UI_PANE_CHAT].body) {
		/* Lets doupdate use the terminal's scroll region for a wscrl. */
		idlok(ui->pw[UI_PANE_CHAT].body, TRUE);
		scrollok(ui->pw[UI_PANE_CHAT].body, FALSE);
	}
	ui->wdiv = ui_newwin(ui, g->divider.h, g->divider.w, g->divider.y, g->divider.x);
	ui->wtabs = ui_newwin(ui, g->tabs.h, g->tabs.w, g->tabs.y, g->tabs.x);
	ui->wctitle = ui_newwin(ui, 1, g->compose.w, g->compose.y, g->compose.x);
	ui->wcompose = ui_newwin(ui, g->compose.h - 1, g->compose.w, g->compose.y + 1, g->compose.x);
	ui->wstatus = ui_newwin(ui, 1, g->status.w, g->status.y, g->status.x);
	/* The supervisor screen covers the panes; they are not drawn meanwhile. */
	if (ui->super_on)
		ui->wsuper = ui_newwin(ui, g->compose.y, g->cols, 0, 0);
	/* The focus follows what is shown. */
	if (!g->pane[ui->focus].h)
		ui->focus = g->pane[ui->band].h ? ui->band : UI_PANE_CHAT;
	if (!g->pane[ui->focus].h)
		ui->focus = g->pane[UI_PANE_QUEUE].h ? UI_PANE_QUEUE : UI_PANE_CONTEXT;
	ui->chat_nlines = 0;
}

/* ---- helpers ---- */

const char *ui_customer_name(const struct ui *ui, const char *conv)
{
	struct model *m = ui_model(ui);
	struct model_conv *c;
	struct model_qitem *q;

	if (!conv || !*conv)
		return "";
	if ((c = model_mine_find(m, conv)) && c->conv && c->conv->customer && c->conv->customer->name)
		return c->conv->customer->name;
	if (m->detail && strcmp(m->detail->id, conv) == 0 && m->detail->conv &&
	    m->detail->conv->customer && m->detail->conv->customer->name)
		return m->detail->conv->customer->name;
	if ((q = model_queue_find(m, conv)))
		return q->customer;
	return "";
}

int ui_run(struct ui *ui, const char *cmdline, unsigned flags)
{
	char err[512] = "";
	int rc = app_run(ui->app, cmdline, flags | APP_RUN_INTERACTIVE, err, sizeof(err));

	if (rc < 0)
		ui_feedback(ui, false, err[0] ? err : "That command did not work.");
	return rc;
}

/*
 * True if text is the result of an accepted presence change ("You are
 * away."): the status bar's presence field changes with it, so a feedback
 * line would say it twice, and cost ~50 bytes to draw and as many to clear.
 * The newest result with that text is the one being reported (app.c
 * applies the result to the model before it calls ui_feedback).
 */
static bool ui_feedback_is_presence(const struct ui *ui, bool ok, const char *text)
{
	const struct model *m = ui_model(ui);

	if (!ok || !text || !*text)
		return false;
	for (size_t i = m->nresults; i > 0; i--) {
		const struct model_result *r = &m->results[i - 1];
		if (strcmp(r->text, text) == 0)
			return r->op == PROTO_OP_PRESENCE_SET && r->state == MODEL_RES_OK;
	}
	return false;
}

void ui_feedback(struct ui *ui, bool ok, const char *text)
{
	char *clean;

	if (ui_feedback_is_presence(ui, ok, text))
		return;
	clean = text_sanitize_line(text ? text : "", text ? strlen(text) : 0, NULL);

	snprintf(ui->fb, sizeof(ui->fb), "%s", clean);
	free(clean);
	ui->fb_ok = ok;
	ui->fb_at = ui->now ? ui->now : time_now_ms();
	ui->dirty |= UI_D_COMPOSE;
}

/* ---- overlays ---- */

static void ui_overlay_close(struct ui *ui)
{
	ui->ov = UI_OV_NONE;
	free(ui->ov_title);
	free(ui->ov_text);
	free(ui->ov_cmd);
	ui->ov_title = ui->ov_text = ui->ov_cmd = NULL;
	free(ui->picks);
	ui->picks = NULL;
	ui->npicks = ui->pick_sel = 0;
	free(ui->mpick);
	ui->mpick = NULL;
	macro_set_free(ui->mset);
	ui->mset = NULL;
	ui_delwin(&ui->wov);
	/* What was under it is repainted from the windows' own contents. */
	for (int i = 0; i < UI_PANE__COUNT; i++) {
		if (ui->pw[i].title)
			touchwin(ui->pw[i].title);
		if (ui->pw[i].body)
			touchwin(ui->pw[i].body);
	}
	ui->dirty |= UI_D_ALL;
}

static void ui_overlay_open(struct ui *ui, enum ui_overlay kind, const char *title,
			    const char *text, const char *cmd)
{
	if (ui->ov != UI_OV_NONE)
		ui_overlay_close(ui);
	ui->ov = kind;
	ui->ov_title = xstrdup(title ? title : "");
	ui->ov_text = text_sanitize(text ? text : "", text ? strlen(text) : 0, NULL);
	ui->ov_cmd = cmd ? xstrdup(cmd) : NULL;
	ui->ov_top = 0;
	ui->dirty |= UI_D_OVERLAY;
}

void ui_show_text(struct ui *ui, const char *title, const char *text)
{
	ui_overlay_open(ui, UI_OV_TEXT, title, text, NULL);
}

void ui_confirm(struct ui *ui, const char *title, const char *body, const char *cmdline)
{
	ui_overlay_open(ui, UI_OV_CONFIRM, title, body, cmdline);
}

/* Rank of a bound command in the help: screen actions in the order of
 * keys_actions (moving, then choosing, then the rest), commands after. */
static size_t ui_help_rank(const char *cmd)
{
	const struct keys_action *a = keys_action_find(cmd);

	return a ? (size_t)(a - keys_actions) : keys_nactions;
}

/* The key list of the help: one line per command with every key bound to
 * it ("g, home   top  - ..."), screen actions first in their table's order,
 * so what a new agent needs first comes first and no command repeats. */
static void ui_help_keys(struct ui *ui, struct strbuf *sb)
{
	char *list = keys_list(ui->keys), **cmds = NULL;
	size_t n = 0, cap = 0;

	for (char *line = list, *nl; line && *line; line = nl ? nl + 1 : NULL) {
		char *cmd;
		bool seen = false;
		nl = strchr(line, '\n');
		if (nl)
			*nl = '\0';
		/* "KEY<blanks>COMMAND": the key name has no blanks. */
		cmd = line + strcspn(line, " ");
		cmd += strspn(cmd, " ");
		for (size_t i = 0; i < n && !seen; i++)
			seen = strcmp(cmds[i], cmd) == 0;
		if (seen || !*cmd)
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 32;
			cmds = xrealloc(cmds, cap * sizeof(*cmds));
		}
		cmds[n++] = cmd;
	}
	/* A stable insertion sort by rank: few lines, and first-seen order
	 * (by key name) is kept among commands. */
	for (size_t i = 1; i < n; i++) {
		char *c = cmds[i];
		size_t j = i, r = ui_help_rank(c);
		while (j > 0 && ui_help_rank(cmds[j - 1]) > r) {
			cmds[j] = cmds[j - 1];
			j--;
		}
		cmds[j] = c;
	}
	for (size_t i = 0; i < n; i++) {
		const struct keys_action *a = keys_action_find(cmds[i]);
		char *k = keys_for(ui->keys, cmds[i]);
		sb_addf(sb, "  %-12s %s%s%s\n", k, cmds[i], a ? "  - " : "", a ? a->help : "");
		free(k);
	}
	free(cmds);
	free(list);
}

void ui_show_help(struct ui *ui)
{
	struct strbuf sb = STRBUF_INIT;
	size_t n;
	const struct cmd_def *cmds = app_cmd_table(&n);

	/* First, for a new agent: most read the first screen only. */
	sb_adds(&sb, "From queue to handback (new here? this is the whole job)\n\n"
		"  1. j / k      choose an escalation in the queue\n"
		"  2. Enter      claim it: it is yours until you hand it back\n"
		"  3. c          write to the customer; Enter sends, Esc keeps the draft\n"
		"  4. :          run a command, for example\n"
		"                :discount 10% late parcel      a discount (asks first)\n"
		"                :return ORDER SKU -- reason    a return (R ticks items)\n"
		"                :label RMA                     its shipping label\n"
		"                :macros                        ready-made replies\n"
		"  5. :handback resolved NOTE   give it back to the bot when done\n"
		"                (unresolved or follow_up if it is not)\n"
		"  n / p         your next / previous conversation;  Esc closes this help\n\n");
	sb_adds(&sb, "Keys (change them with :bind KEY COMMAND, or in ~/.config/baton/binds)\n\n");
	ui_help_keys(ui, &sb);
	sb_adds(&sb, "\nWriting (compose area and : line)\n\n"
		"  Enter        send (compose) / run (: line)\n"
		"  meta-Enter   new line in the message (also ctrl-j); a multi-line paste asks first\n"
		"  ctrl-a/e     start / end of line     ctrl-b/f, arrows  a character\n"
		"  meta-b/f     a word back / forward   ctrl-w  delete a word back\n"
		"  ctrl-k/u     delete to end / start   ctrl-y  put back what was deleted\n"
		"  up/down      lines, then history     ctrl-p/n  history\n"
		"  Esc          leave; the draft is kept, per conversation, even across restarts\n"
		"  Tab          (: line) complete a command name\n");
	sb_adds(&sb, "\nSupervisor screen (supervisors start on it)\n\n"
		"  S            switch between it and the agent panes\n"
		"  j/k          choose a pending approval\n"
		"  a / d        approve / deny it (asks first, saying what happens)\n"
		"  A / D        the same with a note for the agent (opens the : line)\n"
		"  m, Enter     follow its conversation (monitor), in the agent panes\n"
		"  PgDn/PgUp    scroll the agents; ! marks one idle on an assigned\n"
		"               conversation longer than supervisor.idle_s\n");
	sb_adds(&sb, "\nCommands (type : then the command; Tab completes)\n\n");
	for (size_t i = 0; i < n; i++) {
		char *k = keys_for(ui->keys, cmds[i].name);
		char head[96];
		snprintf(head, sizeof(head), "%s %s", cmds[i].name, cmds[i].args);
		/* Two blanks at least: ui_wrap_hang finds the description there. */
		sb_addf(&sb, "  %-34s  %s%s%s%s\n", head, cmds[i].help, *k ? "  [" : "", k,
			*k ? "]" : "");
		free(k);
	}
	ui_overlay_open(ui, UI_OV_TEXT, "Help  (j/k/PgUp/PgDn scroll, q or Esc closes)", sb_str(&sb), NULL);
	sb_free(&sb);
}

/* Opens the picker ui_pick_macro() asked for (pick-macro.c says why so). */
static void ui_macro_open(struct ui *ui)
{
	char *dir = macro_dir(), *warnings = NULL;
	/* The picker's own copy: the console's set is reloaded by commands
	 * that may arrive on the control socket while the picker is open. */
	struct macro_set *set = macro_set_load(dir, &warnings);

	free(warnings);		/* macro_console already logged them */
	if (!set || !set->n) {
		char msg[300];
		snprintf(msg, sizeof(msg), "No macros in %s yet (the format: man baton-macros).", dir);
		ui_feedback(ui, false, msg);
		macro_set_free(set);
		free(dir);
		return;
	}
	free(dir);
	ui_overlay_open(ui, UI_OV_MACRO, "", "", NULL);
	ui->mset = set;
	ui->mpick = xmalloc(sizeof(*ui->mpick));
	macro_picker_init(ui->mpick, set, 10);
}

static void ui_macro_key(struct ui *ui, int key)
{
	char cmd[MACRO_NAME_MAX + 16];

	switch (macro_picker_key(ui->mpick, key, cmd, sizeof(cmd))) {
	case MACRO_PICK_NONE:
		break;
	case MACRO_PICK_REDRAW:
		ui->dirty |= UI_D_OVERLAY;
		break;
	case MACRO_PICK_CLOSE:
		ui_overlay_close(ui);
		break;
	case MACRO_PICK_RUN:
		ui_overlay_close(ui);
		ui_run(ui, cmd, 0);
		break;
	case MACRO_PICK_PREFILL:
		ui_overlay_close(ui);
		ui->mode = UI_MODE_CMDLINE;
		ui_editor_set(&ui->cmd, cmd);
		ui_feedback(ui, true, "This macro asks for answers: type them after its name, then Enter.");
		ui->dirty |= UI_D_LAYOUT;
		break;
	}
}

/* The items of the selected conversation's orders, to tick for a return. */
static void ui_pick_open(struct ui *ui)
{
	struct model_conv *c = model_selected(ui_model(ui));
	const struct proto_customer *cu = c && c->conv ? c->conv->customer : NULL;
	size_t n = 0;

	if (!c || !c->mine || !cu || !cu->orders.n) {
		ui_feedback(ui, false, "Return: open one of your conversations whose customer has orders.");
		return;
	}
	for (size_t i = 0; i < cu->orders.n; i++)
		n += cu->orders.v[i].items.n;
	if (!n) {
		ui_feedback(ui, false, "Return: the customer's orders have no items.");
		return;
	}
	ui_overlay_open(ui, UI_OV_PICK, "Return: tick items (space, +/-), Enter continues, Esc cancels",
			"", NULL);
	ui->picks = xcalloc(n, sizeof(*ui->picks));
	for (size_t i = 0; i < cu->orders.n; i++)
		for (size_t k = 0; k < cu->orders.v[i].items.n; k++) {
			struct ui_pick *p = &ui->picks[ui->npicks++];
			const struct proto_item *it = &cu->orders.v[i].items.v[k];
			snprintf(p->order, sizeof(p->order), "%s", cu->orders.v[i].id);
			snprintf(p->sku, sizeof(p->sku), "%s", it->sku);
			snprintf(p->name, sizeof(p->name), "%s", it->name);
			p->qty = it->qty;
		}
}

static void ui_pick_done(struct ui *ui)
{
	struct strbuf sb = STRBUF_INIT;
	const char *order = NULL;

	for (size_t i = 0; i < ui->npicks; i++) {
		struct ui_pick *p = &ui->picks[i];
		if (!p->picked)
			continue;
		if (order && strcmp(order, p->order) != 0) {
			ui_feedback(ui, false, "Return: pick items from one order at a time.");
			sb_free(&sb);
			return;
		}
		if (!order) {
			order = p->order;
			sb_addf(&sb, "return %s", p->order);
		}
		sb_addf(&sb, " %s:%lld", p->sku, (long long)p->picked);
	}
	if (!order) {
		ui_feedback(ui, false, "Return: no item ticked (space ticks one).");
		sb_free(&sb);
		return;
	}
	sb_adds(&sb, " -- ");
	ui_editor_set(&ui->cmd, sb_str(&sb));
	sb_free(&sb);
	ui_overlay_close(ui);
	ui->mode = UI_MODE_CMDLINE;
	ui_feedback(ui, true, "Type the reason for the return and press Enter.");
	ui->dirty |= UI_D_LAYOUT;
}

int ui_hang(const char *s, size_t len, int cols)
{
	size_t lead = strspn(s, " "), i;
	int col = -1;

	if (lead > len)
		lead = len;
	for (i = lead; i + 1 < len; i++) {
		if (s[i] == ' ' && s[i + 1] == ' ' && i > lead) {
			while (i < len && s[i] == ' ')
				i++;
			if (i < len)
				col = (int)text_width(s, i);
			break;
		}
	}
	if (col < 0 || col * 2 > cols)
		col = (int)lead * 2 > cols ? 0 : (int)lead;
	return col;
}

size_t ui_wrap_hang(const char *text, int cols, struct ui_wline *out, size_t max)
{
	size_t n = 0;
	const char *p = text, *end = text + strlen(text);

	if (cols < 1)
		cols = 1;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t llen = nl ? (size_t)(nl - p) : (size_t)(end - p);
		struct text_line first;
		int hang = ui_hang(p, llen, cols);
		size_t lines = text_wrap(p, llen, (size_t)cols, &first, 1);

		if (n < max)
			out[n] = (struct ui_wline){ (size_t)(p - text) + first.off, first.len, 0 };
		n++;
		if (lines > 1) {
			const char *rest = p + first.off + first.len;
			size_t rlen = llen - first.off - first.len, m;
			struct text_line *tl;
			while (rlen && *rest == ' ')
				rest++, rlen--;
			m = text_wrap(rest, rlen, (size_t)(cols - hang), NULL, 0);
			tl = xcalloc(m, sizeof(*tl));
			text_wrap(rest, rlen, (size_t)(cols - hang), tl, m);
			for (size_t k = 0; k < m; k++, n++)
				if (n < max)
					out[n] = (struct ui_wline){ (size_t)(rest - text) + tl[k].off, tl[k].len,
								    hang };
			free(tl);
		}
		p += llen + (nl ? 1 : 0);
	}
	return n;
}

static void ui_overlay_draw(struct ui *ui)
{
	int rows = LINES, cols = COLS, h, w, y0, x0, inner;
	struct ui_wline *tl = NULL;
	size_t need = 0;
	const char *text = ui->ov_text ? ui->ov_text : "";

	w = cols - 4 < 100 ? cols - 4 : 100;
	inner = w - 4;
	if (ui->ov == UI_OV_PICK) {
		need = ui->npicks;
	} else if (ui->ov == UI_OV_MACRO) {
		/* Sized for every macro, so the box does not shrink (and leave
		 * its old border behind) while the agent filters. */
		need = ui->mpick->set->n < MACRO_PICK_MAX ? ui->mpick->set->n : MACRO_PICK_MAX;
	} else {
		need = ui_wrap_hang(text, inner, NULL, 0);
		tl = xcalloc(need + 1, sizeof(*tl));
		ui_wrap_hang(text, inner, tl, need);
	}
	if (ui->ov == UI_OV_TEXT)
		h = rows - 2;
	else
		h = (int)need + 4 + (ui->ov == UI_OV_CONFIRM || ui->ov == UI_OV_PASTE ? 1 : 0) < rows - 2 ?
		    (int)need + 4 + (ui->ov == UI_OV_CONFIRM || ui->ov == UI_OV_PASTE ? 1 : 0) : rows - 2;
	y0 = (rows - h) / 2;
	x0 = (cols - w) / 2;
	ui_delwin(&ui->wov);
	ui->wov = newwin(h, w, y0, x0);
	if (!ui->wov)
		goto out;
	wbkgdset(ui->wov, ui->attr[THEME_DIALOG] | ' ');
	werase(ui->wov);
	wattrset(ui->wov, ui->attr[THEME_DIALOG]);
	box(ui->wov, 0, 0);
	wmove(ui->wov, 0, 2);
	if (ui->ov == UI_OV_MACRO) {
		char title[300];
		macro_picker_title(ui->mpick, title, sizeof(title));
		ui_draws(ui, ui->wov, THEME_DIALOG_TITLE, title, w - 4);
	} else {
		ui_draws(ui, ui->wov, THEME_DIALOG_TITLE, ui->ov_title, w - 4);
	}
	if (ui->ov == UI_OV_MACRO) {
		struct macro_picker *p = ui->mpick;
		int body = h - 4;
		p->rows = body > 0 ? (size_t)body : 1;
		/* The picker scrolls for the rows it was told; keep the
		 * selection on screen for the rows there are. */
		if (p->sel < p->top)
			p->top = p->sel;
		if (p->sel >= p->top + p->rows)
			p->top = p->sel - p->rows + 1;
		for (int r = 0; r < body; r++) {
			size_t li = p->top + (size_t)r;
			char line[600];
			int slot;
			if (li >= p->n)
				break;
			slot = li == p->sel ? THEME_QUEUE_SELECTED : THEME_DIALOG;
			macro_picker_line(p, li, (size_t)inner, line, sizeof(line));
			wmove(ui->wov, 1 + r, 2);
			ui_draws(ui, ui->wov, slot, line, inner);
			ui_pad(ui, ui->wov, slot, w - 2);
		}
		wmove(ui->wov, h - 2, 2);
		ui_draws(ui, ui->wov, THEME_DIALOG, p->n ? "Type to filter; up/down choose; Enter runs; Esc closes." :
			 "No macro matches: Backspace or ctrl-u edits the filter.", inner);
		goto out;
	}
	{
		int body = h - 2 - (ui->ov == UI_OV_TEXT ? 0 : 2);
		long max = (long)need - body;
		if (ui->ov_top > max)
			ui->ov_top = max > 0 ? (int)max : 0;
		if (ui->ov == UI_OV_PICK) {
			if ((int)ui->pick_sel < ui->ov_top)
				ui->ov_top = (int)ui->pick_sel;
			if ((int)ui->pick_sel >= ui->ov_top + body)
				ui->ov_top = (int)ui->pick_sel - body + 1;
		}
		for (int r = 0; r < body; r++) {
			long li = ui->ov_top + r;
			if (li >= (long)need)
				break;
			wmove(ui->wov, 1 + r, 2);
			if (ui->ov == UI_OV_PICK) {
				struct ui_pick *p = &ui->picks[li];
				char line[320];
				int slot = (size_t)li == ui->pick_sel ? THEME_QUEUE_SELECTED : THEME_DIALOG;
				snprintf(line, sizeof(line), "[%s] %lld/%lld  %s  %s  %s",
					 p->picked ? "x" : " ", (long long)p->picked, (long long)p->qty,
					 p->order, p->sku, p->name);
				ui_draws(ui, ui->wov, slot, line, inner);
				ui_pad(ui, ui->wov, slot, w - 2);
			} else {
				wmove(ui->wov, 1 + r, 2 + tl[li].indent);
				ui_draw(ui, ui->wov, THEME_DIALOG, text + tl[li].off, tl[li].len,
					inner - tl[li].indent);
			}
		}
	}
	if (ui->ov != UI_OV_TEXT && ui->ov != UI_OV_PICK) {
		wmove(ui->wov, h - 2, 2);
		ui_draws(ui, ui->wov, THEME_DIALOG_KEY, "y", 1);
		ui_draws(ui, ui->wov, THEME_DIALOG, " yes, do it      ", 20);
		ui_draws(ui, ui->wov, THEME_DIALOG_KEY, "n", 1);
		ui_draws(ui, ui->wov, THEME_DIALOG, " / Esc  no", 12);
	}
out:
	free(tl);
}

static void ui_overlay_key(struct ui *ui, int key)
{
	int page = LINES - 6;

	if (ui->ov == UI_OV_CONFIRM || ui->ov == UI_OV_PASTE) {
		if (key == 'y' || key == 'Y' || key == (KEYS_FN | KEYS_K_ENTER)) {
			char *cmd = ui->ov_cmd ? xstrdup(ui->ov_cmd) : NULL;
			enum ui_overlay kind = ui->ov;
			char *paste = kind == UI_OV_PASTE ? xstrdup(ui->paste.buf ? ui->paste.buf : "") : NULL;
			ui_overlay_close(ui);
			if (kind == UI_OV_PASTE) {
				ui_editor_insert(&ui->compose, paste, strlen(paste));
				app_set_draft(ui->app, ui->compose_conv, sb_str(&ui->compose.buf));
				ui->dirty |= UI_D_LAYOUT;
			} else if (cmd) {
				ui_run(ui, cmd, APP_RUN_CONFIRMED);
			}
			free(cmd);
			free(paste);
		} else if (key == 'n' || key == 'N' || key == 'q' || key == (KEYS_FN | KEYS_K_ESC) ||
			   key == 7) {
			ui_overlay_close(ui);
			/* A macro's plan, or a money step of a running macro: no
			 * ends the run, its remaining steps included. */
			if (macro_console_busy())
				macro_console_cancel();
			ui_feedback(ui, true, "Cancelled: nothing was done.");
		}
		return;
	}
	if (ui->ov == UI_OV_MACRO) {
		ui_macro_key(ui, key);
		return;
	}
	if (ui->ov == UI_OV_PICK) {
		struct ui_pick *p = ui->npicks ? &ui->picks[ui->pick_sel] : NULL;
		if ((key == 'j' || key == (KEYS_FN | KEYS_K_DOWN)) && ui->pick_sel + 1 < ui->npicks)
			ui->pick_sel++;
		else if ((key == 'k' || key == (KEYS_FN | KEYS_K_UP)) && ui->pick_sel > 0)
			ui->pick_sel--;
		else if (key == ' ' && p)
			p->picked = p->picked ? 0 : p->qty;
		else if (key == '+' && p && p->picked < p->qty)
			p->picked++;
		else if (key == '-' && p && p->picked > 0)
			p->picked--;
		else if (key == (KEYS_FN | KEYS_K_ENTER)) {
			ui_pick_done(ui);
			return;
		} else if (key == (KEYS_FN | KEYS_K_ESC) || key == 'q' || key == 7) {
			ui_overlay_close(ui);
			return;
		}
		ui->dirty |= UI_D_OVERLAY;
		return;
	}
	/* Text and help. */
	if (key == 'j' || key == (KEYS_FN | KEYS_K_DOWN))
		ui->ov_top++;
	else if (key == 'k' || key == (KEYS_FN | KEYS_K_UP))
		ui->ov_top = ui->ov_top > 0 ? ui->ov_top - 1 : 0;
	else if (key == ' ' || key == (KEYS_FN | KEYS_K_PGDN))
		ui->ov_top += page;
	else if (key == (KEYS_FN | KEYS_K_PGUP))
		ui->ov_top = ui->ov_top > page ? ui->ov_top - page : 0;
	else if (key == 'g' || key == (KEYS_FN | KEYS_K_HOME))
		ui->ov_top = 0;
	else if (key == 'G' || key == (KEYS_FN | KEYS_K_END))
		ui->ov_top = 1 << 30;
	else if (key == 'q' || key == (KEYS_FN | KEYS_K_ESC) || key == '?' || key == 7 ||
		 key == (KEYS_FN | KEYS_K_ENTER)) {
		ui_overlay_close(ui);
		return;
	}
	ui->dirty |= UI_D_OVERLAY;
}

/* ---- compose and the : line ---- */

static void ui_compose_sync(struct ui *ui)
{
	struct model *m = ui_model(ui);

	if (strcmp(ui->compose_conv, m->sel) == 0)
		return;
	snprintf(ui->compose_conv, sizeof(ui->compose_conv), "%s", m->sel);
	ui_editor_set(&ui->compose, m->sel[0] ? app_get_draft(ui->app, m->sel) : NULL);
	ui->compose.hpos = ui->compose.nhist;
	if (ui->mode == UI_MODE_COMPOSE) {
		struct model_conv *c = model_selected(m);
		if (!c || !c->mine)
			ui->mode = UI_MODE_NORMAL;
	}
	ui->dirty |= UI_D_COMPOSE;
	if (ui_editor_lines(&ui->compose, ui_compose_cols(ui)) != ui->compose_lines)
		ui->dirty |= UI_D_LAYOUT;
}

static char *ui_quote(const char *s)
{
	struct strbuf sb = STRBUF_INIT;

	sb_addc(&sb, '"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			sb_addc(&sb, '\\');
		sb_addc(&sb, *s);
	}
	sb_addc(&sb, '"');
	return sb_take(&sb);
}

static void ui_compose_send(struct ui *ui)
{
	const char *text = sb_str(&ui->compose.buf);
	size_t len = ui->compose.buf.len;
	char *trimmed, *q, *cmd;

	while (len && (text[len - 1] == ' ' || text[len - 1] == '\n' || text[len - 1] == '\t'))
		len--;
	while (len && (*text == ' ' || *text == '\n')) {
		text++;
		len--;
	}
	if (!len)
		return;
	trimmed = xstrndup(text, len);
	/* A line that starts with ':' is a command, as on the : line, never a
	 * message: an agent who types ":discount 10% …" into the compose area
	 * must not send that to the customer. "::" sends a leading colon. */
	if (trimmed[0] == ':' && trimmed[1] != ':') {
		if (ui_run(ui, trimmed + 1, 0) >= 0) {
			ui_editor_hist_add(&ui->compose, trimmed);
			ui_editor_set(&ui->compose, NULL);
			app_set_draft(ui->app, ui->compose_conv, NULL);
			ui->dirty |= UI_D_LAYOUT;
		}
		free(trimmed);
		return;
	}
	q = ui_quote(trimmed[0] == ':' ? trimmed + 1 : trimmed);
	cmd = xasprintf("say %s", q);
	if (ui_run(ui, cmd, 0) >= 0) {
		ui_editor_hist_add(&ui->compose, trimmed);
		ui_editor_set(&ui->compose, NULL);
		app_set_draft(ui->app, ui->compose_conv, NULL);
		app_typing(ui->app, ui->compose_conv, false);
		ui->dirty |= UI_D_LAYOUT;
	}
	free(cmd);
	free(q);
	free(trimmed);
}

static void ui_cmd_complete(struct ui *ui)
{
	size_t n, hits = 0, wlen;
	const struct cmd_def *cmds = app_cmd_table(&n), *one = NULL;
	const char *s = sb_str(&ui->cmd.buf);

	wlen = strspn(s, "abcdefghijklmnopqrstuvwxyz_-.");
	if (wlen != ui->cmd.buf.len)
		return;
	for (size_t i = 0; i < n; i++)
		if (strncmp(cmds[i].name, s, wlen) == 0) {
			hits++;
			one = &cmds[i];
		}
	if (hits == 1) {
		char *t = xasprintf("%s ", one->name);
		ui_editor_set(&ui->cmd, t);
		free(t);
	} else if (hits > 1) {
		struct strbuf sb = STRBUF_INIT;
		for (size_t i = 0; i < n; i++)
			if (strncmp(cmds[i].name, s, wlen) == 0)
				sb_addf(&sb, "%s ", cmds[i].name);
		ui_feedback(ui, true, sb_str(&sb));
		sb_free(&sb);
	}
}

static void ui_action(struct ui *ui, const char *name, const char *args);

static void ui_editor_keys(struct ui *ui, int key)
{
	bool compose = ui->mode == UI_MODE_COMPOSE;
	struct ui_editor *e = compose ? &ui->compose : &ui->cmd;
	enum ui_ed_res r;

	if (!compose && key == (KEYS_FN | KEYS_K_TAB)) {
		ui_cmd_complete(ui);
		ui->dirty |= UI_D_COMPOSE;
		return;
	}
	r = ui_editor_key(e, key);
	switch (r) {
	case UI_ED_UNHANDLED: {
		const char *cmd;
		/* Function and meta keys still reach the bindings. */
		if ((key & (KEYS_FN | KEYS_META)) && (cmd = keys_lookup(ui->keys, key))) {
			const struct keys_action *a = keys_action_find(cmd);
			if (a)
				ui_action(ui, a->name, cmd + strlen(a->name));
			else
				ui_run(ui, cmd, 0);
		} else if (key == (KEYS_FN | KEYS_K_TAB)) {
			ui->mode = UI_MODE_NORMAL;
			ui_action(ui, "focus-next", "");
		}
		break;
	}
	case UI_ED_MOVED:
		break;
	case UI_ED_CHANGED:
		if (compose) {
			app_set_draft(ui->app, ui->compose_conv, sb_str(&e->buf));
			app_typing(ui->app, ui->compose_conv, e->buf.len > 0);
			if (ui_editor_lines(e, ui_compose_cols(ui)) != ui->compose_lines)
				ui->dirty |= UI_D_LAYOUT;
		}
		break;
	case UI_ED_SUBMIT:
		if (compose) {
			ui_compose_send(ui);
		} else {
			char *line = xstrdup(sb_str(&e->buf));
			ui_editor_hist_add(e, line);
			ui_editor_set(e, NULL);
			ui->mode = UI_MODE_NORMAL;
			ui->dirty |= UI_D_LAYOUT;
			if (*line && !view_super_confirm(ui, line))
				ui_run(ui, line, 0);
			free(line);
		}
		break;
	case UI_ED_CANCEL:
		if (!compose) {
			ui_editor_set(e, NULL);
			ui->dirty |= UI_D_LAYOUT;
		} else {
			app_typing(ui->app, ui->compose_conv, false);
		}
		ui->mode = UI_MODE_NORMAL;
		break;
	}
	ui->dirty |= UI_D_COMPOSE;
}

/* ---- actions ---- */

static void ui_focus(struct ui *ui, enum ui_pane p)
{
	if (ui->g.layout != UI_LAYOUT_THREE && p != UI_PANE_CHAT) {
		if (ui->band != p) {
			ui->band = p;
			ui->dirty |= UI_D_LAYOUT;
		}
	}
	if (ui->g.layout == UI_LAYOUT_TABS && ui->band != p) {
		ui->band = p;
		ui->dirty |= UI_D_LAYOUT;
	}
	ui->focus = p;
	ui->dirty |= UI_D_TITLES;
}

static void ui_scroll(struct ui *ui, int delta)
{
	switch (ui->focus) {
	case UI_PANE_QUEUE:
		view_queue_move(ui, delta);
		break;
	case UI_PANE_CHAT:
		view_chat_scroll(ui, -delta);
		break;
	case UI_PANE_CONTEXT:
		view_context_scroll(ui, delta);
		break;
	default:
		break;
	}
}

static int ui_page(const struct ui *ui)
{
	WINDOW *w = ui->pw[ui->focus].body;
	int h = w ? getmaxy(w) : 10;

	return h > 2 ? h - 1 : 1;
}

static void ui_start_compose(struct ui *ui)
{
	struct model_conv *c = model_selected(ui_model(ui));

	if (!c || !c->mine) {
		ui_feedback(ui, false, c ? "This conversation is not yours: Enter claims it first." :
			    "Pick a conversation first: j/k in the queue, Enter claims it.");
		return;
	}
	ui->mode = UI_MODE_COMPOSE;
	ui->dirty |= UI_D_COMPOSE;
}

/*
 * ctrl-z: stop like any terminal program. The keys come in raw mode, so the
 * terminal sends no SIGTSTP itself: restore the terminal, stop with the
 * default action (not ncurses' handler, which would redraw on its own
 * behind the loop's back), and repaint everything when the shell's fg
 * continues us. A process whose SIGTSTP is ignored (started by a program
 * without job control) is not stopped: it says so instead.
 */
static void ui_suspend(struct ui *ui)
{
	struct sigaction dfl, old;

	if (sigaction(SIGTSTP, NULL, &old) == 0 && old.sa_handler == SIG_IGN) {
		ui_feedback(ui, false, "Cannot suspend: baton was started without job control (SIGTSTP is ignored).");
		return;
	}
	fputs("\033[?2004l", stdout);	/* bracketed paste off for the shell */
	fflush(stdout);
	endwin();
	memset(&dfl, 0, sizeof(dfl));
	dfl.sa_handler = SIG_DFL;
	sigemptyset(&dfl.sa_mask);
	sigaction(SIGTSTP, &dfl, &old);
	raise(SIGTSTP);
	/* Here again after SIGCONT (or at once if the process group is
	 * orphaned and the kernel dropped the stop). */
	sigaction(SIGTSTP, &old, NULL);
	fputs("\033[?2004h", stdout);
	fflush(stdout);
	/* The shell drew over the screen, and the terminal may have changed
	 * size meanwhile. */
	ui_on_resize(ui);
	clearok(curscr, TRUE);
	ui->dirty |= UI_D_ALL | UI_D_LAYOUT;
}

static void ui_action(struct ui *ui, const char *name, const char *args)
{
	while (args && *args == ' ')
		args++;
	if (!strcmp(name, "down")) {
		ui_scroll(ui, 1);
	} else if (!strcmp(name, "up")) {
		ui_scroll(ui, -1);
	} else if (!strcmp(name, "page-down")) {
		ui_scroll(ui, ui_page(ui));
	} else if (!strcmp(name, "page-up")) {
		ui_scroll(ui, -ui_page(ui));
	} else if (!strcmp(name, "top")) {
		ui_scroll(ui, -(1 << 20));
	} else if (!strcmp(name, "bottom")) {
		if (ui->focus == UI_PANE_CHAT)
			view_chat_scroll(ui, -(1 << 30));
		else
			ui_scroll(ui, 1 << 20);
	} else if (!strcmp(name, "select")) {
		struct model *m = ui_model(ui);
		if (ui->focus == UI_PANE_QUEUE) {
			long r = view_queue_sel_row(ui);
			bool mine = false;
			const char *id = r >= 0 ? view_queue_row_id(ui, (size_t)r, &mine) : NULL;
			if (!id) {
				ui_feedback(ui, false, "Nothing selected: j/k moves in the queue.");
			} else if (mine) {
				ui_start_compose(ui);
			} else {
				char *cmd = xasprintf("claim %s", id);
				ui_run(ui, cmd, 0);
				free(cmd);
			}
		} else if (ui->focus == UI_PANE_CHAT) {
			ui_start_compose(ui);
		}
		(void)m;
	} else if (!strcmp(name, "focus-next") || !strcmp(name, "focus-prev")) {
		static const enum ui_pane order[] = { UI_PANE_QUEUE, UI_PANE_CHAT, UI_PANE_CONTEXT };
		int i = 0, d = name[6] == 'n' ? 1 : 2;
		while (order[i] != ui->focus)
			i++;
		ui_focus(ui, order[(i + d) % 3]);
	} else if (!strcmp(name, "focus-queue")) {
		ui_focus(ui, UI_PANE_QUEUE);
	} else if (!strcmp(name, "focus-chat")) {
		ui_focus(ui, UI_PANE_CHAT);
	} else if (!strcmp(name, "focus-context")) {
		ui_focus(ui, UI_PANE_CONTEXT);
	} else if (!strcmp(name, "command-line")) {
		ui->mode = UI_MODE_CMDLINE;
		ui_editor_set(&ui->cmd, args && *args ? args : NULL);
		ui->dirty |= UI_D_LAYOUT;
	} else if (!strcmp(name, "search")) {
		ui->mode = UI_MODE_CMDLINE;
		ui_editor_set(&ui->cmd, "search ");
		ui->dirty |= UI_D_LAYOUT;
	} else if (!strcmp(name, "compose")) {
		ui_start_compose(ui);
	} else if (!strcmp(name, "help")) {
		ui_show_help(ui);
	} else if (!strcmp(name, "redraw")) {
		clearok(curscr, TRUE);
		ui->dirty |= UI_D_ALL;
	} else if (!strcmp(name, "return-items")) {
		ui_pick_open(ui);
	} else if (!strcmp(name, "supervisor-view")) {
		ui_show_super(ui, !ui->super_on);
	} else if (!strcmp(name, "suspend")) {
		ui_suspend(ui);
	} else if (!strcmp(name, "cancel")) {
		ui->fb[0] = '\0';
		ui->dirty |= UI_D_COMPOSE;
	}
}

static void ui_binding(struct ui *ui, int key)
{
	const char *cmd = keys_lookup(ui->keys, key);
	const struct keys_action *a;
	char name[48];

	if (!cmd) {
		if (key != (KEYS_FN | KEYS_K_ESC) && key != KEYS_NONE) {
			keys_name(key, name, sizeof(name));
			ui_feedback(ui, false, "");
			snprintf(ui->fb, sizeof(ui->fb), "%s does nothing here: c writes to the customer, "
				 ": runs a command, ? shows the keys", name);
		}
		return;
	}
	if ((a = keys_action_find(cmd))) {
		ui_action(ui, a->name, cmd + strlen(a->name));
		return;
	}
	/* Quitting with unsent drafts asks first. */
	if (strcmp(cmd, "quit") == 0 && app_has_drafts(ui->app)) {
		ui_confirm(ui, "Quit?", "Some conversations have unsent drafts. They are kept and come "
			   "back when you start baton again. Quit now?", "quit");
		return;
	}
	ui_run(ui, cmd, 0);
}

static void ui_paste_end(struct ui *ui)
{
	struct model_conv *c;
	const char *p = ui->paste.buf ? ui->paste.buf : "";
	size_t lines = 1;

	ui->pasting = false;
	/* Never let a paste answer or replace an open dialog (a money
	 * confirmation must be answered by a key the agent pressed). */
	if (ui->ov != UI_OV_NONE) {
		ui_feedback(ui, false, "Paste ignored: answer or close the dialog first.");
		return;
	}
	for (const char *s = p; *s; s++)
		lines += *s == '\n';
	if (ui->mode == UI_MODE_CMDLINE) {
		/* One line only on the : line. */
		for (char *s = ui->paste.buf; s && *s; s++)
			if (*s == '\n')
				*s = ' ';
		ui_editor_insert(&ui->cmd, p, strlen(p));
		ui->dirty |= UI_D_COMPOSE;
		return;
	}
	c = model_selected(ui_model(ui));
	if (!c || !c->mine) {
		ui_feedback(ui, false, "Paste: open one of your conversations first.");
		return;
	}
	ui->mode = UI_MODE_COMPOSE;
	if (lines > 1) {
		char body[200];
		snprintf(body, sizeof(body), "The clipboard holds %zu lines (%zu characters). Put them "
			 "into the message? Nothing is sent until you press Enter.", lines,
			 text_utf8_count(p, strlen(p)));
		ui_overlay_open(ui, UI_OV_PASTE, "Paste several lines?", body, NULL);
		return;
	}
	ui_editor_insert(&ui->compose, p, strlen(p));
	app_set_draft(ui->app, ui->compose_conv, sb_str(&ui->compose.buf));
	ui->dirty |= UI_D_COMPOSE;
}

static void ui_key(struct ui *ui, int key)
{
	if (key == KEYS_NONE)
		return;
	/* Handlers reason about the current geometry (focus, tabs). */
	if (ui->dirty & UI_D_LAYOUT)
		ui_layout(ui);
	if (key == (KEYS_FN | KEYS_K_RESIZE)) {
		ui->dirty |= UI_D_LAYOUT;
		return;
	}
	if (key == (KEYS_FN | KEYS_K_PASTE_BEGIN)) {
		ui->pasting = true;
		sb_reset(&ui->paste);
		return;
	}
	if (key == (KEYS_FN | KEYS_K_PASTE_END)) {
		ui_paste_end(ui);
		return;
	}
	if (ui->pasting) {
		char u[4];
		if (key == (KEYS_FN | KEYS_K_ENTER) || key == 10)
			sb_addc(&ui->paste, '\n');
		else if (key == (KEYS_FN | KEYS_K_TAB))
			sb_addc(&ui->paste, '\t');
		else if (!(key & (KEYS_FN | KEYS_META)) && key >= 0x20 && !text_is_unsafe((uint32_t)key))
			sb_add(&ui->paste, u, text_utf8_put((uint32_t)key, u));
		return;
	}
	/* An error stays until the next key. */
	if (ui->fb[0] && !ui->fb_ok) {
		ui->fb[0] = '\0';
		ui->dirty |= UI_D_COMPOSE;
	}
	if (ui->ov != UI_OV_NONE) {
		ui_overlay_key(ui, key);
		return;
	}
	if (ui->mode != UI_MODE_NORMAL) {
		ui_editor_keys(ui, key);
		return;
	}
	if (ui->super_on && view_super_key(ui, key))
		return;
	ui_binding(ui, key);
}

/* True for meta plus a printable key that neither a binding nor the line
 * editor (meta-b, meta-f, meta-d) gives a meaning. */
static bool ui_meta_unmeant(struct ui *ui, int key)
{
	int base = key & ~KEYS_META;

	if (!(key & KEYS_META) || (key & KEYS_FN) || base < 0x20 || base == 0x7f)
		return false;
	if (base == 'b' || base == 'f' || base == 'd')
		return false;
	return !keys_lookup(ui->keys, key);
}

void ui_on_input(struct ui *ui)
{
	wint_t wch, wch2;
	int rc, rc2, n = 0;

	if (!ui)
		return;
	while (n++ < 4096 && (rc = wget_wch(ui->input, &wch)) != ERR) {
		int key = keys_from_curses(rc, (unsigned)wch, false);
		/* Esc then a key at once is meta-key (Alt sends it so). */
		if (key == (KEYS_FN | KEYS_K_ESC) && !ui->pasting &&
		    (rc2 = wget_wch(ui->input, &wch2)) != ERR) {
			int k2 = keys_from_curses(rc2, (unsigned)wch2, true);
			key = k2 == (KEYS_META | KEYS_FN | KEYS_K_ESC) ? (KEYS_FN | KEYS_K_ESC) : k2;
			/* Unless nothing means meta-that-key: then it was Esc and the key,
			 * typed fast or arriving in one packet over a slow SSH link.
			 * Esc ':' while writing to a customer must close the compose
			 * area and open the command line, never send the command. */
			if (ui_meta_unmeant(ui, key)) {
				ui_key(ui, KEYS_FN | KEYS_K_ESC);
				key &= ~KEYS_META;
			}
		}
		ui_key(ui, key);
	}
}

void ui_on_resize(struct ui *ui)
{
	struct winsize ws;

	if (!ui)
		return;
	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0 && ws.ws_col > 0 &&
	    (ws.ws_row != LINES || ws.ws_col != COLS))
		resizeterm(ws.ws_row, ws.ws_col);
	ui->dirty |= UI_D_LAYOUT;
}

void ui_invalidate(struct ui *ui)
{
	if (ui)
		ui->dirty |= UI_D_ALL;
}

struct keys *ui_keys(struct ui *ui)
{
	return ui ? ui->keys : NULL;
}

/* ---- alerts (driven by the queue the model holds) ----
 *
 * app.c notifies live events (new escalation, message, approval). The ui
 * adds what needs the queue as a whole: urgent conversations already in the
 * queue at start (a snapshot is not an event) keep re-alerting until
 * claimed, and an SLA about to pass warns once, notify.sla_lead_s before. */

/* model_qitem.ui_marks bits */
enum { UI_QMARK_URGENT = 1u << 0, UI_QMARK_SLA = 1u << 1, UI_QMARK_UNCLAIMED = 1u << 2 };

/* SLA alerts one pass posts one by one; the rest become one summary. A
 * backlog (10,000 rows past their SLA at start) was 10,000 formatted
 * titles and posts, nearly all dropped by notify's rate limit. */
#define UI_SLA_ALERTS_MAX 3

static int ui_strcmp_p(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Supervisors: an agent gone offline with conversations assigned (they go
 * back to the queue after the hub's grace period). Once per going away. */
static void ui_alerts_offline(struct ui *ui, struct notify *nt)
{
	struct model *m = ui_model(ui);
	char **still = xcalloc(m->nagents + 1, sizeof(*still));
	size_t nstill = 0;

	for (size_t i = 0; i < m->nagents; i++) {
		const struct proto_presence *p = m->agents[i]->p;
		char **hit;
		if (!p || !p->id || p->status != PROTO_PRES_OFFLINE || !p->active.n ||
		    p->role == PROTO_ROLE_BOT)
			continue;
		hit = ui->noffline ? bsearch(&p->id, ui->offline, ui->noffline, sizeof(char *), ui_strcmp_p) : NULL;
		if (hit) {
			still[nstill++] = xstrdup(p->id);
			continue;
		}
		struct strbuf b = STRBUF_INIT;
		char *t = xasprintf("%s went offline with %zu conversation%s", p->name ? p->name : p->id,
				    p->active.n, p->active.n == 1 ? "" : "s");
		for (size_t k = 0; k < p->active.n && k < 8; k++)
			sb_addf(&b, "%s%s", k ? ", " : "", p->active.v[k]);
		sb_adds(&b, ": back to the queue after the hub's grace period unless the agent returns.");
		notify_post_conv(nt, NOTIFY_OFFLINE, p->active.v[0], t, sb_str(&b));
		free(t);
		sb_free(&b);
		still[nstill++] = xstrdup(p->id);
	}
	/* Back online or without work: may alert again next time. */
	for (size_t i = 0; i < ui->noffline; i++)
		free(ui->offline[i]);
	free(ui->offline);
	qsort(still, nstill, sizeof(*still), ui_strcmp_p);
	ui->offline = still;
	ui->noffline = nstill;
}

static void ui_alerts(struct ui *ui)
{
	struct model *m = ui_model(ui);
	struct notify *nt = ui->app->notify;
	const char **ids = NULL;
	size_t nids = 0;
	int lead;
	bool sup;
	int64_t unclaimed_ms;
	size_t nsla = 0, nsla_passed = 0;

	if (!nt)
		return;
	sup = m->me && m->me->role == PROTO_ROLE_SUPERVISOR;
	unclaimed_ms = (int64_t)ui->sup_unclaimed_s * 1000;	/* 0: never */
	lead = notify_sla_lead_s(nt);
	/* One pass over the queue; the marks on the rows say what was done
	 * already, so 10,000 rows cost 10,000 looks, not lookups. */
	for (size_t i = 0; i < m->nqueue; i++) {
		struct model_qitem *q = m->queue[i];
		if (q->priority == PROTO_PRIO_URGENT) {
			if (!(q->ui_marks & UI_QMARK_URGENT)) {
				/* The same words as app.c's alert for a live escalation. */
				char *t = xasprintf("Urgent escalation: %s", q->customer[0] ?
						    q->customer : "a customer");
				char *b = xasprintf("%s %s (%s)", q->id, q->reason >= 0 ?
						    PROTO_ENUM_STR(reason_code, q->reason) : "",
						    PROTO_ENUM_STR(channel, q->channel));
				notify_urgent(nt, q->id, t, b);
				free(t);
				free(b);
				q->ui_marks |= UI_QMARK_URGENT;
				ui->urgent = xrealloc(ui->urgent, (ui->nurgent + 1) * sizeof(char *));
				ui->urgent[ui->nurgent++] = xstrdup(q->id);
			}
			/* Supervisors: nobody took it within notify.unclaimed_s. */
			int64_t since = q->queued_at ? q->queued_at : q->created_at;
			if (sup && unclaimed_ms > 0 && !(q->ui_marks & UI_QMARK_UNCLAIMED) && since &&
			    ui->now - since >= unclaimed_ms) {
				char w[16];
				ui_fmt_wait((ui->now - since) / 1000, w, sizeof(w));
				char *t = xasprintf("Urgent unclaimed for %s: %s", w,
						    q->customer[0] ? q->customer : q->id);
				notify_post_conv(nt, NOTIFY_UNCLAIMED, q->id, t, q->reason_text);
				free(t);
				q->ui_marks |= UI_QMARK_UNCLAIMED;
			}
			if (!ids)
				ids = xcalloc(m->nqueue, sizeof(*ids));
			ids[nids++] = q->id;
		}
		if (q->sla_due_at && !(q->ui_marks & UI_QMARK_SLA) &&
		    q->sla_due_at - ui->now <= (int64_t)lead * 1000) {
			if (nsla++ < UI_SLA_ALERTS_MAX) {
				char *t = xasprintf(q->sla_due_at <= ui->now ? "SLA passed: %s" :
						    "SLA due soon: %s",
						    q->customer[0] ? q->customer : q->id);
				notify_post_conv(nt, NOTIFY_SLA, q->id, t, q->reason_text);
				free(t);
			} else if (q->sla_due_at <= ui->now) {
				nsla_passed++;
			}
			q->ui_marks |= UI_QMARK_SLA;
		}
	}
	if (nsla > UI_SLA_ALERTS_MAX) {
		size_t more = nsla - UI_SLA_ALERTS_MAX;
		char *t = xasprintf("SLA: %zu more conversation%s past or near the SLA (%zu past)",
				    more, more == 1 ? "" : "s", nsla_passed);
		notify_post(nt, NOTIFY_SLA, t, "See the queue: it is sorted by priority and SLA.");
		free(t);
	}
	/* Urgent ones gone from the queue (claimed, closed…): stop repeating. */
	if (nids > 1)
		qsort(ids, nids, sizeof(*ids), ui_strcmp_p);
	for (size_t i = 0; i < ui->nurgent; ) {
		if (!nids || !bsearch(&ui->urgent[i], ids, nids, sizeof(*ids), ui_strcmp_p)) {
			notify_urgent_done(nt, ui->urgent[i]);
			free(ui->urgent[i]);
			ui->urgent[i] = ui->urgent[--ui->nurgent];
			continue;
		}
		i++;
	}
	free(ids);
	if (sup)
		ui_alerts_offline(ui, nt);
}

void ui_tick(struct ui *ui, int64_t now_ms)
{
	struct model *m;
	struct model_conv *c;
	time_t t = (time_t)(now_ms / 1000);
	struct tm tm;

	if (!ui)
		return;
	m = ui_model(ui);
	ui->now = now_ms;
	if (m->nqueue || m->nmine)
		ui->dirty |= UI_D_QUEUE;	/* wait timers */
	if (localtime_r(&t, &tm) && tm.tm_min != ui->last_minute) {
		ui->last_minute = tm.tm_min;
		ui->dirty |= UI_D_STATUS;
	}
	if (m->conn != MODEL_CONN_CONNECTED || ui->pending_since)
		ui->dirty |= UI_D_STATUS;	/* "reconnecting in N s", "waiting to send" */
	if (ui->fb[0] && ui->fb_ok && now_ms - ui->fb_at > UI_FEEDBACK_OK_MS) {
		ui->fb[0] = '\0';
		ui->dirty |= UI_D_COMPOSE;
	}
	if (ui->super_on)
		ui->dirty |= UI_D_SUPER;	/* expiry countdowns, idle times */
	c = model_selected(m);
	if (c && (c->customer_typing_until || c->agent_typing_until))
		ui->dirty |= UI_D_CHAT_TITLE;
	/* The countdown only, not the pane; it runs while the conversation is
	 * queued (view-context.c). */
	if (c && c->conv && c->conv->sla_due_at && c->conv->state == PROTO_STATE_QUEUED)
		ui->dirty |= UI_D_SLA;
	ui->alerts_due = true;	/* ui_render runs them after its paint */
	/* Drawn now, not at the end of the loop pass: libwebsockets runs
	 * its timers inside lws_service() before it waits in poll(), so the
	 * pass (and ui_render) would end only with the next event — the
	 * countdown a second late, and the tick's redraw sent in front of
	 * the next message. A pass end that follows finds nothing dirty. */
	ui_render(ui);
}

/* ---- the supervisor screen ---- */

void ui_on_stats(struct ui *ui, const struct proto_stats *s)
{
	if (!ui || !s)
		return;
	ui_super_apply(&ui->sup, s);
	ui->dirty |= UI_D_SUPER;
}

void ui_show_super(struct ui *ui, bool on)
{
	if (!ui || ui->super_on == on)
		return;
	ui->super_on = on;
	ui->dirty |= UI_D_LAYOUT;
}

/* ---- render ---- */

static void ui_sync_model(struct ui *ui)
{
	struct model *m = ui_model(ui);
	struct model_conv *sel = model_selected(m);
	unsigned d = m->dirty;

	if (d & (MODEL_DIRTY_QUEUE | MODEL_DIRTY_MINE | MODEL_DIRTY_SELECT))
		ui->dirty |= UI_D_QUEUE | UI_D_STATUS;
	if (d & MODEL_DIRTY_SELECT)
		ui->dirty |= UI_D_CHAT | UI_D_CONTEXT | UI_D_COMPOSE;
	if (d & MODEL_DIRTY_CONTEXT)
		ui->dirty |= UI_D_CONTEXT;
	/* Results also change the "waiting to send" count. */
	if (d & (MODEL_DIRTY_STATUS | MODEL_DIRTY_RESULTS))
		ui->dirty |= UI_D_STATUS;
	/* After this render's paint (ui_render_end): the first paint of a big
	 * queue does not wait for its alerts. */
	if (d & (MODEL_DIRTY_QUEUE | MODEL_DIRTY_AGENTS))
		ui->alerts_due = true;
	if (d & (MODEL_DIRTY_APPROVALS | MODEL_DIRTY_AGENTS | MODEL_DIRTY_STATS | MODEL_DIRTY_QUEUE))
		ui->dirty |= UI_D_SUPER;
	/* An approval's decision is a line in the requester's conversation. */
	if (d & MODEL_DIRTY_APPROVALS)
		ui->dirty |= UI_D_CHAT;
	/* A supervisor starts on the supervisor screen (once: a switch sticks). */
	if (!ui->super_auto && m->me) {
		ui->super_auto = true;
		if (m->me->role == PROTO_ROLE_SUPERVISOR)
			ui_show_super(ui, true);
	}
	if (strcmp(sel ? sel->id : "", ui->chat_conv) != 0) {
		ui->dirty |= UI_D_CHAT | UI_D_CONTEXT;
		ui->ctx_top = 0;
	}
	for (size_t i = 0; i <= m->nmine; i++) {
		struct model_conv *c = i < m->nmine ? m->mine[i] : m->detail;
		if (!c || !c->dirty)
			continue;
		if (c == sel) {
			if (c->dirty & (MODEL_CONV_TRANSCRIPT))
				ui->dirty |= UI_D_CHAT;
			if (c->dirty & MODEL_CONV_META)
				ui->dirty |= UI_D_TITLES | UI_D_CONTEXT | UI_D_QUEUE;
			if (c->dirty & MODEL_CONV_CONTEXT)
				ui->dirty |= UI_D_CONTEXT | UI_D_CHAT;
			/* Typing shows in the conversation's title only: a customer's
			 * message (typing ends) must not redraw the other panes. */
			if (c->dirty & MODEL_CONV_TYPING)
				ui->dirty |= UI_D_CHAT_TITLE;
			if (c->dirty & MODEL_CONV_APPENDED) {
				ui->dirty |= UI_D_APPEND;
				ui->append_n += c->appended;
			}
			if (c->dirty & MODEL_CONV_DRAFT) {
				ui->compose_conv[0] = '\0';
				ui->dirty |= UI_D_COMPOSE;
			}
		} else if (c->dirty & MODEL_CONV_APPENDED) {
			/* Unread counts and waits in the list (app.c notifies). */
			ui->dirty |= UI_D_QUEUE;
		}
		c->dirty = 0;
		c->appended = 0;
	}
	m->dirty = 0;
	ui_compose_sync(ui);
}

static void ui_draw_status(struct ui *ui)
{
	struct model *m = ui_model(ui);
	WINDOW *w = ui->wstatus;
	char buf[256], hm[16];
	int cols = getmaxx(w), slot, x;
	size_t pending = app_outbox_pending(ui->app);
	int64_t *qc = m->queue_counts;

	wmove(w, 0, 0);
	wattrset(w, ui->attr[THEME_STATUS]);
	model_conn_text(m, ui->now, buf, sizeof(buf));
	slot = m->conn == MODEL_CONN_CONNECTED ? THEME_STATUS_OK :
	       m->conn == MODEL_CONN_OFFLINE ? THEME_STATUS_BAD : THEME_STATUS_WARN;
	waddch(w, ' ');
	x = ui_draws(ui, w, slot, buf, cols / 3);
	ui_pad(ui, w, THEME_STATUS, 1 + (x > 24 ? x : 24));
	ui_draws(ui, w, THEME_STATUS, " |", 2);
	/* Fixed widths, so a change rewrites only its own word; in its own
	 * slot, which the night theme draws in the terminal's colours, so
	 * going away costs a cursor move and the word, no colour changes. */
	ui_draws(ui, w, THEME_STATUS_PRESENCE, m->my_status == PROTO_PRES_AWAY ? " away   " :
		 " online ", 8);
	ui_draws(ui, w, THEME_STATUS, "| ", 2);
	if (cols >= 110)
		snprintf(buf, sizeof(buf), "queue: %lld urgent, %lld high, %lld normal, %lld low%s",
			 (long long)qc[0], (long long)qc[1], (long long)qc[2], (long long)qc[3],
			 m->queue_more ? ", more" : "");
	else
		snprintf(buf, sizeof(buf), "Q %lld!/%lld/%lld/%lld%s", (long long)qc[0],
			 (long long)qc[1], (long long)qc[2], (long long)qc[3], m->queue_more ? "+" : "");
	ui_draws(ui, w, qc[0] ? THEME_STATUS_ALERT : THEME_STATUS, buf, cols / 2);
	if (m->limits)
		snprintf(buf, sizeof(buf), " | mine %zu/%lld", m->nmine, (long long)m->limits->max_active);
	else
		snprintf(buf, sizeof(buf), " | mine %zu", m->nmine);
	ui_draws(ui, w, THEME_STATUS, buf, 20);
	/* A command answered within a moment is not news: say "waiting"
	 * only when offline or when the hub is slow to answer. */
	if (!pending)
		ui->pending_since = 0;
	else if (!ui->pending_since)
		ui->pending_since = ui->now;
	if (pending && (m->conn != MODEL_CONN_CONNECTED || ui->now - ui->pending_since >= 2000)) {
		snprintf(buf, sizeof(buf), " | %zu waiting to send", pending);
		ui_draws(ui, w, THEME_STATUS_WARN, buf, 24);
	}
	if (ui->app->store_error[0]) {
		ui_draws(ui, w, THEME_STATUS, " | ", 3);
		ui_draws(ui, w, THEME_STATUS_BAD, ui->app->store_error, cols / 3);
	}
	ui_fmt_hm(ui->now, hm, sizeof(hm));
	ui_pad(ui, w, THEME_STATUS, cols - 7);
	getyx(w, slot, x);
	(void)slot;
	if (x <= cols - 7)
		ui_draws(ui, w, THEME_STATUS, hm, 6);
	ui_pad(ui, w, THEME_STATUS, cols - 1);
}

static void ui_draw_compose(struct ui *ui)
{
	struct model *m = ui_model(ui);
	int cols = getmaxx(ui->wctitle), rows = getmaxy(ui->wcompose);
	struct strbuf sb = STRBUF_INIT;
	const char *name = ui_customer_name(ui, m->sel);

	/* The title line: where a message goes, or the last result. */
	wmove(ui->wctitle, 0, 0);
	if (ui->fb[0]) {
		int slot = ui->fb_ok ? THEME_FEEDBACK_OK : THEME_FEEDBACK_ERROR;
		wattrset(ui->wctitle, ui->attr[slot]);
		waddch(ui->wctitle, ' ');
		ui_draws(ui, ui->wctitle, slot, ui->fb, cols - 2);
		/* The rest with the plain blank, not ~100 bold ones: ncurses
		 * sends an erase to the end of the line for it. */
		wattrset(ui->wctitle, ui->blank);
		wclrtoeol(ui->wctitle);
	} else {
		if (ui->mode == UI_MODE_CMDLINE)
			sb_adds(&sb, "Command: Enter runs, Tab completes, Esc cancels, ? help");
		else if (ui->mode == UI_MODE_COMPOSE)
			sb_addf(&sb, "To %s (%s): Enter sends, meta-Enter new line, Esc leaves",
				*name ? name : "customer", m->sel);
		else if (m->sel[0])
			sb_addf(&sb, "%s %s: c writes, : command, ? help", *name ? name : "",
				m->sel);
		else
			sb_adds(&sb, "j/k select, Enter claims, : command, ? help, q quit");
		ui_draw_title(ui, ui->wctitle, sb_str(&sb), ui->mode != UI_MODE_NORMAL);
	}
	sb_free(&sb);
	werase(ui->wcompose);
	if (ui->mode == UI_MODE_CMDLINE)
		ui_editor_draw(ui, &ui->cmd, ui->wcompose, 0, 1, ":", THEME_CMDLINE);
	else
		ui_editor_draw(ui, &ui->compose, ui->wcompose, 0, rows,
			       ui->mode == UI_MODE_COMPOSE ? "> " : "  ", THEME_COMPOSE);
}

static void ui_draw_titles(struct ui *ui)
{
	if (ui->wdiv) {
		int h = getmaxy(ui->wdiv);
		wattrset(ui->wdiv, ui->attr[THEME_DIVIDER]);
		for (int y = 0; y < h; y++)
			mvwaddch(ui->wdiv, y, 0, ACS_VLINE);
	}
	if (ui->wtabs) {
		static const char *const names[] = { " 1 Queue ", " 2 Conversation ", " 3 Context " };
		wmove(ui->wtabs, 0, 0);
		for (int i = 0; i < UI_PANE__COUNT; i++) {
			int slot = ui->band == (enum ui_pane)i ? THEME_TAB_ACTIVE : THEME_TAB;
			ui_draws(ui, ui->wtabs, slot, names[i], 20);
			ui_draws(ui, ui->wtabs, THEME_TAB, " ", 1);
		}
		ui_pad(ui, ui->wtabs, THEME_TAB, getmaxx(ui->wtabs));
	}
}

static void ui_set_cursor(struct ui *ui, int on)
{
	if (ui->wcompose)
		leaveok(ui->wcompose, on ? FALSE : TRUE);
	if (ui->curs != on) {
		curs_set(on);
		ui->curs = on;
	}
}

static void ui_out(WINDOW *w)
{
	if (w)
		wnoutrefresh(w);
}

/* What ui_render does after its paint (or when there was nothing to
 * paint): the alerts, whose notifications (bell, OSC) then follow the
 * screen's bytes instead of going in front of them. */
static void ui_render_end(struct ui *ui)
{
	if (ui->alerts_due) {
		ui->alerts_due = false;
		ui_alerts(ui);
	}
}

void ui_render(struct ui *ui)
{
	unsigned d;
	bool editing;

	if (!ui)
		return;
	if (!ui->now)
		ui->now = time_now_ms();
	ui_sync_model(ui);
	if (ui->pick_macro) {
		ui->pick_macro = false;
		ui_macro_open(ui);
	}
	if (ui->dirty & UI_D_LAYOUT)
		ui_layout(ui);
	d = ui->dirty;
	if (!d) {
		ui_render_end(ui);
		return;
	}
	if (ui->g.too_small) {
		if (!ui->too_small_drawn) {
			werase(stdscr);
			mvwaddstr(stdscr, 0, 0, "baton needs at least");
			mvwprintw(stdscr, 1, 0, "%d x %d characters;", UI_MIN_COLS, UI_MIN_ROWS);
			mvwprintw(stdscr, 2, 0, "this is %d x %d.", COLS, LINES);
			wnoutrefresh(stdscr);
			ui_set_cursor(ui, 0);
			doupdate();
			ui->too_small_drawn = true;
		}
		ui->dirty = 0;
		ui_render_end(ui);
		return;
	}
	if (ui->super_on) {
		if (d & (UI_D_SUPER | UI_D_QUEUE | UI_D_TITLES)) {
			view_super_draw(ui);
			ui_out(ui->wsuper);
		}
		d &= ~(UI_D_QUEUE | UI_D_CHAT | UI_D_APPEND | UI_D_CONTEXT | UI_D_TITLES | UI_D_SLA |
		       UI_D_CHAT_TITLE);
	}
	if (d & (UI_D_QUEUE | UI_D_TITLES)) {
		view_queue_draw(ui);
		ui_out(ui->pw[UI_PANE_QUEUE].title);
		ui_out(ui->pw[UI_PANE_QUEUE].body);
	}
	if (d & UI_D_CHAT) {
		view_chat_draw(ui);
		ui_out(ui->pw[UI_PANE_CHAT].title);
		ui_out(ui->pw[UI_PANE_CHAT].body);
	} else if (d & UI_D_APPEND) {
		view_chat_append(ui, ui->append_n);
		if (d & (UI_D_TITLES | UI_D_CHAT_TITLE))
			view_chat_draw_title(ui);
		ui_out(ui->pw[UI_PANE_CHAT].title);
		ui_out(ui->pw[UI_PANE_CHAT].body);
	} else if (d & (UI_D_TITLES | UI_D_CHAT_TITLE)) {
		/* Title only (typing, focus): the body is left alone. */
		view_chat_draw_title(ui);
		ui_out(ui->pw[UI_PANE_CHAT].title);
	}
	ui->append_n = 0;
	if (d & (UI_D_CONTEXT | UI_D_TITLES)) {
		view_context_draw(ui);
		ui_out(ui->pw[UI_PANE_CONTEXT].title);
		ui_out(ui->pw[UI_PANE_CONTEXT].body);
	} else if (d & UI_D_SLA) {
		if (!view_context_sla(ui))
			view_context_draw(ui);
		ui_out(ui->pw[UI_PANE_CONTEXT].body);
	}
	if (d & UI_D_TITLES) {
		ui_draw_titles(ui);
		ui_out(ui->wdiv);
		ui_out(ui->wtabs);
	}
	if (d & UI_D_STATUS) {
		ui_draw_status(ui);
		ui_out(ui->wstatus);
	}
	if (ui->ov != UI_OV_NONE) {
		if (d & UI_D_OVERLAY || !ui->wov)
			ui_overlay_draw(ui);
		if (ui->wov) {
			touchwin(ui->wov);
			wnoutrefresh(ui->wov);
		}
	}
	editing = ui->mode != UI_MODE_NORMAL && ui->ov == UI_OV_NONE;
	ui_set_cursor(ui, editing ? 1 : 0);
	if (d & UI_D_COMPOSE)
		ui_draw_compose(ui);
	if (d & UI_D_COMPOSE || editing) {
		/* Last, so the terminal's cursor ends where the text cursor is. */
		ui_out(ui->wctitle);
		if (ui->ov == UI_OV_NONE)
			ui_out(ui->wcompose);
	}
	doupdate();
	ui->dirty = 0;
	ui_render_end(ui);
}

/* ---- lifecycle ---- */

static bool ui_utf8_locale(void)
{
	const char *cs = nl_langinfo(CODESET);

	return cs && (strcmp(cs, "UTF-8") == 0 || strcmp(cs, "utf8") == 0);
}

struct ui *ui_new(struct app *app, char *err, size_t errlen)
{
	struct ui *ui;
	SCREEN *scr;
	const char *theme = NULL, *layout = NULL, *term = getenv("TERM");
	char e2[512], path[1024];
	int l;
	bool ascii;

	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
		snprintf(err, errlen, "the screen needs a terminal on stdin and stdout; "
			 "use baton -e 'COMMANDS' from scripts");
		return NULL;
	}
	setlocale(LC_ALL, "");
	/* The screen runs in UTF-8 either way; a non-UTF-8 locale only means
	 * the terminal may not show block characters (ASCII sparklines). */
	ascii = !ui_utf8_locale();
	if (!ui_utf8_locale() && !setlocale(LC_CTYPE, "C.UTF-8") && !setlocale(LC_CTYPE, "en_US.UTF-8")) {
		snprintf(err, errlen, "no UTF-8 locale: set LANG to a UTF-8 locale (e.g. C.UTF-8)");
		return NULL;
	}
	if (!term || !*term) {
		snprintf(err, errlen, "TERM is not set: the screen does not know the terminal");
		return NULL;
	}
	scr = newterm(NULL, stdout, stdin);
	if (!scr) {
		snprintf(err, errlen, "cannot use the terminal \"%s\": is its terminfo installed?", term);
		return NULL;
	}
	/* No typeahead check: ncurses would poll stdin between chunks and
	 * write an update in several write()s; the loop reads keys itself. */
	typeahead(-1);
	ui = xcalloc(1, sizeof(*ui));
	ui->app = app;
	ui->curs = -1;
	ui->last_minute = -1;
	ui->ctx_sla_y = -1;
	ui->compose.multiline = true;
	ui->focus = UI_PANE_QUEUE;
	ui->band = UI_PANE_QUEUE;
	ui->ascii = ascii;
	/* Without a config (tests), the config's defaults. */
	ui->sup_idle_s = UI_SUPER_IDLE_DEFAULT_S;
	ui->sup_unclaimed_s = UI_SUPER_UNCLAIMED_DEFAULT_S;
	ui_super_init(&ui->sup);
	raw();
	noecho();
	nonl();
	set_escdelay(25);
	if (has_colors()) {
		start_color();
		use_default_colors();
	}
	ui->input = newpad(1, 1);
	keypad(ui->input, TRUE);
	nodelay(ui->input, TRUE);
	keys_curses_init();
	/* Bracketed paste: a multi-line paste is one event, and asks first. */
	fputs("\033[?2004h", stdout);
	fflush(stdout);

	if (app->cfg) {
		theme = config_get_str(app->cfg, "theme");
		layout = config_get_str(app->cfg, "layout");
		ui->sup_idle_s = (int)config_get_int(app->cfg, "supervisor.idle_s");
		ui->sup_unclaimed_s = (int)config_get_int(app->cfg, "notify.unclaimed_s");
	}
	l = ui_layout_parse(layout ? layout : "auto");
	ui->want = l < 0 ? UI_LAYOUT_AUTO : (enum ui_layout)l;
	if (theme_no_color() || !has_colors() || COLORS < 8) {
		if (theme_load(&ui->theme, "mono", e2, sizeof(e2)) < 0)
			theme_init_mono(&ui->theme);
		ui->theme.mono = true;
	} else if (theme_load(&ui->theme, theme && *theme ? theme : THEME_DEFAULT_NAME, e2,
			      sizeof(e2)) < 0) {
		ui_feedback(ui, false, e2);
		if (theme_load(&ui->theme, THEME_DEFAULT_NAME, e2, sizeof(e2)) < 0)
			theme_init_mono(&ui->theme);
	}
	ui_apply_theme(ui);

	ui->keys = keys_new();
	/* Macros' own keys first, so the agent's binds file wins. */
	macro_console_bind_keys(ui->keys);
	keys_default_path(path, sizeof(path));
	if (keys_load(ui->keys, path, true, e2, sizeof(e2)) < 0)
		ui_feedback(ui, false, e2);
	ui->now = time_now_ms();
	ui->dirty = UI_D_ALL | UI_D_LAYOUT;
	return ui;
}

void ui_free(struct ui *ui)
{
	if (!ui)
		return;
	ui_overlay_close(ui);
	ui_free_windows(ui);
	if (ui->input)
		delwin(ui->input);
	endwin();
	fputs("\033[?2004l", stdout);
	fflush(stdout);
	ui_editor_free(&ui->compose);
	ui_editor_free(&ui->cmd);
	view_chat_free(ui);
	keys_free(ui->keys);
	sb_free(&ui->paste);
	for (size_t i = 0; i < ui->nurgent; i++)
		free(ui->urgent[i]);
	free(ui->urgent);
	for (size_t i = 0; i < ui->noffline; i++)
		free(ui->offline[i]);
	free(ui->offline);
	ui_super_free(&ui->sup);
	free(ui->sup_rows);
	free(ui);
}
