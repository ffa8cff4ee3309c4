/*
 * proto.c (bench): how fast the protocol codec and the sanitizer are.
 *
 * The frame is what a console receives most and what costs the most to
 * take in: an event "conversation.assigned" carrying a whole conversation
 * (a 20-message transcript in Turkish, Polish, Japanese, English and emoji,
 * a customer with 5 orders and their items, contacts, past discounts and
 * returns, the bot's escalation and attempts, 6 actions of every kind). It
 * is built in memory through the proto structs and encoded once, 8-16 KB.
 *
 * Figures, each the best of RUNS runs of at least MIN_RUN_S seconds of this
 * thread's CPU time (so a busy machine's waiting is left out; a virtual
 * machine's steal time is not, so compare figures from one quiet run), the
 * runs of decode, json_loadb and encode taking turns:
 *   decode+validate   proto_frame_decode + proto_frame_free
 *   json_loadb        the same bytes through jansson alone (same flags), so
 *                     decode/bare is what validation and copying into the
 *                     structs add (goal: at most 1.5)
 *   encode            proto_frame_encode + free
 *   sanitize          text_sanitize_into over 64 MB of mixed text: mostly
 *                     ASCII, some Turkish, Polish, CJK and emoji, rare escape
 *                     sequences, C1 and bidi controls (goal: 500 MB/s)
 *
 *   $BUILD/bench/proto [--quick]   (--quick or BENCH_QUICK=1: one short run
 *                                   each, to see that it works, not to measure)
 *   $BUILD/bench/proto --frame     prints the frame, to profile with
 *                                   (valgrind --tool=callgrind, perf) by hand
 */
#include "baton/common.h"
#include "baton/proto.h"
#include "baton/text.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define RUNS 5
#define MIN_RUN_S 0.5
#define SANITIZE_BYTES (64u << 20)

static double bench_min_s = MIN_RUN_S;
static int bench_runs = RUNS;

/* ---- the frame ---- */

#define T0 INT64_C(1795316400000)	/* 2026-11-22T03:00:00.000Z */

static const char *const bench_texts[] = {
	"Merhaba, siparişim iki gün geç geldi ve çoraplar yanlış renkte.",
	"Üzgünüm Ayşe Hanım! Sipariş numaranızı paylaşır mısınız?",
	"o-5521. Bir sonraki siparişimde %20 indirim istiyorum, çünkü bu ikinci kez oluyor.",
	"I can offer a 10% coupon for your next order as an apology for the delay.",
	"Hayır, %10 yeterli değil 😤 Geçen ay da aynı şey oldu.",
	"Escalated to a human agent (discount_request).",
	"Merhaba Ayşe Hanım, ben Ana. Hemen bakıyorum, bir dakika lütfen.",
	"Late twice this quarter; gold tier. 15% is within my cap. Socks: wrong colour, return them.",
	"Dzień dobry, czy mogę też zwrócić czapkę? Zamówienie o-4410, była za mała.",
	"Of course. The cap was bought in August, so it is past the 30-day window, but I will check.",
	"配達から25日しか経っていません。返品できますか?",
	"I have created a return for the socks; the refund of €29.00 goes back to your card in 3-5 days.",
	"Teşekkürler! Kargo etiketi e-postama mı gelecek? 📦",
	"Yes, the DHL label is attached to this chat and sent by e-mail as a PDF.",
	"Harika 👍 Peki indirim kodu ne zaman geçerli olacak?",
	"Your 15% code BTN-7QX2-KD9F works right away and until 22 December.",
	"Customer happy; closing after label confirmation. Tag: late-delivery, wrong-item.",
	"Çok teşekkür ederim, iyi çalışmalar! 🙏",
	"Rica ederim, iyi günler dilerim. Başka bir sorunuz olursa buradayız.",
	"Conversation handed back to the bot with disposition resolved.",
};

static struct proto_message *bench_messages(struct proto_arena *a, size_t n)
{
	static const int from[] = { PROTO_FROM_CUSTOMER, PROTO_FROM_BOT, PROTO_FROM_CUSTOMER,
				    PROTO_FROM_BOT, PROTO_FROM_CUSTOMER, PROTO_FROM_SYSTEM,
				    PROTO_FROM_AGENT, PROTO_FROM_AGENT };
	struct proto_message *m = proto_arena_alloc(a, n * sizeof *m);

