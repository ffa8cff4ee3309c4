/*
 * keys.c: key names <-> key codes, and the key bindings.
 *
 * Our key codes (keys.h) are independent of ncurses' numbers, so names in
 * a binds file mean the same on every terminal; keys_from_curses() is the
 * one place that knows ncurses. Modified cursor keys (ctrl-left …) have no
 * fixed ncurses code: their codes come from the terminfo extended names
 * (kLFT5 …) once a terminal is up, in keys_curses_init().
 */
#include "baton/keys.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "baton/common.h"
#include "baton/text.h"

/* Last: term.h defines macros (lines, columns …) that clash with names. */
#include <curses.h>
#include <term.h>

/* ---- names ---- */

struct keys_fname {
	int k;			/* KEYS_K_* */
	const char *name;	/* canonical first, then aliases */
};

static const struct keys_fname keys_fnames[] = {
	{ KEYS_K_ENTER, "enter" }, { KEYS_K_ENTER, "return" }, { KEYS_K_ENTER, "ret" },
	{ KEYS_K_TAB, "tab" },
	{ KEYS_K_BTAB, "shift-tab" }, { KEYS_K_BTAB, "backtab" }, { KEYS_K_BTAB, "btab" },
	{ KEYS_K_ESC, "esc" }, { KEYS_K_ESC, "escape" },
	{ KEYS_K_BACKSPACE, "backspace" }, { KEYS_K_BACKSPACE, "bs" },
	{ KEYS_K_DELETE, "delete" }, { KEYS_K_DELETE, "del" }, { KEYS_K_DELETE, "dc" },
	{ KEYS_K_INSERT, "insert" }, { KEYS_K_INSERT, "ins" }, { KEYS_K_INSERT, "ic" },
	{ KEYS_K_HOME, "home" }, { KEYS_K_END, "end" },
	{ KEYS_K_PGUP, "pgup" }, { KEYS_K_PGUP, "pageup" }, { KEYS_K_PGUP, "ppage" },
	{ KEYS_K_PGDN, "pgdn" }, { KEYS_K_PGDN, "pagedown" }, { KEYS_K_PGDN, "npage" },
	{ KEYS_K_UP, "up" }, { KEYS_K_DOWN, "down" }, { KEYS_K_LEFT, "left" },
	{ KEYS_K_RIGHT, "right" },
	{ KEYS_K_CTRL_UP, "ctrl-up" }, { KEYS_K_CTRL_DOWN, "ctrl-down" },
	{ KEYS_K_CTRL_LEFT, "ctrl-left" }, { KEYS_K_CTRL_RIGHT, "ctrl-right" },
	{ KEYS_K_SHIFT_UP, "shift-up" }, { KEYS_K_SHIFT_DOWN, "shift-down" },
	{ KEYS_K_SHIFT_LEFT, "shift-left" }, { KEYS_K_SHIFT_RIGHT, "shift-right" },
	{ KEYS_K_CTRL_HOME, "ctrl-home" }, { KEYS_K_CTRL_END, "ctrl-end" },
	{ KEYS_K_CTRL_DELETE, "ctrl-delete" },
	{ KEYS_K_PASTE_BEGIN, "paste-begin" }, { KEYS_K_PASTE_END, "paste-end" },
	{ KEYS_K_RESIZE, "resize" }, { KEYS_K_MOUSE, "mouse" },
};

static void keys_err(char *err, size_t errlen, const char *fmt, ...) BATON_PRINTF(3, 4);
static void keys_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* Single control characters that are keys of their own. */
static int keys_normalize_cp(unsigned cp)
{
	switch (cp) {
	case 9: return KEYS_FN | KEYS_K_TAB;
	/* Only CR is Enter (the ui runs with nonl()); LF stays ctrl-j, the
	 * newline key of the compose area. */
	case 13: return KEYS_FN | KEYS_K_ENTER;
	case 8: case 127: return KEYS_FN | KEYS_K_BACKSPACE;
	case 27: return KEYS_FN | KEYS_K_ESC;
	default: return (int)cp;
	}
}

