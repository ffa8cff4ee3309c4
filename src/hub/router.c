/*
 * router.c: who has which conversation.
 *
 * The store is the truth about conversations (state, assignee, version);
 * memory holds only what is about connections: the agents that are known,
 * their live sessions and presence, and their rate-limit buckets. Capacity
 * (max_active) is counted in the store, inside the pass's transaction, so two
 * claims in the same pass see each other.
 */
#include "baton/hub.h"
#include "baton/hub-store.h"
#include "baton/text.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define AGENT_BUCKETS 4096

static struct hub_agent *agent_tab[AGENT_BUCKETS];

static size_t agent_hash(const char *s)
{
	size_t h = 5381;

	while (*s)
		h = h * 33 + (unsigned char)*s++;
	return h & (AGENT_BUCKETS - 1);
}

static void agent_set_skills(struct hub_agent *a, const char *csv)
{
	for (size_t i = 0; i < a->nskills; i++)
		free(a->skills[i]);
	free(a->skills);
	a->skills = NULL;
	a->nskills = 0;
	if (!csv || !*csv)
		return;
	char *copy = xstrdup(csv), *save = NULL;
	for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		a->skills = xrealloc(a->skills, (a->nskills + 1) * sizeof *a->skills);
		a->skills[a->nskills++] = xstrdup(t);
	}
	free(copy);
}

/* Refreshes a from an agents row (name, role, skills may change by `token add`). */
static void agent_fill(struct hub_agent *a, json_t *row)
{
	json_t *ma = json_object_get(row, "max_active");
	const char *role = json_string_value(json_object_get(row, "role"));

	free(a->name);
	a->name = xstrdup(json_string_value(json_object_get(row, "name")));
	a->role = PROTO_ENUM_PARSE(role, role ? role : "agent");
	if (a->role < 0)
		a->role = PROTO_ROLE_AGENT;
	agent_set_skills(a, json_string_value(json_object_get(row, "skills")));
	a->max_active = json_is_integer(ma) ? (int)json_integer_value(ma) : hub.cfg.max_active;
}

/* True if a's skills and max_active are what the row says. */
static bool agent_skills_same(const struct hub_agent *a, json_t *row)
{
	const char *csv = json_string_value(json_object_get(row, "skills"));
	json_t *ma = json_object_get(row, "max_active");
	size_t k = 0;

	if ((json_is_integer(ma) ? (int)json_integer_value(ma) : hub.cfg.max_active) != a->max_active)
		return false;
	for (const char *p = csv ? csv : ""; *p; k++) {
		size_t n = strcspn(p, ",");
		if (k >= a->nskills || strlen(a->skills[k]) != n || strncmp(a->skills[k], p, n) != 0)
			return false;
		p += n;
		if (*p == ',')
			p++;
	}
	return k == a->nskills;
}

static const char SQL_AGENT[] = "SELECT id, name, role, skills, max_active FROM agents WHERE id = ?";
static const char SQL_AGENT_TOKEN[] =
	"SELECT id, name, role, skills, max_active FROM agents WHERE token_hash = ?";

static struct hub_agent *agent_lookup(const char *id)
{
	for (struct hub_agent *a = agent_tab[agent_hash(id)]; a; a = a->hnext)
		if (strcmp(a->id, id) == 0)
			return a;
	return NULL;
}

static struct hub_agent *agent_from_row(json_t *row)
{
	const char *id = json_string_value(json_object_get(row, "id"));
	struct hub_agent *a = agent_lookup(id);

	if (a) {
		/* Known: the role counts for every request; name and skills are
		 * refreshed only when they changed (no churn on the hot path). */
		const char *role = json_string_value(json_object_get(row, "role"));
		const char *name = json_string_value(json_object_get(row, "name"));
		int r = PROTO_ENUM_PARSE(role, role ? role : "agent");
		a->role = r < 0 ? PROTO_ROLE_AGENT : r;
		if (name && a->name && strcmp(name, a->name) == 0 && agent_skills_same(a, row))
			return a;
	}
	if (!a) {
		size_t h = agent_hash(id);
		a = xcalloc(1, sizeof *a);
		a->id = xstrdup(id);
		a->status = PROTO_PRES_OFFLINE;
		a->tokens = hub.cfg.rate_burst;
		a->tokens_at_us = time_mono_us();
		a->hnext = agent_tab[h];
		agent_tab[h] = a;
	}
	agent_fill(a, row);
	return a;
}

struct hub_agent *hub_agent_find(const char *id)
{
	return id ? agent_lookup(id) : NULL;
}

struct hub_agent *hub_agent_get(const char *id)
{
	struct hub_agent *a;
	json_t *row = NULL;

	if (!id)
		return NULL;
	if ((a = agent_lookup(id)))
		return a;
	if (hub_store_row(hub.st, &row, SQL_AGENT, "s", id) != 1)
		return NULL;
	a = agent_from_row(row);
	json_decref(row);
	return a;
}

/* Token -> agent, so a bot's POST neither hashes its token nor queries the
 * store each time (they were ~6 % of the hub's CPU under load). Flushed when
 * another connection commits (PRAGMA data_version: `batond token add|remove`
 * from another process) and when this process changes an agent. Only tokens
 * that matched are kept, direct-mapped: bounded whatever clients send. The
 * agents themselves live until shutdown, so the pointers stay valid. */
#define TOKEN_CACHE 256

static struct token_ent {
	char *token;
	size_t len;
	struct hub_agent *a;
} token_cache[TOKEN_CACHE];
static int64_t token_cache_version = -1;

