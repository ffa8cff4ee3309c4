/*
 * hub.h: batond's core, shared by its modules.
 *
 * How the hub is put together (start reading at src/hub/main.c):
 *   main.c     command line, config, `token add`, `check-config`, signals.
 *   config.c   the config file (key = value) and its defaults.
 *   server.c   the lws context and vhost, the loop, and group commit: every
 *              handler of one loop pass writes into one transaction that
 *              hub_flush() commits (on a commit thread, while the loop reads
 *              on); only then are that pass's results, events and HTTP
 *              answers released ("staged" until then).
 *   session.c  the baton.v1 stream of an agent or supervisor: hello, welcome,
 *              replay or snapshot, commands, typing, stats, keepalive.
 *   ops.c      one command: idempotency (agent, cmd_id), rate limit, the op
 *              table, a savepoint per command so a refused one leaves nothing.
 *   router.c   queue, claim, release, transfer, handback, monitor, presence.
 *   policy.c   role caps, approvals and their expiry, retention.
 *   action.c   what actions share: the row, loading, the event and webhook.
 *   action-*.c discount (coupons), return (RMAs), label (tracking, documents).
 *   httpapi.c  the bot's HTTP API, /healthz, /metrics.
 *   webhook.c  durable webhooks to the bot's callback_url, retried with backoff.
 *   demobot.c  the in-process demo bot of `batond --demo`.
 *   store.c    sqlite: schema, migrations, the statement cache (hub-store.h);
 *              each module keeps its own SQL beside its logic.
 *   sha256.c   token and request hashes (hub-sha256.h).
 *
 * One process, one loop thread: nothing here is locked. The only other
 * thread runs COMMIT (server.c), and the store is handed over, never shared.
 */
#ifndef BATON_HUB_H
#define BATON_HUB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "baton/common.h"
#include "baton/log.h"
#include "baton/proto.h"

struct lws;
struct lws_context;
struct lws_vhost;
struct hub_store;

/* ---- config (config.c) ---- */

enum { HUB_ROLE_N = 3 };	/* PROTO_ROLE_AGENT, _SUPERVISOR, _BOT */

struct hub_config {
	char listen[128];		/* "127.0.0.1:7300" */
	char *db_path;
	char *cert, *key;
	char *returns_name;		/* the "to" block of return labels */
	char *returns_address;		/* lines separated by '|' */
	char currency[4];		/* the store currency ("EUR") */
	int64_t cap_percent[HUB_ROLE_N];	/* discount caps by role */
	int64_t cap_amount_minor[HUB_ROLE_N];
	int approval_ttl_s;		/* pending approvals expire (denied) after this */
	int return_window_days;
	int coupon_valid_days;
	int max_frame_bytes;
	int max_active;			/* per agent, unless the agent row says otherwise */
	double rate_per_s;		/* commands per agent per second, sustained */
	int rate_burst;
	int sla_s[4];			/* SLA by priority (urgent, high, normal, low) */
	int http_body_max;
	int replay_max;			/* more events than this since `since`: snapshot */
	int offline_grace_s;		/* an offline agent's conversations are requeued after this; 0: never */
	int retention_days;		/* events, non-money commands, delivered webhooks; 0: forever */
	int webhook_inflight;
	int webhook_max_backoff_s;
	int demo;
	double demo_rate;		/* escalations per minute */
	int demo_customers;
	uint64_t demo_seed;
	enum log_level log_level;
};

void hub_config_defaults(struct hub_config *c);
void hub_config_free(struct hub_config *c);
/* Reads a key = value file; -1 with err naming the line and what to fix. */
int hub_config_load(struct hub_config *c, const char *path, char *err, size_t errlen);
int hub_config_set(struct hub_config *c, const char *key, const char *val, char *err, size_t errlen);
/* Splits "ADDR:PORT"; -1 if malformed. */
int hub_listen_split(const char *listen, char *addr, size_t addrlen, int *port);

/* ---- agents in memory (router.c) ---- */

struct hub_session;
struct hub_stats;

struct hub_agent {
	char *id, *name;
	int role;			/* enum proto_role */
	char **skills;
	size_t nskills;
	int max_active;
	int status;			/* enum proto_presence_status */
	int nconn;			/* live authenticated sessions */
	struct hub_session *sessions;	/* by next_agent */
	int64_t offline_since_ms;	/* last connection gone (0: online, or nothing to do) */
	double tokens;			/* rate limit bucket */
	int64_t tokens_at_us;
	struct hub_agent *hnext;
};

