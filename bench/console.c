/*
 * console.c: the console's benchmark (issue 4, "Benchmark"; bench/console.md).
 *
 * Four figures, each beside a peer run in the same invocation where one
 * exists (WeeChat, a C ncurses chat client, is the nearest):
 *   (a) RSS of the real baton painting a store of 10,000 queued
 *       conversations and 100,000 messages, after start and after paging
 *       thousands of messages of history; peer: weechat-curses after
 *       printing the same number of lines into 100 buffers;
 *   (b) bytes the console writes to its terminal for one incoming chat
 *       message and for a status change (online -> away), against a full
 *       repaint (ctrl-l) of the same screen and against weechat-curses
 *       printing one line of the same length;
 *   (c) start to first paint from that store (warm cache), against
 *       `weechat-headless -r /quit` start and quit;
 *   (d) POST of a customer message by the bot to batond -> its text written
 *       to the console's terminal, with 100 agents connected (the console
 *       and 99 bare WebSocket clients) and 10 messages/s to each; peer: the
 *       bare clients' own POST -> frame time, and per message a second
 *       session of the console's agent, so the console's own share is a
 *       paired difference; then a diagnostic with the console's store on
 *       tmpfs.
 *
 * How it is put together. Every program we measure runs under a pty we own
 * (forkpty, 120x40, TERM=tmux-256color), and its output is read as it
 * arrives, timestamped, and kept raw (for byte counts) and as "visible
 * text" (escape sequences, OSC/DCS strings and controls removed, for
 * finding what was drawn: bc_term_*). The store for (a) and (c) is written
 * with the console's own store API (libconsole.a): one snapshot frame of
 * 10,000 conversations, decoded and validated by proto_frame_decode,
 * sanitized by model_sanitize_frame and applied by store_apply_frame, the
 * path a snapshot from the hub takes — in a child process, so this program
 * stays small and its later forks cheap (bc_seed_in_child). (b) and (d) run the real batond on a
 * free loopback port with its own temporary store: tokens through `batond
 * token add`, escalations and customer messages through its HTTP API with
 * the bot's token. The 99 other agents are a minimal WebSocket client here
 * (bc_ws_*); bots are HTTP/1.1 keep-alive connections (bc_http_*); one
 * poll loop (bc_net_poll) drives them and the console's pty.
 *
 * Bounded: counts and deadlines everywhere, only 127.0.0.1, children die
 * with us (SIGINT/SIGTERM, atexit, PR_SET_PDEATHSIG), the temporary
 * directory is removed unless --keep.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <getopt.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <arpa/inet.h>
#include <termios.h>
#include <unistd.h>

#include <jansson.h>

#include "baton/common.h"
#include "baton/model.h"
#include "baton/proto.h"
#include "baton/store.h"

/* ---- defaults, limits, goals ---- */

#define BC_COLS 120
#define BC_ROWS 40
#define BC_DEF_CONVS    10000
#define BC_DEF_MSGS     100000
#define BC_DEF_AGENTS   100
#define BC_DEF_RATE     10
#define BC_DEF_SECONDS  20
#define BC_DEF_RUNS     10
#define BC_DEF_PAGES    150	/* page-ups through the history in (a) */
#define BC_RUNS_US      15000000	/* (c): stop adding runs after this long (min 3 runs) */
#define BC_MINE         2	/* conversations of mine in the seeded store */
#define BC_POOL         64	/* bot connections for the other agents' messages */
#define BC_CPOOL        4	/* and for the console's, so nothing queues before them */
#define BC_MSG_TEXT     "Where is my parcel? It has been nine days now."

#define BC_GOAL_RSS_MB      16.0
#define BC_GOAL_MSG_EXTRA   64.0	/* bytes beyond the message's length */
#define BC_GOAL_STATUS      16.0
#define BC_GOAL_PAINT_MS    20.0
#define BC_GOAL_PAINT_RATIO 0.5
#define BC_GOAL_P50_MS      1.0
#define BC_GOAL_P99_MS      5.0

struct bc_opts {
	int convs, msgs, agents, rate, seconds, runs, pages;
	const char *build;
	const char *only;
	bool keep;
};

static struct bc_opts bc_opt = {
	BC_DEF_CONVS, BC_DEF_MSGS, BC_DEF_AGENTS, BC_DEF_RATE, BC_DEF_SECONDS, BC_DEF_RUNS,
	BC_DEF_PAGES, NULL, NULL, false
};

/* The figures, filled as they are measured; < 0: not measured. */
struct bc_results {
	double rss_start_mb, rss_paged_mb, rss_bottom_mb, hwm_mb, rss_anon_mb, rss_db_mb;
	double rss_empty_mb, idle_cpu_ms_s;
	double wee_rss_idle_mb, wee_rss_lines_mb;
	long seed_ms;
	char rss_why[200], wee_rss_why[200];

	double msg_bytes, msg_osc_bytes, status_bytes, online_bytes, repaint_bytes, idle_bps;
	double wee_line_bytes, wee_repaint_bytes;
	size_t msg_len;
	char bytes_why[200], wee_bytes_why[200];

	double paint_ms, paint_first_ms, paint_min_ms, paint_max_ms, paint_cpu_ms, paint_floor_ms;
	double paint_floor_cpu_ms;
	double wee_quit_ms, wee_paint_ms, wee_quit_cpu_ms, wee_paint_cpu_ms;
	char paint_why[200], wee_paint_why[200];

	double lat_p50, lat_p99, lat_max, hub_p50, hub_p99, q_p50, q_hub_p50;
	double tmpfs_q_p50, tmpfs_p50, tmpfs_p99, own_p50, own_p99, q_own_p50, tmpfs_own_p50;
	long own_n, tmpfs_own_n;	/* the paired figures can be a little below 0 */
	long lat_n, lat_missing, lat_sent, hub_n, hub_sent, post_errors, late_posts;
	double con_cpu_ms_per_msg, con_bytes_per_msg, con_rss_load_mb;
	char lat_why[200];
};

static struct bc_results bc_res;

static void bc_fmt(char *out, size_t len, const char *fmt, ...) BATON_PRINTF(3, 4);

/* snprintf where a cut at len is fine (reasons, messages). */
static void bc_fmt(char *out, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(out, len, fmt, ap);
	va_end(ap);
}

/* ---- children, signals, the temporary directory ---- */

static volatile sig_atomic_t bc_stop;
static pid_t bc_kids[32];
static char bc_tmp[PATH_MAX];

static void bc_on_signal(int sig)
{
	if (bc_stop) {
		for (size_t i = 0; i < BATON_ARRAY_LEN(bc_kids); i++)
			if (bc_kids[i] > 0)
				kill(bc_kids[i], SIGKILL);
		_exit(128 + sig);
	}
	bc_stop = 1;
}

static void bc_kid_add(pid_t pid)
{
	for (size_t i = 0; i < BATON_ARRAY_LEN(bc_kids); i++)
		if (bc_kids[i] <= 0) {
			bc_kids[i] = pid;
			return;
		}
}

/* The resources of the last child bc_kid_reap collected. */
static struct rusage bc_last_ru;

/* Waits up to us for pid to exit, then SIGKILLs it. Returns its status. */
static int bc_kid_reap(pid_t pid, int64_t us)
{
	int64_t deadline = time_mono_us() + us;
	int status = 0;
	pid_t w;

	if (pid <= 0)
		return 0;
	for (;;) {
		w = wait4(pid, &status, WNOHANG, &bc_last_ru);
		if (w == pid || (w < 0 && errno != EINTR))
			break;
		if (time_mono_us() >= deadline) {
			kill(pid, SIGKILL);
			while (wait4(pid, &status, 0, &bc_last_ru) < 0 && errno == EINTR)
				;
			break;
		}
		usleep(1000);
	}
	for (size_t i = 0; i < BATON_ARRAY_LEN(bc_kids); i++)
		if (bc_kids[i] == pid)
			bc_kids[i] = 0;
	return status;
}

static int bc_rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)ftw;
	if (flag == FTW_DP)
		rmdir(path);
	else
		unlink(path);
	return 0;
}

/* A second temporary directory on tmpfs (/dev/shm), for one diagnostic. */
static char bc_shm[PATH_MAX];

static void bc_cleanup(void)
{
	for (size_t i = 0; i < BATON_ARRAY_LEN(bc_kids); i++)
		if (bc_kids[i] > 0)
			kill(bc_kids[i], SIGTERM);
	for (size_t i = 0; i < BATON_ARRAY_LEN(bc_kids); i++)
		if (bc_kids[i] > 0)
			bc_kid_reap(bc_kids[i], 2000000);
	if (bc_shm[0]) {
		nftw(bc_shm, bc_rm_one, 16, FTW_DEPTH | FTW_PHYS);
		bc_shm[0] = '\0';
	}
	if (bc_tmp[0]) {
		if (bc_opt.keep)
			fprintf(stderr, "console: kept %s\n", bc_tmp);
		else
			nftw(bc_tmp, bc_rm_one, 16, FTW_DEPTH | FTW_PHYS);
		bc_tmp[0] = '\0';
	}
}

/* A path in the temporary directory, in one of 8 rotating static buffers:
 * use it at once or copy it. */
static const char *bc_path(const char *name)
{
	static char buf[8][PATH_MAX];
	static int n;
	char *p = buf[n++ % 8];

	bc_fmt(p, PATH_MAX, "%s/%s", bc_tmp, name);
	return p;
}

static int bc_write_file(const char *path, const char *text, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	size_t len = strlen(text);
	bool ok;

	if (fd < 0)
		return -1;
	ok = write(fd, text, len) == (ssize_t)len;
	close(fd);
	return ok ? 0 : -1;
}

/* Keeps what a measurement counted, for a look with --keep (cat -v). */
static void bc_dump(const char *name, const char *p, size_t len)
{
	int fd = open(bc_path(name), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	if (fd < 0)
		return;
	if (write(fd, p, len) < 0) {
		/* only a debugging aid */
	}
	close(fd);
}

/* Runs argv (stdout to out_path or /dev/null, stderr to err_path), waits up
 * to us. Returns the exit status or -1. */
static int bc_run(char *const argv[], const char *out_path, const char *err_path, int64_t us)
{
	pid_t parent = getpid(), pid = fork();
	int status;

	if (pid < 0)
		return -1;
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(127);
		int nfd = open("/dev/null", O_RDWR);
		int ofd = out_path ? open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0600) : nfd;
		int efd = err_path ? open(err_path, O_WRONLY | O_CREAT | O_APPEND, 0600) : nfd;
		dup2(nfd, 0);
		dup2(ofd >= 0 ? ofd : nfd, 1);
		dup2(efd >= 0 ? efd : nfd, 2);
		execvp(argv[0], argv);
		_exit(127);
	}
	bc_kid_add(pid);
	status = bc_kid_reap(pid, us);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* ---- /proc ---- */

static double bc_proc_kb(pid_t pid, const char *key)
{
	char path[64], line[256];
	size_t kl = strlen(key);
	double kb = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, key, kl) == 0) {
			kb = strtod(line + kl, NULL);
			break;
		}
	fclose(f);
	return kb;
}

/* Resident kB of pid's mappings of files whose name ends with suffix. */
static double bc_proc_map_kb(pid_t pid, const char *suffix)
{
	char path[64], line[512];
	size_t sl = strlen(suffix);
	bool in = false;
	double kb = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/smaps", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		size_t n = strcspn(line, "\n");
		line[n] = '\0';
		if (strchr(line, '-') && line[0] != ' ' && strchr(line, ' ') &&
		    strspn(line, "0123456789abcdef") == (size_t)(strchr(line, '-') - line))
			in = n >= sl && strcmp(line + n - sl, suffix) == 0;
		else if (in && strncmp(line, "Rss:", 4) == 0)
			kb += strtod(line + 4, NULL);
	}
	fclose(f);
	return kb;
}

/* CPU time of every thread of pid so far, in ms (schedstat: ns on a CPU).
 * Unlike wall time it hardly moves when other programs share the CPUs. */
static double bc_proc_run_ms(pid_t pid)
{
	char path[96], line[128];
	double ns = 0;
	struct dirent *e;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	d = opendir(path);
	if (!d)
		return -1;
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/%d/task/%.20s/schedstat", (int)pid, e->d_name);
		FILE *f = fopen(path, "r");
		if (!f)
			continue;
		if (fgets(line, sizeof(line), f))
			ns += strtod(line, NULL);
		fclose(f);
	}
	closedir(d);
	return ns / 1e6;
}

static double bc_ru_ms(const struct rusage *ru)
{
	return (double)(ru->ru_utime.tv_sec + ru->ru_stime.tv_sec) * 1000.0 +
	       (double)(ru->ru_utime.tv_usec + ru->ru_stime.tv_usec) / 1000.0;
}

static void bc_loadavg(char *out, size_t len)
{
	char *s = file_read("/proc/loadavg", 256, NULL);

	bc_fmt(out, len, "%.14s", s ? s : "?");
	free(s);
}

static double bc_proc_cpu_ms(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long ut, st;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	p = strrchr(buf, ')');
	if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) != 2)
		return -1;
	return (double)(ut + st) * 1000.0 / (double)sysconf(_SC_CLK_TCK);
}

/* ---- a program under a pty we own ---- */

enum { BC_V_GROUND, BC_V_ESC, BC_V_ESC_INTER, BC_V_CSI, BC_V_STR, BC_V_STR_ESC };

struct bc_term {
	pid_t pid;
	int fd;
	struct strbuf raw;	/* every byte it wrote */
	struct strbuf vis;	/* what was drawn: text outside escape sequences */
	size_t str_bytes;	/* bytes inside OSC/DCS strings (notifications) */
	int vstate;
	bool str_osc;
	int64_t start_us, first_us, last_us;
	bool eof;
};

static const char *bc_term_name(void)
{
	return access("/lib/terminfo/t/tmux-256color", R_OK) == 0 ||
	       access("/usr/share/terminfo/t/tmux-256color", R_OK) == 0 ? "tmux-256color" :
	       "xterm-256color";
}

/* Sorts the bytes into raw and visible text (a small VT parser: CSI, OSC,
 * DCS/APC strings, two-byte escapes; UTF-8 passes through as text). */
static void bc_term_feed(struct bc_term *t, const char *p, size_t n)
{
	sb_add(&t->raw, p, n);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];

		switch (t->vstate) {
		case BC_V_GROUND:
			if (c == 0x1b)
				t->vstate = BC_V_ESC;
			else if (c >= 0x20 && c != 0x7f)
				sb_addc(&t->vis, (char)c);
			else if (c == '\n' || c == '\r')
				sb_addc(&t->vis, '\n');
			break;
		case BC_V_ESC:
			if (c == '[') {
				t->vstate = BC_V_CSI;
			} else if (c == ']' || c == 'P' || c == '_' || c == '^' || c == 'X') {
				t->vstate = BC_V_STR;
				t->str_osc = c == ']';
				t->str_bytes += 2;
			} else if (c >= 0x20 && c <= 0x2f) {
				t->vstate = BC_V_ESC_INTER;
			} else {
				t->vstate = BC_V_GROUND;
			}
			break;
		case BC_V_ESC_INTER:
			if (c >= 0x30)
				t->vstate = BC_V_GROUND;
			break;
		case BC_V_CSI:
			if (c >= 0x40 && c <= 0x7e)
				t->vstate = BC_V_GROUND;
			break;
		case BC_V_STR:
			t->str_bytes++;
			if (c == 0x1b)
				t->vstate = BC_V_STR_ESC;
			else if (c == 0x07 && t->str_osc)
				t->vstate = BC_V_GROUND;
			break;
		case BC_V_STR_ESC:
			/* ESC \ ends the string; tmux passthrough doubles inner ESCs. */
			t->str_bytes++;
			t->vstate = c == '\\' ? BC_V_GROUND : BC_V_STR;
			break;
		}
	}
}

