/*
 * test-console-super.c: the supervisor screen's logic and drawing.
 *   - sparklines: levels, bucketing keeps spikes, ASCII fallback, bounds;
 *   - stats frames into ui_super: history replaces, agents upsert (sorted),
 *     approval contexts replace and are sanitized;
 *   - agent rows: presence and figures merged, idle ones flagged first;
 *   - the screen drawn into curses windows (newterm on /dev/null): queue
 *     health, an approval with the customer's history and time left, the
 *     flagged agent, no raw escape from customer text;
 *   - the agent's side: a pending discount says it waits and for how long;
 *     the decision is a system line with the code; an expired one says so.
 */
#include "baton/ui.h"

#include <locale.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "../../src/console/ui/ui-internal.h"
#include "baton/app.h"
#include "baton/common.h"
#include "baton/model.h"
#include "baton/proto.h"
#include "baton/text.h"
#include "test.h"

static int64_t g_now;

static const char *ts(int64_t ago_s)
{
	static char buf[16][TIME_RFC3339_LEN + 1];
	static int i;

	i = (i + 1) % 16;
	time_format_rfc3339(g_now - ago_s * 1000, buf[i]);
	return buf[i];
}

static struct proto_frame *decode(const char *json)
{
	struct proto_err e;
	struct proto_frame *f = proto_frame_decode(json, strlen(json), 0, &e);

	if (!f)
		printf("#   fixture: %s\n", e.msg);
	return f;
}

static void apply(struct model *m, const char *json)
{
	char err[256];
	struct proto_frame *f = decode(json);

	if (!f)
		return;
	if (model_apply_frame(m, f, g_now, err, sizeof(err)) < 0)
		printf("#   apply: %s\n", err);
	proto_frame_free(f);
}

/* A stats frame through the model (sanitized there) and into ui_super, as app.c does. */
static void apply_stats(struct model *m, struct ui_super *s, const char *json)
{
	char err[256];
	struct proto_frame *f = decode(json);

	if (!f)
		return;
	if (model_apply_frame(m, f, g_now, err, sizeof(err)) < 0)
		printf("#   apply: %s\n", err);
	ui_super_apply(s, &f->u.stats);
	proto_frame_free(f);
}

/* ---- sparkline ---- */

static void test_sparkline(void)
{
	int64_t v[60] = { 0, 1, 2, 3, 4, 5, 6, 7 };
	char out[200];

	CHECK_INT(ui_sparkline(v, 8, 8, true, out, sizeof(out)), 8);
	CHECK_STR(out, "▁▂▃▄▅▆▇█");
	CHECK_INT(ui_sparkline(v, 8, 8, false, out, sizeof(out)), 8);
	CHECK_STR(out, "_.:-=+*#");
	/* More cells than samples: one cell a sample. */
	CHECK_INT(ui_sparkline(v, 3, 30, false, out, sizeof(out)), 3);
	CHECK_STR(out, "_=#");
	/* 60 samples in 20 cells: a lone spike survives as the bucket's maximum. */
	memset(v, 0, sizeof(v));
	v[31] = 9;
	CHECK_INT(ui_sparkline(v, 60, 20, false, out, sizeof(out)), 20);
	CHECK_STR(out, "__________#_________");
	/* All zero: the lowest bar everywhere, no division by zero. */
	v[31] = 0;
	CHECK_INT(ui_sparkline(v, 60, 5, true, out, sizeof(out)), 5);
	CHECK_STR(out, "▁▁▁▁▁");
	/* Small values next to a large one still show (never rounded to zero). */
	v[0] = 1000;
	v[1] = 1;
	CHECK_INT(ui_sparkline(v, 2, 2, false, out, sizeof(out)), 2);
	CHECK_STR(out, "#.");
	/* The buffer bounds the output: whole cells only, always terminated. */
	CHECK_INT(ui_sparkline(v, 8, 8, true, out, 8), 2);
	CHECK_INT(strlen(out), 6);
	CHECK_INT(ui_sparkline(v, 0, 8, true, out, sizeof(out)), 0);
	CHECK_STR(out, "");
}

