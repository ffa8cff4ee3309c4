/*
 * app.c: the console's wiring (see app.h).
 *
 * Frames from the hub: link → on_text → proto decode → sanitize →
 * store (one transaction) → model → notifications / headless output; the
 * screen redraws at the end of the loop pass (on_pass_end). Commands: the
 * ':' line, keys and -e all come to app_run/run_call → a handler in cmd-*.c
 * → app_submit → outbox (written first) → link when the hub has welcomed us.
 *
 * Headless (-e): the same path, with results printed as JSON lines; the
 * commands run one at a time, each waiting for its result, and the process
 * ends when all ran and nothing waits in the outbox (or on timeout).
 */
#include "baton/app.h"
#include "baton/common.h"
#include "baton/config.h"
#include "baton/ctl.h"
#include "baton/link.h"
#include "baton/log.h"
#include "baton/macro.h"
#include "baton/notify.h"
#include "baton/outbox.h"
#include "baton/store.h"
#include "baton/text.h"
#include "baton/ui.h"

#include "cmd-impl.h"

#include <errno.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define HEADLESS_TIMEOUT_S 30
#define TYPING_RESEND_MS 3000
#define STORE_ERR_REPEAT_MS 60000
/* A replay has no end marker (events this agent may not see count toward
 * head but are not sent), so a replay is over when it reaches head or
 * when the hub has been quiet this long after the welcome or last event. */
#define REPLAY_QUIET_MS 250
/* A key within this long means the agent is looking at the screen. */
#define ACTIVE_AGENT_MS 120000

struct app_priv {
	char *url;
	char *token;
	bool insecure;
	bool welcomed;		/* the hub said welcome on this connection */
	bool caught_up;		/* snapshot or replay up to head applied */
	bool was_connected;
	bool follow_synced;	/* --follow printed its snapshot: resume with since from now on */
	int64_t last_input_ms;	/* when the agent last pressed a key (wall clock) */
	/* A money dialog is about one conversation: its line, confirmed, runs
	 * there even if the selection moved meanwhile (baton :open, a click of
	 * n/p is impossible under the modal dialog, the control socket is not). */
	char *confirm_line;
	char confirm_conv[MODEL_ID_MAX + 1];
	char pinned_conv[MODEL_ID_MAX + 1];	/* set while such a line runs */

	/* Headless. */
	struct cmd_line hl;
	size_t hl_next;
	char hl_wait[PROTO_CMD_ID_MAX + 1];
	int hl_errors;
	int hl_timeout_s;
	int64_t hl_deadline;

	/* Drafts changed since the last flush to the store. */
	char **dirty_drafts;
	size_t ndirty;

	/* Typing sent to the hub. */
	char typing_conv[MODEL_ID_MAX + 1];
	int64_t typing_at;

	/* The control socket (`baton :COMMAND`), screen mode only. */
	struct ctl *ctl;

	/* Frames applied to the model in this loop pass and waiting for the
	 * store: written together at the end of the pass, after the screen
	 * has drawn them, so a disk sync never delays what the agent sees.
	 * pending_alert[i]: pending[i] is a live event to alert about, also
	 * after the paint (the screen first; a bell can wait a millisecond). */
	struct proto_frame **pending;
	bool *pending_alert;
	size_t npending, cappending;

	/* The one-second tick's time when it fell in this pass: its work
	 * (timers, countdowns, their redraw) runs after the pass's paint, so
	 * a message that arrived with it is on the screen first. */
	int64_t tick_due;
	/* The store's write of pending[] is scheduled (link_later). */
	bool store_due;

	/* While app_run runs a command: the commands after it on the line, so
	 * a confirmation dialog runs them too once the agent says yes. */
	const char *line_rest;
};

/* ---- small services ---- */

/* A store write worked again: the status line's complaint goes. */
static void store_fine(struct app *app)
{
	if (app->store_error[0]) {
		log_info("the local store works again");
		app->store_error[0] = '\0';
		app->model->dirty |= MODEL_DIRTY_STATUS;
	}
}

static void store_problem(struct app *app, const char *what)
{
	if (strcmp(app->store_error, what) != 0)
		log_warn("%s", what);
	snprintf(app->store_error, sizeof app->store_error, "%s", what);
	app->model->dirty |= MODEL_DIRTY_STATUS;
}

/* Keeps a frame (taken) for the end of the pass: its alert (if alert)
 * after the paint, then the store's write. */
static void store_later(struct app *app, struct proto_frame *f, bool alert)
{
	struct app_priv *p = app->priv;

	if (!app->store && !alert) {
		proto_frame_free(f);
		return;
	}
	if (p->npending == p->cappending) {
		p->cappending = p->cappending ? p->cappending * 2 : 16;
		p->pending = xrealloc(p->pending, p->cappending * sizeof *p->pending);
		p->pending_alert = xrealloc(p->pending_alert, p->cappending * sizeof *p->pending_alert);
	}
	p->pending_alert[p->npending] = alert;
	p->pending[p->npending++] = f;
}

/* Writes the pass's frames in one transaction. A crash before this only
 * means the hub replays them next time: applying is idempotent. */
static void alerts_flush(struct app *app);

static void store_flush(struct app *app)
{
	struct app_priv *p = app->priv;
	char err[300];

	if (!p || !p->npending)
		return;
	alerts_flush(app);	/* normally done already, after the paint */
	if (app->store && store_apply_frames(app->store, p->pending, p->npending, err, sizeof err) < 0)
		store_problem(app, err);
	else if (app->store)
		store_fine(app);
	for (size_t i = 0; i < p->npending; i++)
		proto_frame_free(p->pending[i]);
	p->npending = 0;
}

/* The pass's frames go to the store a little after the paint, not at once:
 * the pty hands the screen's bytes to the terminal from a kernel worker on
 * this CPU, which would otherwise wait behind the commit's WAL writes
 * (bench/console (d): ~0.2 ms of every message's way to the screen). A
 * burst is written in one transaction; a large one at once. */