static bool keys_prefix(const char *s, const char *p, size_t *plen)
{
	size_t n = strlen(p);

	if (strncasecmp(s, p, n) != 0 || s[n] == '\0')
		return false;
	*plen = n;
	return true;
}

/* A name without modifiers we have not already taken off. */
static int keys_parse_base(const char *s, int *key)
{
	size_t len = strlen(s), pos = 0;
	uint32_t cp;
	char *end;

	for (size_t i = 0; i < BATON_ARRAY_LEN(keys_fnames); i++)
		if (strcasecmp(s, keys_fnames[i].name) == 0) {
			*key = KEYS_FN | keys_fnames[i].k;
			return 0;
		}
	if (strcasecmp(s, "space") == 0 || strcasecmp(s, "spc") == 0) {
		*key = ' ';
		return 0;
	}
	if ((s[0] == 'F' || s[0] == 'f') && isdigit((unsigned char)s[1])) {
		long n = strtol(s + 1, &end, 10);
		if (*end == '\0' && n >= 1 && n <= 63) {
			*key = KEYS_F(n);
			return 0;
		}
		if (*end == '\0')
			return -1;
	}
	if ((s[0] == 'U' || s[0] == 'u') && s[1] == '+' && isxdigit((unsigned char)s[2])) {
		unsigned long v = strtoul(s + 2, &end, 16);
		if (*end == '\0' && v >= 0x20 && v <= 0x10FFFF && !(v >= 0xD800 && v <= 0xDFFF) &&
		    v != 0x7f && !(v >= 0x80 && v < 0xa0)) {
			*key = keys_normalize_cp((unsigned)v);
			return 0;
		}
		return -1;
	}
	if (len == 0)
		return -1;
	cp = text_utf8_next(s, len, &pos);
	if (pos != len || cp == TEXT_REPLACEMENT || cp < 0x20 || cp == 0x7f ||
	    (cp >= 0x80 && cp < 0xa0) || text_is_unsafe(cp) || text_cp_width(cp) == 0)
		return -1;
	*key = (int)cp;
	return 0;
}

