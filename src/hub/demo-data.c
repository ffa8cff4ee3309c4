/*
 * demo-data.c: the demo world: customers, the bot's escalations, the
 * customers' replies and the bot's closing message.
 *
 * How it works. demo_world_new() draws every customer from a splitmix64
 * stream seeded by the caller: language (round robin, so all five appear),
 * name and address from the language pack (demo-text.c), 1–6 orders from
 * the catalogue below whose dates are spread so that some are in transit,
 * some inside the 30-day return window and some outside it, past contacts,
 * coupons and returns. Nothing is stored as JSON: demo_customer_json()
 * builds the protocol Customer when asked.
 *
 * demo_escalation_new() deals scenarios from shuffled decks (so each one
 * appears within every 20 escalations), finds a customer with an order that fits
 * the scenario (a delivered order outside the window for a late return…),
 * and writes the bot's view: reason, summary and attempts in English for the
 * agent, the transcript in the customer's language. Everything about
 * escalation n comes from random streams seeded by (seed, n) alone: replies
 * do not depend on how conversations interleave, and a hub restarted with
 * the same seed rebuilds the conversations it had (demo_find_conv).
 *
 * The PRNG is for plausibility only; nothing here is a secret.
 */
#include "baton/hub-demo.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "baton/common.h"
#include "baton/hub-label.h"

#define DEMO_DAY_MS       86400000LL
#define DEMO_WINDOW_DAYS  30
#define DEMO_SHOP         "Lumen Store"
#define DEMO_MIN_CUSTOMERS 50

/* ------------------------------------------------------------------ PRNG */

struct demo_rng {
	uint64_t s;
};

static uint64_t demo_rng_next(struct demo_rng *r)
{
	uint64_t z = (r->s += 0x9E3779B97F4A7C15u);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
	return z ^ (z >> 31);
}

/* Uniform enough in [0, n) for a demo (multiply-shift, bias < 2^-32). */
static uint32_t demo_rng_below(struct demo_rng *r, uint32_t n)
{
	return n ? (uint32_t)(((demo_rng_next(r) >> 32) * (uint64_t)n) >> 32) : 0;
}

static int64_t demo_rng_range(struct demo_rng *r, int64_t lo, int64_t hi)
{
	return lo + (int64_t)(demo_rng_next(r) % (uint64_t)(hi - lo + 1));
}

static double demo_rng_unit(struct demo_rng *r)
{
	return (double)(demo_rng_next(r) >> 11) / 9007199254740992.0;
}

static bool demo_rng_chance(struct demo_rng *r, int percent)
{
	return (int)demo_rng_below(r, 100) < percent;
}

static size_t demo_list_len(const char *const *list)
{
	size_t n = 0;

	while (list && list[n])
		n++;
	return n;
}

static const char *demo_pick(struct demo_rng *r, const char *const *list)
{
	size_t n = demo_list_len(list);

	return n ? list[demo_rng_below(r, (uint32_t)n)] : "";
}

/* One of up to three variants (the unused slots are NULL). */
static const char *demo_variant(struct demo_rng *r, const char *const v[3])
{
	int n = 0;

	while (n < 3 && v[n])
		n++;
	return n ? v[demo_rng_below(r, (uint32_t)n)] : "";
}

/* ------------------------------------------------------------- catalogue */

enum demo_kind { KIND_SHOE, KIND_APPAREL, KIND_ELECTRONICS, KIND_HOME };

/* Names are in the language packs (product_names, in this order). */
static const struct demo_product {
	const char *sku;
	const char *name;	/* English, for reading this table */
	enum demo_kind kind;
	int64_t eur_minor;
} demo_catalog[] = {
	{ "SNK-TRL", "Trail sneaker", KIND_SHOE, 8999 },
	{ "SNK-RUN", "Road running shoe", KIND_SHOE, 11999 },
	{ "BOO-CHL", "Chelsea boot, leather", KIND_SHOE, 14999 },
	{ "SND-SLD", "Slide sandal", KIND_SHOE, 2999 },
	{ "SNK-CNV", "Canvas low-top", KIND_SHOE, 5499 },
	{ "TSH-ORG", "Organic cotton T-shirt", KIND_APPAREL, 1999 },
	{ "JNS-SLM", "Slim-fit jeans", KIND_APPAREL, 5999 },
	{ "HOD-ZIP", "Zip hoodie", KIND_APPAREL, 4999 },
	{ "JKT-RAIN", "Packable rain jacket", KIND_APPAREL, 7999 },
	{ "KNT-MER", "Merino crew-neck jumper", KIND_APPAREL, 6999 },
	{ "DRS-WRP", "Wrap dress", KIND_APPAREL, 5499 },
	{ "CBL-USBC-2M", "USB-C to USB-C cable, 2 m", KIND_ELECTRONICS, 1499 },
	{ "CHG-65W", "65 W GaN charger, 2 ports", KIND_ELECTRONICS, 3999 },
	{ "EAR-TWS", "Wireless earbuds with charging case", KIND_ELECTRONICS, 7999 },
	{ "PWB-10K", "Power bank 10,000 mAh", KIND_ELECTRONICS, 2999 },
	{ "CSE-MAG", "Magnetic phone case", KIND_ELECTRONICS, 2499 },
	{ "SPK-BT", "Portable Bluetooth speaker", KIND_ELECTRONICS, 5999 },
	{ "DUV-LIN-DBL", "Linen duvet cover, double", KIND_HOME, 8999 },
	{ "PAN-CI-28", "Cast-iron skillet, 28 cm", KIND_HOME, 4499 },
	{ "CND-FIG", "Scented candle, fig", KIND_HOME, 1899 },
	{ "TWL-SET4", "Bath towel set of 4", KIND_HOME, 3999 },
	{ "LMP-DSK", "LED desk lamp", KIND_HOME, 4999 },
	{ "MUG-STN-2", "Stoneware mug, set of 2", KIND_HOME, 2499 },
};

/* SKU codes; the names are the packs' colour_names, in this order. */
static const char *const demo_colours[] = { "BLK", "WHT", "NVY", "OLV", "GRY", "RED" };
static const char *const demo_apparel_sizes[] = { "XS", "S", "M", "L", "XL", "XXL" };

/* ---------------------------------------------------------------- world */

/* Kept small (a world may hold 100,000 customers): the SKU and the name
 * are spelled out from the catalogue when asked for. */
struct demo_item {
	uint8_t product;	/* index in demo_catalog */
	uint8_t colour;		/* index in demo_colours */
	int8_t size;		/* shoe: EU size; apparel: index in demo_apparel_sizes; -1: none */
	uint8_t qty;
	int64_t price_minor;
};

enum demo_order_cat { CAT_SHIPPED, CAT_IN_WINDOW, CAT_OLD, CAT_PROCESSING, CAT_CANCELLED };

struct demo_order {
	char id[16];
	enum demo_order_cat cat;
	int64_t placed, delivered;	/* delivered 0: not (yet) */
	const char *status;
	const char *carrier;		/* NULL: none yet */
	char tracking[LABEL_TRACKING_MAX];
	int64_t total;
	struct demo_item items[3];
	int nitems;
};

struct demo_contact {
	int64_t at;
	uint8_t channel;	/* index in demo_contact_channels */
	uint8_t kind;		/* index in demo_contact_kinds */
	uint8_t order;		/* the order it was about */
};

struct demo_discount {
	char code[24];
	int percent;
	int64_t at;
	int order;		/* index, -1: none */
};

struct demo_return {
	char rma[24];
	int order;
	const char *status;
	int64_t at;
};

struct demo_customer {
	char id[16];
	enum demo_lang lang;
	const char *first;
	char name[96];
	char email[128];
	const char *street, *city;
	const char *currency;
	const char *tier;
	int64_t since;
	int64_t ltv;
	struct demo_order orders[6];
	int norders;
	struct demo_contact contacts[3];
	int ncontacts;
	struct demo_discount discounts[2];
	int ndiscounts;
	struct demo_return returns[1];
	int nreturns;
};

/* What the demo remembers about one escalated conversation. */
struct demo_conv {
	uint64_t serial;
	char external_id[32];
	size_t customer;
	int order, item;
	enum demo_scenario sc;
	int percent;		/* what the customer wants, for a discount */
	int days;
	struct demo_rng rng;
	int replies;
	bool said_bye, gave_detail, got_code, asked_refund, got_label;
};