#define STORE_LATER_MS 5
#define STORE_LATER_MAX 256

static void store_schedule(struct app *app)
{
	struct app_priv *p = app->priv;

	if (!p->npending)
		return;
	if (!app->link || p->npending >= STORE_LATER_MAX) {
		store_flush(app);
		return;
	}
	if (!p->store_due) {
		p->store_due = true;
		link_later(app->link, STORE_LATER_MS);
	}
}

static void print_json(json_t *j)
{
	char *s = json_dumps(j, JSON_COMPACT);
	if (s) {
		fputs(s, stdout);
		fputc('\n', stdout);
		fflush(stdout);
		free(s);
	}
	json_decref(j);
}

void app_feedback(struct app *app, const struct cmd_call *call, bool ok, const char *text, json_t *extra)
{
	if (app->ui) {
		ui_feedback(app->ui, ok, text);
		json_decref(extra);
		return;
	}
	if (!(app->flags & APP_RUN_HEADLESS)) {
		json_decref(extra);
		return;
	}
	json_t *j = json_pack("{s:s,s:s,s:s}", "cmd", call && call->text ? call->text : "",
			      "status", ok ? "ok" : "error", "text", text ? text : "");
	if (extra)
		json_object_update(j, extra);
	json_decref(extra);
	print_json(j);
}

struct model_conv *app_conv_obj(struct app *app, const char *id)
{
	struct model *m = app->model;
	struct model_conv *c = model_mine_find(m, id);

	if (!c && m->detail && strcmp(m->detail->id, id) == 0)
		c = m->detail;
	return c;
}

const char *app_conv_for(struct app *app, const char *given, char *err, size_t errlen)
{
	if (given && *given)
		return given;
	if (app->priv && app->priv->pinned_conv[0])
		return app->priv->pinned_conv;
	if (app->model->sel[0])
		return app->model->sel;
	snprintf(err, errlen, "No conversation selected: open one first (open ID, next), or claim one.");
	return NULL;
}

int app_confirm_money(struct app *app, const struct cmd_call *call, unsigned flags,
		      const char *title, const char *body)
{
	struct app_priv *p = app->priv;
	const char *rest = p ? p->line_rest : NULL;
	char *line;

	if ((flags & APP_RUN_CONFIRMED) || !(flags & APP_RUN_INTERACTIVE) || !app->ui)
		return 0;
	/* "discount 10% late; say done": yes runs both, in order. */
	line = rest && *rest ? xasprintf("%s; %s", call->text, rest) : xstrdup(call->text);
	free(p->confirm_line);
	p->confirm_line = xstrdup(line);
	snprintf(p->confirm_conv, sizeof p->confirm_conv, "%s",
		 app_conv_for(app, NULL, NULL, 0) ? app_conv_for(app, NULL, NULL, 0) : "");
	ui_confirm(app->ui, title, body, line);
	free(line);
	return 1;
}

const struct cmd_def *app_cmd_table(size_t *n)
{
	return cmd_table(n);
}

/* ---- drafts ---- */

static void drafts_flush(struct app *app)
{
	struct app_priv *p = app->priv;
	char err[200];

	for (size_t i = 0; i < p->ndirty; i++) {
		if (app->store && store_draft_set(app->store, p->dirty_drafts[i],
						  app_get_draft(app, p->dirty_drafts[i]), err, sizeof err) < 0)
			store_problem(app, err);
		free(p->dirty_drafts[i]);
	}
	p->ndirty = 0;
}

void app_set_draft(struct app *app, const char *conv, const char *text)
{
	struct app_priv *p = app->priv;
	const char *old = app_get_draft(app, conv);

	if ((!old && (!text || !*text)) || (old && text && strcmp(old, text) == 0))
		return;
	if (!app_conv_obj(app, conv)) {
		/* Not a conversation the model keeps: straight to the store. */
		char err[200];
		if (app->store && store_draft_set(app->store, conv, text, err, sizeof err) < 0)
			store_problem(app, err);
		return;
	}
	model_set_draft(app->model, conv, text);
	for (size_t i = 0; i < p->ndirty; i++)
		if (strcmp(p->dirty_drafts[i], conv) == 0)
			return;
	p->dirty_drafts = xrealloc(p->dirty_drafts, (p->ndirty + 1) * sizeof *p->dirty_drafts);
	p->dirty_drafts[p->ndirty++] = xstrdup(conv);
}

const char *app_get_draft(const struct app *app, const char *conv)
{
	struct model *m = app->model;
	struct model_conv *c = model_mine_find(m, conv);

	if (!c && m->detail && strcmp(m->detail->id, conv) == 0)
		c = m->detail;
	return c ? c->draft : NULL;
}

bool app_has_drafts(const struct app *app)
{
	for (size_t i = 0; i < app->model->nmine; i++)
		if (app->model->mine[i]->draft)
			return true;
	return false;
}

size_t app_outbox_pending(const struct app *app)
{
	return app->outbox ? outbox_count(app->outbox) : 0;
}

/* ---- selection, history, search, typing ---- */

void app_select(struct app *app, const char *conv)
{
	struct model *m = app->model;

	if (!conv)
		conv = "";
	drafts_flush(app);
	model_select(m, conv);
	if (!*conv || model_mine_find(m, conv) || (m->detail && strcmp(m->detail->id, conv) == 0))
		return;
	/* Not mine: its full details (customer, orders, summary) come from the store. */
	if (app->store) {
		struct proto_arena *a = proto_arena_new();
		struct proto_conversation *c = NULL;
		char err[200];
		int rc = store_get_conversation(app->store, conv, m->history_lines, a, &c, err, sizeof err);
		if (rc < 0)
			store_problem(app, err);
		else if (rc > 0)
			model_set_detail(m, c);
		proto_arena_free(a);
		if (rc > 0) {
			char *d = store_draft_get(app->store, conv);
			model_set_draft(m, conv, d);
			free(d);
		}
	}
}

