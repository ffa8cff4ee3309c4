/*
 * test-proto.c: the protocol codec against its golden fixtures, then unit
 * tests for the rules the fixtures cannot show on their own.
 *
 * Fixtures (tests/fixtures, see its README.md) are data, one TAP line each:
 *   ok/frame-<name>.json         decodes as a frame; re-encodes to an equal
 *                                JSON value (or to <name>.expect.json when the
 *                                canonical form differs); decode(encode(x))
 *                                encodes to the same bytes; so does a clone.
 *   ok/object-<type>-<name>.json the same through proto_decode and
 *                                proto_type_<type>.
 *   reject/<name>.json           is refused with exactly the "<code>: <message>"
 *                                of <name>.err; err->cmd_id must equal
 *                                <name>.cmd_id (or be empty without one);
 *                                <name>.max sets max_bytes. object-<type>-*
 *                                fixtures are decoded with proto_decode.
 * Coverage checks then make sure every frame type, op, event kind and result
 * status has an ok fixture and every op a missing-argument rejection, so a
 * deleted fixture fails the suite instead of shrinking it.
 *
 * Run from the repository root (tests/run does); BATON_FIXTURES overrides
 * the fixture directory.
 */
#include "baton/proto.h"
#include "baton/common.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "test.h"

#define FIXTURE_MAX_BYTES (4u << 20)

/* ---- helpers ---- */

#define TYPE_ENTRY_(t) &proto_type_##t,
static const struct proto_type *const all_types[] = { PROTO_TYPE_LIST(TYPE_ENTRY_) };

static const struct proto_type *type_by_name(const char *name, size_t n)
{
	for (size_t i = 0; i < BATON_ARRAY_LEN(all_types); i++)
		if (strlen(all_types[i]->name) == n && strncmp(all_types[i]->name, name, n) == 0)
			return all_types[i];
	return NULL;
}

static const char *fixture_root(void)
{
	const char *d = getenv("BATON_FIXTURES");
	return d && *d ? d : "tests/fixtures";
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);
	return n >= k && strcmp(s + n - k, suffix) == 0;
}

/* Sorted names in dir ending in suffix (but not in except); NULL-terminated. */
static char **list_dir(const char *dir, const char *suffix, const char *except, size_t *count)
{
	DIR *d = opendir(dir);
	char **v = NULL;
	size_t n = 0;
	struct dirent *e;

	*count = 0;
	if (!d)
		return NULL;
	v = xcalloc(1, sizeof *v);	/* an empty directory gives an empty list, not NULL */
	while ((e = readdir(d))) {
		if (!ends_with(e->d_name, suffix) || (except && ends_with(e->d_name, except)))
			continue;
		v = xrealloc(v, (n + 2) * sizeof *v);
		v[n++] = xstrdup(e->d_name);
		v[n] = NULL;
	}
	closedir(d);
	if (n)
		qsort(v, n, sizeof *v, cmp_str);
	*count = n;
	return v;
}

static void free_list(char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

/* dir/stem + suffix, read whole; NULL if it does not exist. */
static char *read_side(const char *dir, const char *stem, const char *suffix, size_t *len)
{
	char *path = xasprintf("%s/%s%s", dir, stem, suffix);
	char *s = file_read(path, FIXTURE_MAX_BYTES, len);
	free(path);
	return s;
}

static void chomp(char *s)
{
	size_t n = strlen(s);
	while (n && (s[n - 1] == '\n' || s[n - 1] == '\r'))
		s[--n] = '\0';
}

/* A JSON value as sorted compact text, for diagnostics and comparisons. */
static char *canon(const json_t *j)
{
	char *s = j ? json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS | JSON_REAL_PRECISION(17) |
					JSON_ENCODE_ANY)
		    : NULL;
	return s ? s : xstrdup("(none)");
}

/* Prints where two JSON texts first differ, as TAP comments. */
static void diag_diff(const char *what, const json_t *got, const json_t *want)
{
	char *g = canon(got), *w = canon(want);
	size_t i = 0;

	while (g[i] && g[i] == w[i])
		i++;
	size_t from = i > 60 ? i - 60 : 0;
	printf("#   %s differs at byte %zu\n#     got:  ...%.160s\n#     want: ...%.160s\n", what, i,
	       g + from, w + from);
	free(g);
	free(w);
}

static void diag_err(const char *what, const struct proto_err *err)
{
	printf("#   %s: %s: %s\n", what, PROTO_ENUM_STR(error_code, err->code), err->msg);
}

/* ---- coverage bookkeeping ---- */

static struct {
	uint64_t frame_types, ops, event_kinds, result_statuses, resumes, action_kinds, action_statuses;
	uint64_t object_types;
	uint64_t ops_missing;	/* ops with a "required for <op>" rejection */
	uint64_t err_codes;
	bool unknown_event, extra_fields;
	uint64_t fields[BATON_ARRAY_LEN(all_types)];	/* per type: fields seen present */
} cov;

static size_t type_index(const struct proto_type *t)
{
	size_t k = 0;

	while (k < BATON_ARRAY_LEN(all_types) && all_types[k] != t)
		k++;
	return k;
}

/* Marks every field present in obj and, through objects and arrays, below. */
static void cover_fields(const struct proto_type *t, const void *obj)
{
	const struct proto_mask *m = obj;
	size_t k = type_index(t);

	if (k < BATON_ARRAY_LEN(all_types))
		cov.fields[k] |= m->has;
	for (unsigned i = 0; i < t->nfields; i++) {
		const struct proto_field *f = &t->fields[i];
		const char *p = (const char *)obj + f->offset;
		if (f->kind == PK_OBJ && *(void *const *)p) {
			cover_fields(f->sub, *(void *const *)p);
		} else if (f->kind == PK_ARR) {
			const struct { const char *v; size_t n; } *arr = (const void *)p;
			for (size_t e = 0; e < arr->n; e++)
				cover_fields(f->sub, arr->v + e * f->sub->size);
		}
	}
}

