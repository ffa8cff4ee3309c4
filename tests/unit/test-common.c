/*
 * test-common.c: RFC 3339 times, strbuf, rand_below and file_read.
 *
 * Times are the protocol's only time format and every frame carries some,
 * so the parser is tested against the edges of the grammar (fractions,
 * offsets, leap years and leap seconds, bounds) and round-tripped.
 */
#include "baton/common.h"

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "test.h"

/* 2026-11-22T03:14:07.123Z, computed independently (python datetime). */
#define T_2026 INT64_C(1795317247123)
#define T_MIN INT64_C(-62167219200000)	/* 0000-01-01T00:00:00.000Z */
#define T_MAX INT64_C(253402300799999)	/* 9999-12-31T23:59:59.999Z */

static int parse(const char *s, int64_t *ms)
{
	*ms = INT64_C(0x5a5a5a5a);
	return time_parse_rfc3339(s, strlen(s), ms);
}

static void test_time_parse_basic(void)
{
	int64_t ms;

	CHECK_INT(parse("2026-11-22T03:14:07.123Z", &ms), 0);
	CHECK_INT(ms, T_2026);
	CHECK_INT(parse("1970-01-01T00:00:00Z", &ms), 0);
	CHECK_INT(ms, 0);
	CHECK_INT(parse("1969-12-31T23:59:59.999Z", &ms), 0);
	CHECK_INT(ms, -1);
	/* Lower-case t and z, and a space for T, are allowed by RFC 3339 §5.6. */
	CHECK_INT(parse("2026-11-22t03:14:07.123z", &ms), 0);
	CHECK_INT(ms, T_2026);
	CHECK_INT(parse("2026-11-22 03:14:07.123Z", &ms), 0);
	CHECK_INT(ms, T_2026);
	CHECK_INT(parse("0000-01-01T00:00:00Z", &ms), 0);
	CHECK_INT(ms, T_MIN);
	CHECK_INT(parse("9999-12-31T23:59:59.999Z", &ms), 0);
	CHECK_INT(ms, T_MAX);
}

static void test_time_parse_fraction(void)
{
	int64_t ms;

	CHECK_INT(parse("2026-11-22T03:14:07.1Z", &ms), 0);
	CHECK_INT(ms, T_2026 - 23);
	CHECK_INT(parse("2026-11-22T03:14:07.12Z", &ms), 0);
	CHECK_INT(ms, T_2026 - 3);
	/* Digits past milliseconds are dropped, not rounded. */
	CHECK_INT(parse("2026-11-22T03:14:07.123999Z", &ms), 0);
	CHECK_INT(ms, T_2026);
	CHECK_INT(parse("2026-11-22T03:14:07.123456789012Z", &ms), 0);
	CHECK_INT(ms, T_2026);
	CHECK_INT(parse("2026-11-22T03:14:07.000Z", &ms), 0);
	CHECK_INT(ms, T_2026 - 123);
	CHECK_INT(parse("2026-11-22T03:14:07.Z", &ms), -1);
	CHECK_INT(parse("2026-11-22T03:14:07.12a3Z", &ms), -1);
	CHECK_INT(parse("2026-11-22T03:14:07,123Z", &ms), -1);
}

