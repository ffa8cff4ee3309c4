/* text-internal.h: what the files of src/text share and nobody else needs. */
#ifndef BATON_TEXT_INTERNAL_H
#define BATON_TEXT_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

/*
 * Decodes the character at s[0] (len >= 1 bytes available) into *cp and
 * returns its length in bytes (1..4). Ill-formed input gives
 * TEXT_REPLACEMENT and the length of its maximal subpart (1..3 bytes), so
 * the input was well-formed exactly when *cp != TEXT_REPLACEMENT or the
 * bytes were EF BF BD (a real U+FFFD).
 */
size_t text_utf8_decode(const unsigned char *s, size_t len, uint32_t *cp);

/*
 * The character at s[0] and the zero-width characters after it (combining
 * marks, ZWJ, variation selectors), which must stay together on screen.
 * Returns its length in bytes and sets *width to its columns (a newline is a
 * cluster of its own, width 0; a tab is 1). len >= 1.
 */
size_t text_cluster(const unsigned char *s, size_t len, size_t *width);

#endif
