/*
 * macro-picker.c: the `macros` picker's state — filter as you type, move,
 * pick (macro.h). No drawing here: the screen draws the rows it is given,
 * so this is tested without a terminal.
 */
#include "baton/macro.h"
#include "baton/common.h"
#include "baton/keys.h"
#include "baton/text.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void refilter(struct macro_picker *p)
{
	p->total = macro_set_filter(p->set, p->typed, p->hits, MACRO_PICK_MAX);
	p->n = p->total < MACRO_PICK_MAX ? p->total : MACRO_PICK_MAX;
	p->sel = 0;
	p->top = 0;
}

void macro_picker_init(struct macro_picker *p, const struct macro_set *s, size_t rows)
{
	memset(p, 0, sizeof *p);
	p->set = s;
	p->rows = rows ? rows : 10;
	refilter(p);
}

/* Keeps the selection on screen. */
static void scroll(struct macro_picker *p)
{
	if (p->sel < p->top)
		p->top = p->sel;
	if (p->sel >= p->top + p->rows)
		p->top = p->sel - p->rows + 1;
}

static enum macro_pick_result move(struct macro_picker *p, long by)
{
	long to = (long)p->sel + by;

	if (!p->n)
		return MACRO_PICK_NONE;
	if (to < 0)
		to = 0;
	if (to > (long)p->n - 1)
		to = (long)p->n - 1;
	if ((size_t)to == p->sel)
		return MACRO_PICK_NONE;
	p->sel = (size_t)to;
	scroll(p);
	return MACRO_PICK_REDRAW;
}

enum macro_pick_result macro_picker_key(struct macro_picker *p, int key, char *cmdline, size_t size)
{
	size_t len = strlen(p->typed);

	switch (key) {
	case KEYS_FN | KEYS_K_ESC:
		return MACRO_PICK_CLOSE;
	case KEYS_FN | KEYS_K_UP:
	case 16:	/* ctrl-p */
		return move(p, -1);
	case KEYS_FN | KEYS_K_DOWN:
	case 14:	/* ctrl-n */
		return move(p, 1);
	case KEYS_FN | KEYS_K_PGUP:
		return move(p, -(long)p->rows);
	case KEYS_FN | KEYS_K_PGDN:
		return move(p, (long)p->rows);
	case KEYS_FN | KEYS_K_HOME:
		return move(p, -(long)p->n);
	case KEYS_FN | KEYS_K_END:
		return move(p, (long)p->n);
	case KEYS_FN | KEYS_K_BACKSPACE:
	case 127:
	case 8:
		if (!len)
			return MACRO_PICK_NONE;
		/* Back over one UTF-8 character. */
		while (len && ((unsigned char)p->typed[len - 1] & 0xC0) == 0x80)
			len--;
		if (len)
			len--;
		p->typed[len] = '\0';
		refilter(p);
		return MACRO_PICK_REDRAW;
	case 21:	/* ctrl-u */
		if (!len)
			return MACRO_PICK_NONE;
		p->typed[0] = '\0';
		refilter(p);
		return MACRO_PICK_REDRAW;
	case KEYS_FN | KEYS_K_ENTER:
	case '\r':
	case '\n': {
		if (!p->n)
			return MACRO_PICK_NONE;
		const struct macro *m = p->hits[p->sel];
		char *labels[MACRO_ASKS_MAX];
		size_t asks = macro_asks(m, labels, MACRO_ASKS_MAX);
		for (size_t i = 0; i < asks; i++)
			free(labels[i]);
		snprintf(cmdline, size, "macro %s%s", m->name, asks ? " " : "");
		return asks ? MACRO_PICK_PREFILL : MACRO_PICK_RUN;
	}
	default:
		break;
	}
	if (key & (KEYS_FN | KEYS_META) || key < 0x20 || key == 0x7f || key > 0x10FFFF)
		return MACRO_PICK_NONE;
	char u[4];
	size_t n = text_utf8_put((uint32_t)key, u);
	if (len + n >= sizeof p->typed)
		return MACRO_PICK_NONE;
	memcpy(p->typed + len, u, n);
	p->typed[len + n] = '\0';
	refilter(p);
	return MACRO_PICK_REDRAW;
}

void macro_picker_line(const struct macro_picker *p, size_t i, size_t cols, char *out, size_t size)
{
	char *raw, *safe;
	size_t fit;

	if (!size)
		return;
	out[0] = '\0';
	if (i >= p->n)
		return;
	const struct macro *m = p->hits[i];
	raw = xasprintf("%-20s %-8s %s%s", m->name, m->key ? m->key : "", m->description,
			m->executable ? " (program)" : "");
	safe = text_sanitize_line(raw, strlen(raw), NULL);
	fit = text_fit(safe, strlen(safe), cols, NULL);
	snprintf(out, size, "%.*s", (int)fit, safe);
	free(raw);
	free(safe);
}

void macro_picker_title(const struct macro_picker *p, char *out, size_t size)
{
	char *safe = text_sanitize_line(p->typed, strlen(p->typed), NULL);

	snprintf(out, size, "Macros: %s (%zu of %zu) — Enter runs, Esc closes", *safe ? safe : "type to filter",
		 p->total, p->set ? p->set->n : 0);
	free(safe);
}
