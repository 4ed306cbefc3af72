/* check.c - vhuctl check: its options, which cases run, and the exit status. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check/check.h"
#include "check/report.h"
#include "check/runner.h"
#include "cmd/opt.h"
#include "core/features.h"
#include "core/wire.h"

enum {
	CHECK_OK = 0,
	CHECK_FAILED = 1,	/* a case failed */
	CHECK_USAGE = 2,
	CHECK_MISSING = 3,	/* none failed, but the back-end could not be reached for some */
};

enum check_opt {
	CO_OUTPUT = 'o', CO_TIMEOUT = 't', CO_HELP = 'h',
	CO_TAP = 256, CO_JUNIT, CO_GROUP, CO_CASE, CO_LIST, CO_EXEC, CO_EXEC_LOG, CO_START_TIMEOUT,
	CO_CASE_TIMEOUT, CO_DEVICE, CO_STRICT, CO_COLOR, CO_ONLY,
};

/* One row per option: getopt's table and --help both come from here. */
static const struct opt_row check_opts[] = {
	{ "output", required_argument, CO_OUTPUT, "text|json", "a tree for people (default), or one JSON object per case" },
	{ "tap", no_argument, CO_TAP, NULL, "TAP on standard output instead" },
	{ "junit", required_argument, CO_JUNIT, "FILE", "also write JUnit XML to FILE" },
	{ "group", required_argument, CO_GROUP, "GROUP", "run the cases of GROUP only (repeatable)" },
	{ "case", required_argument, CO_CASE, "ID", "run case ID only (repeatable, with --group too)" },
	{ "only", required_argument, CO_ONLY, "GROUP|ID", "--group GROUP or --case ID, whichever it names (repeatable)" },
	{ "list", no_argument, CO_LIST, NULL, "list the cases (id, group, level, section, title) and exit" },
	{ "exec", required_argument, CO_EXEC, "'CMD {sock}'", "start the back-end on a fresh socket, again when it dies" },
	{ "exec-log", required_argument, CO_EXEC_LOG, "FILE", "append the --exec back-end's output to FILE" },
	{ "start-timeout", required_argument, CO_START_TIMEOUT, "MS", "bound on the back-end's start (default 30000)" },
	{ "timeout", required_argument, CO_TIMEOUT, "MS", "bound on each request, 1..3600000 ms (default 1000)" },
	{ "case-timeout", required_argument, CO_CASE_TIMEOUT, "MS", "kill timer of each case (default 10000)" },
	{ "device", required_argument, CO_DEVICE, "TYPE", "the device type, for its cases (blk, net, fs, ...)" },
	{ "strict", no_argument, CO_STRICT, NULL, "count warnings (SHOULDs not met) as failures" },
	{ "color", required_argument, CO_COLOR, "auto|always|never", "colour the tree on a terminal" },
	{ "help", no_argument, CO_HELP, NULL, "show this help" },
};

#define NCHECK_OPTS (sizeof(check_opts) / sizeof(check_opts[0]))

static void check_usage(void)
{
	printf("Usage: vhuctl check [OPTIONS] SOCKET\n"
	       "       vhuctl check [OPTIONS] --exec 'CMD ... {sock} ...'\n\n"
	       "Run the conformance and robustness suite against the vhost-user back-end on\n"
	       "SOCKET: each case on a connection of its own, with the spec's sentence it checks.\n\n"
	       "Options:\n");
	opt_help(stdout, check_opts, NCHECK_OPTS);
	printf("\nVerdicts: pass, fail, warn (a SHOULD not met), skip (with why), missing (the\n"
	       "back-end could not be reached). Exit status: 0 no case failed (warn and skip do\n"
	       "not fail, unless --strict), 1 a case failed, 2 usage error, 3 none failed but\n"
	       "some are missing.\n");
}

struct check_args {
	struct ck_opts o;
	enum ck_output output;
	bool tap, list, strict;
	int color;
	const char *junit, *exec, *exec_log;
	int start_ms;
	const char *groups[16], *ids[64];
	unsigned ngroups, nids;
};

