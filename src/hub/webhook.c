/*
 * webhook.c: durable webhooks to the bot's callback_url.
 *
 * A webhook is a row written in the same transaction as the change it
 * reports, so it exists exactly when the change does, and survives a
 * restart. Deliveries are lws client POSTs with an Idempotency-Key header
 * (the row's key: a retry carries the same one, so the bot can drop a copy).
 * A conversation's webhooks go out one at a time, in order (the bot must
 * see agent messages in the order the agent wrote them); a failure is
 * retried with exponential backoff (1 s, 2 s, 4 s … webhook_max_backoff_s)
 * until a 2xx. A callback_url of "demo:" goes to the in-process demo bot.
 */
#include "baton/hub.h"
#include "baton/hub-store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libwebsockets.h>

struct wh_job {
	int64_t n, conv;
	int attempts;
	int status;
	bool done;
	char *url, *type, *body, *key;
	size_t body_len;
	struct lws *wsi;
	struct wh_job *next;
};

static struct wh_job *jobs;
static int njobs;

static const char SQL_WH_CONV[] = "SELECT callback_url, external_id FROM conversations WHERE n = ?";
static const char SQL_WH_INSERT[] =
	"INSERT INTO webhooks(conv, url, type, body, idem_key, state, attempts, next_at, created_at)"
	" VALUES (?, ?, ?, ?, ?, 'pending', 0, ?, ?)";
static const char SQL_WH_DUE[] =
	"SELECT n, conv, url, type, body, idem_key, attempts FROM webhooks w"
	" WHERE state = 'pending' AND next_at <= ?"
	" AND n = (SELECT min(n) FROM webhooks x WHERE x.conv = w.conv AND x.state = 'pending')"
	" ORDER BY n LIMIT ?";
static const char SQL_WH_DONE[] =
	"UPDATE webhooks SET state = 'delivered', attempts = attempts + 1, done_at = ?, last_error = NULL"
	" WHERE n = ?";
static const char SQL_WH_RETRY[] =
	"UPDATE webhooks SET attempts = attempts + 1, next_at = ?, last_error = ? WHERE n = ?";

int webhook_queue(int64_t conv, const char *type, json_t *body)
{
	json_t *row = NULL;
	const char *url;
	char key[40], rnd[25], at[TIME_RFC3339_LEN + 1];
	char *text;
	int64_t now = time_now_ms();
	int rc = -1;

	if (hub_begin() < 0)
		goto out;
	if (hub_store_row(hub.st, &row, SQL_WH_CONV, "i", conv) < 0)
		goto out;
	url = row ? json_string_value(json_object_get(row, "callback_url")) : NULL;
	if (!url) {
		rc = 0;	/* a bot that gave no callback_url polls instead */
		goto out;
	}
	rand_string(rnd, 24, "abcdefghijklmnopqrstuvwxyz0123456789");
	snprintf(key, sizeof key, "wh-%s", rnd);
	time_format_rfc3339(now, at);
	json_object_set_new(body, "type", json_string(type));
	json_object_set_new(body, "conversation", json_sprintf("c-%lld", (long long)conv));
	json_object_set(body, "external_id", json_object_get(row, "external_id"));
	json_object_set_new(body, "at", json_string(at));
	text = json_dumps(body, JSON_COMPACT);
	rc = hub_store_exec(hub.st, SQL_WH_INSERT, "issssii", conv, url, type, text, key, now, now) < 0 ? -1 : 0;
	free(text);
	if (rc == 0)
		hub_webhook_kick();
out:
	json_decref(row);
	json_decref(body);
	return rc;
}

static void job_free(struct wh_job *j)
{
	free(j->url);
	free(j->type);
	free(j->body);
	free(j->key);
	free(j);
}

static void job_unlink(struct wh_job *j)
{
	for (struct wh_job **pp = &jobs; *pp; pp = &(*pp)->next)
		if (*pp == j) {
			*pp = j->next;
			njobs--;
			return;
		}
}

