/* log.c: sanitized, timestamped lines on stderr (or another fd). */
#include "baton/log.h"
#include "baton/text.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *log_prog = "baton";
static enum log_level log_min = LOG_INFO;
static int log_fd = 2;

static const char *const level_names[] = { "debug", "info", "warn", "error", "off" };

void log_init(const char *prog, enum log_level level)
{
	log_prog = prog;
	log_min = level;
}

void log_set_fd(int fd)
{
	log_fd = fd;
}

enum log_level log_level_parse(const char *s)
{
	for (size_t i = 0; i < BATON_ARRAY_LEN(level_names); i++)
		if (strcmp(s, level_names[i]) == 0)
			return (enum log_level)i;
	return (enum log_level)-1;
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	struct strbuf raw = STRBUF_INIT, line = STRBUF_INIT;
	char ts[TIME_RFC3339_LEN + 1];
	va_list ap;
	char *clean;
	size_t n;

	if (level < log_min || log_fd < 0)
		return;
	va_start(ap, fmt);
	sb_vaddf(&raw, fmt, ap);
	va_end(ap);
	clean = text_sanitize_line(sb_str(&raw), raw.len, &n);
	time_format_rfc3339(time_now_ms(), ts);
	sb_addf(&line, "%s %s[%d] %s: ", ts, log_prog, (int)getpid(), level_names[level]);
	sb_add(&line, clean, n);
	sb_addc(&line, '\n');
	/* One write per line so lines from two processes do not interleave. */
	if (write(log_fd, line.buf, line.len) < 0) {
		/* Nowhere left to report it. */
	}
	free(clean);
	sb_free(&raw);
	sb_free(&line);
}
