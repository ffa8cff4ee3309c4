/* rand.c: randomness from the kernel only; ids and coupon codes must be unguessable. */
#include "baton/common.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

void rand_bytes(void *buf, size_t n)
{
	unsigned char *p = buf;

	while (n > 0) {
		ssize_t r = getrandom(p, n, 0);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "baton: getrandom: %s\n", strerror(errno));
			abort();
		}
		p += r;
		n -= (size_t)r;
	}
}

uint32_t rand_below(uint32_t bound)
{
	uint32_t x, limit;

	if (bound <= 1)
		return 0;
	limit = UINT32_MAX - UINT32_MAX % bound;	/* reject the biased tail */
	do
		rand_bytes(&x, sizeof x);
	while (x >= limit);
	return x % bound;
}

void rand_string(char *out, size_t n, const char *alphabet)
{
	uint32_t k = (uint32_t)strlen(alphabet);

	for (size_t i = 0; i < n; i++)
		out[i] = alphabet[rand_below(k)];
	out[n] = '\0';
}
