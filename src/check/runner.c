/* runner.c - running cases: one process each under a kill timer, the back-end started and restarted, crashes found. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check/runner.h"
#include "cmd/cmd.h"
#include "cmd/tok.h"

/* --- the back-end --exec starts ------------------------------------------- */

int ck_backend_init(struct ck_backend *b, const char *cmd, const char *sock, char *err, size_t errlen)
{
	struct tokenizer t;
	struct tok_cmd c = { 0 };
	struct tok_error te;

	b->pid = -1;
	b->pidfd = -1;
	tok_init(&t, cmd, strlen(cmd), 1);
	if (tok_next(&t, &c, &te) != 1 || c.n == 0) {
		snprintf(err, errlen, "--exec: %s", c.n ? te.msg : "no command");
		tok_cmd_free(&c);
		return -1;
	}
	b->argv = calloc(c.n + 1, sizeof(*b->argv));
	for (unsigned i = 0; b->argv && i < c.n; i++) {
		/* each {sock} becomes the socket's path */
		const char *w = c.v[i].text, *at;
		size_t len = strlen(w) + 1, n = 0;

		for (at = w; (at = strstr(at, "{sock}")); at += 6)
			len += strlen(sock);
		if (!(b->argv[i] = malloc(len)))
			break;
		for (; *w;) {
			if (strncmp(w, "{sock}", 6) == 0) {
				n += (size_t)snprintf(b->argv[i] + n, len - n, "%s", sock);
				w += 6;
			} else {
				b->argv[i][n++] = *w++;
			}
		}
		b->argv[i][n] = '\0';
	}
	tok_cmd_free(&c);
	return 0;
}

void ck_backend_free(struct ck_backend *b)
{
	ck_backend_stop(b);
	for (unsigned i = 0; b->argv && b->argv[i]; i++)
		free(b->argv[i]);
	free(b->argv);
	b->argv = NULL;
}

static void describe_status(int st, char *buf, size_t len)
{
	if (WIFSIGNALED(st))
		snprintf(buf, len, "killed by SIG%s%s", sigabbrev_np(WTERMSIG(st)) ? sigabbrev_np(WTERMSIG(st)) : "?",
			 WCOREDUMP(st) ? " (core dumped)" : "");
	else
		snprintf(buf, len, "exited with status %d", WEXITSTATUS(st));
}

#define ONESHOT_EXIT_MS 1000	/* how long a back-end that serves one connection has to go by itself */

/* Has it exited? Then it is reaped, and b->status says how. */
static bool reap(struct ck_backend *b, int *status)
{
	int st;

	if (b->pid < 0)
		return true;
	if (waitpid(b->pid, &st, WNOHANG) != b->pid)
		return false;
	describe_status(st, b->status, sizeof(b->status));
	if (status)
		*status = st;
	close(b->pidfd);
	b->pidfd = -1;
	b->pid = -1;
	return true;
}

/* Wait up to MS for it to exit: true when it has. */
static bool wait_exit(struct ck_backend *b, int ms, int *status)
{
	struct pollfd p = { .fd = b->pidfd, .events = POLLIN };

	if (b->pid < 0)
		return true;
	if (b->pidfd >= 0)
		poll(&p, 1, ms);
	return reap(b, status);
}

void ck_backend_stop(struct ck_backend *b)
{
	if (b->pid < 0)
		return;
	kill(-b->pid, SIGTERM);	/* its process group: ours, made at its start */
	if (!wait_exit(b, 5000, NULL)) {
		kill(-b->pid, SIGKILL);
		wait_exit(b, 5000, NULL);
	}
}

