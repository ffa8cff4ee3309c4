/*
 * test-text.c: the untrusted-text module, case by case.
 *
 * Tables of input and exact expected output (one TAP line per case): hostile
 * strings through the sanitizer, UTF-8 decoding, widths, text_fit and
 * text_wrap. Inputs are byte strings with explicit lengths because many hold
 * NUL or ill-formed UTF-8.
 */
#include "baton/text.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test.h"
/* The generated table itself, to check its shape (src/text/gen-width.py). */
#include "../../src/text/width-table.h"

/* Placeholders as UTF-8, to write expected output readably. */
#define PH_ESC  "\xe2\x90\x9b"	/* U+241B ␛ */
#define PH_BAD  "\xef\xbf\xbd"	/* U+FFFD */
#define PH_BIDI "\xe2\xb8\xae"	/* U+2E2E ⸮ */
#define PH_NUL  "\xe2\x90\x80"	/* U+2400 ␀ */
#define PH_BEL  "\xe2\x90\x87"	/* U+2407 ␇ */
#define PH_BS   "\xe2\x90\x88"	/* U+2408 ␈ */
#define PH_CR   "\xe2\x90\x8d"	/* U+240D ␍ */
#define PH_VT   "\xe2\x90\x8b"	/* U+240B ␋ */
#define PH_US   "\xe2\x90\x9f"	/* U+241F ␟ */
#define PH_DEL  "\xe2\x90\xa1"	/* U+2421 ␡ */

/* A byte-string literal and its length (NUL bytes included). */
#define B(lit) lit, sizeof(lit) - 1

struct san_case {
	const char *name;
	const char *in;
	size_t len;
	const char *want;
	size_t want_len;
};

