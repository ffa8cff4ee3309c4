/*
 * macro-plan.c: a macro's variables from the model, its plan, and running
 * the plan (macro.h).
 *
 * Why plans: the agent must see what a macro will do before anything
 * reaches a customer or moves money — every reply expanded, every action
 * with its amounts and the agent's cap. A plan is built from the model as
 * it is now; steps that need the result of an earlier step's action
 * ({{discount.code}} after `discount …`) are deferred and expanded when that
 * action comes back from the hub (macro_run_poll watches the model for a
 * new action of that kind in the conversation).
 */
#include "baton/macro.h"
#include "baton/cmd.h"
#include "baton/common.h"
#include "baton/model.h"
#include "baton/proto.h"
#include "baton/text.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the model's view ---- */

static const struct model_conv *conv_of(const struct model *m, const char *id)
{
	struct model_conv *c;

	if (!m || !id || !*id)
		return NULL;
	c = model_mine_find(m, id);
	if (!c && m->detail && strcmp(m->detail->id, id) == 0)
		c = m->detail;
	return c;
}

static const struct proto_customer *customer_of(const struct macro_env *e)
{
	const struct model_conv *c = conv_of(e->model, e->conv);
	return c && c->conv ? c->conv->customer : NULL;
}

/* The order in question: the one an earlier step named, else the most
 * recently placed. NULL with why. */
static const struct proto_order *order_of(const struct macro_env *e, char *why, size_t whylen)
{
	const struct proto_customer *cu = customer_of(e);
	const struct proto_order *best = NULL;

	if (!cu) {
		snprintf(why, whylen, "conversation %s has no customer record here", e->conv);
		return NULL;
	}
	if (e->order) {
		best = cmd_find_order(cu, e->order);
		if (!best)
			snprintf(why, whylen, "order %.64s is not one of %s's orders", e->order, cu->name);
		return best;
	}
	for (size_t i = 0; i < cu->orders.n; i++)
		if (!best || cu->orders.v[i].placed_at > best->placed_at)
			best = &cu->orders.v[i];
	if (!best)
		snprintf(why, whylen, "%s has no orders", cu->name);
	return best;
}

static bool action_known(const struct macro_env *e, const char *id)
{
	for (size_t i = 0; i < e->nknown; i++)
		if (strcmp(e->known_actions[i], id) == 0)
			return true;
	return false;
}

/* The latest action of kind in the conversation (a new one when the env
 * has known actions), NULL if none. */
static const struct proto_action *action_of(const struct macro_env *e, int kind)
{
	const struct model_conv *c = conv_of(e->model, e->conv);
	const struct proto_action *best = NULL;

	if (!c || !c->conv)
		return NULL;
	for (size_t i = 0; i < c->conv->actions.n; i++) {
		const struct proto_action *a = &c->conv->actions.v[i];
		if (a->kind != kind || (e->known_actions && action_known(e, a->id)))
			continue;
		if (!best || a->at >= best->at)
			best = a;
	}
	return best;
}

static const char *const kind_word[] = { "discount", "return", "label" };

/* The result of the latest action of kind, or NULL with why. */
static const struct proto_action_result *result_of(const struct macro_env *e, int kind, char *why,
						   size_t whylen)
{
	const struct proto_action *a = action_of(e, kind);

	if (!a) {
		snprintf(why, whylen, "no %s has been made in %s yet", kind_word[kind], e->conv);
		return NULL;
	}
	switch (a->status) {
	case PROTO_ACTST_APPLIED:
		if (a->result)
			return a->result;
		snprintf(why, whylen, "the %s %s has no result", kind_word[kind], a->id);
		return NULL;
	case PROTO_ACTST_PENDING_APPROVAL:
		snprintf(why, whylen, "the %s %s waits for a supervisor's approval", kind_word[kind], a->id);
		return NULL;
	default:
		snprintf(why, whylen, "the %s %s was %s", kind_word[kind], a->id,
			 PROTO_ENUM_STR(action_status, a->status));
		return NULL;
	}
}

static int have(char **value, const char *s)
{
	*value = xstrdup(s);
	return 1;
}

