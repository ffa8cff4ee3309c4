/*
 * label.c: return shipping labels, written by hand.
 *
 * Three parts, top to bottom:
 *   1. tracking numbers: carrier-style formats with check digits;
 *   2. Code 128: the symbol table of ISO/IEC 15417, a shortest-encoding
 *      choice between sets B and C, and modules (bars and spaces);
 *   3. the documents: a PDF 1.4 (one page, two base-14 fonts, one content
 *      stream, an xref table whose offsets we count as we write) and ZPL II.
 *
 * Everything in struct label_info may come from a customer. The PDF only
 * ever holds ASCII bytes: text is converted to WinAnsiEncoding (CP1252),
 * what CP1252 lacks is transliterated, and every byte that is not printable
 * ASCII or is one of ( ) \ is written as an escape inside the string. Numbers
 * are formatted without printf's %f so a caller's LC_NUMERIC cannot put a
 * decimal comma into the page description.
 */
#include "baton/hub-label.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "baton/common.h"

/* ---------------------------------------------------------------- carriers */

enum label_family { FAM_OTHER, FAM_UPS, FAM_DHL, FAM_POSTNL, FAM_DPD, FAM_GLS };

static const struct {
	enum label_family fam;
	const char *match;	/* lower-case substring of the carrier string */
	const char *name;
	const char *service;
} label_carriers[] = {
	{ FAM_UPS,    "ups",    "UPS",    "UPS Standard Return" },
	{ FAM_DHL,    "dhl",    "DHL",    "DHL Parcel Return" },
	{ FAM_POSTNL, "postnl", "PostNL", "Retour Pakket" },
	{ FAM_DPD,    "dpd",    "DPD",    "DPD Return" },
	{ FAM_GLS,    "gls",    "GLS",    "ShopReturn" },
};

static int label_carrier_index(const char *carrier)
{
	char low[65];
	size_t i;

	if (!carrier)
		return -1;
	for (i = 0; carrier[i] && i < sizeof low - 1; i++)
		low[i] = (char)((carrier[i] >= 'A' && carrier[i] <= 'Z') ? carrier[i] + 32 : carrier[i]);
	low[i] = '\0';
	for (size_t k = 0; k < BATON_ARRAY_LEN(label_carriers); k++)
		if (strstr(low, label_carriers[k].match))
			return (int)k;
	return -1;
}

const char *label_carrier_name(const char *carrier)
{
	int k = label_carrier_index(carrier);

	if (k >= 0)
		return label_carriers[k].name;
	return carrier && *carrier ? carrier : "Carrier";
}

const char *label_default_service(const char *carrier)
{
	int k = label_carrier_index(carrier);

	return k >= 0 ? label_carriers[k].service : "Return";
}

/* --------------------------------------------------------- tracking numbers */

/* GS1 mod-10: weights 3,1,3… from the rightmost digit of the body. */
static int label_gs1_check(const char *digits, size_t n)
{
	int sum = 0;

	for (size_t i = 0; i < n; i++) {
		int d = digits[n - 1 - i] - '0';
		sum += (i % 2 == 0) ? 3 * d : d;
	}
	return (10 - sum % 10) % 10;
}

/* UPS: letters count as (c - 'A' + 2) mod 10; odd positions once, even
 * positions twice (1-based), check = the complement to a multiple of 10. */
static int label_ups_check(const char *body, size_t n)
{
	int sum = 0;

	for (size_t i = 0; i < n; i++) {
		char c = body[i];
		int v = (c >= '0' && c <= '9') ? c - '0' : (c - 'A' + 2) % 10;
		sum += (i % 2 == 0) ? v : 2 * v;
	}
	return (10 - sum % 10) % 10;
}

/* Where the random characters of a tracking number come from. */
struct label_rng {
	bool seeded;
	uint64_t state;		/* splitmix64, when seeded */
};

static void label_rand_chars(struct label_rng *r, char *out, size_t n, const char *alphabet)
{
	size_t k = strlen(alphabet);

	if (!r->seeded) {
		rand_string(out, n, alphabet);	/* CSPRNG, unbiased */
		return;
	}
	for (size_t i = 0; i < n; i++) {
		uint64_t z = (r->state += 0x9E3779B97F4A7C15u);
		z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
		z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
		z ^= z >> 31;
		out[i] = alphabet[(z >> 11) % k];
	}
	out[n] = '\0';
}