static const struct san_case san_cases[] = {
	{ "plain ASCII kept", B("Hello, where is my order #1234?"), B("Hello, where is my order #1234?") },
	{ "Turkish kept", B("\xc4\xb0stanbul'da \xc4\x9f\xc3\xbc\xc5\x9f\xc4\xb1\xc3\xb6\xc3\xa7"),
	  B("\xc4\xb0stanbul'da \xc4\x9f\xc3\xbc\xc5\x9f\xc4\xb1\xc3\xb6\xc3\xa7") },
	{ "CJK, emoji, U+FFFD itself kept", B("\xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x98\x80 \xef\xbf\xbd"),
	  B("\xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x98\x80 \xef\xbf\xbd") },
	{ "tab and newline kept", B("a\tb\nc\n"), B("a\tb\nc\n") },
	{ "empty input", B(""), B("") },

	/* C0, DEL */
	{ "NUL", B("a\0b"), B("a" PH_NUL "b") },
	{ "DEL", B("a\x7f" "b"), B("a" PH_DEL "b") },
	{ "CR", B("line\r\n"), B("line" PH_CR "\n") },
	{ "BEL and BS", B("\a\b"), B(PH_BEL PH_BS) },
	{ "VT and US", B("\x0b\x1f"), B(PH_VT PH_US) },

	/* CSI */
	{ "screen clear ESC [2J", B("a\x1b[2Jb"), B("a" PH_ESC "b") },
	{ "home and clear, two sequences", B("\x1b[H\x1b[2J"), B(PH_ESC PH_ESC) },
	{ "SGR colour", B("\x1b[31;1mred\x1b[0m"), B(PH_ESC "red" PH_ESC) },
	{ "private mode alt screen", B("\x1b[?1049hx"), B(PH_ESC "x") },
	{ "CSI with intermediate", B("\x1b[1 qx"), B(PH_ESC "x") },
	{ "CSI cut by a control", B("\x1b[2\x07J"), B(PH_ESC PH_BEL "J") },
	{ "8-bit CSI as U+009B (C2 9B)", B("a\xc2\x9b" "2Jb"), B("a" PH_ESC "b") },
	{ "8-bit CSI as raw 0x9B (invalid UTF-8)", B("a\x9b" "2Jb"), B("a" PH_BAD "2Jb") },

	/* OSC */
	{ "OSC 52 clipboard write, BEL", B("\x1b]52;c;cm0gLXJmIH4=\x07ok"), B(PH_ESC "ok") },
	{ "OSC 52 clipboard write, ST", B("\x1b]52;c;cm0gLXJmIH4=\x1b\\ok"), B(PH_ESC "ok") },
	{ "OSC 8 hyperlink", B("\x1b]8;;https://evil.example/\x1b\\click\x1b]8;;\x1b\\"),
	  B(PH_ESC "click" PH_ESC) },
	{ "title OSC 0, BEL", B("\x1b]0;pwned\x07x"), B(PH_ESC "x") },
	{ "title OSC 0, ST", B("\x1b]0;pwned\x1b\\x"), B(PH_ESC "x") },
	{ "title OSC 2, BEL", B("\x1b]2;pwned\x07x"), B(PH_ESC "x") },
	{ "title OSC 2, ST", B("\x1b]2;pwned\x1b\\x"), B(PH_ESC "x") },
	{ "OSC ended by 8-bit ST U+009C", B("\x1b]0;t\xc2\x9cx"), B(PH_ESC "x") },
	{ "OSC ended by another ESC", B("\x1b]0;t\x1b[2Jx"), B(PH_ESC PH_ESC "x") },
	{ "OSC title with newline inside", B("\x1b]0;a\nb\x07x"), B(PH_ESC "x") },
	{ "8-bit OSC U+009D, BEL", B("\xc2\x9d" "0;title\x07x"), B(PH_ESC "x") },
	{ "8-bit OSC U+009D, U+009C", B("\xc2\x9d" "0;title\xc2\x9cx"), B(PH_ESC "x") },

	/* DCS, SOS, PM, APC */
	{ "DCS DECRQSS", B("\x1bP$qm\x1b\\x"), B(PH_ESC "x") },
	{ "DCS sixel", B("\x1bPq#0;2;0;0;0#0~~@@vv\x1b\\x"), B(PH_ESC "x") },
	{ "SOS", B("\x1bXhidden\x1b\\x"), B(PH_ESC "x") },
	{ "PM", B("\x1b^privacy\x1b\\x"), B(PH_ESC "x") },
	{ "APC kitty graphics", B("\x1b_Gf=100;AAAA\x1b\\x"), B(PH_ESC "x") },
	{ "8-bit DCS U+0090", B("\xc2\x90q#0\xc2\x9cx"), B(PH_ESC "x") },
	{ "8-bit SOS U+0098", B("\xc2\x98sos\x1b\\x"), B(PH_ESC "x") },
	{ "8-bit PM U+009E", B("\xc2\x9epm\x07x"), B(PH_ESC "x") },
	{ "8-bit APC U+009F", B("\xc2\x9f" "apc\xc2\x9cx"), B(PH_ESC "x") },

	/* Other escapes */
	{ "ESC c reset", B("\x1b" "cx"), B(PH_ESC "x") },
	{ "ESC 7 / ESC 8", B("\x1b" "7x\x1b" "8"), B(PH_ESC "x" PH_ESC) },
	{ "nF ESC ( B", B("\x1b(Bx"), B(PH_ESC "x") },
	{ "nF ESC # 8", B("\x1b#8x"), B(PH_ESC "x") },
	{ "nF ESC SP F", B("\x1b F" "x"), B(PH_ESC "x") },
	{ "ESC ESC [2J", B("\x1b\x1b[2J"), B(PH_ESC PH_ESC) },
	{ "ESC before newline", B("\x1b\nx"), B(PH_ESC "\nx") },
	{ "ESC before non-ASCII", B("\x1b\xc3\xa9"), B(PH_ESC "\xc3\xa9") },
	{ "lone C1 NEL U+0085", B("a\xc2\x85" "b"), B("a" PH_BAD "b") },
	{ "lone 8-bit ST U+009C", B("a\xc2\x9c" "b"), B("a" PH_BAD "b") },

	/* Cut off by the end of the input */
	{ "lone ESC at the end", B("abc\x1b"), B("abc" PH_ESC) },
	{ "ESC [ at the end", B("abc\x1b["), B("abc" PH_ESC) },
	{ "CSI parameters at the end", B("abc\x1b[12;3"), B("abc" PH_ESC) },
	{ "unterminated OSC title", B("abc\x1b]0;this title never ends"), B("abc" PH_ESC) },
	{ "OSC with ESC of ST at the end", B("\x1b]0;t\x1b"), B(PH_ESC) },
	{ "unterminated DCS", B("\x1bP1;2;3 lots of data"), B(PH_ESC) },
	{ "nF at the end", B("\x1b("), B(PH_ESC) },
	{ "8-bit CSI at the end", B("\xc2\x9b" "12"), B(PH_ESC) },
	{ "C1 lead byte at the end", B("a\xc2"), B("a" PH_BAD) },

	/* Bidi */
	{ "RLO U+202E", B("invoice\xe2\x80\xaegpj.exe"), B("invoice" PH_BIDI "gpj.exe") },

	/* Ill-formed UTF-8 */
	{ "byte FF", B("a\xff" "b"), B("a" PH_BAD "b") },
	{ "lone continuation 80", B("\x80" "a"), B(PH_BAD "a") },
	{ "lead then ASCII", B("\xc3(x"), B(PH_BAD "(x") },
	{ "overlong NUL C0 80", B("a\xc0\x80" "b"), B("a" PH_BAD PH_BAD "b") },
	{ "overlong slash E0 80 AF", B("\xe0\x80\xaf"), B(PH_BAD PH_BAD PH_BAD) },
	{ "overlong F0 80 80 AF", B("\xf0\x80\x80\xaf"), B(PH_BAD PH_BAD PH_BAD PH_BAD) },
	{ "lone surrogate ED A0 80", B("\xed\xa0\x80"), B(PH_BAD PH_BAD PH_BAD) },
	{ "lone surrogate ED BF BF", B("x\xed\xbf\xbfy"), B("x" PH_BAD PH_BAD PH_BAD "y") },
	{ "above U+10FFFF F4 90 80 80", B("\xf4\x90\x80\x80"), B(PH_BAD PH_BAD PH_BAD PH_BAD) },
	{ "lead F5", B("\xf5\x80"), B(PH_BAD PH_BAD) },
	{ "truncated 2 of 3 at the end", B("ab\xe2\x82"), B("ab" PH_BAD) },
	{ "truncated 3 of 4 at the end", B("ab\xf0\x9f\x98"), B("ab" PH_BAD) },
	{ "truncated 3 of 4 before ASCII", B("\xf0\x9f\x98x"), B(PH_BAD "x") },
	{ "truncated 2 of 3 before a lead", B("\xe2\x82\xc3\xa9"), B(PH_BAD "\xc3\xa9") },
	{ "largest scalar U+10FFFF kept", B("\xf4\x8f\xbf\xbf"), B("\xf4\x8f\xbf\xbf") },

	/* The fast paths: controls past the first 16 bytes and between runs. */
	{ "control after a long run",
	  B("0123456789abcdefghijklmnopqrstuv\x1b[2Jwxyz0123456789abcdefghijklmnop"),
	  B("0123456789abcdefghijklmnopqrstuv" PH_ESC "wxyz0123456789abcdefghijklmnop") },
	{ "controls at the 16-byte edge", B("0123456789abcde\x01\x02" "0123456789abcd\x7f"),
	  B("0123456789abcde\xe2\x90\x81\xe2\x90\x82" "0123456789abcd" PH_DEL) },
	{ "non-ASCII then control", B("\xc5\xbc\xc3\xb3\xc5\x82\x1b" "c\xe6\xbc\xa2"),
	  B("\xc5\xbc\xc3\xb3\xc5\x82" PH_ESC "\xe6\xbc\xa2") },
	{ "many controls in a row (output grows)", B("\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01"),
	  B("\xe2\x90\x81\xe2\x90\x81\xe2\x90\x81\xe2\x90\x81\xe2\x90\x81"
	    "\xe2\x90\x81\xe2\x90\x81\xe2\x90\x81\xe2\x90\x81\xe2\x90\x81") },
};

