/* test-console-ctl.c: the control socket — the directory and peer checks
 * (foreign owner, group/other modes, another uid on a socketpair), a
 * command round trip and a subscription with a fake `run`, bad JSON and
 * over-long lines answered with the connection kept, stale and live
 * sockets, and the same through the lws loop with the real client. */
#include "baton/ctl.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <libwebsockets.h>

#include "baton/common.h"
#include "test.h"

static char tmp[] = "/tmp/baton-ctl-test.XXXXXX";

/* ---- checks ---- */

static void test_dir_checks(void)
{
	struct stat st;
	char err[300];
	uid_t me = geteuid();

	memset(&st, 0, sizeof st);
	st.st_mode = S_IFDIR | 0700;
	st.st_uid = me;
	CHECK_INT(ctl_check_dir_stat("/run/user/1/baton", &st, me, err, sizeof err), 0);

	st.st_uid = me + 1;
	CHECK_INT(ctl_check_dir_stat("/d", &st, me, err, sizeof err), -1);
	CHECK(strstr(err, "/d belongs to uid") == err);
	CHECK(strstr(err, "not to you") != NULL);

	st.st_uid = me;
	static const mode_t bad[] = { 0750, 0705, 0710, 0701, 0777, 0740 };
	for (size_t i = 0; i < BATON_ARRAY_LEN(bad); i++) {
		st.st_mode = S_IFDIR | bad[i];
		CHECK_INT(ctl_check_dir_stat("/d", &st, me, err, sizeof err), -1);
		CHECK(strstr(err, "open to group or others") != NULL);
	}
	st.st_mode = S_IFLNK | 0777;
	CHECK_INT(ctl_check_dir_stat("/d", &st, me, err, sizeof err), -1);
	CHECK(strstr(err, "symbolic link") != NULL);
	st.st_mode = S_IFREG | 0600;
	CHECK_INT(ctl_check_dir_stat("/d", &st, me, err, sizeof err), -1);
	CHECK(strstr(err, "not a directory") != NULL);

	/* On disk: created 0700; a 0755 one refused; a symlink refused. */
	char *d = xasprintf("%s/run", tmp), *l = xasprintf("%s/link", tmp);
	CHECK_INT(ctl_prepare_dir(d, err, sizeof err), 0);
	CHECK_INT(lstat(d, &st), 0);
	CHECK_INT(st.st_mode & 07777, 0700);
	chmod(d, 0755);
	CHECK_INT(ctl_prepare_dir(d, err, sizeof err), -1);
	CHECK(strstr(err, "mode 0755") != NULL);
	chmod(d, 0700);
	CHECK_INT(symlink(d, l), 0);
	CHECK_INT(ctl_prepare_dir(l, err, sizeof err), -1);
	CHECK(strstr(err, "symbolic link") != NULL);
	char *sock = xasprintf("%s/ctl.sock", l);
	CHECK_INT(ctl_listen(sock, err, sizeof err), -1);
	unlink(l);
	rmdir(d);
	free(sock);
	free(d);
	free(l);
}

