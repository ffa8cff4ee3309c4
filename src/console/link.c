/*
 * link.c: the one lws loop and the WebSocket to the hub (see link.h).
 *
 * Shape (after lws minimal-examples ws-client/minimal-ws-client and
 * raw/minimal-raw-file): struct link holds the context, the client wsi and
 * a sul that connects; every failure path schedules that sul again with the
 * backoff. Raw-file wsis carry stdin and the signal self-pipe. Writes happen
 * only in CLIENT_WRITEABLE, one frame each.
 */
#include "baton/link.h"
#include "baton/common.h"
#include "baton/ctl.h"
#include "baton/log.h"
#include "baton/proto.h"
#include "baton/text.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <libwebsockets.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define LINK_RX_MAX (64u << 20)		/* a snapshot of a big queue is large; still bounded */
#define LINK_STABLE_MS 10000		/* open this long: the next failure starts backoff over */
#define LINK_PING_S 10
#define LINK_HANGUP_S 30
#define LINK_DNS_POLL_MS 10		/* how often a running name lookup is checked */
#define LINK_DNS_TIMEOUT_MS 15000

/*
 * A name lookup running beside the loop. lws 4.1 as Debian ships it resolves
 * names with a blocking getaddrinfo(), which would freeze the screen for the
 * seconds a lookup takes while the network is down; so the console looks
 * the name up with getaddrinfo_a() and connects to the address, keeping
 * the name for the Host header, SNI and the certificate check.
 */
struct link_dns {
	struct gaicb cb;
	struct addrinfo hints;
	int64_t started;
	char name[];
};

struct link_msg {
	struct link_msg *next;
	size_t len;
	unsigned char buf[];	/* LWS_PRE bytes, then the frame */
};

struct link {
	struct link_opts opts;
	struct link_cb cb;
	struct lws_context *ctx;
	struct lws_vhost *vh;
	struct lws *wsi;
	lws_sorted_usec_list_t sul_connect;
	lws_sorted_usec_list_t sul_tick;
	lws_sorted_usec_list_t sul_timer, sul_later;
	lws_sorted_usec_list_t sul_dns;
	struct link_dns *dns;		/* a lookup running, or NULL */
	char addr[INET6_ADDRSTRLEN];	/* the address it gave */
	enum link_state state;
	unsigned attempt;
	int64_t opened_at;
	bool stop, give_up;
	char give_up_why[200];
	char close_why[200];

	/* The URL, parsed once; lws_parse_uri cuts this buffer. */
	char *urlbuf;
	const char *host, *path;
	int port;
	bool tls;
	char *path_slash;

	struct strbuf rx;
	struct link_msg *q_head, *q_tail;
	size_t q_len;

	int sig_pipe[2];
	struct lws *stdin_wsi, *sig_wsi;
};

/* The self-pipe's write end, for the signal handler (one link per process). */
static volatile int link_sig_fd = -1;

static const int backoff_ms_table[] = { 1000, 2000, 4000, 8000, 16000, 30000 };

int link_backoff_ms(unsigned attempt)
{
	size_t n = BATON_ARRAY_LEN(backoff_ms_table);
	return backoff_ms_table[attempt < n ? attempt : n - 1];
}

static void set_state(struct link *l, enum link_state st, int64_t retry_at, const char *why)
{
	l->state = st;
	if (l->cb.on_state)
		l->cb.on_state(l->cb.user, st, retry_at, why);
}

/* Frees a sent (or dropped) frame; its bytes are wiped first, since the
 * hello holds the agent's token. */
static void msg_free(struct link_msg *m)
{
	explicit_bzero(m->buf + LWS_PRE, m->len);
	free(m);
}

static void q_clear(struct link *l)
{
	for (struct link_msg *m = l->q_head, *n; m; m = n) {
		n = m->next;
		msg_free(m);
	}
	l->q_head = l->q_tail = NULL;
	l->q_len = 0;
}

static void connect_cb(lws_sorted_usec_list_t *sul);

/*
 * lws 4.1 runs ripe timers inside lws_service() before it polls, and then
 * polls until the next event: what a timer changed (the tick's countdowns,
 * a reconnect's status) would reach the screen only with the next event,
 * up to a second later. Every timer callback ends the pass at once instead,
 * so link_run calls on_pass_end, which draws (and runs the tick's work
 * after what came from the hub in the same pass).
 */
static void end_pass(struct link *l)
{
	lws_cancel_service(l->ctx);
}

