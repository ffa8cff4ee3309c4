/*
 * hub-demo.h: the demo world of `batond --demo`: customers, a retail bot
 * that escalates, customers who answer the agent, the bot that closes.
 *
 * Pure and deterministic: the same seed gives the same customers and the
 * same sequence of escalations and replies (a splitmix64 PRNG of its own;
 * never used for secrets: coupon codes and tokens come from rand_bytes in
 * the hub). No I/O. Times: customers' order, contact and return dates are
 * relative to the world's creation (demo_world_new reads the wall clock once;
 * demo_world_new_at takes it), escalations to the now_ms the caller passes.
 *
 * Languages: en, tr, pl, nl, de. A customer has one; everything the customer
 * or the bot says to them is in it (agents' notes and the bot's summary for
 * the agent are in English: the support team's working language).
 *
 * All strings returned are valid UTF-8 and come from the demo's own tables,
 * but callers treat them as they treat any customer text (sanitize before a
 * terminal or a log): the point of the demo is to exercise the real paths.
 */
#ifndef BATON_HUB_DEMO_H
#define BATON_HUB_DEMO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

struct demo_world;

/* The cases the demo bot escalates (demo_escalation_new picks one by weight). */
enum demo_scenario {
	DEMO_SC_DISCOUNT,	/* wants more discount than the bot may give  → discount_request */
	DEMO_SC_RETURN_LATE,	/* return outside the 30-day window           → return_dispute */
	DEMO_SC_RETURN_DAMAGED,	/* item arrived damaged, wants refund         → return_dispute */
	DEMO_SC_FRAUD,		/* charge not recognised (urgent)             → fraud_claim */
	DEMO_SC_LATE_ORDER,	/* order late, tracking stalled               → order_problem */
	DEMO_SC_SIZE_OOS,	/* exchange size out of stock                 → order_problem */
	DEMO_SC_COMPLAINT,	/* unhappy with service                       → complaint */
	DEMO_SC_HUMAN,		/* asks for a human                           → customer_request */
	DEMO_SC_LOW_CONF,	/* the bot did not understand                 → low_confidence */
	DEMO_SC__COUNT
};
const char *demo_scenario_name(enum demo_scenario sc);	/* "discount", "return_late", … */

/*
 * A world of ncustomers (at least 50; fewer is raised to 50) for seed.
 * Order and contact dates are relative to the current wall clock
 * (time_now_ms); demo_world_new_at fixes "now" instead (tests, replays).
 * Never NULL.
 */
struct demo_world *demo_world_new(uint64_t seed, int ncustomers);
struct demo_world *demo_world_new_at(uint64_t seed, int ncustomers, int64_t now_ms);
void    demo_world_free(struct demo_world *w);

/*
 * Escalations are numbered from 1: external_id "bot-<n>". A hub that
 * restarts with the same seed and keeps its store should continue after the
 * highest number it already has, or POST /v1/escalations would return the
 * old conversations (the endpoint is idempotent on external_id); the earlier
 * ones are then rebuilt on demand (see demo_escalation_scenario). Never goes
 * back.
 */
void    demo_world_set_next_serial(struct demo_world *w, uint64_t next);

size_t  demo_customer_count(const struct demo_world *w);
/* The id of customer i ("cu-1001"…), or NULL if i is out of range. */
const char *demo_customer_id(const struct demo_world *w, size_t i);
/*
 * Customer i as a protocol Customer object (PROTOCOL.md; decodes with
 * proto_type_customer): id, name, email, tier, since, lifetime_value_minor,
 * currency, orders[] (id, placed_at, delivered_at or null, status,
 * total_minor, currency, carrier and tracking or null, items[]), contacts[],
 * discounts[], returns[]. New reference; NULL if i is out of range.
 */
json_t *demo_customer_json(const struct demo_world *w, size_t i);
/* The customer's language ("en", "tr", "pl", "nl", "de"), NULL if unknown. */
const char *demo_customer_language(const struct demo_world *w, const char *customer_id);

/*
 * The next escalation, as the body of the bot's POST /v1/escalations. New
 * reference. Fields present, always:
 *   external_id  "bot-<n>"
 *   channel      web|whatsapp|messenger|sms|email
 *   language     the customer's
 *   priority     urgent|high|normal|low (fits the scenario)
 *   escalation   {reason{code,text}, confidence, sentiment, skills[],
 *                 summary (2–4 sentences, English), attempted[{step, outcome,
 *                 detail, at}]}; skills are one or two of billing, returns,
 *                 shipping, fraud, complaints, general (give the demo agents
 *                 these)
 *   customer     the full Customer, as demo_customer_json
 *   transcript   [{from: "customer"|"bot", kind: "public", text, at}, …]
 *                (no id, no conv: the hub assigns them), oldest first, all
 *                before now_ms, in the customer's language
 * Not present: callback_url (the hub's demo bot is in-process), id, state.
 */
json_t *demo_escalation_new(struct demo_world *w, int64_t now_ms);
/*
 * The scenario of escalation external_id; -1 if it is not the demo's. An
 * escalation is a function of (seed, serial): a world asks about "bot-<n>"
 * with n below its next serial that it did not make itself (a hub restarted
 * with the same seed, demo_world_set_next_serial) rebuilds it, so these and
 * demo_customer_reply / demo_bot_closing work for it too. Hence not const.
 */
int     demo_escalation_scenario(struct demo_world *w, const char *external_id);
/* Its language; NULL if it is not the demo's. */
const char *demo_conversation_language(struct demo_world *w, const char *external_id);

