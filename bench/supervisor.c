/*
 * supervisor.c (bench): the cost of the supervisor view at scale — 10,000
 * queued conversations and 1,000 agents.
 *
 *   hub tick      hub_stats_update + the DELTA frame + its encoding, over a
 *                 store seeded with 10,000 queued conversations, 1,000
 *                 agents with 3 assigned conversations each, 10,000
 *                 handbacks and 20,000 agent messages today, 20 pending
 *                 approvals; between ticks a few things happen (5 agent
 *                 messages, 1 handback, 1 new escalation), as in a busy
 *                 second. Goal: under 2 ms.
 *   hub full      the FULL pages a newly connected supervisor gets (once).
 *   console paint view_super_draw + wnoutrefresh + doupdate of a 120x40
 *                 screen (newterm on /dev/null) over a model holding the
 *                 same 10,000 queued conversations, 1,000 agents' presence
 *                 and figures (from the hub's own frames) and 20 approvals;
 *                 the clock moves a second between paints, so timers and
 *                 idle times change as they do live. Goal: under 2 ms.
 *
 * Each figure: median and 99th percentile of wall time over the ticks.
 *
 *   $BUILD/bench/supervisor [--quick]   (--quick or BENCH_QUICK=1: few
 *                                        ticks, to see that it works)
 */
#include "baton/common.h"
#include "baton/hub-stats.h"
#include "baton/hub-store.h"
#include "baton/log.h"
#include "baton/model.h"
#include "baton/proto.h"
#include "baton/ui.h"

#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../src/console/ui/ui-internal.h"

#define NQUEUED    10000
#define NAGENTS    1000
#define NAPPROVALS 20
#define DAY_MS     86400000

static int64_t g_now;

/* This thread's CPU time in microseconds: what the work costs, whatever
 * else the machine runs (wall time is reported beside it). */
static int64_t cpu_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

/* What curses wrote to the terminal (a file): its size. */
static size_t term_bytes(FILE *f)
{
	struct stat sb;

	return fstat(fileno(f), &sb) == 0 ? (size_t)sb.st_size : 0;
}

static void report(const char *what, int64_t *us, int64_t *cpu, size_t n)
{
	qsort(us, n, sizeof(*us), cmp_i64);
	qsort(cpu, n, sizeof(*cpu), cmp_i64);
	printf("%-14s cpu median %6.3f ms  p99 %6.3f ms | wall median %6.3f ms  p99 %6.3f ms  (%zu runs)%s\n",
	       what, (double)cpu[n / 2] / 1000.0, (double)cpu[n * 99 / 100] / 1000.0,
	       (double)us[n / 2] / 1000.0, (double)us[n * 99 / 100] / 1000.0, n,
	       cpu[n / 2] < 2000 ? "" : "   ABOVE the 2 ms goal");
}

static void die(const char *what, struct hub_store *st)
{
	fprintf(stderr, "supervisor: %s: %s\n", what, st ? hub_store_errmsg(st) : "");
	exit(1);
}

static const char *const prio_reason[] = { "fraud_claim", "complaint", "discount_request", "order_problem",
					   "return_dispute", "low_confidence", "customer_request", "other" };

static const char SQL_CONV[] =
	"INSERT INTO conversations(state, priority, channel, created_at, queued_at, sla_due_at, assignee,"
	" customer, escalation, assigned_at, handed_back_at) VALUES (?, ?, 'web', ?, ?, ?, ?, ?, ?, ?, ?)";
static const char SQL_MSG[] =
	"INSERT INTO messages(conv, sender, author, kind, text, at) VALUES (?, ?, ?, 'public', ?, ?)";

static void conv(struct hub_store *st, const char *state, int64_t prio, int64_t created, int64_t sla,
		 const char *assignee, const char *cust, int reason, int64_t assigned, int64_t handed)
{
	char esc[128];

	snprintf(esc, sizeof(esc), "{\"reason\":{\"code\":\"%s\",\"text\":\"late parcel\"},\"summary\":\"x\"}",
		 prio_reason[reason % 8]);
	if (hub_store_exec(st, SQL_CONV, "siiizsssz" "z", state, prio, created, created, sla, assignee, cust, esc,
			   assigned, handed) != 1)
		die("insert conversation", st);
}