static void token_cache_flush(void)
{
	for (size_t i = 0; i < TOKEN_CACHE; i++) {
		free(token_cache[i].token);
		token_cache[i] = (struct token_ent){ 0 };
	}
}

static size_t token_slot(const char *token, size_t len)
{
	uint64_t h = 1469598103934665603ull;	/* FNV-1a */

	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)token[i]) * 1099511628211ull;
	return (size_t)(h % TOKEN_CACHE);
}

/* Compares without an early exit, so the time says nothing about a prefix. */
static bool token_same(const struct token_ent *e, const char *token, size_t len)
{
	unsigned char d = 0;

	if (!e->token || e->len != len)
		return false;
	for (size_t i = 0; i < len; i++)
		d |= (unsigned char)(e->token[i] ^ token[i]);
	return d == 0;
}

struct hub_agent *hub_agent_by_token(const char *token)
{
	char hash[65];
	json_t *row = NULL;
	struct hub_agent *a;
	size_t len = strlen(token), slot = token_slot(token, len);
	int64_t v;

	/* data_version moves only for other connections' commits: cheap to ask. */
	if (hub_store_int(hub.st, &v, "PRAGMA data_version", "") < 0)
		v = -1;
	if (v < 0 || v != token_cache_version) {
		token_cache_flush();
		token_cache_version = v;
	}
	if (token_same(&token_cache[slot], token, len))
		return token_cache[slot].a;
	hub_token_hash(token, hash);
	if (hub_store_row(hub.st, &row, SQL_AGENT_TOKEN, "s", hash) != 1)
		return NULL;
	a = agent_from_row(row);
	json_decref(row);
	if (v >= 0) {
		free(token_cache[slot].token);
		token_cache[slot] = (struct token_ent){ .token = xstrdup(token), .len = len, .a = a };
	}
	return a;
}

void hub_agents_each(void (*fn)(struct hub_agent *a, void *arg), void *arg)
{
	for (size_t i = 0; i < AGENT_BUCKETS; i++)
		for (struct hub_agent *a = agent_tab[i]; a; a = a->hnext)
			fn(a, arg);
}

void hub_agents_free(void)
{
	token_cache_flush();
	for (size_t i = 0; i < AGENT_BUCKETS; i++) {
		struct hub_agent *a, *n;
		for (a = agent_tab[i]; a; a = n) {
			n = a->hnext;
			agent_set_skills(a, NULL);
			free(a->id);
			free(a->name);
			free(a);
		}
		agent_tab[i] = NULL;
	}
}

bool hub_agent_has_skill(const struct hub_agent *a, const char *skill)
{
	for (size_t i = 0; i < a->nskills; i++)
		if (strcmp(a->skills[i], skill) == 0)
			return true;
	return false;
}

/* ---- presence ---- */

static const char SQL_ACTIVE[] =
	"SELECT n FROM conversations WHERE assignee = ? AND state = 'assigned' ORDER BY n";

struct proto_presence *router_presence(struct proto_arena *arena, struct hub_agent *a)
{
	struct proto_presence *p = PROTO_NEW(arena, presence);
	json_t *rows = hub_store_rows(hub.st, SQL_ACTIVE, "s", a->id), *r;
	size_t i;

	p->id = proto_arena_strdup(arena, a->id);
	p->name = proto_arena_strdup(arena, a->name);
	p->role = a->role;
	PROTO_SET(p, presence, role);
	p->status = a->nconn ? a->status : PROTO_PRES_OFFLINE;
	p->active.v = proto_arena_alloc(arena, (json_array_size(rows) + 1) * sizeof(char *));
	json_array_foreach(rows, i, r)
		p->active.v[p->active.n++] = hub_id_fmt(arena, "c-", json_integer_value(json_object_get(r, "n")));
	PROTO_SET(p, presence, active);
	json_decref(rows);
	return p;
}

int router_presence_event(struct hub_agent *a)
{
	struct proto_frame *f = proto_frame_new(PROTO_FRAME_EVENT);
	struct hub_aud aud = { .sups = true };

	f->u.event.kind = PROTO_EV_AGENT_PRESENCE;
	f->u.event.body = PROTO_NEW(f->arena, body);
	f->u.event.body->presence = router_presence(f->arena, a);
	return hub_event(f, &aud);
}

void router_session_up(struct hub_session *s)
{
	struct hub_agent *a = s->agent;

	s->next_agent = a->sessions;
	a->sessions = s;
	a->offline_since_ms = 0;	/* back within the grace period: keeps its work */
	if (a->nconn++ == 0) {
		a->status = PROTO_PRES_ONLINE;
		router_presence_event(a);
	}
}

void router_session_down(struct hub_session *s)
{
	struct hub_agent *a = s->agent;

	for (struct hub_session **pp = &a->sessions; *pp; pp = &(*pp)->next_agent)
		if (*pp == s) {
			*pp = s->next_agent;
			break;
		}
	/* The last connection gone: the agent is offline (its conversations
	 * stay assigned; a reconnect picks them up). */
	if (--a->nconn == 0) {
		a->status = PROTO_PRES_OFFLINE;
		a->offline_since_ms = time_now_ms();
		if (!hub.stop)
			router_presence_event(a);
	}
}

/* ---- conversations as protocol objects ---- */

static const char SQL_CONV[] =
	"SELECT c.*, cu.json AS customer_json FROM conversations c"
	" LEFT JOIN customers cu ON cu.id = c.customer WHERE c.n = ?";