static void label_tracking_make(const char *carrier, struct label_rng *r, char out[32])
{
	int k = label_carrier_index(carrier);
	enum label_family fam = k >= 0 ? label_carriers[k].fam : FAM_OTHER;
	char body[24];

	switch (fam) {
	case FAM_UPS:
		/* 1Z + shipper (6) + service (2) + serial (7) + check. The
		 * shipper is random too: it widens what one would have to guess. */
		label_rand_chars(r, body, 6, "0123456789ABCDEFGHJKLMNPRSTUVWXY");
		memcpy(body + 6, "90", 2);	/* "90": a return service */
		label_rand_chars(r, body + 8, 7, "0123456789");
		body[15] = '\0';
		snprintf(out, 32, "1Z%s%d", body, label_ups_check(body, 15));
		break;
	case FAM_DHL:
		body[0] = '0';
		label_rand_chars(r, body + 1, 16, "0123456789");
		snprintf(out, 32, "JD%.17s%d", body, label_gs1_check(body, 17));
		break;
	default:
		label_rand_chars(r, body, 1, "123456789");
		label_rand_chars(r, body + 1, 20, "0123456789");
		snprintf(out, 32, "%.21s%d", body, label_gs1_check(body, 21));
		break;
	}
}

void label_tracking_number(const char *carrier, char out[32])
{
	struct label_rng r = { false, 0 };

	label_tracking_make(carrier, &r, out);
}

void label_tracking_number_seeded(const char *carrier, uint64_t seed, char out[32])
{
	struct label_rng r = { true, seed };

	label_tracking_make(carrier, &r, out);
}

static bool label_all_digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

bool label_tracking_valid(const char *t)
{
	size_t n;

	if (!t)
		return false;
	n = strlen(t);
	if (n == 18 && t[0] == '1' && t[1] == 'Z') {
		for (size_t i = 2; i < 17; i++)
			if (!((t[i] >= '0' && t[i] <= '9') || (t[i] >= 'A' && t[i] <= 'Z')))
				return false;
		return t[17] >= '0' && t[17] <= '9' && t[17] - '0' == label_ups_check(t + 2, 15);
	}
	if (n == 20 && t[0] == 'J' && t[1] == 'D')
		return label_all_digits(t + 2, 18) && t[19] - '0' == label_gs1_check(t + 2, 17);
	if (n == 22)
		return label_all_digits(t, 22) && t[21] - '0' == label_gs1_check(t, 21);
	return false;
}

/* ------------------------------------------------------------------ Code 128 */

/* Bar/space widths of the 107 symbols (ISO/IEC 15417 table 1): six
 * elements of 1–4 modules, bar first, 11 modules in all; the stop symbol
 * (106) has seven elements, 13 modules, ending in its termination bar. */
static const char *const label_c128_widths[107] = {
	"212222", "222122", "222221", "121223", "121322", "131222", "122213", "122312",
	"132212", "221213", "221312", "231212", "112232", "122132", "122231", "113222",
	"123122", "123221", "223211", "221132", "221231", "213212", "223112", "312131",
	"311222", "321122", "321221", "312212", "322112", "322211", "212123", "212321",
	"232121", "111323", "131123", "131321", "112313", "132113", "132311", "211313",
	"231113", "231311", "112133", "112331", "132131", "113123", "113321", "133121",
	"313121", "211331", "231131", "213113", "213311", "213131", "311123", "311321",
	"331121", "312113", "312311", "332111", "314111", "221411", "431111", "111224",
	"111422", "121124", "121421", "141122", "141221", "112214", "112412", "122114",
	"122411", "142112", "142211", "241211", "221114", "413111", "241112", "134111",
	"111242", "121142", "121241", "114212", "124112", "124211", "411212", "421112",
	"421211", "212141", "214121", "412121", "111143", "111341", "131141", "114113",
	"114311", "411113", "411311", "113141", "114131", "311141", "411131", "211412",
	"211214", "211232", "2331112",
};

enum {
	C128_CODE_C = 99, C128_CODE_B = 100,
	C128_START_B = 104, C128_START_C = 105, C128_STOP = 106,
	C128_MAX_DATA = 80,
};

static bool label_isdigit(char c)
{
	return c >= '0' && c <= '9';
}

/*
 * The shortest symbol sequence for data using sets B and C. cost[i][s] is
 * the fewest symbols that encode data[i..] when set s (0 = B, 1 = C) is
 * active before position i; a set change costs one symbol (Code C / Code B).
 * Ties go to staying in the current set, then to B, so output is stable.
 */
