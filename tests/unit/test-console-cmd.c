/* test-console-cmd.c: the command language — the parser (quoting, ';',
 * escapes, prefixes, errors with usage), money and item arguments, cmd ids,
 * and every command's handler: what it sends to the hub (op and args) or
 * what it does locally, and the confirmation a money command asks for.
 *
 * The handlers' services from app.c are replaced here by fakes that record
 * what was asked, so this test needs no network, store or screen. */
#include "baton/cmd.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "baton/app.h"
#include "baton/common.h"
#include "baton/macro.h"
#include "baton/model.h"
#include "baton/proto.h"
#include "baton/ui.h"
#include "../../src/console/cmd-impl.h"
#include "test.h"

/* ---- fakes for app.c and ui.c ---- */

static struct {
	int submits;
	int op;
	char conv[80];
	char *args;		/* JSON of the last args */
	int feedbacks;
	bool feedback_ok;
	char feedback[400];
	char *feedback_extra;
	int confirms;
	char confirm_body[1500];
	bool quit;
	char selected[80];
} rec;

static void rec_reset(void)
{
	free(rec.args);
	free(rec.feedback_extra);
	memset(&rec, 0, sizeof rec);
	rec.op = -1;
}

int app_submit(struct app *app, const struct cmd_call *call, enum proto_op op, struct proto_args *args,
	       const char *conv, char *err, size_t errlen)
{
	(void)app;
	(void)call;
	(void)err;
	(void)errlen;
	json_t *j = proto_encode(&proto_type_args, args);
	rec.submits++;
	rec.op = op;
	snprintf(rec.conv, sizeof rec.conv, "%s", conv ? conv : "");
	free(rec.args);
	rec.args = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(j);
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
	rec.feedbacks++;
	rec.feedback_ok = ok;
	snprintf(rec.feedback, sizeof rec.feedback, "%s", text);
	free(rec.feedback_extra);
	rec.feedback_extra = extra ? json_dumps(extra, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	json_decref(extra);
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
	snprintf(rec.selected, sizeof rec.selected, "%s", conv);
	model_select(app->model, conv);
}

int app_confirm_money(struct app *app, const struct cmd_call *call, unsigned flags, const char *title,
		      const char *body)
{
	(void)app;
	(void)call;
	(void)title;
	if ((flags & APP_RUN_CONFIRMED) || !(flags & APP_RUN_INTERACTIVE))
		return 0;
	rec.confirms++;
	snprintf(rec.confirm_body, sizeof rec.confirm_body, "%s", body);
	return 1;
}

int app_search(struct app *app, const char *text, struct model_hit *hits, size_t max, char *err,
	       size_t errlen)
{
	(void)app;
	(void)err;
	(void)errlen;
	if (max < 1)
		return 0;
	memset(hits, 0, sizeof *hits);
	snprintf(hits[0].conv, sizeof hits[0].conv, "c-1");
	snprintf(hits[0].msg_id, sizeof hits[0].msg_id, "m-1");
	snprintf(hits[0].snippet, sizeof hits[0].snippet, "[%s]", text);
	return 1;
}

void app_quit(struct app *app, int code)
{
	(void)app;
	(void)code;
	rec.quit = true;
}

/* The macro commands are macro-console.c's (tested with the macros). */
int macro_cmd_macro(struct app *app, const struct cmd_call *call, unsigned flags, char *err, size_t errlen)
{
	(void)app; (void)call; (void)flags; (void)err; (void)errlen;
	return 0;
}
int macro_cmd_macros(struct app *app, const struct cmd_call *call, unsigned flags, char *err, size_t errlen)
{
	(void)app; (void)call; (void)flags; (void)err; (void)errlen;
	return 0;
}

struct keys *ui_keys(struct ui *ui) { (void)ui; return NULL; }
int ui_set_theme(struct ui *ui, const char *name, char *err, size_t errlen)
{
	(void)ui; (void)name; (void)err; (void)errlen;
	return 0;
}
void ui_show_help(struct ui *ui) { (void)ui; }
void ui_show_text(struct ui *ui, const char *title, const char *text) { (void)ui; (void)title; (void)text; }
void ui_show_super(struct ui *ui, bool on) { (void)ui; (void)on; }
bool app_has_drafts(const struct app *app) { (void)app; return false; }
void ui_confirm(struct ui *ui, const char *title, const char *body, const char *cmdline)
{
	(void)ui; (void)title; (void)body; (void)cmdline;
}

/* ---- fixtures ---- */

#define T0 "2026-11-22T03:00:00.000Z"

static void put(struct model *m, const char *json)
{
	struct proto_arena *a = proto_arena_new();
	struct proto_conversation *c = PROTO_NEW(a, conversation);
	struct proto_err perr;
	json_t *j = json_loads(json, 0, NULL);

	if (!j || proto_decode(a, &proto_type_conversation, j, c, "", &perr) < 0)
		printf("# fixture does not decode: %s\n", j ? perr.msg : "json");
	else
		model_put_conversation(m, c, false);
	json_decref(j);
	proto_arena_free(a);
}

static struct app *new_app(void)
{
	static struct app app;
	static struct proto_agent me = { .id = "ana", .name = "Ana", .role = PROTO_ROLE_AGENT };
	static struct proto_limits lim = { .discount_percent_max = 15, .discount_amount_max_minor = 5000,
					   .currency = "EUR", .max_frame_bytes = 65536, .max_active = 3 };

	rec_reset();
	memset(&app, 0, sizeof app);
	app.model = model_new(0);
	app.model->me = &me;
	app.model->limits = &lim;
	app.flags = APP_RUN_HEADLESS;
	put(app.model, "{\"id\":\"c-1\",\"state\":\"assigned\",\"priority\":\"high\",\"channel\":\"web\","
	    "\"created_at\":\"" T0 "\",\"assignee\":\"ana\",\"version\":2,"
	    "\"customer\":{\"id\":\"cu-1\",\"name\":\"Ay\\u015fe Y\\u0131lmaz\",\"orders\":[{\"id\":\"o-1\","
	    "\"placed_at\":\"" T0 "\",\"status\":\"delivered\",\"total_minor\":10999,\"currency\":\"EUR\","
	    "\"items\":[{\"sku\":\"S1\",\"name\":\"Sneaker\",\"qty\":1,\"price_minor\":8999},"
	    "{\"sku\":\"S2\",\"name\":\"Socks\",\"qty\":2,\"price_minor\":1000}]}]}}");
	put(app.model, "{\"id\":\"c-2\",\"state\":\"assigned\",\"priority\":\"low\",\"channel\":\"sms\","
	    "\"created_at\":\"" T0 "\",\"assignee\":\"ana\",\"version\":2}");
	put(app.model, "{\"id\":\"c-q1\",\"state\":\"queued\",\"priority\":\"normal\",\"channel\":\"web\","
	    "\"created_at\":\"" T0 "\",\"version\":1}");
	put(app.model, "{\"id\":\"c-q0\",\"state\":\"queued\",\"priority\":\"urgent\",\"channel\":\"web\","
	    "\"created_at\":\"" T0 "\",\"version\":1}");
	model_select(app.model, "c-1");
	return &app;
}

static void free_app(struct app *app)
{
	app->model->me = NULL;
	app->model->limits = NULL;
	model_free(app->model);
	rec_reset();
}

/* Parses and runs one command line like app_run; returns the last rc. */
static int run(struct app *app, unsigned flags, char *err, size_t errlen, const char *line)
{
	struct cmd_line l;
	int rc = 0;

	err[0] = '\0';
	if (cmd_parse(line, &l, err, errlen) < 0)
		return -1;
	for (size_t i = 0; i < l.n && rc == 0; i++)
		rc = l.calls[i].def->run(app, &l.calls[i], flags, err, errlen);
	cmd_line_free(&l);
	return rc;
}

#define RUN_OK(app, line) do { \
	char e_[600]; \
	int r_ = run((app), APP_RUN_HEADLESS, e_, sizeof e_, (line)); \
	if (r_ != 0) { printf("#   %s:%d: \"%s\" failed: %s\n", __FILE__, __LINE__, (line), e_); test_failed_ = 1; } \
} while (0)