static void test_time_parse_offsets(void)
{
	int64_t ms;

	CHECK_INT(parse("2026-11-22T05:14:07.123+02:00", &ms), 0);
	CHECK_INT(ms, T_2026);
	CHECK_INT(parse("2026-11-21T21:44:07.123-05:30", &ms), 0);
	CHECK_INT(ms, T_2026);
	CHECK_INT(parse("2026-11-22T03:14:07.123+00:00", &ms), 0);
	CHECK_INT(ms, T_2026);
	CHECK_INT(parse("2026-11-22T03:14:07.123-00:00", &ms), 0);
	CHECK_INT(ms, T_2026);
	/* Across a year boundary. */
	CHECK_INT(parse("2027-01-01T01:00:00+02:00", &ms), 0);
	CHECK_INT(parse("2026-12-31T23:00:00Z", &ms), 0);
	CHECK_INT(ms, INT64_C(1798758000000));
	CHECK_INT(parse("2026-11-22T03:14:07+0200", &ms), -1);
	CHECK_INT(parse("2026-11-22T03:14:07+02", &ms), -1);
	CHECK_INT(parse("2026-11-22T03:14:07+24:00", &ms), -1);
	CHECK_INT(parse("2026-11-22T03:14:07+02:60", &ms), -1);
	CHECK_INT(parse("2026-11-22T03:14:07+02:00Z", &ms), -1);
	/* An offset must not carry the instant out of years 0000..9999. */
	CHECK_INT(parse("0000-01-01T00:00:00+01:00", &ms), -1);
	CHECK_INT(parse("9999-12-31T23:59:59-01:00", &ms), -1);
	CHECK_INT(parse("0000-01-01T01:00:00+01:00", &ms), 0);
	CHECK_INT(ms, T_MIN);
}

static void test_time_parse_calendar(void)
{
	int64_t ms;

	CHECK_INT(parse("2024-02-29T12:00:00Z", &ms), 0);
	CHECK_INT(parse("2000-02-29T12:00:00Z", &ms), 0);
	CHECK_INT(parse("2023-02-29T12:00:00Z", &ms), -1);
	CHECK_INT(parse("1900-02-29T12:00:00Z", &ms), -1);
	CHECK_INT(parse("2100-02-29T12:00:00Z", &ms), -1);
	CHECK_INT(parse("2024-02-30T12:00:00Z", &ms), -1);
	CHECK_INT(parse("2026-04-31T12:00:00Z", &ms), -1);
	CHECK_INT(parse("2026-06-31T12:00:00Z", &ms), -1);
	CHECK_INT(parse("2026-12-31T12:00:00Z", &ms), 0);
	CHECK_INT(parse("2026-13-01T12:00:00Z", &ms), -1);
	CHECK_INT(parse("2026-00-01T12:00:00Z", &ms), -1);
	CHECK_INT(parse("2026-01-00T12:00:00Z", &ms), -1);
	CHECK_INT(parse("2026-01-32T12:00:00Z", &ms), -1);
	CHECK_INT(parse("2026-01-01T24:00:00Z", &ms), -1);
	CHECK_INT(parse("2026-01-01T23:60:00Z", &ms), -1);
	CHECK_INT(parse("2026-01-01T23:59:61Z", &ms), -1);
	/* 2024-02-29 is day 59 of 2024 (0-based), 2024-01-01 is 1704067200 s. */
	CHECK_INT(parse("2024-02-29T00:00:00Z", &ms), 0);
	CHECK_INT(ms, (INT64_C(1704067200) + 59 * 86400) * 1000);
}

static void test_time_parse_leap_second(void)
{
	int64_t ms;

	/* A leap second is kept inside its minute, as its last instant. */
	CHECK_INT(parse("2016-12-31T23:59:60Z", &ms), 0);
	CHECK_INT(ms, INT64_C(1483228799999));
	CHECK_INT(parse("2016-12-31T23:59:60.5Z", &ms), 0);
	CHECK_INT(ms, INT64_C(1483228799999));
}

static void test_time_parse_malformed(void)
{
	static const char *const bad[] = {
		"", "2026", "2026-11-22", "2026-11-22T03:14:07", "2026-11-22T03:14Z",
		"2026-11-22T3:14:07Z", "26-11-22T03:14:07Z", "2026/11/22T03:14:07Z",
		"2026-11-22X03:14:07Z", "2026-11-22T03-14-07Z", "2026-11-22T03:14:07Zjunk",
		"2026-11-22T03:14:07 Z", " 2026-11-22T03:14:07Z", "+2026-11-22T03:14:07Z",
		"2026-1a-22T03:14:07Z", "2026-11-22T03:14:07.123", "2026-11-22T03:14:07Q",
		"-026-11-22T03:14:07Z", "2026-11-22T03:14:07.123+02:0a",
	};
	int64_t ms;

	for (size_t i = 0; i < BATON_ARRAY_LEN(bad); i++) {
		int r = parse(bad[i], &ms);
		if (r != -1)
			printf("#   accepted \"%s\"\n", bad[i]);
		CHECK_INT(r, -1);
		CHECK_INT(ms, INT64_C(0x5a5a5a5a));	/* untouched on failure */
	}
}

