/* test-console-notify.c: OSC building and tmux wrapping with hostile text,
 * the bell and OSC bytes on the terminal, repeating urgent alerts, the
 * hook command (environment only, no shell) and libnotify loaded only in
 * the desktop child. */
#include "baton/notify.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "baton/common.h"
#include "baton/log.h"
#include "test.h"

/* No control character at all, and no C1 control encoded as UTF-8. */
static int no_controls(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p < 0x20 || *p == 0x7f)
			return 0;
		if (p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f)
			return 0;
	}
	return 1;
}

static const char *const hostile[] = {
	"\x1b]0;pwned\x07", "\x1b]777;notify;x;y\x1b\\", "a\x07" "b", "\x9c", "\xc2\x9c",
	"\xc2\x9b" "31m", "\x1bP+q\x1b\\", "bidi \xe2\x80\xae" "txet", "nul-less \x01\x02\x7f",
	"\xff\xfe invalid", "semi;colon;title", "\x1b[2J\x1b[H", "4;3;50", "\r\nForged line",
	"Ayşe Yılmaz 語 😀",
};

static void test_clean(void)
{
	char *s;

	for (size_t i = 0; i < sizeof(hostile) / sizeof(hostile[0]); i++) {
		char *t = notify_osc_clean(hostile[i], true), *b = notify_osc_clean(hostile[i], false);
		int failed = !no_controls(t) || !no_controls(b) || strchr(t, ';') != NULL;
		if (failed)
			printf("#   case %zu not clean\n", i);
		test_report(hostile[i][0] == '\x1b' ? "escape sequence" : "hostile text", failed);
		free(t);
		free(b);
	}
	s = notify_osc_clean("semi;colon", true);
	CHECK_STR(s, "semi,colon");
	free(s);
	s = notify_osc_clean("semi;colon", false);
	CHECK_STR(s, "semi;colon");
	free(s);
	s = notify_osc_clean("Ayşe\nYılmaz", true);
	CHECK_STR(s, "Ayşe Yılmaz");
	free(s);
	s = notify_osc_clean(NULL, false);
	CHECK_STR(s, "");
	free(s);
	/* Long text is cut at a character boundary. */
	{
		struct strbuf sb = STRBUF_INIT;
		for (int i = 0; i < 300; i++)
			sb_adds(&sb, "ğ");
		s = notify_osc_clean(sb_str(&sb), true);
		CHECK(strlen(s) == 80 * 2);
		free(s);
		sb_free(&sb);
	}
}

static void test_build(void)
{
	char *s = notify_osc_build(NOTIFY_OSC_777, false, "New escalation", "Ayşe: refund");

	CHECK_STR(s, "\033]777;notify;New escalation;Ayşe: refund\a");
	free(s);
	s = notify_osc_build(NOTIFY_OSC_9, false, "New", "x");
	CHECK_STR(s, "\033]9;baton: New \xe2\x80\x94 x\a");
	free(s);
	/* OSC 9 cannot be turned into "9;4;…" (progress) by the text. */
	s = notify_osc_build(NOTIFY_OSC_9, false, "4;3;50", "");
	CHECK(strncmp(s, "\033]9;baton: ", 11) == 0);
	free(s);
	CHECK(notify_osc_build(NOTIFY_OSC_OFF, false, "a", "b") == NULL);
	s = notify_osc_build(NOTIFY_OSC_777, true, "T", "B");
	CHECK_STR(s, "\033Ptmux;\033\033]777;notify;T;B\a\033\\");
	free(s);
}

/* Whatever the text, the sequence has exactly its own framing: one ESC at
 * the start, one BEL at the end (tmux: the doubled ESC, and ESC \ after). */