	for (size_t i = 0; i < n; i++) {
		char *id = proto_arena_alloc(a, 16);
		snprintf(id, 16, "m-%zu", 9001 + i);
		m[i].id = id;
		m[i].conv = "c-1042";
		m[i].from = i < BATON_ARRAY_LEN(from) ? from[i] : (i % 2 ? PROTO_FROM_AGENT : PROTO_FROM_CUSTOMER);
		if (m[i].from == PROTO_FROM_AGENT)
			m[i].author = "ana";
		m[i].kind = (i == 7 || i == 16) ? PROTO_MSG_NOTE : PROTO_MSG_PUBLIC;
		PROTO_SET(&m[i], message, kind);
		PROTO_SET(&m[i], message, from);
		m[i].text = bench_texts[i % BATON_ARRAY_LEN(bench_texts)];
		m[i].at = T0 + 600000 + (int64_t)i * 37123;
	}
	return m;
}

static struct proto_customer *bench_customer(struct proto_arena *a)
{
	static const char *const names[] = { "Trail sneaker, 9, black", "Merino socks (3 pack), grey",
					     "Rüzgarlık ceket, M, lacivert", "Wool cap 🧢, one size, red",
					     "Etui na telefon, skóra", "トートバッグ ベージュ" };
	struct proto_customer *c = PROTO_NEW(a, customer);

	c->id = "cu-77";
	c->name = "Ayşe Yılmaz";
	c->email = "ayse.yilmaz@example.com.tr";
	c->tier = "gold";
	c->since = T0 - INT64_C(5 * 365) * 86400000;
	c->lifetime_value_minor = 123400;
	c->currency = "EUR";
	c->orders.n = 5;
	c->orders.v = proto_arena_alloc(a, 5 * sizeof *c->orders.v);
	for (size_t i = 0; i < 5; i++) {
		struct proto_order *o = &c->orders.v[i];
		char *id = proto_arena_alloc(a, 16);
		snprintf(id, 16, "o-%zu", 5521 + i * 37);
		o->id = id;
		o->placed_at = T0 - (int64_t)(i + 1) * 9 * 86400000;
		if (i) {
			o->delivered_at = o->placed_at + 4 * 86400000;
		} else {
			PROTO_SET_NULL(o, order, delivered_at);
		}
		o->status = i ? "delivered" : "shipped";
		o->currency = "EUR";
		o->carrier = i % 2 ? "DHL" : "Yurtiçi Kargo";
		o->tracking = "JJD0001234567890";
		o->items.n = 2 + i % 2;
		o->items.v = proto_arena_alloc(a, o->items.n * sizeof *o->items.v);
		for (size_t k = 0; k < o->items.n; k++) {
			struct proto_item *it = &o->items.v[k];
			it->sku = "SKU-9-BLK-0042";
			it->name = names[(i + k) % BATON_ARRAY_LEN(names)];
			it->qty = 1 + (int64_t)k;
			it->price_minor = 1450 + (int64_t)(i * 1000 + k * 250);
			o->total_minor += it->qty * it->price_minor;
		}
	}
	c->contacts.n = 3;
	c->contacts.v = proto_arena_alloc(a, 3 * sizeof *c->contacts.v);
	for (size_t i = 0; i < 3; i++) {
		struct proto_contact *k = &c->contacts.v[i];
		k->at = T0 - (int64_t)(i + 2) * 86400000;
		k->channel = i % 2 ? "whatsapp" : "email";
		k->summary = i % 2 ? "Kargo takibi soruldu, teslimat tarihi verildi."
				   : "Asked why the socks arrived in blue instead of grey; sent a photo.";
		k->outcome = "resolved";
	}
	c->discounts.n = 2;
	c->discounts.v = proto_arena_alloc(a, 2 * sizeof *c->discounts.v);
	c->discounts.v[0] = (struct proto_past_discount){ .code = "BTN-3MK8-QQ2A", .percent = 10,
							   .order = "o-5558", .at = T0 - INT64_C(90) * 86400000 };
	c->discounts.v[1] = (struct proto_past_discount){ .code = "BTN-77ZP-0KLE", .amount_minor = 500,
							   .currency = "EUR", .at = T0 - INT64_C(60) * 86400000 };
	PROTO_SET_NULL(&c->discounts.v[1], past_discount, order);
	c->returns.n = 2;
	c->returns.v = proto_arena_alloc(a, 2 * sizeof *c->returns.v);
	c->returns.v[0] = (struct proto_past_return){ .rma = "rma-3001", .order = "o-5632",
						       .status = "refunded", .at = T0 - INT64_C(80) * 86400000 };
	c->returns.v[1] = (struct proto_past_return){ .rma = "rma-3310", .order = "o-5669",
						       .status = "received", .at = T0 - INT64_C(20) * 86400000 };
	return c;
}