/* ---- the frame into ui_super ---- */

static const char *stats_json(const char *extra)
{
	static char buf[8192];

	snprintf(buf, sizeof(buf),
		 "{\"type\":\"stats\",\"queue\":{\"urgent\":3,\"high\":1,\"normal\":9,\"low\":0},"
		 "\"oldest_wait_s\":754,\"sla_breached\":2,\"agents\":{\"online\":2,\"away\":0,\"offline\":1},"
		 "\"handled_today\":48,\"aht_s\":410,\"sla_breached_today\":14,\"approvals_pending\":1%s}",
		 extra);
	return buf;
}

static void test_apply(void)
{
	struct model *m = model_new(0);
	struct ui_super s;
	char ex[4096];
	const struct ui_super_agent *g;
	const struct proto_approval_ctx *c;

	ui_super_init(&s);
	snprintf(ex, sizeof(ex),
		 ",\"by_reason\":{\"discount_request\":2,\"complaint\":1},"
		 "\"history\":[{\"at\":\"%s\",\"urgent\":1,\"normal\":4},{\"at\":\"%s\",\"urgent\":3,\"normal\":9}],"
		 "\"agent_stats\":[{\"id\":\"ben\",\"status\":\"online\",\"active\":1,\"handled_today\":3,"
		 "\"last_msg_at\":\"%s\"},{\"id\":\"ana\",\"status\":\"online\",\"active\":2,\"handled_today\":5,"
		 "\"last_msg_at\":null}],"
		 "\"approval_ctx\":[{\"approval\":\"ap-1\",\"customer\":\"Zo\\u00eb \\u001b[31mEvil\",\"tier\":\"gold\","
		 "\"order_total_minor\":12999,\"currency\":\"EUR\",\"discounts\":[{\"code\":\"B\",\"percent\":10,"
		 "\"at\":\"%s\"}],\"returns\":[]}]",
		 ts(120), ts(60), ts(30), ts(86400 * 30));
	apply_stats(m, &s, stats_json(ex));
	CHECK(m->stats.valid);
	CHECK_INT(m->stats.queue[PROTO_PRIO_URGENT], 3);
	CHECK_INT(s.nhist, 2);
	CHECK_INT(s.hist[PROTO_PRIO_URGENT][1], 3);
	CHECK_INT(s.hist[PROTO_PRIO_NORMAL][0], 4);
	CHECK_INT(s.sla_breached_today, 14);
	CHECK(s.has_by_reason);
	CHECK_INT(s.by_reason[PROTO_REASON_DISCOUNT_REQUEST], 2);
	CHECK_INT(s.nag, 2);
	CHECK_STR(s.nag ? s.ag[0].id : "", "ana");	/* sorted */
	g = ui_super_agent(&s, "ben");
	CHECK(g && g->active == 1 && g->handled == 3 && g->last_msg_at == g_now - 30000);
	g = ui_super_agent(&s, "ana");
	CHECK(g && g->last_msg_at == 0);
	c = ui_super_ctx(&s, "ap-1");
	CHECK(c != NULL);
	if (c) {
		CHECK(c->customer && !strchr(c->customer, '\x1b'));
		CHECK_STR(c->tier, "gold");
		CHECK_INT(c->discounts.n, 1);
	}
	/* A delta: one agent changes, one is new; no history or contexts: both kept. */
	apply_stats(m, &s, stats_json(",\"agent_stats\":[{\"id\":\"ana\",\"active\":0},{\"id\":\"al\",\"status\":\"away\"}]"));
	CHECK_INT(s.nag, 3);
	CHECK_STR(s.nag == 3 ? s.ag[0].id : "", "al");
	g = ui_super_agent(&s, "ana");
	CHECK(g && g->active == 0 && g->handled == 5);
	g = ui_super_agent(&s, "al");
	CHECK(g && g->status == PROTO_PRES_AWAY);
	CHECK_INT(s.nhist, 2);
	CHECK(ui_super_ctx(&s, "ap-1") != NULL);
	/* Contexts present but empty: the approvals were decided. */
	apply_stats(m, &s, stats_json(",\"approval_ctx\":[]"));
	CHECK(ui_super_ctx(&s, "ap-1") == NULL);
	ui_super_free(&s);
	model_free(m);
}

