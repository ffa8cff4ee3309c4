/*
 * sanitize.c: makes untrusted text safe to put on a terminal.
 *
 * How it reads the input (after UTF-8 decoding, see utf8.c):
 *
 *   ESC [ or U+009B            CSI: parameter and intermediate bytes
 *                              (0x20..0x3F), then one final byte (0x40..0x7E)
 *   ESC ] P X ^ _  or U+009D,  OSC, DCS, SOS, PM, APC: a control string,
 *   U+0090 U+0098 U+009E U+009F  up to and including BEL, ESC \ or U+009C;
 *                              another ESC ends it too and starts a new
 *                              sequence, as terminals do
 *   ESC 0x20..0x2F ... final   nF escape (ESC ( B, ESC # 8): intermediates,
 *                              then one final byte (0x30..0x7E)
 *   ESC 0x30..0x7E             two-character escape (ESC c, ESC 7, ESC =)
 *   ESC anything else          a lone ESC; what follows is read afresh
 *
 * Each such sequence, however long, becomes ONE "␛" (U+241B), so an agent
 * sees that something was there without the terminal acting on it. A
 * sequence cut off by the end of the input is consumed to the end; a bad
 * byte inside a CSI or nF escape ends it and is then read afresh. Every
 * byte is looked at a bounded number of times, so hostile input costs
 * linear time.
 *
 * Other C0 controls but newline and tab become Control Pictures (U+2400 + c),
 * DEL U+2421, other C1 controls U+FFFD, bidi controls U+2E2E, ill-formed
 * UTF-8 U+FFFD per maximal subpart. Every placeholder is 3 bytes of UTF-8.
 *
 * Speed: text is mostly printable ASCII and well-formed multi-byte
 * characters that need no change, so the loop only finds where such a run
 * ends (16 bytes at a time with SSE2, or a word at a time) and copies the
 * whole run with one memcpy when it meets something to replace.
 */
#include "baton/text.h"

#include <stdlib.h>
#include <string.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "text-internal.h"

#define SAN_ESC 0x1B
#define SAN_BEL 0x07

bool text_is_bidi_control(uint32_t cp)
{
	return (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069) ||
	       cp == 0x200E || cp == 0x200F || cp == 0x061C;
}

/* Also true for values that are not Unicode scalar values (surrogates, above
 * U+10FFFF): decoding never yields them, and nothing should print them. */
bool text_is_unsafe(uint32_t cp)
{
	if (cp < 0x20)
		return cp != '\n' && cp != '\t';
	if (cp >= 0x7F && cp <= 0x9F)
		return true;
	if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
		return true;
	return text_is_bidi_control(cp);
}

/* Printable ASCII, newline and tab: bytes that are copied as they are. */
static bool san_ascii_ok(unsigned char c)
{
	return (c >= 0x20 && c < 0x7F) || c == '\n' || c == '\t';
}

/* Index of the first byte at or after i that is not san_ascii_ok, or len. */
static size_t san_skip_ascii(const unsigned char *s, size_t i, size_t len)
{
#if defined(__SSE2__)
	const __m128i below = _mm_set1_epi8(0x1F), above = _mm_set1_epi8(0x7F);
	const __m128i nl = _mm_set1_epi8('\n'), tab = _mm_set1_epi8('\t');

	while (len - i >= 16) {
		__m128i v = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
		/* Signed compares: bytes >= 0x80 are negative, so they fail "> 0x1F". */
		__m128i ok = _mm_and_si128(_mm_cmpgt_epi8(v, below), _mm_cmplt_epi8(v, above));
		ok = _mm_or_si128(ok, _mm_or_si128(_mm_cmpeq_epi8(v, nl), _mm_cmpeq_epi8(v, tab)));
		unsigned m = (unsigned)_mm_movemask_epi8(ok);
		if (m != 0xFFFF)
			return i + (size_t)__builtin_ctz(~m);
		i += 16;
	}
#else
	/* A word at a time: a word whose bytes are all in 0x20..0x7E goes by
	 * whole; anything else (including \n and \t) is left to the byte loop. */
	const uint64_t ones = 0x0101010101010101u, high = 0x8080808080808080u;

	while (len - i >= 8) {
		uint64_t w;
		memcpy(&w, s + i, 8);
		uint64_t lt20 = (w - 0x20 * ones) & ~w & high;	/* some byte < 0x20 */
		uint64_t ge7f = (w + 0x01 * ones) & high;		/* some byte >= 0x7F */
		if ((lt20 | ge7f | (w & high)) != 0)
			break;
		i += 8;
	}
#endif
	while (i < len && san_ascii_ok(s[i]))
		i++;
	return i;
}

