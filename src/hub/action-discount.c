/*
 * action-discount.c: a discount becomes a coupon code.
 *
 * Codes come from the kernel's CSPRNG ("BTN-" and two groups of four from an
 * alphabet without look-alikes: 31^8, about 2^40 codes), are bound to the
 * customer and, if named, the order, and expire after coupon_valid_days. The
 * coupon, the action, its audit row and its event are one unit of the pass's
 * transaction (the caller's savepoint).
 */
#include "baton/hub.h"
#include "baton/hub-store.h"

#include <stdio.h>
#include <string.h>

static const char SQL_COUPON_INSERT[] =
	"INSERT INTO coupons(code, action, customer, order_id, percent, amount_minor, currency, created_at, expires_at)"
	" SELECT ?, ?, c.customer, ?, ?, ?, ?, ?, ? FROM conversations c WHERE c.n = ?";
static const char SQL_COUPON_EXISTS[] = "SELECT count(*) FROM coupons WHERE code = ?";

#define COUPON_ALPHABET "ABCDEFGHJKLMNPQRSTUVWXYZ2345679"

static void coupon_code(char out[16])
{
	char a[5], b[5];

	rand_string(a, 4, COUPON_ALPHABET);
	rand_string(b, 4, COUPON_ALPHABET);
	snprintf(out, 16, "BTN-%s-%s", a, b);
}

int action_discount_apply(struct op_ctx *c, int64_t conv, int64_t action_id,
			  const struct proto_action_params *p, const char *by)
{
	int64_t expires = c->now + (int64_t)hub.cfg.coupon_valid_days * 86400000;
	struct proto_action_result res;
	char code[16];
	int64_t dup = 1;
	json_t *rj;
	int tries = 0;

	do {
		coupon_code(code);
		if (hub_store_int(hub.st, &dup, SQL_COUPON_EXISTS, "s", code) < 0)
			return op_fail(c, PROTO_ERR_INTERNAL, "the coupon could not be stored");
	} while (dup && ++tries < 10);
	if (dup)
		return op_fail(c, PROTO_ERR_INTERNAL, "no free coupon code; try again");

	memset(&res, 0, sizeof res);
	res.code = code;
	res.percent = p->percent;
	res.amount_minor = p->amount_minor;
	res.currency = hub.cfg.currency;
	res.order = p->order;
	if (!p->order)
		PROTO_SET_NULL(&res, action_result, order);
	res.expires_at = expires;
	rj = proto_encode(&proto_type_action_result, &res);
	if (action_id > 0) {
		if (action_update(action_id, PROTO_ACTST_APPLIED, rj) < 0)
			goto fail;
	} else {
		json_t *pj = proto_encode(&proto_type_action_params, p);
		action_id = action_insert(conv, PROTO_ACT_DISCOUNT, PROTO_ACTST_APPLIED, c->cmd->cmd_id, by,
					  c->now, pj, rj);
		json_decref(pj);
		if (action_id < 0)
			goto fail;
	}
	if (hub_store_exec(hub.st, SQL_COUPON_INSERT, "sisz" "zsii" "i", code, action_id, p->order, p->percent,
		       p->amount_minor, hub.cfg.currency, c->now, expires, conv) != 1)
		goto fail;
	if (hub_audit(by, "discount.approve", conv, action_id, p->percent, p->amount_minor, hub.cfg.currency,
		      p->reason, "accepted", c->agent->id && strcmp(c->agent->id, by) != 0 ?
		      "approved by a supervisor" : NULL) < 0)
		goto fail;
	if (action_announce(conv, action_id) < 0)
		goto fail;
	json_decref(rj);
	c->body->action = action_load(c->arena, action_id);
	log_info("discount: %s gave %lld%s on c-%lld (act-%lld)", by,
		 (long long)(p->percent ? p->percent : p->amount_minor), p->percent ? "%" : " minor",
		 (long long)conv, (long long)action_id);
	return 0;
fail:
	json_decref(rj);
	return op_fail(c, PROTO_ERR_INTERNAL, "the coupon could not be stored");
}
