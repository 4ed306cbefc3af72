/* monitor.c - vhuctl monitor: sessions between a front-end and a back-end, relayed and shown message by message. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "cmd/opt.h"
#include "core/conn.h"
#include "core/jb.h"
#include "core/jw.h"
#include "monitor/fault.h"
#include "monitor/mevent.h"
#include "monitor/mview.h"
#include "monitor/notify.h"
#include "monitor/outq.h"
#include "monitor/pcap.h"
#include "monitor/monitor.h"
#include "monitor/relay.h"
#include "monitor/replay.h"
#include "monitor/toscript.h"

#define REQ_SET_BACKEND_REQ_FD 21u

enum {
	MON_OK = 0,
	MON_FAILED = 1,
	MON_USAGE = 2,
};

enum opt_id {
	OPT_HELP = 'h', OPT_OUTPUT = 'o', OPT_WRITE = 'w', OPT_ONCE = 256, OPT_DEVICE, OPT_JSON, OPT_FAULT,
	OPT_CONTROL, OPT_SCRIPT, OPT_SESSION, OPT_QUERY, OPT_NOTIFY, OPT_PCAP, OPT_REPLAY,
};

static const struct opt_row opts[] = {
	{ "once", no_argument, OPT_ONCE, NULL, "exit when the first session ends" },
	{ "device", required_argument, OPT_DEVICE, "TYPE", "device type for decoding (net, blk, fs, ...)" },
	{ "output", required_argument, OPT_OUTPUT, "json|json-pretty|text",
	  "output style (default: text on a terminal, a line a message; json otherwise)" },
	{ "json", required_argument, OPT_JSON, "pretty|compact", "the same, as --output=json-pretty or json" },
	{ "write", required_argument, OPT_WRITE, "FILE", "record every object to FILE too, a JSON line each, whatever is shown" },
	{ "pcap", required_argument, OPT_PCAP, "FILE",
	  "write every message as it came to FILE, pcapng, for Wireshark with vhuctl's dissector (vhost-user.lua)" },
	{ "notify", no_argument, OPT_NOTIFY, NULL,
	  "pass the rings' kicks and calls through the monitor: counted, kick-to-call latency measured (a hop more)" },
	{ "fault", required_argument, OPT_FAULT, "RULE",
	  "inject a fault: REQUEST [reply] [channel] [nth=N] [count=N] and drop, close, delay=MS, fail "
	  "or corrupt=OFFSET[:BYTE] (repeatable)" },
	{ "control", required_argument, OPT_CONTROL, "PATH",
	  "serve read-only commands on the session's memory and rings on the unix socket PATH, a line each: "
	  "view, vring dump N, mem read GPA SIZE" },
	{ "query", required_argument, OPT_QUERY, "PATH",
	  "send each COMMAND argument to the --control socket PATH of a running monitor, print the answers, and exit" },
	{ "script", required_argument, OPT_SCRIPT, "FILE",
	  "print a recording's (-w FILE) front-end requests as a vhuctl script that sends them again, and exit" },
	{ "replay", required_argument, OPT_REPLAY, "FILE",
	  "send a recording's (-w FILE) front-end requests again to the back-end BACK, no VM, and report "
	  "each answer that differs from the recorded one; exit 3 when one does" },
	{ "session", required_argument, OPT_SESSION, "N", "the recorded session --script or --replay takes (default 1)" },
	{ "help", no_argument, OPT_HELP, NULL, "show this help" },
};

#define NOPTS (sizeof(opts) / sizeof(opts[0]))

/* One end of the relay: who listens, and the socket of the session. */
struct mon_side {
	const char *what;		/* "front-end", "back-end" */
	bool listen;
	const char *path;
	struct conn c;			/* its listening socket; c.fd unused */
	int fd;				/* the session's socket, -1 none */
};

struct monitor {
	const struct monitor_host *host;
	struct session out;		/* how objects are printed */
	struct mon_side front, back;
	bool once;
	const char *record_path;	/* -w FILE */
	FILE *record;
	bool record_failed;
	unsigned sessions;
	/* The back-end channel: the front-end's socket (from its
	 * SET_BACKEND_REQ_FD) and ours, whose peer the back-end got. */
	int chan_front, chan_back;
	struct relay_dir dir[MON_NDIRS];
	struct mon_track track;
	struct vhu_msg msg;
	bool printed;			/* since stdout was last flushed */
	/* The idle flush's timer: armed (for WIRE_IDLE_MS) while something
	 * printed is not flushed; prints counts what was printed, as it was
	 * when the timer was armed in idle_mark. */
	int idle_fd;
	bool idle_armed;
	uint64_t prints, idle_mark;
	struct jw ev;			/* a message's event, written out */
	/* --control: the view of the session's memory and rings, and the
	 * socket that serves commands on it (one client at a time). */
	struct mview view;
	struct notify *notify;		/* --notify */
	const char *pcap_path;		/* --pcap */
	struct pcap_out pcap;
	const char *control_path;
	const char *query_path;		/* --query: a client of --control */
	char **query;
	int nquery;
	const char *script_path;	/* --script: convert, do not relay */
	const char *replay_path;	/* --replay: send again, do not relay */
	unsigned script_session;
	struct conn control;
	int ctl_fd;
	FILE *ctl_out;
	char ctl_line[512];
	size_t ctl_len;
	struct fault_rule faults[FAULT_RULES_MAX];
	unsigned nfaults;
	int64_t hold_until[MON_NDIRS];	/* a delay fault holds the direction till then */
	/* A sender stopped in the middle of a message: since when (0: not),
	 * how many whole messages it had sent then, and whether it was told. */
	struct {
		int64_t since;
		uint64_t at;
		bool told;
	} stall[MON_NDIRS];
	uint64_t whole[MON_NDIRS];	/* whole messages read, per direction, in the session */
	sigset_t waitmask;		/* the signal mask while waiting */
	struct outq oq;			/* stdout, when it is a pipe or a socket */
};

