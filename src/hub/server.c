/*
 * server.c: the lws context, the loop, and group commit.
 *
 * The loop is ours: `while (!stop) { server_service(); hub_flush(); }`:
 * one pass of lws's poll() loop, or of the libev loop we hand it (below). Every handler that runs
 * during a pass writes into one transaction, opened lazily by hub_begin().
 * What the handlers want to send (command results, welcomes, events, HTTP
 * answers) is "staged" in order. hub_flush() hands the pass's COMMIT to the
 * commit thread and keeps the stage as that batch; only once the COMMIT
 * (synchronous=FULL: its fsync) returned is the batch released to the
 * sessions, so nobody is ever told about something a crash could undo.
 *
 * While a COMMIT runs the loop goes on: it writes out the previous batch,
 * reads and parses, and defers whatever needs the store (hub_defer: frames,
 * HTTP requests, the tick) to the next hub_flush, which runs it all into the
 * next transaction. So one fsync is in flight at a time and the work of
 * everything that arrived during it is committed by the next one. The store
 * is never used by both threads: its guard makes any statement of the loop
 * thread wait for a COMMIT in flight.
 *
 * If a COMMIT fails, the transaction is rolled back, its HTTP requests get
 * 500 and sessions that were owed an answer are closed: clients resend their
 * commands unchanged and the (agent, cmd_id) table makes that safe.
 */
#include "baton/hub.h"
#include "baton/hub-sha256.h"
#include "baton/hub-stats.h"
#include "baton/hub-store.h"
#include "baton/text.h"

#include <dlfcn.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libwebsockets.h>

struct hub hub;

enum stage_kind { SE_SESSION, SE_EVENT, SE_HTTP };

struct stage_ent {
	struct stage_ent *next;
	enum stage_kind kind;
	struct hub_session *s;
	struct hub_http *h;
	struct hub_out *out;
	bool all, sups;
	char *audience;		/* ",ana,sam," */
};

static struct stage_ent *stage_head;
static struct stage_ent **stage_tail = &stage_head;
static bool webhook_kicked;
static lws_sorted_usec_list_t tick_sul;

struct def_ent;

/* The commit thread (see "the commit thread" below). */
static struct {
	pthread_t th;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool started;
	bool req, done, quit;	/* under mu */
	int rc;			/* under mu */
	int64_t us;		/* under mu */
	bool busy;		/* loop thread: a batch is committing */
	struct stage_ent *batch;	/* loop thread: its stage */
} cw = { .mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER };

/* ---- small shared helpers ---- */

int64_t hub_id_parse(const char *s, const char *prefix)
{
	size_t pl = strlen(prefix);
	int64_t n = 0;

	if (!s || strncmp(s, prefix, pl) != 0 || !s[pl] || strlen(s + pl) > 15)
		return -1;
	for (const char *p = s + pl; *p; p++) {
		if (*p < '0' || *p > '9')
			return -1;
		n = n * 10 + (*p - '0');
	}
	return n;
}

const char *hub_id_fmt(struct proto_arena *a, const char *prefix, int64_t n)
{
	char buf[40];

	snprintf(buf, sizeof buf, "%s%lld", prefix, (long long)n);
	return proto_arena_strdup(a, buf);
}

static void histo_add(uint64_t *buckets, uint64_t *n, int64_t us)
{
	int b = 0;

	while (b < 31 && (INT64_C(1) << b) < us)
		b++;
	buckets[b]++;
	(*n)++;
}

void hub_metrics_latency(int64_t us)
{
	histo_add(hub.m.lat_us, &hub.m.lat_n, us);
}

int64_t hub_metrics_quantile(const uint64_t *buckets, uint64_t n, double q)
{
	uint64_t want = (uint64_t)(q * (double)n), seen = 0;

	if (!n)
		return 0;
	for (int b = 0; b < 32; b++) {
		seen += buckets[b];
		if (seen > want || seen == n)
			return INT64_C(1) << b;
	}
	return INT64_C(1) << 31;
}