int label_code128_symbols(const char *data, int *symbols, size_t max, size_t *n)
{
	size_t len = data ? strlen(data) : 0;
	int cost[C128_MAX_DATA + 1][2];
	size_t k = 0;
	int set, total = 0, weight = 1;

	if (len == 0 || len > C128_MAX_DATA)
		return -1;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)data[i] < 32 || (unsigned char)data[i] > 126)
			return -1;

	cost[len][0] = cost[len][1] = 0;
	for (size_t i = len; i-- > 0;) {
		bool pair = i + 1 < len && label_isdigit(data[i]) && label_isdigit(data[i + 1]);
		int inb = 1 + cost[i + 1][0];			/* one character in B */
		int inc = pair ? 1 + cost[i + 2][1] : 1 << 20;	/* two digits in C */
		cost[i][0] = inb < 1 + inc ? inb : 1 + inc;
		cost[i][1] = inc < 1 + inb ? inc : 1 + inb;
	}

	/* Start in the set that is cheaper from position 0 (B on a tie). */
	set = cost[0][1] < cost[0][0] ? 1 : 0;
	if (max < 1)
		return -1;
	symbols[k++] = set ? C128_START_C : C128_START_B;
	for (size_t i = 0; i < len;) {
		bool pair = i + 1 < len && label_isdigit(data[i]) && label_isdigit(data[i + 1]);
		int stay = set ? (pair ? 1 + cost[i + 2][1] : 1 << 20) : 1 + cost[i + 1][0];
		int other = set ? 2 + cost[i + 1][0] : (pair ? 2 + cost[i + 2][1] : 1 << 20);

		if (other < stay) {
			if (k >= max)
				return -1;
			symbols[k++] = set ? C128_CODE_B : C128_CODE_C;
			set = !set;
		}
		if (k >= max)
			return -1;
		if (set) {
			symbols[k++] = (data[i] - '0') * 10 + (data[i + 1] - '0');
			i += 2;
		} else {
			symbols[k++] = data[i] - 32;
			i += 1;
		}
	}
	/* Check symbol: start value plus each symbol times its position, mod 103. */
	total = symbols[0];
	for (size_t i = 1; i < k; i++, weight++)
		total += symbols[i] * weight;
	if (k + 2 > max)
		return -1;
	symbols[k++] = total % 103;
	symbols[k++] = C128_STOP;
	*n = k;
	return 0;
}

int label_code128(const char *data, unsigned char *modules, size_t max, size_t *n)
{
	int symbols[C128_MAX_DATA + 4];
	size_t nsym, k = 0;

	if (label_code128_symbols(data, symbols, BATON_ARRAY_LEN(symbols), &nsym) < 0)
		return -1;
	for (size_t i = 0; i < nsym; i++) {
		const char *w = label_c128_widths[symbols[i]];
		for (size_t e = 0; w[e]; e++) {
			int run = w[e] - '0';
			if (k + (size_t)run > max)
				return -1;
			for (int r = 0; r < run; r++)
				modules[k++] = (e % 2 == 0) ? 1 : 0;	/* elements alternate, bar first */
		}
	}
	*n = k;
	return 0;
}

/* ------------------------------------------------------------------- text */

/* One code point from UTF-8; invalid or truncated sequences give U+FFFD
 * and consume one byte. Local so the label writer needs nothing but libc. */
static uint32_t label_utf8_next(const unsigned char *s, size_t *pos)
{
	const unsigned char *p = s + *pos;
	uint32_t cp, min;
	int extra;

	if (p[0] < 0x80) {
		*pos += 1;
		return p[0];
	}
	if (p[0] >= 0xC2 && p[0] <= 0xDF) {
		cp = p[0] & 0x1F; extra = 1; min = 0x80;
	} else if (p[0] >= 0xE0 && p[0] <= 0xEF) {
		cp = p[0] & 0x0F; extra = 2; min = 0x800;
	} else if (p[0] >= 0xF0 && p[0] <= 0xF4) {
		cp = p[0] & 0x07; extra = 3; min = 0x10000;
	} else {
		*pos += 1;
		return 0xFFFD;
	}
	for (int i = 1; i <= extra; i++) {
		if ((p[i] & 0xC0) != 0x80) {	/* also stops at the NUL */
			*pos += 1;
			return 0xFFFD;
		}
		cp = (cp << 6) | (p[i] & 0x3F);
	}
	if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
		*pos += 1;
		return 0xFFFD;
	}
	*pos += (size_t)extra + 1;
	return cp;
}

/* CP1252's 0x80–0x9F, the characters it has beyond Latin-1. */
static const uint16_t label_cp1252_hi[32] = {
	0x20AC, 0, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021,
	0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0, 0x017D, 0,
	0, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014,
	0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0, 0x017E, 0x0178,
};

