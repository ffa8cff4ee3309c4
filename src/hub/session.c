/*
 * session.c: one agent's or supervisor's baton.v1 stream.
 *
 * A session starts unauthenticated; its first frame must be a good hello
 * (token in the frame or in the handshake's Authorization: Bearer), else it
 * gets error/unauthorized and close 4401. The welcome is followed by the
 * replay of the events after `since` that this agent may see, or by a
 * snapshot; then live events. Everything a handler produces is staged and
 * leaves after the pass's COMMIT (server.c); frames go out one per
 * WRITEABLE callback from the session's queue.
 */
#include "baton/hub.h"
#include "baton/hub-stats.h"
#include "baton/hub-store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libwebsockets.h>

#define SESSION_HELLO_TIMEOUT_US (10 * 1000000)
#define SESSION_QUEUE_MAX 30000	/* frames (a full replay fits); a consumer further behind is dropped */
#define SESSION_CLOSE_UNAUTHORIZED 4401
/* Dead peers: ping after 15 s of silence, hang up after 30 s without a frame
 * or pong (the protocol promises 35 s). Ours, not lws's retry policy: that
 * keeps a timer per connection in one sorted list, and every HTTP request's
 * timeout was inserted by walking it, past all 5,000 idle agents' timers
 * (half the hub's CPU with them connected). */
#define SESSION_PING_US (15 * INT64_C(1000000))
#define SESSION_HANGUP_US (30 * INT64_C(1000000))

struct session_pss {
	struct hub_session *s;
};

void session_queue(struct hub_session *s, struct hub_out *o)
{
	if (s->closing || (s->close_code && s->close_code != SESSION_CLOSE_UNAUTHORIZED)) {
		free(o);
		return;
	}
	if (s->qlen >= SESSION_QUEUE_MAX) {
		free(o);
		log_warn("session %s (%s): %zu frames unsent; dropping the slow connection", s->id,
			 s->agent ? s->agent->id : "-", s->qlen);
		s->close_code = LWS_CLOSE_STATUS_POLICY_VIOLATION;
		snprintf(s->close_reason, sizeof s->close_reason, "too slow; reconnect with since");
		lws_callback_on_writable(s->wsi);
		return;
	}
	if (s->qtail)
		s->qtail->next = o;
	else
		s->qhead = o;
	s->qtail = o;
	s->qlen++;
	lws_callback_on_writable(s->wsi);
}

