/* test-console-macro.c: macro files, templates, plans and running a plan.
 * Templates are checked both through a fake lookup (pure) and against a
 * real model fed with frames decoded by the real decoder, as they come from
 * the hub. */
#include "baton/macro.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "baton/cmd.h"
#include "baton/common.h"
#include "baton/keys.h"
#include "baton/model.h"
#include "baton/proto.h"
#include "test.h"

#define T0 "2026-11-22T03:00:00.000Z"
#define T1 "2026-11-22T03:05:00.000Z"

static int apply(struct model *m, const char *fmt, ...) BATON_PRINTF(2, 3);
static int apply(struct model *m, const char *fmt, ...)
{
	struct proto_err perr;
	struct proto_frame *f;
	struct strbuf sb = STRBUF_INIT;
	char *json, err[200];
	va_list ap;
	int rc;

	va_start(ap, fmt);
	sb_vaddf(&sb, fmt, ap);
	va_end(ap);
	json = sb_take(&sb);
	f = proto_frame_decode(json, strlen(json), 0, &perr);
	if (!f) {
		printf("#   frame did not decode: %s\n#   %s\n", perr.msg, json);
		free(json);
		return -2;
	}
	rc = model_apply_frame(m, f, 1000, err, sizeof err);
	proto_frame_free(f);
	free(json);
	return rc;
}

/* Ana (cap 15 %) holds c-1 of customer name; two orders, the newer o-2
 * without tracking. */
static struct model *model_with(const char *name_json, const char *tier_json)
{
	struct model *m = model_new(0);

	apply(m, "{\"type\":\"welcome\",\"v\":1,\"session\":\"s-1\",\"agent\":{\"id\":\"ana\","
	      "\"name\":\"Ana Kovač\",\"role\":\"agent\"},\"limits\":{\"discount_percent_max\":15,"
	      "\"discount_amount_max_minor\":5000,\"currency\":\"EUR\",\"max_frame_bytes\":65536,"
	      "\"max_active\":3},\"head\":0,\"resume\":\"snapshot\"}");
	apply(m, "{\"type\":\"snapshot\",\"upto\":1,\"queue\":[],\"mine\":[{\"id\":\"c-1\","
	      "\"state\":\"assigned\",\"priority\":\"high\",\"channel\":\"web\",\"created_at\":\"" T0 "\","
	      "\"assignee\":\"ana\",\"version\":3,\"customer\":{\"id\":\"cu-1\",\"name\":%s,\"tier\":%s,"
	      "\"orders\":[{\"id\":\"o-1\",\"placed_at\":\"2026-10-01T10:00:00Z\",\"status\":\"delivered\","
	      "\"total_minor\":4000,\"currency\":\"EUR\",\"carrier\":\"DHL\",\"tracking\":\"JJD001\","
	      "\"items\":[{\"sku\":\"MUG-1\",\"name\":\"Mug\",\"qty\":2,\"price_minor\":2000}]},"
	      "{\"id\":\"o-5521\",\"placed_at\":\"2026-11-20T10:00:00Z\",\"status\":\"shipped\","
	      "\"total_minor\":8990,\"currency\":\"EUR\",\"tracking\":null,\"items\":[{\"sku\":\"SNK-42\","
	      "\"name\":\"Trail runner 42\",\"qty\":1,\"price_minor\":7990},{\"sku\":\"SOCK\","
	      "\"name\":\"Wool socks\",\"qty\":2,\"price_minor\":500}]}]},\"actions\":[]}]}",
	      name_json, tier_json);
	return m;
}

static struct model *model_std(void)
{
	return model_with("\"Ayşe Yılmaz\"", "\"gold\"");
}

static void action_ev(struct model *m, int seq, const char *id, const char *kind, const char *status,
		      const char *result)
{
	apply(m, "{\"type\":\"event\",\"seq\":%d,\"kind\":\"action\",\"conv\":\"c-1\",\"at\":\"" T1 "\","
	      "\"body\":{\"action\":{\"id\":\"%s\",\"conv\":\"c-1\",\"kind\":\"%s\",\"status\":\"%s\","
	      "\"at\":\"" T1 "\",\"result\":%s}}}", seq, id, kind, status, result);
}

static char *expand_env(struct model *m, const char *order, const char *tmpl, char *err, size_t errlen)
{
	struct macro_env e;
	static const char *const labels[] = { "Item name" };
	static const char *const values[] = { "blue mug" };
	char *out = NULL;

	memset(&e, 0, sizeof e);
	e.model = m;
	e.conv = "c-1";
	e.order = order;
	e.ask_labels = labels;
	e.ask_values = values;
	e.nasks = 1;
	err[0] = '\0';
	if (macro_expand(tmpl, MACRO_EXPAND_TEXT, macro_env_lookup, &e, &out, err, errlen) < 0)
		return NULL;
	return out;
}

/* ---- templates ---- */

