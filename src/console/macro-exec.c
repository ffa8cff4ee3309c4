/*
 * macro-exec.c: executable macros (macro.h, "executable macros").
 *
 * A child process with three pipes. The console's loop must never block on
 * it, so every fd on our side is non-blocking and macro_exec_poll() does
 * only what can be done now: write more of the input, read what is there,
 * kill at the deadline, reap with WNOHANG. The child gets its own process
 * group so a shell script's children die with it at the deadline.
 */
#include "baton/macro.h"
#include "baton/common.h"
#include "baton/model.h"
#include "baton/proto.h"
#include "baton/text.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <poll.h>
#include <stdarg.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

struct macro_exec {
	pid_t pid;
	bool reaped;
	int status;
	int in, out, errfd;		/* our ends; -1 when closed */
	int pidfd;			/* readable when it exits (Linux >= 5.3), else -1 */
	char *input;
	size_t inlen, inoff;
	struct strbuf outbuf, errbuf;
	struct macro_exec_opts o;
	int64_t deadline;
	enum macro_exec_state state;
	char *name;
	char *error;
};

static void close_fd(int *fd)
{
	if (*fd >= 0) {
		close(*fd);
		*fd = -1;
	}
}

static int nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);
	return fl < 0 ? -1 : fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

struct macro_exec *macro_exec_start(const char *path, const char *input, size_t len,
				    const struct macro_exec_opts *o, int64_t now_ms,
				    char *err, size_t errlen)
{
	struct macro_exec *x = xcalloc(1, sizeof *x);
	int pin[2] = { -1, -1 }, pout[2] = { -1, -1 }, perr[2] = { -1, -1 };
	const char *base = strrchr(path, '/');
	/* Absolute: the child changes into the macros directory before exec. */
	char *abs = realpath(path, NULL);
	char *dir = NULL;

	x->in = x->out = x->errfd = x->pidfd = -1;
	x->pid = -1;
	if (o)
		x->o = *o;
	if (x->o.timeout_ms <= 0)
		x->o.timeout_ms = MACRO_EXEC_TIMEOUT_MS;
	if (!x->o.max_output)
		x->o.max_output = MACRO_EXEC_MAX_OUTPUT;
	if (!x->o.max_stderr)
		x->o.max_stderr = MACRO_EXEC_MAX_STDERR;
	x->name = xstrdup(base ? base + 1 : path);
	x->input = xmalloc(len + 1);
	memcpy(x->input, input ? input : "", len);
	x->inlen = len;
	x->deadline = now_ms + x->o.timeout_ms;
	sb_init(&x->outbuf);
	sb_init(&x->errbuf);

	if (!abs || access(abs, X_OK) < 0) {
		snprintf(err, errlen, "macro %s cannot run: %s", x->name, strerror(errno));
		goto fail;
	}
	dir = xstrndup(abs, (size_t)(strrchr(abs, '/') - abs));
	if (!*dir) {
		free(dir);
		dir = xstrdup("/");
	}
	if (pipe2(pin, O_CLOEXEC) < 0 || pipe2(pout, O_CLOEXEC) < 0 || pipe2(perr, O_CLOEXEC) < 0) {
		snprintf(err, errlen, "macro %s cannot run: no pipes: %s", x->name, strerror(errno));
		goto fail;
	}
	x->pid = fork();
	if (x->pid < 0) {
		snprintf(err, errlen, "macro %s cannot run: %s", x->name, strerror(errno));
		goto fail;
	}
	if (x->pid == 0) {
		/* The child: only async-signal-safe calls until exec. */
		sigset_t none;
		setpgid(0, 0);
		signal(SIGPIPE, SIG_DFL);	/* the console ignores it; a script should not */
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		signal(SIGHUP, SIG_DFL);
		signal(SIGWINCH, SIG_DFL);
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		if (dup2(pin[0], 0) < 0 || dup2(pout[1], 1) < 0 || dup2(perr[1], 2) < 0)
			_exit(126);
		/* Nothing else of the console's: not the hub's socket, not the
		 * store, not the control socket (whatever their close-on-exec). */
		if (close_range(3, ~0u, 0) < 0)
			for (int fd = 3; fd < 1024; fd++)
				close(fd);
		if (chdir(dir) < 0)
			_exit(126);
		char *const argv[] = { abs, NULL };
		execv(abs, argv);
		static const char msg[] = "exec failed: the file is not a program this system can run "
					  "(check its #! line)\n";
		ssize_t w = write(2, msg, sizeof msg - 1);
		(void)w;
		_exit(127);
	}
	setpgid(x->pid, x->pid);	/* also here: no race with the kill at the deadline */
	/* An fd that wakes a poll when it exits; without one, waiting falls
	 * back to short sleeps. */
	x->pidfd = (int)syscall(SYS_pidfd_open, x->pid, 0);
	if (x->pidfd >= 0)
		fcntl(x->pidfd, F_SETFD, FD_CLOEXEC);
	close_fd(&pin[0]);
	close_fd(&pout[1]);
	close_fd(&perr[1]);
	x->in = pin[1];
	x->out = pout[0];
	x->errfd = perr[0];
	nonblock(x->in);
	nonblock(x->out);
	nonblock(x->errfd);
	if (!x->inlen)
		close_fd(&x->in);
	free(dir);
	free(abs);
	x->state = MACRO_EXEC_RUNNING;
	return x;
fail:
	close_fd(&pin[0]);
	close_fd(&pin[1]);
	close_fd(&pout[0]);
	close_fd(&pout[1]);
	close_fd(&perr[0]);
	close_fd(&perr[1]);
	free(dir);
	free(abs);
	x->pid = -1;
	macro_exec_free(x);
	return NULL;
}

