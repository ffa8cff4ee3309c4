/*
 * macro.c: macro files, the macros directory and the template expander
 * (macro.h). Plans and running them are in macro-plan.c, executable macros
 * in macro-exec.c.
 *
 * A macro file, in short (man/baton-macros.5 has it all):
 *
 *     name: order-status
 *     description: Where the order is, with its tracking number
 *     key: F2
 *     send: no
 *
 *     > Hi {{customer.first_name}}, your order {{order.id}} is on its way.
 *     > Tracking: {{order.tracking}}
 *     note told the customer the tracking number
 *
 * The header is "key: value" lines up to the first blank line; then each
 * run of '>' lines is one reply, every other line one console command.
 * Everything a parse error can name is a file:line, because the person who
 * fixes it has the file open in an editor.
 */
#include "baton/macro.h"
#include "baton/cmd.h"
#include "baton/common.h"
#include "baton/config.h"
#include "baton/text.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#define HEADER_KEYS "name, description, key, send"

/* The variables, in the order the man page lists them. */
static const char *const var_names[] = {
	"customer.first_name", "customer.name", "customer.tier",
	"order.id", "order.status", "order.items", "order.tracking", "order.carrier",
	"agent.name", "conv.id",
	"discount.code", "discount.percent", "return.rma", "label.tracking", "label.carrier",
};

const char *macro_var_names(void)
{
	return "customer.first_name, customer.name, customer.tier, order.id, order.status, "
	       "order.items, order.tracking, order.carrier, agent.name, conv.id, discount.code, "
	       "discount.percent, return.rma, label.tracking, label.carrier, ask:LABEL";
}

static bool var_known(const char *name)
{
	if (strncmp(name, "ask:", 4) == 0)
		return true;
	for (size_t i = 0; i < BATON_ARRAY_LEN(var_names); i++)
		if (strcmp(var_names[i], name) == 0)
			return true;
	return false;
}

/* ---- small helpers ---- */

static char *trim(char *s)
{
	size_t n;

	while (*s == ' ' || *s == '\t')
		s++;
	n = strlen(s);
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
		s[--n] = '\0';
	return s;
}

static bool name_valid(const char *s)
{
	size_t n = strlen(s);

	if (!n || n > MACRO_NAME_MAX || !isalnum((unsigned char)s[0]))
		return false;
	for (const char *p = s; *p; p++)
		if (!(islower((unsigned char)*p) || isdigit((unsigned char)*p) || *p == '-' || *p == '_'))
			return false;
	return true;
}

/* The file name without directories and without ".macro". */
static char *stem(const char *path)
{
	const char *b = strrchr(path, '/');
	size_t n;

	b = b ? b + 1 : path;
	n = strlen(b);
	if (n > 6 && strcmp(b + n - 6, ".macro") == 0)
		n -= 6;
	return xstrndup(b, n);
}

void macro_free(struct macro *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->nsteps; i++)
		free(m->steps[i].text);
	free(m->steps);
	free(m->name);
	free(m->description);
	free(m->key);
	free(m->path);
	free(m);
}

/* ---- templates ---- */

/* Finds the end of the {{…}} that starts at s (s points at "{{"); returns
 * the index of the closing "}}" or -1. A name never spans lines. */
static long close_of(const char *s)
{
	for (long i = 2; s[i]; i++) {
		if (s[i] == '\n')
			return -1;
		if (s[i] == '}' && s[i + 1] == '}')
			return i;
	}
	return -1;
}

int macro_template_vars(const char *tmpl, void (*fn)(void *ctx, const char *name), void *ctx,
			char *err, size_t errlen)
{
	for (size_t i = 0; tmpl[i];) {
		if (strncmp(tmpl + i, "{{{{", 4) == 0) {
			i += 4;
			continue;
		}
		if (strncmp(tmpl + i, "{{", 2) != 0) {
			i++;
			continue;
		}
		long j = close_of(tmpl + i);
		if (j < 0) {
			snprintf(err, errlen, "\"{{\" is not closed by \"}}\" on the same line (write {{{{ for "
				 "a literal {{)");
			return -1;
		}
		char *name = xstrndup(tmpl + i + 2, (size_t)j - 2);
		if (fn)
			fn(ctx, trim(name));
		free(name);
		i += (size_t)j + 2;
	}
	return 0;
}

