/*
 * cmd-impl.h: between the command table (cmd.c), the handlers (cmd-*.c)
 * and the services app.c gives them. Private to src/console.
 *
 * A handler checks its arguments, builds proto args and calls
 * app_submit() (state changes on the hub) or does its local work and
 * reports with app_feedback(). It never touches the link, the store or
 * the screen directly.
 */
#ifndef BATON_CMD_IMPL_H
#define BATON_CMD_IMPL_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "baton/app.h"
#include "baton/cmd.h"
#include "baton/proto.h"

#define CMD_HANDLER_(name) \
	int cmd_##name(struct app *app, const struct cmd_call *call, unsigned flags, \
		       char *err, size_t errlen);
CMD_HANDLER_(claim) CMD_HANDLER_(release) CMD_HANDLER_(say) CMD_HANDLER_(note)
CMD_HANDLER_(discount) CMD_HANDLER_(return) CMD_HANDLER_(label) CMD_HANDLER_(handback)
CMD_HANDLER_(transfer) CMD_HANDLER_(status) CMD_HANDLER_(open) CMD_HANDLER_(next)
CMD_HANDLER_(prev) CMD_HANDLER_(search) CMD_HANDLER_(theme) CMD_HANDLER_(bind)
CMD_HANDLER_(binds) CMD_HANDLER_(help) CMD_HANDLER_(quit) CMD_HANDLER_(approve)
CMD_HANDLER_(deny) CMD_HANDLER_(monitor)
#undef CMD_HANDLER_

/*
 * Sends a command to the hub through the outbox: a fresh cmd_id, the frame
 * written to the store before it is sent. conv is what the result is about
 * (for the screen). Returns 0 (queued; sent now if connected), or -1 with
 * err when the args do not validate. A store failure is not an error here:
 * the command is kept in memory and the status line says the store failed.
 */
int app_submit(struct app *app, const struct cmd_call *call, enum proto_op op,
	       struct proto_args *args, const char *conv, char *err, size_t errlen);

/*
 * The conversation a command acts on: given (an explicit id) or the
 * selected one. NULL with err ("No conversation selected: …") if none.
 */
const char *app_conv_for(struct app *app, const char *given, char *err, size_t errlen);

/*
 * Reports a local command's outcome: on the screen (ui_feedback) or, headless,
 * as one JSON line ({"cmd":…,"status":"ok"|"error","text":…} plus extra's
 * members; extra is taken, may be NULL).
 */
void app_feedback(struct app *app, const struct cmd_call *call, bool ok, const char *text, json_t *extra);

/* The kept conversation (mine, or the selected detail) with that id, or NULL. */
struct model_conv *app_conv_obj(struct app *app, const char *id);

/* The money confirmation: interactive without APP_RUN_CONFIRMED shows the
 * dialog and returns 1; otherwise 0 (go ahead). */
int app_confirm_money(struct app *app, const struct cmd_call *call, unsigned flags,
		      const char *title, const char *body);

#endif