static struct proto_escalation *bench_escalation(struct proto_arena *a)
{
	struct proto_escalation *e = PROTO_NEW(a, escalation);
	static const char *skills[] = { "billing", "returns" };

	e->reason = PROTO_NEW(a, reason);
	e->reason->code = PROTO_REASON_DISCOUNT_REQUEST;
	PROTO_SET(e->reason, reason, code);
	e->reason->text = "Customer wants compensation for a late delivery and a wrong colour.";
	e->confidence = 0.41;
	e->sentiment = -0.7;
	e->skills.v = skills;
	e->skills.n = 2;
	e->summary = "Order o-5521 arrived 2 days late with socks in the wrong colour. Customer asks "
		     "for a 20% discount on the next order; the bot may only offer 10%.";
	e->attempted.n = 2;
	e->attempted.v = proto_arena_alloc(a, 2 * sizeof *e->attempted.v);
	e->attempted.v[0] = (struct proto_attempt){ .step = "offered 10% coupon", .outcome = "declined",
						     .detail = "Customer: \"10% is not enough.\"",
						     .at = T0 + 760000 };
	e->attempted.v[1] = (struct proto_attempt){ .step = "checked delivery status", .outcome = "in_transit" };
	PROTO_SET_NULL(&e->attempted.v[1], attempt, detail);
	return e;
}

static struct proto_action *bench_actions(struct proto_arena *a, size_t *n)
{
	struct proto_action *v = proto_arena_alloc(a, 6 * sizeof *v);
	struct proto_line *line = PROTO_NEW(a, line);

	*n = 6;
	line->sku = "SCK-3PK-GRY";
	line->qty = 2;
	for (size_t i = 0; i < 6; i++) {
		struct proto_action *x = &v[i];
		char *id = proto_arena_alloc(a, 16);
		snprintf(id, 16, "act-%zu", 301 + i);
		x->id = id;
		x->conv = "c-1042";
		x->kind = (int)(i % 3);
		PROTO_SET(x, action, kind);
		x->status = i < 4 ? PROTO_ACTST_APPLIED : (i == 4 ? PROTO_ACTST_PENDING_APPROVAL : PROTO_ACTST_FAILED);
		PROTO_SET(x, action, status);
		x->cmd_id = "ana:1732245330:7";
		x->by = "ana";
		x->at = T0 + 960000 + (int64_t)i * 60000;
		x->params = PROTO_NEW(a, action_params);
		x->params->reason = "late delivery, wrong colour";
		if (x->kind == PROTO_ACT_DISCOUNT) {
			x->params->percent = 15;
			x->params->order = "o-5521";
		} else if (x->kind == PROTO_ACT_RETURN) {
			x->params->order = "o-5521";
			x->params->lines.v = line;
			x->params->lines.n = 1;
		} else {
			x->params->rma = "rma-4471";
			x->params->carrier = "DHL";
		}
		if (x->status == PROTO_ACTST_APPLIED) {
			struct proto_action_result *r = PROTO_NEW(a, action_result);
			x->result = r;
			if (x->kind == PROTO_ACT_DISCOUNT) {
				r->code = "BTN-7QX2-KD9F";
				r->percent = 15;
				r->currency = "EUR";
				r->order = "o-5521";
				r->expires_at = T0 + INT64_C(30) * 86400000;
			} else if (x->kind == PROTO_ACT_RETURN) {
				r->rma = "rma-4471";
				r->order = "o-5521";
				r->refund_minor = 2900;
				r->currency = "EUR";
				r->status = "authorized";
			} else {
				r->label = "lbl-8812";
				r->rma = "rma-4471";
				r->carrier = "DHL";
				r->service = "parcel-return";
				r->tracking = "JJD0009988776655";
				r->format = "pdf";
				r->url = "/v1/labels/lbl-8812";
			}
		} else {
			PROTO_SET_NULL(x, action, result);
		}
		if (x->status == PROTO_ACTST_FAILED) {
			x->error = PROTO_NEW(a, error);
			x->error->code = "internal";
			x->error->message = "carrier API timed out after 10 s";
		}
	}
	return v;
}

static struct proto_frame *bench_frame(void)
{
	struct proto_frame *f = proto_frame_new(PROTO_FRAME_EVENT);
	struct proto_arena *a = f->arena;
	struct proto_event *e = &f->u.event;
	struct proto_conversation *c;