/* Appends value as one word of the command language. */
static void add_cmd_word(struct strbuf *out, const char *v)
{
	if (!*v) {
		sb_adds(out, "''");
		return;
	}
	for (const char *p = v; *p; p++) {
		if (strchr(" \t\n\r;\"'\\", *p))
			sb_addc(out, '\\');
		sb_addc(out, *p);
	}
}

void macro_quote_word(struct strbuf *out, const char *s)
{
	add_cmd_word(out, s);
}

int macro_expand(const char *tmpl, enum macro_expand_mode mode, macro_lookup_fn lookup, void *ctx,
		 char **out, char *err, size_t errlen)
{
	struct strbuf sb = STRBUF_INIT;
	char why[300];
	int rc = -1;

	*out = NULL;
	for (size_t i = 0; tmpl[i];) {
		if (strncmp(tmpl + i, "{{{{", 4) == 0) {
			sb_adds(&sb, "{{");
			i += 4;
			continue;
		}
		if (strncmp(tmpl + i, "{{", 2) != 0) {
			sb_addc(&sb, tmpl[i++]);
			continue;
		}
		long j = close_of(tmpl + i);
		if (j < 0) {
			snprintf(err, errlen, "\"{{\" is not closed by \"}}\" on the same line (write {{{{ for "
				 "a literal {{)");
			goto out;
		}
		char *raw = xstrndup(tmpl + i + 2, (size_t)j - 2);
		char *name = trim(raw), *value = NULL;
		int r;
		if (!*name) {
			snprintf(err, errlen, "\"{{}}\" names no variable; accepted: %s", macro_var_names());
			free(raw);
			goto out;
		}
		why[0] = '\0';
		r = lookup(ctx, name, &value, why, sizeof why);
		if (r == 0) {
			snprintf(err, errlen, "{{%.60s}} is not a variable; accepted: %s", name,
				 macro_var_names());
			free(raw);
			goto out;
		}
		if (r < 0) {
			snprintf(err, errlen, "{{%.60s}}: %s", name, why[0] ? why : "has no value here");
			free(raw);
			goto out;
		}
		char *safe = text_sanitize_str(value ? value : "");
		if (!*safe) {
			/* Never an empty hole in a message to a customer. */
			snprintf(err, errlen, "{{%.60s}}: the value is empty", name);
			free(safe);
			free(value);
			free(raw);
			goto out;
		}
		if (mode == MACRO_EXPAND_CMD)
			add_cmd_word(&sb, safe);
		else
			sb_adds(&sb, safe);
		free(safe);
		free(value);
		free(raw);
		i += (size_t)j + 2;
	}
	*out = text_sanitize(sb_str(&sb), sb.len, NULL);
	rc = 0;
out:
	sb_free(&sb);
	return rc;
}

struct asks_ctx {
	char **labels;
	size_t n, max;
};

static void collect_ask(void *ctx, const char *name)
{
	struct asks_ctx *a = ctx;
	const char *label;

	if (strncmp(name, "ask:", 4) != 0)
		return;
	label = name + 4;
	while (*label == ' ')
		label++;
	for (size_t i = 0; i < a->n; i++)
		if (strcmp(a->labels[i], label) == 0)
			return;
	if (a->n < a->max)
		a->labels[a->n++] = xstrdup(label);
}

size_t macro_asks(const struct macro *m, char **labels, size_t max)
{
	struct asks_ctx a = { labels, 0, max };
	char err[200];

	for (size_t i = 0; i < m->nsteps; i++)
		macro_template_vars(m->steps[i].text, collect_ask, &a, err, sizeof err);
	return a.n;
}

/* ---- parsing ---- */

struct check_ctx {
	char bad[120];
};

static void check_var(void *ctx, const char *name)
{
	struct check_ctx *c = ctx;

	if (c->bad[0])
		return;
	if (!var_known(name))
		snprintf(c->bad, sizeof c->bad, "%s", name);
	else if (strncmp(name, "ask:", 4) == 0 && !name[4 + strspn(name + 4, " ")])
		snprintf(c->bad, sizeof c->bad, "%s", name);
}