/* Loads (or refreshes) an agent from the store; NULL if unknown. */
struct hub_agent *hub_agent_get(const char *id);
struct hub_agent *hub_agent_by_token(const char *token);
/* Only if it is in memory (every agent with a session is): no store access. */
struct hub_agent *hub_agent_find(const char *id);
void hub_agents_free(void);
bool hub_agent_has_skill(const struct hub_agent *a, const char *skill);
/* Called by session.c when a session authenticates / goes away. */
void router_session_up(struct hub_session *s);
void router_session_down(struct hub_session *s);
/* Creates or replaces an agent and its token (the hash is stored); token
 * add and the demo use it. 0, or -1 with err. */
int hub_agent_put(const char *id, const char *name, int role, const char *skills_csv,
		  int max_active, const char *token, char *err, size_t errlen);
/* Another process changed the store (`token add`/`remove`): re-reads the
 * agents of live sessions and closes the sessions whose token is gone. */
void router_revalidate(void);
/* Requeues the conversations of agents offline for longer than
 * offline_grace_s (called every second); router_offline_init marks the
 * agents that hold conversations but have no session (after a restart). */
void router_offline_sweep(void);
void router_offline_init(void);
/* Iterates every agent known in memory. */
void hub_agents_each(void (*fn)(struct hub_agent *a, void *arg), void *arg);

/* ---- output: frames queued to a session ---- */

struct hub_out {
	struct hub_out *next;
	int64_t seq;			/* an event's seq, else 0 */
	size_t len;
	unsigned char buf[];		/* LWS_PRE bytes of headroom, then len bytes */
};
struct hub_out *hub_out_new(const char *data, size_t len, int64_t seq);
/* Encodes f (and frees it). */
struct hub_out *hub_out_frame(struct proto_frame *f, int64_t seq);

/* ---- sessions (session.c) ---- */

struct hub_session {
	struct lws *wsi;
	struct hub_agent *agent;	/* NULL until hello succeeds */
	char id[32];
	char *hdr_token;		/* from Authorization: Bearer, if any */
	char token_hash[65];		/* of the token it authenticated with */
	struct strbuf rx;		/* a message being reassembled */
	bool rx_over;			/* discarding a message over max_frame_bytes */
	size_t rx_dropped;
	struct hub_out *qhead, *qtail;
	size_t qlen;
	int close_code;			/* after the queue drains, close with this */
	char close_reason[64];
	int64_t last_seq;		/* highest event seq queued to this session */
	int64_t connected_us;
	int64_t last_rx_us;		/* a frame or pong came in (keepalive, session_tick) */
	bool ping_due, ping_sent;	/* silent for SESSION_PING_US: a ping is owed / out */
	bool closing;
	bool stats_full;		/* a supervisor that had its FULL stats pages */
	struct hub_session *next_all, *prev_all;
	struct hub_session *next_agent;
};

void session_queue(struct hub_session *s, struct hub_out *o);
/* Writes o to s at once if it can (see session.c), from the loop only and
 * never inside an lws callback; false: queue it. o stays the caller's. */
bool session_write_now(struct hub_session *s, struct hub_out *o);
/* True while the loop releases a committed batch outside any lws callback
 * (server.c): outputs may be written at once instead of from WRITEABLE. */
bool hub_release_direct(void);
/* Queues an error frame; close_code != 0 closes after it. */
void session_error(struct hub_session *s, int code, const char *msg, int close_code);
void session_close_all(void);
/* Relays a typing indicator of conversation conv to its owner and monitors
 * (not to typist, an agent, or NULL when the customer types). */
void session_typing_relay(int64_t conv, const char *assignee, bool on, int from, struct hub_agent *typist);
/* The commit failed: drop what is queued and close (the client resends). */
void session_abort(struct hub_session *s);
/* Called once a second: stats to supervisors, the hello timeout, keepalive. */
void session_tick(void);
extern const struct lws_protocols session_protocol;

/* ---- HTTP (httpapi.c) ---- */

struct hub_http;
extern const struct lws_protocols httpapi_protocol;
/* The escalation and customer-message paths, shared with the demo bot. *status
 * gets the HTTP status, the return value the JSON body (new reference). */
json_t *httpapi_escalate(json_t *body, int *status);
json_t *httpapi_customer_message(const char *conv, json_t *body, int *status);
json_t *httpapi_close(const char *conv, json_t *body, int *status);
json_t *httpapi_typing(const char *conv, json_t *body, int *status);
/* Stores a protocol Customer (with its orders and items); -1 with err if it
 * does not validate or an order belongs to another customer. */
int httpapi_customer_put(json_t *customer, char *err, size_t errlen);
/* After the commit: send the staged answer; or answer 500 (the commit failed). */
void httpapi_ready(struct hub_http *h);
void httpapi_fail(struct hub_http *h);

