/*
 * cmd-misc.c: presence, search, the screen's commands (theme, bind, binds,
 * help), quit, and the supervisor's approve/deny.
 */
#include "baton/cmd.h"
#include "baton/common.h"
#include "baton/keys.h"
#include "baton/model.h"
#include "baton/ui.h"

#include "cmd-impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cmd_status(struct app *app, const struct cmd_call *call, unsigned flags, char *err, size_t errlen)
{
	struct proto_args a;
	int st = PROTO_ENUM_PARSE(presence_status, call->argv[0]);

	(void)flags;
	if (st != PROTO_PRES_ONLINE && st != PROTO_PRES_AWAY) {
		snprintf(err, errlen, "status: write online or away (offline is what disconnecting does).");
		return -1;
	}
	memset(&a, 0, sizeof a);
	a.status = st;
	PROTO_SET(&a, args, status);	/* online is the enum's 0 */
	return app_submit(app, call, PROTO_OP_PRESENCE_SET, &a, NULL, err, errlen);
}

static const char *from_name(int from)
{
	return PROTO_ENUM_STR(msg_from, from);
}

int cmd_search(struct app *app, const struct cmd_call *call, unsigned flags, char *err, size_t errlen)
{
	struct model_hit *hits = xcalloc(MODEL_HITS_MAX, sizeof *hits);
	const char *q = call->rest ? call->rest : "";
	int n, rc = -1;

	(void)flags;
	n = app_search(app, q, hits, MODEL_HITS_MAX, err, errlen);
	if (n < 0)
		goto out;
	if (app->ui) {
		struct strbuf sb = STRBUF_INIT;
		char title[200];
		for (int i = 0; i < n; i++) {
			char when[TIME_RFC3339_LEN + 1];
			time_format_rfc3339(hits[i].at, when);
			sb_addf(&sb, "%s  %.16s  %-8s %s\n", hits[i].conv, when, from_name(hits[i].from),
				hits[i].snippet);
		}
		if (!n)
			sb_adds(&sb, "Nothing found in the messages stored on this computer.\n");
		snprintf(title, sizeof title, "Search: %.80s (%d)", q, n);
		ui_show_text(app->ui, title, sb_str(&sb));
		sb_free(&sb);
	} else {
		json_t *arr = json_array();
		for (int i = 0; i < n; i++) {
			char when[TIME_RFC3339_LEN + 1];
			time_format_rfc3339(hits[i].at, when);
			json_array_append_new(arr, json_pack("{s:s,s:s,s:s,s:s,s:s}", "conv", hits[i].conv,
							     "message", hits[i].msg_id, "from",
							     from_name(hits[i].from), "at", when,
							     "snippet", hits[i].snippet));
		}
		char text[80];
		snprintf(text, sizeof text, "%d found.", n);
		app_feedback(app, call, true, text, json_pack("{s:o}", "hits", arr));
	}
	rc = 0;
out:
	free(hits);
	return rc;
}

static int need_ui(struct app *app, const struct cmd_call *call, char *err, size_t errlen)
{
	if (app->ui)
		return 0;
	snprintf(err, errlen, "%s: only with the screen (not with -e).", call->def->name);
	return -1;
}

int cmd_theme(struct app *app, const struct cmd_call *call, unsigned flags, char *err, size_t errlen)
{
	char text[120];

	(void)flags;
	if (need_ui(app, call, err, errlen) < 0)
		return -1;
	if (ui_set_theme(app->ui, call->argv[0], err, errlen) < 0)
		return -1;
	snprintf(text, sizeof text, "Theme %.60s.", call->argv[0]);
	app_feedback(app, call, true, text, NULL);
	return 0;
}

int cmd_bind(struct app *app, const struct cmd_call *call, unsigned flags, char *err, size_t errlen)
{
	char text[300];

	(void)flags;
	if (need_ui(app, call, err, errlen) < 0)
		return -1;
	char *what = cmd_rest(call, 1);
	int rc = keys_bind(ui_keys(app->ui), call->argv[0], what, err, errlen);
	if (rc == 0) {
		snprintf(text, sizeof text, "%.40s is now: %.120s (for this session; put it in the "
			 "binds file to keep it).", call->argv[0], what);
		app_feedback(app, call, true, text, NULL);
	}
	free(what);
	return rc;
}

int cmd_binds(struct app *app, const struct cmd_call *call, unsigned flags, char *err, size_t errlen)
{
	(void)flags;
	(void)call;
	if (need_ui(app, call, err, errlen) < 0)
		return -1;
	char *list = keys_list(ui_keys(app->ui));
	ui_show_text(app->ui, "Key bindings", list);
	free(list);
	return 0;
}

int cmd_help(struct app *app, const struct cmd_call *call, unsigned flags, char *err, size_t errlen)
{
	size_t n;
	const struct cmd_def *t = cmd_table(&n);

	(void)flags;
	if (call->argc) {
		const struct cmd_def *d = cmd_find(call->argv[0]);
		char usage[200], text[400];
		if (!d) {
			snprintf(err, errlen, "help: there is no command \"%.40s\"; help alone lists them.",
				 call->argv[0]);
			return -1;
		}
		cmd_usage(d, usage, sizeof usage);
		snprintf(text, sizeof text, "%s — %s", usage, d->help);
		app_feedback(app, call, true, text, json_pack("{s:s,s:s,s:s}", "name", d->name,
							      "args", d->args, "help", d->help));
		return 0;
	}
	if (app->ui) {
		ui_show_help(app->ui);
		return 0;
	}
	json_t *arr = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(arr, json_pack("{s:s,s:s,s:s}", "name", t[i].name, "args", t[i].args,
						     "help", t[i].help));
	app_feedback(app, call, true, "Commands listed.", json_pack("{s:o}", "commands", arr));
	return 0;
}

int cmd_quit(struct app *app, const struct cmd_call *call, unsigned flags, char *err, size_t errlen)
{
	(void)call;
	(void)err;
	(void)errlen;
	/* However quit was asked for (key, : line, macro, control socket),
	 * unsent drafts make the screen ask first; they are kept either way. */
	if (app->ui && (flags & APP_RUN_INTERACTIVE) && !(flags & APP_RUN_CONFIRMED) &&
	    app_has_drafts(app)) {
		ui_confirm(app->ui, "Quit?", "Some conversations have unsent drafts. They are kept and "
			   "come back when you start baton again. Quit now?", "quit");
		return 1;
	}
	app_quit(app, 0);
	return 0;
}

static int decide(struct app *app, const struct cmd_call *call, int decision, char *err, size_t errlen)
{
	struct proto_args a;
	struct model_approval *ap = model_approval_find(app->model, call->argv[0]);
	char conv[MODEL_ID_MAX + 1] = "";

	if (ap)
		snprintf(conv, sizeof conv, "%s", ap->a->conv);
	memset(&a, 0, sizeof a);
	a.approval = call->argv[0];
	a.decision = decision;
	PROTO_SET(&a, args, decision);	/* approve is the enum's 0 */
	if (call->argc > 1 && call->rest && *call->rest)
		a.note = call->rest;
	return app_submit(app, call, PROTO_OP_APPROVAL_DECIDE, &a, conv, err, errlen);
}

int cmd_approve(struct app *app, const struct cmd_call *call, unsigned flags, char *err, size_t errlen)
{
	(void)flags;
	return decide(app, call, PROTO_DECIDE_APPROVE, err, errlen);
}

int cmd_deny(struct app *app, const struct cmd_call *call, unsigned flags, char *err, size_t errlen)
{
	(void)flags;
	return decide(app, call, PROTO_DECIDE_DENY, err, errlen);
}