/* Checks a step's template and, for a command, its name. */
static int check_step(const struct macro_step *st, const char *where, char *err, size_t errlen)
{
	struct check_ctx c;
	char why[200];

	c.bad[0] = '\0';
	if (macro_template_vars(st->text, check_var, &c, why, sizeof why) < 0) {
		snprintf(err, errlen, "%s:%d: %s", where, st->line, why);
		return -1;
	}
	if (c.bad[0]) {
		if (strncmp(c.bad, "ask:", 4) == 0)
			snprintf(err, errlen, "%s:%d: {{ask:}} needs a label the agent is asked for, as in "
				 "{{ask:Item name}}", where, st->line);
		else
			snprintf(err, errlen, "%s:%d: {{%.60s}} is not a variable; accepted: %s", where,
				 st->line, c.bad, macro_var_names());
		return -1;
	}
	if (st->kind == MACRO_STEP_CMD) {
		const char *s = st->text;
		size_t n = strcspn(s, " \t;");
		char *word = xstrndup(s, n);
		const struct cmd_def *d = strstr(word, "{{") ? NULL : cmd_find(word);
		int rc = 0;
		if (strcmp(word, "macro") == 0 || strcmp(word, "macros") == 0) {
			snprintf(err, errlen, "%s:%d: a macro cannot run macros (copy the steps instead)",
				 where, st->line);
			rc = -1;
		} else if (!d) {
			snprintf(err, errlen, "%s:%d: \"%.40s\" is not a command; a step is a reply (a line "
				 "starting with '>') or a console command (help lists them)", where, st->line,
				 word);
			rc = -1;
		}
		free(word);
		return rc;
	}
	return 0;
}

static void add_step(struct macro *m, enum macro_step_kind kind, char *text, int line)
{
	m->steps = xrealloc(m->steps, (m->nsteps + 1) * sizeof *m->steps);
	m->steps[m->nsteps].kind = kind;
	m->steps[m->nsteps].text = text;
	m->steps[m->nsteps].line = line;
	m->nsteps++;
}

int macro_parse_body(struct macro *m, const char *where, const char *text, size_t len,
		     int first_line, char *err, size_t errlen)
{
	struct strbuf reply = STRBUF_INIT;
	int reply_line = 0, lineno = first_line - 1, rc = -1;
	size_t pos = 0;

	if (memchr(text, '\0', len)) {
		snprintf(err, errlen, "%s: holds a NUL byte; a macro is text", where);
		return -1;
	}
	while (pos <= len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - (text + pos)) : len - pos;
		char *raw = xstrndup(text + pos, n), *s;
		bool last = !nl;
		pos += n + 1;
		lineno++;
		if (n && raw[n - 1] == '\r')
			raw[n - 1] = '\0';
		if (!text_utf8_valid(raw, strlen(raw))) {
			snprintf(err, errlen, "%s:%d: not valid UTF-8; save the file as UTF-8", where, lineno);
			free(raw);
			goto out;
		}
		s = trim(raw);
		if (s[0] == '>') {
			const char *t = s + 1;
			if (*t == ' ')
				t++;
			if (!reply_line)
				reply_line = lineno;
			else
				sb_addc(&reply, '\n');
			sb_adds(&reply, t);
		} else {
			if (reply_line) {
				add_step(m, MACRO_STEP_REPLY, sb_take(&reply), reply_line);
				reply_line = 0;
			}
			if (s[0] && s[0] != '#') {
				if (s[0] == ':')
					s = trim(s + 1);
				if (*s)
					add_step(m, MACRO_STEP_CMD, xstrdup(s), lineno);
			}
		}
		free(raw);
		if (m->nsteps > MACRO_STEPS_MAX) {
			snprintf(err, errlen, "%s:%d: too many steps (at most %d)", where, lineno,
				 MACRO_STEPS_MAX);
			goto out;
		}
		if (last)
			break;
	}
	if (reply_line)
		add_step(m, MACRO_STEP_REPLY, sb_take(&reply), reply_line);
	for (size_t i = 0; i < m->nsteps; i++)
		if (check_step(&m->steps[i], where, err, errlen) < 0)
			goto out;
	rc = 0;
