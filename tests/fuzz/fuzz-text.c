/*
 * fuzz-text.c: libFuzzer target for the untrusted-text module.
 *
 * For any input bytes:
 *   - text_sanitize's output is exactly what ref_sanitize (the rules, one
 *     code point at a time, no fast paths) gives, and text_utf8_count agrees
 *     with a reference count of maximal subparts;
 *   - that output is valid UTF-8 (checked here by an independent
 *     decoder, not by text_utf8_valid) and holds no C0 control but newline
 *     and tab, no DEL, no C1 control, no ESC and no bidi control;
 *   - sanitizing is idempotent, and text_sanitize_line gives the same bytes
 *     with newlines and tabs turned into spaces;
 *   - text_wrap's lines, for a width taken from the first input byte, fit
 *     that width (only a lone character wider than the line may exceed it),
 *     report their own width, and cover the text in order: what lies
 *     between two lines is spaces and at most one newline;
 *   - text_fit returns a prefix that fits and whose width it reports.
 *
 * Build and run (see the Makefile's fuzz rule; -max_total_time for a bound):
 *   build-fuzz/fuzz-text -max_total_time=600 corpus-dir
 */
#include "baton/text.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_ASSERT(cond) do { \
	if (!(cond)) { \
		fprintf(stderr, "fuzz-text: %s:%d: %s\n", __FILE__, __LINE__, #cond); \
		abort(); \
	} \
} while (0)

/*
 * Strict UTF-8 decoder, written apart from src/text/utf8.c so that a bug
 * there cannot hide itself: returns the sequence length or 0 if ill-formed.
 */
static size_t ref_decode(const uint8_t *s, size_t len, uint32_t *cp)
{
	size_t n;
	uint32_t c, min;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	} else if ((s[0] & 0xE0) == 0xC0) {
		n = 2, c = s[0] & 0x1F, min = 0x80;
	} else if ((s[0] & 0xF0) == 0xE0) {
		n = 3, c = s[0] & 0x0F, min = 0x800;
	} else if ((s[0] & 0xF8) == 0xF0) {
		n = 4, c = s[0] & 0x07, min = 0x10000;
	} else {
		return 0;
	}
	if (len < n)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3F);
	}
	if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
		return 0;
	*cp = c;
	return n;
}

static int ref_is_bidi(uint32_t c)
{
	return (c >= 0x202A && c <= 0x202E) || (c >= 0x2066 && c <= 0x2069) ||
	       c == 0x200E || c == 0x200F || c == 0x061C;
}

/*
 * The length of the maximal subpart at s (ill-formed there): the longest
 * prefix that some continuation bytes would make well-formed, found by
 * trying completions with ref_decode rather than by a table.
 */
static size_t ref_subpart(const uint8_t *s, size_t len)
{
	size_t n = s[0] >= 0xF0 ? 4 : s[0] >= 0xE0 ? 3 : 2;
	uint8_t buf[4];
	uint32_t c;

	for (size_t k = n - 1 < len ? n - 1 : len; k >= 1; k--) {
		memcpy(buf, s, k);
		memset(buf + k, 0x80, n - k);
		if (k >= 2 && ref_decode(buf, n, &c))
			return k;
		if (k == 1)
			for (unsigned b = 0x80; b <= 0xBF; b++) {
				buf[1] = (uint8_t)b;
				if (ref_decode(buf, n, &c))
					return 1;
			}
	}
	return 1;
}

struct ref_tok {
	uint32_t cp;	/* 0xFFFFFFFF: ill-formed */
	size_t off, len;
};

/* Control-string body from token t: returns the token after it. */
static size_t ref_string_end(const struct ref_tok *tk, size_t nt, size_t t)
{
	for (; t < nt; t++) {
		if (tk[t].cp == 0x07 || tk[t].cp == 0x9C)
			return t + 1;
		if (tk[t].cp == 0x1B) {
			if (t + 1 == nt)
				return nt;
			return tk[t + 1].cp == '\\' ? t + 2 : t;
		}
	}
	return nt;
}

