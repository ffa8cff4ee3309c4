/* test-console-keys.c: key names both ways, ncurses mapping, bindings and
 * the binds file. */
#include "baton/keys.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curses.h>

#include "test.h"

struct name_case {
	const char *name;	/* parsed */
	int key;		/* expected code */
	const char *canon;	/* expected canonical name back */
};

static void test_parse_names(void)
{
	static const struct name_case cases[] = {
		{ "j", 'j', "j" }, { "J", 'J', "J" }, { "?", '?', "?" }, { ":", ':', ":" },
		{ "ö", 0xF6, "ö" }, { "ş", 0x15F, "ş" }, { "語", 0x8A9E, "語" },
		{ "ctrl-a", 1, "ctrl-a" }, { "C-a", 1, "ctrl-a" }, { "Ctrl-A", 1, "ctrl-a" },
		{ "ctrl-z", 26, "ctrl-z" }, { "control-w", 23, "ctrl-w" },
		{ "ctrl-i", KEYS_FN | KEYS_K_TAB, "tab" }, { "ctrl-m", KEYS_FN | KEYS_K_ENTER, "enter" },
		{ "ctrl-[", KEYS_FN | KEYS_K_ESC, "esc" }, { "ctrl-h", KEYS_FN | KEYS_K_BACKSPACE, "backspace" },
		{ "ctrl-_", 31, "ctrl-_" }, { "ctrl-j", 10, "ctrl-j" }, { "ctrl-]", 29, "ctrl-]" },
		{ "meta-x", KEYS_META | 'x', "meta-x" }, { "alt-x", KEYS_META | 'x', "meta-x" },
		{ "M-b", KEYS_META | 'b', "meta-b" }, { "meta-ctrl-a", KEYS_META | 1, "meta-ctrl-a" },
		{ "ctrl-meta-a", KEYS_META | 1, "meta-ctrl-a" },
		{ "meta-left", KEYS_META | KEYS_FN | KEYS_K_LEFT, "meta-left" },
		{ "ctrl-left", KEYS_FN | KEYS_K_CTRL_LEFT, "ctrl-left" },
		{ "c-right", KEYS_FN | KEYS_K_CTRL_RIGHT, "ctrl-right" },
		{ "shift-tab", KEYS_FN | KEYS_K_BTAB, "shift-tab" }, { "backtab", KEYS_FN | KEYS_K_BTAB, "shift-tab" },
		{ "s-tab", KEYS_FN | KEYS_K_BTAB, "shift-tab" }, { "shift-a", 'A', "A" },
		{ "shift-up", KEYS_FN | KEYS_K_SHIFT_UP, "shift-up" },
		{ "F1", KEYS_F(1), "F1" }, { "f5", KEYS_F(5), "F5" }, { "F12", KEYS_F(12), "F12" },
		{ "F63", KEYS_F(63), "F63" }, { "meta-F5", KEYS_META | KEYS_F(5), "meta-F5" },
		{ "enter", KEYS_FN | KEYS_K_ENTER, "enter" }, { "Return", KEYS_FN | KEYS_K_ENTER, "enter" },
		{ "tab", KEYS_FN | KEYS_K_TAB, "tab" }, { "esc", KEYS_FN | KEYS_K_ESC, "esc" },
		{ "escape", KEYS_FN | KEYS_K_ESC, "esc" }, { "space", ' ', "space" },
		{ "backspace", KEYS_FN | KEYS_K_BACKSPACE, "backspace" },
		{ "delete", KEYS_FN | KEYS_K_DELETE, "delete" }, { "del", KEYS_FN | KEYS_K_DELETE, "delete" },
		{ "insert", KEYS_FN | KEYS_K_INSERT, "insert" }, { "home", KEYS_FN | KEYS_K_HOME, "home" },
		{ "end", KEYS_FN | KEYS_K_END, "end" }, { "pgup", KEYS_FN | KEYS_K_PGUP, "pgup" },
		{ "PageDown", KEYS_FN | KEYS_K_PGDN, "pgdn" }, { "up", KEYS_FN | KEYS_K_UP, "up" },
		{ "down", KEYS_FN | KEYS_K_DOWN, "down" }, { "left", KEYS_FN | KEYS_K_LEFT, "left" },
		{ "right", KEYS_FN | KEYS_K_RIGHT, "right" },
		{ "U+00E9", 0xE9, "é" }, { "u+2603", 0x2603, "☃" },
		{ "ctrl-delete", KEYS_FN | KEYS_K_CTRL_DELETE, "ctrl-delete" },
	};
	char err[256], name[64];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int key = -1, back = -1, failed = 0;
		err[0] = '\0';
		if (keys_parse(cases[i].name, &key, err, sizeof(err)) < 0 || key != cases[i].key) {
			printf("#   \"%s\": got %#x (%s), want %#x\n", cases[i].name, key, err,
			       cases[i].key);
			failed = 1;
		}
		keys_name(cases[i].key, name, sizeof(name));
		if (strcmp(name, cases[i].canon) != 0) {
			printf("#   name of %#x: \"%s\", want \"%s\"\n", cases[i].key, name, cases[i].canon);
			failed = 1;
		}
		/* The canonical name parses to the same key. */
		if (keys_parse(name, &back, err, sizeof(err)) < 0 || back != cases[i].key) {
			printf("#   \"%s\" does not round-trip: %#x\n", name, back);
			failed = 1;
		}
		test_report(cases[i].name, failed);
	}
}