out:
	sb_free(&reply);
	return rc;
}

static int parse_bool(const char *v, bool *out)
{
	if (!strcasecmp(v, "yes") || !strcasecmp(v, "true") || !strcmp(v, "1") || !strcasecmp(v, "on"))
		*out = true;
	else if (!strcasecmp(v, "no") || !strcasecmp(v, "false") || !strcmp(v, "0") ||
		 !strcasecmp(v, "off"))
		*out = false;
	else
		return -1;
	return 0;
}

int macro_parse(const char *path, const char *text, size_t len, struct macro **out,
		char *err, size_t errlen)
{
	struct macro *m = xcalloc(1, sizeof *m);
	size_t pos = 0;
	int lineno = 0, rc = -1;
	bool header_seen = false;

	*out = NULL;
	m->path = xstrdup(path);
	if (len > MACRO_FILE_MAX) {
		snprintf(err, errlen, "%s: larger than %d KiB; a macro is a short text", path,
			 MACRO_FILE_MAX / 1024);
		goto out;
	}
	/* The header: "key: value" lines (and # comments) up to a blank line. */
	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - (text + pos)) : len - pos;
		char *raw = xstrndup(text + pos, n), *s = trim(raw), *colon, *key, *val;
		pos += n + (nl ? 1 : 0);
		lineno++;
		if (!*s) {
			free(raw);
			if (header_seen)
				break;
			continue;	/* blank lines before the header */
		}
		if (s[0] == '#') {
			free(raw);
			continue;
		}
		colon = strchr(s, ':');
		key = s;
		if (colon) {
			*colon = '\0';
			key = trim(s);
		}
		if (!colon || !*key || strspn(key, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") !=
		    strlen(key)) {
			if (!header_seen)
				snprintf(err, errlen, "%s:%d: a macro starts with its header, \"key: value\" "
					 "lines (accepted: %s; description is required), then a blank "
					 "line and the steps", path, lineno, HEADER_KEYS);
			else
				snprintf(err, errlen, "%s:%d: expected \"key: value\" (accepted: %s) or a "
					 "blank line before the steps", path, lineno, HEADER_KEYS);
			free(raw);
			goto out;
		}
		val = trim(colon + 1);
		header_seen = true;
		if (!text_utf8_valid(val, strlen(val))) {
			snprintf(err, errlen, "%s:%d: not valid UTF-8; save the file as UTF-8", path, lineno);
			free(raw);
			goto out;
		}
		char **slot = NULL;
		if (!strcasecmp(key, "name")) {
			if (!name_valid(val)) {
				snprintf(err, errlen, "%s:%d: name \"%.60s\": use 1-%d of a-z, 0-9, - and _, "
					 "starting with a letter or digit", path, lineno, val, MACRO_NAME_MAX);
				free(raw);
				goto out;
			}
			slot = &m->name;
		} else if (!strcasecmp(key, "description")) {
			slot = &m->description;
		} else if (!strcasecmp(key, "key")) {
			slot = &m->key;
		} else if (!strcasecmp(key, "send")) {
			if (parse_bool(val, &m->send) < 0) {
				snprintf(err, errlen, "%s:%d: send: \"%.20s\" is not yes or no", path, lineno, val);
				free(raw);
				goto out;
			}
		} else {
			snprintf(err, errlen, "%s:%d: \"%.40s\" is not a header key; accepted: %s", path,
				 lineno, key, HEADER_KEYS);
			free(raw);
			goto out;
		}
		if (slot) {
			if (*slot) {
				snprintf(err, errlen, "%s:%d: %s is given twice", path, lineno, key);
				free(raw);
				goto out;
			}
			if (!*val) {
				snprintf(err, errlen, "%s:%d: %s is empty", path, lineno, key);
				free(raw);
				goto out;
			}
			*slot = text_sanitize_line(val, strlen(val), NULL);
		}
		free(raw);
	}
	if (!header_seen) {
		snprintf(err, errlen, "%s:1: the file is empty; a macro needs a header (description: …), a "
			 "blank line and steps", path);
		goto out;
	}
	if (!m->description) {
		snprintf(err, errlen, "%s:1: no \"description:\" line; the macro picker shows it", path);
		goto out;
	}
	if (!m->name) {
		m->name = stem(path);
		if (!name_valid(m->name)) {
			snprintf(err, errlen, "%s:1: the file name makes no macro name; add \"name: …\" (1-%d "
				 "of a-z, 0-9, - and _)", path, MACRO_NAME_MAX);
			goto out;
		}
	}
	if (macro_parse_body(m, path, text + pos, len - pos, lineno + 1, err, errlen) < 0)
		goto out;
	if (!m->nsteps) {
		snprintf(err, errlen, "%s:%d: the macro has no steps; after the header and a blank line, "
			 "write replies ('>' lines) and commands", path, lineno);
		goto out;
	}
	*out = m;
	m = NULL;
	rc = 0;
