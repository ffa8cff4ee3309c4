/*
 * theme.c: reading themes and mapping colours to what the terminal has.
 *
 * A theme is a small text file (man/baton-themes.5); parsing fills one
 * struct theme_style per slot of the THEME_SLOTS table. Colours are kept
 * as 256-colour indices; theme_color_reduce() finds the nearest of the 16
 * or 8 basic colours for smaller terminals, by RGB distance against the
 * xterm defaults, so a theme written for 256 colours stays readable.
 */
#include "baton/theme.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "baton/common.h"

#ifndef BATON_DATADIR
#define BATON_DATADIR "/usr/local/share/baton"
#endif

#define THEME_SLOT_INFO_(e, n, a, h) { n, a, h },
const struct theme_slot_info theme_slots[THEME_SLOT__COUNT] = { THEME_SLOTS(THEME_SLOT_INFO_) };

static void theme_err(char *err, size_t errlen, const char *fmt, ...) BATON_PRINTF(3, 4);
static void theme_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

int theme_slot_find(const char *name)
{
	for (int i = 0; i < THEME_SLOT__COUNT; i++)
		if (strcmp(theme_slots[i].name, name) == 0)
			return i;
	return -1;
}

void theme_init_mono(struct theme *t)
{
	memset(t, 0, sizeof(*t));
	snprintf(t->name, sizeof(t->name), "mono");
	t->mono = true;
	for (int i = 0; i < THEME_SLOT__COUNT; i++) {
		t->s[i].fg = THEME_DEFAULT_COLOR;
		t->s[i].bg = THEME_DEFAULT_COLOR;
		t->s[i].attrs = theme_slots[i].attrs;
	}
}

/* ---- colours ---- */

/* xterm's default RGB for the 16 basic colours. */
static const unsigned char theme_base16[16][3] = {
	{ 0, 0, 0 }, { 205, 0, 0 }, { 0, 205, 0 }, { 205, 205, 0 },
	{ 0, 0, 238 }, { 205, 0, 205 }, { 0, 205, 205 }, { 229, 229, 229 },
	{ 127, 127, 127 }, { 255, 0, 0 }, { 0, 255, 0 }, { 255, 255, 0 },
	{ 92, 92, 255 }, { 255, 0, 255 }, { 0, 255, 255 }, { 255, 255, 255 },
};
static const int theme_cube[6] = { 0, 95, 135, 175, 215, 255 };

void theme_256_to_rgb(int c, int *r, int *g, int *b)
{
	if (c < 0 || c > 255)
		c = 0;
	if (c < 16) {
		*r = theme_base16[c][0];
		*g = theme_base16[c][1];
		*b = theme_base16[c][2];
	} else if (c < 232) {
		c -= 16;
		*r = theme_cube[c / 36];
		*g = theme_cube[(c / 6) % 6];
		*b = theme_cube[c % 6];
	} else {
		*r = *g = *b = 8 + 10 * (c - 232);
	}
}

static long theme_dist(int r1, int g1, int b1, int r2, int g2, int b2)
{
	/* Weighted RGB distance ("redmean" approximation): close enough to
	 * perceived difference to pick a neighbour, and cheap. */
	long rm = (r1 + r2) / 2, dr = r1 - r2, dg = g1 - g2, db = b1 - b2;

	return (((512 + rm) * dr * dr) >> 8) + 4 * dg * dg + (((767 - rm) * db * db) >> 8);
}

static int theme_nearest(int r, int g, int b, int from, int to)
{
	int best = from;
	long bestd = -1;

	for (int c = from; c < to; c++) {
		int cr, cg, cb;
		long d;
		theme_256_to_rgb(c, &cr, &cg, &cb);
		d = theme_dist(r, g, b, cr, cg, cb);
		if (bestd < 0 || d < bestd) {
			bestd = d;
			best = c;
		}
	}
	return best;
}

int theme_rgb_to_256(int r, int g, int b)
{
	/* Only the cube and the grey ramp: the first 16 differ between terminals. */
	return theme_nearest(r, g, b, 16, 256);
}