static void usage(FILE *f)
{
	fprintf(f, "Usage: vhuctl monitor [OPTIONS] FRONT BACK\n"
		"       vhuctl monitor --query CONTROL COMMAND...\n"
		"       vhuctl monitor --script RECORDING [--session N]\n"
		"       vhuctl monitor --replay RECORDING [--session N] [--device TYPE] BACK\n\n"
		"Relay a vhost-user session between a front-end (QEMU, DPDK virtio-user,\n"
		"vhuctl) and a back-end, and print every message that goes either way,\n"
		"the back-end channel's too, as one JSON object each.\n\n"
		"FRONT and BACK are listen:PATH (the monitor serves PATH) or connect:PATH\n"
		"(it dials PATH); a bare PATH is listen: for FRONT and connect: for BACK.\n\n"
		"Options:\n");
	opt_help(f, opts, NOPTS);
	fprintf(f, "\nWith a listening FRONT, the next front-end is served when one goes.\n"
		"Exit status: 0 success (also when stopped by SIGINT or SIGTERM),\n"
		"1 a socket could not be set up (--replay: or the recording read), 2 usage error,\n"
		"3 (--replay) the back-end answered differently from the recording.\n");
}

static bool print(struct monitor *mo, struct json_object *o)
{
	bool ok;

	if (mo->record && !mo->host->record(mo->record, o) && !mo->record_failed) {
		fprintf(stderr, "vhuctl monitor: %s: the recording could not be written\n", mo->record_path);
		mo->record_failed = true;
	}
	ok = mo->host->print(&mo->out, o);

	json_object_put(o);
	mo->printed = true;
	mo->prints++;
	return ok;
}

/* A message's event, written as text (W): printed and recorded as it is
 * when the session prints JSON; the text view wants its tree. */
static bool print_text(struct monitor *mo, struct jw *w)
{
	bool ok;

	if (w->oom)
		return false;
	if (mo->out.out == OUT_TEXT) {
		struct json_object *o = json_tokener_parse(w->buf);

		return o ? print(mo, o) : false;
	}
	if (mo->record && !mo->host->record_jw(mo->record, w) && !mo->record_failed) {
		fprintf(stderr, "vhuctl monitor: %s: the recording could not be written\n", mo->record_path);
		mo->record_failed = true;
	}
	ok = mo->host->print_jw(&mo->out, w);
	mo->printed = true;
	mo->prints++;
	return ok;
}

static struct timespec ns_timespec(int64_t ns)
{
	if (ns < 0)
		ns = 0;
	return (struct timespec){ .tv_sec = ns / 1000000000, .tv_nsec = ns % 1000000000 };
}

static void idle_arm(struct monitor *mo)
{
	struct itimerspec it = { .it_value = ns_timespec(WIRE_IDLE_MS * 1000000L) };

	if (mo->idle_fd >= 0 && timerfd_settime(mo->idle_fd, 0, &it, NULL) == 0) {
		mo->idle_armed = true;
		mo->idle_mark = mo->prints;
	}
}

/* The idle timer went: what was printed goes out if nothing more was
 * printed since it was armed; else it is armed again. */
static void idle_fired(struct monitor *mo)
{
	uint64_t x;

	if (read(mo->idle_fd, &x, sizeof(x)) < 0 && errno == EAGAIN)
		return;	/* not yet */
	mo->idle_armed = false;
	if (mo->prints != mo->idle_mark)
		return;	/* printed meanwhile: the next wait arms it again */
	mo->host->flush();
	if (mo->record)
		fflush(mo->record);
	if (mo->pcap_path)
		pcap_flush(&mo->pcap);
	mo->printed = false;
}

/* Wait for P (N entries, and room for one more: the idle timer's), no
 * longer than till UNTIL (a wire_now_ns() time; -1 none): 0 then. What
 * was printed goes out once a stretch of WIRE_IDLE_MS has passed with
 * nothing more printed (2 to 4 ms after the last): messages that come
 * fast (each answered in microseconds) are written in big blocks, none
 * waits for long, and a wait sets no timer of its own (one armed once
 * for a stretch, not one per wait: in a VM each costs an exit). The stop
 * signals are blocked but here, so that one that comes between the look
 * at wire_cancel and the wait still ends the wait. */
static int mon_poll(struct monitor *mo, struct pollfd *p, nfds_t n, int64_t until)
{
	for (;;) {
		struct timespec ts;
		int r;

		if (mo->printed && !mo->idle_armed)
			idle_arm(mo);
		p[n] = (struct pollfd){ .fd = mo->idle_armed ? mo->idle_fd : -1, .events = POLLIN };
		if (until >= 0)
			ts = ns_timespec(until - wire_now_ns());
		r = ppoll(p, n + 1, until >= 0 ? &ts : NULL, &mo->waitmask);
		if (r <= 0 || !p[n].revents)
			return r;
		idle_fired(mo);
		if (r > 1)
			return r - 1;
	}
}

static void control_accept(struct monitor *mo);
static void control_read(struct monitor *mo);

/* Until FD is readable: 0, or -ECANCELED when a signal stops the monitor.
 * The control socket is served meanwhile. */
static int wait_readable(struct monitor *mo, int fd)
{
	while (!wire_cancel) {
		struct pollfd p[5] = {
			{ .fd = fd, .events = POLLIN },
			{ .fd = mo->ctl_fd < 0 ? mo->control.listen_fd : -1, .events = POLLIN },
			{ .fd = mo->ctl_fd, .events = POLLIN },
		};
		int r;

		outq_pollfd(&mo->oq, &p[3]);
		r = mon_poll(mo, p, 4, -1);
		if (r < 0 && errno != EINTR)
			return -errno;
		if (r > 0 && p[3].revents)
			outq_write(&mo->oq);
		if (r > 0 && p[0].revents)
			return 0;
		if (r > 0 && p[1].revents)
			control_accept(mo);
		else if (r > 0 && p[2].revents)
			control_read(mo);
	}
	return -ECANCELED;
}

static struct json_object *event(const char *name)
{
	return jb_add(json_object_new_object(), "event", json_object_new_string(name));
}

static int parse_addr(struct mon_side *s, const char *arg, bool default_listen)
{
	if (strncmp(arg, "listen:", 7) == 0) {
		s->listen = true;
		s->path = arg + 7;
	} else if (strncmp(arg, "connect:", 8) == 0) {
		s->listen = false;
		s->path = arg + 8;
	} else if (strchr(arg, ':') && !strchr(arg, '/')) {
		fprintf(stderr, "vhuctl monitor: '%s': an address is listen:PATH, connect:PATH or a PATH\n", arg);
		return -1;
	} else {
		s->listen = default_listen;
		s->path = arg;
	}
	if (!*s->path) {
		fprintf(stderr, "vhuctl monitor: '%s' names no socket path\n", arg);
		return -1;
	}
	return 0;
}

