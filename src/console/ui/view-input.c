/*
 * view-input.c: the line editors (compose area and the : line).
 *
 * Text is UTF-8 in a strbuf, the cursor a byte offset on a character
 * boundary. The keys are readline's: ctrl-a/e start/end of line, ctrl-b/f
 * and the arrows a character, meta-b/f a word, ctrl-k/u kill to the end /
 * start of the line, ctrl-w a word back, ctrl-y yanks, ctrl-d deletes,
 * ctrl-p/n (and up/down on the first/last line) walk the history. In the
 * compose area meta-enter and ctrl-j start a new line.
 */
#include "ui-internal.h"

#include <stdlib.h>
#include <string.h>

#include "baton/text.h"

#define UI_HIST_MAX 100

void ui_editor_set(struct ui_editor *e, const char *text)
{
	sb_reset(&e->buf);
	if (text)
		sb_adds(&e->buf, text);
	e->cur = e->buf.len;
	e->top = 0;
}

void ui_editor_free(struct ui_editor *e)
{
	sb_free(&e->buf);
	for (size_t i = 0; i < e->nhist; i++)
		free(e->hist[i]);
	free(e->hist);
	free(e->saved);
	free(e->kill);
	memset(e, 0, sizeof(*e));
}

void ui_editor_insert(struct ui_editor *e, const char *s, size_t len)
{
	size_t tail = e->buf.len - e->cur;

	if (!e->buf.buf)
		sb_adds(&e->buf, "");
	sb_grow(&e->buf, len);
	memmove(e->buf.buf + e->cur + len, e->buf.buf + e->cur, tail + 1);
	memcpy(e->buf.buf + e->cur, s, len);
	e->buf.len += len;
	e->cur += len;
}

static void ui_editor_delete(struct ui_editor *e, size_t from, size_t to, bool keep)
{
	if (to <= from)
		return;
	if (keep) {
		free(e->kill);
		e->kill = xstrndup(e->buf.buf + from, to - from);
	}
	memmove(e->buf.buf + from, e->buf.buf + to, e->buf.len - to + 1);
	e->buf.len -= to - from;
	if (e->cur > to)
		e->cur -= to - from;
	else if (e->cur > from)
		e->cur = from;
}

void ui_editor_hist_add(struct ui_editor *e, const char *s)
{
	if (!s || !*s || (e->nhist && strcmp(e->hist[e->nhist - 1], s) == 0)) {
		e->hpos = e->nhist;
		return;
	}
	if (e->nhist == UI_HIST_MAX) {
		free(e->hist[0]);
		memmove(e->hist, e->hist + 1, (UI_HIST_MAX - 1) * sizeof(*e->hist));
		e->nhist--;
	}
	e->hist = xrealloc(e->hist, (e->nhist + 1) * sizeof(*e->hist));
	e->hist[e->nhist++] = xstrdup(s);
	e->hpos = e->nhist;
	free(e->saved);
	e->saved = NULL;
}

static void ui_editor_hist_go(struct ui_editor *e, int dir)
{
	if (dir < 0 && e->hpos == 0)
		return;
	if (dir > 0 && e->hpos >= e->nhist)
		return;
	if (e->hpos == e->nhist) {
		free(e->saved);
		e->saved = xstrdup(sb_str(&e->buf));
	}
	e->hpos = (size_t)((long)e->hpos + dir);
	ui_editor_set(e, e->hpos == e->nhist ? e->saved : e->hist[e->hpos]);
}

/* Character boundaries (a combining mark stays with its base). */
static size_t ui_ed_prev(const struct ui_editor *e, size_t at)
{
	const char *s = e->buf.buf;

	while (at > 0) {
		size_t p = at - 1, q;
		while (p > 0 && ((unsigned char)s[p] & 0xc0) == 0x80)
			p--;
		q = p;
		at = p;
		if (text_cp_width(text_utf8_next(s, e->buf.len, &q)) != 0 || s[p] == '\n')
			break;
	}
	return at;
}

static size_t ui_ed_next(const struct ui_editor *e, size_t at)
{
	const char *s = e->buf.buf;
	size_t len = e->buf.len;

	if (at >= len)
		return len;
	text_utf8_next(s, len, &at);
	while (at < len) {
		size_t q = at;
		uint32_t cp = text_utf8_next(s, len, &q);
		if (text_cp_width(cp) != 0 || cp == '\n')
			break;
		at = q;
	}
	return at;
}

