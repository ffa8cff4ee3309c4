/* test-hub-demo.c: the demo world decodes as protocol objects, speaks five
 * languages, covers every scenario, is deterministic, and its customers and
 * bot answer coherently. */
#include "baton/hub-demo.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "baton/common.h"
#include "baton/hub-label.h"
#include "baton/proto.h"
#include "test.h"

#define SEED   0xBA70Du
#define NOW_MS 1795320847123LL	/* 2026-11-22T04:14:07.123Z */
#define DAY    86400000LL

/* Decodes json as type t; prints the error on failure. */
static int decodes(const struct proto_type *t, json_t *json, const char *what)
{
	struct proto_arena *a = proto_arena_new();
	void *out = proto_arena_alloc(a, t->size);
	struct proto_err err;
	int rc;

	memset(&err, 0, sizeof err);
	rc = proto_decode(a, t, json, out, what, &err);
	if (rc != 0)
		printf("#   %s does not decode: %s\n", what, err.msg);
	proto_arena_free(a);
	return rc;
}

static void test_customers_decode(void)
{
	struct demo_world *w = demo_world_new_at(SEED, 10, NOW_MS);
	int in_window = 0, outside = 0, in_transit = 0;
	int statuses[4] = { 0 };
	static const char *const status_names[] = { "delivered", "shipped", "processing", "cancelled" };

	CHECK(demo_customer_count(w) >= 50);	/* 10 asked: raised to the minimum */
	for (size_t i = 0; i < demo_customer_count(w); i++) {
		json_t *c = demo_customer_json(w, i);
		json_t *orders = json_object_get(c, "orders");
		size_t k;
		json_t *o;

		CHECK(c != NULL);
		CHECK(decodes(&proto_type_customer, c, "customer") == 0);
		CHECK_STR(json_string_value(json_object_get(c, "id")), demo_customer_id(w, i));
		CHECK(json_array_size(orders) >= 1 && json_array_size(orders) <= 6);
		json_array_foreach(orders, k, o) {
			const char *st = json_string_value(json_object_get(o, "status"));
			const char *tr = json_string_value(json_object_get(o, "tracking"));
			json_t *items = json_object_get(o, "items");
			int64_t delivered = 0, sum = 0;
			size_t n;
			json_t *it;
			bool known = false;

			for (int s = 0; s < 4; s++)
				if (st && strcmp(st, status_names[s]) == 0) {
					statuses[s]++;
					known = true;
				}
			CHECK(known);
			if (tr)
				CHECK(label_tracking_valid(tr));
			CHECK(json_array_size(items) >= 1);
			json_array_foreach(items, n, it) {
				CHECK(json_string_length(json_object_get(it, "sku")) >= 5);
				/* A name from the pack, not the "?" of a missing translation. */
				CHECK(json_string_value(json_object_get(it, "name"))[0] != '?');
				sum += json_integer_value(json_object_get(it, "price_minor")) *
				       json_integer_value(json_object_get(it, "qty"));
			}
			CHECK_INT(json_integer_value(json_object_get(o, "total_minor")), sum);
			if (json_is_string(json_object_get(o, "delivered_at"))) {
				const char *d = json_string_value(json_object_get(o, "delivered_at"));
				CHECK(time_parse_rfc3339(d, strlen(d), &delivered) == 0);
				CHECK(delivered < NOW_MS);
				if (NOW_MS - delivered <= 30 * DAY)
					in_window++;
				else
					outside++;
			} else if (st && strcmp(st, "shipped") == 0) {
				in_transit++;
			}
		}
		json_decref(c);
	}
	CHECK(demo_customer_json(w, demo_customer_count(w)) == NULL);
	CHECK(in_window >= 10);
	CHECK(outside >= 10);
	CHECK(in_transit >= 5);
	for (int s = 0; s < 4; s++) {
		if (statuses[s] == 0)
			printf("#   no order with status %s\n", status_names[s]);
		CHECK(statuses[s] > 0);
	}
	demo_world_free(w);
}

