/*
 * ops.c: one command, from a decoded cmd frame to a staged result.
 *
 * Order of checks: the agent's rate limit; then (agent, cmd_id) in the
 * command table: seen with the same request hash → `duplicate` and the first
 * body, nothing redone; seen with another → `idempotency_mismatch`. A new
 * command runs inside a savepoint of the pass's transaction: if its handler
 * refuses, the savepoint is rolled back (and what it staged is undone), so a
 * rejected command changes nothing but the audit log. An accepted one stores
 * its result body beside its cmd_id in the same transaction as its effect.
 */
#include "baton/hub.h"
#include "baton/hub-sha256.h"
#include "baton/hub-store.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef int (*op_handler)(struct op_ctx *c);

/* Indexed by enum proto_op. */
static const op_handler op_handlers[] = {
	[PROTO_OP_CLAIM] = router_claim,
	[PROTO_OP_RELEASE] = router_release,
	[PROTO_OP_MESSAGE_SEND] = router_message,
	[PROTO_OP_NOTE_ADD] = router_message,
	[PROTO_OP_DISCOUNT_APPROVE] = policy_discount,
	[PROTO_OP_RETURN_CREATE] = action_return,
	[PROTO_OP_LABEL_CREATE] = action_label,
	[PROTO_OP_HANDBACK] = router_handback,
	[PROTO_OP_TRANSFER] = router_transfer,
	[PROTO_OP_PRESENCE_SET] = router_presence_set,
	[PROTO_OP_APPROVAL_DECIDE] = policy_decide,
	[PROTO_OP_MONITOR] = router_monitor,
};
_Static_assert(BATON_ARRAY_LEN(op_handlers) == PROTO_OP_MONITOR + 1, "op_handlers");

static const char SQL_CMD_GET[] =
	"SELECT op, req_hash, status, body FROM commands WHERE agent = ? AND cmd_id = ?";
static const char SQL_CMD_PUT[] =
	"INSERT INTO commands(agent, cmd_id, op, req_hash, status, body, at) VALUES (?, ?, ?, ?, ?, ?, ?)";
static const char SQL_AUDIT[] =
	"INSERT INTO audit(at, who, what, conv, action, percent, amount_minor, currency, reason, outcome, detail)"
	" VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";

int op_fail(struct op_ctx *c, int code, const char *fmt, ...)
{
	va_list ap;

	c->status = PROTO_RES_REJECTED;
	c->err_code = code;
	va_start(ap, fmt);
	vsnprintf(c->err, sizeof c->err, fmt, ap);
	va_end(ap);
	return -1;
}

int hub_audit(const char *who, const char *what, int64_t conv, int64_t action, int64_t percent,
	      int64_t amount_minor, const char *currency, const char *reason, const char *outcome,
	      const char *detail)
{
	if (hub_begin() < 0)
		return -1;
	/* Zero means "none" for the optional numbers: bind them as null. */
	if (hub_store_exec(hub.st, SQL_AUDIT, "isszzzzssss", time_now_ms(), who, what, conv > 0 ? conv : 0,
		       action, percent, amount_minor, currency, reason, outcome, detail) < 0) {
		log_error("store: cannot write the audit log: %s", hub_store_errmsg(hub.st));
		return -1;
	}
	return 0;
}

struct proto_frame *ops_rejected(const char *cmd_id, int code, const char *fmt, ...)
{
	struct proto_frame *f = proto_frame_new(PROTO_FRAME_RESULT);
	struct proto_result *r = &f->u.result;
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	r->cmd_id = proto_arena_strdup(f->arena, cmd_id);
	r->status = PROTO_RES_REJECTED;
	r->error = PROTO_NEW(f->arena, error);
	r->error->code = proto_enum_str(proto_enum_error_code, code);
	r->error->message = proto_arena_strdup(f->arena, msg);
	return f;
}

/* The request hash: op and the canonical (re-encoded, key-sorted) args. */
static void cmd_hash(const struct proto_cmd *cmd, char out[SHA256_HEX_LEN + 1])
{
	json_t *j = proto_encode(&proto_type_args, cmd->args);
	char *s = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS | JSON_REAL_PRECISION(17));
	struct strbuf sb = STRBUF_INIT;

	sb_adds(&sb, proto_enum_str(proto_enum_op, cmd->op));
	sb_addc(&sb, '\n');
	sb_adds(&sb, s ? s : "");
	sha256_hex(sb.buf, sb.len, out);
	sb_free(&sb);
	free(s);
	json_decref(j);
}

/* Token bucket: rate_per_s sustained, rate_burst at once. */
bool ops_rate_ok(struct hub_agent *a)
{
	int64_t now = time_mono_us();
	double add = (double)(now - a->tokens_at_us) / 1e6 * hub.cfg.rate_per_s;

	a->tokens_at_us = now;
	a->tokens += add;
	if (a->tokens > hub.cfg.rate_burst)
		a->tokens = hub.cfg.rate_burst;
	if (a->tokens < 1)
		return false;
	a->tokens -= 1;
	return true;
}

static void count(int op, int status, int64_t t0)
{
	if (op >= 0 && op <= PROTO_OP_MONITOR && status >= 0 && status < 4)
		hub.m.cmds[op][status]++;
	hub_metrics_latency(time_mono_us() - t0);
}

static void stage(struct hub_session *s, struct proto_frame *f, int op, int64_t t0)
{
	count(op, f->u.result.status, t0);
	hub_stage_session(s, hub_out_frame(f, 0));
}