static int missing(char *err, size_t errlen, const char *fmt, ...) BATON_PRINTF(3, 4);
static int missing(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

int macro_env_lookup(void *ctx, const char *name, char **value, char *err, size_t errlen)
{
	const struct macro_env *e = ctx;
	const struct proto_customer *cu;
	const struct proto_order *o;
	const struct proto_action_result *r;
	char why[200];

	*value = NULL;
	if (strncmp(name, "ask:", 4) == 0) {
		const char *label = name + 4 + strspn(name + 4, " ");
		for (size_t i = 0; i < e->nasks; i++)
			if (strcmp(e->ask_labels[i], label) == 0)
				return have(value, e->ask_values[i]);
		return missing(err, errlen, "no answer was given for \"%s\"", label);
	}
	if (strcmp(name, "conv.id") == 0)
		return e->conv && *e->conv ? have(value, e->conv) :
		       missing(err, errlen, "no conversation is selected");
	if (strcmp(name, "agent.name") == 0) {
		if (e->model && e->model->me && e->model->me->name)
			return have(value, e->model->me->name);
		return missing(err, errlen, "your name is not known until the hub has welcomed you");
	}
	if (strncmp(name, "customer.", 9) == 0) {
		cu = customer_of(e);
		if (!cu)
			return missing(err, errlen, "conversation %s has no customer record here",
				       e->conv ? e->conv : "(none)");
		if (strcmp(name, "customer.name") == 0)
			return have(value, cu->name);
		if (strcmp(name, "customer.first_name") == 0) {
			const char *s = cu->name + strspn(cu->name, " ");
			size_t n = strcspn(s, " ");
			if (!n)
				return missing(err, errlen, "the customer's name is empty");
			*value = xstrndup(s, n);
			return 1;
		}
		if (strcmp(name, "customer.tier") == 0)
			return cu->tier && *cu->tier ? have(value, cu->tier) :
			       missing(err, errlen, "%s has no tier", cu->name);
		return 0;
	}
	if (strncmp(name, "order.", 6) == 0) {
		if (strcmp(name, "order.id") && strcmp(name, "order.status") && strcmp(name, "order.items") &&
		    strcmp(name, "order.tracking") && strcmp(name, "order.carrier"))
			return 0;
		o = order_of(e, why, sizeof why);
		if (!o)
			return missing(err, errlen, "%s", why);
		if (strcmp(name, "order.id") == 0)
			return have(value, o->id);
		if (strcmp(name, "order.status") == 0)
			return have(value, o->status);
		if (strcmp(name, "order.tracking") == 0)
			return o->tracking && *o->tracking ? have(value, o->tracking) :
			       missing(err, errlen, "order %s has no tracking number yet", o->id);
		if (strcmp(name, "order.carrier") == 0)
			return o->carrier && *o->carrier ? have(value, o->carrier) :
			       missing(err, errlen, "order %s has no carrier yet", o->id);
		if (!o->items.n)
			return missing(err, errlen, "order %s lists no items", o->id);
		struct strbuf sb = STRBUF_INIT;
		for (size_t i = 0; i < o->items.n; i++) {
			const struct proto_item *it = &o->items.v[i];
			if (it->qty > 1)
				sb_addf(&sb, "%s%lld × %s", i ? ", " : "", (long long)it->qty, it->name);
			else
				sb_addf(&sb, "%s%s", i ? ", " : "", it->name);
		}
		*value = sb_take(&sb);
		return 1;
	}
	if (strcmp(name, "discount.code") == 0 || strcmp(name, "discount.percent") == 0) {
		r = result_of(e, PROTO_ACT_DISCOUNT, why, sizeof why);
		if (!r)
			return missing(err, errlen, "%s", why);
		if (strcmp(name, "discount.code") == 0)
			return r->code ? have(value, r->code) :
			       missing(err, errlen, "the discount has no coupon code");
		if (!r->percent)
			return missing(err, errlen, "the discount was an amount, not a percentage");
		*value = xasprintf("%lld%%", (long long)r->percent);
		return 1;
	}
	if (strcmp(name, "return.rma") == 0) {
		r = result_of(e, PROTO_ACT_RETURN, why, sizeof why);
		if (!r)
			return missing(err, errlen, "%s", why);
		return r->rma ? have(value, r->rma) : missing(err, errlen, "the return has no RMA");
	}
	if (strcmp(name, "label.tracking") == 0 || strcmp(name, "label.carrier") == 0) {
		r = result_of(e, PROTO_ACT_LABEL, why, sizeof why);
		if (!r)
			return missing(err, errlen, "%s", why);
		const char *v = strcmp(name, "label.tracking") == 0 ? r->tracking : r->carrier;
		return v && *v ? have(value, v) :
		       missing(err, errlen, "the label has no %s", name + 6);
	}
	return 0;
}

/* ---- plans ---- */

/* The action kind a variable is the result of, or -1. */
static int var_result_kind(const char *name)
{
	if (strncmp(name, "discount.", 9) == 0)
		return PROTO_ACT_DISCOUNT;
	if (strncmp(name, "return.", 7) == 0)
		return PROTO_ACT_RETURN;
	if (strncmp(name, "label.", 6) == 0)
		return PROTO_ACT_LABEL;
	return -1;
}

struct uses {
	unsigned kinds;		/* bit per action kind whose result the template uses */
};

static void note_use(void *ctx, const char *name)
{
	struct uses *u = ctx;
	int k = var_result_kind(name);
	if (k >= 0)
		u->kinds |= 1u << k;
}

/* A command's op on the hub (enum proto_op), -1 for a local one, and the
 * action kind it creates (-1 if none). */
static int op_of(const char *name, int *kind)
{
	static const struct { const char *name; int op, kind; } map[] = {
		{ "claim", PROTO_OP_CLAIM, -1 },
		{ "release", PROTO_OP_RELEASE, -1 },
		{ "say", PROTO_OP_MESSAGE_SEND, -1 },
		{ "note", PROTO_OP_NOTE_ADD, -1 },
		{ "discount", PROTO_OP_DISCOUNT_APPROVE, PROTO_ACT_DISCOUNT },
		{ "return", PROTO_OP_RETURN_CREATE, PROTO_ACT_RETURN },
		{ "label", PROTO_OP_LABEL_CREATE, PROTO_ACT_LABEL },
		{ "handback", PROTO_OP_HANDBACK, -1 },
		{ "transfer", PROTO_OP_TRANSFER, -1 },
		{ "status", PROTO_OP_PRESENCE_SET, -1 },
		{ "approve", PROTO_OP_APPROVAL_DECIDE, -1 },
		{ "deny", PROTO_OP_APPROVAL_DECIDE, -1 },
		{ "monitor", PROTO_OP_MONITOR, -1 },
	};
	*kind = -1;
	for (size_t i = 0; i < BATON_ARRAY_LEN(map); i++)
		if (strcmp(map[i].name, name) == 0) {
			*kind = map[i].kind;
			return map[i].op;
		}
	return -1;
}

/* The command name a template starts with (before any expansion). */
static const struct cmd_def *def_of_tmpl(const char *tmpl)
{
	size_t n = strcspn(tmpl, " \t;");
	char *w = xstrndup(tmpl, n);
	const struct cmd_def *d = cmd_find(w);
	free(w);
	return d;
}

/*
 * One line saying what a command step will do, with amounts for money;
 * *named_order gets the order it names (lent from call, or NULL).
 */
static char *describe(const struct cmd_call *call, const struct macro_env *e, const char **named_order)
{
	const struct model *m = e->model;
	const struct proto_limits *lim = m ? m->limits : NULL;
	const struct proto_customer *cu = customer_of(e);
	const char *name = call->def->name;
	struct strbuf sb = STRBUF_INIT;
	char a[64], b[64], why[200];

	*named_order = NULL;
	if (strcmp(name, "discount") == 0) {
		int64_t pct = 0, amt = 0;
		const struct proto_order *o = NULL;
		if (cmd_parse_money(call->argv[0], &pct, &amt, why, sizeof why) < 0)
			return xasprintf("discount: %s", why);
		if (call->argc >= 3 && cmd_order_like(cu, call->argv[1])) {
			*named_order = call->argv[1];
			o = cmd_find_order(cu, call->argv[1]);
		}
		if (pct) {
			sb_addf(&sb, "discount %lld%%", (long long)pct);
			if (o) {
				cmd_money_text((o->total_minor * pct + 50) / 100, o->currency, a, sizeof a);
				sb_addf(&sb, " on %s (%s)", o->id, a);
			} else if (*named_order) {
				sb_addf(&sb, " on %s", *named_order);
			} else {
				sb_adds(&sb, " (no order named: a general discount)");
			}
			if (lim)
				sb_addf(&sb, " — your cap %lld%%%s", (long long)lim->discount_percent_max,
					pct > lim->discount_percent_max ?
					", above it: waits for a supervisor" : "");
		} else {
			cmd_money_text(amt, o ? o->currency : lim ? lim->currency : "", a, sizeof a);
			sb_addf(&sb, "discount %s", a);
			if (*named_order)
				sb_addf(&sb, " on %s", *named_order);
			if (lim) {
				cmd_money_text(lim->discount_amount_max_minor, lim->currency, b, sizeof b);
				sb_addf(&sb, " — your cap %s%s", b, amt > lim->discount_amount_max_minor ?
					", above it: waits for a supervisor" : "");
			}
		}
		if (!lim)
			sb_adds(&sb, " — your cap is not known until connected");
		return sb_take(&sb);
	}
	if (strcmp(name, "return") == 0) {
		const struct proto_order *o = cmd_find_order(cu, call->argv[0]);
		int64_t refund = 0;
		bool priced = o != NULL;
		*named_order = call->argv[0];
		sb_adds(&sb, "return");
		for (int i = 1; i < call->argc && strcmp(call->argv[i], "--"); i++) {
			char *item = xstrdup(call->argv[i]);
			const char *sku;
			int64_t qty;
			if (cmd_parse_line_item(item, &sku, &qty, why, sizeof why) == 0) {
				sb_addf(&sb, "%s %lld × %s", i > 1 ? "," : "", (long long)qty, sku);
				const struct proto_item *it = NULL;
				for (size_t k = 0; o && k < o->items.n; k++)
					if (strcmp(o->items.v[k].sku, sku) == 0)
						it = &o->items.v[k];
				if (it)
					refund += it->price_minor * qty;
				else
					priced = false;
			}
			free(item);
		}
		sb_addf(&sb, " from %s", call->argv[0]);
		if (priced) {
			cmd_money_text(refund, o->currency, a, sizeof a);
			sb_addf(&sb, " (refund %s if eligible)", a);
		}
		return sb_take(&sb);
	}
	if (strcmp(name, "label") == 0)
		return xasprintf("return shipping label for %s (%s)", call->argv[0],
				 call->argc > 1 ? call->argv[1] : "the store's default carrier");
	if (strcmp(name, "handback") == 0)
		return xasprintf("hand back to the bot: %s", call->argv[0]);
	if (strcmp(name, "say") == 0)
		return xstrdup("send to the customer");
	return xstrdup(call->text);
}

void macro_plan_free(struct macro_plan *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->n; i++) {
		free(p->steps[i].tmpl);
		free(p->steps[i].text);
		free(p->steps[i].what);
	}
	free(p->steps);
	for (size_t i = 0; i < p->nknown; i++)
		free(p->known_actions[i]);
	free(p->known_actions);
	for (size_t i = 0; i < p->nasks; i++) {
		free(p->ask_labels[i]);
		free(p->ask_values[i]);
	}
	free(p->ask_labels);
	free(p->ask_values);
	free(p->name);
	free(p->conv);
	free(p);
}

