/*
 * hub-stats.h: the figures of the supervisors' `stats` frames and of
 * GET /metrics, computed once a second from the hub's store.
 *
 * Why a state object and not one query per tick: with 10,000 queued
 * conversations and 1,000 agents a tick must stay well under 2 ms, so the
 * figures that only grow during a day (handled, handle time, escalations by
 * reason, SLA breaches today, each agent's last message) are kept in memory
 * and advanced from high-water marks (rowids, handed_back_at), reading only
 * what changed since the previous tick; the figures of "now" (queue depth by
 * priority, oldest wait, breaches now, active conversations per agent) are
 * covering-index scans. The day is the UTC day; at midnight the day's
 * counters start again.
 *
 * Frame size. A full list of 1,000 agents does not fit one 64 KiB frame, so:
 *   - a session's first frame(s) are FULL: page 0 carries every figure, the
 *     whole history and the approval contexts; pages 1.. carry the agents,
 *     HUB_STATS_AGENTS_PER_FRAME at a time (hub_stats_frame returns NULL
 *     after the last page);
 *   - every later tick sends one DELTA frame: the figures, `history` only
 *     when a new minute's sample was taken (the whole hour, about 4 KB once
 *     a minute, so a client simply replaces it and can never hold a gap),
 *     `approval_ctx` only when the set of pending approvals changed, and
 *     `agent_stats` only for agents whose figures changed.
 *
 * The sparkline history is kept in the store (table queue_samples, see
 * HUB_STATS_MIGRATION), so a restarted hub still shows the last hour.
 */
#ifndef BATON_HUB_STATS_H
#define BATON_HUB_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "baton/proto.h"

struct hub_store;

#define HUB_STATS_HISTORY          60	/* samples (minutes) in `history` */
#define HUB_STATS_AGENTS_PER_FRAME 250	/* ~20 KB of agent_stats per frame */
#define HUB_STATS_CTX_MAX          20	/* approval contexts per frame */
#define HUB_STATS_CTX_PAST         3	/* past discounts / returns per context */

/*
 * Schema migration for src/hub/store.c: append HUB_STATS_MIGRATION to
 * migrations[] and bump HUB_STORE_SCHEMA_VERSION. It adds
 *   - queue_samples: a row a minute (the sparklines), kept for a day;
 *   - queue_depth and agent_load: queued conversations by priority and
 *     assigned ones by agent, kept exact by triggers on conversations, so
 *     a tick reads 4 + (agents with work) rows instead of walking 10,000
 *     index entries (the triggers cost one tiny upsert per state change);
 *   - indexes for the "now" figures and the day's handbacks.
 * Every statement is idempotent (IF NOT EXISTS; the counters are rebuilt
 * from conversations), so hub_stats_prepare() may run them at every start
 * too, on a store that has migrated or not.
 */
/* agent_load.seq: a change number, so a tick reads only the agents whose
 * load changed since the last (index agent_load_seq). */