int keys_parse(const char *name, int *key, char *err, size_t errlen)
{
	const char *s = name;
	int mods = 0, base;
	bool ctrl = false, shift = false;
	size_t n;

	if (!name || !*name) {
		keys_err(err, errlen, "empty key name: give one like ctrl-a, meta-left, F5 or j");
		return -1;
	}
	/* Whole names that contain a dash come first ("shift-tab", "ctrl-left"). */
	for (;;) {
		bool whole = false;
		for (size_t i = 0; i < BATON_ARRAY_LEN(keys_fnames); i++)
			if (strcasecmp(s, keys_fnames[i].name) == 0)
				whole = true;
		if (whole)
			break;
		if (keys_prefix(s, "meta-", &n) || keys_prefix(s, "alt-", &n) ||
		    keys_prefix(s, "m-", &n) || keys_prefix(s, "a-", &n)) {
			mods |= KEYS_META;
			s += n;
		} else if (keys_prefix(s, "ctrl-", &n) || keys_prefix(s, "control-", &n) ||
			   keys_prefix(s, "c-", &n)) {
			ctrl = true;
			s += n;
		} else if (keys_prefix(s, "shift-", &n) || keys_prefix(s, "s-", &n)) {
			shift = true;
			s += n;
		} else {
			break;
		}
	}
	if (keys_parse_base(s, &base) < 0) {
		keys_err(err, errlen, "unknown key name \"%s\": use a character (j, ö), ctrl-a, "
			 "meta-x, F1-F63, enter, tab, esc, space, backspace, delete, insert, "
			 "home, end, pgup, pgdn, up, down, left, right", name);
		return -1;
	}
	if (ctrl) {
		if (base == (KEYS_FN | KEYS_K_LEFT)) base = KEYS_FN | KEYS_K_CTRL_LEFT;
		else if (base == (KEYS_FN | KEYS_K_RIGHT)) base = KEYS_FN | KEYS_K_CTRL_RIGHT;
		else if (base == (KEYS_FN | KEYS_K_UP)) base = KEYS_FN | KEYS_K_CTRL_UP;
		else if (base == (KEYS_FN | KEYS_K_DOWN)) base = KEYS_FN | KEYS_K_CTRL_DOWN;
		else if (base == (KEYS_FN | KEYS_K_HOME)) base = KEYS_FN | KEYS_K_CTRL_HOME;
		else if (base == (KEYS_FN | KEYS_K_END)) base = KEYS_FN | KEYS_K_CTRL_END;
		else if (base == (KEYS_FN | KEYS_K_DELETE)) base = KEYS_FN | KEYS_K_CTRL_DELETE;
		else if (base >= 'a' && base <= 'z') base = keys_normalize_cp((unsigned)(base - 'a' + 1));
		else if (base >= 'A' && base <= 'Z') base = keys_normalize_cp((unsigned)(base - 'A' + 1));
		else if (base == '[' || base == '\\' || base == ']' || base == '^' || base == '_')
			base = keys_normalize_cp((unsigned)(base - '@'));
		else {
			keys_err(err, errlen, "cannot use ctrl- with \"%s\" in \"%s\": ctrl- goes "
				 "with a letter, [, \\, ], ^, _, an arrow, home, end or delete", s, name);
			return -1;
		}
	}
	if (shift) {
		if (base == (KEYS_FN | KEYS_K_TAB)) base = KEYS_FN | KEYS_K_BTAB;
		else if (base == (KEYS_FN | KEYS_K_LEFT)) base = KEYS_FN | KEYS_K_SHIFT_LEFT;
		else if (base == (KEYS_FN | KEYS_K_RIGHT)) base = KEYS_FN | KEYS_K_SHIFT_RIGHT;
		else if (base == (KEYS_FN | KEYS_K_UP)) base = KEYS_FN | KEYS_K_SHIFT_UP;
		else if (base == (KEYS_FN | KEYS_K_DOWN)) base = KEYS_FN | KEYS_K_SHIFT_DOWN;
		else if (base >= 'a' && base <= 'z') base = base - 'a' + 'A';
		else if (base >= 'A' && base <= 'Z') ;
		else {
			keys_err(err, errlen, "cannot use shift- with \"%s\" in \"%s\": write the "
				 "shifted character itself (\"?\", not \"shift-/\")", s, name);
			return -1;
		}
	}
	*key = base | mods;
	return 0;
}

void keys_name(int key, char *out, size_t outlen)
{
	struct strbuf sb = STRBUF_INIT;
	int base = key & ~KEYS_META;

	if (!outlen)
		return;
	if (key & KEYS_META)
		sb_adds(&sb, "meta-");
	if (base & KEYS_FN) {
		int k = base & ~KEYS_FN;
		const char *nm = NULL;
		for (size_t i = 0; i < BATON_ARRAY_LEN(keys_fnames) && !nm; i++)
			if (keys_fnames[i].k == k)
				nm = keys_fnames[i].name;
		if (nm)
			sb_adds(&sb, nm);
		else if (k > KEYS_K_F0 && k <= KEYS_K_F0 + 63)
			sb_addf(&sb, "F%d", k - KEYS_K_F0);
		else
			sb_addf(&sb, "key-%d", k);
	} else if (base == ' ') {
		sb_adds(&sb, "space");
	} else if (base >= 1 && base <= 26) {
		sb_addf(&sb, "ctrl-%c", 'a' + base - 1);
	} else if (base >= 27 && base <= 31) {
		sb_addf(&sb, "ctrl-%c", '@' + base);
	} else if (base < 0x20 || base == 0x7f || (base >= 0x80 && base < 0xa0) ||
		   base > 0x10FFFF || text_is_unsafe((uint32_t)base)) {
		sb_addf(&sb, "U+%04X", (unsigned)base);
	} else {
		char u[4];
		sb_add(&sb, u, text_utf8_put((uint32_t)base, u));
	}
	snprintf(out, outlen, "%s", sb_str(&sb));
	sb_free(&sb);
}

