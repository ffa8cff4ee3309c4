/*
 * cmd.c: the command table and the command-line parser (cmd.h).
 *
 * The table is the one place a command is defined. Handlers live by area:
 * cmd-conv.c (conversation work), cmd-money.c (discount, return, label),
 * cmd-misc.c (presence, search, screen, supervisor). The parser knows
 * nothing about what commands do; it splits, unquotes and counts.
 */
#include "baton/cmd.h"
#include "baton/common.h"
#include "baton/macro.h"
#include "baton/proto.h"

#include "cmd-impl.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define N_(x) (x)

static const struct cmd_def table[] = {
	{ "claim", "[ID|next]", N_("Take a conversation: the selected one, ID, or the next in the queue."),
	  "enter", CMD_F_NET, 0, 1, cmd_claim },
	{ "release", "[ID]", N_("Put the conversation back in the queue for someone else."),
	  "", CMD_F_NET | CMD_F_CONV, 0, 1, cmd_release },
	{ "say", "TEXT", N_("Send TEXT to the customer."),
	  "c", CMD_F_NET | CMD_F_CONV | CMD_F_REST, 1, 1, cmd_say },
	{ "note", "TEXT", N_("Add an internal note (agents and supervisors only see it)."),
	  "", CMD_F_NET | CMD_F_CONV | CMD_F_REST, 1, 1, cmd_note },
	{ "discount", "N%|AMOUNT [ORDER] REASON",
	  N_("Give a discount (10% or 12.50); above your cap it waits for a supervisor."),
	  "", CMD_F_NET | CMD_F_CONV | CMD_F_MONEY | CMD_F_REST, 2, 3, cmd_discount },
	{ "return", "ORDER SKU[:QTY]... -- REASON",
	  N_("Authorize a return of order items and refund them."),
	  "", CMD_F_NET | CMD_F_CONV | CMD_F_MONEY | CMD_F_REST, 4, -1, cmd_return },
	{ "label", "RMA [CARRIER]", N_("Create a return shipping label for an authorized return."),
	  "", CMD_F_NET | CMD_F_CONV | CMD_F_MONEY, 1, 2, cmd_label },
	{ "handback", "resolved|unresolved|follow_up NOTE",
	  N_("Give the conversation back to the bot, with the outcome and a note."),
	  "", CMD_F_NET | CMD_F_CONV | CMD_F_REST, 2, 2, cmd_handback },
	{ "transfer", "AGENT|@skill [NOTE]", N_("Pass the conversation to an agent or a skill group."),
	  "", CMD_F_NET | CMD_F_CONV | CMD_F_REST, 1, 2, cmd_transfer },
	{ "status", "online|away", N_("Set your presence; away gets no new work routed."),
	  "", CMD_F_NET, 1, 1, cmd_status },
	{ "open", "ID", N_("Show a conversation (yours or queued) in the panes."),
	  "", 0, 1, 1, cmd_open },
	{ "next", "", N_("Show your next active conversation."), "n", 0, 0, 0, cmd_next },
	{ "prev", "", N_("Show your previous active conversation."), "p", 0, 0, 0, cmd_prev },
	{ "search", "TEXT", N_("Search stored messages (words, \"a phrase\", prefix*)."),
	  "/", CMD_F_REST, 1, 1, cmd_search },
	{ "theme", "NAME", N_("Switch the colour theme (night, day, high-contrast, solarized-dark, mono)."),
	  "", CMD_F_UI, 1, 1, cmd_theme },
	{ "bind", "KEY COMMAND", N_("Bind KEY (ctrl-a, meta-left, F5...) to a command; \"none\" unbinds."),
	  "", CMD_F_UI | CMD_F_REST, 2, 2, cmd_bind },
	{ "binds", "", N_("List the key bindings."), "", CMD_F_UI, 0, 0, cmd_binds },
	{ "help", "[COMMAND]", N_("Show the commands and keys, or one command's usage."),
	  "?", 0, 0, 1, cmd_help },
	{ "macro", "[--plan] NAME [ANSWER]...",
	  N_("Run a macro from ~/.config/baton/macros (baton-macros(5)); --plan only shows its steps."),
	  "", CMD_F_CONV, 1, -1, macro_cmd_macro },
	{ "macros", "[FILTER]", N_("Pick a macro: type to filter, Enter runs it. With FILTER (or headless): list the matching ones."),
	  "", CMD_F_REST, 0, 1, macro_cmd_macros },
	{ "quit", "", N_("Leave baton (unsent commands go out next time)."), "q", 0, 0, 0, cmd_quit },
	{ "approve", "ID [NOTE]", N_("Supervisor: approve a pending action."),
	  "", CMD_F_NET | CMD_F_SUPERVISOR | CMD_F_REST, 1, 2, cmd_approve },
	{ "deny", "ID [NOTE]", N_("Supervisor: deny a pending action."),
	  "", CMD_F_NET | CMD_F_SUPERVISOR | CMD_F_REST, 1, 2, cmd_deny },
	{ "monitor", "CONV", N_("Supervisor: follow a conversation someone else has."),
	  "", CMD_F_NET | CMD_F_SUPERVISOR, 1, 1, cmd_monitor },
};