char *hub_token_new(void)
{
	char body[44];

	/* 43 base62 characters: about 256 bits. */
	rand_string(body, 43, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789");
	return xasprintf("bt_%s", body);
}

void hub_token_hash(const char *token, char out[65])
{
	sha256_hex(token, strlen(token), out);
}

struct hub_out *hub_out_new(const char *data, size_t len, int64_t seq)
{
	struct hub_out *o = xmalloc(sizeof *o + LWS_PRE + len + 1);

	o->next = NULL;
	o->seq = seq;
	o->len = len;
	memcpy(o->buf + LWS_PRE, data, len);
	o->buf[LWS_PRE + len] = '\0';
	return o;
}

/* A JSON string as jansson writes it (JSON_COMPACT, no ENSURE_ASCII):
 * only '"', '\\' and control characters are escaped. */
static void json_str_add(struct strbuf *sb, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	const char *run = s;

	sb_addc(sb, '"');
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		char esc[7] = { '\\', '\\' };
		size_t n = 2;
		if (c != '"' && c != '\\' && c >= 0x20)
			continue;
		sb_add(sb, run, (size_t)(s - run));
		run = s + 1;
		switch (c) {
		case '"': esc[1] = '"'; break;
		case '\\': break;
		case '\b': esc[1] = 'b'; break;
		case '\f': esc[1] = 'f'; break;
		case '\n': esc[1] = 'n'; break;
		case '\r': esc[1] = 'r'; break;
		case '\t': esc[1] = 't'; break;
		default:
			memcpy(esc, "\\u00", 4);
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 15];
			n = 6;
		}
		sb_add(sb, esc, n);
	}
	sb_add(sb, run, (size_t)(s - run));
	sb_addc(sb, '"');
}

static bool str_ok(const char *s)
{
	return s && text_utf8_valid(s, strlen(s));
}

/* The message event is most of what the hub sends. Built straight into a
 * buffer instead of a jansson tree and json_dumps (~9 % of the hub's CPU
 * under load), byte for byte what proto_frame_encode writes for it. Any
 * other frame, or a message event of another shape (a null where a string
 * is expected, text that is not UTF-8 and has to be repaired, another body
 * field), goes through proto_frame_encode: false. */
static bool message_event_encode(const struct proto_frame *f, struct strbuf *sb)
{
	const struct proto_event *ev = &f->u.event;
	const struct proto_message *m;
	struct proto_body only;
	char ts[TIME_RFC3339_LEN + 1];

	if (f->type != PROTO_FRAME_EVENT || ev->kind != PROTO_EV_MESSAGE || ev->m.nul || !ev->body ||
	    !str_ok(ev->conv) || !(m = ev->body->message))
		return false;
	memset(&only, 0, sizeof only);
	only.message = ev->body->message;
	if (memcmp(&only, ev->body, sizeof only) != 0)
		return false;
	if ((m->m.nul & ~(UINT64_C(1) << PF_message_author)) || !str_ok(m->id) || !str_ok(m->conv) ||
	    !str_ok(m->text) || (m->author ? !str_ok(m->author) : !PROTO_IS_NULL(m, message, author)))
		return false;
	sb_addf(sb, "{\"type\":\"event\",\"seq\":%lld,\"kind\":\"message\",\"conv\":", (long long)ev->seq);
	json_str_add(sb, ev->conv);
	time_format_rfc3339(ev->at, ts);
	sb_addf(sb, ",\"at\":\"%s\",\"body\":{\"message\":{\"id\":", ts);
	json_str_add(sb, m->id);
	sb_adds(sb, ",\"conv\":");
	json_str_add(sb, m->conv);
	sb_adds(sb, ",\"from\":");
	json_str_add(sb, PROTO_ENUM_STR(msg_from, m->from));
	sb_adds(sb, ",\"author\":");
	if (m->author)
		json_str_add(sb, m->author);
	else
		sb_adds(sb, "null");
	sb_adds(sb, ",\"kind\":");
	json_str_add(sb, PROTO_ENUM_STR(msg_kind, m->kind));
	sb_adds(sb, ",\"text\":");
	json_str_add(sb, m->text);
	time_format_rfc3339(m->at, ts);
	sb_addf(sb, ",\"at\":\"%s\"}}}", ts);
	return true;
}