/* ---- ncurses ---- */

/* Codes ncurses gives modified keys on this terminal (0: none), and our
 * own codes for the bracketed-paste markers defined with define_key(). */
struct keys_ext {
	const char *cap;	/* terminfo extended key name */
	int key;		/* ours */
	int code;		/* ncurses', after keys_curses_init */
};
static struct keys_ext keys_ext[] = {
	{ "kLFT5", KEYS_FN | KEYS_K_CTRL_LEFT, 0 }, { "kRIT5", KEYS_FN | KEYS_K_CTRL_RIGHT, 0 },
	{ "kUP5", KEYS_FN | KEYS_K_CTRL_UP, 0 }, { "kDN5", KEYS_FN | KEYS_K_CTRL_DOWN, 0 },
	{ "kHOM5", KEYS_FN | KEYS_K_CTRL_HOME, 0 }, { "kEND5", KEYS_FN | KEYS_K_CTRL_END, 0 },
	{ "kDC5", KEYS_FN | KEYS_K_CTRL_DELETE, 0 },
	{ "kLFT3", KEYS_META | KEYS_FN | KEYS_K_LEFT, 0 },
	{ "kRIT3", KEYS_META | KEYS_FN | KEYS_K_RIGHT, 0 },
	{ "kUP3", KEYS_META | KEYS_FN | KEYS_K_UP, 0 },
	{ "kDN3", KEYS_META | KEYS_FN | KEYS_K_DOWN, 0 },
	{ "kUP", KEYS_FN | KEYS_K_SHIFT_UP, 0 }, { "kDN", KEYS_FN | KEYS_K_SHIFT_DOWN, 0 },
};
#define KEYS_CODE_PASTE_BEGIN (KEY_MAX + 1)
#define KEYS_CODE_PASTE_END   (KEY_MAX + 2)

void keys_curses_init(void)
{
	for (size_t i = 0; i < BATON_ARRAY_LEN(keys_ext); i++) {
		char *s = tigetstr(keys_ext[i].cap);
		keys_ext[i].code = 0;
		if (s && s != (char *)-1) {
			int c = key_defined(s);
			if (c > 0)
				keys_ext[i].code = c;
		}
	}
	/* Bracketed paste (enabled by the ui with \e[?2004h). */
	define_key("\033[200~", KEYS_CODE_PASTE_BEGIN);
	define_key("\033[201~", KEYS_CODE_PASTE_END);
}

int keys_from_curses(int rc, unsigned wch, bool meta)
{
	int key = KEYS_NONE, m = meta ? KEYS_META : 0;

	if (rc == OK) {
		if (wch == 0 || wch > 0x10FFFF)
			return KEYS_NONE;
		return keys_normalize_cp(wch) | m;
	}
	if (rc != KEY_CODE_YES)
		return KEYS_NONE;
	switch ((int)wch) {
	case KEY_ENTER: key = KEYS_K_ENTER; break;
	case KEY_BACKSPACE: key = KEYS_K_BACKSPACE; break;
	case KEY_DC: key = KEYS_K_DELETE; break;
	case KEY_IC: key = KEYS_K_INSERT; break;
	case KEY_HOME: case KEY_A1: key = KEYS_K_HOME; break;
	case KEY_END: case KEY_C1: key = KEYS_K_END; break;
	case KEY_PPAGE: case KEY_A3: key = KEYS_K_PGUP; break;
	case KEY_NPAGE: case KEY_C3: key = KEYS_K_PGDN; break;
	case KEY_UP: key = KEYS_K_UP; break;
	case KEY_DOWN: key = KEYS_K_DOWN; break;
	case KEY_LEFT: key = KEYS_K_LEFT; break;
	case KEY_RIGHT: key = KEYS_K_RIGHT; break;
	case KEY_SR: key = KEYS_K_SHIFT_UP; break;
	case KEY_SF: key = KEYS_K_SHIFT_DOWN; break;
	case KEY_SLEFT: key = KEYS_K_SHIFT_LEFT; break;
	case KEY_SRIGHT: key = KEYS_K_SHIFT_RIGHT; break;
	case KEY_BTAB: key = KEYS_K_BTAB; break;
	case KEY_RESIZE: key = KEYS_K_RESIZE; break;
	case KEY_MOUSE: key = KEYS_K_MOUSE; break;
	case KEYS_CODE_PASTE_BEGIN: key = KEYS_K_PASTE_BEGIN; break;
	case KEYS_CODE_PASTE_END: key = KEYS_K_PASTE_END; break;
	default:
		if ((int)wch >= KEY_F(1) && (int)wch <= KEY_F(63))
			return KEYS_F((int)wch - KEY_F0) | m;
		for (size_t i = 0; i < BATON_ARRAY_LEN(keys_ext); i++)
			if (keys_ext[i].code && keys_ext[i].code == (int)wch)
				return keys_ext[i].key | m;
		return KEYS_NONE;
	}
	return KEYS_FN | key | m;
}