static void test_build_hostile(void)
{
	unsigned seed = 12345;

	for (int round = 0; round < 2000; round++) {
		char title[64], body[64];
		size_t tl = 0, bl = 0;
		/* Random bytes weighted toward the dangerous ones. */
		static const unsigned char pick[] = { 0x1b, 0x07, 0x9c, 0xc2, ';', '\\', ']', 'P',
						      'a', 0xe2, 0x80, 0xae, 0x00 + 1, 0x7f, 0xff };
		for (int i = 0; i < 40; i++) {
			seed = seed * 1103515245u + 12345u;
			unsigned char c = (seed >> 16) % 3 ? pick[(seed >> 8) % sizeof(pick)] :
							    (unsigned char)(seed >> 20);
			if (!c)
				c = 'x';
			if (i % 2)
				title[tl++] = (char)c;
			else
				body[bl++] = (char)c;
		}
		title[tl] = body[bl] = '\0';
		for (int tmux = 0; tmux < 2; tmux++) {
			char *s = notify_osc_build(NOTIFY_OSC_777, tmux, title, body);
			const char *inner = s;
			size_t len = strlen(s);
			int failed = 0;
			if (tmux) {
				failed |= strncmp(s, "\033Ptmux;\033\033]777;notify;", 21) != 0;
				failed |= len < 4 || strcmp(s + len - 3, "\a\033\\") != 0;
				inner = s + 8;	/* from the second ESC of the doubled pair */
				len -= 2;
			}
			failed |= inner[0] != '\033' || strncmp(inner, "\033]777;notify;", 13) != 0;
			for (size_t i = 1; i + 1 < (size_t)(s + len - inner); i++) {
				unsigned char c = (unsigned char)inner[i];
				if (c < 0x20 || c == 0x7f ||
				    (c == 0xc2 && (unsigned char)inner[i + 1] >= 0x80 &&
				     (unsigned char)inner[i + 1] <= 0x9f))
					failed = 1;
			}
			failed |= inner[s + len - inner - 1] != '\a';
			/* Title field: between "notify;" and the next ';' there is
			 * exactly the cleaned title, so it holds no ';'. */
			{
				char *t = notify_osc_clean(title, true);
				failed |= strncmp(inner + 13, t, strlen(t)) != 0 ||
					  inner[13 + strlen(t)] != ';';
				free(t);
			}
			if (failed) {
				printf("#   round %d tmux %d failed\n", round, tmux);
				test_failed_ = 1;
				round = 1 << 30;
			}
			free(s);
		}
	}
}

static char *drain(int fd)
{
	struct strbuf sb = STRBUF_INIT;
	char buf[4096];
	ssize_t r;

	while ((r = read(fd, buf, sizeof(buf))) > 0)
		sb_add(&sb, buf, (size_t)r);
	if (!sb.buf)
		sb_adds(&sb, "");
	return sb_take(&sb);
}

static void test_tty(void)
{
	int p[2];
	struct notify_opts o = { 0 };
	struct notify *n;
	char *out;

	CHECK(pipe(p) == 0);
	fcntl(p[0], F_SETFL, O_NONBLOCK);
	o.bell = true;
	o.osc = NOTIFY_OSC_777;
	o.tmux = true;
	o.tty_fd = p[1];
	o.repeat_urgent_s = 60;
	n = notify_new_opts(&o);
	notify_post(n, NOTIFY_ESCALATION, "New \x1b[31mescalation", "Ayşe;\x07 wants a refund");
	out = drain(p[0]);
	CHECK_STR(out, "\a\033Ptmux;\033\033]777;notify;New \xe2\x90\x9b" "escalation;"
		  "Ayşe;\xe2\x90\x87 wants a refund\a\033\\");
	free(out);
	/* A second bell within a second is not rung; the OSC still goes. */
	notify_post(n, NOTIFY_ESCALATION, "again", "x");
	out = drain(p[0]);
	CHECK(out[0] == '\033');
	free(out);
	/* INFO never rings nor pops up. */
	notify_tick(n, time_now_ms() + 5000);
	notify_post(n, NOTIFY_INFO, "info", "x");
	out = drain(p[0]);
	CHECK_STR(out, "");
	free(out);
	notify_free(n);
	close(p[0]);
	close(p[1]);
}

static void test_burst(void)
{
	int p[2];
	struct notify_opts o = { 0 };
	struct notify *n;
	char *out;
	int count = 0;
	int64_t t0;

	CHECK(pipe(p) == 0);
	fcntl(p[0], F_SETFL, O_NONBLOCK);
	o.osc = NOTIFY_OSC_9;
	o.tty_fd = p[1];
	n = notify_new_opts(&o);
	t0 = time_now_ms();
	notify_tick(n, t0);
	for (int i = 0; i < 20; i++)
		notify_post(n, NOTIFY_ESCALATION, "x", "y");
	out = drain(p[0]);
	for (char *q = out; (q = strstr(q, "\033]9;")); q++)
		count++;
	CHECK_INT(count, 5);
	free(out);
	/* Tokens come back with time. */
	notify_tick(n, t0 + 60000);
	notify_post(n, NOTIFY_ESCALATION, "x", "y");
	out = drain(p[0]);
	CHECK(strstr(out, "\033]9;") != NULL);
	free(out);
	notify_free(n);
	close(p[0]);
	close(p[1]);
}

