/*
 * macro.h: macros — canned replies and command sequences, in the console's
 * one command language (man/baton-macros.5).
 *
 * How it is put together:
 *   - A macro file ($XDG_CONFIG_HOME/baton/macros/NAME.macro) is parsed once
 *     into struct macro: a header (name, description, key, send) and a body
 *     of steps. A step is a reply (lines starting with '>') or a console
 *     command (any other line). macro_parse() is pure: text in, struct out,
 *     or "FILE:LINE: what is wrong; accepted: …".
 *   - Templates ({{customer.first_name}}, {{ask:Item name}}, {{{{ for a
 *     literal "{{") are expanded by macro_expand(), a pure function over a
 *     lookup callback, so it is tested without a model. A variable that has
 *     no value is an error naming it, never an empty hole in a message.
 *   - macro_plan_build() expands every step against the model (struct
 *     macro_env: the conversation, its customer, the order in question, the
 *     agent, answers to the fill-in prompts) into a struct macro_plan: data
 *     for a dialog, plus macro_plan_render() for a text one. Steps that use
 *     the result of an earlier step's action ({{discount.code}} after a
 *     discount) are "deferred": expanded when that action has come back.
 *   - struct macro_run executes a plan step by step through a host (struct
 *     macro_host: app_run and the draft setter in the console, fakes in the
 *     tests), waiting for money confirmations and action results in the
 *     model; macro_run_poll() is called once per loop pass.
 *   - Executable macros (any executable file in the directory) are run by
 *     macro-exec.c (macro_exec_*); their output is parsed with
 *     macro_parse_body() into the same steps.
 */
#ifndef BATON_MACRO_H
#define BATON_MACRO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct model;

#define MACRO_NAME_MAX    48	/* [a-z0-9_-], starting with a letter or digit */
#define MACRO_FILE_MAX    (64 * 1024)	/* a macro file larger than this is refused */
#define MACRO_STEPS_MAX   64
#define MACRO_ASKS_MAX    16	/* distinct {{ask:…}} prompts in one macro */

enum macro_step_kind {
	MACRO_STEP_REPLY,	/* text for the customer (a template) */
	MACRO_STEP_CMD,		/* a console command line (a template) */
};

struct macro_step {
	enum macro_step_kind kind;
	char *text;		/* the template, '>' prefixes removed, lines joined by '\n' */
	int line;		/* where it starts in the file (1-based) */
};

struct macro {
	char *name;		/* from "name:" or the file name without .macro */
	char *description;
	char *key;		/* key binding in keys.c names ("F2", "ctrl-t"), NULL if none */
	bool send;		/* a single reply is sent at once instead of left as a draft */
	bool executable;	/* an executable file: steps come from running it */
	char *path;		/* the file it came from */
	struct macro_step *steps;
	size_t nsteps;
};

/*
 * Parses a macro file's text. path names it in errors and gives the default
 * name. Returns 0 and *out (macro_free it), or -1 with err
 * "PATH:LINE: what is wrong; accepted: …".
 */
int macro_parse(const char *path, const char *text, size_t len, struct macro **out,
		char *err, size_t errlen);
/*
 * Parses a body only (no header): the output of an executable macro. where
 * names it in errors ("macro order-lookup (output)"). Appends to m's steps.
 */
int macro_parse_body(struct macro *m, const char *where, const char *text, size_t len,
		     int first_line, char *err, size_t errlen);
/* Reads and parses a file (at most MACRO_FILE_MAX bytes). An executable file
 * is not parsed: it becomes a macro with executable set and no steps. */
int macro_load_file(const char *path, struct macro **out, char *err, size_t errlen);
void macro_free(struct macro *m);

/* ---- the macros directory ---- */

struct macro_set {
	struct macro **v;	/* sorted by name */
	size_t n;
};

/* $XDG_CONFIG_HOME/baton/macros (or ~/.config/baton/macros); caller frees. */
char *macro_dir(void);
/*
 * Loads every *.macro file and every executable file of dir (a missing
 * directory is an empty set). A broken file does not stop the others: its
 * error becomes a line of *warnings (caller frees; NULL if none). Two macros
 * with one name or one key: the later file is skipped with a warning.
 */
struct macro_set *macro_set_load(const char *dir, char **warnings);
void macro_set_free(struct macro_set *s);
const struct macro *macro_set_find(const struct macro_set *s, const char *name);
const struct macro *macro_set_find_key(const struct macro_set *s, const char *key);
/*
 * The filter-as-you-type picker: macros whose name or description contains
 * every blank-separated word of typed (case-insensitive), names that start
 * with the first word first. Fills out (at most max) and returns how many
 * matched in all.
 */
