/*
 * model.h: the console's state, as the screen draws it.
 *
 * The model knows protocol types only: no ncurses, no libwebsockets, no
 * sqlite. app.c feeds it decoded frames (model_apply_frame) and rows loaded
 * from the local store; the UI reads it and clears the dirty flags it has
 * drawn. Nothing else writes it.
 *
 * What lives where, and why memory follows the screen, not the history:
 *   - The queue (struct model_qitem) is a compact row per queued
 *     conversation: what the queue pane shows and what sorting needs, one
 *     malloc each. Thousands of queued conversations cost a few hundred bytes
 *     each. The full conversation (customer, orders, summary) of the one the
 *     agent selects is loaded on demand into model.detail (app_select).
 *   - My conversations (struct model_conv, several active at once) are kept
 *     whole: metadata, escalation, customer and actions cloned into a
 *     per-conversation arena, and a window of the last N messages of the
 *     transcript (N = config history_lines). Older messages stay in the local
 *     store and are paged in when the agent scrolls back (app_history_older);
 *     model_conv_trim() drops them again.
 *   - Approvals, agents' presence and stats (supervisors), me and my limits,
 *     the connection state, recent command results, search hits.
 *
 * Untrusted text. Every string that came from the network is passed through
 * text_sanitize before it enters the model (model_apply_frame sanitizes the
 * frame in place first; rows from the store were sanitized when stored). The
 * UI still sanitizes again at the terminal, as text.h asks.
 *
 * Sequence numbers. model.last_seq is the last event applied; an event with
 * seq <= last_seq is ignored (model_apply_frame returns 0). A snapshot
 * replaces queue, mine, approvals and agents and sets last_seq = upto.
 *
 * Dirty flags. Every change sets bits in model.dirty (MODEL_DIRTY_*) and,
 * for a conversation, in model_conv.dirty (MODEL_CONV_*). The UI redraws
 * what is dirty at the end of a loop pass and then clears the bits itself
 * (m->dirty = 0; c->dirty = 0; c->appended = 0).
 *
 * Times are wall-clock UTC milliseconds (time_now_ms()); a field that was
 * absent or null on the wire is 0.
 */
#ifndef BATON_MODEL_H
#define BATON_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "baton/proto.h"

#define MODEL_HISTORY_DEFAULT 200	/* messages kept in memory per conversation */
#define MODEL_RESULTS_MAX     32	/* recent command results kept */
#define MODEL_HITS_MAX        100	/* search hits kept */
#define MODEL_ID_MAX          64	/* conversation and message ids */

/* ---- connection ---- */

enum model_conn {
	MODEL_CONN_OFFLINE,		/* not connected and not trying (no URL, auth refused, quitting) */
	MODEL_CONN_CONNECTING,		/* TCP/TLS/WebSocket handshake or hello sent, no welcome yet */
	MODEL_CONN_CONNECTED,		/* welcome received: live */
	MODEL_CONN_RECONNECTING,	/* lost; next attempt at model.conn_retry_at */
};

/* ---- dirty flags (model.dirty) ---- */

enum {
	MODEL_DIRTY_QUEUE     = 1u << 0,	/* queue rows, order or counts */
	MODEL_DIRTY_MINE      = 1u << 1,	/* the list of my conversations (tabs) */
	MODEL_DIRTY_CONV      = 1u << 2,	/* some model_conv.dirty is set: look at them */
	MODEL_DIRTY_CONTEXT   = 1u << 3,	/* the selected conversation's context pane */
	MODEL_DIRTY_STATUS    = 1u << 4,	/* connection, presence, counts, me */
	MODEL_DIRTY_APPROVALS = 1u << 5,
	MODEL_DIRTY_AGENTS    = 1u << 6,	/* presence of agents (supervisor) */
	MODEL_DIRTY_STATS     = 1u << 7,	/* stats frame (supervisor) */
	MODEL_DIRTY_RESULTS   = 1u << 8,	/* model.results changed */
	MODEL_DIRTY_SELECT    = 1u << 9,	/* model.sel changed */
	MODEL_DIRTY_SEARCH    = 1u << 10,	/* model.hits changed */
	MODEL_DIRTY_ALL       = 0xffffu,
};

/* ---- per-conversation dirty flags (model_conv.dirty) ---- */

