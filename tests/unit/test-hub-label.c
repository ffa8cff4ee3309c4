/* test-hub-label.c: tracking numbers, Code 128, the PDF and ZPL label documents. */
#include "baton/hub-label.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "baton/common.h"
#include "test.h"

/* ---- tracking numbers ---- */

static void test_tracking_known(void)
{
	/* UPS's published sample; its check digit 4 worked by hand in label.c's rule:
	 * odd positions 9+9+2+0+2+4+6+8 = 40, even 9+2+1+1+3+5+7 = 28 → 40 + 56 = 96 → 4. */
	CHECK(label_tracking_valid("1Z999AA10123456784"));
	CHECK(!label_tracking_valid("1Z999AA10123456785"));
	CHECK(!label_tracking_valid("1Z999AA1012345678"));
	CHECK(!label_tracking_valid("1z999AA10123456784"));
	/* The EAN-13 example 400638133393 → check 1, padded with zeros on the left
	 * (GS1 weights count from the right, so zeros change nothing). */
	CHECK(label_tracking_valid("0000000004006381333931"));
	CHECK(!label_tracking_valid("0000000004006381333932"));
	CHECK(label_tracking_valid("JD000004006381333931"));
	CHECK(!label_tracking_valid("JD000004006381333930"));
	CHECK(!label_tracking_valid("JD00000400638133393X"));
	CHECK(!label_tracking_valid(""));
	CHECK(!label_tracking_valid(NULL));
	CHECK(!label_tracking_valid("000000000400638133393"));	/* 21 digits */
}

static int tracking_cmp(const void *a, const void *b)
{
	return strcmp(a, b);
}

static void test_tracking_generated(void)
{
	static const struct { const char *carrier, *prefix; size_t len; } forms[] = {
		{ "ups", "1Z", 18 }, { "UPS Standard", "1Z", 18 }, { "DHL Parcel", "JD0", 20 },
		{ "dhl", "JD0", 20 }, { "postnl", "", 22 }, { "DPD", "", 22 }, { NULL, "", 22 },
		{ "Yurtiçi Kargo", "", 22 },
	};
	enum { N = 500 };
	static char seen[N][LABEL_TRACKING_MAX];

	for (size_t f = 0; f < BATON_ARRAY_LEN(forms); f++) {
		for (int i = 0; i < N; i++) {
			char t[LABEL_TRACKING_MAX];
			label_tracking_number(forms[f].carrier, t);
			CHECK_INT(strlen(t), forms[f].len);
			CHECK(strncmp(t, forms[f].prefix, strlen(forms[f].prefix)) == 0);
			CHECK(label_tracking_valid(t));
			/* A changed digit is caught (every single change, for mod 10). */
			char u[LABEL_TRACKING_MAX];
			memcpy(u, t, sizeof u);
			size_t last = strlen(u) - 1;
			u[last] = (char)('0' + (u[last] - '0' + 1 + i % 9) % 10);
			CHECK(!label_tracking_valid(u));
			memcpy(seen[i], t, sizeof t);
		}
		qsort(seen, N, sizeof seen[0], tracking_cmp);
		for (int i = 1; i < N; i++)
			CHECK(strcmp(seen[i - 1], seen[i]) != 0);
	}
}

/* ---- Code 128 ---- */

static void check_symbols(const char *data, const int *want, size_t nwant)
{
	int got[128];
	size_t n = 0;

	CHECK(label_code128_symbols(data, got, 128, &n) == 0);
	CHECK_INT(n, nwant);
	for (size_t i = 0; i < n && i < nwant; i++) {
		if (got[i] != want[i])
			printf("#   %s: symbol %zu is %d, expected %d\n", data, i, got[i], want[i]);
		CHECK_INT(got[i], want[i]);
	}
}