static const char SQL_TRANSCRIPT[] =
	"WITH RECURSIVE chain(n) AS (SELECT n FROM msg_last WHERE conv = ?1"
	"  UNION ALL SELECT m.prev FROM chain JOIN messages m ON m.n = chain.n WHERE m.prev < m.n)"
	" SELECT m.n, m.sender, m.author, m.kind, m.text, m.at FROM chain JOIN messages m ON m.n = chain.n"
	" WHERE m.conv = ?1 ORDER BY m.n";
static const char SQL_CONV_ACTIONS[] = "SELECT n FROM actions WHERE conv = ? ORDER BY n";

/* Decodes JSON text we stored ourselves into an object of type t. */
static void *decode_text(struct proto_arena *a, const struct proto_type *t, const char *text, const char *path)
{
	struct proto_err err;
	json_t *j;
	void *obj;

	if (!text)
		return NULL;
	if (!(j = json_loads(text, 0, NULL)))
		return NULL;
	obj = proto_arena_alloc(a, t->size);
	if (proto_decode(a, t, j, obj, path, &err) < 0) {
		log_error("store: stored %s does not decode: %s", t->name, err.msg);
		obj = NULL;
	}
	json_decref(j);
	return obj;
}

static const char *jstr(json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

static int64_t jint(json_t *o, const char *k)
{
	return json_integer_value(json_object_get(o, k));
}

static bool jnull(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);
	return !v || json_is_null(v);
}

struct proto_conversation *router_conv(struct proto_arena *a, int64_t n, enum conv_view view)
{
	struct proto_conversation *c;
	json_t *row = NULL, *rows, *r;
	size_t i;

	if (hub_store_row(hub.st, &row, SQL_CONV, "i", n) != 1)
		return NULL;
	c = PROTO_NEW(a, conversation);
	c->id = hub_id_fmt(a, "c-", n);
	c->state = PROTO_ENUM_PARSE(conv_state, jstr(row, "state"));
	c->priority = (int)jint(row, "priority");
	c->channel = PROTO_ENUM_PARSE(channel, jstr(row, "channel"));
	if (c->channel < 0)
		c->channel = PROTO_CHAN_WEB;
	if (!jnull(row, "language"))
		c->language = proto_arena_strdup(a, jstr(row, "language"));
	c->created_at = jint(row, "created_at");
	if (jnull(row, "queued_at"))
		PROTO_SET_NULL(c, conversation, queued_at);
	else
		c->queued_at = jint(row, "queued_at"), PROTO_SET(c, conversation, queued_at);
	if (jnull(row, "sla_due_at"))
		PROTO_SET_NULL(c, conversation, sla_due_at);
	else
		c->sla_due_at = jint(row, "sla_due_at"), PROTO_SET(c, conversation, sla_due_at);
	if (jnull(row, "assignee"))
		PROTO_SET_NULL(c, conversation, assignee);
	else
		c->assignee = proto_arena_strdup(a, jstr(row, "assignee"));
	c->version = jint(row, "version");
	if (!jnull(row, "external_id"))
		c->external_id = proto_arena_strdup(a, jstr(row, "external_id"));
	c->escalation = decode_text(a, &proto_type_escalation, jstr(row, "escalation"), "escalation");
	c->customer = decode_text(a, &proto_type_customer, jstr(row, "customer_json"), "customer");
	json_decref(row);

	if (!(rows = hub_store_rows(hub.st, SQL_TRANSCRIPT, "i", n)))
		return c;
	c->transcript.v = proto_arena_alloc(a, (json_array_size(rows) + 1) * sizeof *c->transcript.v);
	json_array_foreach(rows, i, r) {
		int from = PROTO_ENUM_PARSE(msg_from, jstr(r, "sender"));
		int kind = PROTO_ENUM_PARSE(msg_kind, jstr(r, "kind"));
		if (kind == PROTO_MSG_NOTE && view != CONV_VIEW_OWNER)
			continue;
		if (view == CONV_VIEW_QUEUE && from != PROTO_FROM_CUSTOMER && from != PROTO_FROM_BOT)
			continue;
		struct proto_message *m = &c->transcript.v[c->transcript.n++];
		m->id = hub_id_fmt(a, "m-", jint(r, "n"));
		m->conv = c->id;
		m->from = from;
		if (jnull(r, "author"))
			PROTO_SET_NULL(m, message, author);
		else
			m->author = proto_arena_strdup(a, jstr(r, "author"));
		m->kind = kind;
		m->text = proto_arena_strdup(a, jstr(r, "text"));
		m->at = jint(r, "at");
	}
	PROTO_SET(c, conversation, transcript);
	json_decref(rows);
	if (view == CONV_VIEW_QUEUE)
		return c;
	if (!(rows = hub_store_rows(hub.st, SQL_CONV_ACTIONS, "i", n)))
		return c;
	c->actions.v = proto_arena_alloc(a, (json_array_size(rows) + 1) * sizeof *c->actions.v);
	json_array_foreach(rows, i, r) {
		struct proto_action *act = action_load(a, jint(r, "n"));
		if (act)
			c->actions.v[c->actions.n++] = *act;
	}
	PROTO_SET(c, conversation, actions);
	json_decref(rows);
	return c;
}

/* ---- ops ---- */

static const char SQL_CONV_ROW[] =
	"SELECT n, state, assignee, skills, priority, callback_url, external_id FROM conversations WHERE n = ?";
static const char SQL_COUNT_ACTIVE[] =
	"SELECT count(*) FROM conversations WHERE assignee = ? AND state = 'assigned'";
static const char SQL_NEXT[] =
	"SELECT n, skills FROM conversations WHERE state = 'queued' ORDER BY priority, sla_due_at, n"
	" LIMIT 200 OFFSET ?";
static const char SQL_ASSIGN[] =
	"UPDATE conversations SET state = 'assigned', assignee = ?, assigned_at = ?, version = version + 1"
	" WHERE n = ?";
