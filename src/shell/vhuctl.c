/* vhuctl.c - command-line entry: options, then one-shot, script or interactive runs. */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <readline/readline.h>

#include "check/check.h"
#include "monitor/monitor.h"
#include "cmd/cmd.h"
#include "cmd/opt.h"
#include "core/jb.h"
#include "core/proto.h"
#include "core/vring.h"
#include "shell/complete.h"
#include "shell/out.h"
#include "shell/repl.h"
#include "shell/run.h"

enum opt_id {
	OPT_COMMAND = 'c', OPT_FILE = 'f', OPT_TIMEOUT = 't', OPT_HELP = 'h', OPT_VERSION = 'V',
	OPT_OUTPUT = 'o', OPT_QUIET = 'q',
	OPT_JSON = 256, OPT_DEVICE, OPT_KEEP_GOING, OPT_ECHO, OPT_SYNC, OPT_NO_ACK, OPT_COLOR,
	OPT_LIST_COMMANDS, OPT_COMPLETE, OPT_LISTEN, OPT_WAIT, OPT_RECONNECT, OPT_NO_PAGER,
	OPT_LIST_EXIT_CODES, OPT_LIST_REQUESTS, OPT_CHECK = 'n',
};

/* One row per option: getopt's table and --help both come from here. */
static const struct opt_row opts[] = {
	{ "command", required_argument, OPT_COMMAND, "'CMD; CMD'", "run commands and exit (repeatable)" },
	{ "file", required_argument, OPT_FILE, "FILE", "run a script ('-' is stdin)" },
	{ "check", no_argument, OPT_CHECK, NULL, "check the commands of -c and -f (and what they source) without running them" },
	{ "timeout", required_argument, OPT_TIMEOUT, "MS", "bound on each command, 1..3600000 ms (default 5000)" },
	{ "output", required_argument, OPT_OUTPUT, "json|json-pretty|text", "output style (default: text on a terminal, json otherwise)" },
	{ "json", required_argument, OPT_JSON, "pretty|compact", "the same as --output=json-pretty or --output=json" },
	{ "quiet", no_argument, OPT_QUIET, NULL, "print only failed results: no other results, no events" },
	{ "no-pager", no_argument, OPT_NO_PAGER, NULL, "never put long help through $PAGER" },
	{ "color", required_argument, OPT_COLOR, "auto|always|never", "colour on a terminal: JSON, names in text (NO_COLOR is honoured)" },
	{ "device", required_argument, OPT_DEVICE, "TYPE", "device type for decoding (net, blk, fs, ...)" },
	{ "listen", required_argument, OPT_LISTEN, "PATH", "serve PATH and wait for a back-end to connect" },
	{ "wait", no_argument, OPT_WAIT, NULL, "with --listen and accept: wait for ever, not the timeout" },
	{ "reconnect", no_argument, OPT_RECONNECT, NULL, "when the back-end goes away, dial (or accept) it again" },
	{ "keep-going", no_argument, OPT_KEEP_GOING, NULL, "go on after a failed command (exit status: the first failure)" },
	{ "echo", no_argument, OPT_ECHO, NULL, "print each command on stderr before running it" },
	{ "sync", no_argument, OPT_SYNC, NULL, "GET_FEATURES barrier after requests that get no reply" },
	{ "no-ack", no_argument, OPT_NO_ACK, NULL, "do not set NEED_REPLY even when REPLY_ACK is negotiated" },
	{ "help", no_argument, OPT_HELP, NULL, "show this help" },
	{ "version", no_argument, OPT_VERSION, NULL, "show the version" },
	{ "list-commands", no_argument, OPT_LIST_COMMANDS, NULL, NULL },	/* for shell completion */
	{ "list-exit-codes", no_argument, OPT_LIST_EXIT_CODES, NULL, NULL },	/* for the man page */
	{ "list-requests", no_argument, OPT_LIST_REQUESTS, NULL, NULL },	/* for the dissector */
	{ "complete", required_argument, OPT_COMPLETE, "LINE", NULL },	/* the same, for any word */
};

