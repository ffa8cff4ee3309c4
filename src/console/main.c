/*
 * baton: the console support agents live in when a chatbot hands a
 * conversation over to a person.
 *
 * How it is put together. main() (this file) only resolves options —
 * command line, environment, config file (config.c) — and reads the token;
 * then app.c wires the parts and runs. There is one loop, owned by link.c:
 * libwebsockets services the WebSocket to the hub, stdin (the keyboard), a
 * signal self-pipe and a one-second timer, and after every pass the screen
 * redraws what changed. Frames from the hub are decoded and validated by
 * libbaton's proto module, sanitized, written to the local sqlite store
 * (store.c) in one transaction with their sequence number, and applied to
 * the model (model.c) — the state the screen draws (src/console/ui/, which
 * only reads the model and runs commands). Everything an agent does is a
 * command from one table (cmd.c; handlers in cmd-conv.c, cmd-money.c,
 * cmd-misc.c); commands that change the hub's state go through the outbox
 * (outbox.c): written to the store first, sent when connected, resent with
 * the same id until answered, so each happens exactly once.
 *
 * Where to start reading: app.h (the wiring and what the screen may ask),
 * model.h (the state), then app.c from app_open() down.
 */
#include "baton/app.h"
#include "baton/common.h"
#include "baton/config.h"
#include "baton/ctl.h"
#include "baton/keys.h"
#include "baton/log.h"
#include "baton/text.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define TOKEN_MAX 256

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: baton [OPTIONS]\n"
		"       baton [OPTIONS] -e 'COMMAND; COMMAND…'\n"
		"       baton [OPTIONS] --follow\n"
		"       baton :COMMAND…\n"
		"       baton :COMMAND [ARG]…   (to the console already running)\n"
		"\n"
		"The console for taking over conversations a chatbot escalates.\n"
		"\n"
		"  --url URL           the hub's agent stream (ws://HOST:PORT/v1/stream, wss://…);\n"
		"                      also BATON_URL and `url` in the config file\n"
		"  --token-file FILE   file holding your agent token, readable only by you;\n"
		"                      also BATON_TOKEN_FILE; default ~/.config/baton/token\n"
		"  --insecure          do not verify the hub's TLS certificate (testing only)\n"
		"  --config FILE       read this config file instead of ~/.config/baton/config\n"
		"  --db FILE           the local store (default ~/.local/share/baton/baton.db)\n"
		"  -e, --exec CMDS     run commands without the screen; one JSON line per result\n"
		"  --timeout SECONDS   with -e: stop waiting for the hub after this long (30)\n"
		"  --follow            print the snapshot, then every event, as JSON lines until\n"
		"                      interrupted (reconnects and resumes without a gap)\n"
		"  --help-config       list the config file's options\n"
		"  -h, --help          this text\n"
		"  -V, --version       the version\n"
		"\n"
		"A token is never taken on the command line (other users can read it there).\n"
		"Commands: type `help` in the console, or see baton(1). Config: baton.conf(5).\n");
}

static void help_config(void)
{
	size_t n;
	const struct config_opt *t = config_table(&n);

	for (size_t i = 0; i < n; i++)
		printf("%-24s %-14s %s\n    %s\n", t[i].key, t[i].def ? t[i].def : "(unset)", t[i].values,
		       t[i].help);
}

/* An error on stderr, on one line and sanitized: it may quote what a
 * config file, a command line or the hub said. */
static void say_error(const char *msg)
{
	char *clean = text_sanitize_line(msg, strlen(msg), NULL);
	fprintf(stderr, "baton: %s\n", clean);
	free(clean);
}

/* Text made safe inside a roff paragraph: backslashes and hyphens escaped,
 * no line starting with a control character. */
static void roff(FILE *f, const char *s)
{
	if (*s == '.' || *s == '\'')
		fputs("\\&", f);
	for (; *s; s++) {
		if (*s == '\\')
			fputs("\\e", f);
		else if (*s == '-')
			fputs("\\-", f);
		else
			fputc(*s, f);
	}
}