out:
	macro_free(m);
	return rc;
}

/* An executable macro's header: "# description: …" and "# key: …" lines
 * near the top of the script, so the picker can show them. */
static void exec_header(struct macro *m, const char *text, size_t len)
{
	size_t pos = 0;

	for (int lines = 0; pos < len && lines < 30; lines++) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - (text + pos)) : len - pos;
		char *raw = xstrndup(text + pos, n), *s = trim(raw);
		pos += n + 1;
		if (s[0] == '#') {
			s = trim(s + 1);
			if (!strncasecmp(s, "description:", 12) && !m->description)
				m->description = text_sanitize_line(trim(s + 12), strlen(trim(s + 12)), NULL);
			else if (!strncasecmp(s, "key:", 4) && !m->key && *trim(s + 4))
				m->key = xstrdup(trim(s + 4));
		}
		free(raw);
		if (!nl)
			break;
	}
}

int macro_load_file(const char *path, struct macro **out, char *err, size_t errlen)
{
	struct stat st;
	size_t len;
	char *text;
	int rc;

	*out = NULL;
	if (stat(path, &st) < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file", path);
		return -1;
	}
	if (st.st_mode & 0111) {
		struct macro *m;
		char *name = stem(path);
		if (!name_valid(name)) {
			snprintf(err, errlen, "%s: an executable macro's file name is its name: use a-z, 0-9, "
				 "- and _", path);
			free(name);
			return -1;
		}
		/* It runs with the agent's rights: someone else must not be able to
		 * change what it does. */
		if (st.st_uid != geteuid() || (st.st_mode & 022)) {
			snprintf(err, errlen, "%s: not run: an executable macro must be yours and writable only "
				 "by you (chmod go-w)", path);
			free(name);
			return -1;
		}
		m = xcalloc(1, sizeof *m);
		m->name = name;
		m->path = xstrdup(path);
		m->executable = true;
		text = file_read(path, 4096, &len);
		if (!text && errno == EFBIG) {
			/* Longer than the peek: read just its beginning. */
			FILE *f = fopen(path, "r");
			text = xcalloc(1, 4097);
			len = f ? fread(text, 1, 4096, f) : 0;
			if (f)
				fclose(f);
		}
		if (text)
			exec_header(m, text, len);
		free(text);
		if (!m->description)
			m->description = xstrdup("(executable macro)");
		*out = m;
		return 0;
	}
	text = file_read(path, MACRO_FILE_MAX, &len);
	if (!text) {
		if (errno == EFBIG)
			snprintf(err, errlen, "%s: larger than %d KiB; a macro is a short text", path,
				 MACRO_FILE_MAX / 1024);
		else
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	rc = macro_parse(path, text, len, out, err, errlen);
	free(text);
	return rc;
}

/* ---- the directory ---- */

char *macro_dir(void)
{
	return config_path("macros");
}

static int by_name(const void *a, const void *b)
{
	const struct macro *const *x = a, *const *y = b;
	return strcmp((*x)->name, (*y)->name);
}

static int by_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

struct macro_set *macro_set_load(const char *dir, char **warnings)
{
	struct macro_set *s = xcalloc(1, sizeof *s);
	struct strbuf warn = STRBUF_INIT;
	char **names = NULL;
	size_t nnames = 0;
	DIR *d = opendir(dir);
	struct dirent *e;

	if (warnings)
		*warnings = NULL;
	if (!d) {
		if (errno != ENOENT)
			sb_addf(&warn, "%s: %s\n", dir, strerror(errno));
		goto out;
	}
	while ((e = readdir(d))) {
		size_t n = strlen(e->d_name);
		if (e->d_name[0] == '.' || e->d_name[n - 1] == '~')
			continue;
		names = xrealloc(names, (nnames + 1) * sizeof *names);
		names[nnames++] = xstrdup(e->d_name);
	}
	closedir(d);
	/* File order decides which of two clashing macros wins: make it stable. */
	qsort(names, nnames, sizeof *names, by_str);
	for (size_t i = 0; i < nnames; i++) {
		char *path = xasprintf("%s/%s", dir, names[i]);
		struct stat st;
		size_t n = strlen(names[i]);
		bool is_macro = n > 6 && strcmp(names[i] + n - 6, ".macro") == 0;
		struct macro *m = NULL;
		char err[400];

		if (stat(path, &st) < 0 || !S_ISREG(st.st_mode) || (!is_macro && !(st.st_mode & 0111))) {
			free(path);
			continue;	/* a README, a directory: not a macro */
		}
		if (macro_load_file(path, &m, err, sizeof err) < 0) {
			sb_addf(&warn, "%s\n", err);
			free(path);
			continue;
		}
		free(path);
		const struct macro *dup = macro_set_find(s, m->name);
		const struct macro *kdup = m->key ? macro_set_find_key(s, m->key) : NULL;
		if (dup || kdup) {
			sb_addf(&warn, "%s: skipped: %s %s is already used by %s\n", m->path,
				dup ? "the name" : "the key", dup ? m->name : m->key,
				(dup ? dup : kdup)->path);
			macro_free(m);
			continue;
		}
		s->v = xrealloc(s->v, (s->n + 1) * sizeof *s->v);
		s->v[s->n++] = m;
	}
	if (s->n)
		qsort(s->v, s->n, sizeof *s->v, by_name);
out:
	for (size_t i = 0; i < nnames; i++)
		free(names[i]);
	free(names);
	if (warnings && warn.len)
		*warnings = sb_take(&warn);
	sb_free(&warn);
	return s;
}

void macro_set_free(struct macro_set *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n; i++)
		macro_free(s->v[i]);
	free(s->v);
	free(s);
}