/*
 * Length of the well-formed multi-byte character at s if it needs no
 * replacement (not C1, not a bidi control), else 0. The common case of
 * text_utf8_decode plus text_is_unsafe, without building the code point.
 */
static size_t san_mb_ok(const unsigned char *s, size_t n)
{
	unsigned c = s[0];

	if (c >= 0xC2 && c <= 0xDF) {
		if (n < 2 || (s[1] & 0xC0) != 0x80)
			return 0;
		if (c == 0xC2 && s[1] < 0xA0)
			return 0;	/* U+0080..U+009F: C1 */
		if (c == 0xD8 && s[1] == 0x9C)
			return 0;	/* U+061C ARABIC LETTER MARK */
		return 2;
	}
	if (c >= 0xE0 && c <= 0xEF) {
		if (n < 3 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80)
			return 0;
		if ((c == 0xE0 && s[1] < 0xA0) || (c == 0xED && s[1] > 0x9F))
			return 0;	/* overlong, surrogate */
		if (c == 0xE2 && s[1] == 0x80 &&
		    ((s[2] >= 0x8E && s[2] <= 0x8F) || (s[2] >= 0xAA && s[2] <= 0xAE)))
			return 0;	/* U+200E/F, U+202A..U+202E */
		if (c == 0xE2 && s[1] == 0x81 && s[2] >= 0xA6 && s[2] <= 0xA9)
			return 0;	/* U+2066..U+2069 */
		return 3;
	}
	if (c >= 0xF0 && c <= 0xF4) {
		if (n < 4 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80 ||
		    (s[3] & 0xC0) != 0x80)
			return 0;
		if ((c == 0xF0 && s[1] < 0x90) || (c == 0xF4 && s[1] > 0x8F))
			return 0;	/* overlong, above U+10FFFF */
		return 4;
	}
	return 0;
}

/* Bytes of a CSI after its introducer: 0x20..0x3F*, then a final 0x40..0x7E. */
static size_t san_csi_len(const unsigned char *s, size_t len)
{
	size_t i = 0;

	while (i < len && s[i] >= 0x20 && s[i] <= 0x3F)
		i++;
	if (i < len && s[i] >= 0x40 && s[i] <= 0x7E)
		i++;
	return i;
}

/*
 * Bytes of a control string (OSC, DCS, SOS, PM, APC) after its introducer,
 * with its terminator: BEL, ESC \ or U+009C (C2 9C). An ESC followed by
 * anything else ends the string before it, so it starts a new sequence. C2
 * cannot be a continuation byte, so scanning bytes finds the same C2 9C that
 * decoding would.
 */
static size_t san_string_len(const unsigned char *s, size_t len)
{
	size_t i = 0;

	while (i < len) {
		unsigned char c = s[i];
		if (c == SAN_BEL)
			return i + 1;
		if (c == SAN_ESC) {
			if (i + 1 == len)
				return len;	/* ESC \ cut off by the end */
			if (s[i + 1] == '\\')
				return i + 2;
			return i;
		}
		if (c == 0xC2 && i + 1 < len && s[i + 1] == 0x9C)
			return i + 2;
		i++;
	}
	return len;
}

/* Bytes of an escape sequence after its ESC (see the table at the top). */
static size_t san_esc_len(const unsigned char *s, size_t len)
{
	size_t i;

	if (len == 0)
		return 0;
	switch (s[0]) {
	case '[':
		return 1 + san_csi_len(s + 1, len - 1);
	case ']': case 'P': case 'X': case '^': case '_':
		return 1 + san_string_len(s + 1, len - 1);
	}
	if (s[0] >= 0x20 && s[0] <= 0x2F) {
		for (i = 1; i < len && s[i] >= 0x20 && s[i] <= 0x2F; i++)
			;
		if (i < len && s[i] >= 0x30 && s[i] <= 0x7E)
			i++;
		return i;
	}
	if (s[0] >= 0x30 && s[0] <= 0x7E)
		return 1;
	return 0;
}