struct demo_world {
	uint64_t seed;
	int64_t created_ms;
	struct demo_rng rng;		/* customers and escalations */
	struct demo_customer *cust;
	size_t ncust;
	struct demo_conv *conv;		/* sorted by serial: they are made in order */
	size_t nconv, capconv;
	uint64_t next_serial;
};

/* ------------------------------------------------------------- helpers */

static void demo_time(int64_t ms, char out[TIME_RFC3339_LEN + 1])
{
	time_format_rfc3339(ms, out);
}

static json_t *demo_json_time(int64_t ms)
{
	char t[TIME_RFC3339_LEN + 1];

	demo_time(ms, t);
	return json_string(t);
}

/* ASCII for an e-mail local part: the letters of the five languages lose
 * their marks (ß → ss), anything else that is not a letter is dropped. */
static void demo_ascii_fold(struct strbuf *sb, const char *s)
{
	static const struct { const char *from, *to; } map[] = {
		{ "ç", "c" }, { "ğ", "g" }, { "ı", "i" }, { "İ", "i" }, { "ö", "o" }, { "ş", "s" },
		{ "ü", "u" }, { "Ç", "c" }, { "Ğ", "g" }, { "Ö", "o" }, { "Ş", "s" }, { "Ü", "u" },
		{ "ą", "a" }, { "ć", "c" }, { "ę", "e" }, { "ł", "l" }, { "ń", "n" }, { "ó", "o" },
		{ "ś", "s" }, { "ź", "z" }, { "ż", "z" }, { "Ł", "l" }, { "Ś", "s" }, { "Ż", "z" },
		{ "Ź", "z" }, { "ä", "ae" }, { "ß", "ss" }, { "é", "e" }, { "ë", "e" }, { "á", "a" },
		{ "Ä", "ae" }, { "Ö", "oe" },
	};

	while (*s) {
		unsigned char c = (unsigned char)*s;
		bool done = false;

		if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
			sb_addc(sb, (char)c);
			s++;
			continue;
		}
		if (c >= 'A' && c <= 'Z') {
			sb_addc(sb, (char)(c + 32));
			s++;
			continue;
		}
		for (size_t i = 0; i < BATON_ARRAY_LEN(map); i++) {
			size_t n = strlen(map[i].from);
			if (strncmp(s, map[i].from, n) == 0) {
				sb_adds(sb, map[i].to);
				s += n;
				done = true;
				break;
			}
		}
		if (!done)
			s++;	/* spaces, apostrophes, other marks */
	}
}

/* "89.99 EUR" or "89,99 EUR" as the language writes decimals. */
static void demo_money(char *out, size_t size, int64_t minor, const char *currency,
		       enum demo_lang lang)
{
	snprintf(out, size, "%lld%s%02lld %s", (long long)(minor / 100), demo_langs[lang].decimal,
		 (long long)(minor % 100), currency);
}

/* A catalogue price in the customer's currency, ending like a shelf price. */
static int64_t demo_price(int64_t eur_minor, const char *currency)
{
	if (strcmp(currency, "TRY") == 0)
		return (eur_minor * 36 / 100) * 100 - 10;	/* …,90 TL */
	if (strcmp(currency, "PLN") == 0)
		return (eur_minor * 43 / 1000) * 100 - 1;	/* …,99 zł */
	return eur_minor;
}

static int64_t demo_to_eur(int64_t minor, const char *currency)
{
	if (strcmp(currency, "TRY") == 0)
		return minor / 36;
	if (strcmp(currency, "PLN") == 0)
		return minor * 10 / 43;
	return minor;
}

/* ------------------------------------------------------------ templates */

/* Values for {placeholders}; NULL ones are left as they are. */
struct demo_vars {
	const char *first, *name, *order, *item, *size, *carrier, *tracking, *code, *rma, *email;
	const char *details;
	char percent[8], amount[40], days[8];
	char item_buf[112], size_buf[8];	/* storage behind item and size */
};

static const char *demo_var(const struct demo_vars *v, const char *name, size_t n)
{
	static const struct { const char *name; size_t off; bool array; } map[] = {
#define V(f) { #f, offsetof(struct demo_vars, f), false }
#define A(f) { #f, offsetof(struct demo_vars, f), true }
		V(first), V(name), V(order), V(item), V(size), V(carrier), V(tracking), V(code),
		V(rma), V(email), V(details), A(percent), A(amount), A(days),
#undef V
#undef A
	};

	if (n == 4 && strncmp(name, "shop", 4) == 0)
		return DEMO_SHOP;
	for (size_t i = 0; i < BATON_ARRAY_LEN(map); i++) {
		if (strlen(map[i].name) != n || strncmp(map[i].name, name, n) != 0)
			continue;
		if (map[i].array)
			return (const char *)v + map[i].off;
		return *(const char *const *)(const void *)((const char *)v + map[i].off);
	}
	return NULL;
}

static void demo_expand(struct strbuf *sb, const char *tmpl, const struct demo_vars *v)
{
	const char *p = tmpl;

	while (*p) {
		const char *open = strchr(p, '{'), *close, *val;
		if (!open) {
			sb_adds(sb, p);
			return;
		}
		sb_add(sb, p, (size_t)(open - p));
		close = strchr(open, '}');
		if (!close) {
			sb_adds(sb, open);
			return;
		}
		val = demo_var(v, open + 1, (size_t)(close - open - 1));
		if (val)
			sb_adds(sb, val);
		else
			sb_add(sb, open, (size_t)(close - open + 1));
		p = close + 1;
	}
}

static char *demo_expand_new(const char *tmpl, const struct demo_vars *v)
{
	struct strbuf sb = STRBUF_INIT;

	demo_expand(&sb, tmpl, v);
	return sb_take(&sb);
}

/* ------------------------------------------------------------- customers */

static void demo_make_item(struct demo_rng *r, struct demo_item *it, const char *currency)
{
	uint32_t p = demo_rng_below(r, BATON_ARRAY_LEN(demo_catalog));

	it->product = (uint8_t)p;
	it->colour = (uint8_t)demo_rng_below(r, BATON_ARRAY_LEN(demo_colours));
	it->qty = demo_rng_chance(r, 10) ? 2 : 1;
	it->price_minor = demo_price(demo_catalog[p].eur_minor, currency);
	if (demo_catalog[p].kind == KIND_SHOE)
		it->size = (int8_t)demo_rng_range(r, 37, 45);
	else if (demo_catalog[p].kind == KIND_APPAREL)	/* never the largest: an exchange goes up */
		it->size = (int8_t)demo_rng_below(r, BATON_ARRAY_LEN(demo_apparel_sizes) - 1);
	else
		it->size = -1;
}

static bool demo_item_sized(const struct demo_item *it)
{
	return it->size >= 0;
}

/* The item's size, or the next size up (for an exchange); "" if none. */
static void demo_item_size(const struct demo_item *it, bool next, char out[8])
{
	int d = next ? 1 : 0;

	if (!demo_item_sized(it))
		out[0] = '\0';
	else if (demo_catalog[it->product].kind == KIND_SHOE)
		snprintf(out, 8, "%d", it->size + d);
	else
		snprintf(out, 8, "%s", demo_apparel_sizes[it->size + d]);
}

/* "SNK-TRL-42-BLK" and "Trail sneaker, 42, black"; unsized: the catalogue's. */
static void demo_item_sku(const struct demo_item *it, char out[48])
{
	char size[8];

	demo_item_size(it, false, size);
	if (size[0])
		snprintf(out, 48, "%s-%s-%s", demo_catalog[it->product].sku, size,
			 demo_colours[it->colour]);
	else
		snprintf(out, 48, "%s", demo_catalog[it->product].sku);
}

/* Entry i of a pack's list, else of the English pack's, else "?". */
static const char *demo_localized(const char *const *list, const char *const *english, size_t i)
{
	if (demo_list_len(list) > i)
		return list[i];
	return demo_list_len(english) > i ? english[i] : "?";
}

