/*
 * macro-console.c: macros inside the running console — the `macro` and
 * `macros` commands and the plan runner's host (macro.h, "the console's
 * side").
 *
 * One console per process, so the state (the loaded macros, the plan that
 * is running, the executable that is running) is this file's. app.c calls
 * macro_console_open() once and macro_console_poll() from its tick and the
 * end of each loop pass; the command table points `macro` and `macros` at
 * the handlers below. `macro --stop` ends a run that waits (for a money
 * dialog the agent answered no, say).
 *
 * What runs where: a multi-step macro shows its plan with ui_confirm()
 * (the dialog runs `macro NAME …` again with APP_RUN_CONFIRMED on yes); a
 * single reply becomes a draft (or is sent with `send: yes`). Every step
 * runs through app_run() against the conversation the plan was made for,
 * so money steps ask their own confirmation like typed commands do.
 */
#include "baton/macro.h"
#include "baton/app.h"
#include "baton/cmd.h"
#include "baton/common.h"
#include "baton/ctl.h"
#include "baton/keys.h"
#include "baton/link.h"
#include "baton/log.h"
#include "baton/model.h"
#include "baton/text.h"
#include "baton/ui.h"

#include "cmd-impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef BATON_DATADIR
#define BATON_DATADIR "/usr/local/share/baton"
#endif

static struct {
	struct app *app;
	char *dir;
	struct macro_set *set;
	char *warnings;
	struct macro_run *run;		/* the plan running, NULL if none */
	char last_msg[300];
	/* An executable macro running, and what to do with its output. */
	struct macro_exec *exec;
	struct macro *exec_macro;	/* a copy of the executable's header */
	char exec_conv[MODEL_ID_MAX + 1];
	char *exec_cmdline;		/* `macro NAME …` as typed, for the plan's confirm */
	char **exec_answers;		/* the answers typed after the name, for {{ask:…}} */
	size_t exec_nanswers;
	bool exec_confirmed;
	/* The plan shown in the confirm dialog: on yes this one runs, not a
	 * rebuilt one (the model or a program's output may have changed). */
	struct macro_plan *pending;
	char *pending_cmdline;
} mc;

static void free_answers(void)
{
	for (size_t i = 0; i < mc.exec_nanswers; i++)
		free(mc.exec_answers[i]);
	free(mc.exec_answers);
	mc.exec_answers = NULL;
	mc.exec_nanswers = 0;
}

static void reload(void)
{
	if (!mc.dir)
		mc.dir = macro_dir();	/* used before macro_console_open */
	macro_set_free(mc.set);
	free(mc.warnings);
	mc.set = macro_set_load(mc.dir, &mc.warnings);
	if (mc.warnings)
		log_warn("macros: %s", mc.warnings);
}

void macro_console_open(struct app *app, const char *dir)
{
	mc.app = app;
	free(mc.dir);
	mc.dir = dir ? xstrdup(dir) : macro_dir();
	reload();
}

void macro_console_close(void)
{
	macro_run_free(mc.run);
	macro_exec_free(mc.exec);
	macro_free(mc.exec_macro);
	free(mc.exec_cmdline);
	free_answers();
	macro_plan_free(mc.pending);
	free(mc.pending_cmdline);
	macro_set_free(mc.set);
	free(mc.warnings);
	free(mc.dir);
	memset(&mc, 0, sizeof mc);
}

const struct macro_set *macro_console_set(void)
{
	return mc.set;
}

const char *macro_console_warnings(void)
{
	return mc.warnings;
}

bool macro_console_busy(void)
{
	return mc.run || mc.exec;
}

void macro_console_cancel(void)
{
	macro_run_cancel(mc.run);
	if (mc.exec) {
		macro_exec_free(mc.exec);
		mc.exec = NULL;
		macro_free(mc.exec_macro);
		mc.exec_macro = NULL;
		free_answers();
		if (mc.app)
			app_feedback(mc.app, NULL, false, "Macro stopped.", NULL);
	}
}

/* ---- the host the plan runs through ---- */