/* Latin Extended-A (U+0100–U+017F) without its marks; '*' marks the few
 * that need two letters or that CP1252 has (handled before this table). */
static const char label_latin_ext_a[129] =
	"AaAaAaCcCcCcCcDd" "DdEeEeEeEeEeGgGg" "GgGgHhHhIiIiIiIi" "Ii**JjKkkLlLlLlL"
	"lLlNnNnNn*NnOoOo" "Oo**RrRrRrSsSsSs" "**TtTtTtUuUuUuUu" "UuUuWwYy*ZzZz**s";

/* Appends the WinAnsi form of cp to sb. */
static void label_winansi_cp(struct strbuf *sb, uint32_t cp)
{
	if (cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp < 0xA0)) {
		sb_addc(sb, ' ');	/* controls: a space keeps words apart */
		return;
	}
	if (cp < 0x7F || (cp >= 0xA0 && cp <= 0xFF)) {
		sb_addc(sb, (char)cp);
		return;
	}
	for (int i = 0; i < 32; i++) {
		if (label_cp1252_hi[i] == cp) {
			sb_addc(sb, (char)(0x80 + i));
			return;
		}
	}
	if (cp >= 0x100 && cp <= 0x17F) {
		char c = label_latin_ext_a[cp - 0x100];
		if (c != '*') {
			sb_addc(sb, c);
			return;
		}
		switch (cp) {
		case 0x132: sb_adds(sb, "IJ"); return;
		case 0x133: sb_adds(sb, "ij"); return;
		case 0x149: sb_adds(sb, "'n"); return;
		}
		/* Œ œ Š š Ÿ Ž ž are in CP1252 and were found above. */
	}
	switch (cp) {
	case 0x1E9E: sb_adds(sb, "SS"); return;		/* capital sharp s */
	case 0x218: sb_addc(sb, 'S'); return;		/* Romanian comma-below */
	case 0x219: sb_addc(sb, 's'); return;
	case 0x21A: sb_addc(sb, 'T'); return;
	case 0x21B: sb_addc(sb, 't'); return;
	case 0x2010: case 0x2011: case 0x2012: case 0x2212: sb_addc(sb, '-'); return;
	case 0x2032: sb_addc(sb, '\''); return;
	case 0x2033: sb_addc(sb, '"'); return;
	case 0x00A0: case 0x2007: case 0x202F: sb_addc(sb, ' '); return;
	}
	if ((cp >= 0x2000 && cp <= 0x200A) || cp == 0x3000) {
		sb_addc(sb, ' ');
		return;
	}
	/* Zero-width and bidi controls vanish; everything else is unprintable
	 * in Helvetica and shows as '?' so a reader sees something was there. */
	if ((cp >= 0x200B && cp <= 0x200F) || (cp >= 0x202A && cp <= 0x202E) ||
	    (cp >= 0x2066 && cp <= 0x2069) || cp == 0xFEFF || cp == 0x061C ||
	    (cp >= 0x0300 && cp <= 0x036F))	/* combining marks: the base letter stays */
		return;
	sb_addc(sb, '?');
}

char *label_winansi(const char *s)
{
	struct strbuf sb = STRBUF_INIT;
	size_t pos = 0;

	if (!s)
		return sb_take(&sb);
	while (s[pos])
		label_winansi_cp(&sb, label_utf8_next((const unsigned char *)s, &pos));
	return sb_take(&sb);
}

/* --------------------------------------------------------------------- PDF */

/* Helvetica advance widths (1/1000 em) for 32..126 from the base-14 AFM. */
static const uint16_t label_helv_w[95] = {
	278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278,
	556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556,
	1015, 667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722, 778,
	667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 278, 278, 278, 469, 556,
	333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556,
	556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584,
};

enum label_font { F_REG, F_BOLD };

/* Width of one WinAnsi byte in 1/1000 em. Bytes above 0x7F are mostly
 * accented letters: count them as wide as the widest lower-case/capital
 * forms, and bold as 10 % wider; we only need to never overflow. */
static int label_char_w(unsigned char c, enum label_font f)
{
	int w;

	if (c >= 32 && c <= 126)
		w = label_helv_w[c - 32];
	else if (c >= 0xC0 && c <= 0xDE)
		w = 778;
	else
		w = 611;
	return f == F_BOLD ? w * 11 / 10 : w;
}

/* Width of a WinAnsi string in points * 1000 / size. */
static long label_str_w(const char *s, size_t n, enum label_font f)
{
	long w = 0;

	for (size_t i = 0; i < n; i++)
		w += label_char_w((unsigned char)s[i], f);
	return w;
}