static void test_languages(void)
{
	struct demo_world *w = demo_world_new_at(SEED, 50, NOW_MS);
	int seen[DEMO_LANG__COUNT] = { 0 };
	int non_ascii_names = 0;

	for (size_t i = 0; i < demo_customer_count(w); i++) {
		const char *lang = demo_customer_language(w, demo_customer_id(w, i));
		json_t *c = demo_customer_json(w, i);
		const char *name = json_string_value(json_object_get(c, "name"));
		const char *email = json_string_value(json_object_get(c, "email"));

		CHECK(lang != NULL);
		for (int l = 0; l < DEMO_LANG__COUNT; l++)
			if (lang && strcmp(lang, demo_langs[l].code) == 0)
				seen[l]++;
		for (const char *p = name; p && *p; p++)
			if ((unsigned char)*p >= 0x80) {
				non_ascii_names++;
				break;
			}
		/* E-mail addresses are plain ASCII even for "Şebnem Öztürk". */
		for (const char *p = email; p && *p; p++)
			CHECK((unsigned char)*p < 0x80 && *p != ' ');
		CHECK(email && strchr(email, '@'));
		json_decref(c);
	}
	for (int l = 0; l < DEMO_LANG__COUNT; l++) {
		if (seen[l] < 5)
			printf("#   language %s: %d customers\n", demo_langs[l].code, seen[l]);
		CHECK(seen[l] >= 5);
	}
	CHECK(non_ascii_names >= 15);
	CHECK(demo_customer_language(w, "cu-1") == NULL);
	CHECK(demo_customer_language(w, "nobody") == NULL);
	demo_world_free(w);
}

static bool is_one_of(const char *s, const char *const *list)
{
	for (size_t i = 0; list[i]; i++)
		if (s && strcmp(s, list[i]) == 0)
			return true;
	return false;
}

static void test_escalations(void)
{
	struct demo_world *w = demo_world_new_at(SEED, 60, NOW_MS);
	int scenarios[DEMO_SC__COUNT] = { 0 };
	static const char *const channels[] = { "web", "whatsapp", "messenger", "sms", "email", NULL };
	static const char *const priorities[] = { "urgent", "high", "normal", "low", NULL };

	for (int n = 0; n < 40; n++) {
		int64_t now = NOW_MS + n * 60000;
		json_t *e = demo_escalation_new(w, now);
		const char *ext = json_string_value(json_object_get(e, "external_id"));
		const char *lang = json_string_value(json_object_get(e, "language"));
		json_t *cust = json_object_get(e, "customer");
		json_t *esc = json_object_get(e, "escalation");
		json_t *tr = json_object_get(e, "transcript");
		const char *summary = json_string_value(json_object_get(esc, "summary"));
		int sc = demo_escalation_scenario(w, ext);
		char want[32];
		size_t k;
		json_t *m;
		int sentences = 0;

		snprintf(want, sizeof want, "bot-%d", n + 1);
		CHECK_STR(ext, want);
		CHECK(sc >= 0 && sc < DEMO_SC__COUNT);
		if (sc >= 0 && sc < DEMO_SC__COUNT)
			scenarios[sc]++;
		CHECK(is_one_of(json_string_value(json_object_get(e, "channel")), channels));
		CHECK(is_one_of(json_string_value(json_object_get(e, "priority")), priorities));
		if (sc == DEMO_SC_FRAUD)
			CHECK_STR(json_string_value(json_object_get(e, "priority")), "urgent");
		CHECK(decodes(&proto_type_customer, cust, "customer") == 0);
		CHECK(decodes(&proto_type_escalation, esc, "escalation") == 0);
		CHECK_STR(lang, demo_customer_language(w, json_string_value(json_object_get(cust, "id"))));
		CHECK_STR(lang, demo_conversation_language(w, ext));
		CHECK(json_array_size(json_object_get(esc, "skills")) >= 1);
		CHECK(json_array_size(json_object_get(esc, "attempted")) >= 1);
		/* The summary names the customer and one of their orders, in 2–4 sentences. */
		CHECK(summary && strstr(summary, json_string_value(json_object_get(cust, "name"))));
		CHECK(summary && strstr(summary, "o-"));
		for (const char *p = summary; p && *p; p++)
			if ((*p == '.' || *p == '?' || *p == '!') && (p[1] == ' ' || p[1] == '\0'))
				sentences++;
		CHECK(sentences >= 2 && sentences <= 4);
		/* Transcript: customer and bot, public, in order, before now. */
		CHECK(json_array_size(tr) >= 5);
		{
			int64_t prev = 0;
			json_array_foreach(tr, k, m) {
				const char *from = json_string_value(json_object_get(m, "from"));
				const char *at = json_string_value(json_object_get(m, "at"));
				int64_t t = 0;
				CHECK(from && (strcmp(from, "customer") == 0 || strcmp(from, "bot") == 0));
				CHECK_STR(json_string_value(json_object_get(m, "kind")), "public");
				CHECK(json_string_length(json_object_get(m, "text")) > 5);
				CHECK(!strchr(json_string_value(json_object_get(m, "text")), '{'));
				CHECK(at && time_parse_rfc3339(at, strlen(at), &t) == 0);
				CHECK(t > prev && t < now);
				prev = t;
				/* With an id and conv added, it is a protocol Message. */
				json_t *full = json_deep_copy(m);
				json_object_set_new(full, "id", json_string("m-1"));
				json_object_set_new(full, "conv", json_string("c-1"));
				CHECK(decodes(&proto_type_message, full, "transcript[]") == 0);
				json_decref(full);
			}
		}
		json_decref(e);
	}
	for (int s = 0; s < DEMO_SC__COUNT; s++) {
		if (!scenarios[s])
			printf("#   scenario %s never came up\n", demo_scenario_name((enum demo_scenario)s));
		CHECK(scenarios[s] > 0);
	}
	CHECK(demo_escalation_scenario(w, "bot-999") == -1);
	CHECK(demo_escalation_scenario(w, "c-1") == -1);
	demo_world_free(w);
}

