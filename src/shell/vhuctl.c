/* vhuctl.c - command-line entry: options, then one-shot, script or interactive runs. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check/check.h"
#include "monitor/monitor.h"
#include "cmd/cmd.h"
#include "cmd/opt.h"
#include "shell/complete.h"
#include "shell/out.h"
#include "shell/repl.h"
#include "shell/run.h"

enum {
	EXIT_CMD_FAILED = 1,
	EXIT_USAGE = 2,
};

enum opt_id {
	OPT_COMMAND = 'c', OPT_FILE = 'f', OPT_TIMEOUT = 't', OPT_HELP = 'h', OPT_VERSION = 'V',
	OPT_JSON = 256, OPT_DEVICE, OPT_KEEP_GOING, OPT_ECHO, OPT_SYNC, OPT_NO_ACK, OPT_COLOR,
	OPT_LIST_COMMANDS, OPT_COMPLETE, OPT_LISTEN, OPT_WAIT, OPT_RECONNECT, OPT_NO_PAGER,
};

/* One row per option: getopt's table and --help both come from here. */
static const struct opt_row opts[] = {
	{ "command", required_argument, OPT_COMMAND, "'CMD; CMD'", "run commands and exit (repeatable)" },
	{ "file", required_argument, OPT_FILE, "FILE", "run a script ('-' is stdin)" },
	{ "timeout", required_argument, OPT_TIMEOUT, "MS", "bound on each command, 1..3600000 ms (default 5000)" },
	{ "json", required_argument, OPT_JSON, "pretty|compact", "output style (default: pretty on a terminal)" },
	{ "no-pager", no_argument, OPT_NO_PAGER, NULL, "never put long help through $PAGER" },
	{ "color", required_argument, OPT_COLOR, "auto|always|never", "colour JSON on a terminal (NO_COLOR is honoured)" },
	{ "device", required_argument, OPT_DEVICE, "TYPE", "device type for decoding (net, blk, fs, ...)" },
	{ "listen", required_argument, OPT_LISTEN, "PATH", "serve PATH and wait for a back-end to connect" },
	{ "wait", no_argument, OPT_WAIT, NULL, "with --listen and accept: wait for ever, not the timeout" },
	{ "reconnect", no_argument, OPT_RECONNECT, NULL, "when the back-end goes away, dial (or accept) it again" },
	{ "keep-going", no_argument, OPT_KEEP_GOING, NULL, "go on after a failed command (exit status still 1)" },
	{ "echo", no_argument, OPT_ECHO, NULL, "print each command on stderr before running it" },
	{ "sync", no_argument, OPT_SYNC, NULL, "GET_FEATURES barrier after requests that get no reply" },
	{ "no-ack", no_argument, OPT_NO_ACK, NULL, "do not set NEED_REPLY even when REPLY_ACK is negotiated" },
	{ "help", no_argument, OPT_HELP, NULL, "show this help" },
	{ "version", no_argument, OPT_VERSION, NULL, "show the version" },
	{ "list-commands", no_argument, OPT_LIST_COMMANDS, NULL, NULL },	/* for shell completion */
	{ "complete", required_argument, OPT_COMPLETE, "LINE", NULL },	/* the same, for any word */
};

#define NOPTS (sizeof(opts) / sizeof(opts[0]))

static void usage(FILE *f)
{
	fprintf(f, "Usage: vhuctl [OPTIONS] [SOCKET]\n"
		"       vhuctl check [CHECK-OPTIONS] SOCKET    (vhuctl check --help)\n"
		"       vhuctl monitor [MONITOR-OPTIONS] FRONT BACK    (vhuctl monitor --help)\n\n"
		"A vhost-user front-end for debugging back-ends: connect to SOCKET, send any\n"
		"request, and see what was sent and what came back as JSON.\n\n"
		"Options:\n");
	opt_help(f, opts, NOPTS);
	fprintf(f, "\nWith no -c or -f, commands are read from stdin: a prompt on a terminal,\n"
		"a script otherwise. 'vhuctl -c help' lists the commands.\n\n"
		"Exit status: 0 success, 1 a command failed, 2 usage error.\n");
}

struct job {
	bool is_file;
	const char *text;
};

struct options {
	struct job jobs[64];
	unsigned njobs;
	int color;		/* -1 auto, 0 never, 1 always */
	int json;		/* -1 auto */
	bool list_commands;
	const char *complete;	/* --complete LINE: what the prompt would offer */
	bool no_pager;
	const char *listen;
};

