/*
 * action-return.c: a return becomes an RMA, when it is eligible.
 *
 * Eligible means: the order is this conversation's customer's (else
 * not_found, so an agent cannot probe other customers' orders), it was
 * delivered, within return_window_days of delivered_at, each SKU is on the
 * order and its quantity, with what earlier RMAs already took back, does not
 * exceed what was bought (else ineligible). The refund is price × qty.
 */
#include "baton/hub.h"
#include "baton/hub-store.h"

#include <stdio.h>
#include <string.h>

static const char SQL_ORDER[] =
	"SELECT id, status, delivered_at, currency FROM orders WHERE id = ? AND customer = ?";
static const char SQL_ITEM[] = "SELECT qty, price_minor FROM items WHERE order_id = ? AND sku = ?";
static const char SQL_RETURNED[] =
	"SELECT coalesce(sum(l.qty), 0) FROM rma_lines l JOIN rmas r ON r.n = l.rma"
	" WHERE l.order_id = ? AND l.sku = ? AND r.status != 'cancelled'";
static const char SQL_RMA_INSERT[] =
	"INSERT INTO rmas(action, conv, customer, order_id, status, refund_minor, currency, reason, created_at)"
	" VALUES (?, ?, ?, ?, 'authorized', 0, ?, ?, ?)";
static const char SQL_RMA_LINE[] =
	"INSERT INTO rma_lines(rma, order_id, sku, qty, refund_minor) VALUES (?, ?, ?, ?, ?)";
static const char SQL_RMA_TOTAL[] = "UPDATE rmas SET refund_minor = ? WHERE n = ?";

int action_return(struct op_ctx *c)
{
	const struct proto_args *a = c->args;
	json_t *conv = NULL, *order = NULL, *item = NULL, *pj = NULL, *rj = NULL;
	const char *customer, *currency;
	int64_t n, act, rma, total = 0;
	struct proto_action_params p;
	struct proto_action_result res;
	struct proto_line *lines;
	int ret = -1;

	if (!(conv = action_conv(c, &n)))
		return -1;
	customer = json_string_value(json_object_get(conv, "customer"));
	if (hub_store_row(hub.st, &order, SQL_ORDER, "ss", a->order, customer) != 1) {
		op_fail(c, PROTO_ERR_NOT_FOUND, "order %s is not this customer's", a->order);
		goto out;
	}
	currency = json_string_value(json_object_get(order, "currency"));
	if (strcmp(json_string_value(json_object_get(order, "status")), "delivered") != 0 ||
	    !json_is_integer(json_object_get(order, "delivered_at"))) {
		op_fail(c, PROTO_ERR_INELIGIBLE, "order %s has not been delivered (status %s)", a->order,
			json_string_value(json_object_get(order, "status")));
		goto out;
	}
	int64_t delivered = json_integer_value(json_object_get(order, "delivered_at"));
	int64_t deadline = delivered + (int64_t)hub.cfg.return_window_days * 86400000;
	if (c->now > deadline) {
		char d[TIME_RFC3339_LEN + 1];
		time_format_rfc3339(deadline, d);
		op_fail(c, PROTO_ERR_INELIGIBLE, "the %d-day return window of order %s closed on %.10s",
			hub.cfg.return_window_days, a->order, d);
		goto out;
	}

	memset(&p, 0, sizeof p);
	p.order = a->order;
	p.reason = a->reason;
	p.lines = a->lines;
	pj = proto_encode(&proto_type_action_params, &p);
	act = action_insert(n, PROTO_ACT_RETURN, PROTO_ACTST_APPLIED, c->cmd->cmd_id, c->agent->id, c->now, pj, NULL);
	if (act < 0 || hub_store_exec(hub.st, SQL_RMA_INSERT, "iissssi", act, n, customer, a->order, currency,
				  a->reason, c->now) < 0) {
		op_fail(c, PROTO_ERR_INTERNAL, "the return could not be stored");
		goto out;
	}
	rma = hub_store_last_id(hub.st);
	lines = proto_arena_alloc(c->arena, a->lines.n * sizeof *lines);
	for (size_t i = 0; i < a->lines.n; i++) {
		const struct proto_line *l = &a->lines.v[i];
		int64_t done = 0, bought, price;
		json_decref(item);
		item = NULL;
		if (hub_store_row(hub.st, &item, SQL_ITEM, "ss", a->order, l->sku) != 1) {
			op_fail(c, PROTO_ERR_NOT_FOUND, "order %s has no item %s", a->order, l->sku);
			goto out;
		}
		bought = json_integer_value(json_object_get(item, "qty"));
		price = json_integer_value(json_object_get(item, "price_minor"));
		/* Counts this RMA's earlier lines too: the same SKU twice adds up. */
		if (hub_store_int(hub.st, &done, SQL_RETURNED, "ss", a->order, l->sku) < 0)
			goto internal;
		if (done + l->qty > bought) {
			op_fail(c, PROTO_ERR_INELIGIBLE, "%s: %lld bought, %lld already returned; %lld more is too many",
				l->sku, (long long)bought, (long long)done, (long long)l->qty);
			goto out;
		}
		if (hub_store_exec(hub.st, SQL_RMA_LINE, "issii", rma, a->order, l->sku, l->qty, price * l->qty) < 0)
			goto internal;
		lines[i].sku = proto_arena_strdup(c->arena, l->sku);
		lines[i].qty = l->qty;
		lines[i].refund_minor = price * l->qty;
		PROTO_SET(&lines[i], line, refund_minor);
		total += price * l->qty;
	}
	if (hub_store_exec(hub.st, SQL_RMA_TOTAL, "ii", total, rma) < 0)
		goto internal;
	memset(&res, 0, sizeof res);
	res.rma = hub_id_fmt(c->arena, "rma-", rma);
	res.order = a->order;
	res.lines.v = lines;
	res.lines.n = a->lines.n;
	res.refund_minor = total;
	PROTO_SET(&res, action_result, refund_minor);
	res.currency = currency;
	res.status = "authorized";
	rj = proto_encode(&proto_type_action_result, &res);
	if (action_update(act, PROTO_ACTST_APPLIED, rj) < 0 ||
	    hub_audit(c->agent->id, "return.create", n, act, 0, total, currency, a->reason, "accepted", res.rma) < 0 ||
	    action_announce(n, act) < 0)
		goto internal;
	c->body->action = action_load(c->arena, act);
	log_info("return: %s authorized %s on c-%lld, refund %lld %s", c->agent->id, res.rma, (long long)n,
		 (long long)total, currency);
	ret = 0;
	goto out;
internal:
	op_fail(c, PROTO_ERR_INTERNAL, "the return could not be stored");
out:
	json_decref(conv);
	json_decref(order);
	json_decref(item);
	json_decref(pj);
	json_decref(rj);
	return ret;
}