/* ---- the screen ---- */

struct fixture {
	struct app app;
	struct ui *ui;
	SCREEN *scr;
	FILE *out, *in;
};

static void fixture_open(struct fixture *fx, int rows, int cols)
{
	memset(fx, 0, sizeof(*fx));
	fx->app.model = model_new(0);
	fx->out = fopen("/dev/null", "w");
	fx->in = fopen("/dev/null", "r");
	fx->scr = newterm("xterm-256color", fx->out, fx->in);
	fx->ui = xcalloc(1, sizeof(*fx->ui));
	fx->ui->app = &fx->app;
	fx->ui->now = g_now;
	fx->ui->sup_idle_s = UI_SUPER_IDLE_DEFAULT_S;	/* as ui_new sets it */
	ui_super_init(&fx->ui->sup);
	fx->ui->wsuper = newwin(rows, cols, 0, 0);
}

static void fixture_close(struct fixture *fx)
{
	if (fx->ui->wsuper)
		delwin(fx->ui->wsuper);
	for (int i = 0; i < UI_PANE__COUNT; i++) {
		if (fx->ui->pw[i].title)
			delwin(fx->ui->pw[i].title);
		if (fx->ui->pw[i].body)
			delwin(fx->ui->pw[i].body);
	}
	endwin();
	delscreen(fx->scr);
	fclose(fx->out);
	fclose(fx->in);
	free(fx->ui->ov_title);
	free(fx->ui->ov_text);
	free(fx->ui->ov_cmd);
	ui_super_free(&fx->ui->sup);
	free(fx->ui->sup_rows);
	free(fx->ui->clines);
	for (size_t i = 0; i < fx->ui->ncitems; i++)
		free(fx->ui->citems[i]);
	free(fx->ui->citems);
	free(fx->ui);
	model_free(fx->app.model);
}

/* Row y of w as UTF-8, trailing blanks dropped. */
static const char *row(WINDOW *w, int y)
{
	static char buf[2048];
	wchar_t wb[512];
	int n = mvwinnwstr(w, y, 0, wb, 511);
	size_t len;

	if (n < 0)
		n = 0;
	wb[n] = 0;
	len = wcstombs(buf, wb, sizeof(buf) - 1);
	if (len == (size_t)-1)
		len = 0;
	buf[len] = '\0';
	while (len && buf[len - 1] == ' ')
		buf[--len] = '\0';
	return buf;
}

/* The first row of w containing needle, or -1. */
static int find_row(WINDOW *w, const char *needle)
{
	for (int y = 0; y < getmaxy(w); y++)
		if (strstr(row(w, y), needle))
			return y;
	return -1;
}