bool session_write_now(struct hub_session *s, struct hub_out *o)
{
	struct lws *wsi = s->wsi;
	int n;

	/* Only a plain ws connection with nothing queued before this frame
	 * whose socket takes it now (lws_send_pipe_choked also re-arms lws's
	 * back-to-back write check). h2 streams and TLS keep the WRITEABLE
	 * path. A frame lws cannot send whole is kept in its buflist and sent
	 * before anything else. */
	if (s->qhead || s->close_code || s->closing || lws_get_network_wsi(wsi) != wsi || lws_is_ssl(wsi) ||
	    lws_send_pipe_choked(wsi))
		return false;
	n = lws_write(wsi, o->buf + LWS_PRE, o->len, LWS_WRITE_TEXT);
	if (n < 0) {
		/* The socket is gone: close it on lws's next pass. */
		s->closing = true;
		lws_set_timeout(wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
	}
	return true;
}

static void session_queue_clear(struct hub_session *s)
{
	struct hub_out *o, *n;

	for (o = s->qhead; o; o = n) {
		n = o->next;
		free(o);
	}
	s->qhead = s->qtail = NULL;
	s->qlen = 0;
}

void session_error(struct hub_session *s, int code, const char *msg, int close_code)
{
	struct proto_frame *f = proto_frame_new(PROTO_FRAME_ERROR);

	f->u.error.code = proto_enum_str(proto_enum_error_code, code);
	f->u.error.message = proto_arena_strdup(f->arena, msg);
	if (close_code) {
		/* Not staged: an error says nothing about the store, and it must
		 * be out before the close. */
		session_queue(s, hub_out_frame(f, 0));
		s->close_code = close_code;
		snprintf(s->close_reason, sizeof s->close_reason, "%s",
			 proto_enum_str(proto_enum_error_code, code));
	} else {
		hub_stage_session(s, hub_out_frame(f, 0));
	}
}

void session_abort(struct hub_session *s)
{
	session_queue_clear(s);
	s->close_code = LWS_CLOSE_STATUS_UNEXPECTED_CONDITION;
	snprintf(s->close_reason, sizeof s->close_reason, "store failure; reconnect and resend");
	lws_callback_on_writable(s->wsi);
}

void session_close_all(void)
{
	for (struct hub_session *s = hub.sessions; s; s = s->next_all) {
		s->close_code = LWS_CLOSE_STATUS_GOINGAWAY;
		snprintf(s->close_reason, sizeof s->close_reason, "hub shutting down");
		lws_callback_on_writable(s->wsi);
	}
}

/* ---- welcome, replay, snapshot ---- */

static const char SQL_REPLAY[] =
	"SELECT e.seq, e.frame, e.at, e.conv, e.msg, m.sender, m.author, m.kind, m.text, m.at AS mat"
	" FROM events e LEFT JOIN messages m ON m.n = e.msg WHERE e.seq > ? AND e.seq <= ?"
	" AND (e.to_all = 1 OR (e.to_sups = 1 AND ? = 1) OR instr(e.audience, ?) > 0) ORDER BY e.seq";
/* A snapshot lists the head of the queue; queue_total says how long it is. */
static const char SQL_QUEUE[] =
	"SELECT n FROM conversations WHERE state = 'queued' ORDER BY priority, sla_due_at, n LIMIT 500";
static const char SQL_QUEUE_TOTAL[] = "SELECT count(*) FROM conversations WHERE state = 'queued'";
static const char SQL_MINE[] =
	"SELECT n FROM conversations WHERE assignee = ? AND state = 'assigned'"
	" UNION SELECT m.conv FROM monitors m JOIN conversations c ON c.n = m.conv"
	"  WHERE m.agent = ? AND c.state = 'assigned' ORDER BY 1";
static const char SQL_APPROVALS_ALL[] =
	"SELECT n FROM approvals WHERE state = 'pending' ORDER BY n";
static const char SQL_APPROVALS_MINE[] =
	"SELECT n FROM approvals WHERE state = 'pending' AND requested_by = ? ORDER BY n";
static const char SQL_AGENTS[] =
	"SELECT id FROM agents WHERE role != 'bot' ORDER BY id";

static void conv_list(struct proto_arena *a, struct proto_conversation_arr *out, json_t *rows,
		      enum conv_view view)
{
	size_t i, k = 0;
	json_t *r;

	out->v = proto_arena_alloc(a, (json_array_size(rows) + 1) * sizeof *out->v);
	json_array_foreach(rows, i, r) {
		struct proto_conversation *c = router_conv(a, json_integer_value(json_object_get(r, "n")), view);
		if (c)
			out->v[k++] = *c;
	}
	out->n = k;
}

static int session_snapshot(struct hub_session *s, int64_t head)
{
	struct hub_agent *ag = s->agent;
	bool sup = ag->role == PROTO_ROLE_SUPERVISOR;
	struct proto_frame *f = proto_frame_new(PROTO_FRAME_SNAPSHOT);
	struct proto_snapshot *sn = &f->u.snapshot;
	json_t *rows;
	size_t i, k;
	json_t *r;

	sn->upto = head;
	PROTO_SET(sn, snapshot, upto);
	if (!(rows = hub_store_rows(hub.st, SQL_QUEUE, "")))
		goto fail;
	conv_list(f->arena, &sn->queue, rows, CONV_VIEW_QUEUE);
	json_decref(rows);
	if (hub_store_int(hub.st, &sn->queue_total, SQL_QUEUE_TOTAL, "") < 0)
		goto fail;
	PROTO_SET(sn, snapshot, queue_total);
	if (!(rows = hub_store_rows(hub.st, SQL_MINE, "ss", ag->id, ag->id)))
		goto fail;
	conv_list(f->arena, &sn->mine, rows, CONV_VIEW_OWNER);
	json_decref(rows);
	rows = sup ? hub_store_rows(hub.st, SQL_APPROVALS_ALL, "") : hub_store_rows(hub.st, SQL_APPROVALS_MINE, "s", ag->id);
	if (!rows)
		goto fail;
	sn->approvals.v = proto_arena_alloc(f->arena, (json_array_size(rows) + 1) * sizeof *sn->approvals.v);
	k = 0;
	json_array_foreach(rows, i, r) {
		struct proto_approval *ap = policy_approval(f->arena, json_integer_value(json_object_get(r, "n")));
		if (ap)
			sn->approvals.v[k++] = *ap;
	}
	sn->approvals.n = k;
	PROTO_SET(sn, snapshot, approvals);
	json_decref(rows);
	if (sup) {
		if (!(rows = hub_store_rows(hub.st, SQL_AGENTS, "")))
			goto fail;
		sn->agents.v = proto_arena_alloc(f->arena, (json_array_size(rows) + 1) * sizeof *sn->agents.v);
		k = 0;
		json_array_foreach(rows, i, r) {
			struct hub_agent *a = hub_agent_get(json_string_value(json_object_get(r, "id")));
			if (a)
				sn->agents.v[k++] = *router_presence(f->arena, a);
		}
		sn->agents.n = k;
		PROTO_SET(sn, snapshot, agents);
		json_decref(rows);
	}
	hub_stage_session(s, hub_out_frame(f, 0));
	return 0;
fail:
	log_error("session %s: snapshot failed: %s", s->id, hub_store_errmsg(hub.st));
	proto_frame_free(f);
	return -1;
}

static int session_replay(struct hub_session *s, int64_t since, int64_t head)
{
	char pat[80];
	json_t *rows, *r;
	size_t i;

	snprintf(pat, sizeof pat, ",%s,", s->agent->id);
	rows = hub_store_rows(hub.st, SQL_REPLAY, "iiis", since, head,
			  (int64_t)(s->agent->role == PROTO_ROLE_SUPERVISOR), pat);
	if (!rows) {
		log_error("session %s: replay failed: %s", s->id, hub_store_errmsg(hub.st));
		return -1;
	}
	json_array_foreach(rows, i, r) {
		const char *frame = json_string_value(json_object_get(r, "frame"));
		int64_t seq = json_integer_value(json_object_get(r, "seq"));
		json_t *msg = json_object_get(r, "msg");
		if (!json_is_integer(msg)) {
			hub_stage_session(s, hub_out_new(frame, strlen(frame), seq));
			continue;
		}
		/* A message event: its frame again, from the message's row,
		 * as hub_event encoded it. */
		const char *text = json_string_value(json_object_get(r, "text"));
		if (!text) {
			log_error("session %s: event %lld names message m-%lld, which is not in the store", s->id,
				  (long long)seq, (long long)json_integer_value(msg));
			continue;
		}
		struct proto_frame *f = router_message_frame(json_integer_value(json_object_get(r, "conv")),
							     json_integer_value(msg),
							     json_string_value(json_object_get(r, "sender")),
							     json_string_value(json_object_get(r, "author")),
							     json_string_value(json_object_get(r, "kind")), text,
							     json_integer_value(json_object_get(r, "mat")));
		f->u.event.seq = seq;
		f->u.event.at = json_integer_value(json_object_get(r, "at"));
		hub_stage_session(s, hub_out_frame(f, seq));	/* frees f */
	}
	json_decref(rows);
	return 0;
}

static void session_hello(struct hub_session *s, const struct proto_hello *h)
{
	const char *token = h->token ? h->token : s->hdr_token;
	struct hub_agent *a = token ? hub_agent_by_token(token) : NULL;
	struct proto_frame *f;
	struct proto_welcome *w;
	int64_t head;
	bool replay;

	if (!a || a->role == PROTO_ROLE_BOT) {
		log_info("session %s: hello refused (%s)", s->id, !token ? "no token" :
			 a ? "a bot token cannot open a stream" : "unknown token");
		session_error(s, PROTO_ERR_UNAUTHORIZED,
			      !token ? "hello needs a token (in the frame or Authorization: Bearer)"
				     : "the token is not valid here; ask an operator for an agent token",
			      SESSION_CLOSE_UNAUTHORIZED);
		return;
	}
	s->agent = a;
	hub_token_hash(token, s->token_hash);
	router_session_up(s);
	/* After the store was touched: a COMMIT in flight has finished by now,
	 * and a failed one has already reset the numbering. */
	head = hub_head();
	replay = PROTO_HAS(h, hello, since) && h->since <= head &&
		 head - h->since <= hub.cfg.replay_max;
	if (replay && h->since < head) {
		/* Retention may have pruned what follows since: then a snapshot. */
		int64_t first = 0;
		if (hub_store_int(hub.st, &first, "SELECT min(seq) FROM events", "") < 0 || first > h->since + 1)
			replay = false;
	}

	f = proto_frame_new(PROTO_FRAME_WELCOME);
	w = &f->u.welcome;
	w->v = PROTO_VERSION;
	w->session = s->id;
	w->agent = PROTO_NEW(f->arena, agent);
	w->agent->id = a->id;
	w->agent->name = a->name;
	w->agent->role = a->role;
	w->agent->skills.v = (const char **)a->skills;
	w->agent->skills.n = a->nskills;
	PROTO_SET(w->agent, agent, skills);
	w->limits = PROTO_NEW(f->arena, limits);
	w->limits->discount_percent_max = hub.cfg.cap_percent[a->role];
	w->limits->discount_amount_max_minor = hub.cfg.cap_amount_minor[a->role];
	w->limits->currency = hub.cfg.currency;
	w->limits->max_frame_bytes = hub.cfg.max_frame_bytes;
	w->limits->max_active = a->max_active;
	w->head = head;
	w->resume = replay ? PROTO_RESUME_REPLAY : PROTO_RESUME_SNAPSHOT;
	hub_stage_session(s, hub_out_frame(f, 0));
	s->last_seq = head;
	log_info("session %s: %s (%s) connected, %s from %lld", s->id, a->id,
		 proto_enum_str(proto_enum_role, a->role), replay ? "replay" : "snapshot",
		 replay ? (long long)h->since : (long long)head);
	if (replay ? session_replay(s, h->since, head) : session_snapshot(s, head))
		session_error(s, PROTO_ERR_INTERNAL, "the hub could not read its store; reconnect",
			      LWS_CLOSE_STATUS_UNEXPECTED_CONDITION);
}

/* ---- typing ---- */

void session_typing_relay(int64_t conv, const char *assignee, bool on, int from, struct hub_agent *typist)
{
	/* Ephemeral: to the owner and the monitors, never back to the typist. */
	json_t *mons = hub_store_rows(hub.st, "SELECT agent FROM monitors WHERE conv = ?", "i", conv);
	json_t *ids = json_array(), *m;
	char id[32];
	size_t i;

	snprintf(id, sizeof id, "c-%lld", (long long)conv);
	if (assignee)
		json_array_append_new(ids, json_string(assignee));
	json_array_foreach(mons, i, m)
		json_array_append(ids, json_object_get(m, "agent"));
	json_decref(mons);
	json_array_foreach(ids, i, m) {
		struct hub_agent *a = hub_agent_find(json_string_value(m));
		if (!a || a == typist)
			continue;
		for (struct hub_session *o = a->sessions; o; o = o->next_agent) {
			struct proto_frame *f = proto_frame_new(PROTO_FRAME_TYPING);
			f->u.typing.conv = proto_arena_strdup(f->arena, id);
			f->u.typing.on = on;
			PROTO_SET(&f->u.typing, typing, on);
			f->u.typing.from = from;
			PROTO_SET(&f->u.typing, typing, from);
			if (typist)
				f->u.typing.agent = typist->id;
			session_queue(o, hub_out_frame(f, 0));
		}
	}
	json_decref(ids);
}

static void session_typing(struct hub_session *s, const struct proto_typing *t)
{
	int64_t conv = hub_id_parse(t->conv, "c-"), ok = 0;
	json_t *row = NULL;
	const char *assignee;

	if (conv < 0)
		return;
	if (hub_store_row(hub.st, &row, "SELECT assignee FROM conversations WHERE n = ? AND state = 'assigned'",
		      "i", conv) != 1)
		return;
	assignee = json_string_value(json_object_get(row, "assignee"));
	if (assignee && strcmp(assignee, s->agent->id) == 0)
		ok = 1;
	else
		hub_store_int(hub.st, &ok, "SELECT count(*) FROM monitors WHERE conv = ? AND agent = ?", "is",
			  conv, s->agent->id);
	if (ok)
		session_typing_relay(conv, assignee, t->on, PROTO_FROM_AGENT, s->agent);
	json_decref(row);
}

/* ---- frames in ---- */

static void session_frame(struct hub_session *s, const char *buf, size_t len, int64_t t0)
{
	struct proto_err err;
	struct proto_frame *f = proto_frame_decode(buf, len, (size_t)hub.cfg.max_frame_bytes, &err);

	if (!s->agent) {
		if (!f || f->type != PROTO_FRAME_HELLO) {
			if (!f && err.code == PROTO_ERR_UNSUPPORTED_VERSION)
				session_error(s, err.code, err.msg, LWS_CLOSE_STATUS_POLICY_VIOLATION);
			else
				session_error(s, PROTO_ERR_UNAUTHORIZED,
					      "the first frame must be a hello with a valid token",
					      SESSION_CLOSE_UNAUTHORIZED);
			goto out;
		}
		session_hello(s, &f->u.hello);
		goto out;
	}
	/* Every frame costs a token of the agent's bucket; a command over the
	 * limit is answered rate_limited (ops.c), anything else is dropped. */
	if ((!f || f->type != PROTO_FRAME_CMD) && !ops_rate_ok(s->agent)) {
		hub.m.cmds_bad++;
		goto out;
	}
	if (!f) {
		hub.m.cmds_bad++;
		if (err.cmd_id[0]) {
			hub_stage_session(s, hub_out_frame(ops_rejected(err.cmd_id, err.code, "%s", err.msg), 0));
		} else {
			session_error(s, err.code, err.msg, 0);
		}
		goto out;
	}
	switch (f->type) {
	case PROTO_FRAME_CMD:
		ops_exec(s, &f->u.cmd, t0);
		break;
	case PROTO_FRAME_TYPING:
		session_typing(s, &f->u.typing);
		break;
	case PROTO_FRAME_HELLO:
		session_error(s, PROTO_ERR_BAD_REQUEST, "already authenticated: hello comes once", 0);
		break;
	default: {
		char msg[120];
		snprintf(msg, sizeof msg, "type: a client does not send \"%s\" frames; send cmd or typing",
			 proto_enum_str(proto_enum_frame_type, f->type));
		session_error(s, PROTO_ERR_BAD_REQUEST, msg, 0);
		break;
	}
	}
out:
	proto_frame_free(f);
}

/* A frame that arrived while the store was busy committing. */
struct session_later {
	int64_t t0;
	size_t len;
	char buf[];
};

static void session_frame_later(void *owner, void *data)
{
	struct session_later *l = data;

	session_frame(owner, l->buf, l->len, l->t0);
}

/* ---- stats (supervisors, once a second; the figures are stats.c's) ---- */

struct stats_agents {
	struct hub_stats_agent *v;
	size_t n, cap;
};

static void stats_collect(struct hub_agent *a, void *arg)
{
	struct stats_agents *sa = arg;

	if (a->role == PROTO_ROLE_BOT)
		return;
	if (sa->n == sa->cap) {
		sa->cap = sa->cap ? sa->cap * 2 : 64;
		sa->v = xrealloc(sa->v, sa->cap * sizeof *sa->v);
	}
	sa->v[sa->n].id = a->id;
	sa->v[sa->n].status = a->nconn ? a->status : PROTO_PRES_OFFLINE;
	sa->n++;
}

static void session_stats(void)
{
	static int64_t warned_ms;
	struct stats_agents sa = { NULL, 0, 0 };
	struct proto_frame *f;
	char err[256];
	int64_t now = time_now_ms();

	if (!hub.stats)
		return;
	/* Every second, supervisors or not, so the history has no holes. */
	hub_agents_each(stats_collect, &sa);
	if (hub_stats_update(hub.stats, hub.st, sa.v, sa.n, now, err, sizeof err) < 0 &&
	    now - warned_ms > 60000) {
		warned_ms = now;
		log_warn("stats: %s", err);
	}
	free(sa.v);
	/* One DELTA for those who have their FULL pages; it also clears the
	 * changed marks, so it is taken every tick. */
	f = hub_stats_frame(hub.stats, false, 0);
	if (f) {
		size_t len;
		char *text = proto_frame_encode(f, &len);
		proto_frame_free(f);
		for (struct hub_session *s = hub.sessions; s; s = s->next_all)
			if (s->agent && s->agent->role == PROTO_ROLE_SUPERVISOR && !s->close_code && s->stats_full)
				hub_stage_session(s, hub_out_new(text, len, 0));
		free(text);
	}
	/* A supervisor new since the last tick gets the FULL pages. */
	for (struct hub_session *s = hub.sessions; s; s = s->next_all) {
		if (!s->agent || s->agent->role != PROTO_ROLE_SUPERVISOR || s->close_code || s->stats_full)
			continue;
		for (size_t page = 0; (f = hub_stats_frame(hub.stats, true, page)); page++)
			hub_stage_session(s, hub_out_frame(f, 0));
		s->stats_full = true;
	}
}

void session_tick(void)
{
	int64_t now = time_mono_us();

	router_revalidate();
	for (struct hub_session *s = hub.sessions; s; s = s->next_all) {
		if (!s->agent && !s->close_code && now - s->connected_us > SESSION_HELLO_TIMEOUT_US) {
			log_info("session %s: no hello within 10 s", s->id);
			session_error(s, PROTO_ERR_UNAUTHORIZED, "no hello within 10 seconds",
				      SESSION_CLOSE_UNAUTHORIZED);
		}
		if (s->closing)
			continue;
		if (now - s->last_rx_us > SESSION_HANGUP_US) {
			/* It does not read either, so no close frame: drop it. */
			log_info("session %s (%s): no frame or pong for 30 s; dropping the connection", s->id,
				 s->agent ? s->agent->id : "-");
			s->closing = true;
			lws_set_timeout(s->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
		} else if (now - s->last_rx_us > SESSION_PING_US && !s->ping_due && !s->ping_sent) {
			s->ping_due = true;
			lws_callback_on_writable(s->wsi);
		}
	}
	session_stats();
}

/* ---- the lws callback ---- */

static struct hub_session *session_new(struct lws *wsi)
{
	struct hub_session *s = xcalloc(1, sizeof *s);
	char rnd[13], auth[512];
	int n;

	s->wsi = wsi;
	rand_string(rnd, 12, "abcdefghijklmnopqrstuvwxyz0123456789");
	snprintf(s->id, sizeof s->id, "s-%s", rnd);
	s->connected_us = time_mono_us();
	s->last_rx_us = s->connected_us;
	n = lws_hdr_copy(wsi, auth, sizeof auth, WSI_TOKEN_HTTP_AUTHORIZATION);
	if (n > 7 && strncasecmp(auth, "Bearer ", 7) == 0)
		s->hdr_token = xstrdup(auth + 7);
	s->next_all = hub.sessions;
	if (hub.sessions)
		hub.sessions->prev_all = s;
	hub.sessions = s;
	hub.m.connections++;
	return s;
}

static void session_free(struct hub_session *s)
{
	hub_unstage_session(s);
	if (s->agent) {
		router_session_down(s);
		log_info("session %s: %s disconnected", s->id, s->agent->id);
	}
	if (s->prev_all)
		s->prev_all->next_all = s->next_all;
	else
		hub.sessions = s->next_all;
	if (s->next_all)
		s->next_all->prev_all = s->prev_all;
	hub.m.connections--;
	session_queue_clear(s);
	sb_free(&s->rx);
	free(s->hdr_token);
	free(s);
}

static int session_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
			    size_t len)
{
	struct session_pss *pss = user;
	struct hub_session *s = pss ? pss->s : NULL;

	switch (reason) {
	case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION: {
		char uri[64];
		if (lws_hdr_copy(wsi, uri, sizeof uri, WSI_TOKEN_GET_URI) <= 0 || strcmp(uri, "/v1/stream") != 0)
			return -1;	/* the stream lives at /v1/stream only */
		return 0;
	}
	case LWS_CALLBACK_ESTABLISHED:
		pss->s = session_new(wsi);
		return 0;
	case LWS_CALLBACK_RECEIVE_PONG:
		if (s) {
			s->last_rx_us = time_mono_us();
			s->ping_due = s->ping_sent = false;
		}
		return 0;
	case LWS_CALLBACK_RECEIVE:
		if (s) {
			s->last_rx_us = time_mono_us();
			s->ping_due = s->ping_sent = false;
		}
		if (!s || s->closing || s->close_code)
			return 0;	/* closing: what else it says does not matter */
		if (lws_is_first_fragment(wsi) && !s->rx_over)
			sb_reset(&s->rx);
		if (s->rx_over || s->rx.len + len > (size_t)hub.cfg.max_frame_bytes) {
			/* Too large: read the rest of the message away, then close
			 * with 1009. Closing while the peer still sends would reset
			 * the connection and lose the close frame; a message far
			 * beyond the limit is cut off at once. */
			static const char why[] = "frame too large";
			if (!s->rx_over) {
				s->rx_over = true;
				s->rx_dropped = s->rx.len;
				sb_free(&s->rx);
				log_info("session %s: frame over %d bytes; closing with 1009", s->id,
					 hub.cfg.max_frame_bytes);
			}
			s->rx_dropped += len;
			if (s->rx_dropped > 16 * (size_t)hub.cfg.max_frame_bytes) {
				lws_close_reason(wsi, LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE,
						 (unsigned char *)why, sizeof why - 1);
				s->closing = true;
				return -1;
			}
			if (lws_is_final_fragment(wsi) && !lws_remaining_packet_payload(wsi)) {
				session_queue_clear(s);
				s->close_code = LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE;
				snprintf(s->close_reason, sizeof s->close_reason, "%s", why);
				lws_callback_on_writable(wsi);
			}
			return 0;
		}
		if (len)	/* an empty frame comes with in == NULL */
			sb_add(&s->rx, in, len);
		if (lws_is_final_fragment(wsi) && !lws_remaining_packet_payload(wsi)) {
			if (lws_frame_is_binary(wsi))
				session_error(s, PROTO_ERR_BAD_REQUEST, "frames are JSON text, not binary", 0);
			else if (hub_db_busy()) {
				struct session_later *l = xmalloc(sizeof *l + s->rx.len + 1);
				l->t0 = time_mono_us();
				l->len = s->rx.len;
				memcpy(l->buf, s->rx.buf, s->rx.len);
				l->buf[l->len] = '\0';
				hub_defer(session_frame_later, s, l, free);
			} else {
				session_frame(s, sb_str(&s->rx), s->rx.len, time_mono_us());
			}
			sb_reset(&s->rx);
		}
		return 0;
	case LWS_CALLBACK_SERVER_WRITEABLE: {
		if (!s)
			return 0;
		if (s->ping_due && !s->closing) {
			/* With a payload: lws 4.1 does not pass an empty pong on. */
			unsigned char ping[LWS_PRE + 2] = { [LWS_PRE] = 'k' };
			s->ping_due = false;
			s->ping_sent = true;
			if (lws_write(wsi, ping + LWS_PRE, 1, LWS_WRITE_PING) < 0)
				return -1;
			if (s->qhead || s->close_code)
				lws_callback_on_writable(wsi);
			return 0;
		}
		struct hub_out *o = s->qhead;
		if (o) {
			int n = lws_write(wsi, o->buf + LWS_PRE, o->len, LWS_WRITE_TEXT);
			s->qhead = o->next;
			if (!s->qhead)
				s->qtail = NULL;
			s->qlen--;
			free(o);
			if (n < 0)
				return -1;
			if (s->qhead || s->close_code)
				lws_callback_on_writable(wsi);
			return 0;
		}
		if (s->close_code) {
			lws_close_reason(wsi, (enum lws_close_status)s->close_code,
					 (unsigned char *)s->close_reason, strlen(s->close_reason));
			s->closing = true;
			return -1;
		}
		return 0;
	}
	case LWS_CALLBACK_CLOSED:
		if (s) {
			session_free(s);
			pss->s = NULL;
		}
		return 0;
	default:
		return 0;
	}
}

const struct lws_protocols session_protocol = {
	.name = PROTO_SUBPROTOCOL,
	.callback = session_callback,
	.per_session_data_size = sizeof(struct session_pss),
	/* lws gives every stream a receive buffer this big, idle or not, so it
	 * is most of what an idle agent costs (issue 3: <= 4 KB each). Agents'
	 * frames are small; a longer one arrives in pieces and is put together
	 * in s->rx (session_callback), up to max_frame_bytes. */
	.rx_buffer_size = 1024,
};
