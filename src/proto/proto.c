/*
 * proto.c: the generic codec behind proto.h.
 *
 * The field lists in proto.h expand here into descriptor tables; three
 * walkers read those tables: decode_obj (JSON → struct, validating),
 * encode_into (struct → JSON) and clone_obj (struct → struct in another
 * arena). Rules that span fields (an op's required args, an event kind's
 * body) are the types' check hooks, driven by proto_op_table and
 * proto_event_table at the end of this file.
 *
 * Error paths are not built while decoding succeeds: the walker keeps a
 * stack of (field, index) pointers and renders it only when something fails.
 */
#include "baton/proto.h"
#include "baton/common.h"
#include "baton/text.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- enums ---- */

#define ENUM_STR_(P, N, S) S,
#define ENUM_DEF_(name) const char *const proto_enum_##name[] = { PROTO_ENUM_##name(ENUM_STR_) NULL };
PROTO_ENUM_LIST(ENUM_DEF_)

const char *proto_enum_str(const char *const *table, int value)
{
	if (value < 0)
		return "?";
	for (int i = 0; table[i]; i++)
		if (i == value)
			return table[i];
	return "?";
}

int proto_enum_parse(const char *const *table, const char *s)
{
	for (int i = 0; table[i]; i++)
		if (strcmp(table[i], s) == 0)
			return i;
	return PROTO_UNKNOWN;
}

/* ---- arena: chunked bump allocation, freed all at once ---- */

struct arena_chunk {
	struct arena_chunk *next;
	size_t size, used;
	max_align_t data[];
};

struct proto_arena {
	struct arena_chunk *head;
	size_t total;
};

#define ARENA_CHUNK 4096

struct proto_arena *proto_arena_new(void)
{
	return xcalloc(1, sizeof(struct proto_arena));
}

void proto_arena_free(struct proto_arena *a)
{
	if (!a)
		return;
	for (struct arena_chunk *c = a->head, *next; c; c = next) {
		next = c->next;
		free(c);
	}
	free(a);
}

void *proto_arena_alloc(struct proto_arena *a, size_t n)
{
	struct arena_chunk *c = a->head;

	if (n > SIZE_MAX / 2)	/* a caller's arithmetic went wrong; do not wrap */
		abort();
	n = (n + 7) & ~(size_t)7;
	if (!c || c->size - c->used < n) {
		size_t size = n > ARENA_CHUNK / 2 ? n : ARENA_CHUNK;
		c = xmalloc(sizeof *c + size);
		c->size = size;
		c->used = 0;
		if (n > ARENA_CHUNK / 2 && a->head) {
			/* A big block goes behind the current chunk, which keeps its room. */
			c->next = a->head->next;
			a->head->next = c;
		} else {
			c->next = a->head;
			a->head = c;
		}
	}
	void *p = (char *)c->data + c->used;
	c->used += n;
	a->total += n;
	memset(p, 0, n);
	return p;
}