#define NOPTS (sizeof(opts) / sizeof(opts[0]))

static void usage(FILE *f)
{
	fprintf(f, "Usage: vhuctl [OPTIONS] [SOCKET]\n"
		"       vhuctl check [CHECK-OPTIONS] SOCKET    (vhuctl check --help)\n"
		"       vhuctl monitor [MONITOR-OPTIONS] FRONT BACK    (vhuctl monitor --help)\n"
		"       vhuctl bench blk|net|request [OPTIONS] SOCKET [ARGS]    (vhuctl bench --help)\n\n"
		"A vhost-user front-end for debugging back-ends: connect to SOCKET, send any\n"
		"request, and see what was sent and what came back: as text on a terminal,\n"
		"as JSON otherwise (--output).\n\n"
		"Options:\n");
	opt_help(f, opts, NOPTS);
	fprintf(f, "\nWith no -c or -f, commands are read from stdin: a prompt on a terminal,\n"
		"a script otherwise. 'vhuctl -c help' lists the commands.\n\n"
		"Exit status (the first failure's):\n");
	{
		unsigned n;
		const struct run_exit *x = run_exits(&n);

		for (unsigned i = 0; i < n; i++)
			fprintf(f, "  %d  %-10s  %s\n", x[i].status, x[i].name, x[i].meaning);
	}
}

/* The request tables: side, number, name, payload kind, reply's kind. */
static void list_requests(void)
{
	static const enum vhu_side sides[] = { SIDE_FRONTEND, SIDE_BACKEND };

	for (unsigned k = 0; k < 2; k++) {
		unsigned n;
		const struct vhu_request *t = proto_requests(sides[k], &n);

		for (unsigned i = 0; i < n; i++)
			printf("%s\t%u\t%s\t%s\t%s\n", k ? "backend" : "frontend", t[i].num, t[i].name,
			       proto_payload_name(t[i].req_kind), proto_payload_name(t[i].reply_kind));
	}
}

static void list_exit_codes(void)
{
	unsigned n;
	const struct run_exit *x = run_exits(&n);

	for (unsigned i = 0; i < n; i++)
		printf("%d\t%s\t%s\n", x[i].status, x[i].name, x[i].meaning);
}

/* Every bad option or argument: one message, the same hint, exit status 2. */
static int usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("vhuctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\nTry 'vhuctl --help'.\n", stderr);
	return RUN_EXIT_USAGE;
}

struct job {
	bool is_file;
	const char *text;
};

struct options {
	struct job jobs[64];
	unsigned njobs;
	int color;		/* -1 auto, 0 never, 1 always */
	int output;		/* enum out_mode, -1 auto */
	bool list_commands;
	bool list_exit_codes, list_requests;
	bool check;		/* -n: check the commands, run none */
	const char *complete;	/* --complete LINE: what the prompt would offer */
	bool no_pager;
	bool version;
	const char *listen;
};

/* --output and its older spelling --json: NAMES[i] is enum out_mode i,
 * WORDS them in a sentence. */
static int parse_output(const char *opt, const char *arg, const char *const names[3], const char *words,
			int *mode)
{
	for (int i = 0; i < 3; i++)
		if (names[i] && strcmp(arg, names[i]) == 0) {
			*mode = i;
			return 0;
		}
	if (strcmp(opt, "json") == 0 && strcmp(arg, "short") == 0) {
		*mode = OUT_COMPACT;	/* busctl's word for it */
		return 0;
	}
	return usage_error("--%s is %s, not '%s'", opt, words, arg);
}

/* What getopt refused (opterr is 0: the message is ours). */
static int bad_option(int c, char **argv)
{
	const char *word = argv[optind - 1];
	size_t n = strcspn(word, "=");

	if (c == ':')
		return usage_error("option '%s' needs an argument", word);
	for (size_t i = 0; i < NOPTS; i++)
		if (optopt == opts[i].id && opts[i].has_arg == no_argument && optopt >= 256)
			return usage_error("option '--%s' takes no argument", opts[i].name);
	if (optopt && optopt < 256)
		return usage_error("unknown option '-%c'", optopt);
	return usage_error("unknown or ambiguous option '%.*s'", (int)n, word);
}

