/*
 * wrap.c: breaks text into lines of at most cols columns.
 *
 * Greedy, one paragraph (text between newlines) at a time. The unit is a
 * cluster (a character and the zero-width characters after it, see
 * text_cluster), so a combining accent never lands on another line than its
 * letter and a wide character is never cut. When a cluster does not fit:
 *
 *   - it is a space: the line ends before the run of spaces it is part of
 *     (unless the line holds nothing else), and the run is dropped;
 *   - the line has a run of spaces after some text: the line ends before the
 *     last such run, which is dropped, and the next line starts after it;
 *   - otherwise the word is cut before the cluster (a hard break). A cluster
 *     wider than the whole width (a wide character when cols is 1) gets a
 *     line of its own rather than being lost.
 *
 * Each newline ends a line and is dropped, as in a text file: "a\n" is one
 * line, "a\n\n" two ("a" and ""), and only empty text is one empty line. An
 * editor that wants a line for its cursor after a final newline adds it (a
 * chat message that ends in a newline shows no blank line). Leading spaces of
 * a paragraph (indentation) are kept. Every byte is looked at no more than
 * twice: after a break at a space, the scan resumes just past it and the
 * word it re-reads fits on the new line.
 */
#include "baton/text.h"

#include "text-internal.h"

struct wrap_state {
	struct text_line *lines;
	size_t max;
	size_t count;
};

static void wrap_emit(struct wrap_state *ws, size_t off, size_t len, size_t width)
{
	if (ws->count < ws->max)
		ws->lines[ws->count] = (struct text_line){ off, len, width };
	ws->count++;
}

/* Past the spaces at i; a space carrying a combining mark is not one. */
static size_t wrap_skip_spaces(const unsigned char *p, size_t i, size_t len)
{
	size_t cw;

	while (i < len && p[i] == ' ' && text_cluster(p + i, len - i, &cw) == 1)
		i++;
	return i;
}

size_t text_wrap(const char *s, size_t len, size_t cols, struct text_line *lines, size_t max)
{
	const unsigned char *p = (const unsigned char *)s;
	struct wrap_state ws = { lines, lines ? max : 0, 0 };
	size_t start = 0;

	if (cols < 1)
		cols = 1;
	for (;;) {
		/* One line from start. The last run of spaces that follows some
		 * text on it is [sp_start, sp_end), with the width before it in sp_w. */
		size_t i = start, w = 0, n, cw;
		size_t sp_start = 0, sp_end = 0, sp_w = 0;
		bool have_sp = false, have_text = false;

		for (;;) {
			if (i == len || p[i] == '\n') {
				wrap_emit(&ws, start, i - start, w);
				/* A newline ends its line; one at the very end does
				 * not start another. */
				if (i == len || i + 1 == len)
					return ws.count;
				start = i + 1;
				break;
			}
			n = text_cluster(p + i, len - i, &cw);
			/* A space with a combining mark on it is a letter, not a gap. */
			bool space = n == 1 && p[i] == ' ';
			if (w + cw <= cols) {
				if (!space) {
					have_text = true;
				} else if (have_sp && sp_end == i) {
					sp_end = i + 1;
				} else if (have_text) {
					have_sp = true;
					sp_start = i;
					sp_end = i + 1;
					sp_w = w;
				}
				w += cw;
				i += n;
				continue;
			}
			/* The cluster [i, i + n) does not fit. */
			if (space && have_text) {
				bool in_run = have_sp && sp_end == i;
				wrap_emit(&ws, start, (in_run ? sp_start : i) - start, in_run ? sp_w : w);
				start = wrap_skip_spaces(p, i, len);
			} else if (have_sp) {
				wrap_emit(&ws, start, sp_start - start, sp_w);
				start = sp_end;
			} else if (i > start) {
				/* A word (or indentation) wider than the line: cut it. */
				wrap_emit(&ws, start, i - start, w);
				start = i;
				break;
			} else {
				/* Wider than the whole line: alone on one, and the
				 * spaces after it go as at any other break. */
				wrap_emit(&ws, start, n, cw);
				start = wrap_skip_spaces(p, i + n, len);
			}
			/*
			 * The break used up the end of the line. If the paragraph
			 * ends right here, its newline is the one just broken at (so
			 * no empty line for it), and the end of the text ends it all.
			 */
			if (start < len && p[start] == '\n')
				start++;
			if (start == len)
				return ws.count;
			break;
		}
	}
}
