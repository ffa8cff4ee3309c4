/*
 * utf8.c: UTF-8 decoding with Unicode's "substitution of maximal subparts".
 *
 * A well-formed sequence is one row of the Unicode Standard's table 3-7:
 *
 *   lead      2nd      3rd      4th
 *   00..7F
 *   C2..DF    80..BF
 *   E0        A0..BF   80..BF
 *   E1..EC    80..BF   80..BF
 *   ED        80..9F   80..BF            (not surrogates)
 *   EE..EF    80..BF   80..BF
 *   F0        90..BF   80..BF   80..BF   (not overlong)
 *   F1..F3    80..BF   80..BF   80..BF
 *   F4        80..8F   80..BF   80..BF   (not above U+10FFFF)
 *
 * Anything else decodes as U+FFFD, consuming the longest prefix of a
 * well-formed sequence that is there (at least one byte), so the byte that
 * broke it starts the next character. This is what browsers and the WHATWG
 * encoding standard do, so an agent sees the same replacement characters
 * everyone else would.
 */
#include "baton/text.h"

#include "text-internal.h"

/*
 * The range the second byte must be in for each lead byte; 0 in lo means the
 * lead byte is invalid. The third and fourth bytes are always 80..BF.
 */
struct utf8_lead {
	uint8_t len;
	uint8_t lo, hi;
};

static struct utf8_lead utf8_lead_of(unsigned char c)
{
	struct utf8_lead l = { 0, 0, 0 };

	if (c >= 0xC2 && c <= 0xDF)
		l = (struct utf8_lead){ 2, 0x80, 0xBF };
	else if (c == 0xE0)
		l = (struct utf8_lead){ 3, 0xA0, 0xBF };
	else if (c == 0xED)
		l = (struct utf8_lead){ 3, 0x80, 0x9F };
	else if (c >= 0xE1 && c <= 0xEF)
		l = (struct utf8_lead){ 3, 0x80, 0xBF };
	else if (c == 0xF0)
		l = (struct utf8_lead){ 4, 0x90, 0xBF };
	else if (c >= 0xF1 && c <= 0xF3)
		l = (struct utf8_lead){ 4, 0x80, 0xBF };
	else if (c == 0xF4)
		l = (struct utf8_lead){ 4, 0x80, 0x8F };
	return l;
}

size_t text_utf8_decode(const unsigned char *s, size_t len, uint32_t *cp)
{
	struct utf8_lead l;
	uint32_t c;
	size_t i;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	l = utf8_lead_of(s[0]);
	if (l.len == 0)
		goto invalid1;
	if (len < 2 || s[1] < l.lo || s[1] > l.hi)
		goto invalid1;
	c = s[0] & (0x7F >> l.len);
	c = (c << 6) | (s[1] & 0x3F);
	for (i = 2; i < l.len; i++) {
		if (i >= len || (s[i] & 0xC0) != 0x80) {
			/* The well-formed prefix s[0..i) is one maximal subpart. */
			*cp = TEXT_REPLACEMENT;
			return i;
		}
		c = (c << 6) | (s[i] & 0x3F);
	}
	*cp = c;
	return l.len;
invalid1:
	*cp = TEXT_REPLACEMENT;
	return 1;
}

uint32_t text_utf8_next(const char *s, size_t len, size_t *pos)
{
	uint32_t cp;

	if (*pos >= len)
		return TEXT_REPLACEMENT;
	*pos += text_utf8_decode((const unsigned char *)s + *pos, len - *pos, &cp);
	return cp;
}

size_t text_utf8_put(uint32_t cp, char out[4])
{
	if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
		cp = TEXT_REPLACEMENT;	/* not a scalar value: it has no UTF-8 form */
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xC0 | (cp >> 6));
		out[1] = (char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xE0 | (cp >> 12));
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		out[2] = (char)(0x80 | (cp & 0x3F));
		return 3;
	}
	out[0] = (char)(0xF0 | (cp >> 18));
	out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
	out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
	out[3] = (char)(0x80 | (cp & 0x3F));
	return 4;
}

bool text_utf8_valid(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, n;
	uint32_t cp;

	while (i < len) {
		if (p[i] < 0x80) {
			i++;
			continue;
		}
		n = text_utf8_decode(p + i, len - i, &cp);
		/* U+FFFD itself is 3 bytes (EF BF BD); a replacement is shorter or a bad lead. */
		if (cp == TEXT_REPLACEMENT && !(n == 3 && p[i] == 0xEF))
			return false;
		i += n;
	}
	return true;
}

size_t text_utf8_count(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, count = 0;
	uint32_t cp;

	while (i < len) {
		if (p[i] < 0x80)
			i++;
		else
			i += text_utf8_decode(p + i, len - i, &cp);
		count++;
	}
	return count;
}
