/*
 * common.h: the small things every part of baton uses.
 *
 * Memory: x*alloc never return NULL; running out of memory is fatal in one
 * place (xmalloc.c), so callers do not carry error paths for it.
 * strbuf: a growable byte buffer, always NUL-terminated.
 * time: wall-clock milliseconds and RFC 3339 ("2026-11-22T03:14:07.123Z").
 * rand: bytes from the kernel's CSPRNG, for ids, coupon codes and tokens.
 */
#ifndef BATON_COMMON_H
#define BATON_COMMON_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BATON_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define BATON_PRINTF(f, a) __attribute__((format(printf, f, a)))
#define BATON_UNUSED __attribute__((unused))

void *xmalloc(size_t n);
void *xcalloc(size_t count, size_t n);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) BATON_PRINTF(1, 2);

struct strbuf {
	char   *buf;	/* NUL-terminated; NULL until the first add */
	size_t  len;
	size_t  cap;
};
#define STRBUF_INIT { NULL, 0, 0 }

void  sb_init(struct strbuf *sb);
void  sb_grow(struct strbuf *sb, size_t extra);
void  sb_add(struct strbuf *sb, const void *p, size_t n);
void  sb_adds(struct strbuf *sb, const char *s);
void  sb_addc(struct strbuf *sb, char c);
void  sb_addf(struct strbuf *sb, const char *fmt, ...) BATON_PRINTF(2, 3);
void  sb_vaddf(struct strbuf *sb, const char *fmt, va_list ap) BATON_PRINTF(2, 0);
void  sb_reset(struct strbuf *sb);
const char *sb_str(const struct strbuf *sb);	/* "" when empty */
char *sb_take(struct strbuf *sb);		/* caller frees; sb is reset */
void  sb_free(struct strbuf *sb);

/* Wall clock, milliseconds since the Unix epoch. */
int64_t time_now_ms(void);
/* Monotonic clock, microseconds; for durations and timers only. */
int64_t time_mono_us(void);
#define TIME_RFC3339_LEN 24	/* "2026-11-22T03:14:07.123Z" */
/* Writes TIME_RFC3339_LEN characters and a NUL into out. */
void time_format_rfc3339(int64_t ms, char out[TIME_RFC3339_LEN + 1]);
/*
 * Parses RFC 3339 date-time (any fraction digits, Z or +hh:mm/-hh:mm) into UTC
 * milliseconds. Returns 0, or -1 if s is not a valid RFC 3339 date-time.
 */
int time_parse_rfc3339(const char *s, size_t len, int64_t *ms);

/* Fills buf from the kernel CSPRNG; aborts if the kernel cannot give any. */
void rand_bytes(void *buf, size_t n);
/* Uniform in [0, bound) without modulo bias. */
uint32_t rand_below(uint32_t bound);
/* n random characters of alphabet, then a NUL (out holds n + 1). */
void rand_string(char *out, size_t n, const char *alphabet);

/* Reads a whole file (at most max bytes); NULL and errno on failure. */
char *file_read(const char *path, size_t max, size_t *len);

#endif