static const char SQL_REQUEUE[] =
	"UPDATE conversations SET state = 'queued', assignee = NULL, skills = ?, version = version + 1"
	" WHERE n = ?";
static const char SQL_HANDBACK[] =
	"UPDATE conversations SET state = 'handed_back', disposition = ?, handback_note = ?, tags = ?,"
	" handed_back_at = ?, version = version + 1 WHERE n = ?";
static const char SQL_MONITOR[] = "INSERT OR IGNORE INTO monitors(conv, agent, at) VALUES (?, ?, ?)";
static const char SQL_IS_MONITOR[] = "SELECT count(*) FROM monitors WHERE conv = ? AND agent = ?";
static const char SQL_MSG_INSERT[] =
	"INSERT INTO messages(conv, sender, author, kind, text, at, prev)"
	" VALUES (?1, ?2, ?3, ?4, ?5, ?6, (SELECT n FROM msg_last WHERE conv = ?1))";

/* True if skills_csv (a conversation's) is empty or shares a skill with a. */
static bool skills_match(const struct hub_agent *a, const char *csv)
{
	bool any = false, ok = false;
	char *copy, *save = NULL;

	if (!csv || !*csv)
		return true;
	copy = xstrdup(csv);
	for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		any = true;
		if (hub_agent_has_skill(a, t))
			ok = true;
	}
	free(copy);
	return ok || !any;
}

/* Loads the conversation named by args.conv; op_fail if it does not exist. */
static json_t *conv_row(struct op_ctx *c, const char *id, int64_t *n)
{
	json_t *row = NULL;

	*n = hub_id_parse(id, "c-");
	if (*n < 0 || hub_store_row(hub.st, &row, SQL_CONV_ROW, "i", *n) != 1) {
		op_fail(c, PROTO_ERR_NOT_FOUND, "no conversation %s", id);
		return NULL;
	}
	return row;
}

static bool is_owner(struct op_ctx *c, json_t *row)
{
	const char *as = jstr(row, "assignee");
	return as && strcmp(as, c->agent->id) == 0 && strcmp(jstr(row, "state"), "assigned") == 0;
}

static bool is_sup(const struct op_ctx *c)
{
	return c->agent->role == PROTO_ROLE_SUPERVISOR;
}

static int64_t active_count(const char *agent)
{
	int64_t n = 0;

	hub_store_int(hub.st, &n, SQL_COUNT_ACTIVE, "s", agent);
	return n;
}

/* A conversation event with the conversation in the body. */
static int conv_event(int kind, int64_t n, enum conv_view view, const struct hub_aud *aud,
		      const char *agent, const char *from, const char *to)
{
	struct proto_frame *f = proto_frame_new(PROTO_FRAME_EVENT);
	struct proto_event *ev = &f->u.event;

	ev->kind = kind;
	ev->conv = hub_id_fmt(f->arena, "c-", n);
	ev->body = PROTO_NEW(f->arena, body);
	ev->body->conversation = router_conv(f->arena, n, view);
	if (!ev->body->conversation) {
		proto_frame_free(f);
		return -1;
	}
	if (agent)
		ev->body->agent = proto_arena_strdup(f->arena, agent);
	if (kind == PROTO_EV_CONV_TRANSFERRED) {
		if (from)
			ev->body->from = proto_arena_strdup(f->arena, from);
		else
			PROTO_SET_NULL(ev->body, body, from);
		ev->body->to = proto_arena_strdup(f->arena, to);
	}
	return hub_event(f, aud);
}

static int body_conv(struct op_ctx *c, int64_t n)
{
	c->body->conversation = router_conv(c->arena, n, CONV_VIEW_OWNER);
	return c->body->conversation ? 0 : op_fail(c, PROTO_ERR_INTERNAL, "the conversation could not be read");
}

/* The best queued conversation for a: priority, then SLA due, matching
 * skills. A page at a time: most agents take the first row, but one whose
 * skills match only deep in a long queue must still find it. */
static int64_t router_next(struct hub_agent *a)
{
	int64_t found = -1, offset = 0;

	for (;;) {
		json_t *rows = hub_store_rows(hub.st, SQL_NEXT, "i", offset), *r;
		size_t i, n = json_array_size(rows);

		json_array_foreach(rows, i, r)
			if (skills_match(a, jstr(r, "skills"))) {
				found = jint(r, "n");
				break;
			}
		json_decref(rows);
		if (found >= 0 || n < 200)
			return found;
		offset += (int64_t)n;
	}
}

static int assign(struct op_ctx *c, int64_t n, const char *agent)
{
	if (hub_store_exec(hub.st, SQL_ASSIGN, "sii", agent, c->now, n) < 0)
		return op_fail(c, PROTO_ERR_INTERNAL, "the store refused the change");
	return 0;
}