struct hub_out *hub_out_frame(struct proto_frame *f, int64_t seq)
{
	static struct strbuf sb = STRBUF_INIT;	/* the loop's: kept between frames */
	struct hub_out *o;

	sb_reset(&sb);
	if (message_event_encode(f, &sb)) {
		o = hub_out_new(sb_str(&sb), sb.len, seq);
	} else {
		size_t len;
		char *s = proto_frame_encode(f, &len);
		o = hub_out_new(s, len, seq);
		free(s);
	}
	proto_frame_free(f);
	return o;
}

/* ---- the stage ---- */

static struct stage_ent *stage_add(enum stage_kind kind)
{
	struct stage_ent *e = xcalloc(1, sizeof *e);

	e->kind = kind;
	*stage_tail = e;
	stage_tail = &e->next;
	return e;
}

static void stage_ent_free(struct stage_ent *e)
{
	free(e->out);
	free(e->audience);
	free(e);
}

int hub_begin(void)
{
	if (hub.in_tx)
		return 0;
	if (hub_store_begin(hub.st) < 0) {
		log_error("store: cannot begin a transaction: %s", hub_store_errmsg(hub.st));
		return -1;
	}
	hub.in_tx = true;
	return 0;
}

int64_t hub_head(void)
{
	return hub.next_seq - 1;
}

static void aud_add(struct strbuf *sb, const char *id)
{
	char pat[80];

	if (!id || !*id)
		return;
	snprintf(pat, sizeof pat, ",%s,", id);
	if (sb->len && strstr(sb->buf, pat))
		return;
	if (!sb->len)
		sb_addc(sb, ',');
	sb_adds(sb, id);
	sb_addc(sb, ',');
}

static void aud_add_cb(const char *id, void *sb)
{
	aud_add(sb, id);
}

int hub_event(struct proto_frame *f, const struct hub_aud *aud)
{
	struct proto_event *ev = &f->u.event;
	struct strbuf who = STRBUF_INIT;
	struct stage_ent *e;
	struct hub_out *o;
	int64_t conv = -1;

	if (hub_begin() < 0)
		goto fail;
	ev->seq = hub.next_seq;
	ev->at = time_now_ms();
	for (int i = 0; i < 4 && aud->agents[i]; i++)
		aud_add(&who, aud->agents[i]);
	/* Every message event asks; there are seldom any: no JSON rows. */
	if (aud->monitors_of && hub_store_each_text(hub.st, aud_add_cb, &who, "SELECT agent FROM monitors WHERE conv = ?",
						    "i", hub_id_parse(aud->monitors_of, "c-")) < 0)
		goto fail;
	if (ev->conv)
		conv = hub_id_parse(ev->conv, "c-");
	int kind = ev->kind;
	int64_t at = ev->at;
	o = hub_out_frame(f, ev->seq);	/* frees f, and ev with it */
	f = NULL;
	ev = NULL;
	/* A message event's frame is not stored twice: the messages row has
	 * its text, so the row keeps the message's n and an empty frame. */
	if (hub_store_exec(hub.st, "INSERT INTO events(seq, kind, conv, at, to_all, to_sups, audience, frame, msg)"
		       " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", "isiiiissz", o->seq,
		       proto_enum_str(proto_enum_event_kind, kind), conv, at,
		       (int64_t)aud->all, (int64_t)aud->sups, sb_str(&who),
		       aud->msg > 0 ? "" : (const char *)o->buf + LWS_PRE, aud->msg > 0 ? aud->msg : (int64_t)0) < 0) {
		log_error("store: cannot record an event: %s", hub_store_errmsg(hub.st));
		free(o);
		goto fail;
	}
	hub.next_seq++;
	e = stage_add(SE_EVENT);
	e->out = o;
	e->all = aud->all;
	e->sups = aud->sups;
	e->audience = sb_take(&who);
	hub.m.events++;
	return 0;
fail:
	proto_frame_free(f);
	sb_free(&who);
	return -1;
}

