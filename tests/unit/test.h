/*
 * test.h: a tiny TAP producer for baton's C unit tests.
 *
 *   static void test_parse(void) { CHECK(x == 1); CHECK_STR(a, "b"); }
 *   static const struct test tests[] = { TEST(test_parse), ... };
 *   TEST_MAIN(tests)
 *
 * Each TEST is one TAP line ("ok 3 - test_parse"); a failed CHECK prints a
 * "# file:line: ..." diagnostic and marks the test failed but keeps going.
 * tests/run counts the lines of every test program.
 */
#ifndef BATON_TEST_H
#define BATON_TEST_H

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct test {
	const char *name;
	void (*fn)(void);
};
#define TEST(fn) { #fn, fn }

static int test_failed_;

#define CHECK(cond) do { \
	if (!(cond)) { \
		printf("#   %s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #cond); \
		test_failed_ = 1; \
	} \
} while (0)

#define CHECK_INT(got, want) do { \
	long long g_ = (long long)(got), w_ = (long long)(want); \
	if (g_ != w_) { \
		printf("#   %s:%d: %s == %lld, expected %lld\n", __FILE__, __LINE__, #got, g_, w_); \
		test_failed_ = 1; \
	} \
} while (0)

#define CHECK_STR(got, want) do { \
	const char *g_ = (got), *w_ = (want); \
	if (!g_ || !w_ || strcmp(g_, w_) != 0) { \
		printf("#   %s:%d: %s == \"%s\", expected \"%s\"\n", __FILE__, __LINE__, #got, \
		       g_ ? g_ : "(null)", w_ ? w_ : "(null)"); \
		test_failed_ = 1; \
	} \
} while (0)

/* Data-driven tests report each case as its own TAP line. */
static int test_count_;
static int test_fail_count_;
static inline void test_report(const char *name, int failed)
{
	test_count_++;
	if (failed)
		test_fail_count_++;
	printf("%s %d - %s\n", failed ? "not ok" : "ok", test_count_, name);
	fflush(stdout);
}

static inline int test_run_(const struct test *t, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		test_failed_ = 0;
		t[i].fn();
		test_report(t[i].name, test_failed_);
	}
	printf("1..%d\n", test_count_);
	return test_fail_count_ ? 1 : 0;
}

#define TEST_MAIN(tests) \
	int main(void) { return test_run_(tests, sizeof(tests) / sizeof(tests[0])); }

#endif
