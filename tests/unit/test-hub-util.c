/* test-hub-util.c: wire ids, latency quantiles, tokens and their hashes. */
#include "baton/hub.h"
#include "baton/hub-sha256.h"

#include <stdlib.h>

#include "test.h"

static void test_id_parse(void)
{
	static const struct { const char *s, *prefix; int64_t want; } cases[] = {
		{ "c-1", "c-", 1 }, { "c-1042", "c-", 1042 }, { "c-0", "c-", 0 },
		{ "c-", "c-", -1 }, { "c-x", "c-", -1 }, { "c-1x", "c-", -1 }, { "m-1", "c-", -1 },
		{ "c--1", "c-", -1 }, { "c-1234567890123456", "c-", -1 },	/* 16 digits: refused */
		{ "c-123456789012345", "c-", 123456789012345 }, { "rma-7", "rma-", 7 }, { "", "c-", -1 },
		{ "c- 1", "c-", -1 },
	};
	for (size_t i = 0; i < BATON_ARRAY_LEN(cases); i++) {
		int64_t got = hub_id_parse(cases[i].s, cases[i].prefix);
		if (got != cases[i].want) {
			printf("#   hub_id_parse(\"%s\", \"%s\") = %lld, expected %lld\n", cases[i].s, cases[i].prefix,
			       (long long)got, (long long)cases[i].want);
			test_failed_ = 1;
		}
	}
	CHECK_INT(hub_id_parse(NULL, "c-"), -1);
	struct proto_arena *a = proto_arena_new();
	CHECK_STR(hub_id_fmt(a, "lbl-", 42), "lbl-42");
	proto_arena_free(a);
}

static void test_quantile(void)
{
	uint64_t b[32] = { 0 };

	CHECK_INT(hub_metrics_quantile(b, 0, 0.5), 0);
	b[3] = 90;	/* 90 samples of at most 8 us */
	b[10] = 10;	/* 10 of at most 1024 us */
	CHECK_INT(hub_metrics_quantile(b, 100, 0.5), 8);
	CHECK_INT(hub_metrics_quantile(b, 100, 0.89), 8);
	CHECK_INT(hub_metrics_quantile(b, 100, 0.99), 1024);
	CHECK_INT(hub_metrics_quantile(b, 100, 1.0), 1024);
}

static void test_token(void)
{
	char *t1 = hub_token_new(), *t2 = hub_token_new();
	char h[65], h2[65];

	CHECK_INT(strlen(t1), 46);
	CHECK(strncmp(t1, "bt_", 3) == 0);
	CHECK(strcmp(t1, t2) != 0);
	for (const char *p = t1 + 3; *p; p++)
		CHECK((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9'));
	hub_token_hash(t1, h);
	sha256_hex(t1, strlen(t1), h2);
	CHECK_STR(h, h2);
	CHECK(strstr(h, t1 + 3) == NULL);
	free(t1);
	free(t2);
}

static const struct test tests[] = { TEST(test_id_parse), TEST(test_quantile), TEST(test_token) };
TEST_MAIN(tests)
