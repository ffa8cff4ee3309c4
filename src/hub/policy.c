/*
 * policy.c: who may give how much.
 *
 * Caps come from the config, per role (defaults: agent 15% or 50.00,
 * supervisor 40% or 500.00, in the store currency). A discount within the
 * caller's cap is applied at once; an agent's discount above the agent cap
 * but within the supervisor cap becomes a pending approval; anything above
 * the supervisor cap is refused (limit_exceeded). Roles come from the
 * agents table, never from what a client says. Pending approvals expire
 * (approval_ttl_s, default 15 min) and are then denied, with an event.
 */
#include "baton/hub.h"
#include "baton/hub-store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char SQL_APPROVAL[] =
	"SELECT n, conv, action, kind, params, requested_by, at, expires_at, state, decided_by, note, decided_at"
	" FROM approvals WHERE n = ?";
static const char SQL_APPROVAL_INSERT[] =
	"INSERT INTO approvals(conv, action, kind, params, requested_by, at, expires_at, state)"
	" VALUES (?, ?, 'discount', ?, ?, ?, ?, 'pending')";
static const char SQL_APPROVAL_DECIDE[] =
	"UPDATE approvals SET state = ?, decided_by = ?, note = ?, decided_at = ? WHERE n = ? AND state = 'pending'";
static const char SQL_APPROVALS_DUE[] =
	"SELECT n FROM approvals WHERE state = 'pending' AND expires_at <= ? ORDER BY n LIMIT 100";
static const char SQL_ORDER_OF[] = "SELECT id FROM orders WHERE id = ? AND customer = ?";

struct proto_approval *policy_approval(struct proto_arena *a, int64_t id)
{
	json_t *row = NULL, *pj;
	struct proto_approval *ap;
	struct proto_err err;
	const char *s;

	if (hub_store_row(hub.st, &row, SQL_APPROVAL, "i", id) != 1)
		return NULL;
	ap = PROTO_NEW(a, approval);
	ap->id = hub_id_fmt(a, "ap-", id);
	ap->conv = hub_id_fmt(a, "c-", json_integer_value(json_object_get(row, "conv")));
	ap->action = hub_id_fmt(a, "act-", json_integer_value(json_object_get(row, "action")));
	ap->kind = PROTO_ACT_DISCOUNT;
	ap->params = PROTO_NEW(a, action_params);
	pj = json_loads(json_string_value(json_object_get(row, "params")), 0, NULL);
	if (pj && proto_decode(a, &proto_type_action_params, pj, ap->params, "params", &err) < 0)
		log_error("store: approval %lld params: %s", (long long)id, err.msg);
	json_decref(pj);
	ap->requested_by = proto_arena_strdup(a, json_string_value(json_object_get(row, "requested_by")));
	ap->at = json_integer_value(json_object_get(row, "at"));
	ap->state = PROTO_ENUM_PARSE(approval_state, json_string_value(json_object_get(row, "state")));
	if ((s = json_string_value(json_object_get(row, "decided_by"))))
		ap->decided_by = proto_arena_strdup(a, s);
	else
		PROTO_SET_NULL(ap, approval, decided_by);
	if ((s = json_string_value(json_object_get(row, "note"))))
		ap->note = proto_arena_strdup(a, s);
	else
		PROTO_SET_NULL(ap, approval, note);
	ap->expires_at = json_integer_value(json_object_get(row, "expires_at"));
	if (json_is_integer(json_object_get(row, "decided_at")))
		ap->decided_at = json_integer_value(json_object_get(row, "decided_at"));
	else
		PROTO_SET_NULL(ap, approval, decided_at);
	json_decref(row);
	return ap;
}

/* How a discount compares with a role's cap. */
static bool within_cap(int role, const struct proto_action_params *p)
{
	if (p->percent)
		return p->percent <= hub.cfg.cap_percent[role];
	return p->amount_minor <= hub.cfg.cap_amount_minor[role];
}

static int approval_event(int kind, int64_t ap_id, int64_t action_id, const char *requester)
{
	struct proto_frame *f = proto_frame_new(PROTO_FRAME_EVENT);
	struct proto_body *b = f->u.event.body = PROTO_NEW(f->arena, body);

	f->u.event.kind = kind;
	b->approval = policy_approval(f->arena, ap_id);
	b->action = action_load(f->arena, action_id);
	if (!b->approval || !b->action) {
		proto_frame_free(f);
		return -1;
	}
	f->u.event.conv = b->approval->conv;
	struct hub_aud aud = { .sups = true, .agents = { requester, NULL } };
	return hub_event(f, &aud);
}