static void cover_frame(const struct proto_frame *f)
{
	cover_fields(proto_frame_payload_type(f->type), &f->u);
	cov.frame_types |= UINT64_C(1) << f->type;
	switch (f->type) {
	case PROTO_FRAME_CMD:
		if (f->u.cmd.op >= 0)
			cov.ops |= UINT64_C(1) << f->u.cmd.op;
		break;
	case PROTO_FRAME_EVENT:
		if (f->u.event.kind >= 0)
			cov.event_kinds |= UINT64_C(1) << f->u.event.kind;
		else
			cov.unknown_event = true;
		break;
	case PROTO_FRAME_RESULT:
		cov.result_statuses |= UINT64_C(1) << f->u.result.status;
		break;
	case PROTO_FRAME_WELCOME:
		cov.resumes |= UINT64_C(1) << f->u.welcome.resume;
		break;
	default:
		break;
	}
}

/* ---- ok fixtures ---- */

static json_t *load_expect(const char *dir, const char *stem, const char *buf, size_t len)
{
	size_t n;
	char *e = read_side(dir, stem, ".expect.json", &n);
	json_error_t je;
	json_t *j;

	if (e) {
		if (strstr(stem, "extra-fields"))
			cov.extra_fields = true;
		j = json_loadb(e, n, 0, &je);
		free(e);
	} else {
		j = json_loadb(buf, len, 0, &je);
	}
	if (!j)
		printf("#   expectation is not JSON: line %d: %s\n", je.line, je.text);
	return j;
}

/* decode, compare with the expectation, encode → decode → encode, clone. */
static int ok_frame(const char *dir, const char *stem, const char *buf, size_t len)
{
	struct proto_err err;
	struct proto_frame *f = NULL, *f2 = NULL, *copy = NULL;
	json_t *got = NULL, *want = NULL, *reparsed = NULL;
	char *s1 = NULL, *s2 = NULL, *s3 = NULL;
	size_t n1, n2;
	int failed = 1;

	f = proto_frame_decode(buf, len, PROTO_MAX_FRAME_BYTES, &err);
	if (!f) {
		diag_err("refused", &err);
		goto out;
	}
	cover_frame(f);
	got = proto_frame_to_json(f);
	want = load_expect(dir, stem, buf, len);
	if (!want)
		goto out;
	if (!json_equal(got, want)) {
		diag_diff("re-encoding", got, want);
		goto out;
	}
	s1 = proto_frame_encode(f, &n1);
	if (strlen(s1) != n1) {
		printf("#   encode: length %zu but strlen %zu\n", n1, strlen(s1));
		goto out;
	}
	reparsed = json_loadb(s1, n1, JSON_REJECT_DUPLICATES, NULL);
	if (!reparsed || !json_equal(reparsed, got)) {
		diag_diff("encoded bytes", reparsed, got);
		goto out;
	}
	f2 = proto_frame_decode(s1, n1, 0, &err);
	if (!f2) {
		diag_err("own encoding refused", &err);
		goto out;
	}
	s2 = proto_frame_encode(f2, &n2);
	if (n1 != n2 || memcmp(s1, s2, n1) != 0) {
		printf("#   decode(encode(x)) encodes differently:\n#     %.200s\n#     %.200s\n", s1, s2);
		goto out;
	}
	/* A clone must survive the original's arena. */
	const struct proto_type *t = proto_frame_payload_type(f->type);
	copy = proto_frame_new(f->type);
	memcpy(&copy->u, proto_clone(copy->arena, t, &f->u), t->size);
	proto_frame_free(f);
	f = NULL;
	s3 = proto_frame_encode(copy, NULL);
	if (strcmp(s1, s3) != 0) {
		printf("#   clone encodes differently\n");
		goto out;
	}
	failed = 0;
out:
	free(s1);
	free(s2);
	free(s3);
	json_decref(got);
	json_decref(want);
	json_decref(reparsed);
	proto_frame_free(f);
	proto_frame_free(f2);
	proto_frame_free(copy);
	return failed;
}

static void cover_object(const struct proto_type *t, const void *o)
{
	cover_fields(t, o);
	for (size_t i = 0; i < BATON_ARRAY_LEN(all_types); i++)
		if (all_types[i] == t)
			cov.object_types |= UINT64_C(1) << i;
	if (t == &proto_type_action) {
		const struct proto_action *a = o;
		cov.action_kinds |= UINT64_C(1) << a->kind;
		cov.action_statuses |= UINT64_C(1) << a->status;
	}
}

static int ok_object(const char *dir, const char *stem, const struct proto_type *t, const char *buf,
		     size_t len)
{
	struct proto_arena *a = proto_arena_new(), *a2 = proto_arena_new();
	struct proto_err err;
	json_error_t je;
	json_t *in = NULL, *got = NULL, *want = NULL, *again = NULL, *cj = NULL;
	void *o = proto_arena_alloc(a, t->size), *o2 = proto_arena_alloc(a, t->size), *c;
	int failed = 1;

	in = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &je);
	if (!in) {
		printf("#   not JSON: line %d: %s\n", je.line, je.text);
		goto out;
	}
	if (proto_decode(a, t, in, o, "", &err) < 0) {
		diag_err("refused", &err);
		goto out;
	}
	cover_object(t, o);
	got = proto_encode(t, o);
	want = load_expect(dir, stem, buf, len);
	if (!want)
		goto out;
	if (!json_equal(got, want)) {
		diag_diff("re-encoding", got, want);
		goto out;
	}
	if (proto_decode(a, t, got, o2, "", &err) < 0) {
		diag_err("own encoding refused", &err);
		goto out;
	}
	again = proto_encode(t, o2);
	if (!json_equal(again, got)) {
		diag_diff("decode(encode(x))", again, got);
		goto out;
	}
	c = proto_clone(a2, t, o);
	proto_arena_free(a);
	a = NULL;
	cj = proto_encode(t, c);
	if (!json_equal(cj, got)) {
		diag_diff("clone", cj, got);
		goto out;
	}
	failed = 0;
out:
	json_decref(in);
	json_decref(got);
	json_decref(want);
	json_decref(again);
	json_decref(cj);
	proto_arena_free(a);
	proto_arena_free(a2);
	return failed;
}

/* object-<type>-<name>: the type, or NULL (with a diagnostic). */
static const struct proto_type *object_type_of(const char *stem)
{
	const char *p = stem + strlen("object-"), *dash = strchr(p, '-');
	const struct proto_type *t = dash ? type_by_name(p, (size_t)(dash - p)) : NULL;

	if (!t)
		printf("#   %s: name it object-<type>-<name> with a type of proto.h\n", stem);
	return t;
}