size_t macro_set_filter(const struct macro_set *s, const char *typed, const struct macro **out,
			size_t max);

/* ---- templates ---- */

/*
 * Looks a variable up: name is what stands between the braces, trimmed
 * ("customer.first_name", "ask:Item name"). Returns 1 with *value (malloc'd,
 * the caller frees), 0 if the name is not a variable at all, or -1 if it is
 * one but has no value here (err says why, e.g. "order o-55 has no tracking
 * number yet").
 */
typedef int (*macro_lookup_fn)(void *ctx, const char *name, char **value, char *err, size_t errlen);

enum macro_expand_mode {
	MACRO_EXPAND_TEXT,	/* a reply: values go in as they are (sanitized) */
	MACRO_EXPAND_CMD,	/* a command line: each value stays one word (blanks,
				 * quotes, backslashes and ';' are escaped) */
};

/*
 * Expands tmpl: "{{NAME}}" is replaced by its value, "{{{{" is a literal
 * "{{". Values and the result pass text_sanitize. Returns 0 and *out
 * (caller frees), or -1 with err naming the variable:
 *   "{{order.tracking}}: order o-55 has no tracking number yet"
 *   "{{custmer.name}} is not a variable; accepted: customer.first_name, …"
 */
int macro_expand(const char *tmpl, enum macro_expand_mode mode, macro_lookup_fn lookup, void *ctx,
		 char **out, char *err, size_t errlen);
/* The variables macro_expand accepts (besides ask:LABEL), comma-separated. */
const char *macro_var_names(void);
/* Calls fn for every {{NAME}} of tmpl in order (escapes skipped). Returns
 * -1 on an unclosed "{{" (err says where), else 0. */
int macro_template_vars(const char *tmpl, void (*fn)(void *ctx, const char *name), void *ctx,
			char *err, size_t errlen);
/* The distinct {{ask:LABEL}} prompts of a macro in order of appearance;
 * labels[i] are malloc'd (free each). Returns the count (at most max). */
size_t macro_asks(const struct macro *m, char **labels, size_t max);

/* ---- variables from the model ---- */

/* What a macro's templates see. */
struct macro_env {
	const struct model *model;
	const char *conv;		/* the conversation acted on */
	const char *order;		/* the order named by an earlier step; NULL: most recent */
	const char *const *ask_labels;	/* answers to {{ask:…}}: label → answer */
	const char *const *ask_values;
	size_t nasks;
	/* Actions of the conversation with these ids existed before the macro
	 * ran; {{discount.code}} and friends in a deferred step wait for a new
	 * one. NULL: any action counts. */
	const char *const *known_actions;
	size_t nknown;
};

/* A macro_lookup_fn over a struct macro_env (ctx). */
int macro_env_lookup(void *ctx, const char *name, char **value, char *err, size_t errlen);

/* ---- plans ---- */

enum macro_plan_mode {
	MACRO_PLAN_DRAFT,	/* one reply: it lands in the compose area */
	MACRO_PLAN_SEND,	/* one reply and the macro says send: sent at once */
	MACRO_PLAN_CONFIRM,	/* several steps: shown, run after the agent confirms */
};

struct macro_pstep {
	enum macro_step_kind kind;
	char *tmpl;		/* the template */
	char *text;		/* expanded reply or command line; NULL while deferred */
	char *what;		/* one line for the plan: "discount 10% on o-5521 (8.99 EUR) — your cap 15%" */
	bool deferred;		/* uses the result of an earlier step: expanded when it arrives */
	bool money;		/* a money command: its own confirmation when it runs */
	int op;			/* enum proto_op of a command that goes to the hub, else -1 */
	int line;
};

struct macro_plan {
	char *name;
	char *conv;
	enum macro_plan_mode mode;
	struct macro_pstep *steps;
	size_t n;
	char **known_actions;	/* action ids of conv when the plan was built */
	size_t nknown;
	char **ask_labels, **ask_values;
	size_t nasks;
};

/*
 * Builds the plan of m for env (env->order and env->known_actions are
 * managed by the plan itself). answers are the agent's answers to
 * macro_asks(m) in order; fewer than asked is an error naming the first
 * prompt without an answer. Every step is expanded now unless it is
 * deferred; each command is checked with the command parser. Returns 0 and
 * *out (macro_plan_free it), or -1 with err: "macro order-status, line 4:
 * {{order.tracking}}: order o-55 has no tracking number yet".
 */
int macro_plan_build(const struct macro *m, const struct model *model, const char *conv,
		     const char *const *answers, size_t nanswers, struct macro_plan **out,
		     char *err, size_t errlen);
