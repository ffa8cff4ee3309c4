/*
 * notify.c: the bell, OSC 777/9, libnotify and the hook command.
 *
 * notify_post() fans one event out to the layers the config enables. None
 * of them may stall the loop: the bell and OSC strings are a few bytes to
 * the terminal; libnotify talks D-Bus, which can hang for its 25 s timeout
 * when the session bus is wedged, so it runs in a short-lived child
 * process; the hook is fork/exec'd and reaped later by notify_tick().
 *
 * libnotify is not linked: the desktop child dlopen()s it. Linked, it and
 * the GLib stack it pulls in (13 shared libraries: glib, gio, gobject,
 * gdk-pixbuf, png, jpeg, ffi, pcre2, mount, selinux, blkid…) were mapped
 * and relocated on every start of the console — a share of the start-up
 * CPU — although most consoles run over SSH, where this layer is off. The
 * header is still included for its types. A child that cannot load it
 * exits NOTIFY_EXIT_NOLIB; the parent then turns the layer off, once.
 * A burst (a snapshot with twenty new escalations) is throttled so the
 * desktop is not buried: a small token bucket for OSC and libnotify, one
 * bell a second.
 *
 * Text safety: every string goes through text_sanitize_line() and then
 * notify_osc_clean(), which also removes what could end an OSC string
 * early (BEL, ESC, C1 ST) so a customer's name cannot inject sequences
 * into the agent's terminal, and ';' in an OSC 777 title (the field
 * separator). The hook gets the text only in its environment, never in
 * argv or through a shell.
 */
#include "baton/notify.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <libnotify/notify.h>

#include "baton/common.h"
#include "baton/config.h"
#include "baton/log.h"
#include "baton/text.h"

extern char **environ;

#define NOTIFY_TITLE_COLS 80	/* OSC titles and bodies are cut to this many columns */
#define NOTIFY_BODY_COLS  240
#define NOTIFY_HOOKS_MAX  8	/* hook children running at once */
#define NOTIFY_HOOK_LIMIT_MS 30000
#define NOTIFY_CHILD_LIMIT_MS 30000
#define NOTIFY_BURST      5	/* OSC/desktop notifications in a burst */
#define NOTIFY_REFILL_MS  2000	/* one more every this long */
#define NOTIFY_LIBNOTIFY  "libnotify.so.4"
#define NOTIFY_EXIT_NOLIB 126	/* the desktop child could not load libnotify */

#define NOTIFY_KIND_NAME_(e, n, b) n,
static const char *const notify_kind_names[] = { NOTIFY_KINDS(NOTIFY_KIND_NAME_) };
#define NOTIFY_KIND_BELL_(e, n, b) b,
static const bool notify_kind_bell[] = { NOTIFY_KINDS(NOTIFY_KIND_BELL_) };

struct notify_child {
	pid_t pid;
	int64_t started;	/* ms */
	bool hook;		/* a hook (its own process group) or a libnotify child */
};

struct notify_urgent_item {
	char *conv, *title, *body;
	int64_t next_at;
};

struct notify {
	struct notify_opts o;
	char *hook;			/* owned copy of o.hook */
	char *libnotify;		/* owned copy of o.libnotify */
	size_t hooks_skipped;		/* alerts not run while NOTIFY_HOOKS_MAX ran */
	int sla_lead_s;
	struct notify_child kids[NOTIFY_HOOKS_MAX * 2];
	size_t nkids;
	struct notify_urgent_item *urg;
	size_t nurg, capurg;
	int64_t last_bell;
	int tokens;
	int64_t token_at;
	int64_t now;			/* the last notify_tick's time (or the clock) */
};

const char *notify_kind_name(enum notify_kind kind)
{
	if ((int)kind < 0 || kind >= NOTIFY__COUNT)
		return "info";
	return notify_kind_names[kind];
}

/* ---- cleaning and building OSC ---- */

