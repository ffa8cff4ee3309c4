/*
 * proto.h: the baton.v1 wire protocol (man/baton-protocol.7) as C structs.
 *
 * How it is put together. Every object of the protocol is defined exactly
 * once below, as a field list (PROTO_FIELDS_<type>). From that one list come:
 *   - the C struct (struct proto_<type>), one member per field;
 *   - field indices (PF_<type>_<field>) for the presence masks;
 *   - the descriptor table (proto_type_<type>) that drives the generic
 *     decoder, validator, encoder and deep copy in src/proto/proto.c.
 * Adding a field to the protocol is one line here.
 *
 * Field kinds and the two numbers (a, b) each field carries:
 *   STR   const char *    a = max length in characters, b = charset
 *   INT   int64_t         a..b = allowed range (a > b: any integer)
 *   NUM   double          a..b = allowed range (a > b: any number)
 *   BOOL  bool
 *   TIME  int64_t         RFC 3339 on the wire, UTC milliseconds here
 *   ENUM  int             a = enum name (enum proto_<a>, strings proto_enum_<a>)
 *   OBJ   struct proto_<a> *
 *   ARR   struct proto_<a>_arr  { struct proto_<a> *v; size_t n; }
 *   STRS  struct proto_strs     { const char **v; size_t n; }, a = max length of
 *                                 each, b = their charset
 *
 * Presence. Every struct starts with `struct proto_mask m`: bit PF_x_y of
 * m.has says field y was present in the JSON, of m.nul that it was null.
 * The encoder writes a field when it is required, when its has-bit is set,
 * or when it holds a value (non-NULL string or object, non-zero number,
 * true, non-empty array); a field whose nul-bit is set is written as null.
 * So code that builds objects to send only needs PROTO_SET() for an
 * optional field whose value is zero, false or an enum's first value.
 * Optional fields accept null (kept, and re-encoded as null); required
 * fields do not. PF_NULL marks where null carries meaning.
 *
 * Memory. A decoded frame owns one arena (struct proto_arena); every struct,
 * array and string inside lives in it and goes with proto_frame_free(). To
 * keep an object longer, proto_clone() it into an arena of your own. Objects
 * built for encoding may point anywhere: the encoder only reads.
 *
 * Validation happens once, here, at the edge: types, required fields, enum
 * values, lengths, cmd_id charset, integer money, RFC 3339 times, duplicate
 * keys (JSON_REJECT_DUPLICATES), and per-op / per-event-kind required fields.
 * Unknown fields are ignored. A rejection names the path and the problem:
 *   "body.conversation.customer.orders[2].total_minor: expected an integer"
 */
#ifndef BATON_PROTO_H
#define BATON_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#define PROTO_VERSION         1
#define PROTO_SUBPROTOCOL     "baton.v1"
#define PROTO_MAX_FRAME_BYTES 65536
#define PROTO_CMD_ID_MAX      128
#define PROTO_TEXT_MAX        4000	/* characters in message.send / note.add */

/* Charsets for STR fields (the b number). */
enum proto_charset {
	PCS_ANY = 0,		/* any valid UTF-8 */
	PCS_ID,			/* [A-Za-z0-9._:-] (cmd_id, object ids) */
	PCS_CURRENCY,		/* ISO 4217: three upper-case letters */
	PCS_TOKEN,		/* printable ASCII, no spaces */
	PCS_TARGET,		/* an agent id, or "@" and a skill */
};

/* ---- enums: each list gives C names and wire strings in one place ---- */

#define PROTO_ENUM_frame_type(E) \
	E(FRAME, HELLO, "hello") E(FRAME, WELCOME, "welcome") E(FRAME, SNAPSHOT, "snapshot") \
	E(FRAME, CMD, "cmd") E(FRAME, RESULT, "result") E(FRAME, EVENT, "event") \
	E(FRAME, TYPING, "typing") E(FRAME, STATS, "stats") E(FRAME, ERROR, "error")
#define PROTO_ENUM_conv_state(E) \
	E(STATE, QUEUED, "queued") E(STATE, ASSIGNED, "assigned") \
	E(STATE, HANDED_BACK, "handed_back") E(STATE, CLOSED, "closed")
#define PROTO_ENUM_priority(E) \
	E(PRIO, URGENT, "urgent") E(PRIO, HIGH, "high") E(PRIO, NORMAL, "normal") E(PRIO, LOW, "low")
#define PROTO_ENUM_reason_code(E) \
	E(REASON, DISCOUNT_REQUEST, "discount_request") E(REASON, RETURN_DISPUTE, "return_dispute") \
	E(REASON, FRAUD_CLAIM, "fraud_claim") E(REASON, ORDER_PROBLEM, "order_problem") \
	E(REASON, LOW_CONFIDENCE, "low_confidence") E(REASON, CUSTOMER_REQUEST, "customer_request") \
	E(REASON, COMPLAINT, "complaint") E(REASON, OTHER, "other")
#define PROTO_ENUM_channel(E) \
	E(CHAN, WEB, "web") E(CHAN, WHATSAPP, "whatsapp") E(CHAN, MESSENGER, "messenger") \
	E(CHAN, SMS, "sms") E(CHAN, EMAIL, "email")
#define PROTO_ENUM_msg_from(E) \
	E(FROM, CUSTOMER, "customer") E(FROM, BOT, "bot") E(FROM, AGENT, "agent") E(FROM, SYSTEM, "system")
