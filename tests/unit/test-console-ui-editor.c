/* test-console-ui-editor.c: the compose area's and : line's editing keys
 * (readline's), on UTF-8 text with wide characters and combining marks. */
#include "../../src/console/ui/ui-internal.h"

#include <stdlib.h>
#include <string.h>

#include "baton/text.h"
#include "test.h"

#define K(name) key_of(name)

static int key_of(const char *name)
{
	int k = 0;

	if (keys_parse(name, &k, NULL, 0) < 0) {
		printf("#   bad key name %s\n", name);
		test_failed_ = 1;
	}
	return k;
}

static void type(struct ui_editor *e, const char *s)
{
	size_t pos = 0, len = strlen(s);

	while (pos < len)
		ui_editor_key(e, (int)text_utf8_next(s, len, &pos));
}

/* The text with a | at the cursor. */
static const char *show(struct ui_editor *e)
{
	static char out[512];
	const char *s = sb_str(&e->buf);

	snprintf(out, sizeof(out), "%.*s|%s", (int)e->cur, s, s + e->cur);
	return out;
}

static void test_motion(void)
{
	struct ui_editor e = { 0 };

	type(&e, "merhaba dünya 世界");
	CHECK_STR(show(&e), "merhaba dünya 世界|");
	ui_editor_key(&e, K("left"));
	CHECK_STR(show(&e), "merhaba dünya 世|界");
	ui_editor_key(&e, K("ctrl-b"));
	ui_editor_key(&e, K("ctrl-b"));
	CHECK_STR(show(&e), "merhaba dünya| 世界");
	ui_editor_key(&e, K("meta-b"));
	CHECK_STR(show(&e), "merhaba |dünya 世界");
	ui_editor_key(&e, K("meta-b"));
	CHECK_STR(show(&e), "|merhaba dünya 世界");
	ui_editor_key(&e, K("meta-f"));
	CHECK_STR(show(&e), "merhaba| dünya 世界");
	ui_editor_key(&e, K("ctrl-e"));
	CHECK_STR(show(&e), "merhaba dünya 世界|");
	ui_editor_key(&e, K("ctrl-a"));
	CHECK_STR(show(&e), "|merhaba dünya 世界");
	ui_editor_key(&e, K("ctrl-f"));
	CHECK_STR(show(&e), "m|erhaba dünya 世界");
	ui_editor_key(&e, K("home"));
	ui_editor_key(&e, K("ctrl-left"));
	CHECK_STR(show(&e), "|merhaba dünya 世界");
	ui_editor_free(&e);
}

static void test_combining(void)
{
	struct ui_editor e = { 0 };

	/* "e" + U+0301 is one character for the cursor. */
	type(&e, "cafe\xcc\x81!");
	ui_editor_key(&e, K("left"));
	ui_editor_key(&e, K("left"));
	CHECK_STR(show(&e), "caf|e\xcc\x81!");
	ui_editor_key(&e, K("right"));
	CHECK_STR(show(&e), "cafe\xcc\x81|!");
	ui_editor_key(&e, K("backspace"));
	CHECK_STR(show(&e), "caf|!");
	/* An emoji is one step too. */
	ui_editor_set(&e, "a😀b");
	ui_editor_key(&e, K("left"));
	ui_editor_key(&e, K("left"));
	CHECK_STR(show(&e), "a|😀b");
	ui_editor_key(&e, K("ctrl-d"));
	CHECK_STR(show(&e), "a|b");
	ui_editor_free(&e);
}

static void test_kill_yank(void)
{
	struct ui_editor e = { 0 };

	type(&e, "hello big world");
	ui_editor_key(&e, K("meta-b"));
	ui_editor_key(&e, K("ctrl-w"));
	CHECK_STR(show(&e), "hello |world");
	ui_editor_key(&e, K("ctrl-e"));
	ui_editor_key(&e, K("ctrl-y"));
	CHECK_STR(show(&e), "hello worldbig |");
	ui_editor_key(&e, K("ctrl-a"));
	ui_editor_key(&e, K("meta-d"));
	CHECK_STR(show(&e), "| worldbig ");
	ui_editor_key(&e, K("ctrl-k"));
	CHECK_STR(show(&e), "|");
	ui_editor_key(&e, K("ctrl-y"));
	CHECK_STR(show(&e), " worldbig |");
	ui_editor_key(&e, K("ctrl-u"));
	CHECK_STR(show(&e), "|");
	/* Deleting at the edges does nothing and does not crash. */
	CHECK_INT(ui_editor_key(&e, K("backspace")), UI_ED_MOVED);
	CHECK_INT(ui_editor_key(&e, K("delete")), UI_ED_MOVED);
	ui_editor_free(&e);
}

