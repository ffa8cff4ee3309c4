/* test-console-layout.c: pane geometry for 80x24, 120x40, 200x60 and the
 * edges: nothing overlaps, everything fits, the conversation is full width. */
#include "baton/ui.h"

#include <string.h>

#include "test.h"

static int rect_ok(const struct ui_rect *r, int rows, int cols)
{
	return r->h == 0 || (r->y >= 0 && r->x >= 0 && r->y + r->h <= rows && r->x + r->w <= cols);
}

static int overlap(const struct ui_rect *a, const struct ui_rect *b)
{
	if (!a->h || !b->h)
		return 0;
	return a->x < b->x + b->w && b->x < a->x + a->w && a->y < b->y + b->h && b->y < a->y + a->h;
}

/* Every cell is covered by at most one rect, all rects are on screen, the
 * chat spans the width, compose sits right above the status line. */
static int check_geom(const struct ui_geom *g, char *why, size_t n)
{
	const struct ui_rect *r[] = { &g->pane[0], &g->pane[1], &g->pane[2], &g->divider,
				      &g->tabs, &g->compose, &g->status };
	long cells = 0;

	for (size_t i = 0; i < 7; i++) {
		if (!rect_ok(r[i], g->rows, g->cols)) {
			snprintf(why, n, "rect %zu off screen", i);
			return 0;
		}
		cells += (long)r[i]->h * r[i]->w;
		for (size_t j = i + 1; j < 7; j++)
			if (overlap(r[i], r[j])) {
				snprintf(why, n, "rects %zu and %zu overlap", i, j);
				return 0;
			}
	}
	if (cells != (long)g->rows * g->cols) {
		snprintf(why, n, "%ld of %d cells covered", cells, g->rows * g->cols);
		return 0;
	}
	if (g->status.y != g->rows - 1 || g->compose.y + g->compose.h != g->status.y) {
		snprintf(why, n, "compose/status not at the bottom");
		return 0;
	}
	if (g->pane[UI_PANE_CHAT].h && (g->pane[UI_PANE_CHAT].x != 0 ||
					g->pane[UI_PANE_CHAT].w != g->cols)) {
		snprintf(why, n, "chat not full width");
		return 0;
	}
	return 1;
}

struct geom_case {
	int rows, cols;
	enum ui_layout want;
	enum ui_pane shown;
	enum ui_layout got;
	/* expected rects: queue, chat, context (y x h w) */
	struct ui_rect q, c, x;
};

static void test_sizes(void)
{
	static const struct geom_case cases[] = {
		/* 120x40: three panes; band 14 rows, queue 54 wide, divider, context 65. */
		{ 40, 120, UI_LAYOUT_AUTO, UI_PANE_QUEUE, UI_LAYOUT_THREE,
		  { 0, 0, 14, 54 }, { 14, 0, 23, 120 }, { 0, 55, 14, 65 } },
		/* 200x60: three panes, the band capped at 18, the queue at 80. */
		{ 60, 200, UI_LAYOUT_AUTO, UI_PANE_QUEUE, UI_LAYOUT_THREE,
		  { 0, 0, 18, 80 }, { 18, 0, 39, 200 }, { 0, 81, 18, 119 } },
		/* 80x24: two panes, the queue on top. */
		{ 24, 80, UI_LAYOUT_AUTO, UI_PANE_QUEUE, UI_LAYOUT_TWO,
		  { 0, 0, 8, 80 }, { 8, 0, 13, 80 }, { 0, 0, 0, 0 } },
		/* 80x24 with the context on top. */
		{ 24, 80, UI_LAYOUT_AUTO, UI_PANE_CONTEXT, UI_LAYOUT_TWO,
		  { 0, 0, 0, 0 }, { 8, 0, 13, 80 }, { 0, 0, 8, 80 } },
		/* 80x24 tabs, showing the chat. */
		{ 24, 80, UI_LAYOUT_TABS, UI_PANE_CHAT, UI_LAYOUT_TABS,
		  { 0, 0, 0, 0 }, { 1, 0, 20, 80 }, { 0, 0, 0, 0 } },
		/* three forced at 80 columns degrades to two. */
		{ 24, 80, UI_LAYOUT_THREE, UI_PANE_QUEUE, UI_LAYOUT_TWO,
		  { 0, 0, 8, 80 }, { 8, 0, 13, 80 }, { 0, 0, 0, 0 } },
		/* 120x24: too short for three in auto. */
		{ 24, 120, UI_LAYOUT_AUTO, UI_PANE_QUEUE, UI_LAYOUT_TWO,
		  { 0, 0, 8, 120 }, { 8, 0, 13, 120 }, { 0, 0, 0, 0 } },
		/* 60x15: tabs. */
		{ 15, 60, UI_LAYOUT_AUTO, UI_PANE_QUEUE, UI_LAYOUT_TABS,
		  { 1, 0, 11, 60 }, { 0, 0, 0, 0 }, { 0, 0, 0, 0 } },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct geom_case *k = &cases[i];
		struct ui_geom g;
		char name[64], why[128] = "";
		int failed = 0;

		ui_layout_compute(k->want, k->rows, k->cols, 1, k->shown, &g);
		if (g.layout != k->got) {
			snprintf(why, sizeof(why), "layout %s", ui_layout_name(g.layout));
			failed = 1;
		}
		if (!failed && !check_geom(&g, why, sizeof(why)))
			failed = 1;
		if (!failed && memcmp(&g.pane[UI_PANE_QUEUE], &k->q, sizeof(k->q)) != 0)
			failed = 1, snprintf(why, sizeof(why), "queue %d %d %d %d",
					     g.pane[0].y, g.pane[0].x, g.pane[0].h, g.pane[0].w);
		if (!failed && memcmp(&g.pane[UI_PANE_CHAT], &k->c, sizeof(k->c)) != 0)
			failed = 1, snprintf(why, sizeof(why), "chat %d %d %d %d",
					     g.pane[1].y, g.pane[1].x, g.pane[1].h, g.pane[1].w);
		if (!failed && memcmp(&g.pane[UI_PANE_CONTEXT], &k->x, sizeof(k->x)) != 0)
			failed = 1, snprintf(why, sizeof(why), "context %d %d %d %d",
					     g.pane[2].y, g.pane[2].x, g.pane[2].h, g.pane[2].w);
		if (failed)
			printf("#   %dx%d: %s\n", k->cols, k->rows, why);
		snprintf(name, sizeof(name), "%dx%d %s", k->cols, k->rows, ui_layout_name(k->want));
		test_report(name, failed);
	}
}

