/*
 * draw.c: the one place text reaches a curses window.
 *
 * Every string the screen shows has been sanitized when it entered the
 * model; here each code point is checked again on its way to the window,
 * so nothing a customer wrote can reach the terminal raw even if some
 * path forgot. Widths come from text_cp_width() (text.h), the same table
 * layout and wrapping use; where the C library's wcwidth() (which ncurses
 * uses to place the cursor) disagrees, the character is drawn as U+FFFD
 * and padded, so columns never drift.
 */
#include "ui-internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <wchar.h>

#include "baton/text.h"

static bool ui_is_placeholder(uint32_t cp)
{
	return (cp >= 0x2400 && cp <= 0x2426) || cp == TEXT_PH_BIDI || cp == TEXT_REPLACEMENT;
}

int ui_draw(struct ui *ui, WINDOW *w, int slot, const char *s, size_t len, int cols)
{
	size_t pos = 0;
	int used = 0, cur = -1;

	if (!s || cols <= 0)
		return 0;
	while (pos < len) {
		size_t start = pos, clen;
		uint32_t cp = text_utf8_next(s, len, &pos);
		int cw, lw, want;
		char buf[8];
		const char *out = s + start;

		if (cp == '\t' || cp == '\n' || cp == '\r')
			cp = ' ', out = " ";
		else if (cp != TEXT_REPLACEMENT && text_is_unsafe(cp))
			cp = cp == 0x1b ? TEXT_PH_ESCAPE : TEXT_REPLACEMENT, out = NULL;
		else if (cp == TEXT_REPLACEMENT)
			out = NULL;
		cw = text_cp_width(cp);
		if (cw == 0) {
			/* A combining mark joins the character before it; one
			 * at the start of a field has nothing to join: skip. */
			if (used == 0)
				continue;
			lw = wcwidth((wchar_t)cp);
			if (lw == 0 && out) {
				waddnstr(w, out, (int)(pos - start));
			}
			continue;
		}
		if (used + cw > cols)
			break;
		want = ui_is_placeholder(cp) ? THEME_PLACEHOLDER : slot;
		if (want != cur) {
			wattrset(w, ui->attr[want]);
			cur = want;
		}
		lw = wcwidth((wchar_t)cp);
		if (lw != cw || !out) {
			if (lw != cw && out)
				cp = TEXT_REPLACEMENT;
			clen = text_utf8_put(cp, buf);
			if (wcwidth((wchar_t)cp) != 1)
				clen = text_utf8_put('?', buf);
			if (cur != THEME_PLACEHOLDER) {
				wattrset(w, ui->attr[THEME_PLACEHOLDER]);
				cur = THEME_PLACEHOLDER;
			}
			waddnstr(w, buf, (int)clen);
			for (int i = 1; i < cw; i++)
				waddch(w, ' ');
		} else if (cp == ' ') {
			waddch(w, ' ');
		} else {
			waddnstr(w, out, (int)(pos - start));
		}
		used += cw;
	}
	return used;
}

int ui_draws(struct ui *ui, WINDOW *w, int slot, const char *s, int cols)
{
	size_t len;
	char *clean;
	int n;

	if (!s)
		return 0;
	clean = text_sanitize_line(s, strlen(s), &len);
	n = ui_draw(ui, w, slot, clean, len, cols);
	free(clean);
	return n;
}

void ui_pad(struct ui *ui, WINDOW *w, int slot, int to)
{
	int y, x, maxx = getmaxx(w);

	getyx(w, y, x);
	(void)y;
	if (to > maxx)
		to = maxx;
	/* Empty cells use the plain blank (no foreground colour) wherever it
	 * looks the same, which is what a terminal's erase and scroll leave:
	 * ncurses then has nothing to send for them (the compose line's 120
	 * blanks in its foreground colour were 120 spaces on every repaint). */
	wattrset(w, slot == THEME_NORMAL || ui->pad_blank[slot] ? ui->blank : ui->attr[slot]);
	for (; x < to; x++)
		waddch(w, ' ');
}

void ui_draw_title(struct ui *ui, WINDOW *w, const char *text, bool focus)
{
	int slot = focus ? THEME_TITLE_FOCUS : THEME_TITLE, cols = getmaxx(w);

	wmove(w, 0, 0);
	wattrset(w, ui->attr[slot]);
	waddch(w, ' ');
	ui_draws(ui, w, slot, text, cols - 2);
	ui_pad(ui, w, slot, cols);
}

void ui_fmt_wait(int64_t s, char *out, size_t n)
{
	if (s < 0)
		s = 0;
	if (s < 3600)
		snprintf(out, n, "%d:%02d", (int)(s / 60), (int)(s % 60));
	else if (s < 86400)
		snprintf(out, n, "%dh%02d", (int)(s / 3600), (int)(s / 60 % 60));
	else
		snprintf(out, n, "%dd", (int)(s / 86400));
}

void ui_fmt_money(int64_t minor, const char *cur, char *out, size_t n)
{
	bool neg = minor < 0;
	uint64_t v = neg ? (uint64_t)0 - (uint64_t)minor : (uint64_t)minor;

	snprintf(out, n, "%s%llu.%02llu %s", neg ? "-" : "", (unsigned long long)(v / 100),
		 (unsigned long long)(v % 100), cur && *cur ? cur : "");
	/* No currency: no trailing blank. */
	if (!cur || !*cur)
		out[strcspn(out, " ")] = '\0';
}

void ui_fmt_hm(int64_t ms, char *out, size_t n)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	if (!ms || !localtime_r(&t, &tm)) {
		snprintf(out, n, "--:--");
		return;
	}
	strftime(out, n, "%H:%M", &tm);
}

void ui_fmt_date(int64_t ms, char *out, size_t n)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	if (!ms || !localtime_r(&t, &tm)) {
		snprintf(out, n, "?");
		return;
	}
	strftime(out, n, "%Y-%m-%d", &tm);
}
