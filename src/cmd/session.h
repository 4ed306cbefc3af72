/* session.h - everything one vhuctl run holds: connection, memory, fds, options. */
#ifndef VHUCTL_SESSION_H
#define VHUCTL_SESSION_H

#include <stdbool.h>

#include <json-c/json.h>

#include "core/conn.h"
#include "core/features.h"
#include "core/gpu.h"
#include "core/jw.h"
#include "core/mem.h"
#include "core/vring.h"

#define SESSION_RINGS 256u	/* kick/call/err carry an 8-bit ring index */
#define SESSION_KEPT_FDS 16u
#define SESSION_TIMEOUT_MAX_MS 3600000	/* an hour: the bound of every wait a person sets */
#define SOURCE_DEPTH_MAX 8		/* scripts sourcing scripts */
#define SESSION_NAMES 32u		/* results kept by name ('CMD as NAME') */
#define SESSION_NAME_MAX 31u

struct ring_fds {
	int kick, call, err;	/* eventfds we created and sent, -1 none */
};

/* What vhuctl sent for a ring: SET_VRING_NUM, SET_VRING_ADDR (user
 * addresses, as sent) and SET_VRING_BASE. A ring set up by hand is driven
 * from this; 'shape' changes whenever what it says about the layout or the
 * indexes does (a SET_VRING_ADDR sent again with the same areas, as 'log
 * start' does, keeps it). */
struct ring_sent {
	bool num_set, addr_set, base_set;
	uint32_t num, base, addr_flags;
	uint64_t desc, avail, used;
	unsigned shape;
};

/* An fd the session holds on to: the far end of something it sent, or an fd
 * a reply handed over (inflight area, device-state pipe, userfaultfd). */
struct kept_fd {
	char name[24];
	int fd;
};

/* How results are printed: JSON indented, JSON one object a line, or the
 * brief view for a person (src/shell/out_text.c). */
enum out_mode { OUT_PRETTY, OUT_COMPACT, OUT_TEXT };

/* How a run of commands ended. */
enum run_status {
	RUN_OK = 0,
	RUN_FAILED = 1,		/* a command failed */
	RUN_INVALID = 2,	/* the commands do not parse: none ran */
	RUN_OUTPUT_GONE = 3,	/* stdout closed under us */
	RUN_SIGNALLED = 4,	/* SIGINT, SIGTERM or SIGHUP stopped the run */
};

struct session;

/* What the front-end that runs commands lends the commands that run more of
 * them ('source', 'replay'): a lower layer is handed it, never calls up. */
struct session_runner {
	/* Run the script in file PATH: -errno when it cannot be read, else 0
	 * with *status. */
	int (*file)(struct session *s, const char *path, enum run_status *status);
	/* Run TEXT, commands named NAME from LINE on. */
	enum run_status (*text)(struct session *s, const char *name, const char *text, unsigned line);
};

struct session {
	struct conn conn;
	struct mem mem;
	enum vhu_device dev;
	bool ack;			/* set NEED_REPLY once REPLY_ACK is negotiated */
	bool sync;			/* GET_FEATURES barrier after un-acked requests */
	enum out_mode out;
	bool color;
	bool text;			/* results with a text form (help) show it: the
					 * output is text (--output, or a terminal) */
	bool quiet;			/* -q: only failed results are printed */
	bool pager;			/* long text goes through $PAGER: a terminal, no --no-pager */
	bool out_buffered;		/* stdout is a regular file: flush at exit */
	bool quit;
	bool keep_going;
	bool echo;
	struct ring_fds ring[SESSION_RINGS];
	struct ring_sent sent[SESSION_RINGS];
	struct vring *vr[SESSION_RINGS];	/* rings vhuctl laid out and drives */
	struct kept_fd kept[SESSION_KEPT_FDS];
	unsigned depth;			/* nesting of 'source' */
	const struct session_runner *runner;	/* NULL: source and replay are unavailable */
	struct conn_xfer *xfer;		/* scratch exchange, reused by every request */
	/* The running command's deadline (wire_now_ns clock, -1 none): every
	 * wait, read, write and back-end channel answer done on its behalf ends
	 * by then. cmd_run sets it for the outermost command and clears it. */
	int64_t deadline;
	int64_t last_tx_ns;		/* when 'net send' last kicked, for round trips */
	/* The back-end channel (SET_BACKEND_REQ_FD): how its requests are answered. */
	bool iotlb_auto;		/* answer IOTLB misses from the memory table */
	bool config_watch;		/* GET_CONFIG again on CONFIG_CHANGE_MSG */
	uint64_t backend_reply[VHU_BACKEND_REQ_MAX + 1];
	uint64_t iotlb_queue[64];	/* IOVAs of misses to answer once the socket is free */
	unsigned iotlb_pending;
	bool config_pending;
	uint32_t config_size;		/* size of the last GET_CONFIG that worked */
	/* The inflight area the back-end handed over (GET_INFLIGHT_FD). */
	uint64_t inflight_size, inflight_offset;
	uint16_t inflight_queues, inflight_queue_size;
	bool rings_stopped;		/* 'stop' ran since the rings were set up */
	bool interactive;		/* the REPL, with a terminal on stdout */
	uint64_t max_mem_slots;		/* GET_MAX_MEM_SLOTS answer, 0 unknown */
	/* The FUSE session of a virtio-fs device (the fs commands): whether
	 * FUSE_INIT was answered, what it settled, and the next unique. */
	struct fs_state {
		bool init;
		uint32_t minor, max_write, max_pages;
		uint64_t flags;
		uint64_t unique;
	} fs;
	/* The vhost-user-gpu socket (GPU_SET_SOCKET) as vhuctl serves it, and
	 * the resources the gpu commands made (cmd_gpu.c); NULL until used. */
	struct gpu_state *gpu;
	unsigned backend_events;
	unsigned backend_stalls;	/* answers the back-end did not take in time */
	uint64_t backend_requests;	/* served on the channel since connecting */
	/* Listen mode and reconnection. */
	bool auto_reconnect;
	bool wait_forever;
	bool replaying;
	char *setup_log[256];		/* state-changing commands since connecting, for 'replay' */
	unsigned nsetup;
	unsigned setup_dropped;		/* commands that came after the log was full */
	struct json_object *spare_out;	/* an emptied result object, to use again */
	/* Values every result of a run of the same command holds: one json-c
	 * value each, referenced by every result, not made anew per request. */
	struct json_object *shared_name;	/* the last "command" name */
	struct json_object *shared_true;
	/* What 'expect' looks at: the last result, and results kept by name
	 * ('get-queue-num as q'), each holding its own reference. */
	struct json_object *last_result;
	/* Or the last result as the text it was printed from, when no tree
	 * was built for it (a request's result, printed straight out): made a
	 * tree only when an expect looks at it (session_last_result). */
	struct jw last_text;
	bool last_is_text;
	/* What a request's result is written with when it goes out as text:
	 * the exchange, and the object for its other members. */
	struct jw direct;
	struct json_object *direct_rest;
	struct named_result {
		char name[SESSION_NAME_MAX + 1];
		struct json_object *o;
	} named[SESSION_NAMES];
	/* Where the requests of conn.last[] came from (the commands that sent
	 * them: "bad3.vhu:13"), to say what the back-end hung up after. */
	struct sender {
		int64_t ns;		/* conn.last[].ns of the last request it sent */
		char where[160];
		unsigned run, line, col, len;
	} sender[2];
	char gone_why[900];		/* why the connection went, once it did */
	/* How an event that happens on its own is shown (the REPL redraws around it). */
	void (*emit)(struct session *s, struct json_object *event);
	/* A long command's progress line, once a second (bench); NULL when
	 * nobody watches (no terminal). LINE NULL: the command is done. */
	void (*progress)(struct session *s, const char *line);
};