/*
 * The parts of man/baton.1 and man/baton.conf.5 that come from the tables
 * (commands, default keys, options). tests/regress/console-man.sh checks
 * that the pages hold exactly this, so they cannot drift from the code.
 */
static int man_fragment(const char *what)
{
	size_t n;

	if (strcmp(what, "commands") == 0) {
		const struct cmd_def *t = app_cmd_table(&n);
		for (size_t i = 0; i < n; i++) {
			printf(".TP\n\\fB");
			roff(stdout, t[i].name);
			printf("\\fR");
			if (*t[i].args) {
				printf(" \\fI");
				roff(stdout, t[i].args);
				printf("\\fR");
			}
			printf("\n");
			roff(stdout, t[i].help);
			if (t[i].flags & CMD_F_SUPERVISOR)
				printf(" (Supervisors.)");
			if (t[i].flags & CMD_F_MONEY)
				printf(" Asks for a confirmation on the screen.");
			printf("\n");
		}
		return 0;
	}
	if (strcmp(what, "keys") == 0) {
		struct keys *k = keys_new();
		char *list = keys_list(k);
		for (char *line = list, *nl; line && *line; line = nl) {
			nl = strchr(line, '\n');
			if (nl)
				*nl++ = '\0';
			char *sp = strstr(line, "  ");
			if (!sp)
				continue;
			*sp = '\0';
			char *cmd = sp + 2;
			while (*cmd == ' ')
				cmd++;
			const struct keys_action *act = keys_action_find(cmd);
			printf(".TP\n\\fB");
			roff(stdout, line);
			printf("\\fR\n");
			if (act) {
				roff(stdout, act->help);
				printf(".\n");
			} else {
				printf("Runs \\fB");
				roff(stdout, cmd);
				printf("\\fR.\n");
			}
		}
		free(list);
		keys_free(k);
		return 0;
	}
	if (strcmp(what, "config") == 0) {
		const struct config_opt *t = config_table(&n);
		for (size_t i = 0; i < n; i++) {
			printf(".TP\n\\fB");
			roff(stdout, t[i].key);
			printf("\\fR = \\fI");
			roff(stdout, t[i].values);
			printf("\\fR\n");
			roff(stdout, t[i].help);
			printf("\nDefault: ");
			if (t[i].def) {
				printf("\\fB");
				roff(stdout, t[i].def);
				printf("\\fR.\n");
			} else {
				printf("unset.\n");
			}
		}
		return 0;
	}
	fprintf(stderr, "baton: --man-fragment takes commands, keys or config\n");
	return 2;
}

/* Reads the token: the first line of path, which only its owner may read. */
static char *read_token(const char *path, char *err, size_t errlen)
{
	struct stat sb;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	char buf[TOKEN_MAX + 2];
	ssize_t n;
	char *tok = NULL;

	if (fd < 0) {
		if (errno == ENOENT)
			snprintf(err, errlen, "no token file %s: put your agent token there (chmod 600), "
				 "or name another with --token-file or BATON_TOKEN_FILE", path);
		else
			snprintf(err, errlen, "cannot read the token file %s: %s", path, strerror(errno));
		return NULL;
	}
	if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode)) {
		snprintf(err, errlen, "the token file %s is not a regular file", path);
		goto out;
	}
	if (sb.st_mode & (S_IRWXG | S_IRWXO)) {
		snprintf(err, errlen, "the token file %s can be read by other users (mode %03o): run "
			 "chmod 600 %s, and ask for a new token if others may have seen it",
			 path, (unsigned)(sb.st_mode & 0777), path);
		goto out;
	}
	n = read(fd, buf, sizeof buf - 1);
	if (n < 0) {
		snprintf(err, errlen, "cannot read the token file %s: %s", path, strerror(errno));
		goto out;
	}
	buf[n] = '\0';
	buf[strcspn(buf, "\r\n")] = '\0';
	{
		char *s = buf;
		while (*s == ' ' || *s == '\t')
			s++;
		size_t len = strlen(s);
		while (len && (s[len - 1] == ' ' || s[len - 1] == '\t'))
			s[--len] = '\0';
		if (!len || len > TOKEN_MAX) {
			snprintf(err, errlen, "the token file %s does not hold a token on its first line", path);
			goto out;
		}
		for (size_t i = 0; i < len; i++)
			if ((unsigned char)s[i] <= ' ' || (unsigned char)s[i] >= 0x7f) {
				snprintf(err, errlen, "the token in %s has characters a token cannot have "
					 "(it should be printable ASCII without spaces)", path);
				goto out;
			}
		tok = xstrdup(s);
	}
