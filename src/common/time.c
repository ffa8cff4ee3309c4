/* time.c: clocks and RFC 3339, the protocol's only time format. */
#include "baton/common.h"

#include <string.h>
#include <time.h>

int64_t time_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t time_mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Howard Hinnant's days_from_civil: proleptic Gregorian, no tables, no TZ. */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int *y, unsigned *m, unsigned *d)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	unsigned doe = (unsigned)(z - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t yy = (int64_t)yoe + era * 400;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int)(yy + (*m <= 2));
}

static void put_digits(char *p, unsigned v, int n)
{
	while (n-- > 0) {
		p[n] = (char)('0' + v % 10);
		v /= 10;
	}
}

/* The instants RFC 3339 can write: 0000-01-01T00:00:00.000Z to
 * 9999-12-31T23:59:59.999Z. */
#define TIME_MIN_MS INT64_C(-62167219200000)
#define TIME_MAX_MS INT64_C(253402300799999)

void time_format_rfc3339(int64_t ms, char out[TIME_RFC3339_LEN + 1])
{
	int64_t days;
	unsigned rem;
	int y;
	unsigned m, d;

	/* Outside what RFC 3339 can say: clamp to the first or last instant it
	 * can, so the text still parses back (and -ms cannot overflow below). */
	if (ms < TIME_MIN_MS)
		ms = TIME_MIN_MS;
	else if (ms > TIME_MAX_MS)
		ms = TIME_MAX_MS;
	days = ms >= 0 ? ms / 86400000 : -((-ms + 86399999) / 86400000);
	rem = (unsigned)(ms - days * 86400000);	/* 0 .. 86399999 */
	civil_from_days(days, &y, &m, &d);
	memcpy(out, "0000-00-00T00:00:00.000Z", TIME_RFC3339_LEN + 1);
	put_digits(out, (unsigned)y, 4);
	put_digits(out + 5, m, 2);
	put_digits(out + 8, d, 2);
	put_digits(out + 11, rem / 3600000, 2);
	put_digits(out + 14, rem / 60000 % 60, 2);
	put_digits(out + 17, rem / 1000 % 60, 2);
	put_digits(out + 20, rem % 1000, 3);
}

static int digits(const char *s, size_t n, int *out)
{
	int v = 0;

	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

int time_parse_rfc3339(const char *s, size_t len, int64_t *ms)
{
	static const unsigned mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int Y, M, D, h, mi, sec, frac = 0, off = 0;
	size_t i = 19;

	if (len < 20 || s[4] != '-' || s[7] != '-' ||
	    (s[10] != 'T' && s[10] != 't' && s[10] != ' ') || s[13] != ':' || s[16] != ':')
		return -1;
	if (digits(s, 4, &Y) || digits(s + 5, 2, &M) || digits(s + 8, 2, &D) ||
	    digits(s + 11, 2, &h) || digits(s + 14, 2, &mi) || digits(s + 17, 2, &sec))
		return -1;
	if (M < 1 || M > 12 || D < 1 || (unsigned)D > mdays[M - 1] || h > 23 || mi > 59 || sec > 60)
		return -1;
	if (M == 2 && D == 29 && !((Y % 4 == 0 && Y % 100 != 0) || Y % 400 == 0))
		return -1;
	if (s[i] == '.') {
		size_t nd = 0;
		i++;
		while (i < len && s[i] >= '0' && s[i] <= '9') {
			if (nd < 3)
				frac = frac * 10 + (s[i] - '0');
			nd++;
			i++;
		}
		if (nd == 0)
			return -1;
		for (; nd < 3; nd++)
			frac *= 10;
	}
	if (i >= len)
		return -1;
	if (s[i] == 'Z' || s[i] == 'z') {
		i++;
	} else if (s[i] == '+' || s[i] == '-') {
		int oh, om;
		if (len - i < 6 || s[i + 3] != ':' || digits(s + i + 1, 2, &oh) ||
		    digits(s + i + 4, 2, &om) || oh > 23 || om > 59)
			return -1;
		off = (oh * 60 + om) * (s[i] == '+' ? 1 : -1);
		i += 6;
	} else {
		return -1;
	}
	if (i != len)
		return -1;
	if (sec == 60)	/* a leap second is the last instant of its minute */
		sec = 59, frac = 999;
	int64_t days = days_from_civil(Y, (unsigned)M, (unsigned)D);
	int64_t t = ((days * 86400 + h * 3600 + mi * 60 + sec) - (int64_t)off * 60) * 1000 + frac;
	/* An offset can carry 0000-01-01 or 9999-12-31 out of the years RFC 3339
	 * can write in UTC; such a time could not be sent on again. */
	if (t < TIME_MIN_MS || t > TIME_MAX_MS)
		return -1;
	*ms = t;
	return 0;
}