/* Non-negative number with two decimals, without printf's locale. */
static void label_pdf_num(struct strbuf *sb, double v)
{
	long c = (long)(v * 100.0 + (v < 0 ? -0.5 : 0.5));

	if (c < 0) {
		sb_addc(sb, '-');
		c = -c;
	}
	if (c % 100 == 0)
		sb_addf(sb, "%ld", c / 100);
	else
		sb_addf(sb, "%ld.%02ld", c / 100, c % 100);
}

/* A PDF literal string of WinAnsi bytes: ( ) \ escaped, anything outside
 * printable ASCII as an octal escape, so the file stays 7-bit clean. */
static void label_pdf_str(struct strbuf *sb, const char *s, size_t n)
{
	sb_addc(sb, '(');
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '(' || c == ')' || c == '\\') {
			sb_addc(sb, '\\');
			sb_addc(sb, (char)c);
		} else if (c < 32 || c > 126) {
			sb_addf(sb, "\\%03o", c);
		} else {
			sb_addc(sb, (char)c);
		}
	}
	sb_addc(sb, ')');
}

enum label_align { AL_LEFT, AL_RIGHT, AL_CENTER };

/*
 * Shows utf8 in font f at size pt, anchored at (x, y) by align, cut to
 * maxw points with a trailing ellipsis (CP1252 0x85) when it does not fit.
 */
static void label_pdf_text(struct strbuf *sb, enum label_font f, double size, double x,
			   double y, enum label_align align, double maxw, const char *utf8)
{
	char *w = label_winansi(utf8 ? utf8 : "");
	size_t n = strlen(w);
	long limit = (long)(maxw * 1000.0 / size);
	double width;

	if (label_str_w(w, n, f) > limit) {
		long ell = label_char_w(0x85, f);
		while (n > 0 && label_str_w(w, n, f) + ell > limit)
			n--;
		while (n > 0 && w[n - 1] == ' ')
			n--;
		w[n++] = (char)0x85;
	}
	width = (double)label_str_w(w, n, f) * size / 1000.0;
	if (align == AL_RIGHT)
		x -= width;
	else if (align == AL_CENTER)
		x -= width / 2;
	sb_addf(sb, "BT /F%d ", f == F_BOLD ? 2 : 1);
	label_pdf_num(sb, size);
	sb_adds(sb, " Tf ");
	label_pdf_num(sb, x);
	sb_addc(sb, ' ');
	label_pdf_num(sb, y);
	sb_adds(sb, " Td ");
	label_pdf_str(sb, w, n);
	sb_adds(sb, " Tj ET\n");
	free(w);
}

static void label_pdf_hline(struct strbuf *sb, double y, double width)
{
	label_pdf_num(sb, width);
	sb_adds(sb, " w 8 ");
	label_pdf_num(sb, y);
	sb_adds(sb, " m 280 ");
	label_pdf_num(sb, y);
	sb_adds(sb, " l S\n");
}

static const char *label_or_dash(const char *s)
{
	return s && *s ? s : "-";
}

/* The barcode as filled rectangles, one per run of bar modules, centred in
 * [x0, x1] with a quiet zone of 10 modules each side inside that span. */
static void label_pdf_barcode(struct strbuf *sb, const char *tracking, double x0, double x1,
			      double y, double h)
{
	unsigned char mod[1024];
	size_t n;
	double mw, x;

	if (!tracking || label_code128(tracking, mod, sizeof mod, &n) < 0) {
		label_pdf_text(sb, F_REG, 9, (x0 + x1) / 2, y + h / 2, AL_CENTER, x1 - x0,
			       "(no barcode: tracking number not encodable)");
		return;
	}
	mw = (x1 - x0) / (double)(n + 20);
	if (mw > 1.5)
		mw = 1.5;	/* ~3 dots at 203 dpi: reliable for any scanner */
	x = (x0 + x1) / 2 - mw * (double)n / 2;
	for (size_t i = 0; i < n;) {
		size_t j = i;
		if (!mod[i]) {
			i++;
			continue;
		}
		while (j < n && mod[j])
			j++;
		label_pdf_num(sb, x + mw * (double)i);
		sb_addc(sb, ' ');
		label_pdf_num(sb, y);
		sb_addc(sb, ' ');
		/* Widths to 1/1000 pt: rounding each bar to 1/100 would drift. */
		sb_addf(sb, "%ld.%03ld", (long)(mw * (double)(j - i) * 1000 + 0.5) / 1000,
			(long)(mw * (double)(j - i) * 1000 + 0.5) % 1000);
		sb_addc(sb, ' ');
		label_pdf_num(sb, h);
		sb_adds(sb, " re\n");
		i = j;
	}
	sb_adds(sb, "f\n");
}

