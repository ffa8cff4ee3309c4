/* test-console-macro-console.c: the `macro` and `macros` commands inside
 * the console — a single reply becomes a draft; a multi-step macro shows
 * its plan in the confirm dialog and, on yes, runs the very plan shown
 * through the real command handlers; the money step asks its own
 * confirmation; the coupon code fills in when the discount comes back;
 * steps stay on the plan's conversation when the agent switches; --plan for
 * scripts; an executable macro's output shown as a plan.
 *
 * app.c and ui.c are replaced by fakes that record what was asked (as in
 * test-console-cmd.c); cmd.c and the handlers are the real ones. */
#include "baton/macro.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "baton/app.h"
#include "baton/cmd.h"
#include "baton/common.h"
#include "baton/keys.h"
#include "baton/model.h"
#include "baton/proto.h"
#include "baton/ui.h"
#include "../../src/console/cmd-impl.h"
#include "test.h"

/* ---- fakes for app.c and ui.c ---- */

static struct {
	char sent[16][400];	/* "op conv text/args" of each submit */
	int nsent;
	int confirms;		/* money dialogs */
	char confirm_cmd[400];
	int plan_dialogs;
	char plan_title[200];
	char plan_body[2000];
	char plan_cmd[400];
	char draft_conv[80], draft[400];
	char feedback[600];
	bool feedback_ok;
	char *extra;
	int seq;
} rec;

static void rec_reset(void)
{
	free(rec.extra);
	memset(&rec, 0, sizeof rec);
}

int app_submit(struct app *app, const struct cmd_call *call, enum proto_op op, struct proto_args *args,
	       const char *conv, char *err, size_t errlen)
{
	char id[40];
	(void)call;
	(void)err;
	(void)errlen;
	json_t *j = proto_encode(&proto_type_args, args);
	char *s = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
	if (rec.nsent < 16)
		snprintf(rec.sent[rec.nsent], sizeof rec.sent[0], "%s %s %s", proto_op_table[op].name,
			 conv ? conv : "", s);
	rec.nsent++;
	free(s);
	json_decref(j);
	snprintf(id, sizeof id, "cmd-%d", ++rec.seq);
	model_result_add(app->model, id, op, conv ? conv : "", MODEL_RES_SENT, "Sending…", 1);
	return 0;
}

const char *app_conv_for(struct app *app, const char *given, char *err, size_t errlen)
{
	if (given && *given)
		return given;
	if (app->model->sel[0])
		return app->model->sel;
	snprintf(err, errlen, "No conversation selected");
	return NULL;
}

void app_feedback(struct app *app, const struct cmd_call *call, bool ok, const char *text, json_t *extra)
{
	(void)app;
	(void)call;
	rec.feedback_ok = ok;
	snprintf(rec.feedback, sizeof rec.feedback, "%s", text ? text : "");
	if (extra) {
		free(rec.extra);
		rec.extra = json_dumps(extra, JSON_COMPACT);
		json_decref(extra);
	}
}

struct model_conv *app_conv_obj(struct app *app, const char *id)
{
	struct model_conv *c = model_mine_find(app->model, id);
	if (!c && app->model->detail && strcmp(app->model->detail->id, id) == 0)
		c = app->model->detail;
	return c;
}

void app_select(struct app *app, const char *conv)
{
	model_select(app->model, conv);
}

int app_confirm_money(struct app *app, const struct cmd_call *call, unsigned flags, const char *title,
		      const char *body)
{
	(void)app;
	(void)title;
	(void)body;
	if ((flags & APP_RUN_CONFIRMED) || !(flags & APP_RUN_INTERACTIVE))
		return 0;
	rec.confirms++;
	snprintf(rec.confirm_cmd, sizeof rec.confirm_cmd, "%s", call->text);
	return 1;
}

int app_search(struct app *app, const char *text, struct model_hit *hits, size_t max, char *err,
	       size_t errlen)
{
	(void)app;
	(void)text;
	(void)hits;
	(void)max;
	(void)err;
	(void)errlen;
	return 0;
}