/* Refusals of money actions are audited too ("who tried what"). */
static void audit_refusal(const struct op_ctx *c)
{
	const struct proto_args *a = c->args;
	char detail[320];

	if (!proto_op_table[c->cmd->op].money && c->cmd->op != PROTO_OP_APPROVAL_DECIDE)
		return;
	snprintf(detail, sizeof detail, "%s: %.280s", proto_enum_str(proto_enum_error_code, c->err_code), c->err);
	hub_audit(c->agent->id, proto_enum_str(proto_enum_op, c->cmd->op), hub_id_parse(a->conv, "c-"), 0,
		  a->percent, a->amount_minor, hub.cfg.currency, a->reason, "refused", detail);
}

void ops_exec(struct hub_session *s, const struct proto_cmd *cmd, int64_t t0)
{
	struct hub_agent *ag = s->agent;
	char hash[SHA256_HEX_LEN + 1];
	struct proto_frame *f;
	struct hub_mark mark;
	json_t *row = NULL;
	int r;

	if (!ops_rate_ok(ag)) {
		stage(s, ops_rejected(cmd->cmd_id, PROTO_ERR_RATE_LIMITED,
				      "more than %.0f commands a second; slow down and resend", hub.cfg.rate_per_s),
		      cmd->op, t0);
		return;
	}
	if (hub_begin() < 0)
		goto internal;
	cmd_hash(cmd, hash);
	r = hub_store_row(hub.st, &row, SQL_CMD_GET, "ss", ag->id, cmd->cmd_id);
	if (r < 0)
		goto internal;
	if (r == 1) {
		const char *h = json_string_value(json_object_get(row, "req_hash"));
		if (strcmp(h, hash) != 0) {
			stage(s, ops_rejected(cmd->cmd_id, PROTO_ERR_IDEMPOTENCY_MISMATCH,
					      "cmd_id %s was used for another command (%s); use a new cmd_id",
					      cmd->cmd_id, json_string_value(json_object_get(row, "op"))),
			      cmd->op, t0);
			json_decref(row);
			return;
		}
		f = proto_frame_new(PROTO_FRAME_RESULT);
		f->u.result.cmd_id = proto_arena_strdup(f->arena, cmd->cmd_id);
		f->u.result.status = PROTO_RES_DUPLICATE;
		const char *body = json_string_value(json_object_get(row, "body"));
		json_t *bj = body ? json_loads(body, 0, NULL) : NULL;
		if (bj) {
			struct proto_err err;
			f->u.result.body = PROTO_NEW(f->arena, body);
			if (proto_decode(f->arena, &proto_type_body, bj, f->u.result.body, "body", &err) < 0)
				f->u.result.body = NULL;
			json_decref(bj);
		}
		json_decref(row);
		stage(s, f, cmd->op, t0);
		return;
	}

	f = proto_frame_new(PROTO_FRAME_RESULT);
	struct op_ctx c = {
		.agent = ag, .cmd = cmd, .args = cmd->args, .arena = f->arena,
		.status = PROTO_RES_OK, .now = time_now_ms(),
	};
	c.body = PROTO_NEW(f->arena, body);
	hub_mark_get(&mark);
	if (hub_store_savepoint(hub.st) < 0) {
		proto_frame_free(f);
		goto internal;
	}
	r = op_handlers[cmd->op](&c);
	if (r == 0) {
		json_t *bj = proto_encode(&proto_type_body, c.body);
		char *body = json_dumps(bj, JSON_COMPACT);
		json_decref(bj);
		r = hub_store_exec(hub.st, SQL_CMD_PUT, "ssssssi", ag->id, cmd->cmd_id,
			       proto_enum_str(proto_enum_op, cmd->op), hash,
			       proto_enum_str(proto_enum_result_status, c.status), body, c.now);
		free(body);
		if (r < 0)
			op_fail(&c, PROTO_ERR_INTERNAL, "the command could not be recorded");
		else
			r = hub_store_release(hub.st);
	}
	if (r < 0) {
		if (c.status != PROTO_RES_REJECTED)
			op_fail(&c, PROTO_ERR_INTERNAL, "the hub could not complete the command");
		if (hub_store_rollback_to(hub.st) < 0) {
			proto_frame_free(f);
			goto internal;
		}
		hub_mark_undo(&mark);
		if (c.err_code == PROTO_ERR_INTERNAL)
			log_error("cmd %s from %s (%s): %s; store: %s", cmd->cmd_id, ag->id,
				  proto_enum_str(proto_enum_op, cmd->op), c.err, hub_store_errmsg(hub.st));
		audit_refusal(&c);
		proto_frame_free(f);
		stage(s, ops_rejected(cmd->cmd_id, c.err_code, "%s", c.err), cmd->op, t0);
		return;
	}
	f->u.result.cmd_id = proto_arena_strdup(f->arena, cmd->cmd_id);
	f->u.result.status = c.status;
	PROTO_SET(&f->u.result, result, status);
	f->u.result.body = c.body;
	stage(s, f, cmd->op, t0);
	return;
internal:
	log_error("cmd %s from %s: store failure: %s", cmd->cmd_id, ag->id, hub_store_errmsg(hub.st));
	stage(s, ops_rejected(cmd->cmd_id, PROTO_ERR_INTERNAL, "the hub's store failed; resend the command"),
	      cmd->op, t0);
}
