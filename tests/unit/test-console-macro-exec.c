/* test-console-macro-exec.c: executable macros — a good one reading the
 * conversation on stdin, one failing with stderr, one too slow (killed at
 * the deadline, its children too), one printing too much, one that does not
 * read its input; the poll never blocks; the output becomes a plan. */
#include "baton/macro.h"

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "baton/common.h"
#include "baton/model.h"
#include "baton/proto.h"
#include "test.h"

static char dir[] = "/tmp/baton-macro-exec.XXXXXX";

static char *script(const char *name, const char *body)
{
	char *path = xasprintf("%s/%s", dir, name);
	FILE *f = fopen(path, "w");

	CHECK(f != NULL);
	if (f) {
		fprintf(f, "#!/bin/sh\n%s", body);
		fclose(f);
	}
	chmod(path, 0700);
	return path;
}

static struct macro_exec *start(const char *path, const char *input, int timeout_ms, size_t max_out)
{
	struct macro_exec_opts o = { timeout_ms, max_out, 0 };
	char err[300];
	struct macro_exec *x = macro_exec_start(path, input, strlen(input), &o, time_now_ms(), err, sizeof err);

	if (!x)
		printf("#   %s\n", err);
	return x;
}

static void test_good(void)
{
	/* Reads the JSON on stdin, answers with a reply and a command. */
	char *p = script("good", "# description: echo the id\nid=$(sed -n 's/.*\"id\":\"\\([^\"]*\\)\".*/\\1/p')\n"
			 "echo \"> Your conversation is $id\"\necho 'note looked it up'\n");
	struct macro_exec *x = start(p, "{\"id\":\"c-42\"}", 5000, 0);
	size_t len;

	CHECK(x != NULL);
	if (!x)
		goto out;
	CHECK_INT(macro_exec_wait(x), MACRO_EXEC_DONE);
	CHECK_STR(macro_exec_output(x, &len), "> Your conversation is c-42\nnote looked it up\n");
	CHECK_STR(macro_exec_error(x), "");

	struct macro exe = { .name = (char *)"good", .description = (char *)"echo the id" };
	struct macro *m = NULL;
	char err[300];
	CHECK_INT(macro_exec_result(&exe, macro_exec_output(x, NULL), len, &m, err, sizeof err), 0);
	CHECK_INT(m ? m->nsteps : 0, 2);
	if (m) {
		CHECK_INT(m->steps[0].kind, MACRO_STEP_REPLY);
		CHECK_STR(m->steps[1].text, "note looked it up");
	}
	macro_free(m);
	/* Output that is not a macro body is refused with its line. */
	CHECK_INT(macro_exec_result(&exe, "> ok\nrm -rf /\n", 13, &m, err, sizeof err), -1);
	CHECK(strncmp(err, "macro good (its output):2: \"rm\" is not a command", 47) == 0);
	CHECK_INT(macro_exec_result(&exe, "\n", 1, &m, err, sizeof err), -1);
	CHECK_STR(err, "macro good printed no steps: nothing to do");
	macro_exec_free(x);
out:
	unlink(p);
	free(p);
}

static void test_no_inherited_fds(void)
{
	/* An fd of the console without close-on-exec is not the program's. */
	int leak = open("/dev/null", O_RDONLY);
	char *snippet = xasprintf("ls /proc/self/fd | sort -n | tr '\\n' ' '\n");
	char *p = script("fds", snippet);
	struct macro_exec *x = start(p, "", 5000, 0);

	CHECK(leak > 2);
	CHECK(x != NULL);
	if (x) {
		CHECK_INT(macro_exec_wait(x), MACRO_EXEC_DONE);
		/* 0-2, and the fd ls itself opens for /proc/self/fd. */
		const char *o = macro_exec_output(x, NULL);
		char want[32];
		snprintf(want, sizeof want, " %d ", leak);
		CHECK(strstr(o, want) == NULL || leak == 3);
		CHECK(strncmp(o, "0 1 2 ", 6) == 0);
		CHECK(strlen(o) <= 8);	/* "0 1 2 3 " at most */
	}
	macro_exec_free(x);
	close(leak);
	unlink(p);
	free(p);
	free(snippet);
}

static void test_failing(void)
{
	char *p = script("bad", "cat >/dev/null\necho 'order service: \033[31mdown\033[0m' >&2\nexit 3\n");
	struct macro_exec *x = start(p, "{}", 5000, 0);

	CHECK(x != NULL);
	if (x) {
		CHECK_INT(macro_exec_wait(x), MACRO_EXEC_FAILED);
		const char *e = macro_exec_error(x);
		CHECK(strstr(e, "macro bad failed (exit status 3); it said: order service: ") == e);
		CHECK(strstr(e, "down") != NULL);
		CHECK(strchr(e, '\033') == NULL);	/* its stderr is sanitized */
	}
	macro_exec_free(x);
	unlink(p);
	free(p);
}

