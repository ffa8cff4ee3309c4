/*
 * app.h: the console's wiring, and what the screen may ask of it.
 *
 * struct app holds the parts: config, model (state), store (local sqlite),
 * link (the WebSocket to the hub, which also owns the one lws loop), the
 * outbox (commands written before they are sent) and the UI. Data flows one
 * way: link → proto decode → model (+ store, one transaction per event) →
 * UI redraw at the end of the loop pass. The UI never writes the network: it
 * calls app_run() with a command line, and the functions below.
 *
 * Functions here may be called from the UI's key handlers; they change the
 * model and set dirty flags, and never draw.
 */
#ifndef BATON_APP_H
#define BATON_APP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "baton/cmd.h"
#include "baton/model.h"

struct config;
struct store;
struct link;
struct outbox;
struct ui;
struct notify;
struct app_priv;

/* app_run flags */
#define APP_RUN_CONFIRMED   (1u << 0)	/* the agent said yes in the money dialog */
#define APP_RUN_INTERACTIVE (1u << 1)	/* from the screen: money asks first, results go to ui_feedback */
#define APP_RUN_HEADLESS    (1u << 2)	/* from -e: results printed as JSON lines */
#define APP_FOLLOW          (1u << 3)	/* app->flags with --follow: events printed as JSON lines */

struct app {
	struct config *cfg;
	struct model *model;
	struct store *store;	/* NULL if the local store could not be opened (then in memory only) */
	struct link *link;
	struct outbox *outbox;
	struct ui *ui;		/* NULL when headless */
	struct notify *notify;	/* NULL when headless */

	bool quit;		/* leave the loop at the end of this pass */
	int exit_code;
	char store_error[200];	/* last store problem for the status bar ("" if none) */
	unsigned flags;		/* APP_RUN_HEADLESS when run with -e */
	struct app_priv *priv;	/* app.c's own bookkeeping */
	int64_t started_us;	/* time_mono_us() when main started (for the first-paint log line) */
};

/* What main.c resolved from the command line, environment and config. */
struct app_opts {
	const char *url;
	const char *token;	/* the token itself (read from the token file; never logged) */
	bool insecure;
	const char *headless;	/* -e COMMANDS, or NULL for the screen */
	bool follow;		/* --follow: no screen; print events until interrupted */
	int timeout_s;		/* -e: give up waiting after this long (0: default 30) */
	const char *db_path;	/* NULL: store_default_path() */
};

/*
 * Opens everything: model, local store (a failure is reported in
 * store_error and the console runs without it), painting from the store,
 * the outbox, the loop and, unless headless, the screen and notifications.
 * Returns 0 or -1 with err.
 */
int app_open(struct app *app, const struct app_opts *o, char *err, size_t errlen);
/* Runs the loop until quit. Returns the exit code. */
int app_loop(struct app *app);
/* Flushes drafts, restores the terminal, frees everything. */
void app_close(struct app *app);

/*
 * Runs a command line (one or more commands separated by ';'). Each command
 * that changes state on the hub becomes a `cmd` frame with a fresh cmd_id,
 * written to the outbox first and sent when connected; its result arrives
 * later (model.results, ui_feedback). Money commands (discount, return,
 * label) without APP_RUN_CONFIRMED and with APP_RUN_INTERACTIVE call
 * ui_confirm() with the customer, order, amount and the agent's cap and
 * return 1; the dialog calls app_run again with APP_RUN_CONFIRMED.
 * Returns 0 when every command ran or was queued, 1 when waiting for a
 * confirmation, -1 on the first error (err: what is wrong and the usage;
 * commands before it have run).
 */
int app_run(struct app *app, const char *cmdline, unsigned flags, char *err, size_t errlen);

/* The command table for the help screen (same as cmd_table). */
const struct cmd_def *app_cmd_table(size_t *n);

/* Selects a conversation for the panes ("" for none); loads a queued one's
 * full details from the store for the context pane. */
void app_select(struct app *app, const char *conv);

/*
 * Drafts: the compose text of a conversation. app_set_draft keeps it in the
 * model at once and writes it to the store within a second (and on switch
 * and quit), so nothing typed is lost even if the console dies. NULL or ""
 * clears. app_get_draft lends the text (valid until the next set), NULL if none.
 */
void app_set_draft(struct app *app, const char *conv, const char *text);
const char *app_get_draft(const struct app *app, const char *conv);

/* The agent is (on) or stopped (off) typing in conv: tells the hub, at most
 * once every few seconds while on; nothing when offline. */
void app_typing(struct app *app, const char *conv, bool on);

/*
 * Full-text search over stored messages (FTS5; words, "phrases", prefix*).
 * Fills hits (at most max, newest first) and also model.hits. Returns the
 * count, or -1 with err.
 */
int app_search(struct app *app, const char *text, struct model_hit *hits, size_t max,
	       char *err, size_t errlen);

/*
 * Transcript paging: loads up to n messages older than the oldest in memory
 * from the store into the conversation's window (model_conv_prepend).
 * Returns how many were loaded (0: none older). The UI calls it when the
 * agent scrolls above the top; model_conv_trim when back at the bottom.
 */
size_t app_history_older(struct app *app, const char *conv, size_t n);

/* Asks the loop to end after this pass (the UI checks drafts first). */
void app_quit(struct app *app, int code);

/* True if some conversation has an unsent draft (quit asks first). */
bool app_has_drafts(const struct app *app);

/* Commands written but not yet answered (status bar: "2 waiting to send"). */
size_t app_outbox_pending(const struct app *app);

#endif