/* The command fails and its error contains want. */
#define RUN_ERR(app, line, want) do { \
	char e_[600]; \
	int r_ = run((app), APP_RUN_HEADLESS, e_, sizeof e_, (line)); \
	if (r_ != -1 || !strstr(e_, (want))) { \
		printf("#   %s:%d: \"%s\": rc %d, error \"%s\", wanted \"%s\"\n", __FILE__, __LINE__, \
		       (line), r_, e_, (want)); test_failed_ = 1; } \
} while (0)

#define CHECK_HAS(s, sub) do { \
	const char *s_ = (s); \
	if (!s_ || !strstr(s_, (sub))) { \
		printf("#   %s:%d: \"%s\" does not contain \"%s\"\n", __FILE__, __LINE__, s_ ? s_ : "(null)", (sub)); \
		test_failed_ = 1; } \
} while (0)

/* ---- the parser ---- */

static void test_parse_words_and_quotes(void)
{
	struct cmd_line l;
	char err[300];

	CHECK_INT(cmd_parse("say hello   there", &l, err, sizeof err), 0);
	CHECK_INT(l.n, 1);
	CHECK_STR(l.calls[0].def->name, "say");
	CHECK_STR(l.calls[0].rest, "hello   there");
	cmd_line_free(&l);

	CHECK_INT(cmd_parse("say \"a; b\"", &l, err, sizeof err), 0);
	CHECK_INT(l.n, 1);
	CHECK_STR(l.calls[0].rest, "a; b");
	cmd_line_free(&l);

	CHECK_INT(cmd_parse("claim next; say hi ; note 'x;y'  ;", &l, err, sizeof err), 0);
	CHECK_INT(l.n, 3);
	CHECK_STR(l.calls[0].argv[0], "next");
	CHECK_STR(l.calls[1].rest, "hi");
	CHECK_STR(l.calls[2].rest, "x;y");
	cmd_line_free(&l);

	CHECK_INT(cmd_parse("say it\\'s \\\"fine\\\"", &l, err, sizeof err), 0);
	CHECK_STR(l.calls[0].rest, "it's \"fine\"");
	cmd_line_free(&l);

	CHECK_INT(cmd_parse("say 'back\\slash stays'", &l, err, sizeof err), 0);
	CHECK_STR(l.calls[0].rest, "back\\slash stays");
	cmd_line_free(&l);

	CHECK_INT(cmd_parse("say a\\;b", &l, err, sizeof err), 0);
	CHECK_INT(l.n, 1);
	CHECK_STR(l.calls[0].rest, "a;b");
	cmd_line_free(&l);

	CHECK_INT(cmd_parse("  ; ;  ", &l, err, sizeof err), 0);
	CHECK_INT(l.n, 0);
	cmd_line_free(&l);

	/* A unique prefix names the command. */
	CHECK_INT(cmd_parse("disc 10% late", &l, err, sizeof err), 0);
	CHECK_STR(l.calls[0].def->name, "discount");
	CHECK_INT(l.calls[0].argc, 2);
	cmd_line_free(&l);

	/* UTF-8 passes through untouched. */
	CHECK_INT(cmd_parse("say Merhaba Ayşe, 你好 👋", &l, err, sizeof err), 0);
	CHECK_STR(l.calls[0].rest, "Merhaba Ayşe, 你好 👋");
	cmd_line_free(&l);
}