static void test_too_slow(void)
{
	/* A child of the script holds the pipes open too: the group is killed. */
	char *p = script("slow", "sleep 30 &\nsleep 30\n");
	int64_t t0 = time_now_ms(), t1;
	struct macro_exec *x = start(p, "{}", 300, 0);

	CHECK(x != NULL);
	if (x) {
		/* Polling does not block. */
		CHECK_INT(macro_exec_poll(x, time_now_ms()), MACRO_EXEC_RUNNING);
		CHECK(time_now_ms() - t0 < 200);
		CHECK_INT(macro_exec_wait(x), MACRO_EXEC_FAILED);
		t1 = time_now_ms();
		CHECK(t1 - t0 >= 300);
		CHECK(t1 - t0 < 3000);
		CHECK_STR(macro_exec_error(x), "macro slow took longer than 0.3 s: stopped");
	}
	macro_exec_free(x);
	unlink(p);
	free(p);
}

static void test_too_much(void)
{
	char *p = script("chatty", "yes 'note again'\n");
	struct macro_exec *x = start(p, "{}", 5000, 4096);

	CHECK(x != NULL);
	if (x) {
		CHECK_INT(macro_exec_wait(x), MACRO_EXEC_FAILED);
		CHECK_STR(macro_exec_error(x), "macro chatty printed more than 4 KiB: stopped (a macro prints "
			  "a few command lines)");
	}
	macro_exec_free(x);
	unlink(p);
	free(p);
}

static void test_ignores_input(void)
{
	/* A megabyte of input to a script that never reads it: no hang, no SIGPIPE. */
	char *p = script("deaf", "echo '> hello'\n");
	size_t n = 1 << 20;
	char *big = xmalloc(n + 1);
	memset(big, 'x', n);
	big[n] = '\0';
	struct macro_exec *x = start(p, big, 5000, 0);

	CHECK(x != NULL);
	if (x) {
		CHECK_INT(macro_exec_wait(x), MACRO_EXEC_DONE);
		CHECK_STR(macro_exec_output(x, NULL), "> hello\n");
	}
	macro_exec_free(x);
	free(big);
	unlink(p);
	free(p);

	char err[300];
	struct macro_exec_opts o = { 0, 0, 0 };
	CHECK(macro_exec_start("/nonexistent/macro", "", 0, &o, 0, err, sizeof err) == NULL);
	CHECK_STR(err, "macro macro cannot run: No such file or directory");
}

static void test_input_json(void)
{
	struct model *m = model_new(0);
	char err[200];
	const char *snap =
		"{\"type\":\"snapshot\",\"upto\":1,\"queue\":[],\"mine\":[{\"id\":\"c-7\",\"state\":\"assigned\","
		"\"priority\":\"high\",\"channel\":\"web\",\"created_at\":\"2026-11-22T03:00:00Z\","
		"\"assignee\":\"ana\",\"version\":1,\"customer\":{\"id\":\"cu-1\",\"name\":\"Bo\"},"
		"\"transcript\":[{\"id\":\"m-1\",\"conv\":\"c-7\",\"from\":\"customer\",\"author\":null,"
		"\"kind\":\"public\",\"text\":\"where is it?\",\"at\":\"2026-11-22T03:01:00Z\"}]}]}";
	struct proto_err perr;
	struct proto_frame *f = proto_frame_decode(snap, strlen(snap), 0, &perr);

	CHECK(f != NULL);
	if (f) {
		model_apply_frame(m, f, 0, err, sizeof err);
		proto_frame_free(f);
	}
	char *in = macro_exec_input(m, "c-7", err, sizeof err);
	CHECK(in != NULL);
	if (in) {
		/* It decodes as the protocol's Conversation, transcript included. */
		json_error_t je;
		json_t *j = json_loads(in, 0, &je);
		struct proto_arena *a = proto_arena_new();
		struct proto_conversation c;
		memset(&c, 0, sizeof c);
		CHECK_INT(proto_decode(a, &proto_type_conversation, j, &c, "", &perr), 0);
		CHECK_STR(c.id, "c-7");
		CHECK_INT(c.transcript.n, 1);
		if (c.transcript.n)
			CHECK_STR(c.transcript.v[0].text, "where is it?");
		proto_arena_free(a);
		json_decref(j);
	}
	free(in);
	CHECK(macro_exec_input(m, "c-8", err, sizeof err) == NULL);
	CHECK_STR(err, "conversation c-8 is not open here: open or claim it first");
	model_free(m);
}

static const struct test tests[] = {
	TEST(test_good),
	TEST(test_no_inherited_fds),
	TEST(test_failing),
	TEST(test_too_slow),
	TEST(test_too_much),
	TEST(test_ignores_input),
	TEST(test_input_json),
};

int main(void)
{
	int rc;

	signal(SIGPIPE, SIG_IGN);	/* as the console does */
	if (!mkdtemp(dir)) {
		printf("not ok 1 - mkdtemp\n1..1\n");
		return 1;
	}
	rc = test_run_(tests, BATON_ARRAY_LEN(tests));
	rmdir(dir);
	return rc;
}