static void walk_ok(void)
{
	char *dir = xasprintf("%s/ok", fixture_root());
	size_t n;
	char **names = list_dir(dir, ".json", ".expect.json", &n);

	if (!names) {
		printf("#   cannot read %s (%s); run the tests from the repository root\n", dir,
		       strerror(errno));
		test_report("fixtures ok/ exist", 1);
		free(dir);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		char *stem = xstrndup(names[i], strlen(names[i]) - strlen(".json"));
		char *label = xasprintf("fixture ok/%s", names[i]);
		size_t len;
		char *buf = read_side(dir, stem, ".json", &len);
		int failed = 1;

		if (!buf)
			printf("#   cannot read: %s\n", strerror(errno));
		else if (strncmp(stem, "frame-", 6) == 0)
			failed = ok_frame(dir, stem, buf, len);
		else if (strncmp(stem, "object-", 7) == 0) {
			const struct proto_type *t = object_type_of(stem);
			failed = t ? ok_object(dir, stem, t, buf, len) : 1;
		} else
			printf("#   name it frame-<name>.json or object-<type>-<name>.json\n");
		test_report(label, failed);
		free(buf);
		free(label);
		free(stem);
	}
	/* An expectation without its input is a fixture someone half-deleted. */
	size_t ne;
	char **expects = list_dir(dir, ".expect.json", NULL, &ne);
	for (size_t i = 0; i < ne; i++) {
		char *stem = xstrndup(expects[i], strlen(expects[i]) - strlen(".expect.json"));
		char *in = xasprintf("%s/%s.json", dir, stem);
		size_t len;
		char *s = file_read(in, FIXTURE_MAX_BYTES, &len);
		if (!s) {
			char *label = xasprintf("fixture ok/%s has its input", expects[i]);
			test_report(label, 1);
			free(label);
		}
		free(s);
		free(in);
		free(stem);
	}
	free_list(expects);
	free_list(names);
	free(dir);
}

/* ---- reject fixtures ---- */

static int reject_one(const char *dir, const char *stem, const char *buf, size_t len)
{
	struct proto_err err;
	size_t n;
	char *want = read_side(dir, stem, ".err", &n);
	char *want_id = read_side(dir, stem, ".cmd_id", &n);
	char *maxs = read_side(dir, stem, ".max", &n);
	char got[400];
	size_t max = 0;
	int failed = 1;

	if (!want) {
		printf("#   %s.err is missing: write the expected \"<code>: <message>\" there\n", stem);
		goto out;
	}
	chomp(want);
	if (want_id)
		chomp(want_id);
	if (maxs)
		max = (size_t)strtoull(maxs, NULL, 10);
	if (strncmp(stem, "object-", 7) == 0) {
		const struct proto_type *t = object_type_of(stem);
		json_t *j = t ? json_loadb(buf, len, JSON_REJECT_DUPLICATES, NULL) : NULL;
		struct proto_arena *a = proto_arena_new();
		int r = 0;
		if (!j)
			printf("#   an object fixture must be JSON\n");
		else
			r = proto_decode(a, t, j, proto_arena_alloc(a, t->size), "", &err);
		json_decref(j);
		proto_arena_free(a);
		if (!j)
			goto out;
		if (r == 0) {
			printf("#   accepted\n");
			goto out;
		}
	} else {
		struct proto_frame *f = proto_frame_decode(buf, len, max, &err);
		if (f) {
			char *s = proto_frame_encode(f, NULL);
			printf("#   accepted as %.200s\n", s);
			free(s);
			proto_frame_free(f);
			goto out;
		}
	}
	snprintf(got, sizeof got, "%s: %s", PROTO_ENUM_STR(error_code, err.code), err.msg);
	cov.err_codes |= UINT64_C(1) << err.code;
	for (int op = 0; proto_enum_op[op]; op++) {
		char *needle = xasprintf("required for %s (", proto_enum_op[op]);
		if (strstr(got, needle))
			cov.ops_missing |= UINT64_C(1) << op;
		free(needle);
	}
	if (strcmp(got, want) != 0) {
		printf("#   got:  %s\n#   want: %s\n", got, want);
		goto out;
	}
	if (strcmp(err.cmd_id, want_id ? want_id : "") != 0) {
		printf("#   err.cmd_id == \"%s\", expected \"%s\"\n", err.cmd_id, want_id ? want_id : "");
		goto out;
	}
	failed = 0;
out:
	free(want);
	free(want_id);
	free(maxs);
	return failed;
}

static void walk_reject(void)
{
	char *dir = xasprintf("%s/reject", fixture_root());
	size_t n;
	char **names = list_dir(dir, ".json", NULL, &n);

	if (!names) {
		printf("#   cannot read %s (%s)\n", dir, strerror(errno));
		test_report("fixtures reject/ exist", 1);
		free(dir);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		char *stem = xstrndup(names[i], strlen(names[i]) - strlen(".json"));
		char *label = xasprintf("fixture reject/%s", names[i]);
		size_t len;
		char *buf = read_side(dir, stem, ".json", &len);
		int failed = buf ? reject_one(dir, stem, buf, len) : 1;
		test_report(label, failed);
		free(buf);
		free(label);
		free(stem);
	}
	size_t ne;
	char **errs = list_dir(dir, ".err", NULL, &ne);
	for (size_t i = 0; i < ne; i++) {
		char *stem = xstrndup(errs[i], strlen(errs[i]) - strlen(".err"));
		char *in = xasprintf("%s/%s.json", dir, stem);
		size_t len;
		char *s = file_read(in, FIXTURE_MAX_BYTES, &len);
		if (!s) {
			char *label = xasprintf("fixture reject/%s has its input", errs[i]);
			test_report(label, 1);
			free(label);
		}
		free(s);
		free(in);
		free(stem);
	}
	free_list(errs);
	free_list(names);
	free(dir);
}

/* Names the members of table whose bit is missing from seen. */
static int check_all(const char *what, const char *const *table, uint64_t seen)
{
	int missing = 0;

	for (int i = 0; table[i]; i++) {
		if (!((seen >> i) & 1)) {
			printf("#   no fixture for %s %s\n", what, table[i]);
			missing++;
		}
	}
	return missing;
}

