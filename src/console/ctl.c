/*
 * ctl.c: the control socket of a running console (ctl.h, baton-ipc(7)).
 *
 * Three layers, each usable without the next:
 *   1. the place: the directory and peer checks, ctl_listen();
 *   2. the line protocol over non-blocking fds: ctl_accept, ctl_conn_read
 *      (split lines, answer each), ctl_conn_flush (write what is queued),
 *      ctl_publish (queue events for subscribers);
 *   3. the console's lws loop: ctl_adopt() and ctl_lws_protocol, which call
 *      layer 2 from LWS_CALLBACK_RAW_*_FILE. lws closes adopted fds itself,
 *      so a connection owned by a wsi is freed in RAW_CLOSE_FILE only.
 *
 * Security: the socket lives in a 0700 directory of ours, is 0600, and
 * each peer's uid is checked (SO_PEERCRED) — three fences, because whoever
 * reaches it can act as the agent (say things to customers).
 */
#include "baton/ctl.h"
#include "baton/common.h"
#include "baton/log.h"
#include "baton/proto.h"
#include "baton/text.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

enum { CTL_TAG_SERVER = 0x5c71, CTL_TAG_CONN = 0xc0ee, CTL_TAG_WAKE = 0x3a4e };

/* ctl_wake_on: a descriptor watched until it is readable once. */
struct ctl_wake {
	int tag;	/* CTL_TAG_WAKE */
};

struct ctl_conn {
	int tag;		/* CTL_TAG_CONN: lws opaque data tells server and conn apart */
	struct ctl *c;
	struct ctl_conn *next;
	int fd;
	struct lws *wsi;	/* with ctl_adopt: lws owns the fd */
	struct strbuf in;
	bool discarding;	/* the rest of an over-long line */
	struct strbuf out;
	size_t outoff;
	bool dead;		/* fell behind: close at the next chance */
	bool eof;		/* the peer sends no more (it may still read) */
	char **subs;
	size_t nsubs;
};

struct ctl {
	int tag;		/* CTL_TAG_SERVER */
	int lfd;
	char *path;
	ctl_run_fn run;
	void *ctx;
	struct ctl_conn *conns;
	size_t nconns;
	struct lws_vhost *vh;
	struct lws *lwsi;
};

/* ---- the place ---- */

char *ctl_default_path(void)
{
	const char *p = getenv("BATON_CTL_SOCKET");
	const char *x = getenv("XDG_RUNTIME_DIR");

	if (p && *p == '/')
		return xstrdup(p);
	if (x && *x == '/')
		return xasprintf("%s/baton/ctl.sock", x);
	return xasprintf("/tmp/baton-%u/ctl.sock", (unsigned)geteuid());
}

int ctl_check_dir_stat(const char *dir, const struct stat *st, uid_t uid, char *err, size_t errlen)
{
	if (S_ISLNK(st->st_mode)) {
		snprintf(err, errlen, "%s is a symbolic link, not a directory: remove it (baton creates its "
			 "own)", dir);
		return -1;
	}
	if (!S_ISDIR(st->st_mode)) {
		snprintf(err, errlen, "%s is not a directory: remove it (baton creates its own)", dir);
		return -1;
	}
	if (st->st_uid != uid) {
		snprintf(err, errlen, "%s belongs to uid %u, not to you (uid %u): someone else could replace "
			 "the control socket; remove it, or set XDG_RUNTIME_DIR to a directory of yours", dir,
			 (unsigned)st->st_uid, (unsigned)uid);
		return -1;
	}
	if (st->st_mode & 077) {
		snprintf(err, errlen, "%s is open to group or others (mode %04o): run chmod 700 %s", dir,
			 (unsigned)(st->st_mode & 07777), dir);
		return -1;
	}
	return 0;
}