static void test_every_variable(void)
{
	struct model *m = model_std();
	char err[400];
	static const struct { const char *tmpl, *want; } cases[] = {
		{ "{{customer.first_name}}", "Ayşe" },
		{ "{{customer.name}}", "Ayşe Yılmaz" },
		{ "{{customer.tier}}", "gold" },
		{ "{{order.id}}", "o-5521" },	/* the most recent */
		{ "{{order.status}}", "shipped" },
		{ "{{order.items}}", "Trail runner 42, 2 × Wool socks" },
		{ "{{agent.name}}", "Ana Kovač" },
		{ "{{conv.id}}", "c-1" },
		{ "{{ ask:Item name }}", "blue mug" },
		{ "Hi {{customer.first_name}}, {{agent.name}} here.", "Hi Ayşe, Ana Kovač here." },
	};
	for (size_t i = 0; i < BATON_ARRAY_LEN(cases); i++) {
		char *out = expand_env(m, NULL, cases[i].tmpl, err, sizeof err);
		if (!out)
			printf("#   %s: %s\n", cases[i].tmpl, err);
		CHECK_STR(out, cases[i].want);
		free(out);
	}
	/* The order named by an earlier step. */
	char *out = expand_env(m, "o-1", "{{order.id}} {{order.tracking}} {{order.carrier}} {{order.items}}",
			       err, sizeof err);
	CHECK_STR(out, "o-1 JJD001 DHL 2 × Mug");
	free(out);
	/* Results of the conversation's actions. */
	action_ev(m, 2, "a-1", "discount", "applied",
		  "{\"code\":\"BTN-7QX2\",\"percent\":10,\"order\":\"o-5521\"}");
	action_ev(m, 3, "a-2", "return", "applied", "{\"rma\":\"RMA-77\",\"order\":\"o-1\"}");
	action_ev(m, 4, "a-3", "label", "applied", "{\"tracking\":\"1Z999\",\"carrier\":\"UPS\"}");
	out = expand_env(m, NULL, "{{discount.code}} {{discount.percent}} {{return.rma}} {{label.tracking}} "
			 "{{label.carrier}}", err, sizeof err);
	if (!out)
		printf("#   %s\n", err);
	CHECK_STR(out, "BTN-7QX2 10% RMA-77 1Z999 UPS");
	free(out);
	model_free(m);
}

static void test_missing_and_unknown(void)
{
	struct model *m = model_std();
	char err[400];
	char *out;

	out = expand_env(m, NULL, "Tracking: {{order.tracking}}", err, sizeof err);
	CHECK(out == NULL);
	CHECK_STR(err, "{{order.tracking}}: order o-5521 has no tracking number yet");
	out = expand_env(m, NULL, "{{custmer.name}}", err, sizeof err);
	CHECK(out == NULL);
	CHECK(strncmp(err, "{{custmer.name}} is not a variable; accepted: customer.first_name", 64) == 0);
	out = expand_env(m, NULL, "{{discount.code}}", err, sizeof err);
	CHECK(out == NULL);
	CHECK_STR(err, "{{discount.code}}: no discount has been made in c-1 yet");
	out = expand_env(m, NULL, "{{ask:Colour}}", err, sizeof err);
	CHECK(out == NULL);
	CHECK_STR(err, "{{ask:Colour}}: no answer was given for \"Colour\"");
	out = expand_env(m, "o-9", "{{order.id}}", err, sizeof err);
	CHECK(out == NULL);
	CHECK_STR(err, "{{order.id}}: order o-9 is not one of Ayşe Yılmaz's orders");
	out = expand_env(m, NULL, "a {{order.id", err, sizeof err);
	CHECK(out == NULL);
	CHECK(strstr(err, "not closed") != NULL);
	action_ev(m, 2, "a-1", "discount", "pending_approval", "null");
	out = expand_env(m, NULL, "{{discount.code}}", err, sizeof err);
	CHECK(out == NULL);
	CHECK_STR(err, "{{discount.code}}: the discount a-1 waits for a supervisor's approval");
	model_free(m);

	/* No tier: an error, not an empty hole. */
	m = model_with("\"Bo\"", "null");
	out = expand_env(m, NULL, "Dear {{customer.tier}} member", err, sizeof err);
	CHECK(out == NULL);
	CHECK_STR(err, "{{customer.tier}}: Bo has no tier");
	model_free(m);
}

/* A fake lookup: the expander knows nothing of the model. */
static int fake_lookup(void *ctx, const char *name, char **value, char *err, size_t errlen)
{
	(void)ctx;
	if (strcmp(name, "customer.name") == 0) {
		*value = xstrdup("\x1b]52;c;cm0gLXJmIC8=\x07" "Eve\xe2\x80\xae; quit \"x\"");
		return 1;
	}
	if (strcmp(name, "empty") == 0) {
		*value = xstrdup("");
		return 1;
	}
	if (strcmp(name, "gone") == 0) {
		snprintf(err, errlen, "it went away");
		return -1;
	}
	return 0;
}