/* Reads what is there. Returns the bytes read (0: none, -1: the child left). */
static ssize_t bc_term_read(struct bc_term *t)
{
	char buf[65536];
	ssize_t n, total = 0;

	for (;;) {
		n = read(t->fd, buf, sizeof(buf));
		if (n > 0) {
			int64_t now = time_mono_us();
			if (!t->first_us)
				t->first_us = now;
			t->last_us = now;
			bc_term_feed(t, buf, (size_t)n);
			total += n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return total;
		t->eof = true;	/* EIO: the child closed its side */
		return total ? total : -1;
	}
}

/*
 * Starts argv under a new pty of BC_COLS x BC_ROWS with env (NAME=VALUE
 * strings, NULL-terminated) added; stderr goes to err_path.
 */
static int bc_term_start(struct bc_term *t, char *const argv[], char *const env[],
			 const char *err_path, char *why, size_t whylen)
{
	struct winsize ws = { .ws_row = BC_ROWS, .ws_col = BC_COLS };
	pid_t parent = getpid();
	int fd;

	memset(t, 0, sizeof(*t));
	t->start_us = time_mono_us();
	t->pid = forkpty(&fd, NULL, NULL, &ws);
	if (t->pid < 0) {
		bc_fmt(why, whylen, "forkpty: %s", strerror(errno));
		return -1;
	}
	if (t->pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(127);
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		signal(SIGPIPE, SIG_DFL);
		unsetenv("TMUX");
		unsetenv("NO_COLOR");
		unsetenv("SSH_CONNECTION");
		unsetenv("DBUS_SESSION_BUS_ADDRESS");
		unsetenv("COLUMNS");
		unsetenv("LINES");
		setenv("TERM", bc_term_name(), 1);
		setenv("LANG", "C.UTF-8", 1);
		setenv("LC_ALL", "C.UTF-8", 1);
		for (size_t i = 0; env && env[i]; i++)
			putenv(env[i]);
		if (err_path) {
			int efd = open(err_path, O_WRONLY | O_CREAT | O_APPEND, 0600);
			if (efd >= 0)
				dup2(efd, 2);
		}
		execvp(argv[0], argv);
		fprintf(stderr, "cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	bc_kid_add(t->pid);
	t->fd = fd;
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	fcntl(fd, F_SETFD, FD_CLOEXEC);
	return 0;
}

/* Reads for up to us (less if the child leaves). */
static void bc_term_pump(struct bc_term *t, int64_t us)
{
	int64_t deadline = time_mono_us() + us;
	struct pollfd p = { .fd = t->fd, .events = POLLIN };

	while (!t->eof && !bc_stop) {
		int64_t left = deadline - time_mono_us();
		if (left <= 0)
			break;
		if (poll(&p, 1, (int)((left + 999) / 1000)) > 0)
			bc_term_read(t);
	}
}

/* Reads until nothing came for quiet_us (or max_us passed). */
static void bc_term_quiet(struct bc_term *t, int64_t quiet_us, int64_t max_us)
{
	int64_t start = time_mono_us(), deadline = start + max_us, mark = start;
	struct pollfd p = { .fd = t->fd, .events = POLLIN };

	while (!t->eof && !bc_stop) {
		int64_t now = time_mono_us();
		if (now >= deadline || now - mark >= quiet_us)
			break;
		int64_t left = quiet_us - (now - mark);
		if (poll(&p, 1, (int)((left + 999) / 1000)) > 0 && bc_term_read(t) > 0)
			mark = time_mono_us();
	}
}

/* Reads until something arrives (or us passed). */
static void bc_term_next(struct bc_term *t, int64_t us)
{
	int64_t deadline = time_mono_us() + us;
	struct pollfd p = { .fd = t->fd, .events = POLLIN };
	size_t from = t->raw.len;

	while (!t->eof && !bc_stop && t->raw.len == from) {
		int64_t left = deadline - time_mono_us();
		if (left <= 0)
			break;
		if (poll(&p, 1, (int)((left + 999) / 1000)) > 0)
			bc_term_read(t);
	}
}

/* Reads until the visible text after from holds every one of texts (NULL
 * ends the list), or us passed. Returns the time it did, or 0. */
static int64_t bc_term_wait(struct bc_term *t, size_t from, const char *const *texts, int64_t us)
{
	int64_t deadline = time_mono_us() + us;
	struct pollfd p = { .fd = t->fd, .events = POLLIN };

	for (;;) {
		bool all = true;
		for (size_t i = 0; texts[i] && all; i++)
			all = t->vis.len > from &&
			      memmem(t->vis.buf + from, t->vis.len - from, texts[i], strlen(texts[i]));
		if (all)
			return t->last_us ? t->last_us : time_mono_us();
		int64_t left = deadline - time_mono_us();
		if (left <= 0 || t->eof || bc_stop)
			return 0;
		if (poll(&p, 1, (int)((left + 999) / 1000)) > 0)
			bc_term_read(t);
	}
}

static int64_t bc_term_wait1(struct bc_term *t, size_t from, const char *text, int64_t us)
{
	const char *v[] = { text, NULL };

	return bc_term_wait(t, from, v, us);
}

static void bc_term_keys(struct bc_term *t, const char *keys)
{
	size_t n = strlen(keys), off = 0;

	while (off < n && !t->eof) {
		ssize_t w = write(t->fd, keys + off, n - off);
		if (w > 0)
			off += (size_t)w;
		else if (w < 0 && errno != EINTR && errno != EAGAIN)
			break;
		else
			bc_term_read(t);	/* make room: it may be blocked writing to us */
	}
}

/* The last few visible lines, for a failure message. */
static void bc_term_show_tail(const struct bc_term *t, const char *who)
{
	size_t n = t->vis.len, from = n > 600 ? n - 600 : 0;

	fprintf(stderr, "console: the last text %s drew:\n", who);
	for (size_t i = from; i < n; i++) {
		char c = t->vis.buf[i];
		fputc(c == '\n' || (unsigned char)c >= 0x20 ? c : '?', stderr);
	}
	fputc('\n', stderr);
}

static void bc_term_stop(struct bc_term *t)
{
	if (t->pid > 0) {
		kill(t->pid, SIGTERM);
		/* Keep reading: a child blocked writing to the pty cannot exit. */
		int64_t deadline = time_mono_us() + 2000000;
		struct rusage ru;
		pid_t w;
		memset(&ru, 0, sizeof(ru));
		while ((w = wait4(t->pid, NULL, WNOHANG, &ru)) == 0 && time_mono_us() < deadline) {
			bc_term_pump(t, 5000);
			if (t->eof)
				usleep(1000);
		}
		bc_kid_reap(t->pid, 100000);	/* kills it if still there, forgets it */
		if (w == t->pid)
			bc_last_ru = ru;
		t->pid = 0;
	}
	if (t->fd > 0)
		close(t->fd);
	t->fd = -1;
	sb_free(&t->raw);
	sb_free(&t->vis);
}

/* ---- where things are ---- */

static char bc_baton[PATH_MAX], bc_batond[PATH_MAX];

static bool bc_is_exec(const char *path)
{
	struct stat sb;

	return stat(path, &sb) == 0 && S_ISREG(sb.st_mode) && access(path, X_OK) == 0;
}

static bool bc_which(const char *name, char *out, size_t len)
{
	const char *path = getenv("PATH");
	char dir[PATH_MAX];

	if (!path)
		path = "/usr/bin:/bin";
	while (*path) {
		size_t n = strcspn(path, ":");
		if (n && n < sizeof(dir)) {
			memcpy(dir, path, n);
			dir[n] = '\0';
			bc_fmt(out, len, "%s/%s", dir, name);
			if (bc_is_exec(out))
				return true;
		}
		path += n + (path[n] == ':');
	}
	return false;
}

/* The build directory: --build, $BUILD, or the one this program is in. */
static void bc_find_programs(const char *argv0)
{
	char dir[PATH_MAX];
	const char *b = bc_opt.build ? bc_opt.build : getenv("BUILD");

	if (b) {
		bc_fmt(dir, sizeof(dir), "%s", b);
	} else {
		char self[PATH_MAX];
		ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
		if (n <= 0) {
			bc_fmt(self, sizeof(self), "%s", argv0);
			n = (ssize_t)strlen(self);
		}
		self[n] = '\0';
		/* $BUILD/bench/console -> $BUILD */
		char *s = strrchr(self, '/');
		if (s)
			*s = '\0';
		s = strrchr(self, '/');
		if (s)
			*s = '\0';
		bc_fmt(dir, sizeof(dir), "%s", s ? self : ".");
	}
	bc_fmt(bc_baton, sizeof(bc_baton), "%s/baton", dir);
	bc_fmt(bc_batond, sizeof(bc_batond), "%s/batond", dir);
	if (bc_baton[0] != '/' && realpath(bc_baton, dir))
		bc_fmt(bc_baton, sizeof(bc_baton), "%s", dir);
	if (bc_batond[0] != '/' && realpath(bc_batond, dir))
		bc_fmt(bc_batond, sizeof(bc_batond), "%s", dir);
}

/* A loopback port nothing listens on at the moment. */
static int bc_free_port(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), port = -1;

	if (fd < 0)
		return -1;
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&a, &len) == 0)
		port = ntohs(a.sin_port);
	close(fd);
	return port;
}

static int bc_connect(int port, bool nonblock)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | (nonblock ? SOCK_NONBLOCK : 0), 0);
	int one = 1;

	if (fd < 0)
		return -1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0 && errno != EINPROGRESS) {
		close(fd);
		return -1;
	}
	return fd;
}

/* ---- statistics ---- */

static int bc_dbl_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Nearest-rank percentile of v[0..n) (sorts v). */
static double bc_pct(double *v, size_t n, double q)
{
	size_t i;

	if (!n)
		return -1;
	qsort(v, n, sizeof(*v), bc_dbl_cmp);
	i = (size_t)(q * (double)n + 0.999999);
	if (i < 1)
		i = 1;
	if (i > n)
		i = n;
	return v[i - 1];
}

/* ---- (a) and (c): the console's store, seeded through its own API ---- */

static const char *const bc_prio[] = { "urgent", "high", "normal", "low" };
static const char *const bc_chan[] = { "web", "whatsapp", "messenger", "sms", "email" };
static const char *const bc_lang[] = { "en", "de", "tr", "pl", "fr", "es" };

static void bc_time(int64_t ms, char out[TIME_RFC3339_LEN + 1])
{
	time_format_rfc3339(ms, out);
}

static void bc_seed_message(struct strbuf *sb, int conv, int k, int64_t at_ms)
{
	char at[TIME_RFC3339_LEN + 1];
	static const char *const lines[] = {
		"The parcel was due on Monday and the tracking page has not moved since.",
		"I ordered the trail sneakers in size 9 but the box says 10, can I swap them?",
		"Thanks, that helps. Could you also check the second order from last week?",
		"I have been charged twice for the same order, the bank shows two payments.",
		"Let me check that order for you; it was handed to the carrier on Tuesday.",
	};

	bc_time(at_ms, at);
	sb_addf(sb, "%s{\"id\":\"m-%d-%d\",\"conv\":\"c-%d\",\"from\":\"%s\",\"kind\":\"public\","
		"\"text\":\"%s (%d)\",\"at\":\"%s\"}", k ? "," : "", conv, k, conv,
		k % 2 ? "bot" : "customer", lines[(conv + k) % 5], k, at);
}

/*
 * One conversation as the hub would send it. mine: assigned to ana.
 * Conversation 0 is the first of the queue (urgent, the earliest SLA).
 */
static void bc_seed_conv(struct strbuf *sb, int i, int nmsgs, bool mine, int64_t now_ms)
{
	char qat[TIME_RFC3339_LEN + 1], due[TIME_RFC3339_LEN + 1], since[TIME_RFC3339_LEN + 1];
	int64_t queued = now_ms - 3600000 + (int64_t)i * 100;
	int prio = i == 0 ? 0 : i % 40 == 0 ? 0 : i % 7 == 0 ? 1 : i % 11 == 0 ? 3 : 2;

	bc_time(queued, qat);
	bc_time(queued + (i == 0 ? 60000 : 600000), due);
	bc_time(now_ms - 86400000LL * 400, since);
	sb_addf(sb, "{\"id\":\"c-%d\",\"state\":\"%s\",\"priority\":\"%s\",\"channel\":\"%s\","
		"\"language\":\"%s\",\"created_at\":\"%s\",\"queued_at\":\"%s\",\"sla_due_at\":\"%s\",",
		i, mine ? "assigned" : "queued", bc_prio[prio], bc_chan[i % 5], bc_lang[i % 6], qat, qat,
		due);
	if (mine)
		sb_adds(sb, "\"assignee\":\"ana\",");
	sb_addf(sb, "\"version\":1,\"escalation\":{\"reason\":{\"code\":\"order_problem\","
		"\"text\":\"parcel late, customer upset\"},\"confidence\":0.41,\"sentiment\":-0.5,"
		"\"skills\":[\"returns\"],\"summary\":\"Customer %05d's order o-%d has not arrived nine "
		"days after dispatch; they want a refund or a replacement.\",\"attempted\":[{\"step\":"
		"\"tracked the parcel\",\"outcome\":\"failed\",\"detail\":\"no scan since Tuesday\","
		"\"at\":\"%s\"}]},", i, 5000 + i, qat);
	sb_addf(sb, "\"customer\":{\"id\":\"cu-%d\",\"name\":\"Customer %05d\",\"tier\":\"silver\","
		"\"since\":\"%s\",\"lifetime_value_minor\":%d,\"currency\":\"EUR\",\"orders\":[{\"id\":"
		"\"o-%d\",\"placed_at\":\"%s\",\"status\":\"shipped\",\"total_minor\":8999,\"currency\":"
		"\"EUR\",\"tracking\":\"1Z%08d\",\"items\":[{\"sku\":\"SNK-9-BLK\",\"name\":\"Trail sneaker, "
		"9, black\",\"qty\":1,\"price_minor\":8999}]}]},\"transcript\":[",
		i, i, since, 10000 + i * 7, 5000 + i, since, i);
	for (int k = 0; k < nmsgs; k++)
		bc_seed_message(sb, i, k, queued - (int64_t)(nmsgs - k) * 1000);
	sb_adds(sb, "]}");
}

/*
 * Writes the store at path as the console would after a welcome and a
 * snapshot from the hub: identity (agent ana), convs queued conversations
 * and BC_MINE of mine, msgs messages in all. Returns 0 or -1 with why.
 */
