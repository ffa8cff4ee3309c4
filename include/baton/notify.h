/*
 * notify.h: telling the agent something happened, in layers.
 *
 * The status bar and the queue counter are the ui's. This module adds,
 * each configurable (baton.conf(5), notify.*):
 *   bell     the terminal bell (BEL on the terminal);
 *   osc      OSC 777 ("\e]777;notify;TITLE;BODY\a") or OSC 9 ("\e]9;BODY\a")
 *            desktop notifications, which reach the agent's own desktop
 *            through SSH; under tmux ($TMUX) wrapped for passthrough
 *            ("\ePtmux;" + the sequence with each ESC doubled + "\e\\"),
 *            which needs `set -g allow-passthrough on` in tmux 3.3+;
 *   desktop  libnotify, when a local D-Bus session exists
 *            (DBUS_SESSION_BUS_ADDRESS) and SSH_CONNECTION is unset. Sent
 *            from a short-lived child, which is also the only process that
 *            loads libnotify (dlopen "libnotify.so.4" and its dozen GLib
 *            libraries): the console itself starts and runs without them.
 *            If the library cannot be loaded, the layer turns itself off
 *            with one log line (and, with notify.osc = auto, OSC takes its
 *            place); the other layers are not affected;
 *   hook     a command run with BATON_EVENT, BATON_CONV, BATON_TITLE,
 *            BATON_BODY in its environment: fork/exec (no shell, the text is
 *            only ever in the environment), stdin/stdout/stderr on /dev/null,
 *            never waited for in the loop (reaped by notify_tick, killed
 *            after 30 s).
 * An unclaimed urgent escalation re-alerts every notify.repeat_urgent_s
 * seconds until notify_urgent_done().
 *
 * All text is sanitized (text_sanitize_line) and then stripped of anything
 * that could end or split an OSC string: no C0/C1 control, no ESC, no BEL,
 * no ST, and no ';' in an OSC 777 title.
 */
#ifndef BATON_NOTIFY_H
#define BATON_NOTIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct config;
struct notify;

/* X(ENUM, "name for BATON_EVENT", bell by default). For supervisors:
 * APPROVAL a new request, SLA a conversation about to breach, UNCLAIMED an
 * urgent escalation nobody took within notify.unclaimed_s, OFFLINE an agent
 * gone offline with conversations assigned. */
#define NOTIFY_KINDS(X) \
	X(ESCALATION, "escalation", true) \
	X(URGENT,     "urgent",     true) \
	X(MESSAGE,    "message",    false) \
	X(ASSIGNED,   "assigned",   true) \
	X(APPROVAL,   "approval",   true) \
	X(SLA,        "sla",        true) \
	X(UNCLAIMED,  "unclaimed",  true) \
	X(OFFLINE,    "agent_offline", true) \
	X(CONNECTION, "connection", false) \
	X(INFO,       "info",       false)
#define NOTIFY_KIND_ENUM_(e, n, b) NOTIFY_##e,
enum notify_kind { NOTIFY_KINDS(NOTIFY_KIND_ENUM_) NOTIFY__COUNT };

/* "escalation" … for a kind. */
const char *notify_kind_name(enum notify_kind kind);

enum notify_osc { NOTIFY_OSC_OFF = 0, NOTIFY_OSC_777 = 777, NOTIFY_OSC_9 = 9 };

/* Everything notify_new() reads from the config, resolved. */
struct notify_opts {
	bool bell;
	enum notify_osc osc;
	bool tmux;		/* wrap OSC for tmux passthrough */
	bool desktop;		/* libnotify */
	const char *libnotify;	/* the library to load; NULL: "libnotify.so.4" */
	enum notify_osc osc_fallback;	/* osc if the desktop layer cannot work */
	const char *hook;	/* command line split on blanks; NULL or "": none */
	int repeat_urgent_s;	/* 0: no repeat */
	int tty_fd;		/* where bell and OSC go; -1: nowhere */
};

/* Reads notify.* from cfg and the environment ("auto" resolved here). */
struct notify *notify_new(const struct config *cfg);
/* The same from explicit options (tests, headless). */
struct notify *notify_new_opts(const struct notify_opts *opts);
void notify_free(struct notify *n);

void notify_post(struct notify *n, enum notify_kind kind, const char *title, const char *body);
/* The same for a conversation (BATON_CONV for the hook). */
void notify_post_conv(struct notify *n, enum notify_kind kind, const char *conv,
		      const char *title, const char *body);
/* Alerts now for an urgent conversation in the queue and again every
 * repeat_urgent_s until notify_urgent_done(conv). Calling it again for the
 * same conv updates its text only. */
void notify_urgent(struct notify *n, const char *conv, const char *title, const char *body);
void notify_urgent_done(struct notify *n, const char *conv);
/* Once a second: repeats, reaping and time limits of hook children. */
void notify_tick(struct notify *n, int64_t now_ms);
/* notify.sla_lead_s: how long before an SLA is due the ui warns. */
int notify_sla_lead_s(const struct notify *n);

/* ---- building blocks (exposed for the tests) ---- */

/* s made safe inside an OSC string: sanitized, one line, no control
 * character of any kind; in_title also turns ';' into ','. Caller frees. */
char *notify_osc_clean(const char *s, bool in_title);
/* The complete escape sequence for title/body (cleaned here), wrapped for
 * tmux when tmux. Caller frees; NULL when osc is NOTIFY_OSC_OFF. */
char *notify_osc_build(enum notify_osc osc, bool tmux, const char *title, const char *body);
/* Whether the desktop layer is (still) on; its children not yet reaped. */
bool notify_desktop_on(const struct notify *n);
size_t notify_children(const struct notify *n);

#endif