static void test_literal_and_hostile(void)
{
	char err[300], *out;

	CHECK_INT(macro_expand("Type {{{{ and }} as you like: {{{{customer.name}}", MACRO_EXPAND_TEXT,
			       fake_lookup, NULL, &out, err, sizeof err), 0);
	CHECK_STR(out, "Type {{ and }} as you like: {{customer.name}}");
	free(out);
	CHECK_INT(macro_expand("no braces at all", MACRO_EXPAND_TEXT, fake_lookup, NULL, &out, err,
			       sizeof err), 0);
	CHECK_STR(out, "no braces at all");
	free(out);

	/* A hostile name: the escape sequence and the bidi override become
	 * placeholders; nothing raw reaches the output. */
	CHECK_INT(macro_expand("Hi {{customer.name}}!", MACRO_EXPAND_TEXT, fake_lookup, NULL, &out, err,
			       sizeof err), 0);
	CHECK(strchr(out, '\x1b') == NULL);
	CHECK(strchr(out, '\x07') == NULL);
	CHECK(strstr(out, "\xe2\x80\xae") == NULL);
	CHECK(strstr(out, "\xe2\x90\x9b") != NULL);	/* ␛ */
	CHECK(strstr(out, "\xe2\xb8\xae") != NULL);	/* ⸮ */
	free(out);

	/* In a command the value stays one word: its ';' does not start a
	 * second command, its quote does not open a string. */
	CHECK_INT(macro_expand("note called {{customer.name}}", MACRO_EXPAND_CMD, fake_lookup, NULL, &out,
			       err, sizeof err), 0);
	struct cmd_line l;
	CHECK_INT(cmd_parse(out, &l, err, sizeof err), 0);
	CHECK_INT(l.n, 1);
	if (l.n == 1) {
		CHECK_STR(l.calls[0].def->name, "note");
		CHECK(strstr(l.calls[0].rest, "; quit \"x\"") != NULL);
	}
	cmd_line_free(&l);
	free(out);

	CHECK_INT(macro_expand("{{empty}}", MACRO_EXPAND_TEXT, fake_lookup, NULL, &out, err, sizeof err), -1);
	CHECK_STR(err, "{{empty}}: the value is empty");
	CHECK_INT(macro_expand("x {{gone}}", MACRO_EXPAND_TEXT, fake_lookup, NULL, &out, err, sizeof err), -1);
	CHECK_STR(err, "{{gone}}: it went away");
	CHECK_INT(macro_expand("{{}}", MACRO_EXPAND_TEXT, fake_lookup, NULL, &out, err, sizeof err), -1);
	CHECK(strstr(err, "names no variable") != NULL);
}

static void test_hostile_name_from_model(void)
{
	/* The model sanitizes on entry; the expander sanitizes again. */
	struct model *m = model_with("\"\\u001b[2J\\u001b]0;pwned\\u0007Mallory \\u202eevil\"", "\"gold\"");
	char err[300], *out = expand_env(m, NULL, "Hi {{customer.first_name}} / {{customer.name}}", err,
					 sizeof err);
	CHECK(out != NULL);
	if (out) {
		CHECK(strchr(out, '\x1b') == NULL);
		CHECK(strstr(out, "\xe2\x80\xae") == NULL);
		CHECK(strstr(out, "Mallory") != NULL);
	}
	free(out);
	model_free(m);
}

/* ---- files ---- */

static const char good[] =
	"# Tell the customer where the parcel is.\n"
	"name: order-status\n"
	"description: Where the order is, with its tracking number\n"
	"key: F2\n"
	"send: no\n"
	"\n"
	"> Hi {{customer.first_name}},\n"
	">\n"
	"> order {{order.id}} ({{order.items}}) is {{order.status}}.\n"
	"# a comment between steps\n"
	"\n"
	"> Anything else?\r\n"
	":note told {{customer.first_name}} the status\n"
	"handback resolved status given\n";

static void test_parse_good(void)
{
	struct macro *m = NULL;
	char err[300];

	CHECK_INT(macro_parse("/x/order-status.macro", good, strlen(good), &m, err, sizeof err), 0);
	if (!m) {
		printf("#   %s\n", err);
		return;
	}
	CHECK_STR(m->name, "order-status");
	CHECK_STR(m->description, "Where the order is, with its tracking number");
	CHECK_STR(m->key, "F2");
	CHECK(!m->send);
	CHECK_INT(m->nsteps, 4);
	CHECK_INT(m->steps[0].kind, MACRO_STEP_REPLY);
	CHECK_STR(m->steps[0].text, "Hi {{customer.first_name}},\n\norder {{order.id}} ({{order.items}}) is "
		  "{{order.status}}.");
	CHECK_INT(m->steps[0].line, 7);
	CHECK_INT(m->steps[1].kind, MACRO_STEP_REPLY);
	CHECK_STR(m->steps[1].text, "Anything else?");
	CHECK_INT(m->steps[1].line, 12);
	CHECK_INT(m->steps[2].kind, MACRO_STEP_CMD);
	CHECK_STR(m->steps[2].text, "note told {{customer.first_name}} the status");
	CHECK_INT(m->steps[3].line, 14);
	macro_free(m);

	/* No name: the file's. */
	const char *minimal = "description: hello\n\n> Hello {{customer.first_name}}!\n";
	CHECK_INT(macro_parse("dir/greeting.macro", minimal, strlen(minimal), &m, err, sizeof err), 0);
	CHECK_STR(m ? m->name : NULL, "greeting");
	char *labels[4];
	macro_free(m);
	const char *asks = "description: a\n\nreturn {{order.id}} {{ask:SKU}} -- {{ask:Why}}\n"
			   "> We take back {{ask:SKU}}\n";
	CHECK_INT(macro_parse("a.macro", asks, strlen(asks), &m, err, sizeof err), 0);
	CHECK_INT(macro_asks(m, labels, 4), 2);
	CHECK_STR(labels[0], "SKU");
	CHECK_STR(labels[1], "Why");
	free(labels[0]);
	free(labels[1]);
	macro_free(m);
}