int router_claim(struct op_ctx *c)
{
	const char *id = c->args->conv;
	json_t *row = NULL;
	int64_t n;
	int ret = -1;

	if (strcmp(id, "next") == 0) {
		n = router_next(c->agent);
		if (n < 0)
			return op_fail(c, PROTO_ERR_NOT_FOUND, "the queue has nothing for your skills");
		row = conv_row(c, hub_id_fmt(c->arena, "c-", n), &n);
	} else {
		row = conv_row(c, id, &n);
	}
	if (!row)
		return -1;
	if (is_owner(c, row)) {
		ret = body_conv(c, n);	/* already mine: nothing to do */
		goto out;
	}
	if (strcmp(jstr(row, "state"), "assigned") == 0) {
		op_fail(c, PROTO_ERR_ALREADY_CLAIMED, "%s is already claimed by %s", id, jstr(row, "assignee"));
		goto out;
	}
	if (strcmp(jstr(row, "state"), "queued") != 0) {
		op_fail(c, PROTO_ERR_INVALID_STATE, "%s is %s; only a queued conversation can be claimed", id,
			jstr(row, "state"));
		goto out;
	}
	if (active_count(c->agent->id) >= c->agent->max_active) {
		op_fail(c, PROTO_ERR_LIMIT_EXCEEDED, "you already have %d active conversations (max_active)",
			c->agent->max_active);
		goto out;
	}
	struct hub_aud aud = { .all = true };
	if (assign(c, n, c->agent->id) < 0 ||
	    conv_event(PROTO_EV_CONV_ASSIGNED, n, CONV_VIEW_QUEUE, &aud, c->agent->id, NULL, NULL) < 0 ||
	    body_conv(c, n) < 0)
		goto out;
	json_t *wh = json_pack("{s:s, s:s}", "agent", c->agent->id, "name", c->agent->name);
	if (webhook_queue(n, "handoff.accepted", wh) < 0) {
		op_fail(c, PROTO_ERR_INTERNAL, "the webhook could not be queued");
		goto out;
	}
	log_info("claim: %s took c-%lld", c->agent->id, (long long)n);
	ret = 0;
out:
	json_decref(row);
	return ret;
}

int router_release(struct op_ctx *c)
{
	int64_t n;
	json_t *row = conv_row(c, c->args->conv, &n);
	int ret = -1;

	if (!row)
		return -1;
	if (!is_owner(c, row) && !(is_sup(c) && strcmp(jstr(row, "state"), "assigned") == 0)) {
		op_fail(c, PROTO_ERR_NOT_OWNER, "%s is not yours to release", c->args->conv);
		goto out;
	}
	struct hub_aud aud = { .all = true };
	if (hub_store_exec(hub.st, SQL_REQUEUE, "si", jstr(row, "skills"), n) < 0) {
		op_fail(c, PROTO_ERR_INTERNAL, "the store refused the change");
		goto out;
	}
	if (conv_event(PROTO_EV_CONV_RELEASED, n, CONV_VIEW_QUEUE, &aud, NULL, NULL, NULL) < 0 ||
	    body_conv(c, n) < 0)
		goto out;
	ret = 0;
out:
	json_decref(row);
	return ret;
}

/* An online agent with the skill and room for one more, the least busy. */
static struct hub_agent *pick_for_skill(const char *skill, const char *not)
{
	struct hub_agent *best = NULL;
	int64_t best_n = 0;

	for (size_t i = 0; i < AGENT_BUCKETS; i++)
		for (struct hub_agent *a = agent_tab[i]; a; a = a->hnext) {
			if (!a->nconn || a->status != PROTO_PRES_ONLINE || a->role == PROTO_ROLE_BOT ||
			    strcmp(a->id, not) == 0 || !hub_agent_has_skill(a, skill))
				continue;
			int64_t k = active_count(a->id);
			if (k < a->max_active && (!best || k < best_n)) {
				best = a;
				best_n = k;
			}
		}
	return best;
}

static int add_message(int64_t n, const char *from, const char *author, const char *kind,
		       const char *text, int64_t at, int64_t *id)
{
	if (hub_store_exec(hub.st, SQL_MSG_INSERT, "issssi", n, from, author, kind, text, at) < 0)
		return -1;
	*id = hub_store_last_id(hub.st);
	return 0;
}

/* A message event's frame, as message_event stores it and replay rebuilds it. */
struct proto_frame *router_message_frame(int64_t n, int64_t mid, const char *from, const char *author,
					 const char *kind, const char *text, int64_t at)
{
	struct proto_frame *f = proto_frame_new(PROTO_FRAME_EVENT);
	struct proto_event *ev = &f->u.event;
	struct proto_message *m = PROTO_NEW(f->arena, message);

	ev->kind = PROTO_EV_MESSAGE;
	ev->conv = hub_id_fmt(f->arena, "c-", n);
	m->id = hub_id_fmt(f->arena, "m-", mid);
	m->conv = ev->conv;
	m->from = PROTO_ENUM_PARSE(msg_from, from);
	if (author)
		m->author = proto_arena_strdup(f->arena, author);
	else
		PROTO_SET_NULL(m, message, author);
	m->kind = PROTO_ENUM_PARSE(msg_kind, kind);
	m->text = text;		/* the encoder only reads; the frame is encoded before text goes */
	m->at = at;
	ev->body = PROTO_NEW(f->arena, body);
	ev->body->message = m;
	return f;
}

/* The message event: owner and monitors (and extra, e.g. a supervisor who
 * wrote a note), built from what was just stored. Its events row keeps no
 * copy of the frame, only the message's n: replay builds the frame again
 * from the messages row (session.c), byte for byte. */
static int message_event(int64_t n, int64_t mid, const char *from, const char *author, const char *kind,
			 const char *text, int64_t at, const char *owner, const char *extra,
			 struct proto_arena *a, struct proto_message **out)
{
	struct proto_frame *f = router_message_frame(n, mid, from, author, kind, text, at);
	struct hub_aud aud = { .agents = { owner, extra, NULL }, .msg = mid };

	aud.monitors_of = f->u.event.conv;
	if (out)
		*out = PROTO_CLONE(a, message, f->u.event.body->message);
	return hub_event(f, &aud);
}

int router_post_message(int64_t n, const char *from, const char *author, const char *kind,
			const char *text, const char *owner, const char *extra,
			struct proto_arena *a, struct proto_message **out)
{
	int64_t mid, at = time_now_ms();