#define PROTO_ENUM_msg_kind(E) \
	E(MSG, PUBLIC, "public") E(MSG, NOTE, "note")
#define PROTO_ENUM_action_kind(E) \
	E(ACT, DISCOUNT, "discount") E(ACT, RETURN, "return") E(ACT, LABEL, "label")
#define PROTO_ENUM_action_status(E) \
	E(ACTST, APPLIED, "applied") E(ACTST, PENDING_APPROVAL, "pending_approval") \
	E(ACTST, DENIED, "denied") E(ACTST, FAILED, "failed")
#define PROTO_ENUM_approval_state(E) \
	E(APPR, PENDING, "pending") E(APPR, APPROVED, "approved") E(APPR, DENIED, "denied")
#define PROTO_ENUM_role(E) \
	E(ROLE, AGENT, "agent") E(ROLE, SUPERVISOR, "supervisor") E(ROLE, BOT, "bot")
#define PROTO_ENUM_presence_status(E) \
	E(PRES, ONLINE, "online") E(PRES, AWAY, "away") E(PRES, OFFLINE, "offline")
#define PROTO_ENUM_result_status(E) \
	E(RES, OK, "ok") E(RES, DUPLICATE, "duplicate") E(RES, PENDING, "pending") \
	E(RES, REJECTED, "rejected")
#define PROTO_ENUM_resume(E) \
	E(RESUME, REPLAY, "replay") E(RESUME, SNAPSHOT, "snapshot")
#define PROTO_ENUM_disposition(E) \
	E(DISP, RESOLVED, "resolved") E(DISP, UNRESOLVED, "unresolved") E(DISP, FOLLOW_UP, "follow_up")
#define PROTO_ENUM_decision(E) \
	E(DECIDE, APPROVE, "approve") E(DECIDE, DENY, "deny")
#define PROTO_ENUM_op(E) \
	E(OP, CLAIM, "claim") E(OP, RELEASE, "release") E(OP, MESSAGE_SEND, "message.send") \
	E(OP, NOTE_ADD, "note.add") E(OP, DISCOUNT_APPROVE, "discount.approve") \
	E(OP, RETURN_CREATE, "return.create") E(OP, LABEL_CREATE, "label.create") \
	E(OP, HANDBACK, "handback") E(OP, TRANSFER, "transfer") E(OP, PRESENCE_SET, "presence.set") \
	E(OP, APPROVAL_DECIDE, "approval.decide") E(OP, MONITOR, "monitor")
#define PROTO_ENUM_event_kind(E) \
	E(EV, CONV_QUEUED, "conversation.queued") E(EV, CONV_ASSIGNED, "conversation.assigned") \
	E(EV, CONV_RELEASED, "conversation.released") \
	E(EV, CONV_TRANSFERRED, "conversation.transferred") \
	E(EV, CONV_HANDED_BACK, "conversation.handed_back") E(EV, CONV_CLOSED, "conversation.closed") \
	E(EV, MESSAGE, "message") E(EV, ACTION, "action") \
	E(EV, APPROVAL_REQUESTED, "approval.requested") E(EV, APPROVAL_DECIDED, "approval.decided") \
	E(EV, AGENT_PRESENCE, "agent.presence")
#define PROTO_ENUM_error_code(E) \
	E(ERR, BAD_REQUEST, "bad_request") E(ERR, UNAUTHORIZED, "unauthorized") \
	E(ERR, FORBIDDEN, "forbidden") E(ERR, NOT_FOUND, "not_found") E(ERR, NOT_OWNER, "not_owner") \
	E(ERR, ALREADY_CLAIMED, "already_claimed") E(ERR, INVALID_STATE, "invalid_state") \
	E(ERR, LIMIT_EXCEEDED, "limit_exceeded") E(ERR, INELIGIBLE, "ineligible") \
	E(ERR, IDEMPOTENCY_MISMATCH, "idempotency_mismatch") E(ERR, TOO_LARGE, "too_large") \
	E(ERR, RATE_LIMITED, "rate_limited") E(ERR, UNSUPPORTED_VERSION, "unsupported_version") \
	E(ERR, UNKNOWN_OP, "unknown_op") E(ERR, INTERNAL, "internal")

#define PROTO_ENUM_LIST(X) \
	X(frame_type) X(conv_state) X(priority) X(reason_code) X(channel) X(msg_from) \
	X(msg_kind) X(action_kind) X(action_status) X(approval_state) X(role) \
	X(presence_status) X(result_status) X(resume) X(disposition) X(decision) X(op) \
	X(event_kind) X(error_code)

#define PROTO_ENUM_MEMBER_(P, N, S) PROTO_##P##_##N,
#define PROTO_ENUM_DECL_(name) \
	enum proto_##name { PROTO_ENUM_##name(PROTO_ENUM_MEMBER_) }; \
	extern const char *const proto_enum_##name[];
PROTO_ENUM_LIST(PROTO_ENUM_DECL_)
/* An open enum field (event kind, op) holds this for a value it does not know. */
#define PROTO_UNKNOWN (-1)

/* Wire string of an enum value, or "?" if out of range. */
const char *proto_enum_str(const char *const *table, int value);
/* Value of a wire string, or PROTO_UNKNOWN. */
int proto_enum_parse(const char *const *table, const char *s);
#define PROTO_ENUM_STR(name, v) proto_enum_str(proto_enum_##name, (int)(v))
#define PROTO_ENUM_PARSE(name, s) proto_enum_parse(proto_enum_##name, (s))

