/*
 * hub-sha256.h: SHA-256 (FIPS 180-4), for token hashes and command request
 * hashes. libwebsockets as Debian builds it does not export lws_genhash, and
 * this is small enough to carry.
 */
#ifndef BATON_HUB_SHA256_H
#define BATON_HUB_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define SHA256_LEN 32
#define SHA256_HEX_LEN 64

struct sha256 {
	uint32_t h[8];
	uint64_t total;
	unsigned char buf[64];
	size_t used;
};

void sha256_init(struct sha256 *c);
void sha256_update(struct sha256 *c, const void *p, size_t n);
void sha256_final(struct sha256 *c, unsigned char out[SHA256_LEN]);
/* One-shot, as lower-case hex with a NUL (65 bytes). */
void sha256_hex(const void *p, size_t n, char out[SHA256_HEX_LEN + 1]);

#endif
