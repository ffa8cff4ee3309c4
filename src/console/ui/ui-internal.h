/*
 * ui-internal.h: what the ui's files share (not for the rest of baton).
 *
 * ui.c        lifecycle, keys → actions, render loop, status bar, overlays
 * draw.c      the one place text reaches a window: ui_draw_*()
 * view-queue.c, view-chat.c, view-context.c, view-input.c: the panes
 * view-super.c the supervisor screen (instead of the panes); super.c its
 *             data beyond the model and the sparkline (pure, ui.h)
 *
 * Each pane has a title window and a body window; a view draws its body
 * from the model when its dirty bit (UI_D_*) is set and never touches the
 * terminal itself: ui_render() does wnoutrefresh() for what was drawn and
 * one doupdate().
 */
#ifndef BATON_UI_INTERNAL_H
#define BATON_UI_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <curses.h>

#include "baton/app.h"
#include "baton/common.h"
#include "baton/keys.h"
#include "baton/model.h"
#include "baton/theme.h"
#include "baton/ui.h"

/* ui.dirty */
enum {
	UI_D_QUEUE   = 1u << 0,
	UI_D_CHAT    = 1u << 1,	/* the transcript, whole */
	UI_D_CONTEXT = 1u << 2,
	UI_D_COMPOSE = 1u << 3,
	UI_D_STATUS  = 1u << 4,
	UI_D_TITLES  = 1u << 5,	/* pane titles, tabs, divider */
	UI_D_OVERLAY = 1u << 6,
	UI_D_LAYOUT  = 1u << 7,	/* windows must be rebuilt */
	UI_D_APPEND  = 1u << 8,	/* new lines at the bottom of the transcript only */
	UI_D_SUPER   = 1u << 9,	/* the supervisor screen */
	UI_D_SLA     = 1u << 10,	/* the context pane's SLA countdown only */
	UI_D_CHAT_TITLE = 1u << 11,	/* the conversation pane's title only (typing) */
	UI_D_ALL     = 0xffffu & ~UI_D_APPEND,
};

enum ui_mode { UI_MODE_NORMAL, UI_MODE_COMPOSE, UI_MODE_CMDLINE };
enum ui_overlay { UI_OV_NONE, UI_OV_TEXT, UI_OV_CONFIRM, UI_OV_PASTE, UI_OV_PICK, UI_OV_MACRO };

struct macro_picker;
struct macro_set;

/* A line editor: UTF-8 text, a cursor (byte offset), history, a kill buffer. */
struct ui_editor {
	struct strbuf buf;
	size_t cur;
	char **hist;
	size_t nhist, hpos;	/* hpos == nhist: not browsing */
	char *saved;		/* the text being edited before browsing history */
	char *kill;
	int top;		/* first shown wrapped line */
	bool multiline;
};

/* What the editor did with a key. */
enum ui_ed_res { UI_ED_UNHANDLED, UI_ED_MOVED, UI_ED_CHANGED, UI_ED_SUBMIT, UI_ED_CANCEL };

struct ui_panewin {
	WINDOW *title, *body;
};

/* One styled, wrapped line of a pane (chat or context). */
struct ui_line {
	const char *s;		/* into an item's text; not NUL-terminated */
	size_t len;
	size_t lead;		/* the first lead bytes are drawn in lslot */
	int lslot, slot;
	int indent;
	int item;		/* which chat item (for appends) */
};

/* An item for return: order/sku lines the agent can tick. */
struct ui_pick {
	char order[65], sku[65], name[120];
	int64_t qty, picked;
};

#define UI_SUPER_IDLE_DEFAULT_S     300	/* supervisor.idle_s without a config */
#define UI_SUPER_UNCLAIMED_DEFAULT_S 60	/* notify.unclaimed_s without a config */

/* One agent line of the supervisor screen (lent strings). */
struct ui_super_row {
	const char *id, *name;
	int status;
	int64_t active, handled, last;
	bool flagged;		/* idle on an assigned conversation past the threshold */
};