size_t app_history_older(struct app *app, const char *conv, size_t n)
{
	struct model_conv *c = app_conv_obj(app, conv);
	struct model_msg *msgs;
	bool more = false;
	long got;

	if (!c || !app->store || !n)
		return 0;
	msgs = xcalloc(n, sizeof *msgs);
	if (c->nmsgs)
		got = store_messages_before(app->store, conv, c->msgs[0].at, c->msgs[0].id, n, msgs, &more);
	else
		got = store_messages_before(app->store, conv, 0, NULL, n, msgs, &more);
	if (got > 0)
		model_conv_prepend(c, msgs, (size_t)got, more);
	else
		c->older_in_store = false;
	for (long i = 0; i < got; i++)
		model_msg_clear(&msgs[i]);
	free(msgs);
	if (got > 0)
		app->model->dirty |= MODEL_DIRTY_CONV;
	return got > 0 ? (size_t)got : 0;
}

int app_search(struct app *app, const char *text, struct model_hit *hits, size_t max,
	       char *err, size_t errlen)
{
	long n;

	if (!app->store) {
		snprintf(err, errlen, "search: the local store is not open, so there is nothing to search "
			 "(%s).", app->store_error[0] ? app->store_error : "no store");
		return -1;
	}
	n = store_search(app->store, text, hits, max, err, errlen);
	if (n < 0)
		return -1;
	model_set_hits(app->model, text, hits, (size_t)n);
	return (int)n;
}

static void send_typing(struct app *app, const char *conv, bool on)
{
	struct proto_frame f;
	char *s;

	memset(&f, 0, sizeof f);
	f.type = PROTO_FRAME_TYPING;
	f.u.typing.conv = conv;
	f.u.typing.on = on;
	PROTO_SET(&f.u.typing, typing, on);
	s = proto_frame_encode(&f, NULL);
	link_send(app->link, s, strlen(s));
	free(s);
}

void app_typing(struct app *app, const char *conv, bool on)
{
	struct app_priv *p = app->priv;
	int64_t now = time_now_ms();

	if (!p->welcomed || !conv || !*conv || !model_mine_find(app->model, conv))
		return;
	if (on) {
		if (strcmp(p->typing_conv, conv) == 0 && now - p->typing_at < TYPING_RESEND_MS)
			return;
		if (p->typing_conv[0] && strcmp(p->typing_conv, conv) != 0)
			send_typing(app, p->typing_conv, false);
		snprintf(p->typing_conv, sizeof p->typing_conv, "%s", conv);
		p->typing_at = now;
		send_typing(app, conv, true);
	} else if (strcmp(p->typing_conv, conv) == 0) {
		send_typing(app, conv, false);
		p->typing_conv[0] = '\0';
	}
}

void app_quit(struct app *app, int code)
{
	app->quit = true;
	app->exit_code = code;
	if (app->link)
		link_stop(app->link);
}

/* ---- commands ---- */

int app_submit(struct app *app, const struct cmd_call *call, enum proto_op op,
	       struct proto_args *args, const char *conv, char *err, size_t errlen)
{
	struct app_priv *p = app->priv;
	struct model *m = app->model;
	struct proto_frame f;
	struct proto_err perr;
	struct proto_frame *check;
	char cmd_id[PROTO_CMD_ID_MAX + 1], serr[200];
	const char *name = call && call->def ? call->def->name : proto_op_table[op].name;
	char *json;
	bool live;

	cmd_new_id(m->me ? m->me->id : NULL, cmd_id, sizeof cmd_id);
	memset(&f, 0, sizeof f);
	f.type = PROTO_FRAME_CMD;
	f.u.cmd.cmd_id = cmd_id;
	f.u.cmd.op = op;
	PROTO_SET(&f.u.cmd, cmd, op);
	f.u.cmd.args = args;

	/* Validate as the hub will: the same decoder, so a bad argument is
	 * refused here with the same words instead of a round trip. */
	json = proto_frame_encode(&f, NULL);
	check = proto_frame_decode(json, strlen(json), 0, &perr);
	free(json);
	if (!check) {
		snprintf(err, errlen, "%s: %s", name, perr.msg);
		return -1;
	}
	proto_frame_free(check);

	live = p->welcomed && link_is_open(app->link);
	if (outbox_add(app->outbox, &f.u.cmd, conv, call ? call->text : name, NULL, serr, sizeof serr) < 0)
		store_problem(app, serr);
	m->dirty |= MODEL_DIRTY_STATUS;
	model_result_add(m, cmd_id, op, conv ? conv : "", live ? MODEL_RES_SENT : MODEL_RES_QUEUED,
			 live ? "Sending…" : "Saved; it goes out when the hub is reachable.", time_now_ms());
	if (live)
		outbox_flush(app->outbox, app->link);
	else if (app->ui)
		ui_feedback(app->ui, true, "Saved; it goes out when the hub is reachable.");
	if (app->flags & APP_RUN_HEADLESS)
		snprintf(p->hl_wait, sizeof p->hl_wait, "%s", cmd_id);
	return 0;
}

static int run_call(struct app *app, const struct cmd_call *call, unsigned flags, char *err, size_t errlen)
{
	return call->def->run(app, call, flags, err, errlen);
}