static int bc_seed_store(const char *path, const char *url, char *why, size_t whylen)
{
	static const char welcome[] =
		"{\"type\":\"welcome\",\"v\":1,\"session\":\"s-bench\",\"agent\":{\"id\":\"ana\","
		"\"name\":\"Ana Kaya\",\"role\":\"agent\",\"skills\":[\"returns\"]},\"limits\":"
		"{\"discount_percent_max\":15,\"discount_amount_max_minor\":5000,\"currency\":\"EUR\","
		"\"max_frame_bytes\":65536,\"max_active\":3},\"head\":1,\"resume\":\"snapshot\"}";
	struct strbuf sb = STRBUF_INIT;
	struct proto_frame *wf = NULL, *sf = NULL;
	struct proto_err perr;
	struct store *st;
	char err[512];
	int64_t now = time_now_ms(), t0 = time_mono_us();
	int per_q = bc_opt.convs ? (int)((long)bc_opt.msgs * 9 / 10 / bc_opt.convs) : 0;
	long rest = bc_opt.msgs - (long)per_q * bc_opt.convs;
	size_t dropped;
	int rc = -1;

	st = store_open(path, err, sizeof(err));
	if (!st) {
		bc_fmt(why, whylen, "store_open: %s", err);
		return -1;
	}
	wf = proto_frame_decode(welcome, strlen(welcome), 0, &perr);
	if (!wf) {
		bc_fmt(why, whylen, "the welcome frame does not decode: %s", perr.msg);
		goto out;
	}
	if (store_bind_identity(st, url, &wf->u.welcome, &dropped, err, sizeof(err)) < 0) {
		bc_fmt(why, whylen, "store_bind_identity: %s", err);
		goto out;
	}
	sb_adds(&sb, "{\"type\":\"snapshot\",\"upto\":1,\"queue\":[");
	for (int i = 0; i < bc_opt.convs; i++) {
		if (i)
			sb_addc(&sb, ',');
		bc_seed_conv(&sb, i, per_q, false, now);
	}
	sb_adds(&sb, "],\"mine\":[");
	for (int i = 0; i < BC_MINE; i++) {
		if (i)
			sb_addc(&sb, ',');
		bc_seed_conv(&sb, bc_opt.convs + i, (int)(rest / BC_MINE + (i < rest % BC_MINE)), true,
			     now);
	}
	sb_adds(&sb, "],\"approvals\":[],\"agents\":[]}");
	int64_t t1 = time_mono_us();
	sf = proto_frame_decode(sb.buf, sb.len, 0, &perr);
	if (!sf) {
		bc_fmt(why, whylen, "the snapshot does not decode: %s", perr.msg);
		goto out;
	}
	int64_t t2 = time_mono_us();
	model_sanitize_frame(sf);
	int64_t t3 = time_mono_us();
	if (store_apply_frame(st, sf, err, sizeof(err)) < 0) {
		bc_fmt(why, whylen, "store_apply_frame: %s", err);
		goto out;
	}
	int64_t t4 = time_mono_us();
	printf("  store: a %.1f MB snapshot frame: built in %.1f s, decoded in %.1f s, sanitized in "
	       "%.1f s, applied (one transaction) in %.1f s\n", (double)sb.len / 1048576.0,
	       (double)(t1 - t0) / 1e6, (double)(t2 - t1) / 1e6, (double)(t3 - t2) / 1e6,
	       (double)(t4 - t3) / 1e6);
	rc = 0;
out:
	proto_frame_free(wf);
	proto_frame_free(sf);
	sb_free(&sb);
	store_close(st);
	return rc;
}

/*
 * Seeds in a child process: building and decoding a 27 MB snapshot grows
 * the heap by hundreds of MB, and a parent that large makes every later
 * fork (each console start in (c)) cost ~20 ms of page tables — which
 * would be counted as the console's start-up.
 */
static int bc_seed_in_child(const char *path, const char *url, char *why, size_t whylen)
{
	int fds[2], status = 0;
	ssize_t n;
	pid_t pid;

	if (pipe2(fds, O_CLOEXEC) < 0) {
		bc_fmt(why, whylen, "pipe: %s", strerror(errno));
		return -1;
	}
	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		bc_fmt(why, whylen, "fork: %s", strerror(errno));
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	if (pid == 0) {
		char cwhy[300] = "";
		int rc;

		close(fds[0]);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		rc = bc_seed_store(path, url, cwhy, sizeof(cwhy));
		fflush(stdout);
		if (rc < 0 && write(fds[1], cwhy, strlen(cwhy)) < 0)
			rc = -1;
		_exit(rc < 0 ? 1 : 0);
	}
	close(fds[1]);
	bc_kid_add(pid);
	n = read(fds[0], why, whylen - 1);
	why[n > 0 ? n : 0] = '\0';
	close(fds[0]);
	status = bc_kid_reap(pid, 600000000);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	if (!why[0])
		bc_fmt(why, whylen, "the seeding process ended with status %d", status);
	return -1;
}

/* The console's files for one run: config and data homes, a token file. */
static void bc_console_env(const char *tag, char *env[4], char bufs[3][PATH_MAX + 32])
{
	char cfg[PATH_MAX], data[PATH_MAX];

	bc_fmt(cfg, sizeof(cfg), "%s/%s-cfg", bc_tmp, tag);
	bc_fmt(data, sizeof(data), "%s/%s-data", bc_tmp, tag);
	mkdir(cfg, 0700);
	mkdir(data, 0700);
	bc_fmt(bufs[0], sizeof(bufs[0]), "XDG_CONFIG_HOME=%s", cfg);
	bc_fmt(bufs[1], sizeof(bufs[1]), "XDG_DATA_HOME=%s", data);
	bc_fmt(bufs[2], sizeof(bufs[2]), "XDG_RUNTIME_DIR=%s", data);
	env[0] = bufs[0];
	env[1] = bufs[1];
	env[2] = bufs[2];
	env[3] = NULL;
}

/* Starts the console on the seeded store, the hub unreachable (offline). */
static int bc_console_offline(struct bc_term *t, const char *db, const char *url, char *why,
			      size_t whylen)
{
	static char bufs[3][PATH_MAX + 32];
	char *env[4];
	char *argv[] = { bc_baton, (char *)"--url", (char *)url, (char *)"--token-file",
			 (char *)bc_path("offline.token"), (char *)"--db", (char *)db, NULL };

	bc_console_env("offline", env, bufs);
	return bc_term_start(t, argv, env, bc_path("baton-offline.err"), why, whylen);
}

/* The texts that say the first paint is on the screen: the first queued
 * customer (top) and the status bar's count of mine (the last row). */
static const char *const bc_paint_marks[] = { "Customer 00000", "mine 2/", NULL };

static void bc_measure_rss(const char *db, const char *url)
{
	struct bc_term t;
	char why[256];

	/* The floor: the same console on an empty store. */
	if (bc_console_offline(&t, bc_path("empty.db"), url, why, sizeof(why)) == 0) {
		if (bc_term_wait1(&t, 0, "queue:", 10000000)) {
			bc_term_quiet(&t, 500000, 3000000);
			bc_res.rss_empty_mb = bc_proc_kb(t.pid, "VmRSS:") / 1024.0;
			printf("  (a) baton RSS on an empty store: %.1f MB\n", bc_res.rss_empty_mb);
		}
		bc_term_stop(&t);
	}
	if (bc_console_offline(&t, db, url, why, sizeof(why)) < 0) {
		bc_fmt(bc_res.rss_why, sizeof(bc_res.rss_why), "%s", why);
		return;
	}
	if (!bc_term_wait(&t, 0, bc_paint_marks, 20000000)) {
		bc_fmt(bc_res.rss_why, sizeof(bc_res.rss_why), "the console did not paint the store in 20 s");
		bc_term_show_tail(&t, "baton");
		bc_term_stop(&t);
		return;
	}
	bc_term_quiet(&t, 300000, 3000000);
	bc_res.rss_start_mb = bc_proc_kb(t.pid, "VmRSS:") / 1024.0;

	bc_res.rss_anon_mb = bc_proc_kb(t.pid, "RssAnon:") / 1024.0;
	bc_res.rss_db_mb = bc_proc_map_kb(t.pid, ".db") / 1024.0;

	/* What the console costs while nothing happens: its timers only. */
	double c0 = bc_proc_run_ms(t.pid);
	bc_term_pump(&t, 3000000);
	bc_res.idle_cpu_ms_s = (bc_proc_run_ms(t.pid) - c0) / 3.0;
	printf("  (a) baton idle with that store: %.1f ms CPU per second (its one-second timers)\n",
	       bc_res.idle_cpu_ms_s);

	/* The console opens with my first conversation in the chat pane:
	 * focus it and page back through its history; older messages come
	 * from the store. (No Enter: on an open conversation it composes.) */
	bc_term_keys(&t, "2");
	bc_term_quiet(&t, 100000, 1000000);
	for (int i = 0; i < bc_opt.pages && !bc_stop && !t.eof; i++) {
		bc_term_keys(&t, "\033[5~");
		bc_term_quiet(&t, 20000, 500000);
	}
	bc_term_quiet(&t, 200000, 2000000);
	bc_res.rss_paged_mb = bc_proc_kb(t.pid, "VmRSS:") / 1024.0;
	bc_term_keys(&t, "G");
	bc_term_quiet(&t, 300000, 2000000);
	bc_res.rss_bottom_mb = bc_proc_kb(t.pid, "VmRSS:") / 1024.0;
	bc_res.hwm_mb = bc_proc_kb(t.pid, "VmHWM:") / 1024.0;
	printf("  (a) baton RSS: %.1f MB after the first paint (%.1f MB anonymous, %.1f MB of the "
	       "store file mapped), %.1f MB after %d page-ups through history, %.1f MB back at the "
	       "bottom (peak %.1f MB)\n", bc_res.rss_start_mb, bc_res.rss_anon_mb, bc_res.rss_db_mb,
	       bc_res.rss_paged_mb, bc_opt.pages, bc_res.rss_bottom_mb, bc_res.hwm_mb);
	if (t.eof)
		bc_fmt(bc_res.rss_why, sizeof(bc_res.rss_why), "the console left during the run");
	bc_term_stop(&t);
}

static void bc_measure_paint(const char *db, const char *url)
{
	int runs = bc_opt.runs;
	double *v = xcalloc((size_t)runs + 1, sizeof(double)), first_sum = 0;
	double *cpu = xcalloc((size_t)runs + 1, sizeof(double));
	int got = 0;
	char why[256];

	int64_t t_end = time_mono_us() + BC_RUNS_US;

	for (int r = 0; r <= runs && !bc_stop && (r <= 3 || time_mono_us() < t_end); r++) {
		struct bc_term t;

		if (bc_console_offline(&t, db, url, why, sizeof(why)) < 0) {
			bc_fmt(bc_res.paint_why, sizeof(bc_res.paint_why), "%s", why);
			break;
		}
		int64_t at = bc_term_wait(&t, 0, bc_paint_marks, 20000000);
		if (!at) {
			bc_fmt(bc_res.paint_why, sizeof(bc_res.paint_why),
			       "the console did not paint the store in 20 s");
			bc_term_show_tail(&t, "baton");
			bc_term_stop(&t);
			break;
		}
		if (r == runs)
			bc_dump("paint-last-run.raw", t.raw.buf, t.raw.len);
		if (r > 0) {	/* run 0 warms the page cache */
			cpu[got] = bc_proc_run_ms(t.pid);
			v[got++] = (double)(at - t.start_us) / 1000.0;
			first_sum += (double)(t.first_us - t.start_us) / 1000.0;
		}
		bc_term_stop(&t);
	}
	/* The floor of this measurement: fork, exec and the pty, for a
	 * program that prints one word at once. */
	double floor_v[5], floor_cpu[5];
	int nfloor = 0;
	for (int r = 0; r < 6 && !bc_stop; r++) {
		struct bc_term t;
		char *argv[] = { (char *)"/bin/echo", (char *)"bench-ready", NULL };
		if (bc_term_start(&t, argv, NULL, NULL, why, sizeof(why)) < 0)
			break;
		int64_t at = bc_term_wait1(&t, 0, "bench-ready", 5000000);
		bc_term_stop(&t);
		if (at && r > 0) {
			floor_cpu[nfloor] = bc_ru_ms(&bc_last_ru);
			floor_v[nfloor++] = (double)(at - t.start_us) / 1000.0;
		}
	}
	if (nfloor) {
		bc_res.paint_floor_ms = bc_pct(floor_v, (size_t)nfloor, 0.5);
		bc_res.paint_floor_cpu_ms = bc_pct(floor_cpu, (size_t)nfloor, 0.5);
	}
	if (got) {
		bc_res.paint_min_ms = bc_pct(v, (size_t)got, 0);
		bc_res.paint_max_ms = v[got - 1];
		bc_res.paint_ms = bc_pct(v, (size_t)got, 0.5);
		bc_res.paint_first_ms = first_sum / got;
		bc_res.paint_cpu_ms = bc_pct(cpu, (size_t)got, 0.5);
		printf("  (c) baton start to first paint: median %.1f ms over %d warm runs (min %.1f, "
		       "max %.1f; first byte after %.1f ms); CPU time to the paint: median %.1f ms; "
		       "/bin/echo under the same pty (fork, exec, pty): %.1f ms, CPU %.1f ms\n",
		       bc_res.paint_ms, got, bc_res.paint_min_ms, bc_res.paint_max_ms,
		       bc_res.paint_first_ms, bc_res.paint_cpu_ms, bc_res.paint_floor_ms,
		       bc_res.paint_floor_cpu_ms);
	}
	free(v);
	free(cpu);
}

/* ---- WeeChat, the peer ---- */

static char bc_wee_curses[PATH_MAX], bc_wee_headless[PATH_MAX];

/* Starts weechat-curses (fifo plugin only, no scripts) in its own home. */
static int bc_wee_start(struct bc_term *t, const char *home, char *fifo, size_t fifolen,
			char *why, size_t whylen)
{
	static char hbuf[PATH_MAX + 8];
	char *env[] = { hbuf, NULL };
	char *argv[] = { bc_wee_curses, (char *)"-a", (char *)"-s", (char *)"-d", (char *)home,
			 (char *)"-P", (char *)"fifo", NULL };

	mkdir(home, 0700);
	bc_fmt(hbuf, sizeof(hbuf), "HOME=%s", home);
	if (bc_term_start(t, argv, env, bc_path("weechat.err"), why, whylen) < 0)
		return -1;
	bc_fmt(fifo, fifolen, "%s/weechat_fifo_%d", home, (int)t->pid);
	for (int i = 0; i < 500 && !bc_stop; i++) {
		bc_term_pump(t, 10000);
		if (access(fifo, W_OK) == 0)
			return 0;
	}
	bc_fmt(why, whylen, "weechat-curses made no FIFO %s in 5 s", fifo);
	bc_term_stop(t);
	return -1;
}