struct ui {
	struct app *app;
	struct keys *keys;
	struct theme theme;
	attr_t attr[THEME_SLOT__COUNT];
	attr_t blank;			/* empty cells: normal's background, default fg */
	/* Slots whose blank looks like ui->blank (normal's background, no
	 * reverse or underline): ui_pad pads them with ui->blank, which
	 * ncurses can send as an erase, or not at all over a clear line. */
	bool pad_blank[THEME_SLOT__COUNT];
	short pair_base;
	enum ui_layout want;
	struct ui_geom g;
	struct ui_panewin pw[UI_PANE__COUNT];
	WINDOW *wdiv, *wtabs, *wctitle, *wcompose, *wstatus, *wov, *input;
	enum ui_pane focus;
	enum ui_pane band;		/* top band (two) / shown pane (tabs) */
	unsigned dirty;
	enum ui_mode mode;
	bool started;

	/* compose and : line */
	struct ui_editor compose, cmd;
	char compose_conv[MODEL_ID_MAX + 1];
	int compose_lines;		/* lines the compose area wants */

	/* queue pane */
	int qtop;

	/* chat pane */
	char chat_conv[MODEL_ID_MAX + 1];
	int chat_scroll;		/* lines above the bottom (0: follow) */
	size_t chat_nlines;		/* lines of the last full draw */
	struct ui_line *clines;
	size_t nclines, capclines;
	char **citems;
	size_t ncitems, capcitems;
	bool chat_at_top;		/* nothing older to show */
	size_t append_n;		/* messages appended since the last draw */

	/* context pane */
	int ctx_top;
	size_t ctx_nlines;
	/* Where the last full draw put the SLA countdown's value, so the
	 * one-second tick rewrites that cell only; y -1: not on screen. */
	int ctx_sla_y, ctx_sla_x, ctx_sla_w;

	/* overlays */
	enum ui_overlay ov;
	char *ov_title, *ov_text, *ov_cmd;
	int ov_top;
	struct ui_pick *picks;
	size_t npicks, pick_sel;
	struct macro_picker *mpick;	/* the macros picker (UI_OV_MACRO), else NULL */
	struct macro_set *mset;		/* the picker's own macros */
	bool pick_macro;		/* ui_pick_macro() asked; ui_render opens it */

	/* feedback in the status bar */
	char fb[320];
	bool fb_ok;
	int64_t fb_at;

	/* input state */
	bool pasting;
	struct strbuf paste;
	int64_t now;
	int last_minute;
	int curs;			/* cursor visibility last set, -1 unknown */
	int64_t pending_since;		/* commands unanswered since (0: none) */
	bool too_small_drawn;

	/* alerts: urgent conversations being re-alerted (notify_urgent) */
	char **urgent;
	size_t nurgent;
	bool alerts_due;		/* ui_alerts() after this render's paint */

	/* the supervisor screen */
	bool super_on;			/* shown instead of the panes */
	bool super_auto;		/* shown once for a supervisor at start */
	bool ascii;			/* the user's locale is not UTF-8: ASCII sparklines */
	WINDOW *wsuper;
	struct ui_super sup;
	struct ui_super_row *sup_rows;
	size_t nsup_rows, capsup_rows;
	int sup_sel;			/* selected pending approval */
	int sup_agent_top;		/* first agent row shown */
	int sup_idle_s, sup_unclaimed_s;	/* from the config; 0: off */
	char **offline;			/* agents alerted as gone offline with work (sorted) */
	size_t noffline;
};

/* ---- draw.c ---- */

/* Draws s[0..len) at the cursor of w in theme slot `slot`, at most cols
 * columns; every code point is checked again (unsafe → placeholder, shown
 * in the placeholder slot), tabs and newlines become spaces, and a
 * character the C library measures differently from text_cp_width() is
 * drawn as U+FFFD padded to our width, so our columns and ncurses' agree.
 * Returns the columns drawn. */
int ui_draw(struct ui *ui, WINDOW *w, int slot, const char *s, size_t len, int cols);
/* The same for a NUL-terminated string that is sanitized first (one line). */
int ui_draws(struct ui *ui, WINDOW *w, int slot, const char *s, int cols);
/* Spaces in slot up to column `to` of the current line. */
void ui_pad(struct ui *ui, WINDOW *w, int slot, int to);
/* A title line: text, then the rest of the line in the same slot. */
void ui_draw_title(struct ui *ui, WINDOW *w, const char *text, bool focus);
/* "4:07", "1h05", "3d" for a duration in seconds. */
void ui_fmt_wait(int64_t s, char *out, size_t n);
/* "89.99 EUR" */
void ui_fmt_money(int64_t minor, const char *cur, char *out, size_t n);
/* "14:03" local time, "2026-11-02" local date. */
void ui_fmt_hm(int64_t ms, char *out, size_t n);
void ui_fmt_date(int64_t ms, char *out, size_t n);

