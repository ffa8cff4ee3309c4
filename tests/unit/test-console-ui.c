/*
 * test-console-ui.c: the real screen on a pseudo-terminal.
 *
 * The test forks itself onto a pty (120x40, xterm-256color), runs the ui
 * over a model filled from protocol frames (with hostile and wide text),
 * and checks from the parent side:
 *   - the raw bytes the terminal receives: no escape sequence, bidi
 *     control or C1 control from customer text, ever;
 *   - the cost of an incoming chat line and of a status change in bytes;
 *   - keys become the right commands (claim, say, :command, paste);
 *   - resizing to 80x24 and back keeps working.
 * The app functions the ui calls are faked here (they log command lines).
 *
 * `test-console-ui --demo` runs the same screen in the current terminal
 * (SIGUSR1 adds a customer message, SIGUSR2 toggles presence), for the
 * tmux regression scripts and for looking at it.
 */
#include "baton/ui.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "baton/app.h"
#include "baton/cmd.h"
#include "baton/common.h"
#include "baton/keys.h"
#include "baton/macro.h"
#include "baton/model.h"
#include "baton/proto.h"
#include "../../src/console/cmd-impl.h"
#include "test.h"

/* ---- fake app ---- */

static struct app *g_app;
static struct strbuf g_runs = STRBUF_INIT;
static char *g_drafts[16][2];

int app_run(struct app *app, const char *cmdline, unsigned flags, char *err, size_t errlen)
{
	(void)app;
	sb_addf(&g_runs, "%s%s|", flags & APP_RUN_CONFIRMED ? "!" : "", cmdline);
	if (strncmp(cmdline, "fail", 4) == 0) {
		snprintf(err, errlen, "fail: no such command");
		return -1;
	}
	if (strcmp(cmdline, "quit") == 0)
		app->quit = true;
	return 0;
}

static const struct cmd_def fake_cmds[] = {
	{ "claim", "[ID|next]", "Take a conversation.", "", CMD_F_CONV, 0, 1, NULL },
	{ "say", "TEXT", "Send TEXT to the customer.", "", CMD_F_CONV | CMD_F_REST, 1, -1, NULL },
	{ "discount", "N%|AMOUNT [ORDER] REASON", "Give a discount.", "", CMD_F_MONEY, 2, -1, NULL },
	{ "quit", "", "Leave baton.", "q", 0, 0, 0, NULL },
};

const struct cmd_def *app_cmd_table(size_t *n)
{
	*n = sizeof(fake_cmds) / sizeof(fake_cmds[0]);
	return fake_cmds;
}

void app_select(struct app *app, const char *conv)
{
	model_select(app->model, conv);
}

void app_set_draft(struct app *app, const char *conv, const char *text)
{
	(void)app;
	for (int i = 0; i < 16; i++)
		if (!g_drafts[i][0] || strcmp(g_drafts[i][0], conv) == 0) {
			free(g_drafts[i][0]);
			free(g_drafts[i][1]);
			g_drafts[i][0] = xstrdup(conv);
			g_drafts[i][1] = text && *text ? xstrdup(text) : NULL;
			return;
		}
}

const char *app_get_draft(const struct app *app, const char *conv)
{
	(void)app;
	for (int i = 0; i < 16; i++)
		if (g_drafts[i][0] && strcmp(g_drafts[i][0], conv) == 0)
			return g_drafts[i][1];
	return NULL;
}

void app_typing(struct app *app, const char *conv, bool on)
{
	(void)app;
	(void)conv;
	(void)on;
}

size_t app_history_older(struct app *app, const char *conv, size_t n)
{
	(void)app;
	(void)conv;
	(void)n;
	return 0;
}

bool app_has_drafts(const struct app *app)
{
	(void)app;
	for (int i = 0; i < 16; i++)
		if (g_drafts[i][1])
			return true;
	return false;
}

size_t app_outbox_pending(const struct app *app)
{
	(void)app;
	return 0;
}

/* The console's macro host (macro-console.c) runs commands through the
 * real app; the screen only asks it these. */
static bool g_macro_busy;
static int g_macro_cancels;

bool macro_console_busy(void)
{
	return g_macro_busy;
}

void macro_console_cancel(void)
{
	g_macro_cancels++;
	g_macro_busy = false;
}

void macro_console_bind_keys(struct keys *k)
{
	char err[200];

	/* As a macro file with `key: F2` would. */
	if (keys_bind(k, "F2", "macro greeting", err, sizeof(err)) < 0)
		fprintf(stderr, "bind F2: %s\n", err);
}

/* The command table (cmd.c, pulled in by the macro picker's template
 * check) points at the macro handlers; they are the host's, not the
 * screen's. */
int macro_cmd_macro(struct app *app, const struct cmd_call *call, unsigned flags, char *err,
		    size_t errlen)
{
	(void)app, (void)call, (void)flags, (void)err, (void)errlen;
	return 0;
}

