/* bench.h - what the benchmarks (cmd_bench.c, bench_blk.c, bench_net.c) share. */
#ifndef VHUCTL_CMD_BENCH_H
#define VHUCTL_CMD_BENCH_H

#include <stdint.h>
#include <json-c/json.h>

#include "cmd/cmd.h"
#include "core/hist.h"

enum bench_rw { BENCH_READ, BENCH_WRITE, BENCH_RANDREAD, BENCH_RANDWRITE, BENCH_RW, BENCH_RANDRW };

/* "10", "2.5s", "500ms", "1m" as nanoseconds. */
int bench_parse_time(const char *s, int64_t *ns);
/* The run's bounds from time= and count= (neither: DEF_NS); 0 for none. */
int bench_limits(struct cmd_ctx *ctx, int64_t def_ns, int64_t *ns, uint64_t *count);
/* {"min","mean","p50","p90","p99","p99_9","max"} in microseconds. */
struct json_object *bench_latency_json(const struct hist *h);
/* A look (no wait) at the connection while polling rings: -ECONNRESET
 * when the back-end hung up; what it asked on the back-end channel is
 * answered. */
int bench_peer_gone(struct cmd_ctx *ctx);
/* A number with DECIMALS decimals, printed so. */
struct json_object *bench_num(double v, int decimals);
/* The progress line, if someone watches (session.progress). */
void bench_progress(struct session *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void bench_progress_done(struct session *s);
/* Bring the device up as 'start' does when none of rings 0..QUEUES-1 is
 * set up yet: first NEED bytes (and room to spare) of memory if there is
 * none, rings of RING entries (packed= as the command says). Its result,
 * less its steps, goes under "start"; 0 when set up already. */
int bench_bring_up(struct cmd_ctx *ctx, unsigned queues, unsigned ring, uint64_t need);
/* What every run's result ends with: latency_us (H NULL: none), kicks,
 * calls, interrupted when it was, and bench_add_cpu's. */
void bench_end(struct json_object *out, const struct hist *h, uint64_t kicks, uint64_t calls, bool interrupted);
/* "cpu": where the run ended; "max_rss_kb": the process's peak resident memory. */
void bench_add_cpu(struct json_object *out);

int cmd_bench_blk(struct cmd_ctx *ctx);
int cmd_bench_net(struct cmd_ctx *ctx);

#endif