int ctl_prepare_dir(const char *dir, char *err, size_t errlen)
{
	struct stat st;

	if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
		snprintf(err, errlen, "cannot create %s: %s", dir, strerror(errno));
		return -1;
	}
	if (lstat(dir, &st) < 0) {
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		return -1;
	}
	return ctl_check_dir_stat(dir, &st, geteuid(), err, errlen);
}

int ctl_check_peer(int fd, uid_t uid, char *err, size_t errlen)
{
	struct ucred cr;
	socklen_t n = sizeof cr;

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &n) < 0 || n != sizeof cr) {
		snprintf(err, errlen, "cannot tell who is connecting (SO_PEERCRED: %s)", strerror(errno));
		return -1;
	}
	if (cr.uid != uid) {
		snprintf(err, errlen, "refused: this console belongs to uid %u and you are uid %u",
			 (unsigned)uid, (unsigned)cr.uid);
		return -1;
	}
	return 0;
}

static int fill_addr(struct sockaddr_un *sa, const char *path, char *err, size_t errlen)
{
	memset(sa, 0, sizeof *sa);
	sa->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof sa->sun_path) {
		snprintf(err, errlen, "the control socket path is too long (%zu bytes, at most %zu): %s",
			 strlen(path), sizeof sa->sun_path - 1, path);
		return -1;
	}
	memcpy(sa->sun_path, path, strlen(path) + 1);
	return 0;
}

int ctl_listen(const char *path, char *err, size_t errlen)
{
	struct sockaddr_un sa;
	struct stat st;
	char *dir = NULL, *slash;
	int fd = -1;

	if (fill_addr(&sa, path, err, errlen) < 0)
		return -1;
	dir = xstrdup(path);
	slash = strrchr(dir, '/');
	if (!slash || slash == dir) {
		snprintf(err, errlen, "%s: the control socket needs a directory of its own", path);
		goto fail;
	}
	*slash = '\0';
	if (ctl_prepare_dir(dir, err, errlen) < 0)
		goto fail;
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			snprintf(err, errlen, "%s exists and is not a socket: remove it", path);
			goto fail;
		}
		/* Someone answering means another console runs here. */
		int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (probe >= 0 && connect(probe, (struct sockaddr *)&sa, sizeof sa) == 0) {
			close(probe);
			snprintf(err, errlen, "another baton is running with its control socket at %s; "
				 "baton :COMMAND talks to that one", path);
			goto fail;
		}
		if (probe >= 0)
			close(probe);
		unlink(path);	/* stale: left by a console that died */
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, errlen, "cannot create the control socket: %s", strerror(errno));
		goto fail;
	}
	if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
		snprintf(err, errlen, "cannot bind the control socket %s: %s", path, strerror(errno));
		goto fail;
	}
	if (chmod(path, 0600) < 0 || listen(fd, 16) < 0) {
		snprintf(err, errlen, "cannot listen on %s: %s", path, strerror(errno));
		unlink(path);
		goto fail;
	}
	free(dir);
	return fd;
fail:
	if (fd >= 0)
		close(fd);
	free(dir);
	return -1;
}

/* ---- the server ---- */

struct ctl *ctl_new(int listen_fd, const char *path, ctl_run_fn run, void *ctx)
{
	struct ctl *c = xcalloc(1, sizeof *c);

	c->tag = CTL_TAG_SERVER;
	c->lfd = listen_fd;
	c->path = path ? xstrdup(path) : NULL;
	c->run = run;
	c->ctx = ctx;
	return c;
}

int ctl_listen_fd(const struct ctl *c)
{
	return c->lfd;
}

size_t ctl_conn_count(const struct ctl *c)
{
	return c->nconns;
}

int ctl_conn_fd(const struct ctl_conn *cc)
{
	return cc->fd;
}

bool ctl_conn_pending(const struct ctl_conn *cc)
{
	return cc->out.len > cc->outoff;
}