size_t macro_exec_fds(const struct macro_exec *x, int fds[3])
{
	size_t n = 0;

	if (x->out >= 0)
		fds[n++] = x->out;
	if (x->errfd >= 0)
		fds[n++] = x->errfd;
	if (x->in >= 0)
		fds[n++] = x->in;
	if (x->pidfd >= 0 && !x->reaped && x->state == MACRO_EXEC_RUNNING && n < 3)
		fds[n++] = x->pidfd;
	return n;
}

static void kill_it(struct macro_exec *x)
{
	if (x->pid > 0 && !x->reaped) {
		kill(-x->pid, SIGKILL);
		kill(x->pid, SIGKILL);
	}
}

static void fail(struct macro_exec *x, const char *fmt, ...) BATON_PRINTF(2, 3);
static void fail(struct macro_exec *x, const char *fmt, ...)
{
	struct strbuf sb = STRBUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	sb_vaddf(&sb, fmt, ap);
	va_end(ap);
	if (x->errbuf.len) {
		/* What it said on stderr, sanitized: a script's output is not trusted
		 * to be free of escape sequences. */
		char *safe = text_sanitize(x->errbuf.buf, x->errbuf.len, NULL);
		size_t n = strlen(safe);
		while (n && (safe[n - 1] == '\n' || safe[n - 1] == ' '))
			safe[--n] = '\0';
		sb_addf(&sb, "; it said: %s", safe);
		free(safe);
	}
	free(x->error);
	x->error = sb_take(&sb);
	x->state = MACRO_EXEC_FAILED;
	kill_it(x);
	close_fd(&x->in);
	close_fd(&x->out);
	close_fd(&x->errfd);
}

/* Reads what fd holds into sb; returns 1 at EOF, 0 otherwise. Bytes past
 * keep are read and dropped (stderr); *over set when sb would pass keep. */
static int drain(int *fd, struct strbuf *sb, size_t keep, bool *over)
{
	char buf[8192];

	for (;;) {
		ssize_t n = read(*fd, buf, sizeof buf);
		if (n > 0) {
			size_t room = keep > sb->len ? keep - sb->len : 0;
			if ((size_t)n > room)
				*over = true;
			sb_add(sb, buf, (size_t)n < room ? (size_t)n : room);
			continue;
		}
		if (n == 0) {
			close_fd(fd);
			return 1;
		}
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return 0;
		close_fd(fd);
		return 1;
	}
}

int macro_exec_pidfd(const struct macro_exec *x)
{
	return x->pidfd;
}

enum macro_exec_state macro_exec_poll(struct macro_exec *x, int64_t now_ms)
{
	bool over = false;

	if (x->state != MACRO_EXEC_RUNNING)
		return x->state;
	while (x->in >= 0 && x->inoff < x->inlen) {
		ssize_t n = write(x->in, x->input + x->inoff, x->inlen - x->inoff);
		if (n > 0) {
			x->inoff += (size_t)n;
		} else if (n < 0 && errno == EINTR) {
			continue;
		} else {
			/* EAGAIN: later. EPIPE: it does not read its input, which is its
			 * business; stop feeding it. */
			if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
				close_fd(&x->in);
			break;
		}
	}
	if (x->in >= 0 && x->inoff >= x->inlen)
		close_fd(&x->in);	/* EOF on its stdin */
	if (x->out >= 0) {
		drain(&x->out, &x->outbuf, x->o.max_output, &over);
		if (over) {
			fail(x, "macro %s printed more than %zu KiB: stopped (a macro prints a few command "
			     "lines)", x->name, x->o.max_output / 1024);
			return x->state;
		}
	}
	if (x->errfd >= 0) {
		bool eover = false;
		drain(&x->errfd, &x->errbuf, x->o.max_stderr, &eover);
	}
	if (!x->reaped) {
		int st;
		pid_t r = waitpid(x->pid, &st, WNOHANG);
		if (r == x->pid) {
			x->reaped = true;
			x->status = st;
		}
	}
	if (x->reaped && x->out < 0 && x->errfd < 0) {
		if (WIFEXITED(x->status) && WEXITSTATUS(x->status) == 0) {
			x->state = MACRO_EXEC_DONE;
			close_fd(&x->in);
		} else if (WIFEXITED(x->status)) {
			fail(x, "macro %s failed (exit status %d%s)", x->name, WEXITSTATUS(x->status),
			     WEXITSTATUS(x->status) == 127 ? ": it could not be started" : "");
		} else {
			fail(x, "macro %s was killed by signal %d", x->name, WTERMSIG(x->status));
		}
		return x->state;
	}
	if (now_ms >= x->deadline) {
		fail(x, "macro %s took longer than %d.%d s: stopped", x->name, x->o.timeout_ms / 1000,
		     x->o.timeout_ms % 1000 / 100);
		return x->state;
	}
	return x->state;
}