	if (hub_begin() < 0 || add_message(n, from, author, kind, text, at, &mid) < 0)
		return -1;
	return message_event(n, mid, from, author, kind, text, at, owner, extra, a, out);
}

int router_transfer(struct op_ctx *c)
{
	int64_t n;
	json_t *row = conv_row(c, c->args->conv, &n);
	const char *to = c->args->to, *from;
	struct hub_agent *target = NULL;
	int ret = -1;

	if (!row)
		return -1;
	if (!is_owner(c, row) && !(is_sup(c) && strcmp(jstr(row, "state"), "assigned") == 0)) {
		op_fail(c, PROTO_ERR_NOT_OWNER, "%s is not yours to transfer", c->args->conv);
		goto out;
	}
	from = jstr(row, "assignee");
	if (to[0] == '@') {
		target = pick_for_skill(to + 1, from);
	} else {
		target = hub_agent_get(to);
		if (!target || target->role == PROTO_ROLE_BOT) {
			op_fail(c, PROTO_ERR_NOT_FOUND, "no agent %s", to);
			goto out;
		}
		if (strcmp(target->id, from) == 0) {
			op_fail(c, PROTO_ERR_INVALID_STATE, "%s already has %s", to, c->args->conv);
			goto out;
		}
		if (active_count(target->id) >= target->max_active) {
			op_fail(c, PROTO_ERR_LIMIT_EXCEEDED, "%s has no room (max_active %d)", to, target->max_active);
			goto out;
		}
	}
	if (c->args->note) {
		int64_t mid;
		char *text = xasprintf("transfer to %s: %s", to, c->args->note);
		int r = add_message(n, "agent", c->agent->id, "note", text, c->now, &mid);
		if (r == 0)
			r = message_event(n, mid, "agent", c->agent->id, "note", text, c->now, from,
					  target ? target->id : NULL, NULL, NULL);
		free(text);
		if (r < 0) {
			op_fail(c, PROTO_ERR_INTERNAL, "the note could not be stored");
			goto out;
		}
	}
	if (target) {
		if (assign(c, n, target->id) < 0)
			goto out;
	} else if (hub_store_exec(hub.st, SQL_REQUEUE, "si", to + 1, n) < 0) {
		/* Nobody with that skill has room: back to the queue, for that skill. */
		op_fail(c, PROTO_ERR_INTERNAL, "the store refused the change");
		goto out;
	}
	struct hub_aud aud = { .sups = true, .agents = { from, target ? target->id : NULL, NULL } };
	if (!target)
		aud.all = true;	/* it is in the queue again: everyone sees it there */
	if (conv_event(PROTO_EV_CONV_TRANSFERRED, n, target ? CONV_VIEW_OWNER : CONV_VIEW_QUEUE, &aud,
		       NULL, from, to) < 0 || body_conv(c, n) < 0)
		goto out;
	log_info("transfer: c-%lld from %s to %s%s", (long long)n, from, to, target ? "" : " (queued)");
	ret = 0;
out:
	json_decref(row);
	return ret;
}

/* The structured outcome for the bot: coupons, returns, labels of applied actions. */
static json_t *handback_outcome(int64_t n)
{
	json_t *out = json_pack("{s:[], s:[], s:[]}", "discounts", "returns", "labels");
	json_t *rows = hub_store_rows(hub.st, "SELECT kind, result FROM actions WHERE conv = ? AND status = 'applied'"
				  " ORDER BY n", "i", n), *r;
	size_t i;

	json_array_foreach(rows, i, r) {
		json_t *res = json_loads(jstr(r, "result") ? jstr(r, "result") : "null", 0, NULL);
		const char *kind = jstr(r, "kind");
		const char *key = strcmp(kind, "discount") == 0 ? "discounts" :
				  strcmp(kind, "return") == 0 ? "returns" : "labels";
		if (res && json_is_object(res))
			json_array_append(json_object_get(out, key), res);
		json_decref(res);
	}
	json_decref(rows);
	return out;
}

int router_handback(struct op_ctx *c)
{
	const struct proto_args *a = c->args;
	int64_t n;
	json_t *row = conv_row(c, a->conv, &n), *tags;
	const char *owner;
	char *tags_text;
	int ret = -1;

	if (!row)
		return -1;
	if (!is_owner(c, row) && !(is_sup(c) && strcmp(jstr(row, "state"), "assigned") == 0)) {
		op_fail(c, PROTO_ERR_NOT_OWNER, "%s is not yours to hand back", a->conv);
		goto out;
	}
	owner = jstr(row, "assignee");
	tags = json_array();
	for (size_t i = 0; i < a->tags.n; i++)
		json_array_append_new(tags, json_string(a->tags.v[i]));
	tags_text = json_dumps(tags, JSON_COMPACT);
	int r = hub_store_exec(hub.st, SQL_HANDBACK, "sssii", proto_enum_str(proto_enum_disposition, a->disposition),
			   a->note, tags_text, c->now, n);
	free(tags_text);
	if (r < 0) {
		json_decref(tags);
		op_fail(c, PROTO_ERR_INTERNAL, "the store refused the change");
		goto out;
	}
	struct proto_frame *f = proto_frame_new(PROTO_FRAME_EVENT);
	struct proto_body *b = f->u.event.body = PROTO_NEW(f->arena, body);
	f->u.event.kind = PROTO_EV_CONV_HANDED_BACK;
	f->u.event.conv = b->conv = hub_id_fmt(f->arena, "c-", n);
	b->disposition = a->disposition;
	PROTO_SET(b, body, disposition);
	b->note = proto_arena_strdup(f->arena, a->note);
	b->tags.v = proto_arena_alloc(f->arena, (a->tags.n + 1) * sizeof(char *));
	for (size_t i = 0; i < a->tags.n; i++)
		b->tags.v[b->tags.n++] = proto_arena_strdup(f->arena, a->tags.v[i]);
	PROTO_SET(b, body, tags);
	b->by = proto_arena_strdup(f->arena, c->agent->id);
	struct hub_aud aud = { .sups = true, .agents = { owner, NULL } };
	if (hub_event(f, &aud) < 0 || body_conv(c, n) < 0) {
		json_decref(tags);
		goto out;
	}
	json_t *wh = json_pack("{s:s, s:s?, s:o, s:o, s:s}", "disposition",
			       proto_enum_str(proto_enum_disposition, a->disposition), "note", a->note,
			       "tags", tags, "outcome", handback_outcome(n), "by", c->agent->id);
	if (webhook_queue(n, "handoff.completed", wh) < 0) {
		op_fail(c, PROTO_ERR_INTERNAL, "the webhook could not be queued");
		goto out;
	}
	log_info("handback: c-%lld by %s (%s)", (long long)n, c->agent->id,
		 proto_enum_str(proto_enum_disposition, a->disposition));
	ret = 0;
out:
	json_decref(row);
	return ret;
}