/* ---- objects: each field list is the single definition of its type ---- */

/* Flags (second column). */
#define PF_OPT  0u		/* optional */
#define PF_REQ  1u		/* must be present and not null */
#define PF_NULL 2u		/* optional and may be null */
#define PF_OPEN 4u		/* ENUM: an unknown value is kept as PROTO_UNKNOWN, not refused */

#define PROTO_FIELDS_item(F) \
	F(item, sku,          STR,  PF_REQ, 64, PCS_ANY) \
	F(item, name,         STR,  PF_REQ, 256, PCS_ANY) \
	F(item, qty,          INT,  PF_REQ, 1, 100000) \
	F(item, price_minor,  INT,  PF_REQ, 0, 100000000000)

#define PROTO_FIELDS_order(F) \
	F(order, id,            STR,  PF_REQ, 64, PCS_ID) \
	F(order, placed_at,     TIME, PF_REQ, 0, 0) \
	F(order, delivered_at,  TIME, PF_NULL, 0, 0) \
	F(order, status,        STR,  PF_REQ, 32, PCS_ID) \
	F(order, total_minor,   INT,  PF_REQ, 0, 100000000000) \
	F(order, currency,      STR,  PF_REQ, 3, PCS_CURRENCY) \
	F(order, carrier,       STR,  PF_NULL, 64, PCS_ANY) \
	F(order, tracking,      STR,  PF_NULL, 64, PCS_ANY) \
	F(order, items,         ARR,  PF_REQ, item, 0)

#define PROTO_FIELDS_contact(F) \
	F(contact, at,       TIME, PF_REQ, 0, 0) \
	F(contact, channel,  STR,  PF_REQ, 32, PCS_ID) \
	F(contact, summary,  STR,  PF_REQ, 1000, PCS_ANY) \
	F(contact, outcome,  STR,  PF_OPT, 64, PCS_ANY)

#define PROTO_FIELDS_past_discount(F) \
	F(past_discount, code,          STR,  PF_REQ, 64, PCS_ANY) \
	F(past_discount, percent,       INT,  PF_OPT, 0, 100) \
	F(past_discount, amount_minor,  INT,  PF_OPT, 0, 100000000000) \
	F(past_discount, currency,      STR,  PF_OPT, 3, PCS_CURRENCY) \
	F(past_discount, order,         STR,  PF_NULL, 64, PCS_ID) \
	F(past_discount, at,            TIME, PF_REQ, 0, 0)

#define PROTO_FIELDS_past_return(F) \
	F(past_return, rma,     STR,  PF_REQ, 64, PCS_ID) \
	F(past_return, order,   STR,  PF_REQ, 64, PCS_ID) \
	F(past_return, status,  STR,  PF_REQ, 32, PCS_ID) \
	F(past_return, at,      TIME, PF_REQ, 0, 0)

#define PROTO_FIELDS_customer(F) \
	F(customer, id,                    STR,  PF_REQ, 64, PCS_ID) \
	F(customer, name,                  STR,  PF_REQ, 200, PCS_ANY) \
	F(customer, email,                 STR,  PF_NULL, 254, PCS_ANY) \
	F(customer, tier,                  STR,  PF_NULL, 32, PCS_ANY) \
	F(customer, since,                 TIME, PF_NULL, 0, 0) \
	F(customer, lifetime_value_minor,  INT,  PF_OPT, 0, 100000000000) \
	F(customer, currency,              STR,  PF_OPT, 3, PCS_CURRENCY) \
	F(customer, orders,                ARR,  PF_OPT, order, 0) \
	F(customer, contacts,              ARR,  PF_OPT, contact, 0) \
	F(customer, discounts,             ARR,  PF_OPT, past_discount, 0) \
	F(customer, returns,               ARR,  PF_OPT, past_return, 0)

#define PROTO_FIELDS_reason(F) \
	F(reason, code,  ENUM, PF_REQ, reason_code, 0) \
	F(reason, text,  STR,  PF_OPT, 1000, PCS_ANY)

#define PROTO_FIELDS_attempt(F) \
	F(attempt, step,     STR,  PF_REQ, 500, PCS_ANY) \
	F(attempt, outcome,  STR,  PF_REQ, 64, PCS_ANY) \
	F(attempt, detail,   STR,  PF_NULL, 1000, PCS_ANY) \
	F(attempt, at,       TIME, PF_OPT, 0, 0)

#define PROTO_FIELDS_escalation(F) \
	F(escalation, reason,      OBJ,  PF_REQ, reason, 0) \
	F(escalation, confidence,  NUM,  PF_NULL, 0, 1) \
	F(escalation, sentiment,   NUM,  PF_NULL, -1, 1) \
	F(escalation, skills,      STRS, PF_OPT, 32, PCS_ID) \
	F(escalation, summary,     STR,  PF_OPT, 4000, PCS_ANY) \
	F(escalation, attempted,   ARR,  PF_OPT, attempt, 0)

