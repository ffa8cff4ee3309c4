/*
 * ctl-client.c: `baton :COMMAND…` — one request to the running console's
 * control socket (ctl.h), the way aerc does it.
 *
 * Before connecting, the socket's directory gets the same check the
 * console makes (ours, 0700), and the console's uid is checked with
 * SO_PEERCRED: a socket planted by someone else is not talked to.
 */
#include "baton/ctl.h"
#include "baton/common.h"
#include "baton/macro.h"
#include "baton/text.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define CLIENT_TIMEOUT_MS 10000

int ctl_client_request(const char *path, const char *line, int timeout_ms, char **answer,
		       char *err, size_t errlen)
{
	struct sockaddr_un sa;
	struct stat st;
	struct strbuf in = STRBUF_INIT;
	char *dir = xstrdup(path), *slash = strrchr(dir, '/');
	int fd = -1, rc = -1;
	int64_t deadline = time_now_ms() + timeout_ms;
	size_t off = 0, len = strlen(line);

	*answer = NULL;
	if (slash && slash != dir) {
		*slash = '\0';
		if (lstat(dir, &st) < 0) {
			if (errno == ENOENT)
				snprintf(err, errlen, "no console is running (no %s): start baton first", dir);
			else
				snprintf(err, errlen, "cannot reach the console's directory %s: %s", dir,
					 strerror(errno));
			goto out;
		}
		if (ctl_check_dir_stat(dir, &st, geteuid(), err, errlen) < 0)
			goto out;
	}
	memset(&sa, 0, sizeof sa);
	sa.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof sa.sun_path) {
		snprintf(err, errlen, "the control socket path is too long: %s", path);
		goto out;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
		if (errno == ENOENT || errno == ECONNREFUSED)
			snprintf(err, errlen, "no console is running (nothing listens on %s): start baton "
				 "first", path);
		else
			snprintf(err, errlen, "cannot reach the console at %s: %s", path, strerror(errno));
		goto out;
	}
	if (ctl_check_peer(fd, geteuid(), err, errlen) < 0)
		goto out;
	while (off < len) {
		ssize_t n = send(fd, line + off, len - off, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			snprintf(err, errlen, "the console closed the connection: %s", strerror(errno));
			goto out;
		}
		off += (size_t)n;
	}
	if (len && line[len - 1] != '\n' && send(fd, "\n", 1, MSG_NOSIGNAL) != 1) {
		snprintf(err, errlen, "the console closed the connection");
		goto out;
	}
	for (;;) {
		const char *nl = in.len ? memchr(in.buf, '\n', in.len) : NULL;
		if (nl) {
			*answer = xstrndup(in.buf, (size_t)(nl - in.buf));
			rc = 0;
			goto out;
		}
		int64_t left = deadline - time_now_ms();
		if (left <= 0) {
			snprintf(err, errlen, "the console did not answer within %d s", timeout_ms / 1000);
			goto out;
		}
		struct pollfd p = { fd, POLLIN, 0 };
		if (poll(&p, 1, (int)left) < 0 && errno != EINTR) {
			snprintf(err, errlen, "poll: %s", strerror(errno));
			goto out;
		}
		char buf[4096];
		ssize_t n = p.revents ? read(fd, buf, sizeof buf) : -1;
		if (n == 0) {
			snprintf(err, errlen, "the console closed the connection without an answer");
			goto out;
		}
		if (n > 0) {
			if (in.len + (size_t)n > CTL_OUT_MAX) {
				snprintf(err, errlen, "the answer is too long");
				goto out;
			}
			sb_add(&in, buf, (size_t)n);
		}
	}
out:
	if (fd >= 0)
		close(fd);
	free(dir);
	sb_free(&in);
	return rc;
}

int ctl_client_main(int argc, char **argv)
{
	struct strbuf line = STRBUF_INIT;
	char err[600], *answer = NULL, *path = ctl_default_path();
	int code = 2;
	json_t *req = NULL, *ans = NULL;

	for (int i = 1; i < argc; i++) {
		const char *w = argv[i];
		if (i == 1 && *w == ':')
			w++;
		if (line.len)
			sb_addc(&line, ' ');
		/* The shell has split the words; keep each one word again. The
		 * command name and plain words stay as typed. */
		if (strpbrk(w, " \t\n;\"'\\") || !*w)
			macro_quote_word(&line, w);
		else
			sb_adds(&line, w);
	}
	if (!line.len) {
		fprintf(stderr, "baton: usage: baton :COMMAND [ARG]... (e.g. baton :say hello); "
			"see baton-ipc(7)\n");
		goto out;
	}
	req = json_pack("{s:i,s:s}", "id", 1, "command", sb_str(&line));
	char *text = json_dumps(req, JSON_COMPACT);
	int r = ctl_client_request(path, text, CLIENT_TIMEOUT_MS, &answer, err, sizeof err);
	free(text);
	if (r < 0) {
		fprintf(stderr, "baton: %s\n", err);
		goto out;
	}
	json_error_t je;
	ans = json_loads(answer, 0, &je);
	if (!json_is_object(ans)) {
		fprintf(stderr, "baton: the console's answer is not JSON\n");
		goto out;
	}
	if (json_is_true(json_object_get(ans, "ok"))) {
		/* The answer line as it came, for scripts (jq). */
		char *safe = text_sanitize_line(answer, strlen(answer), NULL);
		printf("%s\n", safe);
		free(safe);
		code = 0;
	} else {
		const char *e = json_string_value(json_object_get(ans, "error"));
		char *safe = text_sanitize_line(e ? e : "failed", strlen(e ? e : "failed"), NULL);
		fprintf(stderr, "baton: %s\n", safe);
		free(safe);
		code = 1;
	}
out:
	fflush(stdout);
	json_decref(req);
	json_decref(ans);
	free(answer);
	free(path);
	sb_free(&line);
	return code;
}
