/*
 * config.c: the console's options (config.h), defined once in opts[].
 *
 * The table below is the single definition of every option: the file
 * parser checks values against it, config_get_* read through it, `baton
 * --help-config` prints it, and man/baton.conf.5 documents the same rows.
 */
#include "baton/config.h"
#include "baton/common.h"
#include "baton/log.h"
#include "baton/text.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define CONFIG_FILE_MAX (256 * 1024)

static const struct config_opt opts[] = {
	{ "url", CONFIG_STR, "ws://127.0.0.1:7300/v1/stream", "ws://HOST:PORT/v1/stream or wss://HOST:PORT/v1/stream",
	  "Where the hub's agent stream is (also --url, BATON_URL)." },
	{ "token_file", CONFIG_PATH, NULL, "a file readable only by you",
	  "File holding your agent token (also --token-file, BATON_TOKEN_FILE); "
	  "default $XDG_CONFIG_HOME/baton/token." },
	{ "insecure", CONFIG_BOOL, "no", "yes|no",
	  "Do not verify the hub's TLS certificate (testing only; also --insecure)." },
	{ "theme", CONFIG_STR, "night", "night|day|high-contrast|solarized-dark|mono|NAME",
	  "Colour theme (baton-themes(5)); NO_COLOR in the environment forces mono." },
	{ "layout", CONFIG_ENUM, "auto", "auto|three|two|tabs",
	  "Screen layout: three panes from 120 columns, two from 80, else tabs." },
	{ "notify.bell", CONFIG_BOOL, "yes", "yes|no", "Ring the terminal bell for new work." },
	{ "notify.osc", CONFIG_ENUM, "auto", "auto|off|777|9",
	  "Desktop notifications through the terminal (OSC 777 or OSC 9; work over SSH)." },
	{ "notify.desktop", CONFIG_ENUM, "auto", "auto|off",
	  "libnotify pop-ups when a local D-Bus session exists and not over SSH." },
	{ "notify.hook", CONFIG_CMD, NULL, "a command",
	  "Command run for each notification, with BATON_EVENT, BATON_CONV, BATON_TITLE, "
	  "BATON_BODY in its environment (no shell)." },
	{ "notify.repeat_urgent_s", CONFIG_INT, "60", "0-86400",
	  "Re-alert this often while an urgent escalation is unclaimed (0: once)." },
	{ "notify.sla_lead_s", CONFIG_INT, "120", "0-86400",
	  "Warn this many seconds before a conversation's SLA is due." },
	{ "notify.unclaimed_s", CONFIG_INT, "60", "0-86400",
	  "Supervisors: alert when an urgent escalation stays unclaimed this long (0: never)." },
	{ "supervisor.idle_s", CONFIG_INT, "300", "0-86400",
	  "Supervisors: flag an agent with work who has not written for this long." },
	{ "history_lines", CONFIG_INT, "200", "20-100000",
	  "Messages per conversation kept in memory; older ones are read from the local store." },
	{ "log_file", CONFIG_PATH, NULL, "a path",
	  "Append diagnostics here (the screen owns the terminal); default: none." },
	{ "log_level", CONFIG_ENUM, "info", "debug|info|warn|error",
	  "How much goes to log_file." },
};

struct config_val {
	char *value;	/* NULL: unset */
	char *origin;
};

struct config {
	struct config_val v[BATON_ARRAY_LEN(opts)];
};

const struct config_opt *config_table(size_t *n)
{
	*n = BATON_ARRAY_LEN(opts);
	return opts;
}

static long opt_index(const char *key)
{
	for (size_t i = 0; i < BATON_ARRAY_LEN(opts); i++)
		if (strcmp(opts[i].key, key) == 0)
			return (long)i;
	return -1;
}

struct config *config_new(void)
{
	struct config *cfg = xcalloc(1, sizeof *cfg);

	for (size_t i = 0; i < BATON_ARRAY_LEN(opts); i++) {
		cfg->v[i].value = opts[i].def ? xstrdup(opts[i].def) : NULL;
		cfg->v[i].origin = xstrdup("default");
	}
	return cfg;
}