int macro_cmd_macros(struct app *app, const struct cmd_call *call, unsigned flags, char *err,
		     size_t errlen)
{
	(void)app, (void)call, (void)flags, (void)err, (void)errlen;
	return 0;
}

/* The command handlers (cmd-*.c, pulled in with the command table) call
 * these; with app_run faked above no command runs, so reaching one is a
 * bug in the test. */
static void not_reached(const char *fn)
{
	fprintf(stderr, "test-console-ui: %s called: the fake app_run runs no command\n", fn);
	abort();
}

int app_submit(struct app *app, const struct cmd_call *call, enum proto_op op, struct proto_args *args,
	       const char *conv, char *err, size_t errlen)
{
	(void)app, (void)call, (void)op, (void)args, (void)conv, (void)err, (void)errlen;
	not_reached(__func__);
	return -1;
}

const char *app_conv_for(struct app *app, const char *given, char *err, size_t errlen)
{
	(void)app, (void)given, (void)err, (void)errlen;
	not_reached(__func__);
	return NULL;
}

void app_feedback(struct app *app, const struct cmd_call *call, bool ok, const char *text, json_t *extra)
{
	(void)app, (void)call, (void)ok, (void)text, (void)extra;
	not_reached(__func__);
}

struct model_conv *app_conv_obj(struct app *app, const char *id)
{
	(void)app, (void)id;
	not_reached(__func__);
	return NULL;
}

int app_confirm_money(struct app *app, const struct cmd_call *call, unsigned flags, const char *title,
		      const char *body)
{
	(void)app, (void)call, (void)flags, (void)title, (void)body;
	not_reached(__func__);
	return -1;
}

int app_search(struct app *app, const char *text, struct model_hit *hits, size_t max, char *err,
	       size_t errlen)
{
	(void)app, (void)text, (void)hits, (void)max, (void)err, (void)errlen;
	not_reached(__func__);
	return -1;
}

void app_quit(struct app *app, int code)
{
	(void)app, (void)code;
	not_reached(__func__);
}

/* ---- fixtures ---- */

static char *ts(int64_t ago_s)
{
	static char buf[8][TIME_RFC3339_LEN + 1];
	static int i;

	i = (i + 1) % 8;
	time_format_rfc3339(time_now_ms() - ago_s * 1000, buf[i]);
	return buf[i];
}

#define HOSTILE "\\u001b]0;PWNED\\u0007 \\u202eevil\\u202c \\u009b31m \\u001b[2J"

static void apply(struct model *m, const char *json)
{
	struct proto_err e;
	char err[256];
	struct proto_frame *f = proto_frame_decode(json, strlen(json), 0, &e);

	if (!f) {
		fprintf(stderr, "fixture: %s\n", e.msg);
		_exit(3);
	}
	if (model_apply_frame(m, f, time_now_ms(), err, sizeof(err)) < 0) {
		fprintf(stderr, "fixture: %s\n", err);
		_exit(3);
	}
	proto_frame_free(f);
}