static void conn_unlink(struct ctl_conn *cc)
{
	struct ctl_conn **pp;

	for (pp = &cc->c->conns; *pp; pp = &(*pp)->next)
		if (*pp == cc) {
			*pp = cc->next;
			cc->c->nconns--;
			break;
		}
}

static void conn_free(struct ctl_conn *cc)
{
	conn_unlink(cc);
	if (cc->fd >= 0)
		close(cc->fd);
	sb_free(&cc->in);
	sb_free(&cc->out);
	for (size_t i = 0; i < cc->nsubs; i++)
		free(cc->subs[i]);
	free(cc->subs);
	free(cc);
}

void ctl_conn_close(struct ctl_conn *cc)
{
	if (!cc)
		return;
	if (cc->wsi) {
		/* lws owns the fd: it closes it, and RAW_CLOSE_FILE frees us. */
		cc->dead = true;
		lws_callback_on_writable(cc->wsi);
		return;
	}
	conn_free(cc);
}

void ctl_free(struct ctl *c)
{
	if (!c)
		return;
	while (c->conns) {
		struct ctl_conn *cc = c->conns;
		if (cc->wsi) {
			/* The loop still runs: let lws close it; forget it here. */
			lws_set_opaque_user_data(cc->wsi, NULL);
			cc->fd = -1;
		}
		conn_free(cc);
	}
	if (c->lwsi) {
		lws_set_opaque_user_data(c->lwsi, NULL);
		c->lfd = -1;
	}
	if (c->lfd >= 0)
		close(c->lfd);
	if (c->path)
		unlink(c->path);
	free(c->path);
	free(c);
}

/* Queues one JSON line. */
static void send_json(struct ctl_conn *cc, json_t *j)
{
	char *s = json_dumps(j, JSON_COMPACT);

	json_decref(j);
	if (!s)
		return;
	if (cc->outoff && cc->outoff == cc->out.len) {
		sb_reset(&cc->out);
		cc->outoff = 0;
	}
	sb_adds(&cc->out, s);
	sb_addc(&cc->out, '\n');
	free(s);
	if (cc->out.len - cc->outoff > CTL_OUT_MAX)
		cc->dead = true;
	if (cc->wsi)
		lws_callback_on_writable(cc->wsi);
}

static void send_error(struct ctl_conn *cc, json_t *id, const char *msg)
{
	send_json(cc, json_pack("{s:O,s:b,s:s}", "id", id ? id : json_null(), "ok", 0, "error", msg));
}

/* The event kinds a subscription may name. */
static int sub_valid(const char *s)
{
	size_t n = strlen(s);

	if (strcmp(s, "*") == 0)
		return 1;
	for (int i = 0; i <= PROTO_EV_AGENT_PRESENCE; i++) {
		const char *k = proto_event_table[i].name;
		if (strcmp(k, s) == 0)
			return 1;
		/* "conversation.*": every kind under a prefix. */
		if (n > 2 && s[n - 1] == '*' && s[n - 2] == '.' && strncmp(k, s, n - 1) == 0)
			return 1;
	}
	return 0;
}

static bool sub_matches(const char *sub, const char *kind)
{
	size_t n = strlen(sub);

	if (strcmp(sub, "*") == 0 || strcmp(sub, kind) == 0)
		return true;
	return n > 2 && sub[n - 1] == '*' && strncmp(sub, kind, n - 1) == 0;
}

static void accepted_kinds(struct strbuf *sb)
{
	sb_adds(sb, "*");
	for (int i = 0; i <= PROTO_EV_AGENT_PRESENCE; i++)
		sb_addf(sb, ", %s", proto_event_table[i].name);
	sb_adds(sb, ", or a prefix such as conversation.*");
}