static void test_code128_symbols(void)
{
	/* Worked by hand from ISO/IEC 15417: check = (start + Σ value·position) mod 103. */
	/* Start B, A=33, B=34: 104 + 33 + 68 = 205 → 102. */
	check_symbols("AB", (const int[]){ 104, 33, 34, 102, 106 }, 5);
	/* Start C, 12 34 56: 105 + 12 + 68 + 168 = 353 → 44. */
	check_symbols("123456", (const int[]){ 105, 12, 34, 56, 44, 106 }, 6);
	/* All B: W i k i p e d i a = 55 73 75 73 80 69 68 73 65; sum 3281 → 88. */
	check_symbols("Wikipedia",
		      (const int[]){ 104, 55, 73, 75, 73, 80, 69, 68, 73, 65, 88, 106 }, 12);
	/* B then Code C (99) for six digits: 104+33+68+297+48+170+336 = 1056 → 26. */
	check_symbols("AB123456", (const int[]){ 104, 33, 34, 99, 12, 34, 56, 26, 106 }, 9);
	/* Five digits: 4 data symbols either way; B "1", Code C, 23 45:
	 * 104 + 17 + 198 + 69 + 180 = 568 → 53. */
	check_symbols("12345", (const int[]){ 104, 17, 99, 23, 45, 53, 106 }, 7);
	/* Three digits stay in B (switching would not save a symbol). */
	check_symbols("A12", (const int[]){ 104, 33, 17, 18, (104 + 33 + 34 + 54) % 103, 106 }, 6);
}

static void modules_str(const unsigned char *m, size_t from, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		out[i] = m[from + i] ? '1' : '0';
	out[n] = '\0';
}

static void test_code128_modules(void)
{
	unsigned char m[512];
	char s[64];
	size_t n = 0;

	CHECK(label_code128("AB", m, sizeof m, &n) == 0);
	CHECK_INT(n, 4 * 11 + 13);
	/* Published bit patterns: Start B, "A", "B", FNC1 (= value 102), Stop. */
	modules_str(m, 0, 11, s);  CHECK_STR(s, "11010010000");
	modules_str(m, 11, 11, s); CHECK_STR(s, "10100011000");
	modules_str(m, 22, 11, s); CHECK_STR(s, "10001011000");
	modules_str(m, 33, 11, s); CHECK_STR(s, "11110101110");
	modules_str(m, 44, 13, s); CHECK_STR(s, "1100011101011");

	CHECK(label_code128("123456", m, sizeof m, &n) == 0);
	modules_str(m, 0, 11, s);  CHECK_STR(s, "11010011100");	/* Start C */
	modules_str(m, 11, 11, s); CHECK_STR(s, "10110011100");	/* 12 */

	/* Too small a buffer, empty data, a byte outside 32..126: refused. */
	CHECK(label_code128("AB", m, 56, &n) == -1);
	CHECK(label_code128("", m, sizeof m, &n) == -1);
	CHECK(label_code128("caf\xc3\xa9", m, sizeof m, &n) == -1);
	CHECK(label_code128("a\tb", m, sizeof m, &n) == -1);
}

/* Every symbol character of the table has the structure ISO 15417 requires:
 * 11 modules, 3 bars and 3 spaces of 1–4 modules, an even number of bar
 * modules (the parity a reader checks). Values 0..94 are reachable as set B
 * characters; the rest through the start/check/switch symbols above. */
static void test_code128_table_parity(void)
{
	for (int v = 0; v < 95; v++) {
		char data[2] = { (char)(v + 32), '\0' };
		unsigned char m[64];
		size_t n = 0;
		int bars = 0, runs = 0;

		CHECK(label_code128(data, m, sizeof m, &n) == 0);
		CHECK_INT(n, 3 * 11 + 13);	/* start, the character, check, stop */
		for (size_t i = 11; i < 22; i++) {
			bars += m[i];
			if (i == 11 || m[i] != m[i - 1])
				runs++;
		}
		if (bars % 2 != 0 || runs != 6 || !m[11] || m[21])
			printf("#   symbol %d: bars %d runs %d\n", v, bars, runs);
		CHECK(bars % 2 == 0);
		CHECK_INT(runs, 6);
		CHECK(m[11] == 1 && m[21] == 0);
	}
}

/* ---- PDF ---- */

static const struct label_info sample = {
	.tracking = "1Z999AA10123456784", .carrier = "ups", .service = "UPS Standard Return",
	.rma = "rma-7QX2KD", .order = "o-5521", .label_id = "lbl-42",
	.from_name = "Ayşe Yılmaz", .from_lines = { "Bağdat Cd. 12/4", "34710 Kadıköy İstanbul", "Türkiye", NULL },
	.to_name = "Baton Shop Returns", .to_lines = { "Retourenstraße 7", "41460 Neuss", "Deutschland", NULL },
	.weight = "1.2 kg", .created_ms = 1795320847123,
};

