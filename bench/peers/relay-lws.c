/*
 * relay-lws.c: the bare libwebsockets relay bench/hub-load measures batond
 * against: the hub's delivery path with nothing else (no store, no auth, no
 * routing), so its figures are the floor lws itself sets on this machine.
 *
 * Same shape as batond and bench/relay-node/relay.js, so the load generator
 * sends every target the very same bytes:
 *   - ws://HOST:PORT/v1/stream, subprotocol baton.v1: hello → welcome and an
 *     empty snapshot (the token is taken as the agent id);
 *     {"type":"cmd","op":"claim","args":{"conv":"c-N"}} → result ok and the
 *     sender owns c-N (already_claimed when another connection does);
 *   - POST /v1/escalations → 201 {"conversation":"c-N","state":"queued"},
 *     idempotent on external_id;
 *   - POST /v1/conversations/c-N/messages {"from":"customer","text":…} →
 *     202, and {"type":"event","seq":…,"kind":"message",…} to c-N's owner.
 * JSON is parsed and built with jansson, as the hub does, so the comparison
 * is about what the hub adds (store, group commit, routing), not about JSON.
 *
 * One lws service loop; a frame for an agent is queued on its session and
 * written one per WRITEABLE callback, the lws way.
 *
 * usage: relay-lws [--host 127.0.0.1] [--port 7302] [--event-loop poll|libev]
 *
 * --event-loop libev runs lws on its libev plugin (epoll) instead of its
 * own poll() loop, to show what poll()'s cost per pass over every open
 * socket does with thousands of idle agents (bench/hub-load --keep-idle).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <libwebsockets.h>

#include "baton/common.h"

#define RELAY_MAX_BODY   65536
#define RELAY_MAX_CONVS  1000000
/* Frames queued for one agent that does not read before it is dropped. */
#define RELAY_MAX_QUEUE  100000
#define RELAY_EXT_BUCKETS 4096
/*
 * lws mallocs a receive buffer of this size for every ws connection and the
 * first frame touches it, so it is most of what an idle stream costs: at
 * the 4096 default an idle stream is ~5.6 KB of RSS, at 1024 ~2.6 KB
 * (measured with bench/hub-load --idle 5000). Frames longer than this
 * arrive in pieces, which relay_ws_cb puts together (up to RELAY_MAX_BODY).
 */
#define RELAY_RX_BUFFER  1024

struct relay_frame {
	struct relay_frame *next;
	size_t len;
	unsigned char buf[];	/* LWS_PRE bytes of headroom, then len bytes */
};

/* One agent stream (per-session data of the baton.v1 protocol). */
struct relay_ws {
	struct lws *wsi;
	char agent[65];
	bool hello;
	struct strbuf rx;	/* fragments of the message being received */
	struct relay_frame *head, *tail;
	size_t queued;
	size_t *owned;		/* indices of the conversations it claimed */
	size_t nowned, capowned;
};

/* One HTTP transaction (per-session data of the http protocol). */
struct relay_http {
	char uri[160];
	bool post;
	bool too_large;
	struct strbuf body;
};

struct relay_conv {
	struct relay_ws *owner;
};

struct relay_ext {
	struct relay_ext *next;
	size_t conv;
	char id[];
};

static struct relay_conv *relay_convs;
static size_t relay_nconvs, relay_capconvs;
static struct relay_ext *relay_ext_tab[RELAY_EXT_BUCKETS];
static int64_t relay_seq;
static uint64_t relay_sessions;
static struct lws_context *relay_ctx;
static volatile sig_atomic_t relay_stop;

static bool relay_evlib;

static void relay_on_signal(int sig)
{
	(void)sig;
	/* The event library's loop does not come back to us: nothing here
	 * needs saving, so just go. */
	if (relay_evlib)
		_exit(0);
	relay_stop = 1;
	/* Wakes lws_service(), which otherwise sleeps until the next packet. */
	if (relay_ctx)
		lws_cancel_service(relay_ctx);
}

