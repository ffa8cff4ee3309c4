/*
 * cmd-conv.c: commands about conversations — claim, release, say, note,
 * handback, transfer, open, next, prev, monitor.
 */
#include "baton/cmd.h"
#include "baton/common.h"
#include "baton/model.h"
#include "baton/text.h"
#include "baton/ui.h"

#include "cmd-impl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cmd_claim(struct app *app, const struct cmd_call *call, unsigned flags, char *err, size_t errlen)
{
	struct model *m = app->model;
	struct proto_args a;
	const char *id;

	(void)flags;
	memset(&a, 0, sizeof a);
	if (call->argc == 0) {
		if (!m->sel[0] || !model_queue_find(m, m->sel)) {
			snprintf(err, errlen, "claim: select a conversation in the queue first, or use "
				 "\"claim next\" or \"claim ID\".");
			return -1;
		}
		id = m->sel;
	} else if (strcmp(call->argv[0], "next") == 0) {
		if (!m->nqueue) {
			snprintf(err, errlen, "claim next: the queue is empty.");
			return -1;
		}
		id = m->queue[0]->id;
	} else {
		id = call->argv[0];
	}
	char conv[MODEL_ID_MAX + 1];
	snprintf(conv, sizeof conv, "%s", id);
	a.conv = conv;
	if (app_submit(app, call, PROTO_OP_CLAIM, &a, conv, err, errlen) < 0)
		return -1;
	/* Show it at once; the claim's result fills it in. */
	app_select(app, conv);
	return 0;
}

static int simple_conv_op(struct app *app, const struct cmd_call *call, enum proto_op op,
			  const char *given, char *err, size_t errlen)
{
	struct proto_args a;
	const char *conv = app_conv_for(app, given, err, errlen);

	if (!conv)
		return -1;
	memset(&a, 0, sizeof a);
	a.conv = conv;
	return app_submit(app, call, op, &a, conv, err, errlen);
}

int cmd_release(struct app *app, const struct cmd_call *call, unsigned flags, char *err, size_t errlen)
{
	(void)flags;
	return simple_conv_op(app, call, PROTO_OP_RELEASE, call->argc ? call->argv[0] : NULL, err, errlen);
}

int cmd_monitor(struct app *app, const struct cmd_call *call, unsigned flags, char *err, size_t errlen)
{
	(void)flags;
	if (simple_conv_op(app, call, PROTO_OP_MONITOR, call->argv[0], err, errlen) < 0)
		return -1;
	/* Following a conversation is done in the agent panes, however the
	 * command came (m on the supervisor screen, :monitor, a macro). */
	if (app->ui) {
		app_select(app, call->argv[0]);
		ui_show_super(app->ui, false);
	}
	return 0;
}

/* Checks free text typed by the agent before it goes to a customer. */
static int check_text(const char *what, const char *text, size_t max, char *err, size_t errlen)
{
	size_t len = strlen(text), n;
	const char *p = text;

	while (*p == ' ' || *p == '\t' || *p == '\n')
		p++;
	if (!*p) {
		snprintf(err, errlen, "%s: the text is empty.", what);
		return -1;
	}
	if (!text_utf8_valid(text, len)) {
		snprintf(err, errlen, "%s: the text is not valid UTF-8 (check the terminal's encoding).", what);
		return -1;
	}
	n = text_utf8_count(text, len);
	if (n > max) {
		snprintf(err, errlen, "%s: the text is %zu characters; at most %zu go in one message. "
			 "Split it.", what, n, max);
		return -1;
	}
	return 0;
}

static int send_text(struct app *app, const struct cmd_call *call, enum proto_op op, const char *what,
		     char *err, size_t errlen)
{
	struct proto_args a;
	const char *conv = app_conv_for(app, NULL, err, errlen);
	const char *text = call->rest ? call->rest : "";

	if (!conv)
		return -1;
	if (check_text(what, text, PROTO_TEXT_MAX, err, errlen) < 0)
		return -1;
	memset(&a, 0, sizeof a);
	a.conv = conv;
	a.text = text;
	return app_submit(app, call, op, &a, conv, err, errlen);
}