static void test_urgent_repeat(void)
{
	int p[2];
	struct notify_opts o = { 0 };
	struct notify *n;
	char *out;
	int64_t t0 = time_now_ms();

	CHECK(pipe(p) == 0);
	fcntl(p[0], F_SETFL, O_NONBLOCK);
	o.osc = NOTIFY_OSC_777;
	o.tty_fd = p[1];
	o.repeat_urgent_s = 60;
	n = notify_new_opts(&o);
	notify_tick(n, t0);
	notify_urgent(n, "c-1", "Urgent: fraud claim", "Bora");
	out = drain(p[0]);
	CHECK(strstr(out, "Urgent: fraud claim;Bora") != NULL);
	free(out);
	/* Same conv again: no new alert. */
	notify_urgent(n, "c-1", "Urgent: fraud claim", "Bora K.");
	notify_tick(n, t0 + 30000);
	out = drain(p[0]);
	CHECK_STR(out, "");
	free(out);
	notify_tick(n, t0 + 61000);
	out = drain(p[0]);
	CHECK(strstr(out, "Still waiting: Urgent: fraud claim;Bora K.") != NULL);
	free(out);
	/* After a long sleep, one alert, not a burst. */
	notify_tick(n, t0 + 600000);
	out = drain(p[0]);
	CHECK(strstr(out, "Still waiting") != NULL);
	CHECK(strstr(strstr(out, "Still waiting") + 1, "Still waiting") == NULL);
	free(out);
	notify_urgent_done(n, "c-1");
	notify_tick(n, t0 + 1200000);
	out = drain(p[0]);
	CHECK_STR(out, "");
	free(out);
	notify_urgent_done(n, "c-unknown");
	notify_free(n);
	close(p[0]);
	close(p[1]);
}

static void test_hook(void)
{
	char dir[] = "/tmp/baton-notify-XXXXXX", script[64], outf[64], pwned[64], cmd[600];
	struct notify_opts o = { 0 };
	struct notify *n;
	FILE *f;
	char *got = NULL;
	size_t len;

	CHECK(mkdtemp(dir) != NULL);
	snprintf(script, sizeof(script), "%s/hook.sh", dir);
	snprintf(outf, sizeof(outf), "%s/out", dir);
	snprintf(pwned, sizeof(pwned), "%s/pwned", dir);
	f = fopen(script, "w");
	CHECK(f != NULL);
	if (!f)
		return;
	fprintf(f, "printf '%%s|%%s|%%s|%%s' \"$BATON_EVENT\" \"$BATON_CONV\" \"$BATON_TITLE\" "
		"\"$BATON_BODY\" > \"$1.tmp\" && mv \"$1.tmp\" \"$1\"\n");
	fclose(f);
	snprintf(cmd, sizeof(cmd), "/bin/sh %s %s", script, outf);
	o.hook = cmd;
	o.tty_fd = -1;
	n = notify_new_opts(&o);
	{
		char title[700];
		snprintf(title, sizeof(title), "$(touch %s) `touch %s`; rm -rf / \x1b]0;x\x07", pwned,
			 pwned);
		notify_post_conv(n, NOTIFY_ESCALATION, "c-7", title, "line1\nline2 \xff");
	}
	for (int i = 0; i < 500 && !(got = file_read(outf, 4096, &len)); i++) {
		usleep(10000);
		notify_tick(n, time_now_ms());
	}
	CHECK(got != NULL);
	if (got) {
		char want[1400];
		snprintf(want, sizeof(want), "escalation|c-7|$(touch %s) `touch %s`; rm -rf / "
			 "\xe2\x90\x9b|line1 line2 \xef\xbf\xbd", pwned, pwned);
		CHECK_STR(got, want);
		free(got);
	}
	CHECK(access(pwned, F_OK) != 0);
	/* A hook that does not exist does not hurt the console. */
	notify_free(n);
	o.hook = "/nonexistent/baton-hook";
	n = notify_new_opts(&o);
	notify_post(n, NOTIFY_URGENT, "t", "b");
	usleep(100000);
	notify_tick(n, time_now_ms());
	notify_free(n);
	unlink(outf);
	unlink(script);
	rmdir(dir);
}

/* A burst of alerts beyond the hooks that may run at once: one log line
 * for the burst, one with the count when a hook is free again. */
