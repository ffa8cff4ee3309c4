/*
 * ui.h: the console's screen (ncursesw).
 *
 * app.c owns the loop; the screen is driven from it:
 *   ui_new        once, after the config is read (initscr, colours, keys);
 *   ui_on_input   when stdin is readable (the ui reads the keys itself);
 *   ui_on_resize  after SIGWINCH (the loop turns the signal into a call);
 *   ui_tick       once a second (wait timers, clock, re-alerts), and it draws
 *                 what it changed at once (lws runs timers before it polls,
 *                 so the pass would end only with the next event);
 *   ui_render     at the end of every loop pass: only dirty panes are drawn,
 *                 with wnoutrefresh() per pane and one doupdate().
 * The ui reads the model (model.h) and runs commands through app_run(); it
 * never writes to the network.
 *
 * Layout. The screen is cut into panes by ui_layout_compute(), a pure
 * function (tests check its geometry without a terminal):
 *   three  (>= 120 columns): queue | context side by side in a top band,
 *          the conversation below them across the whole width;
 *   two    (>= 80 columns): queue or context in the top band (Tab swaps),
 *          the conversation below across the whole width;
 *   tabs   (anything smaller, or chosen): one pane at a time.
 * The conversation always spans the full width on purpose: only a
 * full-width region can be scrolled by the terminal itself (a scroll
 * region is a range of whole lines), so an incoming chat line costs about
 * its own length instead of a repaint of the pane.
 * Below the conversation is the compose area, then the status bar.
 */
#ifndef BATON_UI_H
#define BATON_UI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct app;
struct ui;
struct keys;

/* ---- the contract with app.c ---- */

/* initscr, locale, colours, key bindings; NULL and err if stdin/stdout is
 * not a terminal or the terminal is unusable. */
struct ui *ui_new(struct app *app, char *err, size_t errlen);
/* endwin: the terminal is restored. NULL is fine. */
void ui_free(struct ui *ui);
/* stdin is readable: reads every pending key (nodelay) and handles it. */
void ui_on_input(struct ui *ui);
/* The terminal changed size (after SIGWINCH). */
void ui_on_resize(struct ui *ui);
/* Once a second: wait timers, SLA colours, the clock; then ui_render(). */
void ui_tick(struct ui *ui, int64_t now_ms);
/* End of every loop pass: draws what is dirty, one doupdate(). */
void ui_render(struct ui *ui);
/* A command's result or error, in words, where the agent is looking. */
void ui_feedback(struct ui *ui, bool ok, const char *text);
/* A yes/no dialog (money actions): on yes the ui runs cmdline with
 * app_run(app, cmdline, APP_RUN_CONFIRMED | APP_RUN_INTERACTIVE). */
void ui_confirm(struct ui *ui, const char *title, const char *body, const char *cmdline);

/* ---- more the core may call ---- */

/* The key bindings (the `bind` and `binds` commands use keys.h on it). */
struct keys *ui_keys(struct ui *ui);
/* Switches the theme by name (the `theme` command). 0, or -1 and err. */
int ui_set_theme(struct ui *ui, const char *name, char *err, size_t errlen);
/* Shows the help overlay (the `help` command, `?`). */
void ui_show_help(struct ui *ui);
/* Shows a read-only text overlay (search results, `binds`); text is
 * sanitized here. Esc or q closes it. */
void ui_show_text(struct ui *ui, const char *title, const char *text);
/* Opens the macros picker: typing filters, Enter runs the macro (or puts
 * "macro NAME " on the : line when it asks for answers), Esc closes. */
void ui_pick_macro(struct ui *ui);
/* Everything must be repainted (after the model was replaced wholesale). */
void ui_invalidate(struct ui *ui);

/* ---- the supervisor screen ----
 *
 * Shown at start when the welcome's role is supervisor; `S` (or the
 * supervisor-view action) switches between it and the agent panes. It
 * draws the model's approvals, agents and stats plus what the model does
 * not keep from a stats frame (history, by reason, per-agent figures,
 * approval contexts): app.c hands each stats frame to ui_on_stats() after
 * model_apply_frame() (the frame is sanitized by then). */

struct proto_stats;
struct proto_arena;
struct proto_approval_ctx;