static void test_multiline(void)
{
	struct ui_editor e = { 0 };

	e.multiline = true;
	type(&e, "first line");
	CHECK_INT(ui_editor_key(&e, K("meta-enter")), UI_ED_CHANGED);
	type(&e, "second");
	CHECK_INT(ui_editor_key(&e, K("ctrl-j")), UI_ED_CHANGED);
	type(&e, "3rd");
	CHECK_STR(show(&e), "first line\nsecond\n3rd|");
	CHECK_INT(ui_editor_lines(&e, 40), 3);
	ui_editor_key(&e, K("up"));
	CHECK_STR(show(&e), "first line\nsec|ond\n3rd");
	ui_editor_key(&e, K("up"));
	CHECK_STR(show(&e), "fir|st line\nsecond\n3rd");
	ui_editor_key(&e, K("ctrl-e"));
	CHECK_STR(show(&e), "first line|\nsecond\n3rd");
	/* ctrl-k at the end of a line joins the next one. */
	ui_editor_key(&e, K("ctrl-k"));
	CHECK_STR(show(&e), "first line|second\n3rd");
	ui_editor_key(&e, K("down"));
	CHECK_STR(show(&e), "first linesecond\n3rd|");
	CHECK_INT(ui_editor_key(&e, K("enter")), UI_ED_SUBMIT);
	/* Long text wraps into more lines; a trailing newline is a line. */
	ui_editor_set(&e, "aaaa bbbb cccc dddd");
	CHECK_INT(ui_editor_lines(&e, 10), 2);
	ui_editor_set(&e, "x\n");
	CHECK_INT(ui_editor_lines(&e, 10), 2);
	ui_editor_set(&e, "");
	CHECK_INT(ui_editor_lines(&e, 10), 1);
	ui_editor_free(&e);
}

static void test_history(void)
{
	struct ui_editor e = { 0 };

	ui_editor_hist_add(&e, "claim next");
	ui_editor_hist_add(&e, "say hi");
	ui_editor_hist_add(&e, "say hi");	/* no duplicates in a row */
	type(&e, "dra");
	ui_editor_key(&e, K("up"));
	CHECK_STR(show(&e), "say hi|");
	ui_editor_key(&e, K("ctrl-p"));
	CHECK_STR(show(&e), "claim next|");
	ui_editor_key(&e, K("ctrl-p"));
	CHECK_STR(show(&e), "claim next|");
	ui_editor_key(&e, K("down"));
	ui_editor_key(&e, K("ctrl-n"));
	CHECK_STR(show(&e), "dra|");	/* what was being typed comes back */
	CHECK_INT(ui_editor_key(&e, K("esc")), UI_ED_CANCEL);
	CHECK_INT(ui_editor_key(&e, K("F5")), UI_ED_UNHANDLED);
	CHECK_INT(ui_editor_key(&e, K("tab")), UI_ED_UNHANDLED);
	ui_editor_free(&e);
}

static void test_unsafe_keys(void)
{
	struct ui_editor e = { 0 };

	/* Control and bidi characters are never inserted. */
	CHECK_INT(ui_editor_key(&e, 0x1b), UI_ED_UNHANDLED);
	CHECK_INT(ui_editor_key(&e, 0x9b), UI_ED_UNHANDLED);
	CHECK_INT(ui_editor_key(&e, 0x202E), UI_ED_UNHANDLED);
	CHECK_INT(ui_editor_key(&e, 0x7f), UI_ED_UNHANDLED);
	CHECK_STR(sb_str(&e.buf), "");
	ui_editor_free(&e);
}

/* The help's wrapped lines hang under their description column. */
static void test_wrap_hang(void)
{
	const char *t = "  claim [ID|next]      Take a conversation: the selected one or the next\n"
			"  Prose goes on for a while here\n"
			"\n"
			"  S  supervisor-view - switch";
	struct ui_wline l[16];
	size_t n;

	CHECK_INT(ui_hang("  claim [ID]   Take it", 22, 80), 15);
	CHECK_INT(ui_hang("  plain prose, one blank", 24, 80), 2);
	CHECK_INT(ui_hang("no lead", 7, 80), 0);
	/* Past half the width: the line's own lead instead. */
	CHECK_INT(ui_hang("  abcdefghijklmnopqrstuvwxyz   desc", 35, 40), 2);
	/* Wide characters count as two columns. */
	CHECK_INT(ui_hang("  \xe7\x8e\x8b\xe7\x8e\x8b  desc", 16, 80), 8);

	n = ui_wrap_hang(t, 50, l, 16);
	CHECK_INT(n, 5);
	if (n != 5)
		return;
	CHECK_INT(l[0].indent, 0);
	CHECK(strncmp(t + l[0].off, "  claim [ID|next]      Take a conversation: the", l[0].len) == 0);
	/* The rest of the description, under "Take" (column 23). */
	CHECK_INT(l[1].indent, 23);
	CHECK(l[1].len == strlen("selected one or the next"));
	CHECK(strncmp(t + l[1].off, "selected one or the next", l[1].len) == 0);
	/* Prose and the empty line keep their own indent. */
	CHECK_INT(l[2].indent, 0);
	CHECK(strncmp(t + l[2].off, "  Prose goes on", 15) == 0);
	CHECK_INT(l[3].len, 0);
	CHECK_INT(l[4].indent, 0);
	CHECK(strncmp(t + l[4].off, "  S  supervisor-view - switch", l[4].len) == 0);
	/* Narrower, column 23 is past half: the continuation keeps the lead. */
	n = ui_wrap_hang(t, 40, l, 16);
	CHECK_INT(n, 6);
	CHECK_INT(l[1].indent, 2);
	CHECK(strncmp(t + l[1].off, "conversation: the", 17) == 0);
	/* Counting only (max 0) gives the same number. */
	CHECK_INT(ui_wrap_hang(t, 40, NULL, 0), n);
}

static const struct test tests[] = {
	TEST(test_motion), TEST(test_combining), TEST(test_kill_yank), TEST(test_multiline),
	TEST(test_history), TEST(test_unsafe_keys), TEST(test_wrap_hang),
};
TEST_MAIN(tests)