char *notify_osc_clean(const char *s, bool in_title)
{
	struct strbuf out = STRBUF_INIT;
	size_t len, pos = 0, cut;
	char *line;

	if (!s)
		s = "";
	line = text_sanitize_line(s, strlen(s), &len);
	cut = text_fit(line, len, in_title ? NOTIFY_TITLE_COLS : NOTIFY_BODY_COLS, NULL);
	while (pos < cut) {
		size_t start = pos;
		uint32_t cp = text_utf8_next(line, cut, &pos);
		/* The sanitizer already replaced these; this layer is about the
		 * OSC string itself, so it does not trust that. */
		if (cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp < 0xa0) || cp == TEXT_REPLACEMENT) {
			sb_adds(&out, cp == TEXT_REPLACEMENT ? "\xef\xbf\xbd" : " ");
			continue;
		}
		if (in_title && cp == ';') {
			sb_addc(&out, ',');
			continue;
		}
		sb_add(&out, line + start, pos - start);
	}
	free(line);
	if (!out.buf)
		sb_adds(&out, "");
	return sb_take(&out);
}

char *notify_osc_build(enum notify_osc osc, bool tmux, const char *title, const char *body)
{
	struct strbuf seq = STRBUF_INIT, wrapped = STRBUF_INIT;
	char *t, *b;

	if (osc != NOTIFY_OSC_777 && osc != NOTIFY_OSC_9)
		return NULL;
	t = notify_osc_clean(title, true);
	b = notify_osc_clean(body, osc == NOTIFY_OSC_9);
	if (osc == NOTIFY_OSC_777) {
		sb_addf(&seq, "\033]777;notify;%s;%s\a", *t ? t : "baton", b);
	} else {
		/* OSC 9 has one field. It starts with "baton" so a text that
		 * begins "4;…" cannot become a ConEmu/Windows Terminal
		 * progress or sleep command (OSC 9;N). */
		sb_addf(&seq, "\033]9;baton: %s%s%s\a", t, *b ? " \xe2\x80\x94 " : "", b);
	}
	free(t);
	free(b);
	if (!tmux)
		return sb_take(&seq);
	/* tmux passthrough: DCS tmux; with every ESC inside doubled. */
	sb_adds(&wrapped, "\033Ptmux;");
	for (size_t i = 0; i < seq.len; i++) {
		if (seq.buf[i] == '\033')
			sb_addc(&wrapped, '\033');
		sb_addc(&wrapped, seq.buf[i]);
	}
	sb_adds(&wrapped, "\033\\");
	sb_free(&seq);
	return sb_take(&wrapped);
}

/* ---- construction ---- */

struct notify *notify_new_opts(const struct notify_opts *opts)
{
	struct notify *n = xcalloc(1, sizeof(*n));

	n->o = *opts;
	if (opts->hook && *opts->hook)
		n->hook = xstrdup(opts->hook);
	n->o.hook = n->hook;
	n->libnotify = xstrdup(opts->libnotify && *opts->libnotify ? opts->libnotify : NOTIFY_LIBNOTIFY);
	n->o.libnotify = n->libnotify;
	n->sla_lead_s = 120;
	n->tokens = NOTIFY_BURST;
	n->now = time_now_ms();
	n->token_at = n->now;
	n->last_bell = 0;
	return n;
}

static bool notify_env_set(const char *name)
{
	const char *v = getenv(name);

	return v && *v;
}

struct notify *notify_new(const struct config *cfg)
{
	struct notify_opts o = { 0 };
	const char *osc = config_get_str(cfg, "notify.osc");
	const char *desk = config_get_str(cfg, "notify.desktop");
	const char *term = getenv("TERM_PROGRAM");
	struct notify *n;
	bool local_desktop = notify_env_set("DBUS_SESSION_BUS_ADDRESS") &&
			     !notify_env_set("SSH_CONNECTION");

