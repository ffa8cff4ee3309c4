/* test-console-theme.c: theme parsing, colour mapping and fallback, and
 * every shipped theme loads and sets every slot. */
#include "baton/theme.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "baton/common.h"

#include "test.h"

static void test_colors(void)
{
	int c = 99;
	char err[256];

	CHECK_INT(theme_color_parse("default", &c, err, sizeof(err)), 0);
	CHECK_INT(c, THEME_DEFAULT_COLOR);
	CHECK_INT(theme_color_parse("red", &c, err, sizeof(err)), 0);
	CHECK_INT(c, 1);
	CHECK_INT(theme_color_parse("bright-white", &c, err, sizeof(err)), 0);
	CHECK_INT(c, 15);
	CHECK_INT(theme_color_parse("BrightBlue", &c, err, sizeof(err)), 0);
	CHECK_INT(c, 12);
	CHECK_INT(theme_color_parse("grey", &c, err, sizeof(err)), 0);
	CHECK_INT(c, 8);
	CHECK_INT(theme_color_parse("208", &c, err, sizeof(err)), 0);
	CHECK_INT(c, 208);
	CHECK_INT(theme_color_parse("#ff8700", &c, err, sizeof(err)), 0);
	CHECK_INT(c, 208);
	CHECK_INT(theme_color_parse("#000000", &c, err, sizeof(err)), 0);
	CHECK_INT(c, 16);
	CHECK_INT(theme_color_parse("#ffffff", &c, err, sizeof(err)), 0);
	CHECK_INT(c, 231);
	CHECK_INT(theme_color_parse("#808080", &c, err, sizeof(err)), 0);
	CHECK_INT(c, 244);
	CHECK_INT(theme_color_parse("256", &c, err, sizeof(err)), -1);
	CHECK(strstr(err, "\"256\"") != NULL);
	CHECK_INT(theme_color_parse("-3", &c, err, sizeof(err)), -1);
	CHECK_INT(theme_color_parse("#fff", &c, err, sizeof(err)), -1);
	CHECK_INT(theme_color_parse("#gg0000", &c, err, sizeof(err)), -1);
	CHECK_INT(theme_color_parse("purple", &c, err, sizeof(err)), -1);
	CHECK(strstr(err, "#rrggbb") != NULL);
}

static void test_reduce(void)
{
	/* 256 colours keep everything. */
	CHECK_INT(theme_color_reduce(208, 256), 208);
	CHECK_INT(theme_color_reduce(THEME_DEFAULT_COLOR, 8), THEME_DEFAULT_COLOR);
	/* Already basic. */
	CHECK_INT(theme_color_reduce(3, 8), 3);
	CHECK_INT(theme_color_reduce(12, 16), 12);
	/* Cube red (196 = #ff0000) → bright red in 16, red in 8. */
	CHECK_INT(theme_color_reduce(196, 16), 9);
	CHECK_INT(theme_color_reduce(196, 8), 1);
	/* Pure blue (21 = #0000ff) → blue family. */
	CHECK(theme_color_reduce(21, 16) == 4 || theme_color_reduce(21, 16) == 12);
	CHECK_INT(theme_color_reduce(21, 8), 4);
	/* Near-black greys → black; near-white → white. */
	CHECK_INT(theme_color_reduce(233, 16), 0);
	CHECK_INT(theme_color_reduce(233, 8), 0);
	CHECK_INT(theme_color_reduce(231, 16), 15);
	CHECK_INT(theme_color_reduce(255, 16), 7);
	CHECK_INT(theme_color_reduce(231, 8), 7);
	/* Amber 214 (#ffaf00) → yellow. */
	CHECK_INT(theme_color_reduce(214, 8), 3);
	/* Bright colours (9..15) fold to their base in 8. */
	CHECK_INT(theme_color_reduce(9, 8), 1);
	/* Greys and tans are not black in 8 colours (black's bright form,
	 * grey, needs bold): 180 (#d7af87) and 137 (#af875f) stay visible on
	 * a dark terminal; near-black stays black. */
	CHECK(theme_color_reduce(180, 8) != 0);
	CHECK(theme_color_reduce(137, 8) != 0);
	CHECK(theme_color_reduce(244, 8) != 0);
	CHECK_INT(theme_color_reduce(235, 8), 0);
	/* A slot whose two colours become one gets black or white text. */
	{
		struct theme_style st = { 180, 237, 0 };
		int f, b;
		theme_style_colors(&st, 8, &f, &b);
		CHECK_INT(b, 0);
		CHECK_INT(f, 7);
		st.fg = 230, st.bg = 231;	/* two near-whites */
		theme_style_colors(&st, 16, &f, &b);
		CHECK_INT(b, 15);
		CHECK_INT(f, 0);
		st.fg = THEME_DEFAULT_COLOR, st.bg = THEME_DEFAULT_COLOR;
		theme_style_colors(&st, 8, &f, &b);
		CHECK_INT(f, THEME_DEFAULT_COLOR);
		CHECK_INT(b, THEME_DEFAULT_COLOR);
	}
	/* Fewer than 8 colours: none at all. */
	CHECK_INT(theme_color_reduce(196, 2), THEME_DEFAULT_COLOR);
	/* Round trip of every cube colour through RGB. */
	for (int c = 16; c < 256; c++) {
		int r, g, b;
		theme_256_to_rgb(c, &r, &g, &b);
		int back = theme_rgb_to_256(r, g, b);
		int r2, g2, b2;
		theme_256_to_rgb(back, &r2, &g2, &b2);
		CHECK(r == r2 && g == g2 && b == b2);
	}
}

