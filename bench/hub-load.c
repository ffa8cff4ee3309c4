/*
 * hub-load.c: the hub's load benchmark (issue 3, "Benchmark"; bench/hub-load.md).
 *
 * One invocation runs the same load against three targets, one after the
 * other, each pinned to CPU 0 with taskset while this generator runs on
 * CPU 1:
 *   hub   batond with a fresh temporary store (tokens made with
 *         `batond --db X token add`), the real thing;
 *   node  bench/relay-node/relay.js, a Node + npm `ws` relay, no store;
 *   lws   $BUILD/bench/peers/relay-lws, a bare libwebsockets relay, no store.
 * A target that is not there (batond not built, node or npm missing) is
 * skipped with the reason and the others still run.
 *
 * How it is put together. One epoll loop (hl_pump) drives every socket:
 * agent streams speak a hand-written minimal WebSocket client (handshake
 * with Sec-WebSocket-Accept check, masked frames out, unmasked frames in,
 * fragments, ping/pong, close), bots speak HTTP/1.1 keep-alive with one
 * request in flight per connection. Per target (hl_target_run):
 *   1. start it, wait for it to listen, read its idle VmRSS;
 *   2. open --idle agent streams (hello → welcome), read VmRSS again: the
 *      difference per stream is the cost of an idle agent; close them
 *      (or keep them through the load: --keep-idle);
 *   3. open --agents streams, POST one escalation per agent, each agent
 *      claims its own conversation (so the hub routes for real);
 *   4. warm up, then two measured phases of --seconds each: customer
 *      messages POSTed at --rate per second, then as fast as the target
 *      takes them with --inflight requests outstanding. Each message text
 *      carries its sequence number, the agent it is for and the send time,
 *      so the receiving agent measures POST → receipt latency and we see
 *      loss, duplicates and misrouting. /proc gives its CPU time, its RSS
 *      (peak, and what it kept per message) and, from /proc/stat, how much
 *      of both CPUs other processes took meanwhile;
 *   5. stop it (SIGTERM) and, for the hub, count the messages in its store.
 * Then one table: every figure per target, the hub's ratios to the
 * baselines, and the goal beside each.
 *
 * Bounded: every wait has a deadline, every phase a duration and a message
 * cap; only 127.0.0.1; children die with us (SIGINT/SIGTERM, atexit, and
 * PR_SET_PDEATHSIG if we are killed outright).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <arpa/inet.h>
#include <unistd.h>

#include <jansson.h>
#include <sqlite3.h>

#include "baton/common.h"
#include "baton/text.h"

/* ---- limits and defaults ---- */

#define HL_DEF_AGENTS     100
#define HL_DEF_IDLE       5000
#define HL_DEF_RATE       20000
#define HL_DEF_SECONDS    5
#define HL_DEF_INFLIGHT   128
#define HL_MAX_CONNS      60000	/* the loopback ephemeral port range is ~28k */
#define HL_MAX_RATE       1000000
#define HL_MAX_SECONDS    600
#define HL_MAX_INBUF      (16u << 20)	/* largest frame or response we accept */
#define HL_MAX_INFLIGHT   1024
#define HL_CONNECTS_AT_ONCE 256	/* handshakes in flight: stays under somaxconn */
#define HL_MAX_MSGS_PER_S 250000	/* cap on a saturating phase's messages */
#define HL_WARMUP_US      1000000
#define HL_DRAIN_US       3000000
#define HL_START_US       15000000	/* a target has this long to listen */
#define HL_STOP_US        5000000	/* and this long to exit after SIGTERM */

/* Goals of issue 3 on this 2-core machine. */
#define HL_GOAL_IDLE_BYTES   4096.0	/* RSS per idle agent above the idle hub */
#define HL_GOAL_RATE         20000.0	/* deliveries/s … */
#define HL_GOAL_P99_MS       10.0	/* … with p99 at most this */
#define HL_GOAL_CPU_RATIO    0.3	/* hub CPU per delivery / node's */
#define HL_GOAL_TPUT_RATIO   0.5	/* hub max throughput / bare lws's */

static const char hl_ws_guid[] = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

/* ---- options ---- */

struct hl_opts {
	int agents, idle, rate, seconds, inflight;
	const char *only;
	const char *build;
	const char *node_dir;
	bool keep;
	bool keep_idle;		/* the idle streams stay open during the load */
	int nice;		/* applied to us and inherited by the targets */
	bool set_nice;
};

/* BENCH_QUICK=1: a smoke run whose figures are not held against the goals. */
static bool hl_quick;

static struct hl_opts hl_opt = {
	HL_DEF_AGENTS, HL_DEF_IDLE, HL_DEF_RATE, HL_DEF_SECONDS, HL_DEF_INFLIGHT,
	NULL, NULL, NULL, false, false, 0, false
};

/*
 * snprintf for messages and paths that may be cut at len (a reason line, a
 * path already checked for length by the system): truncation is fine there.
 */
static void hl_fmt(char *out, size_t len, const char *fmt, ...) BATON_PRINTF(3, 4);

static void hl_fmt(char *out, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(out, len, fmt, ap);
	va_end(ap);
}

/* ---- children and signals ---- */

static volatile sig_atomic_t hl_stop;
static pid_t hl_children[16];
static char hl_tmpdirs[4][PATH_MAX];

static void hl_on_signal(int sig)
{
	size_t i;

	if (hl_stop) {
		/* Second Ctrl-C: no more waiting. kill() is async-signal-safe. */
		for (i = 0; i < BATON_ARRAY_LEN(hl_children); i++)
			if (hl_children[i] > 0)
				kill(hl_children[i], SIGKILL);
		_exit(128 + sig);
	}
	hl_stop = 1;
}

static void hl_child_add(pid_t pid)
{
	size_t i;

	for (i = 0; i < BATON_ARRAY_LEN(hl_children); i++)
		if (hl_children[i] <= 0) {
			hl_children[i] = pid;
			return;
		}
}

static void hl_child_forget(pid_t pid)
{
	size_t i;

	for (i = 0; i < BATON_ARRAY_LEN(hl_children); i++)
		if (hl_children[i] == pid)
			hl_children[i] = 0;
}

/* Waits up to us for pid; SIGKILLs it if still there. Returns its status. */
static int hl_child_reap(pid_t pid, int64_t us)
{
	int64_t deadline = time_mono_us() + us;
	int status = 0;
	pid_t w;

	for (;;) {
		w = waitpid(pid, &status, WNOHANG);
		if (w == pid || (w < 0 && errno != EINTR))
			break;
		if (time_mono_us() >= deadline) {
			kill(pid, SIGKILL);
			while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
				;
			break;
		}
		usleep(10000);
	}
	hl_child_forget(pid);
	return status;
}

static void hl_rm_tree(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char path[PATH_MAX + 256];

	if (!d)
		return;
	while ((e = readdir(d))) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		hl_fmt(path, sizeof(path), "%s/%s", dir, e->d_name);
		unlink(path);
	}
	closedir(d);
	rmdir(dir);
}

static int hl_autogroup_nice;
static bool hl_autogroup_set;

static int hl_autogroup_write(int nice)
{
	FILE *f = fopen("/proc/self/autogroup", "w");

	if (!f)
		return -1;
	fprintf(f, "%d", nice);
	return fclose(f) == 0 ? 0 : -1;
}

static void hl_cleanup(void)
{
	size_t i;

	if (hl_autogroup_set) {
		hl_autogroup_write(hl_autogroup_nice);
		hl_autogroup_set = false;
	}
	for (i = 0; i < BATON_ARRAY_LEN(hl_children); i++)
		if (hl_children[i] > 0) {
			kill(hl_children[i], SIGTERM);
			hl_child_reap(hl_children[i], 2000000);
		}
	for (i = 0; i < BATON_ARRAY_LEN(hl_tmpdirs); i++)
		if (hl_tmpdirs[i][0]) {
			if (hl_opt.keep)
				fprintf(stderr, "hub-load: kept %s\n", hl_tmpdirs[i]);
			else
				hl_rm_tree(hl_tmpdirs[i]);
			hl_tmpdirs[i][0] = '\0';
		}
}

/*
 * Forks argv[0] with stdin from /dev/null, stdout to out_fd and stderr to
 * err_fd (-1: /dev/null). pin: run it on CPU 0 through taskset (the
 * sched_setaffinity taskset would make, if taskset is missing). The child
 * dies with us (PR_SET_PDEATHSIG survives exec).
 */
static pid_t hl_spawn(char *const argv[], int out_fd, int err_fd, bool pin)
{
	pid_t parent = getpid(), pid;
	char *targv[64];
	int null_fd, i;
	cpu_set_t set;

	pid = fork();
	if (pid < 0)
		return -1;
	if (pid > 0) {
		hl_child_add(pid);
		return pid;
	}
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(127);
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGPIPE, SIG_DFL);
	null_fd = open("/dev/null", O_RDWR);
	dup2(null_fd, 0);
	dup2(out_fd >= 0 ? out_fd : null_fd, 1);
	dup2(err_fd >= 0 ? err_fd : null_fd, 2);
	if (pin) {
		targv[0] = (char *)"taskset";
		targv[1] = (char *)"-c";
		targv[2] = (char *)"0";
		for (i = 0; argv[i] && i < 60; i++)
			targv[3 + i] = argv[i];
		targv[3 + i] = NULL;
		execvp("taskset", targv);
		CPU_ZERO(&set);
		CPU_SET(0, &set);
		sched_setaffinity(0, sizeof(set), &set);
	}
	execvp(argv[0], argv);
	fprintf(stderr, "hub-load: cannot run %s: %s\n", argv[0], strerror(errno));
	_exit(127);
}

/* Runs argv, returns its first stdout line (caller frees) or NULL + err. */
static char *hl_run_capture(char *const argv[], int err_fd, int64_t timeout_us, char *err,
			    size_t errlen)
{
	struct strbuf out = STRBUF_INIT;
	int64_t deadline = time_mono_us() + timeout_us;
	int fds[2], status;
	char buf[512], *nl, *ret = NULL;
	struct pollfd pfd;
	ssize_t n;
	pid_t pid;

	if (pipe2(fds, O_CLOEXEC) < 0) {
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		return NULL;
	}
	pid = hl_spawn(argv, fds[1], err_fd, false);
	close(fds[1]);
	if (pid < 0) {
		snprintf(err, errlen, "fork: %s", strerror(errno));
		close(fds[0]);
		return NULL;
	}
	pfd.fd = fds[0];
	pfd.events = POLLIN;
	while (!hl_stop && out.len < 4096) {
		int64_t left = deadline - time_mono_us();

		if (left <= 0)
			break;
		if (poll(&pfd, 1, (int)(left / 1000) + 1) <= 0)
			continue;
		n = read(fds[0], buf, sizeof(buf));
		if (n <= 0)
			break;
		sb_add(&out, buf, (size_t)n);
	}
	close(fds[0]);
	kill(pid, SIGKILL);	/* no-op when it has exited already */
	status = hl_child_reap(pid, 1000000);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		snprintf(err, errlen, "%s exited with %s %d", argv[0],
			 WIFSIGNALED(status) ? "signal" : "status",
			 WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
		goto out;
	}
	nl = out.buf ? strchr(out.buf, '\n') : NULL;
	if (nl)
		*nl = '\0';
	if (!out.buf || !out.buf[0]) {
		snprintf(err, errlen, "%s printed nothing on stdout", argv[0]);
		goto out;
	}
	ret = sb_take(&out);
out:
	sb_free(&out);
	return ret;
}

/* ---- small encodings: SHA-1 and base64 for the WebSocket handshake ---- */

static uint32_t hl_rol(uint32_t x, int s)
{
	return (x << s) | (x >> (32 - s));
}