static void schedule_retry(struct link *l, const char *why)
{
	int ms;
	int64_t at;

	l->wsi = NULL;
	q_clear(l);
	sb_reset(&l->rx);
	if (l->give_up || l->stop) {
		set_state(l, LINK_OFFLINE, 0, l->give_up_why[0] ? l->give_up_why : why);
		return;
	}
	if (l->opened_at && time_now_ms() - l->opened_at >= LINK_STABLE_MS)
		l->attempt = 0;
	l->opened_at = 0;
	ms = link_backoff_ms(l->attempt);
	/* Jitter, so a hub restart is not met by every console at once. */
	ms += (int)rand_below((uint32_t)ms / 5 + 1);
	if (l->attempt < 100)
		l->attempt++;
	at = time_now_ms() + ms;
	lws_sul_schedule(l->ctx, 0, &l->sul_connect, connect_cb, (lws_usec_t)ms * LWS_US_PER_MS);
	set_state(l, LINK_RETRY_WAIT, at, why);
}

/* Connects to address (numeric), naming the hub by its host name. */
static void connect_to(struct link *l, const char *address)
{
	struct lws_client_connect_info i;
	static const lws_retry_bo_t idle = {
		.secs_since_valid_ping = LINK_PING_S,
		.secs_since_valid_hangup = LINK_HANGUP_S,
	};

	memset(&i, 0, sizeof i);
	i.context = l->ctx;
	i.vhost = l->vh;
	i.address = address;
	i.port = l->port;
	i.path = l->path_slash;
	i.host = l->host;
	i.origin = l->host;
	i.protocol = PROTO_SUBPROTOCOL;
	i.local_protocol_name = "baton";
	i.pwsi = &l->wsi;
	i.opaque_user_data = l;
	i.retry_and_idle_policy = &idle;
	if (l->tls) {
		i.ssl_connection = LCCSCF_USE_SSL;
		if (l->opts.insecure)
			i.ssl_connection |= LCCSCF_ALLOW_SELFSIGNED | LCCSCF_SKIP_SERVER_CERT_HOSTNAME_CHECK |
					    LCCSCF_ALLOW_EXPIRED | LCCSCF_ALLOW_INSECURE;
	}
	if (!lws_client_connect_via_info(&i))
		schedule_retry(l, "could not start connecting");
}

static bool is_numeric(const char *host)
{
	unsigned char buf[sizeof(struct in6_addr)];
	return inet_pton(AF_INET, host, buf) == 1 || inet_pton(AF_INET6, host, buf) == 1;
}

/* Ends a lookup; one that cannot be cancelled keeps its memory (the
 * resolver still writes to it) — a few bytes, only when quitting mid-lookup. */
static void dns_drop(struct link *l)
{
	struct link_dns *d = l->dns;

	l->dns = NULL;
	lws_sul_cancel(&l->sul_dns);
	if (!d)
		return;
	if (gai_error(&d->cb) == EAI_INPROGRESS && gai_cancel(&d->cb) != EAI_CANCELED)
		return;
	if (d->cb.ar_result)
		freeaddrinfo(d->cb.ar_result);
	free(d);
}

static void dns_cb(lws_sorted_usec_list_t *sul);

static void dns_check(struct link *l)
{
	struct link_dns *d = l->dns;
	char why[300];
	int rc;

	if (!d)
		return;
	if (l->stop || l->give_up) {
		dns_drop(l);
		return;
	}
	rc = gai_error(&d->cb);
	if (rc == EAI_INPROGRESS) {
		if (time_now_ms() - d->started < LINK_DNS_TIMEOUT_MS) {
			lws_sul_schedule(l->ctx, 0, &l->sul_dns, dns_cb, LINK_DNS_POLL_MS * LWS_US_PER_MS);
			return;
		}
		snprintf(why, sizeof why, "looking up %s took too long (is the network up?)", l->host);
		dns_drop(l);
		schedule_retry(l, why);
		return;
	}
	if (rc != 0 || !d->cb.ar_result) {
		snprintf(why, sizeof why, "cannot look up %s: %s", l->host,
			 rc ? gai_strerror(rc) : "no address");
		dns_drop(l);
		schedule_retry(l, why);
		return;
	}
	const struct addrinfo *ai = d->cb.ar_result;
	const void *a = ai->ai_family == AF_INET6 ?
			(const void *)&((const struct sockaddr_in6 *)ai->ai_addr)->sin6_addr :
			(const void *)&((const struct sockaddr_in *)ai->ai_addr)->sin_addr;
	inet_ntop(ai->ai_family, a, l->addr, sizeof l->addr);
	dns_drop(l);
	connect_to(l, l->addr);
}