/* Offset of the first occurrence of needle in hay[0..n), or -1. */
static long find(const char *hay, size_t n, const char *needle)
{
	size_t k = strlen(needle);

	for (size_t i = 0; i + k <= n; i++)
		if (memcmp(hay + i, needle, k) == 0)
			return (long)i;
	return -1;
}

/* Checks the file structure: header, every xref offset at "N 0 obj", the
 * stream length, startxref, %%EOF, and 7-bit bytes only. */
static void check_pdf_structure(const char *pdf, size_t len)
{
	long sx, xref;
	int count = 0;
	const char *p;

	CHECK(len > 100 && memcmp(pdf, "%PDF-1.4\n", 9) == 0);
	CHECK(len >= 6 && memcmp(pdf + len - 6, "%%EOF\n", 6) == 0);
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)pdf[i] > 126 || ((unsigned char)pdf[i] < 32 && pdf[i] != '\n')) {
			printf("#   byte 0x%02x at %zu\n", (unsigned char)pdf[i], i);
			CHECK(!"7-bit clean");
			break;
		}
	sx = find(pdf, len, "startxref\n");
	CHECK(sx > 0);
	if (sx <= 0)
		return;
	xref = strtol(pdf + sx + 10, NULL, 10);
	CHECK(xref > 0 && (size_t)xref < len);
	if (xref <= 0 || (size_t)xref >= len)
		return;
	p = pdf + xref;
	CHECK(strncmp(p, "xref\n0 ", 7) == 0);
	count = atoi(p + 7);
	CHECK(count >= 7);
	p = strchr(p + 7, '\n') + 1;
	CHECK(strncmp(p, "0000000000 65535 f \n", 20) == 0);
	for (int i = 1; i < count; i++) {
		const char *e = p + 20 * i;
		char want[32];
		long off = strtol(e, NULL, 10);
		CHECK(e[10] == ' ' && strncmp(e + 10, " 00000 n \n", 10) == 0);
		snprintf(want, sizeof want, "%d 0 obj\n", i);
		CHECK(off > 0 && (size_t)off < len);
		if (off > 0 && (size_t)off < len && strncmp(pdf + off, want, strlen(want)) != 0) {
			printf("#   xref entry %d points at \"%.10s\"\n", i, pdf + off);
			CHECK(!"xref offset");
		}
	}
	CHECK(strncmp(p + 20 * count, "trailer\n", 8) == 0);
	/* /Length of the content stream equals the bytes between stream and endstream. */
	{
		long l = find(pdf, len, "/Length ");
		long s = find(pdf, len, "stream\n");
		long e = find(pdf, len, "endstream\n");
		CHECK(l > 0 && s > l && e > s);
		if (l > 0 && s > l && e > s)
			CHECK_INT(strtol(pdf + l + 8, NULL, 10), e - (s + 7));
	}
}

/*
 * Tokenizes the content stream as a PDF reader would and checks that every
 * literal string is complete and immediately shown ("(…) Tj"), so no input
 * could have ended a string early and injected operators. Returns the number
 * of strings; appends their decoded bytes, one per line, to out.
 */
static int check_pdf_strings(const char *pdf, size_t len, struct strbuf *out)
{
	long s = find(pdf, len, "stream\n"), e = find(pdf, len, "endstream\n");
	int strings = 0;

	if (s < 0 || e < 0)
		return -1;
	for (long i = s + 7; i < e; i++) {
		if (pdf[i] == ')') {
			CHECK(!"unbalanced ) outside a string");
			return -1;
		}
		if (pdf[i] != '(')
			continue;
		int depth = 1;
		for (i++; i < e && depth > 0; i++) {
			char c = pdf[i];
			if (c == '\\') {
				char d = pdf[++i];
				if (d >= '0' && d <= '7') {
					int v = 0, k = 0;
					while (k < 3 && pdf[i] >= '0' && pdf[i] <= '7')
						v = v * 8 + (pdf[i++] - '0'), k++;
					i--;
					sb_addc(out, (char)v);
				} else {
					sb_addc(out, d);
				}
			} else if (c == '(') {
				depth++;
				sb_addc(out, c);
			} else if (c == ')') {
				if (--depth > 0)
					sb_addc(out, c);
			} else {
				sb_addc(out, c);
			}
		}
		CHECK(depth == 0);
		CHECK(strncmp(pdf + i, " Tj ET\n", 7) == 0);
		sb_addc(out, '\n');
		strings++;
		i--;
	}
	return strings;
}