static void test_parse_broken(void)
{
	static const struct { const char *text, *want; } cases[] = {
		{ "", "b.macro:1: the file is empty" },
		{ "> hi\n", "b.macro:1: a macro starts with its header" },
		{ "description: x\ncolour: red\n\n> hi\n",
		  "b.macro:2: \"colour\" is not a header key; accepted: name, description, key, send" },
		{ "name: x\n\n> hi\n", "b.macro:1: no \"description:\" line" },
		{ "description: x\nsend: maybe\n\n> hi\n", "b.macro:2: send: \"maybe\" is not yes or no" },
		{ "description: x\nname: Bad Name\n\n> hi\n", "b.macro:2: name \"Bad Name\": use 1-48" },
		{ "description: x\n\n", "b.macro:2: the macro has no steps" },
		{ "description: x\n\n> hi\nsya hello\n",
		  "b.macro:4: \"sya\" is not a command; a step is a reply" },
		{ "description: x\n\n> hi {{customer.nmae}}\n",
		  "b.macro:3: {{customer.nmae}} is not a variable; accepted: customer.first_name" },
		{ "description: x\n\n> one\n>\n> hi {{order.id\n",
		  "b.macro:3: \"{{\" is not closed by \"}}\" on the same line" },
		{ "description: x\n\nmacro other\n", "b.macro:3: a macro cannot run macros" },
		{ "description: x\n\n> {{ask:}}\n", "b.macro:3: {{ask:}} needs a label" },
		{ "description: x\n\n> \xff\xfe\n", "b.macro:3: not valid UTF-8" },
		{ "description: x\ndescription: y\n\n> a\n", "b.macro:2: description is given twice" },
	};
	for (size_t i = 0; i < BATON_ARRAY_LEN(cases); i++) {
		struct macro *m = NULL;
		char err[400] = "";
		int rc = macro_parse("b.macro", cases[i].text, strlen(cases[i].text), &m, err, sizeof err);
		CHECK_INT(rc, -1);
		CHECK(m == NULL);
		if (strncmp(err, cases[i].want, strlen(cases[i].want)) != 0) {
			printf("#   case %zu: got \"%s\"\n#   want \"%s…\"\n", i, err, cases[i].want);
			CHECK(0);
		}
		macro_free(m);
	}
}

static void write_file(const char *path, const char *text, mode_t mode)
{
	FILE *f = fopen(path, "w");
	CHECK(f != NULL);
	if (!f)
		return;
	fputs(text, f);
	fclose(f);
	chmod(path, mode);
}

static void test_directory(void)
{
	char dir[] = "/tmp/baton-macro-test.XXXXXX";
	char *warn = NULL, path[200];

	CHECK(mkdtemp(dir) != NULL);
	snprintf(path, sizeof path, "%s/greeting.macro", dir);
	write_file(path, "description: Say hello\nkey: F1\n\n> Hello {{customer.first_name}}!\n", 0644);
	snprintf(path, sizeof path, "%s/order-status.macro", dir);
	write_file(path, good, 0644);
	snprintf(path, sizeof path, "%s/broken.macro", dir);
	write_file(path, "description: b\n\nfrobnicate\n", 0644);
	snprintf(path, sizeof path, "%s/zz-clash.macro", dir);
	write_file(path, "description: c\nkey: f1\n\n> x\n", 0644);
	snprintf(path, sizeof path, "%s/lookup", dir);
	write_file(path, "#!/bin/sh\n# description: Look the order up in the shop\n# key: F9\necho '> hi'\n",
		   0755);
	snprintf(path, sizeof path, "%s/shared", dir);
	write_file(path, "#!/bin/sh\necho '> hi'\n", 0777);
	snprintf(path, sizeof path, "%s/README", dir);
	write_file(path, "not a macro\n", 0644);

	struct macro_set *s = macro_set_load(dir, &warn);
	CHECK_INT(s->n, 3);
	CHECK(macro_set_find(s, "greeting") != NULL);
	CHECK(macro_set_find(s, "order-status") != NULL);
	const struct macro *x = macro_set_find(s, "lookup");
	CHECK(x && x->executable && strcmp(x->description, "Look the order up in the shop") == 0);
	CHECK(macro_set_find_key(s, "f2") == macro_set_find(s, "order-status"));
	CHECK(macro_set_find_key(s, "F9") == x);
	CHECK(warn && strstr(warn, "broken.macro:3: \"frobnicate\" is not a command"));
	CHECK(warn && strstr(warn, "zz-clash.macro: skipped: the key f1 is already used"));
	CHECK(warn && strstr(warn, "shared: not run: an executable macro must be yours and writable only"));

	const struct macro *pick[8];
	CHECK_INT(macro_set_filter(s, "", pick, 8), 3);
	CHECK_INT(macro_set_filter(s, "ord", pick, 8), 2);	/* order-status by name, lookup by "order" */
	CHECK_STR(pick[0]->name, "order-status");
	CHECK_STR(pick[1]->name, "lookup");
	CHECK_INT(macro_set_filter(s, "HELLO", pick, 8), 1);
	CHECK_INT(macro_set_filter(s, "order tracking", pick, 8), 1);
	CHECK_INT(macro_set_filter(s, "zzz", pick, 8), 0);
	macro_set_free(s);
	free(warn);

	/* A missing directory is an empty set, not an error. */
	snprintf(path, sizeof path, "%s/none", dir);
	s = macro_set_load(path, &warn);
	CHECK_INT(s->n, 0);
	CHECK(warn == NULL);
	macro_set_free(s);

	const char *names[] = { "greeting.macro", "order-status.macro", "broken.macro", "zz-clash.macro",
				"lookup", "shared", "README" };
	for (size_t i = 0; i < BATON_ARRAY_LEN(names); i++) {
		snprintf(path, sizeof path, "%s/%s", dir, names[i]);
		unlink(path);
	}
	rmdir(dir);
}