static void test_peer_check(void)
{
	int sv[2];
	char err[200];

	CHECK_INT(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	CHECK_INT(ctl_check_peer(sv[0], geteuid(), err, sizeof err), 0);
	CHECK_INT(ctl_check_peer(sv[0], geteuid() + 1, err, sizeof err), -1);
	CHECK(strstr(err, "refused: this console belongs to uid") == err);
	close(sv[0]);
	close(sv[1]);
	/* Not a socket at all. */
	CHECK_INT(ctl_check_peer(0 + 1000, geteuid(), err, sizeof err), -1);
}

/* ---- the line protocol, driven by poll ---- */

struct fake {
	char last[300];
	int calls;
};

static int fake_run(void *ctx, const char *cmdline, json_t **result, char *err, size_t errlen)
{
	struct fake *f = ctx;

	f->calls++;
	snprintf(f->last, sizeof f->last, "%s", cmdline);
	if (strncmp(cmdline, "fail", 4) == 0) {
		snprintf(err, errlen, "say: arguments are needed. Usage: say TEXT");
		return -1;
	}
	if (strncmp(cmdline, "discount", 8) == 0)
		return 1;
	*result = json_pack("{s:s,s:s}", "text", "Sent.", "cmd_id", "ana-1");
	return 0;
}

static int connect_to(const char *path)
{
	struct sockaddr_un sa;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	memset(&sa, 0, sizeof sa);
	sa.sun_family = AF_UNIX;
	snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path);
	if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Serves until the client has a full line, returns it (caller frees). */
static char *exchange(struct ctl *c, struct ctl_conn **cc, int client, const char *send_text)
{
	struct strbuf in = STRBUF_INIT;

	(void)c;
	if (send_text && write(client, send_text, strlen(send_text)) < 0)
		return NULL;
	for (int round = 0; round < 200; round++) {
		char buf[4096];
		struct pollfd p = { client, POLLIN, 0 };
		if (*cc) {
			ctl_conn_read(*cc);
			ctl_conn_flush(*cc);
		}
		if (poll(&p, 1, 10) > 0) {
			ssize_t n = read(client, buf, sizeof buf);
			if (n <= 0)
				break;
			sb_add(&in, buf, (size_t)n);
			const char *nl = memchr(in.buf, '\n', in.len);
			if (nl) {
				char *line = xstrndup(in.buf, (size_t)(nl - in.buf));
				sb_free(&in);
				return line;
			}
		}
	}
	sb_free(&in);
	return NULL;
}

static struct ctl_conn *last_conn;
static void on_new(void *arg, struct ctl_conn *cc)
{
	(void)arg;
	last_conn = cc;
}

static void test_round_trip(void)
{
	char err[300], *path = xasprintf("%s/rt/ctl.sock", tmp), *dir = xasprintf("%s/rt", tmp);
	struct fake f;
	int lfd = ctl_listen(path, err, sizeof err);
	struct ctl *c;
	struct ctl_conn *cc = NULL;
	char *a;

	memset(&f, 0, sizeof f);
	CHECK(lfd >= 0);
	if (lfd < 0) {
		printf("#   %s\n", err);
		goto out;
	}
	struct stat st;
	CHECK_INT(stat(path, &st), 0);
	CHECK_INT(st.st_mode & 0777, 0600);
	c = ctl_new(lfd, path, fake_run, &f);
	int client = connect_to(path);
	CHECK(client >= 0);
	last_conn = NULL;
	CHECK_INT(ctl_accept(c, on_new, NULL), 1);
	cc = last_conn;
	CHECK(cc != NULL);
	CHECK_INT(ctl_conn_count(c), 1);

	a = exchange(c, &cc, client, "{\"id\":1,\"command\":\"say hello there\"}\n");
	CHECK_STR(a, "{\"text\":\"Sent.\",\"cmd_id\":\"ana-1\",\"id\":1,\"ok\":true}");
	CHECK_STR(f.last, "say hello there");
	free(a);
	a = exchange(c, &cc, client, "{\"id\":\"x\",\"command\":\"fail now\"}\n");
	CHECK_STR(a, "{\"id\":\"x\",\"ok\":false,\"error\":\"say: arguments are needed. Usage: say TEXT\"}");
	free(a);
	a = exchange(c, &cc, client, "{\"id\":3,\"command\":\"discount 10% late\"}\n");
	CHECK_STR(a, "{\"id\":3,\"ok\":true,\"waiting\":\"the agent confirms it on screen\"}");
	free(a);

	/* Bad JSON: an error line, and the connection still works. */
	a = exchange(c, &cc, client, "{\"id\":4,\"command\":\n");
	CHECK(a && strstr(a, "{\"id\":null,\"ok\":false,\"error\":\"not a JSON object (") == a);
	free(a);
	a = exchange(c, &cc, client, "[1,2]\n");
	CHECK(a && strstr(a, "it is not an object") != NULL);
	free(a);
	a = exchange(c, &cc, client, "{\"id\":5}\n");
	CHECK_STR(a, "{\"id\":5,\"ok\":false,\"error\":\"a request has \\\"command\\\", \\\"subscribe\\\" or "
		  "\\\"unsubscribe\\\"\"}");
	free(a);
	a = exchange(c, &cc, client, "{\"id\":{},\"command\":\"x\"}\n");
	CHECK(a && strstr(a, "must be a number or a string") != NULL);
	free(a);
	/* Too long: refused, the rest of the line dropped, the next one answered. */
	{
		size_t n = CTL_LINE_MAX + 100;
		char *big = xmalloc(n + 2);
		memset(big, 'a', n);
		big[n] = '\n';
		big[n + 1] = '\0';
		int calls = f.calls;
		a = exchange(c, &cc, client, big);
		CHECK(a && strstr(a, "request line longer than 64 KiB") != NULL);
		free(a);
		free(big);
		a = exchange(c, &cc, client, "{\"id\":6,\"command\":\"note ok\"}\n");
		CHECK(a && strstr(a, "\"id\":6,\"ok\":true") != NULL);
		CHECK_INT(f.calls, calls + 1);
		free(a);
	}

	/* Subscription: only the kinds asked for, text sanitized. */
	a = exchange(c, &cc, client, "{\"id\":7,\"subscribe\":[\"mesage\"]}\n");
	CHECK(a && strstr(a, "\\\"mesage\\\" is not an event kind; accepted: *, conversation.queued") != NULL);
	free(a);
	a = exchange(c, &cc, client, "{\"id\":8,\"subscribe\":[\"message\",\"conversation.*\"]}\n");
	CHECK_STR(a, "{\"id\":8,\"ok\":true,\"subscribed\":[\"message\",\"conversation.*\"]}");
	free(a);
	json_t *ev1 = json_pack("{s:s,s:i,s:s,s:s,s:{s:{s:s}}}", "type", "event", "seq", 41, "kind",
				"agent.presence", "at", "2026-11-22T03:00:00.000Z", "body", "presence", "id", "bo");
	json_t *ev2 = json_pack("{s:s,s:i,s:s,s:s,s:s,s:{s:{s:s}}}", "type", "event", "seq", 42, "kind",
				"message", "conv", "c-1", "at", "2026-11-22T03:00:00.000Z", "body", "message",
				"text", "hi \x1b[2Jthere");
	ctl_publish(c, ev1);	/* not subscribed */
	ctl_publish(c, ev2);
	a = exchange(c, &cc, client, NULL);
	CHECK(a && strstr(a, "{\"event\":\"message\",\"seq\":42,\"conv\":\"c-1\"") == a);
	CHECK(a && strstr(a, "\\u001b") == NULL && strchr(a, '\x1b') == NULL);
	CHECK(a && strstr(a, "there") != NULL);
	free(a);
	/* `baton --follow` prints the same line. */
	char *line = ctl_event_line(ev2);
	CHECK(line && strstr(line, "{\"event\":\"message\",\"seq\":42,") == line && !strchr(line, '\x1b'));
	free(line);
	json_t *snap = json_pack("{s:s,s:i,s:[{s:s}],s:[]}", "type", "snapshot", "upto", 7, "queue", "id",
				 "c-\x1b]0;x\x07", "mine");
	line = ctl_event_line(snap);
	CHECK(line && strstr(line, "{\"event\":\"snapshot\",\"upto\":7,\"queue\":[{\"id\":\"c-") == line);
	CHECK(line && !strstr(line, "\\u001b") && !strchr(line, '\x1b'));
	free(line);
	json_decref(snap);
	json_t *notev = json_pack("{s:s}", "type", "stats");
	CHECK(ctl_event_line(notev) == NULL);
	json_decref(notev);
	json_decref(ev1);
	json_decref(ev2);
	a = exchange(c, &cc, client, "{\"id\":9,\"unsubscribe\":[\"message\"]}\n");
	CHECK_STR(a, "{\"id\":9,\"ok\":true,\"subscribed\":[\"conversation.*\"]}");
	free(a);

	/* A second console cannot take the same socket. */
	CHECK_INT(ctl_listen(path, err, sizeof err), -1);
	CHECK(strstr(err, "another baton is running") != NULL);

	close(client);
	/* It had subscribed: its end is noticed when writing fails. */
	CHECK_INT(ctl_conn_read(cc), 1);
	json_t *ev3 = json_pack("{s:s,s:i,s:s,s:s,s:{}}", "type", "event", "seq", 43, "kind",
				"conversation.queued", "at", "2026-11-22T03:00:00.000Z", "body");
	ctl_publish(c, ev3);
	json_decref(ev3);
	CHECK_INT(ctl_conn_flush(cc), -1);	/* the peer went away */
	ctl_conn_close(cc);
	CHECK_INT(ctl_conn_count(c), 0);

	/* A peer that sends a request and shuts its side still gets the
	 * answer; then the connection ends. */
	client = connect_to(path);
	last_conn = NULL;
	/* (The second console's probe above is accepted first; ours is last.) */
	CHECK(ctl_accept(c, on_new, NULL) >= 1);
	cc = last_conn;
	static const char req[] = "{\"id\":12,\"command\":\"note x\"}\n";
	CHECK(write(client, req, sizeof req - 1) == (ssize_t)(sizeof req - 1));
	shutdown(client, SHUT_WR);
	CHECK_INT(ctl_conn_read(cc), 1);
	CHECK_INT(ctl_conn_flush(cc), -1);	/* answered, nothing followed: close */
	ctl_conn_close(cc);
	{
		char buf[200];
		ssize_t n = read(client, buf, sizeof buf - 1);
		buf[n > 0 ? n : 0] = '\0';
		CHECK(strstr(buf, "\"id\":12,\"ok\":true") != NULL);
		CHECK_INT(read(client, buf, sizeof buf), 0);	/* then EOF */
	}
	close(client);
	ctl_free(c);
	CHECK(access(path, F_OK) < 0);	/* removed */

	/* A stale socket (its console died) is replaced. */
	{
		struct sockaddr_un sa;
		int s = socket(AF_UNIX, SOCK_STREAM, 0);
		memset(&sa, 0, sizeof sa);
		sa.sun_family = AF_UNIX;
		snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path);
		CHECK_INT(bind(s, (struct sockaddr *)&sa, sizeof sa), 0);
		close(s);
		lfd = ctl_listen(path, err, sizeof err);
		CHECK(lfd >= 0);
		if (lfd >= 0)
			close(lfd);
		unlink(path);
	}
	rmdir(dir);
out:
	free(dir);
	free(path);
}