static bool ui_ed_space(const struct ui_editor *e, size_t at)
{
	char c = e->buf.buf[at];

	return c == ' ' || c == '\t' || c == '\n';
}

static size_t ui_ed_word_back(const struct ui_editor *e, size_t at)
{
	while (at > 0 && ui_ed_space(e, ui_ed_prev(e, at)))
		at = ui_ed_prev(e, at);
	while (at > 0 && !ui_ed_space(e, ui_ed_prev(e, at)))
		at = ui_ed_prev(e, at);
	return at;
}

static size_t ui_ed_word_fwd(const struct ui_editor *e, size_t at)
{
	while (at < e->buf.len && ui_ed_space(e, at))
		at = ui_ed_next(e, at);
	while (at < e->buf.len && !ui_ed_space(e, at))
		at = ui_ed_next(e, at);
	return at;
}

static size_t ui_ed_bol(const struct ui_editor *e, size_t at)
{
	while (at > 0 && e->buf.buf[at - 1] != '\n')
		at--;
	return at;
}

static size_t ui_ed_eol(const struct ui_editor *e, size_t at)
{
	while (at < e->buf.len && e->buf.buf[at] != '\n')
		at++;
	return at;
}

/* Up/down between logical lines, keeping the column roughly. */
static bool ui_ed_vertical(struct ui_editor *e, int dir)
{
	size_t bol = ui_ed_bol(e, e->cur), col = text_width(e->buf.buf + bol, e->cur - bol), at;
	size_t used;

	if (dir < 0) {
		if (bol == 0)
			return false;
		at = ui_ed_bol(e, bol - 1);
	} else {
		size_t eol = ui_ed_eol(e, e->cur);
		if (eol >= e->buf.len)
			return false;
		at = eol + 1;
	}
	e->cur = at + text_fit(e->buf.buf + at, ui_ed_eol(e, at) - at, col, &used);
	return true;
}

enum ui_ed_res ui_editor_key(struct ui_editor *e, int key)
{
	size_t at;

	if (!e->buf.buf)
		sb_adds(&e->buf, "");
	switch (key) {
	case 1: case KEYS_FN | KEYS_K_HOME:
		e->cur = ui_ed_bol(e, e->cur);
		return UI_ED_MOVED;
	case 5: case KEYS_FN | KEYS_K_END:
		e->cur = ui_ed_eol(e, e->cur);
		return UI_ED_MOVED;
	case 2: case KEYS_FN | KEYS_K_LEFT:
		e->cur = ui_ed_prev(e, e->cur);
		return UI_ED_MOVED;
	case 6: case KEYS_FN | KEYS_K_RIGHT:
		e->cur = ui_ed_next(e, e->cur);
		return UI_ED_MOVED;
	case KEYS_META | 'b': case KEYS_FN | KEYS_K_CTRL_LEFT: case KEYS_META | KEYS_FN | KEYS_K_LEFT:
		e->cur = ui_ed_word_back(e, e->cur);
		return UI_ED_MOVED;
	case KEYS_META | 'f': case KEYS_FN | KEYS_K_CTRL_RIGHT: case KEYS_META | KEYS_FN | KEYS_K_RIGHT:
		e->cur = ui_ed_word_fwd(e, e->cur);
		return UI_ED_MOVED;
	case 11:	/* ctrl-k */
		at = ui_ed_eol(e, e->cur);
		if (at == e->cur && at < e->buf.len)
			at++;	/* at the end of a line: join the next */
		ui_editor_delete(e, e->cur, at, true);
		return UI_ED_CHANGED;
	case 21:	/* ctrl-u */
		ui_editor_delete(e, ui_ed_bol(e, e->cur), e->cur, true);
		return UI_ED_CHANGED;
	case 23: case KEYS_META | (KEYS_FN | KEYS_K_BACKSPACE):	/* ctrl-w */
		ui_editor_delete(e, ui_ed_word_back(e, e->cur), e->cur, true);
		return UI_ED_CHANGED;
	case KEYS_META | 'd': case KEYS_FN | KEYS_K_CTRL_DELETE:
		ui_editor_delete(e, e->cur, ui_ed_word_fwd(e, e->cur), true);
		return UI_ED_CHANGED;
	case 25:	/* ctrl-y */
		if (e->kill)
			ui_editor_insert(e, e->kill, strlen(e->kill));
		return UI_ED_CHANGED;
	case KEYS_FN | KEYS_K_BACKSPACE:
		if (e->cur == 0)
			return UI_ED_MOVED;
		ui_editor_delete(e, ui_ed_prev(e, e->cur), e->cur, false);
		return UI_ED_CHANGED;
	case 4: case KEYS_FN | KEYS_K_DELETE:
		if (e->cur >= e->buf.len)
			return UI_ED_MOVED;
		ui_editor_delete(e, e->cur, ui_ed_next(e, e->cur), false);
		return UI_ED_CHANGED;
	case 16:	/* ctrl-p */
		ui_editor_hist_go(e, -1);
		return UI_ED_CHANGED;
	case 14:	/* ctrl-n */
		ui_editor_hist_go(e, 1);
		return UI_ED_CHANGED;
	case KEYS_FN | KEYS_K_UP:
		if (e->multiline && ui_ed_vertical(e, -1))
			return UI_ED_MOVED;
		ui_editor_hist_go(e, -1);
		return UI_ED_CHANGED;
	case KEYS_FN | KEYS_K_DOWN:
		if (e->multiline && ui_ed_vertical(e, 1))
			return UI_ED_MOVED;
		ui_editor_hist_go(e, 1);
		return UI_ED_CHANGED;
	case 10: case KEYS_META | (KEYS_FN | KEYS_K_ENTER):	/* ctrl-j, meta-enter */
		if (!e->multiline)
			return UI_ED_SUBMIT;
		ui_editor_insert(e, "\n", 1);
		return UI_ED_CHANGED;
	case KEYS_FN | KEYS_K_ENTER:
		return UI_ED_SUBMIT;
	case KEYS_FN | KEYS_K_ESC: case 7:	/* esc, ctrl-g */
		return UI_ED_CANCEL;
	case KEYS_FN | KEYS_K_TAB:
		return UI_ED_UNHANDLED;
	default:
		if (key >= 0x20 && !(key & (KEYS_FN | KEYS_META)) && key != 0x7f &&
		    !(key >= 0x80 && key < 0xa0) && key <= 0x10FFFF &&
		    !text_is_unsafe((uint32_t)key)) {
			char u[4];
			ui_editor_insert(e, u, text_utf8_put((uint32_t)key, u));
			return UI_ED_CHANGED;
		}
		return UI_ED_UNHANDLED;
	}
}