enum {
	MODEL_CONV_META       = 1u << 0,	/* state, priority, assignee, SLA… (header line) */
	MODEL_CONV_APPENDED   = 1u << 1,	/* model_conv.appended new messages at the bottom */
	MODEL_CONV_TRANSCRIPT = 1u << 2,	/* the transcript changed otherwise: redraw it whole */
	MODEL_CONV_CONTEXT    = 1u << 3,	/* escalation, customer or actions */
	MODEL_CONV_TYPING     = 1u << 4,	/* typing indicator */
	MODEL_CONV_DRAFT      = 1u << 5,	/* draft text replaced (restored from the store) */
};

/* ---- the queue ---- */

/* One queued conversation, compact. Strings point into the same
 * allocation and are sanitized. */
struct model_qitem {
	char *id;
	char *customer;		/* customer name, "" if unknown */
	char *tier;		/* customer tier, "" if unknown */
	char *language;		/* "" if unknown */
	char *reason_text;	/* escalation.reason.text, first line; "" if none */
	char *assignee;		/* NULL while queued */
	int state;		/* enum proto_conv_state */
	int priority;		/* enum proto_priority */
	int channel;		/* enum proto_channel */
	int reason;		/* enum proto_reason_code, PROTO_UNKNOWN if none */
	bool has_sentiment;
	double sentiment;	/* -1..1 */
	bool has_confidence;
	double confidence;	/* 0..1 */
	int64_t created_at;
	int64_t queued_at;	/* wait timer runs from here (created_at if 0) */
	int64_t sla_due_at;	/* 0: no SLA */
	int64_t version;
	/* Free for the UI (e.g. "alerted", "SLA warned"): zero for a new row,
	 * carried over when the row is replaced by a newer version, so per-row
	 * bookkeeping needs no lookups across 10,000 rows. */
	unsigned ui_marks;
};

/* Queue order, the hub's: priority (urgent first), then SLA due (earliest
 * first, none last), then queued_at, then id. <0, 0, >0 like strcmp. */
int model_qitem_cmp(const struct model_qitem *a, const struct model_qitem *b);

/* ---- messages and conversations ---- */

/* One message of a transcript; strings are sanitized and owned by it. */
struct model_msg {
	char *id;
	char *author;		/* agent id, NULL for customer/bot/system */
	char *text;
	int from;		/* enum proto_msg_from */
	int kind;		/* enum proto_msg_kind: PUBLIC or NOTE */
	int64_t at;
};

/* A conversation kept whole (mine, monitored, or model.detail). */
struct model_conv {
	char id[MODEL_ID_MAX + 1];
	struct proto_arena *arena;	/* owns conv and all it points to */
	/* Metadata, escalation, customer, actions. conv->transcript is always
	 * empty here: the transcript is msgs[] below. Text is sanitized. */
	struct proto_conversation *conv;

	/* The transcript window, oldest first: msgs[0..nmsgs) are the newest
	 * nmsgs messages known (plus older ones paged in by scrolling). */
	struct model_msg *msgs;
	size_t nmsgs, capmsgs;
	bool older_in_store;	/* older messages exist in the store than msgs[0] */

	bool mine;		/* assigned to me */
	bool monitored;		/* a supervisor's monitor (not assigned) */
	unsigned dirty;		/* MODEL_CONV_* */
	size_t appended;	/* with MODEL_CONV_APPENDED: how many at the end are new */
	unsigned unread;	/* customer messages since the agent last looked at it */

	/* Typing indicators (ephemeral; cleared when *_until passes). */
	int64_t customer_typing_until;	/* 0: not typing */
	char typing_agent[MODEL_ID_MAX + 1];	/* another agent typing here, "" if none */
	int64_t agent_typing_until;

	/* Draft in the compose area (app_set_draft / app_get_draft). NULL: none. */
	char *draft;
};

/* ---- approvals, agents, stats ---- */

struct model_approval {
	struct proto_arena *arena;
	struct proto_approval *a;	/* sanitized clone */
	struct proto_action *action;	/* from approval.decided, NULL until then */
};

struct model_agent {
	struct proto_arena *arena;
	struct proto_presence *p;	/* sanitized clone */
};