static void env_of(const struct macro_plan *p, const struct model *model, const char *order,
		   bool known, struct macro_env *e)
{
	memset(e, 0, sizeof *e);
	e->model = model;
	e->conv = p->conv;
	e->order = order;
	e->ask_labels = (const char *const *)p->ask_labels;
	e->ask_values = (const char *const *)p->ask_values;
	e->nasks = p->nasks;
	if (known) {
		/* Non-NULL even when empty: only actions newer than the plan count. */
		static const char *const none[1] = { NULL };
		e->known_actions = p->known_actions ? (const char *const *)p->known_actions : none;
		e->nknown = p->nknown;
	}
}

int macro_plan_build(const struct macro *mac, const struct model *model, const char *conv,
		     const char *const *answers, size_t nanswers, struct macro_plan **out,
		     char *err, size_t errlen)
{
	struct macro_plan *p = xcalloc(1, sizeof *p);
	char *labels[MACRO_ASKS_MAX];
	size_t nl = macro_asks(mac, labels, MACRO_ASKS_MAX);
	const struct model_conv *c;
	char *order = NULL;
	unsigned produced = 0;	/* action kinds an earlier step creates */
	int rc = -1;
	char why[600];

	*out = NULL;
	p->name = xstrdup(mac->name);
	p->conv = xstrdup(conv ? conv : "");
	p->ask_labels = xcalloc(nl + 1, sizeof *p->ask_labels);
	p->ask_values = xcalloc(nl + 1, sizeof *p->ask_values);
	for (size_t i = 0; i < nl; i++) {
		p->ask_labels[i] = labels[i];
		p->nasks++;
		if (i >= nanswers || !answers[i] || !*answers[i]) {
			snprintf(err, errlen, "macro %s needs an answer for {{ask:%s}}: write macro %s "
				 "followed by %zu answer%s in quotes, in the order asked", mac->name, labels[i],
				 mac->name, nl, nl == 1 ? "" : "s");
			for (size_t k = i + 1; k < nl; k++)
				free(labels[k]);
			goto out;
		}
		p->ask_values[i] = text_sanitize_str(answers[i]);
	}
	if (mac->executable && !mac->nsteps) {
		snprintf(err, errlen, "macro %s is executable: run it first (macro_exec) and plan its output",
			 mac->name);
		goto out;
	}
	c = conv_of(model, p->conv);
	for (size_t i = 0; c && c->conv && i < c->conv->actions.n; i++) {
		p->known_actions = xrealloc(p->known_actions, (p->nknown + 1) * sizeof *p->known_actions);
		p->known_actions[p->nknown++] = xstrdup(c->conv->actions.v[i].id);
	}
	p->steps = xcalloc(mac->nsteps, sizeof *p->steps);
	for (size_t i = 0; i < mac->nsteps; i++) {
		const struct macro_step *st = &mac->steps[i];
		struct macro_pstep *ps = &p->steps[p->n++];
		struct uses u = { 0 };
		struct macro_env e;
		const struct cmd_def *d = NULL;
		int kind = -1;

		ps->kind = st->kind;
		ps->tmpl = xstrdup(st->text);
		ps->line = st->line;
		ps->op = -1;
		if (macro_template_vars(st->text, note_use, &u, why, sizeof why) < 0) {
			snprintf(err, errlen, "macro %s, line %d: %s", mac->name, st->line, why);
			goto out;
		}
		if (st->kind == MACRO_STEP_CMD) {
			d = def_of_tmpl(st->text);
			if (!d) {
				snprintf(err, errlen, "macro %s, line %d: the step does not start with a command",
					 mac->name, st->line);
				goto out;
			}
			ps->op = op_of(d->name, &kind);
			ps->money = (d->flags & CMD_F_MONEY) != 0;
		}
		if (u.kinds & produced) {
			/* Waits for an earlier step's action to come back. */
			ps->deferred = true;
			if (st->kind == MACRO_STEP_REPLY)
				ps->what = xstrdup("reply, filled in when the action above comes back");
			else
				ps->what = xasprintf("%s (filled in when the action above comes back)", st->text);
		} else {
			env_of(p, model, order, false, &e);
			if (macro_expand(st->text, st->kind == MACRO_STEP_CMD ? MACRO_EXPAND_CMD : MACRO_EXPAND_TEXT,
					 macro_env_lookup, &e, &ps->text, why, sizeof why) < 0) {
				snprintf(err, errlen, "macro %s, line %d: %s", mac->name, st->line, why);
				goto out;
			}
			if (st->kind == MACRO_STEP_CMD) {
				struct cmd_line l;
				const char *named = NULL;
				if (cmd_parse(ps->text, &l, why, sizeof why) < 0) {
					snprintf(err, errlen, "macro %s, line %d: %s", mac->name, st->line, why);
					goto out;
				}
				if (l.n != 1) {
					/* The plan shows each command: one per line. */
					snprintf(err, errlen, "macro %s, line %d: one command per line (this one "
						 "has %zu; put each on a line of its own)", mac->name, st->line, l.n);
					cmd_line_free(&l);
					goto out;
				}
				ps->what = l.n ? describe(&l.calls[0], &e, &named) : xstrdup("");
				if (named) {
					free(order);
					order = xstrdup(named);
				}
				cmd_line_free(&l);
			} else {
				ps->what = xstrdup(mac->nsteps == 1 && !mac->send ? "draft reply" :
						   "reply to the customer");
			}
		}
		if (kind >= 0)
			produced |= 1u << kind;
	}
	if (p->n == 1 && p->steps[0].kind == MACRO_STEP_REPLY)
		p->mode = mac->send ? MACRO_PLAN_SEND : MACRO_PLAN_DRAFT;
	else if (p->n == 1)
		p->mode = MACRO_PLAN_SEND;	/* one command: runs (a money one asks itself) */
	else
		p->mode = MACRO_PLAN_CONFIRM;
	*out = p;
	p = NULL;
	rc = 0;
out:
	free(order);
	macro_plan_free(p);
	return rc;
}