/* How results are printed, from the options and what stdout is. A person
 * at a terminal reads the text view; anything else reads JSON, compact, as
 * before there was a text view. */
static void output_setup(struct session *s, const struct options *o)
{
	struct stat sb;
	bool tty = isatty(1);

	s->out = o->output >= 0 ? (enum out_mode)o->output : tty ? OUT_TEXT : OUT_COMPACT;
	s->text = s->out == OUT_TEXT;
	s->pager = tty && !o->no_pager;
	s->color = o->color == 1 || (o->color == -1 && tty && !getenv("NO_COLOR") && s->out != OUT_COMPACT);
	out_set_stderr_color(o->color);
	s->out_buffered = fstat(1, &sb) == 0 && (S_ISREG(sb.st_mode) || S_ISCHR(sb.st_mode)) && !tty;
	/* A file is written in big blocks, and whenever a wait starts. */
	if (s->out_buffered) {
		/* glibc takes a size only with a buffer: NULL gets st_blksize */
		static char buf[1 << 16];

		setvbuf(stdout, buf, _IOFBF, sizeof(buf));
		wire_set_idle(out_flush);
	}
}

/* --version: the build and what it follows, as a result (vhuctl-json(7)):
 * text at a terminal, JSON otherwise, as every result. */
static void print_version(const struct session *s)
{
	struct json_object *o = json_object_new_object(), *f = json_object_new_object();

	jb_add(o, "command", json_object_new_string("version"));
	jb_add(o, "ok", json_object_new_boolean(1));
	jb_add(o, "version", json_object_new_string(PACKAGE_VERSION));
	jb_add(f, "json_c", json_object_new_string(json_c_version()));
	jb_add(f, "readline", json_object_new_string(rl_library_version ? rl_library_version : "unknown"));
#ifdef BUILD_SANITIZERS
	jb_add(f, "sanitizers", json_object_new_boolean(1));
#else
	jb_add(f, "sanitizers", json_object_new_boolean(0));
#endif
#ifdef BUILD_FUZZING
	jb_add(f, "fuzzing", json_object_new_boolean(1));
#else
	jb_add(f, "fuzzing", json_object_new_boolean(0));
#endif
	jb_add(f, "vhost_user_spec", json_object_new_string(VHU_SPEC_REVISION));
	jb_add(f, "schema_version", json_object_new_int(VHUCTL_SCHEMA_VERSION));
	jb_add(o, "features", f);
	out_print(s, o);
	json_object_put(o);
}