static void set_nonblock(int fd)
{
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

static void side_event(struct monitor *mo, const char *name, const struct mon_side *s, const char *reason)
{
	struct json_object *ev = event(name);

	jb_add(ev, "side", json_object_new_string(s->what));
	jb_add(ev, "socket", json_object_new_string(s->path));
	if (mo->sessions)
		jb_add(ev, "session", json_object_new_int((int)mo->sessions));
	if (reason)
		jb_add(ev, "reason", json_object_new_string(reason));
	print(mo, ev);
}

/* The session's socket on side S: accepted or dialled. */
static int side_open(struct monitor *mo, struct mon_side *s)
{
	struct vhu_err e = { 0 };
	int r;

	if (s->listen) {
		r = wait_readable(mo, s->c.listen_fd);
		if (r < 0)
			return r;
		r = conn_accept(&s->c, 1000, -1, &e);
		if (r < 0) {
			if (r != -ECANCELED)
				side_event(mo, "connect-failed", s, e.msg);
			return r;
		}
		s->fd = s->c.fd;
		s->c.fd = -1;	/* ours now, not the conn's */
	} else {
		struct conn c;

		conn_init(&c);
		r = conn_connect(&c, s->path, -1, &e);
		if (r < 0) {
			side_event(mo, "connect-failed", s, e.msg);
			return r;
		}
		s->fd = c.fd;
	}
	set_nonblock(s->fd);
	side_event(mo, "connected", s, NULL);
	return 0;
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static void wire_dirs(struct monitor *mo)
{
	mo->dir[MON_TO_BACKEND].from = mo->front.fd;
	mo->dir[MON_TO_BACKEND].to = mo->back.fd;
	mo->dir[MON_TO_FRONTEND].from = mo->back.fd;
	mo->dir[MON_TO_FRONTEND].to = mo->front.fd;
	mo->dir[MON_CHAN_TO_FRONTEND].from = mo->chan_back;
	mo->dir[MON_CHAN_TO_FRONTEND].to = mo->chan_front;
	mo->dir[MON_CHAN_TO_BACKEND].from = mo->chan_front;
	mo->dir[MON_CHAN_TO_BACKEND].to = mo->chan_back;
}

static void channel_close(struct monitor *mo)
{
	relay_reset(&mo->dir[MON_CHAN_TO_FRONTEND]);
	relay_reset(&mo->dir[MON_CHAN_TO_BACKEND]);
	close_fd(&mo->chan_front);
	close_fd(&mo->chan_back);
	wire_dirs(mo);
}

/* SET_BACKEND_REQ_FD: the front-end's channel socket stays here, and the
 * back-end gets one end of a socketpair of ours instead, so that what goes
 * on the channel goes through the monitor too. */
static void channel_take(struct monitor *mo, struct vhu_msg *m)
{
	int sv[2];

	if (m->request != REQ_SET_BACKEND_REQ_FD || (m->flags & VHU_FLAG_REPLY) || m->nfds != 1)
		return;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, sv) < 0)
		return;	/* passed through as it came: seen by nobody, but working */
	channel_close(mo);
	mo->chan_front = m->fds[0];
	set_nonblock(mo->chan_front);
	mo->chan_back = sv[0];
	m->fds[0] = sv[1];	/* sent on, then closed, as every fd */
	wire_dirs(mo);
}

static bool is_channel(enum mon_dir d)
{
	return d == MON_CHAN_TO_FRONTEND || d == MON_CHAN_TO_BACKEND;
}

/* Why a session, or the channel, ended: the side gone and what was seen. */
struct mon_end {
	const struct mon_side *side;	/* NULL: the back-end channel */
	char reason[300];
};

/* END: SIDE is gone with errno ERR, GOT bytes into a message; WHERE (or
 * NULL) says where it was seen. */
static void end_at(struct mon_end *end, const struct mon_side *side, const char *where, int err, uint32_t got)
{
	char what[80];

	if (err == ECONNRESET && got == 0)
		snprintf(what, sizeof(what), "closed the connection");
	else if (err == ECONNRESET)
		snprintf(what, sizeof(what), "closed the connection after %u bytes of a message", got);
	else if (err == EMSGSIZE)
		snprintf(what, sizeof(what), "sent a size over %u: the stream cannot be framed", VHU_PAYLOAD_MAX);
	else
		snprintf(what, sizeof(what), "%s", strerror(err));
	end->side = side;
	if (where)
		snprintf(end->reason, sizeof(end->reason), "%s: %s", where, what);
	else
		snprintf(end->reason, sizeof(end->reason), "%s", what);
}

/* A fault fired: the event that says so, after the message's. */
static void fault_event(struct monitor *mo, const struct fault_rule *f, const char *detail)
{
	struct json_object *ev = event("fault");

	jb_add(ev, "session", json_object_new_int((int)mo->sessions));
	jb_add(ev, "seq", jb_u64(mo->track.seq));
	jb_add(ev, "rule", json_object_new_string(f->text));
	jb_add(ev, "action", json_object_new_string(fault_action_name(f->action)));
	if (detail)
		jb_add(ev, "detail", json_object_new_string(detail));
	print(mo, ev);
}

/* Fault F fired on M, going D, before it is queued: drop and close take
 * it (its fds closed), delay holds the direction. -1 when the session ends
 * here (END says why). FAIL and CORRUPT change it once it is queued. */
static int inject(struct monitor *mo, enum mon_dir d, struct vhu_msg *m, struct fault_rule *f,
		  struct mon_end *end)
{
	char detail[120];

	switch (f->action) {
	case FAULT_DROP:
		wire_close_fds(m);
		fault_event(mo, f, "not relayed");
		return 0;
	case FAULT_CLOSE:
		wire_close_fds(m);
		fault_event(mo, f, "not relayed: the monitor ends the session here");
		end->side = is_channel(d) ? NULL : d == MON_TO_BACKEND ? &mo->back : &mo->front;
		snprintf(end->reason, sizeof(end->reason), "closed by the monitor: fault '%s'", f->text);
		return -1;
	case FAULT_DELAY:
		mo->hold_until[d] = wire_now_ns() + (int64_t)f->delay_ms * 1000000;
		snprintf(detail, sizeof(detail), "held %u ms, with what follows it this way", f->delay_ms);
		fault_event(mo, f, detail);
		return 0;
	case FAULT_FAIL:
	case FAULT_CORRUPT:
		return 0;
	}
	return 0;
}