/* ---- views ---- */

void view_queue_draw(struct ui *ui);
/* The row list: mine first, then the queue. */
size_t view_queue_rows(const struct ui *ui);
/* The id at row i, and whether it is mine. */
const char *view_queue_row_id(const struct ui *ui, size_t i, bool *mine);
/* Row of the selected conversation, or -1. */
long view_queue_sel_row(const struct ui *ui);
void view_queue_move(struct ui *ui, long delta);

void view_chat_draw(struct ui *ui);
/* Draws only the newest `n` appended messages, scrolling the body. */
void view_chat_append(struct ui *ui, size_t n);
/* The conversation pane's title alone: who is typing, scrolled back. */
void view_chat_draw_title(struct ui *ui);
void view_chat_scroll(struct ui *ui, int delta);
void view_chat_free(struct ui *ui);

void view_context_draw(struct ui *ui);
/* Rewrites the SLA countdown in place; false if it is not where the last
 * full draw put it (or no longer fits): draw the pane whole then. */
bool view_context_sla(struct ui *ui);
void view_context_scroll(struct ui *ui, int delta);

/* Editors. */
void ui_editor_set(struct ui_editor *e, const char *text);
void ui_editor_free(struct ui_editor *e);
void ui_editor_insert(struct ui_editor *e, const char *s, size_t len);
void ui_editor_hist_add(struct ui_editor *e, const char *s);
enum ui_ed_res ui_editor_key(struct ui_editor *e, int key);
/* Lines the text needs at cols columns (>= 1). */
int ui_editor_lines(const struct ui_editor *e, int cols);
/* Draws the editor into w from row y (rows rows), prefix on the first line;
 * leaves the window's cursor where the text cursor is. */
void ui_editor_draw(struct ui *ui, struct ui_editor *e, WINDOW *w, int y, int rows,
		    const char *prefix, int slot);

void view_super_draw(struct ui *ui);
/* A key on the supervisor screen; false if it is not one of its own. */
bool view_super_key(struct ui *ui, int key);
/* A supervisor's typed ":approve ID [NOTE]" / ":deny ID [NOTE]" of a
 * pending approval: asks first (true), then runs the line on yes. */
bool view_super_confirm(struct ui *ui, const char *line);
/* Rebuilds ui->sup_rows (presence and figures merged, flagged first). */
size_t ui_super_rows(struct ui *ui, int64_t now);
/* Pending approvals in the model's order; fills out[0..max). */
size_t ui_super_pending(const struct ui *ui, const struct model_approval **out, size_t max);
int ui_super_idle_s(const struct ui *ui);

/* ---- ui.c ---- */

/* A wrapped line of an overlay: bytes [off, off+len), drawn indent
 * columns in. */
struct ui_wline {
	size_t off, len;
	int indent;
};

/*
 * Where a line's continuation goes: under its description column, which is
 * where text resumes after the first gap of two or more blanks ("  claim
 * [ID]      Take a conversation." -> under "Take"); a line without such a
 * gap (prose) keeps its own leading blanks. Half of cols at most, so a
 * narrow overlay still has room for words.
 */
int ui_hang(const char *s, size_t len, int cols);
/* Wraps text to cols (text_wrap), each line's continuation hanging at
 * ui_hang(). Fills at most max lines of out (NULL when max is 0); returns
 * how many lines there are. */
size_t ui_wrap_hang(const char *text, int cols, struct ui_wline *out, size_t max);

struct model *ui_model(const struct ui *ui);
/* Runs a command line from the screen; errors become feedback. */
int ui_run(struct ui *ui, const char *cmdline, unsigned flags);
/* The customer's name for a conversation id (mine, detail or queue), "" if unknown. */
const char *ui_customer_name(const struct ui *ui, const char *conv);

#endif
