/*
 * httpapi.c: the bot's HTTP API on the hub's address, plus /healthz and
 * /metrics (PROTOCOL.md "Bot side").
 *
 *   POST /v1/escalations                  201 (new) or 200 (same external_id)
 *   POST /v1/conversations/{id}/messages  202
 *   POST /v1/conversations/{id}/close     200 (after a handback: csat)
 *   POST /v1/conversations/{id}/typing    202 {"on":true}: the customer types (relayed)
 *   GET  /v1/conversations/{id}           200, the conversation (no notes)
 *   GET  /v1/labels/{id}[.zpl|?format=zpl] the label document
 *   GET  /healthz, GET /metrics           no token
 *
 * Answers are staged like every other output: a 201 leaves only after the
 * pass's COMMIT, so a bot that saw it can rely on the escalation existing.
 * Errors are JSON: {"error":{"code":…,"message":…}}.
 */
#include "baton/hub.h"
#include "baton/hub-stats.h"
#include "baton/hub-store.h"
#include "baton/text.h"

#include <malloc.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libwebsockets.h>

struct hub_http {
	struct lws *wsi;
	bool post;
	char path[256];
	char auth[320];
	struct strbuf body;
	bool too_large;
	bool ready, close_after;
	bool routed;		/* this request was routed (or queued to be) */
	bool deferred;		/* waiting in the defer list (hub_defer) */
	int staged;		/* stage entries that name it (http_answer) */
	int status;
	const char *ctype;
	unsigned char *resp;	/* LWS_PRE headroom, then resp_len bytes */
	size_t resp_len;
};

struct http_pss {
	struct hub_http *h;
	bool close_now;		/* answered outside WRITEABLE, then lws said close */
};

static int http_write(struct hub_http *h);

/* ---- answers ---- */

static void http_answer(struct hub_http *h, int status, const char *ctype, const void *data, size_t len)
{
	free(h->resp);
	h->status = status;
	h->ctype = ctype;
	h->resp = xmalloc(LWS_PRE + len + 1);
	memcpy(h->resp + LWS_PRE, data, len);
	h->resp_len = len;
	h->staged++;
	hub_stage_http(h);
}

static void http_json(struct hub_http *h, int status, json_t *j)
{
	char *s = json_dumps(j, JSON_COMPACT);

	http_answer(h, status, "application/json", s, strlen(s));
	free(s);
	json_decref(j);
}

static json_t *http_error_json(const char *code, const char *fmt, ...) BATON_PRINTF(2, 3);
static json_t *http_error_json(const char *code, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	return json_pack("{s:{s:s, s:s}}", "error", "code", code, "message", msg);
}

void httpapi_ready(struct hub_http *h)
{
	struct lws *wsi = h->wsi;

	h->staged--;	/* called as its stage entry is released */
	h->ready = true;
	/* From the loop's own release (server.c), on a plain HTTP/1.1
	 * connection whose socket takes it now: answer at once, not one loop
	 * pass later from WRITEABLE (and without lws switching POLLOUT on
	 * and off, two epoll_ctl calls on the libev loop). */
	if (hub_release_direct() && !h->close_after && lws_get_network_wsi(wsi) == wsi && !lws_is_ssl(wsi) &&
	    !lws_send_pipe_choked(wsi)) {
		struct http_pss *pss = lws_wsi_user(wsi);
		if (http_write(h) < 0 && pss) {
			/* h is gone. Close from WRITEABLE, which lws calls
			 * once what it may still hold for the socket is out. */
			pss->close_now = true;
			lws_callback_on_writable(wsi);
		}
		return;
	}
	lws_callback_on_writable(wsi);
}

void httpapi_fail(struct hub_http *h)
{
	json_t *j = http_error_json("internal", "the hub could not commit; retry the request");
	char *s = json_dumps(j, JSON_COMPACT);

	json_decref(j);
	free(h->resp);
	h->status = 500;
	h->ctype = "application/json";
	h->resp_len = strlen(s);
	h->resp = xmalloc(LWS_PRE + h->resp_len + 1);
	memcpy(h->resp + LWS_PRE, s, h->resp_len);
	free(s);
	httpapi_ready(h);	/* counts the entry off */
}

/* ---- validation helpers ---- */