static void demo_item_name(const struct demo_item *it, enum demo_lang lang, char out[112])
{
	const char *name = demo_localized(demo_langs[lang].product_names,
					  demo_langs[DEMO_LANG_EN].product_names, it->product);
	char size[8];

	demo_item_size(it, false, size);
	if (size[0])
		snprintf(out, 112, "%s, %s, %s", name, size,
			 demo_localized(demo_langs[lang].colour_names,
					demo_langs[DEMO_LANG_EN].colour_names, it->colour));
	else
		snprintf(out, 112, "%s", name);
}

static void demo_make_order(struct demo_world *w, struct demo_customer *c, struct demo_order *o,
			    enum demo_order_cat cat, unsigned *order_no)
{
	struct demo_rng *r = &w->rng;
	const struct demo_lang_pack *pk = &demo_langs[c->lang];
	int64_t now = w->created_ms;

	*order_no += 1 + demo_rng_below(r, 37);
	snprintf(o->id, sizeof o->id, "o-%u", *order_no);
	o->cat = cat;
	o->nitems = 1 + (int)demo_rng_below(r, 3);
	o->total = 0;
	for (int i = 0; i < o->nitems; i++) {
		demo_make_item(r, &o->items[i], c->currency);
		o->total += o->items[i].price_minor * o->items[i].qty;
	}
	o->delivered = 0;
	o->carrier = NULL;
	o->tracking[0] = '\0';
	switch (cat) {
	case CAT_PROCESSING:
		o->placed = now - demo_rng_range(r, 2, 30) * 3600000LL;
		o->status = "processing";
		break;
	case CAT_SHIPPED:
		o->placed = now - demo_rng_range(r, 4, 9) * DEMO_DAY_MS - demo_rng_range(r, 0, 86399) * 1000;
		o->status = "shipped";
		break;
	case CAT_IN_WINDOW:
		o->placed = now - demo_rng_range(r, 6, 27) * DEMO_DAY_MS - demo_rng_range(r, 0, 86399) * 1000;
		o->delivered = o->placed + demo_rng_range(r, 2, 4) * DEMO_DAY_MS + demo_rng_range(r, 0, 36000) * 1000;
		o->status = "delivered";
		break;
	case CAT_OLD:
		o->placed = now - demo_rng_range(r, 42, 420) * DEMO_DAY_MS - demo_rng_range(r, 0, 86399) * 1000;
		o->delivered = o->placed + demo_rng_range(r, 2, 5) * DEMO_DAY_MS + demo_rng_range(r, 0, 36000) * 1000;
		o->status = "delivered";
		break;
	case CAT_CANCELLED:
		o->placed = now - demo_rng_range(r, 10, 300) * DEMO_DAY_MS;
		o->status = "cancelled";
		break;
	}
	if (cat == CAT_SHIPPED || cat == CAT_IN_WINDOW || cat == CAT_OLD) {
		o->carrier = demo_pick(r, pk->carriers);
		label_tracking_number_seeded(o->carrier, demo_rng_next(r), o->tracking);
	}
}

static int demo_order_newest_first(const void *a, const void *b)
{
	const struct demo_order *x = a, *y = b;

	return (x->placed < y->placed) - (x->placed > y->placed);
}

static const char *const demo_contact_channels[] = { "email", "web", "whatsapp", "phone", NULL };

static const struct { const char *summary, *outcome; } demo_contact_kinds[] = {
	{ "Asked when order {order} would arrive; tracking link sent.", "resolved" },
	{ "Changed the delivery address of order {order} before dispatch.", "resolved" },
	{ "Reported a missing item in order {order}; replacement sent.", "replacement sent" },
	{ "Requested a copy of the invoice for order {order}.", "invoice sent" },
	{ "Asked how to apply a coupon code at checkout.", "resolved" },
	{ "Asked whether an item would be restocked in another size.", "no action needed" },
	{ "Complained about a late delivery of order {order}; apologised.", "coupon issued" },
};

static void demo_make_contacts(struct demo_world *w, struct demo_customer *c)
{
	struct demo_rng *r = &w->rng;

	c->ncontacts = (int)demo_rng_below(r, 4);
	for (int i = 0; i < c->ncontacts; i++) {
		struct demo_contact *ct = &c->contacts[i];
		const struct demo_order *o;

		ct->kind = (uint8_t)demo_rng_below(r, BATON_ARRAY_LEN(demo_contact_kinds));
		ct->order = (uint8_t)demo_rng_below(r, (uint32_t)c->norders);
		ct->channel = (uint8_t)demo_rng_below(r, BATON_ARRAY_LEN(demo_contact_channels) - 1);
		o = &c->orders[ct->order];
		ct->at = o->placed + demo_rng_range(r, 1, 6) * DEMO_DAY_MS;
		if (ct->at > w->created_ms - 3600000)
			ct->at = w->created_ms - demo_rng_range(r, 2, 48) * 3600000LL;
	}
}

static void demo_make_discounts_returns(struct demo_world *w, struct demo_customer *c)
{
	struct demo_rng *r = &w->rng;

	c->ndiscounts = (int)demo_rng_below(r, 3);
	for (int i = 0; i < c->ndiscounts; i++) {
		struct demo_discount *d = &c->discounts[i];
		if (i == 0 && demo_rng_chance(r, 40)) {
			snprintf(d->code, sizeof d->code, "WELCOME10");
			d->percent = 10;
			d->order = -1;
			d->at = c->since;
		} else {
			char a[5], b[5];
			static const char alpha[] = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
			for (int k = 0; k < 4; k++) {
				a[k] = alpha[demo_rng_below(r, sizeof alpha - 1)];
				b[k] = alpha[demo_rng_below(r, sizeof alpha - 1)];
			}
			a[4] = b[4] = '\0';
			snprintf(d->code, sizeof d->code, "BTN-%s-%s", a, b);
			d->percent = 5 * (1 + (int)demo_rng_below(r, 3));
			d->order = (int)demo_rng_below(r, (uint32_t)c->norders);
			d->at = c->orders[d->order].placed + demo_rng_range(r, 1, 10) * DEMO_DAY_MS;
			if (d->at > w->created_ms)
				d->at = w->created_ms - 3600000;
		}
	}
	c->nreturns = 0;
	for (int i = 0; i < c->norders && c->nreturns == 0; i++) {
		const struct demo_order *o = &c->orders[i];
		if (o->delivered && demo_rng_chance(r, 30)) {
			struct demo_return *rt = &c->returns[c->nreturns++];
			snprintf(rt->rma, sizeof rt->rma, "rma-%08llx",
				 (unsigned long long)(demo_rng_next(r) & 0xFFFFFFFFu));
			rt->order = i;
			rt->at = o->delivered + demo_rng_range(r, 2, 20) * DEMO_DAY_MS;
			if (rt->at > w->created_ms)
				rt->at = w->created_ms - 7200000;
			rt->status = w->created_ms - rt->at > 10 * DEMO_DAY_MS ? "refunded"
				   : w->created_ms - rt->at > 3 * DEMO_DAY_MS ? "received" : "authorized";
		}
	}
}