char *proto_arena_strndup(struct proto_arena *a, const char *s, size_t n)
{
	char *p = proto_arena_alloc(a, n + 1);
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *proto_arena_strdup(struct proto_arena *a, const char *s)
{
	return s ? proto_arena_strndup(a, s, strlen(s)) : NULL;
}

size_t proto_arena_used(const struct proto_arena *a)
{
	return a->total;
}

/* ---- descriptors, expanded from the field lists ---- */

#define OFF_(t, f) (uint16_t)offsetof(struct proto_##t, f)
#define D_STR(t, f, fl, a, b)  { #f, PK_STR, fl, OFF_(t, f), b, a, 0, 0, NULL, NULL },
#define D_INT(t, f, fl, a, b)  { #f, PK_INT, fl, OFF_(t, f), a, b, 0, 0, NULL, NULL },
#define D_NUM(t, f, fl, a, b)  { #f, PK_NUM, fl, OFF_(t, f), 0, 0, a, b, NULL, NULL },
#define D_BOOL(t, f, fl, a, b) { #f, PK_BOOL, fl, OFF_(t, f), 0, 0, 0, 0, NULL, NULL },
#define D_TIME(t, f, fl, a, b) { #f, PK_TIME, fl, OFF_(t, f), 0, 0, 0, 0, NULL, NULL },
#define D_ENUM(t, f, fl, a, b) { #f, PK_ENUM, fl, OFF_(t, f), 0, 0, 0, 0, NULL, proto_enum_##a },
#define D_OBJ(t, f, fl, a, b)  { #f, PK_OBJ, fl, OFF_(t, f), 0, 0, 0, 0, &proto_type_##a, NULL },
#define D_ARR(t, f, fl, a, b)  { #f, PK_ARR, fl, OFF_(t, f), 0, 0, 0, 0, &proto_type_##a, NULL },
#define D_STRS(t, f, fl, a, b) { #f, PK_STRS, fl, OFF_(t, f), b, a, 0, 0, NULL, NULL },
#define DESC_(t, f, kind, fl, a, b) D_##kind(t, f, fl, a, b)
#define FIELDS_(t) static const struct proto_field fields_##t[] = { PROTO_FIELDS_##t(DESC_) };
PROTO_TYPE_LIST(FIELDS_)

/* Every struct must fit its fields in the 64-bit masks. */
#define FIT_(t) _Static_assert(PF_##t##__COUNT <= 64, #t " has too many fields");
PROTO_TYPE_LIST(FIT_)

static int check_hello(const void *obj, const char *path, struct proto_err *err);
static int check_cmd(const void *obj, const char *path, struct proto_err *err);
static bool skip_cmd(const void *obj, unsigned field);
static int check_result(const void *obj, const char *path, struct proto_err *err);
static int check_event(const void *obj, const char *path, struct proto_err *err);
static bool skip_event(const void *obj, unsigned field);

#define TYPE_(t, chk, skp) \
	const struct proto_type proto_type_##t = { #t, sizeof(struct proto_##t), fields_##t, \
		(unsigned)BATON_ARRAY_LEN(fields_##t), chk, skp };
TYPE_(item, NULL, NULL)
TYPE_(order, NULL, NULL)
TYPE_(contact, NULL, NULL)
TYPE_(past_discount, NULL, NULL)
TYPE_(past_return, NULL, NULL)
TYPE_(customer, NULL, NULL)
TYPE_(reason, NULL, NULL)
TYPE_(attempt, NULL, NULL)
TYPE_(escalation, NULL, NULL)
TYPE_(message, NULL, NULL)
TYPE_(line, NULL, NULL)
TYPE_(action_params, NULL, NULL)
TYPE_(action_result, NULL, NULL)
TYPE_(error, NULL, NULL)
TYPE_(action, NULL, NULL)
TYPE_(approval, NULL, NULL)
TYPE_(presence, NULL, NULL)
TYPE_(conversation, NULL, NULL)
TYPE_(agent, NULL, NULL)
TYPE_(limits, NULL, NULL)
TYPE_(args, NULL, NULL)
TYPE_(body, NULL, NULL)
TYPE_(queue_counts, NULL, NULL)
TYPE_(agent_counts, NULL, NULL)
TYPE_(hello, check_hello, NULL)
TYPE_(welcome, NULL, NULL)
TYPE_(snapshot, NULL, NULL)
TYPE_(cmd, check_cmd, skip_cmd)
TYPE_(result, check_result, NULL)
TYPE_(event, check_event, skip_event)
TYPE_(typing, NULL, NULL)
TYPE_(reason_counts, NULL, NULL)
TYPE_(stats_sample, NULL, NULL)
TYPE_(agent_stat, NULL, NULL)
TYPE_(approval_ctx, NULL, NULL)
TYPE_(stats, NULL, NULL)
TYPE_(error_frame, NULL, NULL)

/* ---- errors and paths ---- */

#define PATH_MAX_DEPTH 24

struct dctx {
	struct proto_arena *a;
	struct proto_err *err;
	const char *root;		/* caller's path prefix */
	unsigned depth;
	struct {
		const char *name;	/* a field, or NULL for an index */
		size_t index;
	} stack[PATH_MAX_DEPTH];
};

static void path_render(const struct dctx *c, char *out, size_t size)
{
	size_t n = 0;

	out[0] = '\0';
	if (c->root && *c->root)
		n = (size_t)snprintf(out, size, "%s", c->root);
	for (unsigned i = 0; i < c->depth && n < size; i++) {
		if (c->stack[i].name)
			n += (size_t)snprintf(out + n, size - n, "%s%s", n ? "." : "", c->stack[i].name);
		else
			n += (size_t)snprintf(out + n, size - n, "[%zu]", c->stack[i].index);
	}
}

static void err_set(struct proto_err *err, int code, const char *fmt, ...) BATON_PRINTF(3, 4);
static void err_set(struct proto_err *err, int code, const char *fmt, ...)
{
	va_list ap;

	err->code = code;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof err->msg, fmt, ap);
	va_end(ap);
}

static int fail(struct dctx *c, const char *fmt, ...) BATON_PRINTF(2, 3);
static int fail(struct dctx *c, const char *fmt, ...)
{
	char path[160], what[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof what, fmt, ap);
	va_end(ap);
	path_render(c, path, sizeof path);
	err_set(c->err, PROTO_ERR_BAD_REQUEST, "%s%s%s", path, *path ? ": " : "", what);
	return -1;
}

/* A value quoted in an error message: short, printable ASCII only. Double
 * quotes become '?' too when the message puts the value inside them. */
static void quote(char *out, size_t size, const char *s, bool keep_quotes)
{
	size_t i = 0;

	for (; *s && i + 4 < size; s++)
		out[i++] = (*s >= 0x20 && *s < 0x7f && (*s != '"' || keep_quotes)) ? *s : '?';
	if (*s) {
		out[i++] = '.';
		out[i++] = '.';
		out[i++] = '.';
	}
	out[i] = '\0';
}

/* ---- decoding ---- */

static bool charset_ok(int cs, const char *s, size_t n)
{
	switch (cs) {
	case PCS_ANY:
		return true;
	case PCS_ID:
		if (n == 0)
			return false;
		for (size_t i = 0; i < n; i++) {
			unsigned char ch = (unsigned char)s[i];
			if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
			      (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' || ch == ':' || ch == '-'))
				return false;
		}
		return true;
	case PCS_CURRENCY:
		return n == 3 && s[0] >= 'A' && s[0] <= 'Z' && s[1] >= 'A' && s[1] <= 'Z' &&
		       s[2] >= 'A' && s[2] <= 'Z';
	case PCS_TOKEN:
		if (n == 0)
			return false;
		for (size_t i = 0; i < n; i++)
			if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f)
				return false;
		return true;
	case PCS_TARGET:
		if (n == 0)
			return false;
		if (s[0] == '@')
			return charset_ok(PCS_ID, s + 1, n - 1);
		return charset_ok(PCS_ID, s, n);
	}
	return false;
}

static const char *const charset_words[] = {
	[PCS_ANY] = "text",
	[PCS_ID] = "1 or more of A-Z a-z 0-9 . _ : -",
	[PCS_CURRENCY] = "an ISO 4217 code such as EUR",
	[PCS_TOKEN] = "printable ASCII without spaces",
	[PCS_TARGET] = "an agent id or @skill",
};

static size_t utf8_chars(const char *s, size_t n)
{
	size_t k = 0;

	for (size_t i = 0; i < n; i++)
		k += ((unsigned char)s[i] & 0xC0) != 0x80;
	return k;
}

static int decode_str(struct dctx *c, const struct proto_field *f, json_t *v, const char **out)
{
	if (!json_is_string(v))
		return fail(c, "expected a string");
	const char *s = json_string_value(v);
	size_t n = json_string_length(v);
	/* Bytes >= characters, so only long strings need counting. */
	/* The charset first: for a currency or an id it says more than a length. */
	if (!charset_ok((int)f->min, s, n))
		return fail(c, "expected %s", charset_words[f->min]);
	if (n > (size_t)f->max && utf8_chars(s, n) > (size_t)f->max)
		return fail(c, "longer than %lld characters", (long long)f->max);
	*out = proto_arena_strndup(c->a, s, n);
	return 0;
}

static int decode_obj(struct dctx *c, const struct proto_type *t, json_t *j, void *out);

static int decode_field(struct dctx *c, const struct proto_field *f, json_t *v, char *base)
{
	void *p = base + f->offset;

	switch ((enum proto_kind)f->kind) {
	case PK_STR:
		return decode_str(c, f, v, p);
	case PK_INT: {
		if (!json_is_integer(v))
			return fail(c, "expected an integer");
		json_int_t x = json_integer_value(v);
		if (f->min <= f->max && (x < f->min || x > f->max)) {
			if (f->max == INT64_MAX)	/* no upper bound worth printing */
				return fail(c, "%lld is out of range (%lld or more)", (long long)x,
					    (long long)f->min);
			return fail(c, "%lld is out of range (%lld to %lld)", (long long)x,
				    (long long)f->min, (long long)f->max);
		}
		*(int64_t *)p = x;
		return 0;
	}
	case PK_NUM: {
		if (!json_is_number(v))
			return fail(c, "expected a number");
		double x = json_number_value(v);
		if (f->dmin <= f->dmax && !(x >= f->dmin && x <= f->dmax))
			return fail(c, "%g is out of range (%g to %g)", x, f->dmin, f->dmax);
		*(double *)p = x;
		return 0;
	}
	case PK_BOOL:
		if (!json_is_boolean(v))
			return fail(c, "expected true or false");
		*(bool *)p = json_is_true(v);
		return 0;
	case PK_TIME:
		if (!json_is_string(v) ||
		    time_parse_rfc3339(json_string_value(v), json_string_length(v), p) < 0)
			return fail(c, "expected an RFC 3339 time such as 2026-11-22T03:14:07.123Z");
		return 0;
	case PK_ENUM: {
		int e = json_is_string(v) ? proto_enum_parse(f->enums, json_string_value(v))
					  : PROTO_UNKNOWN;
		if (!json_is_string(v) || (e == PROTO_UNKNOWN && !(f->flags & PF_OPEN))) {
			char q[40];
			struct strbuf sb = STRBUF_INIT;
			for (int i = 0; f->enums[i]; i++)
				sb_addf(&sb, "%s%s", i ? ", " : "", f->enums[i]);
			if (json_is_string(v)) {
				quote(q, sizeof q, json_string_value(v), false);
				fail(c, "unknown value \"%s\" (expected one of %s)", q, sb_str(&sb));
			} else if (f->flags & PF_OPEN) {
				fail(c, "expected a string");	/* open: the list is not the point */
			} else {
				fail(c, "expected a string, one of %s", sb_str(&sb));
			}
			sb_free(&sb);
			return -1;
		}
		*(int *)p = e;
		return 0;
	}
	case PK_OBJ: {
		void *sub = proto_arena_alloc(c->a, f->sub->size);
		if (decode_obj(c, f->sub, v, sub) < 0)
			return -1;
		*(void **)p = sub;
		return 0;
	}
	case PK_ARR: {
		if (!json_is_array(v))
			return fail(c, "expected an array");
		size_t n = json_array_size(v);
		char *items = n ? proto_arena_alloc(c->a, n * f->sub->size) : NULL;
		if (c->depth >= PATH_MAX_DEPTH)
			return fail(c, "nested too deeply");
		for (size_t i = 0; i < n; i++) {
			c->stack[c->depth].name = NULL;
			c->stack[c->depth].index = i;
			c->depth++;
			int r = decode_obj(c, f->sub, json_array_get(v, i), items + i * f->sub->size);
			c->depth--;
			if (r < 0)
				return -1;
		}
		struct { void *v; size_t n; } *arr = p;
		arr->v = items;
		arr->n = n;
		return 0;
	}
	case PK_STRS: {
		if (!json_is_array(v))
			return fail(c, "expected an array of strings");
		struct proto_strs *arr = p;
		size_t n = json_array_size(v);
		if (c->depth >= PATH_MAX_DEPTH)
			return fail(c, "nested too deeply");
		arr->v = n ? proto_arena_alloc(c->a, n * sizeof(char *)) : NULL;
		arr->n = n;
		for (size_t i = 0; i < n; i++) {
			c->stack[c->depth].name = NULL;
			c->stack[c->depth].index = i;
			c->depth++;
			int r = decode_str(c, f, json_array_get(v, i), &arr->v[i]);
			c->depth--;
			if (r < 0)
				return -1;
		}
		return 0;
	}
	}
	return fail(c, "internal: unknown field kind");
}

static int decode_obj(struct dctx *c, const struct proto_type *t, json_t *j, void *out)
{
	struct proto_mask *m = out;

	json_t *vals[64];
	const char *key;
	json_t *jv;
	unsigned next = 0;

	if (!json_is_object(j))
		return fail(c, "expected an object");
	if (c->depth >= PATH_MAX_DEPTH)
		return fail(c, "nested too deeply");
	/* One pass over the object's members instead of a hash lookup per field
	 * (most optional fields are absent). Members usually come in descriptor
	 * order (our encoder writes them so), so the field after the last match
	 * is tried first; then every field; an unknown key matches none. Fields
	 * are then taken in descriptor order, so errors and skip hooks see the
	 * same order whatever the sender's. */
	memset(vals, 0, t->nfields * sizeof vals[0]);
	json_object_foreach(j, key, jv) {
		unsigned k = next;
		if (k >= t->nfields || strcmp(t->fields[k].name, key) != 0) {
			for (k = 0; k < t->nfields; k++)
				if (strcmp(t->fields[k].name, key) == 0)
					break;
		}
		if (k < t->nfields) {
			vals[k] = jv;
			next = k + 1;
		}
	}
	for (unsigned i = 0; i < t->nfields; i++) {
		const struct proto_field *f = &t->fields[i];
		if (t->skip && t->skip(out, i))
			continue;
		json_t *v = vals[i];
		if (!v) {
			if (f->flags & PF_REQ) {
				c->stack[c->depth].name = f->name;
				c->depth++;
				fail(c, "required field is missing");
				c->depth--;
				return -1;
			}
			continue;
		}
		c->stack[c->depth].name = f->name;
		c->depth++;
		int r = 0;
		if (json_is_null(v)) {
			if (f->flags & PF_REQ)
				r = fail(c, "must not be null");
			else
				m->nul |= UINT64_C(1) << i;
		} else {
			r = decode_field(c, f, v, out);
		}
		c->depth--;
		if (r < 0)
			return -1;
		m->has |= UINT64_C(1) << i;
	}
	if (t->check) {
		char path[192];
		path_render(c, path, sizeof path - 1);
		if (*path)
			strcat(path, ".");
		if (t->check(out, path, c->err) < 0)
			return -1;
	}
	return 0;
}

int proto_decode(struct proto_arena *a, const struct proto_type *t, json_t *json, void *out,
		 const char *path, struct proto_err *err)
{
	struct dctx c = { .a = a, .err = err, .root = path, .depth = 0 };

	memset(err, 0, sizeof *err);
	return decode_obj(&c, t, json, out);
}

/* ---- encoding ---- */

static bool field_has_value(const struct proto_field *f, const char *p)
{
	switch ((enum proto_kind)f->kind) {
	case PK_STR:
	case PK_OBJ:
		return *(void *const *)p != NULL;
	case PK_INT:
	case PK_TIME:
		return *(const int64_t *)p != 0;
	case PK_NUM:
		return *(const double *)p != 0;
	case PK_BOOL:
		return *(const bool *)p;
	case PK_ENUM:
		return *(const int *)p > 0;
	case PK_ARR:
	case PK_STRS:
		return ((const struct proto_strs *)p)->n > 0;
	}
	return false;
}

static json_t *encode_field(const struct proto_field *f, const char *p);

/* A JSON string for s. Decoded text is valid UTF-8, but a struct built for
 * sending may hold bytes from elsewhere: jansson refuses those and the field
 * would vanish from the frame, so ill-formed sequences become U+FFFD. */
static json_t *encode_str(const char *s)
{
	json_t *v = json_string(s);

	if (!v) {
		struct strbuf sb = STRBUF_INIT;
		size_t len = strlen(s), pos = 0;
		char u[4];
		while (pos < len)
			sb_add(&sb, u, text_utf8_put(text_utf8_next(s, len, &pos), u));
		v = json_stringn(sb_str(&sb), sb.len);
		sb_free(&sb);
	}
	return v ? v : json_null();
}

static void encode_into(json_t *o, const struct proto_type *t, const void *obj)
{
	const struct proto_mask *m = obj;

	for (unsigned i = 0; i < t->nfields; i++) {
		const struct proto_field *f = &t->fields[i];
		const char *p = (const char *)obj + f->offset;
		json_t *v;

		if ((m->nul >> i) & 1)
			v = json_null();
		else if ((f->flags & PF_REQ) || ((m->has >> i) & 1) || field_has_value(f, p))
			v = encode_field(f, p);
		else
			continue;
		json_object_set_new_nocheck(o, f->name, v);
	}
}

static json_t *encode_field(const struct proto_field *f, const char *p)
{
	switch ((enum proto_kind)f->kind) {
	case PK_STR: {
		const char *s = *(const char *const *)p;
		return s ? encode_str(s) : json_null();
	}
	case PK_INT:
		return json_integer(*(const int64_t *)p);
	case PK_NUM: {
		double d = *(const double *)p;
		if (!isfinite(d))	/* JSON has no NaN or infinity; jansson would refuse it */
			return json_null();
		/* Integral values go out as integers, the shortest form. The range
		 * test comes first: converting a double outside int64_t is undefined. */
		if (d > -1e15 && d < 1e15 && d == (double)(int64_t)d)
			return json_integer((json_int_t)d);
		return json_real(d);
	}
	case PK_BOOL:
		return json_boolean(*(const bool *)p);
	case PK_TIME: {
		char ts[TIME_RFC3339_LEN + 1];
		time_format_rfc3339(*(const int64_t *)p, ts);
		return json_string(ts);
	}
	case PK_ENUM:
		return json_string(proto_enum_str(f->enums, *(const int *)p));
	case PK_OBJ: {
		const void *sub = *(const void *const *)p;
		if (!sub)
			return json_null();
		json_t *o = json_object();
		encode_into(o, f->sub, sub);
		return o;
	}
	case PK_ARR: {
		const struct { const char *v; size_t n; } *arr = (const void *)p;
		json_t *a = json_array();
		for (size_t i = 0; i < arr->n; i++) {
			json_t *o = json_object();
			encode_into(o, f->sub, arr->v + i * f->sub->size);
			json_array_append_new(a, o);
		}
		return a;
	}
	case PK_STRS: {
		const struct proto_strs *arr = (const void *)p;
		json_t *a = json_array();
		for (size_t i = 0; i < arr->n; i++)
			json_array_append_new(a, arr->v[i] ? encode_str(arr->v[i]) : json_null());
		return a;
	}
	}
	return json_null();
}

json_t *proto_encode(const struct proto_type *t, const void *obj)
{
	json_t *o = json_object();

	encode_into(o, t, obj);
	return o;
}

/* ---- deep copy ---- */

static void clone_into(struct proto_arena *a, const struct proto_type *t, void *dst, const void *src)
{
	memcpy(dst, src, t->size);
	for (unsigned i = 0; i < t->nfields; i++) {
		const struct proto_field *f = &t->fields[i];
		char *p = (char *)dst + f->offset;

		switch ((enum proto_kind)f->kind) {
		case PK_STR:
			*(char **)p = proto_arena_strdup(a, *(char **)p);
			break;
		case PK_OBJ:
			if (*(void **)p) {
				void *sub = proto_arena_alloc(a, f->sub->size);
				clone_into(a, f->sub, sub, *(void **)p);
				*(void **)p = sub;
			}
			break;
		case PK_ARR: {
			struct { char *v; size_t n; } *arr = (void *)p;
			if (arr->n) {
				char *items = proto_arena_alloc(a, arr->n * f->sub->size);
				for (size_t k = 0; k < arr->n; k++)
					clone_into(a, f->sub, items + k * f->sub->size,
						   arr->v + k * f->sub->size);
				arr->v = items;
			} else {
				arr->v = NULL;
			}
			break;
		}
		case PK_STRS: {
			struct proto_strs *arr = (void *)p;
			if (arr->n) {
				const char **v = proto_arena_alloc(a, arr->n * sizeof(char *));
				for (size_t k = 0; k < arr->n; k++)
					v[k] = proto_arena_strdup(a, arr->v[k]);
				arr->v = v;
			} else {
				arr->v = NULL;
			}
			break;
		}
		default:
			break;
		}
	}
}

void *proto_clone(struct proto_arena *a, const struct proto_type *t, const void *obj)
{
	void *dst;

	if (!obj)
		return NULL;
	dst = proto_arena_alloc(a, t->size);
	clone_into(a, t, dst, obj);
	return dst;
}

/* ---- frames ---- */

static const struct proto_type *const frame_types[] = {
	[PROTO_FRAME_HELLO] = &proto_type_hello,
	[PROTO_FRAME_WELCOME] = &proto_type_welcome,
	[PROTO_FRAME_SNAPSHOT] = &proto_type_snapshot,
	[PROTO_FRAME_CMD] = &proto_type_cmd,
	[PROTO_FRAME_RESULT] = &proto_type_result,
	[PROTO_FRAME_EVENT] = &proto_type_event,
	[PROTO_FRAME_TYPING] = &proto_type_typing,
	[PROTO_FRAME_STATS] = &proto_type_stats,
	[PROTO_FRAME_ERROR] = &proto_type_error_frame,
};

const struct proto_type *proto_frame_payload_type(enum proto_frame_type t)
{
	if ((unsigned)t >= BATON_ARRAY_LEN(frame_types))
		return NULL;
	return frame_types[t];
}

struct proto_frame *proto_frame_new(enum proto_frame_type t)
{
	struct proto_frame *f = xcalloc(1, sizeof *f);

	f->type = t;
	f->arena = proto_arena_new();
	return f;
}

void proto_frame_free(struct proto_frame *f)
{
	if (!f)
		return;
	proto_arena_free(f->arena);
	free(f);
}

struct proto_frame *proto_frame_decode(const char *buf, size_t len, size_t max_bytes,
				       struct proto_err *err)
{
	struct proto_frame *f = NULL;
	json_error_t je;
	json_t *root, *jt;
	int type;

	memset(err, 0, sizeof *err);
	if (max_bytes && len > max_bytes) {
		err_set(err, PROTO_ERR_TOO_LARGE, "frame is %zu bytes; the limit is %zu", len, max_bytes);
		return NULL;
	}
	if (len == 0) {
		err_set(err, PROTO_ERR_BAD_REQUEST, "empty frame; expected a JSON object");
		return NULL;
	}
	/* DECODE_ANY so that a bare string or number gets the same "expected a
	 * JSON object" as an array does, not a parser message. */
	root = json_loadb(buf, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &je);
	if (!root) {
		char q[100];
		const char *what = "invalid JSON";
		switch (json_error_code(&je)) {
		case json_error_invalid_utf8:
			what = "invalid UTF-8";
			break;
		case json_error_null_character:
			/* jansson's text names its own flag; say what the sender can fix. */
			snprintf(je.text, sizeof je.text, "a string contains \\u0000, which is not allowed");
			break;
		default:
			break;
		}
		quote(q, sizeof q, je.text, true);
		err_set(err, PROTO_ERR_BAD_REQUEST, "%s at line %d column %d: %s", what, je.line,
			je.column, q);
		return NULL;
	}
	if (!json_is_object(root)) {
		err_set(err, PROTO_ERR_BAD_REQUEST, "expected a JSON object");
		goto out;
	}
	jt = json_object_get(root, "type");
	if (!jt) {
		err_set(err, PROTO_ERR_BAD_REQUEST, "type: required field is missing");
		goto out;
	}
	if (!json_is_string(jt)) {
		err_set(err, PROTO_ERR_BAD_REQUEST, "type: expected a string");
		goto out;
	}
	type = proto_enum_parse(proto_enum_frame_type, json_string_value(jt));
	if (type == PROTO_UNKNOWN) {
		char q[40];
		quote(q, sizeof q, json_string_value(jt), false);
		err_set(err, PROTO_ERR_BAD_REQUEST, "type: unknown frame type \"%s\"", q);
		goto out;
	}
	f = proto_frame_new((enum proto_frame_type)type);
	struct dctx c = { .a = f->arena, .err = err, .root = "", .depth = 0 };
	if (decode_obj(&c, frame_types[type], root, &f->u) < 0) {
		if (type == PROTO_FRAME_CMD && f->u.cmd.cmd_id)
			snprintf(err->cmd_id, sizeof err->cmd_id, "%s", f->u.cmd.cmd_id);
		const char *op = json_string_value(json_object_get(root, "op"));
		if (err->code == PROTO_ERR_UNKNOWN_OP && op) {
			/* Only the frame still has the op's text: name it for the sender. */
			char q[64];
			quote(q, sizeof q, op, false);
			err_set(err, PROTO_ERR_UNKNOWN_OP, "op: unknown operation \"%s\"", q);
		}
		proto_frame_free(f);
		f = NULL;
	}
out:
	json_decref(root);
	return f;
}

json_t *proto_frame_to_json(const struct proto_frame *f)
{
	json_t *o = json_object();
	const struct proto_type *t = proto_frame_payload_type(f->type);

	json_object_set_new_nocheck(o, "type", json_string(proto_enum_str(proto_enum_frame_type, f->type)));
	if (t)	/* a type out of range is a caller's bug: "?" and no payload, not a wild read */
		encode_into(o, t, &f->u);
	return o;
}

char *proto_frame_encode(const struct proto_frame *f, size_t *len)
{
	json_t *o = proto_frame_to_json(f);
	char *s = json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(15));

	json_decref(o);
	if (!s)
		abort();	/* only on out of memory */
	if (len)
		*len = strlen(s);
	return s;
}