void macro_plan_free(struct macro_plan *p);
/* The plan as text for a confirm dialog (one numbered line per step, replies
 * indented in full); caller frees. */
char *macro_plan_render(const struct macro_plan *p);

/* ---- running a plan ---- */

struct macro_host {
	void *ctx;
	/* Runs one command line as typed on the ':' line (app_run with
	 * APP_RUN_INTERACTIVE) against conversation conv — the one the plan was
	 * made for, even if the agent has selected another since: 0 done or
	 * queued, 1 waiting for the agent's money confirmation, -1 error (err). */
	int (*run)(void *ctx, const char *conv, const char *cmdline, char *err, size_t errlen);
	/* Puts text in conv's compose area (app_set_draft). */
	void (*draft)(void *ctx, const char *conv, const char *text);
};

enum macro_run_state {
	MACRO_RUN_DONE,		/* every step ran (or was queued) */
	MACRO_RUN_WAITING,	/* waiting for a confirmation or a result: poll again */
	MACRO_RUN_FAILED,	/* stopped; msg says at which step and why */
};

#define MACRO_CONFIRM_TIMEOUT_MS (5 * 60 * 1000)	/* an unanswered money dialog ends the run */

struct macro_run;

/* Takes the plan. */
struct macro_run *macro_run_new(struct macro_plan *plan, int64_t now_ms);
void macro_run_free(struct macro_run *r);
/*
 * Runs what can run now: steps in order, until one must wait (a money step
 * whose confirmation has not come, a deferred step whose action result has
 * not come). Call again after every loop pass while it says WAITING. msg
 * gets what the agent should read (progress or the failure).
 */
enum macro_run_state macro_run_poll(struct macro_run *r, const struct model *m,
				    const struct macro_host *h, int64_t now_ms, char *msg, size_t msglen);
/* The agent said no to a money dialog, or pressed Esc: the run stops. */
void macro_run_cancel(struct macro_run *r);
const struct macro_plan *macro_run_plan(const struct macro_run *r);

/* Quotes s as one word of the command language (for a confirm cmdline):
 * appends to out. */
struct strbuf;
void macro_quote_word(struct strbuf *out, const char *s);

/* ---- executable macros (macro-exec.c) ---- */

/*
 * An executable file in the macros directory gets the conversation as JSON
 * on stdin (the protocol's Conversation, proto_encode, with the transcript
 * the console holds) and prints a macro body on stdout: '>' lines are
 * replies, other lines commands. It runs in its own process group with the
 * macros directory as working directory; it is killed (SIGKILL, the whole
 * group) after timeout_ms, and stopped when it prints more than max_output
 * bytes. Its stderr (the first max_stderr bytes) is kept for the error.
 *
 * Nothing here blocks: macro_exec_poll() moves what the pipes hold, checks
 * the deadline and reaps with waitpid(WNOHANG). The console calls it from
 * its one-second tick and at the end of each loop pass (the fds can also be
 * adopted into the loop so output wakes it: macro_exec_fds). Tests and
 * headless use macro_exec_wait(), which poll(2)s.
 */
#define MACRO_EXEC_TIMEOUT_MS  5000
#define MACRO_EXEC_MAX_OUTPUT  (64 * 1024)
#define MACRO_EXEC_MAX_STDERR  (8 * 1024)

struct macro_exec_opts {
	int timeout_ms;		/* 0: MACRO_EXEC_TIMEOUT_MS */
	size_t max_output;	/* 0: MACRO_EXEC_MAX_OUTPUT */
	size_t max_stderr;	/* 0: MACRO_EXEC_MAX_STDERR */
};

enum macro_exec_state {
	MACRO_EXEC_RUNNING,
	MACRO_EXEC_DONE,	/* exited 0: macro_exec_output holds what it printed */
	MACRO_EXEC_FAILED,	/* macro_exec_error says why, with its stderr */
};

struct macro_exec;

/* Starts path with input on its stdin. NULL and err if it cannot start. */
struct macro_exec *macro_exec_start(const char *path, const char *input, size_t len,
				    const struct macro_exec_opts *o, int64_t now_ms,
				    char *err, size_t errlen);
/* The fds a loop can watch (readable: stdout, stderr, and a pidfd that is
 * readable when it exits; writable: stdin while input is left); returns
 * how many (at most 3: with stdin still open, the pidfd is left out). */
size_t macro_exec_fds(const struct macro_exec *x, int fds[3]);
/* An fd that becomes readable when the program exits (-1 if the kernel has
 * no pidfd); the console's loop watches it to poll at once. Lent. */