static void demo_make_customer(struct demo_world *w, size_t i, int lang_offset, unsigned *order_no)
{
	struct demo_customer *c = &w->cust[i];
	struct demo_rng *r = &w->rng;
	const struct demo_lang_pack *pk;
	struct strbuf sb = STRBUF_INIT;
	const char *last;
	int64_t eur = 0;
	static const char *const domains[] = { "example.com", "example.net", "example.org", NULL };

	memset(c, 0, sizeof *c);
	snprintf(c->id, sizeof c->id, "cu-%zu", 1001 + i);
	c->lang = (enum demo_lang)(((size_t)lang_offset + i) % DEMO_LANG__COUNT);
	pk = &demo_langs[c->lang];
	c->first = demo_pick(r, pk->first_names);
	last = demo_pick(r, pk->last_names);
	snprintf(c->name, sizeof c->name, "%s %s", c->first, last);
	demo_ascii_fold(&sb, c->first);
	sb_addc(&sb, '.');
	demo_ascii_fold(&sb, last);
	if (demo_rng_chance(r, 50))
		sb_addf(&sb, "%u", 1 + demo_rng_below(r, 99));
	snprintf(c->email, sizeof c->email, "%s@%s", sb_str(&sb), demo_pick(r, domains));
	sb_free(&sb);
	c->street = demo_pick(r, pk->streets);
	c->city = demo_pick(r, pk->cities);
	c->currency = pk->alt_currency && demo_rng_chance(r, 60) ? pk->alt_currency : "EUR";

	/* The first order's kind rotates, so every kind of case has customers. */
	c->norders = 1 + (int)demo_rng_below(r, 6);
	for (int k = 0; k < c->norders; k++) {
		enum demo_order_cat cat;
		if (k == 0) {
			static const enum demo_order_cat first[] = { CAT_SHIPPED, CAT_IN_WINDOW, CAT_OLD,
								     CAT_IN_WINDOW, CAT_OLD };
			cat = first[(i / DEMO_LANG__COUNT + i) % BATON_ARRAY_LEN(first)];
		} else {
			uint32_t x = demo_rng_below(r, 100);
			cat = x < 8 ? CAT_SHIPPED : x < 30 ? CAT_IN_WINDOW : x < 88 ? CAT_OLD
			    : x < 94 ? CAT_PROCESSING : CAT_CANCELLED;
		}
		demo_make_order(w, c, &c->orders[k], cat, order_no);
	}
	qsort(c->orders, (size_t)c->norders, sizeof c->orders[0], demo_order_newest_first);

	c->since = c->orders[c->norders - 1].placed - demo_rng_range(r, 1, 900) * DEMO_DAY_MS;
	for (int k = 0; k < c->norders; k++)
		if (c->orders[k].cat != CAT_CANCELLED)
			c->ltv += c->orders[k].total;
	/* Earlier orders than the ones shown: skewed, most customers spend little. */
	{
		double u = demo_rng_unit(r);
		c->ltv += demo_price((int64_t)(u * u * u * 500000.0), c->currency);
	}
	eur = demo_to_eur(c->ltv, c->currency);
	c->tier = eur < 30000 ? "bronze" : eur < 100000 ? "silver" : eur < 300000 ? "gold" : "platinum";
	demo_make_contacts(w, c);
	demo_make_discounts_returns(w, c);
}

/*
 * The scenario of escalation number serial. Serials are dealt in decks of
 * 20 (each deck shuffled from the seed and the deck's number), so every case
 * comes up in every 20 and the choice needs nothing but (seed, serial).
 */
static enum demo_scenario demo_serial_scenario(uint64_t seed, uint64_t serial)
{
	/* Weights out of 20: how often each case comes up. */
	static const int weights[DEMO_SC__COUNT] = {
		[DEMO_SC_DISCOUNT] = 3, [DEMO_SC_RETURN_LATE] = 2, [DEMO_SC_RETURN_DAMAGED] = 2,
		[DEMO_SC_FRAUD] = 1, [DEMO_SC_LATE_ORDER] = 3, [DEMO_SC_SIZE_OOS] = 2,
		[DEMO_SC_COMPLAINT] = 2, [DEMO_SC_HUMAN] = 3, [DEMO_SC_LOW_CONF] = 2,
	};
	struct demo_rng r = { seed ^ (((serial - 1) / 20 + 1) * 0x8CB92BA72F3D8DD7u) };
	int deck[20], n = 0;

	for (int s = 0; s < DEMO_SC__COUNT; s++)
		for (int k = 0; k < weights[s]; k++)
			deck[n++] = s;
	for (int i = n - 1; i > 0; i--) {
		int j = (int)demo_rng_below(&r, (uint32_t)i + 1);
		int t = deck[i];
		deck[i] = deck[j];
		deck[j] = t;
	}
	return (enum demo_scenario)deck[(serial - 1) % 20];
}

struct demo_world *demo_world_new_at(uint64_t seed, int ncustomers, int64_t now_ms)
{
	struct demo_world *w = xcalloc(1, sizeof *w);
	unsigned order_no;
	int lang_offset;

	if (ncustomers < DEMO_MIN_CUSTOMERS)
		ncustomers = DEMO_MIN_CUSTOMERS;
	w->seed = seed;
	w->created_ms = now_ms;
	w->rng.s = seed;
	w->ncust = (size_t)ncustomers;
	w->cust = xcalloc(w->ncust, sizeof *w->cust);
	w->next_serial = 1;
	order_no = 40000 + demo_rng_below(&w->rng, 20000);
	lang_offset = (int)demo_rng_below(&w->rng, DEMO_LANG__COUNT);
	for (size_t i = 0; i < w->ncust; i++)
		demo_make_customer(w, i, lang_offset, &order_no);
	return w;
}

struct demo_world *demo_world_new(uint64_t seed, int ncustomers)
{
	return demo_world_new_at(seed, ncustomers, time_now_ms());
}

void demo_world_free(struct demo_world *w)
{
	if (!w)
		return;
	free(w->cust);
	free(w->conv);
	free(w);
}

void demo_world_set_next_serial(struct demo_world *w, uint64_t next)
{
	/* Serials only grow, so lookups by serial stay a binary search. */
	if (next > w->next_serial)
		w->next_serial = next;
}

size_t demo_customer_count(const struct demo_world *w)
{
	return w->ncust;
}

const char *demo_customer_id(const struct demo_world *w, size_t i)
{
	return i < w->ncust ? w->cust[i].id : NULL;
}

static const struct demo_customer *demo_find_customer(const struct demo_world *w, const char *id)
{
	char *end;
	unsigned long n;

	if (!id || strncmp(id, "cu-", 3) != 0)
		return NULL;
	n = strtoul(id + 3, &end, 10);
	if (*end || n < 1001 || n - 1001 >= w->ncust)
		return NULL;
	return strcmp(w->cust[n - 1001].id, id) == 0 ? &w->cust[n - 1001] : NULL;
}

const char *demo_customer_language(const struct demo_world *w, const char *customer_id)
{
	const struct demo_customer *c = demo_find_customer(w, customer_id);

	return c ? demo_langs[c->lang].code : NULL;
}

const char *demo_customer_address(const struct demo_world *w, const char *customer_id,
				  const char *lines[4])
{
	const struct demo_customer *c = demo_find_customer(w, customer_id);

	if (!c) {
		lines[0] = NULL;
		return NULL;
	}
	lines[0] = c->street;
	lines[1] = c->city;
	lines[2] = demo_langs[c->lang].country;
	lines[3] = NULL;
	return c->name;
}

const char *demo_returns_address(const char *lines[4])
{
	lines[0] = "Retourenstraße 7";
	lines[1] = "41460 Neuss";
	lines[2] = "Germany";
	lines[3] = NULL;
	return DEMO_SHOP " Returns";
}

static json_t *demo_order_json(const struct demo_customer *c, const struct demo_order *o)
{
	json_t *items = json_array();
	json_t *j;

	for (int i = 0; i < o->nitems; i++) {
		char sku[48], name[112];
		demo_item_sku(&o->items[i], sku);
		demo_item_name(&o->items[i], c->lang, name);
		json_array_append_new(items, json_pack("{s:s, s:s, s:i, s:I}", "sku", sku, "name", name,
						       "qty", o->items[i].qty,
						       "price_minor", (json_int_t)o->items[i].price_minor));
	}
	j = json_pack("{s:s, s:o, s:o, s:s, s:I, s:s, s:o, s:o, s:o}",
		      "id", o->id, "placed_at", demo_json_time(o->placed),
		      "delivered_at", o->delivered ? demo_json_time(o->delivered) : json_null(),
		      "status", o->status, "total_minor", (json_int_t)o->total,
		      "currency", c->currency,
		      "carrier", o->carrier ? json_string(o->carrier) : json_null(),
		      "tracking", o->tracking[0] ? json_string(o->tracking) : json_null(),
		      "items", items);
	return j;
}