/* ---- cross-field rules ---- */

#define A_(f) (UINT64_C(1) << PF_args_##f)
#define B_(f) (UINT64_C(1) << PF_body_##f)

const struct proto_op_info proto_op_table[] = {
	[PROTO_OP_CLAIM] = { PROTO_OP_CLAIM, "claim", A_(conv), false, "conv" },
	[PROTO_OP_RELEASE] = { PROTO_OP_RELEASE, "release", A_(conv), false, "conv" },
	[PROTO_OP_MESSAGE_SEND] = { PROTO_OP_MESSAGE_SEND, "message.send", A_(conv) | A_(text), false,
				    "conv, text" },
	[PROTO_OP_NOTE_ADD] = { PROTO_OP_NOTE_ADD, "note.add", A_(conv) | A_(text), false, "conv, text" },
	[PROTO_OP_DISCOUNT_APPROVE] = { PROTO_OP_DISCOUNT_APPROVE, "discount.approve",
					A_(conv) | A_(reason), true,
					"conv, percent or amount_minor, order?, reason" },
	[PROTO_OP_RETURN_CREATE] = { PROTO_OP_RETURN_CREATE, "return.create",
				     A_(conv) | A_(order) | A_(lines) | A_(reason), true,
				     "conv, order, lines [{sku, qty}], reason" },
	[PROTO_OP_LABEL_CREATE] = { PROTO_OP_LABEL_CREATE, "label.create", A_(conv) | A_(rma), true,
				    "conv, rma, carrier?, service?" },
	[PROTO_OP_HANDBACK] = { PROTO_OP_HANDBACK, "handback", A_(conv) | A_(disposition) | A_(note),
				false, "conv, disposition, note, tags?" },
	[PROTO_OP_TRANSFER] = { PROTO_OP_TRANSFER, "transfer", A_(conv) | A_(to), false,
				"conv, to, note?" },
	[PROTO_OP_PRESENCE_SET] = { PROTO_OP_PRESENCE_SET, "presence.set", A_(status), false, "status" },
	[PROTO_OP_APPROVAL_DECIDE] = { PROTO_OP_APPROVAL_DECIDE, "approval.decide",
				       A_(approval) | A_(decision), false, "approval, decision, note?" },
	[PROTO_OP_MONITOR] = { PROTO_OP_MONITOR, "monitor", A_(conv), false, "conv" },
};
_Static_assert(BATON_ARRAY_LEN(proto_op_table) == PROTO_OP_MONITOR + 1, "proto_op_table");