static uint32_t relay_hash(const char *s)
{
	uint32_t h = 2166136261u;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

static struct relay_ext *relay_ext_find(const char *id)
{
	struct relay_ext *e = relay_ext_tab[relay_hash(id) % RELAY_EXT_BUCKETS];

	for (; e; e = e->next)
		if (strcmp(e->id, id) == 0)
			return e;
	return NULL;
}

static void relay_ext_add(const char *id, size_t conv)
{
	size_t n = strlen(id);
	struct relay_ext *e = xmalloc(sizeof(*e) + n + 1);
	uint32_t b = relay_hash(id) % RELAY_EXT_BUCKETS;

	memcpy(e->id, id, n + 1);
	e->conv = conv;
	e->next = relay_ext_tab[b];
	relay_ext_tab[b] = e;
}

/* "c-17" → 16; -1 if it names no conversation of ours. */
static long relay_conv_index(const char *id, size_t len)
{
	size_t i;
	long n = 0;

	if (len < 3 || len > 9 || id[0] != 'c' || id[1] != '-')
		return -1;
	for (i = 2; i < len; i++) {
		if (id[i] < '0' || id[i] > '9')
			return -1;
		n = n * 10 + (id[i] - '0');
	}
	if (n < 1 || (size_t)n > relay_nconvs)
		return -1;
	return n - 1;
}

static void relay_ws_queue(struct relay_ws *ws, const char *s, size_t len)
{
	struct relay_frame *f;

	if (ws->queued >= RELAY_MAX_QUEUE) {
		/* An agent that stopped reading must not grow us without bound. */
		lws_set_timeout(ws->wsi, PENDING_TIMEOUT_CLOSE_SEND, LWS_TO_KILL_ASYNC);
		return;
	}
	f = xmalloc(sizeof(*f) + LWS_PRE + len);
	f->next = NULL;
	f->len = len;
	memcpy(f->buf + LWS_PRE, s, len);
	if (ws->tail)
		ws->tail->next = f;
	else
		ws->head = f;
	ws->tail = f;
	ws->queued++;
	lws_callback_on_writable(ws->wsi);
}

/* Encodes j compactly and queues it; takes j. */
static void relay_ws_queue_json(struct relay_ws *ws, json_t *j)
{
	char *s = json_dumps(j, JSON_COMPACT);

	json_decref(j);
	if (!s)
		return;
	relay_ws_queue(ws, s, strlen(s));
	free(s);
}

static void relay_ws_error(struct relay_ws *ws, const char *code, const char *msg)
{
	relay_ws_queue_json(ws, json_pack("{s:s, s:s, s:s}", "type", "error",
					  "code", code, "message", msg));
}

static void relay_ws_hello(struct relay_ws *ws, json_t *f)
{
	const char *token = json_string_value(json_object_get(f, "token"));
	char session[32];

	snprintf(ws->agent, sizeof(ws->agent), "%s", token ? token : "anonymous");
	ws->hello = true;
	snprintf(session, sizeof(session), "s-%llu", (unsigned long long)++relay_sessions);
	relay_ws_queue_json(ws, json_pack(
		"{s:s, s:i, s:s, s:{s:s, s:s, s:s, s:[]}, "
		"s:{s:i, s:i, s:s, s:i, s:i}, s:I, s:s}",
		"type", "welcome", "v", 1, "session", session,
		"agent", "id", ws->agent, "name", ws->agent, "role", "agent", "skills",
		"limits", "discount_percent_max", 15, "discount_amount_max_minor", 5000,
		"currency", "EUR", "max_frame_bytes", RELAY_MAX_BODY, "max_active", 3,
		"head", (json_int_t)relay_seq, "resume", "snapshot"));
	relay_ws_queue_json(ws, json_pack("{s:s, s:I, s:[], s:[], s:[]}",
					  "type", "snapshot", "upto", (json_int_t)relay_seq,
					  "queue", "mine", "approvals"));
}

static void relay_ws_claim(struct relay_ws *ws, json_t *f)
{
	const char *cmd_id = json_string_value(json_object_get(f, "cmd_id"));
	const char *op = json_string_value(json_object_get(f, "op"));
	json_t *conv_j = json_object_get(json_object_get(f, "args"), "conv");
	const char *conv = json_string_value(conv_j);
	const char *code = NULL, *msg = NULL;
	long idx = conv ? relay_conv_index(conv, json_string_length(conv_j)) : -1;
	json_t *r;

	if (!cmd_id) {
		relay_ws_error(ws, "bad_request", "cmd: cmd_id is missing");
		return;
	}
	if (!op || strcmp(op, "claim") != 0) {
		code = "unknown_op";
		msg = "this relay knows claim only";
	} else if (idx < 0) {
		code = "not_found";
		msg = "no such conversation";
	} else if (relay_convs[idx].owner && relay_convs[idx].owner != ws) {
		code = "already_claimed";
		msg = "another agent has it";
	}
	if (code) {
		relay_ws_queue_json(ws, json_pack("{s:s, s:s, s:s, s:{s:s, s:s}}",
						  "type", "result", "cmd_id", cmd_id,
						  "status", "rejected", "error",
						  "code", code, "message", msg));
		return;
	}
	if (relay_convs[idx].owner != ws) {
		relay_convs[idx].owner = ws;
		if (ws->nowned == ws->capowned) {
			ws->capowned = ws->capowned ? ws->capowned * 2 : 4;
			ws->owned = xrealloc(ws->owned, ws->capowned * sizeof(*ws->owned));
		}
		ws->owned[ws->nowned++] = (size_t)idx;
	}
	r = json_pack("{s:s, s:s, s:s, s:{s:{s:s, s:s, s:s}}}",
		      "type", "result", "cmd_id", cmd_id, "status", "ok",
		      "body", "conversation", "id", conv, "state", "assigned",
		      "assignee", ws->agent);
	relay_ws_queue_json(ws, r);
}

static void relay_ws_frame(struct relay_ws *ws, const char *buf, size_t len)
{
	json_error_t jerr;
	json_t *f = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
	const char *type;

	if (!json_is_object(f)) {
		relay_ws_error(ws, "bad_request", "the frame is not a JSON object");
		goto out;
	}
	type = json_string_value(json_object_get(f, "type"));
	if (type && strcmp(type, "hello") == 0) {
		relay_ws_hello(ws, f);
	} else if (!ws->hello) {
		relay_ws_error(ws, "unauthorized", "send hello first");
		lws_close_reason(ws->wsi, (enum lws_close_status)4401,
				 (unsigned char *)"unauthorized", 12);
		lws_set_timeout(ws->wsi, PENDING_TIMEOUT_CLOSE_SEND, LWS_TO_KILL_ASYNC);
	} else if (type && strcmp(type, "cmd") == 0) {
		relay_ws_claim(ws, f);
	} else {
		relay_ws_error(ws, "bad_request", "unknown frame type");
	}
out:
	json_decref(f);
}

static void relay_ws_closed(struct relay_ws *ws)
{
	struct relay_frame *f, *next;
	size_t i;

	for (i = 0; i < ws->nowned; i++)
		if (relay_convs[ws->owned[i]].owner == ws)
			relay_convs[ws->owned[i]].owner = NULL;
	free(ws->owned);
	ws->owned = NULL;
	ws->nowned = ws->capowned = 0;
	for (f = ws->head; f; f = next) {
		next = f->next;
		free(f);
	}
	ws->head = ws->tail = NULL;
	ws->queued = 0;
	sb_free(&ws->rx);
}

static int relay_ws_cb(struct lws *wsi, enum lws_callback_reasons reason, void *user,
		       void *in, size_t len)
{
	struct relay_ws *ws = user;
	struct relay_frame *f;
	char uri[32];

	switch (reason) {
	case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
		/* The stream lives at /v1/stream only, as on the hub. */
		if (lws_hdr_copy(wsi, uri, sizeof(uri), WSI_TOKEN_GET_URI) <= 0 ||
		    strcmp(uri, "/v1/stream") != 0)
			return 1;
		return 0;
	case LWS_CALLBACK_ESTABLISHED:
		ws->wsi = wsi;
		return 0;
	case LWS_CALLBACK_RECEIVE:
		if (ws->rx.len + len > RELAY_MAX_BODY) {
			lws_close_reason(wsi, LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE,
					 (unsigned char *)"too large", 9);
			return -1;
		}
		sb_add(&ws->rx, in, len);
		if (!lws_is_final_fragment(wsi) || lws_remaining_packet_payload(wsi))
			return 0;
		relay_ws_frame(ws, ws->rx.buf, ws->rx.len);
		sb_reset(&ws->rx);
		return 0;
	case LWS_CALLBACK_SERVER_WRITEABLE:
		f = ws->head;
		if (!f)
			return 0;
		if (lws_write(wsi, f->buf + LWS_PRE, f->len, LWS_WRITE_TEXT) < (int)f->len)
			return -1;
		ws->head = f->next;
		if (!ws->head)
			ws->tail = NULL;
		ws->queued--;
		free(f);
		if (ws->head)
			lws_callback_on_writable(wsi);
		return 0;
	case LWS_CALLBACK_CLOSED:
		relay_ws_closed(ws);
		return 0;
	default:
		return 0;
	}
}

/* Writes a whole JSON response and ends the transaction (keep-alive). */
static int relay_http_reply(struct lws *wsi, unsigned int code, const char *body)
{
	unsigned char hdr[LWS_PRE + 512], *start = hdr + LWS_PRE, *p = start,
		      *end = hdr + sizeof(hdr) - 1;
	unsigned char out[LWS_PRE + 512];
	size_t len = strlen(body);

	if (len > sizeof(out) - LWS_PRE)
		return -1;
	if (lws_add_http_common_headers(wsi, code, "application/json", len, &p, end) ||
	    lws_finalize_write_http_header(wsi, start, &p, end))
		return -1;
	memcpy(out + LWS_PRE, body, len);
	if (lws_write(wsi, out + LWS_PRE, len, LWS_WRITE_HTTP_FINAL) < (int)len)
		return -1;
	return lws_http_transaction_completed(wsi) ? -1 : 0;
}

static int relay_http_error(struct lws *wsi, unsigned int code, const char *ecode,
			    const char *msg)
{
	char body[384];

	snprintf(body, sizeof(body), "{\"error\":{\"code\":\"%s\",\"message\":\"%s\"}}",
		 ecode, msg);
	return relay_http_reply(wsi, code, body);
}

static int relay_escalation(struct lws *wsi, json_t *doc)
{
	const char *ext = json_string_value(json_object_get(doc, "external_id"));
	struct relay_ext *e = ext ? relay_ext_find(ext) : NULL;
	char body[128];

	if (e) {
		snprintf(body, sizeof(body), "{\"conversation\":\"c-%zu\",\"state\":\"queued\"}",
			 e->conv + 1);
		return relay_http_reply(wsi, 200, body);
	}
	if (relay_nconvs >= RELAY_MAX_CONVS)
		return relay_http_error(wsi, 503, "internal", "too many conversations for this relay");
	if (relay_nconvs == relay_capconvs) {
		relay_capconvs = relay_capconvs ? relay_capconvs * 2 : 256;
		relay_convs = xrealloc(relay_convs, relay_capconvs * sizeof(*relay_convs));
	}
	relay_convs[relay_nconvs].owner = NULL;
	if (ext)
		relay_ext_add(ext, relay_nconvs);
	relay_nconvs++;
	snprintf(body, sizeof(body), "{\"conversation\":\"c-%zu\",\"state\":\"queued\"}",
		 relay_nconvs);
	return relay_http_reply(wsi, 201, body);
}

static int relay_message(struct lws *wsi, const char *id, size_t idlen, json_t *doc)
{
	long idx = relay_conv_index(id, idlen);
	const char *from = json_string_value(json_object_get(doc, "from"));
	json_t *text = json_object_get(doc, "text");
	char at[TIME_RFC3339_LEN + 1], mid[32], conv[32], body[64];
	struct relay_ws *owner;

	if (idx < 0)
		return relay_http_error(wsi, 404, "not_found", "no such conversation");
	if (!from || strcmp(from, "customer") != 0 || !json_is_string(text) ||
	    json_string_length(text) == 0)
		return relay_http_error(wsi, 400, "bad_request",
					"expected {\\\"from\\\":\\\"customer\\\",\\\"text\\\":...}");
	relay_seq++;
	time_format_rfc3339(time_now_ms(), at);
	snprintf(mid, sizeof(mid), "m-%lld", (long long)relay_seq);
	snprintf(conv, sizeof(conv), "c-%ld", idx + 1);
	owner = relay_convs[idx].owner;
	if (owner)
		relay_ws_queue_json(owner, json_pack(
			"{s:s, s:I, s:s, s:s, s:s, s:{s:{s:s, s:s, s:s, s:n, s:s, s:O, s:s}}}",
			"type", "event", "seq", (json_int_t)relay_seq, "kind", "message",
			"conv", conv, "at", at, "body", "message", "id", mid, "conv", conv,
			"from", "customer", "author", "kind", "public", "text", text,
			"at", at));
	snprintf(body, sizeof(body), "{\"message\":\"%s\"}", mid);
	return relay_http_reply(wsi, 202, body);
}

static int relay_http_post(struct lws *wsi, struct relay_http *h)
{
	static const char conv_prefix[] = "/v1/conversations/";
	json_error_t jerr;
	json_t *doc;
	const char *id, *slash;
	int rc;

	if (h->too_large)
		return relay_http_error(wsi, 413, "too_large", "the body is over 65536 bytes");
	doc = json_loadb(h->body.buf ? h->body.buf : "", h->body.len,
			 JSON_REJECT_DUPLICATES, &jerr);
	if (!json_is_object(doc)) {
		json_decref(doc);
		return relay_http_error(wsi, 400, "bad_request", "the body is not a JSON object");
	}
	if (strcmp(h->uri, "/v1/escalations") == 0) {
		rc = relay_escalation(wsi, doc);
	} else if (strncmp(h->uri, conv_prefix, sizeof(conv_prefix) - 1) == 0 &&
		   (slash = strchr(id = h->uri + sizeof(conv_prefix) - 1, '/')) &&
		   strcmp(slash, "/messages") == 0) {
		rc = relay_message(wsi, id, (size_t)(slash - id), doc);
	} else {
		rc = relay_http_error(wsi, 404, "not_found", "no such endpoint");
	}
	json_decref(doc);
	return rc;
}

static int relay_http_cb(struct lws *wsi, enum lws_callback_reasons reason, void *user,
			 void *in, size_t len)
{
	struct relay_http *h = user;

	switch (reason) {
	case LWS_CALLBACK_HTTP:
		snprintf(h->uri, sizeof(h->uri), "%s", (const char *)in);
		if (lws_hdr_total_length(wsi, WSI_TOKEN_POST_URI) > 0) {
			h->post = true;
			return 0;	/* the answer comes at BODY_COMPLETION */
		}
		if (strcmp(h->uri, "/healthz") == 0)
			return relay_http_reply(wsi, 200, "{\"ok\":true}");
		return relay_http_error(wsi, 404, "not_found", "no such endpoint");
	case LWS_CALLBACK_HTTP_BODY:
		if (h->body.len + len > RELAY_MAX_BODY)
			h->too_large = true;
		else
			sb_add(&h->body, in, len);
		return 0;
	case LWS_CALLBACK_HTTP_BODY_COMPLETION:
		return relay_http_post(wsi, h);
	case LWS_CALLBACK_HTTP_DROP_PROTOCOL:
		sb_free(&h->body);
		return 0;
	default:
		return lws_callback_http_dummy(wsi, reason, user, in, len);
	}
}

static const struct lws_protocols relay_protocols[] = {
	{ "http", relay_http_cb, sizeof(struct relay_http), 0, 0, NULL, 0 },
	{ "baton.v1", relay_ws_cb, sizeof(struct relay_ws), RELAY_RX_BUFFER, 0, NULL, 0 },
	{ NULL, NULL, 0, 0, 0, NULL, 0 }
};

static void relay_usage(FILE *f)
{
	fprintf(f, "usage: relay-lws [--host ADDR] [--port PORT] [--event-loop poll|libev]\n"
		"The bare libwebsockets relay bench/hub-load compares batond with\n"
		"(default 127.0.0.1:7302). SIGTERM or SIGINT stops it.\n");
}

int main(int argc, char **argv)
{
	struct lws_context_creation_info info;
	struct sigaction sa;
	const char *host = "127.0.0.1";
	long port = 7302;
	char *endp;
	int i, n = 0;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--host") == 0 && i + 1 < argc) {
			host = argv[++i];
		} else if (strcmp(argv[i], "--port") == 0 && i + 1 < argc) {
			errno = 0;
			port = strtol(argv[++i], &endp, 10);
			if (errno || *endp || port < 1 || port > 65535) {
				fprintf(stderr, "relay-lws: --port takes a number 1..65535\n");
				return 2;
			}
		} else if (strcmp(argv[i], "--event-loop") == 0 && i + 1 < argc) {
			i++;
			if (strcmp(argv[i], "libev") == 0) {
				relay_evlib = true;
			} else if (strcmp(argv[i], "poll") != 0) {
				fprintf(stderr, "relay-lws: --event-loop takes poll or libev\n");
				return 2;
			}
		} else if (strcmp(argv[i], "--help") == 0) {
			relay_usage(stdout);
			return 0;
		} else {
			fprintf(stderr, "relay-lws: unknown argument \"%s\"\n", argv[i]);
			relay_usage(stderr);
			return 2;
		}
	}

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = relay_on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	lws_set_log_level(LLL_ERR, NULL);
	memset(&info, 0, sizeof(info));
	info.port = (int)port;
	info.iface = host;
	info.protocols = relay_protocols;
	if (relay_evlib)
		info.options |= LWS_SERVER_OPTION_LIBEV;
	relay_ctx = lws_create_context(&info);
	if (!relay_ctx) {
		fprintf(stderr, "relay-lws: cannot listen on %s:%ld (in use? try another --port)\n",
			host, port);
		return 1;
	}
	fprintf(stderr, "relay-lws: listening on %s:%ld (%s)\n", host, port,
		relay_evlib ? "libev" : "poll");
	while (n >= 0 && !relay_stop)
		n = lws_service(relay_ctx, 0);
	lws_context_destroy(relay_ctx);
	return 0;
}