json_t *demo_customer_json(const struct demo_world *w, size_t i)
{
	const struct demo_customer *c;
	json_t *j, *orders, *contacts, *discounts, *returns;

	if (i >= w->ncust)
		return NULL;
	c = &w->cust[i];
	orders = json_array();
	for (int k = 0; k < c->norders; k++)
		json_array_append_new(orders, demo_order_json(c, &c->orders[k]));
	contacts = json_array();
	for (int k = 0; k < c->ncontacts; k++) {
		const struct demo_contact *ct = &c->contacts[k];
		struct demo_vars v;
		char *summary;
		memset(&v, 0, sizeof v);
		v.order = c->orders[ct->order].id;
		summary = demo_expand_new(demo_contact_kinds[ct->kind].summary, &v);
		json_array_append_new(contacts, json_pack("{s:o, s:s, s:s, s:s}",
			"at", demo_json_time(ct->at), "channel", demo_contact_channels[ct->channel],
			"summary", summary, "outcome", demo_contact_kinds[ct->kind].outcome));
		free(summary);
	}
	discounts = json_array();
	for (int k = 0; k < c->ndiscounts; k++) {
		const struct demo_discount *d = &c->discounts[k];
		json_array_append_new(discounts, json_pack("{s:s, s:i, s:o, s:o}",
			"code", d->code, "percent", d->percent,
			"order", d->order >= 0 ? json_string(c->orders[d->order].id) : json_null(),
			"at", demo_json_time(d->at)));
	}
	returns = json_array();
	for (int k = 0; k < c->nreturns; k++)
		json_array_append_new(returns, json_pack("{s:s, s:s, s:s, s:o}",
			"rma", c->returns[k].rma, "order", c->orders[c->returns[k].order].id,
			"status", c->returns[k].status, "at", demo_json_time(c->returns[k].at)));
	j = json_pack("{s:s, s:s, s:s, s:s, s:o, s:I, s:s, s:o, s:o, s:o, s:o}",
		      "id", c->id, "name", c->name, "email", c->email, "tier", c->tier,
		      "since", demo_json_time(c->since), "lifetime_value_minor", (json_int_t)c->ltv,
		      "currency", c->currency, "orders", orders, "contacts", contacts,
		      "discounts", discounts, "returns", returns);
	return j;
}

/* ----------------------------------------------------------- escalations */

const char *demo_scenario_name(enum demo_scenario sc)
{
	static const char *const names[DEMO_SC__COUNT] = {
		[DEMO_SC_DISCOUNT] = "discount", [DEMO_SC_RETURN_LATE] = "return_late",
		[DEMO_SC_RETURN_DAMAGED] = "return_damaged", [DEMO_SC_FRAUD] = "fraud",
		[DEMO_SC_LATE_ORDER] = "late_order", [DEMO_SC_SIZE_OOS] = "size_out_of_stock",
		[DEMO_SC_COMPLAINT] = "complaint", [DEMO_SC_HUMAN] = "human",
		[DEMO_SC_LOW_CONF] = "low_confidence",
	};

	return (int)sc >= 0 && sc < DEMO_SC__COUNT ? names[sc] : "?";
}

/* What the bot knows about each case: the agent-facing texts in English. */
static const struct demo_case {
	const char *reason_code;
	const char *priority;
	const char *skills[3];
	const char *reason;		/* reason.text */
	const char *summary;		/* first sentences of the summary */
	const char *step[2], *outcome[2], *detail[2];
	double sent_lo, sent_hi;
} demo_cases[DEMO_SC__COUNT] = {
	[DEMO_SC_DISCOUNT] = {
		"discount_request", "normal", { "billing" },
		"Customer wants {percent}% off {item}; the bot may give at most 10%.",
		"{name} bought the {item} in order {order} ({amount}) and saw the price drop soon after. The customer asks for {percent}% off this order; I offered the standard 10% coupon for a next order, which was declined.",
		{ "offered 10% coupon for next order" }, { "declined" },
		{ "customer wants {percent}% on order {order}" }, -0.5, -0.1,
	},
	[DEMO_SC_RETURN_LATE] = {
		"return_dispute", "normal", { "returns" },
		"Return requested {days} days after delivery; outside the 30-day window.",
		"{name} wants to return the {item} from order {order}, delivered {days} days ago. The customer says it is unworn with tags and was abroad; the return window is 30 days, so I could not start a return.",
		{ "checked return eligibility" }, { "not eligible" },
		{ "delivered {days} days ago; window 30 days" }, -0.6, -0.2,
	},
	[DEMO_SC_RETURN_DAMAGED] = {
		"return_dispute", "high", { "returns" },
		"{item} arrived damaged; customer refuses a replacement and wants a refund.",
		"{name} received the {item} (order {order}) damaged in transit and has photos. I offered a replacement; the customer wants a full refund of {amount} instead.",
		{ "offered a replacement", "asked for photos of the damage" }, { "declined", "photos sent by email" },
		{ "customer wants a refund", NULL }, -0.7, -0.3,
	},
	[DEMO_SC_FRAUD] = {
		"fraud_claim", "urgent", { "fraud", "billing" },
		"Customer does not recognise a charge of {amount} (order {order}).",
		"{name} reports a card charge of {amount} for order {order} that the customer says they never placed. I did not discuss order details further and escalated straight away; the order may need to be stopped.",
		{ "verified the customer's identity by e-mail address" }, { "verified" },
		{ "charge for order {order}, {amount}" }, -0.9, -0.6,
	},
	[DEMO_SC_LATE_ORDER] = {
		"order_problem", "normal", { "shipping" },
		"Order {order} not delivered; tracking with {carrier} has not moved for {days} days.",
		"{name} is waiting for order {order}, shipped with {carrier}; the tracking has not changed for {days} days. The customer needs it by the weekend as a present.",
		{ "checked tracking with {carrier}" }, { "no update for {days} days" },
		{ "tracking {tracking}" }, -0.5, -0.1,
	},
	[DEMO_SC_SIZE_OOS] = {
		"order_problem", "low", { "returns" },
		"Exchange of {item} to size {size} requested; that size is out of stock.",
		"{name} wants to exchange the {item} from order {order} for size {size}, which is out of stock with no restock date. I offered a refund; the customer prefers the right size.",
		{ "checked stock for size {size}", "offered a refund" }, { "out of stock", "declined" },
		{ "no restock date", NULL }, -0.3, 0.1,
	},
	[DEMO_SC_COMPLAINT] = {
		"complaint", "high", { "complaints" },
		"Repeated complaint about order {order}; customer asks for someone responsible.",
		"{name} is writing for the third time about order {order}: late delivery, a wrong invoice and unanswered e-mails. The customer is upset and asks for someone responsible.",
		{ "apologised and asked for details" }, { "customer asked for a manager" },
		{ NULL }, -0.9, -0.5,
	},
	[DEMO_SC_HUMAN] = {
		"customer_request", "normal", { "general" },
		"Customer asked for a human agent.",
		"{name} asked for a person straight away and would not say what it is about. The most recent order is {order} ({amount}).",
		{ "offered self-service help" }, { "declined" },
		{ "customer insists on a person" }, -0.2, 0.2,
	},
	[DEMO_SC_LOW_CONF] = {
		"low_confidence", "low", { "general" },
		"The bot could not tell what the customer wants.",
		"I could not work out what {name} wants: it seems to be a repeat of an earlier order in another colour, possibly as a gift. Their recent order {order} contained the {item}.",
		{ "asked a clarifying question" }, { "not understood" },
		{ "intent confidence below threshold" }, -0.1, 0.3,
	},
};

/* Does order o of c suit scenario sc, as of now? Sets *item to the item. */
static bool demo_order_fits(const struct demo_customer *c, int oi, enum demo_scenario sc,
			    int64_t now, int *item)
{
	const struct demo_order *o = &c->orders[oi];
	bool in_window = o->delivered && now - o->delivered <= DEMO_WINDOW_DAYS * DEMO_DAY_MS;

	*item = 0;
	switch (sc) {
	case DEMO_SC_DISCOUNT:
	case DEMO_SC_RETURN_DAMAGED:
		return in_window;
	case DEMO_SC_RETURN_LATE:
		return o->delivered && !in_window && now - o->delivered < 120 * DEMO_DAY_MS;
	case DEMO_SC_LATE_ORDER:
		return o->cat == CAT_SHIPPED;
	case DEMO_SC_SIZE_OOS:
		if (!in_window)
			return false;
		for (int i = 0; i < o->nitems; i++)
			if (demo_item_sized(&o->items[i])) {
				*item = i;
				return true;
			}
		return false;
	case DEMO_SC_COMPLAINT:
		return o->delivered != 0;
	case DEMO_SC_LOW_CONF:
		/* "the same again in another colour": an item that has one */
		for (int i = 0; i < o->nitems; i++)
			if (demo_item_sized(&o->items[i])) {
				*item = i;
				return o->cat != CAT_CANCELLED;
			}
		return false;
	default:
		return o->cat != CAT_CANCELLED;
	}
}