/* A stats frame arrived (supervisors). NULL ui is fine (headless). */
void ui_on_stats(struct ui *ui, const struct proto_stats *s);
/* Shows the supervisor screen (true) or the agent panes. */
void ui_show_super(struct ui *ui, bool on);

#define UI_SUPER_HISTORY 60

/* One agent's figures from stats frames. */
struct ui_super_agent {
	char *id;
	int status;		/* enum proto_presence_status */
	int64_t active, handled, last_msg_at;	/* last_msg_at 0: unknown */
};

/* What the supervisor screen keeps beyond the model (pure: no curses). */
struct ui_super {
	int64_t hist_at[UI_SUPER_HISTORY];
	int64_t hist[4][UI_SUPER_HISTORY];	/* by enum proto_priority, oldest first */
	size_t nhist;
	bool has_by_reason;
	int64_t by_reason[8];			/* by enum proto_reason_code */
	int64_t sla_breached_today, approvals_pending;
	struct ui_super_agent *ag;		/* sorted by id */
	size_t nag, capag;
	struct proto_arena *ctx_arena;		/* owns ctx */
	struct proto_approval_ctx *ctx;
	size_t nctx;
	unsigned version;			/* bumped by every change */
};

void ui_super_init(struct ui_super *s);
void ui_super_free(struct ui_super *s);
/* Takes what the frame carries: history replaces, agent figures upsert by
 * id, approval contexts replace. Text is sanitized again on the way in. */
void ui_super_apply(struct ui_super *s, const struct proto_stats *st);
const struct ui_super_agent *ui_super_agent(const struct ui_super *s, const char *id);
const struct proto_approval_ctx *ui_super_ctx(const struct ui_super *s, const char *approval);

/*
 * A sparkline of v[0..n) (oldest first) in `cells` cells: the values are
 * bucketed (each cell the maximum of its bucket, so a spike never
 * disappears) and scaled from 0 to the largest value; zero is the lowest
 * bar. utf8: U+2581..U+2588 (▁▂▃▄▅▆▇█), else ASCII " .:-=+*#" with 0 as
 * '_'. Writes a NUL-terminated string into out (at most outsz bytes; 3
 * bytes a cell in UTF-8); returns the cells written.
 */
size_t ui_sparkline(const int64_t *v, size_t n, size_t cells, bool utf8, char *out, size_t outsz);

/* ---- layout geometry (pure; see the comment at the top) ---- */

enum ui_layout { UI_LAYOUT_AUTO, UI_LAYOUT_THREE, UI_LAYOUT_TWO, UI_LAYOUT_TABS };
enum ui_pane { UI_PANE_QUEUE, UI_PANE_CHAT, UI_PANE_CONTEXT, UI_PANE__COUNT };

#define UI_MIN_COLS 40	/* below this the ui only says "terminal too small" */
#define UI_MIN_ROWS 12
#define UI_COMPOSE_MAX_LINES 6

struct ui_rect {
	int y, x, h, w;		/* h == 0 or w == 0: not shown */
};

struct ui_geom {
	enum ui_layout layout;			/* resolved: never AUTO */
	int rows, cols;
	struct ui_rect pane[UI_PANE__COUNT];	/* each includes its title line */
	struct ui_rect divider;			/* the vertical line between queue and context */
	struct ui_rect tabs;			/* the tab line (tabs layout only) */
	struct ui_rect compose;			/* title line + input lines */
	struct ui_rect status;			/* the last line */
	bool too_small;				/* below UI_MIN_COLS x UI_MIN_ROWS */
};

/* "auto", "three", "two", "tabs" -> the enum; -1 if unknown. */
int ui_layout_parse(const char *s);
const char *ui_layout_name(enum ui_layout l);
/*
 * Cuts a rows x cols screen. compose_lines (1..UI_COMPOSE_MAX_LINES) is how
 * many input lines the compose area needs; shown is the pane on top in the
 * two layout (QUEUE or CONTEXT) and the pane shown in the tabs layout.
 */
void ui_layout_compute(enum ui_layout want, int rows, int cols, int compose_lines,
		       enum ui_pane shown, struct ui_geom *g);

#endif