const struct cmd_def *cmd_table(size_t *n)
{
	*n = BATON_ARRAY_LEN(table);
	return table;
}

const struct cmd_def *cmd_find(const char *name)
{
	const struct cmd_def *found = NULL;
	size_t n = strlen(name);

	if (!n)
		return NULL;
	for (size_t i = 0; i < BATON_ARRAY_LEN(table); i++) {
		if (strcmp(table[i].name, name) == 0)
			return &table[i];
		if (strncmp(table[i].name, name, n) == 0) {
			if (found)
				return NULL;	/* ambiguous prefix */
			found = &table[i];
		}
	}
	return found;
}

void cmd_usage(const struct cmd_def *def, char *out, size_t size)
{
	snprintf(out, size, "Usage: %s%s%s", def->name, *def->args ? " " : "", def->args);
}

/* ---- lexing ---- */

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/*
 * Unquotes s[0..len) into out: quotes removed, backslash escapes resolved
 * (not inside single quotes), blanks outside quotes kept as typed. With
 * one_word, stops at the first blank outside quotes and returns the bytes
 * consumed. Returns -1 on an unterminated quote (err filled).
 */
static long unquote(const char *s, size_t len, bool one_word, struct strbuf *out,
		    char *err, size_t errlen)
{
	char q = 0;
	size_t i;

	for (i = 0; i < len; i++) {
		char c = s[i];
		if (q == '\'') {
			if (c == '\'')
				q = 0;
			else
				sb_addc(out, c);
		} else if (c == '\\' && i + 1 < len) {
			sb_addc(out, s[++i]);
		} else if (q == '"') {
			if (c == '"')
				q = 0;
			else
				sb_addc(out, c);
		} else if (c == '"' || c == '\'') {
			q = c;
		} else if (one_word && is_blank(c)) {
			break;
		} else {
			sb_addc(out, c);
		}
	}
	if (q) {
		snprintf(err, errlen, "a %c quote is not closed", q);
		return -1;
	}
	return (long)i;
}

/* Splits one command (no ';' outside quotes) into words. */
static int split_words(struct cmd_call *c, const char *s, char *err, size_t errlen)
{
	size_t len = strlen(s), i = 0;
	struct strbuf w = STRBUF_INIT;
	bool first = true;

	while (i < len) {
		while (i < len && is_blank(s[i]))
			i++;
		if (i >= len)
			break;
		if (!first && c->argc >= CMD_ARGS_MAX) {
			snprintf(err, errlen, "too many words (at most %d)", CMD_ARGS_MAX);
			sb_free(&w);
			return -1;
		}
		size_t start = i;
		sb_reset(&w);
		long used = unquote(s + i, len - i, true, &w, err, errlen);
		if (used < 0) {
			sb_free(&w);
			return -1;
		}
		i += (size_t)used;
		if (first) {
			c->name = sb_take(&w);
			first = false;
		} else {
			c->off[c->argc] = start;
			c->argv[c->argc++] = sb_take(&w);
		}
	}
	sb_free(&w);
	return 0;
}

char *cmd_rest(const struct cmd_call *c, int i)
{
	struct strbuf out = STRBUF_INIT;
	char err[80];
	const char *s;
	size_t len;

	if (i < 0 || i >= c->argc)
		return xstrdup("");
	s = c->text + c->off[i];
	len = strlen(s);
	while (len && is_blank(s[len - 1]))
		len--;
	if (unquote(s, len, false, &out, err, sizeof err) < 0) {
		sb_free(&out);
		return xstrdup(c->argv[i]);	/* cannot happen: the words parsed */
	}
	return sb_take(&out);
}

static void call_free(struct cmd_call *c)
{
	for (int i = 0; i < c->argc; i++)
		free(c->argv[i]);
	free(c->name);
	free(c->rest);
	free(c->text);
	memset(c, 0, sizeof *c);
}