void config_free(struct config *cfg)
{
	if (!cfg)
		return;
	for (size_t i = 0; i < BATON_ARRAY_LEN(opts); i++) {
		free(cfg->v[i].value);
		free(cfg->v[i].origin);
	}
	free(cfg);
}

static int parse_bool(const char *s, bool *out)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };

	for (size_t i = 0; i < BATON_ARRAY_LEN(yes); i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*out = true;
			return 0;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*out = false;
			return 0;
		}
	}
	return -1;
}

/* Is s one of the '|'-separated words of list? */
static bool in_list(const char *list, const char *s)
{
	size_t n = strlen(s);

	for (const char *p = list; *p;) {
		size_t w = strcspn(p, "|");
		if (w == n && strncmp(p, s, n) == 0)
			return true;
		p += w;
		if (*p == '|')
			p++;
	}
	return false;
}

static int parse_int(const char *s, const char *range, int64_t *out)
{
	char *end;
	long long lo = 0, hi = 0;

	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (errno || end == s || *end)
		return -1;
	if (sscanf(range, "%lld-%lld", &lo, &hi) == 2 && (v < lo || v > hi))
		return -1;
	*out = v;
	return 0;
}

/* Checks value against the option; writes the accepted forms into err. */
static int check_value(const struct config_opt *o, const char *value, char *err, size_t errlen)
{
	bool b;
	int64_t i;

	switch (o->type) {
	case CONFIG_BOOL:
		if (parse_bool(value, &b) == 0)
			return 0;
		snprintf(err, errlen, "%s: \"%s\" is not yes or no; accepted: yes, no, true, false, on, off",
			 o->key, value);
		return -1;
	case CONFIG_INT:
		if (parse_int(value, o->values, &i) == 0)
			return 0;
		snprintf(err, errlen, "%s: \"%s\" is not a whole number in %s", o->key, value, o->values);
		return -1;
	case CONFIG_ENUM:
		if (in_list(o->values, value))
			return 0;
		snprintf(err, errlen, "%s: \"%s\" is not accepted; accepted: %s", o->key, value, o->values);
		return -1;
	case CONFIG_STR:
	case CONFIG_PATH:
	case CONFIG_CMD:
		if (!text_utf8_valid(value, strlen(value))) {
			snprintf(err, errlen, "%s: the value is not valid UTF-8", o->key);
			return -1;
		}
		if (strcmp(o->key, "url") == 0 && strncmp(value, "ws://", 5) != 0 &&
		    strncmp(value, "wss://", 6) != 0) {
			snprintf(err, errlen, "url: \"%s\" must start with ws:// or wss://", value);
			return -1;
		}
		return 0;
	}
	return 0;
}

/* "~/x" → "$HOME/x" for paths. */
static char *expand_path(const char *value)
{
	const char *home = getenv("HOME");

	if (value[0] == '~' && value[1] == '/' && home && *home)
		return xasprintf("%s%s", home, value + 1);
	return xstrdup(value);
}

int config_set(struct config *cfg, const char *key, const char *value, const char *origin,
	       char *err, size_t errlen)
{
	long i = opt_index(key);
	char why[300];

	if (i < 0) {
		snprintf(err, errlen, "%s: unknown option \"%s\" (see baton.conf(5))", origin, key);
		return -1;
	}
	if (check_value(&opts[i], value, why, sizeof why) < 0) {
		snprintf(err, errlen, "%s: %s", origin, why);
		return -1;
	}
	free(cfg->v[i].value);
	free(cfg->v[i].origin);
	if (opts[i].type == CONFIG_PATH)
		cfg->v[i].value = *value ? expand_path(value) : NULL;
	else
		cfg->v[i].value = xstrdup(value);
	cfg->v[i].origin = xstrdup(origin);
	return 0;
}

static char *trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r' || e[-1] == '\n'))
		*--e = '\0';
	return s;
}