/* Is D held by a delay fault now? */
static bool held(const struct monitor *mo, enum mon_dir d)
{
	return mo->hold_until[d] && wire_now_ns() < mo->hold_until[d];
}

/* Relay every whole message D's sender has: those read already, and (READ)
 * what one read brings. 0, or -1 when a side is gone (END says which). */
static int pump_in(struct monitor *mo, enum mon_dir d, bool read, struct mon_end *end)
{
	struct relay_dir *rd = &mo->dir[d];
	struct vhu_msg *m = &mo->msg;
	const struct mon_side *from = d == MON_TO_BACKEND ? &mo->front : &mo->back;
	struct fault_rule *fault;

	while (relay_can_read(rd)) {
		int r = wire_recv_step(rd->from, &rd->rx, m, VHU_PAYLOAD_MAX, read);

		read = false;

		if (r == 0 || r == -ECANCELED)	/* a signal: the loop sees it */
			return 0;
		if (r < 0) {
			end_at(end, is_channel(d) ? NULL : from,
			       d == MON_CHAN_TO_FRONTEND ? "the back-end's end of the back-end channel" :
			       d == MON_CHAN_TO_BACKEND ? "the front-end's end of the back-end channel" : NULL,
			       -r, m->consumed);
			return -1;
		}
		mo->whole[d]++;
		jw_reset(&mo->ev);
		mevent_message_jw(&mo->track, d, m, wire_now_ns(), &mo->ev);
		print_text(mo, &mo->ev);
		if (mo->pcap_path)
			pcap_message(&mo->pcap, d, mo->sessions, mo->track.seq, m);	/* as it came */
		if (d == MON_TO_BACKEND)
			channel_take(mo, m);
		fault = mo->nfaults ? fault_match(mo->faults, mo->nfaults, d, m) : NULL;
		if (fault && inject(mo, d, m, fault, end) < 0)
			return -1;
		if (fault && (fault->action == FAULT_DROP || fault->action == FAULT_CLOSE))
			continue;
		if (d == MON_TO_BACKEND && mo->control_path)
			mview_note(&mo->view, m);	/* what the back-end gets, fds and all */
		if (d == MON_TO_BACKEND && mo->notify)
			notify_take(mo->notify, m);
		relay_push(rd, m);
		if (fault && (fault->action == FAULT_FAIL || fault->action == FAULT_CORRUPT)) {
			struct relay_qmsg *q = relay_last(rd);
			char detail[120];

			fault_rewrite(fault, q->buf, q->len, detail, sizeof(detail));
			fault_event(mo, fault, detail);
		}
	}
	return 0;
}

static int pump_out(struct monitor *mo, enum mon_dir d, struct mon_end *end)
{
	int r;

	if (held(mo, d))
		return 0;
	mo->hold_until[d] = 0;
	r = relay_flush(&mo->dir[d]);

	if (r < 0) {
		const struct mon_side *to = d == MON_TO_BACKEND ? &mo->back : &mo->front;

		end_at(end, is_channel(d) ? NULL : to,
		       is_channel(d) ? "sending on the back-end channel" : "relaying a message to it", -r, 0);
		return -1;
	}
	return 0;
}

static const char *const sender[MON_NDIRS] = {
	"the front-end", "the back-end", "the back-end on its channel", "the front-end on the back-end channel",
};

/* What RX holds of a message not whole yet, in words ("12 of the 20 bytes
 * of a message (request 1)"); false when it holds none. */
static bool partial_words(const struct wire_rx *rx, char *buf, size_t len)
{
	uint32_t req, size;

	if (!rx->len)
		return false;
	if (rx->len < VHU_HDR_SIZE) {
		snprintf(buf, len, "%u bytes of a header", rx->len);
		return true;
	}
	memcpy(&req, rx->buf, 4);
	memcpy(&size, rx->buf + 8, 4);
	if (rx->len >= VHU_HDR_SIZE + (uint64_t)size)
		return false;
	snprintf(buf, len, "%u of the %u bytes of a message (request %u)", rx->len, VHU_HDR_SIZE + size, req);
	return true;
}

/* What the senders still there had begun and not finished, appended to
 * REASON: a peer that stalled in the middle of a message is seen so. */
static void unfinished(const struct monitor *mo, char *reason, size_t len)
{
	for (int d = 0; d < MON_NDIRS; d++) {
		size_t at = strlen(reason);
		char part[100];

		if (mo->dir[d].from >= 0 && at + 1 < len && partial_words(&mo->dir[d].rx, part, sizeof(part)))
			snprintf(reason + at, len - at, "; %s had sent %s, no more", sender[d], part);
	}
}

/* A sender that has sent part of a message and nothing more for
 * MON_STALL_MS while the monitor reads it is told of once, then (until a
 * message of it comes whole) not again: the session goes on. Returns the
 * time the poll must end by to tell the next one (UNTIL, or sooner). */
#define MON_STALL_MS 1000
static int64_t stall_watch(struct monitor *mo, int64_t until)
{
	static const char *const side[MON_NDIRS] = { "front-end", "back-end", "backend-channel", "backend-channel" };
	int64_t now = 0;

	for (int d = 0; d < MON_NDIRS; d++) {
		struct relay_dir *rd = &mo->dir[d];
		char part[100], reason[200];
		struct json_object *ev;

		if (!relay_can_read(rd) || !partial_words(&rd->rx, part, sizeof(part))) {
			mo->stall[d].since = 0;	/* whole, or not read from: no stall of its sender */
			continue;
		}
		if (!now)
			now = wire_now_ns();	/* only when a message is in part here: the usual case reads no clock */
		if (!mo->stall[d].since || mo->stall[d].at != mo->whole[d]) {
			mo->stall[d].since = now;
			mo->stall[d].at = mo->whole[d];
			mo->stall[d].told = false;
		}
		if (mo->stall[d].told)
			continue;
		if (now - mo->stall[d].since < MON_STALL_MS * 1000000LL) {
			int64_t due = mo->stall[d].since + MON_STALL_MS * 1000000LL;

			if (until < 0 || due < until)
				until = due;
			continue;
		}
		mo->stall[d].told = true;
		snprintf(reason, sizeof(reason), "%s has sent %s, and nothing more for %lld ms", sender[d], part,
			 (long long)((now - mo->stall[d].since) / 1000000));
		ev = event("stalled");
		jb_add(ev, "side", json_object_new_string(side[d]));
		jb_add(ev, "session", json_object_new_int((int)mo->sessions));
		jb_add(ev, "direction", json_object_new_string(mon_dir_names[d]));
		jb_add(ev, "reason", json_object_new_string(reason));
		print(mo, ev);
	}
	return until;
}

