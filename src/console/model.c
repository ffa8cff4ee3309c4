/*
 * model.c: the console's state (see model.h for the shape and the rules).
 *
 * Frames come in already decoded and validated by proto; this file decides
 * where each conversation belongs (queue, mine, neither), keeps the queue in
 * the hub's order, keeps a bounded window of each transcript, and marks what
 * the screen must redraw. It never blocks and never does I/O.
 */
#include "baton/model.h"
#include "baton/common.h"
#include "baton/text.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TYPING_SHOW_MS 6000	/* a typing indicator without a refresh fades after this */

/* ---- sanitizing, generically over the descriptor tables ---- */

/* Replaces *sp with a sanitized copy in a when it differs (most text is
 * already clean, so the common case allocates nothing in the arena). */
static void sanitize_str(struct proto_arena *a, const char **sp)
{
	const char *s = *sp;
	char *clean;
	size_t n;

	if (!s)
		return;
	n = strlen(s);
	clean = text_sanitize(s, n, NULL);
	if (strcmp(clean, s) != 0)
		*sp = proto_arena_strdup(a, clean);
	free(clean);
}

void model_sanitize_obj(struct proto_arena *a, const struct proto_type *t, void *obj)
{
	if (!obj)
		return;
	for (unsigned i = 0; i < t->nfields; i++) {
		const struct proto_field *f = &t->fields[i];
		char *p = (char *)obj + f->offset;

		switch ((enum proto_kind)f->kind) {
		case PK_STR:
			/* Charset-restricted strings (ids, currency, tokens) were
			 * validated as plain ASCII; only free text needs this. */
			if (f->min == PCS_ANY)
				sanitize_str(a, (const char **)p);
			break;
		case PK_STRS: {
			struct proto_strs *arr = (void *)p;
			for (size_t k = 0; k < arr->n; k++)
				sanitize_str(a, &arr->v[k]);
			break;
		}
		case PK_OBJ:
			model_sanitize_obj(a, f->sub, *(void **)p);
			break;
		case PK_ARR: {
			struct { char *v; size_t n; } *arr = (void *)p;
			for (size_t k = 0; k < arr->n; k++)
				model_sanitize_obj(a, f->sub, arr->v + k * f->sub->size);
			break;
		}
		default:
			break;
		}
	}
}

void model_sanitize_frame(struct proto_frame *f)
{
	const struct proto_type *t = proto_frame_payload_type(f->type);

	if (t)
		model_sanitize_obj(f->arena, t, &f->u);
}

/* ---- small helpers ---- */

static void copy_id(char *dst, size_t size, const char *src)
{
	snprintf(dst, size, "%s", src ? src : "");
}

static const char *my_id(const struct model *m)
{
	return m->me ? m->me->id : NULL;
}

static void grow(void **v, size_t *cap, size_t need, size_t elem)
{
	if (need <= *cap)
		return;
	size_t n = *cap ? *cap * 2 : 16;
	while (n < need)
		n *= 2;
	*v = xrealloc(*v, n * elem);
	*cap = n;
}

/* ---- queue ---- */

int model_qitem_cmp(const struct model_qitem *a, const struct model_qitem *b)
{
	if (a->priority != b->priority)
		return a->priority < b->priority ? -1 : 1;	/* URGENT is 0 */
	if (a->sla_due_at != b->sla_due_at) {
		if (!a->sla_due_at)
			return 1;
		if (!b->sla_due_at)
			return -1;
		return a->sla_due_at < b->sla_due_at ? -1 : 1;
	}
	int64_t qa = a->queued_at ? a->queued_at : a->created_at;
	int64_t qb = b->queued_at ? b->queued_at : b->created_at;
	if (qa != qb)
		return qa < qb ? -1 : 1;
	return strcmp(a->id, b->id);
}

/* The first line of s, at most max bytes, cut on a character boundary. */
static size_t first_line_len(const char *s, size_t max)
{
	size_t n = strcspn(s, "\n\r");
	if (n <= max)
		return n;
	n = max;
	while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
		n--;
	return n;
}

/* A copy of row in one allocation: the struct, then its strings. */
static struct model_qitem *qitem_dup(const struct model_qitem *row)
{
	const char *id = row->id, *cust = row->customer ? row->customer : "";
	const char *tier = row->tier ? row->tier : "", *lang = row->language ? row->language : "";
	const char *rt = row->reason_text ? row->reason_text : "";
	size_t nid = strlen(id), ncust = strlen(cust), ntier = strlen(tier);
	size_t nlang = strlen(lang), nrt = first_line_len(rt, 160);
	size_t nass = row->assignee ? strlen(row->assignee) + 1 : 0;
	struct model_qitem *q;
	char *p;

	q = xmalloc(sizeof *q + nid + ncust + ntier + nlang + nrt + nass + 5);
	*q = *row;
	p = (char *)(q + 1);
#define PUT_(field, src, n) do { q->field = p; memcpy(p, (src), (n)); p[(n)] = '\0'; p += (n) + 1; } while (0)
	PUT_(id, id, nid);
	PUT_(customer, cust, ncust);
	PUT_(tier, tier, ntier);
	PUT_(language, lang, nlang);
	PUT_(reason_text, rt, nrt);
	if (row->assignee)
		PUT_(assignee, row->assignee, nass - 1);
#undef PUT_
	return q;
}

static struct model_qitem *qitem_new(const struct proto_conversation *c)
{
	const struct proto_escalation *e = c->escalation;
	struct model_qitem r;

	memset(&r, 0, sizeof r);
	r.id = (char *)c->id;
	r.customer = (char *)(c->customer && c->customer->name ? c->customer->name : "");
	r.tier = (char *)(c->customer && c->customer->tier ? c->customer->tier : "");
	r.language = (char *)(c->language ? c->language : "");
	r.reason_text = (char *)(e && e->reason && e->reason->text ? e->reason->text : "");
	r.assignee = (char *)c->assignee;
	r.state = c->state;
	r.priority = c->priority;
	r.channel = c->channel;
	r.reason = e && e->reason ? e->reason->code : PROTO_UNKNOWN;
	if (e && PROTO_HAS(e, escalation, sentiment) && !PROTO_IS_NULL(e, escalation, sentiment)) {
		r.has_sentiment = true;
		r.sentiment = e->sentiment;
	}
	if (e && PROTO_HAS(e, escalation, confidence) && !PROTO_IS_NULL(e, escalation, confidence)) {
		r.has_confidence = true;
		r.confidence = e->confidence;
	}
	r.created_at = c->created_at;
	r.queued_at = c->queued_at;
	r.sla_due_at = c->sla_due_at;
	r.version = c->version;
	return qitem_dup(&r);
}