static int host_run(void *ctx, const char *conv, const char *cmdline, char *err, size_t errlen)
{
	struct app *app = ctx;
	struct model *m = app->model;
	char saved[MODEL_ID_MAX + 1];
	unsigned flags = (app->flags & APP_RUN_HEADLESS) ? APP_RUN_HEADLESS :
			 app->ui ? APP_RUN_INTERACTIVE : 0;
	int rc;

	/* Commands act on the selected conversation: point it at the plan's
	 * for the length of the call, so a switch meanwhile does not redirect
	 * the macro. */
	snprintf(saved, sizeof saved, "%s", m->sel);
	snprintf(m->sel, sizeof m->sel, "%s", conv);
	rc = app_run(app, cmdline, flags, err, errlen);
	snprintf(m->sel, sizeof m->sel, "%s", saved);
	return rc;
}

static void host_draft(void *ctx, const char *conv, const char *text)
{
	struct app *app = ctx;
	struct model_conv *c = app_conv_obj(app, conv);

	app_set_draft(app, conv, text);
	if (c) {
		/* The compose area reloads a replaced draft. */
		c->dirty |= MODEL_CONV_DRAFT;
		app->model->dirty |= MODEL_DIRTY_CONV;
	}
}

static void poll_run(struct app *app, int64_t now)
{
	struct macro_host h = { app, host_run, host_draft };
	char msg[300];
	enum macro_run_state st;

	if (!mc.run)
		return;
	st = macro_run_poll(mc.run, app->model, &h, now, msg, sizeof msg);
	if (st == MACRO_RUN_WAITING) {
		if (msg[0] && strcmp(msg, mc.last_msg) != 0) {
			snprintf(mc.last_msg, sizeof mc.last_msg, "%s", msg);
			app_feedback(app, NULL, true, msg, NULL);
		}
		return;
	}
	app_feedback(app, NULL, st == MACRO_RUN_DONE, msg, NULL);
	macro_run_free(mc.run);
	mc.run = NULL;
	mc.last_msg[0] = '\0';
}

/* Shows or starts a plan (taken). Returns like a command handler. */
static int start_plan(struct app *app, const struct cmd_call *call, struct macro_plan *p,
		      bool confirmed, bool force_confirm, const char *cmdline)
{
	if ((p->mode == MACRO_PLAN_CONFIRM || force_confirm) && !confirmed && app->ui) {
		char *text = macro_plan_render(p);
		char title[120];
		snprintf(title, sizeof title, "Run macro %s?", p->name);
		ui_confirm(app->ui, title, text, cmdline);
		free(text);
		macro_plan_free(mc.pending);
		free(mc.pending_cmdline);
		mc.pending = p;
		mc.pending_cmdline = xstrdup(cmdline);
		return 1;
	}
	mc.run = macro_run_new(p, time_now_ms());
	mc.last_msg[0] = '\0';
	(void)call;
	poll_run(app, time_now_ms());
	return 0;
}

/* ---- commands ---- */