static void test_parse(void)
{
	struct theme t;
	char err[256];
	const char *text =
		"# a comment\n"
		"\n"
		"normal = 250 235\n"
		"  status =  #ff8700   default  bold,underline   # trailing comment\n"
		"msg.note = yellow black italic reverse\r\n";

	theme_init_mono(&t);
	CHECK_INT(theme_parse(&t, text, strlen(text), "x.theme", err, sizeof(err)), 0);
	CHECK(!t.mono);
	CHECK_INT(t.s[THEME_NORMAL].fg, 250);
	CHECK_INT(t.s[THEME_NORMAL].bg, 235);
	CHECK_INT(t.s[THEME_STATUS].fg, 208);
	CHECK_INT(t.s[THEME_STATUS].bg, THEME_DEFAULT_COLOR);
	CHECK_INT(t.s[THEME_STATUS].attrs, THEME_A_BOLD | THEME_A_UNDERLINE);
	CHECK_INT(t.s[THEME_MSG_NOTE].attrs, THEME_A_ITALIC | THEME_A_REVERSE);
	CHECK_INT(t.s[THEME_MSG_NOTE].fg, 3);
	/* status.presence, left out, is the status bar's own style. */
	CHECK_INT(t.s[THEME_STATUS_PRESENCE].fg, 208);
	CHECK_INT(t.s[THEME_STATUS_PRESENCE].bg, THEME_DEFAULT_COLOR);
	CHECK_INT(t.s[THEME_STATUS_PRESENCE].attrs, THEME_A_BOLD | THEME_A_UNDERLINE);
	/* An unset slot takes normal's colours and its own attributes. */
	CHECK_INT(t.s[THEME_QUEUE_URGENT].fg, 250);
	CHECK_INT(t.s[THEME_QUEUE_URGENT].bg, 235);
	CHECK_INT(t.s[THEME_QUEUE_URGENT].attrs,
		  theme_slots[THEME_QUEUE_URGENT].attrs);
}

struct bad_case {
	const char *text;
	const char *want;	/* substring of the error */
};

static void test_parse_errors(void)
{
	static const struct bad_case cases[] = {
		{ "normal 250 235\n", "x.theme:1: expected \"slot = fg bg" },
		{ "\n\nqueu.urgent = red black\n", "x.theme:3: unknown slot \"queu.urgent\"" },
		{ "normal = red\n", "x.theme:1: normal needs a foreground and a background" },
		{ "normal = red blak\n", "x.theme:1: unknown colour \"blak\"" },
		{ "normal = red black blinky\n", "x.theme:1: unknown attribute \"blinky\"" },
		{ "normal = red black bold,wobbly\n", "unknown attribute \"wobbly\"" },
		{ "normal = 1 2 bold bold bold bold bold bold bold\n", "too many words" },
	};
	char err[256];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct theme t;
		theme_init_mono(&t);
		err[0] = '\0';
		int rc = theme_parse(&t, cases[i].text, strlen(cases[i].text), "x.theme", err,
				     sizeof(err));
		int failed = rc != -1 || strstr(err, cases[i].want) == NULL;
		if (failed)
			printf("#   case %zu: rc %d, err \"%s\", want \"%s\"\n", i, rc, err,
			       cases[i].want);
		test_report(cases[i].want, failed);
	}
	/* A NUL inside the text is refused, not silently cut. */
	{
		struct theme t;
		theme_init_mono(&t);
		CHECK_INT(theme_parse(&t, "normal = 1 2\0x", 14, "n.theme", err, sizeof(err)), -1);
		CHECK(strstr(err, "NUL") != NULL);
	}
}

static void test_names(void)
{
	CHECK(theme_name_valid("night"));
	CHECK(theme_name_valid("solarized-dark"));
	CHECK(theme_name_valid("my_theme.v2"));
	CHECK(!theme_name_valid(""));
	CHECK(!theme_name_valid(".hidden"));
	CHECK(!theme_name_valid("../etc/passwd"));
	CHECK(!theme_name_valid("a/b"));
	CHECK(!theme_name_valid("a b"));
	CHECK(theme_slot_find("status.ok") == THEME_STATUS_OK);
	CHECK(theme_slot_find("nope") == -1);
	/* Every slot name is unique and has help. */
	for (int i = 0; i < THEME_SLOT__COUNT; i++) {
		CHECK(theme_slot_find(theme_slots[i].name) == i);
		CHECK(theme_slots[i].help && *theme_slots[i].help);
	}
}