/* Records the outcome (in the pass's transaction) and forgets the job. */
static void job_finish(struct wh_job *j, bool ok, const char *why)
{
	int64_t now = time_now_ms();

	if (j->done)
		return;
	j->done = true;
	if (j->wsi)
		lws_set_opaque_user_data(j->wsi, NULL);
	job_unlink(j);
	if (hub_begin() == 0) {
		if (ok) {
			hub_store_exec(hub.st, SQL_WH_DONE, "ii", now, j->n);
			hub.m.webhook_sent++;
			log_info("webhook %s for c-%lld delivered (attempt %d)", j->type, (long long)j->conv,
				 j->attempts + 1);
		} else {
			int shift = j->attempts < 20 ? j->attempts : 20;
			int64_t delay = (INT64_C(1000) << shift);
			if (delay > (int64_t)hub.cfg.webhook_max_backoff_s * 1000)
				delay = (int64_t)hub.cfg.webhook_max_backoff_s * 1000;
			delay += rand_below((uint32_t)(delay / 4 + 1));	/* jitter: no thundering herd */
			hub_store_exec(hub.st, SQL_WH_RETRY, "isi", now + delay, why, j->n);
			hub.m.webhook_retries++;
			log_warn("webhook %s for c-%lld failed (attempt %d: %s); retry in %lld ms", j->type,
				 (long long)j->conv, j->attempts + 1, why, (long long)delay);
		}
	}
	hub_webhook_kick();
	job_free(j);
}

static bool conv_busy(int64_t conv)
{
	for (struct wh_job *j = jobs; j; j = j->next)
		if (j->conv == conv)
			return true;
	return false;
}

static void job_start(struct wh_job *j)
{
	struct lws_client_connect_info i;
	const char *prot, *ads, *path;
	char *copy, pathbuf[1024];
	int port;

	if (strncmp(j->url, "demo:", 5) == 0) {
		json_t *body = json_loads(j->body, 0, NULL);
		demobot_webhook(j->type, body);
		json_decref(body);
		job_finish(j, true, NULL);
		return;
	}
	copy = xstrdup(j->url);
	if (lws_parse_uri(copy, &prot, &ads, &port, &path) ||
	    (strcmp(prot, "http") != 0 && strcmp(prot, "https") != 0)) {
		free(copy);
		job_finish(j, false, "callback_url is not an http(s) URL");
		return;
	}
	snprintf(pathbuf, sizeof pathbuf, "/%s", path);
	memset(&i, 0, sizeof i);
	i.context = hub.ctx;
	i.address = ads;
	i.port = port;
	i.path = pathbuf;
	i.host = ads;
	i.origin = ads;
	i.method = "POST";
	i.alpn = "http/1.1";
	i.ssl_connection = strcmp(prot, "https") == 0 ? LCCSCF_USE_SSL : 0;
	i.local_protocol_name = "baton-webhook";
	i.opaque_user_data = j;
	i.pwsi = &j->wsi;
	if (!lws_client_connect_via_info(&i)) {
		j->wsi = NULL;
		free(copy);
		/* The failure callback may already have finished the job. */
		for (struct wh_job *k = jobs; k; k = k->next)
			if (k == j) {
				job_finish(j, false, "cannot connect");
				break;
			}
		return;
	}
	free(copy);
}

void webhook_run(void)
{
	json_t *rows, *r;
	size_t i;
	int room = hub.cfg.webhook_inflight - njobs;

	if (room <= 0 || !hub.ctx)
		return;
	/* Only committed webhooks may leave: with work of this pass (or a
	 * COMMIT) in flight, wait for hub_flush to call again. */
	if (hub.in_tx || hub_committing()) {
		hub_webhook_kick();
		return;
	}
	rows = hub_store_rows(hub.st, SQL_WH_DUE, "ii", time_now_ms(), (int64_t)room + njobs);
	if (!rows)
		return;
	json_array_foreach(rows, i, r) {
		int64_t conv = json_integer_value(json_object_get(r, "conv"));
		if (njobs >= hub.cfg.webhook_inflight)
			break;
		if (conv_busy(conv))
			continue;
		struct wh_job *j = xcalloc(1, sizeof *j);
		j->n = json_integer_value(json_object_get(r, "n"));
		j->conv = conv;
		j->attempts = (int)json_integer_value(json_object_get(r, "attempts"));
		j->url = xstrdup(json_string_value(json_object_get(r, "url")));
		j->type = xstrdup(json_string_value(json_object_get(r, "type")));
		j->body = xstrdup(json_string_value(json_object_get(r, "body")));
		j->body_len = strlen(j->body);
		j->key = xstrdup(json_string_value(json_object_get(r, "idem_key")));
		j->next = jobs;
		jobs = j;
		njobs++;
		job_start(j);
	}
	json_decref(rows);
}

