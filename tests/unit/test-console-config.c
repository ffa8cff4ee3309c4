/* test-console-config.c: the option table, defaults, the config file
 * (comments, quotes, errors naming file:line and what is accepted, unknown
 * keys warned), precedence, and typed getters. */
#include "baton/config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "baton/common.h"
#include "test.h"

static char *write_tmp(const char *text)
{
	char tmpl[] = "/tmp/baton-test-config-XXXXXX";
	int fd = mkstemp(tmpl);
	if (fd < 0)
		abort();
	if (write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		abort();
	close(fd);
	return xstrdup(tmpl);
}

static void test_table_and_defaults(void)
{
	size_t n;
	const struct config_opt *t = config_table(&n);
	static const char *const keys[] = { "url", "token_file", "insecure", "theme", "layout",
		"notify.bell", "notify.osc", "notify.desktop", "notify.hook", "notify.repeat_urgent_s",
		"notify.sla_lead_s", "notify.unclaimed_s", "supervisor.idle_s", "history_lines", "log_file" };
	struct config *cfg = config_new();

	for (size_t k = 0; k < BATON_ARRAY_LEN(keys); k++) {
		bool found = false;
		for (size_t i = 0; i < n; i++)
			if (strcmp(t[i].key, keys[k]) == 0)
				found = t[i].help && *t[i].help;
		CHECK(found);
	}
	CHECK_STR(config_get_str(cfg, "theme"), "night");
	CHECK_STR(config_get_str(cfg, "layout"), "auto");
	CHECK_STR(config_get_str(cfg, "notify.osc"), "auto");
	CHECK_INT(config_get_int(cfg, "notify.repeat_urgent_s"), 60);
	CHECK_INT(config_get_int(cfg, "notify.sla_lead_s"), 120);
	CHECK_INT(config_get_int(cfg, "notify.unclaimed_s"), 60);
	CHECK_INT(config_get_int(cfg, "supervisor.idle_s"), 300);
	CHECK(config_get_bool(cfg, "notify.bell"));
	CHECK(!config_get_bool(cfg, "insecure"));
	CHECK(config_get_str(cfg, "notify.hook") == NULL);
	CHECK_STR(config_origin(cfg, "theme"), "default");
	config_free(cfg);
}

static void test_file(void)
{
	struct config *cfg = config_new();
	char err[400], *warn = NULL;
	char *p = write_tmp("# my settings\n\n  theme = day  \nlayout=two\nnotify.osc = 9\n"
			    "notify.hook = \"notify-send # not a comment\"\nfrobnicate = 3\n"
			    "history_lines = 500\ninsecure = off\nlog_file = ~/baton.log\n");

	CHECK_INT(config_load(cfg, p, true, &warn, err, sizeof err), 0);
	CHECK_STR(config_get_str(cfg, "theme"), "day");
	CHECK_STR(config_get_str(cfg, "layout"), "two");
	CHECK_STR(config_get_str(cfg, "notify.osc"), "9");
	CHECK_STR(config_get_str(cfg, "notify.hook"), "notify-send # not a comment");
	CHECK_INT(config_get_int(cfg, "history_lines"), 500);
	CHECK(!config_get_bool(cfg, "insecure"));
	CHECK(warn && strstr(warn, ":7: unknown option \"frobnicate\""));
	const char *home = getenv("HOME");
	if (home) {
		char *want = xasprintf("%s/baton.log", home);
		CHECK_STR(config_get_str(cfg, "log_file"), want);
		free(want);
	}
	char *origin = xasprintf("%s:3", p);
	CHECK_STR(config_origin(cfg, "theme"), origin);
	free(origin);
	free(warn);
	unlink(p);
	free(p);

	/* Command line over the file. */
	CHECK_INT(config_set(cfg, "theme", "mono", "--theme", err, sizeof err), 0);
	CHECK_STR(config_origin(cfg, "theme"), "--theme");
	config_free(cfg);
}

static void test_errors(void)
{
	static const struct { const char *text, *want; } cases[] = {
		{ "layout = four\n", ":1: layout: \"four\" is not accepted; accepted: auto|three|two|tabs" },
		{ "\n\nnotify.bell = perhaps\n", ":3: notify.bell: \"perhaps\" is not yes or no" },
		{ "history_lines = 5\n", ":1: history_lines: \"5\" is not a whole number in 20-100000" },
		{ "history_lines = 50x\n", "not a whole number" },
		{ "just words\n", ":1: expected \"key = value\"" },
		{ " = x\n", ":1: a key is missing" },
		{ "theme = \"night\n", ":1: the value's closing double quote is missing" },
		{ "url = http://x\n", "must start with ws:// or wss://" },
		{ "theme = \xff\xfe\n", "not valid UTF-8" },
	};
	char err[400];

	for (size_t i = 0; i < BATON_ARRAY_LEN(cases); i++) {
		struct config *cfg = config_new();
		char *p = write_tmp(cases[i].text);
		int rc = config_load(cfg, p, true, NULL, err, sizeof err);
		CHECK_INT(rc, -1);
		if (!strstr(err, cases[i].want) || strncmp(err, p, strlen(p)) != 0) {
			printf("#   case %zu: \"%s\" lacks \"%s\"\n", i, err, cases[i].want);
			test_failed_ = 1;
		}
		unlink(p);
		free(p);
		config_free(cfg);
	}
	/* Missing files: fine unless asked for by name. */
	struct config *cfg = config_new();
	CHECK_INT(config_load(cfg, "/nonexistent/baton/config", false, NULL, err, sizeof err), 0);
	CHECK_INT(config_load(cfg, "/nonexistent/baton/config", true, NULL, err, sizeof err), -1);
	CHECK(strstr(err, "cannot read") != NULL);
	CHECK_INT(config_set(cfg, "nope", "1", "--nope", err, sizeof err), -1);
	CHECK(strstr(err, "unknown option") != NULL);
	config_free(cfg);
}

static void test_paths(void)
{
	char *old = getenv("XDG_CONFIG_HOME") ? xstrdup(getenv("XDG_CONFIG_HOME")) : NULL;
	setenv("XDG_CONFIG_HOME", "/x/cfg", 1);
	char *p = config_path("config");
	CHECK_STR(p, "/x/cfg/baton/config");
	free(p);
	setenv("XDG_CONFIG_HOME", "relative", 1);	/* ignored, per the XDG spec */
	p = config_path("binds");
	CHECK(strstr(p, "/.config/baton/binds") != NULL);
	free(p);
	if (old)
		setenv("XDG_CONFIG_HOME", old, 1);
	else
		unsetenv("XDG_CONFIG_HOME");
	free(old);
}

static const struct test tests[] = {
	TEST(test_table_and_defaults),
	TEST(test_file),
	TEST(test_errors),
	TEST(test_paths),
};
TEST_MAIN(tests)