static int parse_options(int argc, char **argv, struct session *s, struct options *o)
{
	struct option lo[NOPTS + 1];
	char so[2 * NOPTS + 1];
	int c;

	opt_getopt(opts, NOPTS, lo, so);
	while ((c = getopt_long(argc, argv, so, lo, NULL)) != -1) {
		char *end;
		long v;

		switch (c) {
		case OPT_COMMAND:
		case OPT_FILE:
			if (o->njobs == sizeof(o->jobs) / sizeof(o->jobs[0])) {
				fprintf(stderr, "vhuctl: too many -c/-f options\n");
				return -1;
			}
			o->jobs[o->njobs++] = (struct job){ c == OPT_FILE, optarg };
			break;
		case OPT_TIMEOUT:
			errno = 0;
			v = strtol(optarg, &end, 10);
			/* 0 is refused: a wait of 0 ms would be no wait at all, and SO_RCVTIMEO
			 * takes {0, 0} for "for ever". */
			if (errno || *end || v < 1 || v > SESSION_TIMEOUT_MAX_MS) {
				fprintf(stderr, "vhuctl: --timeout wants milliseconds (1..%d), not '%s'\n",
					SESSION_TIMEOUT_MAX_MS, optarg);
				return -1;
			}
			s->conn.timeout_ms = (int)v;
			break;
		case OPT_JSON:
			if (strcmp(optarg, "pretty") == 0)
				o->json = OUT_PRETTY;
			else if (strcmp(optarg, "compact") == 0 || strcmp(optarg, "short") == 0)
				o->json = OUT_COMPACT;
			else {
				fprintf(stderr, "vhuctl: --json is pretty or compact, not '%s'\n", optarg);
				return -1;
			}
			break;
		case OPT_COLOR:
			if (strcmp(optarg, "auto") == 0)
				o->color = -1;
			else if (strcmp(optarg, "always") == 0)
				o->color = 1;
			else if (strcmp(optarg, "never") == 0)
				o->color = 0;
			else {
				fprintf(stderr, "vhuctl: --color is auto, always or never, not '%s'\n", optarg);
				return -1;
			}
			break;
		case OPT_DEVICE: {
			int d = features_device_by_name(optarg);

			if (d < 0) {
				char hint[400];

				fprintf(stderr, "vhuctl: unknown device type '%s'%s\n", optarg,
					features_device_hint(optarg, hint, sizeof(hint)));
				return -1;
			}
			s->dev = (enum vhu_device)d;
			break;
		}
		case OPT_KEEP_GOING: s->keep_going = true; break;
		case OPT_LISTEN: o->listen = optarg; break;
		case OPT_WAIT: s->wait_forever = true; break;
		case OPT_RECONNECT: s->auto_reconnect = true; break;
		case OPT_ECHO: s->echo = true; break;
		case OPT_SYNC: s->sync = true; break;
		case OPT_NO_ACK: s->ack = false; break;
		case OPT_LIST_COMMANDS: o->list_commands = true; break;
		case OPT_COMPLETE: o->complete = optarg; break;
		case OPT_NO_PAGER: o->no_pager = true; break;
		case OPT_HELP: usage(stdout); exit(0);
		case OPT_VERSION: printf("vhuctl %s\n", PACKAGE_VERSION); exit(0);
		default:
			fprintf(stderr, "Try 'vhuctl --help'.\n");
			return -1;
		}
	}
	return 0;
}

static void list_commands(void)
{
	unsigned n;
	const struct cmd_def *t = cmd_table(&n);

	for (unsigned i = 0; i < n; i++)
		printf("%s\t%s\n", t[i].name, t[i].summary);
}

/* Print what Tab at the end of LINE offers at the prompt, one candidate a
 * line: the shells' completion of -c asks this, so that both agree. */
static void complete_for_shell(struct session *s, const char *line)
{
	struct completion c = { 0 };
	size_t start = complete_word_start(line);

	complete_line(&c, s, line, start, line + start);
	for (size_t i = 0; i < c.n; i++)
		printf("%s\n", c.cands[i]);
	complete_free(&c);
}

/* The SOCKET argument is "connect SOCKET" run first. */
static enum run_status connect_first(struct session *s, const char *path, bool listen)
{
	char *line;
	struct run_src src;
	enum run_status st;
	size_t n = strlen(path) * 2 + 24;

	line = malloc(n);
	if (!line)
		return RUN_FAILED;
	/* Quote it for our own tokenizer: single quotes, with ' itself escaped. */
	strcpy(line, listen ? "listen \"" : "connect \"");
	for (const char *p = path; *p; p++) {
		size_t l = strlen(line);

		if (*p == '"' || *p == '\\' || *p == '$')
			line[l++] = '\\';
		line[l++] = *p;
		line[l] = '\0';
	}
	strcat(line, "\"");
	/* Its result is the connection the user asked for: only a failure
	 * is news (and would be read as the first command's output). */
	src = (struct run_src){ .name = "command line", .text = line, .len = strlen(line), .first_line = 1,
				.quiet = true };
	st = run_source(s, &src);
	free(line);
	return st;
}

/* The end of every run: results written out, then the exit status, or the
 * death by the signal that stopped the run. */