	e->seq = 458;
	e->kind = PROTO_EV_CONV_ASSIGNED;
	PROTO_SET(e, event, kind);
	e->conv = "c-1042";
	e->at = T0 + 900123;
	e->body = PROTO_NEW(a, body);
	e->body->agent = "ana";
	c = e->body->conversation = PROTO_NEW(a, conversation);
	c->id = "c-1042";
	c->state = PROTO_STATE_ASSIGNED;
	c->priority = PROTO_PRIO_HIGH;
	c->channel = PROTO_CHAN_WEB;
	PROTO_SET(c, conversation, channel);
	c->language = "tr";
	c->created_at = T0 + 600000;
	c->queued_at = T0 + 785500;
	c->sla_due_at = T0 + 1385500;
	c->assignee = "ana";
	c->version = 7;
	c->external_id = "shopbot:sess-8f2a91c4";
	c->escalation = bench_escalation(a);
	c->customer = bench_customer(a);
	c->transcript.n = 20;
	c->transcript.v = bench_messages(a, 20);
	c->actions.v = bench_actions(a, &c->actions.n);
	return f;
}

/* ---- timing ---- */

typedef void (*bench_fn)(void *arg);

/* This thread's CPU time, in seconds: on a shared machine, time spent
 * waiting for a core is not the code's, so it is left out. */
static double bench_cpu_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Calls per CPU second of one run of at least bench_min_s. */
static double bench_once(bench_fn fn, void *arg)
{
	double start = bench_cpu_s(), el;
	long n = 0, batch = 1;

	do {
		for (long i = 0; i < batch; i++)
			fn(arg);
		n += batch;
		if (batch < (1L << 20))
			batch *= 2;
		el = bench_cpu_s() - start;
	} while (el < bench_min_s);
	return (double)n / el;
}

/* Best rates of bench_runs runs of each function, the runs of the functions
 * taking turns so that both see the same machine. */
static void bench_rates(bench_fn *fns, void **args, double *best, int nfn)
{
	for (int k = 0; k < nfn; k++) {
		fns[k](args[k]);	/* warm caches and the allocator */
		best[k] = 0;
	}
	for (int r = 0; r < bench_runs; r++) {
		for (int k = 0; k < nfn; k++) {
			double rate = bench_once(fns[k], args[k]);
			if (rate > best[k])
				best[k] = rate;
		}
	}
}

struct bench_buf {
	const char *p;
	size_t n;
	struct strbuf *out;
};

static void run_decode(void *arg)
{
	struct bench_buf *b = arg;
	struct proto_err err;
	struct proto_frame *f = proto_frame_decode(b->p, b->n, PROTO_MAX_FRAME_BYTES, &err);

	if (!f) {
		fprintf(stderr, "bench/proto: the frame stopped decoding: %s\n", err.msg);
		exit(1);
	}
	proto_frame_free(f);
}

static void run_loadb(void *arg)
{
	struct bench_buf *b = arg;
	json_t *j = json_loadb(b->p, b->n, JSON_REJECT_DUPLICATES, NULL);

	if (!j)
		exit(1);
	json_decref(j);
}

static void run_encode(void *arg)
{
	const struct proto_frame *f = arg;
	free(proto_frame_encode(f, NULL));
}

static void run_sanitize(void *arg)
{
	struct bench_buf *b = arg;

	sb_reset(b->out);
	text_sanitize_into(b->out, b->p, b->n);
}

/* ---- the text to sanitize ---- */

static uint64_t bench_rng = 0x9E3779B97F4A7C15u;
static uint32_t rnd(void)
{
	bench_rng ^= bench_rng << 13;
	bench_rng ^= bench_rng >> 7;
	bench_rng ^= bench_rng << 17;
	return (uint32_t)(bench_rng >> 32);
}

/* 64 MB of chat-like text: what a console sanitizes all day. The weights
 * are per piece; main() prints the share of ASCII bytes that results. */
static char *bench_text(size_t n)
{
	static const struct {
		int weight;
		const char *s;
	} pieces[] = {
		{ 400, "Hello, I ordered the trail sneakers last week and they still have not arrived. " },
		{ 300, "Could you please check the tracking number JJD0001234567890 for me? Thanks! " },
		{ 200, "The refund of EUR 29.00 should be back on your card within 3-5 business days.\n" },
		{ 60, "Siparişim iki gün geç geldi ve çoraplar yanlış renkte, ne yapabilirsiniz? " },
		{ 50, "Dzień dobry, chciałbym zwrócić czapkę, była za mała. Żółć, gęślą jaźń. " },
		{ 40, "配達から25日しか経っていません。返品できますか?ありがとうございます。" },
		{ 30, "订单还没到,请帮我查一下物流信息。谢谢! " },
		{ 40, "Great, thanks 👍🙏 see you 😀 " },
		{ 20, "\tname:\tvalue\n" },
		{ 3, "\x1b[2J\x1b[H" },			/* clear screen */
		{ 2, "\x1b]52;c;SGVsbG8=\x07" },	/* OSC 52 clipboard write */
		{ 2, "\xe2\x80\xae" "evil" "\xe2\x80\xac " },	/* RLO ... PDF */
		{ 1, "\xc2\x9b" "31m" },		/* 8-bit CSI */
		{ 1, "\xff\xfe broken " },		/* invalid UTF-8 */
	};
	int total = 0;
	for (size_t i = 0; i < BATON_ARRAY_LEN(pieces); i++)
		total += pieces[i].weight;
	char *buf = xmalloc(n);
	size_t used = 0;
	while (used < n) {
		int r = (int)(rnd() % (uint32_t)total);
		size_t i = 0;
		while (r >= pieces[i].weight)
			r -= pieces[i++].weight;
		size_t k = strlen(pieces[i].s);
		if (k > n - used)
			k = n - used;	/* may cut a character: the sanitizer copes */
		memcpy(buf + used, pieces[i].s, k);
		used += k;
	}
	return buf;
}