/* macro [--plan] NAME [ANSWER]... */
int macro_cmd_macro(struct app *app, const struct cmd_call *call, unsigned flags, char *err, size_t errlen)
{
	const struct macro *m;
	const char *conv;
	struct macro_plan *p = NULL;
	bool plan_only = false;
	int a = 0;

	if (a < call->argc && strcmp(call->argv[a], "--stop") == 0) {
		if (!mc.run && !mc.exec) {
			snprintf(err, errlen, "macro --stop: no macro is running");
			return -1;
		}
		/* The run reports where it stopped at the next poll. */
		macro_console_cancel();
		poll_run(app, time_now_ms());
		return 0;
	}
	if (a < call->argc && strcmp(call->argv[a], "--plan") == 0) {
		plan_only = true;
		a++;
	}
	if (a >= call->argc) {
		snprintf(err, errlen, "macro: name a macro (macros lists them). Usage: macro [--plan] NAME "
			 "[ANSWER]... or macro --stop");
		return -1;
	}
	if (mc.run || mc.exec) {
		snprintf(err, errlen, "macro: macro %s is still running; wait for it, or end it with "
			 "macro --stop", mc.run ? macro_run_plan(mc.run)->name :
			 mc.exec_macro ? mc.exec_macro->name : "?");
		return -1;
	}
	m = macro_set_find(mc.set, call->argv[a]);
	if (!m) {
		reload();	/* a file added since the start */
		m = macro_set_find(mc.set, call->argv[a]);
	}
	if (!m) {
		snprintf(err, errlen, "macro: there is no macro \"%.48s\" in %s (macros lists them)",
			 call->argv[a], mc.dir);
		return -1;
	}
	conv = app_conv_for(app, NULL, err, errlen);
	if (!conv)
		return -1;
	if ((flags & APP_RUN_CONFIRMED) && mc.pending && strcmp(mc.pending_cmdline, call->text) == 0 &&
	    strcmp(mc.pending->conv, conv) == 0) {
		p = mc.pending;
		mc.pending = NULL;
		return start_plan(app, call, p, true, false, call->text);
	}
	if (m->executable) {
		char *in = macro_exec_input(app->model, conv, err, errlen);
		if (!in)
			return -1;
		mc.exec = macro_exec_start(m->path, in, strlen(in), NULL, time_now_ms(), err, errlen);
		free(in);
		if (!mc.exec)
			return -1;
		/* Its end wakes the loop, so the plan shows at once, not at the tick. */
		if (app->link)
			ctl_wake_on(link_vhost(app->link), macro_exec_pidfd(mc.exec));
		mc.exec_macro = xcalloc(1, sizeof *mc.exec_macro);
		mc.exec_macro->name = xstrdup(m->name);
		mc.exec_macro->description = xstrdup(m->description);
		mc.exec_macro->path = xstrdup(m->path);
		snprintf(mc.exec_conv, sizeof mc.exec_conv, "%s", conv);
		free(mc.exec_cmdline);
		mc.exec_cmdline = xstrdup(call->text);
		free_answers();
		mc.exec_nanswers = (size_t)(call->argc - a - 1);
		mc.exec_answers = xcalloc(mc.exec_nanswers + 1, sizeof *mc.exec_answers);
		for (size_t i = 0; i < mc.exec_nanswers; i++)
			mc.exec_answers[i] = xstrdup(call->argv[a + 1 + (int)i]);
		mc.exec_confirmed = (flags & APP_RUN_CONFIRMED) != 0;
		app_feedback(app, call, true, "Running the macro…", NULL);
		return 0;
	}
	if (macro_plan_build(m, app->model, conv, (const char *const *)call->argv + a + 1,
			     (size_t)(call->argc - a - 1), &p, err, errlen) < 0)
		return -1;
	if (plan_only) {
		char *text = macro_plan_render(p);
		json_t *steps = json_array();
		for (size_t i = 0; i < p->n; i++) {
			const struct macro_pstep *s = &p->steps[i];
			json_array_append_new(steps, json_pack("{s:s,s:s,s:s?,s:b,s:b}", "kind",
							       s->kind == MACRO_STEP_REPLY ? "reply" : "command",
							       "what", s->what, "text", s->text,
							       "money", s->money, "deferred", s->deferred));
		}
		if (app->ui)
			ui_show_text(app->ui, p->name, text);
		app_feedback(app, call, true, text, json_pack("{s:s,s:s,s:o}", "macro", p->name, "conv",
							      p->conv, "plan", steps));
		free(text);
		macro_plan_free(p);
		return 0;
	}
	return start_plan(app, call, p, (flags & APP_RUN_CONFIRMED) != 0, false, call->text);
}