int policy_discount(struct op_ctx *c)
{
	const struct proto_args *a = c->args;
	struct proto_action_params p;
	const char *customer, *what;
	int64_t n, act, ap;
	json_t *row, *pj;
	int ret = -1;

	if (!(row = action_conv(c, &n)))
		return -1;
	customer = json_string_value(json_object_get(row, "customer"));
	memset(&p, 0, sizeof p);
	p.percent = a->percent;
	p.amount_minor = a->amount_minor;
	if (p.amount_minor)
		p.currency = hub.cfg.currency;
	p.reason = a->reason;
	if (a->order) {
		json_t *o = NULL;
		if (hub_store_row(hub.st, &o, SQL_ORDER_OF, "ss", a->order, customer) != 1) {
			op_fail(c, PROTO_ERR_NOT_FOUND, "order %s is not this customer's", a->order);
			goto out;
		}
		json_decref(o);
		p.order = a->order;
	} else {
		PROTO_SET_NULL(&p, action_params, order);
	}
	what = p.percent ? "percent" : "amount";
	if (!within_cap(PROTO_ROLE_SUPERVISOR, &p)) {
		op_fail(c, PROTO_ERR_LIMIT_EXCEEDED,
			"a discount of %lld%s is above every role's cap (supervisor: %lld%% or %lld minor units)",
			(long long)(p.percent ? p.percent : p.amount_minor), p.percent ? "%" : " minor units",
			(long long)hub.cfg.cap_percent[PROTO_ROLE_SUPERVISOR],
			(long long)hub.cfg.cap_amount_minor[PROTO_ROLE_SUPERVISOR]);
		goto out;
	}
	if (within_cap(c->agent->role, &p)) {
		ret = action_discount_apply(c, n, 0, &p, c->agent->id);
		goto out;
	}
	/* Above the agent cap: a supervisor decides. */
	pj = proto_encode(&proto_type_action_params, &p);
	act = action_insert(n, PROTO_ACT_DISCOUNT, PROTO_ACTST_PENDING_APPROVAL, c->cmd->cmd_id, c->agent->id,
			    c->now, pj, NULL);
	char *ptext = json_dumps(pj, JSON_COMPACT);
	json_decref(pj);
	if (act < 0 || hub_store_exec(hub.st, SQL_APPROVAL_INSERT, "iissii", n, act, ptext, c->agent->id, c->now,
				  c->now + (int64_t)hub.cfg.approval_ttl_s * 1000) < 0) {
		free(ptext);
		op_fail(c, PROTO_ERR_INTERNAL, "the approval could not be stored");
		goto out;
	}
	free(ptext);
	ap = hub_store_last_id(hub.st);
	if (hub_audit(c->agent->id, "discount.approve", n, act, p.percent, p.amount_minor, hub.cfg.currency,
		      p.reason, "pending", "above the agent cap; sent for approval") < 0 ||
	    approval_event(PROTO_EV_APPROVAL_REQUESTED, ap, act, c->agent->id) < 0) {
		op_fail(c, PROTO_ERR_INTERNAL, "the approval could not be stored");
		goto out;
	}
	c->status = PROTO_RES_PENDING;
	c->body->action = action_load(c->arena, act);
	c->body->approval = policy_approval(c->arena, ap);
	log_info("discount: %s asked for %lld %s on c-%lld: pending approval ap-%lld", c->agent->id,
		 (long long)(p.percent ? p.percent : p.amount_minor), what, (long long)n, (long long)ap);
	ret = 0;
out:
	json_decref(row);
	return ret;
}

/* Denies approval id (by NULL: it expired). */
static int approval_deny(int64_t id, int64_t action, const char *by, const char *note, const char *requester,
			 int64_t conv, const struct proto_action_params *p)
{
	int64_t now = time_now_ms();

	if (hub_store_exec(hub.st, SQL_APPROVAL_DECIDE, "sssii", "denied", by, note, now, id) != 1 ||
	    action_update(action, PROTO_ACTST_DENIED, NULL) < 0 ||
	    hub_audit(by ? by : "hub", "approval.decide", conv, action, p ? p->percent : 0,
		      p ? p->amount_minor : 0, hub.cfg.currency, note, "refused", by ? "denied" : "expired") < 0)
		return -1;
	return approval_event(PROTO_EV_APPROVAL_DECIDED, id, action, requester);
}