/* ---- the stage: released after COMMIT (server.c) ---- */

/* Visibility of an event (PROTOCOL.md "who receives it"). */
struct hub_aud {
	bool all;			/* every agent and supervisor */
	bool sups;			/* every supervisor */
	const char *agents[4];		/* these agents (NULL-terminated) */
	const char *monitors_of;	/* plus the supervisors monitoring this conv */
	int64_t msg;			/* a message event: the message's n (its row holds the frame's text) */
};

/* Opens the pass's transaction if not open yet. 0 or -1 (store error). */
int hub_begin(void);
/* The message event of message mid of conversation n, as stored (router.c):
 * seq and at are the caller's to set. */
struct proto_frame *router_message_frame(int64_t n, int64_t mid, const char *from, const char *author,
					 const char *kind, const char *text, int64_t at);
/* Emits a durable event: numbers it, stores it, stages it for delivery.
 * Takes f (an EVENT frame whose body is filled; seq, at are set here). */
int hub_event(struct proto_frame *f, const struct hub_aud *aud);
/* Stages a frame for one session (a result, a welcome, a replayed event). */
void hub_stage_session(struct hub_session *s, struct hub_out *o);
/* Stages an HTTP answer. */
void hub_stage_http(struct hub_http *h);
/* Marks where the stage is, to undo a failed command. */
struct hub_mark {
	void *tail;
	int64_t next_seq;
};
void hub_mark_get(struct hub_mark *m);
void hub_mark_undo(const struct hub_mark *m);
/* Drops anything staged for s / h (it closed). */
void hub_unstage_session(struct hub_session *s);
void hub_unstage_http(struct hub_http *h);
void hub_webhook_kick(void);
/* True while the previous pass's COMMIT runs on the commit thread: work that
 * needs the store should be deferred (it would wait otherwise). */
bool hub_db_busy(void);
/* True while a COMMIT runs (only that: deferred input may be waiting too). */
bool hub_committing(void);
/* Runs fn(owner, data) in order once the store is free (then free_data(data));
 * hub_undefer(owner) cancels what is queued for an owner that went away. */
void hub_defer(void (*fn)(void *owner, void *data), void *owner, void *data, void (*free_data)(void *data));
void hub_undefer(void *owner);
/* Commits the pass and releases the stage. */
void hub_flush(void);
int64_t hub_head(void);
/* Listens and runs the loop until SIGTERM; -1 with err if it cannot start. */
int server_run(char *err, size_t errlen);

/* ---- commands (ops.c) ---- */

/* Runs one decoded command for s; stages its result. */
void ops_exec(struct hub_session *s, const struct proto_cmd *cmd, int64_t t0_us);
/* Takes a token from a's rate-limit bucket; false if it is empty. */
bool ops_rate_ok(struct hub_agent *a);
/* A result frame for a rejection (code, message), not yet staged. */
struct proto_frame *ops_rejected(const char *cmd_id, int code, const char *fmt, ...) BATON_PRINTF(3, 4);

/* What an op handler gives back: status, body (in the result's arena) or an error. */
struct op_ctx {
	struct hub_agent *agent;
	const struct proto_cmd *cmd;
	const struct proto_args *args;
	struct proto_arena *arena;	/* the result frame's */
	int status;			/* enum proto_result_status */
	struct proto_body *body;
	int err_code;			/* enum proto_error_code when rejected */
	char err[256];
	int64_t now;
};
int op_fail(struct op_ctx *c, int code, const char *fmt, ...) BATON_PRINTF(3, 4);
/* Appends to the audit log (in the pass's transaction). percent/amount 0: none. */
int hub_audit(const char *who, const char *what, int64_t conv, int64_t action, int64_t percent,
	      int64_t amount_minor, const char *currency, const char *reason, const char *outcome,
	      const char *detail);

int router_claim(struct op_ctx *c);
int router_release(struct op_ctx *c);
int router_transfer(struct op_ctx *c);
int router_handback(struct op_ctx *c);
int router_monitor(struct op_ctx *c);
int router_presence_set(struct op_ctx *c);
int router_message(struct op_ctx *c);		/* message.send and note.add */
/* Stores a message of conversation n and emits its event to owner, extra and
 * the monitors; *out (if out) gets a copy in arena a. */
int router_post_message(int64_t n, const char *from, const char *author, const char *kind,
			const char *text, const char *owner, const char *extra,
			struct proto_arena *a, struct proto_message **out);