char *macro_plan_render(const struct macro_plan *p)
{
	struct strbuf sb = STRBUF_INIT;

	sb_addf(&sb, "Macro %s on %s — %zu step%s:\n", p->name, *p->conv ? p->conv : "(no conversation)",
		p->n, p->n == 1 ? "" : "s");
	for (size_t i = 0; i < p->n; i++) {
		const struct macro_pstep *s = &p->steps[i];
		sb_addf(&sb, "%2zu. %s%s\n", i + 1, s->what, s->money ? "  [asks to confirm]" : "");
		if (s->kind == MACRO_STEP_REPLY) {
			const char *t = s->text ? s->text : s->tmpl;
			/* The reply in full, indented, so the agent reads what goes out. */
			while (*t) {
				size_t n = strcspn(t, "\n");
				sb_addf(&sb, "      | %.*s\n", (int)n, t);
				t += n + (t[n] == '\n');
			}
		}
	}
	if (p->mode == MACRO_PLAN_CONFIRM)
		sb_adds(&sb, "Run these steps?");
	char *raw = sb_take(&sb);
	char *safe = text_sanitize_str(raw);
	free(raw);
	return safe;
}

/* ---- running ---- */

struct macro_run {
	struct macro_plan *plan;
	size_t next;
	int64_t started;
	bool cancelled;
	/* A money step's dialog is open: waiting for a new result of wait_op. */
	bool confirming;
	int wait_op;
	char prev_id[PROTO_CMD_ID_MAX + 1];	/* newest result of wait_op before the step */
	int64_t wait_since;
	char *order;				/* order named by a step that ran */
	char (*cmd_ids)[PROTO_CMD_ID_MAX + 1];	/* per step: the command sent, "" if none */
};