static const char *jstr(json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

static bool str_ok(json_t *v, size_t max)
{
	return json_is_string(v) && json_string_length(v) > 0 &&
	       text_utf8_count(json_string_value(v), json_string_length(v)) <= max;
}

/* ---- escalations ---- */

static const char SQL_CONV_BY_EXT[] = "SELECT n, state FROM conversations WHERE external_id = ?";
static const char SQL_CUSTOMER_UPSERT[] =
	"INSERT INTO customers(id, name, currency, json, updated_at) VALUES (?, ?, ?, ?, ?)"
	" ON CONFLICT(id) DO UPDATE SET name = excluded.name, currency = excluded.currency,"
	" json = excluded.json, updated_at = excluded.updated_at";
static const char SQL_ORDER_OWNER[] = "SELECT customer FROM orders WHERE id = ?";
static const char SQL_ORDER_UPSERT[] =
	"INSERT INTO orders(id, customer, status, placed_at, delivered_at, total_minor, currency, carrier, tracking)"
	" VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET status = excluded.status,"
	" placed_at = excluded.placed_at, delivered_at = excluded.delivered_at,"
	" total_minor = excluded.total_minor, currency = excluded.currency, carrier = excluded.carrier,"
	" tracking = excluded.tracking";
static const char SQL_ITEMS_CLEAR[] = "DELETE FROM items WHERE order_id = ?";
static const char SQL_ITEM_INSERT[] =
	"INSERT INTO items(order_id, sku, name, qty, price_minor) VALUES (?, ?, ?, ?, ?)"
	" ON CONFLICT(order_id, sku) DO UPDATE SET qty = items.qty + excluded.qty";
static const char SQL_CONV_INSERT[] =
	"INSERT INTO conversations(external_id, state, priority, channel, language, created_at, queued_at,"
	" sla_due_at, customer, escalation, skills, callback_url) VALUES (?, 'queued', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
static const char SQL_CONV_REQUEUE[] =
	"UPDATE conversations SET state = 'queued', assignee = NULL, priority = ?, queued_at = ?, sla_due_at = ?,"
	" escalation = ?, skills = ?, customer = coalesce(?, customer), callback_url = coalesce(?, callback_url),"
	" disposition = NULL, handback_note = NULL, tags = NULL, csat = NULL, version = version + 1 WHERE n = ?";
static const char SQL_LAST_MSG_AT[] = "SELECT at FROM msg_last WHERE conv = ?";
static const char SQL_MSG_INSERT[] =
	"INSERT INTO messages(conv, sender, author, kind, text, at, prev)"
	" VALUES (?1, ?2, NULL, 'public', ?3, ?4, (SELECT n FROM msg_last WHERE conv = ?1))";

static int customer_store(const struct proto_customer *cu, char *err, size_t errlen)
{
	json_t *j = proto_encode(&proto_type_customer, cu);
	char *text = json_dumps(j, JSON_COMPACT);
	int64_t now = time_now_ms();
	int rc = hub_store_exec(hub.st, SQL_CUSTOMER_UPSERT, "ssssi", cu->id, cu->name, cu->currency, text, now);

	free(text);
	json_decref(j);
	if (rc < 0)
		goto internal;
	for (size_t i = 0; i < cu->orders.n; i++) {
		const struct proto_order *o = &cu->orders.v[i];
		json_t *row = NULL;
		if (hub_store_row(hub.st, &row, SQL_ORDER_OWNER, "s", o->id) < 0)
			goto internal;
		if (row && strcmp(jstr(row, "customer"), cu->id) != 0) {
			json_decref(row);
			snprintf(err, errlen, "customer.orders[%zu].id: order %s belongs to another customer", i, o->id);
			return -1;
		}
		json_decref(row);
		if (hub_store_exec(hub.st, SQL_ORDER_UPSERT, "sssizisss", o->id, cu->id, o->status, o->placed_at,
			       PROTO_HAS(o, order, delivered_at) && !PROTO_IS_NULL(o, order, delivered_at) ?
			       o->delivered_at : 0, o->total_minor, o->currency, o->carrier, o->tracking) < 0 ||
		    hub_store_exec(hub.st, SQL_ITEMS_CLEAR, "s", o->id) < 0)
			goto internal;
		for (size_t k = 0; k < o->items.n; k++) {
			const struct proto_item *it = &o->items.v[k];
			if (hub_store_exec(hub.st, SQL_ITEM_INSERT, "sssii", o->id, it->sku, it->name, it->qty,
				       it->price_minor) < 0)
				goto internal;
		}
	}
	return 0;
internal:
	snprintf(err, errlen, "the store refused the customer: %.200s", hub_store_errmsg(hub.st));
	return -2;
}

int httpapi_customer_put(json_t *customer, char *err, size_t errlen)
{
	struct proto_arena *a = proto_arena_new();
	struct proto_customer *cu = PROTO_NEW(a, customer);
	struct proto_err perr;
	int rc = -1;

	if (proto_decode(a, &proto_type_customer, customer, cu, "customer", &perr) < 0)
		snprintf(err, errlen, "%s", perr.msg);
	else if (hub_begin() == 0)
		rc = customer_store(cu, err, errlen) < 0 ? -1 : 0;
	else
		snprintf(err, errlen, "the store cannot begin a transaction");
	proto_arena_free(a);
	return rc;
}

/* Adds the transcript entries newer than the conversation's last message. */
static int transcript_store(int64_t n, json_t *tr, char *err, size_t errlen)
{
	int64_t last = 0, now = time_now_ms();
	json_t *m;
	size_t i;

	if (hub_store_int(hub.st, &last, SQL_LAST_MSG_AT, "i", n) < 0)
		return -2;
	json_array_foreach(tr, i, m) {
		const char *from = jstr(m, "from"), *text = jstr(m, "text"), *at = jstr(m, "at");
		int64_t t = now;
		if (!json_is_object(m) || !from || (strcmp(from, "customer") != 0 && strcmp(from, "bot") != 0)) {
			snprintf(err, errlen, "transcript[%zu].from: customer or bot", i);
			return -1;
		}
		if (!str_ok(json_object_get(m, "text"), 16000)) {
			snprintf(err, errlen, "transcript[%zu].text: a non-empty string of at most 16000 characters", i);
			return -1;
		}
		if (at && time_parse_rfc3339(at, strlen(at), &t) < 0) {
			snprintf(err, errlen, "transcript[%zu].at: expected an RFC 3339 time", i);
			return -1;
		}
		if (json_object_get(m, "at") && !at) {
			snprintf(err, errlen, "transcript[%zu].at: expected an RFC 3339 time", i);
			return -1;
		}
		if (last && t <= last)
			continue;	/* already stored by an earlier escalation */
		if (hub_store_exec(hub.st, SQL_MSG_INSERT, "issi", n, from, text, t) < 0)
			return -2;
	}
	return 0;
}

static int queued_event(int64_t n)
{
	struct proto_frame *f = proto_frame_new(PROTO_FRAME_EVENT);
	struct hub_aud aud = { .all = true };

	f->u.event.kind = PROTO_EV_CONV_QUEUED;
	f->u.event.conv = hub_id_fmt(f->arena, "c-", n);
	f->u.event.body = PROTO_NEW(f->arena, body);
	f->u.event.body->conversation = router_conv(f->arena, n, CONV_VIEW_QUEUE);
	if (!f->u.event.body->conversation) {
		proto_frame_free(f);
		return -1;
	}
	return hub_event(f, &aud);
}

json_t *httpapi_escalate(json_t *body, int *status)
{
	struct proto_arena *a = proto_arena_new();
	struct proto_escalation *esc = NULL;
	struct proto_customer *cu = NULL;
	struct proto_err perr;
	struct hub_mark mark;
	char err[400] = "";
	json_t *ret = NULL, *row = NULL, *v;
	const char *ext, *url = NULL, *lang = NULL;
	int prio = PROTO_PRIO_NORMAL, chan = PROTO_CHAN_WEB, rc;
	int64_t n, now = time_now_ms();
	char *esc_text = NULL;
	struct strbuf skills = STRBUF_INIT;

	if (!json_is_object(body)) {
		snprintf(err, sizeof err, "the body must be a JSON object");
		goto bad;
	}
	v = json_object_get(body, "external_id");
	if (!str_ok(v, 128)) {
		snprintf(err, sizeof err, "external_id: required, a string of 1 to 128 characters");
		goto bad;
	}
	ext = json_string_value(v);
	if ((v = json_object_get(body, "channel")) &&
	    (!json_is_string(v) || (chan = PROTO_ENUM_PARSE(channel, json_string_value(v))) < 0)) {
		snprintf(err, sizeof err, "channel: one of web, whatsapp, messenger, sms, email");
		goto bad;
	}
	if ((v = json_object_get(body, "priority")) &&
	    (!json_is_string(v) || (prio = PROTO_ENUM_PARSE(priority, json_string_value(v))) < 0)) {
		snprintf(err, sizeof err, "priority: one of urgent, high, normal, low");
		goto bad;
	}
	if ((v = json_object_get(body, "language"))) {
		if (!str_ok(v, 16) || strspn(json_string_value(v), "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_") !=
		    json_string_length(v)) {
			snprintf(err, sizeof err, "language: a language tag such as \"en\", \"pt-BR\" or \"es-419\"");
			goto bad;
		}
		lang = json_string_value(v);
	}
	if ((v = json_object_get(body, "callback_url")) && !json_is_null(v)) {
		url = json_string_value(v);
		/* "demo:" is the in-process demo bot, and only in demo mode. */
		if (!str_ok(v, 2000) || (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0 &&
					 !(hub.demo && strcmp(url, "demo:") == 0))) {
			snprintf(err, sizeof err, "callback_url: an http:// or https:// URL");
			goto bad;
		}
	}
	v = json_object_get(body, "escalation");
	if (!v) {
		snprintf(err, sizeof err, "escalation: required (reason, summary, attempted, …)");
		goto bad;
	}
	esc = PROTO_NEW(a, escalation);
	if (proto_decode(a, &proto_type_escalation, v, esc, "escalation", &perr) < 0) {
		snprintf(err, sizeof err, "%s", perr.msg);
		goto bad;
	}
	if ((v = json_object_get(body, "customer")) && !json_is_null(v)) {
		cu = PROTO_NEW(a, customer);
		if (proto_decode(a, &proto_type_customer, v, cu, "customer", &perr) < 0) {
			snprintf(err, sizeof err, "%s", perr.msg);
			goto bad;
		}
	}
	v = json_object_get(body, "transcript");
	if (v && !json_is_array(v)) {
		snprintf(err, sizeof err, "transcript: expected an array of messages");
		goto bad;
	}
	for (size_t i = 0; i < esc->skills.n; i++) {
		if (strchr(esc->skills.v[i], ',')) {
			snprintf(err, sizeof err, "escalation.skills[%zu]: a skill has no commas", i);
			goto bad;
		}
		if (i)
			sb_addc(&skills, ',');
		sb_adds(&skills, esc->skills.v[i]);
	}
	json_t *ej = proto_encode(&proto_type_escalation, esc);
	esc_text = json_dumps(ej, JSON_COMPACT);
	json_decref(ej);

	if (hub_begin() < 0)
		goto internal;
	hub_mark_get(&mark);
	if (hub_store_savepoint(hub.st) < 0)
		goto internal;
	if (hub_store_row(hub.st, &row, SQL_CONV_BY_EXT, "s", ext) < 0)
		goto rollback_internal;
	if (row && (strcmp(jstr(row, "state"), "queued") == 0 || strcmp(jstr(row, "state"), "assigned") == 0)) {
		/* Idempotent: the same escalation again. */
		n = json_integer_value(json_object_get(row, "n"));
		hub_store_release(hub.st);
		*status = 200;
		ret = json_pack("{s:o, s:s}", "conversation", json_sprintf("c-%lld", (long long)n), "state",
				jstr(row, "state"));
		goto out;
	}
	if (cu && (rc = customer_store(cu, err, sizeof err)) < 0) {
		if (rc == -2)
			goto rollback_internal;
		goto rollback_bad;
	}
	int64_t sla = now + (int64_t)hub.cfg.sla_s[prio] * 1000;
	if (row) {
		n = json_integer_value(json_object_get(row, "n"));
		if (hub_store_exec(hub.st, SQL_CONV_REQUEUE, "iiissssi", (int64_t)prio, now, sla, esc_text,
			       sb_str(&skills), cu ? cu->id : NULL, url, n) < 0)
			goto rollback_internal;
	} else {
		if (hub_store_exec(hub.st, SQL_CONV_INSERT, "sissiiisss" "s", ext, (int64_t)prio,
			       proto_enum_str(proto_enum_channel, chan), lang, now, now, sla, cu ? cu->id : NULL,
			       esc_text, sb_str(&skills), url) < 0)
			goto rollback_internal;
		n = hub_store_last_id(hub.st);
	}
	if ((v = json_object_get(body, "transcript")) && (rc = transcript_store(n, v, err, sizeof err)) < 0) {
		if (rc == -2)
			goto rollback_internal;
		goto rollback_bad;
	}
	if (queued_event(n) < 0)
		goto rollback_internal;
	if (hub_store_release(hub.st) < 0)
		goto internal;
	log_info("escalation %s: c-%lld queued (%s)", ext, (long long)n, proto_enum_str(proto_enum_priority, prio));
	*status = row ? 200 : 201;
	ret = json_pack("{s:o, s:s}", "conversation", json_sprintf("c-%lld", (long long)n), "state", "queued");
	goto out;
rollback_bad:
	hub_store_rollback_to(hub.st);
	hub_mark_undo(&mark);
bad:
	*status = 400;
	ret = http_error_json("bad_request", "%s", err);
	goto out;
rollback_internal:
	hub_store_rollback_to(hub.st);
	hub_mark_undo(&mark);
internal:
	log_error("escalation: store failure: %s", hub_store_errmsg(hub.st));
	*status = 500;
	ret = http_error_json("internal", "the hub could not store the escalation; retry");
out:
	json_decref(row);
	free(esc_text);
	sb_free(&skills);
	proto_arena_free(a);
	return ret;
}

/* ---- messages and close ---- */

static const char SQL_CONV_STATE[] = "SELECT n, state, assignee FROM conversations WHERE n = ?";
static const char SQL_CLOSE[] =
	"UPDATE conversations SET state = 'closed', csat = ?, closed_at = ?, version = version + 1 WHERE n = ?";

/* The hot path reads the two columns it needs, not a JSON row. */
static const char SQL_CONV_STATE_OWNER[] = "SELECT state, assignee FROM conversations WHERE n = ?";

json_t *httpapi_customer_message(const char *conv, json_t *body, int *status)
{
	int64_t n = hub_id_parse(conv, "c-");
	char col[2][HUB_STORE_TEXT_MAX];	/* state, assignee ("" if none) */
	json_t *ret;
	const char *from = "customer";
	struct proto_message *m = NULL;
	struct proto_arena *a;
	json_t *v;

	if (!json_is_object(body)) {
		*status = 400;
		return http_error_json("bad_request", "the body must be a JSON object {\"from\",\"text\"}");
	}
	if ((v = json_object_get(body, "from"))) {
		from = json_string_value(v);
		if (!from || (strcmp(from, "customer") != 0 && strcmp(from, "bot") != 0)) {
			*status = 400;
			return http_error_json("bad_request", "from: customer or bot");
		}
	}
	v = json_object_get(body, "text");
	if (!str_ok(v, 16000)) {
		*status = 400;
		return http_error_json("bad_request", "text: required, 1 to 16000 characters");
	}
	int r = n < 0 ? 0 : hub_store_texts(hub.st, col, 2, SQL_CONV_STATE_OWNER, "i", n);
	if (r < 0) {
		*status = 500;
		return http_error_json("internal", "the hub could not read %s; retry", conv);
	}
	if (r == 0) {
		*status = 404;
		return http_error_json("not_found", "no conversation %s", conv);
	}
	if (strcmp(col[0], "closed") == 0) {
		*status = 409;
		return http_error_json("invalid_state", "%s is closed; escalate again to reopen it", conv);
	}
	a = proto_arena_new();
	if (router_post_message(n, from, NULL, "public", json_string_value(v), col[1][0] ? col[1] : NULL, NULL, a,
				&m) < 0) {
		*status = 500;
		ret = http_error_json("internal", "the hub could not store the message; retry");
	} else {
		*status = 202;
		ret = json_pack("{s:s}", "message", m->id);
	}
	proto_arena_free(a);
	return ret;
}

json_t *httpapi_close(const char *conv, json_t *body, int *status)
{
	int64_t n = hub_id_parse(conv, "c-"), csat = 0;
	json_t *row = NULL, *v;

	if (body && (v = json_object_get(body, "csat")) && !json_is_null(v)) {
		if (!json_is_integer(v) || json_integer_value(v) < 1 || json_integer_value(v) > 5) {
			*status = 400;
			return http_error_json("bad_request", "csat: an integer from 1 to 5, or null");
		}
		csat = json_integer_value(v);
	}
	if (n < 0 || hub_store_row(hub.st, &row, SQL_CONV_STATE, "i", n) != 1) {
		*status = 404;
		return http_error_json("not_found", "no conversation %s", conv);
	}
	if (strcmp(jstr(row, "state"), "assigned") == 0 || strcmp(jstr(row, "state"), "closed") == 0) {
		*status = 409;
		json_t *e = http_error_json("invalid_state", "%s is %s; close it after the agent hands it back", conv,
					    jstr(row, "state"));
		json_decref(row);
		return e;
	}
	if (hub_begin() < 0 || hub_store_exec(hub.st, SQL_CLOSE, "zii", csat, time_now_ms(), n) < 0) {
		json_decref(row);
		*status = 500;
		return http_error_json("internal", "the hub could not close the conversation; retry");
	}
	struct proto_frame *f = proto_frame_new(PROTO_FRAME_EVENT);
	f->u.event.kind = PROTO_EV_CONV_CLOSED;
	f->u.event.conv = hub_id_fmt(f->arena, "c-", n);
	f->u.event.body = PROTO_NEW(f->arena, body);
	f->u.event.body->conv = f->u.event.conv;
	if (csat)
		f->u.event.body->csat = csat;
	else
		PROTO_SET_NULL(f->u.event.body, body, csat);
	struct hub_aud aud = { .sups = true, .agents = { jstr(row, "assignee"), NULL } };
	/* Closed while still queued: everyone has it in their queue view. */
	if (strcmp(jstr(row, "state"), "queued") == 0)
		aud.all = true;
	int rc = hub_event(f, &aud);
	json_decref(row);
	if (rc < 0) {
		*status = 500;
		return http_error_json("internal", "the hub could not close the conversation; retry");
	}
	*status = 200;
	return json_pack("{s:s, s:s}", "conversation", conv, "state", "closed");
}

/* The customer is typing (ephemeral: relayed, not stored). */
json_t *httpapi_typing(const char *conv, json_t *body, int *status)
{
	int64_t n = hub_id_parse(conv, "c-");
	json_t *row = NULL, *v = body ? json_object_get(body, "on") : NULL;

	if (!json_is_boolean(v)) {
		*status = 400;
		return http_error_json("bad_request", "on: true or false");
	}
	if (n < 0 || hub_store_row(hub.st, &row, SQL_CONV_STATE, "i", n) != 1) {
		*status = 404;
		return http_error_json("not_found", "no conversation %s", conv);
	}
	if (strcmp(jstr(row, "state"), "assigned") == 0)
		session_typing_relay(n, jstr(row, "assignee"), json_is_true(v), PROTO_FROM_CUSTOMER, NULL);
	json_decref(row);
	*status = 202;
	return json_object();
}

/* ---- metrics ---- */

static void metrics_text(struct strbuf *sb)
{
	static const char *const prios[] = { "urgent", "high", "normal", "low" };
	struct hub_stats_totals t;
	int64_t *depth = t.queue;

	/* The same figures as the supervisors' stats frames (updated each second). */
	memset(&t, 0, sizeof t);
	if (hub.stats)
		hub_stats_totals(hub.stats, &t);
	sb_addf(sb, "# HELP batond_connections Open agent and supervisor streams.\n"
		    "# TYPE batond_connections gauge\nbatond_connections %d\n", hub.m.connections);
	sb_adds(sb, "# HELP batond_queue_depth Queued conversations by priority.\n# TYPE batond_queue_depth gauge\n");
	for (int p = 0; p < 4; p++)
		sb_addf(sb, "batond_queue_depth{priority=\"%s\"} %lld\n", prios[p], (long long)depth[p]);
	sb_addf(sb, "# TYPE batond_queue_oldest_wait_seconds gauge\nbatond_queue_oldest_wait_seconds %lld\n"
		    "# TYPE batond_sla_breached gauge\nbatond_sla_breached %lld\n"
		    "# TYPE batond_sla_breached_today gauge\nbatond_sla_breached_today %lld\n"
		    "# TYPE batond_handled_today gauge\nbatond_handled_today %lld\n"
		    "# TYPE batond_aht_seconds gauge\nbatond_aht_seconds %lld\n"
		    "# TYPE batond_approvals_pending gauge\nbatond_approvals_pending %lld\n"
		    "# TYPE batond_agents gauge\nbatond_agents{status=\"online\"} %lld\n"
		    "batond_agents{status=\"away\"} %lld\nbatond_agents{status=\"offline\"} %lld\n",
		(long long)t.oldest_wait_s, (long long)t.sla_breached, (long long)t.sla_breached_today,
		(long long)t.handled_today, (long long)t.aht_s, (long long)t.approvals_pending,
		(long long)t.online, (long long)t.away, (long long)t.offline);
	sb_adds(sb, "# TYPE batond_escalations_today gauge\n");
	for (int r = 0; r <= PROTO_REASON_OTHER; r++)
		sb_addf(sb, "batond_escalations_today{reason=\"%s\"} %lld\n", proto_enum_str(proto_enum_reason_code, r),
			(long long)t.by_reason[r]);
	sb_addf(sb, "# HELP batond_events_total Events numbered since start.\n# TYPE batond_events_total counter\n"
		    "batond_events_total %llu\n", (unsigned long long)hub.m.events);
	sb_addf(sb, "# HELP batond_event_head The last event seq.\n# TYPE batond_event_head gauge\n"
		    "batond_event_head %lld\n", (long long)hub_head());
	sb_adds(sb, "# HELP batond_commands_total Commands by op and result status.\n"
		    "# TYPE batond_commands_total counter\n");
	for (int op = 0; op <= PROTO_OP_MONITOR; op++)
		for (int st = 0; st < 4; st++)
			if (hub.m.cmds[op][st])
				sb_addf(sb, "batond_commands_total{op=\"%s\",status=\"%s\"} %llu\n",
					proto_enum_str(proto_enum_op, op), proto_enum_str(proto_enum_result_status, st),
					(unsigned long long)hub.m.cmds[op][st]);
	sb_addf(sb, "batond_frames_refused_total %llu\n", (unsigned long long)hub.m.cmds_bad);
	sb_addf(sb, "# HELP batond_command_seconds Command handling time.\n# TYPE batond_command_seconds summary\n"
		    "batond_command_seconds{quantile=\"0.5\"} %.6f\nbatond_command_seconds{quantile=\"0.99\"} %.6f\n"
		    "batond_command_seconds_count %llu\n",
		(double)hub_metrics_quantile(hub.m.lat_us, hub.m.lat_n, 0.5) / 1e6,
		(double)hub_metrics_quantile(hub.m.lat_us, hub.m.lat_n, 0.99) / 1e6,
		(unsigned long long)hub.m.lat_n);
	sb_addf(sb, "# HELP batond_commit_seconds Group-commit COMMIT time (fsync).\n"
		    "# TYPE batond_commit_seconds summary\n"
		    "batond_commit_seconds{quantile=\"0.5\"} %.6f\nbatond_commit_seconds{quantile=\"0.99\"} %.6f\n"
		    "batond_commit_seconds_count %llu\n# TYPE batond_loop_passes_total counter\n"
		    "batond_loop_passes_total %llu\n",
		(double)hub_metrics_quantile(hub.m.commit_us, hub.m.commit_n, 0.5) / 1e6,
		(double)hub_metrics_quantile(hub.m.commit_us, hub.m.commit_n, 0.99) / 1e6,
		(unsigned long long)hub.m.commit_n, (unsigned long long)hub.m.passes);
	sb_addf(sb, "# TYPE batond_webhooks_delivered_total counter\nbatond_webhooks_delivered_total %llu\n"
		    "# TYPE batond_webhook_retries_total counter\nbatond_webhook_retries_total %llu\n",
		(unsigned long long)hub.m.webhook_sent, (unsigned long long)hub.m.webhook_retries);
	int64_t pending = 0;
	hub_store_int(hub.st, &pending, "SELECT count(*) FROM webhooks WHERE state = 'pending'", "");
	sb_addf(sb, "# TYPE batond_webhooks_pending gauge\nbatond_webhooks_pending %lld\n", (long long)pending);
	struct mallinfo2 mi = mallinfo2();
	sb_addf(sb, "# TYPE batond_sqlite_memory_bytes gauge\nbatond_sqlite_memory_bytes %lld\n"
		    "# HELP batond_heap_bytes malloc: in use, and free but kept by the allocator.\n"
		    "# TYPE batond_heap_bytes gauge\nbatond_heap_bytes{state=\"used\"} %zu\n"
		    "batond_heap_bytes{state=\"free\"} %zu\n",
		(long long)hub_store_memory(), mi.uordblks + mi.hblkhd, mi.fordblks);
	sb_addf(sb, "# TYPE batond_commits_total counter\nbatond_commits_total %llu\n"
		    "batond_commit_failures_total %llu\n"
		    "# TYPE batond_http_requests_total counter\nbatond_http_requests_total %llu\n",
		(unsigned long long)hub.m.commits, (unsigned long long)hub.m.commit_failures,
		(unsigned long long)hub.m.http_requests);
}

/* ---- routing ---- */

/* The agent behind the request's bearer token if its role is in roles (a
 * bit mask of 1 << enum proto_role); else answers 401/403 and NULL. */
static struct hub_agent *http_auth(struct hub_http *h, unsigned roles)
{
	struct hub_agent *a = NULL;

	if (strncasecmp(h->auth, "Bearer ", 7) == 0 && h->auth[7])
		a = hub_agent_by_token(h->auth + 7);
	if (!a) {
		http_json(h, 401, http_error_json("unauthorized", "send Authorization: Bearer <token>; "
						  "`batond token add --role bot` makes one"));
		return NULL;
	}
	if (!(roles & (1u << a->role))) {
		http_json(h, 403, http_error_json("forbidden", "a %s token cannot use this endpoint",
						  proto_enum_str(proto_enum_role, a->role)));
		return NULL;
	}
	return a;
}

#define BOT (1u << PROTO_ROLE_BOT)
#define STAFF ((1u << PROTO_ROLE_AGENT) | (1u << PROTO_ROLE_SUPERVISOR))

static void http_label(struct hub_http *h, const char *id, bool zpl)
{
	char name[64];
	size_t n = strlen(id);
	void *data = NULL;
	size_t len = 0;
	int64_t lbl;
	int rc;

	if (n > 4 && strcmp(id + n - 4, ".zpl") == 0) {
		zpl = true;
		n -= 4;
	} else if (n > 4 && strcmp(id + n - 4, ".pdf") == 0) {
		n -= 4;
	}
	snprintf(name, sizeof name, "%.*s", (int)(n < 60 ? n : 60), id);
	lbl = hub_id_parse(name, "lbl-");
	rc = lbl < 0 ? 0 :
	     zpl ? hub_store_blob(hub.st, &data, &len, "SELECT zpl FROM labels WHERE n = ?", "i", lbl) :
		   hub_store_blob(hub.st, &data, &len, "SELECT pdf FROM labels WHERE n = ?", "i", lbl);
	if (rc == 1)
		http_answer(h, 200, zpl ? "text/plain; charset=utf-8" : "application/pdf", data, len);
	else if (rc == 0)
		http_json(h, 404, http_error_json("not_found", "no label %s", name));
	else
		http_json(h, 500, http_error_json("internal", "the label could not be read"));
	free(data);
}

/* Loopback peers may read /healthz and /metrics without a token. */
static bool http_peer_local(struct hub_http *h)
{
	char ip[64] = "";

	if (!lws_get_peer_simple(h->wsi, ip, sizeof ip))
		return false;
	return strncmp(ip, "127.", 4) == 0 || strcmp(ip, "::1") == 0 || strncmp(ip, "::ffff:127.", 11) == 0;
}

static void http_route(struct hub_http *h)
{
	const char *p = h->path;
	char id[80];
	json_t *body = NULL, *res;
	int status = 500;

	if ((strcmp(p, "/healthz") == 0 || strcmp(p, "/metrics") == 0) && !h->post && !http_peer_local(h) &&
	    !http_auth(h, BOT | STAFF))
		return;
	if (strcmp(p, "/healthz") == 0 && !h->post) {
		http_json(h, 200, json_pack("{s:s, s:I, s:i, s:I}", "status", "ok", "head", (json_int_t)hub_head(),
					    "connections", hub.m.connections, "uptime_s",
					    (json_int_t)((time_now_ms() - hub.started_ms) / 1000)));
		return;
	}
	if (strcmp(p, "/metrics") == 0 && !h->post) {
		struct strbuf sb = STRBUF_INIT;
		metrics_text(&sb);
		http_answer(h, 200, "text/plain; version=0.0.4", sb_str(&sb), sb.len);
		sb_free(&sb);
		return;
	}
	if (h->post) {
		if (h->too_large) {
			h->close_after = true;
			http_json(h, 413, http_error_json("too_large", "the body is over %d bytes", hub.cfg.http_body_max));
			return;
		}
		json_error_t je;
		body = json_loadb(sb_str(&h->body), h->body.len, JSON_REJECT_DUPLICATES, &je);
		if (!body && (strcmp(p, "/v1/escalations") == 0 || strncmp(p, "/v1/conversations/", 18) == 0)) {
			if (!http_auth(h, BOT))
				return;
			http_json(h, 400, http_error_json("bad_request", "invalid JSON at line %d column %d: %s",
							  je.line, je.column, je.text));
			return;
		}
	}
	if (strcmp(p, "/v1/escalations") == 0) {
		if (!h->post)
			goto method;
		if (!http_auth(h, BOT))
			goto out;
		res = httpapi_escalate(body, &status);
		http_json(h, status, res);
		goto out;
	}
	if (strncmp(p, "/v1/conversations/", 18) == 0) {
		const char *rest = p + 18, *slash = strchr(rest, '/');
		size_t n = slash ? (size_t)(slash - rest) : strlen(rest);
		if (n == 0 || n >= sizeof id)
			goto notfound;
		memcpy(id, rest, n);
		id[n] = '\0';
		if (!slash) {
			if (h->post)
				goto method;
			if (!http_auth(h, BOT | (1u << PROTO_ROLE_SUPERVISOR)))
				goto out;
			struct proto_arena *a = proto_arena_new();
			int64_t cn = hub_id_parse(id, "c-");
			struct proto_conversation *c = cn < 0 ? NULL : router_conv(a, cn, CONV_VIEW_BOT);
			if (c)
				http_json(h, 200, proto_encode(&proto_type_conversation, c));
			else
				http_json(h, 404, http_error_json("not_found", "no conversation %s", id));
			proto_arena_free(a);
			goto out;
		}
		if (strcmp(slash, "/messages") == 0 || strcmp(slash, "/close") == 0 || strcmp(slash, "/typing") == 0) {
			if (!h->post)
				goto method;
			if (!http_auth(h, BOT))
				goto out;
			res = slash[1] == 'm' ? httpapi_customer_message(id, body, &status) :
			      slash[1] == 'c' ? httpapi_close(id, body, &status) : httpapi_typing(id, body, &status);
			http_json(h, status, res);
			goto out;
		}
		goto notfound;
	}
	if (strncmp(p, "/v1/labels/", 11) == 0 && p[11]) {
		char fmt[16] = "";
		if (h->post)
			goto method;
		if (!http_auth(h, BOT | STAFF))
			goto out;
		const char *q = lws_get_urlarg_by_name(h->wsi, "format=", fmt, sizeof fmt);
		http_label(h, p + 11, q && strcmp(q, "zpl") == 0);
		goto out;
	}
notfound:
	http_json(h, 404, http_error_json("not_found", "no such endpoint: %.100s (see batond(8))", p));
	goto out;
method:
	http_json(h, 405, http_error_json("bad_request", "wrong method for %.100s", p));
out:
	json_decref(body);
}

/* ---- the lws callback ---- */

static void http_route_later(void *owner, void *data)
{
	struct hub_http *h = owner;

	(void)data;
	h->deferred = false;
	http_route(h);
}

/* Routes now, or once the store is free if a COMMIT is running. */
static void http_dispatch(struct hub_http *h)
{
	if (h->routed)
		return;
	h->routed = true;
	if (hub_db_busy()) {
		h->deferred = true;
		hub_defer(http_route_later, h, NULL, NULL);
	} else
		http_route(h);
}

static void http_reset(struct hub_http *h)
{
	sb_reset(&h->body);
	free(h->resp);
	h->resp = NULL;
	h->resp_len = 0;
	h->too_large = h->ready = h->close_after = h->routed = false;
	h->auth[0] = '\0';
}

/* Writes h's answer and ends the transaction: 0, or -1 to close the
 * connection (h is reset, or freed by lws's DROP_PROTOCOL, either way). */
static int http_write(struct hub_http *h)
{
	/* The loop is single-threaded and lws copies what the socket does
	 * not take at once, so one buffer serves every answer. */
	static unsigned char out[LWS_PRE + 8192];
	unsigned char *start = out + LWS_PRE, *p = start, *end = out + sizeof out - 1;
	struct lws *wsi = h->wsi;

	if (lws_add_http_common_headers(wsi, (unsigned int)h->status, h->ctype, h->resp_len, &p, end) ||
	    lws_add_http_header_by_name(wsi, (const unsigned char *)"cache-control:",
					(const unsigned char *)"no-store", 8, &p, end))
		return -1;
	if (lws_get_network_wsi(wsi) == wsi && (size_t)(end - p) >= 2 + h->resp_len) {
		/* HTTP/1.1: headers and body in one send() (they were
		 * two, ~9 % of the hub's CPU under load). h2 frames
		 * them itself, so it keeps the two writes below. */
		if (lws_finalize_http_header(wsi, &p, end))
			return -1;
		memcpy(p, h->resp + LWS_PRE, h->resp_len);
		p += h->resp_len;
		if (lws_write(wsi, start, (size_t)(p - start), LWS_WRITE_HTTP_FINAL) < 0)
			return -1;
	} else {
		if (lws_finalize_write_http_header(wsi, start, &p, end))
			return -1;
		if (h->resp_len && lws_write(wsi, h->resp + LWS_PRE, h->resp_len, LWS_WRITE_HTTP_FINAL) < 0)
			return -1;
	}
	bool close_after = h->close_after;
	http_reset(h);
	if (close_after)
		return -1;
	if (lws_http_transaction_completed(wsi))
		return -1;
	return 0;
}

static int http_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
	struct http_pss *pss = user;
	struct hub_http *h = pss ? pss->h : NULL;

	switch (reason) {
	case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
		return -1;	/* a WebSocket without the baton.v1 subprotocol */
	case LWS_CALLBACK_HTTP: {
		if (!h) {
			h = pss->h = xcalloc(1, sizeof *h);
			h->wsi = wsi;
		}
		http_reset(h);
		hub.m.http_requests++;
		snprintf(h->path, sizeof h->path, "%s", (const char *)in);
		h->post = lws_hdr_total_length(wsi, WSI_TOKEN_POST_URI) > 0;
		if (!h->post && !lws_hdr_total_length(wsi, WSI_TOKEN_GET_URI)) {
			h->close_after = true;
			http_json(h, 405, http_error_json("bad_request", "only GET and POST"));
			return 0;
		}
		if (lws_hdr_copy(wsi, h->auth, sizeof h->auth, WSI_TOKEN_HTTP_AUTHORIZATION) < 0)
			h->auth[0] = '\0';
		if (h->post) {
			char cl[32];
			if (lws_hdr_copy(wsi, cl, sizeof cl, WSI_TOKEN_HTTP_CONTENT_LENGTH) > 0) {
				long long n = atoll(cl);
				if (n > hub.cfg.http_body_max) {
					/* Drain a moderately large body and answer 413 after
					 * it (a client that is still sending would not read
					 * an early answer); refuse an absurd one at once. */
					h->too_large = true;
					if (n > 64LL * hub.cfg.http_body_max)
						http_dispatch(h);
					return 0;
				}
				if (n == 0) {
					http_dispatch(h);
					return 0;
				}
			}
			return 0;	/* the body follows */
		}
		http_dispatch(h);
		return 0;
	}
	case LWS_CALLBACK_HTTP_BODY:
		if (!h || h->too_large)
			return 0;
		if (h->body.len + len > (size_t)hub.cfg.http_body_max) {
			h->too_large = true;
			sb_free(&h->body);
			return 0;
		}
		if (len)
			sb_add(&h->body, in, len);
		return 0;
	case LWS_CALLBACK_HTTP_BODY_COMPLETION:
		if (h)
			http_dispatch(h);
		return 0;
	case LWS_CALLBACK_HTTP_WRITEABLE:
		if (pss && pss->close_now)
			return -1;
		if (!h || !h->ready || !h->resp)
			return 0;
		return http_write(h);
	case LWS_CALLBACK_HTTP_DROP_PROTOCOL:
		/* A keep-alive transaction ended: lws drops the per-session data
		 * here (the next request on the connection gets a fresh one), so
		 * this request's state goes with it. */
	case LWS_CALLBACK_CLOSED_HTTP:
		if (h) {
			/* Most requests are answered and out by now: then no
			 * list names them, and walking the stage (a whole
			 * batch) per request would cost O(batch). */
			if (h->staged > 0 || h->deferred)
				hub_unstage_http(h);
			http_reset(h);
			sb_free(&h->body);
			free(h);
			pss->h = NULL;
		}
		return 0;
	default:
		return 0;
	}
}

const struct lws_protocols httpapi_protocol = {
	.name = "http",
	.callback = http_callback,
	.per_session_data_size = sizeof(struct http_pss),
	.rx_buffer_size = 0,
};