#define HUB_STATS_NEXT_SEQ_ "(SELECT coalesce(max(seq), 0) + 1 FROM agent_load)"
#define HUB_STATS_MIGRATION_STMTS(X) \
	X("CREATE TABLE IF NOT EXISTS queue_samples(minute INTEGER PRIMARY KEY," \
	  " urgent INTEGER NOT NULL, high INTEGER NOT NULL, normal INTEGER NOT NULL, low INTEGER NOT NULL)") \
	X("CREATE INDEX IF NOT EXISTS conv_state_queued ON conversations(state, queued_at)") \
	X("CREATE INDEX IF NOT EXISTS conv_handed_back ON conversations(handed_back_at)") \
	X("CREATE INDEX IF NOT EXISTS conv_sla_due ON conversations(sla_due_at)") \
	X("CREATE TABLE IF NOT EXISTS queue_depth(priority INTEGER PRIMARY KEY, n INTEGER NOT NULL)") \
	X("CREATE TABLE IF NOT EXISTS agent_load(agent TEXT PRIMARY KEY, active INTEGER NOT NULL," \
	  " seq INTEGER NOT NULL DEFAULT 0)") \
	X("CREATE INDEX IF NOT EXISTS agent_load_seq ON agent_load(seq)") \
	X("CREATE TRIGGER IF NOT EXISTS stats_conv_ins AFTER INSERT ON conversations BEGIN" \
	  " INSERT INTO queue_depth(priority, n) SELECT new.priority, 1 WHERE new.state = 'queued'" \
	  "  ON CONFLICT(priority) DO UPDATE SET n = n + 1;" \
	  " INSERT INTO agent_load(agent, active, seq) SELECT new.assignee, 1, " HUB_STATS_NEXT_SEQ_ \
	  "  WHERE new.state = 'assigned' AND new.assignee IS NOT NULL" \
	  "  ON CONFLICT(agent) DO UPDATE SET active = active + 1, seq = excluded.seq; END") \
	X("CREATE TRIGGER IF NOT EXISTS stats_conv_upd AFTER UPDATE OF state, priority, assignee ON conversations BEGIN" \
	  " UPDATE queue_depth SET n = n - 1 WHERE old.state = 'queued' AND priority = old.priority;" \
	  " INSERT INTO queue_depth(priority, n) SELECT new.priority, 1 WHERE new.state = 'queued'" \
	  "  ON CONFLICT(priority) DO UPDATE SET n = n + 1;" \
	  " UPDATE agent_load SET active = active - 1, seq = " HUB_STATS_NEXT_SEQ_ \
	  "  WHERE old.state = 'assigned' AND agent = old.assignee;" \
	  " INSERT INTO agent_load(agent, active, seq) SELECT new.assignee, 1, " HUB_STATS_NEXT_SEQ_ \
	  "  WHERE new.state = 'assigned' AND new.assignee IS NOT NULL" \
	  "  ON CONFLICT(agent) DO UPDATE SET active = active + 1, seq = excluded.seq; END") \
	X("CREATE TRIGGER IF NOT EXISTS stats_conv_del AFTER DELETE ON conversations BEGIN" \
	  " UPDATE queue_depth SET n = n - 1 WHERE old.state = 'queued' AND priority = old.priority;" \
	  " UPDATE agent_load SET active = active - 1, seq = " HUB_STATS_NEXT_SEQ_ \
	  "  WHERE old.state = 'assigned' AND agent = old.assignee; END") \
	X("DELETE FROM queue_depth") \
	X("INSERT INTO queue_depth(priority, n) SELECT priority, count(*) FROM conversations" \
	  " WHERE state = 'queued' GROUP BY priority") \
	X("DELETE FROM agent_load") \
	X("INSERT INTO agent_load(agent, active, seq) SELECT assignee, count(*), 1 FROM conversations" \
	  " WHERE state = 'assigned' AND assignee IS NOT NULL GROUP BY assignee")
#define HUB_STATS_STMT_CAT_(s) s ";"
#define HUB_STATS_MIGRATION HUB_STATS_MIGRATION_STMTS(HUB_STATS_STMT_CAT_)

/* Runs HUB_STATS_MIGRATION's statements one by one (in a transaction):
 * call it once after hub_store_open; 0, or -1 with err. */
int hub_stats_prepare(struct hub_store *st, char *err, size_t errlen);

/* One agent as the hub knows it in memory (hub_agents_each). */
struct hub_stats_agent {
	const char *id;
	int status;		/* enum proto_presence_status; OFFLINE without a session */
};

struct hub_stats;

struct hub_stats *hub_stats_new(void);
void hub_stats_free(struct hub_stats *hs);

/*
 * One tick (call it every second, supervisors or not, so the history has no
 * holes): reads what changed in the store since the last call, takes the
 * minute's sample (written to queue_samples) when a new minute began, and
 * marks what a DELTA frame must carry. agents[0..n) are the agents in
 * memory with their status (others are offline). 0, or -1 with err (the
 * previous figures are kept).
 */
int hub_stats_update(struct hub_stats *hs, struct hub_store *st,
		     const struct hub_stats_agent *agents, size_t n, int64_t now_ms,
		     char *err, size_t errlen);

/*
 * The stats frame of the last update. full = false: the DELTA frame for
 * every supervisor that had its FULL frames (call it once per tick: it
 * clears the agents' changed marks). full = true: FULL page `page` for one
 * new session (0 first; NULL past the last page). NULL also before the
 * first successful update.
 */
struct proto_frame *hub_stats_frame(struct hub_stats *hs, bool full, size_t page);

/* The figures for GET /metrics (the same numbers as the frames). */
struct hub_stats_totals {
	int64_t queue[4];		/* by enum proto_priority */
	int64_t oldest_wait_s, sla_breached, sla_breached_today;
	int64_t online, away, offline;
	int64_t handled_today, aht_s, approvals_pending;
	int64_t by_reason[8];		/* by enum proto_reason_code */
};
void hub_stats_totals(const struct hub_stats *hs, struct hub_stats_totals *out);

#endif