#define PROTO_FIELDS_message(F) \
	F(message, id,      STR,  PF_REQ, 64, PCS_ID) \
	F(message, conv,    STR,  PF_REQ, 64, PCS_ID) \
	F(message, from,    ENUM, PF_REQ, msg_from, 0) \
	F(message, author,  STR,  PF_NULL, 64, PCS_ANY) \
	F(message, kind,    ENUM, PF_REQ, msg_kind, 0) \
	F(message, text,    STR,  PF_REQ, 16000, PCS_ANY) \
	F(message, at,      TIME, PF_REQ, 0, 0)

/* One return line: in args and params {sku, qty}; in results with refund_minor. */
#define PROTO_FIELDS_line(F) \
	F(line, sku,           STR, PF_REQ, 64, PCS_ANY) \
	F(line, qty,           INT, PF_REQ, 1, 100000) \
	F(line, refund_minor,  INT, PF_OPT, 0, 100000000000)

/* Parameters of an action, every kind's in one struct (see proto_action_check). */
#define PROTO_FIELDS_action_params(F) \
	F(action_params, percent,       INT,  PF_OPT, 1, 100) \
	F(action_params, amount_minor,  INT,  PF_OPT, 1, 100000000000) \
	F(action_params, currency,      STR,  PF_OPT, 3, PCS_CURRENCY) \
	F(action_params, order,         STR,  PF_NULL, 64, PCS_ID) \
	F(action_params, reason,        STR,  PF_OPT, 1000, PCS_ANY) \
	F(action_params, lines,         ARR,  PF_OPT, line, 0) \
	F(action_params, rma,           STR,  PF_OPT, 64, PCS_ID) \
	F(action_params, carrier,       STR,  PF_NULL, 64, PCS_ANY) \
	F(action_params, service,       STR,  PF_NULL, 64, PCS_ANY)

/* Result of an applied action, every kind's in one struct. */
#define PROTO_FIELDS_action_result(F) \
	F(action_result, code,          STR,  PF_OPT, 64, PCS_ANY) \
	F(action_result, percent,       INT,  PF_OPT, 1, 100) \
	F(action_result, amount_minor,  INT,  PF_OPT, 1, 100000000000) \
	F(action_result, currency,      STR,  PF_OPT, 3, PCS_CURRENCY) \
	F(action_result, order,         STR,  PF_NULL, 64, PCS_ID) \
	F(action_result, expires_at,    TIME, PF_OPT, 0, 0) \
	F(action_result, rma,           STR,  PF_OPT, 64, PCS_ID) \
	F(action_result, lines,         ARR,  PF_OPT, line, 0) \
	F(action_result, refund_minor,  INT,  PF_OPT, 0, 100000000000) \
	F(action_result, status,        STR,  PF_OPT, 32, PCS_ID) \
	F(action_result, label,         STR,  PF_OPT, 64, PCS_ID) \
	F(action_result, carrier,       STR,  PF_OPT, 64, PCS_ANY) \
	F(action_result, service,       STR,  PF_OPT, 64, PCS_ANY) \
	F(action_result, tracking,      STR,  PF_OPT, 64, PCS_ANY) \
	F(action_result, format,        STR,  PF_OPT, 16, PCS_ID) \
	F(action_result, url,           STR,  PF_OPT, 256, PCS_ANY)

#define PROTO_FIELDS_error(F) \
	F(error, code,     STR, PF_REQ, 64, PCS_ID) \
	F(error, message,  STR, PF_REQ, 1000, PCS_ANY)

#define PROTO_FIELDS_action(F) \
	F(action, id,      STR,  PF_REQ, 64, PCS_ID) \
	F(action, conv,    STR,  PF_REQ, 64, PCS_ID) \
	F(action, kind,    ENUM, PF_REQ, action_kind, 0) \
	F(action, status,  ENUM, PF_REQ, action_status, 0) \
	F(action, cmd_id,  STR,  PF_NULL, PROTO_CMD_ID_MAX, PCS_ID) \
	F(action, by,      STR,  PF_NULL, 64, PCS_ID) \
	F(action, at,      TIME, PF_REQ, 0, 0) \
	F(action, params,  OBJ,  PF_OPT, action_params, 0) \
	F(action, result,  OBJ,  PF_NULL, action_result, 0) \
	F(action, error,   OBJ,  PF_NULL, error, 0)

/* expires_at and decided_at are additive (baton-protocol(7)). */
#define PROTO_FIELDS_approval(F) \
	F(approval, id,            STR,  PF_REQ, 64, PCS_ID) \
	F(approval, conv,          STR,  PF_REQ, 64, PCS_ID) \
	F(approval, action,        STR,  PF_REQ, 64, PCS_ID) \
	F(approval, kind,          ENUM, PF_REQ, action_kind, 0) \
	F(approval, params,        OBJ,  PF_REQ, action_params, 0) \
	F(approval, requested_by,  STR,  PF_REQ, 64, PCS_ID) \
	F(approval, at,            TIME, PF_REQ, 0, 0) \
	F(approval, state,         ENUM, PF_REQ, approval_state, 0) \
	F(approval, decided_by,    STR,  PF_NULL, 64, PCS_ID) \
	F(approval, note,          STR,  PF_NULL, 1000, PCS_ANY) \
	F(approval, expires_at,    TIME, PF_OPT, 0, 0) \
	F(approval, decided_at,    TIME, PF_NULL, 0, 0)