static void test_pdf_structure(void)
{
	size_t len = 0;
	char *pdf = label_pdf(&sample, &len);
	struct strbuf text = STRBUF_INIT;

	check_pdf_structure(pdf, len);
	CHECK(find(pdf, len, "/MediaBox [0 0 288 432]") > 0);
	CHECK(find(pdf, len, "/Encoding /WinAnsiEncoding") > 0);
	CHECK(find(pdf, len, " re\n") > 0);	/* the barcode's bars */
	CHECK(check_pdf_strings(pdf, len, &text) > 10);
	/* Strings in WinAnsi: ş → s, ı → i, İ → I, ğ → g; ü and ß are CP1252. */
	CHECK(strstr(sb_str(&text), "Ayse Yilmaz") != NULL);
	CHECK(strstr(sb_str(&text), "Bagdat Cd. 12/4") != NULL);
	CHECK(strstr(sb_str(&text), "34710 Kadik\xf6y Istanbul") != NULL);
	CHECK(strstr(sb_str(&text), "Retourenstra\xdf" "e 7") != NULL);
	CHECK(strstr(sb_str(&text), "1Z999AA10123456784") != NULL);
	CHECK(strstr(sb_str(&text), "RMA: rma-7QX2KD") != NULL);
	CHECK(strstr(sb_str(&text), "Order: o-5521") != NULL);
	sb_free(&text);
	free(pdf);
}

static const struct label_info hostile = {
	.tracking = "0000000004006381333931", .carrier = "dpd) Tj ET BT (x", .service = NULL,
	.rma = "rma-1", .order = "o-1", .label_id = "lbl-\\)",
	.from_name = "Ev)il \\ (Name\\) \\\\) Tj /F1 99 Tf",
	.from_lines = { "Agao\xc4\x9flu \xc5\x81ukasz \xc5\x9e\xc3\xbckr\xc3\xbc \xe4\xbd\xa0\xe5\xa5\xbd",
			"\x1b[31mred\x1b[0m\r\nendstream\nendobj", "\xff\xfe bad utf-8 \xc3",
			"\xe2\x80\xae" "evil bidi" },
	.to_name = "W\xc3\xa4rehouse (Returns)", .to_lines = { NULL },
	.weight = NULL, .created_ms = 0,
};

static void test_pdf_hostile(void)
{
	size_t len = 0;
	char *pdf = label_pdf(&hostile, &len);
	struct strbuf text = STRBUF_INIT;

	check_pdf_structure(pdf, len);
	CHECK(check_pdf_strings(pdf, len, &text) > 8);
	/* The name arrives whole, as one string; nothing of it became an
	 * operator; other scripts are transliterated or '?'. */
	CHECK(strstr(sb_str(&text), "Ev)il \\ (Name\\) \\\\) Tj /F1 99 Tf\n") != NULL);
	CHECK(strstr(sb_str(&text), "Agaoglu Lukasz S\xfckr\xfc ??\n") != NULL);
	CHECK(strstr(sb_str(&text), "evil bidi\n") != NULL);
	CHECK(strstr(sb_str(&text), "red") != NULL);
	CHECK(find(pdf, len, "endobj\nendobj") < 0);
	CHECK(find(pdf, len, "99 Tf ") < 0);	/* only inside a string, escaped */
	/* Exactly one endstream and seven objects: the text could not add any. */
	{
		int objs = 0;
		for (long i = 0; (size_t)i < len; i++)
			if (strncmp(pdf + i, " 0 obj\n", 7) == 0)
				objs++;
		CHECK_INT(objs, 7);
	}
	sb_free(&text);
	free(pdf);
}

/* A name longer than the label is wide is cut, with an ellipsis, not
 * drawn off the page. Helvetica-Bold 'W' is 944/1000 em: at 9 pt the
 * 256 pt line holds about 27. */
