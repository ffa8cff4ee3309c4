/*
 * config.c: batond.conf, "key = value" lines (man/batond.conf.5).
 *
 * One table holds every key: its name, type, where it lands and its limits,
 * so parsing, check-config and the man page agree. '#' starts a comment.
 */
#include "baton/hub.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum cfg_kind { CK_STR, CK_INT, CK_I64, CK_NUM, CK_BOOL, CK_CURRENCY, CK_LISTEN, CK_LEVEL, CK_U64 };

struct cfg_key {
	const char *name;
	enum cfg_kind kind;
	size_t off;
	double min, max;
};

#define O(f) offsetof(struct hub_config, f)
static const struct cfg_key cfg_keys[] = {
	{ "listen", CK_LISTEN, O(listen), 0, 0 },
	{ "db", CK_STR, O(db_path), 0, 0 },
	{ "cert", CK_STR, O(cert), 0, 0 },
	{ "key", CK_STR, O(key), 0, 0 },
	{ "returns_name", CK_STR, O(returns_name), 0, 0 },
	{ "returns_address", CK_STR, O(returns_address), 0, 0 },
	{ "log_level", CK_LEVEL, O(log_level), 0, 0 },
	{ "currency", CK_CURRENCY, O(currency), 0, 0 },
	{ "agent_discount_percent_max", CK_I64, O(cap_percent[PROTO_ROLE_AGENT]), 0, 100 },
	{ "agent_discount_amount_max_minor", CK_I64, O(cap_amount_minor[PROTO_ROLE_AGENT]), 0, 1e11 },
	{ "supervisor_discount_percent_max", CK_I64, O(cap_percent[PROTO_ROLE_SUPERVISOR]), 0, 100 },
	{ "supervisor_discount_amount_max_minor", CK_I64, O(cap_amount_minor[PROTO_ROLE_SUPERVISOR]), 0, 1e11 },
	{ "approval_ttl_s", CK_INT, O(approval_ttl_s), 10, 86400 * 7 },
	{ "return_window_days", CK_INT, O(return_window_days), 0, 3650 },
	{ "coupon_valid_days", CK_INT, O(coupon_valid_days), 1, 3650 },
	{ "max_frame_bytes", CK_INT, O(max_frame_bytes), 1024, 16777216 },
	{ "max_active", CK_INT, O(max_active), 0, 1000 },
	{ "rate_per_s", CK_NUM, O(rate_per_s), 0.1, 100000 },
	{ "rate_burst", CK_INT, O(rate_burst), 1, 1000000 },
	{ "sla_urgent_s", CK_INT, O(sla_s[PROTO_PRIO_URGENT]), 10, 86400 * 30 },
	{ "sla_high_s", CK_INT, O(sla_s[PROTO_PRIO_HIGH]), 10, 86400 * 30 },
	{ "sla_normal_s", CK_INT, O(sla_s[PROTO_PRIO_NORMAL]), 10, 86400 * 30 },
	{ "sla_low_s", CK_INT, O(sla_s[PROTO_PRIO_LOW]), 10, 86400 * 30 },
	{ "http_body_max", CK_INT, O(http_body_max), 1024, 64 << 20 },
	{ "replay_max", CK_INT, O(replay_max), 0, 10000000 },
	{ "retention_days", CK_INT, O(retention_days), 0, 36500 },
	{ "offline_grace_s", CK_INT, O(offline_grace_s), 0, 86400 * 7 },
	{ "webhook_inflight", CK_INT, O(webhook_inflight), 1, 1024 },
	{ "webhook_max_backoff_s", CK_INT, O(webhook_max_backoff_s), 1, 86400 },
	{ "demo_rate", CK_NUM, O(demo_rate), 0, 6000 },
	{ "demo_customers", CK_INT, O(demo_customers), 50, 100000 },
	{ "demo_seed", CK_U64, O(demo_seed), 0, 0 },
};
#undef O

void hub_config_defaults(struct hub_config *c)
{
	memset(c, 0, sizeof *c);
	snprintf(c->listen, sizeof c->listen, "127.0.0.1:7300");
	snprintf(c->currency, sizeof c->currency, "EUR");
	c->cap_percent[PROTO_ROLE_AGENT] = 15;
	c->cap_amount_minor[PROTO_ROLE_AGENT] = 5000;
	c->cap_percent[PROTO_ROLE_SUPERVISOR] = 40;
	c->cap_amount_minor[PROTO_ROLE_SUPERVISOR] = 50000;
	c->approval_ttl_s = 15 * 60;
	c->return_window_days = 30;
	c->coupon_valid_days = 90;
	c->max_frame_bytes = PROTO_MAX_FRAME_BYTES;
	c->max_active = 3;
	c->rate_per_s = 20;
	c->rate_burst = 60;
	c->sla_s[PROTO_PRIO_URGENT] = 2 * 60;
	c->sla_s[PROTO_PRIO_HIGH] = 5 * 60;
	c->sla_s[PROTO_PRIO_NORMAL] = 15 * 60;
	c->sla_s[PROTO_PRIO_LOW] = 60 * 60;
	c->http_body_max = 1 << 20;
	c->replay_max = 10000;
	c->retention_days = 90;
	c->offline_grace_s = 120;
	c->webhook_inflight = 16;
	c->webhook_max_backoff_s = 300;
	c->demo_rate = 2;
	c->demo_customers = 60;
	c->demo_seed = 1;
	c->log_level = LOG_INFO;
	c->returns_name = xstrdup("Returns department");
	c->returns_address = xstrdup("Baton Demo Shop|Industrieweg 12|5145 PD Waalwijk, NL");
}