static void seed_supervisor(struct model *m, struct ui_super *s)
{
	char *j;

	apply(m, "{\"type\":\"welcome\",\"v\":1,\"session\":\"s-1\",\"agent\":{\"id\":\"sam\",\"name\":\"Sam\","
		 "\"role\":\"supervisor\"},\"limits\":{\"discount_percent_max\":40,\"discount_amount_max_minor\":50000,"
		 "\"currency\":\"EUR\",\"max_frame_bytes\":65536,\"max_active\":5},\"head\":0,\"resume\":\"snapshot\"}");
	j = xasprintf("{\"type\":\"snapshot\",\"upto\":5,\"queue\":[],\"mine\":[],"
		      "\"approvals\":[{\"id\":\"ap-1\",\"conv\":\"c-7\",\"action\":\"act-1\",\"kind\":\"discount\","
		      "\"params\":{\"percent\":30,\"order\":\"o-1001\",\"reason\":\"parcel \\u001b]0;late\\u0007 twice\"},"
		      "\"requested_by\":\"ana\",\"at\":\"%s\",\"state\":\"pending\",\"expires_at\":\"%s\"}],"
		      "\"agents\":[{\"id\":\"ana\",\"name\":\"Ana Lima\",\"role\":\"agent\",\"status\":\"online\","
		      "\"active\":[\"c-7\",\"c-8\"]},{\"id\":\"ben\",\"name\":\"Ben\",\"role\":\"agent\",\"status\":\"online\","
		      "\"active\":[\"c-9\"]},{\"id\":\"cy\",\"name\":\"\\u5f20\\u4f1f\",\"role\":\"agent\",\"status\":\"offline\"}]}",
		      ts(60), ts(-725));
	apply(m, j);
	free(j);
	j = xasprintf(",\"by_reason\":{\"discount_request\":2,\"fraud_claim\":1},"
		      "\"history\":[{\"at\":\"%s\",\"urgent\":0},{\"at\":\"%s\",\"urgent\":1},{\"at\":\"%s\",\"urgent\":3}],"
		      "\"agent_stats\":[{\"id\":\"ana\",\"active\":2,\"handled_today\":5,\"last_msg_at\":\"%s\"},"
		      "{\"id\":\"ben\",\"active\":1,\"handled_today\":7,\"last_msg_at\":\"%s\"}],"
		      "\"approval_ctx\":[{\"approval\":\"ap-1\",\"customer\":\"Zo\\u00eb \\u00dcnal\",\"tier\":\"gold\","
		      "\"order_total_minor\":12999,\"currency\":\"EUR\",\"discounts\":[{\"code\":\"B\",\"percent\":10,"
		      "\"at\":\"2026-03-01T10:00:00Z\"}],\"returns\":[{\"rma\":\"r-1\",\"order\":\"o-0999\","
		      "\"status\":\"refunded\",\"at\":\"2026-04-01T10:00:00Z\"}]}]",
		      ts(180), ts(120), ts(60), ts(900), ts(30));
	apply_stats(m, s, stats_json(j));
	free(j);
}

static void test_rows(void)
{
	struct fixture fx;

	fixture_open(&fx, 30, 120);
	seed_supervisor(fx.app.model, &fx.ui->sup);
	CHECK_INT(ui_super_rows(fx.ui, g_now), 3);
	/* Ana: 2 assigned, quiet 15 min (> 5 min default): flagged, first. */
	CHECK_STR(fx.ui->sup_rows[0].id, "ana");
	CHECK(fx.ui->sup_rows[0].flagged);
	CHECK_INT(fx.ui->sup_rows[0].active, 2);
	CHECK_INT(fx.ui->sup_rows[0].handled, 5);
	CHECK_STR(fx.ui->sup_rows[1].id, "ben");
	CHECK(!fx.ui->sup_rows[1].flagged);
	CHECK_STR(fx.ui->sup_rows[2].id, "cy");	/* offline last */
	/* A higher threshold: nobody idle. */
	fx.ui->sup_idle_s = 3600;
	ui_super_rows(fx.ui, g_now);
	CHECK(!fx.ui->sup_rows[0].flagged);
	/* 0 turns the flag off. */
	fx.ui->sup_idle_s = 0;
	ui_super_rows(fx.ui, g_now);
	CHECK(!fx.ui->sup_rows[0].flagged && !fx.ui->sup_rows[1].flagged);
	fx.ui->sup_idle_s = UI_SUPER_IDLE_DEFAULT_S;
	const struct model_approval *ap[4];
	CHECK_INT(ui_super_pending(fx.ui, ap, 4), 1);
	fixture_close(&fx);
}