/* ---- plans and running ---- */

static const char apology[] =
	"description: Apologise for a late order and give 10 %\n"
	"\n"
	"> Sorry {{customer.first_name}}, order {{order.id}} is late.\n"
	"discount 10% {{order.id}} late delivery\n"
	"> Your code: {{discount.code}} (order {{order.id}})\n"
	"handback resolved apologised, {{discount.code}} given\n";

static struct macro *parse(const char *text)
{
	struct macro *m = NULL;
	char err[300];
	if (macro_parse("t.macro", text, strlen(text), &m, err, sizeof err) < 0)
		printf("#   %s\n", err);
	return m;
}

static void test_plan(void)
{
	struct model *m = model_std();
	struct macro *mac = parse(apology);
	struct macro_plan *p = NULL;
	char err[400];

	CHECK_INT(macro_plan_build(mac, m, "c-1", NULL, 0, &p, err, sizeof err), 0);
	if (!p) {
		printf("#   %s\n", err);
		goto out;
	}
	CHECK_INT(p->mode, MACRO_PLAN_CONFIRM);
	CHECK_INT(p->n, 4);
	CHECK_STR(p->steps[0].text, "Sorry Ayşe, order o-5521 is late.");
	CHECK_STR(p->steps[1].text, "discount 10% o-5521 late delivery");
	CHECK_STR(p->steps[1].what, "discount 10% on o-5521 (8.99 EUR) — your cap 15%");
	CHECK(p->steps[1].money);
	CHECK_INT(p->steps[1].op, PROTO_OP_DISCOUNT_APPROVE);
	CHECK(p->steps[2].deferred && p->steps[2].text == NULL);
	CHECK(p->steps[3].deferred);
	char *txt = macro_plan_render(p);
	CHECK(strstr(txt, " 2. discount 10% on o-5521 (8.99 EUR) — your cap 15%  [asks to confirm]") != NULL);
	CHECK(strstr(txt, "      | Sorry Ayşe, order o-5521 is late.") != NULL);
	CHECK(strstr(txt, "Run these steps?") != NULL);
	free(txt);
	macro_plan_free(p);
	p = NULL;

	/* One reply: a draft; with send: sent. */
	struct macro *one = parse("description: d\n\n> Hi {{customer.first_name}}\n");
	CHECK_INT(macro_plan_build(one, m, "c-1", NULL, 0, &p, err, sizeof err), 0);
	CHECK_INT(p ? (int)p->mode : -1, MACRO_PLAN_DRAFT);
	macro_plan_free(p);
	p = NULL;
	one->send = true;
	CHECK_INT(macro_plan_build(one, m, "c-1", NULL, 0, &p, err, sizeof err), 0);
	CHECK_INT(p ? (int)p->mode : -1, MACRO_PLAN_SEND);
	macro_plan_free(p);
	p = NULL;
	macro_free(one);

	/* A plan that cannot be filled names the step and the variable. */
	struct macro *trk = parse("description: t\n\n> Tracking {{order.tracking}}\nnote x\n");
	CHECK_INT(macro_plan_build(trk, m, "c-1", NULL, 0, &p, err, sizeof err), -1);
	CHECK_STR(err, "macro t, line 3: {{order.tracking}}: order o-5521 has no tracking number yet");
	macro_free(trk);

	/* One command per line, so the plan shows every action. */
	struct macro *two = parse("description: t\n\nnote a; discount 10% o-5521 x\n");
	CHECK_INT(macro_plan_build(two, m, "c-1", NULL, 0, &p, err, sizeof err), -1);
	CHECK_STR(err, "macro t, line 3: one command per line (this one has 2; put each on a line of its own)");
	macro_free(two);
	/* A ';' in a quoted argument is not a second command. */
	two = parse("description: t\n\nnote \"a; b\"\n");
	CHECK_INT(macro_plan_build(two, m, "c-1", NULL, 0, &p, err, sizeof err), 0);
	macro_plan_free(p);
	p = NULL;
	macro_free(two);

	/* Fill-in prompts: answers in order; missing ones are named. */
	struct macro *ret = parse("description: r\n\nreturn o-5521 {{ask:SKU}} -- {{ask:Reason}}\n"
				  "label {{return.rma}}\n> Label for {{ask:SKU}} is on its way\n");
	const char *ans[] = { "SOCK:2", "too small" };
	CHECK_INT(macro_plan_build(ret, m, "c-1", ans, 1, &p, err, sizeof err), -1);
	CHECK(strstr(err, "macro t needs an answer for {{ask:Reason}}") != NULL);
	CHECK_INT(macro_plan_build(ret, m, "c-1", ans, 2, &p, err, sizeof err), 0);
	if (p) {
		CHECK_STR(p->steps[0].text, "return o-5521 SOCK:2 -- too\\ small");
		CHECK_STR(p->steps[0].what, "return 2 × SOCK from o-5521 (refund 10.00 EUR if eligible)");
		CHECK(p->steps[1].deferred);
		CHECK(!p->steps[2].deferred);
		CHECK_STR(p->steps[2].text, "Label for SOCK:2 is on its way");
	}
	macro_plan_free(p);
	macro_free(ret);
out:
	macro_free(mac);
	model_free(m);
}

/* A fake console: records what runs; money commands wait for a confirm. */
struct fake {
	struct model *m;
	char ran[8][300];
	char convs[8][16];
	int n;
	char draft[300];
	int fail_at;	/* 1-based call to fail, 0 none */
};