static void hexdump(const char *label, const char *s, size_t n)
{
	printf("#     %s (%zu):", label, n);
	for (size_t i = 0; i < n; i++)
		printf(" %02x", (unsigned char)s[i]);
	printf("\n");
}

static int check_bytes(const char *got, size_t got_len, const char *want, size_t want_len)
{
	if (got && got_len == want_len && memcmp(got, want, want_len) == 0 && got[got_len] == '\0')
		return 0;
	hexdump("got ", got ? got : "", got ? got_len : 0);
	hexdump("want", want, want_len);
	return 1;
}

static void run_sanitize_cases(void)
{
	char name[160];

	for (size_t i = 0; i < BATON_ARRAY_LEN(san_cases); i++) {
		const struct san_case *c = &san_cases[i];
		size_t n = 12345;
		char *got = text_sanitize(c->in, c->len, &n);
		int failed = check_bytes(got, n, c->want, c->want_len);
		if (!text_utf8_valid(got, n)) {
			printf("#     output is not valid UTF-8\n");
			failed = 1;
		}
		snprintf(name, sizeof(name), "sanitize: %s", c->name);
		test_report(name, failed);
		free(got);
	}
}

/* Every bidi control, alone and between letters. */
static void run_bidi_cases(void)
{
	static const uint32_t bidi[] = {
		0x202A, 0x202B, 0x202C, 0x202D, 0x202E, 0x2066, 0x2067, 0x2068, 0x2069,
		0x200E, 0x200F, 0x061C,
	};
	char in[16], name[64];

	for (size_t i = 0; i < BATON_ARRAY_LEN(bidi); i++) {
		size_t n = 0, len = 0;
		in[len++] = 'a';
		len += text_utf8_put(bidi[i], in + len);
		in[len++] = 'b';
		char *got = text_sanitize(in, len, &n);
		int failed = check_bytes(got, n, B("a" PH_BIDI "b"));
		failed |= !text_is_bidi_control(bidi[i]) || !text_is_unsafe(bidi[i]);
		snprintf(name, sizeof(name), "sanitize: bidi control U+%04X", (unsigned)bidi[i]);
		test_report(name, failed);
		free(got);
	}
}

