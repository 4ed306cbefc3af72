/* cmd_bench.c - benchmarks on the session's own rings: blk I/O at a queue depth, and control-plane round trips. */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "cmd/backend.h"
#include "cmd/bench.h"
#include "cmd/rings.h"
#include "core/hist.h"
#include "core/jb.h"

/* --- what every benchmark shares ----------------------------------------- */

int bench_parse_time(const char *s, int64_t *ns)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || v < 0 || v > 86400 * 7)
		return -EINVAL;
	if (*end == 0 || strcmp(end, "s") == 0)
		*ns = (int64_t)(v * 1e9);
	else if (strcmp(end, "ms") == 0)
		*ns = (int64_t)(v * 1e6);
	else if (strcmp(end, "m") == 0)
		*ns = (int64_t)(v * 60e9);
	else
		return -EINVAL;
	return 0;
}

/* How long and how many, from time= and count= (neither: DEF_NS). */
int bench_limits(struct cmd_ctx *ctx, int64_t def_ns, int64_t *ns, uint64_t *count)
{
	const struct arg_val *t = args_get(&ctx->args, "time"), *c = args_get(&ctx->args, "count");

	*count = c->set ? c->u : 0;
	*ns = c->set ? 0 : def_ns;
	if (c->set && c->u == 0)
		return ctx->bad_tok = (int)c->tok, vhu_errf(&ctx->err, ERANGE, "count must be at least 1");
	if (t->set && bench_parse_time(t->str, ns) < 0)
		return ctx->bad_tok = (int)t->tok,
		       vhu_errf(&ctx->err, EINVAL, "time '%s': seconds, as 10, 2.5s, 500ms or 1m", t->str);
	if (t->set && *ns == 0)
		return ctx->bad_tok = (int)t->tok, vhu_errf(&ctx->err, ERANGE, "time must be more than 0");
	return 0;
}

struct json_object *bench_latency_json(const struct hist *h)
{
	static const struct { const char *key; double p; } pct[] = {
		{ "p50", 50 }, { "p90", 90 }, { "p99", 99 }, { "p99_9", 99.9 },
	};
	struct json_object *o = json_object_new_object();

	jb_add(o, "min", jb_us((int64_t)h->min));
	jb_add(o, "mean", jb_us((int64_t)hist_mean(h)));
	for (unsigned i = 0; i < sizeof(pct) / sizeof(pct[0]); i++)
		jb_add(o, pct[i].key, jb_us((int64_t)hist_pct(h, pct[i].p)));
	jb_add(o, "max", jb_us((int64_t)h->max));
	return o;
}

struct json_object *bench_num(double v, int decimals)
{
	char t[48];

	snprintf(t, sizeof(t), "%.*f", decimals, v);
	return json_object_new_double_s(strtod(t, NULL), t);
}

int bench_peer_gone(struct cmd_ctx *ctx)
{
	struct session *s = ctx->s;
	struct pollfd pf = { .fd = s->conn.fd, .events = POLLIN };

	if (!conn_connected(&s->conn))
		return vhu_errf(&ctx->err, ECONNRESET, "the back-end closed the connection");
	if (poll(&pf, 1, 0) <= 0)
		return 0;
	if (pf.revents & (POLLHUP | POLLERR))
		return vhu_errf(&ctx->err, ECONNRESET, "the back-end closed the connection");
	backend_flush(s);	/* it asked something on the channel, or said something */
	return conn_connected(&s->conn) ? 0 : vhu_errf(&ctx->err, ECONNRESET, "the back-end closed the connection");
}

void bench_progress(struct session *s, const char *fmt, ...)
{
	char line[200];
	va_list ap;

	if (!s->progress)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	s->progress(s, line);
}

void bench_progress_done(struct session *s)
{
	if (s->progress)
		s->progress(s, NULL);
}