static void test_hook_burst_log(void)
{
	struct notify_opts o = { 0 };
	struct notify *n;
	int p[2];
	char *out;

	CHECK(pipe(p) == 0);
	fcntl(p[0], F_SETFL, O_NONBLOCK);
	log_set_fd(p[1]);
	o.hook = "/bin/sleep 0.3";
	o.tty_fd = -1;
	n = notify_new_opts(&o);
	for (int i = 0; i < 20; i++)
		notify_post_conv(n, NOTIFY_SLA, "c-1", "t", "b");
	out = drain(p[0]);
	CHECK(strstr(out, "alerts are skipped until one ends") != NULL);
	CHECK(strstr(strstr(out, "skipped") + 1, "skipped") == NULL);	/* once */
	free(out);
	for (int i = 0; i < 300 && notify_children(n); i++) {
		usleep(10000);
		notify_tick(n, time_now_ms());
	}
	CHECK_INT(notify_children(n), 0);
	notify_post_conv(n, NOTIFY_SLA, "c-1", "t", "b");
	out = drain(p[0]);
	CHECK(strstr(out, "12 alerts were skipped while 8 hooks ran") != NULL);
	free(out);
	for (int i = 0; i < 300 && notify_children(n); i++) {
		usleep(10000);
		notify_tick(n, time_now_ms());
	}
	notify_free(n);
	log_set_fd(2);
	close(p[0]);
	close(p[1]);
}

/* Reaps the desktop children of n (at most 10 s). */
static void wait_children(struct notify *n)
{
	for (int i = 0; i < 1000 && notify_children(n); i++) {
		usleep(10000);
		notify_tick(n, time_now_ms());
	}
	CHECK_INT(notify_children(n), 0);
}

/* The desktop layer loads libnotify in its child only. A library that
 * cannot be loaded turns the layer off after the first try, and the OSC
 * notification named as the fallback takes its place; the installed
 * library loads, and a D-Bus that is not there is just a failed pop-up. */
static void test_desktop_dlopen(void)
{
	int p[2];
	struct notify_opts o = { 0 };
	struct notify *n;
	char *out;

	CHECK(pipe(p) == 0);
	fcntl(p[0], F_SETFL, O_NONBLOCK);
	o.desktop = true;
	o.libnotify = "libbaton-no-such-library.so.0";
	o.osc = NOTIFY_OSC_OFF;
	o.osc_fallback = NOTIFY_OSC_777;
	o.tty_fd = p[1];
	n = notify_new_opts(&o);
	CHECK(notify_desktop_on(n));
	notify_post(n, NOTIFY_ESCALATION, "first", "goes to the desktop child");
	out = drain(p[0]);
	CHECK_STR(out, "");	/* nothing on the terminal: the desktop layer had it */
	free(out);
	CHECK_INT(notify_children(n), 1);
	wait_children(n);
	CHECK(!notify_desktop_on(n));
	notify_post(n, NOTIFY_ESCALATION, "second", "on the terminal now");
	out = drain(p[0]);
	CHECK_STR(out, "\033]777;notify;second;on the terminal now\a");
	free(out);
	CHECK_INT(notify_children(n), 0);
	notify_free(n);

	/* No fallback named (notify.osc set by the agent): the layer just goes. */
	o.osc_fallback = NOTIFY_OSC_OFF;
	n = notify_new_opts(&o);
	notify_post(n, NOTIFY_ESCALATION, "first", "x");
	wait_children(n);
	CHECK(!notify_desktop_on(n));
	notify_post(n, NOTIFY_ESCALATION, "second", "x");
	out = drain(p[0]);
	CHECK_STR(out, "");
	free(out);
	notify_free(n);

	/* The real library: loaded in the child; with no bus to talk to the
	 * pop-up fails, but the layer stays (the next bus may be there). */
	const char *old = getenv("DBUS_SESSION_BUS_ADDRESS");
	char *saved = old ? xstrdup(old) : NULL;
	setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/baton-test-bus", 1);
	o.libnotify = NULL;
	o.osc_fallback = NOTIFY_OSC_777;
	n = notify_new_opts(&o);
	notify_post(n, NOTIFY_ESCALATION, "real", "library");
	wait_children(n);
	CHECK(notify_desktop_on(n));
	notify_free(n);
	if (saved)
		setenv("DBUS_SESSION_BUS_ADDRESS", saved, 1);
	else
		unsetenv("DBUS_SESSION_BUS_ADDRESS");
	free(saved);
	close(p[0]);
	close(p[1]);
}

static void test_names(void)
{
	CHECK_STR(notify_kind_name(NOTIFY_ESCALATION), "escalation");
	CHECK_STR(notify_kind_name(NOTIFY_URGENT), "urgent");
	CHECK_STR(notify_kind_name((enum notify_kind)99), "info");
	notify_post(NULL, NOTIFY_INFO, "a", "b");
	notify_tick(NULL, 0);
}

static const struct test tests[] = {
	TEST(test_clean), TEST(test_build), TEST(test_build_hostile), TEST(test_tty),
	TEST(test_burst), TEST(test_urgent_repeat), TEST(test_hook), TEST(test_hook_burst_log),
	TEST(test_desktop_dlopen),
	TEST(test_names),
};
TEST_MAIN(tests)