/* Every scenario's first appearance is within the first 20 (one deck). */
static void test_scenarios_within_deck(void)
{
	for (uint64_t seed = 1; seed <= 20; seed++) {
		struct demo_world *w = demo_world_new_at(seed, 50, NOW_MS);
		int seen = 0;
		for (int n = 0; n < 20; n++) {
			json_t *e = demo_escalation_new(w, NOW_MS);
			int sc = demo_escalation_scenario(w, json_string_value(json_object_get(e, "external_id")));
			if (sc >= 0)
				seen |= 1 << sc;
			json_decref(e);
		}
		CHECK_INT(seen, (1 << DEMO_SC__COUNT) - 1);
		demo_world_free(w);
	}
}

static char *dump_world(uint64_t seed)
{
	struct demo_world *w = demo_world_new_at(seed, 50, NOW_MS);
	struct strbuf sb = STRBUF_INIT;

	for (size_t i = 0; i < demo_customer_count(w); i++) {
		json_t *c = demo_customer_json(w, i);
		char *s = json_dumps(c, JSON_SORT_KEYS | JSON_COMPACT);
		sb_adds(&sb, s);
		free(s);
		json_decref(c);
	}
	for (int n = 0; n < 15; n++) {
		json_t *e = demo_escalation_new(w, NOW_MS + n * 1000);
		const char *ext = json_string_value(json_object_get(e, "external_id"));
		char *s = json_dumps(e, JSON_SORT_KEYS | JSON_COMPACT);
		int delay = 0;
		char *r = demo_customer_reply(w, ext, "Hello, could you give me your order number?", &delay);
		sb_adds(&sb, s);
		sb_addf(&sb, "|%s|%d", r ? r : "(silent)", delay);
		free(r);
		free(s);
		json_decref(e);
	}
	demo_world_free(w);
	return sb_take(&sb);
}

static void test_deterministic(void)
{
	char *a = dump_world(42), *b = dump_world(42), *c = dump_world(43);

	CHECK(strlen(a) > 10000);
	CHECK(strcmp(a, b) == 0);
	CHECK(strcmp(a, c) != 0);
	free(a);
	free(b);
	free(c);
}

/*
 * True if s is tmpl with each {placeholder} standing for any text (the
 * glob a template makes); how we tell the reply is the language's phrase.
 */