/* Every field of every type is present in some ok fixture, so each one's
 * decoding and encoding is exercised; a field added to proto.h without a
 * fixture fails here. */
static void test_fixture_field_coverage(void)
{
	int missing = 0;

	for (size_t k = 0; k < BATON_ARRAY_LEN(all_types); k++) {
		const struct proto_type *t = all_types[k];
		for (unsigned i = 0; i < t->nfields; i++) {
			if (!((cov.fields[k] >> i) & 1)) {
				printf("#   no ok fixture has %s.%s\n", t->name, t->fields[i].name);
				missing++;
			}
		}
	}
	CHECK_INT(missing, 0);
}

static void test_fixture_coverage(void)
{
	static const char *const objects[] = { "conversation", "message", "action", "approval",
					       "presence", "customer", NULL };

	CHECK_INT(check_all("frame type", proto_enum_frame_type, cov.frame_types), 0);
	CHECK_INT(check_all("op", proto_enum_op, cov.ops), 0);
	CHECK_INT(check_all("event kind", proto_enum_event_kind, cov.event_kinds), 0);
	CHECK_INT(check_all("result status", proto_enum_result_status, cov.result_statuses), 0);
	CHECK_INT(check_all("welcome resume", proto_enum_resume, cov.resumes), 0);
	CHECK_INT(check_all("action kind (object-action-*)", proto_enum_action_kind, cov.action_kinds), 0);
	CHECK_INT(check_all("action status (object-action-*)", proto_enum_action_status,
			    cov.action_statuses), 0);
	for (int i = 0; objects[i]; i++) {
		const struct proto_type *t = type_by_name(objects[i], strlen(objects[i]));
		size_t k = 0;
		while (all_types[k] != t)
			k++;
		if (!((cov.object_types >> k) & 1)) {
			printf("#   no object-%s-*.json fixture\n", objects[i]);
			CHECK(0);
		}
	}
	CHECK(cov.unknown_event);
	CHECK(cov.extra_fields);
	CHECK_INT(check_all("missing argument of op", proto_enum_op, cov.ops_missing), 0);
	CHECK((cov.err_codes >> PROTO_ERR_BAD_REQUEST) & 1);
	CHECK((cov.err_codes >> PROTO_ERR_TOO_LARGE) & 1);
	CHECK((cov.err_codes >> PROTO_ERR_UNKNOWN_OP) & 1);
	CHECK((cov.err_codes >> PROTO_ERR_UNSUPPORTED_VERSION) & 1);
}

/* ---- unit tests ---- */

static char *enc(const struct proto_type *t, const void *o)
{
	json_t *j = proto_encode(t, o);
	char *s = json_dumps(j, JSON_COMPACT | JSON_REAL_PRECISION(15));
	json_decref(j);
	return s;
}

#define CHECK_ENC(t, o, want) do { \
	char *s_ = enc(&proto_type_##t, (o)); \
	CHECK_STR(s_, want); \
	free(s_); \
} while (0)

static void test_encode_presence_rules(void)
{
	struct proto_arena *a = proto_arena_new();
	struct proto_presence *p = PROTO_NEW(a, presence);

	/* Required fields are always written, even zero (status online is 0). */
	p->id = "ana";
	CHECK_ENC(presence, p, "{\"id\":\"ana\",\"status\":\"online\"}");
	/* An optional enum at its first value needs PROTO_SET. */
	p->role = PROTO_ROLE_AGENT;
	CHECK_ENC(presence, p, "{\"id\":\"ana\",\"status\":\"online\"}");
	PROTO_SET(p, presence, role);
	CHECK_ENC(presence, p, "{\"id\":\"ana\",\"role\":\"agent\",\"status\":\"online\"}");
	/* A non-first value is written without it. */
	p->m.has = 0;
	p->role = PROTO_ROLE_SUPERVISOR;
	CHECK_ENC(presence, p, "{\"id\":\"ana\",\"role\":\"supervisor\",\"status\":\"online\"}");
	/* An empty array only when set; a string when non-NULL; null when set null. */
	PROTO_SET(p, presence, active);
	p->name = "Ana";
	CHECK_ENC(presence, p,
		  "{\"id\":\"ana\",\"name\":\"Ana\",\"role\":\"supervisor\",\"status\":\"online\",\"active\":[]}");
	p->m.has = 0;
	p->name = NULL;
	p->role = 0;
	PROTO_SET_NULL(p, presence, name);
	CHECK_ENC(presence, p, "{\"id\":\"ana\",\"name\":null,\"status\":\"online\"}");
	CHECK(PROTO_HAS(p, presence, name) && PROTO_IS_NULL(p, presence, name));

	/* Numbers, times and booleans: zero is absent unless set or required. */
	struct proto_escalation *e = PROTO_NEW(a, escalation);
	e->reason = PROTO_NEW(a, reason);
	CHECK_ENC(escalation, e, "{\"reason\":{\"code\":\"discount_request\"}}");
	PROTO_SET(e, escalation, confidence);
	CHECK_ENC(escalation, e, "{\"reason\":{\"code\":\"discount_request\"},\"confidence\":0}");
	e->m.has = 0;
	e->confidence = 0.5;
	e->sentiment = -1.0;	/* integral: written as an integer */
	CHECK_ENC(escalation, e,
		  "{\"reason\":{\"code\":\"discount_request\"},\"confidence\":0.5,\"sentiment\":-1}");
	struct proto_typing *ty = PROTO_NEW(a, typing);
	ty->conv = "c-1";
	CHECK_ENC(typing, ty, "{\"conv\":\"c-1\",\"on\":false}");
	struct proto_order *o = PROTO_NEW(a, order);
	o->id = "o-1";
	o->status = "new";
	o->currency = "EUR";
	CHECK_ENC(order, o,
		  "{\"id\":\"o-1\",\"placed_at\":\"1970-01-01T00:00:00.000Z\",\"status\":\"new\","
		  "\"total_minor\":0,\"currency\":\"EUR\",\"items\":[]}");
	o->delivered_at = 1795317247123;
	PROTO_SET_NULL(o, order, carrier);
	CHECK_ENC(order, o,
		  "{\"id\":\"o-1\",\"placed_at\":\"1970-01-01T00:00:00.000Z\","
		  "\"delivered_at\":\"2026-11-22T03:14:07.123Z\",\"status\":\"new\","
		  "\"total_minor\":0,\"currency\":\"EUR\",\"carrier\":null,\"items\":[]}");
	proto_arena_free(a);
}