static void test_parse_errors(void)
{
	static const struct {
		const char *name, *want;
	} cases[] = {
		{ "", "empty key name" },
		{ "ctrl-é", "cannot use ctrl- with" },
		{ "ctrl-1", "cannot use ctrl- with" },
		{ "shift-/", "write the shifted character itself" },
		{ "F0", "unknown key name" }, { "F64", "unknown key name" },
		{ "hyper-x", "unknown key name" }, { "jj", "unknown key name" },
		{ "\x01", "unknown key name" }, { "\x1b[A", "unknown key name" },
		{ "\xff", "unknown key name" }, { "U+0007", "unknown key name" },
		{ "U+D800", "unknown key name" }, { "meta-", "unknown key name" },
		{ "\xe2\x80\xae", "unknown key name" },	/* U+202E, a bidi control */
	};
	char err[256];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int key = 0;
		err[0] = '\0';
		int rc = keys_parse(cases[i].name, &key, err, sizeof(err));
		int failed = rc != -1 || !strstr(err, cases[i].want);
		if (failed)
			printf("#   case %zu: rc %d err \"%s\"\n", i, rc, err);
		test_report(cases[i].want, failed);
	}
}

static void test_names_unsafe(void)
{
	char name[64];

	/* A code point that must not reach a terminal is named, not printed. */
	keys_name(0x9b, name, sizeof(name));
	CHECK_STR(name, "U+009B");
	keys_name(0x202E, name, sizeof(name));
	CHECK_STR(name, "U+202E");
	keys_name(KEYS_FN | 0x55, name, sizeof(name));
	CHECK_STR(name, "key-85");
	/* A short buffer is cut, still NUL-terminated. */
	keys_name(KEYS_META | KEYS_FN | KEYS_K_CTRL_RIGHT, name, 6);
	CHECK_STR(name, "meta-");
}

static void test_from_curses(void)
{
	CHECK_INT(keys_from_curses(OK, 'j', false), 'j');
	CHECK_INT(keys_from_curses(OK, 'x', true), KEYS_META | 'x');
	CHECK_INT(keys_from_curses(OK, 0x15F, false), 0x15F);
	CHECK_INT(keys_from_curses(OK, 1, false), 1);
	CHECK_INT(keys_from_curses(OK, '\r', false), KEYS_FN | KEYS_K_ENTER);
	CHECK_INT(keys_from_curses(OK, '\n', false), 10);
	CHECK_INT(keys_from_curses(OK, '\t', false), KEYS_FN | KEYS_K_TAB);
	CHECK_INT(keys_from_curses(OK, 127, false), KEYS_FN | KEYS_K_BACKSPACE);
	CHECK_INT(keys_from_curses(OK, 8, false), KEYS_FN | KEYS_K_BACKSPACE);
	CHECK_INT(keys_from_curses(OK, 27, false), KEYS_FN | KEYS_K_ESC);
	CHECK_INT(keys_from_curses(OK, 0, false), KEYS_NONE);
	CHECK_INT(keys_from_curses(KEY_CODE_YES, KEY_LEFT, false), KEYS_FN | KEYS_K_LEFT);
	CHECK_INT(keys_from_curses(KEY_CODE_YES, KEY_LEFT, true), KEYS_META | KEYS_FN | KEYS_K_LEFT);
	CHECK_INT(keys_from_curses(KEY_CODE_YES, KEY_F(5), false), KEYS_F(5));
	CHECK_INT(keys_from_curses(KEY_CODE_YES, KEY_BTAB, false), KEYS_FN | KEYS_K_BTAB);
	CHECK_INT(keys_from_curses(KEY_CODE_YES, KEY_NPAGE, false), KEYS_FN | KEYS_K_PGDN);
	CHECK_INT(keys_from_curses(KEY_CODE_YES, KEY_BACKSPACE, false), KEYS_FN | KEYS_K_BACKSPACE);
	CHECK_INT(keys_from_curses(KEY_CODE_YES, KEY_RESIZE, false), KEYS_FN | KEYS_K_RESIZE);
	CHECK_INT(keys_from_curses(ERR, 'a', false), KEYS_NONE);
}