/* A value may be written in double quotes (to keep a leading '#' or blanks). */
static int unquote(char *v)
{
	size_t n = strlen(v);

	if (n && v[0] == '"') {
		if (n < 2 || v[n - 1] != '"')
			return -1;
		memmove(v, v + 1, n - 2);
		v[n - 2] = '\0';
	}
	return 0;
}

int config_load(struct config *cfg, const char *path, bool must_exist, char **warnings,
		char *err, size_t errlen)
{
	struct strbuf warn = STRBUF_INIT;
	size_t len;
	char *text = file_read(path, CONFIG_FILE_MAX, &len);
	char *line, *save = NULL;
	unsigned lineno = 0;
	int rc = -1;

	if (!text) {
		if (errno == ENOENT && !must_exist)
			return 0;
		snprintf(err, errlen, "%s: cannot read the config file: %s", path, strerror(errno));
		return -1;
	}
	if (memchr(text, '\0', len)) {
		snprintf(err, errlen, "%s: this is not a text file", path);
		goto out;
	}
	/* strtok_r would merge empty lines and lose the numbering: split by hand. */
	for (line = text; line; line = save) {
		char *nl = strchr(line, '\n');
		save = nl ? nl + 1 : NULL;
		if (nl)
			*nl = '\0';
		lineno++;
		char *s = trim(line);
		if (!*s || *s == '#')
			continue;
		char *eq = strchr(s, '=');
		char origin[600];
		snprintf(origin, sizeof origin, "%s:%u", path, lineno);
		if (!eq) {
			snprintf(err, errlen, "%s: expected \"key = value\" (a # starts a comment)", origin);
			goto out;
		}
		*eq = '\0';
		char *key = trim(s), *value = trim(eq + 1);
		if (!*key) {
			snprintf(err, errlen, "%s: a key is missing before '='", origin);
			goto out;
		}
		if (unquote(value) < 0) {
			snprintf(err, errlen, "%s: the value's closing double quote is missing", origin);
			goto out;
		}
		if (opt_index(key) < 0) {
			char *k = text_sanitize_line(key, strlen(key), NULL);
			sb_addf(&warn, "%s: unknown option \"%s\" ignored (see baton.conf(5))\n", origin, k);
			free(k);
			continue;
		}
		if (config_set(cfg, key, value, origin, err, errlen) < 0)
			goto out;
	}
	rc = 0;
out:
	free(text);
	if (warnings && warn.len)
		*warnings = sb_take(&warn);
	sb_free(&warn);
	return rc;
}

static const struct config_val *get(const struct config *cfg, const char *key, long *idx)
{
	long i = opt_index(key);

	if (i < 0) {
		log_error("config: no option named \"%s\" (a bug)", key);
		return NULL;
	}
	if (idx)
		*idx = i;
	return &cfg->v[i];
}

const char *config_get_str(const struct config *cfg, const char *key)
{
	const struct config_val *v = get(cfg, key, NULL);
	return v ? v->value : NULL;
}

int64_t config_get_int(const struct config *cfg, const char *key)
{
	long i;
	const struct config_val *v = get(cfg, key, &i);
	int64_t n = 0;

	if (!v || !v->value)
		return 0;
	if (parse_int(v->value, opts[i].values, &n) < 0)
		return 0;
	return n;
}

bool config_get_bool(const struct config *cfg, const char *key)
{
	const struct config_val *v = get(cfg, key, NULL);
	bool b = false;

	if (!v || !v->value)
		return false;
	parse_bool(v->value, &b);
	return b;
}

const char *config_origin(const struct config *cfg, const char *key)
{
	const struct config_val *v = get(cfg, key, NULL);
	return v ? v->origin : "";
}

char *config_path(const char *name)
{
	const char *x = getenv("XDG_CONFIG_HOME");
	const char *home = getenv("HOME");

	if (x && *x == '/')
		return xasprintf("%s/baton/%s", x, name);
	return xasprintf("%s/.config/baton/%s", home && *home ? home : ".", name);
}