/* ---- actions ---- */

const struct keys_action keys_actions[] = {
	{ "down", "move down in the focused pane (scroll the conversation)" },
	{ "up", "move up in the focused pane (scroll back in the conversation)" },
	{ "page-down", "a page down" },
	{ "page-up", "a page up (older history in the conversation)" },
	{ "top", "to the first row, the oldest message" },
	{ "bottom", "to the last row, the newest message" },
	{ "select", "queue: claim the selected conversation; mine: open it" },
	{ "focus-next", "focus the next pane" },
	{ "focus-prev", "focus the previous pane" },
	{ "focus-queue", "focus the queue" },
	{ "focus-chat", "focus the conversation" },
	{ "focus-context", "focus the context" },
	{ "command-line", "open the : command line" },
	{ "compose", "write to the customer in the open conversation" },
	{ "search", "search messages (opens \":search \")" },
	{ "help", "this help" },
	{ "return-items", "pick order items for a return, then type the reason" },
	{ "redraw", "repaint the whole screen" },
	{ "cancel", "close a dialog, the help or a message" },
	{ "supervisor-view", "supervisors: switch between the supervisor screen and the agent panes" },
	{ "suspend", "stop baton and return to the shell (fg brings it back)" },
};
const size_t keys_nactions = BATON_ARRAY_LEN(keys_actions);

const struct keys_action *keys_action_find(const char *cmdline)
{
	size_t n;

	if (!cmdline)
		return NULL;
	while (*cmdline == ' ' || *cmdline == '\t')
		cmdline++;
	n = strcspn(cmdline, " \t");
	for (size_t i = 0; i < keys_nactions; i++)
		if (strlen(keys_actions[i].name) == n && strncmp(cmdline, keys_actions[i].name, n) == 0)
			return &keys_actions[i];
	return NULL;
}

/* ---- bindings ---- */

struct keys_bindv {
	int key;
	char *cmd;
};

struct keys {
	struct keys_bindv *v;
	size_t n, cap;
};

static const struct {
	const char *key, *cmd;
} keys_defaults[] = {
	{ "j", "down" }, { "down", "down" }, { "k", "up" }, { "up", "up" },
	{ "pgdn", "page-down" }, { "pgup", "page-up" }, { "space", "page-down" },
	{ "g", "top" }, { "home", "top" }, { "G", "bottom" }, { "end", "bottom" },
	{ "enter", "select" }, { "tab", "focus-next" }, { "shift-tab", "focus-prev" },
	{ "1", "focus-queue" }, { "2", "focus-chat" }, { "3", "focus-context" },
	{ ":", "command-line" }, { "?", "help" }, { "F1", "help" }, { "/", "search" },
	{ "c", "compose" }, { "i", "compose" }, { "ctrl-l", "redraw" }, { "esc", "cancel" },
	{ "n", "next" }, { "p", "prev" }, { "q", "quit" },
	{ "F5", "claim next" }, { "R", "return-items" }, { "a", "status away" }, { "o", "status online" },
	{ "S", "supervisor-view" }, { "ctrl-z", "suspend" },
};