static void test_screen(void)
{
	struct fixture fx;
	WINDOW *w;
	int y;

	fixture_open(&fx, 30, 120);
	w = fx.ui->wsuper;
	seed_supervisor(fx.app.model, &fx.ui->sup);
	view_super_draw(fx.ui);
	if (getenv("SHOW"))
		for (int i = 0; i < getmaxy(w); i++)
			printf("# |%s\n", row(w, i));
	CHECK(strstr(row(w, 0), "Supervisor") != NULL);
	y = find_row(w, "urgent");
	CHECK(y >= 0 && strstr(row(w, y), "3") && strstr(row(w, y), "▁▄█"));
	CHECK(y >= 0 && strstr(row(w, y), "oldest wait  12:34"));
	CHECK(find_row(w, "2 now, 14 today") >= 0);
	CHECK(find_row(w, "48 today, AHT 6:50") >= 0);
	CHECK(find_row(w, "discount 2, fraud 1") >= 0);
	CHECK(find_row(w, "Approvals: 1 pending") >= 0);
	y = find_row(w, "ap-1");
	CHECK(y >= 0);
	if (y >= 0) {
		const char *r = row(w, y);
		CHECK(strstr(r, "ana for Zoë Ünal (gold)") != NULL);
		CHECK(strstr(r, "discount 30% on o-1001 (129.99 EUR)") != NULL);
		CHECK(strstr(r, "expires in 12:0") != NULL);
		r = row(w, y + 1);
		CHECK(strstr(r, "discounts: 10% 2026-03-01") != NULL);
		CHECK(strstr(r, "returns: o-0999 refunded") != NULL);
		/* The escape sequence in the agent's reason is a placeholder. */
		CHECK(strstr(r, "parcel ") && !strchr(r, '\x1b') && !strchr(r, '\a'));
	}
	y = find_row(w, "! ana");
	CHECK(y >= 0 && strstr(row(w, y), "15:00 ago"));
	y = find_row(w, " cy ");
	CHECK(y >= 0 && strstr(row(w, y), "张伟") && strstr(row(w, y), "offline"));
	/* 80 columns: the figures move below the sparklines, nothing is lost. */
	delwin(fx.ui->wsuper);
	fx.ui->wsuper = w = newwin(22, 80, 0, 0);
	view_super_draw(fx.ui);
	CHECK(find_row(w, "oldest 12:34") >= 0);
	CHECK(find_row(w, "ap-1") >= 0);
	/* ASCII fallback. */
	fx.ui->ascii = true;
	view_super_draw(fx.ui);
	y = find_row(w, "urgent");
	CHECK(y >= 0 && strstr(row(w, y), "_-#"));
	fixture_close(&fx);
}

/* ---- the agent's side ---- */

static void chat_windows(struct fixture *fx)
{
	fx->ui->pw[UI_PANE_CHAT].title = newwin(1, 120, 0, 0);
	fx->ui->pw[UI_PANE_CHAT].body = newwin(20, 120, 1, 0);
}

static void seed_agent(struct model *m)
{
	char *j;

	apply(m, "{\"type\":\"welcome\",\"v\":1,\"session\":\"s-2\",\"agent\":{\"id\":\"ana\",\"name\":\"Ana\","
		 "\"role\":\"agent\"},\"limits\":{\"discount_percent_max\":15,\"discount_amount_max_minor\":5000,"
		 "\"currency\":\"EUR\",\"max_frame_bytes\":65536,\"max_active\":5},\"head\":0,\"resume\":\"snapshot\"}");
	j = xasprintf("{\"type\":\"snapshot\",\"upto\":5,\"queue\":[],\"mine\":[{\"id\":\"c-7\",\"state\":\"assigned\","
		      "\"priority\":\"high\",\"channel\":\"web\",\"created_at\":\"%s\",\"assignee\":\"ana\",\"version\":3,"
		      "\"customer\":{\"id\":\"cu-1\",\"name\":\"Zoë\"},"
		      "\"transcript\":[{\"id\":\"m-1\",\"conv\":\"c-7\",\"from\":\"customer\",\"kind\":\"public\","
		      "\"text\":\"my parcel is late again\",\"at\":\"%s\"}],"
		      "\"actions\":[{\"id\":\"act-1\",\"conv\":\"c-7\",\"kind\":\"discount\",\"status\":\"pending_approval\","
		      "\"by\":\"ana\",\"at\":\"%s\",\"params\":{\"percent\":30,\"order\":\"o-1001\"}}]}],"
		      "\"approvals\":[{\"id\":\"ap-1\",\"conv\":\"c-7\",\"action\":\"act-1\",\"kind\":\"discount\","
		      "\"params\":{\"percent\":30,\"order\":\"o-1001\"},\"requested_by\":\"ana\",\"at\":\"%s\","
		      "\"state\":\"pending\",\"expires_at\":\"%s\"}]}",
		      ts(600), ts(300), ts(120), ts(120), ts(-780));
	apply(m, j);
	free(j);
	model_select(m, "c-7");
}