static void hl_sha1_block(uint32_t h[5], const uint8_t *p)
{
	uint32_t w[80], a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f, k, t;
	int i;

	for (i = 0; i < 16; i++)
		w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
		       (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
	for (; i < 80; i++)
		w[i] = hl_rol(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
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
		t = hl_rol(a, 5) + f + e + k + w[i];
		e = d;
		d = c;
		c = hl_rol(b, 30);
		b = a;
		a = t;
	}
	h[0] += a;
	h[1] += b;
	h[2] += c;
	h[3] += d;
	h[4] += e;
}

static void hl_sha1(const void *data, size_t len, uint8_t out[20])
{
	uint32_t h[5] = { 0x67452301u, 0xEFCDAB89u, 0x98BADCFEu, 0x10325476u, 0xC3D2E1F0u };
	const uint8_t *p = data;
	uint8_t tail[128];
	size_t rest, tl, i;
	uint64_t bits = (uint64_t)len * 8;

	for (; len >= 64; p += 64, len -= 64)
		hl_sha1_block(h, p);
	rest = len;
	memcpy(tail, p, rest);
	tail[rest] = 0x80;
	tl = rest + 1 + 8 <= 64 ? 64 : 128;
	memset(tail + rest + 1, 0, tl - rest - 1);
	for (i = 0; i < 8; i++)
		tail[tl - 1 - i] = (uint8_t)(bits >> (8 * i));
	for (i = 0; i < tl; i += 64)
		hl_sha1_block(h, tail + i);
	for (i = 0; i < 5; i++) {
		out[4 * i] = (uint8_t)(h[i] >> 24);
		out[4 * i + 1] = (uint8_t)(h[i] >> 16);
		out[4 * i + 2] = (uint8_t)(h[i] >> 8);
		out[4 * i + 3] = (uint8_t)h[i];
	}
}

static void hl_base64(const uint8_t *in, size_t n, char *out)
{
	static const char tab[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
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

/*
 * Frame masks: RFC 6455 wants them unpredictable to stop cache poisoning
 * through proxies; there is no proxy on loopback, and a kernel call per
 * frame would cost more than what we measure. xorshift, seeded from the
 * CSPRNG.
 */
static uint64_t hl_prng_state;

static uint32_t hl_prng(void)
{
	uint64_t x = hl_prng_state;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	hl_prng_state = x;
	return (uint32_t)(x >> 16);
}

/* ---- /proc figures of a target ---- */

static long hl_proc_rss_kb(pid_t pid)
{
	char path[64], line[256];
	long kb = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, "VmRSS:", 6) == 0) {
			kb = strtol(line + 6, NULL, 10);
			break;
		}
	fclose(f);
	return kb;
}

/* Voluntary context switches of the main thread: each is a wait (fsync…). */
static long hl_proc_vcsw(pid_t pid)
{
	char path[64], line[256];
	long n = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, "voluntary_ctxt_switches:", 24) == 0) {
			n = strtol(line + 24, NULL, 10);
			break;
		}
	fclose(f);
	return n;
}

/* utime + stime of the whole process, in milliseconds; -1 if gone. */
static double hl_proc_cpu_ms(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long long ut, st;
	ssize_t n;
	int fd, i;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	/* comm may hold spaces and parentheses: fields count from the last ')'. */
	p = strrchr(buf, ')');
	if (!p)
		return -1;
	p++;
	for (i = 0; i < 11 && p; i++)	/* fields 3..13, then utime (14) */
		p = strchr(p + 1, ' ');
	if (!p || sscanf(p, " %llu %llu", &ut, &st) != 2)
		return -1;
	return (double)(ut + st) * 1000.0 / (double)sysconf(_SC_CLK_TCK);
}

/* Busy and total time of one CPU so far, in clock ticks (/proc/stat). */
static int hl_cpu_ticks(int cpu, double *busy, double *total)
{
	char line[512], want[16];
	unsigned long long v[8] = { 0 };
	int n = snprintf(want, sizeof(want), "cpu%d ", cpu);
	bool found = false;
	FILE *f = fopen("/proc/stat", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, want, (size_t)n) == 0) {
			found = sscanf(line + n, "%llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1],
				       &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]) == 8;
			break;
		}
	fclose(f);
	if (!found)
		return -1;
	/* user nice system idle iowait irq softirq steal. irq and softirq are
	 * left out of busy: loopback traffic's softirq work is ours, yet it is
	 * not charged to any process's utime+stime. steal (another VM on the
	 * host) counts as someone else's. */
	*busy = (double)(v[0] + v[1] + v[2] + v[7]);
	*total = *busy + (double)(v[3] + v[4] + v[5] + v[6]);
	return 0;
}

static double hl_self_cpu_ms(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000.0 +
	       (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1000.0;
}

/* ---- measured phases ---- */

struct hl_lat {
	uint32_t *v;	/* microseconds */
	size_t n, cap;
};

static void hl_lat_add(struct hl_lat *l, int64_t us)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 4096;
		l->v = xrealloc(l->v, l->cap * sizeof(*l->v));
	}
	l->v[l->n++] = us < 0 ? 0 : us > UINT32_MAX ? UINT32_MAX : (uint32_t)us;
}

static int hl_u32_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

/* Percentile q (0..1) in milliseconds, nearest rank; -1 when empty. */
static double hl_lat_pct(struct hl_lat *l, double q)
{
	size_t i;

	if (!l->n)
		return -1;
	qsort(l->v, l->n, sizeof(*l->v), hl_u32_cmp);
	i = (size_t)(q * (double)l->n + 0.999999);
	if (i < 1)
		i = 1;
	if (i > l->n)
		i = l->n;
	return l->v[i - 1] / 1000.0;
}

struct hl_phase {
	bool ran;
	int rate;			/* 0: as fast as --inflight allows */
	int64_t t0, t_end;		/* the window sends and counts happen in */
	uint32_t first, end;		/* message sequence numbers [first, end) */
	int64_t posted, answered, accepted, http_err, delivered, in_window;
	int64_t dup, misrouted, lost, late;
	struct hl_lat lat;		/* POST sent → agent received */
	struct hl_lat resp;		/* POST sent → 202 received */
	double cpu_ms, gen_cpu_ms, wall_s;
	long vcsw;
	/* What other processes took of CPU 0 (the target's) and CPU 1 (ours):
	 * on a shared machine this says how far to trust the figures. */
	double other0, other1;
	bool capped;
	/* results */
	double dps, p50, p99, pmax, resp_p50, resp_p99, cpu_per_1000, cpu_util, gen_util;
};

/* ---- targets ---- */

enum hl_kind { HL_HUB, HL_NODE, HL_LWS, HL_NKINDS };

struct hl_target {
	enum hl_kind kind;
	const char *key;
	bool skipped, failed;
	char reason[512];
	char dir[PATH_MAX];
	char db[PATH_MAX + 16];
	char log[PATH_MAX + 16];
	char prog[PATH_MAX];
	char script[PATH_MAX + 16];
	pid_t pid;
	int port;
	char *bot_token;
	char **agent_tokens;
	char **idle_tokens;
	int nidle_tokens;
	/* results */
	long rss_idle_kb, rss_conns_kb, rss_load_kb;
	long rss_setup_kb, rss_end_kb;	/* before the first and after the last message */
	int idle_open;
	double idle_bytes_per_conn;
	struct hl_phase ph_rate, ph_max;
	int64_t accepted_total;
	long long stored;		/* hub: benchmark messages found in its store */
	char stored_note[256];
	bool on_tmpfs;			/* its store: where fsync costs nothing */
	char note[512];			/* the first thing that went wrong, not fatal */
	int reconnects;			/* bot connections it closed on us */
};

/* ---- connections ---- */

enum hl_ctype { HL_C_AGENT, HL_C_BOT };
enum hl_cstate { HL_S_CONNECTING, HL_S_HANDSHAKE, HL_S_OPEN, HL_S_DEAD };
enum hl_req { HL_REQ_NONE, HL_REQ_ESCALATION, HL_REQ_MESSAGE };

struct hl_buf {
	char *p;
	size_t off, len, cap;
};

struct hl_conn {
	int fd;
	uint8_t type, state;
	bool want_out;
	bool idle;			/* one of the --idle streams */
	int idx;			/* agent or bot number */
	struct hl_buf in, out;
	struct hl_buf msg;		/* a fragmented message being put together */
	uint8_t msg_op;			/* opcode of a fragmented message, 0: none */
	char accept[32];		/* the Sec-WebSocket-Accept we expect */
	const char *token;
	bool welcomed, claimed, claim_failed;
	char conv[72];
	/* bot */
	bool busy;
	uint8_t req;
	uint32_t req_seq;
	int req_agent;
	int64_t req_us;
};

struct hl_run {
	struct hl_target *t;
	int ep;
	struct hl_conn **agents, **idle, **bots;
	int nagents, nidle, nbots;
	int *free_bots, nfree;
	uint8_t *st;			/* per message: HL_M_* bits */
	uint32_t cap, next_seq;
	struct hl_phase *ph;		/* the phase being measured, or NULL */
	int64_t rss_next_us, child_next_us;
	long rss_max_kb;
	int welcomed, claimed, claim_failed, esc_done, dead, reconnects;
	int dead_bots;			/* bots hl_pump must replace */
	int64_t accepted_total;
	char err[512];			/* the first thing that went wrong */
	bool failed;
};

#define HL_M_POSTED    1u
#define HL_M_ACCEPTED  2u
#define HL_M_DELIVERED 4u
#define HL_M_FAILED    8u

static void hl_fail(struct hl_run *r, const char *fmt, ...) BATON_PRINTF(2, 3);

static void hl_fail(struct hl_run *r, const char *fmt, ...)
{
	va_list ap;

	if (r->failed)
		return;
	r->failed = true;
	va_start(ap, fmt);
	vsnprintf(r->err, sizeof(r->err), fmt, ap);
	va_end(ap);
}

/* Target-supplied text, made safe for our terminal (it is untrusted). */
static char *hl_clean(const char *s, size_t n)
{
	char *c;

	if (n > 300)
		n = 300;
	c = text_sanitize_line(s, n, NULL);
	return c;
}

static void hl_buf_add(struct hl_buf *b, const void *d, size_t n)
{
	if (b->off && b->off + b->len + n > b->cap) {
		memmove(b->p, b->p + b->off, b->len);
		b->off = 0;
	}
	if (b->off + b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap : 1024;

		while (cap < b->off + b->len + n)
			cap *= 2;
		b->p = xrealloc(b->p, cap);
		b->cap = cap;
	}
	memcpy(b->p + b->off + b->len, d, n);
	b->len += n;
}

static void hl_buf_consume(struct hl_buf *b, size_t n)
{
	b->off += n;
	b->len -= n;
	if (!b->len) {
		b->off = 0;
		/* 5,000 idle streams must not each sit on a big buffer. */
		if (b->cap > 65536) {
			free(b->p);
			b->p = NULL;
			b->cap = 0;
		}
	}
}

static void hl_buf_free(struct hl_buf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}

static void hl_set_out(struct hl_run *r, struct hl_conn *c, bool on)
{
	struct epoll_event ev;

	if (c->want_out == on || c->state == HL_S_DEAD)
		return;
	c->want_out = on;
	ev.events = EPOLLIN | (on ? EPOLLOUT : 0u);
	ev.data.ptr = c;
	epoll_ctl(r->ep, EPOLL_CTL_MOD, c->fd, &ev);
}

static void hl_conn_dead(struct hl_run *r, struct hl_conn *c, const char *why);

static void hl_flush(struct hl_run *r, struct hl_conn *c)
{
	ssize_t n;

	if (c->state == HL_S_CONNECTING || c->state == HL_S_DEAD)
		return;
	while (c->out.len) {
		n = send(c->fd, c->out.p + c->out.off, c->out.len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n <= 0) {
			hl_conn_dead(r, c, strerror(errno));
			return;
		}
		hl_buf_consume(&c->out, (size_t)n);
	}
	hl_set_out(r, c, c->out.len > 0);
}

static int hl_socket_connect(int port, int *fdp)
{
	struct sockaddr_in sa;
	int fd, one = 1;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 && errno != EINPROGRESS) {
		int e = errno;

		close(fd);
		errno = e;
		return -1;
	}
	*fdp = fd;
	return 0;
}

static struct hl_conn *hl_conn_open(struct hl_run *r, enum hl_ctype type, int idx)
{
	struct hl_conn *c = xcalloc(1, sizeof(*c));
	struct epoll_event ev;

	c->type = (uint8_t)type;
	c->idx = idx;
	c->fd = -1;
	if (hl_socket_connect(r->t->port, &c->fd) < 0) {
		c->state = HL_S_DEAD;
		r->dead++;
		if (!r->err[0])
			hl_fmt(r->err, sizeof(r->err), "connect to 127.0.0.1:%d: %s%s",
				 r->t->port, strerror(errno),
				 errno == EMFILE ? " (raise ulimit -n)" : "");
		return c;
	}
	c->state = HL_S_CONNECTING;
	c->want_out = true;
	ev.events = EPOLLIN | EPOLLOUT;
	ev.data.ptr = c;
	epoll_ctl(r->ep, EPOLL_CTL_ADD, c->fd, &ev);
	return c;
}

static void hl_conn_close(struct hl_run *r, struct hl_conn *c, bool reset)
{
	struct linger lg = { 1, 0 };

	if (c->fd >= 0) {
		epoll_ctl(r->ep, EPOLL_CTL_DEL, c->fd, NULL);
		/* RST: thousands of closed streams would otherwise park their
		 * ports in TIME_WAIT for a minute, and three targets share them. */
		if (reset)
			setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		close(c->fd);
		c->fd = -1;
	}
	c->state = HL_S_DEAD;
	hl_buf_free(&c->in);
	hl_buf_free(&c->out);
	hl_buf_free(&c->msg);
}

/* ---- WebSocket client ---- */

static void hl_ws_send(struct hl_run *r, struct hl_conn *c, int op, const char *p, size_t n)
{
	uint8_t hdr[14];
	size_t h = 0, i;
	uint32_t m = hl_prng();
	uint8_t mask[4] = { (uint8_t)(m >> 24), (uint8_t)(m >> 16), (uint8_t)(m >> 8), (uint8_t)m };
	char small[256], *buf;

	hdr[h++] = (uint8_t)(0x80 | op);
	if (n < 126) {
		hdr[h++] = (uint8_t)(0x80 | n);
	} else if (n < 65536) {
		hdr[h++] = 0x80 | 126;
		hdr[h++] = (uint8_t)(n >> 8);
		hdr[h++] = (uint8_t)n;
	} else {
		hdr[h++] = 0x80 | 127;
		for (i = 0; i < 8; i++)
			hdr[h++] = (uint8_t)((uint64_t)n >> (56 - 8 * i));
	}
	memcpy(hdr + h, mask, 4);
	h += 4;
	hl_buf_add(&c->out, hdr, h);
	buf = n <= sizeof(small) ? small : xmalloc(n);
	for (i = 0; i < n; i++)
		buf[i] = (char)(p[i] ^ mask[i & 3]);
	hl_buf_add(&c->out, buf, n);
	if (buf != small)
		free(buf);
	hl_flush(r, c);
}