int app_run(struct app *app, const char *cmdline, unsigned flags, char *err, size_t errlen)
{
	struct cmd_line l;
	int rc = 0;
	char outer_pin[MODEL_ID_MAX + 1];

	if (errlen)
		err[0] = '\0';
	if (cmd_parse(cmdline, &l, err, errlen) < 0)
		return -1;
	/* A line run from inside another (a macro step) keeps the outer pin. */
	memcpy(outer_pin, app->priv->pinned_conv, sizeof outer_pin);
	/* The yes to a money dialog: run where the dialog said. */
	if ((flags & APP_RUN_CONFIRMED) && app->priv->confirm_line &&
	    strcmp(cmdline, app->priv->confirm_line) == 0) {
		snprintf(app->priv->pinned_conv, sizeof app->priv->pinned_conv, "%s", app->priv->confirm_conv);
		free(app->priv->confirm_line);
		app->priv->confirm_line = NULL;
	}
	for (size_t i = 0; i < l.n && !app->quit; i++) {
		struct strbuf rest = STRBUF_INIT;
		for (size_t k = i + 1; k < l.n; k++)
			sb_addf(&rest, "%s%s", k > i + 1 ? "; " : "", l.calls[k].text);
		app->priv->line_rest = sb_str(&rest);
		/* A yes covers the command it was asked for; a later money
		 * command on the same line asks its own. */
		rc = run_call(app, &l.calls[i], i == 0 ? flags : flags & ~APP_RUN_CONFIRMED, err, errlen);
		app->priv->line_rest = NULL;
		sb_free(&rest);
		if (rc != 0)
			break;
	}
	memcpy(app->priv->pinned_conv, outer_pin, sizeof outer_pin);
	cmd_line_free(&l);
	return rc;
}

/* ---- headless ---- */

/* Does this command need the hub's current state before it can run? */
static bool needs_fresh_state(const struct cmd_call *c)
{
	if (c->def->run == cmd_claim)
		return c->argc == 0 || strcmp(c->argv[0], "next") == 0;
	return false;
}

static void headless_pump(struct app *app)
{
	struct app_priv *p = app->priv;
	char err[600];

	/* A follower has no commands and no end: it stops on a signal. */
	if (app->flags & APP_FOLLOW)
		return;
	while (!app->quit && !p->hl_wait[0] && p->hl_next < p->hl.n) {
		const struct cmd_call *c = &p->hl.calls[p->hl_next];
		if (!p->caught_up) {
			/* Commands see the hub's current state. Offline, with the
			 * store knowing who we are, what does not need that state
			 * runs against the store; commands go out when the hub is back. */
			bool offline = link_state(app->link) == LINK_RETRY_WAIT;
			if (!offline || !app->model->me || needs_fresh_state(c))
				return;
		}
		p->hl_next++;
		if (run_call(app, c, APP_RUN_HEADLESS, err, sizeof err) < 0) {
			print_json(json_pack("{s:s,s:s,s:{s:s,s:s}}", "cmd", c->text, "status", "error",
					     "error", "code", "usage", "message", err));
			p->hl_errors++;
			p->hl_next = p->hl.n;	/* later commands may depend on this one */
		}
	}
	if (!p->hl_wait[0] && p->hl_next >= p->hl.n && outbox_count(app->outbox) == 0 &&
	    !macro_console_busy())
		app_quit(app, p->hl_errors ? 1 : 0);
}

static void headless_result(struct app *app, const struct proto_result *r, const struct outbox_item *it,
			    const struct model_result *mr)
{
	struct app_priv *p = app->priv;
	json_t *j = json_pack("{s:s,s:s,s:s,s:s}", "cmd", it ? it->c.text : "", "cmd_id", r->cmd_id,
			      "op", it ? PROTO_ENUM_STR(op, it->c.op) : "",
			      "status", PROTO_ENUM_STR(result_status, r->status));

	if (it && it->c.conv[0])
		json_object_set_new(j, "conv", json_string(it->c.conv));
	if (mr)
		json_object_set_new(j, "text", json_string(mr->text));
	if (r->body)
		json_object_set_new(j, "body", proto_encode(&proto_type_body, r->body));
	if (r->error)
		json_object_set_new(j, "error", proto_encode(&proto_type_error, r->error));
	if (it && it->from_store)
		json_object_set_new(j, "from_earlier_run", json_true());
	print_json(j);
	if (r->status == PROTO_RES_REJECTED)
		p->hl_errors++;
	if (strcmp(p->hl_wait, r->cmd_id) == 0) {
		p->hl_wait[0] = '\0';
		if (r->status == PROTO_RES_REJECTED)
			p->hl_next = p->hl.n;
	}
}

/* ---- frames from the hub ---- */

/* --follow: one JSON line per snapshot or event, in the control socket's
 * subscription format (ctl_event_line), so scripts parse both alike. */
static void follow_print(struct app *app, const struct proto_frame *f)
{
	json_t *j;
	char *line;

	if (!(app->flags & APP_FOLLOW))
		return;
	j = proto_frame_to_json(f);
	line = ctl_event_line(j);
	json_decref(j);
	if (line) {
		fputs(line, stdout);
		fputc('\n', stdout);
		fflush(stdout);
		free(line);
	}
}

static void send_hello(struct app *app)
{
	struct proto_frame f;
	char *s;
	int64_t since = app->store ? store_last_seq(app->store) : app->model->last_seq;

	if (app->model->last_seq > since)
		since = app->model->last_seq;
	/* A follower starts with the state as it is now (a snapshot), whatever
	 * the local store saw before; after that it resumes without a gap. */
	if ((app->flags & APP_FOLLOW) && !app->priv->follow_synced)
		since = 0;
	memset(&f, 0, sizeof f);
	f.type = PROTO_FRAME_HELLO;
	f.u.hello.v = PROTO_VERSION;
	f.u.hello.token = app->priv->token;
	f.u.hello.client = "baton/" BATON_VERSION;
	if (since > 0)
		f.u.hello.since = since;
	s = proto_frame_encode(&f, NULL);
	link_send(app->link, s, strlen(s));
	/* The hello holds the token: wipe our copy of the bytes. */
	explicit_bzero(s, strlen(s));
	free(s);
}

static void reset_state(struct app *app)
{
	size_t hl = app->model->history_lines;
	char url[sizeof app->model->url];

	snprintf(url, sizeof url, "%s", app->model->url);
	model_free(app->model);
	app->model = model_new(hl);
	snprintf(app->model->url, sizeof app->model->url, "%s", url);
	outbox_clear(app->outbox);
	if (app->ui)
		ui_invalidate(app->ui);
}