static void fill_model(struct model *m)
{
	struct strbuf sb = STRBUF_INIT;

	sb_addf(&sb, "{\"type\":\"welcome\",\"v\":1,\"session\":\"s-1\",\"agent\":{\"id\":\"ana\","
		"\"name\":\"Ana Kaya\",\"role\":\"agent\"},\"limits\":{\"discount_percent_max\":15,"
		"\"discount_amount_max_minor\":5000,\"currency\":\"EUR\",\"max_frame_bytes\":65536,"
		"\"max_active\":3},\"head\":10,\"resume\":\"snapshot\"}");
	apply(m, sb_str(&sb));
	sb_reset(&sb);
	sb_addf(&sb, "{\"type\":\"snapshot\",\"upto\":10,\"queue\":["
		"{\"id\":\"c-2\",\"state\":\"queued\",\"priority\":\"urgent\",\"channel\":\"whatsapp\","
		"\"language\":\"zh\",\"created_at\":\"%s\",\"queued_at\":\"%s\",\"sla_due_at\":\"%s\","
		"\"version\":1,\"escalation\":{\"reason\":{\"code\":\"fraud_claim\",\"text\":\"card used twice\"},"
		"\"sentiment\":-0.8},\"customer\":{\"id\":\"cu-2\",\"name\":\"王小明\"}},",
		ts(300), ts(300), ts(-60));
	sb_addf(&sb, "{\"id\":\"c-3\",\"state\":\"queued\",\"priority\":\"high\",\"channel\":\"web\","
		"\"language\":\"pl\",\"created_at\":\"%s\",\"queued_at\":\"%s\",\"version\":1,"
		"\"escalation\":{\"reason\":{\"code\":\"return_dispute\"}},"
		"\"customer\":{\"id\":\"cu-3\",\"name\":\"Łukasz Żółć\"}},", ts(200), ts(200));
	sb_addf(&sb, "{\"id\":\"c-4\",\"state\":\"queued\",\"priority\":\"normal\",\"channel\":\"email\","
		"\"language\":\"ja\",\"created_at\":\"%s\",\"queued_at\":\"%s\",\"version\":1,"
		"\"escalation\":{\"reason\":{\"code\":\"order_problem\"},\"sentiment\":0.5},"
		"\"customer\":{\"id\":\"cu-4\",\"name\":\"田中 太郎 😀\"}},", ts(100), ts(100));
	sb_addf(&sb, "{\"id\":\"c-5\",\"state\":\"queued\",\"priority\":\"low\",\"channel\":\"sms\","
		"\"created_at\":\"%s\",\"queued_at\":\"%s\",\"version\":1,"
		"\"customer\":{\"id\":\"cu-5\",\"name\":\"" HOSTILE "\"}}],", ts(50), ts(50));
	sb_addf(&sb, "\"mine\":[{\"id\":\"c-1\",\"state\":\"assigned\",\"priority\":\"high\","
		"\"channel\":\"web\",\"language\":\"tr\",\"created_at\":\"%s\",\"queued_at\":\"%s\","
		"\"assignee\":\"ana\",\"version\":3,\"escalation\":{\"reason\":{\"code\":"
		"\"discount_request\",\"text\":\"wants 20%% off\"},\"confidence\":0.41,\"sentiment\":-0.7,"
		"\"summary\":\"Ayşe ordered trail sneakers (o-5521) that arrived scuffed. She wants 20%% "
		"off or a replacement; the bot offered 10%%.\",\"attempted\":[{\"step\":\"offered 10%% "
		"coupon\",\"outcome\":\"declined\",\"detail\":\"wants 20%%\"},{\"step\":\"sent photo "
		"upload link\",\"outcome\":\"ok\"}]},", ts(900), ts(900));
	sb_addf(&sb, "\"customer\":{\"id\":\"cu-77\",\"name\":\"Ayşe Yılmaz\",\"tier\":\"gold\","
		"\"since\":\"2019-03-02T10:00:00.000Z\",\"lifetime_value_minor\":123400,\"currency\":\"EUR\","
		"\"orders\":[{\"id\":\"o-5521\",\"placed_at\":\"%s\",\"delivered_at\":\"%s\","
		"\"status\":\"delivered\",\"total_minor\":8999,\"currency\":\"EUR\",\"tracking\":\"1Z999\","
		"\"items\":[{\"sku\":\"SNK-9-BLK\",\"name\":\"Trail sneaker, 9, black\",\"qty\":1,"
		"\"price_minor\":8999}]}],\"contacts\":[{\"at\":\"%s\",\"channel\":\"email\","
		"\"summary\":\"asked about sizes\",\"outcome\":\"resolved\"}],\"discounts\":[{\"code\":"
		"\"BTN-OLD1\",\"percent\":5,\"at\":\"%s\"}],\"returns\":[{\"rma\":\"rma-1\",\"order\":"
		"\"o-4000\",\"status\":\"refunded\",\"at\":\"%s\"}]},",
		ts(86400 * 9), ts(86400 * 2), ts(86400 * 90), ts(86400 * 200), ts(86400 * 300));
	sb_addf(&sb, "\"transcript\":["
		"{\"id\":\"m-1\",\"conv\":\"c-1\",\"from\":\"customer\",\"kind\":\"public\",\"text\":"
		"\"Merhaba, ayakkabılarım çizik geldi.\",\"at\":\"%s\"},"
		"{\"id\":\"m-2\",\"conv\":\"c-1\",\"from\":\"bot\",\"kind\":\"public\",\"text\":"
		"\"I can offer 10%% off your next order.\",\"at\":\"%s\"},"
		"{\"id\":\"m-3\",\"conv\":\"c-1\",\"from\":\"customer\",\"kind\":\"public\",\"text\":"
		"\"" HOSTILE " 不要 🙁\",\"at\":\"%s\"},"
		"{\"id\":\"m-4\",\"conv\":\"c-1\",\"from\":\"system\",\"kind\":\"public\",\"text\":"
		"\"Escalated to a person: discount_request\",\"at\":\"%s\"},"
		"{\"id\":\"m-5\",\"conv\":\"c-1\",\"from\":\"agent\",\"author\":\"ana\",\"kind\":\"note\","
		"\"text\":\"Gold customer, photos look genuine.\",\"at\":\"%s\"}"
		"]}],\"approvals\":[]}", ts(800), ts(790), ts(700), ts(650), ts(600));
	apply(m, sb_str(&sb));
	sb_free(&sb);
}

static int g_seq_extra = 100000;