void hub_stage_session(struct hub_session *s, struct hub_out *o)
{
	struct stage_ent *e = stage_add(SE_SESSION);

	e->s = s;
	e->out = o;
}

void hub_stage_http(struct hub_http *h)
{
	stage_add(SE_HTTP)->h = h;
}

void hub_webhook_kick(void)
{
	webhook_kicked = true;
}

void hub_mark_get(struct hub_mark *m)
{
	m->tail = stage_tail;
	m->next_seq = hub.next_seq;
}

void hub_mark_undo(const struct hub_mark *m)
{
	struct stage_ent **t = m->tail, *e = *t, *n;

	for (; e; e = n) {
		n = e->next;
		stage_ent_free(e);
	}
	*t = NULL;
	stage_tail = t;
	hub.next_seq = m->next_seq;
}

static void unstage_list(struct stage_ent *list, struct hub_session *s)
{
	for (struct stage_ent *e = list; e; e = e->next)
		if (e->s == s) {
			e->s = NULL;
			if (e->kind == SE_SESSION) {
				free(e->out);
				e->out = NULL;
			}
		}
}

void hub_unstage_session(struct hub_session *s)
{
	unstage_list(stage_head, s);
	unstage_list(cw.batch, s);
	hub_undefer(s);
}

void hub_unstage_http(struct hub_http *h)
{
	for (int k = 0; k < 2; k++)
		for (struct stage_ent *e = k ? cw.batch : stage_head; e; e = e->next)
			if (e->h == h)
				e->h = NULL;
	hub_undefer(h);
}

static bool aud_has(const char *aud, const char *id)
{
	size_t n = strlen(id);
	const char *p = aud;

	while ((p = strstr(p, id))) {
		if (p > aud && p[-1] == ',' && p[n] == ',')
			return true;
		p += n;
	}
	return false;
}

/* True while hub_flush releases a batch from the loop itself, outside any
 * lws callback: only then may a session be written to at once. (A release
 * can also happen inside a callback, when the store's guard waits for a
 * COMMIT; there the frames are queued, as always.) */
static bool release_direct;

bool hub_release_direct(void)
{
	return release_direct;
}

static void deliver(struct hub_session *s, struct hub_out *o)
{
	if (!s->agent || s->closing || o->seq <= s->last_seq)
		return;
	s->last_seq = o->seq;
	if (release_direct && session_write_now(s, o))
		return;
	session_queue(s, hub_out_new((const char *)o->buf + LWS_PRE, o->len, o->seq));
}

static void dispatch_event(const struct stage_ent *e)
{
	if (e->all || e->sups) {
		for (struct hub_session *s = hub.sessions; s; s = s->next_all)
			if (s->agent && (e->all || s->agent->role == PROTO_ROLE_SUPERVISOR ||
					 aud_has(e->audience, s->agent->id)))
				deliver(s, e->out);
		return;
	}
	/* Targeted: walk the named agents only (the hot path of messages). */
	const char *p = e->audience;
	while (p && *p == ',' && p[1]) {
		const char *q = strchr(p + 1, ',');
		char id[80];
		if (!q || (size_t)(q - p - 1) >= sizeof id)
			break;
		memcpy(id, p + 1, (size_t)(q - p - 1));
		id[q - p - 1] = '\0';
		struct hub_agent *a = hub_agent_find(id);	/* release never touches the store */
		if (a)
			for (struct hub_session *s = a->sessions; s; s = s->next_agent)
				deliver(s, e->out);
		p = q;
	}
}

/* ---- the commit thread ----
 *
 * COMMIT (and its fsync) runs here while the loop goes on reading, writing
 * and deferring; the batch's stage is released when it is done. Depth one:
 * the next pass's work waits for this COMMIT before it touches the store.
 */