void app_quit(struct app *app, int code)
{
	(void)app;
	(void)code;
}

/* app_run as app.c does it: parse, run each command. */
int app_run(struct app *app, const char *cmdline, unsigned flags, char *err, size_t errlen)
{
	struct cmd_line l;
	int rc = 0;

	if (cmd_parse(cmdline, &l, err, errlen) < 0)
		return -1;
	for (size_t i = 0; i < l.n; i++) {
		rc = l.calls[i].def->run(app, &l.calls[i], flags, err, errlen);
		if (rc != 0)
			break;
	}
	cmd_line_free(&l);
	return rc;
}

void app_set_draft(struct app *app, const char *conv, const char *text)
{
	model_set_draft(app->model, conv, text);
	snprintf(rec.draft_conv, sizeof rec.draft_conv, "%s", conv);
	snprintf(rec.draft, sizeof rec.draft, "%s", text);
}

void ui_confirm(struct ui *ui, const char *title, const char *body, const char *cmdline)
{
	(void)ui;
	rec.plan_dialogs++;
	snprintf(rec.plan_title, sizeof rec.plan_title, "%s", title);
	snprintf(rec.plan_body, sizeof rec.plan_body, "%s", body);
	snprintf(rec.plan_cmd, sizeof rec.plan_cmd, "%s", cmdline);
}

struct keys *ui_keys(struct ui *ui) { (void)ui; return NULL; }
int ui_set_theme(struct ui *ui, const char *name, char *err, size_t errlen)
{
	(void)ui;
	(void)name;
	(void)err;
	(void)errlen;
	return 0;
}
void ui_show_help(struct ui *ui) { (void)ui; }
void ui_show_text(struct ui *ui, const char *title, const char *text) { (void)ui; (void)title; (void)text; }
void ui_show_super(struct ui *ui, bool on) { (void)ui; (void)on; }
bool app_has_drafts(const struct app *app) { (void)app; return false; }

/* ---- a model: Ana holds c-1 (and c-2) ---- */

static void apply(struct model *m, const char *fmt, ...) BATON_PRINTF(2, 3);
static void apply(struct model *m, const char *fmt, ...)
{
	struct proto_err perr;
	struct strbuf sb = STRBUF_INIT;
	char err[200];
	va_list ap;

	va_start(ap, fmt);
	sb_vaddf(&sb, fmt, ap);
	va_end(ap);
	struct proto_frame *f = proto_frame_decode(sb.buf, sb.len, 0, &perr);
	if (!f)
		printf("#   frame did not decode: %s\n", perr.msg);
	else
		model_apply_frame(m, f, 1000, err, sizeof err);
	proto_frame_free(f);
	sb_free(&sb);
}

#define CONV(id) \
	"{\"id\":\"" id "\",\"state\":\"assigned\",\"priority\":\"high\",\"channel\":\"web\"," \
	"\"created_at\":\"2026-11-22T03:00:00Z\",\"assignee\":\"ana\",\"version\":3," \
	"\"customer\":{\"id\":\"cu-1\",\"name\":\"Ayşe Yılmaz\",\"tier\":\"gold\",\"orders\":[{\"id\":\"o-5521\"," \
	"\"placed_at\":\"2026-11-12T10:00:00Z\",\"status\":\"shipped\",\"total_minor\":8990,\"currency\":\"EUR\"," \
	"\"carrier\":\"DHL\",\"tracking\":\"JJD0099\",\"items\":[{\"sku\":\"SNK-42\",\"name\":\"Trail runner 42\"," \
	"\"qty\":1,\"price_minor\":8990}]}]},\"actions\":[]}"

static struct model *model_ana(void)
{
	struct model *m = model_new(0);