const struct proto_event_info proto_event_table[] = {
	[PROTO_EV_CONV_QUEUED] = { PROTO_EV_CONV_QUEUED, "conversation.queued", B_(conversation) },
	[PROTO_EV_CONV_ASSIGNED] = { PROTO_EV_CONV_ASSIGNED, "conversation.assigned",
				     B_(conversation) | B_(agent) },
	[PROTO_EV_CONV_RELEASED] = { PROTO_EV_CONV_RELEASED, "conversation.released", B_(conversation) },
	[PROTO_EV_CONV_TRANSFERRED] = { PROTO_EV_CONV_TRANSFERRED, "conversation.transferred",
					B_(conversation) | B_(from) | B_(to) },
	[PROTO_EV_CONV_HANDED_BACK] = { PROTO_EV_CONV_HANDED_BACK, "conversation.handed_back",
					B_(conv) | B_(disposition) | B_(by) },
	[PROTO_EV_CONV_CLOSED] = { PROTO_EV_CONV_CLOSED, "conversation.closed", B_(conv) },
	[PROTO_EV_MESSAGE] = { PROTO_EV_MESSAGE, "message", B_(message) },
	[PROTO_EV_ACTION] = { PROTO_EV_ACTION, "action", B_(action) },
	[PROTO_EV_APPROVAL_REQUESTED] = { PROTO_EV_APPROVAL_REQUESTED, "approval.requested", B_(approval) },
	[PROTO_EV_APPROVAL_DECIDED] = { PROTO_EV_APPROVAL_DECIDED, "approval.decided",
					B_(approval) | B_(action) },
	[PROTO_EV_AGENT_PRESENCE] = { PROTO_EV_AGENT_PRESENCE, "agent.presence", B_(presence) },
};
_Static_assert(BATON_ARRAY_LEN(proto_event_table) == PROTO_EV_AGENT_PRESENCE + 1, "proto_event_table");