static bool matches(const char *s, const char *tmpl)
{
	if (!*tmpl)
		return !*s;
	if (*tmpl == '{') {
		const char *close = strchr(tmpl, '}');
		if (!close)
			return false;
		for (const char *p = s;; p++) {
			if (matches(p, close + 1))
				return true;
			if (!*p)
				return false;
		}
	}
	return *s == *tmpl && matches(s + 1, tmpl + 1);
}

static bool matches_phrase(const char *s, enum demo_lang l, enum demo_phrase p)
{
	for (int v = 0; v < 3 && demo_langs[l].phrase[p][v]; v++)
		if (s && matches(s, demo_langs[l].phrase[p][v]))
			return true;
	return false;
}

static enum demo_lang lang_of(const char *code)
{
	for (int l = 0; l < DEMO_LANG__COUNT; l++)
		if (strcmp(code, demo_langs[l].code) == 0)
			return (enum demo_lang)l;
	return DEMO_LANG_EN;
}

/* A conversation through its stages, in every language. */
static void test_replies(void)
{
	struct demo_world *w = demo_world_new_at(SEED, 50, NOW_MS);
	int langs_done = 0, silent = 0;

	for (int n = 0; n < 60; n++) {
		json_t *e = demo_escalation_new(w, NOW_MS);
		const char *ext = json_string_value(json_object_get(e, "external_id"));
		enum demo_lang l = lang_of(demo_conversation_language(w, ext));
		json_t *orders = json_object_get(json_object_get(e, "customer"), "orders");
		int delay = -1;
		char *r;
		bool has_order = false;

		/* 1. Greeting: the customer explains again (the scenario's detail). */
		r = demo_customer_reply(w, ext, "Hi, I'm Ana from the support team. I'm reading your case now.", &delay);
		if (r) {
			bool detail = false;
			int sc = demo_escalation_scenario(w, ext);
			for (int v = 0; v < 3 && demo_langs[l].sc[sc].detail[v]; v++)
				detail |= matches(r, demo_langs[l].sc[sc].detail[v]);
			if (!detail)
				printf("#   %s: greeting answered with \"%s\"\n", ext, r);
			CHECK(detail);
			CHECK(delay >= 2000 && delay <= 12000);
		}
		free(r);

		/* 2. Asked for the order number: gives one of theirs. */
		r = demo_customer_reply(w, ext, "Could you tell me the order number, please?", &delay);
		CHECK(r != NULL);
		CHECK(matches_phrase(r, l, DP_R_ORDER));
		for (size_t k = 0; r && k < json_array_size(orders); k++)
			has_order |= strstr(r, json_string_value(json_object_get(json_array_get(orders, k), "id"))) != NULL;
		CHECK(has_order);
		CHECK(delay >= 2000 && delay <= 12000);
		free(r);

		/* 3. A coupon: thanks, quoting the code. */
		r = demo_customer_reply(w, ext, "I've applied a discount for you, your code is BTN-7QX2-KD9F.", &delay);
		CHECK(r && strstr(r, "BTN-7QX2-KD9F"));
		CHECK(matches_phrase(r, l, DP_R_CODE_THANKS));
		free(r);

		/* 4. A return: asks when the refund comes. */
		r = demo_customer_reply(w, ext, "I created return rma-5f3a9c21 for you.", &delay);
		CHECK(matches_phrase(r, l, DP_R_REFUND_WHEN));
		free(r);

		/* 5. Statements: sometimes silent. */
		r = demo_customer_reply(w, ext, "The refund usually takes 5 business days.", &delay);
		CHECK(r == NULL || matches_phrase(r, l, DP_R_THANKS));
		free(r);
		r = demo_customer_reply(w, ext, "Our warehouse checks every parcel on arrival.", &delay);
		if (!r)
			silent++;
		free(r);

		/* 6. Closing: goodbye, then nothing more. */
		r = demo_customer_reply(w, ext, "Is there anything else I can help you with?", &delay);
		CHECK(matches_phrase(r, l, DP_R_BYE));
		free(r);
		r = demo_customer_reply(w, ext, "Have a nice day!", &delay);
		CHECK(r == NULL);
		free(r);
		langs_done |= 1 << l;
		json_decref(e);
	}
	CHECK_INT(langs_done, (1 << DEMO_LANG__COUNT) - 1);
	CHECK(silent > 0);
	CHECK(demo_customer_reply(w, "bot-9999", "hello", NULL) == NULL);
	CHECK(demo_customer_reply(w, "unknown", "hello", NULL) == NULL);
	demo_world_free(w);
}