static void test_agent_side(void)
{
	struct fixture fx;
	WINDOW *w;
	char *j;
	int y;

	fixture_open(&fx, 10, 120);
	chat_windows(&fx);
	w = fx.ui->pw[UI_PANE_CHAT].body;
	seed_agent(fx.app.model);
	view_chat_draw(fx.ui);
	y = find_row(w, "Discount 30% on o-1001");
	CHECK(y >= 0 && strstr(row(w, y), "waiting for a supervisor's approval (ap-1, expires in 13:00)"));
	/* Approved: a new system line with the code (the action event follows). */
	j = xasprintf("{\"type\":\"event\",\"seq\":6,\"kind\":\"approval.decided\",\"conv\":\"c-7\",\"at\":\"%s\","
		      "\"body\":{\"approval\":{\"id\":\"ap-1\",\"conv\":\"c-7\",\"action\":\"act-1\",\"kind\":\"discount\","
		      "\"params\":{\"percent\":30,\"order\":\"o-1001\"},\"requested_by\":\"ana\",\"at\":\"%s\","
		      "\"state\":\"approved\",\"decided_by\":\"sam\",\"note\":\"loyal customer\",\"decided_at\":\"%s\"},"
		      "\"action\":{\"id\":\"act-1\",\"conv\":\"c-7\",\"kind\":\"discount\",\"status\":\"applied\","
		      "\"at\":\"%s\",\"params\":{\"percent\":30},\"result\":{\"code\":\"BTN-7QX2-KD9F\",\"percent\":30}}}}",
		      ts(5), ts(120), ts(5), ts(5));
	apply(fx.app.model, j);
	free(j);
	view_chat_draw(fx.ui);
	y = find_row(w, "sam approved the discount 30%: code BTN-7QX2-KD9F");
	CHECK(y >= 0 && strstr(row(w, y), "\"loyal customer\""));
	CHECK(find_row(w, "my parcel is late again") < y);	/* at the bottom, after the older lines */
	fixture_close(&fx);

	/* Expired: the hub denies it with nobody's name. */
	fixture_open(&fx, 10, 120);
	chat_windows(&fx);
	w = fx.ui->pw[UI_PANE_CHAT].body;
	seed_agent(fx.app.model);
	j = xasprintf("{\"type\":\"event\",\"seq\":6,\"kind\":\"approval.decided\",\"conv\":\"c-7\",\"at\":\"%s\","
		      "\"body\":{\"approval\":{\"id\":\"ap-1\",\"conv\":\"c-7\",\"action\":\"act-1\",\"kind\":\"discount\","
		      "\"params\":{\"percent\":30},\"requested_by\":\"ana\",\"at\":\"%s\",\"state\":\"denied\","
		      "\"decided_by\":null,\"note\":\"expired\",\"decided_at\":\"%s\"},"
		      "\"action\":{\"id\":\"act-1\",\"conv\":\"c-7\",\"kind\":\"discount\",\"status\":\"denied\","
		      "\"at\":\"%s\",\"params\":{\"percent\":30,\"order\":\"o-1001\"}}}}", ts(1), ts(120), ts(1), ts(1));
	apply(fx.app.model, j);
	free(j);
	view_chat_draw(fx.ui);
	if (getenv("SHOW"))
		for (int i = 0; i < getmaxy(w); i++)
			printf("# |%s\n", row(w, i));
	CHECK(find_row(w, "Discount 30% on o-1001: expired") >= 0);
	CHECK(find_row(w, "The request for a discount 30% expired: no supervisor decided in time") >= 0);
	fixture_close(&fx);

	/* Denied by a supervisor, with a note. */
	fixture_open(&fx, 10, 120);
	chat_windows(&fx);
	w = fx.ui->pw[UI_PANE_CHAT].body;
	seed_agent(fx.app.model);
	j = xasprintf("{\"type\":\"event\",\"seq\":6,\"kind\":\"approval.decided\",\"conv\":\"c-7\",\"at\":\"%s\","
		      "\"body\":{\"approval\":{\"id\":\"ap-1\",\"conv\":\"c-7\",\"action\":\"act-1\",\"kind\":\"discount\","
		      "\"params\":{\"percent\":30},\"requested_by\":\"ana\",\"at\":\"%s\",\"state\":\"denied\","
		      "\"decided_by\":\"sam\",\"note\":\"offer 15%% instead\",\"decided_at\":\"%s\"},"
		      "\"action\":{\"id\":\"act-1\",\"conv\":\"c-7\",\"kind\":\"discount\",\"status\":\"denied\","
		      "\"at\":\"%s\"}}}", ts(1), ts(120), ts(1), ts(1));
	apply(fx.app.model, j);
	free(j);
	view_chat_draw(fx.ui);
	CHECK(find_row(w, "sam denied the discount 30%: \"offer 15% instead\"") >= 0);
	fixture_close(&fx);
}