static void handle_subscribe(struct ctl_conn *cc, json_t *id, json_t *list, bool add)
{
	size_t i;
	json_t *v;

	if (!json_is_array(list) || !json_array_size(list)) {
		send_error(cc, id, add ? "\"subscribe\" takes a list of event kinds, e.g. "
			   "[\"message\",\"conversation.queued\"]" : "\"unsubscribe\" takes a list of event kinds");
		return;
	}
	json_array_foreach(list, i, v) {
		if (!json_is_string(v) || !sub_valid(json_string_value(v))) {
			struct strbuf sb = STRBUF_INIT;
			char *bad = json_is_string(v) ? text_sanitize_line(json_string_value(v),
									 strlen(json_string_value(v)), NULL) :
							xstrdup("(not a string)");
			sb_addf(&sb, "\"%.60s\" is not an event kind; accepted: ", bad);
			accepted_kinds(&sb);
			send_error(cc, id, sb_str(&sb));
			sb_free(&sb);
			free(bad);
			return;
		}
	}
	json_array_foreach(list, i, v) {
		const char *s = json_string_value(v);
		size_t k;
		for (k = 0; k < cc->nsubs; k++)
			if (strcmp(cc->subs[k], s) == 0)
				break;
		if (add && k == cc->nsubs) {
			cc->subs = xrealloc(cc->subs, (cc->nsubs + 1) * sizeof *cc->subs);
			cc->subs[cc->nsubs++] = xstrdup(s);
		} else if (!add && k < cc->nsubs) {
			free(cc->subs[k]);
			cc->subs[k] = cc->subs[--cc->nsubs];
		}
	}
	json_t *now = json_array();
	for (size_t k = 0; k < cc->nsubs; k++)
		json_array_append_new(now, json_string(cc->subs[k]));
	send_json(cc, json_pack("{s:O,s:b,s:o}", "id", id, "ok", 1, "subscribed", now));
}

static void handle_line(struct ctl_conn *cc, const char *line, size_t len)
{
	json_error_t je;
	json_t *j, *id, *cmd;
	char err[600];

	while (len && (line[len - 1] == '\r' || line[len - 1] == ' ' || line[len - 1] == '\t'))
		len--;
	if (!len)
		return;	/* blank lines are allowed between requests */
	j = json_loadb(line, len, JSON_REJECT_DUPLICATES, &je);
	if (!j || !json_is_object(j)) {
		char *why = j ? xstrdup("it is not an object") :
				text_sanitize_line(je.text, strlen(je.text), NULL);
		snprintf(err, sizeof err, "not a JSON object (%s, column %d): send one object per line, "
			 "e.g. {\"id\":1,\"command\":\"help\"}", why, j ? 0 : je.column);
		free(why);
		send_error(cc, NULL, err);
		json_decref(j);
		return;
	}
	id = json_object_get(j, "id");
	if (id && !json_is_integer(id) && !json_is_string(id) && !json_is_null(id)) {
		send_error(cc, NULL, "\"id\" must be a number or a string");
		goto out;
	}
	if (!id)
		id = json_null();
	if ((cmd = json_object_get(j, "command"))) {
		json_t *result = NULL;
		int rc;
		if (!json_is_string(cmd) || !*json_string_value(cmd)) {
			send_error(cc, id, "\"command\" must be a command line as typed after ':', e.g. "
				   "\"say hello\"");
			goto out;
		}
		err[0] = '\0';
		rc = cc->c->run(cc->c->ctx, json_string_value(cmd), &result, err, sizeof err);
		if (rc < 0) {
			char *safe = text_sanitize_line(err, strlen(err), NULL);
			send_error(cc, id, *safe ? safe : "the command failed");
			free(safe);
			json_decref(result);
			goto out;
		}
		json_t *ans = json_object();
		if (json_is_object(result))
			json_object_update(ans, result);
		json_decref(result);
		json_object_set(ans, "id", id);
		json_object_set_new(ans, "ok", json_true());
		if (rc > 0)
			json_object_set_new(ans, "waiting", json_string("the agent confirms it on screen"));
		send_json(cc, ans);
	} else if (json_object_get(j, "subscribe")) {
		handle_subscribe(cc, id, json_object_get(j, "subscribe"), true);
	} else if (json_object_get(j, "unsubscribe")) {
		handle_subscribe(cc, id, json_object_get(j, "unsubscribe"), false);
	} else {
		send_error(cc, id, "a request has \"command\", \"subscribe\" or \"unsubscribe\"");
	}
out:
	json_decref(j);
}