static int number(const char *opt, const char *s, long lo, long hi, int *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v < lo || v > hi) {
		fprintf(stderr, "vhuctl check: --%s wants milliseconds (%ld..%ld), not '%s'\n", opt, lo, hi, s);
		return -1;
	}
	*out = (int)v;
	return 0;
}

static int add_group(struct check_args *a, const char *name)
{
	if (a->ngroups == sizeof(a->groups) / sizeof(a->groups[0]))
		return fprintf(stderr, "vhuctl check: too many --group\n"), -1;
	a->groups[a->ngroups++] = name;
	return 0;
}

static int add_case(struct check_args *a, const char *id)
{
	if (a->nids == sizeof(a->ids) / sizeof(a->ids[0]))
		return fprintf(stderr, "vhuctl check: too many --case\n"), -1;
	a->ids[a->nids++] = id;
	return 0;
}

/* --only NAME: a group when one has that name, else a case id (checked
 * later, with the suggestions --case gets). */
static bool is_group(const char *name)
{
	unsigned n;
	const struct ck_group *g = ck_groups(&n);

	for (unsigned i = 0; i < n; i++)
		if (strcmp(g[i].name, name) == 0)
			return true;
	return false;
}

static int parse(int argc, char **argv, struct check_args *a)
{
	struct option lo[NCHECK_OPTS + 1];
	char so[2 * NCHECK_OPTS + 1];
	int c;

	opt_getopt(check_opts, NCHECK_OPTS, lo, so);
	optind = 1;
	while ((c = getopt_long(argc, argv, so, lo, NULL)) != -1) {
		switch (c) {
		case CO_OUTPUT:
			if (strcmp(optarg, "text") && strcmp(optarg, "json")) {
				fprintf(stderr, "vhuctl check: --output is text or json, not '%s'\n", optarg);
				return -1;
			}
			a->output = optarg[0] == 'j' ? OUTPUT_JSON : OUTPUT_TEXT;
			break;
		case CO_TAP: a->tap = true; break;
		case CO_JUNIT: a->junit = optarg; break;
		case CO_GROUP:
			if (add_group(a, optarg) < 0)
				return -1;
			break;
		case CO_CASE:
			if (add_case(a, optarg) < 0)
				return -1;
			break;
		case CO_ONLY:
			if ((is_group(optarg) ? add_group(a, optarg) : add_case(a, optarg)) < 0)
				return -1;
			break;
		case CO_LIST: a->list = true; break;
		case CO_EXEC: a->exec = optarg; break;
		case CO_EXEC_LOG: a->exec_log = optarg; break;
		case CO_STRICT: a->strict = true; break;
		case CO_START_TIMEOUT:
			if (number("start-timeout", optarg, 1, 3600000, &a->start_ms) < 0)
				return -1;
			break;
		case CO_TIMEOUT:
			if (number("timeout", optarg, 1, 3600000, &a->o.timeout_ms) < 0)
				return -1;
			break;
		case CO_CASE_TIMEOUT:
			if (number("case-timeout", optarg, 1, 3600000, &a->o.case_ms) < 0)
				return -1;
			break;
		case CO_DEVICE: {
			int d = features_device_by_name(optarg);

			if (d < 0)
				return fprintf(stderr, "vhuctl check: unknown device type '%s'\n", optarg), -1;
			a->o.dev = (enum vhu_device)d;
			break;
		}
		case CO_COLOR:
			if (!strcmp(optarg, "auto") || !strcmp(optarg, "always") || !strcmp(optarg, "never")) {
				a->color = optarg[0] == 'a' ? (optarg[1] == 'u' ? -1 : 1) : 0;
				break;
			}
			fprintf(stderr, "vhuctl check: --color is auto, always or never, not '%s'\n", optarg);
			return -1;
		case CO_HELP:
			check_usage();
			exit(0);
		default:
			fprintf(stderr, "Try 'vhuctl check --help'.\n");
			return -1;
		}
	}
	return 0;
}