static void on_welcome(struct app *app, struct proto_frame *f)
{
	struct app_priv *p = app->priv;
	const struct proto_welcome *w = &f->u.welcome;
	char err[300];
	size_t dropped = 0;

	store_flush(app);	/* what came before belongs to the old session */
	if (app->store) {
		int rc = store_bind_identity(app->store, p->url, w, &dropped, err, sizeof err);
		if (rc < 0) {
			store_problem(app, err);
		} else if (rc > 0 || (app->model->me && strcmp(app->model->me->id, w->agent->id) != 0)) {
			/* Another agent or hub than the store held: start clean and
			 * ask again from scratch (our hello's since was theirs). */
			if (dropped)
				log_warn("dropped %zu unsent commands of the store's previous agent", dropped);
			reset_state(app);
			model_apply_welcome(app->model, w);
			link_reconnect(app->link, "switching to this agent's view");
			return;
		}
	}
	model_apply_welcome(app->model, w);
	p->welcomed = true;
	p->caught_up = w->resume == PROTO_RESUME_REPLAY && app->model->last_seq >= w->head;
	if (!p->caught_up && w->resume == PROTO_RESUME_REPLAY)
		link_timer(app->link, REPLAY_QUIET_MS);
	if (app->notify && p->was_connected)
		notify_post(app->notify, NOTIFY_CONNECTION, "baton", "Connected to the hub again.");
	p->was_connected = true;
	outbox_unsent_all(app->outbox);
	outbox_flush(app->outbox, app->link);
	for (size_t i = 0; i < outbox_count(app->outbox); i++) {
		const struct outbox_item *it = outbox_at(app->outbox, i);
		struct model_result *mr = model_result_find(app->model, it->c.cmd_id);
		if (mr && mr->state == MODEL_RES_QUEUED) {
			mr->state = MODEL_RES_SENT;
			app->model->dirty |= MODEL_DIRTY_RESULTS;
		}
	}
}

static bool is_me(const struct app *app, const char *id)
{
	return id && app->model->me && strcmp(app->model->me->id, id) == 0;
}

/* Notifications for live events (not while replaying a backlog). */
static void notify_event(struct app *app, const struct proto_event *ev)
{
	const struct proto_body *b = ev->body;
	struct notify *n = app->notify;
	char title[160], body[600];

	if (!n || !b || ev->kind == PROTO_UNKNOWN)
		return;
	switch ((enum proto_event_kind)ev->kind) {
	case PROTO_EV_CONV_QUEUED:
	case PROTO_EV_CONV_RELEASED: {
		const struct proto_conversation *c = b->conversation;
		const char *who = c->customer ? c->customer->name : "a customer";
		const char *why = c->escalation && c->escalation->reason ?
				  PROTO_ENUM_STR(reason_code, c->escalation->reason->code) : "";
		snprintf(title, sizeof title, "%s escalation: %s",
			 c->priority == PROTO_PRIO_URGENT ? "Urgent" : "New", who);
		snprintf(body, sizeof body, "%s %s (%s)", c->id, why, PROTO_ENUM_STR(channel, c->channel));
		if (c->priority == PROTO_PRIO_URGENT)
			notify_urgent(n, c->id, title, body);
		else
			notify_post_conv(n, NOTIFY_ESCALATION, c->id, title, body);
		break;
	}
	case PROTO_EV_CONV_ASSIGNED:
	case PROTO_EV_CONV_TRANSFERRED: {
		const struct proto_conversation *c = b->conversation;
		notify_urgent_done(n, c->id);
		if (ev->kind == PROTO_EV_CONV_TRANSFERRED && is_me(app, c->assignee)) {
			snprintf(title, sizeof title, "Transferred to you: %s",
				 c->customer ? c->customer->name : c->id);
			snprintf(body, sizeof body, "%s%s%s", c->id, b->note ? ": " : "", b->note ? b->note : "");
			notify_post_conv(n, NOTIFY_ASSIGNED, c->id, title, body);
		}
		break;
	}
	case PROTO_EV_CONV_HANDED_BACK:
	case PROTO_EV_CONV_CLOSED:
		if (b->conv || ev->conv)
			notify_urgent_done(n, b->conv ? b->conv : ev->conv);
		break;
	case PROTO_EV_MESSAGE: {
		const struct proto_message *msg = b->message;
		struct model_conv *c = model_mine_find(app->model, msg->conv);
		if (!c || msg->from != PROTO_FROM_CUSTOMER)
			break;
		/* The agent is typing in this very conversation: it is on the
		 * screen, an alert would only cost bytes and attention. An agent
		 * who has gone quiet (another window, away) is still alerted. */
		if (strcmp(app->model->sel, msg->conv) == 0 &&
		    time_now_ms() - app->priv->last_input_ms < ACTIVE_AGENT_MS)
			break;
		snprintf(title, sizeof title, "%s",
			 c->conv && c->conv->customer ? c->conv->customer->name : msg->conv);
		notify_post_conv(n, NOTIFY_MESSAGE, msg->conv, title, msg->text);
		break;
	}
	case PROTO_EV_APPROVAL_REQUESTED:
		if (app->model->me && app->model->me->role == PROTO_ROLE_SUPERVISOR &&
		    !is_me(app, b->approval->requested_by)) {
			snprintf(title, sizeof title, "Approval requested by %s", b->approval->requested_by);
			snprintf(body, sizeof body, "%s: %s in %s", b->approval->id,
				 PROTO_ENUM_STR(action_kind, b->approval->kind), b->approval->conv);
			notify_post_conv(n, NOTIFY_APPROVAL, b->approval->conv, title, body);
		}
		break;
	case PROTO_EV_APPROVAL_DECIDED:
		if (is_me(app, b->approval->requested_by)) {
			snprintf(title, sizeof title, "Your %s request %s", PROTO_ENUM_STR(action_kind, b->approval->kind),
				 b->approval->state == PROTO_APPR_APPROVED ? "was approved" :
				 model_approval_expired(b->approval) ? "expired: no supervisor decided in time" :
				 "was denied");
			snprintf(body, sizeof body, "%s%s%s", b->approval->conv, b->approval->note ? ": " : "",
				 b->approval->note ? b->approval->note : "");
			notify_post_conv(n, NOTIFY_APPROVAL, b->approval->conv, title, body);
		}
		break;
	default:
		break;
	}
}

