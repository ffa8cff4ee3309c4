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
 * Schema migration 2 for src/hub/store.c (append to migrations[] and set
 * HUB_STORE_SCHEMA_VERSION to 2). The indexes make the tick's "now" figures
 * index-only scans. IF NOT EXISTS so hub_stats_prepare() may run it on a
 * store that has not migrated yet (tests, the benchmark).
 */
#define HUB_STATS_MIGRATION \
	"CREATE TABLE IF NOT EXISTS queue_samples(minute INTEGER PRIMARY KEY," \
	"  urgent INTEGER NOT NULL, high INTEGER NOT NULL, normal INTEGER NOT NULL," \
	"  low INTEGER NOT NULL);" \
	"CREATE INDEX IF NOT EXISTS conv_state_queued ON conversations(state, queued_at);" \
	"CREATE INDEX IF NOT EXISTS conv_state_assignee ON conversations(state, assignee);" \
	"CREATE INDEX IF NOT EXISTS conv_handed_back ON conversations(handed_back_at);" \
	"CREATE INDEX IF NOT EXISTS conv_sla_due ON conversations(sla_due_at);"

/* Runs HUB_STATS_MIGRATION's statements one by one; 0, or -1 with err. */
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
