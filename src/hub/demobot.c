/*
 * demobot.c: the simulated retail bot of `batond --demo`, in process.
 *
 * It uses the same paths as a real bot: escalations go through
 * httpapi_escalate() with callback_url "demo:", so the webhook module
 * queues and "delivers" its webhooks like any other, only to
 * demobot_webhook() instead of over HTTP. Customers' replies and the bot's
 * closing message come back through httpapi_customer_message() and
 * httpapi_close(), after a delay (the customer typing). The world itself
 * (customers, scenarios, texts) is the demo module's (hub-demo.h).
 */
#include "baton/hub.h"
#include "baton/hub-demo.h"
#include "baton/hub-store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum demo_job_kind { DJ_TYPING, DJ_CUSTOMER, DJ_BOT, DJ_CLOSE };

struct demo_job {
	struct demo_job *next;
	int64_t due_ms;
	enum demo_job_kind kind;
	char conv[32];
	char *text;
	int csat;
};

static struct demo_job *demo_jobs;
static double demo_credit;

static const struct {
	const char *id, *name, *role, *skills;
} demo_agents[] = {
	{ "ana", "Ana Kaya", "agent", "returns,billing,general" },
	{ "ben", "Ben de Vries", "agent", "shipping,returns,general" },
	{ "cem", "Cem Yılmaz", "agent", "fraud,billing,complaints,general" },
	{ "sam", "Sam Nowak", "supervisor", "billing,returns,fraud,shipping,complaints,general" },
	{ "demo-bot", "Demo retail bot", "bot", "" },
};

const char *demobot_customer_address(const char *customer_id, const char *lines[4])
{
	if (!hub.demo) {
		lines[0] = NULL;
		return NULL;
	}
	return demo_customer_address(hub.demo, customer_id, lines);
}

static void demo_escalate(void)
{
	json_t *body = demo_escalation_new(hub.demo, time_now_ms()), *res;
	int status = 0;

	json_object_set_new(body, "callback_url", json_string("demo:"));
	res = httpapi_escalate(body, &status);
	if (status >= 300) {
		char *s = json_dumps(res, JSON_COMPACT);
		log_warn("demo: escalation refused (%d): %s", status, s ? s : "?");
		free(s);
	}
	json_decref(res);
	json_decref(body);
}

int demobot_start(char *err, size_t errlen)
{
	int64_t serial = 0;

	hub.demo = demo_world_new(hub.cfg.demo_seed, hub.cfg.demo_customers);
	if (hub_begin() < 0) {
		snprintf(err, errlen, "demo: the store cannot begin a transaction");
		return -1;
	}
	for (size_t i = 0; i < demo_customer_count(hub.demo); i++) {
		json_t *cu = demo_customer_json(hub.demo, i);
		char e2[300];
		if (httpapi_customer_put(cu, e2, sizeof e2) < 0)
			log_warn("demo: customer %zu not seeded: %s", i, e2);
		json_decref(cu);
	}
	hub_store_int(hub.st, &serial, "SELECT max(CAST(substr(external_id, 5) AS INTEGER)) FROM conversations"
		  " WHERE external_id LIKE 'bot-%'", "");
	demo_world_set_next_serial(hub.demo, (uint64_t)serial + 1);

	printf("batond demo: %zu customers seeded; tokens (new on every start):\n",
	       demo_customer_count(hub.demo));
	for (size_t i = 0; i < BATON_ARRAY_LEN(demo_agents); i++) {
		char *token = hub_token_new();
		if (hub_agent_put(demo_agents[i].id, demo_agents[i].name, PROTO_ENUM_PARSE(role, demo_agents[i].role),
				  demo_agents[i].skills, 0, token, err, errlen) < 0) {
			free(token);
			return -1;
		}
		printf("  %-9s %-11s %s\n", demo_agents[i].id, demo_agents[i].role, token);
		free(token);
	}
	fflush(stdout);
	/* Something to look at straight away. */
	for (int i = 0; i < 3; i++)
		demo_escalate();
	log_info("demo: simulated bot escalates %.1f conversations a minute", hub.cfg.demo_rate);
	return 0;
}

static void job_add(enum demo_job_kind kind, const char *conv, char *text, int delay_ms, int csat)
{
	struct demo_job *j = xcalloc(1, sizeof *j), **pp;

	j->kind = kind;
	j->due_ms = time_now_ms() + delay_ms;
	snprintf(j->conv, sizeof j->conv, "%s", conv);
	j->text = text;
	j->csat = csat;
	/* Kept in due order. */
	for (pp = &demo_jobs; *pp && (*pp)->due_ms <= j->due_ms; pp = &(*pp)->next)
		;
	j->next = *pp;
	*pp = j;
}

void demobot_webhook(const char *type, json_t *body)
{
	const char *ext = json_string_value(json_object_get(body, "external_id"));
	const char *conv = json_string_value(json_object_get(body, "conversation"));

	if (!hub.demo || !ext || !conv)
		return;
	if (strcmp(type, "agent.message") == 0) {
		const char *text = json_string_value(json_object_get(json_object_get(body, "message"), "text"));
		int delay = 3000;
		char *reply = demo_customer_reply(hub.demo, ext, text ? text : "", &delay);
		if (reply) {
			/* The customer starts typing a moment after reading. */
			job_add(DJ_TYPING, conv, NULL, delay / 3, 0);
			job_add(DJ_CUSTOMER, conv, reply, delay, 0);
		}
	} else if (strcmp(type, "handoff.completed") == 0) {
		int csat = 4;
		const char *disp = json_string_value(json_object_get(body, "disposition"));
		char *msg = demo_bot_closing(hub.demo, ext, disp ? disp : "resolved",
					     json_object_get(body, "outcome"), &csat);
		job_add(DJ_BOT, conv, msg, 1500, 0);
		job_add(DJ_CLOSE, conv, NULL, 4000, csat);
	}
}

void demobot_tick(void)
{
	int64_t now = time_now_ms();
	int status;

	demo_credit += hub.cfg.demo_rate / 60.0;
	while (demo_credit >= 1) {
		demo_credit -= 1;
		demo_escalate();
	}
	while (demo_jobs && demo_jobs->due_ms <= now) {
		struct demo_job *j = demo_jobs;
		json_t *res = NULL, *body;
		demo_jobs = j->next;
		switch (j->kind) {
		case DJ_TYPING:
			body = json_pack("{s:b}", "on", 1);
			res = httpapi_typing(j->conv, body, &status);
			json_decref(body);
			break;
		case DJ_CUSTOMER:
		case DJ_BOT:
			body = json_pack("{s:s, s:s}", "from", j->kind == DJ_BOT ? "bot" : "customer", "text", j->text);
			res = httpapi_customer_message(j->conv, body, &status);
			json_decref(body);
			break;
		case DJ_CLOSE:
			body = json_pack("{s:i}", "csat", j->csat);
			res = httpapi_close(j->conv, body, &status);
			json_decref(body);
			break;
		}
		json_decref(res);
		free(j->text);
		free(j);
	}
}

void demobot_stop(void)
{
	while (demo_jobs) {
		struct demo_job *j = demo_jobs;
		demo_jobs = j->next;
		free(j->text);
		free(j);
	}
	if (hub.demo) {
		demo_world_free(hub.demo);
		hub.demo = NULL;
	}
}
