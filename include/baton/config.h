/*
 * config.h: the console's options, from one table.
 *
 * $XDG_CONFIG_HOME/baton/config (default ~/.config/baton/config) holds
 * `key = value` lines and `#` comments. Every option is defined once in
 * config.c's table (name, type, default, accepted values, help); that table
 * checks the file, answers config_get_*, prints `baton --help-config` and is
 * what man/baton.conf.5 documents. A wrong line is an error that names
 * file:line and what is accepted; an unknown key is a warning.
 *
 * Precedence: command line > environment (BATON_URL, BATON_TOKEN_FILE) >
 * config file > default.
 */
#ifndef BATON_CONFIG_H
#define BATON_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum config_type { CONFIG_STR, CONFIG_INT, CONFIG_BOOL, CONFIG_ENUM, CONFIG_PATH, CONFIG_CMD };

struct config_opt {
	const char *key;	/* "notify.osc" */
	enum config_type type;
	const char *def;	/* default as it would be written in the file ("auto"); NULL: unset */
	const char *values;	/* ENUM: "auto|off|777|9"; INT: "0-86400"; else a synopsis */
	const char *help;	/* one line */
};

struct config;

/* The option table; *n gets its length. */
const struct config_opt *config_table(size_t *n);

/* A config holding the defaults. */
struct config *config_new(void);
void config_free(struct config *cfg);

/*
 * Reads path into cfg. A missing file is fine when !must_exist (returns 0).
 * Returns 0, or -1 with err "FILE:LINE: what is wrong; accepted: …".
 * Unknown keys are not errors: each adds a line to *warnings (if non-NULL;
 * caller frees; newline-separated).
 */
int config_load(struct config *cfg, const char *path, bool must_exist, char **warnings,
		char *err, size_t errlen);
/* Sets one option from a string as if read from a file (origin names where it
 * came from in errors: "--url", "BATON_URL"). Returns 0 or -1 with err. */
int config_set(struct config *cfg, const char *key, const char *value, const char *origin,
	       char *err, size_t errlen);

/* Values. An unknown key is a programming error: it logs and returns the
 * zero value. Strings are lent (valid until the option changes); NULL if unset. */
const char *config_get_str(const struct config *cfg, const char *key);
int64_t config_get_int(const struct config *cfg, const char *key);
bool config_get_bool(const struct config *cfg, const char *key);
/* Where a value came from: "default", "FILE:LINE", "--url", "BATON_URL". */
const char *config_origin(const struct config *cfg, const char *key);

/* $XDG_CONFIG_HOME/baton/NAME (or ~/.config/baton/NAME); caller frees. */
char *config_path(const char *name);

#endif
