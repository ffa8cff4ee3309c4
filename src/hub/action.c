/*
 * action.c: what every action kind shares: the action row, loading it as a
 * protocol Action, and announcing it (the `action` event to the owner and
 * supervisors, and `action.applied` to the bot).
 */
#include "baton/hub.h"
#include "baton/hub-store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char SQL_ACTION[] =
	"SELECT n, conv, kind, status, cmd_id, by, at, params, result, error FROM actions WHERE n = ?";
static const char SQL_ACTION_INSERT[] =
	"INSERT INTO actions(conv, kind, status, agent, cmd_id, by, at, params, result)"
	" VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)";
static const char SQL_ACTION_UPDATE[] = "UPDATE actions SET status = ?, result = ? WHERE n = ?";
static const char SQL_CONV_ACT[] =
	"SELECT n, state, assignee, customer FROM conversations WHERE n = ?";

static void *decode_json_text(struct proto_arena *a, const struct proto_type *t, const char *text)
{
	struct proto_err err;
	json_t *j;
	void *obj = NULL;

	if (!text || !(j = json_loads(text, 0, NULL)))
		return NULL;
	if (json_is_object(j)) {
		obj = proto_arena_alloc(a, t->size);
		if (proto_decode(a, t, j, obj, "", &err) < 0) {
			log_error("store: a stored %s does not decode: %s", t->name, err.msg);
			obj = NULL;
		}
	}
	json_decref(j);
	return obj;
}

struct proto_action *action_load(struct proto_arena *a, int64_t id)
{
	json_t *row = NULL;
	struct proto_action *act;
	const char *s;

	if (hub_store_row(hub.st, &row, SQL_ACTION, "i", id) != 1)
		return NULL;
	act = PROTO_NEW(a, action);
	act->id = hub_id_fmt(a, "act-", id);
	act->conv = hub_id_fmt(a, "c-", json_integer_value(json_object_get(row, "conv")));
	act->kind = PROTO_ENUM_PARSE(action_kind, json_string_value(json_object_get(row, "kind")));
	act->status = PROTO_ENUM_PARSE(action_status, json_string_value(json_object_get(row, "status")));
	if ((s = json_string_value(json_object_get(row, "cmd_id"))))
		act->cmd_id = proto_arena_strdup(a, s);
	if ((s = json_string_value(json_object_get(row, "by"))))
		act->by = proto_arena_strdup(a, s);
	act->at = json_integer_value(json_object_get(row, "at"));
	act->params = decode_json_text(a, &proto_type_action_params,
				       json_string_value(json_object_get(row, "params")));
	act->result = decode_json_text(a, &proto_type_action_result,
				       json_string_value(json_object_get(row, "result")));
	if (!act->result)
		PROTO_SET_NULL(act, action, result);
	json_decref(row);
	return act;
}

int64_t action_insert(int64_t conv, int kind, int status, const char *cmd_id, const char *by,
		      int64_t at, json_t *params, json_t *result)
{
	char *p = params ? json_dumps(params, JSON_COMPACT) : NULL;
	char *r = result ? json_dumps(result, JSON_COMPACT) : NULL;
	int rc = hub_store_exec(hub.st, SQL_ACTION_INSERT, "isssssiss", conv,
			    proto_enum_str(proto_enum_action_kind, kind),
			    proto_enum_str(proto_enum_action_status, status), by, cmd_id, by, at, p, r);

	free(p);
	free(r);
	return rc < 0 ? -1 : hub_store_last_id(hub.st);
}

int action_update(int64_t id, int status, json_t *result)
{
	char *r = result ? json_dumps(result, JSON_COMPACT) : NULL;
	int rc = hub_store_exec(hub.st, SQL_ACTION_UPDATE, "ssi", proto_enum_str(proto_enum_action_status, status),
			    r, id);

	free(r);
	return rc < 0 ? -1 : 0;
}

json_t *action_conv(struct op_ctx *c, int64_t *n)
{
	json_t *row = NULL;
	const char *as;

	*n = hub_id_parse(c->args->conv, "c-");
	if (*n < 0 || hub_store_row(hub.st, &row, SQL_CONV_ACT, "i", *n) != 1) {
		op_fail(c, PROTO_ERR_NOT_FOUND, "no conversation %s", c->args->conv);
		return NULL;
	}
	as = json_string_value(json_object_get(row, "assignee"));
	if (strcmp(json_string_value(json_object_get(row, "state")), "assigned") != 0 ||
	    (c->agent->role != PROTO_ROLE_SUPERVISOR && (!as || strcmp(as, c->agent->id) != 0))) {
		op_fail(c, PROTO_ERR_NOT_OWNER, "%s is not assigned to you", c->args->conv);
		json_decref(row);
		return NULL;
	}
	if (!json_string_value(json_object_get(row, "customer"))) {
		op_fail(c, PROTO_ERR_INVALID_STATE, "%s has no customer record; the bot sent none",
			c->args->conv);
		json_decref(row);
		return NULL;
	}
	return row;
}

int action_announce(int64_t conv, int64_t id)
{
	struct proto_frame *f = proto_frame_new(PROTO_FRAME_EVENT);
	struct proto_action *act;
	json_t *row = NULL;
	const char *owner = NULL;

	act = action_load(f->arena, id);
	if (!act) {
		proto_frame_free(f);
		return -1;
	}
	if (hub_store_row(hub.st, &row, "SELECT assignee FROM conversations WHERE n = ?", "i", conv) == 1)
		owner = json_string_value(json_object_get(row, "assignee"));
	f->u.event.kind = PROTO_EV_ACTION;
	f->u.event.conv = act->conv;
	f->u.event.body = PROTO_NEW(f->arena, body);
	f->u.event.body->action = act;
	struct hub_aud aud = { .sups = true, .agents = { owner, act->by, NULL } };
	json_t *wh = NULL;
	if (act->status == PROTO_ACTST_APPLIED)
		wh = json_pack("{s:o}", "action", proto_encode(&proto_type_action, act));
	int rc = hub_event(f, &aud);
	json_decref(row);
	if (rc < 0) {
		json_decref(wh);
		return -1;
	}
	return wh ? webhook_queue(conv, "action.applied", wh) : 0;
}