static void on_result(struct app *app, struct proto_frame *f)
{
	const struct proto_result *r = &f->u.result;
	const struct outbox_item *it = outbox_find(app->outbox, r->cmd_id);
	struct model_result *mr = model_result_find(app->model, r->cmd_id);
	char err[300];
	int64_t now = time_now_ms();

	if (!mr && it)
		mr = model_result_add(app->model, r->cmd_id, it->c.op, it->c.conv, MODEL_RES_SENT, "", now);
	model_apply_frame(app->model, f, now, err, sizeof err);
	mr = model_result_find(app->model, r->cmd_id);

	bool ok = r->status != PROTO_RES_REJECTED;
	int op = it ? it->c.op : mr ? mr->op : PROTO_UNKNOWN;
	char conv[MODEL_ID_MAX + 1];
	snprintf(conv, sizeof conv, "%s", it ? it->c.conv : mr ? mr->conv : "");

	if (app->flags & APP_RUN_HEADLESS)
		headless_result(app, r, it, mr);
	else if (app->ui && mr)
		ui_feedback(app->ui, ok, mr->text);

	if (ok && op == PROTO_OP_CLAIM && conv[0] && !app->model->sel[0])
		app_select(app, conv);
	if (ok && (op == PROTO_OP_HANDBACK || op == PROTO_OP_TRANSFER || op == PROTO_OP_RELEASE) &&
	    strcmp(app->model->sel, conv) == 0 && app->model->nmine && !(app->flags & APP_RUN_HEADLESS))
		app_select(app, app->model->mine[0]->id);
	if (outbox_done(app->outbox, r->cmd_id))
		app->model->dirty |= MODEL_DIRTY_STATUS;	/* "N waiting to send" */
}

static void on_text(void *user, const char *buf, size_t len)
{
	struct app *app = user;
	struct app_priv *p = app->priv;
	struct proto_err perr;
	struct proto_frame *f = proto_frame_decode(buf, len, 0, &perr);
	char err[300];
	int64_t now = time_now_ms();

	if (!f) {
		/* The hub sent something we cannot read: say so, keep going. */
		log_warn("ignored a frame from the hub: %s", perr.msg);
		return;
	}
	model_sanitize_frame(f);
	if (f->type == PROTO_FRAME_ERROR) {
		const char *code = f->u.error.code;
		if (strcmp(code, "unauthorized") == 0 || strcmp(code, "unsupported_version") == 0) {
			char why[300];
			snprintf(why, sizeof why, "%s: %s",
				 strcmp(code, "unauthorized") == 0 ?
				 "the hub refused your token (check the token file, then restart baton)" :
				 "the hub speaks another protocol version (upgrade baton)",
				 f->u.error.message);
			link_give_up(app->link, why);
			model_set_conn(app->model, MODEL_CONN_OFFLINE, 0, why);
			if (app->flags & APP_RUN_HEADLESS) {
				print_json(json_pack("{s:s,s:{s:s,s:s}}", "status", "error", "error", "code", code,
						     "message", why));
				app_quit(app, 1);
			}
			goto out;
		}
		model_apply_frame(app->model, f, now, err, sizeof err);
		if (app->ui)
			ui_feedback(app->ui, false, model_result_last(app->model)->text);
		goto out;
	}
	if (f->type == PROTO_FRAME_WELCOME) {
		on_welcome(app, f);
		goto out;
	}
	if (!p->welcomed)
		goto out;	/* nothing counts before welcome */
	switch (f->type) {
	case PROTO_FRAME_SNAPSHOT:
		model_apply_frame(app->model, f, now, err, sizeof err);
		follow_print(app, f);
		p->follow_synced = true;
		p->caught_up = true;
		if (app->ui)
			ui_invalidate(app->ui);
		store_later(app, f, false);
		f = NULL;
		break;
	case PROTO_FRAME_EVENT: {
		bool live = p->caught_up;
		if (f->u.event.seq <= app->model->last_seq)
			break;
		model_apply_frame(app->model, f, now, err, sizeof err);
		if (!p->caught_up && app->model->last_seq >= app->model->head)
			p->caught_up = true;
		else if (!p->caught_up)
			link_timer(app->link, REPLAY_QUIET_MS);
		follow_print(app, f);
		if (p->ctl) {
			json_t *j = proto_frame_to_json(f);
			ctl_publish(p->ctl, j);
			json_decref(j);
		}
		store_later(app, f, live && app->notify);
		f = NULL;
		break;
	}
	case PROTO_FRAME_RESULT:
		on_result(app, f);
		store_later(app, f, false);
		f = NULL;
		break;
	case PROTO_FRAME_STATS:
		model_apply_frame(app->model, f, now, err, sizeof err);
		/* What the model does not keep (history, per agent, approval
		 * contexts) the supervisor screen takes from the frame itself. */
		ui_on_stats(app->ui, &f->u.stats);
		break;
	default:
		model_apply_frame(app->model, f, now, err, sizeof err);
		break;
	}
out:
	proto_frame_free(f);
	if (app->flags & APP_RUN_HEADLESS)
		headless_pump(app);
}