static int fake_run(void *ctx, const char *conv, const char *cmdline, char *err, size_t errlen)
{
	struct fake *f = ctx;
	struct cmd_line l;
	int rc = 0;

	if (f->n < 8) {
		snprintf(f->ran[f->n], sizeof f->ran[0], "%s", cmdline);
		snprintf(f->convs[f->n], sizeof f->convs[0], "%s", conv);
	}
	f->n++;
	if (f->fail_at == f->n) {
		snprintf(err, errlen, "the hub is sulking");
		return -1;
	}
	if (cmd_parse(cmdline, &l, err, errlen) < 0)
		return -1;
	if (l.calls[0].def->flags & CMD_F_MONEY) {
		rc = 1;	/* the dialog is open */
	} else {
		char id[32];
		snprintf(id, sizeof id, "cmd-%d", f->n);
		model_result_add(f->m, id, PROTO_OP_MESSAGE_SEND, conv, MODEL_RES_SENT, "Sending…", 1);
	}
	cmd_line_free(&l);
	return rc;
}

static void fake_draft(void *ctx, const char *conv, const char *text)
{
	struct fake *f = ctx;
	(void)conv;
	snprintf(f->draft, sizeof f->draft, "%s", text);
}

static void test_run(void)
{
	struct model *m = model_std();
	struct macro *mac = parse(apology);
	struct macro_plan *p = NULL;
	struct fake f;
	struct macro_host h = { &f, fake_run, fake_draft };
	char err[400], msg[300];

	memset(&f, 0, sizeof f);
	f.m = m;
	/* An earlier discount in the conversation must not fill {{discount.code}}. */
	action_ev(m, 2, "a-old", "discount", "applied", "{\"code\":\"OLD-CODE\",\"percent\":5}");
	CHECK_INT(macro_plan_build(mac, m, "c-1", NULL, 0, &p, err, sizeof err), 0);
	struct macro_run *r = macro_run_new(p, 1000);
	/* The reply is sent, the discount opens its dialog. */
	CHECK_INT(macro_run_poll(r, m, &h, 1000, msg, sizeof msg), MACRO_RUN_WAITING);
	CHECK_INT(f.n, 2);
	CHECK_STR(f.ran[0], "say Sorry\\ Ayşe,\\ order\\ o-5521\\ is\\ late.");
	CHECK_STR(f.convs[0], "c-1");
	CHECK_STR(f.ran[1], "discount 10% o-5521 late delivery");
	CHECK(strstr(msg, "confirm step 2") != NULL);
	CHECK_INT(macro_run_poll(r, m, &h, 2000, msg, sizeof msg), MACRO_RUN_WAITING);
	CHECK_INT(f.n, 2);
	/* The agent says yes: the command is submitted (a result appears). */
	model_result_add(m, "cmd-disc", PROTO_OP_DISCOUNT_APPROVE, "c-1", MODEL_RES_SENT, "Sending…", 3000);
	CHECK_INT(macro_run_poll(r, m, &h, 3000, msg, sizeof msg), MACRO_RUN_WAITING);
	CHECK(strstr(msg, "waiting for the discount to come back") != NULL);
	CHECK_INT(f.n, 2);
	/* The hub applies it. */
	action_ev(m, 3, "a-new", "discount", "applied", "{\"code\":\"BTN-NEW1\",\"percent\":10}");
	CHECK_INT(macro_run_poll(r, m, &h, 4000, msg, sizeof msg), MACRO_RUN_DONE);
	CHECK_INT(f.n, 4);
	CHECK_STR(f.ran[2], "say Your\\ code:\\ BTN-NEW1\\ (order\\ o-5521)");
	CHECK_STR(f.ran[3], "handback resolved apologised, BTN-NEW1 given");
	macro_run_free(r);

	/* A refused discount stops the run before the deferred reply. */
	memset(&f, 0, sizeof f);
	f.m = m;
	CHECK_INT(macro_plan_build(mac, m, "c-1", NULL, 0, &p, err, sizeof err), 0);
	r = macro_run_new(p, 1000);
	CHECK_INT(macro_run_poll(r, m, &h, 1000, msg, sizeof msg), MACRO_RUN_WAITING);
	struct model_result *res = model_result_add(m, "cmd-d2", PROTO_OP_DISCOUNT_APPROVE, "c-1",
						    MODEL_RES_SENT, "Sending…", 2000);
	CHECK_INT(macro_run_poll(r, m, &h, 2000, msg, sizeof msg), MACRO_RUN_WAITING);
	res = model_result_find(m, "cmd-d2");
	res->state = MODEL_RES_REJECTED;
	snprintf(res->text, sizeof res->text, "Above your cap.");
	CHECK_INT(macro_run_poll(r, m, &h, 2500, msg, sizeof msg), MACRO_RUN_FAILED);
	CHECK_STR(msg, "macro t stopped at step 2: the discount was refused: Above your cap.");
	CHECK_INT(f.n, 2);
	macro_run_free(r);

	/* Cancelled dialog; and an unanswered one times out. */
	memset(&f, 0, sizeof f);
	f.m = m;
	CHECK_INT(macro_plan_build(mac, m, "c-1", NULL, 0, &p, err, sizeof err), 0);
	r = macro_run_new(p, 1000);
	CHECK_INT(macro_run_poll(r, m, &h, 1000, msg, sizeof msg), MACRO_RUN_WAITING);
	CHECK_INT(macro_run_poll(r, m, &h, 1000 + MACRO_CONFIRM_TIMEOUT_MS + 1, msg, sizeof msg),
		  MACRO_RUN_FAILED);
	CHECK(strstr(msg, "the confirmation was not answered") != NULL);
	macro_run_free(r);
	CHECK_INT(macro_plan_build(mac, m, "c-1", NULL, 0, &p, err, sizeof err), 0);
	r = macro_run_new(p, 1000);
	macro_run_cancel(r);
	CHECK_INT(macro_run_poll(r, m, &h, 1000, msg, sizeof msg), MACRO_RUN_FAILED);
	macro_run_free(r);

	/* A failing step stops the run and says where. */
	memset(&f, 0, sizeof f);
	f.m = m;
	f.fail_at = 1;
	CHECK_INT(macro_plan_build(mac, m, "c-1", NULL, 0, &p, err, sizeof err), 0);
	r = macro_run_new(p, 1000);
	CHECK_INT(macro_run_poll(r, m, &h, 1000, msg, sizeof msg), MACRO_RUN_FAILED);
	CHECK_STR(msg, "macro t stopped at step 1 (line 3): the hub is sulking");
	macro_run_free(r);

	/* A single reply becomes a draft. */
	struct macro *one = parse("description: d\n\n> Hi {{customer.first_name}}\n> bye\n");
	memset(&f, 0, sizeof f);
	f.m = m;
	CHECK_INT(macro_plan_build(one, m, "c-1", NULL, 0, &p, err, sizeof err), 0);
	r = macro_run_new(p, 1000);
	CHECK_INT(macro_run_poll(r, m, &h, 1000, msg, sizeof msg), MACRO_RUN_DONE);
	CHECK_STR(f.draft, "Hi Ayşe\nbye");
	CHECK_INT(f.n, 0);
	macro_run_free(r);
	macro_free(one);

	macro_free(mac);
	model_free(m);
}