void ctl_conn_feed(struct ctl_conn *cc, const char *buf, size_t len)
{
	while (len) {
		const char *nl = memchr(buf, '\n', len);
		size_t n = nl ? (size_t)(nl - buf) : len;
		if (!cc->discarding) {
			if (cc->in.len + n > CTL_LINE_MAX) {
				char msg[120];
				snprintf(msg, sizeof msg, "request line longer than %d KiB: refused (one JSON object "
					 "per line)", CTL_LINE_MAX / 1024);
				send_error(cc, NULL, msg);
				sb_reset(&cc->in);
				cc->discarding = true;
			} else {
				sb_add(&cc->in, buf, n);
			}
		}
		if (!nl)
			break;
		if (!cc->discarding)
			handle_line(cc, sb_str(&cc->in), cc->in.len);
		sb_reset(&cc->in);
		cc->discarding = false;
		buf += n + 1;
		len -= n + 1;
	}
}

int ctl_conn_read(struct ctl_conn *cc)
{
	char buf[8192];

	for (;;) {
		ssize_t n = read(cc->fd, buf, sizeof buf);
		if (n > 0) {
			ctl_conn_feed(cc, buf, (size_t)n);
			continue;
		}
		if (n == 0) {
			/* `echo '{…}' | socat - UNIX-CONNECT:…` shuts its side after
			 * the request: the answer (and a subscription's events) still
			 * go out. Nothing to write and nothing subscribed: done. */
			cc->eof = true;
			if (cc->dead || (!ctl_conn_pending(cc) && !cc->nsubs))
				return -1;
			return 1;
		}
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return cc->dead ? -1 : 0;
		return -1;
	}
}

int ctl_conn_flush(struct ctl_conn *cc)
{
	if (cc->dead)
		return -1;
	while (cc->outoff < cc->out.len) {
		ssize_t n = send(cc->fd, cc->out.buf + cc->outoff, cc->out.len - cc->outoff,
				 MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n > 0) {
			cc->outoff += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 1;
		return -1;
	}
	sb_reset(&cc->out);
	cc->outoff = 0;
	/* Everything said to a peer that sends no more and follows nothing. */
	if (cc->eof && !cc->nsubs)
		return -1;
	return 0;
}

static void refuse(int fd, const char *why)
{
	json_t *j = json_pack("{s:n,s:b,s:s}", "id", "ok", 0, "error", why);
	char *s = json_dumps(j, JSON_COMPACT);

	if (s) {
		/* Best effort: the socket buffer of a fresh connection is empty. */
		ssize_t r = send(fd, s, strlen(s), MSG_NOSIGNAL | MSG_DONTWAIT);
		r = send(fd, "\n", 1, MSG_NOSIGNAL | MSG_DONTWAIT);
		(void)r;
	}
	free(s);
	json_decref(j);
	close(fd);
}

int ctl_accept(struct ctl *c, void (*on_new)(void *arg, struct ctl_conn *cc), void *arg)
{
	int count = 0;

	for (;;) {
		char err[200];
		int fd = accept4(c->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EINTR)
				continue;
			break;	/* EAGAIN: all taken; anything else: try at the next wake-up */
		}
		if (ctl_check_peer(fd, geteuid(), err, sizeof err) < 0) {
			log_warn("control socket: %s", err);
			refuse(fd, err);
			continue;
		}
		if (c->nconns >= CTL_CONNS_MAX) {
			refuse(fd, "too many connections to this console's control socket; close some");
			continue;
		}
		struct ctl_conn *cc = xcalloc(1, sizeof *cc);
		cc->tag = CTL_TAG_CONN;
		cc->c = c;
		cc->fd = fd;
		sb_init(&cc->in);
		sb_init(&cc->out);
		cc->next = c->conns;
		c->conns = cc;
		c->nconns++;
		count++;
		if (on_new)
			on_new(arg, cc);
	}
	return count;
}