static void dns_cb(lws_sorted_usec_list_t *sul)
{
	struct link *l = lws_container_of(sul, struct link, sul_dns);

	dns_check(l);
	if (!l->dns)	/* done: connecting, or waiting to retry */
		end_pass(l);
}

static void connect_start(struct link *l)
{
	struct gaicb *list[1];
	struct link_dns *d;
	size_t n;

	if (l->stop || l->give_up)
		return;
	l->close_why[0] = '\0';
	set_state(l, LINK_CONNECTING, 0, NULL);
	if (is_numeric(l->host)) {
		connect_to(l, l->host);
		return;
	}
	dns_drop(l);
	n = strlen(l->host);
	d = xcalloc(1, sizeof *d + n + 1);
	memcpy(d->name, l->host, n + 1);
	d->hints.ai_family = AF_UNSPEC;
	d->hints.ai_socktype = SOCK_STREAM;
	d->cb.ar_name = d->name;
	d->cb.ar_request = &d->hints;
	d->started = time_now_ms();
	list[0] = &d->cb;
	if (getaddrinfo_a(GAI_NOWAIT, list, 1, NULL) != 0) {
		free(d);
		schedule_retry(l, "cannot start looking up the hub's name");
		return;
	}
	l->dns = d;
	lws_sul_schedule(l->ctx, 0, &l->sul_dns, dns_cb, LINK_DNS_POLL_MS * LWS_US_PER_MS);
}

static void connect_cb(lws_sorted_usec_list_t *sul)
{
	struct link *l = lws_container_of(sul, struct link, sul_connect);

	connect_start(l);
	end_pass(l);
}

static void tick_cb(lws_sorted_usec_list_t *sul)
{
	struct link *l = lws_container_of(sul, struct link, sul_tick);

	if (l->cb.on_tick)
		l->cb.on_tick(l->cb.user, time_now_ms());
	lws_sul_schedule(l->ctx, 0, &l->sul_tick, tick_cb, LWS_US_PER_SEC);
	end_pass(l);
}

static void timer_cb(lws_sorted_usec_list_t *sul)
{
	struct link *l = lws_container_of(sul, struct link, sul_timer);

	if (l->cb.on_timer)
		l->cb.on_timer(l->cb.user);
	end_pass(l);
}

struct lws_vhost *link_vhost(const struct link *l)
{
	return l->vh;
}

void link_timer(struct link *l, int ms)
{
	lws_sul_schedule(l->ctx, 0, &l->sul_timer, timer_cb, (lws_usec_t)ms * LWS_US_PER_MS);
}

static void later_cb(lws_sorted_usec_list_t *sul)
{
	struct link *l = lws_container_of(sul, struct link, sul_later);

	if (l->cb.on_later)
		l->cb.on_later(l->cb.user);
	end_pass(l);
}

void link_later(struct link *l, int ms)
{
	lws_sul_schedule(l->ctx, 0, &l->sul_later, later_cb, (lws_usec_t)ms * LWS_US_PER_MS);
}