/* Every C0 control but \n and \t becomes U+2400 + c; C1 all unsafe. */
static void run_control_sweep(void)
{
	int failed = 0;

	for (unsigned c = 0; c < 0x20; c++) {
		char in[1] = { (char)c }, want[4];
		size_t n, wn;
		if (c == 0x1B)
			continue;	/* ESC: its own cases */
		if (c == '\n' || c == '\t') {
			want[0] = (char)c;
			wn = 1;
		} else {
			wn = text_utf8_put(0x2400 + c, want);
		}
		char *got = text_sanitize(in, 1, &n);
		if (check_bytes(got, n, want, wn)) {
			printf("#   C0 0x%02x\n", c);
			failed = 1;
		}
		free(got);
	}
	for (uint32_t cp = 0; cp < 0x20; cp++)
		if (text_is_unsafe(cp) != (cp != '\n' && cp != '\t'))
			failed = 1;
	for (uint32_t cp = 0x7F; cp <= 0x9F; cp++)
		if (!text_is_unsafe(cp))
			failed = 1;
	if (text_is_unsafe(' ') || text_is_unsafe(0xA0) || text_is_unsafe(0x1F600) ||
	    text_is_unsafe(0x200D) || text_is_bidi_control(0x200D))
		failed = 1;
	test_report("sanitize: every C0 control, text_is_unsafe", failed);
}

static void test_sanitize_api(void)
{
	struct strbuf sb = STRBUF_INIT;
	size_t n = 99;
	char *p;

	/* Appends, and keeps what was there. */
	sb_adds(&sb, "[x] ");
	text_sanitize_into(&sb, B("a\x1b[2Jb"));
	CHECK_STR(sb_str(&sb), "[x] a" PH_ESC "b");
	CHECK_INT(sb.len, strlen("[x] a" PH_ESC "b"));
	sb_free(&sb);

	CHECK(text_sanitize_str(NULL) == NULL);
	p = text_sanitize_str("t\x1b]0;x\x07");
	CHECK_STR(p, "t" PH_ESC);
	free(p);

	p = text_sanitize(NULL, 0, &n);
	CHECK(p != NULL);
	CHECK_INT(n, 0);
	CHECK_STR(p, "");
	free(p);

	/* Output length reported through embedded placeholders for NUL. */
	p = text_sanitize(B("\0\0"), &n);
	CHECK_INT(n, 6);
	CHECK_STR(p, PH_NUL PH_NUL);
	free(p);

	/* A large input with a control at the very end (buffer growth). */
	size_t big = 1 << 20;
	char *in = xmalloc(big);
	memset(in, 'a', big);
	in[big - 1] = '\x01';
	p = text_sanitize(in, big, &n);
	CHECK_INT(n, big - 1 + 3);
	CHECK(memcmp(p + big - 1, "\xe2\x90\x81", 4) == 0);
	free(p);
	/* ... and one made only of controls: three times the input. */
	memset(in, '\x7f', big);
	p = text_sanitize(in, big, &n);
	CHECK_INT(n, 3 * big);
	CHECK(text_utf8_valid(p, n));
	free(p);
	free(in);
}

struct line_case {
	const char *name;
	const char *in;
	size_t len;
	const char *want;
};

static const struct line_case line_cases[] = {
	{ "newline and tab become spaces", B("a\nb\tc"), "a b c" },
	{ "CR LF", B("a\r\nb"), "a" PH_CR " b" },
	{ "escape in a log line", B("user \x1b]0;x\x07 said\n"), "user " PH_ESC " said " },
	{ "ill-formed UTF-8 on one line", B("\xff\n"), PH_BAD " " },
};

static void run_line_cases(void)
{
	char name[160];

	for (size_t i = 0; i < BATON_ARRAY_LEN(line_cases); i++) {
		const struct line_case *c = &line_cases[i];
		size_t n;
		char *got = text_sanitize_line(c->in, c->len, &n);
		int failed = check_bytes(got, n, c->want, strlen(c->want));
		snprintf(name, sizeof(name), "sanitize_line: %s", c->name);
		test_report(name, failed);
		free(got);
	}
}