/* --queue N (demo): N more queued conversations, as a snapshot would bring. */
static int g_extra;

static void fill_extra(struct model *m)
{
	static const char *const prio[] = { "urgent", "high", "normal", "low" };

	if (g_extra <= 0)
		return;
	for (int i = 0; i < g_extra; i++) {
		char *json = xasprintf("{\"type\":\"event\",\"seq\":%d,\"kind\":\"conversation.queued\","
				       "\"conv\":\"q-%d\",\"at\":\"%s\",\"body\":{\"conversation\":{\"id\":"
				       "\"q-%d\",\"state\":\"queued\",\"priority\":\"%s\",\"channel\":\"web\","
				       "\"created_at\":\"%s\",\"queued_at\":\"%s\",\"version\":1,\"customer\":"
				       "{\"id\":\"cu-q%d\",\"name\":\"Customer %d\"}}}}",
				       ++g_seq_extra, i, ts(i % 3600), i, prio[i % 4], ts(i % 3600),
				       ts(i % 3600), i, i);
		apply(m, json);
		free(json);
	}
}

static int g_seq = 10, g_msg = 10;

static void add_message(struct model *m, const char *text)
{
	char *json = xasprintf("{\"type\":\"event\",\"seq\":%d,\"kind\":\"message\",\"conv\":\"c-1\","
			       "\"at\":\"%s\",\"body\":{\"message\":{\"id\":\"m-%d\",\"conv\":\"c-1\","
			       "\"from\":\"customer\",\"kind\":\"public\",\"text\":\"%s\",\"at\":\"%s\"}}}",
			       ++g_seq, ts(0), ++g_msg, text, ts(0));
	apply(m, json);
	free(json);
}

/* ---- the child: the screen ---- */

static volatile sig_atomic_t g_usr1, g_usr2;
static void on_usr(int sig)
{
	if (sig == SIGUSR1)
		g_usr1 = 1;
	else
		g_usr2 = 1;
}

static struct ui *start_ui(struct app *app)
{
	char err[256];
	struct ui *ui;

	int64_t t0;

	app->model = model_new(0);
	fill_model(app->model);
	fill_extra(app->model);
	g_app = app;
	t0 = time_mono_us();
	ui = ui_new(app, err, sizeof(err));
	if (!ui) {
		fprintf(stderr, "ui_new: %s\n", err);
		_exit(2);
	}
	model_select(app->model, "c-1");
	model_set_conn(app->model, MODEL_CONN_CONNECTED, 0, NULL);
	ui_tick(ui, time_now_ms());
	ui_render(ui);
	if (g_extra)
		fprintf(stderr, "first paint with %zu queued: %.2f ms (ui_new + tick + render)\n",
			app->model->nqueue, (double)(time_mono_us() - t0) / 1000.0);
	return ui;
}

static int demo(void)
{
	struct app app = { 0 };
	struct ui *ui = start_ui(&app);
	int64_t last = time_now_ms();
	int n = 0;

	signal(SIGUSR1, on_usr);
	signal(SIGUSR2, on_usr);
	while (!app.quit) {
		struct pollfd p = { 0, POLLIN, 0 };
		int r = poll(&p, 1, 200);
		if (r > 0)
			ui_on_input(ui);
		if (g_usr1) {
			char text[64];
			g_usr1 = 0;
			snprintf(text, sizeof(text), "Any news? (%d)", ++n);
			add_message(app.model, text);
		}
		if (g_usr2) {
			g_usr2 = 0;
			app.model->my_status = app.model->my_status == PROTO_PRES_AWAY ?
					       PROTO_PRES_ONLINE : PROTO_PRES_AWAY;
			app.model->dirty |= MODEL_DIRTY_STATUS;
		}
		if (time_now_ms() - last >= 1000) {
			last = time_now_ms();
			ui_tick(ui, last);
		}
		ui_render(ui);
	}
	ui_free(ui);
	model_free(app.model);
	return 0;
}

static char *one_line(const char *s)
{
	struct strbuf sb = STRBUF_INIT;

	for (; s && *s; s++) {
		if (*s == '\n')
			sb_adds(&sb, "\\n");
		else
			sb_addc(&sb, *s);
	}
	if (!sb.buf)
		sb_adds(&sb, "");
	return sb_take(&sb);
}