static void hl_ws_send_json(struct hl_run *r, struct hl_conn *c, json_t *j)
{
	char *s = json_dumps(j, JSON_COMPACT);

	json_decref(j);
	hl_ws_send(r, c, 1, s, strlen(s));
	free(s);
}

static void hl_agent_on_open(struct hl_run *r, struct hl_conn *c)
{
	hl_ws_send_json(r, c, json_pack("{s:s, s:i, s:s, s:s}", "type", "hello", "v", 1,
					"token", c->token, "client", "hub-load/" BATON_VERSION));
}

static void hl_agent_claim(struct hl_run *r, struct hl_conn *c)
{
	char cmd_id[64];

	snprintf(cmd_id, sizeof(cmd_id), "hl-claim-%d-%d", (int)getpid(), c->idx);
	hl_ws_send_json(r, c, json_pack("{s:s, s:s, s:s, s:{s:s}}", "type", "cmd",
					"cmd_id", cmd_id, "op", "claim",
					"args", "conv", c->conv));
}

static uint64_t hl_num(const char **pp, const char *end)
{
	const char *p = *pp;
	uint64_t v = 0;

	while (p < end && *p >= '0' && *p <= '9')
		v = v * 10 + (uint64_t)(*p++ - '0');
	*pp = p;
	return v;
}

/* A benchmark message reached agent c: "HLT:<seq>:<agent>:<sent µs>". */
static bool hl_delivery(struct hl_run *r, struct hl_conn *c, const char *p, size_t n,
			int64_t now)
{
	const char *m = memmem(p, n, "HLT:", 4), *end = p + n;
	struct hl_phase *ph = r->ph;
	uint64_t seq, agent;
	int64_t sent;

	if (!m)
		return false;
	m += 4;
	seq = hl_num(&m, end);
	if (m >= end || *m++ != ':')
		return false;
	agent = hl_num(&m, end);
	if (m >= end || *m++ != ':')
		return false;
	sent = (int64_t)hl_num(&m, end);
	if (seq >= r->next_seq)
		return false;
	if (ph && seq >= ph->first && seq < ph->end) {
		if (r->st[seq] & HL_M_DELIVERED) {
			ph->dup++;
		} else {
			ph->delivered++;
			hl_lat_add(&ph->lat, now - sent);
			if (now <= ph->t_end)
				ph->in_window++;
		}
		if (agent != (uint64_t)c->idx)
			ph->misrouted++;
	}
	r->st[seq] |= HL_M_DELIVERED;
	return true;
}

static void hl_agent_json(struct hl_run *r, struct hl_conn *c, const char *p, size_t n)
{
	json_error_t jerr;
	json_t *f = json_loadb(p, n, 0, &jerr), *e;
	const char *type, *status, *code, *msg;
	char *cc, *cm;

	if (!json_is_object(f)) {
		char *s = hl_clean(p, n);

		hl_fail(r, "%s sent a frame that is not a JSON object: %s", r->t->key, s);
		free(s);
		goto out;
	}
	type = json_string_value(json_object_get(f, "type"));
	if (!type)
		goto out;
	if (strcmp(type, "welcome") == 0 && !c->welcomed) {
		c->welcomed = true;
		r->welcomed++;
	} else if (strcmp(type, "result") == 0 &&
		   strncmp(json_string_value(json_object_get(f, "cmd_id")) ?
			   json_string_value(json_object_get(f, "cmd_id")) : "", "hl-claim-", 9) == 0) {
		status = json_string_value(json_object_get(f, "status"));
		if (status && (strcmp(status, "ok") == 0 || strcmp(status, "duplicate") == 0)) {
			if (!c->claimed)
				r->claimed++;
			c->claimed = true;
		} else if (!c->claim_failed) {
			c->claim_failed = true;
			r->claim_failed++;
			e = json_object_get(f, "error");
			code = json_string_value(json_object_get(e, "code"));
			msg = json_string_value(json_object_get(e, "message"));
			cc = hl_clean(code ? code : "?", strlen(code ? code : "?"));
			cm = hl_clean(msg ? msg : "", strlen(msg ? msg : ""));
			hl_fail(r, "agent %d's claim of %s was %s: %s: %s", c->idx, c->conv,
				status ? status : "answered without a status", cc, cm);
			free(cc);
			free(cm);
		}
	} else if (strcmp(type, "error") == 0) {
		code = json_string_value(json_object_get(f, "code"));
		msg = json_string_value(json_object_get(f, "message"));
		cc = hl_clean(code ? code : "?", strlen(code ? code : "?"));
		cm = hl_clean(msg ? msg : "", strlen(msg ? msg : ""));
		hl_fail(r, "%s sent agent %d an error frame: %s: %s", r->t->key, c->idx, cc, cm);
		free(cc);
		free(cm);
	}
out:
	json_decref(f);
}

static void hl_agent_message(struct hl_run *r, struct hl_conn *c, const char *p, size_t n,
			     int64_t now)
{
	/* The timed path: a delivery is recognised without a JSON parse, so
	 * the generator stays cheap; everything else is parsed properly. */
	if (c->claimed && hl_delivery(r, c, p, n, now))
		return;
	/* An idle stream kept open (--keep-idle) only hears broadcasts. */
	if (c->idle && c->welcomed)
		return;
	hl_agent_json(r, c, p, n);
}

/* Parses the frames in c->in; returns -1 when c died. */
static int hl_ws_frames(struct hl_run *r, struct hl_conn *c, int64_t now)
{
	while (c->in.len >= 2 && c->state == HL_S_OPEN) {
		const uint8_t *b = (const uint8_t *)c->in.p + c->in.off;
		size_t avail = c->in.len, h = 2, i;
		uint64_t len = b[1] & 0x7f;
		int op = b[0] & 0x0f;
		bool fin = b[0] & 0x80;

		if (b[1] & 0x80) {
			hl_conn_dead(r, c, "the target sent a masked frame (RFC 6455 forbids it)");
			return -1;
		}
		if (len == 126) {
			if (avail < 4)
				return 0;
			len = (uint64_t)b[2] << 8 | b[3];
			h = 4;
		} else if (len == 127) {
			if (avail < 10)
				return 0;
			for (len = 0, i = 0; i < 8; i++)
				len = len << 8 | b[2 + i];
			h = 10;
		}
		if (len > HL_MAX_INBUF) {
			hl_conn_dead(r, c, "the target sent a frame over 16 MiB");
			return -1;
		}
		if (avail < h + len)
			return 0;
		const char *pl = (const char *)b + h;
		size_t pn = (size_t)len;

		if (op >= 8) {
			if (op == 9) {		/* ping */
				hl_ws_send(r, c, 10, pl, pn);
			} else if (op == 8) {	/* close: answer and go */
				char why[96];
				int code = pn >= 2 ? ((uint8_t)pl[0] << 8 | (uint8_t)pl[1]) : 1005;

				hl_fmt(why, sizeof(why), "the target closed the stream (code %d)", code);
				hl_ws_send(r, c, 8, pl, pn >= 2 ? 2 : 0);
				hl_conn_dead(r, c, why);
				return -1;
			}
		} else if (op > 2 || (op == 0) != (c->msg_op != 0)) {
			hl_conn_dead(r, c, op > 2 ? "the target sent a frame with a reserved opcode" :
				     "the target broke a fragmented message's sequence");
			return -1;
		} else if (op == 2 || (op == 0 && c->msg_op == 2)) {
			hl_conn_dead(r, c, "the target sent a binary frame; baton.v1 frames are text");
			return -1;
		} else if (op == 0) {
			if (c->msg.len + pn > HL_MAX_INBUF) {
				hl_conn_dead(r, c, "the target sent a fragmented message over 16 MiB");
				return -1;
			}
			hl_buf_add(&c->msg, pl, pn);
			if (fin) {
				c->msg_op = 0;
				hl_agent_message(r, c, c->msg.p + c->msg.off, c->msg.len, now);
				hl_buf_consume(&c->msg, c->msg.len);
			}
		} else if (fin) {
			hl_agent_message(r, c, pl, pn, now);
		} else {
			c->msg_op = (uint8_t)op;	/* the first fragment: text */
			hl_buf_add(&c->msg, pl, pn);
		}
		if (c->state != HL_S_OPEN)
			return -1;
		hl_buf_consume(&c->in, h + pn);
	}
	return 0;
}

/* Checks the 101 answer; returns 1 when done, 0 to wait, -1 when c died. */
static int hl_ws_handshake(struct hl_run *r, struct hl_conn *c)
{
	const char *p = c->in.p + c->in.off, *end, *line, *next;
	bool accept_ok = false, proto_ok = false;
	char why[256];

	end = memmem(p, c->in.len, "\r\n\r\n", 4);
	if (!end) {
		if (c->in.len > 16384) {
			hl_conn_dead(r, c, "the handshake answer has no end");
			return -1;
		}
		return 0;
	}
	if (c->in.len < 12 || memcmp(p, "HTTP/1.1 101", 12) != 0) {
		char *s = hl_clean(p, (size_t)(end - p));

		hl_fmt(why, sizeof(why), "the upgrade to WebSocket was refused: %s", s);
		free(s);
		hl_conn_dead(r, c, why);
		return -1;
	}
	for (line = memchr(p, '\n', (size_t)(end - p)); line && line < end; line = next) {
		const char *v;
		size_t ln;

		line++;
		next = memchr(line, '\n', (size_t)(end + 2 - line));
		ln = (size_t)((next ? next : end) - line);
		if (ln && line[ln - 1] == '\r')
			ln--;
		v = memchr(line, ':', ln);
		if (!v)
			continue;
		size_t kn = (size_t)(v - line);

		v++;
		while (v < line + ln && (*v == ' ' || *v == '\t'))
			v++;
		size_t vn = (size_t)(line + ln - v);

		if (kn == 20 && strncasecmp(line, "Sec-WebSocket-Accept", kn) == 0)
			accept_ok = vn == strlen(c->accept) && memcmp(v, c->accept, vn) == 0;
		else if (kn == 22 && strncasecmp(line, "Sec-WebSocket-Protocol", kn) == 0)
			proto_ok = vn == 8 && memcmp(v, "baton.v1", 8) == 0;
	}
	if (!accept_ok || !proto_ok) {
		hl_conn_dead(r, c, !accept_ok ? "the handshake's Sec-WebSocket-Accept is wrong" :
				   "the target did not agree to subprotocol baton.v1");
		return -1;
	}
	hl_buf_consume(&c->in, (size_t)(end + 4 - p));
	c->state = HL_S_OPEN;
	hl_agent_on_open(r, c);
	return c->state == HL_S_OPEN ? 1 : -1;
}

static void hl_agent_start(struct hl_run *r, struct hl_conn *c)
{
	uint8_t key[16], dig[20];
	char k64[32], cat[96];

	/* The key only needs to be fresh per handshake, not secret. */
	for (int i = 0; i < 16; i += 4) {
		uint32_t v = hl_prng();

		memcpy(key + i, &v, 4);
	}
	hl_base64(key, sizeof(key), k64);
	snprintf(cat, sizeof(cat), "%s%s", k64, hl_ws_guid);
	hl_sha1(cat, strlen(cat), dig);
	hl_base64(dig, sizeof(dig), c->accept);
	c->state = HL_S_HANDSHAKE;
	char req[512];
	int n = snprintf(req, sizeof(req),
			 "GET /v1/stream HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
			 "Upgrade: websocket\r\nConnection: Upgrade\r\n"
			 "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n"
			 "Sec-WebSocket-Protocol: baton.v1\r\n\r\n", r->t->port, k64);
	hl_buf_add(&c->out, req, (size_t)n);
	hl_flush(r, c);
}

/* ---- HTTP/1.1 bot ---- */

static void hl_bot_free(struct hl_run *r, struct hl_conn *c)
{
	c->busy = false;
	c->req = HL_REQ_NONE;
	r->free_bots[r->nfree++] = c->idx;
}

static void hl_bot_request(struct hl_run *r, struct hl_conn *c, const char *path,
			   const char *body, size_t blen)
{
	char hdr[1024];
	int n;

	n = snprintf(hdr, sizeof(hdr),
		     "POST %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
		     "Authorization: Bearer %s\r\nContent-Type: application/json\r\n"
		     "Content-Length: %zu\r\n\r\n", path, r->t->port, r->t->bot_token, blen);
	hl_buf_add(&c->out, hdr, (size_t)n);
	hl_buf_add(&c->out, body, blen);
	c->busy = true;
	c->req_us = time_mono_us();
	hl_flush(r, c);
}

