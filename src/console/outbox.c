/*
 * outbox.c: write first, send after, resend until answered (outbox.h).
 */
#include "baton/outbox.h"
#include "baton/common.h"
#include "baton/link.h"
#include "baton/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct outbox {
	struct store *st;
	struct outbox_item *v;
	size_t n, cap;
};

static struct outbox_item *push(struct outbox *ob)
{
	if (ob->n == ob->cap) {
		ob->cap = ob->cap ? ob->cap * 2 : 8;
		ob->v = xrealloc(ob->v, ob->cap * sizeof *ob->v);
	}
	memset(&ob->v[ob->n], 0, sizeof ob->v[ob->n]);
	return &ob->v[ob->n++];
}

struct outbox *outbox_new(struct store *st, char *err, size_t errlen)
{
	struct outbox *ob = xcalloc(1, sizeof *ob);
	struct store_cmd *cmds = NULL;
	size_t n = 0;

	ob->st = st;
	if (errlen)
		err[0] = '\0';
	if (st && store_outbox_list(st, &cmds, &n, err, errlen) == 0) {
		for (size_t i = 0; i < n; i++) {
			struct outbox_item *it = push(ob);
			it->c = cmds[i];	/* takes frame and text */
			it->from_store = true;
		}
		free(cmds);	/* the strings moved into the items */
	}
	return ob;
}

static void item_free(struct outbox_item *it)
{
	free(it->c.frame);
	free(it->c.text);
}

void outbox_clear(struct outbox *ob)
{
	for (size_t i = 0; i < ob->n; i++)
		item_free(&ob->v[i]);
	ob->n = 0;
}

void outbox_free(struct outbox *ob)
{
	if (!ob)
		return;
	outbox_clear(ob);
	free(ob->v);
	free(ob);
}

int outbox_add(struct outbox *ob, const struct proto_cmd *cmd, const char *conv, const char *text,
	       const struct outbox_item **item, char *err, size_t errlen)
{
	struct proto_frame f;
	struct outbox_item *it;
	int rc = 0;

	memset(&f, 0, sizeof f);
	f.type = PROTO_FRAME_CMD;
	f.u.cmd = *cmd;
	it = push(ob);
	snprintf(it->c.cmd_id, sizeof it->c.cmd_id, "%s", cmd->cmd_id);
	it->c.op = cmd->op;
	snprintf(it->c.conv, sizeof it->c.conv, "%s", conv ? conv : "");
	it->c.frame = proto_frame_encode(&f, NULL);
	it->c.text = xstrdup(text ? text : "");
	it->c.created_at = time_now_ms();
	/* Written before it can be sent: a crash after this sends it next time. */
	if (ob->st && store_outbox_add(ob->st, &it->c, err, errlen) < 0)
		rc = -1;
	if (item)
		*item = it;
	return rc;
}

size_t outbox_flush(struct outbox *ob, struct link *link)
{
	size_t sent = 0;

	for (size_t i = 0; i < ob->n; i++) {
		struct outbox_item *it = &ob->v[i];
		if (it->sent)
			continue;
		if (link_send(link, it->c.frame, strlen(it->c.frame)) < 0)
			break;
		it->sent = true;
		it->c.tries++;
		if (ob->st)
			store_outbox_tried(ob->st, it->c.cmd_id);
		sent++;
	}
	return sent;
}

void outbox_unsent_all(struct outbox *ob)
{
	for (size_t i = 0; i < ob->n; i++)
		ob->v[i].sent = false;
}

const struct outbox_item *outbox_find(const struct outbox *ob, const char *cmd_id)
{
	for (size_t i = 0; i < ob->n; i++)
		if (strcmp(ob->v[i].c.cmd_id, cmd_id) == 0)
			return &ob->v[i];
	return NULL;
}

bool outbox_done(struct outbox *ob, const char *cmd_id)
{
	for (size_t i = 0; i < ob->n; i++) {
		if (strcmp(ob->v[i].c.cmd_id, cmd_id) != 0)
			continue;
		item_free(&ob->v[i]);
		memmove(&ob->v[i], &ob->v[i + 1], (ob->n - i - 1) * sizeof *ob->v);
		ob->n--;
		return true;
	}
	return false;
}

size_t outbox_count(const struct outbox *ob)
{
	return ob->n;
}

const struct outbox_item *outbox_at(const struct outbox *ob, size_t i)
{
	return i < ob->n ? &ob->v[i] : NULL;
}