static void child(int cmd_fd, int ack_fd)
{
	struct app app = { 0 };
	struct ui *ui = start_ui(&app);
	char line[256];
	FILE *cmd = fdopen(cmd_fd, "r");

	dprintf(ack_fd, "ready\n");
	for (;;) {
		/* SIGWINCH (ncurses' handler) interrupts the read: go on. */
		if (!cmd || !fgets(line, sizeof(line), cmd)) {
			if (cmd && ferror(cmd) && errno == EINTR) {
				clearerr(cmd);
				continue;
			}
			break;
		}
		line[strcspn(line, "\n")] = '\0';
		sb_reset(&g_runs);
		if (strcmp(line, "input") == 0) {
			ui_on_input(ui);
		} else if (strncmp(line, "msg ", 4) == 0) {
			add_message(app.model, line + 4);
		} else if (strcmp(line, "away") == 0) {
			app.model->my_status = PROTO_PRES_AWAY;
			app.model->dirty |= MODEL_DIRTY_STATUS;
		} else if (strncmp(line, "theme ", 6) == 0) {
			char err[256] = "";
			if (ui_set_theme(ui, line + 6, err, sizeof(err)) < 0)
				sb_addf(&g_runs, "theme error: %s|", err);
		} else if (strcmp(line, "macro-confirm") == 0) {
			/* A macro's plan waiting for yes, as macro-console.c shows it. */
			g_macro_busy = true;
			ui_confirm(ui, "Run macro late-apology?", "1. say I'm sorry", "macro late-apology");
		} else if (strcmp(line, "resize") == 0) {
			ui_on_resize(ui);
		} else if (strcmp(line, "quit") == 0) {
			break;
		}
		ui_render(ui);
		{
			/* One line per answer: newlines are written as \n. */
			char *r = one_line(sb_str(&g_runs));
			char *d = one_line(app_get_draft(&app, "c-1"));
			dprintf(ack_fd, "cancels=%d sel=%s runs=%s draft=%s\n", g_macro_cancels, app.model->sel, r, d);
			free(r);
			free(d);
		}
	}
	ui_free(ui);
	model_free(app.model);
	_exit(0);
}

/* ---- the parent: the terminal's side ---- */

static int g_master = -1, g_cmd = -1;
static FILE *g_ack;
static struct strbuf g_out = STRBUF_INIT;	/* every byte the terminal got */

/* Reads what the terminal receives until it has been quiet for 100 ms. */
static size_t drain(void)
{
	size_t before = g_out.len;
	char buf[8192];

	for (;;) {
		struct pollfd p = { g_master, POLLIN, 0 };
		ssize_t r;
		if (poll(&p, 1, 100) <= 0)
			break;
		r = read(g_master, buf, sizeof(buf));
		if (r <= 0)
			break;
		sb_add(&g_out, buf, (size_t)r);
	}
	return g_out.len - before;
}

static char g_reply[1024];
#define REPLY_HAS(s) do { if (!strstr(g_reply, s)) { printf("#   reply: %s", g_reply); } CHECK(strstr(g_reply, s) != NULL); } while (0)

/* Sends one command to the child, waits for its answer; returns the bytes
 * the terminal received meanwhile. */
static size_t step(const char *cmd)
{
	size_t n = 0;

	dprintf(g_cmd, "%s\n", cmd);
	/* Keep reading the pty while waiting, so the child never blocks on it. */
	for (;;) {
		struct pollfd p[2] = { { g_master, POLLIN, 0 }, { fileno(g_ack), POLLIN, 0 } };
		if (poll(p, 2, 5000) <= 0) {
			snprintf(g_reply, sizeof(g_reply), "timeout");
			return n;
		}
		if (p[0].revents & POLLIN) {
			char buf[8192];
			ssize_t r = read(g_master, buf, sizeof(buf));
			if (r > 0) {
				sb_add(&g_out, buf, (size_t)r);
				n += (size_t)r;
			}
		}
		if (p[1].revents & (POLLIN | POLLHUP)) {
			if (!fgets(g_reply, sizeof(g_reply), g_ack)) {
				/* The screen died: show what it last wrote (a
				 * sanitizer's report goes to the pty). */
				size_t from;
				snprintf(g_reply, sizeof(g_reply), "eof");
				drain();
				from = g_out.len > 3000 ? g_out.len - 3000 : 0;
				printf("# the screen process ended; its last output:\n# %.*s\n",
				       (int)(g_out.len - from), g_out.buf + from);
			}
			break;
		}
	}
	return n + drain();
}

static void keys_in(const char *bytes)
{
	if (write(g_master, bytes, strlen(bytes)) < 0)
		printf("# write: %s\n", strerror(errno));
	usleep(60000);	/* past ESCDELAY, so a lone Esc is Esc */
}

static bool has(const char *hay, size_t n, const char *needle)
{
	return memmem(hay, n, needle, strlen(needle)) != NULL;
}

static size_t g_paint_from;