static void label_date(int64_t ms, char out[32], bool pdf)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	gmtime_r(&t, &tm);
	if (pdf)
		strftime(out, 32, "D:%Y%m%d%H%M%SZ", &tm);
	else
		strftime(out, 32, "%Y-%m-%d", &tm);
}

static void label_pdf_content(struct strbuf *c, const struct label_info *li)
{
	char line[512];
	double y;

	sb_adds(c, "0 g 0 G\n1 w 8 8 272 416 re S\n");

	label_pdf_text(c, F_BOLD, 16, 16, 402, AL_LEFT, 110, "RETURN");
	label_pdf_text(c, F_BOLD, 16, 272, 402, AL_RIGHT, 140, label_carrier_name(li->carrier));
	label_pdf_text(c, F_REG, 9, 272, 389, AL_RIGHT, 250,
		       li->service && *li->service ? li->service : label_default_service(li->carrier));
	label_pdf_hline(c, 382, 1);

	label_pdf_text(c, F_REG, 7, 16, 372, AL_LEFT, 250, "FROM:");
	label_pdf_text(c, F_BOLD, 9, 16, 361, AL_LEFT, 256, label_or_dash(li->from_name));
	y = 350;
	for (int i = 0; i < 4 && li->from_lines[i]; i++, y -= 10)
		label_pdf_text(c, F_REG, 9, 16, y, AL_LEFT, 256, li->from_lines[i]);
	label_pdf_hline(c, 310, 1);

	label_pdf_text(c, F_REG, 7, 16, 298, AL_LEFT, 250, "SHIP TO:");
	label_pdf_text(c, F_BOLD, 13, 16, 283, AL_LEFT, 256, label_or_dash(li->to_name));
	y = 267;
	for (int i = 0; i < 4 && li->to_lines[i]; i++, y -= 14)
		label_pdf_text(c, F_REG, 12, 16, y, AL_LEFT, 256, li->to_lines[i]);
	label_pdf_hline(c, 210, 2);

	label_pdf_text(c, F_REG, 7, 16, 200, AL_LEFT, 250, "TRACKING #");
	label_pdf_barcode(c, li->tracking, 12, 276, 112, 80);
	label_pdf_text(c, F_BOLD, 12, 144, 96, AL_CENTER, 256, label_or_dash(li->tracking));
	label_pdf_hline(c, 86, 1);

	snprintf(line, sizeof line, "RMA: %s", label_or_dash(li->rma));
	label_pdf_text(c, F_BOLD, 10, 16, 70, AL_LEFT, 128, line);
	snprintf(line, sizeof line, "Order: %s", label_or_dash(li->order));
	label_pdf_text(c, F_BOLD, 10, 150, 70, AL_LEFT, 122, line);
	snprintf(line, sizeof line, "Weight: %s", label_or_dash(li->weight));
	label_pdf_text(c, F_REG, 9, 16, 55, AL_LEFT, 128, line);
	if (li->created_ms > 0) {
		char d[32];
		label_date(li->created_ms, d, false);
		snprintf(line, sizeof line, "Date: %s", d);
		label_pdf_text(c, F_REG, 9, 150, 55, AL_LEFT, 122, line);
	}
	snprintf(line, sizeof line, "Label: %s", label_or_dash(li->label_id));
	label_pdf_text(c, F_REG, 8, 16, 40, AL_LEFT, 256, line);
	label_pdf_text(c, F_REG, 7, 16, 20, AL_LEFT, 256,
		       "Pack the items securely. Cover or remove old labels on the parcel.");
}