/* text_utf8_next: the code points and where each ends. */
struct utf8_case {
	const char *name;
	const char *in;
	size_t len;
	uint32_t cps[6];
	size_t ends[6];
	size_t count;
	bool valid;
};

static const struct utf8_case utf8_cases[] = {
	{ "ASCII", B("ab"), { 'a', 'b' }, { 1, 2 }, 2, true },
	{ "2, 3, 4 bytes", B("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"),
	  { 0xE9, 0x20AC, 0x1F600 }, { 2, 5, 9 }, 3, true },
	{ "overlong C0 80: two subparts", B("\xc0\x80"), { 0xFFFD, 0xFFFD }, { 1, 2 }, 2, false },
	{ "surrogate ED A0 80: three", B("\xed\xa0\x80"),
	  { 0xFFFD, 0xFFFD, 0xFFFD }, { 1, 2, 3 }, 3, false },
	{ "truncated E2 82 then A", B("\xe2\x82" "A"), { 0xFFFD, 'A' }, { 2, 3 }, 2, false },
	{ "truncated F0 9F 98 at end", B("\xf0\x9f\x98"), { 0xFFFD }, { 3 }, 1, false },
	{ "F4 90: above U+10FFFF", B("\xf4\x90\x80\x80"),
	  { 0xFFFD, 0xFFFD, 0xFFFD, 0xFFFD }, { 1, 2, 3, 4 }, 4, false },
	{ "real U+FFFD is valid", B("\xef\xbf\xbd"), { 0xFFFD }, { 3 }, 1, true },
	{ "U+FFFF and U+10FFFF", B("\xef\xbf\xbf\xf4\x8f\xbf\xbf"), { 0xFFFF, 0x10FFFF }, { 3, 7 }, 2, true },
	{ "NUL is a character", B("\0"), { 0 }, { 1 }, 1, true },
};

static void run_utf8_cases(void)
{
	char name[160];

	for (size_t i = 0; i < BATON_ARRAY_LEN(utf8_cases); i++) {
		const struct utf8_case *c = &utf8_cases[i];
		size_t pos = 0, k = 0;
		int failed = 0;
		while (pos < c->len && k < 6) {
			uint32_t cp = text_utf8_next(c->in, c->len, &pos);
			if (k >= c->count || cp != c->cps[k] || pos != c->ends[k]) {
				printf("#     char %zu: U+%04X ending at %zu\n", k, (unsigned)cp, pos);
				failed = 1;
			}
			k++;
		}
		if (k != c->count || pos != c->len)
			failed = 1;
		if (text_utf8_count(c->in, c->len) != c->count)
			failed = 1;
		if (text_utf8_valid(c->in, c->len) != c->valid)
			failed = 1;
		snprintf(name, sizeof(name), "utf8: %s", c->name);
		test_report(name, failed);
	}
}

static void test_utf8_put(void)
{
	static const uint32_t cps[] = { 0, 0x7F, 0x80, 0x7FF, 0x800, 0xD7FF, 0xE000, 0xFFFF,
					0x10000, 0x10FFFF };
	char buf[4];

	for (size_t i = 0; i < BATON_ARRAY_LEN(cps); i++) {
		size_t n = text_utf8_put(cps[i], buf), pos = 0;
		CHECK(text_utf8_valid(buf, n));
		CHECK_INT(text_utf8_next(buf, n, &pos), cps[i]);
		CHECK_INT(pos, n);
	}
	CHECK_INT(text_utf8_put(0x7FF, buf), 2);
	CHECK_INT(text_utf8_put(0x800, buf), 3);
	CHECK_INT(text_utf8_put(0x10000, buf), 4);
	/* Not scalar values: written as U+FFFD rather than as ill-formed bytes. */
	CHECK_INT(text_utf8_put(0xD800, buf), 3);
	CHECK(memcmp(buf, PH_BAD, 3) == 0);
	CHECK_INT(text_utf8_put(0x110000, buf), 3);
	CHECK(memcmp(buf, PH_BAD, 3) == 0);
}

struct cpw_case {
	const char *name;
	uint32_t cp;
	int width;
};