/* Replies in the customer's language when the agent writes it too. */
static void test_replies_native_keywords(void)
{
	static const struct { const char *lang, *ask; } asks[] = {
		{ "tr", "Sipariş numaranızı alabilir miyim?" },
		{ "pl", "Czy mogę prosić o numer zamówienia?" },
		{ "nl", "Wat is je bestelnummer?" },
		{ "de", "Wie lautet Ihre Bestellnummer?" },
	};
	struct demo_world *w = demo_world_new_at(SEED, 50, NOW_MS);
	int done = 0;

	for (int n = 0; n < 40; n++) {
		json_t *e = demo_escalation_new(w, NOW_MS);
		const char *ext = json_string_value(json_object_get(e, "external_id"));
		const char *lang = demo_conversation_language(w, ext);
		for (size_t k = 0; k < BATON_ARRAY_LEN(asks); k++) {
			if (strcmp(lang, asks[k].lang) != 0)
				continue;
			char *r = demo_customer_reply(w, ext, asks[k].ask, NULL);
			if (!matches_phrase(r, lang_of(lang), DP_R_ORDER))
				printf("#   %s: \"%s\" answered with \"%s\"\n", lang, asks[k].ask, r ? r : "(silent)");
			CHECK(matches_phrase(r, lang_of(lang), DP_R_ORDER));
			free(r);
			done |= 1 << k;
		}
		json_decref(e);
	}
	CHECK_INT(done, 15);
	demo_world_free(w);
}

static void test_closing(void)
{
	struct demo_world *w = demo_world_new_at(SEED, 50, NOW_MS);
	json_error_t jerr;
	/* The shape the hub has at handback: the conversation's actions. */
	json_t *actions = json_loads(
		"[{\"id\":\"act-1\",\"kind\":\"discount\",\"status\":\"applied\","
		"  \"result\":{\"code\":\"BTN-7QX2-KD9F\",\"percent\":10,\"currency\":\"EUR\"}},"
		" {\"id\":\"act-2\",\"kind\":\"discount\",\"status\":\"denied\","
		"  \"result\":{\"code\":\"BTN-DENY-0000\",\"percent\":40}},"
		" {\"id\":\"act-3\",\"kind\":\"return\",\"status\":\"applied\","
		"  \"result\":{\"rma\":\"rma-5f3a9c21\",\"refund_minor\":8999,\"status\":\"authorized\"}},"
		" {\"id\":\"act-4\",\"kind\":\"label\",\"status\":\"applied\",\"params\":{\"rma\":\"rma-5f3a9c21\"},"
		"  \"result\":{\"label\":\"lbl-1\",\"carrier\":\"DHL\",\"tracking\":\"JD000004006381333931\"}},"
		" {\"id\":\"act-5\",\"kind\":\"return\",\"status\":\"failed\",\"error\":{\"code\":\"ineligible\",\"message\":\"x\"}}]",
		0, &jerr);
	json_t *shaped = json_loads("{\"discounts\":[{\"code\":\"WELCOME-15\",\"percent\":15}],"
				    "\"returns\":[],\"labels\":[{\"tracking\":\"1Z999AA10123456784\",\"carrier\":\"UPS\"}]}",
				    0, &jerr);
	int csat_sum[3] = { 0 }, count = 0;

	CHECK(actions && shaped);
	for (int n = 0; n < 30; n++) {
		json_t *e = demo_escalation_new(w, NOW_MS);
		const char *ext = json_string_value(json_object_get(e, "external_id"));
		enum demo_lang l = lang_of(demo_conversation_language(w, ext));
		static const char *const disp[3] = { "resolved", "follow_up", "unresolved" };
		static const enum demo_phrase phrase[3] = { DP_C_RESOLVED, DP_C_FOLLOWUP, DP_C_UNRESOLVED };
		int d = n % 3, csat = 0;
		char *text = demo_bot_closing(w, ext, disp[d], d == 0 ? actions : d == 1 ? shaped : NULL, &csat);

		CHECK(text != NULL);
		CHECK(matches_phrase(text, l, phrase[d]));
		CHECK(csat >= 1 && csat <= 5);
		csat_sum[d] += csat;
		if (d == 0) {
			CHECK(strstr(text, "BTN-7QX2-KD9F") != NULL);
			CHECK(strstr(text, "BTN-DENY-0000") == NULL);	/* denied: not quoted */
			CHECK(strstr(text, "rma-5f3a9c21") != NULL);
			CHECK(strstr(text, "JD000004006381333931") != NULL);
			CHECK(strstr(text, "ineligible") == NULL);
		}
		if (d == 1) {
			CHECK(strstr(text, "WELCOME-15") != NULL);
			CHECK(strstr(text, "1Z999AA10123456784") != NULL);
		}
		/* The conversation is over: the customer says no more. */
		char *r = demo_customer_reply(w, ext, "Hello?", NULL);
		CHECK(r == NULL);
		free(r);
		free(text);
		json_decref(e);
		count++;
	}
	/* Resolved cases score better than unresolved ones. */
	CHECK(csat_sum[0] > csat_sum[2]);
	{
		int csat = 0;
		char *text = demo_bot_closing(w, "bot-12345", "resolved", NULL, &csat);
		CHECK(matches_phrase(text, DEMO_LANG_EN, DP_C_RESOLVED));
		CHECK(csat >= 1 && csat <= 5);
		free(text);
	}
	json_decref(actions);
	json_decref(shaped);
	demo_world_free(w);
}