#define PROTO_FIELDS_presence(F) \
	F(presence, id,      STR,  PF_REQ, 64, PCS_ID) \
	F(presence, name,    STR,  PF_OPT, 200, PCS_ANY) \
	F(presence, role,    ENUM, PF_OPT, role, 0) \
	F(presence, status,  ENUM, PF_REQ, presence_status, 0) \
	F(presence, active,  STRS, PF_OPT, 64, PCS_ID)

#define PROTO_FIELDS_conversation(F) \
	F(conversation, id,           STR,  PF_REQ, 64, PCS_ID) \
	F(conversation, state,        ENUM, PF_REQ, conv_state, 0) \
	F(conversation, priority,     ENUM, PF_REQ, priority, 0) \
	F(conversation, channel,      ENUM, PF_REQ, channel, 0) \
	F(conversation, language,     STR,  PF_OPT, 16, PCS_ID) \
	F(conversation, created_at,   TIME, PF_REQ, 0, 0) \
	F(conversation, queued_at,    TIME, PF_NULL, 0, 0) \
	F(conversation, sla_due_at,   TIME, PF_NULL, 0, 0) \
	F(conversation, assignee,     STR,  PF_NULL, 64, PCS_ID) \
	F(conversation, version,      INT,  PF_REQ, 0, 1000000000) \
	F(conversation, external_id,  STR,  PF_OPT, 128, PCS_ANY) \
	F(conversation, escalation,   OBJ,  PF_OPT, escalation, 0) \
	F(conversation, customer,     OBJ,  PF_OPT, customer, 0) \
	F(conversation, transcript,   ARR,  PF_OPT, message, 0) \
	F(conversation, actions,      ARR,  PF_OPT, action, 0)

/* The agent in welcome. */
#define PROTO_FIELDS_agent(F) \
	F(agent, id,      STR,  PF_REQ, 64, PCS_ID) \
	F(agent, name,    STR,  PF_REQ, 200, PCS_ANY) \
	F(agent, role,    ENUM, PF_REQ, role, 0) \
	F(agent, skills,  STRS, PF_OPT, 32, PCS_ID)

#define PROTO_FIELDS_limits(F) \
	F(limits, discount_percent_max,       INT, PF_REQ, 0, 100) \
	F(limits, discount_amount_max_minor,  INT, PF_REQ, 0, 100000000000) \
	F(limits, currency,                   STR, PF_REQ, 3, PCS_CURRENCY) \
	F(limits, max_frame_bytes,            INT, PF_REQ, 1024, 16777216) \
	F(limits, max_active,                 INT, PF_REQ, 0, 1000)

/* cmd args: every op's in one struct; proto_op_table says which each op needs. */
#define PROTO_FIELDS_args(F) \
	F(args, conv,          STR,  PF_OPT, 64, PCS_ID) \
	F(args, text,          STR,  PF_OPT, PROTO_TEXT_MAX, PCS_ANY) \
	F(args, percent,       INT,  PF_OPT, 1, 100) \
	F(args, amount_minor,  INT,  PF_OPT, 1, 100000000000) \
	F(args, order,         STR,  PF_NULL, 64, PCS_ID) \
	F(args, reason,        STR,  PF_OPT, 1000, PCS_ANY) \
	F(args, lines,         ARR,  PF_OPT, line, 0) \
	F(args, rma,           STR,  PF_OPT, 64, PCS_ID) \
	F(args, carrier,       STR,  PF_NULL, 64, PCS_ANY) \
	F(args, service,       STR,  PF_NULL, 64, PCS_ANY) \
	F(args, disposition,   ENUM, PF_OPT, disposition, 0) \
	F(args, note,          STR,  PF_NULL, 1000, PCS_ANY) \
	F(args, tags,          STRS, PF_OPT, 32, PCS_ANY) \
	F(args, to,            STR,  PF_OPT, 65, PCS_TARGET) \
	F(args, status,        ENUM, PF_OPT, presence_status, 0) \
	F(args, approval,      STR,  PF_OPT, 64, PCS_ID) \
	F(args, decision,      ENUM, PF_OPT, decision, 0)

/* result and event bodies: every kind's in one struct. */
#define PROTO_FIELDS_body(F) \
	F(body, conversation,  OBJ,  PF_OPT, conversation, 0) \
	F(body, message,       OBJ,  PF_OPT, message, 0) \
	F(body, action,        OBJ,  PF_OPT, action, 0) \
	F(body, approval,      OBJ,  PF_OPT, approval, 0) \
	F(body, presence,      OBJ,  PF_OPT, presence, 0) \
	F(body, agent,         STR,  PF_OPT, 64, PCS_ID) \
	F(body, from,          STR,  PF_NULL, 64, PCS_ID) \
	F(body, to,            STR,  PF_OPT, 65, PCS_TARGET) \
	F(body, conv,          STR,  PF_OPT, 64, PCS_ID) \
	F(body, disposition,   ENUM, PF_OPT, disposition, 0) \
	F(body, note,          STR,  PF_NULL, 1000, PCS_ANY) \
	F(body, tags,          STRS, PF_OPT, 32, PCS_ANY) \
	F(body, by,            STR,  PF_OPT, 64, PCS_ID) \
	F(body, csat,          INT,  PF_NULL, 1, 5)

#define PROTO_FIELDS_queue_counts(F) \
	F(queue_counts, urgent,  INT, PF_REQ, 0, 100000000) \
	F(queue_counts, high,    INT, PF_REQ, 0, 100000000) \
	F(queue_counts, normal,  INT, PF_REQ, 0, 100000000) \
	F(queue_counts, low,     INT, PF_REQ, 0, 100000000)