long model_queue_index(const struct model *m, const char *id)
{
	for (size_t i = 0; i < m->nqueue; i++)
		if (strcmp(m->queue[i]->id, id) == 0)
			return (long)i;
	return -1;
}

struct model_qitem *model_queue_find(const struct model *m, const char *id)
{
	long i = model_queue_index(m, id);
	return i < 0 ? NULL : m->queue[i];
}

static void queue_counts(struct model *m)
{
	memset(m->queue_counts, 0, sizeof m->queue_counts);
	for (size_t i = 0; i < m->nqueue; i++)
		if (m->queue[i]->priority >= 0 && m->queue[i]->priority < 4)
			m->queue_counts[m->queue[i]->priority]++;
}

static void queue_remove(struct model *m, const char *id)
{
	long i = model_queue_index(m, id);

	if (i < 0)
		return;
	free(m->queue[i]);
	memmove(&m->queue[i], &m->queue[i + 1], (m->nqueue - (size_t)i - 1) * sizeof *m->queue);
	m->nqueue--;
	queue_counts(m);
	m->dirty |= MODEL_DIRTY_QUEUE | MODEL_DIRTY_STATUS;
}

/* Inserts q in order (binary search: the queue can be thousands long). */
static void queue_insert(struct model *m, struct model_qitem *q)
{
	size_t lo = 0, hi = m->nqueue;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (model_qitem_cmp(m->queue[mid], q) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	grow((void **)&m->queue, &m->capqueue, m->nqueue + 1, sizeof *m->queue);
	memmove(&m->queue[lo + 1], &m->queue[lo], (m->nqueue - lo) * sizeof *m->queue);
	m->queue[lo] = q;
	m->nqueue++;
	queue_counts(m);
	m->dirty |= MODEL_DIRTY_QUEUE | MODEL_DIRTY_STATUS;
}

static void queue_put(struct model *m, const struct proto_conversation *c)
{
	struct model_qitem *old = model_queue_find(m, c->id);

	if (old && old->version > c->version)
		return;		/* an older copy (a result racing its event) */
	struct model_qitem *q = qitem_new(c);
	if (old)
		q->ui_marks = old->ui_marks;
	queue_remove(m, c->id);
	queue_insert(m, q);
}

void model_queue_put_row(struct model *m, const struct model_qitem *row)
{
	struct model_qitem *q;

	if (model_mine_find(m, row->id))
		return;
	q = qitem_dup(row);
	if (!m->nqueue || model_qitem_cmp(m->queue[m->nqueue - 1], q) < 0) {
		/* In order (as the store returns them, ids unique): append
		 * without a search, so painting 10,000 rows stays linear. */
		grow((void **)&m->queue, &m->capqueue, m->nqueue + 1, sizeof *m->queue);
		m->queue[m->nqueue++] = q;
		if (q->priority >= 0 && q->priority < 4)
			m->queue_counts[q->priority]++;
		m->dirty |= MODEL_DIRTY_QUEUE | MODEL_DIRTY_STATUS;
		return;
	}
	queue_remove(m, q->id);
	queue_insert(m, q);
}

static void queue_clear(struct model *m)
{
	for (size_t i = 0; i < m->nqueue; i++)
		free(m->queue[i]);
	m->nqueue = 0;
	queue_counts(m);
	m->dirty |= MODEL_DIRTY_QUEUE | MODEL_DIRTY_STATUS;
}

/* ---- messages ---- */

void model_msg_clear(struct model_msg *msg)
{
	free(msg->id);
	free(msg->author);
	free(msg->text);
	memset(msg, 0, sizeof *msg);
}

static void msg_from_proto(struct model_msg *dst, const struct proto_message *src)
{
	dst->id = xstrdup(src->id);
	dst->author = src->author ? xstrdup(src->author) : NULL;
	dst->text = xstrdup(src->text);
	dst->from = src->from;
	dst->kind = src->kind;
	dst->at = src->at;
}

static void msg_copy(struct model_msg *dst, const struct model_msg *src)
{
	dst->id = xstrdup(src->id ? src->id : "");
	dst->author = src->author ? xstrdup(src->author) : NULL;
	dst->text = xstrdup(src->text ? src->text : "");
	dst->from = src->from;
	dst->kind = src->kind;
	dst->at = src->at;
}

static void conv_msgs_clear(struct model_conv *c)
{
	for (size_t i = 0; i < c->nmsgs; i++)
		model_msg_clear(&c->msgs[i]);
	c->nmsgs = 0;
}

void model_conv_trim(struct model_conv *c, size_t keep)
{
	if (c->nmsgs <= keep)
		return;
	size_t drop = c->nmsgs - keep;
	for (size_t i = 0; i < drop; i++)
		model_msg_clear(&c->msgs[i]);
	memmove(c->msgs, c->msgs + drop, keep * sizeof *c->msgs);
	c->nmsgs = keep;
	c->older_in_store = true;
	c->dirty |= MODEL_CONV_TRANSCRIPT;
	/* Give memory back after a long scroll into history. */
	if (c->capmsgs > 2 * keep + 16) {
		c->capmsgs = keep + 16;
		c->msgs = xrealloc(c->msgs, c->capmsgs * sizeof *c->msgs);
	}
}

void model_conv_prepend(struct model_conv *c, const struct model_msg *older, size_t n, bool more)
{
	c->older_in_store = more;
	if (!n)
		return;
	grow((void **)&c->msgs, &c->capmsgs, c->nmsgs + n, sizeof *c->msgs);
	memmove(c->msgs + n, c->msgs, c->nmsgs * sizeof *c->msgs);
	for (size_t i = 0; i < n; i++)
		msg_copy(&c->msgs[i], &older[i]);
	c->nmsgs += n;
	c->dirty |= MODEL_CONV_TRANSCRIPT;
}

static bool conv_has_msg(const struct model_conv *c, const char *id)
{
	/* Newest first: a duplicate is almost always a recent message. */
	for (size_t i = c->nmsgs; i-- > 0;)
		if (strcmp(c->msgs[i].id, id) == 0)
			return true;
	return false;
}

/* Appends in time order (a late message goes where it belongs). */
static void conv_add_msg(struct model_conv *c, const struct proto_message *msg, size_t keep)
{
	size_t pos = c->nmsgs;

	if (conv_has_msg(c, msg->id))
		return;
	while (pos > 0 && c->msgs[pos - 1].at > msg->at)
		pos--;
	if (pos == 0 && c->nmsgs >= keep && c->older_in_store)
		return;		/* older than the window: it is in the store */
	grow((void **)&c->msgs, &c->capmsgs, c->nmsgs + 1, sizeof *c->msgs);
	memmove(c->msgs + pos + 1, c->msgs + pos, (c->nmsgs - pos) * sizeof *c->msgs);
	msg_from_proto(&c->msgs[pos], msg);
	c->nmsgs++;
	if (pos == c->nmsgs - 1) {
		c->dirty |= MODEL_CONV_APPENDED;
		c->appended++;
	} else {
		c->dirty |= MODEL_CONV_TRANSCRIPT;
	}
	if (c->nmsgs > keep) {
		/* Trimming shifts indices: a full redraw, unless only the
		 * (invisible) oldest line went and one was appended. */
		size_t drop = c->nmsgs - keep;
		for (size_t i = 0; i < drop; i++)
			model_msg_clear(&c->msgs[i]);
		memmove(c->msgs, c->msgs + drop, keep * sizeof *c->msgs);
		c->nmsgs = keep;
		c->older_in_store = true;
	}
}

/* ---- kept conversations ---- */

static struct model_conv *conv_new(const char *id)
{
	struct model_conv *c = xcalloc(1, sizeof *c);
	copy_id(c->id, sizeof c->id, id);
	return c;
}

static void conv_free(struct model_conv *c)
{
	if (!c)
		return;
	conv_msgs_clear(c);
	free(c->msgs);
	free(c->draft);
	proto_arena_free(c->arena);
	free(c);
}

/* Replaces the conversation object (not the message window). */
static void conv_set_obj(struct model_conv *mc, const struct proto_conversation *c)
{
	struct proto_arena *a = proto_arena_new();
	struct proto_conversation tmp = *c;

	tmp.transcript.v = NULL;
	tmp.transcript.n = 0;
	mc->conv = PROTO_CLONE(a, conversation, &tmp);
	proto_arena_free(mc->arena);
	mc->arena = a;
	mc->dirty |= MODEL_CONV_META | MODEL_CONV_CONTEXT;
}

/* Takes the transcript of c as the message window (last keep messages). */
static void conv_set_transcript(struct model_conv *mc, const struct proto_conversation *c, size_t keep)
{
	size_t n = c->transcript.n, from = n > keep ? n - keep : 0;

	conv_msgs_clear(mc);
	grow((void **)&mc->msgs, &mc->capmsgs, n - from, sizeof *mc->msgs);
	for (size_t i = from; i < n; i++)
		msg_from_proto(&mc->msgs[mc->nmsgs++], &c->transcript.v[i]);
	mc->older_in_store = from > 0;
	mc->dirty |= MODEL_CONV_TRANSCRIPT;
	mc->appended = 0;
}

struct model_conv *model_mine_find(const struct model *m, const char *id)
{
	for (size_t i = 0; i < m->nmine; i++)
		if (strcmp(m->mine[i]->id, id) == 0)
			return m->mine[i];
	return NULL;
}

static long mine_index(const struct model *m, const char *id)
{
	for (size_t i = 0; i < m->nmine; i++)
		if (strcmp(m->mine[i]->id, id) == 0)
			return (long)i;
	return -1;
}

/* Takes mc out of mine (not freed). */
static struct model_conv *mine_take(struct model *m, const char *id)
{
	long i = mine_index(m, id);
	struct model_conv *c;

	if (i < 0)
		return NULL;
	c = m->mine[i];
	memmove(&m->mine[i], &m->mine[i + 1], (m->nmine - (size_t)i - 1) * sizeof *m->mine);
	m->nmine--;
	m->dirty |= MODEL_DIRTY_MINE | MODEL_DIRTY_STATUS;
	return c;
}

static void mine_append(struct model *m, struct model_conv *c)
{
	grow((void **)&m->mine, &m->capmine, m->nmine + 1, sizeof *m->mine);
	m->mine[m->nmine++] = c;
	m->dirty |= MODEL_DIRTY_MINE | MODEL_DIRTY_STATUS;
}

static bool is_sel(const struct model *m, const char *id)
{
	return m->sel[0] && strcmp(m->sel, id) == 0;
}

/* A conversation leaving mine while selected stays visible as detail (the
 * agent sees the handback or transfer happen); otherwise it is dropped. */
static void retire(struct model *m, struct model_conv *c)
{
	if (is_sel(m, c->id)) {
		conv_free(m->detail);
		c->mine = false;
		c->dirty |= MODEL_CONV_META | MODEL_CONV_TRANSCRIPT | MODEL_CONV_CONTEXT;
		m->detail = c;
		m->dirty |= MODEL_DIRTY_CONV | MODEL_DIRTY_CONTEXT;
	} else {
		conv_free(c);
	}
}

void model_put_conversation(struct model *m, const struct proto_conversation *c, bool monitored)
{
	const char *me = my_id(m);
	bool to_me = c->state == PROTO_STATE_ASSIGNED && c->assignee && me && strcmp(c->assignee, me) == 0;
	struct model_conv *mc = model_mine_find(m, c->id);

	if (mc && mc->conv && mc->conv->version > c->version)
		return;		/* stale copy */
	if (mc && mc->monitored && c->state == PROTO_STATE_ASSIGNED)
		monitored = true;	/* still monitoring a conversation someone else has */

	if (c->state == PROTO_STATE_QUEUED)
		queue_put(m, c);
	else
		queue_remove(m, c->id);

	if (to_me || (monitored && c->state == PROTO_STATE_ASSIGNED)) {
		bool fresh = !mc;
		if (fresh) {
			/* Back from detail (selected, then claimed): keep its window. */
			if (m->detail && strcmp(m->detail->id, c->id) == 0) {
				mc = m->detail;
				m->detail = NULL;
			} else {
				mc = conv_new(c->id);
			}
		}
		conv_set_obj(mc, c);
		if (PROTO_HAS(c, conversation, transcript) || fresh)
			if (c->transcript.n || !mc->nmsgs)
				conv_set_transcript(mc, c, m->history_lines);
		mc->mine = to_me;
		mc->monitored = !to_me && monitored;
		if (fresh)
			mine_append(m, mc);
		m->dirty |= MODEL_DIRTY_MINE | MODEL_DIRTY_CONV | MODEL_DIRTY_STATUS;
	} else {
		if (mc)
			retire(m, mine_take(m, c->id));
		if (m->detail && strcmp(m->detail->id, c->id) == 0) {
			conv_set_obj(m->detail, c);
			if (c->transcript.n)
				conv_set_transcript(m->detail, c, m->history_lines);
			m->dirty |= MODEL_DIRTY_CONV;
		}
	}
	if (is_sel(m, c->id))
		m->dirty |= MODEL_DIRTY_CONTEXT | MODEL_DIRTY_CONV;
}

void model_add_message(struct model *m, const struct proto_message *msg, int64_t now)
{
	struct model_conv *c = model_mine_find(m, msg->conv);

	(void)now;
	if (!c && m->detail && strcmp(m->detail->id, msg->conv) == 0)
		c = m->detail;
	if (!c)
		return;
	size_t before = c->nmsgs;
	bool had = conv_has_msg(c, msg->id);
	conv_add_msg(c, msg, m->history_lines);
	if (had)
		return;
	(void)before;
	if (msg->from == PROTO_FROM_CUSTOMER) {
		c->customer_typing_until = 0;	/* they sent it: no longer typing */
		c->dirty |= MODEL_CONV_TYPING;
		if (!is_sel(m, c->id)) {
			c->unread++;
			m->dirty |= MODEL_DIRTY_MINE;
		}
	}
	m->dirty |= MODEL_DIRTY_CONV;
}

/* Replaces or appends an action of a kept conversation. */
static void conv_put_action(struct model_conv *mc, const struct proto_action *act)
{
	struct proto_conversation tmp;
	struct proto_action *v;
	size_t n;

	if (!mc || !mc->conv)
		return;
	tmp = *mc->conv;
	n = tmp.actions.n;
	v = xcalloc(n + 1, sizeof *v);
	if (n)
		memcpy(v, tmp.actions.v, n * sizeof *v);
	size_t i;
	for (i = 0; i < n; i++)
		if (strcmp(v[i].id, act->id) == 0)
			break;
	v[i] = *act;
	tmp.actions.v = v;
	tmp.actions.n = i == n ? n + 1 : n;
	if (tmp.actions.n)
		PROTO_SET(&tmp, conversation, actions);
	conv_set_obj(mc, &tmp);		/* deep-copies before the old arena goes */
	free(v);
}

static struct model_conv *kept(const struct model *m, const char *id)
{
	struct model_conv *c;

	if (!id)
		return NULL;
	c = model_mine_find(m, id);
	if (!c && m->detail && strcmp(m->detail->id, id) == 0)
		c = m->detail;
	return c;
}

static void put_action(struct model *m, const struct proto_action *act)
{
	struct model_conv *c = kept(m, act->conv);

	if (!c)
		return;
	conv_put_action(c, act);
	m->dirty |= MODEL_DIRTY_CONV;
	if (is_sel(m, c->id))
		m->dirty |= MODEL_DIRTY_CONTEXT;
}

/* ---- approvals and agents ---- */

bool model_approval_expired(const struct proto_approval *ap)
{
	return ap->state == PROTO_APPR_DENIED && (!ap->decided_by || !*ap->decided_by);
}

struct model_approval *model_approval_find(const struct model *m, const char *id)
{
	for (size_t i = 0; i < m->napprovals; i++)
		if (strcmp(m->approvals[i]->a->id, id) == 0)
			return m->approvals[i];
	return NULL;
}

static void approval_free(struct model_approval *a)
{
	if (!a)
		return;
	proto_arena_free(a->arena);
	free(a);
}

static void approval_put(struct model *m, const struct proto_approval *ap, const struct proto_action *act)
{
	struct model_approval *a = model_approval_find(m, ap->id);

	if (!a) {
		a = xcalloc(1, sizeof *a);
		grow((void **)&m->approvals, &m->capapprovals, m->napprovals + 1, sizeof *m->approvals);
		m->approvals[m->napprovals++] = a;
	}
	struct proto_arena *na = proto_arena_new();
	a->a = PROTO_CLONE(na, approval, ap);
	a->action = act ? PROTO_CLONE(na, action, act) : NULL;
	proto_arena_free(a->arena);
	a->arena = na;
	m->dirty |= MODEL_DIRTY_APPROVALS | MODEL_DIRTY_STATUS;
}

static void approvals_clear(struct model *m)
{
	for (size_t i = 0; i < m->napprovals; i++)
		approval_free(m->approvals[i]);
	m->napprovals = 0;
	m->dirty |= MODEL_DIRTY_APPROVALS;
}

static void agent_put(struct model *m, const struct proto_presence *p)
{
	struct model_agent *a = NULL;

	for (size_t i = 0; i < m->nagents; i++)
		if (strcmp(m->agents[i]->p->id, p->id) == 0)
			a = m->agents[i];
	if (!a) {
		a = xcalloc(1, sizeof *a);
		grow((void **)&m->agents, &m->capagents, m->nagents + 1, sizeof *m->agents);
		m->agents[m->nagents++] = a;
	}
	struct proto_arena *na = proto_arena_new();
	a->p = PROTO_CLONE(na, presence, p);
	proto_arena_free(a->arena);
	a->arena = na;
	if (my_id(m) && strcmp(p->id, my_id(m)) == 0) {
		m->my_status = p->status;
		m->dirty |= MODEL_DIRTY_STATUS;
	}
	m->dirty |= MODEL_DIRTY_AGENTS;
}

static void agents_clear(struct model *m)
{
	for (size_t i = 0; i < m->nagents; i++) {
		proto_arena_free(m->agents[i]->arena);
		free(m->agents[i]);
	}
	m->nagents = 0;
	m->dirty |= MODEL_DIRTY_AGENTS;
}

/* ---- life cycle ---- */

struct model *model_new(size_t history_lines)
{
	struct model *m = xcalloc(1, sizeof *m);

	m->history_lines = history_lines ? history_lines : MODEL_HISTORY_DEFAULT;
	m->conn = MODEL_CONN_OFFLINE;
	m->my_status = PROTO_PRES_ONLINE;
	m->dirty = MODEL_DIRTY_ALL;
	return m;
}

void model_free(struct model *m)
{
	if (!m)
		return;
	queue_clear(m);
	free(m->queue);
	for (size_t i = 0; i < m->nmine; i++)
		conv_free(m->mine[i]);
	free(m->mine);
	conv_free(m->detail);
	approvals_clear(m);
	free(m->approvals);
	agents_clear(m);
	free(m->agents);
	free(m->search_query);
	free(m->hits);
	proto_arena_free(m->me_arena);
	free(m);
}

/* ---- frames ---- */

void model_apply_welcome(struct model *m, const struct proto_welcome *w)
{
	struct proto_arena *a = proto_arena_new();

	m->me = PROTO_CLONE(a, agent, w->agent);
	m->limits = PROTO_CLONE(a, limits, w->limits);
	proto_arena_free(m->me_arena);
	m->me_arena = a;
	m->head = w->head;
	copy_id(m->session, sizeof m->session, w->session);
	m->conn = MODEL_CONN_CONNECTED;
	m->conn_retry_at = 0;
	m->conn_error[0] = '\0';
	m->dirty |= MODEL_DIRTY_STATUS;
}

void model_apply_snapshot(struct model *m, const struct proto_snapshot *s)
{
	struct model_conv **old = m->mine;
	size_t nold = m->nmine;

	/* Drafts and unread counts are the console's own: carry them over. */
	m->mine = NULL;
	m->nmine = m->capmine = 0;
	queue_clear(m);
	for (size_t i = 0; i < s->queue.n; i++)
		queue_put(m, &s->queue.v[i]);
	m->queue_more = PROTO_HAS(s, snapshot, queue_total) && s->queue_total > (int64_t)s->queue.n;
	m->dirty |= MODEL_DIRTY_QUEUE | MODEL_DIRTY_STATUS;
	for (size_t i = 0; i < s->mine.n; i++) {
		const struct proto_conversation *c = &s->mine.v[i];
		const char *me = my_id(m);
		bool monitored = !(c->assignee && me && strcmp(c->assignee, me) == 0);
		model_put_conversation(m, c, monitored);
	}
	for (size_t i = 0; i < nold; i++) {
		struct model_conv *nc = model_mine_find(m, old[i]->id);
		if (nc) {
			nc->draft = old[i]->draft;
			old[i]->draft = NULL;
			nc->unread = old[i]->unread;
			if (!nc->nmsgs && old[i]->nmsgs) {
				/* The snapshot had no transcript: keep what we had. */
				struct model_msg *tm = nc->msgs;
				size_t tn = nc->nmsgs, tc = nc->capmsgs;
				nc->msgs = old[i]->msgs;
				nc->nmsgs = old[i]->nmsgs;
				nc->capmsgs = old[i]->capmsgs;
				nc->older_in_store = old[i]->older_in_store;
				old[i]->msgs = tm;
				old[i]->nmsgs = tn;
				old[i]->capmsgs = tc;
			}
		}
		if (is_sel(m, old[i]->id) && !nc) {
			conv_free(m->detail);
			old[i]->mine = false;
			m->detail = old[i];
		} else {
			conv_free(old[i]);
		}
	}
	free(old);
	approvals_clear(m);
	for (size_t i = 0; i < s->approvals.n; i++)
		approval_put(m, &s->approvals.v[i], NULL);
	agents_clear(m);
	for (size_t i = 0; i < s->agents.n; i++)
		agent_put(m, &s->agents.v[i]);
	m->last_seq = s->upto;
	m->dirty |= MODEL_DIRTY_ALL;
}

static const char *body_conv(const struct proto_event *ev)
{
	if (ev->body && ev->body->conv)
		return ev->body->conv;
	return ev->conv;
}

/* A handback or close: the conversation leaves mine and the queue. */
static void conv_ends(struct model *m, const char *id, int state)
{
	struct model_conv *c;

	if (!id)
		return;
	queue_remove(m, id);
	c = mine_take(m, id);
	if (c) {
		if (c->conv)
			c->conv->state = state;
		retire(m, c);
	} else if (m->detail && strcmp(m->detail->id, id) == 0 && m->detail->conv) {
		m->detail->conv->state = state;
		m->detail->dirty |= MODEL_CONV_META;
		m->dirty |= MODEL_DIRTY_CONV | MODEL_DIRTY_CONTEXT;
	}
}

int model_apply_event(struct model *m, const struct proto_event *ev, int64_t now,
		      char *err, size_t errlen)
{
	const struct proto_body *b = ev->body;

	if (ev->seq <= m->last_seq)
		return 0;
	m->last_seq = ev->seq;
	if (ev->kind == PROTO_UNKNOWN || !b)
		return 0;	/* a newer hub's event: skipped in order */

	switch ((enum proto_event_kind)ev->kind) {
	case PROTO_EV_CONV_QUEUED:
	case PROTO_EV_CONV_ASSIGNED:
	case PROTO_EV_CONV_RELEASED:
	case PROTO_EV_CONV_TRANSFERRED:
		model_put_conversation(m, b->conversation, false);
		break;
	case PROTO_EV_CONV_HANDED_BACK:
		conv_ends(m, body_conv(ev), PROTO_STATE_HANDED_BACK);
		break;
	case PROTO_EV_CONV_CLOSED:
		conv_ends(m, body_conv(ev), PROTO_STATE_CLOSED);
		break;
	case PROTO_EV_MESSAGE:
		model_add_message(m, b->message, now);
		break;
	case PROTO_EV_ACTION:
		put_action(m, b->action);
		break;
	case PROTO_EV_APPROVAL_REQUESTED:
		approval_put(m, b->approval, NULL);
		break;
	case PROTO_EV_APPROVAL_DECIDED:
		approval_put(m, b->approval, b->action);
		if (b->action)
			put_action(m, b->action);
		break;
	case PROTO_EV_AGENT_PRESENCE:
		agent_put(m, b->presence);
		break;
	default:
		snprintf(err, errlen, "event kind %d is not handled", ev->kind);
		return 0;
	}
	return 1;
}

static void apply_typing(struct model *m, const struct proto_typing *t, int64_t now)
{
	struct model_conv *c = kept(m, t->conv);
	bool agent = t->agent && (!PROTO_HAS(t, typing, from) || t->from == PROTO_FROM_AGENT);

	if (!c)
		return;
	if (agent) {
		if (my_id(m) && strcmp(t->agent, my_id(m)) == 0)
			return;		/* my own typing echoed */
		copy_id(c->typing_agent, sizeof c->typing_agent, t->on ? t->agent : "");
		c->agent_typing_until = t->on ? now + TYPING_SHOW_MS : 0;
	} else {
		c->customer_typing_until = t->on ? now + TYPING_SHOW_MS : 0;
	}
	c->dirty |= MODEL_CONV_TYPING;
	m->dirty |= MODEL_DIRTY_CONV;
}

static void apply_stats(struct model *m, const struct proto_stats *s, int64_t now)
{
	struct model_stats *st = &m->stats;

	st->valid = true;
	st->queue[PROTO_PRIO_URGENT] = s->queue->urgent;
	st->queue[PROTO_PRIO_HIGH] = s->queue->high;
	st->queue[PROTO_PRIO_NORMAL] = s->queue->normal;
	st->queue[PROTO_PRIO_LOW] = s->queue->low;
	st->oldest_wait_s = s->oldest_wait_s;
	st->sla_breached = s->sla_breached;
	st->online = s->agents->online;
	st->away = s->agents->away;
	st->offline = s->agents->offline;
	st->handled_today = s->handled_today;
	st->aht_s = s->aht_s;
	st->sla_breached_today = PROTO_HAS(s, stats, sla_breached_today) ? s->sla_breached_today : -1;
	st->approvals_pending = PROTO_HAS(s, stats, approvals_pending) ? s->approvals_pending : -1;
	st->at = now;
	m->dirty |= MODEL_DIRTY_STATS;
}

static enum model_res_state res_state(int status)
{
	switch (status) {
	case PROTO_RES_OK: return MODEL_RES_OK;
	case PROTO_RES_DUPLICATE: return MODEL_RES_DUPLICATE;
	case PROTO_RES_PENDING: return MODEL_RES_PENDING;
	default: return MODEL_RES_REJECTED;
	}
}

static void apply_result(struct model *m, const struct proto_result *r, int64_t now)
{
	struct model_result *mr = model_result_find(m, r->cmd_id);
	const struct proto_body *b = r->body;
	const char *conv = "";

	if (b && b->conversation)
		conv = b->conversation->id;
	else if (b && b->message)
		conv = b->message->conv;
	else if (b && b->action)
		conv = b->action->conv;
	if (!mr)
		mr = model_result_add(m, r->cmd_id, PROTO_UNKNOWN, conv, MODEL_RES_SENT, "", now);
	mr->state = res_state(r->status);
	copy_id(mr->code, sizeof mr->code, r->error ? r->error->code : "");
	model_result_words(mr->op, r->status, r, mr->conv[0] ? mr->conv : conv, mr->text, sizeof mr->text);
	mr->at = now;
	m->dirty |= MODEL_DIRTY_RESULTS;

	/* The body is the new state: show it now rather than after the event.
	 * Not a duplicate's: that is the first answer's body, maybe long stale. */
	if (b && (r->status == PROTO_RES_OK || r->status == PROTO_RES_PENDING)) {
		if (b->conversation)
			model_put_conversation(m, b->conversation,
					       mr->op == PROTO_OP_MONITOR);
		if (b->message)
			model_add_message(m, b->message, now);
		if (b->action)
			put_action(m, b->action);
		if (b->approval)
			approval_put(m, b->approval, b->action);
		if (b->presence && my_id(m) && strcmp(b->presence->id, my_id(m)) == 0) {
			m->my_status = b->presence->status;
			m->dirty |= MODEL_DIRTY_STATUS;
		}
	}
}

int model_apply_frame(struct model *m, struct proto_frame *f, int64_t now, char *err, size_t errlen)
{
	if (errlen)
		err[0] = '\0';
	model_sanitize_frame(f);
	switch (f->type) {
	case PROTO_FRAME_WELCOME:
		model_apply_welcome(m, &f->u.welcome);
		return 1;
	case PROTO_FRAME_SNAPSHOT:
		model_apply_snapshot(m, &f->u.snapshot);
		return 1;
	case PROTO_FRAME_EVENT:
		return model_apply_event(m, &f->u.event, now, err, errlen);
	case PROTO_FRAME_TYPING:
		apply_typing(m, &f->u.typing, now);
		return 1;
	case PROTO_FRAME_STATS:
		apply_stats(m, &f->u.stats, now);
		return 1;
	case PROTO_FRAME_RESULT:
		apply_result(m, &f->u.result, now);
		return 1;
	case PROTO_FRAME_ERROR: {
		char text[300];
		snprintf(text, sizeof text, "The hub did not understand a frame: %s (%s).",
			 f->u.error.message, f->u.error.code);
		model_result_add(m, "", PROTO_UNKNOWN, "", MODEL_RES_REJECTED, text, now);
		return 1;
	}
	default:
		snprintf(err, errlen, "a %s frame is not expected from the hub",
			 PROTO_ENUM_STR(frame_type, f->type));
		return -1;
	}
}

/* ---- selection ---- */

struct model_conv *model_selected(const struct model *m)
{
	if (!m->sel[0])
		return NULL;
	return kept(m, m->sel);
}

void model_select(struct model *m, const char *id)
{
	struct model_conv *c;

	if (!id)
		id = "";
	if (strcmp(m->sel, id) != 0) {
		copy_id(m->sel, sizeof m->sel, id);
		/* A detail that is no longer selected is not kept. */
		if (m->detail && strcmp(m->detail->id, m->sel) != 0) {
			conv_free(m->detail);
			m->detail = NULL;
		}
	}
	c = kept(m, m->sel);
	if (c) {
		if (c->unread)
			m->dirty |= MODEL_DIRTY_MINE;
		c->unread = 0;
		c->dirty |= MODEL_CONV_META | MODEL_CONV_TRANSCRIPT | MODEL_CONV_CONTEXT;
	}
	m->dirty |= MODEL_DIRTY_SELECT | MODEL_DIRTY_CONV | MODEL_DIRTY_CONTEXT;
}

void model_set_detail(struct model *m, const struct proto_conversation *c)
{
	conv_free(m->detail);
	m->detail = NULL;
	if (c) {
		m->detail = conv_new(c->id);
		conv_set_obj(m->detail, c);
		conv_set_transcript(m->detail, c, m->history_lines);
	}
	m->dirty |= MODEL_DIRTY_CONV | MODEL_DIRTY_CONTEXT;
}

/* ---- connection, results, typing, search, drafts ---- */

void model_set_conn(struct model *m, enum model_conn st, int64_t retry_at, const char *error)
{
	m->conn = st;
	m->conn_retry_at = retry_at;
	if (error) {
		char *clean = text_sanitize_line(error, strlen(error), NULL);
		copy_id(m->conn_error, sizeof m->conn_error, clean);
		free(clean);
	}
	m->dirty |= MODEL_DIRTY_STATUS;
}

struct model_result *model_result_find(struct model *m, const char *cmd_id)
{
	if (!cmd_id[0])
		return NULL;
	for (size_t i = m->nresults; i-- > 0;)
		if (strcmp(m->results[i].cmd_id, cmd_id) == 0)
			return &m->results[i];
	return NULL;
}

struct model_result *model_result_add(struct model *m, const char *cmd_id, int op, const char *conv,
				      enum model_res_state st, const char *text, int64_t now)
{
	struct model_result *r;

	if (m->nresults == MODEL_RESULTS_MAX) {
		memmove(&m->results[0], &m->results[1], (MODEL_RESULTS_MAX - 1) * sizeof m->results[0]);
		m->nresults--;
	}
	r = &m->results[m->nresults++];
	memset(r, 0, sizeof *r);
	copy_id(r->cmd_id, sizeof r->cmd_id, cmd_id);
	copy_id(r->conv, sizeof r->conv, conv);
	r->op = op;
	r->state = st;
	if (text) {
		char *clean = text_sanitize_line(text, strlen(text), NULL);
		copy_id(r->text, sizeof r->text, clean);
		free(clean);
	}
	r->at = now;
	m->dirty |= MODEL_DIRTY_RESULTS;
	return r;
}

const struct model_result *model_result_last(const struct model *m)
{
	return m->nresults ? &m->results[m->nresults - 1] : NULL;
}

bool model_tick(struct model *m, int64_t now)
{
	bool changed = false;

	for (size_t i = 0; i <= m->nmine; i++) {
		struct model_conv *c = i < m->nmine ? m->mine[i] : m->detail;
		if (!c)
			continue;
		if (c->customer_typing_until && c->customer_typing_until <= now) {
			c->customer_typing_until = 0;
			c->dirty |= MODEL_CONV_TYPING;
			changed = true;
		}
		if (c->agent_typing_until && c->agent_typing_until <= now) {
			c->agent_typing_until = 0;
			c->typing_agent[0] = '\0';
			c->dirty |= MODEL_CONV_TYPING;
			changed = true;
		}
	}
	if (changed)
		m->dirty |= MODEL_DIRTY_CONV;
	if (m->conn == MODEL_CONN_RECONNECTING)
		m->dirty |= MODEL_DIRTY_STATUS;		/* "reconnecting in N s" counts down */
	return changed;
}

void model_set_hits(struct model *m, const char *query, const struct model_hit *hits, size_t n)
{
	free(m->search_query);
	free(m->hits);
	m->search_query = query ? xstrdup(query) : NULL;
	m->hits = n ? xmalloc(n * sizeof *hits) : NULL;
	if (n)
		memcpy(m->hits, hits, n * sizeof *hits);
	m->nhits = n;
	m->dirty |= MODEL_DIRTY_SEARCH;
}

void model_set_draft(struct model *m, const char *conv, const char *text)
{
	struct model_conv *c = kept(m, conv);

	if (!c)
		return;
	free(c->draft);
	c->draft = text && *text ? xstrdup(text) : NULL;
}

void model_conn_text(const struct model *m, int64_t now, char *out, size_t size)
{
	switch (m->conn) {
	case MODEL_CONN_CONNECTED:
		snprintf(out, size, "connected");
		break;
	case MODEL_CONN_CONNECTING:
		snprintf(out, size, "connecting");
		break;
	case MODEL_CONN_RECONNECTING: {
		int64_t s = (m->conn_retry_at - now + 999) / 1000;
		snprintf(out, size, "reconnecting in %lld s", (long long)(s > 0 ? s : 0));
		break;
	}
	default:
		snprintf(out, size, "offline");
		break;
	}
}

/* ---- results in words ---- */

static const char *op_verb(int op)
{
	switch (op) {
	case PROTO_OP_CLAIM: return "Claim";
	case PROTO_OP_RELEASE: return "Release";
	case PROTO_OP_MESSAGE_SEND: return "Message";
	case PROTO_OP_NOTE_ADD: return "Note";
	case PROTO_OP_DISCOUNT_APPROVE: return "Discount";
	case PROTO_OP_RETURN_CREATE: return "Return";
	case PROTO_OP_LABEL_CREATE: return "Label";
	case PROTO_OP_HANDBACK: return "Handback";
	case PROTO_OP_TRANSFER: return "Transfer";
	case PROTO_OP_PRESENCE_SET: return "Status";
	case PROTO_OP_APPROVAL_DECIDE: return "Decision";
	case PROTO_OP_MONITOR: return "Monitor";
	default: return "Command";
	}
}

/* What an error code means for the person at the keyboard. */
static const char *error_words(const char *code)
{
	static const struct { const char *code, *words; } tab[] = {
		{ "not_found", "not found" },
		{ "not_owner", "that conversation is not yours (any more)" },
		{ "already_claimed", "someone else claimed it first" },
		{ "limit_exceeded", "you are at your limit of active conversations; hand one back first" },
		{ "invalid_state", "not possible in its current state" },
		{ "ineligible", "not eligible" },
		{ "forbidden", "your role does not allow this" },
		{ "unauthorized", "the hub did not accept your token" },
		{ "bad_request", "the hub refused the request" },
		{ "idempotency_mismatch", "this command id was already used for something else" },
		{ "rate_limited", "too many commands at once; try again in a moment" },
		{ "too_large", "too large" },
		{ "unknown_op", "this hub does not know that command" },
		{ "internal", "the hub had an internal error; try again" },
	};
	for (size_t i = 0; i < BATON_ARRAY_LEN(tab); i++)
		if (strcmp(tab[i].code, code) == 0)
			return tab[i].words;
	return "refused";
}

static void money_words(const struct proto_action *a, char *out, size_t size)
{
	const struct proto_action_result *r = a->result;
	const struct proto_action_params *p = a->params;

	switch (a->kind) {
	case PROTO_ACT_DISCOUNT:
		if (r && r->percent)
			snprintf(out, size, "discount %lld%%%s%s", (long long)r->percent,
				 r->code ? ", code " : "", r->code ? r->code : "");
		else if (r && r->amount_minor)
			snprintf(out, size, "discount %lld.%02lld %s%s%s", (long long)(r->amount_minor / 100),
				 (long long)(r->amount_minor % 100), r->currency ? r->currency : "",
				 r->code ? ", code " : "", r->code ? r->code : "");
		else if (p && p->percent)
			snprintf(out, size, "discount %lld%%", (long long)p->percent);
		else if (p)
			snprintf(out, size, "discount %lld.%02lld", (long long)(p->amount_minor / 100),
				 (long long)(p->amount_minor % 100));
		else
			snprintf(out, size, "discount");
		break;
	case PROTO_ACT_RETURN:
		if (r && r->rma)
			snprintf(out, size, "return %s, refund %lld.%02lld %s", r->rma,
				 (long long)(r->refund_minor / 100), (long long)(r->refund_minor % 100),
				 r->currency ? r->currency : "");
		else
			snprintf(out, size, "return");
		break;
	case PROTO_ACT_LABEL:
		if (r && r->label)
			snprintf(out, size, "label %s, %s tracking %s", r->label,
				 r->carrier ? r->carrier : "", r->tracking ? r->tracking : "-");
		else
			snprintf(out, size, "label");
		break;
	default:
		snprintf(out, size, "action");
	}
}

void model_result_words(int op, int status, const struct proto_result *r, const char *conv,
			char *out, size_t size)
{
	const struct proto_body *b = r ? r->body : NULL;
	const char *c = conv && *conv ? conv : "";
	char what[200] = "";

	if (status == PROTO_RES_REJECTED) {
		const struct proto_error *e = r ? r->error : NULL;
		snprintf(out, size, "%s%s%s refused: %s. (%s)", op_verb(op), *c ? " in " : "", c,
			 e ? error_words(e->code) : "refused", e ? e->message : "no reason given");
		return;
	}
	if (b && b->action)
		money_words(b->action, what, sizeof what);
	if (status == PROTO_RES_PENDING) {
		snprintf(out, size, "%s%s%s is waiting for a supervisor's approval%s%s.", op_verb(op),
			 *c ? " in " : "", c, *what ? ": " : "", what);
		return;
	}
	const char *dup = status == PROTO_RES_DUPLICATE ? " (already done before; nothing done twice)" : "";
	switch (op) {
	case PROTO_OP_CLAIM:
		snprintf(out, size, "Claimed %s%s%s%s.", c,
			 b && b->conversation && b->conversation->customer ? ": " : "",
			 b && b->conversation && b->conversation->customer ? b->conversation->customer->name : "",
			 dup);
		break;
	case PROTO_OP_RELEASE:
		snprintf(out, size, "Released %s back to the queue%s.", c, dup);
		break;
	case PROTO_OP_MESSAGE_SEND:
		snprintf(out, size, "Sent to the customer in %s%s.", c, dup);
		break;
	case PROTO_OP_NOTE_ADD:
		snprintf(out, size, "Note added to %s%s.", c, dup);
		break;
	case PROTO_OP_DISCOUNT_APPROVE:
	case PROTO_OP_RETURN_CREATE:
	case PROTO_OP_LABEL_CREATE:
		snprintf(out, size, "Done in %s: %s%s.", c, *what ? what : op_verb(op), dup);
		break;
	case PROTO_OP_HANDBACK:
		snprintf(out, size, "Handed %s back to the bot%s.", c, dup);
		break;
	case PROTO_OP_TRANSFER:
		snprintf(out, size, "Transferred %s%s%s%s.", c,
			 b && b->conversation && b->conversation->assignee ? " to " : "",
			 b && b->conversation && b->conversation->assignee ? b->conversation->assignee : "",
			 dup);
		break;
	case PROTO_OP_PRESENCE_SET:
		snprintf(out, size, "You are %s%s.",
			 b && b->presence ? PROTO_ENUM_STR(presence_status, b->presence->status) : "set",
			 dup);
		break;
	case PROTO_OP_APPROVAL_DECIDE:
		snprintf(out, size, "Approval %s%s%s.", b && b->approval ? b->approval->id : "",
			 b && b->approval ? (b->approval->state == PROTO_APPR_APPROVED ? " approved" :
					     " denied") : " decided", dup);
		break;
	case PROTO_OP_MONITOR:
		snprintf(out, size, "Monitoring %s%s.", c, dup);
		break;
	default:
		snprintf(out, size, "Done%s%s%s.", *c ? " in " : "", c, dup);
	}
}