static void demo_pick_case(const struct demo_world *w, struct demo_rng *r, enum demo_scenario sc,
			   int64_t now, size_t *ci, int *oi, int *item)
{
	/* Random customers first; then a full scan; then any order at all. */
	for (int tries = 0; tries < 64; tries++) {
		size_t c = demo_rng_below(r, (uint32_t)w->ncust);
		for (int o = 0; o < w->cust[c].norders; o++)
			if (demo_order_fits(&w->cust[c], o, sc, now, item)) {
				*ci = c;
				*oi = o;
				return;
			}
	}
	for (size_t c = 0; c < w->ncust; c++)
		for (int o = 0; o < w->cust[c].norders; o++)
			if (demo_order_fits(&w->cust[c], o, sc, now, item)) {
				*ci = c;
				*oi = o;
				return;
			}
	*ci = demo_rng_below(r, (uint32_t)w->ncust);
	*oi = 0;
	*item = 0;
}

/* Random streams of escalation number serial: one for the case and the
 * bot's body, one for the customer's replies. */
static struct demo_rng demo_case_rng(const struct demo_world *w, uint64_t serial)
{
	struct demo_rng r = { w->seed ^ (serial * 0x9FB21C651E98DF25u) };

	return r;
}

/*
 * The case of escalation number serial, from (seed, serial) alone, so the
 * same world rebuilds it after a restart: scenario, customer, order, item,
 * what the customer wants. Orders fit "as of" the world's creation, not the
 * wall clock, for the same reason. r is left where the body continues.
 */
static void demo_conv_init(const struct demo_world *w, struct demo_conv *cv, uint64_t serial,
			   struct demo_rng *r)
{
	const struct demo_order *o;

	memset(cv, 0, sizeof *cv);
	cv->serial = serial;
	snprintf(cv->external_id, sizeof cv->external_id, "bot-%llu", (unsigned long long)serial);
	cv->sc = demo_serial_scenario(w->seed, serial);
	cv->rng.s = w->seed ^ (serial * 0xD1B54A32D192ED03u);
	demo_pick_case(w, r, cv->sc, w->created_ms, &cv->customer, &cv->order, &cv->item);
	o = &w->cust[cv->customer].orders[cv->order];
	cv->percent = 20 + 5 * (int)demo_rng_below(r, 4);
	if (cv->sc == DEMO_SC_RETURN_LATE && o->delivered)
		cv->days = (int)((w->created_ms - o->delivered) / DEMO_DAY_MS);
	else
		cv->days = 3 + (int)demo_rng_below(r, 4);
}

/* Makes room for one more conversation at index at (serial order). */
static struct demo_conv *demo_conv_insert(struct demo_world *w, size_t at)
{
	if (w->nconv == w->capconv) {
		w->capconv = w->capconv ? 2 * w->capconv : 64;
		w->conv = xrealloc(w->conv, w->capconv * sizeof *w->conv);
	}
	memmove(&w->conv[at + 1], &w->conv[at], (w->nconv - at) * sizeof *w->conv);
	w->nconv++;
	return &w->conv[at];
}

static void demo_conv_vars(const struct demo_world *w, const struct demo_conv *cv, struct demo_vars *v)
{
	const struct demo_customer *c = &w->cust[cv->customer];
	const struct demo_order *o = &c->orders[cv->order];
	const struct demo_item *it = &o->items[cv->item];

	memset(v, 0, sizeof *v);
	v->first = c->first;
	v->name = c->name;
	v->order = o->id;
	demo_item_name(it, c->lang, v->item_buf);
	demo_item_size(it, true, v->size_buf);
	v->item = v->item_buf;
	v->size = v->size_buf;
	v->carrier = o->carrier ? o->carrier : "-";
	v->tracking = o->tracking[0] ? o->tracking : "-";
	v->email = c->email;
	snprintf(v->percent, sizeof v->percent, "%d", cv->percent);
	snprintf(v->days, sizeof v->days, "%d", cv->days);
	demo_money(v->amount, sizeof v->amount, o->total, c->currency, c->lang);
}

/*
 * The state of conversation external_id. One this world has not seen but
 * numbered before its next serial (a restarted hub's earlier escalations)
 * is rebuilt from the seed, so its customer answers in the right language
 * and case; anything else is not the demo's.
 */
static struct demo_conv *demo_find_conv(struct demo_world *w, const char *external_id)
{
	size_t lo = 0, hi = w->nconv;
	unsigned long long serial;
	char *end;

	if (!external_id || strncmp(external_id, "bot-", 4) != 0)
		return NULL;
	serial = strtoull(external_id + 4, &end, 10);
	if (*end || end == external_id + 4)
		return NULL;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (w->conv[mid].serial < serial)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < w->nconv && w->conv[lo].serial == serial)
		return strcmp(w->conv[lo].external_id, external_id) == 0 ? &w->conv[lo] : NULL;
	if (serial == 0 || serial >= w->next_serial || external_id[4] == '0') {
		return NULL;
	} else {
		struct demo_rng r = demo_case_rng(w, serial);
		struct demo_conv *cv = demo_conv_insert(w, lo);
		demo_conv_init(w, cv, serial, &r);
		return cv;
	}
}

int demo_escalation_scenario(struct demo_world *w, const char *external_id)
{
	const struct demo_conv *cv = demo_find_conv(w, external_id);

	return cv ? (int)cv->sc : -1;
}

const char *demo_conversation_language(struct demo_world *w, const char *external_id)
{
	const struct demo_conv *cv = demo_find_conv(w, external_id);

	return cv ? demo_langs[w->cust[cv->customer].lang].code : NULL;
}

static json_t *demo_msg(const char *from, const char *text, int64_t at)
{
	return json_pack("{s:s, s:s, s:s, s:o}", "from", from, "kind", "public", "text", text,
			 "at", demo_json_time(at));
}

static void demo_add_msg(json_t *transcript, const char *from, const char *tmpl,
			 const struct demo_vars *v, int64_t at)
{
	char *text = demo_expand_new(tmpl, v);

	json_array_append_new(transcript, demo_msg(from, text, at));
	free(text);
}

/* 0.xx as a double, so JSON shows two decimals' worth. */
static double demo_round2(double x)
{
	return (double)(int64_t)(x * 100.0 + (x < 0 ? -0.5 : 0.5)) / 100.0;
}

static const char *demo_channel(struct demo_rng *r)
{
	uint32_t x = demo_rng_below(r, 100);

	return x < 40 ? "web" : x < 65 ? "whatsapp" : x < 80 ? "messenger" : x < 85 ? "sms" : "email";
}