static struct keys_bindv *keys_slot(const struct keys *k, int key)
{
	for (size_t i = 0; i < k->n; i++)
		if (k->v[i].key == key)
			return &k->v[i];
	return NULL;
}

static void keys_set(struct keys *k, int key, const char *cmd)
{
	struct keys_bindv *b = keys_slot(k, key);

	if (!cmd) {
		if (b) {
			free(b->cmd);
			*b = k->v[--k->n];
		}
		return;
	}
	if (b) {
		free(b->cmd);
		b->cmd = xstrdup(cmd);
		return;
	}
	if (k->n == k->cap) {
		k->cap = k->cap ? k->cap * 2 : 64;
		k->v = xrealloc(k->v, k->cap * sizeof(*k->v));
	}
	k->v[k->n].key = key;
	k->v[k->n].cmd = xstrdup(cmd);
	k->n++;
}

struct keys *keys_new(void)
{
	struct keys *k = xcalloc(1, sizeof(*k));

	for (size_t i = 0; i < BATON_ARRAY_LEN(keys_defaults); i++) {
		int key;
		if (keys_parse(keys_defaults[i].key, &key, NULL, 0) == 0)
			keys_set(k, key, keys_defaults[i].cmd);
	}
	return k;
}

void keys_free(struct keys *k)
{
	if (!k)
		return;
	for (size_t i = 0; i < k->n; i++)
		free(k->v[i].cmd);
	free(k->v);
	free(k);
}

int keys_bind(struct keys *k, const char *key, const char *cmdline, char *err, size_t errlen)
{
	int code;
	char *cmd = NULL;
	size_t len;
	int rc = -1;

	if (keys_parse(key, &code, err, errlen) < 0)
		goto out;
	if (!cmdline)
		cmdline = "";
	while (*cmdline == ' ' || *cmdline == '\t')
		cmdline++;
	len = strlen(cmdline);
	while (len && (cmdline[len - 1] == ' ' || cmdline[len - 1] == '\t' ||
		       cmdline[len - 1] == '\n' || cmdline[len - 1] == '\r'))
		len--;
	if (len > 1000) {
		keys_err(err, errlen, "the command for %s is too long (%zu bytes, 1000 at most)",
			 key, len);
		goto out;
	}
	cmd = xstrndup(cmdline, len);
	for (char *p = cmd; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f) {
			keys_err(err, errlen, "the command for %s has a control character; write "
				 "it on one line", key);
			goto out;
		}
	if (!text_utf8_valid(cmd, len)) {
		keys_err(err, errlen, "the command for %s is not valid UTF-8", key);
		goto out;
	}
	keys_set(k, code, (len == 0 || strcmp(cmd, "none") == 0) ? NULL : cmd);
	rc = 0;
out:
	free(cmd);
	return rc;
}

const char *keys_lookup(const struct keys *k, int key)
{
	const struct keys_bindv *b = k ? keys_slot(k, key) : NULL;

	return b ? b->cmd : NULL;
}

struct keys_named {
	char name[48];
	const char *cmd;
};

static int keys_named_cmp(const void *a, const void *b)
{
	const struct keys_named *x = a, *y = b;
	size_t lx = strlen(x->name), ly = strlen(y->name);

	/* Single characters first, then the longer names, each alphabetical. */
	if ((lx <= 4) != (ly <= 4) && (lx == 1 || ly == 1))
		return lx == 1 ? -1 : 1;
	return strcmp(x->name, y->name);
}

static struct keys_named *keys_sorted(const struct keys *k)
{
	struct keys_named *v = xcalloc(k->n + 1, sizeof(*v));

	for (size_t i = 0; i < k->n; i++) {
		keys_name(k->v[i].key, v[i].name, sizeof(v[i].name));
		v[i].cmd = k->v[i].cmd;
	}
	qsort(v, k->n, sizeof(*v), keys_named_cmp);
	return v;
}