/* 0, or RUN_EXIT_USAGE after saying why. Sets up the output (output_setup). */
static int parse_options(int argc, char **argv, struct session *s, struct options *o)
{
	static const char *const output_names[3] = { [OUT_PRETTY] = "json-pretty", [OUT_COMPACT] = "json",
						    [OUT_TEXT] = "text" };
	static const char *const json_names[3] = { [OUT_PRETTY] = "pretty", [OUT_COMPACT] = "compact" };
	struct option lo[NOPTS + 1];
	char so[2 * NOPTS + 2] = ":";	/* ':' first: a missing argument is ours to report */
	int c;

	opt_getopt(opts, NOPTS, lo, so + 1);
	opterr = 0;
	while ((c = getopt_long(argc, argv, so, lo, NULL)) != -1) {
		char *end;
		long v;

		switch (c) {
		case OPT_COMMAND:
		case OPT_FILE:
			if (o->njobs == sizeof(o->jobs) / sizeof(o->jobs[0]))
				return usage_error("too many -c/-f options (%zu at most)",
						   sizeof(o->jobs) / sizeof(o->jobs[0]));
			o->jobs[o->njobs++] = (struct job){ c == OPT_FILE, optarg };
			break;
		case OPT_TIMEOUT:
			errno = 0;
			v = strtol(optarg, &end, 10);
			/* 0 is refused: a wait of 0 ms would be no wait at all, and SO_RCVTIMEO
			 * takes {0, 0} for "for ever". */
			if (errno || *end || v < 1 || v > SESSION_TIMEOUT_MAX_MS)
				return usage_error("--timeout wants milliseconds (1..%d), not '%s'",
						   SESSION_TIMEOUT_MAX_MS, optarg);
			s->conn.timeout_ms = (int)v;
			break;
		case OPT_OUTPUT:
			if (parse_output("output", optarg, output_names, "json, json-pretty or text", &o->output))
				return RUN_EXIT_USAGE;
			break;
		case OPT_JSON:
			if (parse_output("json", optarg, json_names, "pretty or compact", &o->output))
				return RUN_EXIT_USAGE;
			break;
		case OPT_QUIET: s->quiet = true; break;
		case OPT_COLOR:
			if (strcmp(optarg, "auto") == 0)
				o->color = -1;
			else if (strcmp(optarg, "always") == 0)
				o->color = 1;
			else if (strcmp(optarg, "never") == 0)
				o->color = 0;
			else
				return usage_error("--color is auto, always or never, not '%s'", optarg);
			break;
		case OPT_DEVICE: {
			int d = features_device_by_name(optarg);
			char hint[400];

			if (d < 0)
				return usage_error("unknown device type '%s'%s", optarg,
						   features_device_hint(optarg, hint, sizeof(hint)));
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
		case OPT_LIST_EXIT_CODES: o->list_exit_codes = true; break;
		case OPT_LIST_REQUESTS: o->list_requests = true; break;
		case OPT_CHECK: o->check = true; break;
		case OPT_COMPLETE: o->complete = optarg; break;
		case OPT_NO_PAGER: o->no_pager = true; break;
		case OPT_HELP: usage(stdout); exit(0);
		case OPT_VERSION: o->version = true; break;	/* once --output is known */
		default:
			return bad_option(c, argv);
		}
	}
	output_setup(s, o);
	if (o->version) {
		print_version(s);
		exit(fflush(stdout) == 0 ? 0 : RUN_EXIT_FAILED);
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
	return worst == RUN_OK ? 0 : run_exit_status();
}

/* -n: every job's commands checked, none run; nothing is connected to. */
static int check_only(struct session *s, const struct options *o)
{
	struct json_object *sum;
	unsigned commands = 0, errors = 0, files = 0;
	bool unreadable = false;

	for (unsigned i = 0; i < o->njobs || (o->njobs == 0 && i == 0); i++) {
		const char *path = o->njobs == 0 ? "-" : o->jobs[i].is_file ? o->jobs[i].text : NULL;
		struct run_src src = { .name = "command line", .first_line = 1 };
		char *text = NULL;

		if (path) {
			int r = run_read_script(path, &text, &src.len);

			if (r < 0) {
				usage_error("%s: %s", path, strerror(-r));
				unreadable = true;
				continue;
			}
			src.name = strcmp(path, "-") == 0 ? "<stdin>" : path;
			src.text = text;
			files++;
		} else {
			src.text = o->jobs[i].text;
			src.len = strlen(src.text);
		}
		run_precheck(s, &src, &commands, &errors);
		free(text);
	}
	sum = session_result(s, "check-script");
	json_object_object_add(sum, "checked", json_object_new_int64(commands));
	json_object_object_add(sum, "errors", json_object_new_int64(errors));
	json_object_object_add(sum, "ok", json_object_new_boolean(!errors && !unreadable));
	if (errors || unreadable) {
		struct json_object *e = json_object_new_object();
		char msg[120];

		snprintf(msg, sizeof(msg), unreadable ? "a script could not be read" : "%u error%s in %u command%s",
			 errors, errors == 1 ? "" : "s", commands, commands == 1 ? "" : "s");
		json_object_object_add(e, "code", json_object_new_string(vhu_errno_name(unreadable ? ENOENT : EINVAL)));
		json_object_object_add(e, "message", json_object_new_string(msg));
		json_object_object_add(sum, "error", e);
	}
	out_print(s, sum);
	json_object_put(sum);
	session_free(s);
	if (fflush(stdout) != 0)
		return RUN_EXIT_FAILED;
	return unreadable ? RUN_EXIT_USAGE : errors ? RUN_EXIT_INVALID : 0;
}

/* vhuctl check: the conformance suite, printing as every other command does. */
static int run_check(int argc, char **argv)
{
	static const struct check_host host = { .print = out_print };
	int st = check_main(argc, argv, &host);

	if (fflush(stdout) != 0 && st == 0)
		st = RUN_EXIT_FAILED;
	if (run_signal)
		run_die_of_signal();
	run_hold_signals();
	return st;
}

/* vhuctl monitor: the relay, printing as every other command does. A
 * signal is how a monitor is meant to end: it is not died of. */
static int run_monitor(int argc, char **argv)
{
	static const struct monitor_host host = { .print = out_print, .flush = out_flush, .record = out_record,
						  .print_jw = out_json_jw, .record_jw = out_record_jw };
	int st = monitor_main(argc, argv, &host);

	if (fflush(stdout) != 0 && st == 0)
		st = RUN_EXIT_FAILED;
	return st;
}

/* The progress line of a long command (bench), on a terminal. */
static void progress_stderr(struct session *s, const char *line)
{
	(void)s;
	if (line)
		fprintf(stderr, "\r%s\033[K", line);
	else
		fputs("\r\033[K", stderr);
	fflush(stderr);
}

static int vhuctl_main(int argc, char **argv);

/* An argument of bench as one token of a command line: quoted when it
 * holds what the tokenizer would split or read. */
static void bench_word(char *buf, size_t len, size_t *n, const char *w)
{
	bool plain = *w != 0;

	for (const char *p = w; *p; p++)
		if (!(isalnum((unsigned char)*p) || strchr("=-_.,:/+@", *p)))
			plain = false;
	if (*n + 1 < len)
		buf[(*n)++] = ' ';
	if (!plain && *n + 1 < len)
		buf[(*n)++] = '"';
	for (const char *p = w; *p && *n + 3 < len; p++) {
		if (!plain && (*p == '"' || *p == '\\'))
			buf[(*n)++] = '\\';
		buf[(*n)++] = *p;
	}
	if (!plain && *n + 1 < len)
		buf[(*n)++] = '"';
	buf[*n < len ? *n : len - 1] = 0;
}

static void bench_usage(FILE *f)
{
	fprintf(f, "Usage: vhuctl bench blk [OPTIONS] SOCKET [rw=..] [bs=..] [iodepth=..] [queues=..] [time=..|count=..]\n"
		"                        [size=..] [rwmixread=..] [seed=..] [verify] [poll] [packed]\n"
		"       vhuctl bench net [OPTIONS] SOCKET [size=..] [burst=..] [time=..|count=..] [rx=on|off] [poll] [packed]\n"
		"       vhuctl bench request [OPTIONS] SOCKET 'REQUEST [ARGS]' [time=..|count=..]\n\n"
		"Connects, then runs 'bench blk', 'bench net' or 'bench request' (which bring the\n"
		"device up as 'start' does, with the memory and ring size the queue depth needs) and\n"
		"prints its result: one JSON object, or a table with --output=text. OPTIONS are vhuctl's own\n"
		"(--output, -t, -q, ...). A progress line goes to stderr on a terminal, once a\n"
		"second. 'vhuctl -c \"help bench blk\"' explains the arguments.\n");
}

/* Does option A take the next word as its value (-t MS, --output MODE)? */
static bool opt_takes_word(const char *a)
{
	for (size_t i = 0; i < NOPTS; i++)
		if (opts[i].has_arg == required_argument &&
		    (a[1] != '-' ? opts[i].id == a[1] && !a[2] : strcmp(a + 2, opts[i].name) == 0))
			return true;
	return false;
}

/* vhuctl [OPTIONS] bench KIND [OPTIONS] SOCKET [ARGS]: vhuctl [OPTIONS]
 * SOCKET -c 'bench KIND ARGS', the device named after KIND. ARGV[AT] is
 * "bench"; the words before it are options. */
static int run_bench(int argc, char **argv, int at)
{
	const char *kind = at + 1 < argc ? argv[at + 1] : "", *sock = NULL, *dev = NULL;
	char script[4096], *nargv[64];
	size_t n = 0;
	int nargc = 0;

	if (strcmp(kind, "--help") == 0 || strcmp(kind, "-h") == 0) {
		bench_usage(stdout);
		return 0;
	}
	if (strcmp(kind, "blk") == 0 || strcmp(kind, "net") == 0)
		dev = kind;
	else if (strcmp(kind, "request") != 0) {
		bench_usage(stderr);
		return usage_error("bench: blk, net or request, not '%s'", kind);
	}
	nargv[nargc++] = argv[0];
	if (dev) {
		nargv[nargc++] = (char *)"--device";
		nargv[nargc++] = (char *)dev;
	}
	n = (size_t)snprintf(script, sizeof(script), "bench %s", kind);
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (i == at || i == at + 1)
			continue;
		if (a[0] == '-' && a[1]) {	/* no argument of bench starts so */
			if (nargc + 5 >= (int)(sizeof(nargv) / sizeof(nargv[0])))
				return usage_error("bench: too many options");
			nargv[nargc++] = argv[i];
			if (opt_takes_word(a)) {
				if (i + 1 >= argc)
					return usage_error("option '%s' requires an argument", a);
				nargv[nargc++] = argv[++i];
			}
		} else if (i < at) {
			return usage_error("bench: '%s' before 'bench' is not an option", a);
		} else if (!sock) {
			sock = a;
		} else {
			bench_word(script, sizeof(script), &n, a);
		}
	}
	if (!sock)
		return usage_error("bench %s: no SOCKET", kind);
	if (n + 1 >= sizeof(script))
		return usage_error("bench: the arguments are too long");
	nargv[nargc++] = (char *)sock;
	nargv[nargc++] = (char *)"-c";
	nargv[nargc++] = script;
	nargv[nargc] = NULL;
	return vhuctl_main(nargc, nargv);
}

/* Where "bench" is, after options only (their values too): 0 for none. */
static int bench_at(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "bench") == 0)
			return i;
		if (argv[i][0] != '-' || !argv[i][1] || strcmp(argv[i], "--") == 0)
			return 0;
		if (opt_takes_word(argv[i]))
			i++;
	}
	return 0;
}