static const struct cpw_case cpw_cases[] = {
	{ "ASCII A", 'A', 1 },
	{ "space", ' ', 1 },
	{ "Turkish dotted I U+0130", 0x0130, 1 },
	{ "Turkish g-breve U+011F", 0x011F, 1 },
	{ "Polish l-stroke U+0142", 0x0142, 1 },
	{ "German sharp s U+00DF", 0x00DF, 1 },
	{ "soft hyphen U+00AD", 0x00AD, 1 },
	{ "CJK U+6F22", 0x6F22, 2 },
	{ "CJK ext B U+20000", 0x20000, 2 },
	{ "ideographic space U+3000", 0x3000, 2 },
	{ "fullwidth A U+FF21", 0xFF21, 2 },
	{ "halfwidth katakana U+FF76", 0xFF76, 1 },
	{ "Hangul syllable U+D55C", 0xD55C, 2 },
	{ "Hangul jamo initial U+1100", 0x1100, 2 },
	{ "Hangul jamo medial U+1161", 0x1161, 0 },
	{ "Hangul jamo final U+11A8", 0x11A8, 0 },
	{ "Hangul jamo ext-B U+D7B0", 0xD7B0, 0 },
	{ "emoji grinning face U+1F600", 0x1F600, 2 },
	{ "emoji party popper U+1F389", 0x1F389, 2 },
	{ "emoji watch U+231A", 0x231A, 2 },
	{ "heart U+2764 (text presentation)", 0x2764, 1 },
	{ "regional indicator U+1F1F9", 0x1F1F9, 1 },
	{ "ZWJ U+200D", 0x200D, 0 },
	{ "ZWNJ U+200C", 0x200C, 0 },
	{ "ZWSP U+200B", 0x200B, 0 },
	{ "BOM U+FEFF", 0xFEFF, 0 },
	{ "VS16 U+FE0F", 0xFE0F, 0 },
	{ "VS1 U+FE00", 0xFE00, 0 },
	{ "VS17 U+E0100", 0xE0100, 0 },
	{ "combining acute U+0301", 0x0301, 0 },
	{ "combining enclosing circle U+20DD (Me)", 0x20DD, 0 },
	{ "wide combining U+3099", 0x3099, 0 },
	{ "NUL", 0, 0 },
	{ "ESC", 0x1B, 0 },
	{ "DEL", 0x7F, 0 },
	{ "C1 NEL", 0x85, 0 },
	{ "NBSP U+00A0", 0xA0, 1 },
	{ "Devanagari vowel sign AA U+093E (Mc)", 0x093E, 1 },
	{ "placeholder U+241B", 0x241B, 1 },
	{ "placeholder U+2E2E", 0x2E2E, 1 },
	{ "U+FFFD", 0xFFFD, 1 },
};

static void run_cp_width_cases(void)
{
	char name[160];

	for (size_t i = 0; i < BATON_ARRAY_LEN(cpw_cases); i++) {
		const struct cpw_case *c = &cpw_cases[i];
		int got = text_cp_width(c->cp);
		if (got != c->width)
			printf("#     width %d, expected %d\n", got, c->width);
		snprintf(name, sizeof(name), "cp_width: %s", c->name);
		test_report(name, got != c->width);
	}
}

struct width_case {
	const char *name;
	const char *in;
	size_t len;
	size_t width;
};

static const struct width_case width_cases[] = {
	{ "ASCII", B("hello"), 5 },
	{ "Turkish", B("\xc4\xb0stanbul"), 8 },
	{ "Polish", B("Za\xc5\xbc\xc3\xb3\xc5\x82\xc4\x87 g\xc4\x99\xc5\x9bl\xc4\x85 ja\xc5\xba\xc5\x84"), 17 },
	{ "German", B("Stra\xc3\x9f" "e \xc3\xa4\xc3\xb6\xc3\xbc"), 10 },
	{ "CJK", B("\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e"), 6 },
	{ "fullwidth", B("\xef\xbd\x86\xef\xbd\x95\xef\xbd\x8c\xef\xbd\x8c"), 8 },
	{ "Hangul", B("\xed\x95\x9c\xea\xb5\xad\xec\x96\xb4"), 6 },
	{ "Hangul jamo L+V+T", B("\xe1\x84\x92\xe1\x85\xa1\xe1\x86\xab"), 2 },
	{ "emoji", B("ok \xf0\x9f\x98\x80"), 5 },
	{ "ZWJ family (2 + 0 + 2 + 0 + 2)",
	  B("\xf0\x9f\x91\xa8\xe2\x80\x8d\xf0\x9f\x91\xa9\xe2\x80\x8d\xf0\x9f\x91\xa7"), 6 },
	{ "combining accent", B("e\xcc\x81"), 1 },
	{ "zero-width space and BOM", B("a\xe2\x80\x8b" "b\xef\xbb\xbf"), 2 },
	{ "tab 1, newline 0", B("a\tb\nc"), 4 },
	{ "ill-formed byte counts 1", B("a\xff"), 2 },
	{ "placeholders are 1 each", B(PH_ESC PH_BIDI PH_NUL), 3 },
};

