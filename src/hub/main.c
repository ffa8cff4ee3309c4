/*
 * batond: the handoff hub between a retail bot and the people who take over.
 *
 * How it is put together: see include/baton/hub.h for the map of modules.
 * This file is the command line: it reads the config (defaults, then the
 * file, then options), and runs one of
 *   batond [options]                     the hub (server.c runs the loop)
 *   batond [--db PATH] token add|list|remove …
 *   batond [--config FILE] check-config
 */
#include "baton/hub.h"
#include "baton/hub-store.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void usage(FILE *f)
{
	fprintf(f,
		"usage: batond [--listen ADDR:PORT] [--db PATH] [--config FILE] [--cert F --key F]\n"
		"              [--demo] [--demo-rate N] [--log-level LEVEL]\n"
		"       batond [--db PATH] token add --id ID --role agent|supervisor|bot --name NAME\n"
		"              [--skills a,b] [--max-active N]\n"
		"       batond [--db PATH] token list\n"
		"       batond [--db PATH] token remove --id ID\n"
		"       batond [--config FILE] check-config\n"
		"\n"
		"  --listen ADDR:PORT  where to listen (default 127.0.0.1:7300)\n"
		"  --db PATH           the sqlite database (default ./batond.db)\n"
		"  --config FILE       settings, see batond.conf(5)\n"
		"  --cert F --key F    serve wss:// and https:// with this PEM certificate and key\n"
		"  --demo              seed a demo store, agents and a simulated bot (prints tokens)\n"
		"  --demo-rate N       demo escalations per minute (default 2)\n"
		"  --log-level LEVEL   debug, info, warn, error, off (default info)\n"
		"\n"
		"`token add` prints the new token alone on stdout and stores only its hash;\n"
		"adding the same id again replaces its token. See batond(8).\n");
}

static int open_store(char *err, size_t errlen)
{
	hub.st = hub_store_open(hub.cfg.db_path, err, errlen);
	return hub.st ? 0 : -1;
}

static int cmd_token(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "id", required_argument, NULL, 'i' },
		{ "role", required_argument, NULL, 'r' },
		{ "name", required_argument, NULL, 'n' },
		{ "skills", required_argument, NULL, 's' },
		{ "max-active", required_argument, NULL, 'm' },
		{ NULL, 0, NULL, 0 },
	};
	const char *id = NULL, *role_s = NULL, *name = NULL, *skills = NULL, *sub;
	char err[512];
	int max_active = 0, c, role, ret = 1;

	if (argc < 2) {
		fprintf(stderr, "batond: token needs add, list or remove (see batond --help)\n");
		return 2;
	}
	sub = argv[1];
	optind = 2;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'i': id = optarg; break;
		case 'r': role_s = optarg; break;
		case 'n': name = optarg; break;
		case 's': skills = optarg; break;
		case 'm': max_active = atoi(optarg); break;
		default:
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "batond: token %s: unexpected argument \"%s\"\n", sub, argv[optind]);
		return 2;
	}
	if (strcmp(sub, "add") == 0) {
		if (!id || !role_s || !name) {
			fprintf(stderr, "batond: token add needs --id, --role and --name\n");
			return 2;
		}
		role = PROTO_ENUM_PARSE(role, role_s);
		if (role < 0) {
			fprintf(stderr, "batond: --role: agent, supervisor or bot\n");
			return 2;
		}
		if (max_active < 0 || max_active > 1000) {
			fprintf(stderr, "batond: --max-active: 0 to 1000\n");
			return 2;
		}
		if (open_store(err, sizeof err) < 0)
			goto fail;
		char *token = hub_token_new();
		if (hub_agent_put(id, name, role, skills, max_active, token, err, sizeof err) < 0) {
			free(token);
			goto fail;
		}
		printf("%s\n", token);
		fflush(stdout);
		free(token);
		log_info("token for %s (%s) stored; any earlier token of %s no longer works", id, role_s, id);
		ret = 0;
	} else if (strcmp(sub, "list") == 0) {
		if (open_store(err, sizeof err) < 0)
			goto fail;
		json_t *rows = hub_store_rows(hub.st, "SELECT id, role, name, skills FROM agents ORDER BY id", ""), *r;
		size_t i;
		json_array_foreach(rows, i, r)
			printf("%-20s %-10s %-30s %s\n", json_string_value(json_object_get(r, "id")),
			       json_string_value(json_object_get(r, "role")),
			       json_string_value(json_object_get(r, "name")),
			       json_string_value(json_object_get(r, "skills")));
		json_decref(rows);
		ret = 0;
	} else if (strcmp(sub, "remove") == 0) {
		if (!id) {
			fprintf(stderr, "batond: token remove needs --id\n");
			return 2;
		}
		if (open_store(err, sizeof err) < 0)
			goto fail;
		int n = hub_store_exec(hub.st, "DELETE FROM agents WHERE id = ?", "s", id);
		if (n < 0) {
			snprintf(err, sizeof err, "%s", hub_store_errmsg(hub.st));
			goto fail;
		}
		if (n == 0) {
			fprintf(stderr, "batond: no agent %s\n", id);
		} else {
			log_info("agent %s removed; its token no longer works", id);
			ret = 0;
		}
	} else {
		fprintf(stderr, "batond: token %s: expected add, list or remove\n", sub);
		return 2;
	}
	hub_store_close(hub.st);
	hub.st = NULL;
	return ret;
fail:
	fprintf(stderr, "batond: %s\n", err);
	hub_store_close(hub.st);
	hub.st = NULL;
	return 1;
}