int policy_decide(struct op_ctx *c)
{
	const struct proto_args *a = c->args;
	struct proto_approval *ap;
	int64_t id, act, conv;

	if (c->agent->role != PROTO_ROLE_SUPERVISOR)
		return op_fail(c, PROTO_ERR_FORBIDDEN, "only a supervisor decides approvals");
	id = hub_id_parse(a->approval, "ap-");
	if (id < 0 || !(ap = policy_approval(c->arena, id)))
		return op_fail(c, PROTO_ERR_NOT_FOUND, "no approval %s", a->approval);
	if (ap->state != PROTO_APPR_PENDING)
		return op_fail(c, PROTO_ERR_INVALID_STATE, "%s is already %s", a->approval,
			       proto_enum_str(proto_enum_approval_state, ap->state));
	if (ap->expires_at && ap->expires_at <= c->now)
		return op_fail(c, PROTO_ERR_INVALID_STATE, "%s has expired; the agent must ask again", a->approval);
	act = hub_id_parse(ap->action, "act-");
	conv = hub_id_parse(ap->conv, "c-");
	if (a->decision == PROTO_DECIDE_DENY) {
		if (approval_deny(id, act, c->agent->id, a->note, ap->requested_by, conv, ap->params) < 0)
			return op_fail(c, PROTO_ERR_INTERNAL, "the decision could not be stored");
	} else {
		if (!within_cap(c->agent->role, ap->params))
			return op_fail(c, PROTO_ERR_LIMIT_EXCEEDED, "this discount is above your cap too");
		struct op_ctx sub = *c;	/* the coupon is the requester's action, approved by c */
		if (hub_store_exec(hub.st, SQL_APPROVAL_DECIDE, "sssii", "approved", c->agent->id, a->note, c->now, id) != 1)
			return op_fail(c, PROTO_ERR_INTERNAL, "the decision could not be stored");
		if (action_discount_apply(&sub, conv, act, ap->params, ap->requested_by) < 0) {
			c->status = sub.status;
			c->err_code = sub.err_code;
			memcpy(c->err, sub.err, sizeof c->err);
			return -1;
		}
		if (approval_event(PROTO_EV_APPROVAL_DECIDED, id, act, ap->requested_by) < 0)
			return op_fail(c, PROTO_ERR_INTERNAL, "the decision could not be stored");
	}
	c->body->approval = policy_approval(c->arena, id);
	c->body->action = action_load(c->arena, act);
	log_info("approval: %s %s ap-%lld", c->agent->id,
		 a->decision == PROTO_DECIDE_DENY ? "denied" : "approved", (long long)id);
	return 0;
}

void policy_expire(void)
{
	json_t *rows = hub_store_rows(hub.st, SQL_APPROVALS_DUE, "i", time_now_ms()), *r;
	size_t i;

	if (!rows || !json_array_size(rows)) {
		json_decref(rows);
		return;
	}
	if (hub_begin() < 0) {
		json_decref(rows);
		return;
	}
	json_array_foreach(rows, i, r) {
		struct proto_arena *a = proto_arena_new();
		int64_t id = json_integer_value(json_object_get(r, "n"));
		struct proto_approval *ap = policy_approval(a, id);
		struct hub_mark m;
		hub_mark_get(&m);
		if (ap && hub_store_savepoint(hub.st) == 0) {
			if (approval_deny(id, hub_id_parse(ap->action, "act-"), NULL, "expired", ap->requested_by,
					  hub_id_parse(ap->conv, "c-"), ap->params) < 0) {
				log_error("approval ap-%lld: could not expire: %s", (long long)id, hub_store_errmsg(hub.st));
				hub_store_rollback_to(hub.st);
				hub_mark_undo(&m);
			} else {
				hub_store_release(hub.st);
				log_info("approval ap-%lld expired: denied", (long long)id);
			}
		}
		proto_arena_free(a);
	}
	json_decref(rows);
}

/*
 * Retention. The event log, the commands of ops that move no money and the
 * delivered webhooks are kept retention_days; a client that resumes from
 * further back gets a snapshot. Money commands keep their cmd_id forever
 * (PROTOCOL.md), and the audit log is never pruned. At most a few thousand
 * rows go per call, so a backlog never stalls the loop.
 */
/* The newest event always stays: its seq is where numbering resumes after a restart. */
static const char SQL_PRUNE_EVENTS[] =
	"DELETE FROM events WHERE seq IN (SELECT seq FROM events WHERE at < ?"
	" AND seq < (SELECT max(seq) FROM events) ORDER BY seq LIMIT 5000)";
static const char SQL_PRUNE_COMMANDS[] =
	"DELETE FROM commands WHERE rowid IN (SELECT rowid FROM commands WHERE at < ?"
	" AND op NOT IN ('discount.approve', 'return.create', 'label.create') LIMIT 5000)";
static const char SQL_PRUNE_WEBHOOKS[] =
	"DELETE FROM webhooks WHERE n IN (SELECT n FROM webhooks WHERE state = 'delivered' AND done_at < ? LIMIT 5000)";

void policy_retention(void)
{
	int64_t cutoff;
	int n[3];

	if (hub.cfg.retention_days <= 0)
		return;
	cutoff = time_now_ms() - (int64_t)hub.cfg.retention_days * 86400000;
	if (hub_begin() < 0)
		return;
	n[0] = hub_store_exec(hub.st, SQL_PRUNE_EVENTS, "i", cutoff);
	n[1] = hub_store_exec(hub.st, SQL_PRUNE_COMMANDS, "i", cutoff);
	n[2] = hub_store_exec(hub.st, SQL_PRUNE_WEBHOOKS, "i", cutoff);
	if (n[0] < 0 || n[1] < 0 || n[2] < 0)
		log_error("retention: %s", hub_store_errmsg(hub.st));
	else if (n[0] + n[1] + n[2] > 0)
		log_info("retention: pruned %d events, %d commands, %d webhooks older than %d days", n[0], n[1], n[2],
			 hub.cfg.retention_days);
}