static void test_encode_frame_bytes(void)
{
	struct proto_frame *f = proto_frame_new(PROTO_FRAME_CMD);
	size_t n;

	f->u.cmd.cmd_id = "k-1";
	f->u.cmd.op = PROTO_OP_CLAIM;
	f->u.cmd.args = PROTO_NEW(f->arena, args);
	f->u.cmd.args->conv = "c-1042";
	char *s = proto_frame_encode(f, &n);
	/* Fields in descriptor order after type: the wire form is deterministic. */
	CHECK_STR(s, "{\"type\":\"cmd\",\"cmd_id\":\"k-1\",\"op\":\"claim\",\"args\":{\"conv\":\"c-1042\"}}");
	CHECK_INT(n, strlen(s));
	free(s);
	proto_frame_free(f);

	/* Untrusted text is escaped, not passed through: quotes, controls, non-ASCII kept as UTF-8. */
	f = proto_frame_new(PROTO_FRAME_ERROR);
	f->u.error.code = "bad_request";
	f->u.error.message = "say \"hi\"\n\x1b[2J ü";
	s = proto_frame_encode(f, NULL);
	CHECK_STR(s, "{\"type\":\"error\",\"code\":\"bad_request\",\"message\":\"say \\\"hi\\\"\\n\\u001B[2J ü\"}");
	free(s);
	proto_frame_free(f);
}

static void test_encode_invalid_utf8(void)
{
	struct proto_arena *a = proto_arena_new();
	struct proto_presence *p = PROTO_NEW(a, presence);
	const char *active[] = { "c-\xc0\xaf" };

	/* Built by hand from bytes of elsewhere: replaced, never dropped. */
	p->id = "ana";
	p->name = "Ana \xff\xfe Kaya";
	p->active.v = active;
	p->active.n = 1;
	CHECK_ENC(presence, p,
		  "{\"id\":\"ana\",\"name\":\"Ana \xef\xbf\xbd\xef\xbf\xbd Kaya\",\"status\":\"online\","
		  "\"active\":[\"c-\xef\xbf\xbd\xef\xbf\xbd\"]}");
	proto_arena_free(a);
}

static void test_encode_numbers(void)
{
	struct proto_arena *a = proto_arena_new();
	struct proto_escalation *e = PROTO_NEW(a, escalation);

	e->reason = PROTO_NEW(a, reason);
	e->reason->code = PROTO_REASON_OTHER;
	/* Far outside int64_t: must not take the integer path (UBSan would say). */
	e->confidence = 1e300;
	e->sentiment = -1e19;
	CHECK_ENC(escalation, e,
		  "{\"reason\":{\"code\":\"other\"},\"confidence\":1e300,\"sentiment\":-1e19}");
	e->confidence = 0.1 + 0.2;	/* 15 significant digits on the wire */
	e->sentiment = 0;
	CHECK_ENC(escalation, e, "{\"reason\":{\"code\":\"other\"},\"confidence\":0.3}");
	e->confidence = 0.0 / 0.0;
	PROTO_SET(e, escalation, confidence);
	CHECK_ENC(escalation, e, "{\"reason\":{\"code\":\"other\"},\"confidence\":null}");
	proto_arena_free(a);
}

static void test_decode_presence_bits(void)
{
	struct proto_arena *a = proto_arena_new();
	struct proto_presence *p = PROTO_NEW(a, presence);
	struct proto_err err;
	json_t *j = json_loads("{\"id\":\"a\",\"status\":\"away\",\"name\":null,\"role\":\"agent\",\"x\":1}", 0,
			       NULL);

	CHECK_INT(proto_decode(a, &proto_type_presence, j, p, "", &err), 0);
	CHECK(PROTO_HAS(p, presence, id) && !PROTO_IS_NULL(p, presence, id));
	CHECK(PROTO_HAS(p, presence, name) && PROTO_IS_NULL(p, presence, name));
	CHECK(p->name == NULL);
	CHECK(PROTO_HAS(p, presence, role) && p->role == PROTO_ROLE_AGENT);
	CHECK(!PROTO_HAS(p, presence, active));
	CHECK_INT(p->status, PROTO_PRES_AWAY);
	CHECK_INT(p->m.has, (1u << PF_presence_id) | (1u << PF_presence_name) |
				    (1u << PF_presence_role) | (1u << PF_presence_status));
	CHECK_INT(p->m.nul, 1u << PF_presence_name);
	json_decref(j);
	proto_arena_free(a);
}

/* The same object with its keys reversed and unknown keys between them,
 * all the way down. */
static json_t *shuffled(json_t *j);
static json_t *shuffled_value(json_t *v)
{
	if (json_is_object(v))
		return shuffled(v);
	if (json_is_array(v)) {
		json_t *a = json_array();
		for (size_t i = 0; i < json_array_size(v); i++)
			json_array_append_new(a, shuffled_value(json_array_get(v, i)));
		return a;
	}
	return json_incref(v);
}

static json_t *shuffled(json_t *j)
{
	json_t *out = json_object();
	const char **keys = NULL;
	size_t n = 0;
	const char *k;
	json_t *v;

	json_object_foreach(j, k, v) {
		keys = xrealloc(keys, (n + 1) * sizeof *keys);
		keys[n++] = k;
	}
	for (size_t i = n; i-- > 0;) {
		v = json_object_get(j, keys[i]);
		char *x = xasprintf("x_%zu", i);
		json_object_set_new(out, x, json_integer((json_int_t)i));
		free(x);
		json_object_set_new(out, keys[i], shuffled_value(v));
	}
	free(keys);
	return out;
}