/* ---- through the lws loop, with the real client ---- */

struct loop_test {
	struct lws_context *ctx;
	char *path;
	volatile int done;
	int rc, main_rc;
	char *answer;
	char err[300];
};

static void *client_thread(void *arg)
{
	struct loop_test *t = arg;
	t->rc = ctl_client_request(t->path, "{\"id\":11,\"command\":\"note from a script\"}", 5000,
				   &t->answer, t->err, sizeof t->err);
	/* The real `baton :…` path (prints the answer on stdout as JSON). */
	char *argv[] = { (char *)"baton", (char *)":note", (char *)"two words; and more", NULL };
	/* Its answer goes to stdout: keep it out of the TAP stream. */
	int saved = dup(1), null = open("/dev/null", O_WRONLY);
	fflush(stdout);
	dup2(null, 1);
	t->main_rc = ctl_client_main(3, argv);
	fflush(stdout);
	dup2(saved, 1);
	close(saved);
	close(null);
	t->done = 1;
	lws_cancel_service(t->ctx);
	return NULL;
}

static int wake_fd = -1;
static void *wake_thread(void *arg)
{
	(void)arg;
	usleep(100000);
	if (write(wake_fd, "x", 1) != 1)
		return NULL;
	return NULL;
}

static void test_lws_loop(void)
{
	static const struct lws_protocols protocols[] = {
		{ "dummy", lws_callback_http_dummy, 0, 0, 0, NULL, 0 },
		CTL_LWS_PROTOCOL,
		{ NULL, NULL, 0, 0, 0, NULL, 0 },
	};
	struct lws_context_creation_info info;
	struct loop_test t;
	struct fake f;
	char err[300];
	pthread_t th;

	memset(&t, 0, sizeof t);
	memset(&f, 0, sizeof f);
	memset(&info, 0, sizeof info);
	info.port = CONTEXT_PORT_NO_LISTEN;
	info.protocols = protocols;
	lws_set_log_level(LLL_ERR, NULL);
	t.ctx = lws_create_context(&info);
	CHECK(t.ctx != NULL);
	if (!t.ctx)
		return;
	t.path = xasprintf("%s/lws/ctl.sock", tmp);
	setenv("BATON_CTL_SOCKET", t.path, 1);
	int lfd = ctl_listen(t.path, err, sizeof err);
	CHECK(lfd >= 0);
	struct ctl *c = ctl_new(lfd, t.path, fake_run, &f);
	CHECK_INT(ctl_adopt(c, lws_get_vhost_by_name(t.ctx, "default"), err, sizeof err), 0);
	CHECK_INT(pthread_create(&th, NULL, client_thread, &t), 0);
	int64_t until = time_now_ms() + 10000;
	while (!t.done && time_now_ms() < until)
		lws_service(t.ctx, 0);
	pthread_join(th, NULL);
	CHECK_INT(t.rc, 0);
	if (t.rc)
		printf("#   %s\n", t.err);
	CHECK_STR(t.answer, "{\"text\":\"Sent.\",\"cmd_id\":\"ana-1\",\"id\":11,\"ok\":true}");
	CHECK_INT(t.main_rc, 0);
	/* The words were quoted back into one argument. */
	CHECK_STR(f.last, "note two\\ words\\;\\ and\\ more");
	free(t.answer);
	/* ctl_wake_on: a readable fd wakes the loop once; the caller's fd stays. */
	{
		int pp[2];
		pthread_t wt;
		CHECK_INT(pipe(pp), 0);
		/* The duplicate it watches gets the lowest free descriptor. */
		int dupfd = fcntl(pp[0], F_DUPFD_CLOEXEC, 3);
		close(dupfd);
		CHECK_INT(ctl_wake_on(lws_get_vhost_by_name(t.ctx, "default"), pp[0]), 0);
		CHECK(fcntl(dupfd, F_GETFD) != -1);
		wake_fd = pp[1];
		int64_t t0 = time_now_ms();
		CHECK_INT(pthread_create(&wt, NULL, wake_thread, NULL), 0);
		/* The pipe becomes readable 100 ms later: the pass that sees it
		 * closes the duplicate and returns. */
		while (fcntl(dupfd, F_GETFD) != -1 && time_now_ms() - t0 < 3000)
			lws_service(t.ctx, 0);
		int64_t took = time_now_ms() - t0;
		pthread_join(wt, NULL);
		CHECK(fcntl(dupfd, F_GETFD) == -1);
		CHECK(took >= 90 && took < 3000);
		if (took < 90 || took >= 3000)
			printf("#   the wake-up took %lld ms\n", (long long)took);
		CHECK(fcntl(pp[0], F_GETFD) != -1);	/* ours is not closed */
		close(pp[0]);
		close(pp[1]);
	}
	/* Destroying the context closes the adopted fds; then the server goes. */
	lws_context_destroy(t.ctx);
	CHECK_INT(ctl_conn_count(c), 0);
	ctl_free(c);
	CHECK(access(t.path, F_OK) < 0);

	/* No console: the client says so and exits 2. */
	char *argv[] = { (char *)"baton", (char *)":say", (char *)"hi", NULL };
	CHECK_INT(ctl_client_main(3, argv), 2);
	char *dir = xasprintf("%s/lws", tmp);
	rmdir(dir);
	free(dir);
	free(t.path);
	unsetenv("BATON_CTL_SOCKET");
}

static const struct test tests[] = {
	TEST(test_dir_checks),
	TEST(test_peer_check),
	TEST(test_round_trip),
	TEST(test_lws_loop),
};

int main(void)
{
	int rc;

	signal(SIGPIPE, SIG_IGN);
	alarm(60);	/* a hang is a failure, not a stuck suite */
	if (!mkdtemp(tmp)) {
		printf("not ok 1 - mkdtemp\n1..1\n");
		return 1;
	}
	rc = test_run_(tests, BATON_ARRAY_LEN(tests));
	rmdir(tmp);
	return rc;
}