/* Emits agent.presence for a (after a change). */
int router_presence_event(struct hub_agent *a);
/* How much of a conversation a reader gets. */
enum conv_view {
	CONV_VIEW_OWNER,	/* everything: transcript with notes, actions */
	CONV_VIEW_QUEUE,	/* what everyone may see: the customer's and bot's messages */
	CONV_VIEW_BOT,		/* the bot: no notes */
};
/* The conversation as a protocol object in arena (NULL if not found). */
struct proto_conversation *router_conv(struct proto_arena *arena, int64_t conv, enum conv_view view);
struct proto_presence *router_presence(struct proto_arena *arena, struct hub_agent *a);

int policy_discount(struct op_ctx *c);	/* discount.approve: cap → apply, pend or refuse */
int policy_decide(struct op_ctx *c);	/* approval.decide */
void policy_expire(void);		/* pending approvals past their time → denied */
/* Deletes what is older than retention_days (a bounded batch per call). */
void policy_retention(void);
struct proto_approval *policy_approval(struct proto_arena *a, int64_t id);

/* Actions: each applies its effect, writes the action row and the audit row,
 * and emits the action event; on refusal fills c (op_fail) and returns -1. */
int action_discount_apply(struct op_ctx *c, int64_t conv, int64_t action_id,
			  const struct proto_action_params *p, const char *by);
int action_return(struct op_ctx *c);
int action_label(struct op_ctx *c);
struct proto_action *action_load(struct proto_arena *a, int64_t id);
/* The conversation args.conv for an action: must be assigned to the caller
 * (or the caller a supervisor) and have a customer. Row (n, state, assignee,
 * customer) or NULL after op_fail. */
json_t *action_conv(struct op_ctx *c, int64_t *n);
/* Inserts an action row; its id, or -1. params/result are borrowed. */
int64_t action_insert(int64_t conv, int kind, int status, const char *cmd_id, const char *by,
		      int64_t at, json_t *params, json_t *result);
int action_update(int64_t id, int status, json_t *result);
/* Emits the action event and the action.applied webhook for action id. */
int action_announce(int64_t conv, int64_t action_id);

/* ---- webhooks (webhook.c) ---- */

/* Queues a webhook of type for conv (in the current transaction); no-op if
 * the conversation has no callback_url. Takes body. */
int webhook_queue(int64_t conv, const char *type, json_t *body);
void webhook_run(void);		/* starts due deliveries (after a commit, each second) */
extern const struct lws_protocols webhook_protocol;

/* ---- demo bot (demobot.c) ---- */

int demobot_start(char *err, size_t errlen);
void demobot_stop(void);
void demobot_tick(void);
/* A webhook addressed to the in-process bot ("demo:" callback). */
void demobot_webhook(const char *type, json_t *body);
/* A demo customer's postal address (lines[] NULL-terminated); NULL if not demo. */
const char *demobot_customer_address(const char *customer_id, const char *lines[4]);

/* ---- metrics ---- */

struct hub_metrics {
	uint64_t events;
	uint64_t cmds[PROTO_OP_MONITOR + 1][4];	/* by op and result status */
	uint64_t cmds_bad;			/* frames that were not a command */
	uint64_t webhook_sent, webhook_retries, webhook_failed;
	uint64_t http_requests;
	uint64_t commits, commit_failures;
	uint64_t lat_us[32];			/* command handling, log2 buckets */
	uint64_t lat_n;
	uint64_t commit_us[32];			/* COMMIT time, log2 buckets */
	uint64_t commit_n;
	uint64_t passes;			/* loop passes */
	int connections;			/* ws sessions */
};

/* ---- the hub ---- */

struct hub {
	struct hub_config cfg;
	struct hub_store *st;
	struct lws_context *ctx;
	struct lws_vhost *vh;
	struct hub_session *sessions;	/* every ws session */
	struct hub_metrics m;
	volatile int stop;
	bool in_tx;
	int64_t next_seq;
	int64_t started_ms;
	const char *event_loop;		/* "libev" or "poll" (server.c) */
	struct demo_world *demo;
	struct hub_stats *stats;	/* supervisors' figures (stats.c, hub-stats.h) */
};
extern struct hub hub;

/* "c-12" → 12 with the prefix checked; -1 if malformed. */
int64_t hub_id_parse(const char *s, const char *prefix);
/* The wire id of n (prefix "c-"): "c-12", in arena. */
const char *hub_id_fmt(struct proto_arena *a, const char *prefix, int64_t n);
void hub_metrics_latency(int64_t us);
/* The latency quantile q (0..1) in microseconds (bucket upper bound) of a
 * log2 histogram (hub.m.lat_us or hub.m.commit_us). */
int64_t hub_metrics_quantile(const uint64_t *buckets, uint64_t n, double q);
/* A new random token (the CSPRNG), "bt_" + 43 characters; caller frees. */
char *hub_token_new(void);
void hub_token_hash(const char *token, char out[65]);

#endif