struct model_stats {
	bool valid;		/* a stats frame has arrived */
	int64_t queue[4];	/* by enum proto_priority */
	int64_t oldest_wait_s, sla_breached;
	int64_t online, away, offline;
	int64_t handled_today, aht_s;
	int64_t sla_breached_today;	/* -1: the hub did not say */
	int64_t approvals_pending;	/* -1: the hub did not say */
	int64_t at;		/* when it arrived */
};

/* ---- command results (what the UI shows where the agent is looking) ---- */

enum model_res_state {
	MODEL_RES_QUEUED,	/* written to the outbox, not sent yet (offline) */
	MODEL_RES_SENT,		/* sent, waiting for the hub */
	MODEL_RES_OK,
	MODEL_RES_DUPLICATE,	/* the hub had done it already: fine, nothing done twice */
	MODEL_RES_PENDING,	/* waiting for a supervisor's approval */
	MODEL_RES_REJECTED,	/* refused; text says why */
	MODEL_RES_LOCAL_ERROR,	/* refused by the console before sending */
};

struct model_result {
	char cmd_id[PROTO_CMD_ID_MAX + 1];
	char conv[MODEL_ID_MAX + 1];	/* "" if none */
	int op;			/* enum proto_op */
	enum model_res_state state;
	char code[32];		/* error code ("not_owner") or "" */
	char text[300];		/* in words, sanitized: "Discount 10% approved: BTN-7QX2-KD9F" */
	int64_t at;		/* last change */
};

/* A search hit (from the local store's full-text index). */
struct model_hit {
	char conv[MODEL_ID_MAX + 1];
	char msg_id[MODEL_ID_MAX + 1];
	int from;		/* enum proto_msg_from */
	int64_t at;
	char snippet[240];	/* sanitized, the match marked with [ ] */
};

/* ---- the model ---- */

struct model {
	/* Me, from welcome (NULL until the first welcome, or loaded from the store). */
	struct proto_arena *me_arena;
	struct proto_agent *me;
	struct proto_limits *limits;
	int my_status;			/* enum proto_presence_status I set */

	/* Connection. */
	enum model_conn conn;
	int64_t conn_retry_at;		/* RECONNECTING: wall-clock ms of next try */
	char conn_error[200];		/* why the last attempt failed, "" if none */
	char url[256];			/* where we connect (no token, ever) */
	int64_t last_seq;		/* last event applied */
	int64_t head;			/* hub's head at welcome */
	char session[MODEL_ID_MAX + 1];

	/* The queue, sorted (model_qitem_cmp). */
	struct model_qitem **queue;
	size_t nqueue, capqueue;
	int64_t queue_counts[4];	/* by enum proto_priority */
	/* The hub's snapshot listed only the first of its queued conversations
	 * (snapshot.queue_total): more wait than the queue shows. Until the
	 * next snapshot lists them all. */
	bool queue_more;

	/* My conversations, in the order they became mine. */
	struct model_conv **mine;
	size_t nmine, capmine;

	/* The full object of a selected conversation that is not mine (a queued
	 * one), for the context pane; NULL if none is loaded. */
	struct model_conv *detail;

	/* The selected conversation id ("" if none): the one the conversation
	 * and context panes show, the default target of commands. */
	char sel[MODEL_ID_MAX + 1];

	struct model_approval **approvals;
	size_t napprovals, capapprovals;

	struct model_agent **agents;
	size_t nagents, capagents;

	struct model_stats stats;

	/* Most recent results, newest last (a ring flattened: results[0..nresults)). */
	struct model_result results[MODEL_RESULTS_MAX];
	size_t nresults;

	/* Last search. */
	char *search_query;
	struct model_hit *hits;
	size_t nhits;

	size_t history_lines;		/* messages kept per conversation */
	unsigned dirty;			/* MODEL_DIRTY_* */
};

/* A new empty model keeping history_lines messages per conversation
 * (0: MODEL_HISTORY_DEFAULT). */
struct model *model_new(size_t history_lines);
void model_free(struct model *m);

/*
 * Sanitizes every free-text string of the frame in place (new copies in the
 * frame's arena), so the model and the store both see safe text. Identifiers
 * (validated charset) are left alone. model_apply_frame calls it; app.c calls
 * it once before the store sees the frame. Idempotent.
 */
void model_sanitize_frame(struct proto_frame *f);
/* The same for one object of type t living in arena a. */
void model_sanitize_obj(struct proto_arena *a, const struct proto_type *t, void *obj);