json_t *demo_escalation_new(struct demo_world *w, int64_t now_ms)
{
	struct demo_rng case_rng = demo_case_rng(w, w->next_serial), *r = &case_rng;
	const struct demo_case *dc;
	const struct demo_customer *c;
	const struct demo_lang_pack *pk;
	struct demo_conv *cv;
	struct demo_vars v;
	struct strbuf sum = STRBUF_INIT;
	json_t *transcript, *attempted, *skills, *esc, *body;
	char *reason, ltv[40], year[8];
	int64_t t;
	double conf;
	const char *priority;

	/* Serials only grow and the array is sorted by them: append. (A
	 * rebuilt conversation is always below next_serial.) */
	cv = demo_conv_insert(w, w->nconv);
	demo_conv_init(w, cv, w->next_serial++, r);
	if (cv->sc == DEMO_SC_RETURN_LATE && w->cust[cv->customer].orders[cv->order].delivered)
		cv->days = (int)((now_ms - w->cust[cv->customer].orders[cv->order].delivered) / DEMO_DAY_MS);
	c = &w->cust[cv->customer];
	pk = &demo_langs[c->lang];
	dc = &demo_cases[cv->sc];
	demo_conv_vars(w, cv, &v);

	/* Priority: the case's, one step up for the best customers' disputes. */
	priority = dc->priority;
	if (strcmp(priority, "normal") == 0 && (strcmp(c->tier, "gold") == 0 ||
						 strcmp(c->tier, "platinum") == 0))
		priority = "high";
	if (strcmp(priority, "low") == 0 && strcmp(c->tier, "platinum") == 0)
		priority = "normal";

	/* The transcript: greeting, the customer's problem, what the bot
	 * tried, the customer's answer, maybe a request for a person, handoff. */
	transcript = json_array();
	t = now_ms - demo_rng_range(r, 180, 600) * 1000;
	demo_add_msg(transcript, "bot", demo_variant(r, pk->phrase[DP_BOT_GREETING]), &v, t);
	t += demo_rng_range(r, 15, 60) * 1000;
	demo_add_msg(transcript, "customer", demo_variant(r, pk->sc[cv->sc].open), &v, t);
	t += demo_rng_range(r, 2, 6) * 1000;
	demo_add_msg(transcript, "bot", demo_variant(r, pk->sc[cv->sc].bot_try), &v, t);
	t += demo_rng_range(r, 15, 75) * 1000;
	demo_add_msg(transcript, "customer", demo_variant(r, pk->sc[cv->sc].push), &v, t);
	if (cv->sc == DEMO_SC_COMPLAINT || cv->sc == DEMO_SC_DISCOUNT ||
	    (cv->sc != DEMO_SC_FRAUD && cv->sc != DEMO_SC_HUMAN && demo_rng_chance(r, 30))) {
		t += demo_rng_range(r, 10, 40) * 1000;
		demo_add_msg(transcript, "customer", demo_variant(r, pk->phrase[DP_ASK_HUMAN]), &v, t);
	}
	t += demo_rng_range(r, 2, 5) * 1000;
	demo_add_msg(transcript, "bot", demo_variant(r, pk->phrase[DP_BOT_HANDOFF]), &v, t);

	attempted = json_array();
	{
		int64_t at = now_ms - demo_rng_range(r, 60, 170) * 1000;
		for (int k = 0; k < 2 && dc->step[k]; k++, at += 20000) {
			char *step = demo_expand_new(dc->step[k], &v);
			char *detail = dc->detail[k] ? demo_expand_new(dc->detail[k], &v) : NULL;
			char *outcome = demo_expand_new(dc->outcome[k], &v);
			json_array_append_new(attempted, json_pack("{s:s, s:s, s:o, s:o}",
				"step", step, "outcome", outcome,
				"detail", detail ? json_string(detail) : json_null(),
				"at", demo_json_time(at)));
			free(step);
			free(detail);
			free(outcome);
		}
	}

	/* The summary: the case in two or three sentences, then who the
	 * customer is. */
	demo_expand(&sum, dc->summary, &v);
	demo_money(ltv, sizeof ltv, c->ltv, c->currency, DEMO_LANG_EN);
	{
		char since[TIME_RFC3339_LEN + 1];
		demo_time(c->since, since);
		snprintf(year, sizeof year, "%.4s", since);
	}
	sb_addf(&sum, " %c%s customer since %s, lifetime value %s, %d earlier contact%s; writes in %s.",
		c->tier[0] - 32, c->tier + 1, year, ltv, c->ncontacts, c->ncontacts == 1 ? "" : "s",
		pk->code);

	reason = demo_expand_new(dc->reason, &v);
	skills = json_array();
	for (int k = 0; k < 3 && dc->skills[k]; k++)
		json_array_append_new(skills, json_string(dc->skills[k]));
	conf = cv->sc == DEMO_SC_LOW_CONF ? 0.18 + 0.2 * demo_rng_unit(r)
	     : cv->sc == DEMO_SC_HUMAN ? 0.85 + 0.1 * demo_rng_unit(r)
	     : 0.55 + 0.37 * demo_rng_unit(r);
	esc = json_pack("{s:{s:s, s:s}, s:f, s:f, s:o, s:s, s:o}",
			"reason", "code", dc->reason_code, "text", reason,
			"confidence", demo_round2(conf),
			"sentiment", demo_round2(dc->sent_lo + (dc->sent_hi - dc->sent_lo) * demo_rng_unit(r)),
			"skills", skills, "summary", sb_str(&sum), "attempted", attempted);
	body = json_pack("{s:s, s:s, s:s, s:s, s:o, s:o, s:o}",
			 "external_id", cv->external_id, "channel", demo_channel(r),
			 "language", pk->code, "priority", priority, "escalation", esc,
			 "customer", demo_customer_json(w, cv->customer), "transcript", transcript);
	free(reason);
	sb_free(&sum);
	return body;
}

/* ---------------------------------------------------------------- replies */

/* Lower-cases ASCII letters and the capitals of the five languages that
 * agents type at the start of a sentence; enough for keyword matching.
 * Plain 'I' becomes 'i', not Turkish 'ı': agents write English more. */
static char *demo_lower(const char *s)
{
	static const struct { const char *up, *low; } map[] = {
		{ "İ", "i" }, { "Ş", "ş" }, { "Ğ", "ğ" }, { "Ç", "ç" }, { "Ö", "ö" },
		{ "Ü", "ü" }, { "Ł", "ł" }, { "Ś", "ś" }, { "Ż", "ż" }, { "Ź", "ź" }, { "Ą", "ą" },
		{ "Ę", "ę" }, { "Ć", "ć" }, { "Ń", "ń" }, { "Ó", "ó" }, { "Ä", "ä" },
	};
	struct strbuf sb = STRBUF_INIT;

	while (*s) {
		bool done = false;
		for (size_t i = 0; i < BATON_ARRAY_LEN(map); i++) {
			size_t n = strlen(map[i].up);
			if (strncmp(s, map[i].up, n) == 0) {
				sb_adds(&sb, map[i].low);
				s += n;
				done = true;
				break;
			}
		}
		if (done)
			continue;
		sb_addc(&sb, (*s >= 'A' && *s <= 'Z') ? (char)(*s + 32) : *s);
		s++;
	}
	return sb_take(&sb);
}

static bool demo_has_keyword(const char *lower, enum demo_lang lang, enum demo_keyword k)
{
	const char *const *lists[2] = { demo_langs[DEMO_LANG_EN].keywords[k], demo_langs[lang].keywords[k] };

	for (int l = 0; l < 2; l++)
		for (size_t i = 0; lists[l] && lists[l][i]; i++)
			if (strstr(lower, lists[l][i]))
				return true;
	return false;
}

/*
 * Finds a token that looks like a coupon code in what the agent wrote:
 * upper-case letters and digits in dash-separated groups ("BTN-7QX2-KD9F"),
 * at least 8 characters with a digit. Copies it to out.
 */
static bool demo_find_code(const char *s, char out[40])
{
	for (const char *p = s; *p;) {
		size_t n = 0;
		bool digit = false, dash = false, lower = false;
		while (p[n] && ((p[n] >= 'A' && p[n] <= 'Z') || (p[n] >= 'a' && p[n] <= 'z') ||
				(p[n] >= '0' && p[n] <= '9') || p[n] == '-')) {
			digit |= p[n] >= '0' && p[n] <= '9';
			dash |= p[n] == '-';
			lower |= p[n] >= 'a' && p[n] <= 'z';
			n++;
		}
		if (n >= 8 && n < 40 && digit && dash && !lower && p[0] != '-' && p[n - 1] != '-') {
			memcpy(out, p, n);
			out[n] = '\0';
			return true;
		}
		p += n ? n : 1;
	}
	return false;
}

static bool demo_mentions(const char *s, const char *prefix)
{
	return strstr(s, prefix) != NULL;
}