	o.bell = config_get_bool(cfg, "notify.bell");
	o.desktop = local_desktop && !(desk && strcmp(desk, "off") == 0);
	if (!osc || strcmp(osc, "auto") == 0) {
		/* With a local desktop libnotify already says it; over SSH the
		 * terminal escape is what reaches the agent's desktop. */
		o.osc = term && strcmp(term, "iTerm.app") == 0 ? NOTIFY_OSC_9 : NOTIFY_OSC_777;
		if (o.desktop) {
			o.osc_fallback = o.osc;	/* if libnotify cannot be loaded */
			o.osc = NOTIFY_OSC_OFF;
		}
	} else if (strcmp(osc, "777") == 0) {
		o.osc = NOTIFY_OSC_777;
	} else if (strcmp(osc, "9") == 0) {
		o.osc = NOTIFY_OSC_9;
	} else {
		o.osc = NOTIFY_OSC_OFF;
	}
	o.tmux = notify_env_set("TMUX");
	o.hook = config_get_str(cfg, "notify.hook");
	o.repeat_urgent_s = (int)config_get_int(cfg, "notify.repeat_urgent_s");
	o.tty_fd = isatty(STDOUT_FILENO) ? STDOUT_FILENO : -1;
	n = notify_new_opts(&o);
	n->sla_lead_s = (int)config_get_int(cfg, "notify.sla_lead_s");
	return n;
}

static void notify_urgent_item_free(struct notify_urgent_item *u)
{
	free(u->conv);
	free(u->title);
	free(u->body);
}

void notify_free(struct notify *n)
{
	if (!n)
		return;
	/* Children are not waited for: a hook may outlive the console, and
	 * init reaps it. */
	for (size_t i = 0; i < n->nurg; i++)
		notify_urgent_item_free(&n->urg[i]);
	free(n->urg);
	free(n->hook);
	free(n->libnotify);
	free(n);
}

int notify_sla_lead_s(const struct notify *n)
{
	return n ? n->sla_lead_s : 0;
}

/* ---- layers ---- */