/* Every size from the minimum up to 250x80, every layout, every compose
 * height: the invariants hold. */
static void test_sweep(void)
{
	char why[128];

	for (int rows = UI_MIN_ROWS; rows <= 80; rows++)
		for (int cols = UI_MIN_COLS; cols <= 250; cols += 3)
			for (int l = 0; l < 4; l++)
				for (int n = 1; n <= UI_COMPOSE_MAX_LINES + 2; n += 2) {
					struct ui_geom g;
					ui_layout_compute((enum ui_layout)l, rows, cols, n,
							  (enum ui_pane)(n % 3), &g);
					if (g.too_small || !check_geom(&g, why, sizeof(why))) {
						printf("#   %dx%d layout %d compose %d: %s\n", cols,
						       rows, l, n, g.too_small ? "too small" : why);
						test_failed_ = 1;
						return;
					}
				}
}

static void test_compose_growth(void)
{
	struct ui_geom a, b;

	ui_layout_compute(UI_LAYOUT_AUTO, 40, 120, 1, UI_PANE_QUEUE, &a);
	ui_layout_compute(UI_LAYOUT_AUTO, 40, 120, 4, UI_PANE_QUEUE, &b);
	CHECK_INT(a.compose.h, 2);
	CHECK_INT(b.compose.h, 5);
	CHECK_INT(b.compose.y, 40 - 1 - 5);
	/* The chat gives up the rows; the queue band stays put if it can. */
	CHECK_INT(b.pane[UI_PANE_CHAT].h, a.pane[UI_PANE_CHAT].h - 3 + (a.pane[0].h - b.pane[0].h));
	/* Capped. */
	ui_layout_compute(UI_LAYOUT_AUTO, 40, 120, 50, UI_PANE_QUEUE, &b);
	CHECK_INT(b.compose.h, UI_COMPOSE_MAX_LINES + 1);
}

static void test_small(void)
{
	struct ui_geom g;

	ui_layout_compute(UI_LAYOUT_AUTO, 10, 80, 1, UI_PANE_QUEUE, &g);
	CHECK(g.too_small);
	ui_layout_compute(UI_LAYOUT_AUTO, 24, 39, 1, UI_PANE_QUEUE, &g);
	CHECK(g.too_small);
	ui_layout_compute(UI_LAYOUT_AUTO, UI_MIN_ROWS, UI_MIN_COLS, 1, UI_PANE_QUEUE, &g);
	CHECK(!g.too_small);
	CHECK_INT(g.layout, UI_LAYOUT_TABS);
}

static void test_names(void)
{
	CHECK_INT(ui_layout_parse("auto"), UI_LAYOUT_AUTO);
	CHECK_INT(ui_layout_parse("three"), UI_LAYOUT_THREE);
	CHECK_INT(ui_layout_parse("two"), UI_LAYOUT_TWO);
	CHECK_INT(ui_layout_parse("tabs"), UI_LAYOUT_TABS);
	CHECK_INT(ui_layout_parse("four"), -1);
	CHECK_INT(ui_layout_parse(NULL), -1);
	CHECK_STR(ui_layout_name(UI_LAYOUT_TWO), "two");
}

static const struct test tests[] = {
	TEST(test_sizes), TEST(test_sweep), TEST(test_compose_growth), TEST(test_small),
	TEST(test_names),
};
TEST_MAIN(tests)