struct macro_run *macro_run_new(struct macro_plan *plan, int64_t now_ms)
{
	struct macro_run *r = xcalloc(1, sizeof *r);

	r->plan = plan;
	r->started = now_ms;
	r->cmd_ids = xcalloc(plan->n + 1, sizeof *r->cmd_ids);
	return r;
}

void macro_run_free(struct macro_run *r)
{
	if (!r)
		return;
	macro_plan_free(r->plan);
	free(r->cmd_ids);
	free(r->order);
	free(r);
}

void macro_run_cancel(struct macro_run *r)
{
	if (r)
		r->cancelled = true;
}

const struct macro_plan *macro_run_plan(const struct macro_run *r)
{
	return r->plan;
}

static const struct model_result *latest_result(const struct model *m, int op)
{
	for (size_t i = m->nresults; i-- > 0;)
		if (m->results[i].op == op)
			return &m->results[i];
	return NULL;
}

static const struct model_result *result_by_id(const struct model *m, const char *id)
{
	for (size_t i = 0; id[0] && i < m->nresults; i++)
		if (strcmp(m->results[i].cmd_id, id) == 0)
			return &m->results[i];
	return NULL;
}

static bool refused(const struct model_result *res)
{
	return res && (res->state == MODEL_RES_REJECTED || res->state == MODEL_RES_LOCAL_ERROR);
}