static void test_parse_errors(void)
{
	struct cmd_line l;
	char err[300];

	CHECK_INT(cmd_parse("frobnicate now", &l, err, sizeof err), -1);
	CHECK_HAS(err, "Unknown command \"frobnicate\"");
	CHECK_HAS(err, "help");
	CHECK_INT(cmd_parse("sta online", &l, err, sizeof err), 0);	/* status */
	cmd_line_free(&l);
	CHECK_INT(cmd_parse("s hi", &l, err, sizeof err), -1);
	CHECK_HAS(err, "could be several");
	CHECK_INT(cmd_parse("say", &l, err, sizeof err), -1);
	CHECK_HAS(err, "Usage: say TEXT");
	CHECK_INT(cmd_parse("release c-1 c-2", &l, err, sizeof err), -1);
	CHECK_HAS(err, "too many arguments");
	CHECK_HAS(err, "\"c-2\"");
	CHECK_INT(cmd_parse("say \"unclosed", &l, err, sizeof err), -1);
	CHECK_HAS(err, "quote is not closed");
	CHECK_INT(cmd_parse("claim next; discount", &l, err, sizeof err), -1);
	CHECK_HAS(err, "Usage: discount N%|AMOUNT [ORDER] REASON");
	CHECK_INT(cmd_parse("handback resolved", &l, err, sizeof err), -1);
	CHECK_HAS(err, "handback");
}

