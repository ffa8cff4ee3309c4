/*
 * cmd.h: the console's one command language.
 *
 * Everything an agent can do is a command: typed on the ':' line, bound to a
 * key, run headless with `baton -e`, or confirmed in a dialog. One table
 * (cmd_table) names every command with its argument synopsis, one line of
 * help and its default key; the ':' line, the key bindings, the help screen
 * and man/baton.1 are all driven from it.
 *
 * Syntax: commands are separated by ';' (outside quotes). Words are
 * separated by blanks; "double" and 'single' quotes group words, and a
 * backslash escapes the next character outside single quotes:
 *     say "a; b"      say it\'s fine      note 'literal \n'
 * For commands whose last argument is free text (say, note, reasons, notes)
 * the rest of the line is taken as it was typed, quotes removed, so
 * `say hello there` needs no quotes.
 */
#ifndef BATON_CMD_H
#define BATON_CMD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CMD_ARGS_MAX 64

/* cmd_def.flags */
enum {
	CMD_F_CONV       = 1u << 0,	/* acts on a conversation (the selected one by default) */
	CMD_F_MONEY      = 1u << 1,	/* moves money: confirm dialog first when interactive */
	CMD_F_NET        = 1u << 2,	/* sends a command to the hub (through the outbox) */
	CMD_F_SUPERVISOR = 1u << 3,	/* for supervisors (the hub enforces it) */
	CMD_F_UI         = 1u << 4,	/* only meaningful with the screen (theme, bind, help…) */
	CMD_F_REST       = 1u << 5,	/* the last argument is the rest of the line */
};

struct app;
struct cmd_call;
struct proto_customer;
struct proto_order;

struct cmd_def {
	const char *name;	/* "discount" */
	const char *args;	/* "N%|AMOUNT [ORDER] REASON" ("" if none) */
	const char *help;	/* one line: "Give the customer a discount (within your cap)." */
	const char *key;	/* default key binding in keys.c names ("D", "ctrl-r"), "" if none */
	unsigned flags;		/* CMD_F_* */
	int min_args, max_args;	/* words after the name; max -1: any */
	/* Runs the parsed command; 0 done/sent, 1 waiting for a confirmation,
	 * -1 error (err says what is wrong, and the usage where it helps). */
	int (*run)(struct app *app, const struct cmd_call *call, unsigned flags,
		   char *err, size_t errlen);
};

/* One parsed command. */
struct cmd_call {
	const struct cmd_def *def;
	char *name;			/* the name as typed (may be a unique prefix) */
	int argc;			/* words after the name */
	char *argv[CMD_ARGS_MAX];	/* NUL-terminated, unquoted */
	size_t off[CMD_ARGS_MAX];	/* where each word starts in text */
	char *rest;			/* with CMD_F_REST: the last argument as typed, unquoted */
	char *text;			/* the whole command as typed, trimmed (for the outbox/log) */
};

/* A parsed line: one or more commands. */
struct cmd_line {
	struct cmd_call *calls;
	size_t n;
};

/* The table, in help order; *n gets its length. */
const struct cmd_def *cmd_table(size_t *n);
/* By exact name, or by a unique prefix ("disc"); NULL if none or ambiguous. */
const struct cmd_def *cmd_find(const char *name);

/*
 * Splits line into commands and words, checks names and argument counts.
 * Returns 0 and fills *out (cmd_line_free it), or -1 with err naming the
 * problem and the usage: "discount: needs an amount and a reason. Usage:
 * discount N%|AMOUNT [ORDER] REASON". An empty line gives n = 0.
 */
int cmd_parse(const char *line, struct cmd_line *out, char *err, size_t errlen);
void cmd_line_free(struct cmd_line *l);

/* Words i.. to the end, as typed (blanks kept), unquoted; caller frees.
 * "" if i >= argc. */
char *cmd_rest(const struct cmd_call *c, int i);

/* "Usage: discount N%|AMOUNT [ORDER] REASON" into out. */
void cmd_usage(const struct cmd_def *def, char *out, size_t size);

/*
 * Money arguments. "10%" → *percent = 10; "12.50" or "12,50" or "1250c" →
 * *amount_minor = 1250 (for a two-decimal currency). Returns 0 or -1 with err.
 */
int cmd_parse_money(const char *s, int64_t *percent, int64_t *amount_minor,
		    char *err, size_t errlen);
/* "12.50 EUR" (or "-3.00 EUR"; no currency, no trailing space) into out. */
void cmd_money_text(int64_t minor, const char *currency, char *out, size_t size);
/* The customer's order with this id, or NULL (cu may be NULL). Lends. */
const struct proto_order *cmd_find_order(const struct proto_customer *cu, const char *id);
/* Looks like an order id, so `discount 10% o-5521 late` reads o-5521 as the
 * order and `discount 10% late delivery` does not: one of the customer's
 * orders, or "o-" and id characters. */
bool cmd_order_like(const struct proto_customer *cu, const char *s);
/* "SKU" → qty 1, "SKU:2" → 2. Returns 0 or -1 with err. sku is lent from s
 * (s is modified: the ':' becomes NUL). */
int cmd_parse_line_item(char *s, const char **sku, int64_t *qty, char *err, size_t errlen);

/* A fresh, unguessable cmd_id: "<agent>-<ms since epoch base36>-<12 random>".
 * agent may be NULL ("c"). out holds PROTO_CMD_ID_MAX + 1. */
void cmd_new_id(const char *agent, char *out, size_t size);

#endif
