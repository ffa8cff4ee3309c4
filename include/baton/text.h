/*
 * text.h: untrusted text made safe to show, and measured for the screen.
 *
 * Everything a customer, a bot or the network wrote passes text_sanitize()
 * before it is stored for display and again before it reaches a terminal, a
 * notification or a log. The result is valid UTF-8 with no C0 control but
 * newline and tab, no DEL, no C1 control, no escape sequence and no bidi
 * control: each is replaced by a visible placeholder (see TEXT_PH_*), so an
 * agent sees that something was there.
 *
 * Widths are terminal columns, from one table (text_cp_width, generated
 * from the Unicode data by src/text/gen-width.py): East Asian wide and
 * fullwidth and emoji are 2, combining marks and zero-width characters 0,
 * everything else 1. An emoji ZWJ sequence counts 2 per emoji and 0 per ZWJ
 * (a family of three is 6), so text cannot run past the edge on terminals
 * that draw the emoji one by one.
 */
#ifndef BATON_TEXT_H
#define BATON_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "baton/common.h"

#define TEXT_REPLACEMENT 0xFFFDu	/* invalid, overlong or surrogate UTF-8 */
/* Placeholders. C0 controls and DEL become their Control Pictures
 * (U+2400 + c, U+2421), so "\a" shows as "␇". */
#define TEXT_PH_ESCAPE   0x241Bu	/* "␛": ESC or 8-bit C1 and its whole sequence */
#define TEXT_PH_C1       0xFFFDu	/* a lone C1 control (U+0080..U+009F) */
#define TEXT_PH_BIDI     0x2E2Eu	/* "⸮": a bidi control */

/*
 * Decodes one code point at s[*pos] (len bytes in all) and advances *pos past
 * it. Invalid, truncated, overlong and surrogate sequences decode as
 * TEXT_REPLACEMENT, consuming the maximal invalid subpart (Unicode's
 * "substitution of maximal subparts": "\xC0\x80" is two, "\xED\xA0\x80"
 * three, a truncated "\xE2\x82" one). Returns the code point; at or past
 * the end (*pos >= len) returns TEXT_REPLACEMENT and leaves *pos alone.
 */
uint32_t text_utf8_next(const char *s, size_t len, size_t *pos);
/* Encodes cp into out (4 bytes room); returns the bytes written. A value
 * that is not a scalar value (surrogate, above U+10FFFF) is written as
 * U+FFFD. */
size_t text_utf8_put(uint32_t cp, char out[4]);
/* True if s[0..len) is valid UTF-8. */
bool text_utf8_valid(const char *s, size_t len);
/* Code points in s (invalid sequences count as one each). */
size_t text_utf8_count(const char *s, size_t len);

/* True for characters text_sanitize replaces (after decoding); also for
 * surrogates and values above U+10FFFF, which decoding never yields. */
bool text_is_unsafe(uint32_t cp);
bool text_is_bidi_control(uint32_t cp);

/*
 * Appends the sanitized form of s[0..len) to out. An escape sequence (CSI,
 * OSC, DCS, SOS, PM, APC, nF or two-character, in 7- or 8-bit form) becomes
 * one TEXT_PH_ESCAPE however long it is; one cut off by the end of the input
 * is consumed to the end. Linear time; the output is at most 3 * len bytes.
 */
void text_sanitize_into(struct strbuf *out, const char *s, size_t len);
/* Returns a new NUL-terminated sanitized copy (caller frees); *outlen if non-NULL. */
char *text_sanitize(const char *s, size_t len, size_t *outlen);
/* Same for a NUL-terminated string; NULL gives NULL. */
char *text_sanitize_str(const char *s);
/* Sanitized and on one line: newlines and tabs become spaces (for a log
 * line, a notification title, a status bar). */
char *text_sanitize_line(const char *s, size_t len, size_t *outlen);

/* Columns of one code point: 0, 1 or 2. Controls (which sanitized text no
 * longer has) count as 0. */
int text_cp_width(uint32_t cp);
/* Columns of a UTF-8 string (newlines count 0; tab counts 1). */
size_t text_width(const char *s, size_t len);

/*
 * The longest prefix of s (a whole number of characters, never splitting a
 * base character from the combining marks after it) that fits in cols
 * columns. Returns its byte length; *used (if non-NULL) gets its width.
 * Widths are text_width's, so it is meant for one line (see
 * text_sanitize_line).
 */
size_t text_fit(const char *s, size_t len, size_t cols, size_t *used);

/* One wrapped line: bytes [off, off+len) of the input, width columns. */
struct text_line {
	size_t off;
	size_t len;
	size_t width;
};

/*
 * Wraps s to cols columns (cols >= 1; 0 is taken as 1): breaks at newlines,
 * else at the last run of spaces that follows text on the line (the spaces
 * are dropped), else hard inside a word at a character boundary, never
 * between a character and its combining marks; a wide character never
 * straddles the edge (when cols is 1 it gets a line of its own, 2 wide).
 * Newlines are dropped; each ends a line as in a text file, so "a\n" is one
 * line and "a\n\n" two ("a" and "") — an editor adds its own line after a
 * final newline for the cursor.
 * Leading spaces of a paragraph are kept. Stores at most max lines in
 * lines[] (lines may be NULL when max is 0) and returns how many lines the
 * text needs, so a caller can size the array and call again. Empty text is
 * one empty line.
 */
size_t text_wrap(const char *s, size_t len, size_t cols, struct text_line *lines, size_t max);

#endif