static void test_table(void)
{
	size_t n;
	const struct cmd_def *t = cmd_table(&n);
	static const char *const want[] = { "claim", "release", "say", "note", "discount", "return",
		"label", "handback", "transfer", "status", "open", "next", "prev", "search", "theme",
		"bind", "binds", "help", "macro", "macros", "quit", "approve", "deny", "monitor" };

	for (size_t i = 0; i < BATON_ARRAY_LEN(want); i++) {
		const struct cmd_def *d = cmd_find(want[i]);
		CHECK(d != NULL);
		if (d) {
			CHECK_STR(d->name, want[i]);
			CHECK(d->help && *d->help);
			CHECK(d->run != NULL);
		}
	}
	CHECK_INT(n, BATON_ARRAY_LEN(want));
	for (size_t i = 0; i < n; i++)
		CHECK(t[i].max_args < 0 || t[i].max_args >= t[i].min_args);
	CHECK(cmd_find("discount")->flags & CMD_F_MONEY);
	CHECK(cmd_find("return")->flags & CMD_F_MONEY);
	CHECK(cmd_find("label")->flags & CMD_F_MONEY);
	CHECK(!(cmd_find("say")->flags & CMD_F_MONEY));
}

static void test_money_and_items(void)
{
	int64_t p, a, q;
	char err[200];
	const char *sku;

	CHECK_INT(cmd_parse_money("10%", &p, &a, err, sizeof err), 0);
	CHECK_INT(p, 10);
	CHECK_INT(a, 0);
	CHECK_INT(cmd_parse_money("12.50", &p, &a, err, sizeof err), 0);
	CHECK_INT(a, 1250);
	CHECK_INT(p, 0);
	CHECK_INT(cmd_parse_money("12,5", &p, &a, err, sizeof err), 0);
	CHECK_INT(a, 1250);
	CHECK_INT(cmd_parse_money("7", &p, &a, err, sizeof err), 0);
	CHECK_INT(a, 700);
	CHECK_INT(cmd_parse_money("0", &p, &a, err, sizeof err), -1);
	CHECK_INT(cmd_parse_money("0%", &p, &a, err, sizeof err), -1);
	CHECK_INT(cmd_parse_money("101%", &p, &a, err, sizeof err), -1);
	CHECK_INT(cmd_parse_money("-5", &p, &a, err, sizeof err), -1);
	CHECK_INT(cmd_parse_money("1.234", &p, &a, err, sizeof err), -1);
	CHECK_INT(cmd_parse_money("ten", &p, &a, err, sizeof err), -1);
	CHECK_HAS(err, "not an amount");

	char s1[] = "SNK-9-BLK:2", s2[] = "SNK", s3[] = "SNK:0", s4[] = ":3", s5[] = "A:B:4";
	CHECK_INT(cmd_parse_line_item(s1, &sku, &q, err, sizeof err), 0);
	CHECK_STR(sku, "SNK-9-BLK");
	CHECK_INT(q, 2);
	CHECK_INT(cmd_parse_line_item(s2, &sku, &q, err, sizeof err), 0);
	CHECK_INT(q, 1);
	CHECK_INT(cmd_parse_line_item(s3, &sku, &q, err, sizeof err), -1);
	CHECK_INT(cmd_parse_line_item(s4, &sku, &q, err, sizeof err), -1);
	CHECK_INT(cmd_parse_line_item(s5, &sku, &q, err, sizeof err), 0);
	CHECK_STR(sku, "A:B");
	CHECK_INT(q, 4);
}