/* A resource 'gpu create' made, and its backing once 'gpu attach' gave it. */
struct gpu_resource {
	uint32_t id, width, height, format;
	uint64_t gpa, size;		/* size 0: no backing */
};

/* What the back-end scanned out, as the gpu socket said it (SCANOUT, UPDATE). */
struct gpu_scanout {
	uint32_t width, height;
	uint32_t format;		/* of the resource 'gpu scanout' put there */
	uint8_t *pix;			/* width * height * 4, as UPDATE sent them */
	uint64_t updates;
};

#define GPU_RESOURCES 32u
struct gpu_state {
	uint64_t protocol_offer;	/* what GET_PROTOCOL_FEATURES is answered */
	bool protocol_set;		/* SET_PROTOCOL_FEATURES came */
	uint64_t protocol;		/* and what it set */
	struct gpu_mode modes[GPU_SCANOUTS];	/* GET_DISPLAY_INFO's answer */
	unsigned nmodes;
	bool edid;			/* GET_EDID answered with an EDID (else ERR_UNSPEC) */
	struct gpu_scanout scanout[GPU_SCANOUTS];
	struct gpu_resource res[GPU_RESOURCES];
	unsigned nres;
	uint64_t requests;		/* served on the gpu socket */
	uint64_t errors;		/* messages that did not decode */
};
/* Forget the gpu socket's state (the connection went). */
void session_gpu_drop(struct session *s);

void session_init(struct session *s);
void session_free(struct session *s);
/* Remember FD under NAME, closing whatever was kept under it before. */
void session_keep_fd(struct session *s, const char *name, int fd);
int session_kept_fd(const struct session *s, const char *name);
/* Close the ring fds and kept fds that belong to the connection. */
void session_drop_connection_state(struct session *s);
/* Request M went out whole: keep what it says about a ring. */
void session_note_sent(struct session *s, const struct vhu_msg *m);
/* The scratch exchange, reset; NULL when out of memory. */
struct conn_xfer *session_xfer(struct session *s);
/* Remember LINE for 'replay'; forget everything with NULL. */
void session_log_setup(struct session *s, const char *line);
/* A new result object for command NAME: {"command": NAME}. */
struct json_object *session_result(struct session *s, const char *name);
/* A reference to the session's one json-c true. */
struct json_object *session_true(struct session *s);
/* Done with result O (printed): emptied and kept for the next command. */
void session_result_done(struct session *s, struct json_object *o);
/* Result O (printed) becomes the last result, and NAME's too when NAME is
 * not NULL; the session takes O. False when every name slot is taken. */
bool session_keep_result(struct session *s, struct json_object *o, const char *name);
/* The text of the result just printed (TEXT, LEN bytes) becomes the last
 * result; no tree of it is made until one is asked for. */
void session_keep_text(struct session *s, const char *text, size_t len);
/* An empty object for the members of a result printed straight from
 * text (cmd_ctx.direct), and back when done with it. */
struct json_object *session_direct_rest(struct session *s);
void session_direct_done(struct session *s, struct json_object *rest);
/* The last result (what 'expect' looks at), or NULL. */
struct json_object *session_last_result(struct session *s);
/* The result kept under NAME, or NULL. */
struct json_object *session_named(const struct session *s, const char *name);
/* Is NAME a name a result can be kept under: a letter or '_', then letters,
 * digits, '_' or '-', at most SESSION_NAME_MAX? */
bool session_name_valid(const char *name);
/* Is the set-up log full? (Then only a count of what follows is kept.) */
bool session_log_full(const struct session *s);
/* Number of fds this process has open (from /proc/self/fd). */
int session_open_fds(void);

#endif