	apply(m, "{\"type\":\"welcome\",\"v\":1,\"session\":\"s-1\",\"agent\":{\"id\":\"ana\",\"name\":\"Ana\","
	      "\"role\":\"agent\"},\"limits\":{\"discount_percent_max\":15,\"discount_amount_max_minor\":5000,"
	      "\"currency\":\"EUR\",\"max_frame_bytes\":65536,\"max_active\":3},\"head\":0,\"resume\":\"snapshot\"}");
	apply(m, "{\"type\":\"snapshot\",\"upto\":1,\"queue\":[],\"mine\":[" CONV("c-1") "," CONV("c-2") "]}");
	model_select(m, "c-1");
	return m;
}

static int run(struct app *app, const char *line, unsigned flags, char *err, size_t errlen)
{
	err[0] = '\0';
	return app_run(app, line, flags, err, errlen);
}

static int ui_token;

static void test_draft_and_plan(void)
{
	struct app app;
	char err[600];

	rec_reset();
	memset(&app, 0, sizeof app);
	app.model = model_ana();
	app.ui = (struct ui *)&ui_token;
	macro_console_open(&app, "contrib/macros");

	/* One reply: a draft in the compose area, nothing sent. */
	CHECK_INT(run(&app, "macro greeting", APP_RUN_INTERACTIVE, err, sizeof err), 0);
	CHECK_STR(rec.draft_conv, "c-1");
	CHECK(strncmp(rec.draft, "Hi Ayşe, I'm Ana from the support team.", 39) == 0);
	CHECK_INT(rec.nsent, 0);
	CHECK(model_mine_find(app.model, "c-1")->dirty & MODEL_CONV_DRAFT);
	CHECK(!macro_console_busy());

	/* Several steps: the plan in the dialog, nothing run yet. */
	CHECK_INT(run(&app, "macro late-apology", APP_RUN_INTERACTIVE, err, sizeof err), 1);
	CHECK_INT(rec.plan_dialogs, 1);
	CHECK_STR(rec.plan_title, "Run macro late-apology?");
	CHECK(strstr(rec.plan_body, " 2. discount 10% on o-5521 (8.99 EUR) — your cap 15%  [asks to confirm]"));
	CHECK(strstr(rec.plan_body, "| I'm really sorry, Ayşe: order o-5521 should have"));
	CHECK_STR(rec.plan_cmd, "macro late-apology");
	CHECK_INT(rec.nsent, 0);

	/* Yes: the dialog runs the command line again, confirmed. */
	CHECK_INT(run(&app, rec.plan_cmd, APP_RUN_CONFIRMED | APP_RUN_INTERACTIVE, err, sizeof err), 0);
	CHECK_INT(rec.nsent, 1);
	CHECK(strstr(rec.sent[0], "message.send c-1 {\"conv\":\"c-1\",\"text\":\"I'm really sorry, Ayşe: order "
		     "o-5521 should have\\nreached you by now."));
	/* The discount asks for itself. */
	CHECK_INT(rec.confirms, 1);
	CHECK_STR(rec.confirm_cmd, "discount 10% o-5521 late delivery, apology");
	CHECK(macro_console_busy());

	/* Meanwhile the agent looks at another conversation. */
	model_select(app.model, "c-2");
	macro_console_poll(&app, 2000);
	CHECK_INT(rec.nsent, 1);
	/* Yes in the money dialog (it runs on the conversation selected then;
	 * app.c gives it the plan's — here c-1 again). */
	model_select(app.model, "c-1");
	CHECK_INT(run(&app, rec.confirm_cmd, APP_RUN_CONFIRMED | APP_RUN_INTERACTIVE, err, sizeof err), 0);
	model_select(app.model, "c-2");
	CHECK_INT(rec.nsent, 2);
	CHECK(strstr(rec.sent[1], "discount.approve c-1 ") == rec.sent[1]);
	macro_console_poll(&app, 3000);
	CHECK(strstr(rec.feedback, "waiting for the discount to come back") != NULL);
	CHECK_INT(rec.nsent, 2);
	/* The hub applies it. */
	apply(app.model, "{\"type\":\"event\",\"seq\":2,\"kind\":\"action\",\"conv\":\"c-1\",\"at\":"
	      "\"2026-11-22T03:10:00Z\",\"body\":{\"action\":{\"id\":\"a-9\",\"conv\":\"c-1\",\"kind\":\"discount\","
	      "\"status\":\"applied\",\"at\":\"2026-11-22T03:10:00Z\",\"result\":{\"code\":\"BTN-7QX2\","
	      "\"percent\":10}}}}");
	macro_console_poll(&app, 4000);
	CHECK_INT(rec.nsent, 4);
	CHECK(strstr(rec.sent[2], "message.send c-1 ") && strstr(rec.sent[2], "Here is your code: BTN-7QX2."));
	CHECK(strstr(rec.sent[3], "handback c-1 ") && strstr(rec.sent[3], "10% coupon BTN-7QX2"));
	CHECK_STR(app.model->sel, "c-2");	/* the agent's selection is left alone */
	CHECK(!macro_console_busy());
	CHECK(rec.feedback_ok);
	CHECK_STR(rec.feedback, "macro late-apology: 4 steps done");

	/* A run that waits can be stopped. */
	CHECK_INT(run(&app, "macro late-apology", APP_RUN_CONFIRMED | APP_RUN_INTERACTIVE, err, sizeof err), 0);
	CHECK(macro_console_busy());
	CHECK_INT(run(&app, "macro greeting", APP_RUN_INTERACTIVE, err, sizeof err), -1);
	CHECK_STR(err, "macro: macro late-apology is still running; wait for it, or end it with macro --stop");
	CHECK_INT(run(&app, "macro --stop", APP_RUN_INTERACTIVE, err, sizeof err), 0);
	CHECK(!macro_console_busy());
	CHECK(!rec.feedback_ok);
	CHECK_STR(rec.feedback, "macro late-apology stopped after 1 of 4 steps");
	CHECK_INT(run(&app, "macro --stop", APP_RUN_INTERACTIVE, err, sizeof err), -1);
	CHECK_STR(err, "macro --stop: no macro is running");

	/* Errors. */
	CHECK_INT(run(&app, "macro nope", APP_RUN_INTERACTIVE, err, sizeof err), -1);
	CHECK(strstr(err, "macro: there is no macro \"nope\" in contrib/macros") == err);
	CHECK_INT(run(&app, "macro return-label SNK-42", APP_RUN_INTERACTIVE, err, sizeof err), -1);
	CHECK(strstr(err, "needs an answer for {{ask:Reason}}") != NULL);
	CHECK_INT(run(&app, "macro", APP_RUN_INTERACTIVE, err, sizeof err), -1);

	macro_console_close();
	model_free(app.model);
	rec_reset();
}