static void hl_bot_response(struct hl_run *r, struct hl_conn *c, int code, const char *body,
			    size_t blen, int64_t now)
{
	struct hl_phase *ph = r->ph;
	char *s;

	if (c->req == HL_REQ_MESSAGE) {
		uint32_t seq = c->req_seq;
		bool in_ph = ph && seq >= ph->first && seq < ph->end;

		if (in_ph) {
			ph->answered++;
			hl_lat_add(&ph->resp, now - c->req_us);
		}
		if (code == 202) {
			r->st[seq] |= HL_M_ACCEPTED;
			r->accepted_total++;
			if (in_ph)
				ph->accepted++;
		} else {
			r->st[seq] |= HL_M_FAILED;
			if (in_ph)
				ph->http_err++;
			if (!r->err[0]) {
				s = hl_clean(body, blen);
				hl_fmt(r->err, sizeof(r->err),
					 "POST /v1/conversations/%s/messages answered %d: %s",
					 r->agents[c->req_agent]->conv, code, s);
				free(s);
			}
		}
	} else if (c->req == HL_REQ_ESCALATION) {
		struct hl_conn *a = r->agents[c->req_agent];
		json_error_t jerr;
		json_t *j = json_loadb(body, blen, 0, &jerr);
		const char *id = json_string_value(json_object_get(j, "conversation"));

		if ((code == 201 || code == 200) && id && strlen(id) < sizeof(a->conv)) {
			snprintf(a->conv, sizeof(a->conv), "%s", id);
			r->esc_done++;
		} else {
			s = hl_clean(body, blen);
			hl_fail(r, "POST /v1/escalations answered %d: %s", code, s);
			free(s);
		}
		json_decref(j);
	}
	hl_bot_free(r, c);
}

/* Parses one response from c->in; 1 when one was handled, 0 to wait, -1 dead. */
static int hl_http_parse(struct hl_run *r, struct hl_conn *c, int64_t now)
{
	const char *p = c->in.p + c->in.off, *end, *line, *next;
	size_t hlen, clen = 0, total;
	bool have_len = false, chunked = false, close_after = false;
	int code;

	end = memmem(p, c->in.len, "\r\n\r\n", 4);
	if (!end) {
		if (c->in.len > 65536) {
			hl_conn_dead(r, c, "an HTTP answer's headers have no end");
			return -1;
		}
		return 0;
	}
	hlen = (size_t)(end + 4 - p);
	if (c->in.len < 12 || memcmp(p, "HTTP/1.", 7) != 0) {
		hl_conn_dead(r, c, "the target's HTTP answer has no status line");
		return -1;
	}
	code = atoi(p + 9);
	for (line = memchr(p, '\n', hlen); line && line < end; line = next) {
		line++;
		next = memchr(line, '\n', (size_t)(end + 2 - line));
		if (strncasecmp(line, "Content-Length:", 15) == 0) {
			clen = strtoul(line + 15, NULL, 10);
			have_len = true;
		} else if (strncasecmp(line, "Transfer-Encoding:", 18) == 0) {
			chunked = memmem(line, (size_t)((next ? next : end) - line), "chunked", 7);
		} else if (strncasecmp(line, "Connection:", 11) == 0) {
			close_after = memmem(line, (size_t)((next ? next : end) - line), "close", 5);
		}
	}
	if (chunked) {
		/* Put the chunks together into one body. */
		struct strbuf b = STRBUF_INIT;
		const char *q = p + hlen, *qend = p + c->in.len;

		for (;;) {
			const char *crlf = memmem(q, (size_t)(qend - q), "\r\n", 2);
			unsigned long n;

			if (!crlf) {
				sb_free(&b);
				return 0;
			}
			n = strtoul(q, NULL, 16);
			if (n > HL_MAX_INBUF) {
				sb_free(&b);
				hl_conn_dead(r, c, "an HTTP chunk is over 16 MiB");
				return -1;
			}
			if ((size_t)(qend - crlf) < 2 + n + 2) {
				sb_free(&b);
				return 0;
			}
			if (n == 0) {
				const char *fin = memmem(crlf + 2, (size_t)(qend - crlf - 2), "\r\n", 2);

				if (!fin) {
					sb_free(&b);
					return 0;
				}
				total = (size_t)(fin + 2 - p);
				break;
			}
			sb_add(&b, crlf + 2, n);
			q = crlf + 2 + n + 2;
		}
		hl_bot_response(r, c, code, b.buf ? b.buf : "", b.len, now);
		sb_free(&b);
	} else {
		if (!have_len && code != 204 && code != 304)
			close_after = true;	/* the body runs to the close: not ours */
		if (c->in.len < hlen + clen)
			return 0;
		total = hlen + clen;
		hl_bot_response(r, c, code, p + hlen, clen, now);
	}
	hl_buf_consume(&c->in, total);
	if (close_after) {
		hl_conn_dead(r, c, NULL);
		return -1;
	}
	return 1;
}

/* ---- the loop ---- */

static void hl_bot_reconnect(struct hl_run *r, int i)
{
	struct hl_conn *old = r->bots[i];

	r->bots[i] = hl_conn_open(r, HL_C_BOT, i);
	r->reconnects++;
	free(old);
}

static void hl_conn_dead(struct hl_run *r, struct hl_conn *c, const char *why)
{
	bool was_busy = c->busy;
	struct hl_phase *ph = r->ph;

	if (c->state == HL_S_DEAD)
		return;
	hl_conn_close(r, c, false);
	if (c->type == HL_C_AGENT) {
		r->dead++;
		if (why && !c->idle)
			hl_fail(r, "agent %d's stream ended: %s", c->idx, why);
		else if (why && !r->err[0])
			hl_fmt(r->err, sizeof(r->err), "an idle stream ended: %s", why);
		return;
	}
	/* A bot: the request in flight is lost; come back on a new connection. */
	if (was_busy && c->req == HL_REQ_MESSAGE) {
		r->st[c->req_seq] |= HL_M_FAILED;
		if (ph && c->req_seq >= ph->first && c->req_seq < ph->end) {
			ph->answered++;
			ph->http_err++;
		}
	} else if (was_busy && c->req == HL_REQ_ESCALATION) {
		hl_fail(r, "the connection closed during POST /v1/escalations%s%s",
			why ? ": " : "", why ? why : "");
	}
	if (why && !r->err[0])
		hl_fmt(r->err, sizeof(r->err), "a bot connection ended: %s", why);
	r->dead_bots++;
	c->busy = false;
	c->state = HL_S_DEAD;
	if (r->reconnects > 100000)
		hl_fail(r, "the target keeps closing the bot's HTTP connections");
	/* Marked for hl_pump to replace once this batch of events is done. */
}

static void hl_on_writable(struct hl_run *r, struct hl_conn *c)
{
	if (c->state == HL_S_CONNECTING) {
		int err = 0;
		socklen_t el = sizeof(err);

		getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &el);
		if (err) {
			char why[128];

			hl_fmt(why, sizeof(why), "connect: %s", strerror(err));
			hl_conn_dead(r, c, why);
			return;
		}
		if (c->type == HL_C_AGENT) {
			hl_agent_start(r, c);
			return;
		}
		c->state = HL_S_OPEN;
	}
	hl_flush(r, c);
}

static void hl_on_readable(struct hl_run *r, struct hl_conn *c, int64_t now)
{
	char buf[65536];
	ssize_t n;
	int rounds;

	for (rounds = 0; rounds < 4 && c->state != HL_S_DEAD; rounds++) {
		n = recv(c->fd, buf, sizeof(buf), 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n <= 0) {
			hl_conn_dead(r, c, n == 0 ? "the target closed the connection" :
				     strerror(errno));
			return;
		}
		if (c->in.len + (size_t)n > HL_MAX_INBUF + 64) {
			hl_conn_dead(r, c, "the target sent more than 16 MiB without a break");
			return;
		}
		hl_buf_add(&c->in, buf, (size_t)n);
		if (c->type == HL_C_AGENT) {
			if (c->state == HL_S_HANDSHAKE && hl_ws_handshake(r, c) <= 0)
				return;
			if (hl_ws_frames(r, c, now) < 0)
				return;
		} else {
			while (c->in.len && hl_http_parse(r, c, now) > 0)
				;
		}
		if ((size_t)n < sizeof(buf))
			return;
	}
}

