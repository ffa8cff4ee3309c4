/*
 * fuzz-proto.c: libFuzzer target for the protocol codec.
 *
 * Properties checked on every input:
 *   1. proto_frame_decode never crashes, leaks or reads out of bounds, and a
 *      rejection always carries a known error code and a message.
 *   2. A frame that decodes re-encodes to JSON that decodes again, and the
 *      second encoding is byte-equal to the first: the encoder only writes
 *      what the decoder accepts, and nothing is lost or invented on the way.
 *   3. proto_clone of the decoded frame encodes to the same bytes.
 *   4. The input, when it is a JSON object, is also decoded as each object
 *      type, and every object that decodes round-trips the same way.
 *
 * Build (as `make fuzz` does, into a private directory):
 *   make BUILD=build-fuzz-proto CC=clang \
 *     OPT="-O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined,fuzzer-no-link" \
 *     build-fuzz-proto/libbaton.a
 *   clang -Iinclude -D_GNU_SOURCE $(pkg-config --cflags jansson) -std=c11 \
 *     -O1 -g -fsanitize=address,undefined,fuzzer -o build-fuzz-proto/fuzz-proto \
 *     tests/fuzz/fuzz-proto.c build-fuzz-proto/libbaton.a $(pkg-config --libs jansson) -lm
 * A dictionary of the protocol's keys and enum strings helps it past the
 * field names (optional):
 *   { grep -oE 'F\([a-z_]+, *[a-z_]+' include/baton/proto.h | sed -E 's|.*, *||' |
 *       sort -u | sed 's|.*|"\\"&\\":"|';
 *     grep -oE 'E\([A-Z_]+, [A-Z_]+, "[^"]+"\)' include/baton/proto.h |
 *       sed -E 's|.*, "([^"]+)"\)|"\\"\1\\""|'; } > build-fuzz-proto/proto.dict
 * Run, seeded with the golden fixtures (new inputs go to the first directory
 * only; UBSAN_OPTIONS makes undefined behaviour a crash):
 *   mkdir -p build-fuzz-proto/corpus
 *   UBSAN_OPTIONS=halt_on_error=1 build-fuzz-proto/fuzz-proto -dict=build-fuzz-proto/proto.dict \
 *     -max_len=16384 -max_total_time=600 build-fuzz-proto/corpus tests/fixtures/ok tests/fixtures/reject
 */
#include "baton/proto.h"
#include "baton/common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_TYPE_(t) &proto_type_##t,
static const struct proto_type *const fuzz_types[] = { PROTO_TYPE_LIST(FUZZ_TYPE_) };

static void fuzz_fail(const char *what, const char *a, const char *b)
{
	fprintf(stderr, "fuzz-proto: %s\n  first:  %s\n  second: %s\n", what, a ? a : "(null)",
		b ? b : "(null)");
	abort();
}

static void fuzz_check_err(const struct proto_err *err)
{
	if (proto_enum_str(proto_enum_error_code, err->code)[0] == '?')
		fuzz_fail("rejection with an unknown error code", err->msg, NULL);
	if (err->msg[0] == '\0')
		fuzz_fail("rejection without a message", NULL, NULL);
	if (err->cmd_id[0] && !proto_cmd_id_valid(err->cmd_id))
		fuzz_fail("rejection carries an invalid cmd_id", err->cmd_id, err->msg);
}

static void fuzz_frame(const uint8_t *data, size_t size)
{
	struct proto_err err;
	struct proto_frame *f1, *f2 = NULL, *copy = NULL;
	char *e1, *e2 = NULL, *e3 = NULL;
	size_t n1, n2;

	f1 = proto_frame_decode((const char *)data, size, 0, &err);
	if (!f1) {
		fuzz_check_err(&err);
		return;
	}
	e1 = proto_frame_encode(f1, &n1);
	f2 = proto_frame_decode(e1, n1, 0, &err);
	if (!f2)
		fuzz_fail("re-encoded frame does not decode", e1, err.msg);
	e2 = proto_frame_encode(f2, &n2);
	if (n1 != n2 || memcmp(e1, e2, n1) != 0)
		fuzz_fail("decode(encode(x)) encodes differently", e1, e2);

	/* A clone lives in its own arena: free the original first. */
	copy = proto_frame_new(f1->type);
	const struct proto_type *t = proto_frame_payload_type(f1->type);
	void *c = proto_clone(copy->arena, t, &f1->u);
	memcpy(&copy->u, c, t->size);
	proto_frame_free(f1);
	f1 = NULL;
	e3 = proto_frame_encode(copy, NULL);
	if (strcmp(e1, e3) != 0)
		fuzz_fail("clone encodes differently", e1, e3);

	proto_frame_free(copy);
	proto_frame_free(f2);
	free(e1);
	free(e2);
	free(e3);
}

static void fuzz_object(const struct proto_type *t, json_t *j)
{
	struct proto_arena *a = proto_arena_new();
	struct proto_err err;
	void *o1 = proto_arena_alloc(a, t->size), *o2;
	json_t *j1 = NULL, *j2 = NULL;
	char *s1 = NULL, *s2 = NULL;

	if (proto_decode(a, t, j, o1, "", &err) < 0) {
		fuzz_check_err(&err);
		goto out;
	}
	j1 = proto_encode(t, o1);
	o2 = proto_arena_alloc(a, t->size);
	if (proto_decode(a, t, j1, o2, "x", &err) < 0) {
		s1 = json_dumps(j1, JSON_COMPACT);
		fuzz_fail("re-encoded object does not decode", s1, err.msg);
	}
	j2 = proto_encode(t, o2);
	s1 = json_dumps(j1, JSON_COMPACT | JSON_SORT_KEYS | JSON_REAL_PRECISION(15));
	s2 = json_dumps(j2, JSON_COMPACT | JSON_SORT_KEYS | JSON_REAL_PRECISION(15));
	if (!s1 || !s2 || strcmp(s1, s2) != 0)
		fuzz_fail("object decode(encode(x)) encodes differently", s1, s2);
out:
	free(s1);
	free(s2);
	json_decref(j1);
	json_decref(j2);
	proto_arena_free(a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *j;

	fuzz_frame(data, size);

	j = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);
	if (j && json_is_object(j)) {
		for (size_t i = 0; i < BATON_ARRAY_LEN(fuzz_types); i++)
			fuzz_object(fuzz_types[i], j);
	}
	json_decref(j);
	return 0;
}
