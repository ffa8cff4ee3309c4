/*
 * action-label.c: a return label for an authorized RMA.
 *
 * A carrier-style tracking number (label module, CSPRNG, with a check
 * digit), a 4x6 PDF with a Code 128 barcode and the same label in ZPL, kept
 * in the store and served at GET /v1/labels/{id}. One label per RMA: a second
 * request is invalid_state, so a double click never ships two parcels.
 */
#include "baton/hub.h"
#include "baton/hub-label.h"
#include "baton/hub-store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char SQL_RMA[] =
	"SELECT r.n, r.status, r.order_id, r.customer, cu.name AS customer_name,"
	" (SELECT count(*) FROM labels l WHERE l.rma = r.n) AS labels"
	" FROM rmas r JOIN customers cu ON cu.id = r.customer WHERE r.n = ? AND r.customer = ?";
static const char SQL_LABEL_INSERT[] =
	"INSERT INTO labels(action, rma, carrier, service, tracking, pdf, zpl, created_at)"
	" VALUES (?, ?, ?, ?, ?, ?, ?, ?)";
static const char SQL_TRACKING_EXISTS[] = "SELECT count(*) FROM labels WHERE tracking = ?";

/* Splits the configured "a|b|c" address into at most 3 lines. */
static void split_lines(char *s, const char *lines[4])
{
	size_t k = 0;
	char *save = NULL;

	for (char *t = strtok_r(s, "|", &save); t && k < 3; t = strtok_r(NULL, "|", &save))
		lines[k++] = t;
	lines[k] = NULL;
}

int action_label(struct op_ctx *c)
{
	const struct proto_args *a = c->args;
	json_t *conv = NULL, *rma = NULL, *pj = NULL, *rj = NULL;
	char tracking[LABEL_TRACKING_MAX], *pdf = NULL, *zpl = NULL, *to_lines = NULL;
	const char *customer, *carrier, *service;
	int64_t n, rma_n, act, dup = 1;
	size_t pdf_len = 0, zpl_len = 0;
	struct label_info li;
	int ret = -1, tries = 0;

	if (!(conv = action_conv(c, &n)))
		return -1;
	customer = json_string_value(json_object_get(conv, "customer"));
	rma_n = hub_id_parse(a->rma, "rma-");
	if (rma_n < 0 || hub_store_row(hub.st, &rma, SQL_RMA, "is", rma_n, customer) != 1) {
		op_fail(c, PROTO_ERR_NOT_FOUND, "no RMA %s for this customer", a->rma);
		goto out;
	}
	if (strcmp(json_string_value(json_object_get(rma, "status")), "authorized") != 0) {
		op_fail(c, PROTO_ERR_INVALID_STATE, "%s is %s; a label needs an authorized RMA", a->rma,
			json_string_value(json_object_get(rma, "status")));
		goto out;
	}
	if (json_integer_value(json_object_get(rma, "labels")) > 0) {
		op_fail(c, PROTO_ERR_INVALID_STATE, "%s already has a label", a->rma);
		goto out;
	}
	carrier = label_carrier_name(a->carrier && *a->carrier ? a->carrier : "dhl");
	service = a->service && *a->service ? a->service : label_default_service(carrier);
	do {
		label_tracking_number(carrier, tracking);
		if (hub_store_int(hub.st, &dup, SQL_TRACKING_EXISTS, "s", tracking) < 0)
			goto internal;
	} while (dup && ++tries < 10);
	if (dup)
		goto internal;

	memset(&li, 0, sizeof li);
	li.tracking = tracking;
	li.carrier = carrier;
	li.service = service;
	li.rma = a->rma;
	li.order = json_string_value(json_object_get(rma, "order_id"));
	li.from_name = json_string_value(json_object_get(rma, "customer_name"));
	if (!demobot_customer_address(customer, li.from_lines)) {
		li.from_lines[0] = "(address on file)";
		li.from_lines[1] = NULL;
	}
	li.to_name = hub.cfg.returns_name;
	to_lines = xstrdup(hub.cfg.returns_address ? hub.cfg.returns_address : "");
	split_lines(to_lines, li.to_lines);
	li.weight = "1 kg";
	li.created_ms = c->now;

	struct proto_action_params p;
	memset(&p, 0, sizeof p);
	p.rma = a->rma;
	p.carrier = carrier;
	p.service = service;
	pj = proto_encode(&proto_type_action_params, &p);
	act = action_insert(n, PROTO_ACT_LABEL, PROTO_ACTST_APPLIED, c->cmd->cmd_id, c->agent->id, c->now, pj, NULL);
	if (act < 0)
		goto internal;
	pdf = label_pdf(&li, &pdf_len);
	zpl = label_zpl(&li, &zpl_len);
	if (hub_store_exec(hub.st, SQL_LABEL_INSERT, "iisssbsi", act, rma_n, carrier, service, tracking,
		       (const void *)pdf, pdf_len, zpl, c->now) < 0)
		goto internal;
	int64_t label_n = hub_store_last_id(hub.st);

	struct proto_action_result res;
	memset(&res, 0, sizeof res);
	res.label = hub_id_fmt(c->arena, "lbl-", label_n);
	res.rma = a->rma;
	res.carrier = carrier;
	res.service = service;
	res.tracking = tracking;
	res.format = "pdf";
	char url[64];
	snprintf(url, sizeof url, "/v1/labels/%s", res.label);
	res.url = url;
	rj = proto_encode(&proto_type_action_result, &res);
	if (action_update(act, PROTO_ACTST_APPLIED, rj) < 0 ||
	    hub_audit(c->agent->id, "label.create", n, act, 0, 0, NULL, NULL, "accepted", res.label) < 0 ||
	    action_announce(n, act) < 0)
		goto internal;
	c->body->action = action_load(c->arena, act);
	log_info("label: %s created %s for %s on c-%lld (%s)", c->agent->id, res.label, a->rma, (long long)n, carrier);
	ret = 0;
	goto out;
internal:
	op_fail(c, PROTO_ERR_INTERNAL, "the label could not be stored");
out:
	free(pdf);
	free(zpl);
	free(to_lines);
	json_decref(conv);
	json_decref(rma);
	json_decref(pj);
	json_decref(rj);
	return ret;
}