static void test_addresses(void)
{
	struct demo_world *w = demo_world_new_at(SEED, 50, NOW_MS);
	const char *lines[4] = { "x", "x", "x", "x" };
	const char *name;

	for (size_t i = 0; i < demo_customer_count(w); i++) {
		json_t *c = demo_customer_json(w, i);
		name = demo_customer_address(w, demo_customer_id(w, i), lines);
		CHECK_STR(name, json_string_value(json_object_get(c, "name")));
		CHECK(lines[0] && lines[1] && lines[2] && lines[3] == NULL);
		json_decref(c);
	}
	name = demo_customer_address(w, "cu-999999", lines);
	CHECK(name == NULL && lines[0] == NULL);
	name = demo_returns_address(lines);
	CHECK(name && lines[0] && lines[3] == NULL);

	/* A label for a demo customer renders (the hub's path in --demo). */
	{
		struct label_info li = { .tracking = "1Z999AA10123456784", .carrier = "UPS" };
		size_t len = 0;
		char *pdf;
		li.from_name = demo_customer_address(w, demo_customer_id(w, 1), li.from_lines);
		li.to_name = demo_returns_address(li.to_lines);
		pdf = label_pdf(&li, &len);
		CHECK(len > 1000 && memcmp(pdf, "%PDF-1.4", 8) == 0);
		free(pdf);
	}
	demo_world_free(w);
}

static void test_serials(void)
{
	struct demo_world *w = demo_world_new_at(SEED, 50, NOW_MS);
	json_t *e;

	demo_world_set_next_serial(w, 1000);
	e = demo_escalation_new(w, NOW_MS);
	CHECK_STR(json_string_value(json_object_get(e, "external_id")), "bot-1000");
	json_decref(e);
	demo_world_set_next_serial(w, 5);	/* never goes back */
	e = demo_escalation_new(w, NOW_MS);
	CHECK_STR(json_string_value(json_object_get(e, "external_id")), "bot-1001");
	json_decref(e);
	CHECK(demo_escalation_scenario(w, "bot-1000") >= 0);
	CHECK(demo_escalation_scenario(w, "bot-1001") >= 0);
	CHECK(demo_escalation_scenario(w, "bot-1002") == -1);	/* not made yet */
	CHECK(demo_escalation_scenario(w, "bot-01000") == -1);
	CHECK(demo_escalation_scenario(w, "bot-0") == -1);
	CHECK(demo_escalation_scenario(w, "bot-") == -1);
	CHECK(demo_escalation_scenario(w, "bot-12x") == -1);
	CHECK(demo_customer_reply(w, "bot-5000", "Hello?", NULL) == NULL);
	demo_world_free(w);
}