static void *cw_main(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&cw.mu);
	for (;;) {
		while (!cw.req && !cw.quit)
			pthread_cond_wait(&cw.cv, &cw.mu);
		if (cw.quit)
			break;
		cw.req = false;
		pthread_mutex_unlock(&cw.mu);
		int64_t t0 = time_mono_us();
		int rc = hub_store_commit_background(hub.st);
		int64_t us = time_mono_us() - t0;
		pthread_mutex_lock(&cw.mu);
		cw.rc = rc;
		cw.us = us;
		cw.done = true;
		pthread_cond_broadcast(&cw.cv);
		/* Wake the loop (lws's pipe: safe from any thread). */
		if (hub.ctx)
			lws_cancel_service(hub.ctx);
	}
	pthread_mutex_unlock(&cw.mu);
	return NULL;
}

static void stage_release(struct stage_ent *e, bool ok)
{
	struct stage_ent *n;

	for (; e; e = n) {
		n = e->next;
		switch (e->kind) {
		case SE_SESSION:
			if (e->s && e->out) {
				if (ok) {
					session_queue(e->s, e->out);
					e->out = NULL;
				} else {
					session_abort(e->s);
				}
			}
			break;
		case SE_EVENT:
			if (ok)
				dispatch_event(e);
			break;
		case SE_HTTP:
			if (e->h) {
				if (ok)
					httpapi_ready(e->h);
				else
					httpapi_fail(e->h);
			}
			break;
		}
		stage_ent_free(e);
	}
}

/* Finishes the batch in flight: wait (or, if !wait, only if it is done),
 * then release its stage, or roll back. False if it is still running. */
static bool cw_finish(bool wait)
{
	int rc;
	int64_t us;

	if (!cw.busy)
		return true;
	pthread_mutex_lock(&cw.mu);
	while (!cw.done) {
		if (!wait) {
			pthread_mutex_unlock(&cw.mu);
			return false;
		}
		pthread_cond_wait(&cw.cv, &cw.mu);
	}
	cw.done = false;
	rc = cw.rc;
	us = cw.us;
	pthread_mutex_unlock(&cw.mu);
	cw.busy = false;
	histo_add(hub.m.commit_us, &hub.m.commit_n, us);
	if (rc < 0) {
		hub.m.commit_failures++;
		log_error("store: COMMIT failed (%s); the batch is rolled back and its clients will resend",
			  hub_store_errmsg(hub.st));
		hub_store_rollback(hub.st);
		int64_t max = 0;
		hub_store_int(hub.st, &max, "SELECT max(seq) FROM events", "");
		hub.next_seq = max + 1;
	} else {
		hub.m.commits++;
	}
	struct stage_ent *b = cw.batch;
	cw.batch = NULL;
	stage_release(b, rc == 0);
	return true;
}

/* The store's guard: a statement of the loop thread waits for a COMMIT in
 * flight. Work that can wait is deferred instead (hub_defer); this keeps
 * anything that was not correct, only slower. */
static void cw_guard(void)
{
	if (cw.busy)
		cw_finish(true);
}

static struct def_ent *def_head;

bool hub_committing(void)
{
	return cw.busy;
}

bool hub_db_busy(void)
{
	/* Also while earlier input waits in the defer list: later input must
	 * queue behind it, or a session's frames could run out of order. */
	return cw.busy || def_head != NULL;
}

static void cw_start(void)
{
	if (!cw.started) {
		if (pthread_create(&cw.th, NULL, cw_main, NULL) != 0) {
			/* No thread: commit here, as a plain group commit would. */
			int64_t t0 = time_mono_us();
			int rc = hub_store_commit(hub.st);
			pthread_mutex_lock(&cw.mu);
			cw.rc = rc;
			cw.us = time_mono_us() - t0;
			cw.done = true;
			pthread_mutex_unlock(&cw.mu);
			return;
		}
		cw.started = true;
	}
	pthread_mutex_lock(&cw.mu);
	cw.req = true;
	pthread_cond_broadcast(&cw.cv);
	pthread_mutex_unlock(&cw.mu);
}

static void cw_stop(void)
{
	cw_finish(true);
	if (!cw.started)
		return;
	pthread_mutex_lock(&cw.mu);
	cw.quit = true;
	pthread_cond_broadcast(&cw.cv);
	pthread_mutex_unlock(&cw.mu);
	pthread_join(cw.th, NULL);
	cw.started = false;
}