/*
 * Applies one frame from the hub: welcome, snapshot, event, typing, stats,
 * result, error. now is wall-clock ms (typing timeouts, result times).
 * Returns 1 if the model changed, 0 if the frame was ignored (an event with
 * seq <= last_seq, an unknown event kind), -1 if the frame made no sense
 * here (err says why; the model is unchanged).
 */
int model_apply_frame(struct model *m, struct proto_frame *f, int64_t now,
		      char *err, size_t errlen);
/* The event part of the above (seq check included). */
int model_apply_event(struct model *m, const struct proto_event *ev, int64_t now,
		      char *err, size_t errlen);
/* Replaces queue, mine, approvals and agents; last_seq = upto. */
void model_apply_snapshot(struct model *m, const struct proto_snapshot *s);
void model_apply_welcome(struct model *m, const struct proto_welcome *w);

/*
 * Puts a conversation (a sanitized object; the transcript, if any, becomes
 * the message window) where its state says: queued → queue; assigned to me
 * or monitored → mine; otherwise removed from both. Used for events and for
 * painting from the store at start.
 */
void model_put_conversation(struct model *m, const struct proto_conversation *c, bool monitored);
/* Puts a compact queue row (copied), e.g. loaded from the store; a row for
 * a conversation that is mine is ignored. Rows arriving in queue order are
 * appended in O(1). */
void model_queue_put_row(struct model *m, const struct model_qitem *row);
/* Adds a message to the conversation it names, if it is kept; drops the
 * oldest beyond history_lines. Duplicate ids are ignored. */
void model_add_message(struct model *m, const struct proto_message *msg, int64_t now);

/* Lookups (lent pointers, valid until the next model change). */
struct model_conv *model_mine_find(const struct model *m, const char *id);
struct model_qitem *model_queue_find(const struct model *m, const char *id);
/* Index in queue, or -1. */
long model_queue_index(const struct model *m, const char *id);
struct model_approval *model_approval_find(const struct model *m, const char *id);
/* An approval that ended without a supervisor: the hub denies it when its
 * time runs out, with no decided_by. */
bool model_approval_expired(const struct proto_approval *ap);
/* The conversation the panes show: mine, else detail if it is sel; NULL. */
struct model_conv *model_selected(const struct model *m);

/* Selects a conversation (mine or queued) by id, "" for none. Clears its
 * unread count. Marks MODEL_DIRTY_SELECT | CONV | CONTEXT. */
void model_select(struct model *m, const char *id);
/* Replaces model.detail with a sanitized whole conversation (from the store)
 * or NULL. */
void model_set_detail(struct model *m, const struct proto_conversation *c);

/* Transcript paging: prepends older messages (oldest first, as returned by
 * the store); sets older_in_store = more. */
void model_conv_prepend(struct model_conv *c, const struct model_msg *older, size_t n, bool more);
/* Keeps only the newest keep messages (after the agent scrolled back down). */
void model_conv_trim(struct model_conv *c, size_t keep);

/* Connection state for the status bar. */
void model_set_conn(struct model *m, enum model_conn st, int64_t retry_at, const char *error);

/* Command results: a new one (state QUEUED or SENT), then updates. */
struct model_result *model_result_add(struct model *m, const char *cmd_id, int op,
				      const char *conv, enum model_res_state st,
				      const char *text, int64_t now);
struct model_result *model_result_find(struct model *m, const char *cmd_id);
/* The most recent result, NULL if none. */
const struct model_result *model_result_last(const struct model *m);

/* Expires typing indicators; call once a second. Returns true if any changed. */
bool model_tick(struct model *m, int64_t now);

/* Replaces the search hits (copied). */
void model_set_hits(struct model *m, const char *query, const struct model_hit *hits, size_t n);

/* Draft of a conversation kept in the model (copied; NULL or "" clears). */
void model_set_draft(struct model *m, const char *conv, const char *text);

/* Words for the status bar: "connected", "reconnecting in 4 s", "offline". */
void model_conn_text(const struct model *m, int64_t now, char *out, size_t size);

/* Words for a result: "Claimed c-1042.", "Not yours: c-1042 is Bora's." */
void model_result_words(int op, int status, const struct proto_result *r, const char *conv,
			char *out, size_t size);

/* Frees a message's strings (for arrays a caller builds). */
void model_msg_clear(struct model_msg *msg);

#endif