static void test_bindings(void)
{
	struct keys *k = keys_new();
	char err[256];
	int key;
	char *list, *f;

	/* Defaults the brief promises. */
	static const char *const defaults[][2] = {
		{ "j", "down" }, { "k", "up" }, { "enter", "select" }, { "tab", "focus-next" },
		{ ":", "command-line" }, { "?", "help" }, { "n", "next" }, { "p", "prev" },
		{ "/", "search" }, { "c", "compose" }, { "q", "quit" },
	};
	for (size_t i = 0; i < sizeof(defaults) / sizeof(defaults[0]); i++) {
		CHECK(keys_parse(defaults[i][0], &key, NULL, 0) == 0);
		CHECK_STR(keys_lookup(k, key), defaults[i][1]);
	}
	CHECK(keys_bind(k, "F5", "  claim next  ", err, sizeof(err)) == 0);
	keys_parse("F5", &key, NULL, 0);
	CHECK_STR(keys_lookup(k, key), "claim next");
	CHECK(keys_bind(k, "j", "say hello", err, sizeof(err)) == 0);
	CHECK_STR(keys_lookup(k, 'j'), "say hello");
	CHECK(keys_bind(k, "j", "none", err, sizeof(err)) == 0);
	CHECK(keys_lookup(k, 'j') == NULL);
	CHECK(keys_bind(k, "ctrl-é", "x", err, sizeof(err)) == -1);
	CHECK(keys_bind(k, "x", "say a\x1b[2Jb", err, sizeof(err)) == -1);
	CHECK(strstr(err, "control character") != NULL);
	CHECK(keys_bind(k, "x", "say \xff", err, sizeof(err)) == -1);
	CHECK(strstr(err, "UTF-8") != NULL);
	list = keys_list(k);
	CHECK(strstr(list, "F5           claim next\n") != NULL);
	CHECK(strstr(list, "?            help\n") != NULL);
	CHECK(strstr(list, "\nj ") == NULL && strncmp(list, "j ", 2) != 0);
	free(list);
	f = keys_for(k, "up");
	CHECK_STR(f, "k, up");
	free(f);
	f = keys_for(k, "nothing-bound");
	CHECK_STR(f, "");
	free(f);
	CHECK(keys_action_find("down") != NULL);
	CHECK(keys_action_find("  search foo") != NULL);
	CHECK(keys_action_find("claim next") == NULL);
	CHECK(keys_action_find("downx") == NULL);
	keys_free(k);
}

static char *write_tmp(const char *text)
{
	char *path = strdup("/tmp/baton-binds-XXXXXX");
	int fd = mkstemp(path);
	if (fd < 0)
		return path;
	if (write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		printf("# short write\n");
	close(fd);
	return path;
}

static void test_file(void)
{
	struct keys *k = keys_new();
	char err[512], want[600];
	char *path = write_tmp("# my keys\n\nbind F5 claim next\n  bind meta-d   discount 10% goodwill\n"
			       "unbind q\nbind ctrl-r say \"thanks; bye\"\n");
	int key;

	CHECK_INT(keys_load(k, path, false, err, sizeof(err)), 0);
	keys_parse("meta-d", &key, NULL, 0);
	CHECK_STR(keys_lookup(k, key), "discount 10% goodwill");
	CHECK(keys_lookup(k, 'q') == NULL);
	CHECK_STR(keys_lookup(k, 18), "say \"thanks; bye\"");
	unlink(path);
	free(path);

	path = write_tmp("bind F5 claim next\n\nbind ctrl-é x\n");
	CHECK_INT(keys_load(k, path, false, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s:3: cannot use ctrl- with", path);
	CHECK(strncmp(err, want, strlen(want)) == 0);
	unlink(path);
	free(path);

	path = write_tmp("bindx F5 claim\n");
	CHECK_INT(keys_load(k, path, false, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s:1: unknown directive \"bindx\"", path);
	CHECK(strncmp(err, want, strlen(want)) == 0);
	unlink(path);
	free(path);

	path = write_tmp("bind F6\n");
	CHECK_INT(keys_load(k, path, false, err, sizeof(err)), -1);
	CHECK(strstr(err, ":1: write \"bind KEY COMMAND\"") != NULL);
	unlink(path);
	free(path);

	CHECK_INT(keys_load(k, "/nonexistent/binds", true, err, sizeof(err)), 0);
	CHECK_INT(keys_load(k, "/nonexistent/binds", false, err, sizeof(err)), -1);
	CHECK(strstr(err, "/nonexistent/binds: cannot read") != NULL);
	keys_free(k);
}

static void test_default_path(void)
{
	char p[512];

	setenv("XDG_CONFIG_HOME", "/x/cfg", 1);
	keys_default_path(p, sizeof(p));
	CHECK_STR(p, "/x/cfg/baton/binds");
	unsetenv("XDG_CONFIG_HOME");
	setenv("HOME", "/home/ana", 1);
	keys_default_path(p, sizeof(p));
	CHECK_STR(p, "/home/ana/.config/baton/binds");
}

static const struct test tests[] = {
	TEST(test_parse_names), TEST(test_parse_errors), TEST(test_names_unsafe),
	TEST(test_from_curses), TEST(test_bindings), TEST(test_file), TEST(test_default_path),
};
TEST_MAIN(tests)