/* A typed :approve / :deny of a pending approval asks first, saying what
 * happens and the note; anything else runs as typed. */
static void test_confirm(void)
{
	struct fixture fx;

	fixture_open(&fx, 30, 120);
	seed_supervisor(fx.app.model, &fx.ui->sup);
	CHECK(view_super_confirm(fx.ui, "  approve ap-1 loyal customer, twice late"));
	CHECK_INT(fx.ui->ov, UI_OV_CONFIRM);
	CHECK_STR(fx.ui->ov_cmd, "  approve ap-1 loyal customer, twice late");
	CHECK(fx.ui->ov_text && strstr(fx.ui->ov_text, "Approve a 30% discount for Zoë Ünal on o-1001, asked by ana"));
	CHECK(fx.ui->ov_text && strstr(fx.ui->ov_text, "Your note for the agent: \"loyal customer, twice late\""));
	CHECK(view_super_confirm(fx.ui, "deny ap-1"));
	CHECK(fx.ui->ov_text && strstr(fx.ui->ov_text, "The agent is told it was denied."));
	/* Not pending, unknown, a list, another command: not intercepted. */
	CHECK(!view_super_confirm(fx.ui, "approve ap-9"));
	CHECK(!view_super_confirm(fx.ui, "approve ap-1; deny ap-1"));
	CHECK(!view_super_confirm(fx.ui, "approved ap-1"));
	CHECK(!view_super_confirm(fx.ui, "monitor c-7"));
	CHECK(!view_super_confirm(fx.ui, "approve"));
	fixture_close(&fx);
	/* An agent's line goes to the hub, which refuses it in words. */
	fixture_open(&fx, 10, 120);
	seed_agent(fx.app.model);
	CHECK(!view_super_confirm(fx.ui, "approve ap-1"));
	fixture_close(&fx);
}

static const struct test tests[] = {
	TEST(test_sparkline), TEST(test_apply), TEST(test_rows), TEST(test_screen), TEST(test_agent_side),
	TEST(test_confirm),
};

int main(void)
{
	setlocale(LC_ALL, "C.UTF-8");
	g_now = time_now_ms();
	return test_run_(tests, BATON_ARRAY_LEN(tests));
}