static void test_pdf_long_text(void)
{
	struct label_info li = sample;
	char name[301];
	struct strbuf text = STRBUF_INIT;
	size_t len = 0;
	char *pdf;
	const char *p;

	memset(name, 'W', 300);
	name[300] = '\0';
	li.from_name = name;
	pdf = label_pdf(&li, &len);
	check_pdf_structure(pdf, len);
	check_pdf_strings(pdf, len, &text);
	p = strstr(sb_str(&text), "WWWW");
	CHECK(p != NULL);
	if (p) {
		size_t n = strspn(p, "W");
		CHECK(n >= 20 && n <= 28);
		CHECK(p[n] == '\x85' && p[n + 1] == '\n');
	}
	sb_free(&text);
	free(pdf);
}

static void test_winansi(void)
{
	char *s = label_winansi("ğĞışŞİçÇöÖüÜ ąĄęĘłŁńŃśŚźŹżŻ ĳĲ ß ẞ € – „x“ 你 \x07");
	CHECK_STR(s, "gGisSI\xe7\xc7\xf6\xd6\xfc\xdc aAeElLnNsSzZzZ ijIJ \xdf SS \x80 \x96 \x84x\x93 ?  ");
	free(s);
	s = label_winansi(NULL);
	CHECK_STR(s, "");
	free(s);
	/* Invalid and truncated UTF-8: '?' per bad byte, never a raw byte. */
	s = label_winansi("a\xc3" "b\xff");
	CHECK_STR(s, "a?b?");
	free(s);
	/* Œ œ Š š Ž ž Ÿ are in CP1252 itself. */
	s = label_winansi("ŒœŠšŽžŸ");
	CHECK_STR(s, "\x8c\x9c\x8a\x9a\x8e\x9e\x9f");
	free(s);
}

static int count(const char *s, const char *needle)
{
	int n = 0;

	for (const char *p = strstr(s, needle); p; p = strstr(p + 1, needle))
		n++;
	return n;
}

/*
 * Random bytes in every field, a few thousand times: the PDF keeps its
 * structure and every string stays a string; ZPL keeps one ^XA and one ^XZ
 * and no '~'. A fixed xorshift stream, so a failure reproduces.
 */
static uint64_t fuzz_state = 0x9E3779B97F4A7C15u;

static uint64_t fuzz_next(void)
{
	fuzz_state ^= fuzz_state << 13;
	fuzz_state ^= fuzz_state >> 7;
	fuzz_state ^= fuzz_state << 17;
	return fuzz_state;
}

static char *fuzz_string(void)
{
	static const char *const nasty[] = { "(", ")", "\\", "\\)", "^XZ", "~JR", "\n", "\r", "%%EOF",
					     "endstream", " Tj ET", "\xc4\x9f", "\xe2\x80\xae", "\xff",
					     "\xf0\x9f\x98\x80", "\xc3", "\x1b[2J", "\0x" };
	size_t n = fuzz_next() % 60;
	char *s = malloc(4 * n + 1);
	size_t k = 0;

	for (size_t i = 0; i < n; i++) {
		uint64_t r = fuzz_next();
		if (r % 3 == 0) {
			const char *t = nasty[(r >> 8) % BATON_ARRAY_LEN(nasty)];
			size_t l = strlen(t);
			if (l > 4)
				l = 4;
			memcpy(s + k, t, l);
			k += l;
		} else {
			char c = (char)((r >> 16) & 0xFF);
			s[k++] = c ? c : ' ';
		}
	}
	s[k] = '\0';
	return s;
}

static void test_fuzz_documents(void)
{
	for (int round = 0; round < 2000; round++) {
		char *f[12];
		struct label_info li;
		size_t len = 0;
		char *pdf, *zpl;
		struct strbuf text = STRBUF_INIT;
		int before = test_failed_;

		for (size_t i = 0; i < BATON_ARRAY_LEN(f); i++)
			f[i] = fuzz_string();
		memset(&li, 0, sizeof li);
		li.tracking = round % 4 ? f[0] : "1Z999AA10123456784";
		li.carrier = f[1];
		li.service = f[2];
		li.rma = f[3];
		li.order = f[4];
		li.label_id = f[5];
		li.from_name = f[6];
		li.from_lines[0] = f[7];
		li.from_lines[1] = f[8];
		li.to_name = f[9];
		li.to_lines[0] = f[10];
		li.weight = f[11];
		li.created_ms = (int64_t)(fuzz_next() % 4102444800000u);

		pdf = label_pdf(&li, &len);
		check_pdf_structure(pdf, len);
		CHECK(check_pdf_strings(pdf, len, &text) >= 10);
		zpl = label_zpl(&li, NULL);
		CHECK_INT(count(zpl, "^XA"), 1);
		CHECK_INT(count(zpl, "^XZ"), 1);
		CHECK(strchr(zpl, '~') == NULL);
		if (test_failed_ && !before)
			printf("#   fuzz round %d failed\n", round);
		sb_free(&text);
		free(pdf);
		free(zpl);
		for (size_t i = 0; i < BATON_ARRAY_LEN(f); i++)
			free(f[i]);
		if (test_failed_)
			break;
	}
}