static void hl_sample(struct hl_run *r, int64_t now)
{
	long kb;

	if (now >= r->rss_next_us) {
		r->rss_next_us = now + 250000;
		kb = hl_proc_rss_kb(r->t->pid);
		if (kb > r->rss_max_kb)
			r->rss_max_kb = kb;
	}
	if (now >= r->child_next_us) {
		int status;

		r->child_next_us = now + 100000;
		if (waitpid(r->t->pid, &status, WNOHANG) == r->t->pid) {
			hl_child_forget(r->t->pid);
			r->t->pid = -1;
			hl_fail(r, "%s exited during the run (%s %d); see its log below",
				r->t->key, WIFSIGNALED(status) ? "signal" : "status",
				WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
		}
	}
}

/* One pass of the loop: waits up to timeout_us for sockets, handles them. */
static void hl_pump(struct hl_run *r, int64_t timeout_us)
{
	struct epoll_event ev[512];
	struct timespec ts = { (time_t)(timeout_us / 1000000), (long)(timeout_us % 1000000) * 1000 };
	int n, i;
	int64_t now;

	/* Microseconds, not epoll_wait's milliseconds: at 20,000 messages/s
	 * they are 50 us apart, and rounding would either bunch or spin. */
	n = epoll_pwait2(r->ep, ev, (int)BATON_ARRAY_LEN(ev), &ts, NULL);
	now = time_mono_us();
	for (i = 0; i < n; i++) {
		struct hl_conn *c = ev[i].data.ptr;

		if (c->state == HL_S_DEAD)
			continue;
		if (ev[i].events & EPOLLOUT)
			hl_on_writable(r, c);
		if (c->state != HL_S_DEAD && (ev[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP)))
			hl_on_readable(r, c, now);
	}
	/* Replace bots that died in this batch (not during it: their events
	 * may still be in ev[]). */
	for (i = 0; r->dead_bots && i < r->nbots && !hl_stop && !r->failed; i++)
		if (r->bots[i]->state == HL_S_DEAD) {
			int j;

			r->dead_bots--;
			for (j = 0; j < r->nfree; j++)
				if (r->free_bots[j] == i)
					break;
			hl_bot_reconnect(r, i);
			if (r->bots[i]->state == HL_S_DEAD)
				hl_fail(r, "cannot open a new bot connection: %s", r->err);
			else if (j == r->nfree)
				r->free_bots[r->nfree++] = i;
		}
	if (r->t->pid > 0)
		hl_sample(r, now);
}

/* Pumps until *count reaches want, or the deadline, a failure or Ctrl-C. */
static bool hl_wait_count(struct hl_run *r, const int *count, int want, int64_t us)
{
	int64_t deadline = time_mono_us() + us;

	while (*count < want && !r->failed && !hl_stop && time_mono_us() < deadline)
		hl_pump(r, 10000);
	return *count >= want;
}

static void hl_pump_for(struct hl_run *r, int64_t us)
{
	int64_t deadline = time_mono_us() + us;

	while (!hl_stop && !r->failed && time_mono_us() < deadline)
		hl_pump(r, 10000);
}

/* Opens count agent streams with tokens, a few handshakes at a time. */
static struct hl_conn **hl_open_agents(struct hl_run *r, int count, char **tokens,
				       int ntokens, bool idle, int64_t us)
{
	struct hl_conn **v = xcalloc((size_t)count, sizeof(*v));
	int64_t deadline = time_mono_us() + us;
	int opened = 0, base = r->welcomed, dead0 = r->dead;

	while (!hl_stop && !r->failed && time_mono_us() < deadline) {
		while (opened < count && opened - (r->welcomed - base) - (r->dead - dead0) <
		       HL_CONNECTS_AT_ONCE) {
			struct hl_conn *c = hl_conn_open(r, HL_C_AGENT, opened);

			c->idle = idle;
			c->token = tokens[opened % ntokens];
			v[opened++] = c;
			if (c->state == HL_S_DEAD)
				break;
		}
		if (r->welcomed - base + (r->dead - dead0) >= count)
			break;
		if (opened < count && r->dead > dead0 && !idle)
			break;
		hl_pump(r, 10000);
	}
	for (; opened < count; opened++) {
		v[opened] = xcalloc(1, sizeof(**v));
		v[opened]->fd = -1;
		v[opened]->state = HL_S_DEAD;
	}
	return v;
}

static void hl_free_conns(struct hl_run *r, struct hl_conn **v, int n, bool reset)
{
	int i;

	if (!v)
		return;
	for (i = 0; i < n; i++) {
		hl_conn_close(r, v[i], reset);
		free(v[i]);
	}
	free(v);
}

/* ---- the load ---- */

static void hl_post_message(struct hl_run *r, int64_t now)
{
	struct hl_conn *b = r->bots[r->free_bots[--r->nfree]];
	uint32_t seq = r->next_seq++;
	int agent = (int)(seq % (uint32_t)r->nagents);
	char path[128], body[256];
	int n;

	/* A realistic customer line, carrying what the agent side measures. */
	n = snprintf(body, sizeof(body),
		     "{\"from\":\"customer\",\"text\":\"HLT:%u:%d:%lld Hello, my parcel has not "
		     "arrived yet and the tracking page says nothing. Where is it?\"}",
		     seq, agent, (long long)now);
	snprintf(path, sizeof(path), "/v1/conversations/%s/messages", r->agents[agent]->conv);
	b->req = HL_REQ_MESSAGE;
	b->req_seq = seq;
	b->req_agent = agent;
	r->st[seq] |= HL_M_POSTED;
	if (r->ph && seq >= r->ph->first)
		r->ph->posted++;
	hl_bot_request(r, b, path, body, (size_t)n);
}

/*
 * Sends for us microseconds: rate per second (paced on the clock), or with
 * rate 0 as fast as free bot connections allow. ph (may be NULL for the
 * warm-up) collects the figures; afterwards waits for the answers and the
 * deliveries still on their way (bounded).
 */
static void hl_phase_run(struct hl_run *r, struct hl_phase *ph, int rate, int64_t us)
{
	struct hl_phase warm;
	int64_t t0, now, due, k = 0, deadline;
	double cpu0, gen0, b0[2] = { 0, 0 }, t0s[2] = { 0, 0 }, b1[2], t1s[2];
	double tick_ms = 1000.0 / (double)sysconf(_SC_CLK_TCK);
	long vcsw0;
	uint32_t i;
	int cpu;

	if (!ph) {
		memset(&warm, 0, sizeof(warm));
		ph = &warm;
	}
	ph->rate = rate;
	ph->first = r->next_seq;
	ph->end = r->cap;		/* open until the window closes */
	r->ph = ph;
	r->rss_max_kb = 0;
	cpu0 = hl_proc_cpu_ms(r->t->pid);
	gen0 = hl_self_cpu_ms();
	vcsw0 = hl_proc_vcsw(r->t->pid);
	for (cpu = 0; cpu < 2; cpu++)
		hl_cpu_ticks(cpu, &b0[cpu], &t0s[cpu]);
	t0 = time_mono_us();
	ph->t0 = t0;
	ph->t_end = t0 + us;
	while (!hl_stop && !r->failed) {
		int64_t timeout = 1000;

		now = time_mono_us();
		if (now >= ph->t_end)
			break;
		if (r->next_seq >= r->cap) {
			ph->capped = true;
			break;
		}
		if (rate > 0) {
			due = t0 + k * 1000000 / rate;
			while (due <= now && r->nfree > 0 && r->next_seq < r->cap) {
				if (now - due > 2000)
					ph->late++;
				hl_post_message(r, now);
				k++;
				due = t0 + k * 1000000 / rate;
			}
			if (due > now && r->nfree > 0)
				timeout = due - now;
		} else {
			while (r->nfree > 0 && r->next_seq < r->cap)
				hl_post_message(r, now);
		}
		if (timeout > ph->t_end - now)
			timeout = ph->t_end - now;
		hl_pump(r, timeout);
	}
	ph->end = r->next_seq;
	/* Drain: the answers and deliveries still on their way. */
	deadline = time_mono_us() + HL_DRAIN_US;
	while (!hl_stop && !r->failed && time_mono_us() < deadline &&
	       (ph->answered < ph->posted || ph->delivered < ph->accepted))
		hl_pump(r, 10000);
	now = time_mono_us();
	ph->wall_s = (double)(now - t0) / 1e6;
	ph->cpu_ms = hl_proc_cpu_ms(r->t->pid) - cpu0;
	ph->gen_cpu_ms = hl_self_cpu_ms() - gen0;
	ph->vcsw = hl_proc_vcsw(r->t->pid) - vcsw0;
	ph->other0 = ph->other1 = -1;
	if (hl_cpu_ticks(0, &b1[0], &t1s[0]) == 0 && hl_cpu_ticks(1, &b1[1], &t1s[1]) == 0 &&
	    t1s[0] > t0s[0] && t1s[1] > t0s[1]) {
		ph->other0 = ((b1[0] - b0[0]) * tick_ms - ph->cpu_ms) / ((t1s[0] - t0s[0]) * tick_ms);
		ph->other1 = ((b1[1] - b0[1]) * tick_ms - ph->gen_cpu_ms) /
			     ((t1s[1] - t0s[1]) * tick_ms);
		if (ph->other0 < 0)
			ph->other0 = 0;
		if (ph->other1 < 0)
			ph->other1 = 0;
	}
	for (i = ph->first; i < ph->end; i++)
		if ((r->st[i] & HL_M_ACCEPTED) && !(r->st[i] & HL_M_DELIVERED))
			ph->lost++;
	r->ph = NULL;
	if (ph == &warm) {
		free(warm.lat.v);
		free(warm.resp.v);
		return;
	}
	ph->ran = true;
	ph->dps = (double)ph->in_window / ((double)us / 1e6);
	ph->p50 = hl_lat_pct(&ph->lat, 0.50);
	ph->p99 = hl_lat_pct(&ph->lat, 0.99);
	ph->pmax = hl_lat_pct(&ph->lat, 1.0);
	ph->resp_p50 = hl_lat_pct(&ph->resp, 0.50);
	ph->resp_p99 = hl_lat_pct(&ph->resp, 0.99);
	ph->cpu_per_1000 = ph->delivered ? ph->cpu_ms * 1000.0 / (double)ph->delivered : -1;
	ph->cpu_util = ph->cpu_ms / (ph->wall_s * 1000.0);
	ph->gen_util = ph->gen_cpu_ms / (ph->wall_s * 1000.0);
	r->t->rss_load_kb = r->rss_max_kb > r->t->rss_load_kb ? r->rss_max_kb : r->t->rss_load_kb;
}

/* ---- per target ---- */

static int hl_free_port(void)
{
	struct sockaddr_in sa;
	socklen_t sl = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), port = -1;

	if (fd < 0)
		return -1;
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&sa, &sl) == 0)
		port = ntohs(sa.sin_port);
	close(fd);
	return port;
}

static bool hl_listening(int port)
{
	struct sockaddr_in sa;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	bool ok;

	if (fd < 0)
		return false;
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ok = connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
	close(fd);
	return ok;
}

static void hl_print_log_tail(const struct hl_target *t)
{
	size_t len = 0;
	char *s = file_read(t->log, 1 << 20, &len), *p, *line;
	int lines = 0;

	if (!s || !len) {
		free(s);
		return;
	}
	p = s + len;
	while (p > s && lines < 8)
		if (*--p == '\n' && p + 1 < s + len)
			lines++;
	fprintf(stderr, "  last lines of %s's log:\n", t->key);
	for (line = strtok(p, "\n"); line; line = strtok(NULL, "\n")) {
		char *c = text_sanitize_line(line, strlen(line), NULL);

		fprintf(stderr, "    %s\n", c);
		free(c);
	}
	free(s);
}