int main(int argc, char **argv)
{
	int at;

	signal(SIGPIPE, SIG_IGN);
	out_init();
	run_catch_signals();
	if (argc > 1 && strcmp(argv[1], "check") == 0)
		return run_check(argc - 1, argv + 1);
	if (argc > 1 && strcmp(argv[1], "monitor") == 0)
		return run_monitor(argc - 1, argv + 1);
	if ((at = bench_at(argc, argv)) > 0)
		return run_bench(argc, argv, at);
	return vhuctl_main(argc, argv);
}

static int vhuctl_main(int argc, char **argv)
{
	struct session s;
	struct options o = { .color = -1, .output = -1 };
	enum run_status st = RUN_OK, worst = RUN_OK;
	bool keep = false;

	session_init(&s);
	s.emit = out_event;
	s.runner = &run_runner;
	if (parse_options(argc, argv, &s, &o) != 0)
		return RUN_EXIT_USAGE;
	if (o.list_commands) {
		list_commands();
		return 0;
	}
	if (o.list_exit_codes) {
		list_exit_codes();
		return 0;
	}
	if (o.list_requests) {
		list_requests();
		return 0;
	}
	if (o.complete) {
		complete_for_shell(&s, o.complete);
		session_free(&s);
		return 0;
	}
	if (o.listen && optind < argc)
		return usage_error("--listen and a SOCKET to connect to exclude each other");
	if (argc - optind > 1)
		return usage_error("one SOCKET at most (got '%s' too)", argv[optind + 1]);
	keep = s.keep_going;
	if (isatty(2) && !s.quiet)
		s.progress = progress_stderr;
	if (o.check)
		return check_only(&s, &o);
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
				session_free(&s);
				return usage_error("%s: %s", o.jobs[i].text, strerror(-r));
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