static void test_cmd_ids(void)
{
	char a[PROTO_CMD_ID_MAX + 1], b[PROTO_CMD_ID_MAX + 1];

	cmd_new_id("ana", a, sizeof a);
	cmd_new_id("ana", b, sizeof b);
	CHECK(proto_cmd_id_valid(a));
	CHECK(strncmp(a, "ana-", 4) == 0);
	CHECK(strcmp(a, b) != 0);
	cmd_new_id("weird id/ü", a, sizeof a);	/* unsafe characters dropped */
	CHECK(proto_cmd_id_valid(a));
	CHECK(strncmp(a, "weirdid-", 8) == 0);
	cmd_new_id(NULL, a, sizeof a);
	CHECK(proto_cmd_id_valid(a));
	for (int i = 0; i < 500; i++) {
		cmd_new_id("x", b, sizeof b);
		CHECK(strcmp(a, b) != 0);
	}
}

/* ---- every command ---- */

static void test_claim_release(void)
{
	struct app *app = new_app();

	RUN_ERR(app, "claim", "select a conversation in the queue");
	model_select(app->model, "c-q1");
	RUN_OK(app, "claim");
	CHECK_INT(rec.op, PROTO_OP_CLAIM);
	CHECK_STR(rec.args, "{\"conv\":\"c-q1\"}");
	RUN_OK(app, "claim next");
	CHECK_STR(rec.args, "{\"conv\":\"c-q0\"}");	/* urgent first */
	CHECK_STR(rec.selected, "c-q0");
	RUN_OK(app, "claim c-77");
	CHECK_STR(rec.args, "{\"conv\":\"c-77\"}");
	model_select(app->model, "c-1");
	RUN_OK(app, "release");
	CHECK_INT(rec.op, PROTO_OP_RELEASE);
	CHECK_STR(rec.args, "{\"conv\":\"c-1\"}");
	RUN_OK(app, "release c-2");
	CHECK_STR(rec.args, "{\"conv\":\"c-2\"}");
	model_select(app->model, "");
	RUN_ERR(app, "release", "No conversation selected");
	free_app(app);

	app = new_app();
	while (app->model->nqueue) {
		char id[MODEL_ID_MAX + 1];
		snprintf(id, sizeof id, "%s", app->model->queue[0]->id);	/* the row goes */
		model_put_conversation(app->model, &(struct proto_conversation){
			.id = id, .state = PROTO_STATE_CLOSED, .version = 9 }, false);
	}
	RUN_ERR(app, "claim next", "queue is empty");
	free_app(app);
}

static void test_say_note(void)
{
	struct app *app = new_app();
	struct strbuf big = STRBUF_INIT;

	RUN_OK(app, "say Hello Ayşe; note check the order first");
	CHECK_INT(rec.submits, 2);
	CHECK_INT(rec.op, PROTO_OP_NOTE_ADD);
	CHECK_STR(rec.args, "{\"conv\":\"c-1\",\"text\":\"check the order first\"}");
	RUN_OK(app, "say \"Your order; shipped\"");
	CHECK_INT(rec.op, PROTO_OP_MESSAGE_SEND);
	CHECK_STR(rec.args, "{\"conv\":\"c-1\",\"text\":\"Your order; shipped\"}");
	RUN_ERR(app, "say \"   \"", "empty");
	RUN_ERR(app, "say \xff\xfe bad", "UTF-8");
	sb_adds(&big, "say ");
	for (int i = 0; i < PROTO_TEXT_MAX + 1; i++)
		sb_adds(&big, "ş");
	RUN_ERR(app, sb_str(&big), "4001 characters");
	sb_free(&big);
	model_select(app->model, "");
	RUN_ERR(app, "say hi", "No conversation selected");
	free_app(app);
}