static void seed_store(struct hub_store *st, char (*ids)[32])
{
	int64_t day0 = g_now - g_now % DAY_MS;
	char cust[48];

	if (hub_store_begin(st) < 0)
		die("begin", st);
	for (int i = 0; i < 200; i++) {
		snprintf(cust, sizeof(cust), "cu-%d", i);
		char *json = xasprintf("{\"id\":\"%s\",\"name\":\"Customer %d\",\"tier\":\"gold\",\"discounts\":"
				       "[{\"code\":\"A%d\",\"percent\":10,\"at\":\"2026-03-01T00:00:00Z\"}],\"returns\":"
				       "[{\"rma\":\"r-%d\",\"order\":\"o-%d\",\"status\":\"refunded\",\"at\":\"2026-04-01T00:00:00Z\"}]}",
				       cust, i, i, i, i);
		if (hub_store_exec(st, "INSERT INTO customers(id, name, currency, json, updated_at) VALUES (?, ?, 'EUR', ?, 1)",
				   "sss", cust, cust, json) != 1)
			die("insert customer", st);
		free(json);
		char ord[32];
		snprintf(ord, sizeof(ord), "o-%d", i);
		if (hub_store_exec(st, "INSERT INTO orders(id, customer, status, total_minor, currency) VALUES (?, ?, 'delivered', 12999, 'EUR')",
				   "ss", ord, cust) != 1)
			die("insert order", st);
	}
	/* Yesterday's and today's handbacks: 10 per agent today. */
	for (int i = 0; i < NAGENTS * 10; i++) {
		int64_t t = day0 + 60000 + (int64_t)i * 1000;
		conv(st, "handed_back", i % 4, t - 600000, t, ids[i % NAGENTS], NULL, i, t - 400000, t < g_now ? t : g_now - 1);
	}
	/* 3 assigned per agent, each with a few messages by the agent. */
	for (int a = 0; a < NAGENTS; a++)
		for (int k = 0; k < 3; k++) {
			conv(st, "assigned", k % 4, g_now - 900000, g_now + 600000, ids[a], NULL, a + k, g_now - 800000, 0);
			int64_t n = hub_store_last_id(st);
			for (int m = 0; m < 7; m++)
				if (hub_store_exec(st, SQL_MSG, "isssi", n, m % 2 ? "agent" : "customer", m % 2 ? ids[a] : NULL,
						   "a message of ordinary length for the benchmark", g_now - 700000 + m * 60000 - a * 100) != 1)
					die("insert message", st);
		}
	/* The queue: every priority, some past their SLA. */
	for (int i = 0; i < NQUEUED; i++) {
		int64_t created = g_now - (int64_t)(i % 3600) * 1000;
		snprintf(cust, sizeof(cust), "cu-%d", i % 200);
		conv(st, "queued", i % 4, created, created + (i % 5 ? 600000 : 60000), NULL, cust, i, 0, 0);
	}
	/* Pending approvals on assigned conversations. */
	for (int i = 0; i < NAPPROVALS; i++) {
		int64_t c = NAGENTS * 10 + 1 + i * 3;
		if (hub_store_exec(st, "INSERT INTO actions(conv, kind, status, at) VALUES (?, 'discount', 'pending_approval', ?)",
				   "ii", c, g_now) != 1)
			die("insert action", st);
		char *params = xasprintf("{\"percent\":30,\"order\":\"o-%d\",\"reason\":\"late twice\"}", i);
		if (hub_store_exec(st, "INSERT INTO approvals(conv, action, kind, params, requested_by, at, expires_at, state)"
				   " VALUES (?, ?, 'discount', ?, ?, ?, ?, 'pending')", "iisiii", c, hub_store_last_id(st), params,
				   ids[i], g_now, g_now + 900000) != 1)
			die("insert approval", st);
		free(params);
		if (hub_store_exec(st, "UPDATE conversations SET customer = ? WHERE n = ?", "si", "cu-1", c) < 0)
			die("update conversation", st);
	}
	if (hub_store_commit(st) < 0)
		die("commit", st);
}