#define PROTO_FIELDS_agent_counts(F) \
	F(agent_counts, online,  INT, PF_REQ, 0, 100000000) \
	F(agent_counts, away,    INT, PF_REQ, 0, 100000000) \
	F(agent_counts, offline, INT, PF_OPT, 0, 100000000)

/* ---- frames ---- */

#define PROTO_FIELDS_hello(F) \
	F(hello, v,       INT, PF_REQ, 0, 1000) \
	F(hello, token,   STR, PF_OPT, 256, PCS_TOKEN) \
	F(hello, client,  STR, PF_OPT, 128, PCS_ANY) \
	F(hello, since,   INT, PF_OPT, 0, INT64_MAX)

#define PROTO_FIELDS_welcome(F) \
	F(welcome, v,        INT,  PF_REQ, 0, 1000) \
	F(welcome, session,  STR,  PF_REQ, 64, PCS_ID) \
	F(welcome, agent,    OBJ,  PF_REQ, agent, 0) \
	F(welcome, limits,   OBJ,  PF_REQ, limits, 0) \
	F(welcome, head,     INT,  PF_REQ, 0, INT64_MAX) \
	F(welcome, resume,   ENUM, PF_REQ, resume, 0)

#define PROTO_FIELDS_snapshot(F) \
	F(snapshot, upto,       INT, PF_REQ, 0, INT64_MAX) \
	F(snapshot, queue,      ARR, PF_REQ, conversation, 0) \
	F(snapshot, queue_total, INT, PF_OPT, 0, INT64_MAX) \
	F(snapshot, mine,       ARR, PF_REQ, conversation, 0) \
	F(snapshot, approvals,  ARR, PF_OPT, approval, 0) \
	F(snapshot, agents,     ARR, PF_OPT, presence, 0)

#define PROTO_FIELDS_cmd(F) \
	F(cmd, cmd_id,  STR,  PF_REQ, PROTO_CMD_ID_MAX, PCS_ID) \
	F(cmd, op,      ENUM, PF_REQ | PF_OPEN, op, 0) \
	F(cmd, args,    OBJ,  PF_REQ, args, 0)

#define PROTO_FIELDS_result(F) \
	F(result, cmd_id,  STR,  PF_REQ, PROTO_CMD_ID_MAX, PCS_ID) \
	F(result, status,  ENUM, PF_REQ, result_status, 0) \
	F(result, body,    OBJ,  PF_NULL, body, 0) \
	F(result, error,   OBJ,  PF_NULL, error, 0)

#define PROTO_FIELDS_event(F) \
	F(event, seq,   INT,  PF_REQ, 1, INT64_MAX) \
	F(event, kind,  ENUM, PF_REQ | PF_OPEN, event_kind, 0) \
	F(event, conv,  STR,  PF_NULL, 64, PCS_ID) \
	F(event, at,    TIME, PF_REQ, 0, 0) \
	F(event, body,  OBJ,  PF_REQ, body, 0)

/* from and agent are additive: who is typing (a customer, or which agent). */
#define PROTO_FIELDS_typing(F) \
	F(typing, conv,   STR,  PF_REQ, 64, PCS_ID) \
	F(typing, on,     BOOL, PF_REQ, 0, 0) \
	F(typing, from,   ENUM, PF_OPT, msg_from, 0) \
	F(typing, agent,  STR,  PF_OPT, 64, PCS_ID)

/* ---- stats extensions (additive; baton-protocol(7) STATS) ---- */

/* Escalations today by reason code (the UTC day). */
#define PROTO_FIELDS_reason_counts(F) \
	F(reason_counts, discount_request,  INT, PF_OPT, 0, INT64_MAX) \
	F(reason_counts, return_dispute,    INT, PF_OPT, 0, INT64_MAX) \
	F(reason_counts, fraud_claim,       INT, PF_OPT, 0, INT64_MAX) \
	F(reason_counts, order_problem,     INT, PF_OPT, 0, INT64_MAX) \
	F(reason_counts, low_confidence,    INT, PF_OPT, 0, INT64_MAX) \
	F(reason_counts, customer_request,  INT, PF_OPT, 0, INT64_MAX) \
	F(reason_counts, complaint,         INT, PF_OPT, 0, INT64_MAX) \
	F(reason_counts, other,             INT, PF_OPT, 0, INT64_MAX)

/* Queue depth by priority at the start of one minute (the sparklines). */
#define PROTO_FIELDS_stats_sample(F) \
	F(stats_sample, at,      TIME, PF_REQ, 0, 0) \
	F(stats_sample, urgent,  INT,  PF_OPT, 0, 100000000) \
	F(stats_sample, high,    INT,  PF_OPT, 0, 100000000) \
	F(stats_sample, normal,  INT,  PF_OPT, 0, 100000000) \
	F(stats_sample, low,     INT,  PF_OPT, 0, 100000000)

/* One agent's figures; status and active also come with presence. */
#define PROTO_FIELDS_agent_stat(F) \
	F(agent_stat, id,             STR,  PF_REQ, 64, PCS_ANY) \
	F(agent_stat, status,         ENUM, PF_OPT, presence_status, 0) \
	F(agent_stat, active,         INT,  PF_OPT, 0, 1000) \
	F(agent_stat, handled_today,  INT,  PF_OPT, 0, 100000000) \
	F(agent_stat, last_msg_at,    TIME, PF_NULL, 0, 0)