/* A deep copy with every string sanitized: events carry customers' text,
 * and a script may print what it reads. */
static json_t *sanitized(json_t *j)
{
	if (json_is_string(j)) {
		char *s = text_sanitize(json_string_value(j), json_string_length(j), NULL);
		json_t *r = json_string(s);
		free(s);
		return r ? r : json_string("");
	}
	if (json_is_object(j)) {
		json_t *r = json_object(), *v;
		const char *k;
		json_object_foreach(j, k, v)
			json_object_set_new(r, k, sanitized(v));
		return r;
	}
	if (json_is_array(j)) {
		json_t *r = json_array(), *v;
		size_t i;
		json_array_foreach(j, i, v)
			json_array_append_new(r, sanitized(v));
		return r;
	}
	return json_deep_copy(j);
}

/* The subscriber's line as JSON (new reference), NULL if not an event. */
static json_t *event_json(json_t *event)
{
	const char *kind = json_string_value(json_object_get(event, "kind"));
	json_t *line, *v;
	const char *k;

	if (!kind)
		return NULL;
	line = json_object();
	json_object_set_new(line, "event", json_string(kind));
	json_object_foreach(event, k, v)
		if (strcmp(k, "type") && strcmp(k, "kind"))
			json_object_set_new(line, k, sanitized(v));
	return line;
}

char *ctl_event_line(json_t *event)
{
	json_t *line = NULL;

	if (json_is_string(json_object_get(event, "kind"))) {
		line = event_json(event);
	} else if (json_is_object(event) &&
		   strcmp(json_string_value(json_object_get(event, "type")) ?
			  json_string_value(json_object_get(event, "type")) : "", "snapshot") == 0) {
		/* What is there when a follower starts: the queue, mine, … */
		json_t *v;
		const char *k;
		line = json_object();
		json_object_set_new(line, "event", json_string("snapshot"));
		json_object_foreach(event, k, v)
			if (strcmp(k, "type"))
				json_object_set_new(line, k, sanitized(v));
	}
	char *s = line ? json_dumps(line, JSON_COMPACT) : NULL;

	json_decref(line);
	return s;
}

void ctl_publish(struct ctl *c, json_t *event)
{
	const char *kind = json_string_value(json_object_get(event, "kind"));
	json_t *line = NULL;

	if (!c || !kind)
		return;
	for (struct ctl_conn *cc = c->conns; cc; cc = cc->next) {
		bool want = false;
		for (size_t i = 0; i < cc->nsubs && !want; i++)
			want = sub_matches(cc->subs[i], kind);
		if (!want || cc->dead)
			continue;
		if (!line)
			line = event_json(event);
		send_json(cc, json_incref(line));
	}
	json_decref(line);
}

/* ---- the lws loop ---- */

static void adopt_conn(void *arg, struct ctl_conn *cc)
{
	struct ctl *c = arg;
	lws_adopt_desc_t ad;

	memset(&ad, 0, sizeof ad);
	ad.vh = c->vh;
	ad.type = LWS_ADOPT_RAW_FILE_DESC;
	ad.fd.filefd = (lws_filefd_type)(intptr_t)cc->fd;
	ad.vh_prot_name = CTL_LWS_PROTOCOL_NAME;
	ad.opaque = cc;
	cc->wsi = lws_adopt_descriptor_vhost_via_info(&ad);
	if (!cc->wsi) {
		/* lws closed the fd on failure. */
		log_warn("control socket: the loop could not take a connection");
		cc->fd = -1;
		conn_free(cc);
	}
}

