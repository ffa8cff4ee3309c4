/*
 * hub-label.h: return shipping labels: tracking numbers, Code 128, PDF, ZPL.
 *
 * Pure functions (no I/O): the hub's label action builds a struct label_info
 * from its store, asks for a tracking number, and keeps the PDF and ZPL
 * bytes these functions return; GET /v1/labels/{id} serves them.
 *
 * Tracking numbers look like a carrier's and carry a check digit, so a typo
 * an agent reads out over the phone is caught by label_tracking_valid():
 *   ups-like    "1Z" + 6 shipper + 2 service + 7 serial + check  (18 chars,
 *               UPS mod-10 over the 15 characters after "1Z")
 *   dhl-like    "JD0" + 16 digits + check                        (20 chars,
 *               GS1 mod-10, weights 3,1 from the right, over the 17 digits
 *               after "JD")
 *   postnl/dpd/gls/anything else: 21 digits + check              (22 digits,
 *               GS1 mod-10 over the 21 digits)
 * The random part comes from the CSPRNG (rand_bytes): a tracking number is
 * public to the customer, but must not let one guess another's.
 *
 * Text in the documents: every string of label_info may be untrusted (a
 * customer's name and address). The PDF writes Helvetica in WinAnsiEncoding;
 * characters outside it are transliterated (ğ→g, ł→l, ş→s, ı→i, Ω→?…), and
 * '(' ')' '\' are escaped, so no input can end a PDF string early or put
 * raw bytes outside WinAnsi into the file. ZPL drops '^' and '~' (they would
 * start commands) and control characters, and writes UTF-8 under ^CI28.
 */
#ifndef BATON_HUB_LABEL_H
#define BATON_HUB_LABEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LABEL_TRACKING_MAX 32	/* out[] size for label_tracking_number, with the NUL */

struct label_info {
	const char *tracking, *carrier, *service, *rma, *order, *label_id;
	const char *from_name; const char *from_lines[4];   /* customer; NULL-terminated lines */
	const char *to_name;   const char *to_lines[4];     /* returns warehouse */
	const char *weight;    int64_t created_ms;
};
/* Any member may be NULL (then left out, or "-"); from_lines/to_lines stop at
 * the first NULL, at most 4 lines are used. created_ms 0: no date printed. */

/*
 * A new tracking number in the style of carrier ("ups", "UPS Standard",
 * "dhl", "DHL Parcel", "postnl", "dpd", …; matched case-insensitively by
 * substring; NULL or unknown: the 22-digit form). Always NUL-terminated.
 */
void  label_tracking_number(const char *carrier, char out[32]);
/* The same forms with the random part drawn from seed instead of the CSPRNG:
 * deterministic, for the demo world's past orders. Never for a real label. */
void  label_tracking_number_seeded(const char *carrier, uint64_t seed, char out[32]);
/* True if tracking has one of the three forms above with a correct check digit. */
bool  label_tracking_valid(const char *tracking);

/*
 * Code 128 of data (printable ASCII, 32..126; 1..80 characters): start
 * symbol, data in set B, switching to set C for runs of digits where that is
 * shorter, the mod-103 check symbol and the stop pattern (with its final
 * 2-module bar). modules[i] is 1 for a bar, 0 for a space; quiet zones are
 * not included (the renderer adds 10 modules each side). Returns 0 with *n
 * set, or -1 if data is empty, too long, has a character outside 32..126, or
 * does not fit in max modules.
 */
int   label_code128(const char *data, unsigned char *modules, size_t max, size_t *n);
/*
 * The symbol values behind label_code128 (start, data…, check, stop = 106),
 * for tests and for a reader who wants to see the encoding. Same errors.
 */
int   label_code128_symbols(const char *data, int *symbols, size_t max, size_t *n);

/* A printable 4x6 inch label (288x432 pt), PDF 1.4; malloc'd bytes, *len set.
 * Never NULL. Contains the tracking number as text (pdftotext finds it). */
char *label_pdf(const struct label_info *li, size_t *len);
/* The same label in ZPL II (^XA … ^XZ, 203 dpi, 812x1218 dots); malloc'd,
 * NUL-terminated, *len set (if non-NULL). Never NULL. */
char *label_zpl(const struct label_info *li, size_t *len);

/*
 * s (UTF-8, untrusted) as WinAnsiEncoding (CP1252) bytes, transliterating
 * what it lacks; malloc'd, NUL-terminated; controls become spaces. What the
 * PDF writer uses; exposed for tests and for anyone who needs plain Latin.
 */
char *label_winansi(const char *s);

/* A display name for a carrier string ("UPS", "DHL", "PostNL", "DPD", or the
 * input itself) and a default service when the agent named none. */
const char *label_carrier_name(const char *carrier);
const char *label_default_service(const char *carrier);

#endif