char *label_pdf(const struct label_info *li, size_t *len)
{
	struct strbuf pdf = STRBUF_INIT, content = STRBUF_INIT;
	size_t off[8];
	size_t xref;
	int obj = 0;

	label_pdf_content(&content, li);

	sb_adds(&pdf, "%PDF-1.4\n");
#define LABEL_OBJ_BEGIN() (off[++obj] = pdf.len, sb_addf(&pdf, "%d 0 obj\n", obj))
	LABEL_OBJ_BEGIN();
	sb_adds(&pdf, "<< /Type /Catalog /Pages 2 0 R >>\nendobj\n");
	LABEL_OBJ_BEGIN();
	sb_adds(&pdf, "<< /Type /Pages /Kids [3 0 R] /Count 1 >>\nendobj\n");
	LABEL_OBJ_BEGIN();
	sb_adds(&pdf, "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 288 432]\n"
		"   /Resources << /Font << /F1 4 0 R /F2 5 0 R >> >>\n"
		"   /Contents 6 0 R >>\nendobj\n");
	LABEL_OBJ_BEGIN();
	sb_adds(&pdf, "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica"
		" /Encoding /WinAnsiEncoding >>\nendobj\n");
	LABEL_OBJ_BEGIN();
	sb_adds(&pdf, "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold"
		" /Encoding /WinAnsiEncoding >>\nendobj\n");
	LABEL_OBJ_BEGIN();
	sb_addf(&pdf, "<< /Length %zu >>\nstream\n", content.len);
	sb_add(&pdf, sb_str(&content), content.len);
	sb_adds(&pdf, "endstream\nendobj\n");
	LABEL_OBJ_BEGIN();
	{
		char *title = xasprintf("Return label %s", label_or_dash(li->label_id));
		char *w = label_winansi(title);
		sb_adds(&pdf, "<< /Title ");
		label_pdf_str(&pdf, w, strlen(w));
		sb_adds(&pdf, " /Producer (baton)");
		if (li->created_ms > 0) {
			char d[32];
			label_date(li->created_ms, d, true);
			sb_addf(&pdf, " /CreationDate (%s)", d);
		}
		sb_adds(&pdf, " >>\nendobj\n");
		free(w);
		free(title);
	}
#undef LABEL_OBJ_BEGIN

	/* Each xref entry is exactly 20 bytes: 10-digit offset, space,
	 * 5-digit generation, space, n/f, and a two-byte end of line. */
	xref = pdf.len;
	sb_addf(&pdf, "xref\n0 %d\n0000000000 65535 f \n", obj + 1);
	for (int i = 1; i <= obj; i++)
		sb_addf(&pdf, "%010zu 00000 n \n", off[i]);
	sb_addf(&pdf, "trailer\n<< /Size %d /Root 1 0 R /Info 7 0 R >>\nstartxref\n%zu\n%%%%EOF\n",
		obj + 1, xref);
	sb_free(&content);
	if (len)
		*len = pdf.len;
	return sb_take(&pdf);
}

/* --------------------------------------------------------------------- ZPL */

/*
 * Appends s as ZPL field data, at most maxchars characters: '^' and '~'
 * (which would start a command even inside ^FD) and control characters
 * are dropped, invalid UTF-8 becomes '?', the rest stays UTF-8 (^CI28).
 */
static void label_zpl_fd(struct strbuf *sb, const char *s, size_t maxchars)
{
	size_t pos = 0, count = 0;

	if (!s)
		s = "-";
	while (s[pos] && count < maxchars) {
		size_t start = pos;
		uint32_t cp = label_utf8_next((const unsigned char *)s, &pos);
		if (cp == '^' || cp == '~' || cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp < 0xA0) ||
		    (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069))
			continue;
		if (cp == 0xFFFD && !(pos - start == 3 && memcmp(s + start, "\xEF\xBF\xBD", 3) == 0))
			sb_addc(sb, '?');
		else
			sb_add(sb, s + start, pos - start);
		count++;
	}
}

/*
 * The barcode, centred, with the same symbols as the PDF's: the field spells
 * our encoding out with ZPL's subset invocation codes (">:" start B, ">;"
 * start C, ">5" code C, ">6" code B; in set B '>' is ">0", '^' is "><" and
 * '~' is ">=", so no ZPL command character reaches the field), and the printer
 * does not choose its own. Modules are as wide as fit (3 dots at most) with
 * at least a 40-dot quiet zone each side. Data Code 128 cannot encode prints
 * as text only.
 */
static void label_zpl_barcode(struct strbuf *sb, const char *data, int y, int h)
{
	int sym[C128_MAX_DATA + 4];
	unsigned char mod[1024];
	size_t nsym = 0, nmod = 0;
	int w, x, set;

	if (!data || label_code128_symbols(data, sym, BATON_ARRAY_LEN(sym), &nsym) < 0 ||
	    label_code128(data, mod, sizeof mod, &nmod) < 0) {
		sb_addf(sb, "^FO45,%d^A0N,30,30^FD(no barcode: tracking number not encodable)^FS\n",
			y + h / 2);
		return;
	}
	w = (int)((812 - 2 * 40) / nmod);
	if (w > 3)
		w = 3;
	if (w < 1)
		w = 1;
	x = (812 - (int)nmod * w) / 2;
	sb_addf(sb, "^FO%d,%d^BY%d,3,%d^BCN,%d,N,N,N,N^FD", x, y, w, h, h);
	set = sym[0] == C128_START_C;
	sb_adds(sb, set ? ">;" : ">:");
	/* Data symbols only: the printer adds the check symbol and stop. */
	for (size_t i = 1; i + 2 < nsym; i++) {
		if (sym[i] == C128_CODE_C && !set) {
			sb_adds(sb, ">5");
			set = 1;
		} else if (sym[i] == C128_CODE_B && set) {
			sb_adds(sb, ">6");
			set = 0;
		} else if (set) {
			sb_addf(sb, "%02d", sym[i]);
		} else if (sym[i] + 32 == '>') {
			sb_adds(sb, ">0");
		} else if (sym[i] + 32 == '^') {
			sb_adds(sb, "><");
		} else if (sym[i] + 32 == '~') {
			sb_adds(sb, ">=");
		} else {
			sb_addc(sb, (char)(sym[i] + 32));
		}
	}
	sb_adds(sb, "^FS\n");
}