static void on_state(void *user, enum link_state st, int64_t retry_at, const char *why)
{
	struct app *app = user;
	struct app_priv *p = app->priv;

	switch (st) {
	case LINK_OPEN:
		model_set_conn(app->model, MODEL_CONN_CONNECTING, 0, "");
		send_hello(app);
		break;
	case LINK_CONNECTING:
		if (app->model->conn != MODEL_CONN_RECONNECTING)
			model_set_conn(app->model, MODEL_CONN_CONNECTING, 0, NULL);
		break;
	case LINK_RETRY_WAIT:
		if (p->welcomed && app->notify)
			notify_post(app->notify, NOTIFY_CONNECTION, "baton",
				    "Lost the hub; reconnecting. What you type is kept.");
		p->welcomed = false;
		p->caught_up = false;
		p->typing_conv[0] = '\0';
		outbox_unsent_all(app->outbox);
		model_set_conn(app->model, MODEL_CONN_RECONNECTING, retry_at, why);
		if (why)
			log_info("hub: %s", why);
		break;
	case LINK_OFFLINE:
		p->welcomed = false;
		model_set_conn(app->model, MODEL_CONN_OFFLINE, 0, why);
		if ((app->flags & APP_RUN_HEADLESS) && !app->quit) {
			print_json(json_pack("{s:s,s:{s:s,s:s}}", "status", "error", "error", "code",
					     "offline", "message", why ? why : "offline"));
			app_quit(app, 1);
		}
		break;
	}
	if ((app->flags & APP_RUN_HEADLESS) && !app->quit)
		headless_pump(app);
}

static void on_stdin(void *user, bool eof)
{
	struct app *app = user;

	if (eof) {
		log_info("the terminal went away (end of input): leaving");
		app_quit(app, 0);
		return;
	}
	app->priv->last_input_ms = time_now_ms();
	if (app->ui)
		ui_on_input(app->ui);
}

static void on_signal(void *user, int sig)
{
	struct app *app = user;

	if (sig == SIGWINCH) {
		if (app->ui)
			ui_on_resize(app->ui);
		return;
	}
	log_info("signal %d: leaving", sig);
	app_quit(app, sig == SIGINT ? 130 : 0);
}

static void on_tick(void *user, int64_t now)
{
	/* Later in this pass, after what came from the hub is drawn. */
	((struct app *)user)->priv->tick_due = now;
}

static void tick_run(struct app *app, int64_t now)
{
	struct app_priv *p = app->priv;

	model_tick(app->model, now);
	macro_console_poll(app, now);
	drafts_flush(app);
	if (app->ui)
		ui_tick(app->ui, now);
	if (app->notify)
		notify_tick(app->notify, now);
	if ((app->flags & APP_RUN_HEADLESS) && now >= p->hl_deadline) {
		size_t waiting = outbox_count(app->outbox);
		char text[600];
		snprintf(text, sizeof text, "gave up waiting for the hub after %lld s (%s); %zu command(s) "
			 "wait in the outbox and go out, exactly once, the next time baton connects",
			 (long long)p->hl_timeout_s,
			 app->model->conn_error[0] ? app->model->conn_error : "no answer", waiting);
		print_json(json_pack("{s:s,s:{s:s,s:s},s:i}", "status", "error", "error", "code", "timeout",
				     "message", text, "waiting", (int)waiting));
		app_quit(app, 3);
	}
}

static void on_timer(void *user)
{
	struct app *app = user;
	struct app_priv *p = app->priv;

	if (p->welcomed && !p->caught_up) {
		p->caught_up = true;	/* the replay went quiet: it is over */
		if (app->flags & APP_RUN_HEADLESS)
			headless_pump(app);
	}
}

/* The alerts for the pass's live events (store_later kept them). */
static void alerts_flush(struct app *app)
{
	struct app_priv *p = app->priv;

	for (size_t i = 0; i < p->npending; i++) {
		if (p->pending_alert[i] && !app->quit)
			notify_event(app, &p->pending[i]->u.event);
		p->pending_alert[i] = false;
	}
}

static void render(struct app *app)
{
	if (!app->ui || app->quit)
		return;
	ui_render(app->ui);
	if (app->started_us) {
		log_info("first paint %.1f ms after start (queue %zu, mine %zu, from the store)",
			 (double)(time_mono_us() - app->started_us) / 1000.0, app->model->nqueue,
			 app->model->nmine);
		app->started_us = 0;
	}
}

/*
 * The end of a loop pass. What came from the hub is drawn first; then what
 * the pass owes besides, in the order the agent needs it: the alerts for
 * those events, the one-second tick (wait timers, countdowns, the clock)
 * with its own redraw, and last the store's commit, whose disk sync would
 * otherwise delay the screen. A message that lands in the same pass as
 * the tick is thus written to the terminal before the timers are.
 */
static void on_pass_end(void *user)
{
	struct app *app = user;
	struct app_priv *p = app->priv;

	macro_console_poll(app, time_now_ms());
	if ((app->flags & APP_RUN_HEADLESS) && !app->quit)
		headless_pump(app);	/* a macro may have finished */

	render(app);
	alerts_flush(app);
	if (p->tick_due) {
		int64_t now = p->tick_due;
		p->tick_due = 0;
		tick_run(app, now);
		render(app);
	}
	store_schedule(app);
}

static void on_later(void *user)
{
	struct app *app = user;

	app->priv->store_due = false;
	store_flush(app);
}

/* ---- the control socket ---- */

/* A command from `baton :COMMAND`: run as if typed on the ':' line. */
static int ctl_run(void *ctx, const char *cmdline, json_t **result, char *err, size_t errlen)
{
	struct app *app = ctx;
	const struct model_result *r = model_result_last(app->model);
	char before[PROTO_CMD_ID_MAX + 1];
	int rc;

	/* Only a result this command line made is its answer: a local command
	 * (open, theme, help…) leaves the last one from earlier in place. */
	snprintf(before, sizeof before, "%s", r ? r->cmd_id : "");
	rc = app_run(app, cmdline, APP_RUN_INTERACTIVE, err, errlen);
	r = model_result_last(app->model);
	*result = NULL;
	if (rc == 0 && r && r->cmd_id[0] && strcmp(r->cmd_id, before) != 0)
		*result = json_pack("{s:s,s:s}", "cmd_id", r->cmd_id, "text", r->text);
	return rc;
}