static size_t ref_csi_end(const struct ref_tok *tk, size_t nt, size_t t)
{
	while (t < nt && tk[t].cp >= 0x20 && tk[t].cp <= 0x3F)
		t++;
	if (t < nt && tk[t].cp >= 0x40 && tk[t].cp <= 0x7E)
		t++;
	return t;
}

/*
 * The sanitizer's specification, code point by code point with no fast
 * path: what text_sanitize must produce exactly.
 */
static void ref_sanitize(const uint8_t *s, size_t len, struct strbuf *out)
{
	struct ref_tok *tk = xcalloc(len + 1, sizeof(*tk));
	size_t nt = 0, i = 0, t = 0;
	char u[4];

	while (i < len) {
		uint32_t c;
		size_t k = ref_decode(s + i, len - i, &c);
		if (k == 0) {
			k = ref_subpart(s + i, len - i);
			c = 0xFFFFFFFFu;
		}
		tk[nt++] = (struct ref_tok){ c, i, k };
		i += k;
	}
	while (t < nt) {
		uint32_t c = tk[t].cp, ph = 0;
		size_t next = t + 1;
		if (c == 0x1B) {
			ph = 0x241B;
			if (next < nt) {
				uint32_t d = tk[next].cp;
				if (d == '[')
					next = ref_csi_end(tk, nt, next + 1);
				else if (d == ']' || d == 'P' || d == 'X' || d == '^' || d == '_')
					next = ref_string_end(tk, nt, next + 1);
				else if (d >= 0x20 && d <= 0x2F) {
					while (next < nt && tk[next].cp >= 0x20 && tk[next].cp <= 0x2F)
						next++;
					if (next < nt && tk[next].cp >= 0x30 && tk[next].cp <= 0x7E)
						next++;
				} else if (d >= 0x30 && d <= 0x7E)
					next++;
			}
		} else if (c == 0x9B) {
			ph = 0x241B;
			next = ref_csi_end(tk, nt, next);
		} else if (c == 0x9D || c == 0x90 || c == 0x98 || c == 0x9E || c == 0x9F) {
			ph = 0x241B;
			next = ref_string_end(tk, nt, next);
		} else if (c == 0xFFFFFFFFu || (c >= 0x80 && c <= 0x9F)) {
			ph = 0xFFFD;
		} else if (c == 0x7F) {
			ph = 0x2421;
		} else if (c < 0x20 && c != '\n' && c != '\t') {
			ph = 0x2400 + c;
		} else if (ref_is_bidi(c)) {
			ph = 0x2E2E;
		}
		if (ph)
			sb_add(out, u, text_utf8_put(ph, u));
		else
			sb_add(out, s + tk[t].off, tk[t].len);
		t = next;
	}
	free(tk);
}

static size_t ref_count(const uint8_t *s, size_t len)
{
	size_t i = 0, count = 0;
	uint32_t c;

	while (i < len) {
		size_t k = ref_decode(s + i, len - i, &c);
		i += k ? k : ref_subpart(s + i, len - i);
		count++;
	}
	return count;
}

static void check_clean(const char *p, size_t n)
{
	const uint8_t *s = (const uint8_t *)p;
	size_t i = 0;

	FUZZ_ASSERT(p[n] == '\0');
	while (i < n) {
		uint32_t c;
		size_t k = ref_decode(s + i, n - i, &c);
		FUZZ_ASSERT(k != 0);	/* valid UTF-8 */
		FUZZ_ASSERT(c >= 0x20 || c == '\n' || c == '\t');
		FUZZ_ASSERT(c < 0x7F || c > 0x9F);	/* DEL, C1 */
		FUZZ_ASSERT(!ref_is_bidi(c));
		FUZZ_ASSERT(!text_is_unsafe(c));
		i += k;
	}
}

/* Zero-width in a line: belongs with the character before it. */
static int zero_width_at(const char *s, size_t len, size_t at)
{
	size_t pos = at;
	uint32_t c;

	if (at >= len)
		return 0;
	c = text_utf8_next(s, len, &pos);
	return c != '\n' && c != '\t' && text_cp_width(c) == 0;
}