/* What a supervisor needs to decide a pending approval: the customer's
 * history, which the supervisor's own views do not carry. */
#define PROTO_FIELDS_approval_ctx(F) \
	F(approval_ctx, approval,      STR,  PF_REQ, 64, PCS_ID) \
	F(approval_ctx, customer,      STR,  PF_OPT, 200, PCS_ANY) \
	F(approval_ctx, tier,          STR,  PF_NULL, 32, PCS_ANY) \
	F(approval_ctx, order_total_minor, INT, PF_OPT, 0, 100000000000) \
	F(approval_ctx, currency,      STR,  PF_OPT, 3, PCS_CURRENCY) \
	F(approval_ctx, discounts,     ARR,  PF_OPT, past_discount, 0) \
	F(approval_ctx, returns,       ARR,  PF_OPT, past_return, 0)

#define PROTO_FIELDS_stats(F) \
	F(stats, queue,          OBJ, PF_REQ, queue_counts, 0) \
	F(stats, oldest_wait_s,  INT, PF_REQ, 0, INT64_MAX) \
	F(stats, sla_breached,   INT, PF_REQ, 0, INT64_MAX) \
	F(stats, agents,         OBJ, PF_REQ, agent_counts, 0) \
	F(stats, handled_today,  INT, PF_REQ, 0, INT64_MAX) \
	F(stats, aht_s,          INT, PF_REQ, 0, INT64_MAX) \
	F(stats, sla_breached_today, INT, PF_OPT, 0, INT64_MAX) \
	F(stats, approvals_pending,  INT, PF_OPT, 0, INT64_MAX) \
	F(stats, by_reason,      OBJ, PF_OPT, reason_counts, 0) \
	F(stats, history,        ARR, PF_OPT, stats_sample, 0) \
	F(stats, agent_stats,    ARR, PF_OPT, agent_stat, 0) \
	F(stats, approval_ctx,   ARR, PF_OPT, approval_ctx, 0)

/* error frame: the same fields as the error object. */
#define PROTO_FIELDS_error_frame(F) \
	F(error_frame, code,     STR, PF_REQ, 64, PCS_ID) \
	F(error_frame, message,  STR, PF_REQ, 1000, PCS_ANY)

/* Every object type, in dependency-free order (pointers only). */
#define PROTO_TYPE_LIST(X) \
	X(item) X(order) X(contact) X(past_discount) X(past_return) X(customer) X(reason) \
	X(attempt) X(escalation) X(message) X(line) X(action_params) X(action_result) \
	X(error) X(action) X(approval) X(presence) X(conversation) X(agent) X(limits) \
	X(args) X(body) X(queue_counts) X(agent_counts) X(hello) X(welcome) X(snapshot) \
	X(cmd) X(result) X(event) X(typing) X(reason_counts) X(stats_sample) X(agent_stat) \
	X(approval_ctx) X(stats) X(error_frame)

/* ---- generated declarations ---- */

struct proto_mask {
	uint64_t has;	/* bit i: field i was present */
	uint64_t nul;	/* bit i: field i was null */
};

struct proto_strs {
	const char **v;
	size_t n;
};

#define PROTO_FWD_(t) \
	struct proto_##t; \
	struct proto_##t##_arr { struct proto_##t *v; size_t n; };
PROTO_TYPE_LIST(PROTO_FWD_)

#define PROTO_CTYPE_STR(a)  const char *
#define PROTO_CTYPE_INT(a)  int64_t
#define PROTO_CTYPE_NUM(a)  double
#define PROTO_CTYPE_BOOL(a) bool
#define PROTO_CTYPE_TIME(a) int64_t
#define PROTO_CTYPE_ENUM(a) int
#define PROTO_CTYPE_OBJ(a)  struct proto_##a *
#define PROTO_CTYPE_ARR(a)  struct proto_##a##_arr
#define PROTO_CTYPE_STRS(a) struct proto_strs
#define PROTO_MEMBER_(t, f, kind, flags, a, b) PROTO_CTYPE_##kind(a) f;
#define PROTO_INDEX_(t, f, kind, flags, a, b) PF_##t##_##f,