static int webhook_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
	struct wh_job *j = lws_get_opaque_user_data(wsi);
	(void)user;

	switch (reason) {
	case LWS_CALLBACK_CLIENT_APPEND_HANDSHAKE_HEADER: {
		unsigned char **p = (unsigned char **)in, *end = (*p) + len;
		if (!j)
			return -1;
		if (lws_add_http_header_by_name(wsi, (const unsigned char *)"content-type:",
						(const unsigned char *)"application/json", 16, p, end) ||
		    lws_add_http_header_by_name(wsi, (const unsigned char *)"idempotency-key:",
						(const unsigned char *)j->key, (int)strlen(j->key), p, end) ||
		    lws_add_http_header_by_name(wsi, (const unsigned char *)"user-agent:",
						(const unsigned char *)"batond/" BATON_VERSION,
						(int)strlen("batond/" BATON_VERSION), p, end) ||
		    lws_add_http_header_content_length(wsi, j->body_len, p, end))
			return -1;
		lws_client_http_body_pending(wsi, 1);
		lws_callback_on_writable(wsi);
		return 0;
	}
	case LWS_CALLBACK_CLIENT_HTTP_WRITEABLE: {
		if (!j)
			return -1;
		unsigned char *buf = xmalloc(LWS_PRE + j->body_len);
		memcpy(buf + LWS_PRE, j->body, j->body_len);
		int n = lws_write(wsi, buf + LWS_PRE, j->body_len, LWS_WRITE_HTTP_FINAL);
		free(buf);
		if (n < 0)
			return -1;
		lws_client_http_body_pending(wsi, 0);
		return 0;
	}
	case LWS_CALLBACK_ESTABLISHED_CLIENT_HTTP:
		if (j)
			j->status = (int)lws_http_client_http_response(wsi);
		return 0;
	case LWS_CALLBACK_RECEIVE_CLIENT_HTTP: {
		char buffer[1024 + LWS_PRE], *px = buffer + LWS_PRE;
		int lenx = sizeof buffer - LWS_PRE;
		if (lws_http_client_read(wsi, &px, &lenx) < 0)
			return -1;
		return 0;
	}
	case LWS_CALLBACK_RECEIVE_CLIENT_HTTP_READ:
		return 0;	/* the bot's answer body does not matter */
	case LWS_CALLBACK_COMPLETED_CLIENT_HTTP:
		if (j) {
			char why[48];
			snprintf(why, sizeof why, "HTTP %d", j->status);
			job_finish(j, j->status >= 200 && j->status < 300, why);
		}
		return -1;	/* one request per connection */
	case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
		if (j) {
			char why[160];
			snprintf(why, sizeof why, "%.150s", in ? (const char *)in : "connection failed");
			job_finish(j, false, why);
		}
		return 0;
	case LWS_CALLBACK_CLOSED_CLIENT_HTTP:
		if (j) {
			char why[48];
			snprintf(why, sizeof why, "closed after HTTP %d", j->status);
			job_finish(j, j->status >= 200 && j->status < 300, why);
		}
		return 0;
	default:
		return 0;
	}
}

const struct lws_protocols webhook_protocol = {
	.name = "baton-webhook",
	.callback = webhook_callback,
	.per_session_data_size = 0,
	.rx_buffer_size = 0,
};