/* ---- deferred work: what arrived while a COMMIT was running ---- */

struct def_ent {
	struct def_ent *next;
	void (*fn)(void *owner, void *data);
	void (*free_data)(void *data);
	void *owner, *data;
};

static struct def_ent **def_tail = &def_head;
static bool tick_due;

void hub_defer(void (*fn)(void *owner, void *data), void *owner, void *data, void (*free_data)(void *data))
{
	struct def_ent *d = xcalloc(1, sizeof *d);

	d->fn = fn;
	d->owner = owner;
	d->data = data;
	d->free_data = free_data;
	*def_tail = d;
	def_tail = &d->next;
}

void hub_undefer(void *owner)
{
	for (struct def_ent *d = def_head; d; d = d->next)
		if (d->owner == owner) {
			d->fn = NULL;
			d->owner = NULL;
		}
}

static void server_tick_work(void);

static void def_run(void)
{
	struct def_ent *d;

	/* One entry at a time from the head: an entry may defer more (it will
	 * not, the store is free now, but the list stays consistent). */
	while ((d = def_head)) {
		def_head = d->next;
		if (!def_head)
			def_tail = &def_head;
		if (d->fn)
			d->fn(d->owner, d->data);
		if (d->free_data)
			d->free_data(d->data);
		free(d);
	}
	if (tick_due) {
		tick_due = false;
		server_tick_work();
	}
}

void hub_flush(void)
{
	struct stage_ent *e;

	hub.m.passes++;
	release_direct = true;
	bool done = !cw.busy || cw_finish(false);
	release_direct = false;
	if (!done)
		return;		/* still committing: inputs keep waiting in the defer list */
	/* The store is free and holds no uncommitted work of an earlier batch:
	 * deliveries may start (a webhook must not leave before its row is
	 * committed, so never with a transaction open). */
	if (!hub.in_tx && webhook_kicked) {
		webhook_kicked = false;
		webhook_run();
	}
	def_run();
	e = stage_head;
	stage_head = NULL;
	stage_tail = &stage_head;
	if (!hub.in_tx) {
		release_direct = true;
		stage_release(e, true);		/* read-only answers */
		release_direct = false;
		return;
	}
	hub.in_tx = false;
	cw.batch = e;
	cw.busy = true;
	cw_start();
}

/* Commits everything and waits (shutdown). */
static void hub_flush_all(void)
{
	for (int i = 0; i < 10 && (cw.busy || hub.in_tx || def_head || stage_head); i++) {
		cw_finish(true);
		hub_flush();
	}
	cw_finish(true);
}

/* ---- the loop ---- */

static void server_tick_work(void)
{
	static unsigned ticks;

	session_tick();
	policy_expire();
	router_offline_sweep();
	if (++ticks % 10 == 0)
		policy_retention();
	webhook_run();
	if (hub.demo)
		demobot_tick();
}

static void server_tick(lws_sorted_usec_list_t *sul)
{
	/* While a COMMIT runs, the tick's store work waits for hub_flush. */
	if (cw.busy)
		tick_due = true;
	else
		server_tick_work();
	lws_sul_schedule(hub.ctx, 0, sul, server_tick, LWS_US_PER_SEC);
}

static void server_signal(int sig)
{
	(void)sig;
	hub.stop = 1;
	if (hub.ctx)
		lws_cancel_service(hub.ctx);	/* a write(2) to lws's pipe: safe here */
}

static void server_lws_log(int level, const char *line)
{
	size_t n = strlen(line);

	while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		n--;
	log_msg(level == LLL_ERR ? LOG_ERROR : LOG_INFO, "lws: %.*s", (int)n, line);
}