static void test_decode_member_order(void)
{
	char *path = xasprintf("%s/ok/object-conversation-full.json", fixture_root());
	json_t *j = json_load_file(path, 0, NULL), *r = j ? shuffled(j) : NULL;
	struct proto_arena *a = proto_arena_new();
	struct proto_err err;
	struct proto_conversation *c = PROTO_NEW(a, conversation);

	/* Members in any order decode the same as in descriptor order. */
	CHECK(j != NULL);
	if (!j)
		goto out;
	CHECK_INT(proto_decode(a, &proto_type_conversation, r, c, "", &err), 0);
	json_t *e = PROTO_ENCODE(conversation, c);
	CHECK(json_equal(e, j));
	json_decref(e);
	/* With several problems, the first in descriptor order is reported,
	 * whatever order the sender wrote them in. */
	json_t *bad = json_loads("{\"status\":\"gone\",\"name\":7,\"id\":5}", 0, NULL);
	CHECK_INT(proto_decode(a, &proto_type_presence, bad, PROTO_NEW(a, presence), "", &err), -1);
	CHECK_STR(err.msg, "id: expected a string");
	json_decref(bad);
out:
	json_decref(j);
	json_decref(r);
	proto_arena_free(a);
	free(path);
}

static void test_decode_path_prefix(void)
{
	struct proto_arena *a = proto_arena_new();
	struct proto_err err;
	json_t *j = json_loads("{\"id\":\"cu-1\",\"name\":\"A\",\"orders\":[{\"id\":\"o-1\",\"placed_at\":"
			       "\"2026-01-01T00:00:00Z\",\"status\":\"new\",\"total_minor\":1,\"currency\":"
			       "\"EUR\",\"items\":[{\"sku\":\"s\",\"name\":\"n\",\"qty\":0,\"price_minor\":1}]}]}",
			       0, NULL);

	CHECK_INT(proto_decode(a, &proto_type_customer, j, PROTO_NEW(a, customer),
			       "body.conversation.customer", &err), -1);
	CHECK_INT(err.code, PROTO_ERR_BAD_REQUEST);
	CHECK_STR(err.msg, "body.conversation.customer.orders[0].items[0].qty: 0 is out of range (1 to 100000)");
	json_decref(j);
	/* Cross-field rules name the same path. */
	j = json_loads("{\"cmd_id\":\"k\",\"op\":\"note.add\",\"args\":{\"conv\":\"c-1\",\"text\":\" \\n\"}}", 0,
		       NULL);
	CHECK_INT(proto_decode(a, &proto_type_cmd, j, PROTO_NEW(a, cmd), "frame", &err), -1);
	CHECK_STR(err.msg, "frame.args.text: must not be empty");
	CHECK_STR(err.cmd_id, "k");
	json_decref(j);
	/* Without a prefix, no leading dot. */
	j = json_loads("{\"id\":1}", 0, NULL);
	CHECK_INT(proto_decode(a, &proto_type_presence, j, PROTO_NEW(a, presence), "", &err), -1);
	CHECK_STR(err.msg, "id: expected a string");
	json_decref(j);
	proto_arena_free(a);
}

/* A valid args object for each op, to take required fields away from. */
static const char *const op_args[] = {
	[PROTO_OP_CLAIM] = "{\"conv\":\"c-1\"}",
	[PROTO_OP_RELEASE] = "{\"conv\":\"c-1\"}",
	[PROTO_OP_MESSAGE_SEND] = "{\"conv\":\"c-1\",\"text\":\"hi\"}",
	[PROTO_OP_NOTE_ADD] = "{\"conv\":\"c-1\",\"text\":\"hi\"}",
	[PROTO_OP_DISCOUNT_APPROVE] = "{\"conv\":\"c-1\",\"percent\":5,\"reason\":\"late\"}",
	[PROTO_OP_RETURN_CREATE] = ("{\"conv\":\"c-1\",\"order\":\"o-1\",\"lines\":[{\"sku\":\"s\",\"qty\":1}],"
				    "\"reason\":\"broken\"}"),
	[PROTO_OP_LABEL_CREATE] = "{\"conv\":\"c-1\",\"rma\":\"rma-1\"}",
	[PROTO_OP_HANDBACK] = "{\"conv\":\"c-1\",\"disposition\":\"resolved\",\"note\":\"done\"}",
	[PROTO_OP_TRANSFER] = "{\"conv\":\"c-1\",\"to\":\"@returns\"}",
	[PROTO_OP_PRESENCE_SET] = "{\"status\":\"online\"}",
	[PROTO_OP_APPROVAL_DECIDE] = "{\"approval\":\"ap-1\",\"decision\":\"deny\"}",
	[PROTO_OP_MONITOR] = "{\"conv\":\"c-1\"}",
};
_Static_assert(BATON_ARRAY_LEN(op_args) == PROTO_OP_MONITOR + 1, "an args example per op");

static void test_op_table(void)
{
	for (int i = 0; proto_enum_op[i]; i++) {
		const struct proto_op_info *op = &proto_op_table[i];
		CHECK_INT(op->op, i);
		CHECK_STR(op->name, proto_enum_op[i]);
		CHECK(op->required != 0);
		CHECK(op->required < (UINT64_C(1) << PF_args__COUNT));
		CHECK(op->usage != NULL);
		/* Money moves only in these three; the console confirms them first. */
		CHECK_INT(op->money, i == PROTO_OP_DISCOUNT_APPROVE || i == PROTO_OP_RETURN_CREATE ||
					     i == PROTO_OP_LABEL_CREATE);
		for (unsigned k = 0; k < PF_args__COUNT; k++) {
			if (!((op->required >> k) & 1))
				continue;
			const char *f = proto_type_args.fields[k].name;
			/* The usage text names every required argument. */
			if (!strstr(op->usage, f)) {
				printf("#   usage of %s does not name %s\n", op->name, f);
				CHECK(0);
			}
			/* And the decoder refuses the args without it, naming it. */
			json_t *args = json_loads(op_args[i], 0, NULL);
			json_object_del(args, f);
			json_t *cmd = json_pack("{s:s, s:s, s:o}", "cmd_id", "k-9", "op", op->name, "args", args);
			struct proto_arena *a = proto_arena_new();
			struct proto_err err;
			int r = proto_decode(a, &proto_type_cmd, cmd, PROTO_NEW(a, cmd), "", &err);
			char *want = xasprintf("args.%s: required for %s (args: %s)", f, op->name, op->usage);
			CHECK_INT(r, -1);
			CHECK_STR(err.msg, want);
			CHECK_STR(err.cmd_id, "k-9");
			free(want);
			json_decref(cmd);
			proto_arena_free(a);
		}
		/* The full example decodes. */
		json_t *cmd = json_pack("{s:s, s:s, s:o}", "cmd_id", "k-9", "op", op->name, "args",
					json_loads(op_args[i], 0, NULL));
		struct proto_arena *a = proto_arena_new();
		struct proto_err err;
		struct proto_cmd *c = PROTO_NEW(a, cmd);
		CHECK_INT(proto_decode(a, &proto_type_cmd, cmd, c, "", &err), 0);
		CHECK_INT(c->op, i);
		json_decref(cmd);
		proto_arena_free(a);
	}
}