int ui_editor_lines(const struct ui_editor *e, int cols)
{
	size_t n;

	if (cols < 1)
		cols = 1;
	n = text_wrap(sb_str(&e->buf), e->buf.len, (size_t)cols, NULL, 0);
	/* A trailing newline starts a line text_wrap does not count. */
	if (e->buf.len && e->buf.buf[e->buf.len - 1] == '\n')
		n++;
	return n > 0 ? (int)n : 1;
}

void ui_editor_draw(struct ui *ui, struct ui_editor *e, WINDOW *w, int y, int rows,
		    const char *prefix, int slot)
{
	int width = getmaxx(w), pw = (int)text_width(prefix, strlen(prefix));
	int cols = width - pw - 1, n, cy = 0, cx = 0;
	struct text_line *tl;
	const char *s = sb_str(&e->buf);
	size_t len = e->buf.len;

	if (cols < 1)
		cols = 1;
	n = (int)text_wrap(s, len, (size_t)cols, NULL, 0);
	tl = xcalloc((size_t)n + 2, sizeof(*tl));
	text_wrap(s, len, (size_t)cols, tl, (size_t)n);
	if (len && s[len - 1] == '\n') {
		tl[n].off = len;
		tl[n].len = 0;
		n++;
	}
	/* Where the cursor is: the last line that starts at or before it. */
	for (int i = 0; i < n; i++)
		if (tl[i].off <= e->cur) {
			cy = i;
			cx = (int)text_width(s + tl[i].off, (e->cur - tl[i].off) > tl[i].len ?
					     tl[i].len : e->cur - tl[i].off);
		}
	if (cy < e->top)
		e->top = cy;
	if (cy >= e->top + rows)
		e->top = cy - rows + 1;
	if (e->top > n - rows)
		e->top = n - rows > 0 ? n - rows : 0;
	for (int r = 0; r < rows; r++) {
		int li = e->top + r;
		wmove(w, y + r, 0);
		wattrset(w, ui->attr[slot]);
		if (r == 0)
			ui_draws(ui, w, slot, e->top ? "^" : prefix, pw);
		ui_pad(ui, w, slot, pw);
		if (li < n)
			ui_draw(ui, w, slot, s + tl[li].off, tl[li].len, cols);
		ui_pad(ui, w, slot, width);
	}
	wmove(w, y + cy - e->top, pw + cx);
	free(tl);
}