static void label_zpl_text(struct strbuf *sb, int x, int y, int h, const char *s, size_t maxchars)
{
	sb_addf(sb, "^FO%d,%d^A0N,%d,%d^FD", x, y, h, h);
	label_zpl_fd(sb, s, maxchars);
	sb_adds(sb, "^FS\n");
}

char *label_zpl(const struct label_info *li, size_t *len)
{
	struct strbuf sb = STRBUF_INIT;
	char line[512];
	int y;

	/* 203 dpi: 4x6 inch = 812x1218 dots. ^CI28: field data is UTF-8. */
	sb_adds(&sb, "^XA\n^CI28\n^PW812\n^LL1218\n^LH0,0\n");
	sb_adds(&sb, "^FO20,20^GB772,1178,3^FS\n");
	label_zpl_text(&sb, 45, 45, 50, "RETURN", 10);
	sb_addf(&sb, "^FO420,45^A0N,50,50^FB350,1,0,R^FD");
	label_zpl_fd(&sb, label_carrier_name(li->carrier), 20);
	sb_adds(&sb, "^FS\n^FO320,100^A0N,26,26^FB450,1,0,R^FD");
	label_zpl_fd(&sb, li->service && *li->service ? li->service : label_default_service(li->carrier), 40);
	sb_adds(&sb, "^FS\n^FO20,140^GB772,3,3^FS\n");

	label_zpl_text(&sb, 45, 160, 20, "FROM:", 10);
	label_zpl_text(&sb, 45, 185, 26, label_or_dash(li->from_name), 45);
	y = 218;
	for (int i = 0; i < 4 && li->from_lines[i]; i++, y += 30)
		label_zpl_text(&sb, 45, y, 26, li->from_lines[i], 45);
	sb_adds(&sb, "^FO20,350^GB772,3,3^FS\n");

	label_zpl_text(&sb, 45, 370, 22, "SHIP TO:", 10);
	label_zpl_text(&sb, 45, 400, 40, label_or_dash(li->to_name), 30);
	y = 450;
	for (int i = 0; i < 4 && li->to_lines[i]; i++, y += 42)
		label_zpl_text(&sb, 45, y, 36, li->to_lines[i], 34);
	sb_adds(&sb, "^FO20,640^GB772,5,5^FS\n");

	label_zpl_text(&sb, 45, 660, 20, "TRACKING #", 12);
	label_zpl_barcode(&sb, li->tracking, 700, 230);
	sb_adds(&sb, "^FO20,950^A0N,40,40^FB772,1,0,C^FD");
	label_zpl_fd(&sb, label_or_dash(li->tracking), 40);
	sb_adds(&sb, "^FS\n^FO20,1010^GB772,3,3^FS\n");

	snprintf(line, sizeof line, "RMA: %s", label_or_dash(li->rma));
	label_zpl_text(&sb, 45, 1030, 30, line, 26);
	snprintf(line, sizeof line, "Order: %s", label_or_dash(li->order));
	label_zpl_text(&sb, 420, 1030, 30, line, 22);
	snprintf(line, sizeof line, "Weight: %s", label_or_dash(li->weight));
	label_zpl_text(&sb, 45, 1075, 26, line, 26);
	if (li->created_ms > 0) {
		char d[32];
		label_date(li->created_ms, d, false);
		snprintf(line, sizeof line, "Date: %s", d);
		label_zpl_text(&sb, 420, 1075, 26, line, 22);
	}
	snprintf(line, sizeof line, "Label: %s", label_or_dash(li->label_id));
	label_zpl_text(&sb, 45, 1120, 24, line, 50);
	sb_adds(&sb, "^XZ\n");
	if (len)
		*len = sb.len;
	return sb_take(&sb);
}