void cmd_line_free(struct cmd_line *l)
{
	for (size_t i = 0; i < l->n; i++)
		call_free(&l->calls[i]);
	free(l->calls);
	l->calls = NULL;
	l->n = 0;
}

static void suggest(const char *name, char *out, size_t size)
{
	size_t best = 0;
	const char *pick = NULL;

	/* The command sharing the longest prefix: enough for typos at the end. */
	for (size_t i = 0; i < BATON_ARRAY_LEN(table); i++) {
		size_t k = 0;
		while (name[k] && table[i].name[k] == name[k])
			k++;
		if (k > best) {
			best = k;
			pick = table[i].name;
		}
	}
	if (pick)
		snprintf(out, size, " Did you mean \"%s\"?", pick);
	else
		out[0] = '\0';
}

/* Parses one command's text (trimmed, non-empty) into c. */
static int parse_one(const char *text, struct cmd_call *c, char *err, size_t errlen)
{
	char why[200], usage[200];
	const struct cmd_def *d;

	c->text = xstrdup(text);
	if (split_words(c, c->text, why, sizeof why) < 0) {
		snprintf(err, errlen, "%s", why);
		return -1;
	}
	d = cmd_find(c->name);
	if (!d) {
		char hint[80];
		bool ambiguous = false;
		size_t n = strlen(c->name);
		for (size_t i = 0, hits = 0; i < BATON_ARRAY_LEN(table); i++)
			if (strncmp(table[i].name, c->name, n) == 0 && ++hits > 1)
				ambiguous = true;
		if (ambiguous) {
			snprintf(err, errlen, "\"%.40s\" could be several commands; type more of the name "
				 "(help lists them).", c->name);
		} else {
			suggest(c->name, hint, sizeof hint);
			snprintf(err, errlen, "Unknown command \"%.40s\".%s Type help for the list.",
				 c->name, hint);
		}
		return -1;
	}
	c->def = d;
	cmd_usage(d, usage, sizeof usage);
	if (c->argc < d->min_args) {
		snprintf(err, errlen, "%s: %s. %s", d->name,
			 c->argc ? "more arguments are needed" : "arguments are needed", usage);
		return -1;
	}
	if (!(d->flags & CMD_F_REST) && d->max_args >= 0 && c->argc > d->max_args) {
		snprintf(err, errlen, "%s: too many arguments (\"%.40s\" is extra). %s", d->name,
			 c->argv[d->max_args], usage);
		return -1;
	}
	if ((d->flags & CMD_F_REST) && d->max_args > 0 && c->argc >= d->max_args)
		c->rest = cmd_rest(c, d->max_args - 1);
	return 0;
}

int cmd_parse(const char *line, struct cmd_line *out, char *err, size_t errlen)
{
	struct strbuf cur = STRBUF_INIT;
	size_t len = strlen(line), cap = 0;
	char q = 0;
	int rc = -1;

	out->calls = NULL;
	out->n = 0;
	for (size_t i = 0; i <= len; i++) {
		char c = i < len ? line[i] : ';';
		if (q != '\'' && c == '\\' && i + 1 < len) {
			sb_addc(&cur, c);
			sb_addc(&cur, line[++i]);
			continue;
		}
		if (q) {
			if (c == q)
				q = 0;
		} else if (c == '"' || c == '\'') {
			q = c;
		} else if (c == ';') {
			const char *s = sb_str(&cur);
			size_t a = 0, b = cur.len;
			while (a < b && is_blank(s[a]))
				a++;
			while (b > a && is_blank(s[b - 1]))
				b--;
			if (b > a) {
				char *t = xstrndup(s + a, b - a);
				if (out->n == cap) {
					cap = cap ? cap * 2 : 4;
					out->calls = xrealloc(out->calls, cap * sizeof *out->calls);
				}
				struct cmd_call *call = &out->calls[out->n++];
				memset(call, 0, sizeof *call);
				char why[300];
				int r = parse_one(t, call, why, sizeof why);
				free(t);
				if (r < 0) {
					snprintf(err, errlen, "%s", why);
					goto out;
				}
			}
			sb_reset(&cur);
			continue;
		}
		if (i < len)
			sb_addc(&cur, c);
	}
	if (q) {
		snprintf(err, errlen, "a %c quote is not closed", q);
		goto out;
	}
	rc = 0;
out:
	sb_free(&cur);
	if (rc < 0)
		cmd_line_free(out);
	return rc;
}

/* ---- argument helpers ---- */