static void exec_child(const struct ck_backend *b)
{
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	int log = b->log ? open(b->log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644) : null;
	sigset_t none;

	setpgid(0, 0);
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	/* what vhuctl ignores and blocks is its own business, not the back-end's */
	signal(SIGPIPE, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	dup2(null, 0);
	dup2(log >= 0 ? log : null, 1);
	dup2(log >= 0 ? log : null, 2);
	execvp(b->argv[0], b->argv);
	dprintf(2, "vhuctl check: --exec %s: %s\n", b->argv[0], strerror(errno));
	_exit(127);
}

static bool is_socket(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0 && S_ISSOCK(st.st_mode);
}

/* Start it on SOCK (removed first) and wait until the socket is there;
 * the case's own connect then retries until it listens. */
static int start(struct ck_backend *b, const char *sock, char *err, size_t errlen)
{
	char dir[108];	/* a socket path's length at most */
	int ifd, r = -1;
	int64_t deadline;

	unlink(sock);
	snprintf(dir, sizeof(dir), "%s", sock);
	if (strrchr(dir, '/'))
		*(strrchr(dir, '/') + (strrchr(dir, '/') == dir)) = '\0';
	else
		snprintf(dir, sizeof(dir), ".");
	ifd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
	if (ifd < 0 || inotify_add_watch(ifd, dir, IN_CREATE | IN_MOVED_TO) < 0) {
		snprintf(err, errlen, "watching %.100s: %s", dir, strerror(errno));
		goto out;
	}
	fflush(stdout);
	b->pid = fork();
	if (b->pid < 0) {
		snprintf(err, errlen, "fork: %s", strerror(errno));
		goto out;
	}
	if (b->pid == 0)
		exec_child(b);
	setpgid(b->pid, b->pid);
	b->pidfd = (int)syscall(SYS_pidfd_open, b->pid, 0);
	b->starts++;
	deadline = wire_deadline(b->start_ms);
	while (!is_socket(sock)) {
		struct pollfd p[2] = { { .fd = ifd, .events = POLLIN }, { .fd = b->pidfd, .events = POLLIN } };
		int64_t left = (deadline - wire_now_ns()) / 1000000;
		char ev[4096];

		if (reap(b, NULL)) {
			snprintf(err, errlen, "%s %s before it listened on %s", b->argv[0], b->status, sock);
			goto out;
		}
		if (left <= 0 || wire_cancel) {
			snprintf(err, errlen, "%s did not make %s within %d ms", b->argv[0], sock, b->start_ms);
			ck_backend_stop(b);
			goto out;
		}
		/* a pidfd-less kernel: look again every 10 ms */
		poll(p, b->pidfd >= 0 ? 2 : 1, b->pidfd >= 0 ? (int)left : (left < 10 ? (int)left : 10));
		while (read(ifd, ev, sizeof(ev)) > 0)
			;
	}
	r = 0;
out:
	if (ifd >= 0)
		close(ifd);
	return r;
}

/* --- one case, in a process of its own ------------------------------------ */

static void take_line(struct ck_result *res, const char *line, bool *verdict, bool *peer_closed)
{
	struct json_object *top = json_tokener_parse(line), *o = top, *v;

	if (!o)
		return;
	if (json_object_object_get_ex(o, "step", &v)) {
		json_object_array_add(res->evidence, json_object_get(v));
	} else if (json_object_object_get_ex(o, "verdict", &o) && json_object_object_get_ex(o, "verdict", &v)) {
		const char *name = json_object_get_string(v);

		for (int i = 0; i < CK_VERDICTS; i++)
			if (strcmp(name, ck_verdict_name((enum ck_verdict)i)) == 0)
				res->v = (enum ck_verdict)i;
		if (json_object_object_get_ex(o, "reason", &v))
			snprintf(res->reason, sizeof(res->reason), "%s", json_object_get_string(v));
		if (json_object_object_get_ex(o, "expected", &v))
			snprintf(res->expected, sizeof(res->expected), "%s", json_object_get_string(v));
		if (json_object_object_get_ex(o, "actual", &v))
			snprintf(res->actual, sizeof(res->actual), "%s", json_object_get_string(v));
		*peer_closed = json_object_object_get_ex(o, "peer_closed", &v) && json_object_get_boolean(v);
		*verdict = true;
	}
	json_object_put(top);
}

static void set_verdict(struct ck_result *res, enum ck_verdict v, const char *expected, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void set_verdict(struct ck_result *res, enum ck_verdict v, const char *expected, const char *fmt, ...)
{
	va_list ap;

	res->v = v;
	va_start(ap, fmt);
	vsnprintf(res->reason, sizeof(res->reason), fmt, ap);
	va_end(ap);
	snprintf(res->expected, sizeof(res->expected), "%s", expected);
	snprintf(res->actual, sizeof(res->actual), "%s", res->reason);
}

/* Run C in a child, reading its steps and verdict until it ends or its
 * time is up (then it is killed: the kill timer). */
static void run_child(const struct ck_case *c, const struct ck_opts *o, struct ck_result *res, bool *peer_closed)
{
	int p[2], st = 0;
	bool verdict = false, killed = false;
	int64_t deadline = wire_deadline(o->case_ms);
	char *buf = NULL;
	size_t len = 0, cap = 0;
	pid_t pid;

	*peer_closed = false;
	if (pipe2(p, O_CLOEXEC) < 0) {
		set_verdict(res, CK_FAIL, "a case process", "pipe: %s", strerror(errno));
		return;
	}
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		close(p[0]);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		ck_run_case(c, o, p[1]);
		_exit(0);
	}
	close(p[1]);
	while (pid > 0) {
		struct pollfd pf = { .fd = p[0], .events = POLLIN };
		int64_t left = (deadline - wire_now_ns()) / 1000000;
		ssize_t n;
		char *nl;

		if (left <= 0) {
			kill(pid, SIGKILL);
			killed = true;
			break;
		}
		if (poll(&pf, 1, (int)left) <= 0)
			continue;	/* the time, or a signal: looked at above */
		if (len + 65536 > cap) {
			char *nb = realloc(buf, cap = (cap ? cap * 2 : 65536) + len);

			if (!nb)
				break;
			buf = nb;
		}
		n = read(p[0], buf + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
		buf[len] = '\0';
		while ((nl = memchr(buf, '\n', len))) {
			*nl = '\0';
			take_line(res, buf, &verdict, peer_closed);
			len -= (size_t)(nl + 1 - buf);
			memmove(buf, nl + 1, len);
		}
	}
	free(buf);
	close(p[0]);
	if (pid > 0)
		waitpid(pid, &st, 0);
	res->hard = killed || pid < 0 || !verdict;
	if (killed)
		set_verdict(res, CK_FAIL, "the case done within --case-timeout",
			    "the case did not end within %d ms: killed (the back-end hangs, or answers too slowly)",
			    o->case_ms);
	else if (pid < 0 || !verdict) {
		char how[160] = "fork failed";

		if (pid > 0)
			describe_status(st, how, sizeof(how));
		set_verdict(res, CK_FAIL, "a verdict", "vhuctl's process for the case %s without one: a bug in vhuctl", how);
	}
}

/* --- did the back-end survive? -------------------------------------------- */

/* It died during the case: a signal is a crash, a failure exit worth a
 * warning; exit 0 is a back-end that serves one connection. */
static void died(struct ck_result *res, const struct ck_backend *b, int st, bool we_stopped)
{
	if (WIFEXITED(st) && (WEXITSTATUS(st) == 0 || we_stopped))
		return;	/* (how it takes our SIGTERM is its business) */
	if (we_stopped && WIFSIGNALED(st) && (WTERMSIG(st) == SIGTERM || WTERMSIG(st) == SIGKILL))
		return;
	snprintf(res->crash, sizeof(res->crash), "%s", b->status);
	if (WIFSIGNALED(st)) {
		res->hard = true;
		if (res->v != CK_FAIL)
			set_verdict(res, CK_FAIL, "the back-end alive", "the back-end crashed: %s", b->status);
		else
			snprintf(res->reason + strlen(res->reason), sizeof(res->reason) - strlen(res->reason),
				 "; and the back-end crashed: %s", b->status);
	} else if (res->v == CK_PASS) {
		set_verdict(res, CK_WARN, "the back-end alive, or gone with status 0",
			    "the back-end %s instead of only closing the connection", b->status);
	}
}

/* A fresh connection that answers GET_FEATURES: 0, else -errno; its
 * steps go into the evidence. */
static int fresh_connection(const struct ck_opts *o, struct ck_result *res, char *why, size_t len)
{
	struct session s;
	struct json_object *out = NULL;
	struct vhu_err e = { 0 };
	char line[300];
	int r;

	session_init(&s);
	s.conn.timeout_ms = o->timeout_ms;
	s.dev = o->dev;
	ck_connect_line(o->sock, line, sizeof(line));
	r = cmd_run_line(&s, line, &out, &e);
	if (out)
		json_object_array_add(res->evidence, out);
	if (r == 0) {
		out = NULL;
		r = cmd_run_line(&s, "get-features", &out, &e);
		if (out)
			json_object_array_add(res->evidence, out);
	}
	snprintf(why, len, "%s", e.msg);
	session_free(&s);
	return r;
}

static void survival(const struct ck_opts *o, struct ck_backend *b, struct ck_result *res)
{
	char why[600];
	int st, r;

	if (b && b->oneshot)
		return;	/* it is stopped after every case, and its exit tells */
	r = fresh_connection(o, res, why, sizeof(why));
	if (r == 0)
		return;
	if (!b) {
		res->hard = true;
		if (res->v != CK_FAIL)
			set_verdict(res, CK_FAIL, "a fresh connection answered: the back-end survived",
				    "the back-end did not survive: a fresh connection: %s", why);
		return;
	}
	if (wait_exit(b, o->timeout_ms, &st)) {
		died(res, b, st, false);
		return;
	}
	if (r == -ECONNREFUSED) {
		/* alive, but listening no more: it serves one connection */
		b->oneshot = true;
		return;
	}
	res->hard = true;
	if (res->v != CK_FAIL)
		set_verdict(res, CK_FAIL, "a fresh connection answered", "the back-end runs but a fresh connection: %s", why);
}

void ck_run(const struct ck_case *c, struct ck_opts *o, struct ck_backend *b, struct ck_result *res)
{
	int64_t t0 = wire_now_ns();
	bool peer_closed = false;
	char err[600];
	int st = 0;

	memset(res, 0, sizeof(*res));
	res->c = c;
	res->evidence = json_object_new_array();
	if (c->dev != DEV_NONE && o->dev != c->dev) {
		/* no connection needed to know that */
		set_verdict(res, CK_SKIP, "", "a %s case: run with --device %s", features_device_name(c->dev),
			    features_device_name(c->dev));
		res->actual[0] = '\0';
		return;
	}
	for (int attempt = 0; attempt < 2; attempt++) {
		o->connect_ms = 0;
		if (b && b->pid < 0) {
			if (start(b, o->sock, err, sizeof(err)) < 0) {
				set_verdict(res, CK_MISSING, "", "the back-end could not be started: %s", err);
				res->ns = wire_now_ns() - t0;
				return;
			}
			res->restarted = true;
			o->connect_ms = b->start_ms;
		}
		run_child(c, o, res, &peer_closed);
		if (!b || res->v != CK_MISSING || attempt)
			break;
		/* Refused: a back-end that has served its one connection is
		 * gone, or going. Once more, on a new one. */
		if (!reap(b, &st)) {
			b->oneshot = true;
			ck_backend_stop(b);
		}
		json_object_put(res->evidence);
		res->evidence = json_object_new_array();
	}
	if (b && b->pid >= 0 && reap(b, &st))
		died(res, b, st, false);
	else if (res->v != CK_MISSING && res->v != CK_SKIP && (peer_closed || (c->flags & CK_SURVIVE)))
		survival(o, b, res);
	if (b && b->oneshot && b->pid >= 0) {
		/* Its connection is closed: a back-end that serves one goes by
		 * itself, and how it went (crashed, a failure status) tells;
		 * it is given a moment for that, so that the verdict does not
		 * hang on whether our SIGTERM came first. */
		bool gone = reap(b, &st) || wait_exit(b, ONESHOT_EXIT_MS, &st), ended = gone;

		if (!gone) {
			kill(-b->pid, SIGTERM);
			ended = wait_exit(b, 5000, &st);
			if (!ended) {
				kill(-b->pid, SIGKILL);
				ended = wait_exit(b, 5000, &st);
			}
		}
		if (ended)
			died(res, b, st, !gone);
	}
	res->ns = wire_now_ns() - t0;
}
