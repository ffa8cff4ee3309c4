/* test-hub-config.c: batond.conf parsing, defaults and errors that name the line. */
#include "baton/hub.h"

#include <stdlib.h>
#include <unistd.h>

#include "test.h"

static char *write_tmp(const char *text)
{
	char *path = xstrdup("/tmp/test-hub-config.XXXXXX");
	int fd = mkstemp(path);
	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		abort();
	close(fd);
	return path;
}

static void test_defaults(void)
{
	struct hub_config c;

	hub_config_defaults(&c);
	CHECK_STR(c.listen, "127.0.0.1:7300");
	CHECK_STR(c.currency, "EUR");
	CHECK_INT(c.cap_percent[PROTO_ROLE_AGENT], 15);
	CHECK_INT(c.cap_amount_minor[PROTO_ROLE_AGENT], 5000);
	CHECK_INT(c.cap_percent[PROTO_ROLE_SUPERVISOR], 40);
	CHECK_INT(c.cap_amount_minor[PROTO_ROLE_SUPERVISOR], 50000);
	CHECK_INT(c.approval_ttl_s, 900);
	CHECK_INT(c.return_window_days, 30);
	CHECK_INT(c.max_frame_bytes, 65536);
	hub_config_free(&c);
}

static void test_load(void)
{
	struct hub_config c;
	char err[256];
	char *p = write_tmp("# a comment\n\nlisten = 0.0.0.0:8080\ncurrency = PLN  # trailing\n"
			    "agent_discount_percent_max = 10\nrate_per_s = 2.5\ndb = /var/lib/batond/x.db\n");

	hub_config_defaults(&c);
	CHECK_INT(hub_config_load(&c, p, err, sizeof err), 0);
	CHECK_STR(c.listen, "0.0.0.0:8080");
	CHECK_STR(c.currency, "PLN");
	CHECK_INT(c.cap_percent[PROTO_ROLE_AGENT], 10);
	CHECK(c.rate_per_s > 2.4 && c.rate_per_s < 2.6);
	CHECK_STR(c.db_path, "/var/lib/batond/x.db");
	hub_config_free(&c);
	unlink(p);
	free(p);
}

static void test_errors(void)
{
	static const struct { const char *text, *want; } cases[] = {
		{ "listen = nowhere\n", ":1: listen" },
		{ "\n\nbogus = 1\n", ":3: unknown setting \"bogus\"" },
		{ "currency = euro\n", "ISO 4217" },
		{ "agent_discount_percent_max = 101\n", "from 0 to 100" },
		{ "max_frame_bytes = 12x\n", "whole number" },
		{ "just words\n", "key = value" },
		{ "cert = /x.pem\n", "cert and key go together" },
		{ "log_level = loud\n", "debug, info" },
	};
	for (size_t i = 0; i < BATON_ARRAY_LEN(cases); i++) {
		struct hub_config c;
		char err[256] = "";
		char *p = write_tmp(cases[i].text);
		hub_config_defaults(&c);
		CHECK_INT(hub_config_load(&c, p, err, sizeof err), -1);
		if (!strstr(err, cases[i].want))
			printf("#   case %zu: \"%s\" lacks \"%s\"\n", i, err, cases[i].want), test_failed_ = 1;
		hub_config_free(&c);
		unlink(p);
		free(p);
	}
	struct hub_config c;
	char err[256];
	hub_config_defaults(&c);
	CHECK_INT(hub_config_load(&c, "/nonexistent/batond.conf", err, sizeof err), -1);
	CHECK(strstr(err, "cannot read") != NULL);
	hub_config_free(&c);
}

static void test_listen_split(void)
{
	char addr[64];
	int port;

	CHECK_INT(hub_listen_split("127.0.0.1:7300", addr, sizeof addr, &port), 0);
	CHECK_STR(addr, "127.0.0.1");
	CHECK_INT(port, 7300);
	CHECK_INT(hub_listen_split("[::1]:80", addr, sizeof addr, &port), 0);
	CHECK_STR(addr, "::1");
	CHECK_INT(hub_listen_split("host:", addr, sizeof addr, &port), -1);
	CHECK_INT(hub_listen_split(":80", addr, sizeof addr, &port), -1);
	CHECK_INT(hub_listen_split("h:70000", addr, sizeof addr, &port), -1);
	CHECK_INT(hub_listen_split("nocolon", addr, sizeof addr, &port), -1);
}

static const struct test tests[] = {
	TEST(test_defaults), TEST(test_load), TEST(test_errors), TEST(test_listen_split),
};
TEST_MAIN(tests)