/* Is a deferred step ready? 1 yes, 0 wait, -1 failed (msg). */
static int deferred_ready(struct macro_run *r, size_t i, const struct model *m, char *msg, size_t msglen)
{
	struct macro_plan *p = r->plan;
	struct uses u = { 0 };
	struct macro_env e;
	char why[200];

	macro_template_vars(p->steps[i].tmpl, note_use, &u, why, sizeof why);
	env_of(p, m, r->order, true, &e);
	for (int k = 0; k < 3; k++) {
		if (!(u.kinds & (1u << k)))
			continue;
		/* The step that makes it: its command must not have been refused. */
		for (size_t s = 0; s < i; s++) {
			int kind;
			const struct cmd_def *d = p->steps[s].kind == MACRO_STEP_CMD ?
						  def_of_tmpl(p->steps[s].tmpl) : NULL;
			if (!d || (op_of(d->name, &kind), kind != k))
				continue;
			const struct model_result *res = result_by_id(m, r->cmd_ids[s]);
			if (refused(res)) {
				snprintf(msg, msglen, "macro %s stopped at step %zu: the %s was refused: %s",
					 p->name, s + 1, kind_word[k], res->text);
				return -1;
			}
		}
		const struct proto_action *a = action_of(&e, k);
		if (!a) {
			snprintf(msg, msglen, "macro %s: waiting for the %s to come back from the hub…",
				 p->name, kind_word[k]);
			return 0;
		}
		if (a->status == PROTO_ACTST_PENDING_APPROVAL) {
			snprintf(msg, msglen, "macro %s: the %s waits for a supervisor's approval; the rest "
				 "runs when it is decided", p->name, kind_word[k]);
			return 0;
		}
		if (a->status != PROTO_ACTST_APPLIED) {
			snprintf(msg, msglen, "macro %s stopped at step %zu: the %s was %s", p->name, i + 1,
				 kind_word[k], PROTO_ENUM_STR(action_status, a->status));
			return -1;
		}
	}
	return 1;
}