/* Writes commands to weechat's FIFO while reading its screen. */
static int bc_wee_cmd(struct bc_term *t, const char *fifo, const char *text)
{
	int fd = open(fifo, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
	size_t n = strlen(text), off = 0;
	int64_t deadline = time_mono_us() + 30000000;

	if (fd < 0)
		return -1;
	while (off < n && time_mono_us() < deadline && !bc_stop) {
		ssize_t w = write(fd, text + off, n - off);
		if (w > 0)
			off += (size_t)w;
		else
			bc_term_pump(t, 1000);
	}
	close(fd);
	return off == n ? 0 : -1;
}

static void bc_wee_rss(void)
{
	struct bc_term t;
	char fifo[PATH_MAX], why[256];
	struct strbuf cmds = STRBUF_INIT;
	int buffers = 100, per = bc_opt.msgs / buffers;

	if (!bc_wee_curses[0]) {
		bc_fmt(bc_res.wee_rss_why, sizeof(bc_res.wee_rss_why), "weechat-curses is not installed "
		       "(apt-get install weechat-curses)");
		return;
	}
	if (bc_wee_start(&t, bc_path("wee-rss"), fifo, sizeof(fifo), why, sizeof(why)) < 0) {
		bc_fmt(bc_res.wee_rss_why, sizeof(bc_res.wee_rss_why), "%s", why);
		return;
	}
	bc_term_quiet(&t, 300000, 3000000);
	bc_res.wee_rss_idle_mb = bc_proc_kb(t.pid, "VmRSS:") / 1024.0;
	/* Each buffer keeps 4096 lines by default: 1,000 each are all kept. */
	for (int b = 0; b < buffers && !bc_stop; b++) {
		sb_reset(&cmds);
		sb_addf(&cmds, "*/buffer add chat%d\n", b);
		for (int k = 0; k < per; k++)
			sb_addf(&cmds, "*/print -buffer chat%d Customer %05d: The parcel was due on Monday "
				"and the tracking page has not moved since. (%d)\n", b, b, k);
		if (bc_wee_cmd(&t, fifo, cmds.buf) < 0)
			break;
		bc_term_pump(&t, 1000);
	}
	sb_adds(&cmds, "*/print -core bench-done\n");
	bc_wee_cmd(&t, fifo, "*/buffer 1\n*/print bench-done\n");
	if (!bc_term_wait1(&t, 0, "bench-done", 40000000))
		bc_fmt(bc_res.wee_rss_why, sizeof(bc_res.wee_rss_why), "weechat did not take the lines "
		       "in 40 s");
	bc_term_quiet(&t, 300000, 3000000);
	bc_res.wee_rss_lines_mb = bc_proc_kb(t.pid, "VmRSS:") / 1024.0;
	printf("  (a) weechat-curses RSS: %.1f MB idle, %.1f MB holding %d lines in %d buffers\n",
	       bc_res.wee_rss_idle_mb, bc_res.wee_rss_lines_mb, per * buffers, buffers);
	sb_free(&cmds);
	bc_term_stop(&t);
}

static void bc_wee_paint(void)
{
	int runs = bc_opt.runs, got = 0;
	double *v = xcalloc((size_t)runs + 1, sizeof(double));
	double *cpu = xcalloc((size_t)runs + 1, sizeof(double));
	char home[PATH_MAX], why[256];
	int64_t t_end;

	bc_fmt(home, sizeof(home), "%s", bc_path("wee-start"));

	if (!bc_wee_headless[0]) {
		bc_fmt(bc_res.wee_paint_why, sizeof(bc_res.wee_paint_why), "weechat-headless is not "
		       "installed (apt-get install weechat-headless)");
		goto curses;
	}
	mkdir(home, 0700);
	t_end = time_mono_us() + BC_RUNS_US;
	for (int r = 0; r <= runs && !bc_stop && (r <= 3 || time_mono_us() < t_end); r++) {
		char *argv[] = { bc_wee_headless, (char *)"-a", (char *)"-d", (char *)home,
				 (char *)"-r", (char *)"/quit", NULL };
		int64_t t0 = time_mono_us();
		int rc = bc_run(argv, NULL, bc_path("weechat-headless.err"), 20000000);
		if (rc != 0) {
			bc_fmt(bc_res.wee_paint_why, sizeof(bc_res.wee_paint_why), "weechat-headless -r "
			       "/quit exited with %d", rc);
			break;
		}
		if (r > 0) {
			v[got] = (double)(time_mono_us() - t0) / 1000.0;
			cpu[got++] = bc_ru_ms(&bc_last_ru);
		}
	}
	if (got) {
		bc_res.wee_quit_ms = bc_pct(v, (size_t)got, 0.5);
		bc_res.wee_quit_cpu_ms = bc_pct(cpu, (size_t)got, 0.5);
		printf("  (c) weechat-headless -r /quit: median %.1f ms over %d warm runs (min %.1f, "
		       "max %.1f); CPU time: median %.1f ms\n", bc_res.wee_quit_ms, got, v[0],
		       v[got - 1], bc_res.wee_quit_cpu_ms);
	}
curses:
	/* And weechat-curses to its first paint in the same pty, as an aside. */
	got = 0;
	t_end = time_mono_us() + BC_RUNS_US;
	for (int r = 0; bc_wee_curses[0] && r <= runs && r <= 5 && !bc_stop &&
	     (r <= 3 || time_mono_us() < t_end); r++) {
		struct bc_term t;
		static char hbuf[PATH_MAX + 8];
		char *env[] = { hbuf, NULL };
		char *argv[] = { bc_wee_curses, (char *)"-a", (char *)"-d", (char *)home, NULL };
		const char *marks[] = { "1:weechat", NULL };

		bc_fmt(hbuf, sizeof(hbuf), "HOME=%s", home);
		if (bc_term_start(&t, argv, env, bc_path("weechat.err"), why, sizeof(why)) < 0)
			break;
		int64_t at = bc_term_wait(&t, 0, marks, 20000000);
		if (at && r > 0) {
			cpu[got] = bc_proc_run_ms(t.pid);
			v[got++] = (double)(at - t.start_us) / 1000.0;
		}
		bc_term_stop(&t);
		if (!at)
			break;
	}
	if (got) {
		bc_res.wee_paint_ms = bc_pct(v, (size_t)got, 0.5);
		bc_res.wee_paint_cpu_ms = bc_pct(cpu, (size_t)got, 0.5);
		printf("  (c) weechat-curses start to first paint (its status bar): median %.1f ms; CPU "
		       "time to it: median %.1f ms\n", bc_res.wee_paint_ms, bc_res.wee_paint_cpu_ms);
	}
	free(v);
	free(cpu);
}

/* ---- HTTP: blocking requests for the setup ---- */

/* One request on a fresh connection; fills *status and body (caller frees). */
static int bc_http_once(int port, const char *method, const char *path, const char *token,
			const char *json, int *status, char **body)
{
	struct strbuf req = STRBUF_INIT, resp = STRBUF_INIT;
	int fd = bc_connect(port, false), rc = -1;
	char buf[8192];
	struct timeval tv = { 10, 0 };

	*status = 0;
	*body = NULL;
	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	sb_addf(&req, "%s %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nConnection: close\r\n", method, path,
		port);
	if (token)
		sb_addf(&req, "Authorization: Bearer %s\r\n", token);
	if (json)
		sb_addf(&req, "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s",
			strlen(json), json);
	else
		sb_adds(&req, "\r\n");
	if (write(fd, req.buf, req.len) != (ssize_t)req.len)
		goto out;
	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));
		if (n <= 0)
			break;
		sb_add(&resp, buf, (size_t)n);
	}
	if (resp.len < 12 || strncmp(resp.buf, "HTTP/1.1 ", 9) != 0)
		goto out;
	*status = atoi(resp.buf + 9);
	char *b = strstr(resp.buf, "\r\n\r\n");
	*body = xstrdup(b ? b + 4 : "");
	rc = 0;
out:
	close(fd);
	sb_free(&req);
	sb_free(&resp);
	return rc;
}

/* ---- the network side of (b) and (d): agents and bots ---- */

enum bc_cstate { BC_C_CONNECTING, BC_C_HANDSHAKE, BC_C_OPEN, BC_C_DEAD };

struct bc_conn {
	int fd;
	bool ws;
	enum bc_cstate state;
	int idx;		/* ws: the agent; http: the pool slot */
	struct strbuf in, out;
	size_t out_off;
	char accept[32];	/* ws: the Sec-WebSocket-Accept we expect */
	struct strbuf frag;	/* ws: a fragmented message so far */
	bool claimed;
	/* http: the request in flight */
	bool busy;
	int conv, k;		/* which message; conv < 0: none */
};

struct bc_net {
	int port;
	char *bot_token;
	int nagents;			/* agents incl. the console (index 0) */
	char **tokens;			/* [nagents] */
	char **convs;			/* [nagents] the conversation each agent has */
	struct bc_conn *ws;		/* [nagents], index 0 unused (the console) */
	struct bc_conn pool[BC_POOL + BC_CPOOL];	/* [BC_POOL..]: the console's own lines */
	int claimed;
	char fail[300];
	/* the load */
	int per_conv;			/* messages per conversation */
	int64_t t0;
	int *next_k;			/* [nagents] next message to schedule */
	int64_t *sent;			/* [nagents * per_conv] POST written (0: not yet) */
	int64_t *sched;			/* [nagents * per_conv] when it was due */
	int *queue, qhead, qtail, qcap;	/* due messages waiting for a free bot line */
	int *cqueue, cqhead, cqtail;	/* the same for the console's (qcap too) */
	int run;			/* which measured run (in the bare agents' texts) */
	int nactive;			/* agents whose conversations get messages */
	bool generate;			/* still making new messages */
	double *hub_lat;		/* ms, deliveries to the bare agents */
	size_t hub_n;
	long posted, post_errors, late, clate;
	/* the console's tokens */
	char (*tok)[12];		/* [per_conv] */
	double *con_lat;
	size_t con_n;
	bool *seen;
	int64_t *con_at;		/* [per_conv] when the console's screen showed it */
	int64_t *shadow_at;		/* [per_conv] when the shadow session got it */
	bool shadow_ready;		/* the shadow (ws[0], ana's second session) is welcomed */
	size_t vis_scan;		/* visible text already searched */
};

static void bc_conn_dead(struct bc_net *n, struct bc_conn *c, const char *why)
{
	if (c->state == BC_C_DEAD)
		return;
	if (c->ws && !n->fail[0])
		bc_fmt(n->fail, sizeof(n->fail), "agent %d's stream closed: %s", c->idx, why);
	else if (!c->ws && !n->fail[0] && c->busy)
		bc_fmt(n->fail, sizeof(n->fail), "a bot connection closed: %s", why);
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	c->state = BC_C_DEAD;
}