/* A busy second: 5 agent messages, 1 handback, 1 new escalation. */
static void churn(struct hub_store *st, char (*ids)[32], int tick)
{
	if (hub_store_begin(st) < 0)
		die("begin", st);
	for (int k = 0; k < 5; k++) {
		int a = (tick * 5 + k) % NAGENTS;
		if (hub_store_exec(st, SQL_MSG, "isssi", (int64_t)(NAGENTS * 10 + 1 + a * 3), "agent", ids[a], "hello", g_now) != 1)
			die("insert message", st);
	}
	if (hub_store_exec(st, "UPDATE conversations SET state = 'handed_back', handed_back_at = ? WHERE n = ?", "ii",
			   g_now, (int64_t)(NAGENTS * 10 + 2 + (tick % (NAGENTS * 3 - 2)))) < 0)
		die("handback", st);
	conv(st, "queued", tick % 4, g_now, g_now + 300000, NULL, "cu-1", tick, 0, 0);
	if (hub_store_commit(st) < 0)
		die("commit", st);
}

/* ---- the console ---- */

static void apply(struct model *m, struct ui_super *s, const char *json, size_t len)
{
	struct proto_err e;
	char err[256];
	struct proto_frame *f = proto_frame_decode(json, len, 0, &e);

	if (!f) {
		fprintf(stderr, "supervisor: frame: %s\n", e.msg);
		exit(1);
	}
	if (model_apply_frame(m, f, g_now, err, sizeof(err)) < 0) {
		fprintf(stderr, "supervisor: apply: %s\n", err);
		exit(1);
	}
	if (f->type == PROTO_FRAME_STATS && s)
		ui_super_apply(s, &f->u.stats);
	proto_frame_free(f);
}

static void seed_model(struct model *m, struct ui_super *s, struct hub_stats *hs, char (*ids)[32])
{
	struct strbuf sb = STRBUF_INIT;
	char t[TIME_RFC3339_LEN + 1], e[TIME_RFC3339_LEN + 1];
	static const char *const prio[] = { "urgent", "high", "normal", "low" };

	sb_adds(&sb, "{\"type\":\"welcome\",\"v\":1,\"session\":\"s-1\",\"agent\":{\"id\":\"sam\",\"name\":\"Sam\","
		"\"role\":\"supervisor\"},\"limits\":{\"discount_percent_max\":40,\"discount_amount_max_minor\":50000,"
		"\"currency\":\"EUR\",\"max_frame_bytes\":65536,\"max_active\":5},\"head\":0,\"resume\":\"snapshot\"}");
	apply(m, NULL, sb.buf, sb.len);
	sb_reset(&sb);
	sb_adds(&sb, "{\"type\":\"snapshot\",\"upto\":1,\"queue\":[");
	for (int i = 0; i < NQUEUED; i++) {
		time_format_rfc3339(g_now - (int64_t)(i % 3600) * 1000, t);
		time_format_rfc3339(g_now - (int64_t)(i % 3600) * 1000 + 600000, e);
		sb_addf(&sb, "%s{\"id\":\"c-%d\",\"state\":\"queued\",\"priority\":\"%s\",\"channel\":\"web\","
			"\"created_at\":\"%s\",\"queued_at\":\"%s\",\"sla_due_at\":\"%s\",\"version\":1,"
			"\"escalation\":{\"reason\":{\"code\":\"%s\",\"text\":\"late parcel\"}},"
			"\"customer\":{\"id\":\"cu-%d\",\"name\":\"Customer %d\",\"tier\":\"gold\"}}",
			i ? "," : "", 100000 + i, prio[i % 4], t, t, e, prio_reason[i % 8], i % 200, i % 200);
	}
	sb_adds(&sb, "],\"mine\":[],\"approvals\":[");
	time_format_rfc3339(g_now + 900000, e);
	time_format_rfc3339(g_now, t);
	for (int i = 0; i < NAPPROVALS; i++)
		sb_addf(&sb, "%s{\"id\":\"ap-%d\",\"conv\":\"c-%d\",\"action\":\"act-%d\",\"kind\":\"discount\","
			"\"params\":{\"percent\":30,\"order\":\"o-%d\",\"reason\":\"late twice\"},\"requested_by\":\"%s\","
			"\"at\":\"%s\",\"state\":\"pending\",\"expires_at\":\"%s\"}",
			i ? "," : "", i + 1, NAGENTS * 10 + 1 + i * 3, i + 1, i, ids[i], t, e);
	sb_adds(&sb, "],\"agents\":[");
	for (int a = 0; a < NAGENTS; a++)
		sb_addf(&sb, "%s{\"id\":\"%s\",\"name\":\"Agent %d\",\"role\":\"agent\",\"status\":\"online\","
			"\"active\":[\"c-%d\",\"c-%d\",\"c-%d\"]}", a ? "," : "", ids[a], a,
			NAGENTS * 10 + 1 + a * 3, NAGENTS * 10 + 2 + a * 3, NAGENTS * 10 + 3 + a * 3);
	sb_adds(&sb, "]}");
	apply(m, NULL, sb.buf, sb.len);
	sb_free(&sb);
	/* The figures: the hub's own FULL pages, as a new supervisor gets them. */
	for (size_t page = 0;; page++) {
		struct proto_frame *f = hub_stats_frame(hs, true, page);
		size_t len;
		char *text;
		if (!f)
			break;
		text = proto_frame_encode(f, &len);
		proto_frame_free(f);
		apply(m, s, text, len);
		free(text);
	}
}