int ctl_lws_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
	void *op = lws_get_opaque_user_data(wsi);
	struct ctl *c = op && *(int *)op == CTL_TAG_SERVER ? op : NULL;
	struct ctl_conn *cc = op && *(int *)op == CTL_TAG_CONN ? op : NULL;
	struct ctl_wake *w = op && *(int *)op == CTL_TAG_WAKE ? op : NULL;

	(void)user;
	(void)in;
	(void)len;
	if (w) {
		/* Readable once: the loop is awake, its pass end does the work. */
		if (reason == LWS_CALLBACK_RAW_RX_FILE)
			return -1;
		if (reason == LWS_CALLBACK_RAW_CLOSE_FILE) {
			lws_set_opaque_user_data(wsi, NULL);
			free(w);
		}
		return 0;
	}
	switch (reason) {
	case LWS_CALLBACK_RAW_RX_FILE:
		if (c) {
			ctl_accept(c, adopt_conn, c);
		} else if (cc) {
			int r = ctl_conn_read(cc);
			if (r < 0)
				return -1;
			if (r > 0)
				lws_rx_flow_control(wsi, 0);	/* EOF stays readable: stop polling it */
			if (ctl_conn_pending(cc))
				lws_callback_on_writable(wsi);
		}
		break;
	case LWS_CALLBACK_RAW_WRITEABLE_FILE:
		if (cc) {
			int r = ctl_conn_flush(cc);
			if (r < 0)
				return -1;
			if (r > 0)
				lws_callback_on_writable(wsi);
		}
		break;
	case LWS_CALLBACK_RAW_CLOSE_FILE:
		if (cc) {
			lws_set_opaque_user_data(wsi, NULL);
			cc->wsi = NULL;
			cc->fd = -1;	/* lws closes it */
			conn_free(cc);
		} else if (c) {
			lws_set_opaque_user_data(wsi, NULL);
			c->lwsi = NULL;
			c->lfd = -1;
		}
		break;
	default:
		break;
	}
	return 0;
}

int ctl_adopt(struct ctl *c, struct lws_vhost *vh, char *err, size_t errlen)
{
	lws_adopt_desc_t ad;

	c->vh = vh;
	memset(&ad, 0, sizeof ad);
	ad.vh = vh;
	ad.type = LWS_ADOPT_RAW_FILE_DESC;
	ad.fd.filefd = (lws_filefd_type)(intptr_t)c->lfd;
	ad.vh_prot_name = CTL_LWS_PROTOCOL_NAME;
	ad.opaque = c;
	c->lwsi = lws_adopt_descriptor_vhost_via_info(&ad);
	if (!c->lwsi) {
		c->lfd = -1;	/* closed by lws on failure */
		snprintf(err, errlen, "the loop could not watch the control socket (is %s in the vhost's "
			 "protocols?)", CTL_LWS_PROTOCOL_NAME);
		return -1;
	}
	return 0;
}

int ctl_wake_on(struct lws_vhost *vh, int fd)
{
	struct ctl_wake *w;
	lws_adopt_desc_t ad;
	int dfd;

	if (!vh || fd < 0)
		return -1;
	dfd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	if (dfd < 0)
		return -1;
	w = xcalloc(1, sizeof *w);
	w->tag = CTL_TAG_WAKE;
	memset(&ad, 0, sizeof ad);
	ad.vh = vh;
	ad.type = LWS_ADOPT_RAW_FILE_DESC;
	ad.fd.filefd = (lws_filefd_type)(intptr_t)dfd;
	ad.vh_prot_name = CTL_LWS_PROTOCOL_NAME;
	ad.opaque = w;
	if (!lws_adopt_descriptor_vhost_via_info(&ad)) {
		free(w);	/* lws closed dfd */
		return -1;
	}
	return 0;
}