/*
 * What replaces the unsafe or ill-formed thing at s[0] (which is not
 * san_ascii_ok, or is a multi-byte character san_mb_ok refused): returns the
 * placeholder and sets *used to the bytes it stands for. Returns 0 (and the
 * character's length in *used) if the character may be copied as it is.
 */
static uint32_t san_replace(const unsigned char *s, size_t len, size_t *used)
{
	uint32_t cp;
	size_t n;

	if (s[0] == SAN_ESC) {
		*used = 1 + san_esc_len(s + 1, len - 1);
		return TEXT_PH_ESCAPE;
	}
	if (s[0] < 0x80) {
		*used = 1;
		if (s[0] == 0x7F)
			return 0x2421;	/* ␡ */
		if (san_ascii_ok(s[0]))
			return 0;
		return 0x2400u + s[0];	/* ␀ .. ␟ */
	}
	n = text_utf8_decode(s, len, &cp);
	*used = n;
	if (cp == TEXT_REPLACEMENT)
		return n == 3 && s[0] == 0xEF ? 0 : TEXT_REPLACEMENT;
	if (cp >= 0x80 && cp <= 0x9F) {
		switch (cp) {
		case 0x9B:	/* CSI */
			*used = n + san_csi_len(s + n, len - n);
			return TEXT_PH_ESCAPE;
		case 0x9D: case 0x90: case 0x98: case 0x9E: case 0x9F:	/* OSC DCS SOS PM APC */
			*used = n + san_string_len(s + n, len - n);
			return TEXT_PH_ESCAPE;
		}
		return TEXT_PH_C1;
	}
	if (text_is_bidi_control(cp))
		return TEXT_PH_BIDI;
	return 0;
}

void text_sanitize_into(struct strbuf *out, const char *src, size_t len)
{
	const unsigned char *s = (const unsigned char *)src;
	size_t i = 0, run = 0, o, n;
	char *d;

	/*
	 * Invariant: the buffer has room for the rest of the input as it is
	 * (out->cap - 1 - o >= len - i), so copying a run needs no check; only
	 * a placeholder, which may be longer than what it replaces, does.
	 */
	sb_grow(out, len);
	d = out->buf;
	o = out->len;
	while (i < len) {
		i = san_skip_ascii(s, i, len);
		if (i == len)
			break;
		if (s[i] >= 0x80 && (n = san_mb_ok(s + i, len - i)) != 0) {
			/* Scripts without ASCII between letters (CJK, emoji)
			 * stay in this loop. */
			do
				i += n;
			while (i < len && s[i] >= 0x80 && (n = san_mb_ok(s + i, len - i)) != 0);
			continue;
		}
		uint32_t ph = san_replace(s + i, len - i, &n);
		if (ph == 0) {
			i += n;
			continue;
		}
		if (i > run)
			memcpy(d + o, s + run, i - run);
		o += i - run;
		i += n;
		run = i;
		if (out->cap - 1 - o < 3 + (len - i)) {
			out->len = o;
			sb_grow(out, 3 + (len - i));
			d = out->buf;
		}
		/* Every placeholder is in U+0800..U+FFFF: three bytes. */
		d[o] = (char)(0xE0 | (ph >> 12));
		d[o + 1] = (char)(0x80 | ((ph >> 6) & 0x3F));
		d[o + 2] = (char)(0x80 | (ph & 0x3F));
		o += 3;
	}
	if (i > run)	/* s may be NULL when len is 0 */
		memcpy(d + o, s + run, i - run);
	o += i - run;
	out->len = o;
	d[o] = '\0';
}

char *text_sanitize(const char *s, size_t len, size_t *outlen)
{
	struct strbuf sb = STRBUF_INIT;

	text_sanitize_into(&sb, s, len);
	if (outlen)
		*outlen = sb.len;
	return sb_take(&sb);
}

char *text_sanitize_str(const char *s)
{
	if (!s)
		return NULL;
	return text_sanitize(s, strlen(s), NULL);
}

char *text_sanitize_line(const char *s, size_t len, size_t *outlen)
{
	size_t n;
	char *p = text_sanitize(s, len, &n);

	/* The output is valid UTF-8, where 0x0A and 0x09 are only ever themselves. */
	for (size_t i = 0; i < n; i++)
		if (p[i] == '\n' || p[i] == '\t')
			p[i] = ' ';
	if (outlen)
		*outlen = n;
	return p;
}