static void test_first_paint(void)
{
	const char *o = g_out.buf + g_paint_from;
	size_t n = g_out.len - g_paint_from;

	CHECK(n > 2000);
	/* What the customer wrote reaches the terminal only as placeholders. */
	CHECK(!has(o, n, "\033]0;"));
	CHECK(!has(o, n, "PWNED\a"));
	CHECK(!has(o, n, "\xe2\x80\xae"));	/* U+202E */
	CHECK(!has(o, n, "\xe2\x80\xac"));	/* U+202C */
	CHECK(!has(o, n, "\xc2\x9b"));		/* U+009B CSI */
	CHECK(has(o, n, "\xe2\x90\x9b"));	/* ␛ */
	CHECK(has(o, n, "\xe2\xb8\xae"));	/* ⸮ for the bidi controls */
	/* Names, wide text and context are there. */
	CHECK(has(o, n, "Ay\xc5\x9f" "e Y\xc4\xb1lmaz"));
	CHECK(has(o, n, "\xe7\x8e\x8b"));	/* 王 */
	CHECK(has(o, n, "\xc5\x81ukasz"));
	CHECK(has(o, n, "\xf0\x9f\x98\x80"));	/* 😀 */
	CHECK(has(o, n, "offered 10% coupon"));
	CHECK(has(o, n, "Bot's summary"));
	/* Bracketed paste is switched on. */
	CHECK(has(g_out.buf, g_out.len, "\033[?2004h"));
}

static size_t g_msg_bytes, g_status_bytes;

static void test_incoming_message(void)
{
	const char *text = "Where is my parcel? It has been nine days now.";
	char cmd[128];
	size_t from = g_out.len, n;

	snprintf(cmd, sizeof(cmd), "msg %s", text);
	n = step(cmd);
	g_msg_bytes = n;
	printf("# incoming chat line: %zu bytes for a %zu-byte message\n", n, strlen(text));
	CHECK(has(g_out.buf + from, g_out.len - from, text));
	/* Drawn by scrolling, not by repainting the pane: the goal of issue 4
	 * (b) is the message's length + 64 bytes (tmux-256color, the bench's
	 * terminal); xterm-256color's sgr0 and sgr start with "ESC ( B", 2
	 * bytes more each. */
	CHECK(n <= strlen(text) + 64 + 4);
	/* The terminal scrolled a region: csr was used. */
	CHECK(has(g_out.buf + from, g_out.len - from, "r"));
}

static void test_status_change(void)
{
	size_t from = g_out.len, n = step("away");

	g_status_bytes = n;
	printf("# status change (online -> away): %zu bytes\n", n);
	CHECK(has(g_out.buf + from, g_out.len - from, "away"));
	/* The goal: at most 16 bytes, i.e. a cursor move and the word. */
	CHECK(n <= 16);
}

static void test_keys(void)
{
	/* j moves the selection to the next row (the first queued: c-2). */
	keys_in("j");
	step("input");
	REPLY_HAS("sel=c-2 ");
	/* Enter claims the selected queued conversation. */
	keys_in("\r");
	step("input");
	REPLY_HAS("runs=claim c-2|");
	/* k back to mine; c, type, Enter sends (quoted for the : language). */
	keys_in("k");
	step("input");
	REPLY_HAS("sel=c-1 ");
	keys_in("c");
	keys_in("merhaba \xc5\x9f; \"ok\"");
	step("input");
	REPLY_HAS("draft=merhaba \xc5\x9f; \"ok\"");
	keys_in("\r");
	step("input");
	REPLY_HAS("runs=say \"merhaba \xc5\x9f; \\\"ok\\\"\"|");
	/* Readline keys: ctrl-a, ctrl-k, meta-b, ctrl-w. */
	keys_in("hello big world");
	keys_in("\x1b" "b");	/* meta-b: before "world" */
	keys_in("\x17");	/* ctrl-w: deletes "big " */
	step("input");
	REPLY_HAS("draft=hello world");
	keys_in("\x01\x0b");	/* ctrl-a ctrl-k: empty */
	step("input");
	REPLY_HAS("draft=\n");
	/* A multi-line paste asks first; y puts it in, Enter sends it. */
	keys_in("\x1b[200~line one\rline two\x1b[201~");
	step("input");
	REPLY_HAS("draft=\n");
	keys_in("y");
	step("input");
	REPLY_HAS("draft=line one\\nline two\n");
	keys_in("\r");
	step("input");
	REPLY_HAS("runs=say \"line one\\nline two\"|");
	/* A paste never answers a dialog: "y" pasted into the paste
	 * question is ignored, the question stays. */
	keys_in("\x1b[200~x\ry\x1b[201~");
	step("input");
	keys_in("\x1b[200~y\x1b[201~");
	step("input");
	REPLY_HAS("draft=\n");
	keys_in("n");
	step("input");
	REPLY_HAS("draft=\n");
	/* meta-Enter is a new line, not send. */
	keys_in("a\x1b\rb");
	step("input");
	keys_in("\x1b");	/* Esc leaves compose, the draft stays */
	step("input");
	REPLY_HAS("runs= ");
	/* : runs a command line; an error becomes feedback, not a crash. */
	keys_in(":discount 10% goodwill\r");
	step("input");
	REPLY_HAS("runs=discount 10% goodwill|");
	keys_in(":fail now\r");
	step("input");
	REPLY_HAS("runs=fail now|");
	/* q with an unsent draft asks; n keeps running, q then y quits. */
	keys_in("q");
	step("input");
	REPLY_HAS("runs= ");
	keys_in("n");
	step("input");
	REPLY_HAS("runs= ");
	/* A macro's key (bound by the macro host before the binds file). */
	keys_in("\x1bOQ");	/* F2 */
	step("input");
	REPLY_HAS("runs=macro greeting|");
	/* No to a macro's plan ends the run; yes runs it confirmed. */
	step("macro-confirm");
	keys_in("n");
	step("input");
	REPLY_HAS("cancels=1 ");
	REPLY_HAS("runs= ");
	step("macro-confirm");
	keys_in("y");
	step("input");
	REPLY_HAS("cancels=1 ");
	REPLY_HAS("runs=!macro late-apology|");
	/* ? opens help and q closes it without quitting. The guide for a new
	 * agent comes first, before the key list. */
	{
		size_t from = g_out.len;
		const char *guide, *keys;
		keys_in("?");
		step("input");
		guide = memmem(g_out.buf + from, g_out.len - from, "From queue to handback", 22);
		keys = memmem(g_out.buf + from, g_out.len - from, "Keys (change them", 17);
		CHECK(guide != NULL);
		CHECK(keys != NULL);
		CHECK(guide && keys && guide < keys);
	}
	keys_in("q");
	step("input");
	REPLY_HAS("runs= ");
}