static int finish(struct session *s, enum run_status worst)
{
	session_free(s);
	if (fflush(stdout) != 0 && worst == RUN_OK)
		worst = RUN_FAILED;
	if (run_signal)
		run_die_of_signal();
	run_hold_signals();
	return worst == RUN_OK ? 0 : EXIT_CMD_FAILED;
}

/* vhuctl check: the conformance suite, printing as every other command does. */
static int run_check(int argc, char **argv)
{
	static const struct check_host host = { .print = out_print };
	int st = check_main(argc, argv, &host);

	if (fflush(stdout) != 0 && st == 0)
		st = EXIT_CMD_FAILED;
	if (run_signal)
		run_die_of_signal();
	run_hold_signals();
	return st;
}

/* vhuctl monitor: the relay, printing as every other command does. A
 * signal is how a monitor is meant to end: it is not died of. */
static int run_monitor(int argc, char **argv)
{
	static const struct monitor_host host = { .print = out_print, .flush = out_flush };
	int st = monitor_main(argc, argv, &host);

	if (fflush(stdout) != 0 && st == 0)
		st = EXIT_CMD_FAILED;
	return st;
}

int main(int argc, char **argv)
{
	struct session s;
	struct options o = { .color = -1, .json = -1 };
	enum run_status st = RUN_OK, worst = RUN_OK;
	bool keep = false;

	signal(SIGPIPE, SIG_IGN);
	out_init();
	run_catch_signals();
	if (argc > 1 && strcmp(argv[1], "check") == 0)
		return run_check(argc - 1, argv + 1);
	if (argc > 1 && strcmp(argv[1], "monitor") == 0)
		return run_monitor(argc - 1, argv + 1);
	session_init(&s);
	s.emit = out_event;
	s.runner = &run_runner;
	if (parse_options(argc, argv, &s, &o) < 0)
		return EXIT_USAGE;
	if (o.list_commands) {
		list_commands();
		return 0;
	}
	if (o.complete) {
		complete_for_shell(&s, o.complete);
		session_free(&s);
		return 0;
	}
	if (o.listen && optind < argc) {
		fprintf(stderr, "vhuctl: --listen and a SOCKET to connect to exclude each other\n");
		return EXIT_USAGE;
	}
	if (argc - optind > 1) {
		fprintf(stderr, "vhuctl: one SOCKET at most (got '%s' too); try 'vhuctl --help'\n", argv[optind + 1]);
		return EXIT_USAGE;
	}
	s.out = o.json >= 0 ? (enum out_mode)o.json : isatty(1) ? OUT_PRETTY : OUT_COMPACT;
	/* A person reads help on a terminal; anything else reads JSON, as does
	 * whoever asked for it with --json. */
	s.text = isatty(1) && o.json < 0;
	s.pager = isatty(1) && !o.no_pager;
	s.color = o.color == 1 || (o.color == -1 && isatty(1) && !getenv("NO_COLOR") &&
				   s.out == OUT_PRETTY);
	{
		struct stat sb;

		s.out_buffered = fstat(1, &sb) == 0 && (S_ISREG(sb.st_mode) || S_ISCHR(sb.st_mode)) && !isatty(1);
		/* A file is written in big blocks, and whenever a wait starts. */
		if (s.out_buffered) {
			setvbuf(stdout, NULL, _IOFBF, 1 << 16);
			wire_set_idle(out_flush);
		}
	}
	keep = s.keep_going;
	if (optind < argc || o.listen) {
		st = connect_first(&s, o.listen ? o.listen : argv[optind], o.listen != NULL);
		if (st != RUN_OK)
			return finish(&s, st);
	}
	for (unsigned i = 0; i < o.njobs && !s.quit; i++) {
		if (o.jobs[i].is_file && strcmp(o.jobs[i].text, "-") == 0) {
			st = run_stream(&s, 0, "<stdin>");
		} else if (o.jobs[i].is_file) {
			int r = run_file(&s, o.jobs[i].text, &st);

			if (r < 0) {
				fprintf(stderr, "vhuctl: %s: %s\n", o.jobs[i].text, strerror(-r));
				session_free(&s);
				return EXIT_USAGE;
			}
		} else {
			struct run_src src = { .name = "command line", .text = o.jobs[i].text,
					       .len = strlen(o.jobs[i].text), .first_line = 1 };

			st = run_source(&s, &src);
		}
		if (st != RUN_OK)
			worst = st;
		if ((st != RUN_OK && !keep) || st == RUN_SIGNALLED || st == RUN_OUTPUT_GONE)
			break;
	}
	if (o.njobs == 0 && !run_signal) {
		if (isatty(0)) {
			worst = repl_run(&s);
		} else {
			worst = run_stream(&s, 0, "<stdin>");
		}
	}
	return finish(&s, worst);
}