/*
 * lws's own loop calls poll() over every open socket on each pass: with
 * thousands of agents connected that walk is most of the hub's CPU. Its
 * libev plugin (Debian: libwebsockets-evlib-ev, a dependency of
 * libwebsockets-dev) waits with epoll instead. But lws 4.1's lws_service()
 * on libev runs ev_run() until the loop is broken, and our loop must get
 * control after every pass (hub_flush). So the loop is ours: a libev loop
 * handed to lws as a "foreign" loop, run one iteration at a time
 * (EVRUN_ONCE). libev is reached with dlopen, the copy lws's plugin uses:
 * batond links neither, and a hub installed without the plugin still runs,
 * on poll(), with one line in the log. BATOND_EVENT_LOOP=poll asks for
 * poll() outright.
 */
struct ev_loop;

#define SERVER_EVRUN_ONCE 2		/* ev.h: EVRUN_ONCE */
#define SERVER_EVBACKEND_EPOLL 0x4u	/* ev.h: EVBACKEND_EPOLL */
#define SERVER_EVFLAG_NOENV 0x01000000u	/* ev.h: EVFLAG_NOENV (ignore LIBEV_FLAGS) */

static struct {
	void *lib;
	struct ev_loop *loop;
	struct ev_loop *(*loop_new)(unsigned int flags);
	int (*run)(struct ev_loop *loop, int flags);
	void (*loop_destroy)(struct ev_loop *loop);
} sev;

static void server_ev_close(void)
{
	if (sev.loop)
		sev.loop_destroy(sev.loop);
	if (sev.lib)
		dlclose(sev.lib);
	memset(&sev, 0, sizeof sev);
}

static bool server_ev_open(void)
{
	sev.lib = dlopen("libev.so.4", RTLD_NOW | RTLD_LOCAL);
	if (!sev.lib)
		return false;
	*(void **)&sev.loop_new = dlsym(sev.lib, "ev_loop_new");
	*(void **)&sev.run = dlsym(sev.lib, "ev_run");
	*(void **)&sev.loop_destroy = dlsym(sev.lib, "ev_loop_destroy");
	if (!sev.loop_new || !sev.run || !sev.loop_destroy) {
		server_ev_close();
		return false;
	}
	sev.loop = sev.loop_new(SERVER_EVBACKEND_EPOLL | SERVER_EVFLAG_NOENV);
	if (!sev.loop)
		sev.loop = sev.loop_new(SERVER_EVFLAG_NOENV);	/* whatever it has */
	if (!sev.loop) {
		server_ev_close();
		return false;
	}
	return true;
}

static struct lws_context *server_context(struct lws_context_creation_info *info, int log_level)
{
	const char *want = getenv("BATOND_EVENT_LOOP");
	bool try_ev = !want || strcmp(want, "poll") != 0;
	struct lws_context *ctx;
	void *loops[1];

	if (try_ev && server_ev_open()) {
		loops[0] = sev.loop;
		info->foreign_loops = loops;
		info->options |= LWS_SERVER_OPTION_LIBEV;
		/* Quiet: a missing plugin is not an error, the fallback says it. */
		lws_set_log_level(0, server_lws_log);
		ctx = lws_create_context(info);
		lws_set_log_level(log_level, server_lws_log);
		info->foreign_loops = NULL;
		if (ctx) {
			hub.event_loop = "libev";
			return ctx;
		}
		info->options &= ~(uint64_t)LWS_SERVER_OPTION_LIBEV;
		server_ev_close();
	}
	ctx = lws_create_context(info);
	if (ctx) {
		hub.event_loop = "poll";
		if (try_ev)
			log_warn("libwebsockets' libev plugin is not available (install libwebsockets-evlib-ev): "
				 "using its poll() loop, which costs CPU per connected agent on every pass");
	}
	return ctx;
}

/* One pass: whatever is ready (waiting for something if nothing is). */
static int server_service(void)
{
	if (sev.loop) {
		sev.run(sev.loop, SERVER_EVRUN_ONCE);
		return 0;
	}
	return lws_service(hub.ctx, 0);
}