/*
 * What the customer of conversation external_id answers to the agent's
 * message agent_text, in the conversation's language and coherent with its
 * scenario: gives an order number when asked, thanks for a coupon code,
 * asks when the refund arrives after a return, says goodbye after a
 * resolution… *delay_ms gets 2000–12000 (typing time). Returns a malloc'd
 * string, or NULL when the customer stays silent (sometimes, by design; also
 * for an external_id that is not the demo's, and after the customer said
 * goodbye).
 */
char   *demo_customer_reply(struct demo_world *w, const char *external_id,
                            const char *agent_text, int *delay_ms);

/*
 * The bot's message to the customer after the agent handed back: confirms
 * the outcome in the customer's language and says goodbye. disposition is
 * "resolved", "unresolved" or "follow_up" (anything else: as unresolved).
 * outcome (may be NULL; borrowed) is the structured result of the handoff in
 * any of these shapes, searched at any depth:
 *   - the conversation's actions array, or one Action: applied actions'
 *     result objects are used; actions whose status is denied, failed or
 *     pending_approval are skipped;
 *   - {"discounts":[{code,percent|amount_minor,currency}],
 *      "returns":[{rma,refund_minor,currency}],
 *      "labels":[{tracking,carrier,label}]}.
 * An object with "code" and "percent"/"amount_minor"/"expires_at" is a coupon,
 * one with "rma" a return (and "tracking" a label). The message quotes the
 * coupon code, RMA and tracking number found. *csat (if non-NULL) gets 1–5,
 * plausible for the disposition and scenario. Returns a malloc'd string
 * (never NULL; an unknown external_id gets an English closing). The
 * conversation is over for the customer too: later replies are NULL.
 */
char   *demo_bot_closing(struct demo_world *w, const char *external_id,
                         const char *disposition, json_t *outcome, int *csat);

/*
 * The postal address of a customer, for the "from" block of a return label:
 * returns the name and fills lines[] with up to 3 lines and a NULL. Strings
 * are owned by the world. NULL (and lines[0] = NULL) if customer_id is not
 * one of this world's.
 */
const char *demo_customer_address(const struct demo_world *w, const char *customer_id,
                                  const char *lines[4]);
/* The demo shop's returns warehouse, for the "to" block; same convention. */
const char *demo_returns_address(const char *lines[4]);

/* ---- the language packs (demo-text.c), used by demo-data.c ----
 *
 * All words of the demo world live in one table, a pack per language, so a
 * sixth language is one more initializer. Templates use {placeholders}:
 * {first} {name} {order} {item} {size} {percent} {amount} {days} {carrier}
 * {tracking} {code} {rma} {email} {shop} {details}; an unknown one is left
 * as it is. Lists are NULL-terminated; "variants" are alternatives of which
 * one is picked.
 */
enum demo_lang { DEMO_LANG_EN, DEMO_LANG_TR, DEMO_LANG_PL, DEMO_LANG_NL, DEMO_LANG_DE,
		 DEMO_LANG__COUNT };

enum demo_phrase {
	DP_BOT_GREETING,	/* bot: hello, how can I help */
	DP_BOT_HANDOFF,		/* bot: a colleague takes over */
	DP_ASK_HUMAN,		/* customer: a person, please */
	DP_R_ORDER,		/* customer: gives {order} */
	DP_R_EMAIL,		/* customer: gives {email} */
	DP_R_CODE_THANKS,	/* customer: thanks for {code} */
	DP_R_REFUND_WHEN,	/* customer: when does the refund arrive */
	DP_R_LABEL_THANKS,	/* customer: got the label, will send the parcel */
	DP_R_WAIT,		/* customer: OK, I'll wait */
	DP_R_YES,		/* customer: yes */
	DP_R_OK,		/* customer: that works for me */
	DP_R_THANKS,		/* customer: thanks */
	DP_R_BYE,		/* customer: that's all, goodbye */
	DP_R_UNHAPPY,		/* customer: not good enough */
	DP_C_RESOLVED,		/* bot closing, resolved; {details} before the goodbye */
	DP_C_UNRESOLVED,
	DP_C_FOLLOWUP,
	DP_C_COUPON,		/* a {details} sentence: {code} */
	DP_C_RMA,		/* {rma} */
	DP_C_LABEL,		/* {carrier} {tracking} */
	DP__COUNT
};

/* Keyword lists for reading what an agent wrote (lower case, substrings). */
enum demo_keyword {
	DK_ORDER, DK_CODE, DK_RETURN, DK_REFUND, DK_WAIT, DK_BYE, DK_EMAIL, DK_SORRY,
	DK__COUNT
};

struct demo_scenario_text {
	const char *open[3];	/* the customer's first message (variants) */
	const char *bot_try[3];	/* what the bot tried */
	const char *push[3];	/* the customer's answer to that */
	const char *detail[3];	/* the customer explains it again to the agent */
};

struct demo_lang_pack {
	const char *code;		/* "tr" */
	const char *country;		/* as written on a letter, in the language */
	const char *alt_currency;	/* a local currency some customers pay in, or NULL */
	const char *decimal;		/* "." or "," in amounts */
	const char *const *first_names;
	const char *const *last_names;
	const char *const *streets;
	const char *const *cities;	/* postcode and city, as on an envelope */
	const char *const *carriers;
	const char *const *product_names;	/* the catalogue in demo-data.c's order */
	const char *const *colour_names;	/* black white navy olive grey red */
	const char *phrase[DP__COUNT][3];
	const struct demo_scenario_text sc[DEMO_SC__COUNT];
	const char *const *keywords[DK__COUNT];
};
extern const struct demo_lang_pack demo_langs[DEMO_LANG__COUNT];

#endif