static void ctl_open(struct app *app)
{
	char *path = ctl_default_path();
	char err[400];
	int fd = ctl_listen(path, err, sizeof err);

	if (fd < 0) {
		/* Not fatal: the console works without it (`baton :…` will say so). */
		log_warn("control socket: %s", err);
		free(path);
		return;
	}
	app->priv->ctl = ctl_new(fd, path, ctl_run, app);
	free(path);
	if (ctl_adopt(app->priv->ctl, link_vhost(app->link), err, sizeof err) < 0) {
		log_warn("control socket: %s", err);
		ctl_free(app->priv->ctl);
		app->priv->ctl = NULL;
	}
}

/* ---- life cycle ---- */

int app_open(struct app *app, const struct app_opts *o, char *err, size_t errlen)
{
	struct app_priv *p;
	struct link_opts lo;
	struct link_cb cb;
	char serr[300];
	char *db = NULL;
	int64_t hist = app->cfg ? config_get_int(app->cfg, "history_lines") : 0;

	p = app->priv = xcalloc(1, sizeof *p);
	p->url = xstrdup(o->url);
	p->token = xstrdup(o->token ? o->token : "");
	p->insecure = o->insecure;
	app->model = model_new(hist > 0 ? (size_t)hist : 0);
	snprintf(app->model->url, sizeof app->model->url, "%s", o->url);
	if (o->follow) {
		/* Headless without commands; never gives up on the hub (the link
		 * keeps reconnecting with backoff) and resumes without a gap. */
		app->flags |= APP_RUN_HEADLESS | APP_FOLLOW;
		p->hl_deadline = INT64_MAX;
	} else if (o->headless) {
		app->flags |= APP_RUN_HEADLESS;
		if (cmd_parse(o->headless, &p->hl, err, errlen) < 0)
			return -1;
		if (!p->hl.n) {
			snprintf(err, errlen, "-e: no commands given");
			return -1;
		}
		p->hl_timeout_s = o->timeout_s > 0 ? o->timeout_s : HEADLESS_TIMEOUT_S;
		p->hl_deadline = time_now_ms() + 1000LL * p->hl_timeout_s;
	}

	db = o->db_path ? xstrdup(o->db_path) : store_default_path();
	app->store = store_open(db, serr, sizeof serr);
	if (!app->store) {
		store_problem(app, serr);
	} else if (!store_is_for(app->store, o->url)) {
		/* The store holds another hub's view: nothing to paint; the
		 * welcome rebinds it (store_bind_identity) and it fills again. */
		log_info("the local store belongs to another hub; starting empty");
	} else if (store_load(app->store, app->model, serr, sizeof serr) < 0) {
		store_problem(app, serr);
	} else {
		/* Painting read the whole queue once; give that memory back. */
		store_trim(app->store);
		malloc_trim(0);
	}
	free(db);
	app->outbox = outbox_new(app->store, serr, sizeof serr);
	if (serr[0])
		store_problem(app, serr);
	for (size_t i = 0; i < outbox_count(app->outbox); i++) {
		const struct outbox_item *it = outbox_at(app->outbox, i);
		model_result_add(app->model, it->c.cmd_id, it->c.op, it->c.conv, MODEL_RES_QUEUED,
				 "Waiting to send (typed before a restart).", time_now_ms());
	}

	memset(&lo, 0, sizeof lo);
	lo.url = o->url;
	lo.insecure = o->insecure;
	lo.adopt_stdin = !(app->flags & APP_RUN_HEADLESS);
	memset(&cb, 0, sizeof cb);
	cb.user = app;
	cb.on_text = on_text;
	cb.on_state = on_state;
	cb.on_stdin = on_stdin;
	cb.on_signal = on_signal;
	cb.on_tick = on_tick;
	cb.on_pass_end = on_pass_end;
	cb.on_timer = on_timer;
	cb.on_later = on_later;
	app->link = link_new(&lo, &cb, err, errlen);
	if (!app->link)
		return -1;
	macro_console_open(app, NULL);
	if (!(app->flags & APP_RUN_HEADLESS)) {
		app->ui = ui_new(app, err, errlen);
		if (!app->ui)
			return -1;
		app->notify = notify_new(app->cfg);
		ctl_open(app);
	}
	/* After initscr: our SIGWINCH handler replaces ncurses' own. */
	if (link_install_signals(app->link, err, errlen) < 0)
		return -1;
	/* A conversation that was selected last time is not remembered; pick
	 * the first of mine so the screen is useful at once. */
	if (!(app->flags & APP_RUN_HEADLESS) && app->model->nmine)
		app_select(app, app->model->mine[0]->id);
	return 0;
}

int app_loop(struct app *app)
{
	if (app->flags & APP_RUN_HEADLESS)
		headless_pump(app);
	if (!app->quit && link_run(app->link) < 0) {
		log_error("the event loop failed");
		return 1;
	}
	return app->exit_code;
}

void app_close(struct app *app)
{
	struct app_priv *p = app->priv;

	if (p) {
		store_flush(app);
		drafts_flush(app);
		if (p->typing_conv[0] && app->link && link_is_open(app->link))
			send_typing(app, p->typing_conv, false);
	}
	if (p && p->ctl) {
		ctl_free(p->ctl);
		p->ctl = NULL;
	}
	if (p) {
		free(p->confirm_line);
		p->confirm_line = NULL;
	}
	macro_console_close();
	ui_free(app->ui);
	app->ui = NULL;
	notify_free(app->notify);
	app->notify = NULL;
	link_free(app->link);
	app->link = NULL;
	outbox_free(app->outbox);
	app->outbox = NULL;
	store_close(app->store);
	app->store = NULL;
	model_free(app->model);
	app->model = NULL;
	if (p) {
		cmd_line_free(&p->hl);
		free(p->dirty_drafts);
		free(p->pending);
		free(p->pending_alert);
		if (p->token) {
			explicit_bzero(p->token, strlen(p->token));
			free(p->token);
		}
		free(p->url);
		free(p);
		app->priv = NULL;
	}
}