/* Starts the target on a free port; 0, or -1 with t->reason. */
static int hl_target_start(struct hl_target *t)
{
	char portstr[16], listen[64];
	int attempt, logfd;

	for (attempt = 0; attempt < 3 && !hl_stop; attempt++) {
		char *argv[12];
		int64_t deadline;

		t->port = hl_free_port();
		if (t->port < 0) {
			hl_fmt(t->reason, sizeof(t->reason), "no free loopback port: %s",
				 strerror(errno));
			return -1;
		}
		snprintf(portstr, sizeof(portstr), "%d", t->port);
		snprintf(listen, sizeof(listen), "127.0.0.1:%d", t->port);
		if (t->kind == HL_HUB) {
			argv[0] = t->prog;
			argv[1] = (char *)"--listen";
			argv[2] = listen;
			argv[3] = (char *)"--db";
			argv[4] = t->db;
			argv[5] = NULL;
		} else {
			int i = 0;

			argv[i++] = t->prog;
			if (t->kind == HL_NODE)
				argv[i++] = t->script;
			argv[i++] = (char *)"--host";
			argv[i++] = (char *)"127.0.0.1";
			argv[i++] = (char *)"--port";
			argv[i++] = portstr;
			argv[i] = NULL;
		}
		logfd = open(t->log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
		t->pid = hl_spawn(argv, logfd, logfd, true);
		if (logfd >= 0)
			close(logfd);
		if (t->pid < 0) {
			hl_fmt(t->reason, sizeof(t->reason), "fork: %s", strerror(errno));
			return -1;
		}
		deadline = time_mono_us() + HL_START_US;
		while (!hl_stop && time_mono_us() < deadline) {
			int status;

			if (waitpid(t->pid, &status, WNOHANG) == t->pid) {
				hl_child_forget(t->pid);
				t->pid = -1;
				break;
			}
			if (hl_listening(t->port))
				return 0;
			usleep(20000);
		}
		if (t->pid > 0) {
			kill(t->pid, SIGKILL);
			hl_child_reap(t->pid, 1000000);
			t->pid = -1;
			hl_fmt(t->reason, sizeof(t->reason),
				 "it did not listen on 127.0.0.1:%d within %d s", t->port,
				 (int)(HL_START_US / 1000000));
			return -1;
		}
		/* It exited: maybe the port was taken in between; try another. */
		hl_fmt(t->reason, sizeof(t->reason), "it exited at start (see its log)");
	}
	return -1;
}

static void hl_target_stop(struct hl_target *t)
{
	if (t->pid <= 0)
		return;
	kill(t->pid, SIGTERM);
	hl_child_reap(t->pid, HL_STOP_US);
	t->pid = -1;
}

/* Creates the tokens batond needs (before it starts, so it surely sees them). */
static int hl_hub_tokens(struct hl_target *t)
{
	char id[64], name[96], err[512];
	int i;

	t->nidle_tokens = hl_opt.idle < 16 ? (hl_opt.idle ? hl_opt.idle : 1) : 16;
	t->agent_tokens = xcalloc((size_t)hl_opt.agents, sizeof(char *));
	t->idle_tokens = xcalloc((size_t)t->nidle_tokens, sizeof(char *));
	for (i = -1; i < hl_opt.agents + t->nidle_tokens && !hl_stop; i++) {
		const char *role = "agent";
		char **slot;

		if (i < 0) {
			snprintf(id, sizeof(id), "hl-bot");
			snprintf(name, sizeof(name), "hub-load bot");
			role = "bot";
			slot = &t->bot_token;
		} else if (i < hl_opt.agents) {
			snprintf(id, sizeof(id), "hl-a%d", i);
			snprintf(name, sizeof(name), "Load Agent %d", i);
			slot = &t->agent_tokens[i];
		} else {
			snprintf(id, sizeof(id), "hl-idle%d", i - hl_opt.agents);
			snprintf(name, sizeof(name), "Idle Agent %d", i - hl_opt.agents);
			slot = &t->idle_tokens[i - hl_opt.agents];
		}
		char *argv[] = { t->prog, (char *)"--db", t->db, (char *)"token", (char *)"add",
				 (char *)"--id", id, (char *)"--role", (char *)role,
				 (char *)"--name", name, NULL };

		int logfd = open(t->log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);

		*slot = hl_run_capture(argv, logfd, 10000000, err, sizeof(err));
		if (logfd >= 0)
			close(logfd);
		if (!*slot) {
			hl_fmt(t->reason, sizeof(t->reason), "batond --db %s token add --id %s: %s",
				 t->db, id, err);
			hl_print_log_tail(t);
			return -1;
		}
	}
	return hl_stop ? -1 : 0;
}

static void hl_relay_tokens(struct hl_target *t)
{
	char id[64];
	int i;

	/* The relays keep no store: a token is the agent's id. */
	t->nidle_tokens = 1;
	t->bot_token = xstrdup("hl-bot");
	t->agent_tokens = xcalloc((size_t)hl_opt.agents, sizeof(char *));
	for (i = 0; i < hl_opt.agents; i++) {
		snprintf(id, sizeof(id), "hl-a%d", i);
		t->agent_tokens[i] = xstrdup(id);
	}
	t->idle_tokens = xcalloc(1, sizeof(char *));
	t->idle_tokens[0] = xstrdup("hl-idle");
}

/* Counts the benchmark's messages in the hub's store, after it stopped. */
static void hl_hub_count_stored(struct hl_target *t)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	const char *sql = "SELECT count(*) FROM messages WHERE text LIKE 'HLT:%'";

	t->stored = -1;
	if (sqlite3_open_v2(t->db, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
		hl_fmt(t->stored_note, sizeof(t->stored_note),
			 "not checked: %s (the query was: %s)", db ? sqlite3_errmsg(db) : "no memory",
			 sql);
		goto out;
	}
	if (sqlite3_step(st) == SQLITE_ROW)
		t->stored = sqlite3_column_int64(st, 0);
out:
	sqlite3_finalize(st);
	sqlite3_close(db);
}

static void hl_run_free(struct hl_run *r)
{
	hl_free_conns(r, r->idle, r->nidle, true);
	hl_free_conns(r, r->agents, r->nagents, false);
	hl_free_conns(r, r->bots, r->nbots, false);
	r->idle = r->agents = r->bots = NULL;
	free(r->free_bots);
	free(r->st);
	if (r->ep >= 0)
		close(r->ep);
}

static void hl_progress(const struct hl_target *t, const char *fmt, ...) BATON_PRINTF(2, 3);

static void hl_progress(const struct hl_target *t, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "hub-load: %-4s ", t->key);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static void hl_target_measure(struct hl_target *t, struct hl_run *r)
{
	int64_t us = (int64_t)hl_opt.seconds * 1000000;
	int i;

	usleep(300000);
	t->rss_idle_kb = hl_proc_rss_kb(t->pid);
	hl_progress(t, "listening on 127.0.0.1:%d, idle RSS %ld KiB", t->port, t->rss_idle_kb);

	/* Idle agents: the memory an open, authenticated stream costs. */
	if (hl_opt.idle > 0) {
		r->welcomed = 0;
		r->idle = hl_open_agents(r, hl_opt.idle, t->idle_tokens, t->nidle_tokens, true,
					 30000000 + (int64_t)hl_opt.idle * 4000);
		r->nidle = hl_opt.idle;
		t->idle_open = r->welcomed;
		if (r->welcomed < hl_opt.idle)
			hl_progress(t, "only %d of %d idle streams got a welcome%s%s", r->welcomed,
				    hl_opt.idle, r->err[0] ? ": " : "", r->err);
		hl_pump_for(r, 1000000);	/* let it settle */
		t->rss_conns_kb = hl_proc_rss_kb(t->pid);
		if (t->idle_open > 0 && t->rss_conns_kb > 0 && t->rss_idle_kb > 0)
			t->idle_bytes_per_conn = (double)(t->rss_conns_kb - t->rss_idle_kb) *
						 1024.0 / t->idle_open;
		hl_progress(t, "%d idle streams open, RSS %ld KiB", t->idle_open, t->rss_conns_kb);
		if (!hl_opt.keep_idle) {
			hl_free_conns(r, r->idle, r->nidle, true);
			r->idle = NULL;
			r->nidle = 0;
			hl_pump_for(r, 500000);
		}
		r->err[0] = '\0';
	}
	if (r->failed || hl_stop)
		return;

	/* The working set: bots, agents, one conversation each, claimed. */
	r->nbots = hl_opt.inflight;
	r->bots = xcalloc((size_t)r->nbots, sizeof(*r->bots));
	r->free_bots = xcalloc((size_t)r->nbots, sizeof(int));
	for (i = 0; i < r->nbots; i++) {
		r->bots[i] = hl_conn_open(r, HL_C_BOT, i);
		if (r->bots[i]->state == HL_S_DEAD) {
			hl_fail(r, "%s", r->err);
			return;
		}
		r->free_bots[r->nfree++] = i;
	}
	r->welcomed = 0;
	r->agents = hl_open_agents(r, hl_opt.agents, t->agent_tokens, hl_opt.agents, false,
				   30000000);
	r->nagents = hl_opt.agents;
	if (r->welcomed < hl_opt.agents) {
		hl_fail(r, "only %d of %d agents got a welcome%s%s", r->welcomed, hl_opt.agents,
			r->err[0] ? ": " : "", r->err);
		return;
	}
	for (i = 0; i < hl_opt.agents && !r->failed && !hl_stop; i++) {
		char body[1024];
		int n;

		while (!r->nfree && !r->failed && !hl_stop)
			hl_pump(r, 10000);
		if (r->failed || hl_stop)
			return;
		struct hl_conn *b = r->bots[r->free_bots[--r->nfree]];

		n = snprintf(body, sizeof(body),
			     "{\"external_id\":\"hl-%d-%d\",\"channel\":\"web\",\"language\":\"en\","
			     "\"priority\":\"normal\",\"escalation\":{\"reason\":{\"code\":"
			     "\"customer_request\",\"text\":\"The customer asked for a person.\"},"
			     "\"confidence\":0.42,\"sentiment\":-0.3,\"skills\":[],\"summary\":"
			     "\"hub-load conversation %d: a parcel that has not arrived.\","
			     "\"attempted\":[]},\"customer\":{\"id\":\"cu-hl-%d\",\"name\":"
			     "\"Load Customer %d\",\"email\":\"load%d@example.com\",\"tier\":"
			     "\"standard\",\"currency\":\"EUR\",\"orders\":[]},\"transcript\":[]}",
			     (int)getpid(), i, i, i, i, i);
		b->req = HL_REQ_ESCALATION;
		b->req_agent = i;
		hl_bot_request(r, b, "/v1/escalations", body, (size_t)n);
	}
	if (!hl_wait_count(r, &r->esc_done, hl_opt.agents, 30000000)) {
		hl_fail(r, "only %d of %d escalations were created%s%s", r->esc_done,
			hl_opt.agents, r->err[0] ? ": " : "", r->err);
		return;
	}
	for (i = 0; i < hl_opt.agents; i++)
		hl_agent_claim(r, r->agents[i]);
	if (!hl_wait_count(r, &r->claimed, hl_opt.agents, 30000000)) {
		hl_fail(r, "only %d of %d claims succeeded%s%s", r->claimed, hl_opt.agents,
			r->err[0] ? ": " : "", r->err);
		return;
	}
	hl_progress(t, "%d agents each claimed a conversation; warming up", hl_opt.agents);
	t->rss_setup_kb = hl_proc_rss_kb(t->pid);

	hl_phase_run(r, NULL, hl_opt.rate, HL_WARMUP_US);
	if (hl_opt.rate > 0 && !r->failed && !hl_stop) {
		hl_phase_run(r, &t->ph_rate, hl_opt.rate, us);
		hl_progress(t, "at %d/s: %.0f delivered/s, p99 %.2f ms", hl_opt.rate,
			    t->ph_rate.dps, t->ph_rate.p99);
	}
	if (!r->failed && !hl_stop) {
		hl_phase_run(r, &t->ph_max, 0, us);
		hl_progress(t, "as fast as it goes (%d in flight): %.0f delivered/s, p99 %.2f ms",
			    hl_opt.inflight, t->ph_max.dps, t->ph_max.p99);
	}
	t->accepted_total = r->accepted_total;
	t->rss_end_kb = hl_proc_rss_kb(t->pid);
}

static void hl_target_run(struct hl_target *t)
{
	struct hl_run r;
	size_t i;

	memset(&r, 0, sizeof(r));
	r.ep = -1;
	r.t = t;
	for (i = 0; i < BATON_ARRAY_LEN(hl_tmpdirs); i++)
		if (!hl_tmpdirs[i][0])
			break;
	hl_fmt(t->dir, sizeof(t->dir), "%s/hub-load-%s.XXXXXX",
	       getenv("TMPDIR") && *getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp", t->key);
	if (!mkdtemp(t->dir)) {
		hl_fmt(t->reason, sizeof(t->reason), "mkdtemp %s: %s (set TMPDIR to a writable "
		       "directory)", t->dir, strerror(errno));
		t->failed = true;
		return;
	}
	struct statfs sfs;

	/* A store on tmpfs makes every fsync free: the hub would look faster
	 * than it is on a disk. Say so next to the figures. */
	t->on_tmpfs = statfs(t->dir, &sfs) == 0 && sfs.f_type == 0x01021994;	/* TMPFS_MAGIC */
	if (i < BATON_ARRAY_LEN(hl_tmpdirs))
		hl_fmt(hl_tmpdirs[i], sizeof(hl_tmpdirs[i]), "%s", t->dir);
	hl_fmt(t->db, sizeof(t->db), "%s/hub.db", t->dir);
	hl_fmt(t->log, sizeof(t->log), "%s/%s.log", t->dir, t->key);

	if (t->kind == HL_HUB) {
		hl_progress(t, "creating %d tokens", hl_opt.agents + 17);
		if (hl_hub_tokens(t) < 0) {
			t->failed = true;
			return;
		}
	} else {
		hl_relay_tokens(t);
	}
	if (hl_target_start(t) < 0) {
		t->failed = true;
		hl_progress(t, "cannot start: %s", t->reason);
		hl_print_log_tail(t);
		return;
	}
	r.ep = epoll_create1(EPOLL_CLOEXEC);
	r.cap = (uint32_t)((int64_t)hl_opt.rate * (hl_opt.seconds + 2) +
			   (int64_t)HL_MAX_MSGS_PER_S * (hl_opt.seconds + 1) + 100000);
	r.st = xcalloc(r.cap, 1);
	hl_target_measure(t, &r);
	if (!r.failed && r.err[0])
		hl_fmt(t->note, sizeof(t->note), "%s", r.err);
	t->reconnects = r.reconnects;
	hl_run_free(&r);
	if (r.failed || hl_stop) {
		t->failed = true;
		hl_fmt(t->reason, sizeof(t->reason), "%s", hl_stop ? "interrupted" : r.err);
	}
	if (r.failed)
		hl_progress(t, "failed: %s", r.err);
	hl_target_stop(t);
	if (r.failed)
		hl_print_log_tail(t);
	if (t->kind == HL_HUB && !hl_stop && t->accepted_total > 0)
		hl_hub_count_stored(t);
}

/* ---- finding the targets ---- */

static bool hl_is_exec(const char *path)
{
	return access(path, X_OK) == 0;
}

/* Finds name in $PATH into out; false if it is not there. */
static bool hl_which(const char *name, char *out, size_t len)
{
	const char *path = getenv("PATH");
	char *copy, *dir, *save = NULL;
	bool found = false;

	if (!path)
		return false;
	copy = xstrdup(path);
	for (dir = strtok_r(copy, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
		hl_fmt(out, len, "%s/%s", dir, name);
		if (hl_is_exec(out)) {
			found = true;
			break;
		}
	}
	free(copy);
	return found;
}

/* The build directory: --build, $BUILD, or the one this program is in. */
static void hl_build_dir(char *out, size_t len)
{
	char exe[PATH_MAX];
	ssize_t n;
	char *s;

	if (hl_opt.build) {
		hl_fmt(out, len, "%s", hl_opt.build);
		return;
	}
	if (getenv("BUILD") && *getenv("BUILD")) {
		hl_fmt(out, len, "%s", getenv("BUILD"));
		return;
	}
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = '\0';
		/* $BUILD/bench/hub-load → $BUILD */
		if ((s = strrchr(exe, '/')))
			*s = '\0';
		if ((s = strrchr(exe, '/')) && strcmp(s, "/bench") == 0) {
			*s = '\0';
			hl_fmt(out, len, "%s", exe);
			return;
		}
	}
	snprintf(out, len, "build");
}

/* bench/relay-node: --node-dir, ./bench/relay-node, or up from this program. */
static bool hl_node_dir(char *out, size_t len)
{
	char exe[PATH_MAX], probe[PATH_MAX + 64];
	ssize_t n;
	char *s;
	int up;

	if (hl_opt.node_dir) {
		hl_fmt(out, len, "%s", hl_opt.node_dir);
		hl_fmt(probe, sizeof(probe), "%s/relay.js", out);
		return access(probe, R_OK) == 0;
	}
	if (access("bench/relay-node/relay.js", R_OK) == 0 && getcwd(exe, sizeof(exe))) {
		hl_fmt(out, len, "%s/bench/relay-node", exe);
		return true;
	}
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0)
		return false;
	exe[n] = '\0';
	for (up = 0; up < 5 && (s = strrchr(exe, '/')); up++) {
		*s = '\0';
		hl_fmt(probe, sizeof(probe), "%s/bench/relay-node/relay.js", exe);
		if (access(probe, R_OK) == 0) {
			hl_fmt(out, len, "%s/bench/relay-node", exe);
			return true;
		}
	}
	return false;
}

/* Installs npm's ws into dir/node_modules when it is not there yet. */
static int hl_npm_install(const char *dir, char *why, size_t len)
{
	char probe[PATH_MAX + 64], npm[PATH_MAX], logp[PATH_MAX + 64];
	int fd, status;
	pid_t pid;

	hl_fmt(probe, sizeof(probe), "%s/node_modules/ws/package.json", dir);
	if (access(probe, R_OK) == 0)
		return 0;
	if (!hl_which("npm", npm, sizeof(npm))) {
		hl_fmt(why, len, "npm is not installed (apt-get install npm) and %s/node_modules "
			 "has no ws", dir);
		return -1;
	}
	fprintf(stderr, "hub-load: node npm install --prefix %s (once)\n", dir);
	hl_fmt(logp, sizeof(logp), "/tmp/hub-load-npm.%d.log", (int)getpid());
	fd = open(logp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	char *argv[] = { npm, (char *)"install", (char *)"--prefix", (char *)dir,
			 (char *)"--no-audit", (char *)"--no-fund", NULL };

	pid = hl_spawn(argv, fd, fd, false);
	if (fd >= 0)
		close(fd);
	if (pid < 0) {
		hl_fmt(why, len, "fork: %s", strerror(errno));
		return -1;
	}
	status = hl_child_reap(pid, 180000000);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || access(probe, R_OK) != 0) {
		hl_fmt(why, len, "npm install --prefix %s failed (no network to the npm "
			 "registry?); its output is in %s", dir, logp);
		return -1;
	}
	unlink(logp);
	return 0;
}

/* ---- the table ---- */

static void hl_cell(char *out, size_t len, double v, int decimals)
{
	if (v < 0 || v != v)
		snprintf(out, len, "-");
	else
		snprintf(out, len, "%.*f", decimals, v);
}

static void hl_ratio(char *out, size_t len, double hub, double base)
{
	if (hub < 0 || base <= 0 || hub != hub || base != base)
		snprintf(out, len, "-");
	else
		snprintf(out, len, "%.2fx", hub / base);
}

typedef double (*hl_getter)(const struct hl_target *t);

static double hl_g_rss_idle(const struct hl_target *t)
{
	return t->rss_idle_kb > 0 ? t->rss_idle_kb / 1024.0 : -1;
}

static double hl_g_idle_conn(const struct hl_target *t)
{
	return t->idle_open > 0 ? t->idle_bytes_per_conn : -1;
}

static double hl_g_rss_load(const struct hl_target *t)
{
	return t->rss_load_kb > 0 ? t->rss_load_kb / 1024.0 : -1;
}

/* What the messages left behind: a store keeps nothing in memory per
 * message, so anything steady here is a leak or an unbounded cache. */
static double hl_g_rss_growth(const struct hl_target *t)
{
	if (t->rss_setup_kb <= 0 || t->rss_end_kb <= 0 || t->accepted_total < 10000)
		return -1;
	if (t->rss_end_kb <= t->rss_setup_kb)
		return 0;	/* it gave memory back: nothing kept */
	return (double)(t->rss_end_kb - t->rss_setup_kb) * 1000.0 / (double)t->accepted_total;
}

static double hl_g_rate_dps(const struct hl_target *t)
{
	return t->ph_rate.ran ? t->ph_rate.dps : -1;
}

static double hl_g_rate_p50(const struct hl_target *t)
{
	return t->ph_rate.ran ? t->ph_rate.p50 : -1;
}

static double hl_g_rate_p99(const struct hl_target *t)
{
	return t->ph_rate.ran ? t->ph_rate.p99 : -1;
}

static double hl_g_rate_resp99(const struct hl_target *t)
{
	return t->ph_rate.ran ? t->ph_rate.resp_p99 : -1;
}

static const struct hl_phase *hl_cpu_phase(const struct hl_target *t)
{
	return t->ph_rate.ran ? &t->ph_rate : t->ph_max.ran ? &t->ph_max : NULL;
}

static double hl_g_cpu(const struct hl_target *t)
{
	const struct hl_phase *ph = hl_cpu_phase(t);

	return ph ? ph->cpu_per_1000 : -1;
}

static double hl_g_max_dps(const struct hl_target *t)
{
	return t->ph_max.ran ? t->ph_max.dps : -1;
}

static double hl_g_max_p50(const struct hl_target *t)
{
	return t->ph_max.ran ? t->ph_max.p50 : -1;
}

static double hl_g_max_p99(const struct hl_target *t)
{
	return t->ph_max.ran ? t->ph_max.p99 : -1;
}

static double hl_g_max_cpu(const struct hl_target *t)
{
	return t->ph_max.ran ? t->ph_max.cpu_util * 100.0 : -1;
}

static double hl_g_bad(const struct hl_target *t)
{
	const struct hl_phase *a = &t->ph_rate, *b = &t->ph_max;

	if (!a->ran && !b->ran)
		return -1;
	return (double)(a->lost + b->lost + a->dup + b->dup + a->misrouted + b->misrouted +
			a->http_err + b->http_err);
}

/* A goal's verdict for the hub: "" when there is nothing to judge. */
static const char *hl_verdict(const struct hl_target *tg, bool judged, bool met)
{
	if (tg[HL_HUB].skipped || tg[HL_HUB].failed || !judged)
		return "";
	if (hl_quick)
		return "(not judged: BENCH_QUICK)";
	return met ? "MET" : "MISSED";
}

static void hl_goal_idle(const struct hl_target *tg, char *out, size_t len)
{
	double v = hl_g_idle_conn(&tg[HL_HUB]);

	snprintf(out, len, "<= 4096 above idle, at 5000 %s",
		 hl_verdict(tg, v >= 0 && hl_opt.idle >= 5000, v <= HL_GOAL_IDLE_BYTES));
}

static void hl_goal_growth(const struct hl_target *tg, char *out, size_t len)
{
	double v = hl_g_rss_growth(&tg[HL_HUB]);

	/* Not one of the goals: a hub that runs for months must not
	 * keep memory per message. A few KiB of noise is allocator slack. */
	snprintf(out, len, "~0 (months of uptime) %s", hl_verdict(tg, v >= 0, v < 16));
}

static void hl_goal_rate(const struct hl_target *tg, char *out, size_t len)
{
	double v = hl_g_rate_dps(&tg[HL_HUB]);

	snprintf(out, len, ">= 20000, all durable %s",
		 hl_verdict(tg, v >= 0 && hl_opt.rate >= HL_GOAL_RATE,
			    v >= HL_GOAL_RATE * 0.99 && tg[HL_HUB].ph_rate.lost == 0 &&
			    tg[HL_HUB].stored >= tg[HL_HUB].accepted_total));
}

static void hl_goal_p99(const struct hl_target *tg, char *out, size_t len)
{
	double v = hl_g_rate_p99(&tg[HL_HUB]);

	snprintf(out, len, "<= 10 at 20000/s %s",
		 hl_verdict(tg, v >= 0 && hl_opt.rate >= HL_GOAL_RATE, v <= HL_GOAL_P99_MS));
}

static void hl_goal_cpu(const struct hl_target *tg, char *out, size_t len)
{
	double h = hl_g_cpu(&tg[HL_HUB]), n = tg[HL_NODE].skipped ? -1 : hl_g_cpu(&tg[HL_NODE]);

	snprintf(out, len, "<= 0.3x node %s",
		 hl_verdict(tg, h >= 0 && n > 0, h <= HL_GOAL_CPU_RATIO * n));
}

static void hl_goal_tput(const struct hl_target *tg, char *out, size_t len)
{
	double h = hl_g_max_dps(&tg[HL_HUB]), l = tg[HL_LWS].skipped ? -1 : hl_g_max_dps(&tg[HL_LWS]);

	snprintf(out, len, ">= 0.5x lws %s",
		 hl_verdict(tg, h >= 0 && l > 0, h >= HL_GOAL_TPUT_RATIO * l));
}

static void hl_goal_bad(const struct hl_target *tg, char *out, size_t len)
{
	double v = hl_g_bad(&tg[HL_HUB]);

	snprintf(out, len, "0 %s", hl_verdict(tg, v >= 0, v == 0));
}

struct hl_row {
	const char *label;
	hl_getter get;
	int decimals;
	void (*goal)(const struct hl_target *tg, char *out, size_t len);
};

static const struct hl_row hl_rows[] = {
	{ "idle RSS (MiB)", hl_g_rss_idle, 1, NULL },
	{ "RSS per idle agent (bytes)", hl_g_idle_conn, 0, hl_goal_idle },
	{ "peak RSS under load (MiB)", hl_g_rss_load, 1, NULL },
	{ "RSS kept per 1,000 msgs (KiB)", hl_g_rss_growth, 1, hl_goal_growth },
	{ "delivered/s at --rate", hl_g_rate_dps, 0, hl_goal_rate },
	{ "  latency p50 (ms)", hl_g_rate_p50, 2, NULL },
	{ "  latency p99 (ms)", hl_g_rate_p99, 2, hl_goal_p99 },
	{ "  POST->202 p99 (ms)", hl_g_rate_resp99, 2, NULL },
	{ "CPU ms per 1,000 deliveries", hl_g_cpu, 1, hl_goal_cpu },
	{ "max delivered/s", hl_g_max_dps, 0, hl_goal_tput },
	{ "  latency p50 at max (ms)", hl_g_max_p50, 2, NULL },
	{ "  latency p99 at max (ms)", hl_g_max_p99, 2, NULL },
	{ "  target CPU busy at max (%)", hl_g_max_cpu, 0, NULL },
	{ "lost+dup+misrouted+HTTP err", hl_g_bad, 0, hl_goal_bad },
};

static void hl_print_table(const struct hl_target *tg)
{
	size_t i;
	int k;

	printf("\nhub-load: %d agents, %d idle agents, --rate %d/s and then as fast as it goes "
	       "with %d POSTs in flight, %d s each%s%s\n", hl_opt.agents, hl_opt.idle, hl_opt.rate,
	       hl_opt.inflight, hl_opt.seconds, hl_opt.set_nice ? ", reniced" : "",
	       hl_opt.keep_idle ? ", idle streams open during the load" : "");
	printf("%-30s %10s %10s %10s %9s %9s  %s\n", "", "hub", "node", "lws", "hub/node",
	       "hub/lws", "goal (hub)");
	for (i = 0; i < BATON_ARRAY_LEN(hl_rows); i++) {
		char cells[HL_NKINDS][32], rn[16], rl[16], goal[96];
		double v[HL_NKINDS];

		for (k = 0; k < HL_NKINDS; k++) {
			v[k] = tg[k].skipped ? -1 : hl_rows[i].get(&tg[k]);
			hl_cell(cells[k], sizeof(cells[k]), v[k], hl_rows[i].decimals);
		}
		hl_ratio(rn, sizeof(rn), v[HL_HUB], v[HL_NODE]);
		hl_ratio(rl, sizeof(rl), v[HL_HUB], v[HL_LWS]);
		goal[0] = '\0';
		if (hl_rows[i].goal)
			hl_rows[i].goal(tg, goal, sizeof(goal));
		printf("%-30s %10s %10s %10s %9s %9s  %s\n", hl_rows[i].label, cells[HL_HUB],
		       cells[HL_NODE], cells[HL_LWS], rn, rl, goal);
	}
	printf("\n");
	for (k = 0; k < HL_NKINDS; k++) {
		const struct hl_target *t = &tg[k];
		const struct hl_phase *ph = hl_cpu_phase(t);

		if (t->skipped) {
			printf("%s: skipped: %s\n", t->key, t->reason);
			continue;
		}
		if (t->failed)
			printf("%s: FAILED: %s\n", t->key, t->reason);
		if (t->note[0])
			printf("%s: first error seen: %s\n", t->key, t->note);
		if (t->reconnects)
			printf("%s: it closed %d keep-alive bot connections (each one reopened, and "
			       "counted in the latency)\n", t->key, t->reconnects);
		if (t->ph_rate.ran)
			printf("%s: at --rate: offered %.0f/s (%lld sent >2 ms behind schedule: every "
			       "one of %d connections was waiting for an answer), target CPU %.0f%%, "
			       "generator CPU %.0f%%%s\n", t->key,
			       (double)t->ph_rate.posted / hl_opt.seconds, (long long)t->ph_rate.late,
			       hl_opt.inflight, t->ph_rate.cpu_util * 100, t->ph_rate.gen_util * 100,
			       t->ph_rate.capped ? " (message cap reached)" : "");
		if (t->ph_max.ran)
			printf("%s: at max: POST->202 p50 %.2f ms p99 %.2f ms, target CPU %.0f%%, "
			       "%.0f voluntary context switches/s, generator CPU %.0f%%\n", t->key,
			       t->ph_max.resp_p50, t->ph_max.resp_p99, t->ph_max.cpu_util * 100,
			       t->ph_max.wall_s > 0 ? t->ph_max.vcsw / t->ph_max.wall_s : 0,
			       t->ph_max.gen_util * 100);
		double o0 = t->ph_rate.other0 > t->ph_max.other0 ? t->ph_rate.other0 : t->ph_max.other0;
		double o1 = t->ph_rate.other1 > t->ph_max.other1 ? t->ph_rate.other1 : t->ph_max.other1;

		if (ph && (o0 > 0.05 || o1 > 0.05))
			printf("%s: WARNING: other processes used up to %.0f%% of CPU 0 (the target's) "
			       "and %.0f%% of CPU 1 (the generator's) during the measured phases: "
			       "these figures are pessimistic; run on a quiet machine\n", t->key,
			       o0 * 100, o1 * 100);
		if (ph)
			printf("%s: lost %lld, duplicates %lld, misrouted %lld, HTTP errors %lld\n",
			       t->key, (long long)(t->ph_rate.lost + t->ph_max.lost),
			       (long long)(t->ph_rate.dup + t->ph_max.dup),
			       (long long)(t->ph_rate.misrouted + t->ph_max.misrouted),
			       (long long)(t->ph_rate.http_err + t->ph_max.http_err));
		if (k == HL_HUB && t->on_tmpfs)
			printf("hub: WARNING: its store was on tmpfs (%s), where fsync costs nothing; "
			       "set TMPDIR to a directory on a disk for real figures\n", t->dir);
		if (k == HL_HUB && t->accepted_total > 0) {
			if (t->stored >= 0)
				printf("hub: store holds %lld of the %lld messages it answered 202 for "
				       "(%s)\n", t->stored, (long long)t->accepted_total,
				       t->stored >= t->accepted_total ? "all durable: MET" : "MISSED");
			else
				printf("hub: durability %s\n", t->stored_note);
		}
	}
	if (tg[HL_NODE].ph_rate.ran || tg[HL_NODE].ph_max.ran)
		printf("Goals are issue 3's, for this 2-core machine; a generator CPU near 100%% "
		       "means the generator, not the target, set the pace.\n");
}

/* ---- main ---- */

static void hl_usage(FILE *f)
{
	fprintf(f,
		"usage: hub-load [--agents N] [--idle N] [--rate R] [--seconds S]\n"
		"                [--inflight N] [--only hub|node|lws] [--build DIR]\n"
		"                [--node-dir DIR] [--keep] [--keep-idle] [--nice N] [--help]\n"
		"Load benchmark of batond against a Node ws relay and a bare libwebsockets\n"
		"relay (bench/hub-load.md). Each target runs pinned to CPU 0, this program on\n"
		"CPU 1, on 127.0.0.1 only.\n"
		"  --agents N     agent streams that each own one conversation (default %d)\n"
		"  --idle N       idle agent streams for the memory figure (default %d; 0: skip)\n"
		"  --rate R       customer messages per second in the paced phase (default %d;\n"
		"                 0: skip it)\n"
		"  --seconds S    length of each measured phase (default %d)\n"
		"  --inflight N   bot HTTP connections = POSTs in flight (default %d)\n"
		"  --only T       run one target: hub, node or lws\n"
		"  --build DIR    where batond and bench/peers/relay-lws are (default $BUILD,\n"
		"                 else the build directory this program is in)\n"
		"  --node-dir DIR bench/relay-node (default: found from here)\n"
		"  --keep         keep the temporary directories (store, logs)\n"
		"  --keep-idle    keep the --idle streams open during the load phases\n"
		"  --nice N       run the generator and the targets at this nice value (a\n"
		"                 negative one needs root; for a machine others also use)\n"
		"BENCH_QUICK=1 in the environment makes the defaults a short run (20 agents,\n"
		"500 idle, 2000/s, 1 s phases, 32 in flight).\n",
		HL_DEF_AGENTS, HL_DEF_IDLE, HL_DEF_RATE, HL_DEF_SECONDS, HL_DEF_INFLIGHT);
}

static int hl_parse_int(const char *opt, const char *s, int min, int max, int *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v < min || v > max) {
		fprintf(stderr, "hub-load: %s takes a whole number from %d to %d, not \"%s\"\n",
			opt, min, max, s);
		return -1;
	}
	*out = (int)v;
	return 0;
}