/* The context pane scrolls to the orders and the customer's history. */
static void test_context(void)
{
	size_t from = g_out.len;

	keys_in("3");
	keys_in("G");
	step("input");
	CHECK(has(g_out.buf + from, g_out.len - from, "rma-1"));
	CHECK(has(g_out.buf + from, g_out.len - from, "BTN-OLD1"));
	keys_in("g");
	for (int i = 0; i < 9; i++)
		keys_in("j");
	step("input");
	CHECK(has(g_out.buf + from, g_out.len - from, "Trail sneaker"));
	CHECK(has(g_out.buf + from, g_out.len - from, "SNK-9-BLK"));
	keys_in("1");
	step("input");
}

/* Switching themes repaints in the new colours; mono has none. */
static void test_theme(void)
{
	size_t from = g_out.len;

	step("theme day");
	CHECK(has(g_out.buf + from, g_out.len - from, "48;5;255m"));
	from = g_out.len;
	step("theme mono");
	CHECK(g_out.len - from > 500);
	CHECK(!has(g_out.buf + from, g_out.len - from, "38;5;"));
	CHECK(!has(g_out.buf + from, g_out.len - from, "48;5;"));
	step("theme ../../etc/passwd");
	REPLY_HAS("runs=theme error: \"../../etc/passwd\" is not a theme name");
	step("theme night");
	REPLY_HAS("runs= ");
}

/* Scrolled back, a new message does not move the view; End returns. */
static void test_scrollback(void)
{
	size_t from;

	for (int i = 0; i < 30; i++) {
		char cmd[64];
		snprintf(cmd, sizeof(cmd), "msg filler line %d", i);
		step(cmd);
	}
	keys_in("2");
	for (int i = 0; i < 5; i++)
		keys_in("k");
	from = g_out.len;
	step("input");
	CHECK(has(g_out.buf + from, g_out.len - from, "scrolled back"));
	CHECK(!has(g_out.buf + from, g_out.len - from, "filler line 29"));
	from = g_out.len;
	step("msg UNSEEN-WHILE-SCROLLED");
	CHECK(!has(g_out.buf + from, g_out.len - from, "UNSEEN-WHILE-SCROLLED"));
	from = g_out.len;
	keys_in("G");
	step("input");
	CHECK(has(g_out.buf + from, g_out.len - from, "UNSEEN-WHILE-SCROLLED"));
	keys_in("1");
	step("input");
}

static void test_resize(void)
{
	struct winsize ws = { 24, 80, 0, 0 };
	size_t from;

	ioctl(g_master, TIOCSWINSZ, &ws);
	step("resize");
	from = g_out.len;
	keys_in("j");
	step("input");
	CHECK(strstr(g_reply, " sel=") != NULL);
	ws.ws_row = 40;
	ws.ws_col = 120;
	ioctl(g_master, TIOCSWINSZ, &ws);
	from = g_out.len;
	step("resize");
	CHECK(g_out.len - from > 1000);	/* repainted */
	ws.ws_row = 8;
	ws.ws_col = 30;
	ioctl(g_master, TIOCSWINSZ, &ws);
	from = g_out.len;
	step("resize");
	CHECK(has(g_out.buf + from, g_out.len - from, "needs at least"));
	ws.ws_row = 40;
	ws.ws_col = 120;
	ioctl(g_master, TIOCSWINSZ, &ws);
	step("resize");
	CHECK(strstr(g_reply, " sel=") != NULL);
}