static void test_time_parse_len(void)
{
	const char *s = "2026-11-22T03:14:07.123Z and more";
	int64_t ms;

	/* Only len bytes count: the parser must not read past them. */
	CHECK_INT(time_parse_rfc3339(s, 24, &ms), 0);
	CHECK_INT(ms, T_2026);
	CHECK_INT(time_parse_rfc3339(s, 23, &ms), -1);
	CHECK_INT(time_parse_rfc3339(s, 25, &ms), -1);
	CHECK_INT(time_parse_rfc3339(s, 19, &ms), -1);
	CHECK_INT(time_parse_rfc3339(s, 0, &ms), -1);
	/* A heap copy without a NUL: ASan catches any read past the end. */
	char *h = xmalloc(20);
	memcpy(h, "2026-11-22T03:14:07.", 20);
	CHECK_INT(time_parse_rfc3339(h, 20, &ms), -1);
	memcpy(h, "2026-11-22T03:14:07+", 20);
	CHECK_INT(time_parse_rfc3339(h, 20, &ms), -1);
	free(h);
}

static void test_time_format(void)
{
	char out[TIME_RFC3339_LEN + 1];

	time_format_rfc3339(T_2026, out);
	CHECK_STR(out, "2026-11-22T03:14:07.123Z");
	time_format_rfc3339(0, out);
	CHECK_STR(out, "1970-01-01T00:00:00.000Z");
	time_format_rfc3339(-1, out);
	CHECK_STR(out, "1969-12-31T23:59:59.999Z");
	time_format_rfc3339(INT64_C(951782400000), out);	/* 2000-02-29 */
	CHECK_STR(out, "2000-02-29T00:00:00.000Z");
	time_format_rfc3339(T_MIN, out);
	CHECK_STR(out, "0000-01-01T00:00:00.000Z");
	time_format_rfc3339(T_MAX, out);
	CHECK_STR(out, "9999-12-31T23:59:59.999Z");
	/* Out of range clamps to an instant that parses back. */
	time_format_rfc3339(T_MIN - 1, out);
	CHECK_STR(out, "0000-01-01T00:00:00.000Z");
	time_format_rfc3339(INT64_MIN, out);
	CHECK_STR(out, "0000-01-01T00:00:00.000Z");
	time_format_rfc3339(T_MAX + 1, out);
	CHECK_STR(out, "9999-12-31T23:59:59.999Z");
	time_format_rfc3339(INT64_MAX, out);
	CHECK_STR(out, "9999-12-31T23:59:59.999Z");
	CHECK_INT(strlen(out), TIME_RFC3339_LEN);
}

static void test_time_round_trip(void)
{
	char out[TIME_RFC3339_LEN + 1];
	int64_t ms, span = T_MAX - T_MIN;
	int bad = 0;

	/* Every day boundary of a leap and a common year, then random instants. */
	for (int64_t d = 0; d < 2 * 366; d++) {
		int64_t t = INT64_C(1704067200000) + d * 86400000 - 1;
		time_format_rfc3339(t, out);
		if (time_parse_rfc3339(out, strlen(out), &ms) != 0 || ms != t)
			bad++;
	}
	for (int i = 0; i < 20000; i++) {
		uint64_t r = ((uint64_t)rand_below(UINT32_MAX) << 32) | rand_below(UINT32_MAX);
		int64_t t = T_MIN + (int64_t)(r % (uint64_t)span);
		time_format_rfc3339(t, out);
		if (time_parse_rfc3339(out, strlen(out), &ms) != 0 || ms != t) {
			if (bad++ < 5)
				printf("#   %lld -> %s -> %lld\n", (long long)t, out, (long long)ms);
		}
	}
	CHECK_INT(bad, 0);
	CHECK_INT(parse("2026-11-22T05:14:07.123+02:00", &ms), 0);
	time_format_rfc3339(ms, out);
	CHECK_STR(out, "2026-11-22T03:14:07.123Z");
}