enum macro_exec_state macro_exec_wait(struct macro_exec *x)
{
	while (macro_exec_poll(x, time_now_ms()) == MACRO_EXEC_RUNNING) {
		struct pollfd p[3];
		int fds[3];
		size_t n = macro_exec_fds(x, fds);
		int64_t left = x->deadline - time_now_ms();
		for (size_t i = 0; i < n; i++) {
			p[i].fd = fds[i];
			p[i].events = fds[i] == x->in ? POLLOUT : POLLIN;
			p[i].revents = 0;
		}
		/* With the pipes closed and no pidfd, only short sleeps are left. */
		int t = n ? (int)(left < 0 ? 0 : left > 1000 ? 1000 : left) : 1;
		if (poll(p, n, t) < 0 && errno != EINTR)
			break;
	}
	return x->state;
}

const char *macro_exec_output(const struct macro_exec *x, size_t *len)
{
	if (len)
		*len = x->outbuf.len;
	return sb_str(&x->outbuf);
}

const char *macro_exec_error(const struct macro_exec *x)
{
	return x->error ? x->error : "";
}

void macro_exec_free(struct macro_exec *x)
{
	if (!x)
		return;
	if (x->pid > 0 && !x->reaped) {
		kill_it(x);
		while (waitpid(x->pid, NULL, 0) < 0 && errno == EINTR)
			;
	}
	close_fd(&x->in);
	close_fd(&x->out);
	close_fd(&x->errfd);
	close_fd(&x->pidfd);
	sb_free(&x->outbuf);
	sb_free(&x->errbuf);
	free(x->input);
	free(x->name);
	free(x->error);
	free(x);
}

/* ---- input and output ---- */

char *macro_exec_input(const struct model *m, const char *conv, char *err, size_t errlen)
{
	struct model_conv *c = model_mine_find(m, conv);
	json_t *j, *arr;
	char *s;

	if (!c && m->detail && strcmp(m->detail->id, conv) == 0)
		c = m->detail;
	if (!c || !c->conv) {
		snprintf(err, errlen, "conversation %s is not open here: open or claim it first", conv);
		return NULL;
	}
	j = proto_encode(&proto_type_conversation, c->conv);
	/* The model keeps the transcript beside the object (a window of it). */
	arr = json_array();
	for (size_t i = 0; i < c->nmsgs; i++) {
		const struct model_msg *msg = &c->msgs[i];
		char at[TIME_RFC3339_LEN + 1];
		time_format_rfc3339(msg->at, at);
		json_t *o = json_pack("{s:s,s:s,s:s,s:s,s:s,s:s}", "id", msg->id, "conv", c->id, "from",
				      PROTO_ENUM_STR(msg_from, msg->from), "kind",
				      PROTO_ENUM_STR(msg_kind, msg->kind), "text", msg->text, "at", at);
		json_object_set_new(o, "author", msg->author ? json_string(msg->author) : json_null());
		json_array_append_new(arr, o);
	}
	json_object_set_new(j, "transcript", arr);
	s = json_dumps(j, JSON_COMPACT | JSON_ENSURE_ASCII);
	json_decref(j);
	return s;
}

int macro_exec_result(const struct macro *exe, const char *output, size_t len, struct macro **out,
		      char *err, size_t errlen)
{
	struct macro *m = xcalloc(1, sizeof *m);
	char *where = xasprintf("macro %s (its output)", exe->name);
	int rc = -1;

	*out = NULL;
	m->name = xstrdup(exe->name);
	m->description = xstrdup(exe->description ? exe->description : "");
	m->key = exe->key ? xstrdup(exe->key) : NULL;
	m->path = xstrdup(exe->path ? exe->path : exe->name);
	m->send = exe->send;
	if (macro_parse_body(m, where, output, len, 1, err, errlen) < 0)
		goto out;
	if (!m->nsteps) {
		snprintf(err, errlen, "macro %s printed no steps: nothing to do", exe->name);
		goto out;
	}
	*out = m;
	m = NULL;
	rc = 0;
out:
	free(where);
	macro_free(m);
	return rc;
}