/* Is C selected by --group and --case (none of either: all)? */
static bool selected(const struct check_args *a, const struct ck_case *c)
{
	if (!a->ngroups && !a->nids)
		return true;
	for (unsigned i = 0; i < a->ngroups; i++)
		if (strcmp(a->groups[i], c->group) == 0)
			return true;
	for (unsigned i = 0; i < a->nids; i++)
		if (strcmp(a->ids[i], c->id) == 0)
			return true;
	return false;
}

/* Every --group and --case names something, or it is a typo. */
static int unknown_names(const struct check_args *a)
{
	unsigned n, ng;
	const struct ck_case *cs = ck_cases(&n);
	const struct ck_group *g = ck_groups(&ng);

	for (unsigned i = 0; i < a->ngroups; i++) {
		unsigned j = 0;

		while (j < ng && strcmp(g[j].name, a->groups[i]) != 0)
			j++;
		if (j == ng)
			return fprintf(stderr, "vhuctl check: no group '%s' (vhuctl check --list)\n", a->groups[i]), -1;
	}
	for (unsigned i = 0; i < a->nids; i++) {
		unsigned j = 0;

		while (j < n && strcmp(cs[j].id, a->ids[i]) != 0)
			j++;
		if (j == n)
			return fprintf(stderr, "vhuctl check: no case '%s' (vhuctl check --list)\n", a->ids[i]), -1;
	}
	return 0;
}

/* --list: a line a case, tab-separated; with --output=json one result
 * ("check-list", vhuctl-json(7)) whose cases carry their sentence too. */
static void list_cases(const struct check_args *a, const struct check_host *host)
{
	unsigned n;
	const struct ck_case *c = ck_cases(&n);
	struct json_object *o, *cases;
	struct session out;

	if (a->output != OUTPUT_JSON) {
		for (unsigned i = 0; i < n; i++)
			printf("%s\t%s\t%s\t%s\t%s\n", c[i].id, c[i].group, ck_level_name(c[i].level), c[i].section,
			       c[i].title);
		return;
	}
	o = json_object_new_object();
	cases = json_object_new_array();
	json_object_object_add(o, "command", json_object_new_string("check-list"));
	for (unsigned i = 0; i < n; i++) {
		struct json_object *e = json_object_new_object();

		json_object_object_add(e, "case", json_object_new_string(c[i].id));
		json_object_object_add(e, "group", json_object_new_string(c[i].group));
		json_object_object_add(e, "level", json_object_new_string(ck_level_name(c[i].level)));
		json_object_object_add(e, "section", json_object_new_string(c[i].section));
		json_object_object_add(e, "title", json_object_new_string(c[i].title));
		json_object_object_add(e, "requirement", json_object_new_string(c[i].sentence));
		if (c[i].dev != DEV_NONE)
			json_object_object_add(e, "device", json_object_new_string(features_device_name(c[i].dev)));
		json_object_array_add(cases, e);
	}
	json_object_object_add(o, "cases", cases);
	json_object_object_add(o, "ok", json_object_new_boolean(1));
	session_init(&out);
	out.out = isatty(1) ? OUT_PRETTY : OUT_COMPACT;
	host->print(&out, o);
	json_object_put(o);
	session_free(&out);
}

/* A socket path of our own for --exec: a fresh directory, so that nothing
 * else is there to be removed. */