void bench_end(struct json_object *out, const struct hist *h, uint64_t kicks, uint64_t calls, bool interrupted)
{
	if (h)
		jb_add(out, "latency_us", bench_latency_json(h));
	jb_add(out, "kicks", json_object_new_int64((int64_t)kicks));
	jb_add(out, "calls", json_object_new_int64((int64_t)calls));
	if (interrupted)
		jb_add(out, "interrupted", json_object_new_boolean(1));
	bench_add_cpu(out);
}

void bench_add_cpu(struct json_object *out)
{
	int cpu = sched_getcpu();
	struct rusage ru;

	if (cpu >= 0)
		jb_add(out, "cpu", json_object_new_int(cpu));
	if (getrusage(RUSAGE_SELF, &ru) == 0)
		jb_add(out, "max_rss_kb", json_object_new_int64(ru.ru_maxrss));
}

int bench_bring_up(struct cmd_ctx *ctx, unsigned queues, unsigned ring, uint64_t need)
{
	struct session *s = ctx->s;
	struct json_object *steps, *st;
	const char *packed = args_get(&ctx->args, "packed")->set ? " packed" : "";
	/* as guest drivers do, unless told not to */
	const char *event_idx = args_u(&ctx->args, "event-idx", 1) ? " event-idx" : "";
	bool asked = args_get(&ctx->args, "packed")->set || args_get(&ctx->args, "event-idx")->set;
	int r = 0;

	for (unsigned q = 0; q < queues; q++)
		if (s->vr[q] || s->sent[q].num_set || s->sent[q].addr_set) {
			/* set up already: as it is */
			if (asked)
				jb_warn(ctx->out, "the device was up already: packed and event-idx apply only when bench "
					"brings it up");
			return 0;
		}
	if (cmd_need_conn(ctx) < 0)
		return -ENOTCONN;
	steps = json_object_new_array();
	if (s->mem.n == 0)
		r = cmd_step(ctx, steps, "mem add %" PRIu64 "M", need / (1 << 20) + 4);
	if (r == 0 && s->dev == DEV_NET)
		r = cmd_step(ctx, steps, "start%s%s", packed, event_idx);
	else if (r == 0)
		r = cmd_step(ctx, steps, "start queues=%u size=%u%s%s", queues, ring, packed, event_idx);
	if (r < 0) {
		jb_add(ctx->out, "start_steps", steps);
		return r;
	}
	st = json_object_get(json_object_array_get_idx(steps, (int)json_object_array_length(steps) - 1));
	json_object_put(steps);
	json_object_object_del(st, "steps");
	json_object_object_del(st, "command");
	json_object_object_del(st, "ok");
	jb_add(ctx->out, "start", st);
	return 0;
}

/* --- bench request ----------------------------------------------------------- */