static void test_event_table(void)
{
	for (int i = 0; proto_enum_event_kind[i]; i++) {
		const struct proto_event_info *ev = &proto_event_table[i];
		CHECK_INT(ev->kind, i);
		CHECK_STR(ev->name, proto_enum_event_kind[i]);
		CHECK(ev->required != 0);
		CHECK(ev->required < (UINT64_C(1) << PF_body__COUNT));
	}
}

#define COUNT_(P, N, S) +1
#define ENUM_CHECK_(name) check_enum(#name, proto_enum_##name, 0 PROTO_ENUM_##name(COUNT_));

static void check_enum(const char *name, const char *const *table, int count)
{
	int n = 0;

	while (table[n])
		n++;
	if (n != count)
		printf("#   enum %s: table has %d strings, the enum %d values\n", name, n, count);
	CHECK_INT(n, count);
	for (int i = 0; i < n; i++) {
		CHECK_STR(proto_enum_str(table, i), table[i]);
		CHECK_INT(proto_enum_parse(table, table[i]), i);
		for (int k = 0; k < i; k++)
			CHECK(strcmp(table[i], table[k]) != 0);
	}
	CHECK_STR(proto_enum_str(table, -1), "?");
	CHECK_STR(proto_enum_str(table, n), "?");
	CHECK_INT(proto_enum_parse(table, "no such value"), PROTO_UNKNOWN);
	CHECK_INT(proto_enum_parse(table, ""), PROTO_UNKNOWN);
	if (n)	/* case matters */
		CHECK(proto_enum_parse(table, "QUEUED") == PROTO_UNKNOWN);
}

static void test_enum_tables(void)
{
	PROTO_ENUM_LIST(ENUM_CHECK_)
	CHECK_STR(PROTO_ENUM_STR(op, PROTO_OP_MESSAGE_SEND), "message.send");
	CHECK_INT(PROTO_ENUM_PARSE(event_kind, "conversation.handed_back"), PROTO_EV_CONV_HANDED_BACK);
	CHECK_STR(PROTO_ENUM_STR(error_code, PROTO_ERR_UNSUPPORTED_VERSION), "unsupported_version");
}

static void test_frame_payload_types(void)
{
	static const char *const names[] = { "hello", "welcome", "snapshot", "cmd", "result",
					     "event", "typing", "stats", "error_frame" };

	for (int t = 0; proto_enum_frame_type[t]; t++) {
		const struct proto_type *pt = proto_frame_payload_type((enum proto_frame_type)t);
		CHECK(pt != NULL);
		if (pt)
			CHECK_STR(pt->name, names[t]);
	}
	CHECK(proto_frame_payload_type((enum proto_frame_type)99) == NULL);
	CHECK(proto_frame_payload_type((enum proto_frame_type)-1) == NULL);
}

static void test_cmd_id_valid(void)
{
	char id[PROTO_CMD_ID_MAX + 2];

	CHECK(proto_cmd_id_valid("a"));
	CHECK(proto_cmd_id_valid("ana:1732245300:1"));
	CHECK(proto_cmd_id_valid("A-Z_a-z.0-9:"));
	CHECK(!proto_cmd_id_valid(""));
	CHECK(!proto_cmd_id_valid("a b"));
	CHECK(!proto_cmd_id_valid("a/b"));
	CHECK(!proto_cmd_id_valid("ş"));
	CHECK(!proto_cmd_id_valid("a\n"));
	memset(id, 'x', PROTO_CMD_ID_MAX);
	id[PROTO_CMD_ID_MAX] = '\0';
	CHECK(proto_cmd_id_valid(id));
	id[PROTO_CMD_ID_MAX] = 'x';
	id[PROTO_CMD_ID_MAX + 1] = '\0';
	CHECK(!proto_cmd_id_valid(id));
}

static void test_size_limit(void)
{
	const char *s = "{\"type\":\"typing\",\"conv\":\"c-1\",\"on\":true}";
	size_t n = strlen(s);
	struct proto_err err;
	struct proto_frame *f;

	f = proto_frame_decode(s, n, n, &err);
	CHECK(f != NULL);
	proto_frame_free(f);
	f = proto_frame_decode(s, n, 0, &err);	/* 0: no limit */
	CHECK(f != NULL);
	proto_frame_free(f);
	f = proto_frame_decode(s, n, n - 1, &err);
	CHECK(f == NULL);
	CHECK_INT(err.code, PROTO_ERR_TOO_LARGE);
	char *want = xasprintf("frame is %zu bytes; the limit is %zu", n, n - 1);
	CHECK_STR(err.msg, want);
	free(want);
	/* Only len bytes are read: trailing bytes after len do not count. */
	f = proto_frame_decode("{\"type\":\"typing\",\"conv\":\"c-1\",\"on\":true}garbage", n, 0, &err);
	CHECK(f != NULL);
	proto_frame_free(f);
}

static void test_unknown_event_kind(void)
{
	const char *s = "{\"type\":\"event\",\"seq\":9,\"kind\":\"conversation.merged\",\"conv\":\"c-1\","
			"\"at\":\"2026-11-22T03:14:07.123Z\",\"body\":{\"conversation\":7}}";
	struct proto_err err;
	struct proto_frame *f = proto_frame_decode(s, strlen(s), 0, &err);

	CHECK(f != NULL);
	if (!f)
		return;
	CHECK_INT(f->type, PROTO_FRAME_EVENT);
	CHECK_INT(f->u.event.kind, PROTO_UNKNOWN);
	/* seq survives so the client can record it and stay in order. */
	CHECK_INT(f->u.event.seq, 9);
	CHECK_STR(f->u.event.conv, "c-1");
	CHECK(f->u.event.body == NULL);
	proto_frame_free(f);
	/* An unknown op's args are not judged, but the op is refused with its cmd_id. */
	s = "{\"type\":\"cmd\",\"cmd_id\":\"x-1\",\"op\":\"refund.all\",\"args\":[1]}";
	f = proto_frame_decode(s, strlen(s), 0, &err);
	CHECK(f == NULL);
	CHECK_INT(err.code, PROTO_ERR_UNKNOWN_OP);
	CHECK_STR(err.cmd_id, "x-1");
	proto_frame_free(f);
}