/* macros [FILTER] */
int macro_cmd_macros(struct app *app, const struct cmd_call *call, unsigned flags, char *err, size_t errlen)
{
	const char *filter = call->rest ? call->rest : "";
	const struct macro **pick;
	size_t n, total;
	struct strbuf sb = STRBUF_INIT;
	json_t *arr = json_array();

	(void)err;
	(void)errlen;
	reload();
	/* Typed on the screen without a filter: the filter-as-you-type
	 * picker. With a filter, or with nothing to pick, the listing (it
	 * says where macros go and which files have problems). */
	if (app->ui && (flags & APP_RUN_INTERACTIVE) && !*filter && mc.set->n) {
		json_decref(arr);
		ui_pick_macro(app->ui);
		app_feedback(app, call, true, "", NULL);
		return 0;
	}
	pick = xcalloc(mc.set->n + 1, sizeof *pick);
	total = macro_set_filter(mc.set, filter, pick, mc.set->n);
	n = total < mc.set->n ? total : mc.set->n;
	for (size_t i = 0; i < n; i++) {
		const struct macro *m = pick[i];
		sb_addf(&sb, "%-20s %-8s %s%s\n", m->name, m->key ? m->key : "", m->description,
			m->executable ? " (executable)" : "");
		json_array_append_new(arr, json_pack("{s:s,s:s?,s:s,s:b}", "name", m->name, "key", m->key,
						     "description", m->description, "executable",
						     m->executable));
	}
	if (!n)
		sb_addf(&sb, "No macros%s%s in %s. Examples to copy there: %s/macros "
			"(contrib/macros in the source).\n", *filter ? " match " : "", filter, mc.dir,
			BATON_DATADIR);
	if (mc.warnings)
		sb_addf(&sb, "\nProblems:\n%s", mc.warnings);
	if (app->ui)
		ui_show_text(app->ui, "Macros (run one with: macro NAME)", sb_str(&sb));
	app_feedback(app, call, true, app->ui ? "Macros listed." : sb_str(&sb),
		     json_pack("{s:o}", "macros", arr));
	sb_free(&sb);
	free(pick);
	return 0;
}

/* ---- the loop ---- */

static void poll_exec(struct app *app, int64_t now)
{
	enum macro_exec_state st;
	struct macro *out = NULL;
	struct macro_plan *p = NULL;
	char err[600];
	size_t len;

	if (!mc.exec)
		return;
	st = macro_exec_poll(mc.exec, now);
	if (st == MACRO_EXEC_RUNNING)
		return;
	if (st == MACRO_EXEC_FAILED) {
		app_feedback(app, NULL, false, macro_exec_error(mc.exec), NULL);
		goto done;
	}
	const char *text = macro_exec_output(mc.exec, &len);
	if (macro_exec_result(mc.exec_macro, text, len, &out, err, sizeof err) < 0 ||
	    macro_plan_build(out, app->model, mc.exec_conv, (const char *const *)mc.exec_answers,
			     mc.exec_nanswers, &p, err, sizeof err) < 0) {
		app_feedback(app, NULL, false, err, NULL);
		goto done;
	}
	/* What a program decided is shown before it runs, even one step. */
	if (start_plan(app, NULL, p, mc.exec_confirmed, p->mode != MACRO_PLAN_DRAFT, mc.exec_cmdline) < 0)
		app_feedback(app, NULL, false, "the macro could not start", NULL);
done:
	macro_free(out);
	macro_exec_free(mc.exec);
	mc.exec = NULL;
	macro_free(mc.exec_macro);
	mc.exec_macro = NULL;
	free_answers();
}

void macro_console_poll(struct app *app, int64_t now)
{
	poll_exec(app, now);
	poll_run(app, now);
}

void macro_console_bind_keys(struct keys *k)
{
	for (size_t i = 0; mc.set && i < mc.set->n; i++) {
		const struct macro *m = mc.set->v[i];
		char line[MACRO_NAME_MAX + 8], err[200];
		if (!m->key)
			continue;
		snprintf(line, sizeof line, "macro %s", m->name);
		if (keys_bind(k, m->key, line, err, sizeof err) < 0) {
			struct strbuf sb = STRBUF_INIT;
			sb_addf(&sb, "%s%s: key %s: %s\n", mc.warnings ? mc.warnings : "", m->path, m->key, err);
			free(mc.warnings);
			mc.warnings = sb_take(&sb);
			log_warn("macros: %s: key %s: %s", m->path, m->key, err);
		}
	}
}

const struct macro *macro_console_key(const char *key)
{
	return macro_set_find_key(mc.set, key);
}