static void notify_write_tty(struct notify *n, const char *s, size_t len)
{
	while (len) {
		ssize_t w = write(n->o.tty_fd, s, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;	/* a full or gone terminal: the alert is not worth blocking for */
		s += w;
		len -= (size_t)w;
	}
}

static bool notify_take_token(struct notify *n)
{
	int64_t now = n->now;

	while (n->tokens < NOTIFY_BURST && now - n->token_at >= NOTIFY_REFILL_MS) {
		n->tokens++;
		n->token_at += NOTIFY_REFILL_MS;
	}
	if (n->tokens == NOTIFY_BURST)
		n->token_at = now;
	if (n->tokens == 0)
		return false;
	n->tokens--;
	return true;
}

static void notify_track(struct notify *n, pid_t pid, bool hook)
{
	if (n->nkids == BATON_ARRAY_LEN(n->kids))
		return;
	n->kids[n->nkids].pid = pid;
	n->kids[n->nkids].started = n->now;
	n->kids[n->nkids].hook = hook;
	n->nkids++;
}

static size_t notify_hooks_running(const struct notify *n)
{
	size_t c = 0;

	for (size_t i = 0; i < n->nkids; i++)
		c += n->kids[i].hook;
	return c;
}

/* libnotify body text is markup on most servers: escape it. */
static char *notify_markup_escape(const char *s)
{
	struct strbuf sb = STRBUF_INIT;

	for (; *s; s++) {
		switch (*s) {
		case '&': sb_adds(&sb, "&amp;"); break;
		case '<': sb_adds(&sb, "&lt;"); break;
		case '>': sb_adds(&sb, "&gt;"); break;
		case '"': sb_adds(&sb, "&quot;"); break;
		case '\'': sb_adds(&sb, "&#39;"); break;
		default: sb_addc(&sb, *s);
		}
	}
	if (!sb.buf)
		sb_adds(&sb, "");
	return sb_take(&sb);
}

/* libnotify's functions, looked up in the desktop child; the header gives
 * their types, so a mismatch is a compile error, not a crash. */
struct notify_lib {
	__typeof__(notify_init) *init;
	__typeof__(notify_notification_new) *note_new;
	__typeof__(notify_notification_set_urgency) *set_urgency;
	__typeof__(notify_notification_set_timeout) *set_timeout;
	__typeof__(notify_notification_show) *show;
};

#define NOTIFY_SYM_(h, lib, field, name) \
	((lib)->field = (__typeof__((lib)->field))dlsym((h), (name))) != NULL

static bool notify_lib_load(const char *soname, struct notify_lib *lib)
{
	void *h = dlopen(soname, RTLD_NOW | RTLD_LOCAL);

	return h && NOTIFY_SYM_(h, lib, init, "notify_init") &&
	       NOTIFY_SYM_(h, lib, note_new, "notify_notification_new") &&
	       NOTIFY_SYM_(h, lib, set_urgency, "notify_notification_set_urgency") &&
	       NOTIFY_SYM_(h, lib, set_timeout, "notify_notification_set_timeout") &&
	       NOTIFY_SYM_(h, lib, show, "notify_notification_show");
}

static void notify_desktop(struct notify *n, enum notify_kind kind, const char *title,
			   const char *body)
{
	char *t = notify_osc_clean(title, false), *b0 = notify_osc_clean(body, false);
	char *b = notify_markup_escape(b0);
	pid_t pid;

	if (n->nkids >= BATON_ARRAY_LEN(n->kids))
		goto out;
	pid = fork();
	if (pid < 0) {
		log_warn("desktop notification: fork: %s", strerror(errno));
		goto out;
	}
	if (pid == 0) {
		/* The child talks D-Bus and leaves; nothing of the parent's
		 * (curses, sockets, atexit) is touched: _exit. */
		NotifyNotification *nn;
		struct notify_lib lib;
		int fd = open("/dev/null", O_RDWR);
		if (fd >= 0) {
			dup2(fd, 0);
			dup2(fd, 1);
			dup2(fd, 2);
		}
		if (!notify_lib_load(n->libnotify, &lib))
			_exit(NOTIFY_EXIT_NOLIB);
		if (!lib.init("baton"))
			_exit(1);
		nn = lib.note_new(*t ? t : "baton", b, "dialog-information");
		lib.set_urgency(nn, kind == NOTIFY_URGENT || kind == NOTIFY_SLA ||
				kind == NOTIFY_UNCLAIMED || kind == NOTIFY_OFFLINE ?
				NOTIFY_URGENCY_CRITICAL : NOTIFY_URGENCY_NORMAL);
		lib.set_timeout(nn, kind == NOTIFY_URGENT ? NOTIFY_EXPIRES_NEVER : NOTIFY_EXPIRES_DEFAULT);
		_exit(lib.show(nn, NULL) ? 0 : 1);
	}
	notify_track(n, pid, false);
out:
	free(t);
	free(b0);
	free(b);
}

/* Splits the hook command on blanks (no shell: quoting is not supported,
 * and the text never goes into argv anyway). */
static char **notify_split(const char *cmd)
{
	char **argv = xcalloc(strlen(cmd) / 2 + 2, sizeof(*argv));
	size_t n = 0;
	const char *p = cmd;

	while (*p) {
		size_t w;
		p += strspn(p, " \t");
		w = strcspn(p, " \t");
		if (w)
			argv[n++] = xstrndup(p, w);
		p += w;
	}
	argv[n] = NULL;
	return argv;
}

static void notify_strv_free(char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

static void notify_hook(struct notify *n, enum notify_kind kind, const char *conv,
			const char *title, const char *body)
{
	char **argv = notify_split(n->hook), **envp;
	char *t = text_sanitize_line(title ? title : "", title ? strlen(title) : 0, NULL);
	char *b = text_sanitize_line(body ? body : "", body ? strlen(body) : 0, NULL);
	char *c = text_sanitize_line(conv ? conv : "", conv ? strlen(conv) : 0, NULL);
	size_t ne = 0, k = 0;
	pid_t pid;

	if (!argv[0])
		goto out;
	/* One line for a burst, not one per alert (a backlog at start can be
	 * thousands), and one with the count once the hooks catch up. */
	if (notify_hooks_running(n) >= NOTIFY_HOOKS_MAX) {
		if (!n->hooks_skipped++)
			log_warn("notify hook: %d still running; alerts are skipped until one ends",
				 NOTIFY_HOOKS_MAX);
		goto out;
	}
	if (n->hooks_skipped) {
		log_warn("notify hook: %zu alert%s skipped while %d hooks ran", n->hooks_skipped,
			 n->hooks_skipped == 1 ? " was" : "s were", NOTIFY_HOOKS_MAX);
		n->hooks_skipped = 0;
	}
	/* The environment is built before fork: the child only execs. */
	while (environ && environ[ne])
		ne++;
	envp = xcalloc(ne + 6, sizeof(*envp));
	for (size_t i = 0; i < ne; i++)
		if (strncmp(environ[i], "BATON_", 6) != 0)
			envp[k++] = xstrdup(environ[i]);
	envp[k++] = xasprintf("BATON_EVENT=%s", notify_kind_name(kind));
	envp[k++] = xasprintf("BATON_CONV=%s", c);
	envp[k++] = xasprintf("BATON_TITLE=%s", t);
	envp[k++] = xasprintf("BATON_BODY=%s", b);
	envp[k] = NULL;
	pid = fork();
	if (pid < 0) {
		log_warn("notify hook: fork: %s", strerror(errno));
	} else if (pid == 0) {
		int fd = open("/dev/null", O_RDWR);
		setsid();	/* its own group: killed as a whole after the time limit */
		if (fd >= 0) {
			dup2(fd, 0);
			dup2(fd, 1);
			dup2(fd, 2);
		}
		closefrom(3);
		signal(SIGPIPE, SIG_DFL);
		execvpe(argv[0], argv, envp);
		_exit(127);
	} else {
		notify_track(n, pid, true);
	}
	notify_strv_free(envp);
out:
	notify_strv_free(argv);
	free(t);
	free(b);
	free(c);
}

void notify_post_conv(struct notify *n, enum notify_kind kind, const char *conv,
		      const char *title, const char *body)
{
	if (!n)
		return;
	if ((int)kind < 0 || kind >= NOTIFY__COUNT)
		kind = NOTIFY_INFO;
	n->now = n->now > time_now_ms() ? n->now : time_now_ms();
	if (n->o.bell && notify_kind_bell[kind] && n->o.tty_fd >= 0 &&
	    n->now - n->last_bell >= 1000) {
		n->last_bell = n->now;
		notify_write_tty(n, "\a", 1);
	}
	if (kind != NOTIFY_INFO && (n->o.osc != NOTIFY_OSC_OFF || n->o.desktop) &&
	    notify_take_token(n)) {
		if (n->o.osc != NOTIFY_OSC_OFF && n->o.tty_fd >= 0) {
			char *seq = notify_osc_build(n->o.osc, n->o.tmux, title, body);
			if (seq) {
				notify_write_tty(n, seq, strlen(seq));
				free(seq);
			}
		}
		if (n->o.desktop)
			notify_desktop(n, kind, title, body);
	}
	if (n->hook)
		notify_hook(n, kind, conv, title, body);
}

void notify_post(struct notify *n, enum notify_kind kind, const char *title, const char *body)
{
	notify_post_conv(n, kind, NULL, title, body);
}

/* ---- repeating urgent alerts ---- */

static struct notify_urgent_item *notify_urgent_find(struct notify *n, const char *conv)
{
	for (size_t i = 0; i < n->nurg; i++)
		if (strcmp(n->urg[i].conv, conv) == 0)
			return &n->urg[i];
	return NULL;
}

void notify_urgent(struct notify *n, const char *conv, const char *title, const char *body)
{
	struct notify_urgent_item *u;

	if (!n || !conv)
		return;
	if ((u = notify_urgent_find(n, conv))) {
		free(u->title);
		free(u->body);
		u->title = xstrdup(title ? title : "");
		u->body = xstrdup(body ? body : "");
		return;
	}
	if (n->nurg == n->capurg) {
		n->capurg = n->capurg ? n->capurg * 2 : 8;
		n->urg = xrealloc(n->urg, n->capurg * sizeof(*n->urg));
	}
	u = &n->urg[n->nurg++];
	u->conv = xstrdup(conv);
	u->title = xstrdup(title ? title : "");
	u->body = xstrdup(body ? body : "");
	notify_post_conv(n, NOTIFY_URGENT, conv, u->title, u->body);
	u->next_at = n->o.repeat_urgent_s > 0 ? n->now + (int64_t)n->o.repeat_urgent_s * 1000 : 0;
}

void notify_urgent_done(struct notify *n, const char *conv)
{
	struct notify_urgent_item *u;

	if (!n || !conv || !(u = notify_urgent_find(n, conv)))
		return;
	notify_urgent_item_free(u);
	*u = n->urg[--n->nurg];
}

/* The desktop child could not load libnotify: the layer goes, once, and
 * with notify.osc = auto the terminal's OSC notifications take its place. */
static void notify_desktop_gone(struct notify *n)
{
	n->o.desktop = false;
	if (n->o.osc == NOTIFY_OSC_OFF && n->o.osc_fallback != NOTIFY_OSC_OFF)
		n->o.osc = n->o.osc_fallback;
	log_warn("desktop notifications are off: %s could not be loaded (install libnotify4); %s",
		 n->libnotify, n->o.osc != NOTIFY_OSC_OFF ? "using terminal (OSC) notifications instead" :
		 "the bell and the hook still work");
}

bool notify_desktop_on(const struct notify *n)
{
	return n && n->o.desktop;
}

size_t notify_children(const struct notify *n)
{
	return n ? n->nkids : 0;
}

void notify_tick(struct notify *n, int64_t now_ms)
{
	if (!n)
		return;
	n->now = now_ms;
	for (size_t i = 0; i < n->nurg; i++) {
		struct notify_urgent_item *u = &n->urg[i];
		if (!u->next_at || now_ms < u->next_at)
			continue;
		{
			char *t = xasprintf("Still waiting: %s", u->title);
			notify_post_conv(n, NOTIFY_URGENT, u->conv, t, u->body);
			free(t);
		}
		/* Catch up without a burst after a suspend. */
		while (u->next_at <= now_ms)
			u->next_at += (int64_t)n->o.repeat_urgent_s * 1000;
	}
	for (size_t i = 0; i < n->nkids; ) {
		struct notify_child *k = &n->kids[i];
		int status;
		pid_t r = waitpid(k->pid, &status, WNOHANG);
		if (r == k->pid || (r < 0 && errno == ECHILD)) {
			if (r == k->pid && k->hook && WIFEXITED(status) && WEXITSTATUS(status) == 127)
				log_warn("notify hook could not be run: check notify.hook");
			if (r == k->pid && !k->hook && WIFEXITED(status) &&
			    WEXITSTATUS(status) == NOTIFY_EXIT_NOLIB && n->o.desktop)
				notify_desktop_gone(n);
			*k = n->kids[--n->nkids];
			continue;
		}
		if (now_ms - k->started > (k->hook ? NOTIFY_HOOK_LIMIT_MS : NOTIFY_CHILD_LIMIT_MS)) {
			log_warn("notify %s took over 30 s: stopped", k->hook ? "hook" : "desktop child");
			kill(k->hook ? -k->pid : k->pid, SIGKILL);
			k->started = now_ms;	/* reaped on a later tick */
		}
		i++;
	}
}