static void disconnected(struct monitor *mo, const struct mon_end *end)
{
	struct json_object *ev = event("disconnected");
	char reason[sizeof(end->reason) + 400];

	snprintf(reason, sizeof(reason), "%s", end->reason);
	unfinished(mo, reason, sizeof(reason));
	jb_add(ev, "side", json_object_new_string(end->side ? end->side->what : "backend-channel"));
	jb_add(ev, "session", json_object_new_int((int)mo->sessions));
	jb_add(ev, "reason", json_object_new_string(reason));
	jb_add(ev, "messages", jb_u64(mo->track.seq));
	print(mo, ev);
}

/* The session is over: what was read whole goes on to whoever is still
 * there, as far as its socket takes it now; then every socket and fd of
 * the session is closed. */
static void session_end(struct monitor *mo)
{
	for (int d = 0; d < MON_NDIRS; d++) {
		if (mo->dir[d].to >= 0)
			relay_flush(&mo->dir[d]);
		relay_reset(&mo->dir[d]);
	}
	channel_close(mo);
	close_fd(&mo->front.fd);
	close_fd(&mo->back.fd);
	wire_dirs(mo);
	memset(mo->hold_until, 0, sizeof(mo->hold_until));
	memset(mo->stall, 0, sizeof(mo->stall));
	memset(mo->whole, 0, sizeof(mo->whole));
	mview_reset(&mo->view);
	if (mo->notify)
		notify_reset(mo->notify);
}

/* A side (END) is gone: the session is over (true), or only the back-end
 * channel (false: the session goes on without it). */
static bool side_gone(struct monitor *mo, const struct mon_end *end)
{
	disconnected(mo, end);
	if (end->side)
		return true;
	channel_close(mo);
	return false;
}

/* What is queued goes out, and what was read ahead goes through, as far
 * as the queues take it: without a poll round. 0, or -1 a side is gone. */
static int pump_dir(struct monitor *mo, enum mon_dir d, struct mon_end *end)
{
	struct relay_dir *rd = &mo->dir[d];

	for (;;) {
		uint32_t held = rd->rx.len;

		if (relay_has_output(rd) && pump_out(mo, d, end) < 0)
			return -1;
		/* What was read ahead goes on as far as the queue takes it,
		 * again while the receiver takes the queue whole: else the
		 * poll would wait for bytes that are here already (a sender
		 * that sent its last requests into a full queue waits). */
		if (!held || !relay_can_read(rd))
			return 0;
		if (pump_in(mo, d, false, end) < 0)
			return -1;
		if (rd->rx.len == held)	/* nothing whole in it */
			return relay_has_output(rd) ? pump_out(mo, d, end) : 0;
	}
}

static int pump_all(struct monitor *mo, struct mon_end *end)
{
	for (int d = 0; d < MON_NDIRS; d++)
		if (pump_dir(mo, d, end) < 0)
			return -1;
	return 0;
}

/* Serve what poll said of P[D]: D's sender readable, or hung up, or the
 * other direction's receiver (the same socket) writable. */
static int serve_fd(struct monitor *mo, const struct pollfd *p, enum mon_dir d, struct mon_end *end)
{
	int r = 0;

	if (p->revents & POLLOUT)
		r = pump_out(mo, d ^ 1, end);
	if (r == 0 && (p->revents & (POLLIN | POLLHUP | POLLERR)))
		r = pump_in(mo, d, true, end);
	/* A hang-up with nothing to read (the queue full, so none asked for):
	 * the sender is gone all the same. */
	if (r == 0 && (p->revents & (POLLHUP | POLLERR)) && !(p->revents & POLLIN)) {
		end_at(end, is_channel(d) ? NULL : d == MON_TO_BACKEND ? &mo->front : &mo->back,
		       NULL, ECONNRESET, 0);
		r = -1;
	}
	return r;
}

static void control_close(struct monitor *mo)
{
	if (mo->ctl_out)
		fclose(mo->ctl_out);	/* and its fd */
	else if (mo->ctl_fd >= 0)
		close(mo->ctl_fd);
	mo->ctl_out = NULL;
	mo->ctl_fd = -1;
	mo->ctl_len = 0;
}

static void control_accept(struct monitor *mo)
{
	struct timeval tv = { .tv_sec = 1 };
	int fd = accept4(mo->control.listen_fd, NULL, NULL, SOCK_CLOEXEC);

	if (fd < 0)
		return;
	/* A client that does not read its answers is dropped, not waited for. */
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	mo->ctl_fd = fd;
	mo->ctl_out = fdopen(fd, "w");
	if (!mo->ctl_out)
		control_close(mo);
}

/* One command line: its result, or its error, as a line to the client. */
static bool control_run(struct monitor *mo, const char *line)
{
	struct vhu_err e = { 0 };
	struct json_object *o = mview_command(&mo->view, line, &e);
	bool ok;

	if (o) {
		struct json_object *rings;

		if (mo->notify && json_object_object_get_ex(o, "rings", &rings)) {
			for (size_t i = 0; i < json_object_array_length(rings); i++) {
				struct json_object *r = json_object_array_get_idx(rings, i), *idx;

				if (json_object_object_get_ex(r, "index", &idx))
					notify_ring_json(mo->notify, (unsigned)json_object_get_int(idx), r);
			}
		}
		jb_add(o, "ok", json_object_new_boolean(1));
	} else {
		struct json_object *err = json_object_new_object();
		char word[32];

		/* the command's name: one word, or two for vring dump, mem read */
		if (strncmp(line, "vring ", 6) == 0 || strncmp(line, "mem ", 4) == 0)
			snprintf(word, sizeof(word), "%s", strncmp(line, "vring ", 6) == 0 ? "vring dump" : "mem read");
		else
			snprintf(word, sizeof(word), "%.*s", (int)strcspn(line, " \t"), line);
		o = jb_add(json_object_new_object(), "command", json_object_new_string(word));
		jb_add(o, "ok", json_object_new_boolean(0));
		jb_add(err, "code", json_object_new_string(vhu_errno_name(e.code)));
		jb_add(err, "message", json_object_new_string(e.msg));
		jb_add(o, "error", err);
	}
	ok = mo->host->record(mo->ctl_out, o) && fflush(mo->ctl_out) == 0;
	json_object_put(o);
	return ok;
}