static int cmd_bench_request(struct cmd_ctx *ctx)
{
	struct session *s = ctx->s;
	const struct arg_val *rq = args_get(&ctx->args, "request");
	struct tokenizer t;
	struct tok_cmd c = { 0 };
	struct tok_error te;
	const struct cmd_def *def;
	unsigned words = 0;
	struct hist *h = malloc(sizeof(*h));
	uint64_t count, n = 0;
	int64_t limit_ns, t0, tick, now;
	int r = 0;

	if (!h)
		return vhu_errf(&ctx->err, ENOMEM, "out of memory");
	hist_init(h);
	if ((r = bench_limits(ctx, 5000000000LL, &limit_ns, &count)) < 0)
		goto out;
	tok_init(&t, rq->str, strlen(rq->str), 1);
	if (tok_next(&t, &c, &te) != 1 || !(def = cmd_find(c.v, c.n, &words)) || !def->req) {
		ctx->bad_tok = (int)rq->tok;
		r = vhu_errf(&ctx->err, EINVAL, "'%s' is not a protocol request: bench request takes one, "
			     "as 'get-features' or 'get-vring-base 0'", rq->str);
		goto out;
	}
	if ((r = cmd_need_conn(ctx)) < 0)
		goto out;
	jb_add(ctx->out, "request", json_object_new_string(def->req->name));
	t0 = tick = wire_now_ns();
	for (;;) {
		struct cmd_ctx sub = { .s = s, .cmd = def, .argv = c.v + words, .argc = c.n - words };
		struct conn_xfer *x;

		if (wire_cancel) {
			jb_add(ctx->out, "interrupted", json_object_new_boolean(1));
			break;
		}
		sub.out = json_object_new_object();
		r = cmd_run(&sub);
		x = s->xfer;	/* the exchange the request made */
		if (r == 0 && x)
			hist_add(h, (uint64_t)x->rtt_ns);
		json_object_put(sub.out);
		if (r < 0) {
			vhu_errf(&ctx->err, sub.err.code ? sub.err.code : -r, "request %" PRIu64 ": %s", n + 1, sub.err.msg);
			break;
		}
		n++;
		now = wire_now_ns();
		if ((count && n >= count) || (limit_ns && now - t0 >= limit_ns))
			break;
		if (now - tick >= 1000000000LL) {
			tick = now;
			bench_progress(s, "bench request %s: %.1f s, %" PRIu64 " round trips, p50 %.1f us",
				       def->req->name, (now - t0) / 1e9, n, hist_pct(h, 50) / 1e3);
		}
	}
	now = wire_now_ns();
	bench_progress_done(s);
	jb_add(ctx->out, "count", json_object_new_int64((int64_t)n));
	jb_add(ctx->out, "elapsed_s", bench_num((now - t0) / 1e9, 6));
	jb_add(ctx->out, "per_second", json_object_new_int64(now > t0 ? (int64_t)(n * 1e9 / (now - t0)) : 0));
	jb_add(ctx->out, "latency_us", bench_latency_json(h));
	bench_add_cpu(ctx->out);
out:
	tok_cmd_free(&c);
	free(h);
	return r;
}

/* --- table ---------------------------------------------------------------- */

static const struct arg_enum rw_enums[] = {
	{ "read", BENCH_READ }, { "write", BENCH_WRITE }, { "randread", BENCH_RANDREAD },
	{ "randwrite", BENCH_RANDWRITE }, { "rw", BENCH_RW }, { "randrw", BENCH_RANDRW }, { NULL, 0 },
};

#define TIME_ARG { .name = "time", .type = ARG_STRING, .key_only = true, \
		   .help = "how long: seconds, or 500ms, 1m (default 5 s unless count= is given)" }
#define COUNT_ARG(what) { .name = "count", .type = ARG_U64, .key_only = true, .help = "stop after this many " what }

static const struct arg_spec blk_args[] = {
	{ .name = "rw", .type = ARG_ENUM, .key_only = true, .enums = rw_enums,
	  .help = "read, write, randread, randwrite, rw or randrw (default randread)" },
	{ .name = "bs", .type = ARG_STRING, .key_only = true, .help = "block size, a multiple of 512 (default 4K)" },
	{ .name = "iodepth", .type = ARG_U32, .key_only = true, .max = 4096, .help = "requests in flight per queue (default 1)" },
	{ .name = "queues", .type = ARG_U32, .key_only = true, .max = SESSION_RINGS,
	  .help = "rings to drive, from ring 0 (default 1)" },
	{ .name = "threads", .type = ARG_BOOL, .key_only = true,
	  .help = "queues > 1: a thread per queue (default off: one drives all)" },
	TIME_ARG,
	COUNT_ARG("requests"),
	{ .name = "size", .type = ARG_STRING, .key_only = true,
	  .help = "bytes of the device to use, from offset 0 (default: its capacity, GET_CONFIG)" },
	{ .name = "rwmixread", .type = ARG_U32, .key_only = true, .max = 100, .help = "rw, randrw: percent of reads (default 50)" },
	{ .name = "seed", .type = ARG_U64, .key_only = true, .help = "random offsets' seed (default 1: the same every run)" },
	{ .name = "verify", .type = ARG_FLAG, .help = "write a pattern, read it back and check it (reads check what was written)" },
	{ .name = "poll", .type = ARG_FLAG, .help = "busy-poll the used rings, with used-buffer notifications off" },
	{ .name = "packed", .type = ARG_FLAG, .help = "when bench brings the device up: packed rings" },
	{ .name = "event-idx", .type = ARG_BOOL, .key_only = true,
	  .help = "when bench brings the device up: VIRTIO_F_EVENT_IDX if offered, as guest drivers do (default on)" },
};