static int cb_ws(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
	struct link *l = lws_get_opaque_user_data(wsi);

	(void)user;
	switch (reason) {
	case LWS_CALLBACK_CLIENT_CONNECTION_ERROR: {
		char why[200];
		const char *what = in ? (const char *)in : "connection failed";
		if (strstr(what, "SSL") || strstr(what, "tls") || strstr(what, "TLS"))
			snprintf(why, sizeof why, "the hub's TLS certificate was not accepted (not trusted, "
				 "expired or for another name); see the log: %s", what);
		else
			snprintf(why, sizeof why, "cannot reach the hub: %s", what);
		if (l)
			schedule_retry(l, why);
		break;
	}
	case LWS_CALLBACK_CLIENT_ESTABLISHED:
		if (!l)
			break;
		l->opened_at = time_now_ms();
		sb_reset(&l->rx);
		set_state(l, LINK_OPEN, 0, NULL);
		break;
	case LWS_CALLBACK_CLIENT_RECEIVE:
		if (!l)
			break;
		if (l->rx.len + len > LINK_RX_MAX) {
			log_warn("link: a frame from the hub is larger than %u bytes; reconnecting",
				 LINK_RX_MAX);
			snprintf(l->close_why, sizeof l->close_why, "a frame from the hub was too large");
			return -1;
		}
		sb_add(&l->rx, in, len);
		if (lws_is_final_fragment(wsi) && !lws_remaining_packet_payload(wsi)) {
			if (l->cb.on_text)
				l->cb.on_text(l->cb.user, sb_str(&l->rx), l->rx.len);
			sb_reset(&l->rx);
		}
		break;
	case LWS_CALLBACK_CLIENT_WRITEABLE: {
		struct link_msg *m;
		if (!l || l->give_up || l->stop)
			return -1;
		m = l->q_head;
		if (!m)
			break;
		if (lws_write(wsi, m->buf + LWS_PRE, m->len, LWS_WRITE_TEXT) < (int)m->len) {
			snprintf(l->close_why, sizeof l->close_why, "writing to the hub failed");
			return -1;
		}
		l->q_head = m->next;
		if (!l->q_head)
			l->q_tail = NULL;
		l->q_len--;
		msg_free(m);
		if (l->q_head)
			lws_callback_on_writable(wsi);
		break;
	}
	case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
		if (l && len >= 2) {
			const unsigned char *p = in;
			unsigned code = (unsigned)p[0] << 8 | p[1];
			char *words = text_sanitize_line((const char *)p + 2, len - 2, NULL);
			snprintf(l->close_why, sizeof l->close_why, "the hub closed the connection (%u%s%s)",
				 code, *words ? ": " : "", words);
			free(words);
			if (code == 4401) {
				l->give_up = true;
				snprintf(l->give_up_why, sizeof l->give_up_why,
					 "the hub refused your token: check the token file, then restart baton");
			}
		}
		break;
	case LWS_CALLBACK_CLIENT_CLOSED:
		if (l)
			schedule_retry(l, l->close_why[0] ? l->close_why : "the connection was lost");
		break;
	default:
		break;
	}
	return 0;
}

/* The terminal went away (an SSH link dropped, a tmux pane killed) and no
 * SIGHUP came (a shell still waiting for us holds the session): poll() says
 * POLLHUP for ever and read() 0, and the loop would spin on it. Checked
 * after the input was read, so keys typed just before the hangup count. */
static bool stdin_hung_up(void)
{
	struct pollfd p = { .fd = 0, .events = POLLIN };

	return poll(&p, 1, 0) == 1 && (p.revents & (POLLHUP | POLLERR | POLLNVAL));
}

static int cb_raw(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
	struct link *l = lws_get_opaque_user_data(wsi);

	(void)user;
	(void)in;
	(void)len;
	if (!l)
		return 0;
	switch (reason) {
	case LWS_CALLBACK_RAW_RX_FILE:
		if (wsi == l->sig_wsi) {
			unsigned char sigs[32];
			ssize_t n = read(l->sig_pipe[0], sigs, sizeof sigs);
			for (ssize_t k = 0; k < n; k++)
				if (l->cb.on_signal)
					l->cb.on_signal(l->cb.user, sigs[k]);
		} else if (wsi == l->stdin_wsi) {
			if (l->cb.on_stdin)
				l->cb.on_stdin(l->cb.user, false);
			if (stdin_hung_up())
				return -1;	/* lws closes it: RAW_CLOSE_FILE below says eof */
		}
		break;
	case LWS_CALLBACK_RAW_CLOSE_FILE:
		if (wsi == l->stdin_wsi) {
			l->stdin_wsi = NULL;
			if (l->cb.on_stdin)
				l->cb.on_stdin(l->cb.user, true);
		} else if (wsi == l->sig_wsi) {
			l->sig_wsi = NULL;
		}
		break;
	default:
		break;
	}
	return 0;
}

static const struct lws_protocols protocols[] = {
	{ "baton", cb_ws, 0, 65536, 0, NULL, 0 },
	{ "baton-raw", cb_raw, 0, 0, 0, NULL, 0 },
	CTL_LWS_PROTOCOL,	/* the control socket (ctl.c), adopted by app.c */
	{ NULL, NULL, 0, 0, 0, NULL, 0 }
};

static void lws_log_emit(int level, const char *line)
{
	size_t n = strlen(line);

	while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		n--;
	if (level & LLL_ERR)
		log_warn("lws: %.*s", (int)n, line);
	else
		log_debug("lws: %.*s", (int)n, line);
}