void hub_config_free(struct hub_config *c)
{
	free(c->db_path);
	free(c->cert);
	free(c->key);
	free(c->returns_name);
	free(c->returns_address);
	c->db_path = c->cert = c->key = c->returns_name = c->returns_address = NULL;
}

int hub_listen_split(const char *listen, char *addr, size_t addrlen, int *port)
{
	const char *colon = strrchr(listen, ':');
	char *end;
	long p;

	if (!colon || colon == listen || (size_t)(colon - listen) >= addrlen)
		return -1;
	errno = 0;
	p = strtol(colon + 1, &end, 10);
	if (errno || *end || end == colon + 1 || p < 0 || p > 65535)
		return -1;
	memcpy(addr, listen, (size_t)(colon - listen));
	addr[colon - listen] = '\0';
	/* "[::1]:7300" */
	if (addr[0] == '[') {
		size_t n = strlen(addr);
		if (addr[n - 1] != ']')
			return -1;
		memmove(addr, addr + 1, n - 2);
		addr[n - 2] = '\0';
	}
	*port = (int)p;
	return 0;
}

int hub_config_set(struct hub_config *c, const char *key, const char *val, char *err, size_t errlen)
{
	const struct cfg_key *k = NULL;
	char *base = (char *)c, *end;

	for (size_t i = 0; i < BATON_ARRAY_LEN(cfg_keys); i++)
		if (strcmp(cfg_keys[i].name, key) == 0)
			k = &cfg_keys[i];
	if (!k) {
		snprintf(err, errlen, "unknown setting \"%s\" (see batond.conf(5) for the list)", key);
		return -1;
	}
	errno = 0;
	switch (k->kind) {
	case CK_STR: {
		char **p = (char **)(base + k->off);
		free(*p);
		*p = xstrdup(val);
		return 0;
	}
	case CK_LISTEN: {
		char addr[128];
		int port;
		if (hub_listen_split(val, addr, sizeof addr, &port) < 0) {
			snprintf(err, errlen, "%s: \"%s\" is not ADDR:PORT (e.g. 127.0.0.1:7300)", key, val);
			return -1;
		}
		snprintf(c->listen, sizeof c->listen, "%s", val);
		return 0;
	}
	case CK_LEVEL: {
		int l = (int)log_level_parse(val);
		if (l < 0) {
			snprintf(err, errlen, "%s: \"%s\" is not one of debug, info, warn, error, off", key, val);
			return -1;
		}
		c->log_level = (enum log_level)l;
		return 0;
	}
	case CK_CURRENCY:
		if (strlen(val) != 3 || !isupper((unsigned char)val[0]) || !isupper((unsigned char)val[1]) ||
		    !isupper((unsigned char)val[2])) {
			snprintf(err, errlen, "%s: \"%s\" is not an ISO 4217 code such as EUR", key, val);
			return -1;
		}
		memcpy(c->currency, val, 4);
		return 0;
	case CK_BOOL:
		break;
	case CK_U64: {
		unsigned long long u = strtoull(val, &end, 10);
		if (errno || *end || end == val) {
			snprintf(err, errlen, "%s: \"%s\" is not a whole number", key, val);
			return -1;
		}
		*(uint64_t *)(base + k->off) = u;
		return 0;
	}
	case CK_INT:
	case CK_I64: {
		long long v = strtoll(val, &end, 10);
		if (errno || *end || end == val || v < k->min || v > k->max) {
			snprintf(err, errlen, "%s: \"%s\" must be a whole number from %.0f to %.0f", key, val,
				 k->min, k->max);
			return -1;
		}
		if (k->kind == CK_INT)
			*(int *)(base + k->off) = (int)v;
		else
			*(int64_t *)(base + k->off) = v;
		return 0;
	}
	case CK_NUM: {
		double v = strtod(val, &end);
		if (errno || *end || end == val || v < k->min || v > k->max) {
			snprintf(err, errlen, "%s: \"%s\" must be a number from %g to %g", key, val, k->min, k->max);
			return -1;
		}
		*(double *)(base + k->off) = v;
		return 0;
	}
	}
	snprintf(err, errlen, "%s: unsupported setting", key);
	return -1;
}

static char *trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

int hub_config_load(struct hub_config *c, const char *path, char *err, size_t errlen)
{
	size_t len;
	char *text = file_read(path, 1 << 20, &len), *line, *next;
	int lineno = 0, ret = 0;

	if (!text) {
		snprintf(err, errlen, "cannot read the config file %s: %s", path, strerror(errno));
		return -1;
	}
	for (line = text; line; line = next) {
		char *hash, *eq, *key, *val, e2[200];

		if ((next = strchr(line, '\n')))
			*next++ = '\0';
		lineno++;
		if ((hash = strchr(line, '#')))
			*hash = '\0';
		line = trim(line);
		if (!*line)
			continue;
		eq = strchr(line, '=');
		if (!eq) {
			snprintf(err, errlen, "%s:%d: expected \"key = value\"", path, lineno);
			ret = -1;
			break;
		}
		*eq = '\0';
		key = trim(line);
		val = trim(eq + 1);
		if (hub_config_set(c, key, val, e2, sizeof e2) < 0) {
			snprintf(err, errlen, "%s:%d: %s", path, lineno, e2);
			ret = -1;
			break;
		}
	}
	free(text);
	if (ret == 0 && ((c->cert == NULL) != (c->key == NULL))) {
		snprintf(err, errlen, "%s: cert and key go together; set both or neither", path);
		ret = -1;
	}
	return ret;
}