const struct macro *macro_set_find(const struct macro_set *s, const char *name)
{
	for (size_t i = 0; s && i < s->n; i++)
		if (strcmp(s->v[i]->name, name) == 0)
			return s->v[i];
	return NULL;
}

const struct macro *macro_set_find_key(const struct macro_set *s, const char *key)
{
	for (size_t i = 0; s && i < s->n; i++)
		if (s->v[i]->key && strcasecmp(s->v[i]->key, key) == 0)
			return s->v[i];
	return NULL;
}

static bool contains_ci(const char *hay, const char *needle, size_t n)
{
	for (; *hay; hay++)
		if (strncasecmp(hay, needle, n) == 0)
			return true;
	return false;
}

size_t macro_set_filter(const struct macro_set *s, const char *typed, const struct macro **out,
			size_t max)
{
	size_t total = 0, k = 0;

	/* Two passes: names starting with the first word, then the rest. */
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; s && i < s->n; i++) {
			const struct macro *m = s->v[i];
			const char *p = typed;
			bool all = true, prefix = false, first = true;
			while (*p) {
				p += strspn(p, " \t");
				size_t n = strcspn(p, " \t");
				if (!n)
					break;
				if (first)
					prefix = strncasecmp(m->name, p, n) == 0;
				first = false;
				if (!contains_ci(m->name, p, n) && !contains_ci(m->description, p, n))
					all = false;
				p += n;
			}
			if (first)
				prefix = true;	/* nothing typed: everything, by name */
			if (!all || prefix != (pass == 0))
				continue;
			total++;
			if (k < max)
				out[k++] = m;
		}
	}
	return total;
}