int cmd_say(struct app *app, const struct cmd_call *call, unsigned flags, char *err, size_t errlen)
{
	(void)flags;
	return send_text(app, call, PROTO_OP_MESSAGE_SEND, "say", err, errlen);
}

int cmd_note(struct app *app, const struct cmd_call *call, unsigned flags, char *err, size_t errlen)
{
	(void)flags;
	return send_text(app, call, PROTO_OP_NOTE_ADD, "note", err, errlen);
}

int cmd_handback(struct app *app, const struct cmd_call *call, unsigned flags, char *err, size_t errlen)
{
	struct proto_args a;
	const char *conv;
	int disp = PROTO_ENUM_PARSE(disposition, call->argv[0]);

	(void)flags;
	if (disp == PROTO_UNKNOWN) {
		snprintf(err, errlen, "handback: \"%.40s\" is not an outcome; write resolved, unresolved "
			 "or follow_up, then a note.", call->argv[0]);
		return -1;
	}
	conv = app_conv_for(app, NULL, err, errlen);
	if (!conv)
		return -1;
	if (check_text("handback note", call->rest ? call->rest : "", 1000, err, errlen) < 0)
		return -1;
	memset(&a, 0, sizeof a);
	a.conv = conv;
	a.disposition = disp;
	PROTO_SET(&a, args, disposition);	/* resolved is the enum's 0 */
	a.note = call->rest;
	return app_submit(app, call, PROTO_OP_HANDBACK, &a, conv, err, errlen);
}

int cmd_transfer(struct app *app, const struct cmd_call *call, unsigned flags, char *err, size_t errlen)
{
	struct proto_args a;
	const char *conv, *to = call->argv[0];

	(void)flags;
	if (to[0] == '@' ? !to[1] : !to[0]) {
		snprintf(err, errlen, "transfer: name an agent id, or @ and a skill (@returns).");
		return -1;
	}
	conv = app_conv_for(app, NULL, err, errlen);
	if (!conv)
		return -1;
	memset(&a, 0, sizeof a);
	a.conv = conv;
	a.to = to;
	if (call->argc > 1 && call->rest && *call->rest)
		a.note = call->rest;
	return app_submit(app, call, PROTO_OP_TRANSFER, &a, conv, err, errlen);
}

int cmd_open(struct app *app, const struct cmd_call *call, unsigned flags, char *err, size_t errlen)
{
	const char *id = call->argv[0];
	struct model *m = app->model;
	char text[160];

	(void)flags;
	app_select(app, id);
	if (!model_mine_find(m, id) && !model_queue_find(m, id) &&
	    !(m->detail && strcmp(m->detail->id, id) == 0)) {
		app_select(app, "");
		snprintf(err, errlen, "open: no conversation \"%.64s\" here: it is neither yours nor "
			 "queued, and not in the local store.", id);
		return -1;
	}
	snprintf(text, sizeof text, "Showing %s.", id);
	app_feedback(app, call, true, text, json_pack("{s:s}", "conv", id));
	return 0;
}

static int step(struct app *app, const struct cmd_call *call, int dir, char *err, size_t errlen)
{
	struct model *m = app->model;
	long cur = -1;
	char text[160];

	if (!m->nmine) {
		snprintf(err, errlen, "%s: you have no active conversations; claim one from the queue.",
			 call->def->name);
		return -1;
	}
	for (size_t i = 0; i < m->nmine; i++)
		if (strcmp(m->mine[i]->id, m->sel) == 0)
			cur = (long)i;
	long n = (long)m->nmine;
	long next = cur < 0 ? (dir > 0 ? 0 : n - 1) : ((cur + dir) % n + n) % n;
	app_select(app, m->mine[next]->id);
	snprintf(text, sizeof text, "Showing %s (%ld of %ld).", m->mine[next]->id, next + 1, n);
	app_feedback(app, call, true, text, json_pack("{s:s}", "conv", m->mine[next]->id));
	return 0;
}

int cmd_next(struct app *app, const struct cmd_call *call, unsigned flags, char *err, size_t errlen)
{
	(void)flags;
	return step(app, call, 1, err, errlen);
}

int cmd_prev(struct app *app, const struct cmd_call *call, unsigned flags, char *err, size_t errlen)
{
	(void)flags;
	return step(app, call, -1, err, errlen);
}