/* The client's bytes: a line each command. A line too long, or a client
 * that is gone or does not take its answers, is closed. */
static void control_read(struct monitor *mo)
{
	ssize_t n = recv(mo->ctl_fd, mo->ctl_line + mo->ctl_len, sizeof(mo->ctl_line) - 1 - mo->ctl_len,
			 MSG_DONTWAIT);
	char *nl;

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		control_close(mo);
		return;
	}
	mo->ctl_len += (size_t)n;
	mo->ctl_line[mo->ctl_len] = '\0';
	while ((nl = memchr(mo->ctl_line, '\n', mo->ctl_len))) {
		*nl = '\0';
		if (mo->ctl_line[strspn(mo->ctl_line, " \t\r")] && !control_run(mo, mo->ctl_line)) {
			control_close(mo);
			return;
		}
		mo->ctl_len -= (size_t)(nl + 1 - mo->ctl_line);
		memmove(mo->ctl_line, nl + 1, mo->ctl_len);
	}
	if (mo->ctl_len == sizeof(mo->ctl_line) - 1) {
		control_run(mo, "");	/* a line too long: answered as an error, then closed */
		control_close(mo);
	}
}

/* Relay until a side goes (0) or a signal stops the monitor (-ECANCELED). */
static int relay_loop(struct monitor *mo)
{
	for (;;) {
		struct pollfd p[MON_NDIRS + 3 + 2 * NOTIFY_RINGS + 1];	/* and mon_poll's */
		unsigned nn = 0;
		struct mon_end end;
		int64_t until = -1;
		int n;

		end.side = NULL;	/* the reason is written when a side goes: not cleared each round */
		end.reason[0] = '\0';
		if (wire_cancel)
			return -ECANCELED;
		for (int d = 0; d < MON_NDIRS; d++) {
			struct relay_dir *rd = &mo->dir[d];
			bool out = mo->dir[d ^ 1].to == rd->from && relay_has_output(&mo->dir[d ^ 1]);

			/* p[d]: D's sender, to read; the opposite direction's
			 * receiver is the same socket, to write (unless a delay
			 * holds it: then the poll ends when the delay does). */
			p[d].fd = rd->from;
			p[d].events = relay_can_read(rd) ? POLLIN : 0;
			p[d].revents = 0;
			if (out && held(mo, d ^ 1)) {
				if (until < 0 || mo->hold_until[d ^ 1] < until)
					until = mo->hold_until[d ^ 1];
			} else if (out) {
				p[d].events |= POLLOUT;
			}
		}
		/* the control socket: a client, or a listener for one */
		p[MON_NDIRS] = (struct pollfd){ .fd = mo->ctl_fd < 0 ? mo->control.listen_fd : -1, .events = POLLIN };
		p[MON_NDIRS + 1] = (struct pollfd){ .fd = mo->ctl_fd, .events = POLLIN };
		/* stdout: what its reader has not taken yet */
		outq_pollfd(&mo->oq, &p[MON_NDIRS + 2]);
		if (mo->notify)
			nn = notify_pollfds(mo->notify, p + MON_NDIRS + 3, 2 * NOTIFY_RINGS);
		until = stall_watch(mo, until);
		n = mon_poll(mo, p, MON_NDIRS + 3 + nn, until);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (p[MON_NDIRS + 2].revents)
			outq_write(&mo->oq);
		if (nn)
			notify_serve(mo->notify, p + MON_NDIRS + 3, nn);
		if (p[MON_NDIRS].revents)
			control_accept(mo);
		else if (p[MON_NDIRS + 1].revents)
			control_read(mo);
		for (int d = 0; d < MON_NDIRS; d++) {
			if (p[d].fd < 0 || !p[d].revents || serve_fd(mo, &p[d], d, &end) == 0)
				continue;
			if (side_gone(mo, &end))
				return 0;
			break;	/* the channel went: the poll table is stale */
		}
		if (pump_all(mo, &end) < 0 && side_gone(mo, &end))
			return 0;
	}
}

/* One front-end's session: its socket, the back-end's, the relay. */
static int session_run(struct monitor *mo)
{
	int r;

	mo->sessions++;
	mevent_track_reset(&mo->track, mo->sessions);
	r = side_open(mo, &mo->front);
	if (r < 0)
		return r;
	r = side_open(mo, &mo->back);
	if (r < 0) {
		close_fd(&mo->front.fd);	/* the front-end sees its back-end gone */
		return r == -ECANCELED ? r : 0;
	}
	wire_dirs(mo);
	r = relay_loop(mo);
	session_end(mo);
	return r;
}

static int listen_side(struct monitor *mo, struct mon_side *s)
{
	struct vhu_err e = { 0 };

	if (!s->listen)
		return 0;
	if (conn_listen(&s->c, s->path, &e) < 0) {
		fprintf(stderr, "vhuctl monitor: %s: %s\n", s->what, e.msg);
		return -1;
	}
	return 0;
}

static void ready(struct monitor *mo)
{
	struct json_object *ev = event("monitor-ready");
	char buf[2][128];

	snprintf(buf[0], sizeof(buf[0]), "%s:%s", mo->front.listen ? "listen" : "connect", mo->front.path);
	snprintf(buf[1], sizeof(buf[1]), "%s:%s", mo->back.listen ? "listen" : "connect", mo->back.path);
	jb_add(ev, "front_end", json_object_new_string(buf[0]));
	jb_add(ev, "back_end", json_object_new_string(buf[1]));
	print(mo, ev);
	mo->host->flush();
}

static void block_stop_signals(struct monitor *mo)
{
	sigset_t stop;

	sigemptyset(&stop);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGHUP);
	sigprocmask(SIG_BLOCK, &stop, &mo->waitmask);
}