static void check_wrap(const char *s, size_t len, size_t cols)
{
	struct text_line lines[64];
	size_t n = text_wrap(s, len, cols, lines, 64), prev_end = 0;

	FUZZ_ASSERT(n >= 1);
	FUZZ_ASSERT(text_wrap(s, len, cols, NULL, 0) == n);
	if (n > 64)
		return;
	for (size_t k = 0; k < n; k++) {
		const struct text_line *l = &lines[k];
		FUZZ_ASSERT(l->off >= prev_end && l->off + l->len <= len);
		/* The gap: spaces and at most one newline (none before line 0). */
		size_t newlines = 0;
		for (size_t i = prev_end; i < l->off; i++) {
			FUZZ_ASSERT(s[i] == ' ' || s[i] == '\n');
			newlines += s[i] == '\n';
		}
		FUZZ_ASSERT(newlines <= 1);
		FUZZ_ASSERT(k > 0 || l->off == 0);
		FUZZ_ASSERT(memchr(s + l->off, '\n', l->len) == NULL);
		FUZZ_ASSERT(l->width == text_width(s + l->off, l->len));
		/* No character parted from its combining marks: a line starts
		 * with one only at the start of a paragraph, and never ends
		 * right before one. */
		if (l->off > 0 && zero_width_at(s, len, l->off))
			FUZZ_ASSERT(s[l->off - 1] == '\n');
		FUZZ_ASSERT(!zero_width_at(s, len, l->off + l->len));
		if (l->width > cols) {
			/* One character (and its zero-width marks) and nothing else. */
			size_t pos = l->off;
			text_utf8_next(s, l->off + l->len, &pos);
			FUZZ_ASSERT(text_width(s + l->off, pos - l->off) == l->width);
		}
		prev_end = l->off + l->len;
	}
	/* After the last line: spaces and at most one newline, which ended it. */
	size_t newlines = 0;
	for (size_t i = prev_end; i < len; i++) {
		FUZZ_ASSERT(s[i] == ' ' || s[i] == '\n');
		newlines += s[i] == '\n';
	}
	FUZZ_ASSERT(newlines <= 1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *in = (const char *)data;
	size_t n, n2, nl, cols = size ? (size_t)data[0] % 41 + 1 : 1;
	char *out, *again, *line;

	out = text_sanitize(in, size, &n);
	check_clean(out, n);
	struct strbuf want = STRBUF_INIT;
	ref_sanitize(data, size, &want);
	FUZZ_ASSERT(want.len == n && memcmp(sb_str(&want), out, n) == 0);
	sb_free(&want);
	FUZZ_ASSERT(text_utf8_count(in, size) == ref_count(data, size));
	FUZZ_ASSERT(text_utf8_valid(out, n));
	FUZZ_ASSERT(text_utf8_count(out, n) <= n);

	again = text_sanitize(out, n, &n2);
	FUZZ_ASSERT(n2 == n && memcmp(again, out, n) == 0);

	line = text_sanitize_line(in, size, &nl);
	FUZZ_ASSERT(nl == n);
	for (size_t i = 0; i < n; i++) {
		if (out[i] == '\n' || out[i] == '\t')
			FUZZ_ASSERT(line[i] == ' ');
		else
			FUZZ_ASSERT(line[i] == out[i]);
	}

	/* Wrap and fit the sanitized text, and the raw bytes too: they must
	 * hold up (and keep their promises) on anything. */
	check_wrap(out, n, cols);
	check_wrap(in, size, cols);
	for (int pass = 0; pass < 2; pass++) {
		const char *s = pass ? in : out;
		size_t len = pass ? size : n, used;
		size_t got = text_fit(s, len, cols, &used);
		FUZZ_ASSERT(got <= len && used <= cols);
		FUZZ_ASSERT(used == text_width(s, got));
		FUZZ_ASSERT(text_fit(s, len, cols + 1, NULL) >= got);
	}

	free(out);
	free(again);
	free(line);
	return 0;
}