int main(int argc, char **argv)
{
	bool quick = (argc > 1 && strcmp(argv[1], "--quick") == 0) || getenv("BENCH_QUICK");
	size_t ticks = quick ? 20 : 600, paints = quick ? 20 : 600;
	char dir[] = "/tmp/bench-supervisor.XXXXXX", path[128], err[256];
	char (*ids)[32] = xcalloc(NAGENTS, sizeof(*ids));
	struct hub_stats_agent *agents = xcalloc(NAGENTS, sizeof(*agents));
	int64_t *us = xcalloc(ticks > paints ? ticks : paints, sizeof(*us));
	int64_t *cpu = xcalloc(ticks > paints ? ticks : paints, sizeof(*cpu)), c0;
	struct hub_store *st;
	struct hub_stats *hs;

	log_init("bench-supervisor", LOG_OFF);
	setlocale(LC_ALL, "C.UTF-8");
	g_now = time_now_ms();
	for (int a = 0; a < NAGENTS; a++) {
		snprintf(ids[a], sizeof(ids[a]), "agent-%04d", a);
		agents[a].id = ids[a];
		agents[a].status = a % 10 ? PROTO_PRES_ONLINE : PROTO_PRES_AWAY;
	}
	if (!mkdtemp(dir))
		die("mkdtemp", NULL);
	snprintf(path, sizeof(path), "%s/hub.db", dir);
	if (!(st = hub_store_open(path, err, sizeof(err)))) {
		fprintf(stderr, "supervisor: %s\n", err);
		return 1;
	}
	if (hub_stats_prepare(st, err, sizeof(err)) < 0) {
		fprintf(stderr, "supervisor: %s\n", err);
		return 1;
	}
	seed_store(st, ids);
	printf("store: %d queued, %d agents (3 assigned each), %d handbacks and %d agent messages today, %d approvals\n",
	       NQUEUED, NAGENTS, NAGENTS * 10, NAGENTS * 3 * 3, NAPPROVALS);

	/* ---- hub ---- */
	hs = hub_stats_new();
	int64_t t0 = time_mono_us();
	if (hub_stats_update(hs, st, agents, NAGENTS, g_now, err, sizeof(err)) < 0) {
		fprintf(stderr, "supervisor: %s\n", err);
		return 1;
	}
	struct proto_frame *f = hub_stats_frame(hs, false, 0);
	proto_frame_free(f);
	printf("%-14s %7.3f ms (the first update after start: today's counters read once)\n", "hub first",
	       (double)(time_mono_us() - t0) / 1000.0);
	size_t bytes = 0, frames = 0;
	for (size_t i = 0; i < ticks; i++) {
		size_t len;
		churn(st, ids, (int)i);
		g_now += 1000;
		t0 = time_mono_us();
		c0 = cpu_us();
		if (hub_stats_update(hs, st, agents, NAGENTS, g_now, err, sizeof(err)) < 0) {
			fprintf(stderr, "supervisor: %s\n", err);
			return 1;
		}
		f = hub_stats_frame(hs, false, 0);
		char *text = proto_frame_encode(f, &len);
		us[i] = time_mono_us() - t0;
		cpu[i] = cpu_us() - c0;
		bytes += len;
		frames++;
		free(text);
		proto_frame_free(f);
	}
	report("hub tick", us, cpu, ticks);
	printf("%-14s %zu bytes a DELTA frame on average\n", "", bytes / frames);
	bytes = 0;
	frames = 0;
	t0 = time_mono_us();
	for (size_t page = 0;; page++) {
		size_t len;
		if (!(f = hub_stats_frame(hs, true, page)))
			break;
		free(proto_frame_encode(f, &len));
		proto_frame_free(f);
		bytes += len;
		frames++;
	}
	printf("%-14s %7.3f ms, %zu frames, %zu bytes (once per new supervisor)\n", "hub full",
	       (double)(time_mono_us() - t0) / 1000.0, frames, bytes);

	/* ---- console ---- */
	struct app app = { 0 };
	char tpath[160];
	snprintf(tpath, sizeof(tpath), "%s/terminal.out", dir);
	FILE *out = fopen(tpath, "w"), *in = fopen("/dev/null", "r");
	SCREEN *scr = newterm("xterm-256color", out, in);
	struct ui *ui = xcalloc(1, sizeof(*ui));

	if (!scr) {
		fprintf(stderr, "supervisor: newterm failed (terminfo for xterm-256color?)\n");
		return 1;
	}
	app.model = model_new(0);
	ui->app = &app;
	ui->sup_idle_s = UI_SUPER_IDLE_DEFAULT_S;
	ui_super_init(&ui->sup);
	seed_model(app.model, &ui->sup, hs, ids);
	ui->wsuper = newwin(40 - 3, 120, 0, 0);
	size_t bytes0 = 0, bytes_tick = 0;
	for (size_t i = 0; i < paints; i++) {
		if (i == 1)
			bytes0 = term_bytes(out);
		ui->now = g_now + (int64_t)i * 1000;
		t0 = time_mono_us();
		c0 = cpu_us();
		view_super_draw(ui);
		wnoutrefresh(ui->wsuper);
		doupdate();
		us[i] = time_mono_us() - t0;
		cpu[i] = cpu_us() - c0;
	}
	bytes_tick = paints > 1 ? (term_bytes(out) - bytes0) / (paints - 1) : 0;
	report("console paint", us, cpu, paints);
	printf("%-14s %zu bytes to the terminal a tick (the clock moved a second; the first paint: %zu)\n",
	       "", bytes_tick, bytes0);
	printf("%-14s model: %zu queued, %zu agents, %zu approvals, %zu agents with figures\n", "",
	       app.model->nqueue, app.model->nagents, app.model->napprovals, ui->sup.nag);

	delwin(ui->wsuper);
	endwin();
	delscreen(scr);
	fclose(out);
	fclose(in);
	unlink(tpath);
	ui_super_free(&ui->sup);
	free(ui->sup_rows);
	free(ui);
	model_free(app.model);
	hub_stats_free(hs);
	hub_store_close(st);
	if (getenv("BENCH_KEEP")) {
		printf("store kept in %s (BENCH_KEEP)\n", path);
	} else {
		for (const char *suf = ""; suf; suf = !*suf ? "-wal" : !strcmp(suf, "-wal") ? "-shm" : NULL) {
			char p[160];
			snprintf(p, sizeof(p), "%s%s", path, suf);
			unlink(p);
		}
		rmdir(dir);
	}
	free(ids);
	free(agents);
	free(us);
	free(cpu);
	return 0;
}