static void run_width_cases(void)
{
	char name[160];

	for (size_t i = 0; i < BATON_ARRAY_LEN(width_cases); i++) {
		const struct width_case *c = &width_cases[i];
		size_t got = text_width(c->in, c->len);
		if (got != c->width)
			printf("#     width %zu, expected %zu\n", got, c->width);
		snprintf(name, sizeof(name), "width: %s", c->name);
		test_report(name, got != c->width);
	}
}

struct fit_case {
	const char *name;
	const char *in;
	size_t len;
	size_t cols;
	size_t bytes;
	size_t used;
};

static const struct fit_case fit_cases[] = {
	{ "ASCII cut", B("hello world"), 5, 5, 5 },
	{ "all fits", B("abc"), 10, 3, 3 },
	{ "empty", B(""), 3, 0, 0 },
	{ "zero columns", B("abc"), 0, 0, 0 },
	{ "wide never straddles", B("\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e"), 5, 6, 4 },
	{ "wide in one column", B("\xe6\x97\xa5"), 1, 0, 0 },
	{ "combining mark stays with its letter", B("e\xcc\x81" "e\xcc\x81"), 1, 3, 1 },
	{ "two combining marks", B("a\xcc\x81\xcc\xa7" "b"), 1, 5, 1 },
	{ "leading combining mark is width 0", B("\xcc\x81" "abc"), 1, 3, 1 },
	{ "ZWJ follows its emoji", B("a\xf0\x9f\x91\xa8\xe2\x80\x8d\xf0\x9f\x91\xa9"), 3, 8, 3 },
	{ "Turkish letters", B("\xc4\xb0stanbul"), 3, 4, 3 },
	{ "ill-formed byte is one column", B("a\xff" "b"), 2, 2, 2 },
	{ "emoji at the edge", B("ab\xf0\x9f\x98\x80"), 3, 2, 2 },
};

static void run_fit_cases(void)
{
	char name[160];

	for (size_t i = 0; i < BATON_ARRAY_LEN(fit_cases); i++) {
		const struct fit_case *c = &fit_cases[i];
		size_t used = 999;
		size_t got = text_fit(c->in, c->len, c->cols, &used);
		int failed = got != c->bytes || used != c->used;
		if (failed)
			printf("#     %zu bytes, %zu columns; expected %zu, %zu\n", got, used, c->bytes, c->used);
		if (text_fit(c->in, c->len, c->cols, NULL) != got)
			failed = 1;
		snprintf(name, sizeof(name), "fit: %s", c->name);
		test_report(name, failed);
	}
}

struct wrap_case {
	const char *name;
	const char *in;
	size_t len;
	size_t cols;
	const char *want;	/* lines joined by '|' */
};

static const struct wrap_case wrap_cases[] = {
	{ "empty text is one empty line", B(""), 10, "" },
	{ "fits", B("hello world"), 20, "hello world" },
	{ "break at the space", B("hello world"), 5, "hello|world" },
	{ "break at the last space that fits", B("one two three four"), 9, "one two|three|four" },
	{ "run of spaces dropped", B("hello   world"), 7, "hello|world" },
	{ "space exactly at the edge", B("hello world"), 6, "hello|world" },
	{ "hard break in a long word", B("abcdefghij"), 4, "abcd|efgh|ij" },
	{ "long word after a short one", B("a bcdefghij"), 4, "a|bcde|fghi|j" },
	{ "newline", B("a\nb"), 10, "a|b" },
	{ "final newline ends the last line", B("a\n"), 10, "a" },
	{ "two final newlines: one empty line", B("a\n\n"), 10, "a|" },
	{ "newline alone is one empty line", B("\n"), 10, "" },
	{ "blank line kept", B("a\n\nb"), 10, "a||b" },
	{ "final newline after a break at spaces", B("hello \n"), 5, "hello" },
	{ "trailing spaces at a break not a line", B("hello "), 5, "hello" },
	{ "break at spaces before a newline", B("hello \nworld"), 5, "hello|world" },
	{ "indentation kept", B("   indented text"), 12, "   indented|text" },
	{ "CJK never straddles", B("\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e\xe3\x83\x86\xe3\x82\xad"), 5,
	  "\xe6\x97\xa5\xe6\x9c\xac|\xe8\xaa\x9e\xe3\x83\x86|\xe3\x82\xad" },
	{ "wide char wider than the line", B("\xe6\x97\xa5" "a"), 1, "\xe6\x97\xa5|a" },
	{ "spaces after an oversized char dropped", B("\xe6\x97\xa5  b\n\n"), 1, "\xe6\x97\xa5|b|" },
	{ "a space with a combining mark is kept whole", B("ab  \xcc\x81" "c"), 2, "ab| \xcc\x81" "c" },
	{ "newline after an oversized char", B("\xe6\x97\xa5\n"), 1, "\xe6\x97\xa5" },
	{ "combining marks stay", B("e\xcc\x81" "e\xcc\x81" "e\xcc\x81"), 2,
	  "e\xcc\x81" "e\xcc\x81|e\xcc\x81" },
	{ "one column", B("a b"), 1, "a|b" },
	{ "only spaces", B("    "), 2, "  |  " },
	{ "zero columns taken as one", B("ab"), 0, "a|b" },
	{ "Polish sentence", B("Za\xc5\xbc\xc3\xb3\xc5\x82\xc4\x87 g\xc4\x99\xc5\x9bl\xc4\x85 ja\xc5\xba\xc5\x84"), 10,
	  "Za\xc5\xbc\xc3\xb3\xc5\x82\xc4\x87|g\xc4\x99\xc5\x9bl\xc4\x85 ja\xc5\xba\xc5\x84" },
};

