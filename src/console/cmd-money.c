/*
 * cmd-money.c: commands that move money — discount, return, label.
 *
 * Each checks what it can locally (the order belongs to this customer, the
 * items are in it, the amount parses), then, on the screen, asks for a
 * confirmation that says exactly what will happen: customer, order, amount
 * and the agent's cap. The hub enforces the cap and the rules; this is for
 * the person at the keyboard.
 */
#include "baton/cmd.h"
#include "baton/common.h"
#include "baton/model.h"

#include "cmd-impl.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct proto_customer *customer_of(struct app *app, const char *conv)
{
	struct model_conv *c = app_conv_obj(app, conv);
	return c && c->conv ? c->conv->customer : NULL;
}

static const char *who(const struct proto_customer *cu)
{
	return cu && cu->name ? cu->name : "(customer not known here)";
}

int cmd_discount(struct app *app, const struct cmd_call *call, unsigned flags, char *err, size_t errlen)
{
	struct model *m = app->model;
	struct proto_args a;
	int64_t pct, amt;
	const char *conv = app_conv_for(app, NULL, err, errlen);
	const struct proto_customer *cu;
	const struct proto_order *ord = NULL;
	char why[200], usage[120], *reason = NULL, body[900], amount[64], cap[64];
	const char *order = NULL;
	int rc = -1;

	cmd_usage(call->def, usage, sizeof usage);
	if (!conv)
		return -1;
	if (cmd_parse_money(call->argv[0], &pct, &amt, why, sizeof why) < 0) {
		snprintf(err, errlen, "discount: %s. %s", why, usage);
		return -1;
	}
	cu = customer_of(app, conv);
	if (call->argc >= 3 && cmd_order_like(cu, call->argv[1])) {
		order = call->argv[1];
		reason = cmd_rest(call, 2);
	} else {
		reason = cmd_rest(call, 1);
	}
	if (!*reason) {
		snprintf(err, errlen, "discount: give a reason (the customer's record keeps it). %s", usage);
		goto out;
	}
	if (order && cu && cu->orders.n && !(ord = cmd_find_order(cu, order))) {
		snprintf(err, errlen, "discount: order %.64s is not one of %s's orders.", order, who(cu));
		goto out;
	}
	memset(&a, 0, sizeof a);
	a.conv = conv;
	if (pct)
		a.percent = pct;
	else
		a.amount_minor = amt;
	a.order = order;
	a.reason = reason;

	const char *cur = ord ? ord->currency : m->limits ? m->limits->currency : "";
	bool over = false;
	if (pct) {
		snprintf(amount, sizeof amount, "%lld%%", (long long)pct);
		if (m->limits) {
			snprintf(cap, sizeof cap, "%lld%%", (long long)m->limits->discount_percent_max);
			over = pct > m->limits->discount_percent_max;
		}
	} else {
		cmd_money_text(amt, cur, amount, sizeof amount);
		if (m->limits) {
			cmd_money_text(m->limits->discount_amount_max_minor, m->limits->currency, cap, sizeof cap);
			over = amt > m->limits->discount_amount_max_minor;
		}
	}
	if (!m->limits)
		snprintf(cap, sizeof cap, "not known until connected");
	char ordtxt[128];
	if (ord) {
		char tot[48];
		cmd_money_text(ord->total_minor, ord->currency, tot, sizeof tot);
		snprintf(ordtxt, sizeof ordtxt, "%s (%s, %s)", ord->id, tot, ord->status);
	} else {
		snprintf(ordtxt, sizeof ordtxt, "%s", order ? order : "none (a general discount)");
	}
	snprintf(body, sizeof body,
		 "Customer: %s\nOrder:    %s\nDiscount: %s\nYour cap: %s\nReason:   %s\n\n%s",
		 who(cu), ordtxt, amount, cap, reason,
		 over ? "This is above your cap: it will wait for a supervisor's approval." :
			"The coupon is created and the customer gets its code.");
	rc = app_confirm_money(app, call, flags, "Give a discount?", body);
	if (rc == 0)
		rc = app_submit(app, call, PROTO_OP_DISCOUNT_APPROVE, &a, conv, err, errlen);
out:
	free(reason);
	return rc;
}