/* Every shipped theme parses, defines every slot explicitly, and keeps
 * foreground and background apart in every slot even at 8 colours. */
static void test_shipped(void)
{
	static const char *const names[] = { "night", "day", "high-contrast",
					     "solarized-dark", "mono" };
	char err[512], path[4096];

	setenv("XDG_CONFIG_HOME", "/nonexistent-baton-test", 1);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		struct theme t;
		int failed = 0;
		size_t len;
		char *text;

		if (theme_find(names[i], path, sizeof(path), err, sizeof(err)) < 0) {
			printf("#   %s: %s\n", names[i], err);
			test_report(names[i], 1);
			continue;
		}
		if (theme_load(&t, names[i], err, sizeof(err)) < 0) {
			printf("#   %s\n", err);
			failed = 1;
		}
		text = file_read(path, 1 << 20, &len);
		for (int s = 0; text && s < THEME_SLOT__COUNT; s++) {
			char want[64];
			snprintf(want, sizeof(want), "\n%s ", theme_slots[s].name);
			if (!strstr(text, want)) {
				printf("#   %s: slot %s not set\n", names[i], theme_slots[s].name);
				failed = 1;
			}
			if (!t.mono && t.s[s].fg >= 0 && t.s[s].bg >= 0) {
				for (int nc = 8; nc <= 256; nc *= nc == 8 ? 2 : 16) {
					int f, b;
					theme_style_colors(&t.s[s], nc, &f, &b);
					if (f == b) {
						printf("#   %s: slot %s fg == bg at %d colours\n",
						       names[i], theme_slots[s].name, nc);
						failed = 1;
					}
				}
			}
		}
		free(text);
		CHECK_STR(t.name, names[i]);
		test_report(names[i], failed);
	}
	{
		struct theme t;
		CHECK_INT(theme_load(&t, "no-such-theme", err, sizeof(err)), -1);
		CHECK(strstr(err, "no theme \"no-such-theme\": looked in") != NULL);
		CHECK_INT(theme_load(&t, "../night", err, sizeof(err)), -1);
		CHECK(strstr(err, "not a theme name") != NULL);
	}
}

/* A user's theme directory comes before the shipped ones. */
static void test_user_dir(void)
{
	char dir[] = "/tmp/baton-theme-XXXXXX", path[512], err[512];
	struct theme t;
	FILE *f;

	CHECK(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/baton", dir);
	CHECK(mkdir(path, 0700) == 0);
	snprintf(path, sizeof(path), "%s/baton/themes", dir);
	CHECK(mkdir(path, 0700) == 0);
	snprintf(path, sizeof(path), "%s/baton/themes/night.theme", dir);
	f = fopen(path, "w");
	CHECK(f != NULL);
	if (f) {
		fputs("normal = 1 2\n", f);
		fclose(f);
	}
	setenv("XDG_CONFIG_HOME", dir, 1);
	CHECK_INT(theme_load(&t, "night", err, sizeof(err)), 0);
	CHECK_INT(t.s[THEME_NORMAL].fg, 1);
	CHECK_INT(t.s[THEME_STATUS].fg, 1);
	unlink(path);
	snprintf(path, sizeof(path), "%s/baton/themes", dir);
	rmdir(path);
	snprintf(path, sizeof(path), "%s/baton", dir);
	rmdir(path);
	rmdir(dir);
	unsetenv("XDG_CONFIG_HOME");
}

static void test_no_color(void)
{
	unsetenv("NO_COLOR");
	CHECK(!theme_no_color());
	setenv("NO_COLOR", "", 1);
	CHECK(!theme_no_color());
	setenv("NO_COLOR", "1", 1);
	CHECK(theme_no_color());
	unsetenv("NO_COLOR");
}

/* The man page documents every slot (it is written from the same table). */
static void test_man_page(void)
{
	size_t len;
	char *man = file_read("man/baton-themes.5", 1 << 20, &len);

	CHECK(man != NULL);
	for (int i = 0; man && i < THEME_SLOT__COUNT; i++) {
		char want[64];
		snprintf(want, sizeof(want), "\n.B %s\n", theme_slots[i].name);
		if (!strstr(man, want)) {
			printf("#   man/baton-themes.5 lacks slot %s\n", theme_slots[i].name);
			test_failed_ = 1;
		}
	}
	free(man);
}

static const struct test tests[] = {
	TEST(test_man_page),
	TEST(test_colors), TEST(test_reduce), TEST(test_parse), TEST(test_parse_errors),
	TEST(test_names), TEST(test_shipped), TEST(test_user_dir), TEST(test_no_color),
};
TEST_MAIN(tests)