static void test_discount(void)
{
	struct app *app = new_app();
	char err[600];

	RUN_OK(app, "discount 10% o-1 late delivery");
	CHECK_INT(rec.op, PROTO_OP_DISCOUNT_APPROVE);
	CHECK_STR(rec.args, "{\"conv\":\"c-1\",\"order\":\"o-1\",\"percent\":10,\"reason\":\"late delivery\"}");
	RUN_OK(app, "discount 12.50 late delivery");
	CHECK_STR(rec.args, "{\"amount_minor\":1250,\"conv\":\"c-1\",\"reason\":\"late delivery\"}");
	RUN_ERR(app, "discount 10% o-9 wrong order", "not one of Ayşe Yılmaz's orders");
	RUN_ERR(app, "discount lots because", "not an amount");
	RUN_ERR(app, "discount 10%", "Usage: discount");

	/* On the screen it asks first, and says who, what, how much and the cap. */
	CHECK_INT(run(app, APP_RUN_INTERACTIVE, err, sizeof err, "discount 20% o-1 sorry"), 1);
	CHECK_INT(rec.confirms, 1);
	CHECK_INT(rec.submits, 2);	/* nothing sent yet */
	CHECK_HAS(rec.confirm_body, "Ayşe Yılmaz");
	CHECK_HAS(rec.confirm_body, "o-1");
	CHECK_HAS(rec.confirm_body, "20%");
	CHECK_HAS(rec.confirm_body, "15%");
	CHECK_HAS(rec.confirm_body, "supervisor");
	CHECK_INT(run(app, APP_RUN_INTERACTIVE | APP_RUN_CONFIRMED, err, sizeof err,
		      "discount 20% o-1 sorry"), 0);
	CHECK_INT(rec.submits, 3);
	free_app(app);
}

static void test_return_label(void)
{
	struct app *app = new_app();
	char err[600];

	RUN_OK(app, "return o-1 S1 S2:2 -- arrived broken");
	CHECK_INT(rec.op, PROTO_OP_RETURN_CREATE);
	CHECK_STR(rec.args, "{\"conv\":\"c-1\",\"lines\":[{\"qty\":1,\"sku\":\"S1\"},{\"qty\":2,\"sku\":\"S2\"}],"
		  "\"order\":\"o-1\",\"reason\":\"arrived broken\"}");
	RUN_ERR(app, "return o-1 S1 arrived broken", "put -- between");
	RUN_ERR(app, "return o-1 -- x", "Usage");
	RUN_ERR(app, "return o-1 S9 -- x", "S9 is not in order o-1 (it has: S1, S2)");
	RUN_ERR(app, "return o-1 S2:3 -- x", "has 2 of S2, not 3");
	RUN_ERR(app, "return o-1 S1 S1 -- x", "named twice");
	RUN_ERR(app, "return o-7 S1 -- x", "not one of");
	RUN_ERR(app, "return o-1 S1:0 -- x", "quantity");

	CHECK_INT(run(app, APP_RUN_INTERACTIVE, err, sizeof err, "return o-1 S2:2 -- too small"), 1);
	CHECK_HAS(rec.confirm_body, "2 x S2");
	CHECK_HAS(rec.confirm_body, "20.00 EUR");

	RUN_OK(app, "label rma-5 ups");
	CHECK_INT(rec.op, PROTO_OP_LABEL_CREATE);
	CHECK_STR(rec.args, "{\"carrier\":\"ups\",\"conv\":\"c-1\",\"rma\":\"rma-5\"}");
	RUN_OK(app, "label rma-5");
	CHECK_STR(rec.args, "{\"conv\":\"c-1\",\"rma\":\"rma-5\"}");
	CHECK_INT(run(app, APP_RUN_INTERACTIVE, err, sizeof err, "label rma-5"), 1);
	CHECK_HAS(rec.confirm_body, "rma-5");
	free_app(app);
}