/*
 * A hub restarted with the same seed: its new world continues the serials
 * and still knows the conversations the first world made, in the same
 * language, case and order, even in another order of asking.
 */
static void test_restart_rebuilds(void)
{
	struct demo_world *a = demo_world_new_at(SEED, 50, NOW_MS);
	struct demo_world *b = demo_world_new_at(SEED, 50, NOW_MS);
	int sc[31];
	char *orders[31];

	for (int n = 1; n <= 30; n++) {
		json_t *e = demo_escalation_new(a, NOW_MS);
		char ext[32];
		snprintf(ext, sizeof ext, "bot-%d", n);
		sc[n] = demo_escalation_scenario(a, ext);
		orders[n] = demo_customer_reply(a, ext, "What is the order number?", NULL);
		json_decref(e);
	}
	demo_world_set_next_serial(b, 31);
	for (int n = 30; n >= 1; n -= 3) {	/* backwards, sparse: inserts in the middle */
		char ext[32], *r;
		snprintf(ext, sizeof ext, "bot-%d", n);
		CHECK_INT(demo_escalation_scenario(b, ext), sc[n]);
		CHECK_STR(demo_conversation_language(b, ext), demo_conversation_language(a, ext));
		r = demo_customer_reply(b, ext, "What is the order number?", NULL);
		CHECK(r != NULL && orders[n] != NULL);
		if (r && orders[n])
			CHECK_STR(r, orders[n]);
		free(r);
	}
	for (int n = 1; n <= 30; n++) {
		char ext[32];
		snprintf(ext, sizeof ext, "bot-%d", n);
		CHECK_INT(demo_escalation_scenario(b, ext), sc[n]);
		free(orders[n]);
	}
	/* The next escalation is the same in both worlds. */
	{
		json_t *ea = demo_escalation_new(a, NOW_MS), *eb = demo_escalation_new(b, NOW_MS);
		CHECK(json_equal(ea, eb));
		json_decref(ea);
		json_decref(eb);
	}
	demo_world_free(a);
	demo_world_free(b);
}

/* Every pack fills every slot: a missing translation is a bug. */
static void test_packs_complete(void)
{
	for (int l = 0; l < DEMO_LANG__COUNT; l++) {
		const struct demo_lang_pack *pk = &demo_langs[l];
		CHECK(pk->code && pk->country && pk->decimal);
		CHECK(pk->first_names[0] && pk->last_names[0] && pk->streets[0] && pk->cities[0]);
		CHECK(pk->carriers[0]);
		/* The catalogue: one name per product and colour, in every language. */
		{
			size_t n = 0, en = 0, nc = 0;
			while (pk->product_names[n])
				n++;
			while (demo_langs[DEMO_LANG_EN].product_names[en])
				en++;
			while (pk->colour_names[nc])
				nc++;
			CHECK_INT(n, en);
			CHECK(en >= 20);
			CHECK_INT(nc, 6);
		}
		for (int p = 0; p < DP__COUNT; p++) {
			if (!pk->phrase[p][0])
				printf("#   %s: phrase %d missing\n", pk->code, p);
			CHECK(pk->phrase[p][0] != NULL);
		}
		for (int s = 0; s < DEMO_SC__COUNT; s++)
			CHECK(pk->sc[s].open[0] && pk->sc[s].bot_try[0] && pk->sc[s].push[0] &&
			      pk->sc[s].detail[0]);
		for (int k = 0; k < DK__COUNT; k++)
			CHECK(pk->keywords[k] && pk->keywords[k][0]);
	}
}

static const struct test tests[] = {
	TEST(test_customers_decode),
	TEST(test_languages),
	TEST(test_escalations),
	TEST(test_scenarios_within_deck),
	TEST(test_deterministic),
	TEST(test_replies),
	TEST(test_replies_native_keywords),
	TEST(test_closing),
	TEST(test_addresses),
	TEST(test_serials),
	TEST(test_restart_rebuilds),
	TEST(test_packs_complete),
};
TEST_MAIN(tests)
