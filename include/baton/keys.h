/*
 * keys.h: key names and key bindings.
 *
 * A key is an int: a Unicode code point (a typed character; ctrl-a is 1),
 * or KEYS_FN | a KEYS_K_* code for a function key, either possibly with
 * KEYS_META (Alt, or Esc then the key). Function keys have our own codes,
 * not ncurses' numbers, so a binds file means the same on every terminal;
 * keys_from_curses() maps what get_wch() returned, including the
 * terminal-specific codes of modified keys (ctrl-left is kLFT5).
 *
 * Names, both ways: "a", "A", "ctrl-a", "meta-x", "meta-left", "ctrl-left",
 * "shift-tab", "F5", "enter", "tab", "esc", "space", "backspace", "delete",
 * "insert", "home", "end", "pgup", "pgdn", "up", "down", "left", "right",
 * any single UTF-8 character ("ö", "ş"). Case matters only for plain
 * characters; modifiers and key names are case-insensitive.
 *
 * Bindings map a key to a command line: either a screen action (down, up,
 * select, focus-next, command-line, compose, help, search, …; see
 * keys_actions) or any console command (claim next, quit, …), which the ui
 * runs through app_run(). They apply while no text is being edited; the
 * editors (compose, the : line) keep the readline keys for themselves.
 */
#ifndef BATON_KEYS_H
#define BATON_KEYS_H

#include <stdbool.h>
#include <stddef.h>

#define KEYS_FN    0x01000000
#define KEYS_META  0x02000000
#define KEYS_NONE  0		/* no key */

/* Function keys (with KEYS_FN). */
enum keys_k {
	KEYS_K_ENTER = 1, KEYS_K_TAB, KEYS_K_BTAB, KEYS_K_ESC, KEYS_K_BACKSPACE,
	KEYS_K_DELETE, KEYS_K_INSERT, KEYS_K_HOME, KEYS_K_END, KEYS_K_PGUP, KEYS_K_PGDN,
	KEYS_K_UP, KEYS_K_DOWN, KEYS_K_LEFT, KEYS_K_RIGHT,
	KEYS_K_CTRL_UP, KEYS_K_CTRL_DOWN, KEYS_K_CTRL_LEFT, KEYS_K_CTRL_RIGHT,
	KEYS_K_SHIFT_UP, KEYS_K_SHIFT_DOWN, KEYS_K_SHIFT_LEFT, KEYS_K_SHIFT_RIGHT,
	KEYS_K_CTRL_HOME, KEYS_K_CTRL_END, KEYS_K_CTRL_DELETE,
	KEYS_K_PASTE_BEGIN, KEYS_K_PASTE_END,	/* bracketed paste markers */
	KEYS_K_RESIZE, KEYS_K_MOUSE,
	KEYS_K_F0 = 0x100,	/* KEYS_K_F0 + n is Fn, n = 1..63 */
};
#define KEYS_F(n) (KEYS_FN | (KEYS_K_F0 + (n)))

/*
 * Parses a key name into *key. Returns 0, or -1 with a sentence in err
 * ("unknown key name \"ctrl-é\": ctrl- goes with a letter, @, [, \\, ], ^ or _").
 */
int keys_parse(const char *name, int *key, char *err, size_t errlen);
/* Writes the canonical name of key into out ("ctrl-a", "meta-left", "F5"). */
void keys_name(int key, char *out, size_t outlen);

/*
 * The key for what get_wch() returned: rc is its return (OK or KEY_CODE_YES),
 * wch the value. meta says an Esc came just before. Unknown ncurses codes
 * give KEYS_NONE. Call keys_curses_init() after initscr so modified keys
 * (kLFT5 …) are known.
 */
int keys_from_curses(int rc, unsigned wch, bool meta);
void keys_curses_init(void);

/* ---- bindings ---- */

struct keys;

/* A screen action a binding can name (the help screen lists them). */
struct keys_action {
	const char *name;
	const char *help;
};
extern const struct keys_action keys_actions[];
extern const size_t keys_nactions;
/* The action table entry whose name is the first word of cmdline, or NULL
 * (then cmdline is a console command). */
const struct keys_action *keys_action_find(const char *cmdline);

/* The default bindings (j/k, enter, tab, :, ?, n/p, /, c, q …). */
struct keys *keys_new(void);
void keys_free(struct keys *k);
/* Binds key (a name) to cmdline; an empty cmdline or "none" unbinds. */
int keys_bind(struct keys *k, const char *key, const char *cmdline, char *err, size_t errlen);
/* The command bound to key, or NULL. */
const char *keys_lookup(const struct keys *k, int key);
/* Every binding as "KEY  COMMAND\n" lines, sorted by key name; caller frees. */
char *keys_list(const struct keys *k);
/* The keys bound to cmdline, as "k, up" (for help); "" if none; caller frees. */
char *keys_for(const struct keys *k, const char *cmdline);
/*
 * Reads a binds file: `bind KEY COMMAND…` lines, `unbind KEY`, blank lines
 * and # comments. Stops at the first error: -1 and "FILE:LINE: problem".
 * A missing file is not an error when missing_ok.
 */
int keys_load(struct keys *k, const char *path, bool missing_ok, char *err, size_t errlen);
/* $XDG_CONFIG_HOME/baton/binds (or ~/.config/baton/binds) into out. */
void keys_default_path(char *out, size_t outlen);

#endif
