/*
 * layout.c: where the panes go, as a pure function of the screen size.
 *
 * The conversation pane always spans the full width (see ui.h): a terminal
 * scroll region is whole lines, so only a full-width pane can be scrolled
 * by the terminal when a chat line arrives. Queue and context share a band
 * above it (three: side by side; two: one at a time); the compose area and
 * the status bar are at the bottom, where the agent types.
 */
#include "baton/ui.h"

#include <string.h>

static const char *const ui_layout_names[] = { "auto", "three", "two", "tabs" };

int ui_layout_parse(const char *s)
{
	for (int i = 0; s && i < 4; i++)
		if (strcmp(s, ui_layout_names[i]) == 0)
			return i;
	return -1;
}

const char *ui_layout_name(enum ui_layout l)
{
	return (int)l >= 0 && (int)l < 4 ? ui_layout_names[l] : "auto";
}

static int ui_clamp(int v, int lo, int hi)
{
	return v < lo ? lo : v > hi ? hi : v;
}

static struct ui_rect ui_rect(int y, int x, int h, int w)
{
	struct ui_rect r = { y, x, h > 0 ? h : 0, w > 0 ? w : 0 };

	if (!r.h || !r.w)
		r.h = r.w = 0;
	return r;
}

void ui_layout_compute(enum ui_layout want, int rows, int cols, int compose_lines,
		       enum ui_pane shown, struct ui_geom *g)
{
	int n, area, band;
	enum ui_layout l = want;

	memset(g, 0, sizeof(*g));
	g->rows = rows;
	g->cols = cols;
	if (rows < UI_MIN_ROWS || cols < UI_MIN_COLS) {
		g->too_small = true;
		g->layout = want == UI_LAYOUT_AUTO ? UI_LAYOUT_TABS : want;
		return;
	}
	n = ui_clamp(compose_lines, 1, UI_COMPOSE_MAX_LINES);
	/* The compose area never takes more than a third of the screen. */
	if ((n + 1) * 3 > rows)
		n = rows / 3 - 1 > 1 ? rows / 3 - 1 : 1;
	g->status = ui_rect(rows - 1, 0, 1, cols);
	g->compose = ui_rect(rows - 2 - n, 0, n + 1, cols);
	area = rows - 2 - n;	/* rows 0 .. area-1 hold the panes */

	if (l == UI_LAYOUT_AUTO)
		l = cols >= 120 && rows >= 30 ? UI_LAYOUT_THREE :
		    cols >= 80 && rows >= 20 ? UI_LAYOUT_TWO : UI_LAYOUT_TABS;
	/* A forced layout degrades when its panes would be unusable. */
	if (l == UI_LAYOUT_THREE && (cols < 100 || area < 16))
		l = UI_LAYOUT_TWO;
	if (l == UI_LAYOUT_TWO && area < 13)
		l = UI_LAYOUT_TABS;
	g->layout = l;

	switch (l) {
	case UI_LAYOUT_THREE: {
		int qw = ui_clamp(cols * 45 / 100, 50, 80);
		band = ui_clamp(area * 2 / 5, 7, 18);
		g->pane[UI_PANE_QUEUE] = ui_rect(0, 0, band, qw);
		g->divider = ui_rect(0, qw, band, 1);
		g->pane[UI_PANE_CONTEXT] = ui_rect(0, qw + 1, band, cols - qw - 1);
		g->pane[UI_PANE_CHAT] = ui_rect(band, 0, area - band, cols);
		break;
	}
	case UI_LAYOUT_TWO:
		band = ui_clamp(area * 2 / 5, 6, 16);
		if (shown != UI_PANE_CONTEXT)
			shown = UI_PANE_QUEUE;
		g->pane[shown] = ui_rect(0, 0, band, cols);
		g->pane[UI_PANE_CHAT] = ui_rect(band, 0, area - band, cols);
		break;
	default:
		g->tabs = ui_rect(0, 0, 1, cols);
		if ((int)shown < 0 || shown >= UI_PANE__COUNT)
			shown = UI_PANE_QUEUE;
		g->pane[shown] = ui_rect(1, 0, area - 1, cols);
		break;
	}
}