/* The shipped examples load without a complaint and plan against a model. */
static void test_contrib_examples(void)
{
	char *warn = NULL, err[400];
	struct macro_set *s = macro_set_load("contrib/macros", &warn);
	struct model *m = model_std();
	struct macro_plan *p = NULL;

	if (warn)
		printf("#   %s\n", warn);
	CHECK(warn == NULL);
	CHECK_INT(s->n, 7);
	static const char *const names[] = { "greeting", "order-status", "late-apology", "return-label",
					     "handback-resolved", "literal-braces", "order-lookup" };
	for (size_t i = 0; i < BATON_ARRAY_LEN(names); i++)
		CHECK(macro_set_find(s, names[i]) != NULL);

	CHECK_INT(macro_plan_build(macro_set_find(s, "greeting"), m, "c-1", NULL, 0, &p, err, sizeof err), 0);
	CHECK(p && p->mode == MACRO_PLAN_DRAFT && strstr(p->steps[0].text, "Hi Ayşe, I'm Ana Kovač") != NULL);
	macro_plan_free(p);
	p = NULL;
	/* The newest order has no tracking number: an error, not a hole. */
	CHECK_INT(macro_plan_build(macro_set_find(s, "order-status"), m, "c-1", NULL, 0, &p, err, sizeof err),
		  -1);
	CHECK(strstr(err, "{{order.carrier}}: order o-5521 has no carrier yet") != NULL);
	CHECK_INT(macro_plan_build(macro_set_find(s, "late-apology"), m, "c-1", NULL, 0, &p, err, sizeof err), 0);
	CHECK(p && p->n == 4 && strcmp(p->steps[1].what, "discount 10% on o-5521 (8.99 EUR) — your cap 15%") == 0);
	macro_plan_free(p);
	p = NULL;
	const char *ans[] = { "SOCK:1", "too small" };
	CHECK_INT(macro_plan_build(macro_set_find(s, "return-label"), m, "c-1", ans, 2, &p, err, sizeof err), 0);
	CHECK(p && p->n == 3 && p->steps[1].deferred && p->steps[2].deferred);
	CHECK(p && strcmp(p->steps[0].what, "return 1 × SOCK from o-5521 (refund 5.00 EUR if eligible)") == 0);
	macro_plan_free(p);
	p = NULL;
	const char *note[] = { "all good" };
	CHECK_INT(macro_plan_build(macro_set_find(s, "handback-resolved"), m, "c-1", note, 1, &p, err,
				   sizeof err), 0);
	CHECK(p && strcmp(p->steps[1].text, "handback resolved all\\ good") == 0);
	macro_plan_free(p);
	p = NULL;
	action_ev(m, 2, "a-1", "discount", "applied", "{\"code\":\"BTN-7QX2\",\"percent\":10}");
	CHECK_INT(macro_plan_build(macro_set_find(s, "literal-braces"), m, "c-1", NULL, 0, &p, err, sizeof err),
		  0);
	CHECK(p && strstr(p->steps[0].text, "shows {{code}}; leave") && strstr(p->steps[0].text, "BTN-7QX2"));
	macro_plan_free(p);
	p = NULL;

	/* The executable example, fed the conversation. */
	const struct macro *x = macro_set_find(s, "order-lookup");
	char *in = macro_exec_input(m, "c-1", err, sizeof err);
	struct macro_exec *ex = x && in ? macro_exec_start(x->path, in, strlen(in), NULL, time_now_ms(), err,
							   sizeof err) : NULL;
	CHECK(ex != NULL);
	if (ex) {
		size_t len;
		struct macro *out = NULL;
		CHECK_INT(macro_exec_wait(ex), MACRO_EXEC_DONE);
		if (macro_exec_error(ex)[0])
			printf("#   %s\n", macro_exec_error(ex));
		const char *o = macro_exec_output(ex, &len);
		CHECK_INT(macro_exec_result(x, o, len, &out, err, sizeof err), 0);
		CHECK(out && out->nsteps == 1 && strstr(out->steps[0].text, "Hi Ayşe, order o-5521 is shipped"));
		macro_free(out);
	}
	macro_exec_free(ex);
	free(in);
	macro_set_free(s);
	model_free(m);
}

