/*
 * link.h: the console's one loop and its WebSocket to the hub.
 *
 * libwebsockets 4.1 (Debian 12) has no external-poll hooks and its
 * lws_service() ignores its timeout, so this module's lws context owns
 * everything that can wake the console: the WebSocket (subprotocol
 * baton.v1), stdin (adopted as a raw file descriptor), signals (a
 * self-pipe adopted the same way: the handler only writes a byte), and a
 * one-second timer (lws_sul). After every service pass it calls on_pass_end
 * (where the screen redraws what is dirty).
 *
 * Connection: connects at once; on failure or loss retries after 1, 2, 4,
 * 8, 16, 30, 30 … s plus up to 20 % jitter. Keepalive uses lws's validity
 * timer: a ping after 10 s of silence, a hang-up when nothing valid arrived
 * for 30 s, so a dead link is found within 35 s. TLS (wss://) verifies the
 * hub's certificate against the system CAs unless insecure is set.
 *
 * The link knows frames as text only; decoding is the caller's (app.c).
 * It never logs frame contents (the hello carries the token).
 */
#ifndef BATON_LINK_H
#define BATON_LINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum link_state {
	LINK_OFFLINE,		/* not trying (stopped, or the hub refused us for good) */
	LINK_CONNECTING,	/* TCP/TLS/WebSocket handshake under way */
	LINK_OPEN,		/* WebSocket open: the caller sends hello */
	LINK_RETRY_WAIT,	/* lost or failed; next attempt at retry_at */
};

struct link_cb {
	void *user;
	/* A complete text frame from the hub (not NUL-terminated; buf is lent). */
	void (*on_text)(void *user, const char *buf, size_t len);
	/* State changes; retry_at is wall-clock ms (RETRY_WAIT); why in words or NULL. */
	void (*on_state)(void *user, enum link_state st, int64_t retry_at, const char *why);
	/* stdin is readable (only when adopt_stdin). eof: stdin closed. */
	void (*on_stdin)(void *user, bool eof);
	/* A signal arrived (SIGWINCH, SIGINT, SIGTERM, SIGHUP), delivered in the loop. */
	void (*on_signal)(void *user, int sig);
	/* Once a second. */
	void (*on_tick)(void *user, int64_t now_ms);
	/* After each loop pass. */
	void (*on_pass_end)(void *user);
	/* The one-shot timer set with link_timer() fired. */
	void (*on_timer)(void *user);
	/* The one-shot timer set with link_later() fired. */
	void (*on_later)(void *user);
};

struct link_opts {
	const char *url;	/* ws://host:port/path or wss://… */
	bool insecure;		/* wss without certificate checks */
	bool adopt_stdin;	/* the screen reads stdin through the loop */
	const char *ca_file;	/* NULL: the system's CA bundle */
};

struct link;

/* Creates the loop (and checks the URL); connecting starts in link_run.
 * NULL and err (a bad URL, lws failing to start). */
struct link *link_new(const struct link_opts *opts, const struct link_cb *cb, char *err, size_t errlen);
void link_free(struct link *l);

/* Runs the loop until link_stop. Returns 0, or -1 if lws failed. */
int link_run(struct link *l);
/* Ends link_run after the current pass. */
void link_stop(struct link *l);

/* Queues one text frame (copied); sent in order, one per writable callback.
 * Returns 0, or -1 when the WebSocket is not open (nothing queued). */
int link_send(struct link *l, const char *buf, size_t len);
/* Frames queued and not yet written. */
size_t link_queued(const struct link *l);
bool link_is_open(const struct link *l);
enum link_state link_state(const struct link *l);

/* Drops the connection and does not reconnect (auth refused, quitting);
 * why is shown in the status bar. */
void link_give_up(struct link *l, const char *why);
/* Closes the connection and reconnects (after a protocol problem). */
void link_reconnect(struct link *l, const char *why);

/* The vhost, for other raw descriptors in the same loop (the control
 * socket: its protocol, CTL_LWS_PROTOCOL, is in this vhost's list). */
struct lws_vhost;
struct lws_vhost *link_vhost(const struct link *l);

/* Calls on_timer once, ms from now (replacing an earlier setting). */
void link_timer(struct link *l, int ms);
/* Calls on_later once, ms from now (replacing an earlier setting): a
 * second timer, for work that should wait until the loop has been idle. */
void link_later(struct link *l, int ms);

/* Signals the loop handles; installs the handlers (call after initscr so
 * ours win over ncurses' SIGWINCH handler). */
int link_install_signals(struct link *l, char *err, size_t errlen);

/* The reconnect delay for attempt n (0-based), without jitter: 1,2,4…30 s. */
int link_backoff_ms(unsigned attempt);

#endif