static struct lws *adopt_fd(struct link *l, int fd)
{
	lws_sock_file_fd_type u;
	struct lws *w;

	u.filefd = (lws_filefd_type)(intptr_t)fd;
	w = lws_adopt_descriptor_vhost(l->vh, LWS_ADOPT_RAW_FILE_DESC, u, "baton-raw", NULL);
	if (w)
		lws_set_opaque_user_data(w, l);
	return w;
}

static int parse_url(struct link *l, const char *url, char *err, size_t errlen)
{
	const char *prot = NULL, *ads = NULL, *path = NULL;
	int port = 0;

	l->urlbuf = xstrdup(url);
	if (lws_parse_uri(l->urlbuf, &prot, &ads, &port, &path) || !ads || !*ads) {
		snprintf(err, errlen, "\"%s\" is not a hub URL; write ws://HOST:PORT/v1/stream or wss://…", url);
		return -1;
	}
	if (strcmp(prot, "ws") == 0) {
		l->tls = false;
	} else if (strcmp(prot, "wss") == 0) {
		l->tls = true;
	} else {
		snprintf(err, errlen, "\"%s\": the URL must start with ws:// or wss://", url);
		return -1;
	}
	/* lws_parse_uri defaults the port from the scheme name it knows (http/https). */
	if (!strstr(url + strlen(prot) + 3, ":") || port <= 0)
		port = l->tls ? 443 : 80;
	{
		/* An explicit port after the host wins. */
		const char *h = url + strlen(prot) + 3;
		const char *colon = strchr(h, ':'), *slash = strchr(h, '/');
		if (colon && (!slash || colon < slash))
			port = atoi(colon + 1);
	}
	if (port <= 0 || port > 65535) {
		snprintf(err, errlen, "\"%s\": the port must be 1-65535", url);
		return -1;
	}
	l->host = ads;
	l->port = port;
	l->path = path;
	l->path_slash = xasprintf("/%s", path ? path : "");
	return 0;
}

struct link *link_new(const struct link_opts *opts, const struct link_cb *cb, char *err, size_t errlen)
{
	struct link *l = xcalloc(1, sizeof *l);
	struct lws_context_creation_info info;

	l->opts = *opts;
	l->cb = *cb;
	l->sig_pipe[0] = l->sig_pipe[1] = -1;
	sb_init(&l->rx);
	if (parse_url(l, opts->url, err, errlen) < 0)
		goto fail;

	lws_set_log_level(LLL_ERR, lws_log_emit);
	memset(&info, 0, sizeof info);
	info.port = CONTEXT_PORT_NO_LISTEN;
	info.protocols = protocols;
	/* OpenSSL only for wss: initializing it costs ~4 MB of memory. */
	info.options = l->tls ? LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT : 0;
	info.fd_limit_per_thread = 64;
	if (opts->ca_file) {
		info.client_ssl_ca_filepath = opts->ca_file;
	} else if (access("/etc/ssl/certs/ca-certificates.crt", R_OK) == 0) {
		/* Debian's bundle; lws's built-in default path does not point at it. */
		info.client_ssl_ca_filepath = "/etc/ssl/certs/ca-certificates.crt";
	}
	l->ctx = lws_create_context(&info);
	if (!l->ctx) {
		snprintf(err, errlen, "libwebsockets could not start (see the log)");
		goto fail;
	}
	l->vh = lws_get_vhost_by_name(l->ctx, "default");
	if (!l->vh) {
		snprintf(err, errlen, "libwebsockets has no default vhost");
		goto fail;
	}
	if (opts->adopt_stdin) {
		/* lws makes what it adopts non-blocking. The terminal's stdin and
		 * stdout are one open file, so stdout would be too: when the
		 * terminal stops reading (a stalled SSH link, a paused tmux
		 * pane), ncurses' write() gets EAGAIN and retries at once, in a
		 * loop, at 100% CPU until the terminal drains. The loop only
		 * polls stdin (ncurses reads it after a poll of its own), so the
		 * flags are put back. */
		int fl = fcntl(0, F_GETFL);
		l->stdin_wsi = adopt_fd(l, 0);
		if (!l->stdin_wsi) {
			snprintf(err, errlen, "cannot watch the keyboard (stdin) in the loop");
			goto fail;
		}
		if (fl >= 0)
			fcntl(0, F_SETFL, fl);
	}
	return l;
fail:
	link_free(l);
	return NULL;
}