static void test_headless_plan_and_list(void)
{
	struct app app;
	char err[600];

	rec_reset();
	memset(&app, 0, sizeof app);
	app.model = model_ana();
	app.flags = APP_RUN_HEADLESS;
	macro_console_open(&app, "contrib/macros");
	CHECK_INT(run(&app, "macro --plan late-apology", APP_RUN_HEADLESS, err, sizeof err), 0);
	CHECK_INT(rec.nsent, 0);
	json_error_t je;
	json_t *j = rec.extra ? json_loads(rec.extra, 0, &je) : NULL;
	json_t *plan = json_object_get(j, "plan");
	CHECK_INT(json_array_size(plan), 4);
	CHECK(json_is_true(json_object_get(json_array_get(plan, 1), "money")));
	CHECK(json_is_true(json_object_get(json_array_get(plan, 2), "deferred")));
	CHECK_STR(json_string_value(json_object_get(json_array_get(plan, 3), "kind")), "command");
	json_decref(j);

	CHECK_INT(run(&app, "macros apolog", APP_RUN_HEADLESS, err, sizeof err), 0);
	j = rec.extra ? json_loads(rec.extra, 0, &je) : NULL;
	CHECK_INT(json_array_size(json_object_get(j, "macros")), 1);
	CHECK_STR(json_string_value(json_object_get(json_array_get(json_object_get(j, "macros"), 0), "name")),
		  "late-apology");
	json_decref(j);

	/* Keys from the macro files, under the agent's binds. */
	struct keys *k = keys_new();
	int key;
	char kerr[200];
	macro_console_bind_keys(k);
	CHECK_INT(keys_parse("F3", &key, kerr, sizeof kerr), 0);
	CHECK_STR(keys_lookup(k, key), "macro late-apology");
	CHECK_INT(keys_parse("F1", &key, kerr, sizeof kerr), 0);
	CHECK_STR(keys_lookup(k, key), "macro greeting");
	CHECK(macro_console_key("f2") && strcmp(macro_console_key("f2")->name, "order-status") == 0);
	keys_free(k);
	macro_console_close();
	model_free(app.model);
	rec_reset();
}