/* The first field named in mask that obj does not have: absent, or null
 * unless null_ok and the field may be null (PF_NULL). */
static const char *missing_field(const struct proto_type *t, const struct proto_mask *m, uint64_t mask,
				 bool null_ok)
{
	for (unsigned i = 0; i < t->nfields; i++) {
		if (!((mask >> i) & 1))
			continue;
		bool nul = (m->nul >> i) & 1;
		if (!((m->has >> i) & 1) || (nul && !(null_ok && (t->fields[i].flags & PF_NULL))))
			return t->fields[i].name;
	}
	return NULL;
}

bool proto_cmd_id_valid(const char *s)
{
	size_t n = strlen(s);
	return n >= 1 && n <= PROTO_CMD_ID_MAX && charset_ok(PCS_ID, s, n);
}

static int check_hello(const void *obj, const char *path, struct proto_err *err)
{
	const struct proto_hello *h = obj;

	if (h->v != PROTO_VERSION) {
		err_set(err, PROTO_ERR_UNSUPPORTED_VERSION,
			"%sv: version %lld is not supported; this side speaks %d", path,
			(long long)h->v, PROTO_VERSION);
		return -1;
	}
	return 0;
}

static bool skip_cmd(const void *obj, unsigned field)
{
	const struct proto_cmd *c = obj;
	/* An unknown op's args are not ours to judge. */
	return field == PF_cmd_args && c->op == PROTO_UNKNOWN;
}