out:
	explicit_bzero(buf, sizeof buf);
	close(fd);
	return tok;
}

enum { OPT_URL = 256, OPT_TOKEN_FILE, OPT_TOKEN, OPT_INSECURE, OPT_CONFIG, OPT_DB, OPT_TIMEOUT, OPT_FOLLOW,
       OPT_HELP_CONFIG, OPT_MAN_FRAGMENT };

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "url", required_argument, NULL, OPT_URL },
		{ "token-file", required_argument, NULL, OPT_TOKEN_FILE },
		{ "token", optional_argument, NULL, OPT_TOKEN },
		{ "insecure", no_argument, NULL, OPT_INSECURE },
		{ "config", required_argument, NULL, OPT_CONFIG },
		{ "db", required_argument, NULL, OPT_DB },
		{ "exec", required_argument, NULL, 'e' },
		{ "follow", no_argument, NULL, OPT_FOLLOW },
		{ "timeout", required_argument, NULL, OPT_TIMEOUT },
		{ "help-config", no_argument, NULL, OPT_HELP_CONFIG },
		{ "man-fragment", required_argument, NULL, OPT_MAN_FRAGMENT },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	const char *url = NULL, *token_file = NULL, *config_file = NULL, *db = NULL, *exec = NULL;
	bool insecure = false, follow = false;
	int timeout_s = 0, c, rc = 2;
	struct config *cfg = NULL;
	char err[600] = "", *warnings = NULL, *cfgpath = NULL, *token = NULL, *deftok = NULL;
	struct app app;
	struct app_opts o;
	int logfd = -1;

	int64_t started_us = time_mono_us();

	setlocale(LC_ALL, "");
	log_init("baton", LOG_WARN);
	/* `baton :say hello` talks to the console already running. */
	if (argc > 1 && argv[1][0] == ':')
		return ctl_client_main(argc, argv);
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":e:hV", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_URL: url = optarg; break;
		case OPT_TOKEN_FILE: token_file = optarg; break;
		case OPT_TOKEN:
			fprintf(stderr, "baton: --token is refused: a token on the command line can be "
				"read by other users (ps, shell history). Put it in a file only you can "
				"read (chmod 600) and use --token-file FILE or BATON_TOKEN_FILE.\n");
			return 2;
		case OPT_INSECURE: insecure = true; break;
		case OPT_CONFIG: config_file = optarg; break;
		case OPT_DB: db = optarg; break;
		case 'e': exec = optarg; break;
		case OPT_FOLLOW: follow = true; break;
		case OPT_TIMEOUT: {
			char *end;
			long v = strtol(optarg, &end, 10);
			if (*end || v < 1 || v > 86400) {
				fprintf(stderr, "baton: --timeout takes seconds from 1 to 86400, not \"%s\"\n",
					optarg);
				return 2;
			}
			timeout_s = (int)v;
			break;
		}
		case OPT_HELP_CONFIG: help_config(); return 0;
		case OPT_MAN_FRAGMENT: return man_fragment(optarg);
		case 'h': usage(stdout); return 0;
		case 'V': printf("baton %s\n", BATON_VERSION); return 0;
		case ':':
			fprintf(stderr, "baton: %s needs a value (see baton --help)\n", argv[optind - 1]);
			return 2;
		default:
			fprintf(stderr, "baton: unknown option \"%s\" (see baton --help)\n", argv[optind - 1]);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "baton: unexpected argument \"%s\"; to run commands use -e 'CMD; CMD'\n",
			argv[optind]);
		return 2;
	}

	if (follow && exec) {
		fprintf(stderr, "baton: --follow and -e do not go together; run them as two processes\n");
		return 2;
	}

	cfg = config_new();
	cfgpath = config_file ? xstrdup(config_file) : config_path("config");
	if (config_load(cfg, cfgpath, config_file != NULL, &warnings, err, sizeof err) < 0) {
		say_error(err);
		goto out;
	}
	if (warnings) {
		char *clean = text_sanitize(warnings, strlen(warnings), NULL);
		fputs(clean, stderr);
		free(clean);
		free(warnings);
	}
	/* Environment, then the command line, over the file. */
	if ((getenv("BATON_URL") && *getenv("BATON_URL") &&
	     config_set(cfg, "url", getenv("BATON_URL"), "BATON_URL", err, sizeof err) < 0) ||
	    (getenv("BATON_TOKEN_FILE") && *getenv("BATON_TOKEN_FILE") &&
	     config_set(cfg, "token_file", getenv("BATON_TOKEN_FILE"), "BATON_TOKEN_FILE", err,
			sizeof err) < 0) ||
	    (url && config_set(cfg, "url", url, "--url", err, sizeof err) < 0) ||
	    (token_file && config_set(cfg, "token_file", token_file, "--token-file", err, sizeof err) < 0) ||
	    (insecure && config_set(cfg, "insecure", "yes", "--insecure", err, sizeof err) < 0)) {
		say_error(err);
		goto out;
	}

	/* Logs: the screen owns the terminal, so they go to log_file or nowhere. */
	if (config_get_str(cfg, "log_file")) {
		const char *lf = config_get_str(cfg, "log_file");
		logfd = open(lf, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
		if (logfd < 0) {
			fprintf(stderr, "baton: cannot open the log file %s: %s\n", lf, strerror(errno));
			goto out;
		}
		log_init("baton", log_level_parse(config_get_str(cfg, "log_level")));
		log_set_fd(logfd);
	} else if (!exec && !follow) {
		log_init("baton", LOG_OFF);
	}

	const char *tf = config_get_str(cfg, "token_file");
	if (!tf)
		tf = deftok = config_path("token");
	token = read_token(tf, err, sizeof err);
	if (!token) {
		say_error(err);
		goto out;
	}
	if (config_get_bool(cfg, "insecure") && strncmp(config_get_str(cfg, "url"), "wss://", 6) == 0)
		fprintf(stderr, "baton: warning: --insecure: the hub's certificate is not checked\n");

	memset(&app, 0, sizeof app);
	app.cfg = cfg;
	app.started_us = started_us;
	memset(&o, 0, sizeof o);
	o.url = config_get_str(cfg, "url");
	o.token = token;
	o.insecure = config_get_bool(cfg, "insecure");
	o.headless = exec;
	o.follow = follow;
	o.timeout_s = timeout_s;
	o.db_path = db;
	if (app_open(&app, &o, err, sizeof err) < 0) {
		app_close(&app);
		say_error(err);
		goto out;
	}
	if (app.store_error[0] && (exec || follow))
		say_error(app.store_error);
	rc = app_loop(&app);
	app_close(&app);
out:
	if (token) {
		explicit_bzero(token, strlen(token));
		free(token);
	}
	free(deftok);
	free(cfgpath);
	config_free(cfg);
	if (logfd >= 0)
		close(logfd);
	return rc;
}
