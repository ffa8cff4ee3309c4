/* file.c: whole-file reads for config files, fixtures and themes. */
#include "baton/common.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

char *file_read(const char *path, size_t max, size_t *len)
{
	FILE *f = fopen(path, "rb");
	struct strbuf sb = STRBUF_INIT;
	char chunk[8192];
	size_t n;

	if (!f)
		return NULL;
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
		if (sb.len + n > max) {
			fclose(f);
			sb_free(&sb);
			errno = EFBIG;
			return NULL;
		}
		sb_add(&sb, chunk, n);
	}
	if (ferror(f)) {
		int e = errno;
		fclose(f);
		sb_free(&sb);
		errno = e ? e : EIO;
		return NULL;
	}
	fclose(f);
	if (len)
		*len = sb.len;
	return sb_take(&sb);
}
