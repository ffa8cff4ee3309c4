/*
 * log.h: one line per event on stderr, sanitized.
 *
 * Every line passes text_sanitize_line(), so a customer's text that reaches
 * a log message cannot inject escape sequences or forge extra lines. Never
 * log a token or a secret.
 */
#ifndef BATON_LOG_H
#define BATON_LOG_H

#include "baton/common.h"

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR, LOG_OFF };

/* prog prefixes each line; lines below level are dropped. fd defaults to 2. */
void log_init(const char *prog, enum log_level level);
void log_set_fd(int fd);
enum log_level log_level_parse(const char *s);	/* "debug"… ; -1 if unknown */
void log_msg(enum log_level level, const char *fmt, ...) BATON_PRINTF(2, 3);

#define log_debug(...) log_msg(LOG_DEBUG, __VA_ARGS__)
#define log_info(...)  log_msg(LOG_INFO, __VA_ARGS__)
#define log_warn(...)  log_msg(LOG_WARN, __VA_ARGS__)
#define log_error(...) log_msg(LOG_ERROR, __VA_ARGS__)

#endif