static void test_tracking_seeded(void)
{
	char a[LABEL_TRACKING_MAX], b[LABEL_TRACKING_MAX], c[LABEL_TRACKING_MAX];

	for (uint64_t seed = 1; seed < 200; seed++) {
		static const char *const carriers[] = { "ups", "dhl", "postnl", "Aras Kargo" };
		const char *carrier = carriers[seed % 4];
		label_tracking_number_seeded(carrier, seed, a);
		label_tracking_number_seeded(carrier, seed, b);
		label_tracking_number_seeded(carrier, seed + 1000, c);
		CHECK_STR(a, b);
		CHECK(strcmp(a, c) != 0);
		CHECK(label_tracking_valid(a));
	}
}

/* ---- ZPL ---- */

static void test_zpl(void)
{
	size_t len = 0;
	char *z = label_zpl(&sample, &len);

	CHECK(len == strlen(z));
	CHECK(strncmp(z, "^XA\n", 4) == 0);
	CHECK(len > 5 && strcmp(z + len - 4, "^XZ\n") == 0);
	CHECK(strstr(z, "^CI28") != NULL);
	CHECK(strstr(z, "^BCN,") != NULL);
	CHECK(strstr(z, "^FD1Z999AA10123456784^FS") != NULL);	/* the text line */
	CHECK(strstr(z, "^FDAyşe Yılmaz^FS") != NULL);
	CHECK(strstr(z, "RMA: rma-7QX2KD") != NULL);
	CHECK_INT(count(z, "^FD"), count(z, "^FS") - count(z, "^GB"));
	free(z);
}

/*
 * Reads a ^BC field back the way a Zebra printer does (subset invocation
 * codes, pairs of digits in set C) and returns the data it encodes.
 */
static void zpl_bc_decode(const char *fd, char *out, size_t size)
{
	int set = 0;	/* 0: B, 1: C */
	size_t k = 0;

	for (const char *p = fd; *p && *p != '^' && k + 3 < size;) {
		if (p[0] == '>') {
			switch (p[1]) {
			case ':': set = 0; break;
			case ';': set = 1; break;
			case '5': set = 1; break;
			case '6': set = 0; break;
			case '0': out[k++] = '>'; break;
			case '<': out[k++] = '^'; break;
			case '=': out[k++] = '~'; break;
			default: out[k++] = '?'; break;
			}
			p += 2;
		} else if (set) {
			out[k++] = p[0];
			out[k++] = p[1];
			p += 2;
		} else {
			out[k++] = *p++;
		}
	}
	out[k] = '\0';
}

static void check_zpl_barcode(const char *tracking, const char *want_prefix)
{
	struct label_info li = sample;
	char *z, got[128];
	const char *bc, *fd;
	int x = 0, w = 0;
	unsigned char mod[1024];
	size_t n = 0;

	li.tracking = tracking;
	z = label_zpl(&li, NULL);
	bc = strstr(z, "^BCN,");
	CHECK(bc != NULL);
	if (!bc)
		goto out;
	/* The field origin and module width put the whole symbol on the label. */
	for (const char *p = bc; p > z; p--)
		if (strncmp(p, "^FO", 3) == 0) {
			x = atoi(p + 3);
			break;
		}
	w = atoi(strstr(bc - 20, "^BY") + 3);
	CHECK(label_code128(tracking, mod, sizeof mod, &n) == 0);
	CHECK(w >= 1 && w <= 3);
	CHECK(x >= 40 && x + (int)n * w <= 812 - 40);
	fd = strstr(bc, "^FD") + 3;
	CHECK(strncmp(fd, want_prefix, strlen(want_prefix)) == 0);
	zpl_bc_decode(fd, got, sizeof got);
	CHECK_STR(got, tracking);
out:
	free(z);
}

