/*
 * outbox.h: commands written before they are sent, resent until answered.
 *
 * Every command that changes state on the hub goes through here: it gets
 * its cmd frame encoded once, is written to the local store (when there is
 * one) BEFORE anything is sent, and is kept in memory in order. When the
 * link is open and the hub has welcomed us, every command not yet sent on
 * this connection goes out, unchanged (same cmd_id, same bytes). A result
 * for its cmd_id removes it (the store's row goes in the same transaction
 * as the result's effect). After a reconnect, or a restart of the console,
 * the commands still waiting are sent again; the hub answers a cmd_id it
 * has seen with `duplicate` and does nothing twice: exactly once.
 */
#ifndef BATON_OUTBOX_H
#define BATON_OUTBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "baton/proto.h"
#include "baton/store.h"

struct link;

struct outbox_item {
	struct store_cmd c;	/* cmd_id, op, conv, frame JSON, text as typed */
	bool sent;		/* sent on the current connection */
	bool from_store;	/* loaded at start: typed in an earlier run */
};

struct outbox;

/* Loads the waiting commands from st (NULL: memory only). err is set (and
 * the outbox still made) if the store could not be read. */
struct outbox *outbox_new(struct store *st, char *err, size_t errlen);
void outbox_free(struct outbox *ob);

/*
 * Adds a command: encodes cmd, writes it to the store, keeps it. A store
 * failure (disk full) returns -1 with err but the command is still kept in
 * memory and will be sent: nothing typed is lost while the console runs.
 * Returns 0 or -1; *item (if non-NULL) gets the kept item either way.
 */
int outbox_add(struct outbox *ob, const struct proto_cmd *cmd, const char *conv, const char *text,
	       const struct outbox_item **item, char *err, size_t errlen);
/* Sends every item not yet sent on this connection; returns how many went. */
size_t outbox_flush(struct outbox *ob, struct link *link);
/* The connection dropped: everything waiting must go again. */
void outbox_unsent_all(struct outbox *ob);
/* The item for cmd_id, or NULL. */
const struct outbox_item *outbox_find(const struct outbox *ob, const char *cmd_id);
/* A result arrived: forget cmd_id in memory (the store removes its row
 * with the result). Returns true if it was waiting. */
bool outbox_done(struct outbox *ob, const char *cmd_id);
/* Drops everything (another agent's commands). */
void outbox_clear(struct outbox *ob);
size_t outbox_count(const struct outbox *ob);
const struct outbox_item *outbox_at(const struct outbox *ob, size_t i);

#endif