static void test_never_raw(void)
{
	/* Over the whole session. */
	CHECK(!has(g_out.buf, g_out.len, "\033]0;"));
	CHECK(!has(g_out.buf, g_out.len, "\xe2\x80\xae"));
	CHECK(!has(g_out.buf, g_out.len, "\xc2\x9b"));
}

static pid_t g_pid;

/* Quitting restores the terminal: bracketed paste off, the screen left. */
/* ctrl-z: the terminal is given back (bracketed paste off, the screen
 * left) and taken again (paste on, everything repainted). The child is a
 * session leader on its own pty, an orphaned process group, so the kernel
 * drops the stop and the suspend returns at once: what is checked is the
 * way out and back in. Needs the `suspend` action in keys.c. */
static void test_suspend(void)
{
	size_t from = g_out.len, n;

	if (!keys_action_find("suspend")) {
		printf("# ctrl-z: keys.c has no suspend action yet; not checked\n");
		return;
	}
	keys_in("\x1a");	/* ctrl-z */
	n = step("input");
	REPLY_HAS("runs= ");
	CHECK(has(g_out.buf + from, g_out.len - from, "\033[?2004l"));
	CHECK(has(g_out.buf + from, g_out.len - from, "\033[?2004h"));
	/* Repainted whole: the customer's name and the status bar again. */
	CHECK(has(g_out.buf + from, g_out.len - from, "Ay\xc5\x9f" "e Y\xc4\xb1lmaz"));
	CHECK(n > 1000);
}

static void test_quit(void)
{
	int status = -1;

	dprintf(g_cmd, "quit\n");
	drain();
	CHECK(waitpid(g_pid, &status, 0) == g_pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	CHECK(has(g_out.buf, g_out.len, "\033[?2004l"));
}

static const struct test tests[] = {
	TEST(test_first_paint), TEST(test_incoming_message), TEST(test_status_change),
	TEST(test_keys), TEST(test_context), TEST(test_theme), TEST(test_scrollback), TEST(test_resize), TEST(test_never_raw), TEST(test_suspend),
	TEST(test_quit),
};

int main(int argc, char **argv)
{
	int cmdp[2], ackp[2], status = 0, rc;
	struct winsize ws = { 40, 120, 0, 0 };
	pid_t pid;

	setenv("LANG", "C.UTF-8", 1);
	setenv("LC_ALL", "C.UTF-8", 1);
	if (argc > 1 && strcmp(argv[1], "--demo") == 0) {
		if (argc > 3 && strcmp(argv[2], "--queue") == 0)
			g_extra = atoi(argv[3]);
		return demo();
	}
	setenv("TERM", "xterm-256color", 1);
	setenv("XDG_CONFIG_HOME", "/nonexistent-baton-test", 1);
	unsetenv("NO_COLOR");
	unsetenv("TMUX");
	if (pipe(cmdp) < 0 || pipe(ackp) < 0)
		return 1;
	/* A dead child must fail the tests, not kill the parent. */
	signal(SIGPIPE, SIG_IGN);
	pid = forkpty(&g_master, NULL, NULL, &ws);
	if (pid < 0) {
		printf("1..0 # SKIP no pseudo-terminal: %s\n", strerror(errno));
		return 0;
	}
	if (pid == 0) {
		close(cmdp[1]);
		close(ackp[0]);
		child(cmdp[0], ackp[1]);
	}
	close(cmdp[0]);
	close(ackp[1]);
	g_cmd = cmdp[1];
	g_ack = fdopen(ackp[0], "r");
	/* The first paint happens before "ready". */
	g_paint_from = 0;
	{
		char line[64];
		for (;;) {
			struct pollfd p[2] = { { g_master, POLLIN, 0 }, { ackp[0], POLLIN, 0 } };
			if (poll(p, 2, 5000) <= 0)
				break;
			if (p[0].revents & POLLIN) {
				char buf[8192];
				ssize_t r = read(g_master, buf, sizeof(buf));
				if (r > 0)
					sb_add(&g_out, buf, (size_t)r);
			}
			if (p[1].revents & (POLLIN | POLLHUP)) {
				if (!fgets(line, sizeof(line), g_ack))
					line[0] = '\0';
				break;
			}
		}
		drain();
		if (strncmp(line, "ready", 5) != 0) {
			printf("not ok 1 - the screen started (%.*s)\n1..1\n", 200, g_out.buf ? g_out.buf : "");
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
			return 1;
		}
	}
	g_pid = pid;
	rc = test_run_(tests, sizeof(tests) / sizeof(tests[0]));
	(void)status;
	return rc;
}