int theme_color_reduce(int c, int ncolors)
{
	int r, g, b;

	if (c < 0)
		return THEME_DEFAULT_COLOR;
	if (ncolors >= 256 || c < ncolors)
		return c;
	if (ncolors < 8)
		return THEME_DEFAULT_COLOR;
	theme_256_to_rgb(c, &r, &g, &b);
	if (ncolors >= 16)
		return theme_nearest(r, g, b, 0, 16);
	/* Eight colours: the normal colours are dim on most terminals, so
	 * compare against their bright forms too, which is what bold gives.
	 * Not for black: its bright form is grey, and matching the theme's
	 * greys and tans to black made them black on a dark terminal. */
	{
		int best = 0;
		long bestd = -1;
		for (int i = 0; i < 8; i++) {
			long d1 = theme_dist(r, g, b, theme_base16[i][0], theme_base16[i][1],
					     theme_base16[i][2]);
			long d2 = theme_dist(r, g, b, theme_base16[i + 8][0], theme_base16[i + 8][1],
					     theme_base16[i + 8][2]);
			long d = i == 0 || d1 < d2 ? d1 : d2;
			if (bestd < 0 || d < bestd) {
				bestd = d;
				best = i;
			}
		}
		return best;
	}
}

void theme_style_colors(const struct theme_style *st, int ncolors, int *fg, int *bg)
{
	*fg = theme_color_reduce(st->fg, ncolors);
	*bg = theme_color_reduce(st->bg, ncolors);
	if (*fg >= 0 && *fg == *bg) {
		/* Two colours that differ in 256 can be one in 16 or 8: the
		 * text would vanish. Black or white, whichever is further. */
		int r, g, b, r2, g2, b2, white = ncolors >= 16 ? 15 : 7;
		theme_256_to_rgb(*bg, &r, &g, &b);
		theme_256_to_rgb(white, &r2, &g2, &b2);
		*fg = theme_dist(r, g, b, 0, 0, 0) > theme_dist(r, g, b, r2, g2, b2) ? 0 : white;
	}
}

static const char *const theme_color_names[16] = {
	"black", "red", "green", "yellow", "blue", "magenta", "cyan", "white",
	"bright-black", "bright-red", "bright-green", "bright-yellow",
	"bright-blue", "bright-magenta", "bright-cyan", "bright-white",
};