char *keys_list(const struct keys *k)
{
	struct strbuf sb = STRBUF_INIT;
	struct keys_named *v = keys_sorted(k);

	for (size_t i = 0; i < k->n; i++)
		sb_addf(&sb, "%-12s %s\n", v[i].name, v[i].cmd);
	free(v);
	if (!sb.buf)
		sb_adds(&sb, "");
	return sb_take(&sb);
}

char *keys_for(const struct keys *k, const char *cmdline)
{
	struct strbuf sb = STRBUF_INIT;
	struct keys_named *v = keys_sorted(k);

	for (size_t i = 0; i < k->n; i++)
		if (strcmp(v[i].cmd, cmdline) == 0) {
			if (sb.len)
				sb_adds(&sb, ", ");
			sb_adds(&sb, v[i].name);
		}
	free(v);
	if (!sb.buf)
		sb_adds(&sb, "");
	return sb_take(&sb);
}

void keys_default_path(char *out, size_t outlen)
{
	const char *x = getenv("XDG_CONFIG_HOME"), *h = getenv("HOME");

	if (x && x[0] == '/')
		snprintf(out, outlen, "%s/baton/binds", x);
	else
		snprintf(out, outlen, "%s/.config/baton/binds", h && *h ? h : ".");
}

int keys_load(struct keys *k, const char *path, bool missing_ok, char *err, size_t errlen)
{
	size_t len = 0, lineno = 0;
	char *text = file_read(path, 1 << 20, &len);
	char *p, *line;
	int rc = -1;

	if (!text) {
		if (errno == ENOENT && missing_ok)
			return 0;
		keys_err(err, errlen, "%s: cannot read the key bindings: %s", path, strerror(errno));
		return -1;
	}
	if (strlen(text) != len) {
		keys_err(err, errlen, "%s: has a NUL byte; it must be a text file", path);
		goto out;
	}
	for (p = text; p && *p; ) {
		char *nl = strchr(p, '\n'), *w, *keyname, *cmd;
		char e2[256];

		line = p;
		if (nl)
			*nl = '\0';
		p = nl ? nl + 1 : NULL;
		lineno++;
		w = line + strspn(line, " \t");
		if (*w == '\0' || *w == '#' || *w == '\r')
			continue;
		keyname = w + strcspn(w, " \t");
		if (strncmp(w, "bind", 4) == 0 && (w[4] == ' ' || w[4] == '\t')) {
			keyname = w + 4 + strspn(w + 4, " \t");
			cmd = keyname + strcspn(keyname, " \t");
			if (*cmd)
				*cmd++ = '\0';
			cmd += strspn(cmd, " \t");
			if (!*keyname || !*cmd || *cmd == '\r') {
				keys_err(err, errlen, "%s:%zu: write \"bind KEY COMMAND\", e.g. "
					 "\"bind F5 claim next\"", path, lineno);
				goto out;
			}
			if (keys_bind(k, keyname, cmd, e2, sizeof(e2)) < 0) {
				keys_err(err, errlen, "%s:%zu: %s", path, lineno, e2);
				goto out;
			}
		} else if (strncmp(w, "unbind", 6) == 0 && (w[6] == ' ' || w[6] == '\t')) {
			keyname = w + 6 + strspn(w + 6, " \t");
			keyname[strcspn(keyname, " \t\r")] = '\0';
			if (keys_bind(k, keyname, NULL, e2, sizeof(e2)) < 0) {
				keys_err(err, errlen, "%s:%zu: %s", path, lineno, e2);
				goto out;
			}
		} else {
			char word[32];
			snprintf(word, sizeof(word), "%.*s", (int)strcspn(w, " \t\r"), w);
			keys_err(err, errlen, "%s:%zu: unknown directive \"%s\": lines are "
				 "\"bind KEY COMMAND\" or \"unbind KEY\"", path, lineno, word);
			goto out;
		}
	}
	rc = 0;
out:
	free(text);
	return rc;
}