static void test_zpl_barcode(void)
{
	/* Our symbols, spelled in invocation codes: B "1Z999AA1", code C, pairs. */
	check_zpl_barcode("1Z999AA10123456784", ">:1Z999AA");
	check_zpl_barcode("0000000004006381333931", ">;0000000004006381333931");
	check_zpl_barcode("JD000004006381333931", ">:JD>5000004006381333931");
	check_zpl_barcode("a>b^c~d", ">:a>0b><c>=d");
	{
		/* 60 characters of set B still fit, with 1-dot modules. */
		char long_data[61];
		memset(long_data, 'x', 60);
		long_data[60] = '\0';
		check_zpl_barcode(long_data, ">:xxx");
	}
}

static void test_zpl_escaping(void)
{
	struct label_info li = sample;
	char *z;

	li.from_name = "Evil^XZ^XA~JR~DGname";
	li.from_lines[0] = "line\r\n^FS^FO0,0^GB800,1200,800^FS";
	li.from_lines[1] = "\xc3(\xe2\x80\xae" "bidi";
	li.from_lines[2] = NULL;
	z = label_zpl(&li, NULL);
	CHECK_INT(count(z, "^XA"), 1);
	CHECK_INT(count(z, "^XZ"), 1);
	CHECK(strchr(z, '~') == NULL);
	CHECK(strstr(z, "^FDEvilXZXAJRDGname^FS") != NULL);
	CHECK(strstr(z, "^FDlineFSFO0,0GB800,1200,800FS^FS") != NULL);
	CHECK(strstr(z, "^FD?(bidi^FS") != NULL);
	CHECK(strchr(z, '\r') == NULL);
	for (const char *p = z; *p; p++)
		CHECK(*p == '\n' || (unsigned char)*p >= 32);
	free(z);
}

static void test_carrier_names(void)
{
	CHECK_STR(label_carrier_name("ups"), "UPS");
	CHECK_STR(label_carrier_name("DHL Parcel"), "DHL");
	CHECK_STR(label_carrier_name("PostNL"), "PostNL");
	CHECK_STR(label_carrier_name("Aras Kargo"), "Aras Kargo");
	CHECK_STR(label_carrier_name(NULL), "Carrier");
	CHECK(label_default_service(NULL) != NULL);
	CHECK(strstr(label_default_service("ups"), "UPS") != NULL);
}

/* ---- pdftotext (poppler-utils), when installed ---- */

static int pdftotext_contains(const struct label_info *li, const char *const *want, size_t nwant)
{
	char dir[] = "/tmp/baton-label-XXXXXX", pdfpath[128], txtpath[128], cmd[512];
	size_t len = 0, tlen = 0;
	char *pdf = NULL, *txt = NULL;
	int failed = 1;
	FILE *f;

	if (!mkdtemp(dir))
		return 1;
	snprintf(pdfpath, sizeof pdfpath, "%s/label.pdf", dir);
	snprintf(txtpath, sizeof txtpath, "%s/label.txt", dir);
	pdf = label_pdf(li, &len);
	f = fopen(pdfpath, "wb");
	if (!f || fwrite(pdf, 1, len, f) != len) {
		if (f)
			fclose(f);
		goto out;
	}
	fclose(f);
	/* poppler reports any syntax problem on stderr, even when it copes:
	 * the file must parse without a single complaint. */
	snprintf(cmd, sizeof cmd, "pdftotext -enc UTF-8 %s %s 2>%s/err", pdfpath, txtpath, dir);
	if (system(cmd) != 0)
		goto out;
	txt = file_read(txtpath, 1 << 20, &tlen);
	if (!txt)
		goto out;
	failed = 0;
	snprintf(cmd, sizeof cmd, "%s/err", dir);
	{
		size_t elen = 0;
		char *errs = file_read(cmd, 1 << 16, &elen);
		if (!errs || elen > 0) {
			printf("#   pdftotext complained: %s\n", errs ? errs : "(no stderr file)");
			failed = 1;
		}
		free(errs);
		unlink(cmd);
	}
	for (size_t i = 0; i < nwant; i++)
		if (!strstr(txt, want[i])) {
			printf("#   pdftotext output lacks \"%s\":\n# %s\n", want[i], txt);
			failed = 1;
		}
out:
	unlink(pdfpath);
	unlink(txtpath);
	rmdir(dir);
	free(pdf);
	free(txt);
	return failed;
}