static void test_clone_survives(void)
{
	char *path = xasprintf("%s/ok/frame-snapshot.json", fixture_root());
	size_t len;
	char *buf = file_read(path, FIXTURE_MAX_BYTES, &len);
	struct proto_err err;
	struct proto_frame *f;
	struct proto_arena *mine = proto_arena_new();

	CHECK(buf != NULL);
	if (!buf)
		goto out;
	f = proto_frame_decode(buf, len, 0, &err);
	CHECK(f != NULL);
	if (!f)
		goto out;
	char *before = proto_frame_encode(f, NULL);
	CHECK(f->u.snapshot.mine.n > 0);
	struct proto_conversation *orig = &f->u.snapshot.mine.v[0];
	struct proto_conversation *c = PROTO_CLONE(mine, conversation, orig);
	struct proto_snapshot *snap = PROTO_CLONE(mine, snapshot, &f->u.snapshot);
	/* Deep: nothing points into the original's arena. */
	CHECK(c->id != orig->id && strcmp(c->id, orig->id) == 0);
	CHECK(c->customer != orig->customer);
	CHECK(c->customer->orders.v != orig->customer->orders.v);
	CHECK(c->customer->orders.v[0].items.v[0].name != orig->customer->orders.v[0].items.v[0].name);
	CHECK(c->escalation->skills.v != orig->escalation->skills.v);
	CHECK(c->escalation->skills.v[0] != orig->escalation->skills.v[0]);
	CHECK_INT(c->m.has, orig->m.has);
	CHECK_INT(c->m.nul, orig->m.nul);
	json_t *cj = PROTO_ENCODE(conversation, orig);
	proto_frame_free(f);	/* ASan reports any pointer left into it */
	json_t *cj2 = PROTO_ENCODE(conversation, c);
	CHECK(json_equal(cj, cj2));
	struct proto_frame *g = proto_frame_new(PROTO_FRAME_SNAPSHOT);
	g->u.snapshot = *snap;
	char *after = proto_frame_encode(g, NULL);
	CHECK_STR(after, before);
	CHECK(proto_clone(mine, &proto_type_conversation, NULL) == NULL);
	/* Empty arrays clone as empty, not as a pointer into the original. */
	struct proto_presence *p = PROTO_NEW(mine, presence), *pc;
	p->id = "x";
	PROTO_SET(p, presence, active);
	pc = PROTO_CLONE(mine, presence, p);
	CHECK(pc->active.v == NULL && pc->active.n == 0 && PROTO_HAS(pc, presence, active));
	json_decref(cj);
	json_decref(cj2);
	free(before);
	free(after);
	proto_frame_free(g);
out:
	proto_arena_free(mine);
	free(buf);
	free(path);
}

static void test_arena(void)
{
	struct proto_arena *a = proto_arena_new();

	CHECK_INT(proto_arena_used(a), 0);
	char *p1 = proto_arena_alloc(a, 3);
	char *p2 = proto_arena_alloc(a, 5);
	CHECK(((uintptr_t)p1 & 7) == 0 && ((uintptr_t)p2 & 7) == 0);
	CHECK(p2 >= p1 + 3);
	CHECK_INT(proto_arena_used(a), 16);
	/* A large block does not waste the current chunk's room. */
	char *big = proto_arena_alloc(a, 100000);
	for (size_t i = 0; i < 100000; i++)
		CHECK(big[i] == 0);
	memset(big, 0xff, 100000);
	char *p3 = proto_arena_alloc(a, 8);
	CHECK(p3 == p2 + 8);
	/* Many small allocations across chunks, each zeroed and aligned. */
	int bad = 0;
	for (int i = 0; i < 10000; i++) {
		unsigned char *q = proto_arena_alloc(a, (size_t)(i % 61) + 1);
		if (((uintptr_t)q & 7) || q[0] != 0)
			bad++;
		q[0] = 0xaa;
	}
	CHECK_INT(bad, 0);
	CHECK(proto_arena_strdup(a, NULL) == NULL);
	CHECK_STR(proto_arena_strdup(a, "ça va"), "ça va");
	CHECK_STR(proto_arena_strndup(a, "abcdef", 2), "ab");
	CHECK(proto_arena_used(a) > 100000);
	proto_arena_free(a);
	proto_arena_free(NULL);
}

static void test_frame_new_encodes(void)
{
	/* A zeroed frame of any type encodes (required fields as zero/null). */
	for (int t = 0; proto_enum_frame_type[t]; t++) {
		struct proto_frame *f = proto_frame_new((enum proto_frame_type)t);
		char *s = proto_frame_encode(f, NULL);
		char *prefix = xasprintf("{\"type\":\"%s\"", proto_enum_frame_type[t]);
		CHECK(strncmp(s, prefix, strlen(prefix)) == 0);
		free(prefix);
		free(s);
		proto_frame_free(f);
	}
	proto_frame_free(NULL);
	struct proto_frame *bad = proto_frame_new((enum proto_frame_type)42);
	char *s = proto_frame_encode(bad, NULL);
	CHECK_STR(s, "{\"type\":\"?\"}");
	free(s);
	proto_frame_free(bad);
}

static const struct test tests[] = {
	TEST(test_fixture_coverage),
	TEST(test_fixture_field_coverage),
	TEST(test_encode_presence_rules),
	TEST(test_encode_frame_bytes),
	TEST(test_encode_invalid_utf8),
	TEST(test_encode_numbers),
	TEST(test_decode_presence_bits),
	TEST(test_decode_member_order),
	TEST(test_decode_path_prefix),
	TEST(test_op_table),
	TEST(test_event_table),
	TEST(test_enum_tables),
	TEST(test_frame_payload_types),
	TEST(test_cmd_id_valid),
	TEST(test_size_limit),
	TEST(test_unknown_event_kind),
	TEST(test_clone_survives),
	TEST(test_arena),
	TEST(test_frame_new_encodes),
};

int main(void)
{
	walk_ok();
	walk_reject();
	return test_run_(tests, BATON_ARRAY_LEN(tests));
}