static int cmd_check_config(void)
{
	char addr[128];
	int port;

	if (hub_listen_split(hub.cfg.listen, addr, sizeof addr, &port) < 0) {
		fprintf(stderr, "batond: listen %s: expected ADDR:PORT\n", hub.cfg.listen);
		return 1;
	}
	if ((hub.cfg.cert == NULL) != (hub.cfg.key == NULL)) {
		fprintf(stderr, "batond: cert and key go together\n");
		return 1;
	}
	if (hub.cfg.cert && (access(hub.cfg.cert, R_OK) != 0 || access(hub.cfg.key, R_OK) != 0)) {
		fprintf(stderr, "batond: cannot read %s or %s: %s\n", hub.cfg.cert, hub.cfg.key, strerror(errno));
		return 1;
	}
	if (hub.cfg.cap_percent[PROTO_ROLE_AGENT] > hub.cfg.cap_percent[PROTO_ROLE_SUPERVISOR] ||
	    hub.cfg.cap_amount_minor[PROTO_ROLE_AGENT] > hub.cfg.cap_amount_minor[PROTO_ROLE_SUPERVISOR]) {
		fprintf(stderr, "batond: an agent's discount cap is above the supervisor's; "
				"approvals could never help\n");
		return 1;
	}
	printf("config ok\n");
	printf("listen = %s\ndb = %s\ntls = %s\ncurrency = %s\n", hub.cfg.listen, hub.cfg.db_path,
	       hub.cfg.cert ? "yes" : "no", hub.cfg.currency);
	printf("agent cap = %lld%% or %lld minor\nsupervisor cap = %lld%% or %lld minor\n",
	       (long long)hub.cfg.cap_percent[PROTO_ROLE_AGENT], (long long)hub.cfg.cap_amount_minor[PROTO_ROLE_AGENT],
	       (long long)hub.cfg.cap_percent[PROTO_ROLE_SUPERVISOR],
	       (long long)hub.cfg.cap_amount_minor[PROTO_ROLE_SUPERVISOR]);
	printf("approval_ttl_s = %d\nreturn_window_days = %d\nmax_active = %d\n", hub.cfg.approval_ttl_s,
	       hub.cfg.return_window_days, hub.cfg.max_active);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "listen", required_argument, NULL, 'l' },
		{ "db", required_argument, NULL, 'd' },
		{ "config", required_argument, NULL, 'c' },
		{ "cert", required_argument, NULL, 'C' },
		{ "key", required_argument, NULL, 'K' },
		{ "demo", no_argument, NULL, 'D' },
		{ "demo-rate", required_argument, NULL, 'R' },
		{ "log-level", required_argument, NULL, 'L' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct { int key; const char *val; } over[16];
	const char *config = NULL;
	char err[512];
	int c, nover = 0, ret = 1;

	hub_config_defaults(&hub.cfg);
	log_init("batond", LOG_INFO);
	/* "+": stop at the first non-option (the subcommand). */
	while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			config = optarg;
			break;
		case 'D':
			hub.cfg.demo = 1;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("batond %s\n", BATON_VERSION);
			return 0;
		case 'l': case 'd': case 'C': case 'K': case 'R': case 'L':
			if (nover < (int)BATON_ARRAY_LEN(over)) {
				over[nover].key = c;
				over[nover++].val = optarg;
			}
			break;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (config && hub_config_load(&hub.cfg, config, err, sizeof err) < 0) {
		fprintf(stderr, "batond: %s\n", err);
		goto out;
	}
	/* Options beat the file. */
	for (int i = 0; i < nover; i++) {
		static const struct { int key; const char *name; } names[] = {
			{ 'l', "listen" }, { 'd', "db" }, { 'C', "cert" }, { 'K', "key" },
			{ 'R', "demo_rate" }, { 'L', "log_level" },
		};
		for (size_t k = 0; k < BATON_ARRAY_LEN(names); k++)
			if (names[k].key == over[i].key &&
			    hub_config_set(&hub.cfg, names[k].name, over[i].val, err, sizeof err) < 0) {
				fprintf(stderr, "batond: --%s\n", err);
				goto out;
			}
	}
	if (!hub.cfg.db_path)
		hub.cfg.db_path = xstrdup("batond.db");
	log_init("batond", hub.cfg.log_level);

	if (optind < argc) {
		if (strcmp(argv[optind], "token") == 0) {
			ret = cmd_token(argc - optind, argv + optind);
		} else if (strcmp(argv[optind], "check-config") == 0) {
			ret = cmd_check_config();
		} else {
			fprintf(stderr, "batond: unknown command \"%s\" (token, check-config; see --help)\n",
				argv[optind]);
			ret = 2;
		}
		goto out;
	}
	if ((hub.cfg.cert == NULL) != (hub.cfg.key == NULL)) {
		fprintf(stderr, "batond: --cert and --key go together\n");
		goto out;
	}
	if (open_store(err, sizeof err) < 0) {
		fprintf(stderr, "batond: %s\n", err);
		goto out;
	}
	log_info("batond %s starting; database %s", BATON_VERSION, hub.cfg.db_path);
	if (server_run(err, sizeof err) < 0) {
		fprintf(stderr, "batond: %s\n", err);
		goto out;
	}
	ret = 0;
out:
	hub_agents_free();
	hub_store_close(hub.st);
	hub.st = NULL;
	hub_config_free(&hub.cfg);
	return ret;
}