static void test_handback_transfer_status(void)
{
	struct app *app = new_app();

	RUN_OK(app, "handback resolved coupon sent, all good");
	CHECK_INT(rec.op, PROTO_OP_HANDBACK);
	CHECK_STR(rec.args, "{\"conv\":\"c-1\",\"disposition\":\"resolved\",\"note\":\"coupon sent, all good\"}");
	RUN_OK(app, "handback follow_up call back Monday");
	CHECK_HAS(rec.args, "\"disposition\":\"follow_up\"");
	RUN_ERR(app, "handback maybe later", "not an outcome");

	RUN_OK(app, "transfer @returns needs an RMA");
	CHECK_INT(rec.op, PROTO_OP_TRANSFER);
	CHECK_STR(rec.args, "{\"conv\":\"c-1\",\"note\":\"needs an RMA\",\"to\":\"@returns\"}");
	RUN_OK(app, "transfer bora");
	CHECK_STR(rec.args, "{\"conv\":\"c-1\",\"to\":\"bora\"}");
	RUN_ERR(app, "transfer @", "skill");

	RUN_OK(app, "status away");
	CHECK_INT(rec.op, PROTO_OP_PRESENCE_SET);
	CHECK_STR(rec.args, "{\"status\":\"away\"}");
	RUN_OK(app, "status online");
	CHECK_STR(rec.args, "{\"status\":\"online\"}");
	RUN_ERR(app, "status offline", "online or away");
	free_app(app);
}

static void test_local_commands(void)
{
	struct app *app = new_app();

	RUN_OK(app, "open c-2");
	CHECK_STR(app->model->sel, "c-2");
	CHECK(rec.feedback_ok);
	RUN_OK(app, "open c-q1");
	CHECK_STR(app->model->sel, "c-q1");
	RUN_ERR(app, "open c-nope", "neither yours nor queued");
	CHECK_STR(app->model->sel, "");

	model_select(app->model, "c-1");
	RUN_OK(app, "next");
	CHECK_STR(app->model->sel, "c-2");
	RUN_OK(app, "next");
	CHECK_STR(app->model->sel, "c-1");
	RUN_OK(app, "prev");
	CHECK_STR(app->model->sel, "c-2");
	CHECK_HAS(rec.feedback, "2 of 2");

	RUN_OK(app, "search broken zipper");
	CHECK_HAS(rec.feedback_extra, "[broken zipper]");
	RUN_ERR(app, "theme day", "only with the screen");
	RUN_ERR(app, "bind F5 claim next", "only with the screen");
	RUN_ERR(app, "binds", "only with the screen");
	RUN_OK(app, "help");
	CHECK_HAS(rec.feedback_extra, "\"name\":\"discount\"");
	RUN_OK(app, "help disc");
	CHECK_HAS(rec.feedback, "Usage: discount N%|AMOUNT [ORDER] REASON");
	RUN_ERR(app, "help frob", "no command");
	CHECK(!rec.quit);
	RUN_OK(app, "quit");
	CHECK(rec.quit);
	CHECK_INT(rec.submits, 0);	/* none of these talk to the hub */
	free_app(app);
}

static void test_supervisor(void)
{
	struct app *app = new_app();

	RUN_OK(app, "approve ap-1 fine by me");
	CHECK_INT(rec.op, PROTO_OP_APPROVAL_DECIDE);
	CHECK_STR(rec.args, "{\"approval\":\"ap-1\",\"decision\":\"approve\",\"note\":\"fine by me\"}");
	RUN_OK(app, "deny ap-2");
	CHECK_STR(rec.args, "{\"approval\":\"ap-2\",\"decision\":\"deny\"}");
	RUN_OK(app, "monitor c-9");
	CHECK_INT(rec.op, PROTO_OP_MONITOR);
	CHECK_STR(rec.args, "{\"conv\":\"c-9\"}");
	free_app(app);
}

static const struct test tests[] = {
	TEST(test_parse_words_and_quotes),
	TEST(test_parse_errors),
	TEST(test_table),
	TEST(test_money_and_items),
	TEST(test_cmd_ids),
	TEST(test_claim_release),
	TEST(test_say_note),
	TEST(test_discount),
	TEST(test_return_label),
	TEST(test_handback_transfer_status),
	TEST(test_local_commands),
	TEST(test_supervisor),
};
TEST_MAIN(tests)
