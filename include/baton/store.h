/*
 * store.h: the console's local store (sqlite).
 *
 * $XDG_DATA_HOME/baton/baton.db (default ~/.local/share/baton/baton.db,
 * directories 0700, file 0600), WAL, synchronous=FULL, schema versioned with
 * PRAGMA user_version. It holds:
 *   - conversations and messages as last seen, so the console paints at once
 *     on start (store_load), before the hub answers, and pages history older
 *     than what the model keeps in memory (store_messages_before);
 *   - the last applied event seq, written in the same transaction as the
 *     event it belongs to (store_apply_frame), so a crash never skips or
 *     repeats an event;
 *   - the outbox: a command is written here before it is sent and stays until
 *     its result arrives; after a reconnect or a restart it is sent again
 *     unchanged (same cmd_id), and the hub's idempotency makes that exactly
 *     once;
 *   - drafts per conversation;
 *   - an FTS5 index over message text (store_search).
 * Text in the store was sanitized before it was written (model_sanitize_frame).
 *
 * One process uses a store at a time (an flock on baton.db.lock): a second
 * console, or `baton -e` while the screen runs, gets -1 with a clear error
 * and runs without a store.
 *
 * Errors (disk full, I/O, a corrupt file) return -1 with a sentence in err
 * that says what to do; nothing here exits the process.
 */
#ifndef BATON_STORE_H
#define BATON_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "baton/model.h"
#include "baton/proto.h"

#define STORE_SCHEMA_VERSION 3

struct store;

/* The default path ($XDG_DATA_HOME/baton/baton.db); caller frees. */
char *store_default_path(void);

/* Opens (creating directories and schema as needed). NULL and err on failure. */
struct store *store_open(const char *path, char *err, size_t errlen);
void store_close(struct store *st);
const char *store_path(const struct store *st);

/* The last applied event seq (0 if none). */
int64_t store_last_seq(const struct store *st);

/*
 * Who this store belongs to: hub url and agent id. If a welcome names a
 * different agent or hub than the store holds, the conversations, messages
 * and seq are dropped (they were another view); drafts stay; the outbox is
 * dropped (its cmd_ids belong to the other agent) and *dropped_cmds says how
 * many commands went. Also saves the agent and limits for painting at start.
 * Returns 1 if the store was reset (the caller resets its state and
 * resumes from scratch), 0 if it was already this identity's, -1 on error.
 */
int store_bind_identity(struct store *st, const char *url, const struct proto_welcome *w,
			size_t *dropped_cmds, char *err, size_t errlen);

/* True if the store was last bound (store_bind_identity) to this hub url,
 * or to none yet: only then is what it holds this console's to paint. */
bool store_is_for(struct store *st, const char *url);

/*
 * Applies a (sanitized) frame in one transaction: an event (its effect and
 * its seq together; seq <= last is ignored), a snapshot (replaces the
 * conversations, seq = upto), a result (its body's conversation/message, and
 * the outbox row of its cmd_id removed). Other frames: nothing.
 * Returns 0 or -1 with err.
 */
int store_apply_frame(struct store *st, const struct proto_frame *f, char *err, size_t errlen);
/* The same for several frames in one transaction (one fsync): the console
 * applies a loop pass's frames together, after the screen has drawn them. */
int store_apply_frames(struct store *st, struct proto_frame *const *f, size_t n, char *err, size_t errlen);

/* Puts a (sanitized) conversation and its transcript. */
int store_put_conversation(struct store *st, const struct proto_conversation *c, bool monitored,
			   char *err, size_t errlen);

/*
 * Paints the model from the store: me and limits, the queue (compact rows,
 * already in order), my conversations with their newest history_lines
 * messages, drafts. Returns 0 or -1 with err.
 */
int store_load(struct store *st, struct model *m, char *err, size_t errlen);

/* Gives back the page cache's memory (after painting at start, which read
 * the whole queue once): the console's memory follows the screen. */
void store_trim(struct store *st);

/* A whole conversation (with its newest max_msgs messages as the transcript),
 * cloned into arena a. Returns 1 found, 0 not stored, -1 error. */
int store_get_conversation(struct store *st, const char *id, size_t max_msgs,
			   struct proto_arena *a, struct proto_conversation **out,
			   char *err, size_t errlen);

/* Up to max messages older than (before_at, before_id) of conv, oldest
 * first, into out (model_msg_clear each). *more: older ones remain.
 * Returns the count or -1. */
long store_messages_before(struct store *st, const char *conv, int64_t before_at,
			   const char *before_id, size_t max, struct model_msg *out, bool *more);

/* ---- outbox ---- */

struct store_cmd {
	char cmd_id[PROTO_CMD_ID_MAX + 1];
	int op;			/* enum proto_op */
	char conv[MODEL_ID_MAX + 1];
	char *frame;		/* the cmd frame's JSON, sent unchanged */
	char *text;		/* the command as typed (for the screen and -e output) */
	int64_t created_at;
	int tries;
};

int store_outbox_add(struct store *st, const struct store_cmd *c, char *err, size_t errlen);
/* 1 removed, 0 not there, -1 error. */
int store_outbox_remove(struct store *st, const char *cmd_id, char *err, size_t errlen);
int store_outbox_tried(struct store *st, const char *cmd_id);
/* Every waiting command, oldest first; free with store_cmds_free. */
int store_outbox_list(struct store *st, struct store_cmd **out, size_t *n, char *err, size_t errlen);
void store_cmds_free(struct store_cmd *v, size_t n);

/* ---- drafts ---- */

/* NULL or "" deletes. */
int store_draft_set(struct store *st, const char *conv, const char *text, char *err, size_t errlen);
/* Caller frees; NULL if none. */
char *store_draft_get(struct store *st, const char *conv);

/* ---- search ---- */

/* FTS5 over message text, newest first. Returns the count or -1 with err. */
long store_search(struct store *st, const char *query, struct model_hit *hits, size_t max,
		  char *err, size_t errlen);

#endif