enum macro_run_state macro_run_poll(struct macro_run *r, const struct model *m,
				    const struct macro_host *h, int64_t now_ms, char *msg, size_t msglen)
{
	struct macro_plan *p = r->plan;
	char why[600];

	if (msglen)
		msg[0] = '\0';
	if (r->cancelled) {
		snprintf(msg, msglen, "macro %s stopped after %zu of %zu steps", p->name, r->next, p->n);
		return MACRO_RUN_FAILED;
	}
	while (r->next < p->n) {
		size_t i = r->next;
		struct macro_pstep *s = &p->steps[i];

		if (r->confirming) {
			const struct model_result *res = latest_result(m, r->wait_op);
			if (res && strcmp(res->cmd_id, r->prev_id) != 0) {
				/* The agent said yes: the command was submitted. */
				if (refused(res)) {
					snprintf(msg, msglen, "macro %s stopped at step %zu: %s", p->name, i + 1,
						 res->text);
					return MACRO_RUN_FAILED;
				}
				snprintf(r->cmd_ids[i], sizeof r->cmd_ids[i], "%s", res->cmd_id);
				r->confirming = false;
				r->next++;
				continue;
			}
			if (now_ms - r->wait_since > MACRO_CONFIRM_TIMEOUT_MS) {
				snprintf(msg, msglen, "macro %s stopped at step %zu: the confirmation was not "
					 "answered", p->name, i + 1);
				return MACRO_RUN_FAILED;
			}
			snprintf(msg, msglen, "macro %s: confirm step %zu (%s) to go on", p->name, i + 1,
				 s->what);
			return MACRO_RUN_WAITING;
		}
		if (s->deferred && !s->text) {
			int ready = deferred_ready(r, i, m, msg, msglen);
			if (ready <= 0)
				return ready < 0 ? MACRO_RUN_FAILED : MACRO_RUN_WAITING;
			struct macro_env e;
			env_of(p, m, r->order, true, &e);
			if (macro_expand(s->tmpl, s->kind == MACRO_STEP_CMD ? MACRO_EXPAND_CMD : MACRO_EXPAND_TEXT,
					 macro_env_lookup, &e, &s->text, why, sizeof why) < 0) {
				snprintf(msg, msglen, "macro %s stopped at step %zu (line %d): %s", p->name, i + 1,
					 s->line, why);
				return MACRO_RUN_FAILED;
			}
		}
		if (s->kind == MACRO_STEP_REPLY && p->mode == MACRO_PLAN_DRAFT) {
			h->draft(h->ctx, p->conv, s->text);
			r->next++;
			snprintf(msg, msglen, "macro %s: the reply is in the compose area", p->name);
			continue;
		}
		struct strbuf line = STRBUF_INIT;
		if (s->kind == MACRO_STEP_REPLY) {
			sb_adds(&line, "say ");
			macro_quote_word(&line, s->text);
		} else {
			sb_adds(&line, s->text);
			/* Later templates mean the order this step names. */
			struct cmd_line l;
			/* A parse error is left to the run below, which reports it. */
			int parsed = cmd_parse(s->text, &l, why, sizeof why) == 0;
			if (parsed && l.n != 1) {
				snprintf(msg, msglen, "macro %s stopped at step %zu (line %d): one command per "
					 "line", p->name, i + 1, s->line);
				cmd_line_free(&l);
				sb_free(&line);
				return MACRO_RUN_FAILED;
			}
			if (parsed) {
				const struct cmd_call *c = &l.calls[0];
				if (strcmp(c->def->name, "return") == 0 && c->argc) {
					free(r->order);
					r->order = xstrdup(c->argv[0]);
				} else if (strcmp(c->def->name, "discount") == 0 && c->argc >= 3 &&
					   strncmp(c->argv[1], "o-", 2) == 0) {
					free(r->order);
					r->order = xstrdup(c->argv[1]);
				}
				cmd_line_free(&l);
			}
		}
		int op = s->kind == MACRO_STEP_REPLY ? PROTO_OP_MESSAGE_SEND : s->op;
		const struct model_result *before = op >= 0 ? latest_result(m, op) : NULL;
		char prev[PROTO_CMD_ID_MAX + 1];
		snprintf(prev, sizeof prev, "%s", before ? before->cmd_id : "");
		why[0] = '\0';
		int rc = h->run(h->ctx, p->conv, sb_str(&line), why, sizeof why);
		sb_free(&line);
		if (rc < 0) {
			snprintf(msg, msglen, "macro %s stopped at step %zu (line %d): %s", p->name, i + 1,
				 s->line, why);
			return MACRO_RUN_FAILED;
		}
		if (rc > 0) {
			r->confirming = true;
			r->wait_op = op;
			snprintf(r->prev_id, sizeof r->prev_id, "%s", prev);
			r->wait_since = now_ms;
			snprintf(msg, msglen, "macro %s: confirm step %zu (%s) to go on", p->name, i + 1,
				 s->what);
			return MACRO_RUN_WAITING;
		}
		const struct model_result *after = op >= 0 ? latest_result(m, op) : NULL;
		if (after && strcmp(after->cmd_id, prev) != 0)
			snprintf(r->cmd_ids[i], sizeof r->cmd_ids[i], "%s", after->cmd_id);
		r->next++;
	}
	if (!msg[0] || p->mode != MACRO_PLAN_DRAFT)
		snprintf(msg, msglen, "macro %s: %zu step%s done", p->name, p->n, p->n == 1 ? "" : "s");
	return MACRO_RUN_DONE;
}