static const struct arg_spec request_args[] = {
	{ .name = "request", .type = ARG_STRING, .required = true, .help = "the request, with its arguments, quoted" },
	TIME_ARG,
	COUNT_ARG("round trips"),
};

static const struct arg_spec net_args[] = {
	{ .name = "size", .type = ARG_U32, .key_only = true, .max = 9000, .help = "frame size in bytes, 60..1514 (default 64)" },
	{ .name = "burst", .type = ARG_U32, .key_only = true, .max = 1024, .help = "frames posted per kick (default 32)" },
	TIME_ARG,
	COUNT_ARG("frames"),
	{ .name = "rx", .type = ARG_BOOL, .key_only = true,
	  .help = "expect the frames back (a forwarding back-end) and measure round trips (default on)" },
	{ .name = "poll", .type = ARG_FLAG, .help = "busy-poll the used rings, with used-buffer notifications off" },
	{ .name = "packed", .type = ARG_FLAG, .help = "when bench brings the device up: packed rings" },
	{ .name = "event-idx", .type = ARG_BOOL, .key_only = true,
	  .help = "when bench brings the device up: VIRTIO_F_EVENT_IDX if offered, as guest drivers do (default on)" },
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

static const struct cmd_def defs[] = {
	{ "bench blk", GROUP_RINGS, blk_args, N(blk_args), "blk I/O at a queue depth: IOPS, MB/s, latency percentiles",
	  "Drives the rings as a guest driver would, iodepth requests in flight per queue, until\n"
	  "time= or count=. On a device not started yet it brings it up first, as 'start' does,\n"
	  "with the memory and ring size the queue depth needs (its result under \"start\").\n"
	  "Buffers are placed in guest memory once and posted again and again. The latency of a\n"
	  "request is from making it available to finding it used.\n"
	  "verify: every block written holds a header (its offset, a seed) and a pattern; every\n"
	  "block read is checked against it (and against the last write of this run), and with\n"
	  "rw=write or randwrite every block written is read back at the end. A status that is\n"
	  "not OK, or a mismatch, stops the run and fails the command.",
	  "bench blk rw=randread bs=4K iodepth=32 time=10", NULL, cmd_bench_blk, NULL, cmd_budget_none, NULL },
	{ "bench net", GROUP_RINGS, net_args, N(net_args), "frames through a net back-end: packets per second, loss, round trips",
	  "Sends frames on ring 1 (transmit) in bursts and keeps receive buffers posted on ring 0,\n"
	  "until time= or count= (on a device not started yet, after bringing it up as 'start'\n"
	  "does). Each frame carries a sequence number and the time it was sent: a frame that\n"
	  "comes back (a forwarding back-end: testpmd --forward-mode=io or macswap) gives a round\n"
	  "trip. rx=off for a back-end that only receives (testpmd rxonly).",
	  "bench net size=64 burst=32 time=5", NULL, cmd_bench_net, NULL, cmd_budget_none, NULL },
	{ "bench request", GROUP_RINGS, request_args, N(request_args), "a protocol request again and again: round trips per second, latency",
	  "Runs the request (as its command, checked as usual) until time= or count=; the latency\n"
	  "is the exchange's, from sending the request to reading the reply (for a request with\n"
	  "no reply, the send). The first failure stops the run.",
	  "bench request 'get-vring-base 0' count=10000", NULL, cmd_bench_request, NULL, cmd_budget_none, NULL },
};

const struct cmd_def *cmd_bench_defs(unsigned *n)
{
	*n = N(defs);
	return defs;
}