#define PROTO_STRUCT_(t) \
	struct proto_##t { struct proto_mask m; PROTO_FIELDS_##t(PROTO_MEMBER_) }; \
	enum { PROTO_FIELDS_##t(PROTO_INDEX_) PF_##t##__COUNT };
PROTO_TYPE_LIST(PROTO_STRUCT_)

/* Presence tests and setters: PROTO_HAS(conv, conversation, assignee). */
#define PROTO_HAS(o, t, f)     ((((o)->m.has) >> PF_##t##_##f) & 1u)
#define PROTO_IS_NULL(o, t, f) ((((o)->m.nul) >> PF_##t##_##f) & 1u)
#define PROTO_SET(o, t, f)     ((o)->m.has |= (UINT64_C(1) << PF_##t##_##f))
#define PROTO_SET_NULL(o, t, f) \
	((o)->m.has |= (UINT64_C(1) << PF_##t##_##f), (o)->m.nul |= (UINT64_C(1) << PF_##t##_##f))

/* ---- descriptors ---- */

enum proto_kind { PK_STR, PK_INT, PK_NUM, PK_BOOL, PK_TIME, PK_ENUM, PK_OBJ, PK_ARR, PK_STRS };

struct proto_type;
struct proto_err;

struct proto_field {
	const char *name;
	uint8_t kind;		/* enum proto_kind */
	uint8_t flags;		/* PF_REQ, PF_NULL, PF_OPEN */
	uint16_t offset;
	int64_t min, max;	/* INT range; STR/STRS max characters; charset in min */
	double dmin, dmax;	/* NUM range */
	const struct proto_type *sub;	/* OBJ, ARR */
	const char *const *enums;	/* ENUM */
};

struct proto_type {
	const char *name;
	size_t size;
	const struct proto_field *fields;
	unsigned nfields;
	/* Cross-field rules after the fields decode (op args, event bodies…);
	 * path is where obj sits ("" at the root, else ending in "."). */
	int (*check)(const void *obj, const char *path, struct proto_err *err);
	/* Fields to leave undecoded given those before (an unknown op's args). */
	bool (*skip)(const void *obj, unsigned field);
};

#define PROTO_TYPE_DECL_(t) extern const struct proto_type proto_type_##t;
PROTO_TYPE_LIST(PROTO_TYPE_DECL_)

/* ---- errors ---- */

struct proto_err {
	int code;		/* enum proto_error_code: BAD_REQUEST, UNKNOWN_OP, … */
	char msg[256];		/* "args.lines[0].qty: expected an integer" */
	char cmd_id[PROTO_CMD_ID_MAX + 1];	/* a cmd's id if it could be read, else "" */
};

/* ---- arena ---- */

struct proto_arena;
struct proto_arena *proto_arena_new(void);
void  proto_arena_free(struct proto_arena *a);
void *proto_arena_alloc(struct proto_arena *a, size_t n);	/* zeroed, 8-aligned */
char *proto_arena_strdup(struct proto_arena *a, const char *s);
char *proto_arena_strndup(struct proto_arena *a, const char *s, size_t n);
size_t proto_arena_used(const struct proto_arena *a);

/* ---- frames ---- */

struct proto_frame {
	enum proto_frame_type type;
	struct proto_arena *arena;	/* owns everything reachable from u */
	union {
		struct proto_hello hello;
		struct proto_welcome welcome;
		struct proto_snapshot snapshot;
		struct proto_cmd cmd;
		struct proto_result result;
		struct proto_event event;
		struct proto_typing typing;
		struct proto_stats stats;
		struct proto_error_frame error;
	} u;
};

/*
 * Decodes and validates one frame. Returns NULL and fills err on any
 * problem: err->code is ERR_BAD_REQUEST, ERR_TOO_LARGE (len > max_bytes, if
 * max_bytes), ERR_UNKNOWN_OP or ERR_UNSUPPORTED_VERSION; err->cmd_id names
 * the command when one could be read, so a hub can answer with a result.
 */
struct proto_frame *proto_frame_decode(const char *buf, size_t len, size_t max_bytes,
				       struct proto_err *err);
/* A zeroed frame of type t with its own arena, for building one to send. */
struct proto_frame *proto_frame_new(enum proto_frame_type t);
void proto_frame_free(struct proto_frame *f);
/* Compact JSON, malloc'd, NUL-terminated; *len if non-NULL. */
char *proto_frame_encode(const struct proto_frame *f, size_t *len);
json_t *proto_frame_to_json(const struct proto_frame *f);

/* The type descriptor of a frame type's payload. */
const struct proto_type *proto_frame_payload_type(enum proto_frame_type t);

/* ---- objects ---- */

/* Decodes json into *out (a zeroed struct of type t). path prefixes error
 * messages ("" or e.g. "customer"). Returns 0 or -1 with err filled. */
int proto_decode(struct proto_arena *a, const struct proto_type *t, json_t *json,
		 void *out, const char *path, struct proto_err *err);
/* A new JSON object for obj (never NULL). */
json_t *proto_encode(const struct proto_type *t, const void *obj);
/* Deep copy of obj into arena a; strings are copied too. */
void *proto_clone(struct proto_arena *a, const struct proto_type *t, const void *obj);

/* Typed conveniences. */
#define PROTO_NEW(a, t) ((struct proto_##t *)proto_arena_alloc((a), sizeof(struct proto_##t)))
#define PROTO_CLONE(a, t, o) ((struct proto_##t *)proto_clone((a), &proto_type_##t, (o)))
#define PROTO_ENCODE(t, o) proto_encode(&proto_type_##t, (o))

/* ---- rules shared by hub and console ---- */

struct proto_op_info {
	enum proto_op op;
	const char *name;
	uint64_t required;	/* args fields (bit PF_args_x) the op needs */
	bool money;		/* moves money: keep its cmd_id forever, confirm first */
	const char *usage;	/* args in words, for error messages */
};
/* Indexed by enum proto_op. */
extern const struct proto_op_info proto_op_table[];

struct proto_event_info {
	enum proto_event_kind kind;
	const char *name;
	uint64_t required;	/* body fields (bit PF_body_x) the kind needs */
};
extern const struct proto_event_info proto_event_table[];

/* True if s is a valid cmd_id (1–128 of [A-Za-z0-9._:-]). */
bool proto_cmd_id_valid(const char *s);

#endif