int router_monitor(struct op_ctx *c)
{
	int64_t n;
	json_t *row;

	if (!is_sup(c))
		return op_fail(c, PROTO_ERR_FORBIDDEN, "monitor is for supervisors");
	if (!(row = conv_row(c, c->args->conv, &n)))
		return -1;
	json_decref(row);
	if (hub_store_exec(hub.st, SQL_MONITOR, "isi", n, c->agent->id, c->now) < 0)
		return op_fail(c, PROTO_ERR_INTERNAL, "the store refused the change");
	return body_conv(c, n);
}

int router_presence_set(struct op_ctx *c)
{
	int st = c->args->status;

	if (st != PROTO_PRES_ONLINE && st != PROTO_PRES_AWAY)
		return op_fail(c, PROTO_ERR_BAD_REQUEST, "status: online or away");
	if (c->agent->status != st) {
		c->agent->status = st;
		if (router_presence_event(c->agent) < 0)
			return op_fail(c, PROTO_ERR_INTERNAL, "the store refused the change");
	}
	c->body->presence = router_presence(c->arena, c->agent);
	return 0;
}

int router_message(struct op_ctx *c)
{
	bool note = c->cmd->op == PROTO_OP_NOTE_ADD;
	int64_t n, ok = 0;
	json_t *row = conv_row(c, c->args->conv, &n);
	struct proto_message *m = NULL;
	const char *owner;
	int ret = -1;

	if (!row)
		return -1;
	if (!is_owner(c, row)) {
		if (note && is_sup(c))
			ok = 1;
		else if (!note && is_sup(c))
			hub_store_int(hub.st, &ok, SQL_IS_MONITOR, "is", n, c->agent->id);
		if (!ok || strcmp(jstr(row, "state"), "assigned") != 0) {
			op_fail(c, PROTO_ERR_NOT_OWNER, "%s is not assigned to you", c->args->conv);
			goto out;
		}
	}
	owner = jstr(row, "assignee");
	if (router_post_message(n, "agent", c->agent->id, note ? "note" : "public", c->args->text, owner,
				is_owner(c, row) ? NULL : c->agent->id, c->arena, &m) < 0) {
		op_fail(c, PROTO_ERR_INTERNAL, "the message could not be stored");
		goto out;
	}
	c->body->message = m;
	if (!note) {
		json_t *wh = json_pack("{s:{s:s, s:s, s:s, s:s}}", "message", "id", m->id, "text", m->text,
				       "author", c->agent->id, "name", c->agent->name);
		char at[TIME_RFC3339_LEN + 1];
		time_format_rfc3339(m->at, at);
		json_object_set_new(json_object_get(wh, "message"), "at", json_string(at));
		if (webhook_queue(n, "agent.message", wh) < 0) {
			op_fail(c, PROTO_ERR_INTERNAL, "the webhook could not be queued");
			goto out;
		}
	}
	ret = 0;
out:
	json_decref(row);
	return ret;
}

/* ---- agents gone offline with work ---- */

static const char SQL_HOLDERS[] =
	"SELECT DISTINCT assignee FROM conversations WHERE state = 'assigned' AND assignee IS NOT NULL";
static const char SQL_UNASSIGN[] =
	"UPDATE conversations SET state = 'queued', assignee = NULL, version = version + 1"
	" WHERE n = ? AND state = 'assigned'";

void router_offline_init(void)
{
	json_t *rows = hub_store_rows(hub.st, SQL_HOLDERS, ""), *r;
	int64_t now = time_now_ms();
	size_t i;

	/* After a restart nobody is connected yet: the grace starts now. */
	json_array_foreach(rows, i, r) {
		struct hub_agent *a = hub_agent_get(json_string_value(json_object_get(r, "assignee")));
		if (a && !a->nconn)
			a->offline_since_ms = now;
	}
	json_decref(rows);
}