static void bc_conn_flush(struct bc_net *n, struct bc_conn *c)
{
	while (c->out_off < c->out.len) {
		ssize_t w = send(c->fd, c->out.buf + c->out_off, c->out.len - c->out_off, MSG_NOSIGNAL);
		if (w > 0) {
			c->out_off += (size_t)w;
			continue;
		}
		if (w < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		bc_conn_dead(n, c, w < 0 ? strerror(errno) : "closed");
		return;
	}
	sb_reset(&c->out);
	c->out_off = 0;
}

static uint32_t bc_rol(uint32_t x, int s)
{
	return (x << s) | (x >> (32 - s));
}

static void bc_sha1_block(uint32_t h[5], const uint8_t *p)
{
	uint32_t w[80], a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f, k, t;
	int i;

	for (i = 0; i < 16; i++)
		w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
		       (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
	for (; i < 80; i++)
		w[i] = bc_rol(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
	for (i = 0; i < 80; i++) {
		if (i < 20) {
			f = (b & c) | (~b & d);
			k = 0x5A827999u;
		} else if (i < 40) {
			f = b ^ c ^ d;
			k = 0x6ED9EBA1u;
		} else if (i < 60) {
			f = (b & c) | (b & d) | (c & d);
			k = 0x8F1BBCDCu;
		} else {
			f = b ^ c ^ d;
			k = 0xCA62C1D6u;
		}
		t = bc_rol(a, 5) + f + e + k + w[i];
		e = d;
		d = c;
		c = bc_rol(b, 30);
		b = a;
		a = t;
	}
	h[0] += a;
	h[1] += b;
	h[2] += c;
	h[3] += d;
	h[4] += e;
}

/* SHA-1 of a short text (the handshake's key and GUID: < 120 bytes). */
static void bc_sha1(const char *data, size_t len, uint8_t out[20])
{
	uint32_t h[5] = { 0x67452301u, 0xEFCDAB89u, 0x98BADCFEu, 0x10325476u, 0xC3D2E1F0u };
	uint8_t tail[192];
	uint64_t bits = (uint64_t)len * 8;
	size_t tl = (len + 1 + 8 + 63) / 64 * 64;

	memset(tail, 0, sizeof(tail));
	memcpy(tail, data, len);
	tail[len] = 0x80;
	for (size_t i = 0; i < 8; i++)
		tail[tl - 1 - i] = (uint8_t)(bits >> (8 * i));
	for (size_t i = 0; i < tl; i += 64)
		bc_sha1_block(h, tail + i);
	for (size_t i = 0; i < 5; i++) {
		out[4 * i] = (uint8_t)(h[i] >> 24);
		out[4 * i + 1] = (uint8_t)(h[i] >> 16);
		out[4 * i + 2] = (uint8_t)(h[i] >> 8);
		out[4 * i + 3] = (uint8_t)h[i];
	}
}

static void bc_base64(const uint8_t *in, size_t n, char *out)
{
	static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t i;
	uint32_t v;

	for (i = 0; i + 2 < n; i += 3) {
		v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
		*out++ = tab[v >> 18];
		*out++ = tab[(v >> 12) & 63];
		*out++ = tab[(v >> 6) & 63];
		*out++ = tab[v & 63];
	}
	if (i < n) {
		v = (uint32_t)in[i] << 16 | (i + 1 < n ? (uint32_t)in[i + 1] << 8 : 0);
		*out++ = tab[v >> 18];
		*out++ = tab[(v >> 12) & 63];
		*out++ = i + 1 < n ? tab[(v >> 6) & 63] : '=';
		*out++ = '=';
	}
	*out = '\0';
}

/* A masked client frame (RFC 6455 5.3; the mask need not be secret on loopback). */
static void bc_ws_send(struct bc_net *n, struct bc_conn *c, int op, const char *p, size_t len)
{
	uint8_t h[14], mask[4];
	size_t hl = 2;

	rand_bytes(mask, sizeof(mask));
	h[0] = (uint8_t)(0x80 | op);
	if (len < 126) {
		h[1] = (uint8_t)(0x80 | len);
	} else if (len < 65536) {
		h[1] = 0x80 | 126;
		h[2] = (uint8_t)(len >> 8);
		h[3] = (uint8_t)len;
		hl = 4;
	} else {
		h[1] = 0x80 | 127;
		for (int i = 0; i < 8; i++)
			h[2 + i] = (uint8_t)((uint64_t)len >> (56 - 8 * i));
		hl = 10;
	}
	memcpy(h + hl, mask, 4);
	sb_add(&c->out, h, hl + 4);
	sb_grow(&c->out, len);
	for (size_t i = 0; i < len; i++)
		c->out.buf[c->out.len + i] = (char)(p[i] ^ mask[i % 4]);
	c->out.len += len;
	c->out.buf[c->out.len] = '\0';
	bc_conn_flush(n, c);
}

static void bc_ws_open(struct bc_net *n, int i)
{
	struct bc_conn *c = &n->ws[i];
	uint8_t raw[16], dig[20];
	char key[32], cat[96];

	memset(c, 0, sizeof(*c));
	c->ws = true;
	c->idx = i;
	c->conv = -1;
	c->fd = bc_connect(n->port, true);
	if (c->fd < 0) {
		c->state = BC_C_DEAD;
		bc_fmt(n->fail, sizeof(n->fail), "cannot connect to the hub: %s", strerror(errno));
		return;
	}
	rand_bytes(raw, sizeof(raw));
	bc_base64(raw, sizeof(raw), key);
	bc_fmt(cat, sizeof(cat), "%s258EAFA5-E914-47DA-95CA-C5AB0DC85B11", key);
	bc_sha1(cat, strlen(cat), dig);
	bc_base64(dig, sizeof(dig), c->accept);
	sb_addf(&c->out, "GET /v1/stream HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUpgrade: websocket\r\n"
		"Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n"
		"Sec-WebSocket-Protocol: baton.v1\r\n\r\n", n->port, key);
	c->state = BC_C_CONNECTING;
}

/* The number after "z<agent>-" in a bare agent's message text. */
static void bc_ws_message(struct bc_net *n, struct bc_conn *c, const char *p, size_t len)
{
	json_error_t jerr;
	json_t *j = json_loadb(p, len, 0, &jerr);
	const char *type = json_string_value(json_object_get(j, "type"));
	int64_t now = time_mono_us();

	if (!type)
		goto out;
	if (strcmp(type, "welcome") == 0 && c->idx == 0) {
		n->shadow_ready = true;	/* ana's conversation is the console's */
	} else if (strcmp(type, "welcome") == 0) {
		char cmd[256];
		bc_fmt(cmd, sizeof(cmd), "{\"type\":\"cmd\",\"cmd_id\":\"bench-claim-%d\",\"op\":\"claim\","
		       "\"args\":{\"conv\":\"%s\"}}", c->idx, n->convs[c->idx]);
		bc_ws_send(n, c, 1, cmd, strlen(cmd));
	} else if (strcmp(type, "result") == 0) {
		const char *st = json_string_value(json_object_get(j, "status"));
		if (st && (strcmp(st, "ok") == 0 || strcmp(st, "duplicate") == 0)) {
			if (!c->claimed)
				n->claimed++;
			c->claimed = true;
		} else if (!n->fail[0]) {
			bc_fmt(n->fail, sizeof(n->fail), "agent %d could not claim %s: %.200s", c->idx,
			       n->convs[c->idx], p);
		}
	} else if (strcmp(type, "error") == 0 && !n->fail[0]) {
		bc_fmt(n->fail, sizeof(n->fail), "the hub sent agent %d an error: %.200s", c->idx, p);
	} else if (strcmp(type, "event") == 0) {
		json_t *m = json_object_get(json_object_get(j, "body"), "message");
		const char *text = json_string_value(json_object_get(m, "text"));
		int run, a, k;
		char tok[11];
		if (c->idx == 0 && text && n->tok && n->shadow_at &&
		    sscanf(text, "%10s is message %d", tok, &k) == 2 && k >= 0 && k < n->per_conv &&
		    strcmp(tok, n->tok[k]) == 0 && !n->shadow_at[k])
			n->shadow_at[k] = now;
		else if (text && sscanf(text, "z%d-%d-%d", &run, &a, &k) == 3 && run == n->run &&
		    a == c->idx && a < n->nactive && k >= 0 && k < n->per_conv && n->sent &&
		    n->sent[(size_t)a * (size_t)n->per_conv + (size_t)k] &&
		    n->hub_n < (size_t)n->nactive * (size_t)n->per_conv)
			n->hub_lat[n->hub_n++] =
				(double)(now - n->sent[(size_t)a * (size_t)n->per_conv + (size_t)k]) / 1000.0;
	}
out:
	json_decref(j);
}

/* Parses the frames in c->in. */
static void bc_ws_frames(struct bc_net *n, struct bc_conn *c)
{
	size_t off = 0;
	uint8_t *b = (uint8_t *)c->in.buf;

	while (c->state == BC_C_OPEN && c->in.len - off >= 2) {
		int op = b[off] & 0x0f;
		bool fin = b[off] & 0x80, masked = b[off + 1] & 0x80;
		uint64_t len = b[off + 1] & 0x7f;
		size_t hl = 2;

		if (len == 126) {
			if (c->in.len - off < 4)
				break;
			len = (uint64_t)b[off + 2] << 8 | b[off + 3];
			hl = 4;
		} else if (len == 127) {
			if (c->in.len - off < 10)
				break;
			len = 0;
			for (int i = 0; i < 8; i++)
				len = len << 8 | b[off + 2 + i];
			hl = 10;
		}
		if (masked)
			hl += 4;
		if (len > (64u << 20)) {
			bc_conn_dead(n, c, "a frame over 64 MB");
			return;
		}
		if (c->in.len - off < hl + len)
			break;
		uint8_t *p = b + off + hl;
		if (masked)
			for (uint64_t i = 0; i < len; i++)
				p[i] ^= b[off + hl - 4 + i % 4];
		if (op == 8) {
			bc_conn_dead(n, c, "the hub closed it");
			return;
		} else if (op == 9) {
			bc_ws_send(n, c, 0xA, (const char *)p, (size_t)len);
		} else if (op == 0 || op == 1 || op == 2) {
			if (op != 0)
				sb_reset(&c->frag);
			sb_add(&c->frag, p, (size_t)len);
			if (fin)
				bc_ws_message(n, c, c->frag.buf ? c->frag.buf : "", c->frag.len);
		}
		off += hl + (size_t)len;
	}
	if (off) {
		memmove(c->in.buf, c->in.buf + off, c->in.len - off);
		c->in.len -= off;
		c->in.buf[c->in.len] = '\0';
	}
}

static void bc_ws_handshake(struct bc_net *n, struct bc_conn *c)
{
	char *end = c->in.buf ? strstr(c->in.buf, "\r\n\r\n") : NULL;
	char hello[512];

	if (!end)
		return;
	if (strncmp(c->in.buf, "HTTP/1.1 101", 12) != 0 || !strstr(c->in.buf, c->accept)) {
		bc_conn_dead(n, c, "the hub refused the WebSocket handshake");
		return;
	}
	size_t hl = (size_t)(end + 4 - c->in.buf);
	memmove(c->in.buf, c->in.buf + hl, c->in.len - hl);
	c->in.len -= hl;
	c->in.buf[c->in.len] = '\0';
	c->state = BC_C_OPEN;
	bc_fmt(hello, sizeof(hello), "{\"type\":\"hello\",\"v\":1,\"token\":\"%s\",\"client\":"
	       "\"bench-console/1\"}", n->tokens[c->idx]);
	bc_ws_send(n, c, 1, hello, strlen(hello));
	bc_ws_frames(n, c);
}

/* Bot lines: HTTP/1.1 keep-alive, one request in flight each. */
static void bc_http_open(struct bc_net *n, struct bc_conn *c, int slot)
{
	sb_free(&c->in);
	sb_free(&c->out);
	memset(c, 0, sizeof(*c));
	c->idx = slot;
	c->conv = -1;
	c->fd = bc_connect(n->port, true);
	c->state = c->fd < 0 ? BC_C_DEAD : BC_C_CONNECTING;
}

static void bc_http_post(struct bc_net *n, struct bc_conn *c, int conv, int k)
{
	char body[160], path[96];
	size_t slot = (size_t)conv * (size_t)n->per_conv + (size_t)k;

	if (conv == 0)
		bc_fmt(body, sizeof(body), "{\"from\":\"customer\",\"text\":\"%s is message %d\"}",
		       n->tok[k], k);
	else
		bc_fmt(body, sizeof(body), "{\"from\":\"customer\",\"text\":\"z%d-%d-%d: where is my "
		       "parcel?\"}", n->run, conv, k);
	bc_fmt(path, sizeof(path), "/v1/conversations/%s/messages", n->convs[conv]);
	sb_addf(&c->out, "POST %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nAuthorization: Bearer %s\r\n"
		"Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s", path, n->port,
		n->bot_token, strlen(body), body);
	c->busy = true;
	c->conv = conv;
	c->k = k;
	n->sent[slot] = time_mono_us();
	if (n->sent[slot] - n->sched[slot] > 5000) {
		if (conv == 0)
			n->clate++;
		else
			n->late++;
	}
	n->posted++;
	bc_conn_flush(n, c);
}

static void bc_http_response(struct bc_net *n, struct bc_conn *c)
{
	char *end = c->in.buf ? strstr(c->in.buf, "\r\n\r\n") : NULL;
	const char *cl;
	size_t hl, blen = 0;

	if (!end)
		return;
	hl = (size_t)(end + 4 - c->in.buf);
	cl = strcasestr(c->in.buf, "\r\nContent-Length:");
	if (cl && cl < end)
		blen = strtoul(cl + 17, NULL, 10);
	if (c->in.len < hl + blen)
		return;
	int code = atoi(c->in.buf + 9);
	if (code != 202 && code != 200 && code != 201) {
		n->post_errors++;
		if (!n->fail[0])
			bc_fmt(n->fail, sizeof(n->fail), "POST a message to %s: HTTP %d %.120s",
			       n->convs[c->conv], code, c->in.buf + hl);
	}
	memmove(c->in.buf, c->in.buf + hl + blen, c->in.len - hl - blen);
	c->in.len -= hl + blen;
	c->in.buf[c->in.len] = '\0';
	c->busy = false;
	c->conv = -1;
}

static void bc_conn_readable(struct bc_net *n, struct bc_conn *c)
{
	char buf[65536];

	for (;;) {
		ssize_t r = recv(c->fd, buf, sizeof(buf), 0);
		if (r > 0) {
			sb_add(&c->in, buf, (size_t)r);
			continue;
		}
		if (r < 0 && (errno == EAGAIN || errno == EINTR))
			break;
		bc_conn_dead(n, c, r < 0 ? strerror(errno) : "closed by the hub");
		return;
	}
	if (!c->ws)
		bc_http_response(n, c);
	else if (c->state == BC_C_HANDSHAKE)
		bc_ws_handshake(n, c);
	else if (c->state == BC_C_OPEN)
		bc_ws_frames(n, c);
}

/* The console's messages whose token is now on its screen. */
static void bc_scan_console(struct bc_net *n, struct bc_term *t, int64_t now)
{
	size_t from = n->vis_scan > 11 ? n->vis_scan - 11 : 0;

	if (!n->tok || t->vis.len <= from)
		return;
	for (int k = 0; k < n->per_conv; k++) {
		if (!n->sent[k] || n->seen[k])
			continue;
		if (memmem(t->vis.buf + from, t->vis.len - from, n->tok[k], 10)) {
			n->seen[k] = true;
			n->con_at[k] = now;
			n->con_lat[n->con_n++] = (double)(now - n->sent[k]) / 1000.0;
		}
	}
	n->vis_scan = t->vis.len;
}

/* One pass: poll every socket and the console's pty for up to timeout_ms. */
static void bc_net_poll(struct bc_net *n, struct bc_term *t, int timeout_ms)
{
	struct pollfd p[BC_POOL + BC_CPOOL + 1 + 1024];
	struct bc_conn *who[BC_POOL + BC_CPOOL + 1 + 1024];
	int np = 0;

	if (t && t->fd >= 0 && !t->eof) {
		p[np].fd = t->fd;
		p[np].events = POLLIN;
		who[np++] = NULL;
	}
	for (int i = 0; i < n->nagents + BC_POOL + BC_CPOOL && np < (int)BATON_ARRAY_LEN(p); i++) {
		struct bc_conn *c = i < n->nagents ? &n->ws[i] : &n->pool[i - n->nagents];
		if (c->state == BC_C_DEAD || c->fd < 0)
			continue;
		p[np].fd = c->fd;
		p[np].events = POLLIN | (c->state == BC_C_CONNECTING || c->out.len > c->out_off ?
					 POLLOUT : 0);
		who[np++] = c;
	}
	if (poll(p, (nfds_t)np, timeout_ms) <= 0)
		return;
	for (int i = 0; i < np; i++) {
		struct bc_conn *c = who[i];
		if (!p[i].revents)
			continue;
		if (!c) {
			bc_term_read(t);
			bc_scan_console(n, t, t->last_us);
			continue;
		}
		if (c->state == BC_C_CONNECTING && (p[i].revents & (POLLOUT | POLLERR | POLLHUP))) {
			int e = 0;
			socklen_t el = sizeof(e);
			getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &e, &el);
			if (e) {
				bc_conn_dead(n, c, strerror(e));
				continue;
			}
			c->state = c->ws ? BC_C_HANDSHAKE : BC_C_OPEN;
		}
		if (p[i].revents & POLLOUT)
			bc_conn_flush(n, c);
		if (c->state != BC_C_DEAD && (p[i].revents & (POLLIN | POLLHUP | POLLERR)))
			bc_conn_readable(n, c);
	}
}

/* Takes a free line among pool[from..to), reopening dead ones; NULL if none. */
static struct bc_conn *bc_free_line(struct bc_net *n, int from, int to)
{
	for (int s = from; s < to; s++) {
		struct bc_conn *c = &n->pool[s];
		if (c->state == BC_C_DEAD)
			bc_http_open(n, c, s);
		if (!c->busy && c->state == BC_C_OPEN)
			return c;
	}
	return NULL;
}

/* Makes the messages that are due (while generating) and hands waiting
 * ones to free bot lines. */
static void bc_net_schedule(struct bc_net *n, int64_t now)
{
	struct bc_conn *c;

	for (int i = 0; n->generate && i < n->nactive; i++) {
		while (n->next_k[i] < n->per_conv) {
			int k = n->next_k[i];
			int64_t due = n->t0 + ((int64_t)k * 1000000 + (int64_t)i * 1000000 / n->nactive) /
					      bc_opt.rate;
			if (due > now)
				break;
			n->sched[(size_t)i * (size_t)n->per_conv + (size_t)k] = due;
			n->next_k[i]++;
			if (i == 0) {
				n->cqueue[n->cqtail] = k;
				n->cqtail = (n->cqtail + 1) % n->qcap;
			} else {
				n->queue[n->qtail] = i * n->per_conv + k;
				n->qtail = (n->qtail + 1) % n->qcap;
			}
		}
	}
	while (n->cqhead != n->cqtail && (c = bc_free_line(n, BC_POOL, BC_POOL + BC_CPOOL))) {
		bc_http_post(n, c, 0, n->cqueue[n->cqhead]);
		n->cqhead = (n->cqhead + 1) % n->qcap;
	}
	while (n->qhead != n->qtail && (c = bc_free_line(n, 0, BC_POOL))) {
		int m = n->queue[n->qhead];
		n->qhead = (n->qhead + 1) % n->qcap;
		bc_http_post(n, c, m / n->per_conv, m % n->per_conv);
	}
}

/* ---- (b) and (d): the real hub, the real console, 99 bare agents ---- */

struct bc_hub {
	pid_t pid;
	int port;
	char db[PATH_MAX];
};

static int bc_hub_start(struct bc_hub *h, char *why, size_t whylen)
{
	for (int attempt = 0; attempt < 5; attempt++) {
		char listen[64];
		pid_t parent = getpid();

		h->port = bc_free_port();
		bc_fmt(listen, sizeof(listen), "127.0.0.1:%d", h->port);
		char *argv[] = { bc_batond, (char *)"--db", h->db, (char *)"--listen", listen,
				 (char *)"--log-level", (char *)"warn", NULL };
		h->pid = fork();
		if (h->pid < 0)
			break;
		if (h->pid == 0) {
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			if (getppid() != parent)
				_exit(127);
			int nfd = open("/dev/null", O_RDWR);
			int efd = open(bc_path("batond.log"), O_WRONLY | O_CREAT | O_APPEND, 0600);
			dup2(nfd, 0);
			dup2(efd >= 0 ? efd : nfd, 1);
			dup2(efd >= 0 ? efd : nfd, 2);
			execv(argv[0], argv);
			_exit(127);
		}
		bc_kid_add(h->pid);
		for (int i = 0; i < 100; i++) {
			int status;
			char *body = NULL;
			if (bc_http_once(h->port, "GET", "/healthz", NULL, NULL, &status, &body) == 0 &&
			    status == 200) {
				free(body);
				return 0;
			}
			free(body);
			if (waitpid(h->pid, NULL, WNOHANG) == h->pid)
				break;
			usleep(50000);
		}
		kill(h->pid, SIGTERM);
		bc_kid_reap(h->pid, 2000000);
	}
	bc_fmt(why, whylen, "batond did not start (see %s)", bc_path("batond.log"));
	return -1;
}

static char *bc_token_add(const char *db, const char *id, const char *role, const char *name)
{
	char *argv[] = { bc_batond, (char *)"--db", (char *)db, (char *)"token", (char *)"add",
			 (char *)"--id", (char *)id, (char *)"--role", (char *)role, (char *)"--name",
			 (char *)name, NULL };
	const char *out = bc_path("token.out");
	char *tok;

	if (bc_run(argv, out, bc_path("batond.log"), 10000000) != 0)
		return NULL;
	tok = file_read(out, 4096, NULL);
	if (tok)
		tok[strcspn(tok, "\r\n")] = '\0';
	return tok;
}

/* POSTs an escalation; returns the conversation id (caller frees). */
static char *bc_escalate(struct bc_net *n, int i, const char *prio)
{
	char json[2048], ext[32], at[TIME_RFC3339_LEN + 1];
	char *body = NULL, *id = NULL;
	int status;
	json_t *j;

	bc_time(time_now_ms() - 60000, at);
	bc_fmt(ext, sizeof(ext), "bench-%d", i);
	bc_fmt(json, sizeof(json),
	       "{\"external_id\":\"%s\",\"channel\":\"web\",\"language\":\"en\",\"priority\":\"%s\","
	       "\"escalation\":{\"reason\":{\"code\":\"order_problem\",\"text\":\"parcel late\"},"
	       "\"confidence\":0.4,\"sentiment\":-0.5,\"summary\":\"Order o-%d has not arrived nine "
	       "days after dispatch.\",\"attempted\":[{\"step\":\"tracked the parcel\",\"outcome\":"
	       "\"failed\",\"at\":\"%s\"}]},\"customer\":{\"id\":\"cu-%d\",\"name\":\"Customer %05d\","
	       "\"tier\":\"gold\",\"lifetime_value_minor\":123400,\"currency\":\"EUR\"},"
	       "\"transcript\":[{\"from\":\"customer\",\"text\":\"My parcel is late.\",\"at\":\"%s\"},"
	       "{\"from\":\"bot\",\"text\":\"Let me hand you to a colleague.\",\"at\":\"%s\"}]}",
	       ext, prio, 5000 + i, at, i, i, at, at);
	if (bc_http_once(n->port, "POST", "/v1/escalations", n->bot_token, json, &status, &body) < 0 ||
	    (status != 201 && status != 200)) {
		bc_fmt(n->fail, sizeof(n->fail), "POST /v1/escalations: HTTP %d %.200s", status,
		       body ? body : "");
		free(body);
		return NULL;
	}
	j = json_loads(body, 0, NULL);
	if (json_string_value(json_object_get(j, "conversation")))
		id = xstrdup(json_string_value(json_object_get(j, "conversation")));
	json_decref(j);
	free(body);
	return id;
}

/*
 * Bytes the console writes for something (keys, or a POST when keys is
 * NULL), counted from the trigger until 150 ms of quiet. Starts right after
 * a timer tick if the screen has any, so the next tick is a second away.
 */
static double bc_bytes_for(struct bc_net *n, struct bc_term *t, const char *keys, const char *conv,
			   const char *text, const char *expect, double *osc, const char *dump)
{
	char json[512], path[96], *body = NULL;
	int status;

	/* Let what is under way finish, wait for the next timer tick (within
	 * a second, if the screen has one), and let it be written. */
	bc_term_quiet(t, 150000, 1500000);
	bc_term_next(t, 1100000);
	bc_term_quiet(t, 30000, 500000);
	size_t from = t->raw.len, vfrom = t->vis.len, sfrom = t->str_bytes;
	if (keys) {
		bc_term_keys(t, keys);
	} else {
		bc_fmt(json, sizeof(json), "{\"from\":\"customer\",\"text\":\"%s\"}", text);
		bc_fmt(path, sizeof(path), "/v1/conversations/%s/messages", conv);
		if (bc_http_once(n->port, "POST", path, n->bot_token, json, &status, &body) < 0 ||
		    status != 202) {
			free(body);
			return -1;
		}
		free(body);
	}
	if (expect && !bc_term_wait1(t, vfrom, expect, 3000000))
		return -1;
	bc_term_quiet(t, 150000, 900000);
	if (osc)
		*osc = (double)(t->str_bytes - sfrom);
	bc_dump(dump, t->raw.buf + from, t->raw.len - from);
	return (double)(t->raw.len - from);
}

static double bc_median3(double a, double b, double c)
{
	double v[3] = { a, b, c };

	return bc_pct(v, 3, 0.5);
}

static void bc_measure_bytes(struct bc_net *n, struct bc_term *t)
{
	const char *conv = n->convs[0];
	double m[3], o[3];

	/* Idle cost: what the screen writes by itself in 3 s. */
	bc_term_quiet(t, 300000, 2000000);
	size_t idle0 = t->raw.len;
	bc_term_pump(t, 3000000);
	bc_res.idle_bps = (double)(t->raw.len - idle0) / 3.0;
	bc_dump("bytes-idle-3s.raw", t->raw.buf + idle0, t->raw.len - idle0);

	bc_res.msg_len = strlen(BC_MSG_TEXT);
	for (int i = 0; i < 3; i++) {
		char dump[32];
		bc_fmt(dump, sizeof(dump), "bytes-message-%d.raw", i + 1);
		m[i] = bc_bytes_for(n, t, NULL, conv, BC_MSG_TEXT, "nine days now.", &o[i], dump);
		if (m[i] < 0) {
			bc_fmt(bc_res.bytes_why, sizeof(bc_res.bytes_why), "the message did not reach "
			       "the console's screen in 3 s");
			return;
		}
	}
	bc_res.msg_bytes = bc_median3(m[0], m[1], m[2]);
	bc_res.msg_osc_bytes = bc_median3(o[0], o[1], o[2]);
	bc_res.status_bytes = bc_bytes_for(n, t, "a", NULL, NULL, "away", NULL, "bytes-away.raw");
	bc_res.online_bytes = bc_bytes_for(n, t, "o", NULL, NULL, "online", NULL, "bytes-online.raw");
	bc_res.repaint_bytes = bc_bytes_for(n, t, "\014", NULL, NULL, NULL, NULL, "bytes-repaint.raw");
	printf("  (b) baton: %.0f bytes for a %zu-byte chat message (%.0f of them a desktop "
	       "notification, OSC), %.0f for online -> away, %.0f for away -> online, %.0f for a full "
	       "repaint (ctrl-l); idle screen %.0f bytes/s\n", bc_res.msg_bytes, bc_res.msg_len,
	       bc_res.msg_osc_bytes, bc_res.status_bytes, bc_res.online_bytes, bc_res.repaint_bytes,
	       bc_res.idle_bps);
}

static void bc_wee_bytes(void)
{
	struct bc_term t;
	char fifo[PATH_MAX], why[256], cmd[256];
	double v[3];

	if (!bc_wee_curses[0]) {
		bc_fmt(bc_res.wee_bytes_why, sizeof(bc_res.wee_bytes_why), "weechat-curses is not "
		       "installed (apt-get install weechat-curses)");
		return;
	}
	if (bc_wee_start(&t, bc_path("wee-bytes"), fifo, sizeof(fifo), why, sizeof(why)) < 0) {
		bc_fmt(bc_res.wee_bytes_why, sizeof(bc_res.wee_bytes_why), "%s", why);
		return;
	}
	/* A full chat area first, so the new line has to scroll it. */
	struct strbuf sb = STRBUF_INIT;
	for (int i = 0; i < 60; i++)
		sb_addf(&sb, "*/print Customer 00042: earlier line %d of the conversation\n", i);
	bc_wee_cmd(&t, fifo, sb.buf);
	sb_free(&sb);
	bc_term_wait1(&t, 0, "earlier line 59", 5000000);
	for (int i = 0; i < 3; i++) {
		bc_term_quiet(&t, 300000, 2000000);
		size_t from = t.raw.len, vfrom = t.vis.len;
		bc_fmt(cmd, sizeof(cmd), "*/print %s\n", BC_MSG_TEXT);
		bc_wee_cmd(&t, fifo, cmd);
		if (!bc_term_wait1(&t, vfrom, "nine days now.", 3000000)) {
			bc_fmt(bc_res.wee_bytes_why, sizeof(bc_res.wee_bytes_why), "weechat did not print "
			       "the line in 3 s");
			bc_term_stop(&t);
			return;
		}
		bc_term_quiet(&t, 150000, 900000);
		v[i] = (double)(t.raw.len - from);
		bc_dump("bytes-weechat-line.raw", t.raw.buf + from, t.raw.len - from);
	}
	bc_res.wee_line_bytes = bc_median3(v[0], v[1], v[2]);
	bc_term_quiet(&t, 300000, 2000000);
	size_t from = t.raw.len;
	bc_term_keys(&t, "\014");	/* ctrl-l: /window refresh */
	bc_term_quiet(&t, 150000, 900000);
	bc_res.wee_repaint_bytes = (double)(t.raw.len - from);
	printf("  (b) weechat-curses: %.0f bytes for the same %zu-byte line, %.0f for a full repaint "
	       "(ctrl-l)\n", bc_res.wee_line_bytes, strlen(BC_MSG_TEXT), bc_res.wee_repaint_bytes);
	bc_term_stop(&t);
}

static void bc_net_free(struct bc_net *n)
{
	for (int i = 0; i < n->nagents; i++) {
		if (n->ws && n->ws[i].fd > 0)
			close(n->ws[i].fd);
		if (n->ws) {
			sb_free(&n->ws[i].in);
			sb_free(&n->ws[i].out);
			sb_free(&n->ws[i].frag);
		}
		if (n->tokens)
			free(n->tokens[i]);
		if (n->convs)
			free(n->convs[i]);
	}
	for (int s = 0; s < BC_POOL + BC_CPOOL; s++) {
		if (n->pool[s].fd > 0)
			close(n->pool[s].fd);
		sb_free(&n->pool[s].in);
		sb_free(&n->pool[s].out);
	}
	free(n->ws);
	free(n->tokens);
	free(n->convs);
	free(n->bot_token);
	free(n->next_k);
	free(n->sent);
	free(n->sched);
	free(n->queue);
	free(n->cqueue);
	free(n->hub_lat);
	free(n->tok);
	free(n->con_lat);
	free(n->seen);
	free(n->con_at);
	free(n->shadow_at);
}

/* Random lowercase tokens without a letter twice in a row (ncurses could
 * draw a run with a repeat sequence, and the token would not be found). */
static void bc_make_tokens(struct bc_net *n)
{
	n->tok = xcalloc((size_t)n->per_conv, sizeof(*n->tok));
	for (int k = 0; k < n->per_conv; k++) {
		char *s = n->tok[k];
		do {
			rand_string(s, 10, "abcdefghijklmnopqrstuvwxyz");
			for (int i = 1; i < 10; i++)
				while (s[i] == s[i - 1])
					s[i] = (char)('a' + rand_below(26));
		} while (0);
	}
}

/* What one measured run of (d) found. */
struct bc_lat {
	double p50, p99, max, hub_p50, hub_p99;
	double own_p50, own_p99;	/* console minus ana's shadow session, per message */
	double sh_p50, sh_p99;		/* POST -> the shadow session */
	long own_n;
	long seen, sent, hub_seen, hub_sent, posted, errors, late, clate;
	double cpu_ms_per_msg, bytes_per_msg, rss_mb;
};

/*
 * One run: the first nactive agents' conversations get --rate messages a
 * second each for seconds; the console (agent 0) finds its tokens on its
 * screen, the bare agents their texts in their frames. Then up to 3 s to
 * drain.
 */
static void bc_load_run(struct bc_net *n, struct bc_term *t, int nactive, int seconds,
			struct bc_lat *out)
{
	size_t total;
	double cpu0, cpu1;
	size_t raw0;

	free(n->next_k);
	free(n->sent);
	free(n->sched);
	free(n->queue);
	free(n->cqueue);
	free(n->hub_lat);
	free(n->tok);
	free(n->con_lat);
	free(n->seen);
	free(n->con_at);
	free(n->shadow_at);
	n->run++;
	n->nactive = nactive;
	n->per_conv = bc_opt.rate * seconds;
	total = (size_t)nactive * (size_t)n->per_conv;
	n->next_k = xcalloc((size_t)nactive, sizeof(int));
	n->sent = xcalloc(total, sizeof(int64_t));
	n->sched = xcalloc(total, sizeof(int64_t));
	n->qcap = (int)total + 1;
	n->queue = xcalloc((size_t)n->qcap, sizeof(int));
	n->cqueue = xcalloc((size_t)n->qcap, sizeof(int));
	n->qhead = n->qtail = n->cqhead = n->cqtail = 0;
	n->hub_lat = xcalloc(total, sizeof(double));
	n->hub_n = 0;
	n->con_lat = xcalloc((size_t)n->per_conv, sizeof(double));
	n->con_n = 0;
	n->seen = xcalloc((size_t)n->per_conv, sizeof(bool));
	n->con_at = xcalloc((size_t)n->per_conv, sizeof(int64_t));
	n->shadow_at = xcalloc((size_t)n->per_conv, sizeof(int64_t));
	n->posted = n->post_errors = n->late = n->clate = 0;
	bc_make_tokens(n);

	bc_term_quiet(t, 200000, 2000000);
	n->vis_scan = t->vis.len;
	raw0 = t->raw.len;
	cpu0 = bc_proc_cpu_ms(t->pid);
	n->generate = true;
	n->t0 = time_mono_us() + 10000;
	int64_t end = n->t0 + (int64_t)seconds * 1000000;
	while (!bc_stop && time_mono_us() < end + 3000000) {
		int64_t now = time_mono_us();
		n->generate = now < end + 200000;
		bc_net_schedule(n, now);
		bc_net_poll(n, t, 1);
		if (t->eof) {
			bc_fmt(bc_res.lat_why, sizeof(bc_res.lat_why), "the console left during the load");
			break;
		}
		if (!n->generate && n->con_n == (size_t)n->per_conv &&
		    n->hub_n == total - (size_t)n->per_conv)
			break;
	}
	cpu1 = bc_proc_cpu_ms(t->pid);
	memset(out, 0, sizeof(*out));
	out->p50 = out->p99 = out->max = out->hub_p50 = out->hub_p99 = -1;
	out->rss_mb = bc_proc_kb(t->pid, "VmRSS:") / 1024.0;
	out->sent = n->per_conv;
	out->seen = (long)n->con_n;
	out->hub_sent = (long)(total - (size_t)n->per_conv);
	out->hub_seen = (long)n->hub_n;
	out->posted = n->posted;
	out->errors = n->post_errors;
	out->late = n->late;
	out->clate = n->clate;
	if (n->con_n) {
		out->p50 = bc_pct(n->con_lat, n->con_n, 0.5);
		out->p99 = bc_pct(n->con_lat, n->con_n, 0.99);
		out->max = n->con_lat[n->con_n - 1];
		out->cpu_ms_per_msg = (cpu1 - cpu0) / (double)n->con_n;
		out->bytes_per_msg = (double)(t->raw.len - raw0) / (double)n->con_n;
	}
	if (n->hub_n) {
		out->hub_p50 = bc_pct(n->hub_lat, n->hub_n, 0.5);
		out->hub_p99 = bc_pct(n->hub_lat, n->hub_n, 0.99);
	}
	out->own_p50 = out->own_p99 = out->sh_p50 = out->sh_p99 = -1;
	{
		double *own = xcalloc((size_t)n->per_conv, sizeof(double));
		double *sh = xcalloc((size_t)n->per_conv, sizeof(double));
		size_t no = 0, ns = 0;
		for (int k = 0; k < n->per_conv; k++) {
			if (n->con_at[k] && n->shadow_at[k])
				own[no++] = (double)(n->con_at[k] - n->shadow_at[k]) / 1000.0;
			if (n->shadow_at[k] && n->sent[k])
				sh[ns++] = (double)(n->shadow_at[k] - n->sent[k]) / 1000.0;
		}
		out->own_n = (long)no;
		if (no) {
			out->own_p50 = bc_pct(own, no, 0.5);
			out->own_p99 = bc_pct(own, no, 0.99);
		}
		if (ns) {
			out->sh_p50 = bc_pct(sh, ns, 0.5);
			out->sh_p99 = bc_pct(sh, ns, 0.99);
		}
		free(own);
		free(sh);
	}
}

static void bc_lat_print(const char *what, const struct bc_lat *l)
{
	printf("  (d) %s: POST -> console's terminal p50 %.2f ms, p99 %.2f ms, max %.2f ms (%ld of %ld "
	       "seen); POST -> bare WebSocket agent p50 %.2f ms, p99 %.2f ms (%ld of %ld); %ld POSTs, "
	       "%ld errors; sent > 5 ms after due (no free bot line): %ld (console %ld)\n", what, l->p50,
	       l->p99, l->max, l->seen, l->sent, l->hub_p50, l->hub_p99, l->hub_seen, l->hub_sent,
	       l->posted, l->errors, l->late, l->clate);
	printf("      console: %.2f ms CPU and %.0f terminal bytes per message, RSS %.1f MB\n",
	       l->cpu_ms_per_msg, l->bytes_per_msg, l->rss_mb);
	if (l->own_n)
		printf("      the console's own share (its pty read minus the same message's arrival at a "
		       "second session of the same agent): p50 %.2f ms, p99 %.2f ms over %ld messages; "
		       "POST -> that second session: p50 %.2f ms, p99 %.2f ms\n", l->own_p50, l->own_p99,
		       l->own_n, l->sh_p50, l->sh_p99);
}

static void bc_load_phase(struct bc_net *n, struct bc_term *t)
{
	struct bc_lat quiet, load;

	for (int s = 0; s < BC_POOL + BC_CPOOL; s++)
		bc_http_open(n, &n->pool[s], s);
	/* A second session of the console's agent (a bare client): the hub
	 * sends it each of the console's messages at the same moment, so the
	 * difference per message is the console's own time. */
	bc_ws_open(n, 0);
	int64_t deadline = time_mono_us() + 5000000;
	while (!n->shadow_ready && !bc_stop && time_mono_us() < deadline)
		bc_net_poll(n, t, 5);
	if (!n->shadow_ready)
		printf("  (d) no second session for the console's agent: %s\n",
		       n->fail[0] ? n->fail : "no welcome in 5 s");
	for (int i = 0; i < 100; i++)
		bc_net_poll(n, t, 5);

	/* Quiet: only the console and one bare agent get messages, so the
	 * hub has no queue; what the console adds shows against the agent. */
	bc_load_run(n, t, 2, 3, &quiet);
	bc_lat_print("quiet, 2 conversations", &quiet);
	bc_res.q_p50 = quiet.p50;
	bc_res.q_hub_p50 = quiet.hub_p50;
	bc_res.q_own_p50 = quiet.own_p50;
	if (bc_stop)
		return;

	bc_load_run(n, t, n->nagents, bc_opt.seconds, &load);
	bc_lat_print("load, every agent", &load);
	bc_res.lat_p50 = load.p50;
	bc_res.lat_p99 = load.p99;
	bc_res.lat_max = load.max;
	bc_res.hub_p50 = load.hub_p50;
	bc_res.hub_p99 = load.hub_p99;
	bc_res.own_p50 = load.own_p50;
	bc_res.own_p99 = load.own_p99;
	bc_res.own_n = load.own_n;
	bc_res.lat_sent = load.sent;
	bc_res.lat_n = load.seen;
	bc_res.lat_missing = load.sent - load.seen;
	bc_res.hub_sent = load.hub_sent;
	bc_res.hub_n = load.hub_seen;
	bc_res.post_errors = load.errors;
	bc_res.late_posts = load.late + load.clate;
	bc_res.con_cpu_ms_per_msg = load.cpu_ms_per_msg;
	bc_res.con_bytes_per_msg = load.bytes_per_msg;
	bc_res.con_rss_load_mb = load.rss_mb;
}

/*
 * Diagnostic for (d): the same console with its store on tmpfs, where a
 * flush costs nothing, so the difference is what waiting for the disk adds
 * to each message. Replaces *t (the console) with the new one.
 */
static void bc_tmpfs_diagnostic(struct bc_net *n, struct bc_term *t, const char *url)
{
	static char bufs[3][PATH_MAX + 32];
	char db[PATH_MAX + 16], why[256], cmd[96];
	char *env[4];
	struct bc_lat q, l;

	bc_fmt(bc_shm, sizeof(bc_shm), "/dev/shm/baton-bench-console.XXXXXX");
	if (access("/dev/shm", W_OK) != 0 || !mkdtemp(bc_shm)) {
		bc_shm[0] = '\0';
		printf("  (d) diagnostic skipped: no writable tmpfs at /dev/shm\n");
		return;
	}
	bc_fmt(db, sizeof(db), "%s/live.db", bc_shm);
	bc_term_stop(t);
	bc_console_env("tmpfs", env, bufs);
	char *argv[] = { bc_baton, (char *)"--url", (char *)url, (char *)"--token-file",
			 (char *)bc_path("ana.token"), (char *)"--db", db, NULL };
	if (bc_term_start(t, argv, env, bc_path("baton-tmpfs.err"), why, sizeof(why)) < 0 ||
	    !bc_term_wait1(t, 0, "connected", 15000000)) {
		printf("  (d) diagnostic skipped: the console on a tmpfs store did not connect\n");
		return;
	}
	bc_term_quiet(t, 300000, 2000000);
	bc_fmt(cmd, sizeof(cmd), ":open %s\r", n->convs[0]);
	bc_term_keys(t, cmd);
	bc_term_quiet(t, 300000, 2000000);
	bc_load_run(n, t, 2, 3, &q);
	bc_lat_print("diagnostic, console store on tmpfs, quiet", &q);
	bc_load_run(n, t, n->nagents, bc_opt.seconds < 5 ? bc_opt.seconds : 5, &l);
	bc_lat_print("diagnostic, console store on tmpfs, load", &l);
	bc_res.tmpfs_q_p50 = q.p50;
	bc_res.tmpfs_p50 = l.p50;
	bc_res.tmpfs_p99 = l.p99;
	bc_res.tmpfs_own_p50 = l.own_p50;
	bc_res.tmpfs_own_n = l.own_n;
	bc_term_stop(t);
	nftw(bc_shm, bc_rm_one, 16, FTW_DEPTH | FTW_PHYS);
	bc_shm[0] = '\0';
}

static bool bc_want(char which)
{
	return !bc_opt.only || strchr(bc_opt.only, which);
}

static void bc_hub_part(void)
{
	struct bc_hub h;
	struct bc_net n;
	struct bc_term t = { .fd = -1 };
	char why[300] = "", id[32], name[48];
	char *ana = NULL;
	static char bufs[3][PATH_MAX + 32];
	char *env[4];
	char url[96];
	int64_t deadline;

	memset(&h, 0, sizeof(h));
	memset(&n, 0, sizeof(n));
	bc_fmt(h.db, sizeof(h.db), "%s", bc_path("batond.db"));
	if (!bc_is_exec(bc_batond)) {
		bc_fmt(why, sizeof(why), "%s is not built (make BUILD=... )", bc_batond);
		goto out;
	}
	n.nagents = bc_opt.agents;
	n.tokens = xcalloc((size_t)n.nagents, sizeof(char *));
	n.convs = xcalloc((size_t)n.nagents, sizeof(char *));
	n.ws = xcalloc((size_t)n.nagents, sizeof(struct bc_conn));
	for (int i = 0; i < n.nagents; i++)
		n.ws[i].fd = -1;
	for (int s = 0; s < BC_POOL + BC_CPOOL; s++)
		n.pool[s].fd = -1;
	int64_t t_tok = time_mono_us();
	n.bot_token = bc_token_add(h.db, "bench-bot", "bot", "Bench bot");
	for (int i = 0; i < n.nagents && n.bot_token && !bc_stop; i++) {
		bc_fmt(id, sizeof(id), i ? "a%03d" : "ana", i);
		bc_fmt(name, sizeof(name), i ? "Agent %03d" : "Ana Kaya", i);
		n.tokens[i] = bc_token_add(h.db, id, "agent", name);
		if (!n.tokens[i])
			break;
	}
	if (!n.bot_token || !n.tokens[n.nagents - 1]) {
		bc_fmt(why, sizeof(why), "batond token add failed (see %s)", bc_path("batond.log"));
		goto out;
	}
	printf("  setup: %d agent tokens and a bot token in %.1f s (batond token add)\n", n.nagents,
	       (double)(time_mono_us() - t_tok) / 1e6);
	if (bc_hub_start(&h, why, sizeof(why)) < 0)
		goto out;
	n.port = h.port;
	for (int i = 0; i < n.nagents && !bc_stop; i++) {
		n.convs[i] = bc_escalate(&n, i, i ? "normal" : "urgent");
		if (!n.convs[i]) {
			bc_fmt(why, sizeof(why), "%s", n.fail);
			goto out;
		}
	}

	/* The console, as ana. */
	bc_write_file(bc_path("ana.token"), n.tokens[0], 0600);
	bc_fmt(url, sizeof(url), "ws://127.0.0.1:%d/v1/stream", h.port);
	bc_console_env("live", env, bufs);
	ana = xasprintf("%s/live.db", bc_tmp);
	{
		char *argv[] = { bc_baton, (char *)"--url", url, (char *)"--token-file",
				 (char *)bc_path("ana.token"), (char *)"--db", ana, NULL };
		if (bc_term_start(&t, argv, env, bc_path("baton-live.err"), why, sizeof(why)) < 0)
			goto out;
	}
	const char *ready[] = { "connected", "Customer 00000", NULL };
	if (!bc_term_wait(&t, 0, ready, 15000000)) {
		bc_fmt(why, sizeof(why), "the console did not connect and show the queue in 15 s");
		bc_term_show_tail(&t, "baton");
		goto out;
	}
	bc_term_quiet(&t, 300000, 2000000);
	{
		char cmd[96], claimed[64];
		bc_fmt(cmd, sizeof(cmd), ":claim %s\r", n.convs[0]);
		bc_fmt(claimed, sizeof(claimed), "Claimed %s", n.convs[0]);
		size_t vfrom = t.vis.len;
		bc_term_keys(&t, cmd);
		if (!bc_term_wait1(&t, vfrom, claimed, 5000000)) {
			bc_fmt(why, sizeof(why), "the console could not claim %s", n.convs[0]);
			bc_term_show_tail(&t, "baton");
			goto out;
		}
	}

	/* The other agents: connect, hello, claim. */
	for (int i = 1; i < n.nagents; i++)
		bc_ws_open(&n, i);
	deadline = time_mono_us() + 15000000;
	while (n.claimed < n.nagents - 1 && !n.fail[0] && !bc_stop && time_mono_us() < deadline)
		bc_net_poll(&n, &t, 10);
	if (n.claimed < n.nagents - 1) {
		bc_fmt(why, sizeof(why), "%d of %d bare agents claimed their conversation%s%s",
		       n.claimed, n.nagents - 1, n.fail[0] ? ": " : " in 15 s", n.fail);
		goto out;
	}
	printf("  setup: batond on 127.0.0.1:%d, the console and %d bare agents connected, each with "
	       "its own conversation claimed\n", h.port, n.nagents - 1);

	if (bc_want('b')) {
		/* Keep the bare agents read while we measure the console alone. */
		bc_measure_bytes(&n, &t);
		bc_term_keys(&t, "\033");
		bc_term_quiet(&t, 300000, 1000000);
		for (int i = 0; i < 50; i++)
			bc_net_poll(&n, NULL, 2);
	}
	if (bc_want('d') && !bc_stop) {
		n.fail[0] = '\0';
		bc_load_phase(&n, &t);
		if (n.fail[0] && !bc_res.lat_why[0])
			bc_fmt(bc_res.lat_why, sizeof(bc_res.lat_why), "%s", n.fail);
	}
	if (bc_want('d') && !bc_stop && bc_res.lat_p50 >= 0)
		bc_tmpfs_diagnostic(&n, &t, url);
out:
	if (why[0]) {
		printf("  hub part skipped or failed: %s\n", why);
		if (bc_want('b'))
			bc_fmt(bc_res.bytes_why, sizeof(bc_res.bytes_why), "%s", why);
		if (bc_want('d'))
			bc_fmt(bc_res.lat_why, sizeof(bc_res.lat_why), "%s", why);
	}
	if (t.pid > 0)
		bc_term_stop(&t);
	if (h.pid > 0) {
		kill(h.pid, SIGTERM);
		bc_kid_reap(h.pid, 5000000);
	}
	bc_net_free(&n);
	free(ana);
}

/* ---- the table ---- */

static void bc_row(const char *figure, const char *baton, const char *peer, const char *goal,
		   const char *verdict)
{
	printf("  %-44s %-20s %-26s %-22s %s\n", figure, baton, peer, goal, verdict);
}

static const char *bc_verdict(bool judged, bool met)
{
	return !judged ? "-" : met ? "met" : "NOT MET";
}

static void bc_cell(char *out, size_t len, double v, const char *unit, const char *why)
{
	if (v >= 0)
		bc_fmt(out, len, "%.*f %s", v >= 100 || v == (long)v ? 0 : v >= 10 ? 1 : 2, v, unit);
	else
		bc_fmt(out, len, "%s", why && why[0] ? "skipped" : "-");
}

static void bc_print_table(void)
{
	const struct bc_results *r = &bc_res;
	char b[64], p[64], g[64];

	printf("\nconsole benchmark: figures (baton beside its peer; goals of issue 4)\n");
	bc_row("figure", "baton", "peer", "goal", "verdict");

	bc_cell(b, sizeof(b), r->rss_start_mb, "MB", r->rss_why);
	bc_cell(p, sizeof(p), r->wee_rss_lines_mb, "MB", r->wee_rss_why);
	if (r->wee_rss_lines_mb >= 0)
		bc_fmt(p + strlen(p), sizeof(p) - strlen(p), " (weechat)");
	char lbl[64];
	if (bc_opt.convs % 1000 == 0 && bc_opt.msgs % 1000 == 0)
		bc_fmt(lbl, sizeof(lbl), "(a) RSS, %dk queued + %dk msgs, first paint",
		       bc_opt.convs / 1000, bc_opt.msgs / 1000);
	else
		bc_fmt(lbl, sizeof(lbl), "(a) RSS, %d queued + %d msgs, first paint", bc_opt.convs,
		       bc_opt.msgs);
	bc_row(lbl, b, p, "<= 16 MB",
	       bc_verdict(r->rss_start_mb >= 0, r->rss_start_mb <= BC_GOAL_RSS_MB));
	bc_cell(b, sizeof(b), r->rss_paged_mb, "MB", r->rss_why);
	bc_cell(b, sizeof(b), r->rss_anon_mb, "MB", r->rss_why);
	bc_row("(a)   of which anonymous (heap, stacks)", b, "", "", "-");
	bc_cell(b, sizeof(b), r->rss_db_mb, "MB", r->rss_why);
	bc_row("(a)   of which the store file, mapped", b, "", "", "-");
	bc_cell(b, sizeof(b), r->rss_empty_mb, "MB", r->rss_why);
	bc_cell(p, sizeof(p), r->wee_rss_idle_mb, "MB", r->wee_rss_why);
	if (r->wee_rss_idle_mb >= 0)
		bc_fmt(p + strlen(p), sizeof(p) - strlen(p), " (weechat idle)");
	bc_row("(a) RSS, empty store (the floor)", b, p, "", "-");
	bc_cell(b, sizeof(b), r->rss_paged_mb, "MB", r->rss_why);
	bc_row("(a) RSS after paging back through history", b, "", "<= 16 MB",
	       bc_verdict(r->rss_paged_mb >= 0, r->rss_paged_mb <= BC_GOAL_RSS_MB));

	bc_cell(b, sizeof(b), r->idle_cpu_ms_s, "ms/s", r->rss_why);
	bc_row("(a) idle CPU with that store", b, "", "(none set)", "-");

	bc_cell(b, sizeof(b), r->msg_bytes, "B", r->bytes_why);
	bc_cell(p, sizeof(p), r->wee_line_bytes, "B", r->wee_bytes_why);
	if (r->wee_line_bytes >= 0)
		bc_fmt(p + strlen(p), sizeof(p) - strlen(p), " (weechat)");
	bc_fmt(g, sizeof(g), "<= %zu B (len+64)", r->msg_len + 64);
	bc_row("(b) bytes, one incoming chat message", b, p, g,
	       bc_verdict(r->msg_bytes >= 0, r->msg_bytes <= (double)r->msg_len + BC_GOAL_MSG_EXTRA));
	bc_cell(b, sizeof(b), r->msg_bytes >= 0 ? r->msg_bytes - r->msg_osc_bytes : -1, "B",
		r->bytes_why);
	bc_row("(b)   the same without the OSC notification", b, "", g,
	       bc_verdict(r->msg_bytes >= 0,
			  r->msg_bytes - r->msg_osc_bytes <= (double)r->msg_len + BC_GOAL_MSG_EXTRA));
	bc_cell(b, sizeof(b), r->status_bytes, "B", r->bytes_why);
	bc_row("(b) bytes, status change online -> away", b, "", "<= 16 B",
	       bc_verdict(r->status_bytes >= 0, r->status_bytes <= BC_GOAL_STATUS));
	bc_cell(b, sizeof(b), r->repaint_bytes, "B", r->bytes_why);
	bc_cell(p, sizeof(p), r->wee_repaint_bytes, "B", r->wee_bytes_why);
	if (r->wee_repaint_bytes >= 0)
		bc_fmt(p + strlen(p), sizeof(p) - strlen(p), " (weechat)");
	bc_row("(b) bytes, full repaint (ctrl-l)", b, p, "(reference)", "-");

	bc_cell(b, sizeof(b), r->paint_ms, "ms", r->paint_why);
	bc_cell(p, sizeof(p), r->wee_quit_ms, "ms", r->wee_paint_why);
	if (r->wee_quit_ms >= 0)
		bc_fmt(p + strlen(p), sizeof(p) - strlen(p), " (headless /quit)");
	if (bc_opt.convs % 1000 == 0)
		bc_fmt(lbl, sizeof(lbl), "(c) start to first paint, %dk convs, warm", bc_opt.convs / 1000);
	else
		bc_fmt(lbl, sizeof(lbl), "(c) start to first paint, %d convs, warm", bc_opt.convs);
	bc_row(lbl, b, p, "<= 20 ms",
	       bc_verdict(r->paint_ms >= 0, r->paint_ms <= BC_GOAL_PAINT_MS));
	if (r->paint_ms >= 0 && r->wee_quit_ms > 0)
		bc_fmt(b, sizeof(b), "%.2fx", r->paint_ms / r->wee_quit_ms);
	else
		bc_fmt(b, sizeof(b), "-");
	bc_row("(c) ratio to weechat-headless start+quit", b, "", "<= 0.5x",
	       bc_verdict(r->paint_ms >= 0 && r->wee_quit_ms > 0,
			  r->paint_ms / r->wee_quit_ms <= BC_GOAL_PAINT_RATIO));

	bc_cell(b, sizeof(b), r->paint_floor_ms, "ms", r->paint_why);
	bc_row("(c)   floor: /bin/echo under the same pty", b, "", "", "-");
	bc_cell(b, sizeof(b), r->paint_cpu_ms, "ms", r->paint_why);
	bc_cell(p, sizeof(p), r->wee_quit_cpu_ms, "ms", r->wee_paint_why);
	if (r->wee_quit_cpu_ms >= 0)
		bc_fmt(p + strlen(p), sizeof(p) - strlen(p), " (headless /quit)");
	bc_row("(c) CPU time to first paint (load-proof)", b, p, "(<= 0.5x)",
	       bc_verdict(r->paint_cpu_ms >= 0 && r->wee_quit_cpu_ms > 0,
			  r->paint_cpu_ms / r->wee_quit_cpu_ms <= BC_GOAL_PAINT_RATIO));
	bc_cell(b, sizeof(b), r->lat_p50, "ms", r->lat_why);
	bc_cell(p, sizeof(p), r->hub_p50, "ms", r->lat_why);
	if (r->hub_p50 >= 0)
		bc_fmt(p + strlen(p), sizeof(p) - strlen(p), " (bare WS agent)");
	bc_row("(d) POST -> terminal, p50", b, p, "<= 1 ms",
	       bc_verdict(r->lat_p50 >= 0, r->lat_p50 <= BC_GOAL_P50_MS));
	bc_cell(b, sizeof(b), r->lat_p99, "ms", r->lat_why);
	bc_cell(p, sizeof(p), r->hub_p99, "ms", r->lat_why);
	if (r->hub_p99 >= 0)
		bc_fmt(p + strlen(p), sizeof(p) - strlen(p), " (bare WS agent)");
	bc_row("(d) POST -> terminal, p99", b, p, "<= 5 ms",
	       bc_verdict(r->lat_p99 >= 0, r->lat_p99 <= BC_GOAL_P99_MS));
	bc_cell(b, sizeof(b), r->q_p50, "ms", r->lat_why);
	bc_cell(p, sizeof(p), r->q_hub_p50, "ms", r->lat_why);
	if (r->q_hub_p50 >= 0)
		bc_fmt(p + strlen(p), sizeof(p) - strlen(p), " (bare WS agent)");
	bc_row("(d) the same, hub otherwise idle, p50", b, p, "", "-");
	if (r->own_n > 0) {
		char v[64];
		bc_fmt(v, sizeof(v), "%.2f / %.2f ms", r->own_p50, r->own_p99);
		bc_row("(d) console's own share, p50/p99 (paired)", v, "", "", "-");
	}
	if (r->tmpfs_p50 >= 0) {
		char v[64];
		bc_fmt(v, sizeof(v), "%.2f / %.2f ms", r->tmpfs_p50, r->tmpfs_p99);
		bc_row("(d) diag.: console store on tmpfs, p50/p99", v, "", "", "-");
		bc_cell(b, sizeof(b), r->tmpfs_q_p50, "ms", NULL);
		bc_row("(d) diag.: tmpfs, hub otherwise idle, p50", b, "", "", "-");
		if (r->tmpfs_own_n > 0)
			bc_fmt(b, sizeof(b), "%.2f ms", r->tmpfs_own_p50);
		else
			bc_fmt(b, sizeof(b), "-");
		bc_row("(d) diag.: tmpfs, console's own share, p50", b, "", "", "-");
	}
	if (r->lat_missing > 0)
		printf("  note: %ld of the console's %ld messages were not found on its screen\n",
		       r->lat_missing, r->lat_sent);

	const char *whys[][2] = {
		{ "(a) baton", r->rss_why }, { "(a) weechat", r->wee_rss_why },
		{ "(b) baton", r->bytes_why }, { "(b) weechat", r->wee_bytes_why },
		{ "(c) baton", r->paint_why }, { "(c) weechat", r->wee_paint_why },
		{ "(d)", r->lat_why },
	};
	for (size_t i = 0; i < BATON_ARRAY_LEN(whys); i++)
		if (whys[i][1][0])
			printf("  %s: %s\n", whys[i][0], whys[i][1]);
}

/* ---- main ---- */

static void bc_usage(FILE *f)
{
	fprintf(f,
		"usage: console [--only abcd] [--convs N] [--msgs N] [--agents N] [--rate N]\n"
		"               [--seconds N] [--runs N] [--pages N] [--build DIR] [--keep]\n"
		"\n"
		"The console's benchmark (issue 4); see bench/console.md. Runs the real baton\n"
		"under a pty of %dx%d and prints, beside WeeChat where it compares:\n"
		"  (a) RSS with --convs queued conversations and --msgs stored messages\n"
		"  (b) bytes written for one chat message, a status change, a full repaint\n"
		"  (c) start to first paint from that store (median of --runs warm runs)\n"
		"  (d) bot POST -> text on the console's terminal with --agents agents\n"
		"      connected (the console and bare WebSocket clients), --rate messages/s\n"
		"      to each, for --seconds\n"
		"\n"
		"  --only LETTERS  run only these parts (default abcd)\n"
		"  --convs N       queued conversations in the store (default %d)\n"
		"  --msgs N        messages in the store (default %d)\n"
		"  --agents N      agents for (b) and (d), the console included (default %d)\n"
		"  --rate N        messages per second to each agent's conversation (default %d)\n"
		"  --seconds N     length of the load in (d) (default %d)\n"
		"  --runs N        warm runs for (c) (default %d)\n"
		"  --pages N       page-ups through history in (a) (default %d)\n"
		"  --build DIR     where baton and batond are (default $BUILD, else the\n"
		"                  directory above this program's)\n"
		"  --keep          keep the temporary directory (stores, logs)\n"
		"BENCH_QUICK=1 shortens (d) to 5 s and (c) to 5 runs.\n"
		"Only 127.0.0.1 is used; every child stops when this program does.\n",
		BC_COLS, BC_ROWS, BC_DEF_CONVS, BC_DEF_MSGS, BC_DEF_AGENTS, BC_DEF_RATE,
		BC_DEF_SECONDS, BC_DEF_RUNS, BC_DEF_PAGES);
}

static int bc_int(const char *opt, const char *s, int min, int max, int *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max) {
		fprintf(stderr, "console: %s takes a whole number from %d to %d, not \"%s\"\n", opt, min,
			max, s);
		return -1;
	}
	*out = (int)v;
	return 0;
}

static int bc_args(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "only", required_argument, NULL, 'o' }, { "convs", required_argument, NULL, 'c' },
		{ "msgs", required_argument, NULL, 'm' }, { "agents", required_argument, NULL, 'a' },
		{ "rate", required_argument, NULL, 'r' }, { "seconds", required_argument, NULL, 's' },
		{ "runs", required_argument, NULL, 'n' }, { "pages", required_argument, NULL, 'p' },
		{ "build", required_argument, NULL, 'b' }, { "keep", no_argument, NULL, 'k' },
		{ "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 },
	};
	int c, rc = 0;
	const char *q = getenv("BENCH_QUICK");

	if (q && *q && strcmp(q, "0") != 0) {
		bc_opt.seconds = 5;
		bc_opt.runs = 5;
	}
	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (c) {
		case 'o':
			if (!optarg[0] || strspn(optarg, "abcd") != strlen(optarg)) {
				fprintf(stderr, "console: --only takes letters of abcd, e.g. --only ac\n");
				return -1;
			}
			bc_opt.only = optarg;
			break;
		case 'c': rc = bc_int("--convs", optarg, 1, 200000, &bc_opt.convs); break;
		case 'm': rc = bc_int("--msgs", optarg, 0, 5000000, &bc_opt.msgs); break;
		case 'a': rc = bc_int("--agents", optarg, 1, 900, &bc_opt.agents); break;
		case 'r': rc = bc_int("--rate", optarg, 1, 1000, &bc_opt.rate); break;
		case 's': rc = bc_int("--seconds", optarg, 1, 300, &bc_opt.seconds); break;
		case 'n': rc = bc_int("--runs", optarg, 1, 1000, &bc_opt.runs); break;
		case 'p': rc = bc_int("--pages", optarg, 0, 100000, &bc_opt.pages); break;
		case 'b': bc_opt.build = optarg; break;
		case 'k': bc_opt.keep = true; break;
		case 'h': bc_usage(stdout); exit(0);
		default: bc_usage(stderr); return -1;
		}
		if (rc < 0)
			return -1;
	}
	if (optind < argc) {
		fprintf(stderr, "console: unexpected argument \"%s\" (see --help)\n", argv[optind]);
		return -1;
	}
	if ((long)bc_opt.rate * bc_opt.seconds > 100000) {
		fprintf(stderr, "console: --rate x --seconds is at most 100000 messages per agent\n");
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct sigaction sa;
	char why[300], url[96];
	int64_t t_start = time_mono_us();

	memset(&bc_res, 0, sizeof(bc_res));
	bc_res.rss_start_mb = bc_res.rss_paged_mb = bc_res.rss_bottom_mb = bc_res.hwm_mb = -1;
	bc_res.rss_empty_mb = bc_res.rss_anon_mb = bc_res.rss_db_mb = bc_res.idle_cpu_ms_s = -1;
	bc_res.wee_rss_idle_mb = bc_res.wee_rss_lines_mb = -1;
	bc_res.msg_bytes = bc_res.status_bytes = bc_res.online_bytes = bc_res.repaint_bytes = -1;
	bc_res.wee_line_bytes = bc_res.wee_repaint_bytes = -1;
	bc_res.paint_ms = bc_res.wee_quit_ms = bc_res.wee_paint_ms = -1;
	bc_res.paint_cpu_ms = bc_res.wee_quit_cpu_ms = bc_res.wee_paint_cpu_ms = -1;
	bc_res.paint_floor_ms = bc_res.paint_floor_cpu_ms = -1;
	bc_res.lat_p50 = bc_res.lat_p99 = bc_res.lat_max = bc_res.hub_p50 = bc_res.hub_p99 = -1;
	bc_res.q_p50 = bc_res.q_hub_p50 = -1;
	bc_res.tmpfs_q_p50 = bc_res.tmpfs_p50 = bc_res.tmpfs_p99 = -1;
	bc_res.own_p50 = bc_res.own_p99 = bc_res.q_own_p50 = bc_res.tmpfs_own_p50 = -1;
	bc_res.msg_len = strlen(BC_MSG_TEXT);
	if (bc_args(argc, argv) < 0)
		return 2;
	setvbuf(stdout, NULL, _IOLBF, 0);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = bc_on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	atexit(bc_cleanup);

	bc_find_programs(argv[0]);
	if (!bc_is_exec(bc_baton)) {
		printf("console: skipped: %s is not built (make BUILD=<dir> then run "
		       "<dir>/bench/console, or pass --build DIR)\n", bc_baton);
		return 0;
	}
	if (!bc_which("weechat-curses", bc_wee_curses, sizeof(bc_wee_curses)))
		bc_wee_curses[0] = '\0';
	if (!bc_which("weechat-headless", bc_wee_headless, sizeof(bc_wee_headless)))
		bc_wee_headless[0] = '\0';
	const char *tmpdir = getenv("TMPDIR");
	bc_fmt(bc_tmp, sizeof(bc_tmp), "%s/baton-bench-console.XXXXXX", tmpdir && *tmpdir ? tmpdir : "/tmp");
	if (!mkdtemp(bc_tmp)) {
		fprintf(stderr, "console: cannot make a temporary directory %s: %s\n", bc_tmp,
			strerror(errno));
		bc_tmp[0] = '\0';
		return 1;
	}
	char load[32];
	bc_loadavg(load, sizeof(load));
	printf("console benchmark: %s, terminal %dx%d TERM=%s, %ld CPUs, load average %s, temp %s\n",
	       bc_baton, BC_COLS, BC_ROWS, bc_term_name(), sysconf(_SC_NPROCESSORS_ONLN), load, bc_tmp);
	if (!bc_wee_curses[0])
		printf("  peer weechat-curses: skipped, not installed (apt-get install weechat-curses)\n");
	if (!bc_wee_headless[0])
		printf("  peer weechat-headless: skipped, not installed (apt-get install "
		       "weechat-headless)\n");

	if (bc_want('a') || bc_want('c')) {
		char db[PATH_MAX];
		int port = bc_free_port();

		bc_fmt(db, sizeof(db), "%s", bc_path("seeded.db"));

		/* Nothing listens there: the console paints from its store and
		 * keeps retrying, as it would with the hub down. */
		bc_fmt(url, sizeof(url), "ws://127.0.0.1:%d/v1/stream", port);
		bc_write_file(bc_path("offline.token"), "bench-offline-token", 0600);
		int64_t t0 = time_mono_us();
		if (bc_seed_in_child(db, url, why, sizeof(why)) < 0) {
			printf("  seeding the store failed: %s\n", why);
			bc_fmt(bc_res.rss_why, sizeof(bc_res.rss_why), "seeding failed: %s", why);
			bc_fmt(bc_res.paint_why, sizeof(bc_res.paint_why), "seeding failed: %s", why);
		} else {
			bc_res.seed_ms = (long)((time_mono_us() - t0) / 1000);
			printf("  store: %d queued + %d of mine, %d messages, written in %.1f s with the "
			       "console's store API (one snapshot frame: proto_frame_decode, "
			       "model_sanitize_frame, store_apply_frame)\n", bc_opt.convs, BC_MINE,
			       bc_opt.msgs, (double)bc_res.seed_ms / 1000.0);
			if (bc_want('a') && !bc_stop)
				bc_measure_rss(db, url);
			if (bc_want('c') && !bc_stop)
				bc_measure_paint(db, url);
		}
		if (bc_want('a') && !bc_stop)
			bc_wee_rss();
		if (bc_want('c') && !bc_stop)
			bc_wee_paint();
	}
	if ((bc_want('b') || bc_want('d')) && !bc_stop)
		bc_hub_part();
	if (bc_want('b') && !bc_stop)
		bc_wee_bytes();
	bc_print_table();
	bc_loadavg(load, sizeof(load));
	printf("  whole run: %.1f s; load average at the end %s (timings stretch when other programs "
	       "share the CPUs; the CPU-time rows hardly do)\n", (double)(time_mono_us() - t_start) / 1e6,
	       load);
	return bc_stop ? 130 : 0;
}