static int parse(struct monitor *mo, int argc, char **argv)
{
	struct option lo[NOPTS + 1];
	char so[2 * NOPTS + 1];
	int c, dev;

	opt_getopt(opts, NOPTS, lo, so);
	optind = 1;
	while ((c = getopt_long(argc, argv, so, lo, NULL)) != -1) {
		switch (c) {
		case OPT_ONCE:
			mo->once = true;
			break;
		case OPT_WRITE:
			mo->record_path = optarg;
			break;
		case OPT_CONTROL:
			mo->control_path = optarg;
			break;
		case OPT_PCAP:
			mo->pcap_path = optarg;
			break;
		case OPT_NOTIFY:
			if (!mo->notify && !(mo->notify = malloc(sizeof(*mo->notify)))) {
				fprintf(stderr, "vhuctl monitor: out of memory\n");
				return -1;
			}
			notify_init(mo->notify);
			break;
		case OPT_SCRIPT:
			mo->script_path = optarg;
			break;
		case OPT_REPLAY:
			mo->replay_path = optarg;
			break;
		case OPT_QUERY:
			mo->query_path = optarg;
			break;
		case OPT_SESSION: {
			char *end;
			unsigned long n = strtoul(optarg, &end, 10);

			if (!*optarg || *end || n == 0 || n > 1000000) {
				fprintf(stderr, "vhuctl monitor: --session wants a session number from 1, not '%s'\n", optarg);
				return -1;
			}
			mo->script_session = (unsigned)n;
			break;
		}
		case OPT_FAULT: {
			char err[200];

			if (mo->nfaults == FAULT_RULES_MAX) {
				fprintf(stderr, "vhuctl monitor: at most %d --fault rules\n", FAULT_RULES_MAX);
				return -1;
			}
			if (fault_parse(optarg, &mo->faults[mo->nfaults], err, sizeof(err)) < 0) {
				fprintf(stderr, "vhuctl monitor: --fault %s\n", err);
				return -1;
			}
			mo->nfaults++;
			break;
		}
		case OPT_DEVICE:
			dev = features_device_by_name(optarg);
			if (dev < 0) {
				fprintf(stderr, "vhuctl monitor: unknown device type '%s'\n", optarg);
				return -1;
			}
			mo->track.dev = (enum vhu_device)dev;
			break;
		case OPT_OUTPUT:
			if (strcmp(optarg, "text") == 0) {
				mo->out.out = OUT_TEXT;
			} else if (strcmp(optarg, "json-pretty") == 0) {
				mo->out.out = OUT_PRETTY;
			} else if (strcmp(optarg, "json") == 0) {
				mo->out.out = OUT_COMPACT;
			} else {
				fprintf(stderr, "vhuctl monitor: --output wants json, json-pretty or text, not '%s'\n", optarg);
				return -1;
			}
			break;
		case OPT_JSON:
			if (strcmp(optarg, "pretty") == 0) {
				mo->out.out = OUT_PRETTY;
			} else if (strcmp(optarg, "compact") == 0 || strcmp(optarg, "short") == 0) {
				mo->out.out = OUT_COMPACT;
			} else {
				fprintf(stderr, "vhuctl monitor: --json wants pretty or compact, not '%s'\n", optarg);
				return -1;
			}
			break;
		case OPT_HELP:
			usage(stdout);
			return 1;
		default:
			fprintf(stderr, "Try 'vhuctl monitor --help'.\n");
			return -1;
		}
	}
	if (mo->query_path) {
		if (argc == optind) {
			fprintf(stderr, "vhuctl monitor: --query wants a COMMAND (view, vring dump N, mem read GPA SIZE)\n");
			return -1;
		}
		mo->query = argv + optind;
		mo->nquery = argc - optind;
		return 0;
	}
	if (mo->replay_path) {
		if (argc - optind != 1) {
			fprintf(stderr, "vhuctl monitor: --replay wants the back-end's socket, BACK, alone\n");
			return -1;
		}
		if (parse_addr(&mo->back, argv[optind], false) < 0)
			return -1;
		if (mo->back.listen) {
			fprintf(stderr, "vhuctl monitor: --replay dials its back-end: connect:PATH or a PATH\n");
			return -1;
		}
		return 0;
	}
	if (mo->script_path) {
		if (argc != optind) {
			fprintf(stderr, "vhuctl monitor: --script takes no FRONT and BACK\n");
			return -1;
		}
		return 0;
	}
	if (argc - optind != 2) {
		fprintf(stderr, "vhuctl monitor: wants FRONT and BACK (try 'vhuctl monitor --help')\n");
		return -1;
	}
	if (parse_addr(&mo->front, argv[optind], true) < 0 || parse_addr(&mo->back, argv[optind + 1], false) < 0)
		return -1;
	if (mo->front.listen && mo->back.listen && strcmp(mo->front.path, mo->back.path) == 0) {
		fprintf(stderr, "vhuctl monitor: FRONT and BACK listen on the same path\n");
		return -1;
	}
	return 0;
}

/* --query: each command to the control socket, its answer printed as any
 * object of vhuctl is. 0 when every answer is ok. */