int cmd_return(struct app *app, const struct cmd_call *call, unsigned flags, char *err, size_t errlen)
{
	struct proto_args a;
	const char *conv = app_conv_for(app, NULL, err, errlen);
	const struct proto_customer *cu;
	const struct proto_order *ord;
	struct proto_line lines[CMD_ARGS_MAX];
	char *items[CMD_ARGS_MAX];
	char usage[120], body[1400], why[200], *reason = NULL;
	size_t nl = 0;
	int sep = -1, rc = -1;
	int64_t refund = 0;
	bool priced = true;

	cmd_usage(call->def, usage, sizeof usage);
	memset(items, 0, sizeof items);
	if (!conv)
		return -1;
	for (int i = 1; i < call->argc; i++)
		if (strcmp(call->argv[i], "--") == 0) {
			sep = i;
			break;
		}
	if (sep < 0) {
		snprintf(err, errlen, "return: put -- between the items and the reason. %s", usage);
		return -1;
	}
	if (sep == 1) {
		snprintf(err, errlen, "return: name at least one item (SKU or SKU:QTY) after the order. %s",
			 usage);
		return -1;
	}
	reason = cmd_rest(call, sep + 1);
	if (!*reason) {
		snprintf(err, errlen, "return: give a reason after --. %s", usage);
		goto out;
	}
	cu = customer_of(app, conv);
	ord = cmd_find_order(cu, call->argv[0]);
	if (cu && cu->orders.n && !ord) {
		snprintf(err, errlen, "return: order %.64s is not one of %s's orders.", call->argv[0], who(cu));
		goto out;
	}
	memset(lines, 0, sizeof lines);
	for (int i = 1; i < sep; i++) {
		const char *sku;
		int64_t qty;
		items[nl] = xstrdup(call->argv[i]);
		if (cmd_parse_line_item(items[nl], &sku, &qty, why, sizeof why) < 0) {
			snprintf(err, errlen, "return: %s", why);
			goto out;
		}
		for (size_t k = 0; k < nl; k++)
			if (strcmp(lines[k].sku, sku) == 0) {
				snprintf(err, errlen, "return: %.64s is named twice; write it once as SKU:QTY.",
					 sku);
				goto out;
			}
		if (ord) {
			const struct proto_item *it = NULL;
			for (size_t k = 0; k < ord->items.n; k++)
				if (strcmp(ord->items.v[k].sku, sku) == 0)
					it = &ord->items.v[k];
			if (!it) {
				struct strbuf has = STRBUF_INIT;
				for (size_t k = 0; k < ord->items.n; k++)
					sb_addf(&has, "%s%s", k ? ", " : "", ord->items.v[k].sku);
				snprintf(err, errlen, "return: %.64s is not in order %s (it has: %s).", sku,
					 ord->id, sb_str(&has));
				sb_free(&has);
				goto out;
			}
			if (qty > it->qty) {
				snprintf(err, errlen, "return: order %s has %lld of %.64s, not %lld.", ord->id,
					 (long long)it->qty, sku, (long long)qty);
				goto out;
			}
			refund += it->price_minor * qty;
		} else {
			priced = false;
		}
		lines[nl].sku = sku;
		lines[nl].qty = qty;
		nl++;
	}
	memset(&a, 0, sizeof a);
	a.conv = conv;
	a.order = call->argv[0];
	a.lines.v = lines;
	a.lines.n = nl;
	a.reason = reason;

	struct strbuf sb = STRBUF_INIT;
	sb_addf(&sb, "Customer: %s\nOrder:    %s\nItems:\n", who(cu), call->argv[0]);
	for (size_t k = 0; k < nl; k++)
		sb_addf(&sb, "  %lld x %s\n", (long long)lines[k].qty, lines[k].sku);
	if (priced && ord) {
		char tot[48];
		cmd_money_text(refund, ord->currency, tot, sizeof tot);
		sb_addf(&sb, "Refund:   %s (if the return is eligible)\n", tot);
	} else {
		sb_adds(&sb, "Refund:   worked out by the hub (order details not known here)\n");
	}
	sb_addf(&sb, "Reason:   %s\n\nAn RMA is authorized; create the label next with: label RMA", reason);
	snprintf(body, sizeof body, "%s", sb_str(&sb));
	sb_free(&sb);
	rc = app_confirm_money(app, call, flags, "Authorize a return?", body);
	if (rc == 0)
		rc = app_submit(app, call, PROTO_OP_RETURN_CREATE, &a, conv, err, errlen);
out:
	for (size_t k = 0; k < BATON_ARRAY_LEN(items); k++)
		free(items[k]);
	free(reason);
	return rc;
}

int cmd_label(struct app *app, const struct cmd_call *call, unsigned flags, char *err, size_t errlen)
{
	struct proto_args a;
	const char *conv = app_conv_for(app, NULL, err, errlen);
	const struct proto_customer *cu;
	char body[600];
	int rc;

	if (!conv)
		return -1;
	cu = customer_of(app, conv);
	memset(&a, 0, sizeof a);
	a.conv = conv;
	a.rma = call->argv[0];
	if (call->argc > 1)
		a.carrier = call->argv[1];
	snprintf(body, sizeof body,
		 "Customer: %s\nReturn:   %s\nCarrier:  %s\n\nA prepaid shipping label is created and "
		 "its tracking number sent with the handback.",
		 who(cu), a.rma, a.carrier ? a.carrier : "the store's default");
	rc = app_confirm_money(app, call, flags, "Create a return label?", body);
	if (rc == 0)
		rc = app_submit(app, call, PROTO_OP_LABEL_CREATE, &a, conv, err, errlen);
	return rc;
}