int server_run(char *err, size_t errlen)
{
	static struct lws_protocols protos[4];
	struct lws_context_creation_info info;
	struct sigaction sa;
	char addr[128];
	int port, ret = -1;
	int64_t max = 0;

	if (hub_listen_split(hub.cfg.listen, addr, sizeof addr, &port) < 0) {
		snprintf(err, errlen, "--listen %s: expected ADDR:PORT", hub.cfg.listen);
		return -1;
	}
	if (hub_store_int(hub.st, &max, "SELECT max(seq) FROM events", "") < 0) {
		snprintf(err, errlen, "%s", hub_store_errmsg(hub.st));
		return -1;
	}
	hub.next_seq = max + 1;
	hub.started_ms = time_now_ms();
	if (hub_stats_prepare(hub.st, err, errlen) < 0)
		return -1;
	hub.stats = hub_stats_new();
	hub_store_set_guard(hub.st, cw_guard);
	router_revalidate();	/* the baseline of PRAGMA data_version */
	router_offline_init();

	/* BATOND_LWS_LOG=<lws level bits> lets an operator see lws itself. */
	const char *lv = getenv("BATOND_LWS_LOG");
	int log_level = lv ? atoi(lv) : LLL_ERR;
	lws_set_log_level(log_level, server_lws_log);
	protos[0] = httpapi_protocol;
	protos[1] = session_protocol;
	protos[2] = webhook_protocol;
	memset(&protos[3], 0, sizeof protos[3]);

	memset(&info, 0, sizeof info);
	info.port = port;
	info.iface = (strcmp(addr, "*") == 0 || strcmp(addr, "0.0.0.0") == 0) ? NULL : addr;
	info.protocols = protos;
	info.options = LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT | LWS_SERVER_OPTION_DISABLE_IPV6;
	if (strchr(addr, ':'))
		info.options &= ~(uint64_t)LWS_SERVER_OPTION_DISABLE_IPV6;
	/* No retry_and_idle_policy: session.c pings and hangs up dead peers. */
	info.keepalive_timeout = 30;
	info.timeout_secs = 30;
	if (hub.cfg.cert) {
		info.ssl_cert_filepath = hub.cfg.cert;
		info.ssl_private_key_filepath = hub.cfg.key;
	}
	hub.ctx = server_context(&info, log_level);
	if (!hub.ctx) {
		snprintf(err, errlen, "cannot listen on %s (in use, or not an address of this host?)",
			 hub.cfg.listen);
		return -1;
	}
	hub.vh = lws_get_vhost_by_name(hub.ctx, "default");
	log_info("listening on %s:%d (%s, %s loop), event head %lld", addr,
		 hub.vh ? lws_get_vhost_listen_port(hub.vh) : port, hub.cfg.cert ? "wss/https" : "ws/http",
		 hub.event_loop, (long long)hub_head());

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = server_signal;	/* no SA_RESTART: poll() returns at once */
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	if (hub.cfg.demo && demobot_start(err, errlen) < 0)
		goto out;
	lws_sul_schedule(hub.ctx, 0, &tick_sul, server_tick, LWS_US_PER_SEC);
	hub_webhook_kick();
	hub_flush();

	while (!hub.stop) {
		if (server_service() < 0)
			break;
		hub_flush();
	}
	hub_flush_all();
	/* Say goodbye (close 1001) and give the closes up to two seconds to go out. */
	session_close_all();
	for (int64_t end = time_mono_us() + 2000000; hub.sessions && time_mono_us() < end;) {
		if (server_service() < 0)
			break;
		hub_flush();
	}
	hub_flush_all();
	log_info("shutting down after %llu loop passes, %llu commits (p50 %lld us), %llu events",
		 (unsigned long long)hub.m.passes, (unsigned long long)hub.m.commit_n,
		 (long long)hub_metrics_quantile(hub.m.commit_us, hub.m.commit_n, 0.5),
		 (unsigned long long)hub.m.events);
	ret = 0;
out:
	lws_sul_cancel(&tick_sul);
	demobot_stop();
	hub_flush_all();
	lws_context_destroy(hub.ctx);
	hub.ctx = NULL;
	server_ev_close();	/* after lws let go of the loop */
	hub_flush_all();
	cw_stop();
	hub_store_set_guard(hub.st, NULL);
	hub_stats_free(hub.stats);
	hub.stats = NULL;
	return ret;
}