static int theme_hex(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int theme_color_parse(const char *s, int *color, char *err, size_t errlen)
{
	char *end;

	if (strcasecmp(s, "default") == 0 || strcmp(s, "-") == 0) {
		*color = THEME_DEFAULT_COLOR;
		return 0;
	}
	for (int i = 0; i < 16; i++)
		if (strcasecmp(s, theme_color_names[i]) == 0) {
			*color = i;
			return 0;
		}
	if (strcasecmp(s, "grey") == 0 || strcasecmp(s, "gray") == 0) {
		*color = 8;
		return 0;
	}
	if (strncasecmp(s, "bright", 6) == 0 && s[6] && s[6] != '-') {
		/* "brightred" as well as "bright-red" */
		for (int i = 0; i < 8; i++)
			if (strcasecmp(s + 6, theme_color_names[i]) == 0) {
				*color = i + 8;
				return 0;
			}
	}
	if (s[0] == '#') {
		int v[6];
		if (strlen(s) != 7)
			goto bad;
		for (int i = 0; i < 6; i++)
			if ((v[i] = theme_hex((unsigned char)s[i + 1])) < 0)
				goto bad;
		*color = theme_rgb_to_256(v[0] * 16 + v[1], v[2] * 16 + v[3], v[4] * 16 + v[5]);
		return 0;
	}
	if (isdigit((unsigned char)s[0])) {
		long n;
		errno = 0;
		n = strtol(s, &end, 10);
		if (*end || errno || n < 0 || n > 255)
			goto bad;
		*color = (int)n;
		return 0;
	}
bad:
	theme_err(err, errlen, "unknown colour \"%s\": use default, a name (black, red, green, "
		  "yellow, blue, magenta, cyan, white, bright-…, grey), 0-255 or #rrggbb", s);
	return -1;
}

static const struct {
	const char *name;
	unsigned a;
} theme_attr_names[] = {
	{ "bold", THEME_A_BOLD }, { "dim", THEME_A_DIM }, { "underline", THEME_A_UNDERLINE },
	{ "reverse", THEME_A_REVERSE }, { "italic", THEME_A_ITALIC }, { "none", 0 },
	{ "normal", 0 },
};

/* ---- files ---- */

bool theme_name_valid(const char *name)
{
	if (!name || !*name || name[0] == '.' || strlen(name) >= THEME_NAME_MAX)
		return false;
	for (const char *p = name; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '.' && *p != '_' && *p != '-')
			return false;
	return true;
}

int theme_parse(struct theme *t, const char *text, size_t len, const char *fname,
		char *err, size_t errlen)
{
	char *copy = xstrndup(text, len), *p = copy, *line;
	unsigned set[THEME_SLOT__COUNT] = { 0 };
	size_t lineno = 0;
	int rc = -1;

	if (!fname)
		fname = "theme";
	if (strlen(copy) != len) {
		theme_err(err, errlen, "%s: has a NUL byte; a theme is a text file", fname);
		goto out;
	}
	t->mono = false;
	while (p && *p) {
		char *nl = strchr(p, '\n'), *eq, *key, *val, *words[8], *save = NULL;
		int nw = 0, slot, fg, bg;
		unsigned attrs = 0;
		char e2[200];

		line = p;
		if (nl)
			*nl = '\0';
		p = nl ? nl + 1 : NULL;
		lineno++;
		key = line + strspn(line, " \t\r");
		/* A comment is a line starting with '#', or " # …" after the
		 * words; a '#' glued to hex digits is a colour. */
		if (*key == '#')
			continue;
		for (eq = key; (eq = strchr(eq, '#')); eq++)
			if ((eq[-1] == ' ' || eq[-1] == '\t') &&
			    (eq[1] == ' ' || eq[1] == '\t' || eq[1] == '\0' || eq[1] == '\r')) {
				*eq = '\0';
				break;
			}
		if (!*key)
			continue;
		eq = strchr(key, '=');
		if (!eq) {
			theme_err(err, errlen, "%s:%zu: expected \"slot = fg bg [attrs]\", e.g. "
				  "\"status = 250 236 bold\"", fname, lineno);
			goto out;
		}
		*eq = '\0';
		val = eq + 1;
		for (char *e = eq; e > key && (e[-1] == ' ' || e[-1] == '\t'); e--)
			e[-1] = '\0';
		for (char *w = strtok_r(val, " \t\r", &save); w; w = strtok_r(NULL, " \t\r", &save)) {
			if (nw == 8) {
				theme_err(err, errlen, "%s:%zu: too many words for %s: a colour, a "
					  "colour and attributes", fname, lineno, key);
				goto out;
			}
			words[nw++] = w;
		}
		if (strcmp(key, "mono") == 0) {
			/* "mono = yes": attributes only, whatever the terminal. */
			t->mono = nw == 1 && (strcmp(words[0], "yes") == 0 || strcmp(words[0], "true") == 0);
			continue;
		}
		if ((slot = theme_slot_find(key)) < 0) {
			theme_err(err, errlen, "%s:%zu: unknown slot \"%.40s\" (see baton-themes(5) for "
				  "the list)", fname, lineno, key);
			goto out;
		}
		if (nw < 2) {
			theme_err(err, errlen, "%s:%zu: %s needs a foreground and a background colour "
				  "(\"default\" for the terminal's own)", fname, lineno, key);
			goto out;
		}
		if (theme_color_parse(words[0], &fg, e2, sizeof(e2)) < 0 ||
		    theme_color_parse(words[1], &bg, e2, sizeof(e2)) < 0) {
			theme_err(err, errlen, "%s:%zu: %s", fname, lineno, e2);
			goto out;
		}
		for (int i = 2; i < nw; i++) {
			/* "bold,underline" or "bold underline" */
			char *s2 = NULL;
			for (char *a = strtok_r(words[i], ",", &s2); a; a = strtok_r(NULL, ",", &s2)) {
				size_t j;
				for (j = 0; j < BATON_ARRAY_LEN(theme_attr_names); j++)
					if (strcasecmp(a, theme_attr_names[j].name) == 0)
						break;
				if (j == BATON_ARRAY_LEN(theme_attr_names)) {
					theme_err(err, errlen, "%s:%zu: unknown attribute \"%.40s\": use "
						  "bold, dim, underline, reverse, italic or none",
						  fname, lineno, a);
					goto out;
				}
				attrs |= theme_attr_names[j].a;
			}
		}
		t->s[slot].fg = fg;
		t->s[slot].bg = bg;
		t->s[slot].attrs = attrs;
		set[slot] = 1;
	}
	/* Unset slots: normal's colours, the slot's own attributes. */
	for (int i = 0; i < THEME_SLOT__COUNT; i++)
		if (!set[i] && i != THEME_NORMAL) {
			t->s[i].fg = t->s[THEME_NORMAL].fg;
			t->s[i].bg = t->s[THEME_NORMAL].bg;
			t->s[i].attrs = theme_slots[i].attrs;
		}
	/* status.presence is newer than most themes: one without it keeps
	 * its status bar whole (the presence in the bar's own style). */
	if (!set[THEME_STATUS_PRESENCE])
		t->s[THEME_STATUS_PRESENCE] = t->s[THEME_STATUS];
	rc = 0;
out:
	free(copy);
	return rc;
}

int theme_load_file(struct theme *t, const char *path, char *err, size_t errlen)
{
	size_t len;
	char *text = file_read(path, 256 * 1024, &len);
	const char *base;
	int rc;

	if (!text) {
		theme_err(err, errlen, "%s: cannot read the theme: %s", path, strerror(errno));
		return -1;
	}
	theme_init_mono(t);
	rc = theme_parse(t, text, len, path, err, errlen);
	base = strrchr(path, '/');
	base = base ? base + 1 : path;
	snprintf(t->name, sizeof(t->name), "%.*s", (int)strcspn(base, "."), base);
	free(text);
	return rc;
}

static bool theme_exists(const char *path)
{
	return access(path, R_OK) == 0;
}

int theme_find(const char *name, char *path, size_t pathlen, char *err, size_t errlen)
{
	const char *x = getenv("XDG_CONFIG_HOME"), *h = getenv("HOME");
	char dirs[4][PATH_MAX], exe[PATH_MAX];
	size_t nd = 0;
	struct strbuf tried = STRBUF_INIT;
	ssize_t n;
	int rc = -1;

	if (!theme_name_valid(name)) {
		theme_err(err, errlen, "\"%.64s\" is not a theme name: letters, digits, '.', '_' "
			  "and '-' only", name ? name : "");
		return -1;
	}
	if (x && x[0] == '/')
		snprintf(dirs[nd++], PATH_MAX, "%s/baton/themes", x);
	else if (h && *h)
		snprintf(dirs[nd++], PATH_MAX, "%s/.config/baton/themes", h);
	snprintf(dirs[nd++], PATH_MAX, "%s/themes", BATON_DATADIR);
	/* Running from a checkout: build-x/baton sits one below the tree. */
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		char *slash;
		exe[n] = '\0';
		for (int up = 0; up < 2 && (slash = strrchr(exe, '/')); up++)
			*slash = '\0';
		snprintf(dirs[nd++], PATH_MAX, "%.*s/themes", PATH_MAX - 8, exe);
	}
	snprintf(dirs[nd++], PATH_MAX, "themes");
	for (size_t i = 0; i < nd; i++) {
		snprintf(path, pathlen, "%s/%s.theme", dirs[i], name);
		if (theme_exists(path)) {
			rc = 0;
			goto out;
		}
		sb_addf(&tried, "%s%s", tried.len ? ", " : "", dirs[i]);
	}
	theme_err(err, errlen, "no theme \"%s\": looked in %s", name, sb_str(&tried));
out:
	sb_free(&tried);
	return rc;
}

int theme_load(struct theme *t, const char *name, char *err, size_t errlen)
{
	char path[PATH_MAX];

	if (name && strcmp(name, "mono") == 0 && theme_find(name, path, sizeof(path), NULL, 0) < 0) {
		theme_init_mono(t);
		return 0;
	}
	if (theme_find(name, path, sizeof(path), err, errlen) < 0)
		return -1;
	return theme_load_file(t, path, err, errlen);
}

bool theme_no_color(void)
{
	const char *s = getenv("NO_COLOR");

	return s && *s;
}