static void test_executable(void)
{
	struct app app;
	char err[600], dir[] = "/tmp/baton-macro-console.XXXXXX", *path;
	FILE *f;

	rec_reset();
	CHECK(mkdtemp(dir) != NULL);
	path = xasprintf("%s/check", dir);
	f = fopen(path, "w");
	fputs("#!/bin/sh\n# description: a note and a reply\ngrep -q '\"id\":\"c-1\"' && "
	      "printf '> Looked at {{order.id}} for {{ask:Why}}\\nnote checked by a program\\n'\n", f);
	fclose(f);
	chmod(path, 0700);
	memset(&app, 0, sizeof app);
	app.model = model_ana();
	app.ui = (struct ui *)&ui_token;
	macro_console_open(&app, dir);
	CHECK_INT(run(&app, "macro check \"a refund\"", APP_RUN_INTERACTIVE, err, sizeof err), 0);
	CHECK(macro_console_busy());
	for (int i = 0; i < 500 && macro_console_busy(); i++) {
		usleep(10000);
		macro_console_poll(&app, time_now_ms());
	}
	/* Its output is shown as a plan; nothing ran. */
	CHECK_INT(rec.plan_dialogs, 1);
	CHECK(strstr(rec.plan_body, "| Looked at o-5521 for a refund") != NULL);
	CHECK(strstr(rec.plan_body, "note checked by a program") != NULL);
	CHECK_INT(rec.nsent, 0);
	/* Yes: the plan shown runs (the program is not run again). */
	unlink(path);
	CHECK_INT(run(&app, rec.plan_cmd, APP_RUN_CONFIRMED | APP_RUN_INTERACTIVE, err, sizeof err), 0);
	if (err[0])
		printf("#   %s\n", err);
	CHECK_INT(rec.nsent, 2);
	CHECK(strstr(rec.sent[1], "note.add c-1 ") == rec.sent[1]);

	/* A program that takes its time can be stopped. */
	char *slow = xasprintf("%s/slow", dir);
	f = fopen(slow, "w");
	fputs("#!/bin/sh\nsleep 20\n", f);
	fclose(f);
	chmod(slow, 0700);
	CHECK_INT(run(&app, "macro slow", APP_RUN_INTERACTIVE, err, sizeof err), 0);
	if (err[0])
		printf("#   %s\n", err);
	CHECK(macro_console_busy());
	CHECK_INT(run(&app, "macro --stop", APP_RUN_INTERACTIVE, err, sizeof err), 0);
	CHECK(!macro_console_busy());
	CHECK_STR(rec.feedback, "Macro stopped.");
	unlink(slow);
	free(slow);

	macro_console_close();
	model_free(app.model);
	rmdir(dir);
	free(path);
	rec_reset();
}

static const struct test tests[] = {
	TEST(test_draft_and_plan),
	TEST(test_headless_plan_and_list),
	TEST(test_executable),
};
TEST_MAIN(tests)