static int hl_parse_args(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "agents", required_argument, NULL, 'a' },
		{ "idle", required_argument, NULL, 'i' },
		{ "rate", required_argument, NULL, 'r' },
		{ "seconds", required_argument, NULL, 's' },
		{ "inflight", required_argument, NULL, 'f' },
		{ "only", required_argument, NULL, 'o' },
		{ "build", required_argument, NULL, 'b' },
		{ "node-dir", required_argument, NULL, 'n' },
		{ "keep", no_argument, NULL, 'k' },
		{ "keep-idle", no_argument, NULL, 'K' },
		{ "nice", required_argument, NULL, 'N' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int c;

	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 'a':
			if (hl_parse_int("--agents", optarg, 1, 20000, &hl_opt.agents) < 0)
				return -1;
			break;
		case 'i':
			if (hl_parse_int("--idle", optarg, 0, 50000, &hl_opt.idle) < 0)
				return -1;
			break;
		case 'r':
			if (hl_parse_int("--rate", optarg, 0, HL_MAX_RATE, &hl_opt.rate) < 0)
				return -1;
			break;
		case 's':
			if (hl_parse_int("--seconds", optarg, 1, HL_MAX_SECONDS, &hl_opt.seconds) < 0)
				return -1;
			break;
		case 'f':
			if (hl_parse_int("--inflight", optarg, 1, HL_MAX_INFLIGHT,
					 &hl_opt.inflight) < 0)
				return -1;
			break;
		case 'o':
			if (strcmp(optarg, "hub") && strcmp(optarg, "node") && strcmp(optarg, "lws")) {
				fprintf(stderr, "hub-load: --only takes hub, node or lws, not \"%s\"\n",
					optarg);
				return -1;
			}
			hl_opt.only = optarg;
			break;
		case 'b':
			hl_opt.build = optarg;
			break;
		case 'n':
			hl_opt.node_dir = optarg;
			break;
		case 'k':
			hl_opt.keep = true;
			break;
		case 'K':
			hl_opt.keep_idle = true;
			break;
		case 'N':
			if (hl_parse_int("--nice", optarg, -20, 19, &hl_opt.nice) < 0)
				return -1;
			hl_opt.set_nice = true;
			break;
		case 'h':
			hl_usage(stdout);
			exit(0);
		default:
			hl_usage(stderr);
			return -1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "hub-load: unexpected argument \"%s\"\n", argv[optind]);
		hl_usage(stderr);
		return -1;
	}
	if ((int64_t)hl_opt.agents + hl_opt.idle + hl_opt.inflight > HL_MAX_CONNS) {
		fprintf(stderr, "hub-load: --agents + --idle + --inflight is over %d connections, "
			"more than loopback has ports for\n", HL_MAX_CONNS);
		return -1;
	}
	return 0;
}