static int query(struct monitor *mo)
{
	struct vhu_err e = { 0 };
	struct timeval tv = { .tv_sec = 10 };
	struct conn c;
	FILE *in;
	char *line = NULL;
	size_t cap = 0;
	int st = MON_OK;

	conn_init(&c);
	if (conn_connect(&c, mo->query_path, -1, &e) < 0) {
		fprintf(stderr, "vhuctl monitor: --query: %s\n", e.msg);
		return MON_FAILED;
	}
	setsockopt(c.fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	in = fdopen(dup(c.fd), "r");
	for (int i = 0; in && i < mo->nquery; i++) {
		struct json_object *o, *ok;

		if (strchr(mo->query[i], '\n') || dprintf(c.fd, "%s\n", mo->query[i]) < 0 ||
		    getline(&line, &cap, in) <= 0 || !(o = json_tokener_parse(line))) {
			fprintf(stderr, "vhuctl monitor: --query: no answer to '%s'\n", mo->query[i]);
			st = MON_FAILED;
			break;
		}
		if (!json_object_object_get_ex(o, "ok", &ok) || !json_object_get_boolean(ok))
			st = MON_FAILED;
		json_object_object_del(o, "schema_version");	/* the printer adds its own */
		mo->host->print(&mo->out, o);
		json_object_put(o);
	}
	mo->host->flush();
	free(line);
	if (in)
		fclose(in);
	conn_close(&c);
	return st;
}

static bool replay_print(void *ctx, struct json_object *o)
{
	return print(ctx, o);
}

/* --replay: the recording sent again to BACK, what differs printed. */
static int replay(struct monitor *mo)
{
	struct replay_opts o = { .path = mo->replay_path, .session = mo->script_session ? mo->script_session : 1,
				 .socket = mo->back.path, .dev = mo->track.dev, .print = replay_print, .ctx = mo };
	char err[600];
	int r = replay_run(&o, err, sizeof(err));

	mo->host->flush();
	if (r < 0) {
		fprintf(stderr, "vhuctl monitor: --replay %s\n", err);
		return MON_FAILED;
	}
	return r;
}

static struct monitor *monitor_new(const struct monitor_host *host)
{
	struct monitor *mo = calloc(1, sizeof(*mo));

	if (!mo)
		return NULL;
	mo->host = host;
	session_init(&mo->out);
	mo->out.out = isatty(1) ? OUT_TEXT : OUT_COMPACT;
	{
		struct stat sb;

		/* A file (or /dev/null) gets the objects in blocks, written out
		 * whenever the monitor waits; a pipe or a terminal, each as it
		 * is made. */
		mo->out.out_buffered = fstat(1, &sb) == 0 && (S_ISREG(sb.st_mode) || S_ISCHR(sb.st_mode)) &&
				       !isatty(1);
		if (mo->out.out_buffered) {
			/* glibc takes a size only with a buffer: NULL gets st_blksize */
			static char buf[1 << 16];

			setvbuf(stdout, buf, _IOFBF, sizeof(buf));
		}
	}
	mo->front = (struct mon_side){ .what = "front-end", .listen = true, .fd = -1 };
	mo->back = (struct mon_side){ .what = "back-end", .fd = -1 };
	conn_init(&mo->front.c);
	conn_init(&mo->back.c);
	mo->chan_front = mo->chan_back = -1;
	conn_init(&mo->control);
	mo->ctl_fd = -1;
	mo->idle_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	mview_init(&mo->view, DEV_NONE);
	for (int d = 0; d < MON_NDIRS; d++)
		relay_init(&mo->dir[d]);
	return mo;
}

/* A monitor that served no session: freed, its status ST returned. */
static int monitor_free(struct monitor *mo, int st)
{
	session_free(&mo->out);
	if (mo->idle_fd >= 0)
		close(mo->idle_fd);
	free(mo->notify);
	free(mo);
	return st;
}

int monitor_main(int argc, char **argv, const struct monitor_host *host)
{
	struct monitor *mo = monitor_new(host);
	int st = MON_OK, r;

	if (!mo)
		return fprintf(stderr, "vhuctl monitor: out of memory\n"), MON_FAILED;
	r = parse(mo, argc, argv);
	if (r != 0)
		return monitor_free(mo, r > 0 ? MON_OK : MON_USAGE);
	if (mo->query_path)
		return monitor_free(mo, query(mo));
	if (mo->replay_path)
		return monitor_free(mo, replay(mo));
	if (mo->script_path) {
		char err[600];

		st = toscript(mo->script_path, mo->script_session ? mo->script_session : 1, stdout, err, sizeof(err))
			< 0 ? MON_FAILED : MON_OK;
		if (st != MON_OK)
			fprintf(stderr, "vhuctl monitor: --script %s\n", err);
		fflush(stdout);
		return monitor_free(mo, st);
	}
	if (mo->pcap_path) {
		char err[600];

		if (pcap_open(&mo->pcap, mo->pcap_path, err, sizeof(err)) < 0) {
			fprintf(stderr, "vhuctl monitor: --pcap %s\n", err);
			return monitor_free(mo, MON_FAILED);
		}
	}
	if (mo->record_path && !(mo->record = fopen(mo->record_path, "we"))) {
		fprintf(stderr, "vhuctl monitor: %s: %s\n", mo->record_path, strerror(errno));
		return monitor_free(mo, MON_FAILED);
	}
	if (listen_side(mo, &mo->front) < 0 || listen_side(mo, &mo->back) < 0) {
		st = MON_FAILED;
		goto out;
	}
	if (mo->control_path) {
		struct vhu_err e = { 0 };

		mo->view.dev = mo->track.dev;	/* --device */
		if (conn_listen(&mo->control, mo->control_path, &e) < 0) {
			fprintf(stderr, "vhuctl monitor: --control: %s\n", e.msg);
			st = MON_FAILED;
			goto out;
		}
	}
	/* The timers (the idle flush's, delays, stalls) need no precision
	 * finer than the idle flush's own: with that much slack the kernel
	 * fires them with a timer it has set already (the tick) rather than
	 * setting the clock event for each, which in a VM is an exit. */
	prctl(PR_SET_TIMERSLACK, WIRE_IDLE_MS * 1000000UL);
	block_stop_signals(mo);
	outq_start(&mo->oq, &mo->waitmask);
	ready(mo);
	for (;;) {
		r = session_run(mo);
		if (r == -ECANCELED || wire_cancel)
			break;
		/* A front-end that was dialled is not dialled again. */
		if (mo->once || !mo->front.listen)
			break;
	}
out:
	mo->host->flush();
	if (outq_active(&mo->oq)) {
		bool gone = mo->oq.gone;
		uint64_t left = outq_finish(&mo->oq);

		if (left)
			fprintf(stderr, "vhuctl monitor: %" PRIu64 " bytes of output not written: %s\n", left,
				gone || mo->oq.gone ? "the reader of stdout went" : "stdout was not read for 10 s");
	}
	if (mo->record && fclose(mo->record) != 0 && !mo->record_failed)
		fprintf(stderr, "vhuctl monitor: %s: the recording could not be written\n", mo->record_path);
	if (mo->pcap_path && !pcap_close(&mo->pcap))
		fprintf(stderr, "vhuctl monitor: %s: the capture could not be written whole\n", mo->pcap_path);
	conn_unlisten(&mo->front.c);
	conn_unlisten(&mo->back.c);
	control_close(mo);
	if (mo->control_path)
		conn_unlisten(&mo->control);
	mview_reset(&mo->view);
	if (mo->notify)
		notify_reset(mo->notify);
	free(mo->notify);
	session_free(&mo->out);
	jw_free(&mo->ev);
	if (mo->idle_fd >= 0)
		close(mo->idle_fd);
	free(mo);
	return st;
}