/* The picker: type to filter, move, pick; asks → the ':' line. */
static void test_picker(void)
{
	struct macro_set *s = macro_set_load("contrib/macros", NULL);
	struct macro_picker p;
	char cmd[100], line[200], title[200];

	macro_picker_init(&p, s, 3);
	CHECK_INT(p.n, 7);
	macro_picker_title(&p, title, sizeof title);
	CHECK_STR(title, "Macros: type to filter (7 of 7) — Enter runs, Esc closes");
	/* Alphabetical: greeting, handback-resolved, late-apology, … */
	macro_picker_line(&p, 0, 200, line, sizeof line);
	CHECK(strncmp(line, "greeting             F1       Introduce yourself", 48) == 0);
	macro_picker_line(&p, 0, 12, line, sizeof line);
	CHECK_STR(line, "greeting    ");
	CHECK_INT(macro_picker_key(&p, KEYS_FN | KEYS_K_DOWN, cmd, sizeof cmd), MACRO_PICK_REDRAW);
	CHECK_INT(macro_picker_key(&p, KEYS_FN | KEYS_K_UP, cmd, sizeof cmd), MACRO_PICK_REDRAW);
	CHECK_INT(macro_picker_key(&p, KEYS_FN | KEYS_K_UP, cmd, sizeof cmd), MACRO_PICK_NONE);
	CHECK_INT(macro_picker_key(&p, KEYS_FN | KEYS_K_END, cmd, sizeof cmd), MACRO_PICK_REDRAW);
	CHECK_INT(p.sel, 6);
	CHECK_INT(p.top, 4);	/* three rows: the last one in view */
	CHECK_INT(macro_picker_key(&p, KEYS_FN | KEYS_K_PGUP, cmd, sizeof cmd), MACRO_PICK_REDRAW);
	CHECK_INT(p.sel, 3);
	CHECK_INT(p.top, 3);

	/* Typing filters; "lat" finds late-apology first (a name match). */
	CHECK_INT(macro_picker_key(&p, 'l', cmd, sizeof cmd), MACRO_PICK_REDRAW);
	CHECK_INT(macro_picker_key(&p, 'a', cmd, sizeof cmd), MACRO_PICK_REDRAW);
	CHECK_INT(macro_picker_key(&p, 't', cmd, sizeof cmd), MACRO_PICK_REDRAW);
	CHECK_STR(p.typed, "lat");
	CHECK_INT(p.sel, 0);
	CHECK(p.n >= 1 && strcmp(p.hits[0]->name, "late-apology") == 0);
	CHECK_INT(macro_picker_key(&p, KEYS_FN | KEYS_K_ENTER, cmd, sizeof cmd), MACRO_PICK_RUN);
	CHECK_STR(cmd, "macro late-apology");
	/* Backspace over a multi-byte character, ctrl-u clears. */
	CHECK_INT(macro_picker_key(&p, 0x15F, cmd, sizeof cmd), MACRO_PICK_REDRAW);	/* ş */
	CHECK_STR(p.typed, "latş");
	CHECK_INT(p.n, 0);
	CHECK_INT(macro_picker_key(&p, KEYS_FN | KEYS_K_ENTER, cmd, sizeof cmd), MACRO_PICK_NONE);
	CHECK_INT(macro_picker_key(&p, KEYS_FN | KEYS_K_BACKSPACE, cmd, sizeof cmd), MACRO_PICK_REDRAW);
	CHECK_STR(p.typed, "lat");
	CHECK_INT(macro_picker_key(&p, 21, cmd, sizeof cmd), MACRO_PICK_REDRAW);
	CHECK_STR(p.typed, "");
	CHECK_INT(p.n, 7);
	/* A macro that asks goes to the ':' line for its answers. */
	for (const char *c = "return"; *c; c++)
		macro_picker_key(&p, *c, cmd, sizeof cmd);
	CHECK_INT(macro_picker_key(&p, KEYS_FN | KEYS_K_ENTER, cmd, sizeof cmd), MACRO_PICK_PREFILL);
	CHECK_STR(cmd, "macro return-label ");
	CHECK_INT(macro_picker_key(&p, KEYS_META | 'x', cmd, sizeof cmd), MACRO_PICK_NONE);
	CHECK_INT(macro_picker_key(&p, KEYS_FN | KEYS_K_ESC, cmd, sizeof cmd), MACRO_PICK_CLOSE);
	macro_set_free(s);
}

static const struct test tests[] = {
	TEST(test_every_variable),
	TEST(test_missing_and_unknown),
	TEST(test_literal_and_hostile),
	TEST(test_hostile_name_from_model),
	TEST(test_parse_good),
	TEST(test_parse_broken),
	TEST(test_directory),
	TEST(test_plan),
	TEST(test_run),
	TEST(test_contrib_examples),
	TEST(test_picker),
};
TEST_MAIN(tests)