static void offline_requeue(struct hub_agent *a)
{
	json_t *rows = hub_store_rows(hub.st, SQL_ACTIVE, "s", a->id), *r;
	struct hub_aud aud = { .all = true };
	size_t i, k = 0;

	if (!rows || hub_begin() < 0) {
		json_decref(rows);
		return;
	}
	json_array_foreach(rows, i, r) {
		int64_t n = jint(r, "n");
		struct hub_mark m;
		hub_mark_get(&m);
		if (hub_store_savepoint(hub.st) < 0)
			break;
		if (hub_store_exec(hub.st, SQL_UNASSIGN, "i", n) != 1 ||
		    conv_event(PROTO_EV_CONV_QUEUED, n, CONV_VIEW_QUEUE, &aud, NULL, NULL, NULL) < 0) {
			log_error("offline: c-%lld could not be requeued: %s", (long long)n, hub_store_errmsg(hub.st));
			hub_store_rollback_to(hub.st);
			hub_mark_undo(&m);
			continue;
		}
		hub_store_release(hub.st);
		k++;
	}
	json_decref(rows);
	if (k) {
		log_info("offline: %s away for over %d s; %zu conversation(s) back in the queue", a->id,
			 hub.cfg.offline_grace_s, k);
		router_presence_event(a);	/* its active list is empty now */
	}
}

void router_offline_sweep(void)
{
	int64_t now = time_now_ms();

	if (hub.cfg.offline_grace_s <= 0)
		return;
	for (size_t i = 0; i < AGENT_BUCKETS; i++)
		for (struct hub_agent *a = agent_tab[i]; a; a = a->hnext)
			if (!a->nconn && a->offline_since_ms &&
			    now - a->offline_since_ms >= (int64_t)hub.cfg.offline_grace_s * 1000) {
				a->offline_since_ms = 0;
				offline_requeue(a);
			}
}

/* ---- tokens changed by another process ---- */

static const char SQL_AGENT_HASH[] =
	"SELECT id, name, role, skills, max_active, token_hash FROM agents WHERE id = ?";

void router_revalidate(void)
{
	static int64_t seen = -1;
	int64_t v = 0;

	/* data_version moves when another connection commits: cheap to poll. */
	if (hub_store_int(hub.st, &v, "PRAGMA data_version", "") < 0 || v == seen)
		return;
	bool first = seen < 0;
	seen = v;
	if (first)
		return;
	for (struct hub_session *s = hub.sessions; s; s = s->next_all) {
		json_t *row = NULL;
		const char *h;
		if (!s->agent || s->close_code)
			continue;
		if (hub_store_row(hub.st, &row, SQL_AGENT_HASH, "s", s->agent->id) < 0)
			return;
		h = row ? json_string_value(json_object_get(row, "token_hash")) : NULL;
		if (!h || strcmp(h, s->token_hash) != 0) {
			log_info("session %s: the token of %s was replaced or removed; closing", s->id, s->agent->id);
			session_error(s, PROTO_ERR_UNAUTHORIZED, "your token was replaced or removed; ask for a new one",
				      4401);
		} else {
			agent_fill(s->agent, row);	/* name, role, skills may have changed */
		}
		json_decref(row);
	}
}

/* ---- agents in the store ---- */

static const char SQL_AGENT_PUT[] =
	"INSERT INTO agents(id, name, role, skills, max_active, token_hash, created_at, updated_at)"
	" VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET name = excluded.name,"
	" role = excluded.role, skills = excluded.skills, max_active = excluded.max_active,"
	" token_hash = excluded.token_hash, updated_at = excluded.updated_at";

static bool id_chars_ok(const char *s, const char *extra)
{
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
		      strchr(extra, *s)))
			return false;
	return true;
}

int hub_agent_put(const char *id, const char *name, int role, const char *skills_csv,
		  int max_active, const char *token, char *err, size_t errlen)
{
	char hash[65];
	int64_t now = time_now_ms();

	if (!id || !*id || strlen(id) > 64 || !id_chars_ok(id, "._-") || strcmp(id, "next") == 0) {
		snprintf(err, errlen, "--id: 1 to 64 of A-Z a-z 0-9 . _ - (and not \"next\")");
		return -1;
	}
	if (!name || !*name || strlen(name) > 200 || !text_utf8_valid(name, strlen(name))) {
		snprintf(err, errlen, "--name: 1 to 200 bytes of UTF-8 text");
		return -1;
	}
	/* The characters escalation.skills may use (baton.v1's id charset), so
	 * whatever skill a bot routes by, an agent can be given it. */
	if (skills_csv && (!id_chars_ok(skills_csv, "._:-,") || strstr(skills_csv, ",,") ||
			   skills_csv[0] == ',' || strlen(skills_csv) > 1000)) {
		snprintf(err, errlen, "--skills: names of A-Z a-z 0-9 . _ : - separated by commas, "
			 "such as returns,billing,lang:tr");
		return -1;
	}
	/* Each skill is sent in welcome, where the protocol allows 32 characters. */
	for (const char *s = skills_csv; s && *s;) {
		size_t n = strcspn(s, ",");
		if (n > 32) {
			snprintf(err, errlen, "--skills: \"%.*s\" is longer than 32 characters", (int)(n > 40 ? 40 : n), s);
			return -1;
		}
		s += n + (s[n] == ',');
	}
	hub_token_hash(token, hash);
	if (hub_store_exec(hub.st, SQL_AGENT_PUT, "ssssz" "sii", id, name, proto_enum_str(proto_enum_role, role),
		       skills_csv ? skills_csv : "", (int64_t)max_active, hash, now, now) < 0) {
		snprintf(err, errlen, "the store refused the agent: %s", hub_store_errmsg(hub.st));
		return -1;
	}
	token_cache_flush();	/* this connection's own change: data_version does not move */
	struct hub_agent *a = agent_lookup(id);
	if (a) {
		json_t *row = NULL;
		if (hub_store_row(hub.st, &row, SQL_AGENT, "s", id) == 1)
			agent_fill(a, row);
		json_decref(row);
	}
	return 0;
}