int main(int argc, char **argv)
{
	struct proto_frame *built, *f;
	struct proto_err err;
	struct bench_buf b;
	size_t n;
	char *bytes;

	const char *quick = getenv("BENCH_QUICK");
	if ((argc > 1 && strcmp(argv[1], "--quick") == 0) || (quick && *quick && strcmp(quick, "0"))) {
		bench_runs = 1;
		bench_min_s = 0.1;
	}
	if (argc > 1 && strcmp(argv[1], "--quick") != 0 && strcmp(argv[1], "--frame") != 0) {
		fprintf(stderr, "usage: %s [--quick | --frame]\n", argv[0]);
		return 2;
	}
	built = bench_frame();
	bytes = proto_frame_encode(built, &n);
	if (argc > 1 && strcmp(argv[1], "--frame") == 0) {
		fwrite(bytes, 1, n, stdout);
		free(bytes);
		proto_frame_free(built);
		return 0;
	}
	f = proto_frame_decode(bytes, n, PROTO_MAX_FRAME_BYTES, &err);
	if (!f) {
		fprintf(stderr, "bench/proto: the benchmark frame does not decode: %s\n", err.msg);
		return 1;
	}
	const struct proto_conversation *c = f->u.event.body->conversation;
	printf("frame: event conversation.assigned, %zu bytes (%zu messages, %zu orders, %zu actions)\n",
	       n, c->transcript.n, c->customer->orders.n, c->actions.n);
	printf("each figure: best of %d runs of >= %.1f s of this thread's CPU time, one core\n\n",
	       bench_runs, bench_min_s);

	double mb = (double)n / 1e6, rate[3];
	b = (struct bench_buf){ bytes, n, NULL };
	bench_fn fns[3] = { run_decode, run_loadb, run_encode };
	void *args[3] = { &b, &b, f };
	bench_rates(fns, args, rate, 3);
	printf("%-22s %10.0f frames/s %8.1f MB/s\n", "decode+validate", rate[0], rate[0] * mb);
	printf("%-22s %10.0f frames/s %8.1f MB/s\n", "json_loadb (bare)", rate[1], rate[1] * mb);
	double ratio = rate[1] / rate[0];
	printf("%-22s %10.2f          (time of decode+validate over json_loadb; goal <= 1.50: %s)\n",
	       "decode / bare", ratio, ratio <= 1.5 ? "met" : "NOT MET");
	printf("%-22s %10.0f frames/s %8.1f MB/s\n", "encode", rate[2], rate[2] * mb);

	struct strbuf out = STRBUF_INIT;
	char *text = bench_text(SANITIZE_BYTES);
	sb_grow(&out, SANITIZE_BYTES + SANITIZE_BYTES / 4);
	b = (struct bench_buf){ text, SANITIZE_BYTES, &out };
	bench_fn sfn[1] = { run_sanitize };
	void *sarg[1] = { &b };
	double san;
	bench_rates(sfn, sarg, &san, 1);
	san *= SANITIZE_BYTES / 1e6;
	size_t ascii = 0;
	for (size_t i = 0; i < SANITIZE_BYTES; i++)
		ascii += (unsigned char)text[i] < 0x80;
	printf("%-22s %10.1f MB/s        (64 MB of mixed text, %.0f%% ASCII bytes; goal >= 500: %s)\n",
	       "text_sanitize_into", san, 100.0 * (double)ascii / SANITIZE_BYTES, san >= 500 ? "met" : "NOT MET");

	sb_free(&out);
	free(text);
	free(bytes);
	proto_frame_free(f);
	proto_frame_free(built);
	return 0;
}