/* True if s shows nothing: only white space, ASCII or Unicode (an input
 * method's ideographic space U+3000, no-break spaces, zero-width ones). */
static bool text_blank(const char *s)
{
	size_t len = strlen(s), pos = 0;

	while (pos < len) {
		uint32_t cp = text_utf8_next(s, len, &pos);
		if (!(cp == ' ' || cp == '\t' || cp == '\n' || cp == '\r' || cp == 0x0B || cp == 0x0C ||
		      cp == 0x85 || cp == 0xA0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200B) ||
		      cp == 0x2028 || cp == 0x2029 || cp == 0x202F || cp == 0x205F || cp == 0x3000 ||
		      cp == 0xFEFF))
			return false;
	}
	return true;
}

static int check_cmd(const void *obj, const char *path, struct proto_err *err)
{
	const struct proto_cmd *c = obj;
	const struct proto_args *a = c->args;
	const char *miss;

	snprintf(err->cmd_id, sizeof err->cmd_id, "%s", c->cmd_id);
	if (c->op == PROTO_UNKNOWN) {
		err_set(err, PROTO_ERR_UNKNOWN_OP, "%sop: unknown operation", path);
		return -1;
	}
	const struct proto_op_info *op = &proto_op_table[c->op];
	/* An op's arguments must carry a value: a null order or note is none. */
	miss = missing_field(&proto_type_args, &a->m, op->required, false);
	if (miss) {
		err_set(err, PROTO_ERR_BAD_REQUEST, "%sargs.%s: required for %s (args: %s)", path, miss,
			op->name, op->usage);
		return -1;
	}
	switch ((enum proto_op)c->op) {
	case PROTO_OP_MESSAGE_SEND:
	case PROTO_OP_NOTE_ADD:
		if (text_blank(a->text)) {
			err_set(err, PROTO_ERR_BAD_REQUEST, "%sargs.text: must not be empty", path);
			return -1;
		}
		break;
	case PROTO_OP_DISCOUNT_APPROVE: {
		bool pct = PROTO_HAS(a, args, percent) && !PROTO_IS_NULL(a, args, percent);
		bool amt = PROTO_HAS(a, args, amount_minor) && !PROTO_IS_NULL(a, args, amount_minor);
		if (pct == amt) {
			err_set(err, PROTO_ERR_BAD_REQUEST,
				"%sargs: give exactly one of percent and amount_minor", path);
			return -1;
		}
		break;
	}
	case PROTO_OP_RETURN_CREATE:
		if (a->lines.n == 0) {
			err_set(err, PROTO_ERR_BAD_REQUEST, "%sargs.lines: at least one line is needed", path);
			return -1;
		}
		break;
	case PROTO_OP_PRESENCE_SET:
		if (a->status == PROTO_PRES_OFFLINE) {
			err_set(err, PROTO_ERR_BAD_REQUEST,
				"%sargs.status: an agent sets online or away; offline follows disconnecting",
				path);
			return -1;
		}
		break;
	default:
		break;
	}
	return 0;
}

static int check_result(const void *obj, const char *path, struct proto_err *err)
{
	const struct proto_result *r = obj;

	if (r->status == PROTO_RES_REJECTED && !r->error) {
		err_set(err, PROTO_ERR_BAD_REQUEST, "%serror: required when status is rejected", path);
		return -1;
	}
	return 0;
}

static bool skip_event(const void *obj, unsigned field)
{
	const struct proto_event *e = obj;
	/* A kind from a newer hub: keep seq so it is skipped in order, ignore its body. */
	return field == PF_event_body && e->kind == PROTO_UNKNOWN;
}

static int check_event(const void *obj, const char *path, struct proto_err *err)
{
	const struct proto_event *e = obj;
	const char *miss;

	if (e->kind == PROTO_UNKNOWN)
		return 0;
	/* An event's body must carry the kind's fields, but one that may be null
	 * may be null here too: a transfer of a conversation nobody owned says
	 * "from": null. */
	miss = missing_field(&proto_type_body, &e->body->m, proto_event_table[e->kind].required, true);
	if (miss) {
		err_set(err, PROTO_ERR_BAD_REQUEST, "%sbody.%s: required for a %s event", path, miss,
			proto_event_table[e->kind].name);
		return -1;
	}
	return 0;
}