static int fresh_socket(char *dir, size_t dlen, char *sock, size_t slen)
{
	snprintf(dir, dlen, "%s/vhuctl-check.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(dir))
		return -errno;
	snprintf(sock, slen, "%s/backend.sock", dir);
	return 0;
}

static int run_all(struct check_args *a, struct ck_backend *b, const struct check_host *host, const char *target)
{
	unsigned n, nsel = 0;
	const struct ck_case *cs = ck_cases(&n);
	struct ck_result *res = calloc(n, sizeof(*res));
	struct session out;
	struct ck_report r = { .output = a->tap ? OUTPUT_TAP : a->output, .junit = a->junit, .target = target,
			       .host = host, .s = &out, .tty = isatty(1) };
	bool failed = false, missing = false;
	int64_t t0 = wire_now_ns();
	int status, jr;

	if (!res)
		return fprintf(stderr, "vhuctl check: out of memory\n"), CHECK_FAILED;
	session_init(&out);
	out.out = r.tty ? OUT_PRETTY : OUT_COMPACT;
	r.color = a->color == 1 || (a->color == -1 && r.tty && !getenv("NO_COLOR"));
	out.color = r.color && r.output == OUTPUT_JSON;
	for (unsigned i = 0; i < n; i++)
		nsel += selected(a, &cs[i]);
	report_begin(&r, nsel);
	for (unsigned i = 0, k = 0; i < n; i++) {
		struct ck_result *x;

		if (!selected(a, &cs[i]))
			continue;
		x = &res[k++];
		if (wire_cancel) {	/* a signal stopped the run: the report is still written */
			memset(x, 0, sizeof(*x));
			x->c = &cs[i];
			x->v = CK_MISSING;
			x->evidence = json_object_new_array();
			snprintf(x->reason, sizeof(x->reason), "not run: a signal stopped the suite");
		} else {
			report_progress(&r, k, &cs[i]);
			ck_run(&cs[i], &a->o, b, x);
		}
		/* a SHOULD not met is a warning, unless --strict */
		if (x->v == CK_FAIL && cs[i].level == CK_SHOULD && !x->hard)
			x->v = CK_WARN;
		if (x->v == CK_WARN && a->strict)
			x->v = CK_FAIL;
		failed |= x->v == CK_FAIL;
		missing |= x->v == CK_MISSING;
		report_case(&r, k, x);
	}
	status = failed ? CHECK_FAILED : missing ? CHECK_MISSING : CHECK_OK;
	jr = report_end(&r, res, nsel, wire_now_ns() - t0, b ? b->starts : 0, status);
	if (jr < 0) {
		fprintf(stderr, "vhuctl check: %s: %s\n", a->junit, strerror(-jr));
		status = CHECK_FAILED;
	}
	for (unsigned i = 0; i < nsel; i++)
		json_object_put(res[i].evidence);
	free(res);
	session_free(&out);
	return status;
}

int check_main(int argc, char **argv, const struct check_host *host)
{
	struct check_args a = { .o = { .timeout_ms = 1000, .case_ms = 10000 }, .color = -1, .start_ms = 30000 };
	struct ck_backend b = { .pid = -1, .pidfd = -1 };
	char dir[4096] = "", sock[108], err[600];
	int status, r;

	if (parse(argc, argv, &a) < 0 || unknown_names(&a) < 0)
		return CHECK_USAGE;
	if (a.list) {
		list_cases(&a, host);
		return CHECK_OK;
	}
	if (argc - optind > 1 || (argc - optind == 0 && !a.exec)) {
		fprintf(stderr, "vhuctl check: %s; try 'vhuctl check --help'\n",
			argc - optind > 1 ? "one SOCKET at most" : "a SOCKET, or --exec");
		return CHECK_USAGE;
	}
	if (optind < argc) {
		snprintf(sock, sizeof(sock), "%s", argv[optind]);
	} else if ((r = fresh_socket(dir, sizeof(dir), sock, sizeof(sock))) < 0) {
		fprintf(stderr, "vhuctl check: a directory for the socket: %s\n", strerror(-r));
		return CHECK_FAILED;
	}
	a.o.sock = sock;
	if (a.exec && ck_backend_init(&b, a.exec, sock, err, sizeof(err)) < 0) {
		fprintf(stderr, "vhuctl check: %s\n", err);
		return CHECK_USAGE;
	}
	b.log = a.exec_log;
	b.start_ms = a.start_ms;
	status = run_all(&a, a.exec ? &b : NULL, host, a.exec ? a.exec : sock);
	ck_backend_free(&b);
	if (dir[0]) {
		unlink(sock);
		rmdir(dir);
	}
	return status;
}