static void run_wrap_cases(void)
{
	struct text_line lines[16];
	char name[160];

	for (size_t i = 0; i < BATON_ARRAY_LEN(wrap_cases); i++) {
		const struct wrap_case *c = &wrap_cases[i];
		struct strbuf got = STRBUF_INIT;
		size_t n = text_wrap(c->in, c->len, c->cols, lines, BATON_ARRAY_LEN(lines));
		int failed = 0;
		size_t cols = c->cols ? c->cols : 1;

		for (size_t k = 0; k < n && k < BATON_ARRAY_LEN(lines); k++) {
			const struct text_line *l = &lines[k];
			if (k)
				sb_addc(&got, '|');
			sb_add(&got, c->in + l->off, l->len);
			if (l->width != text_width(c->in + l->off, l->len)) {
				printf("#     line %zu: width %zu, text_width %zu\n", k, l->width,
				       text_width(c->in + l->off, l->len));
				failed = 1;
			}
			/* Only a lone cluster wider than the line may exceed it. */
			if (l->width > cols && text_utf8_count(c->in + l->off, l->len) != 1)
				failed = 1;
		}
		if (strcmp(sb_str(&got), c->want) != 0) {
			printf("#     got \"%s\", expected \"%s\"\n", sb_str(&got), c->want);
			failed = 1;
		}
		/* The count does not depend on the room given. */
		if (text_wrap(c->in, c->len, c->cols, NULL, 0) != n ||
		    text_wrap(c->in, c->len, c->cols, lines, 1) != n)
			failed = 1;
		snprintf(name, sizeof(name), "wrap: %s", c->name);
		test_report(name, failed);
		sb_free(&got);
	}
}

/* Binary search needs sorted, disjoint ranges; widths are 0 or 2 (1 is the
 * default and not listed). A regenerated table that breaks this fails here. */
static void test_width_table_shape(void)
{
	const size_t n = BATON_ARRAY_LEN(text_width_table);

	CHECK(n > 100);
	for (size_t i = 0; i < n; i++) {
		const struct text_width_range *r = &text_width_table[i];
		CHECK(r->lo <= r->hi);
		CHECK(r->hi <= 0x10FFFF);
		CHECK(r->width == 0 || r->width == 2);
		CHECK(r->lo >= TEXT_WIDTH_FIRST_SPECIAL);
		if (i > 0)
			CHECK(text_width_table[i - 1].hi < r->lo);
		/* The search finds both ends of every range. */
		CHECK_INT(text_cp_width(r->lo), r->width);
		CHECK_INT(text_cp_width(r->hi), r->width);
	}
	/* Non-scalar values are unsafe and never decoded. */
	CHECK(text_is_unsafe(0xD800));
	CHECK(text_is_unsafe(0x110000));
}

static void run_all(void)
{
	run_sanitize_cases();
	run_bidi_cases();
	run_control_sweep();
	run_line_cases();
	run_utf8_cases();
	run_cp_width_cases();
	run_width_cases();
	run_fit_cases();
	run_wrap_cases();
}

/* The table runners report their own lines; run_all is not a TEST itself. */
int main(void)
{
	static const struct test tests[] = {
		TEST(test_sanitize_api),
		TEST(test_utf8_put),
		TEST(test_width_table_shape),
	};

	run_all();
	return test_run_(tests, BATON_ARRAY_LEN(tests));
}