void cmd_money_text(int64_t minor, const char *currency, char *out, size_t size)
{
	/* Amounts are bounded by the protocol (|minor| <= 1e11): no overflow. */
	int64_t a = minor < 0 ? -minor : minor;

	snprintf(out, size, "%s%lld.%02lld%s%s", minor < 0 ? "-" : "", (long long)(a / 100),
		 (long long)(a % 100), currency && *currency ? " " : "", currency && *currency ? currency : "");
}

const struct proto_order *cmd_find_order(const struct proto_customer *cu, const char *id)
{
	for (size_t i = 0; cu && id && i < cu->orders.n; i++)
		if (strcmp(cu->orders.v[i].id, id) == 0)
			return &cu->orders.v[i];
	return NULL;
}

bool cmd_order_like(const struct proto_customer *cu, const char *s)
{
	if (cmd_find_order(cu, s))
		return true;
	if (strncmp(s, "o-", 2) != 0 || !s[2])
		return false;
	for (const char *p = s; *p; p++)
		if (!isalnum((unsigned char)*p) && !strchr("._:-", *p))
			return false;
	return true;
}

int cmd_parse_money(const char *s, int64_t *percent, int64_t *amount_minor, char *err, size_t errlen)
{
	size_t n = strlen(s);
	char *end;

	*percent = 0;
	*amount_minor = 0;
	if (n && s[n - 1] == '%') {
		errno = 0;
		long long v = strtoll(s, &end, 10);
		if (errno || end != s + n - 1 || !isdigit((unsigned char)s[0]) || v < 1 || v > 100) {
			snprintf(err, errlen, "\"%.20s\" is not a percentage from 1%% to 100%%", s);
			return -1;
		}
		*percent = v;
		return 0;
	}
	/* An amount: digits, then optionally '.' or ',' and one or two digits. */
	int64_t units = 0, cents = 0;
	size_t i = 0, digits = 0;
	for (; i < n && isdigit((unsigned char)s[i]); i++, digits++) {
		if (units > 1000000000)
			goto bad;
		units = units * 10 + (s[i] - '0');
	}
	if (!digits)
		goto bad;
	if (i < n && (s[i] == '.' || s[i] == ',')) {
		size_t k = 0;
		for (i++; i < n && isdigit((unsigned char)s[i]) && k < 2; i++, k++)
			cents = cents * 10 + (s[i] - '0');
		if (k == 0)
			goto bad;
		if (k == 1)
			cents *= 10;
	}
	if (i != n)
		goto bad;
	if (units * 100 + cents <= 0)
		goto bad;
	*amount_minor = units * 100 + cents;
	return 0;
bad:
	snprintf(err, errlen, "\"%.20s\" is not an amount: write 10%% for a percentage, or 12.50 for "
		 "an amount in the order's currency", s);
	return -1;
}

int cmd_parse_line_item(char *s, const char **sku, int64_t *qty, char *err, size_t errlen)
{
	char *colon = strrchr(s, ':');

	*sku = s;
	*qty = 1;
	if (colon) {
		char *end;
		errno = 0;
		long long v = strtoll(colon + 1, &end, 10);
		if (errno || end == colon + 1 || *end || v < 1 || v > 100000) {
			snprintf(err, errlen, "\"%.60s\": the quantity after ':' must be a whole number "
				 "from 1 (write SKU:QTY, e.g. SNK-9-BLK:2)", s);
			return -1;
		}
		*colon = '\0';
		*qty = v;
	}
	if (!**sku) {
		snprintf(err, errlen, "an item is missing its SKU (write SKU or SKU:QTY)");
		return -1;
	}
	return 0;
}

void cmd_new_id(const char *agent, char *out, size_t size)
{
	static const char alnum[] = "abcdefghijklmnopqrstuvwxyz0123456789";
	char a[33], r[13], t[16];
	size_t k = 0;
	uint64_t ms = (uint64_t)time_now_ms();
	size_t tn = 0;

	/* The agent id may hold characters a cmd_id cannot: keep the safe ones. */
	for (const char *p = agent ? agent : "c"; *p && k < sizeof a - 1; p++)
		if (isalnum((unsigned char)*p) || *p == '.' || *p == '_')
			a[k++] = *p;
	if (!k)
		a[k++] = 'c';
	a[k] = '\0';
	do {
		t[tn++] = alnum[ms % 36];
		ms /= 36;
	} while (ms && tn < sizeof t - 1);
	for (size_t i = 0; i < tn / 2; i++) {
		char x = t[i];
		t[i] = t[tn - 1 - i];
		t[tn - 1 - i] = x;
	}
	t[tn] = '\0';
	rand_string(r, 12, alnum);
	snprintf(out, size, "%s-%s-%s", a, t, r);
}