char *demo_customer_reply(struct demo_world *w, const char *external_id, const char *agent_text,
			  int *delay_ms)
{
	struct demo_conv *cv = demo_find_conv(w, external_id);
	const struct demo_lang_pack *pk;
	struct demo_vars v;
	struct strbuf out = STRBUF_INIT;
	char code[40], *lower;
	const char *tmpl = NULL;
	bool question, bye;
	enum demo_lang lang;

	if (delay_ms)
		*delay_ms = 0;
	if (!cv || cv->said_bye || !agent_text)
		return NULL;
	lang = w->cust[cv->customer].lang;
	pk = &demo_langs[lang];
	demo_conv_vars(w, cv, &v);
	lower = demo_lower(agent_text);
	question = strchr(agent_text, '?') != NULL;
	bye = demo_has_keyword(lower, lang, DK_BYE);
	cv->replies++;

	if (demo_find_code(agent_text, code) && (demo_has_keyword(lower, lang, DK_CODE) ||
						 strncmp(code, "BTN-", 4) == 0)) {
		v.code = code;
		cv->got_code = true;
		tmpl = demo_variant(&cv->rng, pk->phrase[DP_R_CODE_THANKS]);
	} else if (demo_mentions(lower, "rma-") || (demo_has_keyword(lower, lang, DK_RETURN) &&
						      !demo_has_keyword(lower, lang, DK_REFUND))) {
		if (!cv->asked_refund) {
			cv->asked_refund = true;
			tmpl = demo_variant(&cv->rng, pk->phrase[DP_R_REFUND_WHEN]);
		} else {
			cv->got_label = true;
			tmpl = demo_variant(&cv->rng, pk->phrase[DP_R_LABEL_THANKS]);
		}
	} else if (demo_has_keyword(lower, lang, DK_REFUND)) {
		tmpl = demo_variant(&cv->rng, pk->phrase[DP_R_THANKS]);
	} else if (bye && !question) {
		tmpl = demo_variant(&cv->rng, pk->phrase[DP_R_BYE]);
		bye = false;
		cv->said_bye = true;
	} else if (demo_has_keyword(lower, lang, DK_ORDER)) {
		tmpl = demo_variant(&cv->rng, pk->phrase[DP_R_ORDER]);
	} else if (demo_has_keyword(lower, lang, DK_EMAIL) && question) {
		tmpl = demo_variant(&cv->rng, pk->phrase[DP_R_EMAIL]);
	} else if (bye) {
		/* "Anything else?": the customer is done. */
		tmpl = demo_variant(&cv->rng, pk->phrase[DP_R_BYE]);
		bye = false;
		cv->said_bye = true;
	} else if (demo_has_keyword(lower, lang, DK_WAIT)) {
		if (demo_rng_chance(&cv->rng, 50))
			goto silent;	/* waiting quietly is also an answer */
		tmpl = demo_variant(&cv->rng, pk->phrase[DP_R_WAIT]);
	} else if (demo_has_keyword(lower, lang, DK_SORRY) && !cv->gave_detail &&
		   (cv->sc == DEMO_SC_COMPLAINT || cv->sc == DEMO_SC_FRAUD)) {
		tmpl = demo_variant(&cv->rng, pk->phrase[DP_R_UNHAPPY]);
	} else if (!cv->gave_detail) {
		cv->gave_detail = true;
		tmpl = demo_variant(&cv->rng, pk->sc[cv->sc].detail);
	} else if (question) {
		tmpl = demo_variant(&cv->rng, demo_rng_chance(&cv->rng, 50) ? pk->phrase[DP_R_YES]
									     : pk->phrase[DP_R_OK]);
	} else {
		/* A statement with nothing to answer: sometimes just read it. */
		if (demo_rng_chance(&cv->rng, 30))
			goto silent;
		tmpl = demo_variant(&cv->rng, demo_rng_chance(&cv->rng, 50) ? pk->phrase[DP_R_THANKS]
									     : pk->phrase[DP_R_OK]);
	}

	demo_expand(&out, tmpl, &v);
	if (bye && !cv->said_bye) {
		/* The agent also closed ("…, anything else?"): answer both. */
		sb_addc(&out, ' ');
		demo_expand(&out, demo_variant(&cv->rng, pk->phrase[DP_R_BYE]), &v);
		cv->said_bye = true;
	}
	free(lower);
	if (delay_ms) {
		/* Reading, thinking and typing: longer answers take longer. */
		int64_t d = 2000 + (int64_t)out.len * 40 + demo_rng_range(&cv->rng, 0, 3000);
		*delay_ms = (int)(d > 12000 ? 12000 : d);
	}
	return sb_take(&out);
silent:
	free(lower);
	sb_free(&out);
	return NULL;
}

/* ---------------------------------------------------------------- closing */

struct demo_found {
	const char *codes[4];
	int ncodes;
	const char *rmas[4];
	int nrmas;
	const char *trackings[4], *carriers[4];
	int ntrackings;
};

static bool demo_seen(const char *const *list, int n, const char *s)
{
	for (int i = 0; i < n; i++)
		if (strcmp(list[i], s) == 0)
			return true;
	return false;
}

static const char *demo_json_str(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	return json_is_string(v) && json_string_length(v) > 0 ? json_string_value(v) : NULL;
}

/* Walks an outcome of any shape, collecting coupon codes, RMAs and tracking
 * numbers from applied actions (see the header for the shapes). */
static void demo_walk_outcome(json_t *j, struct demo_found *f, int depth)
{
	if (depth > 16)
		return;
	if (json_is_array(j)) {
		size_t i;
		json_t *e;
		json_array_foreach(j, i, e)
			demo_walk_outcome(e, f, depth + 1);
		return;
	}
	if (!json_is_object(j))
		return;
	{
		const char *status = demo_json_str(j, "status");
		const char *code = demo_json_str(j, "code");
		const char *rma = demo_json_str(j, "rma");
		const char *tracking = demo_json_str(j, "tracking");
		const char *key;
		json_t *val;

		if (status && (strcmp(status, "denied") == 0 || strcmp(status, "failed") == 0 ||
			       strcmp(status, "pending_approval") == 0 || strcmp(status, "rejected") == 0))
			return;
		if (code && (json_object_get(j, "percent") || json_object_get(j, "amount_minor") ||
			     json_object_get(j, "expires_at")) &&
		    f->ncodes < 4 && !demo_seen(f->codes, f->ncodes, code))
			f->codes[f->ncodes++] = code;
		if (rma && f->nrmas < 4 && !demo_seen(f->rmas, f->nrmas, rma))
			f->rmas[f->nrmas++] = rma;
		if (tracking && f->ntrackings < 4 && !demo_seen(f->trackings, f->ntrackings, tracking)) {
			f->carriers[f->ntrackings] = demo_json_str(j, "carrier");
			f->trackings[f->ntrackings++] = tracking;
		}
		json_object_foreach(j, key, val)
			if (json_is_object(val) || json_is_array(val))
				demo_walk_outcome(val, f, depth + 1);
	}
}

char *demo_bot_closing(struct demo_world *w, const char *external_id, const char *disposition,
		       json_t *outcome, int *csat)
{
	struct demo_conv *cv = demo_find_conv(w, external_id);
	struct demo_rng fallback = { w->seed ^ 0x5DEECE66Du };
	struct demo_rng *r = cv ? &cv->rng : &fallback;
	enum demo_lang lang = cv ? w->cust[cv->customer].lang : DEMO_LANG_EN;
	const struct demo_lang_pack *pk = &demo_langs[lang];
	struct demo_found f;
	struct strbuf details = STRBUF_INIT;
	struct demo_vars v;
	enum demo_phrase which;
	char *text;
	int score;
	bool hard = cv && (cv->sc == DEMO_SC_COMPLAINT || cv->sc == DEMO_SC_FRAUD);

	memset(&f, 0, sizeof f);
	if (outcome)
		demo_walk_outcome(outcome, &f, 0);
	if (cv)
		demo_conv_vars(w, cv, &v);
	else {
		memset(&v, 0, sizeof v);
		v.first = "there";
	}
	for (int i = 0; i < f.ncodes; i++) {
		v.code = f.codes[i];
		demo_expand(&details, pk->phrase[DP_C_COUPON][0], &v);
	}
	for (int i = 0; i < f.nrmas; i++) {
		v.rma = f.rmas[i];
		demo_expand(&details, pk->phrase[DP_C_RMA][0], &v);
	}
	for (int i = 0; i < f.ntrackings; i++) {
		v.tracking = f.trackings[i];
		v.carrier = f.carriers[i] ? f.carriers[i] : "-";
		demo_expand(&details, pk->phrase[DP_C_LABEL][0], &v);
	}
	v.details = sb_str(&details);

	if (disposition && strcmp(disposition, "resolved") == 0) {
		which = DP_C_RESOLVED;
		score = hard ? 3 + (int)demo_rng_below(r, 3) : demo_rng_chance(r, 70) ? 5 : 4;
	} else if (disposition && strcmp(disposition, "follow_up") == 0) {
		which = DP_C_FOLLOWUP;
		score = 3 + (int)demo_rng_below(r, 2);
	} else {
		which = DP_C_UNRESOLVED;
		score = hard ? 1 + (int)demo_rng_below(r, 2) : 1 + (int)demo_rng_below(r, 3);
	}
	text = demo_expand_new(pk->phrase[which][0], &v);
	sb_free(&details);
	if (cv)
		cv->said_bye = true;	/* the conversation is over for the customer too */
	if (csat)
		*csat = score;
	return text;
}