static void test_time_clocks(void)
{
	int64_t now = time_now_ms(), m1 = time_mono_us(), m2 = time_mono_us();

	CHECK(now > INT64_C(1700000000000));	/* after 2023 */
	CHECK(m2 >= m1);
}

static void test_strbuf(void)
{
	struct strbuf sb = STRBUF_INIT;

	CHECK_STR(sb_str(&sb), "");
	CHECK_INT(sb.len, 0);
	sb_adds(&sb, "abc");
	sb_addc(&sb, 'd');
	sb_add(&sb, "e\0f", 3);	/* bytes, NUL included */
	CHECK_INT(sb.len, 7);
	CHECK(memcmp(sb.buf, "abcde\0f", 8) == 0);
	sb_reset(&sb);
	CHECK_INT(sb.len, 0);
	CHECK_STR(sb_str(&sb), "");
	/* Formatting past the first growth step. */
	for (int i = 0; i < 1000; i++)
		sb_addf(&sb, "%04d,", i);
	CHECK_INT(sb.len, 5000);
	CHECK(strncmp(sb.buf + 4995, "0999,", 5) == 0);
	CHECK_INT(sb.buf[sb.len], '\0');
	CHECK(sb.cap > sb.len);
	sb_free(&sb);
	char big[300];
	memset(big, 'x', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	sb_addf(&sb, "[%s]", big);	/* into a fresh buffer: longer than the 64 bytes first tried */
	CHECK_INT(sb.len, 301);
	CHECK(sb.buf[0] == '[' && sb.buf[1] == 'x' && sb.buf[299] == 'x');
	CHECK_INT(sb.buf[300], ']');
	char *s = sb_take(&sb);
	CHECK_INT(strlen(s), 301);
	CHECK(sb.buf == NULL && sb.len == 0 && sb.cap == 0);
	free(s);
	s = sb_take(&sb);	/* empty: still a string the caller frees */
	CHECK_STR(s, "");
	free(s);
	sb_grow(&sb, 1000);
	CHECK(sb.cap >= 1001);
	sb_free(&sb);
	CHECK(sb.buf == NULL);
	sb_free(&sb);	/* twice is harmless */
}

static void test_xalloc(void)
{
	char *s = xasprintf("%s-%d", "c", 1042);
	CHECK_STR(s, "c-1042");
	free(s);
	s = xstrndup("abcdef", 3);
	CHECK_STR(s, "abc");
	free(s);
	s = xstrdup("");
	CHECK_STR(s, "");
	free(s);
	int *z = xcalloc(16, sizeof(int));
	int sum = 0;
	for (int i = 0; i < 16; i++)
		sum += z[i];
	CHECK_INT(sum, 0);
	z = xrealloc(z, 4096 * sizeof(int));
	z[4095] = 7;
	CHECK_INT(z[4095], 7);
	free(z);
	free(xmalloc(0));	/* a valid pointer, not NULL */
}

static void test_rand_below(void)
{
	int seen[7] = { 0 };
	int out_of_range = 0;

	CHECK_INT(rand_below(0), 0);
	CHECK_INT(rand_below(1), 0);
	for (int i = 0; i < 7000; i++) {
		uint32_t x = rand_below(7);
		if (x >= 7)
			out_of_range++;
		else
			seen[x]++;
	}
	CHECK_INT(out_of_range, 0);
	/* Each value expected 1000 times; 700 is over 9 standard deviations away. */
	for (int i = 0; i < 7; i++)
		CHECK(seen[i] > 700 && seen[i] < 1300);
	for (int i = 0; i < 1000; i++) {
		if (rand_below(2) > 1)
			out_of_range++;
		if (rand_below(UINT32_MAX) == UINT32_MAX)
			out_of_range++;
		if (rand_below((UINT32_C(1) << 31) + 1) > (UINT32_C(1) << 31))
			out_of_range++;
	}
	CHECK_INT(out_of_range, 0);
}

static void test_rand_string(void)
{
	char s[65];

	rand_string(s, 64, "ABC");
	CHECK_INT(strlen(s), 64);
	CHECK_INT(strspn(s, "ABC"), 64);
	rand_string(s, 0, "ABC");
	CHECK_STR(s, "");
	/* Two 16-byte random strings colliding means the CSPRNG is broken. */
	char a[33], b[33];
	rand_string(a, 32, "0123456789abcdef");
	rand_string(b, 32, "0123456789abcdef");
	CHECK(strcmp(a, b) != 0);
	unsigned char zero[32] = { 0 }, buf[32] = { 0 };
	rand_bytes(buf, sizeof buf);
	CHECK(memcmp(buf, zero, sizeof buf) != 0);
}

static char *write_temp(const char *data, size_t n)
{
	char tmpl[] = "/tmp/baton-test-common.XXXXXX";
	int fd = mkstemp(tmpl);

	if (fd < 0)
		return NULL;
	if (write(fd, data, n) != (ssize_t)n) {
		close(fd);
		unlink(tmpl);
		return NULL;
	}
	close(fd);
	return xstrdup(tmpl);
}

static void test_file_read(void)
{
	size_t n = 20000, len = 0;
	char *data = xmalloc(n), *path, *got;

	for (size_t i = 0; i < n; i++)
		data[i] = (char)(i * 7 % 251);	/* binary, NULs included */
	path = write_temp(data, n);
	CHECK(path != NULL);
	if (!path)
		goto out;
	got = file_read(path, n, &len);
	CHECK(got != NULL);
	CHECK_INT(len, n);
	if (got) {
		CHECK(memcmp(got, data, n) == 0);
		CHECK_INT(got[n], '\0');	/* always terminated */
	}
	free(got);
	errno = 0;
	got = file_read(path, n - 1, &len);
	CHECK(got == NULL);
	CHECK_INT(errno, EFBIG);
	got = file_read(path, 8192, NULL);	/* limit at a chunk boundary */
	CHECK(got == NULL);
	unlink(path);
	free(path);

	path = write_temp("", 0);
	CHECK(path != NULL);
	if (path) {
		got = file_read(path, 0, &len);
		CHECK(got != NULL);
		CHECK_INT(len, 0);
		if (got)
			CHECK_STR(got, "");
		free(got);
		unlink(path);
		free(path);
	}
	errno = 0;
	got = file_read("/nonexistent/baton/file", 100, &len);
	CHECK(got == NULL);
	CHECK_INT(errno, ENOENT);
	errno = 0;
	got = file_read("/tmp", 100, &len);	/* a directory reads as an error */
	CHECK(got == NULL);
	CHECK(errno != 0);
out:
	free(data);
}

static const struct test tests[] = {
	TEST(test_time_parse_basic),
	TEST(test_time_parse_fraction),
	TEST(test_time_parse_offsets),
	TEST(test_time_parse_calendar),
	TEST(test_time_parse_leap_second),
	TEST(test_time_parse_malformed),
	TEST(test_time_parse_len),
	TEST(test_time_format),
	TEST(test_time_round_trip),
	TEST(test_time_clocks),
	TEST(test_strbuf),
	TEST(test_xalloc),
	TEST(test_rand_below),
	TEST(test_rand_string),
	TEST(test_file_read),
};
TEST_MAIN(tests)