/*
 * Renders the label at 203 dpi (a thermal printer's resolution) and reads
 * the barcode back with zbarimg: the bars we draw are the ones a scanner
 * decodes. Returns 1 on failure.
 */
static int barcode_scans(const char *tracking)
{
	char dir[] = "/tmp/baton-label-XXXXXX", cmd[1024], path[128];
	struct label_info li = sample;
	size_t len = 0;
	char *pdf, *out = NULL;
	int failed = 1;
	FILE *f;

	li.tracking = tracking;
	if (!mkdtemp(dir))
		return 1;
	snprintf(path, sizeof path, "%s/l.pdf", dir);
	pdf = label_pdf(&li, &len);
	f = fopen(path, "wb");
	if (f) {
		fwrite(pdf, 1, len, f);
		fclose(f);
		snprintf(cmd, sizeof cmd,
			 "pdftoppm -r 203 -png %s %s/page && zbarimg -q --raw %s/page-1.png > %s/scan.txt"
			 " 2>/dev/null", path, dir, dir, dir);
		if (system(cmd) == 0) {
			snprintf(path, sizeof path, "%s/scan.txt", dir);
			out = file_read(path, 4096, &len);
			failed = !(out && strncmp(out, tracking, strlen(tracking)) == 0 &&
				   (out[strlen(tracking)] == '\n' || out[strlen(tracking)] == '\0'));
			if (failed)
				printf("#   zbarimg read \"%s\", expected \"%s\"\n", out ? out : "", tracking);
		}
	}
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	if (system(cmd) != 0)
		printf("#   could not remove %s\n", dir);
	free(pdf);
	free(out);
	return failed;
}

static const struct test tests[] = {
	TEST(test_tracking_known),
	TEST(test_tracking_generated),
	TEST(test_tracking_seeded),
	TEST(test_code128_symbols),
	TEST(test_code128_modules),
	TEST(test_code128_table_parity),
	TEST(test_pdf_structure),
	TEST(test_pdf_hostile),
	TEST(test_pdf_long_text),
	TEST(test_winansi),
	TEST(test_zpl),
	TEST(test_zpl_escaping),
	TEST(test_zpl_barcode),
	TEST(test_fuzz_documents),
	TEST(test_carrier_names),
};

int main(void)
{
	for (size_t i = 0; i < BATON_ARRAY_LEN(tests); i++) {
		test_failed_ = 0;
		tests[i].fn();
		test_report(tests[i].name, test_failed_);
	}
	if (system("command -v pdftotext >/dev/null 2>&1") == 0) {
		static const char *const want[] = { "1Z999AA10123456784", "rma-7QX2KD", "o-5521",
						    "Ayse Yilmaz", "Retourenstraße 7", "UPS" };
		static const char *const want_hostile[] = {
			"0000000004006381333931", "Ev)il \\ (Name\\) \\\\) Tj", "Agaoglu Lukasz Sükrü",
			"Wärehouse (Returns)",
		};
		test_report("pdftotext finds tracking, RMA, order and names",
			    pdftotext_contains(&sample, want, BATON_ARRAY_LEN(want)));
		test_report("pdftotext reads hostile text as text",
			    pdftotext_contains(&hostile, want_hostile, BATON_ARRAY_LEN(want_hostile)));
	} else {
		test_report("pdftotext finds tracking # SKIP pdftotext not installed (poppler-utils)", 0);
		test_report("pdftotext reads hostile text # SKIP pdftotext not installed (poppler-utils)", 0);
	}
	if (system("command -v pdftoppm >/dev/null 2>&1 && command -v zbarimg >/dev/null 2>&1") == 0) {
		char t[LABEL_TRACKING_MAX];
		int failed = barcode_scans("1Z999AA10123456784");
		label_tracking_number("dhl", t);
		failed |= barcode_scans(t);
		label_tracking_number("postnl", t);
		failed |= barcode_scans(t);
		failed |= barcode_scans("AB-12345678-cd");
		test_report("zbarimg scans the printed barcode", failed);
	} else {
		test_report("zbarimg scans the printed barcode # SKIP pdftoppm/zbarimg not installed"
			    " (poppler-utils, zbar-tools)", 0);
	}
	printf("1..%d\n", test_count_);
	return test_fail_count_ ? 1 : 0;
}