static void sig_handler(int sig)
{
	int saved = errno;
	unsigned char b = (unsigned char)sig;

	if (link_sig_fd >= 0) {
		ssize_t r = write(link_sig_fd, &b, 1);
		(void)r;	/* a full pipe already holds a wake-up */
	}
	errno = saved;
}

int link_install_signals(struct link *l, char *err, size_t errlen)
{
	static const int sigs[] = { SIGWINCH, SIGINT, SIGTERM, SIGHUP };
	struct sigaction sa;

	if (l->sig_pipe[0] < 0) {
		if (pipe2(l->sig_pipe, O_CLOEXEC | O_NONBLOCK) < 0) {
			snprintf(err, errlen, "cannot create the signal pipe: %s", strerror(errno));
			return -1;
		}
		l->sig_wsi = adopt_fd(l, l->sig_pipe[0]);
		if (!l->sig_wsi) {
			snprintf(err, errlen, "cannot watch signals in the loop");
			return -1;
		}
		link_sig_fd = l->sig_pipe[1];
	}
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = sig_handler;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	for (size_t i = 0; i < BATON_ARRAY_LEN(sigs); i++)
		sigaction(sigs[i], &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	return 0;
}

void link_free(struct link *l)
{
	if (!l)
		return;
	link_sig_fd = -1;
	l->stop = true;
	if (l->ctx) {
		lws_sul_cancel(&l->sul_connect);
		lws_sul_cancel(&l->sul_tick);
		lws_sul_cancel(&l->sul_timer);
		lws_sul_cancel(&l->sul_later);
		dns_drop(l);
		lws_context_destroy(l->ctx);
	}
	q_clear(l);
	sb_free(&l->rx);
	if (l->sig_pipe[0] >= 0)
		close(l->sig_pipe[0]);
	if (l->sig_pipe[1] >= 0)
		close(l->sig_pipe[1]);
	free(l->urlbuf);
	free(l->path_slash);
	free(l);
}

int link_run(struct link *l)
{
	int rc = 0;

	/* Paint what the store holds before anything can wait on the network. */
	if (l->cb.on_pass_end)
		l->cb.on_pass_end(l->cb.user);

	lws_sul_schedule(l->ctx, 0, &l->sul_connect, connect_cb, 1);
	lws_sul_schedule(l->ctx, 0, &l->sul_tick, tick_cb, LWS_US_PER_SEC);
	while (!l->stop) {
		if (lws_service(l->ctx, 0) < 0) {
			rc = -1;
			break;
		}
		if (l->cb.on_pass_end)
			l->cb.on_pass_end(l->cb.user);
	}
	return rc;
}

void link_stop(struct link *l)
{
	l->stop = true;
	if (l->ctx)
		lws_cancel_service(l->ctx);
}

int link_send(struct link *l, const char *buf, size_t len)
{
	struct link_msg *m;

	if (l->state != LINK_OPEN || !l->wsi)
		return -1;
	m = xmalloc(sizeof *m + LWS_PRE + len);
	m->next = NULL;
	m->len = len;
	memcpy(m->buf + LWS_PRE, buf, len);
	if (l->q_tail)
		l->q_tail->next = m;
	else
		l->q_head = m;
	l->q_tail = m;
	l->q_len++;
	lws_callback_on_writable(l->wsi);
	return 0;
}

size_t link_queued(const struct link *l)
{
	return l->q_len;
}

bool link_is_open(const struct link *l)
{
	return l->state == LINK_OPEN && l->wsi;
}

enum link_state link_state(const struct link *l)
{
	return l->state;
}

void link_give_up(struct link *l, const char *why)
{
	l->give_up = true;
	snprintf(l->give_up_why, sizeof l->give_up_why, "%s", why ? why : "offline");
	lws_sul_cancel(&l->sul_connect);
	dns_drop(l);
	if (l->wsi)
		lws_set_timeout(l->wsi, PENDING_TIMEOUT_CLOSE_SEND, LWS_TO_KILL_ASYNC);
	else
		set_state(l, LINK_OFFLINE, 0, l->give_up_why);
}

void link_reconnect(struct link *l, const char *why)
{
	snprintf(l->close_why, sizeof l->close_why, "%s", why ? why : "reconnecting");
	if (l->wsi)
		lws_set_timeout(l->wsi, PENDING_TIMEOUT_CLOSE_SEND, LWS_TO_KILL_ASYNC);
}