int macro_exec_pidfd(const struct macro_exec *x);
enum macro_exec_state macro_exec_poll(struct macro_exec *x, int64_t now_ms);
/* Polls until it is not RUNNING (blocks; at most the timeout). */
enum macro_exec_state macro_exec_wait(struct macro_exec *x);
/* What it printed on stdout (lent; NUL-terminated). */
const char *macro_exec_output(const struct macro_exec *x, size_t *len);
/* Why it failed, in words, with its stderr sanitized ("" if it did not). */
const char *macro_exec_error(const struct macro_exec *x);
/* Kills it if still running, reaps it, frees. NULL is fine. */
void macro_exec_free(struct macro_exec *x);

/* The conversation as an executable macro reads it: JSON text (caller
 * frees), NULL with err if conv is not kept by the model. */
char *macro_exec_input(const struct model *m, const char *conv, char *err, size_t errlen);
/* Turns an executable macro's output into a macro (its name and
 * description, the output's steps). 0 and *out, or -1 with err naming the
 * output line. */
int macro_exec_result(const struct macro *exe, const char *output, size_t len, struct macro **out,
		      char *err, size_t errlen);

/* ---- the console's side (macro-console.c) ---- */

/*
 * One console per process: this keeps the loaded macros, the plan running
 * and the executable running. app.c calls macro_console_open() once after
 * the model exists (dir NULL: macro_dir()), macro_console_poll() from its
 * one-second tick and at the end of every loop pass, and keeps a headless
 * run alive while macro_console_busy(). The command table points `macro`
 * and `macros` at the handlers; the confirm dialog's "no" (or Esc) calls
 * macro_console_cancel().
 */
struct app;
struct cmd_call;
void macro_console_open(struct app *app, const char *dir);
void macro_console_close(void);
void macro_console_poll(struct app *app, int64_t now_ms);
bool macro_console_busy(void);
void macro_console_cancel(void);
/* The loaded macros (for a picker: macro_set_filter) and the problems found
 * loading them ("" or NULL if none). */
const struct macro_set *macro_console_set(void);
const char *macro_console_warnings(void);
/* The macro bound to a key name ("F2"), NULL if none. */
const struct macro *macro_console_key(const char *key);
/* Binds each macro's key to `macro NAME` (call after keys_new and before
 * keys_load, so the agent's binds file wins); bad keys become warnings. */
struct keys;
void macro_console_bind_keys(struct keys *k);
/* `macro [--plan] NAME [ANSWER]...` and `macros [FILTER]` (cmd_def.run). */
int macro_cmd_macro(struct app *app, const struct cmd_call *call, unsigned flags, char *err,
		    size_t errlen);
int macro_cmd_macros(struct app *app, const struct cmd_call *call, unsigned flags, char *err,
		     size_t errlen);

/* ---- the picker: filter as you type (macro-picker.c) ---- */

/*
 * The state of the `macros` picker, apart from drawing: the screen feeds it
 * keys (keys.h codes) and draws macro_picker_line() for rows top..top+rows.
 * Typed characters filter (macro_set_filter), backspace and ctrl-u edit the
 * filter, up/down, ctrl-p/ctrl-n, pgup/pgdn move, Enter picks, Esc closes.
 * Picking a macro that asks ({{ask:…}}) gives PREFILL: the ':' line gets
 * "macro NAME " for the agent to type the answers.
 */
#define MACRO_PICK_MAX 256

enum macro_pick_result {
	MACRO_PICK_NONE,	/* nothing changed */
	MACRO_PICK_REDRAW,	/* the filter or the selection changed */
	MACRO_PICK_CLOSE,	/* Esc: close the picker */
	MACRO_PICK_RUN,		/* run cmdline (app_run, interactive) and close */
	MACRO_PICK_PREFILL,	/* put cmdline on the ':' line and close */
};

struct macro_picker {
	const struct macro_set *set;
	char typed[128];
	const struct macro *hits[MACRO_PICK_MAX];
	size_t n;		/* shown (at most MACRO_PICK_MAX) */
	size_t total;		/* matching */
	size_t sel;		/* index into hits */
	size_t top;		/* first row shown */
	size_t rows;		/* rows the screen shows (for paging; 10 until set) */
};

void macro_picker_init(struct macro_picker *p, const struct macro_set *s, size_t rows);
enum macro_pick_result macro_picker_key(struct macro_picker *p, int key, char *cmdline, size_t size);
/* Row i (0..n): "NAME  KEY  DESCRIPTION", sanitized, cut to cols columns. */
void macro_picker_line(const struct macro_picker *p, size_t i, size_t cols, char *out, size_t size);
/* The title: "Macros: order (2 of 7) — Enter runs, Esc closes". */
void macro_picker_title(const struct macro_picker *p, char *out, size_t size);

#endif