/* Enough descriptors for every stream here and in the target (it inherits). */
static int hl_raise_nofile(void)
{
	struct rlimit rl;
	rlim_t need = (rlim_t)hl_opt.idle + (rlim_t)hl_opt.agents + (rlim_t)hl_opt.inflight + 256;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0) {
		fprintf(stderr, "hub-load: getrlimit: %s\n", strerror(errno));
		return -1;
	}
	if (rl.rlim_cur >= need)
		return 0;
	if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < need) {
		fprintf(stderr,
			"hub-load: this run needs %llu open files but the hard limit is %llu. "
			"Raise it (as root: ulimit -Hn %llu, or LimitNOFILE= in a systemd unit) "
			"or ask for fewer: --idle %llu.\n", (unsigned long long)need,
			(unsigned long long)rl.rlim_max, (unsigned long long)need,
			(unsigned long long)(rl.rlim_max > (rlim_t)hl_opt.agents + hl_opt.inflight + 256 ?
					     rl.rlim_max - hl_opt.agents - hl_opt.inflight - 256 : 0));
		return -1;
	}
	rl.rlim_cur = need;
	if (setrlimit(RLIMIT_NOFILE, &rl) < 0) {
		fprintf(stderr, "hub-load: cannot raise the open-file limit to %llu: %s\n",
			(unsigned long long)need, strerror(errno));
		return -1;
	}
	return 0;
}

/*
 * --nice: for ourselves (the targets inherit it) and, where the kernel
 * groups scheduling by session (autogroup), for our session's group too:
 * there a process's nice only ranks it within its own session, so against
 * other people's builds it would change nothing.
 */
static int hl_renice(int nice)
{
	FILE *f;

	if (setpriority(PRIO_PROCESS, 0, nice) < 0) {
		fprintf(stderr, "hub-load: cannot set nice %d: %s (a negative value needs root)\n",
			nice, strerror(errno));
		return -1;
	}
	f = fopen("/proc/self/autogroup", "r");
	if (!f)
		return 0;
	/* "/autogroup-13 nice 0": the group is our caller's shell's too, so
	 * hl_cleanup puts its nice back. */
	if (fscanf(f, "%*s nice %d", &hl_autogroup_nice) != 1)
		hl_autogroup_nice = 0;
	fclose(f);
	if (hl_autogroup_write(nice) < 0)
		fprintf(stderr, "hub-load: cannot set our session's autogroup nice to %d: %s\n",
			nice, strerror(errno));
	else
		hl_autogroup_set = true;
	return 0;
}

static void hl_pin_self(void)
{
	cpu_set_t set;

	if (sysconf(_SC_NPROCESSORS_ONLN) < 2) {
		fprintf(stderr, "hub-load: one CPU only: the generator and the target share it, "
			"so the figures are lower than on the 2-core reference\n");
		return;
	}
	CPU_ZERO(&set);
	CPU_SET(1, &set);
	if (sched_setaffinity(0, sizeof(set), &set) < 0)
		fprintf(stderr, "hub-load: cannot pin myself to CPU 1: %s\n", strerror(errno));
}

int main(int argc, char **argv)
{
	struct hl_target tg[HL_NKINDS];
	char build[PATH_MAX], nodedir[PATH_MAX], why[512];
	struct sigaction sa;
	int k, ran = 0;

	/* bench/run's short mode: every figure once, in seconds, not minutes.
	 * Options given still win. */
	if (getenv("BENCH_QUICK") && strcmp(getenv("BENCH_QUICK"), "1") == 0) {
		hl_quick = true;
		hl_opt.agents = 20;
		hl_opt.idle = 500;
		hl_opt.rate = 2000;
		hl_opt.seconds = 1;
		hl_opt.inflight = 32;
	}
	if (hl_parse_args(argc, argv) < 0)
		return 2;
	if (hl_raise_nofile() < 0)
		return 1;
	if (hl_opt.set_nice && hl_renice(hl_opt.nice) < 0)
		return 1;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = hl_on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	atexit(hl_cleanup);
	rand_bytes(&hl_prng_state, sizeof(hl_prng_state));
	hl_prng_state |= 1;
	hl_pin_self();

	memset(tg, 0, sizeof(tg));
	tg[HL_HUB].kind = HL_HUB;
	tg[HL_HUB].key = "hub";
	tg[HL_NODE].kind = HL_NODE;
	tg[HL_NODE].key = "node";
	tg[HL_LWS].kind = HL_LWS;
	tg[HL_LWS].key = "lws";

	hl_build_dir(build, sizeof(build));
	hl_fmt(tg[HL_HUB].prog, sizeof(tg[HL_HUB].prog), "%s/batond", build);
	if (!hl_is_exec(tg[HL_HUB].prog)) {
		tg[HL_HUB].skipped = true;
		hl_fmt(tg[HL_HUB].reason, sizeof(tg[HL_HUB].reason),
			 "%s is not built (make BUILD=%s)", tg[HL_HUB].prog, build);
	}
	hl_fmt(tg[HL_LWS].prog, sizeof(tg[HL_LWS].prog), "%s/bench/peers/relay-lws", build);
	if (!hl_is_exec(tg[HL_LWS].prog)) {
		tg[HL_LWS].skipped = true;
		hl_fmt(tg[HL_LWS].reason, sizeof(tg[HL_LWS].reason),
			 "%s is not built (make BUILD=%s %s)", tg[HL_LWS].prog, build,
			 tg[HL_LWS].prog);
	}
	for (k = 0; k < HL_NKINDS; k++)
		if (hl_opt.only && strcmp(hl_opt.only, tg[k].key) != 0) {
			tg[k].skipped = true;
			hl_fmt(tg[k].reason, sizeof(tg[k].reason), "not asked for (--only %s)",
				 hl_opt.only);
		}
	if (!tg[HL_NODE].skipped) {
		if (!hl_which("node", tg[HL_NODE].prog, sizeof(tg[HL_NODE].prog))) {
			tg[HL_NODE].skipped = true;
			hl_fmt(tg[HL_NODE].reason, sizeof(tg[HL_NODE].reason),
				 "node is not installed (apt-get install nodejs npm)");
		} else if (!hl_node_dir(nodedir, sizeof(nodedir))) {
			tg[HL_NODE].skipped = true;
			hl_fmt(tg[HL_NODE].reason, sizeof(tg[HL_NODE].reason),
				 "bench/relay-node/relay.js not found (run from the source tree or "
				 "give --node-dir)");
		} else if (hl_npm_install(nodedir, why, sizeof(why)) < 0) {
			tg[HL_NODE].skipped = true;
			hl_fmt(tg[HL_NODE].reason, sizeof(tg[HL_NODE].reason), "%s", why);
		} else {
			hl_fmt(tg[HL_NODE].script, sizeof(tg[HL_NODE].script), "%s/relay.js",
				 nodedir);
		}
	}
	for (k = 0; k < HL_NKINDS && !hl_stop; k++) {
		if (tg[k].skipped) {
			fprintf(stderr, "hub-load: %-4s skipped: %s\n", tg[k].key, tg[k].reason);
			continue;
		}
		hl_target_run(&tg[k]);
		ran++;
	}
	if (hl_stop) {
		fprintf(stderr, "hub-load: interrupted; targets stopped\n");
		return 130;
	}
	hl_print_table(tg);
	for (k = 0; k < HL_NKINDS; k++) {
		free(tg[k].bot_token);
		for (int i = 0; tg[k].agent_tokens && i < hl_opt.agents; i++)
			free(tg[k].agent_tokens[i]);
		free(tg[k].agent_tokens);
		for (int i = 0; tg[k].idle_tokens && i < tg[k].nidle_tokens; i++)
			free(tg[k].idle_tokens[i]);
		free(tg[k].idle_tokens);
		free(tg[k].ph_rate.lat.v);
		free(tg[k].ph_rate.resp.v);
		free(tg[k].ph_max.lat.v);
		free(tg[k].ph_max.resp.v);
	}
	if (!ran)
		fprintf(stderr, "hub-load: no target ran\n");
	for (k = 0; k < HL_NKINDS; k++)
		if (tg[k].failed)
			return 1;
	return ran ? 0 : 1;
}
