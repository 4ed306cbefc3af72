/* fake-backend.c - scriptable fake vhost-user back-end for vhuctl's tests. */

/*
 * Usage:
 *   fake-backend [--log FILE] [--pidfile FILE] [--features HEX]
 *                [--protocol-features HEX] [--on REQ=ACTION]... [--rings MODE]
 *                [--honour-enable] [--config-size N] [--fragile-msgs]
 *                SOCKET [ACTION...]
 *
 * Listens on the AF_UNIX stream socket SOCKET (a stale file is unlinked
 * first) and serves one front-end connection at a time, forever: when the
 * peer disconnects, the next connection is accepted.  Self-contained (libc
 * only) so it never depends on the code it is used to test.
 *
 * Options:
 *   --log FILE       append one line per received message, flushed at once:
 *                      req=<num> flags=0x<hex> size=<n> fds=<n>[ payload=<hex>]
 *                    <num> and <n> are decimal; payload is the lower-case hex
 *                    of the payload bytes and is left out when size is 0.
 *                    A header announcing size > 4096 is logged without
 *                    payload, then the connection is closed.
 *                    The `backend=' action and the handling of requests
 *                    31, 32 and 42 add their own lines (see below).
 *   --pidfile FILE   write the pid once listening (tmp file + rename, so the
 *                    file appears atomically; poll for it to know the socket
 *                    is ready).
 *   --features HEX   GET_FEATURES value (default 0x140000000).
 *   --protocol-features HEX
 *                    GET_PROTOCOL_FEATURES value (default 0x8209).
 *   --on REQ=ACTION  every message with request number REQ (decimal) gets
 *                    ACTION, whatever the ACTIONS list says (repeatable; the
 *                    first --on for a number wins; ACTION has no N*). A
 *                    message an --on answers uses no action of the list.
 *   --rings MODE     be a device (tests/fake-rings.c): map the regions of
 *                    SET_MEM_TABLE(5), keep what SET_VRING_NUM/BASE/ADDR
 *                    (8, 10, 9) and the eventfds of SET_VRING_KICK/CALL (12,
 *                    13) say, and while waiting for a message serve the
 *                    split rings that get kicked: every chain made
 *                    available is taken, its device-writable buffers are
 *                    zeroed, and a used entry {head, their total length} is
 *                    written, then the call eventfd signalled. MODE:
 *                      inorder  in the order the chains were made available
 *                      reverse  the chains of one kick, newest first
 *                      repeat   in order, each used entry written twice
 *                      fragile  in order, but a chain no driver may make
 *                               (a loop, a next or head past the table, an
 *                               address outside memory, a nested indirect
 *                               table, an indirect length not a multiple of
 *                               16, a chain longer than the ring, avail.idx
 *                               moved by more than the ring size) is logged
 *                               as `ring-bad <what>' and abort()s the process
 *                      stall    the same, but instead of aborting the process
 *                               serves nothing more, ever (SIGTERM kills it)
 *                      poll     in order, and besides every 20 ms each ring
 *                               with a size and addresses is served as if
 *                               kicked, as a polling back-end would, even
 *                               after GET_VRING_BASE (which it ignores)
 *                    The other modes skip what they cannot use of such a
 *                    chain (and log `ring-bad <what>' too).
 *                    Each used entry written is logged as
 *                      ring-used ring=<index> id=<head> len=<n>
 *                    Without --rings, nothing of this is done.
 *   --honour-enable  with --rings, keep the ring states: when the last
 *                    SET_FEATURES(2) had VHOST_USER_F_PROTOCOL_FEATURES
 *                    (bit 30), a ring is served only once SET_VRING_ENABLE
 *                    (18) said 1 (and not after a 0), what was made
 *                    available meanwhile being served at the enable;
 *                    without that bit, every ring is enabled. (So a net
 *                    device's disabled TX ring is not consumed either,
 *                    which vhost-user.rst asks for.) Without
 *                    --honour-enable (the default) a ring is served whatever
 *                    SET_VRING_ENABLE said.
 *   --config-size N  the configuration space is N bytes (decimal): a
 *                    GET_CONFIG(24) whose offset + size is past N is
 *                    answered with the request's header, its size field 0,
 *                    and no bytes (a failure, as vhost-user.rst has it).
 *                    Without it (the default) every offset is answered.
 *   --fragile-msgs   a malformed message (checked before any action or
 *                    --on rule) is logged as `msg-bad <what>' and abort()s
 *                    the process, as a back-end trusting its input would:
 *                      request  request 0 or above 44
 *                      flags    version not 1, or the REPLY bit (0x4) set
 *                      size     a payload size the request does not take
 *                               (GET_FEATURES 0, SET_VRING_NUM 8,
 *                               SET_VRING_ADDR 40, ...), or above 4096
 *                      fds      fds on a request that takes none, more
 *                               than it takes (SET_MEM_TABLE: 8), none
 *                               where it takes one, SET_VRING_KICK/CALL/ERR
 *                               with an fd and the NOFD bit (0x100) or
 *                               without both
 *                      vring-index  SET_VRING_NUM/ADDR/BASE/ENABLE or
 *                               GET_VRING_BASE for a ring >= 256
 *                      vring-num    SET_VRING_NUM of 0 or above 32768
 *                      mem-table    SET_MEM_TABLE of 0 or more than 8
 *                               regions, or not one fd per region, or a
 *                               payload not 8 + 32 bytes per region
 *                      log-base     SET_LOG_BASE whose size + offset
 *                               overflows 64 bits
 *                      config   GET_CONFIG/SET_CONFIG asking for more than
 *                               256 bytes, or whose payload is not the
 *                               12-byte header + size (GET_CONFIG: or the
 *                               header alone)
 *                    Without it (the default) none of this is checked.
 *
 * Exit: SIGTERM/SIGINT, the `exit' action, or 120 s without connection
 * activity (no accept and no received byte) end the process with status 0
 * and remove SOCKET (only if it is still the socket we created).  Usage
 * errors exit 2, setup errors exit 1.
 *
 * Messages: header (12 bytes, host-endian u32 request, flags, size), then up
 * to 4096 payload bytes; a header with size > 4096 closes the connection
 * (and uses no action).  Up to 32 SCM_RIGHTS fds per message are received
 * (fds=<n> in the log counts them) and closed once the message is read,
 * before its action runs, with two exceptions:
 *   - SET_BACKEND_REQ_FD(21) carrying exactly one fd keeps that fd as the
 *     back-end channel (replacing and closing any previous one); with any
 *     other fd count the fds are closed and the channel is left as it was
 *     (a warning goes to stderr).
 *   - GPU_SET_SOCKET(33) carrying exactly one fd: the same, that fd is the
 *     channel `backend=' sends on (a gpu socket takes no reply, so nothing
 *     else of it is done: no vhost-user-gpu handshake is started).
 *   - SET_INFLIGHT_FD(32) and SET_DEVICE_STATE_FD(42) carrying exactly one
 *     fd hold it until their action is done (`ok' uses it, see below); it
 *     is closed then whatever the action (for other fd counts the fds are
 *     closed at once, as usual).
 *
 * ACTIONS are consumed one per received message, in order, across all
 * connections (so `close ok' means: drop the first message's connection,
 * answer the next message, which may come on a new connection).  Once the
 * list is exhausted every message gets `ok'.  `N*action' repeats an action
 * for the next N messages (e.g. `3*noreply').
 *
 *   ok             behave like a well-behaved back-end (see below).
 *   noreply        read the message, send nothing.
 *   close          close the connection right after reading the message.
 *   close-header   send the first 5 bytes of the proper reply header
 *                  (request, flags 0x5, size 8), then close.
 *   close-payload  send a full header (request, 0x5, size 8) and only 3
 *                  payload bytes (the first 3 of the reply `ok' would send,
 *                  else zero), then close.
 *   wrong-flags    the reply `ok' would send (or u64 0 if none), flags 0xd.
 *   wrong-request  the reply `ok' would send (or u64 0 if none), request+1.
 *   flags=HEX      the reply `ok' would send (or u64 0 if none), flags HEX
 *                  (e.g. flags=0x1: no REPLY bit).
 *   ack-too        behave like `ok', then send a REPLY_ACK u64 0 (flags
 *                  0x5, the request's number) behind it, whether or not a
 *                  reply was due: a reply and an ack.
 *   oversize       header (request, 0x5, size 1048576) then 4096 zero bytes;
 *                  the connection stays open.
 *   bad-size       header (request, 0x5, size 4) and 4 payload bytes (the
 *                  low 4 bytes of the u64 `ok' would send, else zero).
 *   extra-fds      the proper reply (or u64 0 if none) with 3 fds of
 *                  /dev/null attached.
 *   short-extra    a reply header with size 0 and no payload, and right
 *                  behind it (a second send) a message nobody asked for:
 *                  request 99, flags 0x1, size 8, eight 0x2a bytes, with 3
 *                  fds of /dev/null attached.
 *                  close-payload, wrong-flags, wrong-request, bad-size and
 *                  extra-fds also attach the fd the `ok' reply carries, if
 *                  any (GET_INFLIGHT_FD's memfd, see below).
 *   garbage        12 bytes of 0xff.
 *   short-inflight GET_INFLIGHT_FD(31): the `ok' reply (same log line), its
 *                  memfd cut to half its size before it is sent; any other
 *                  request: as `ok'.
 *   shrink-inflight
 *                  GET_INFLIGHT_FD(31): the `ok' reply (same log line); then
 *                  a child process keeps the memfd and, over and over, cuts
 *                  it to 0 bytes and grows it back, 100 us in each state
 *                  (its contents are then zero), until the connection ends (the child is killed)
 *                  or 120 s pass; logged after the reply as
 *                    inflight-shrinking
 *                  Any other request: as `ok'.
 *   config-short   GET_CONFIG(24): the `ok' reply with 4 fewer bytes after
 *                  its 12-byte header than its size field says (when it
 *                  says at least 4); any other request: as `ok'.
 *   delay=MS       sleep MS milliseconds, then behave like `ok'.
 *   drip=MS        behave like `ok', but a device state transfer goes
 *                  slowly, with no overall bound: a save writes its bytes
 *                  one at a time, MS ms apart, a load reads at most 4096
 *                  bytes every MS ms (each wait for the pipe is still
 *                  bounded by 5 s, and a save stops when the reader closes).
 *   exit           exit with status 0 (no reply).
 *   u64=HEX        reply u64 HEX (flags 0x5, the request's number), whatever
 *                  the request and whether or not a reply is due.
 *   crash          abort(): die of SIGABRT at once (no reply, the socket
 *                  file is left behind), as a back-end with a bug would.
 *   nack           the reply `ok' would send, but a REPLY_ACK u64 0 becomes
 *                  u64 1 (failure); replies of their own are sent as they are.
 *   backend=SPEC   behave like `ok' (reply if due), then send one back-end
 *                  request on the back-end channel (nothing is sent when
 *                  `ok' closes the connection).  SPEC is
 *                    ID[,flags=HEX][,payload=HEX][,fds=N][,wait][,flood=N]
 *                      [,size=N][,short=N]
 *                  ID: request number, decimal (any u32, so unknown ones
 *                  can be sent too); flags: header flags (default 0x1);
 *                  payload: the payload bytes as hex, even length, at most
 *                  4096 bytes (default none); the header size is the payload
 *                  length, or N with size=N (a header that lies); fds:
 *                  attach N fds of /dev/null (0-253, default 0); short=N
 *                  (1-11): only the first N bytes of the header are sent,
 *                  then the channel is closed (logged as
 *                    backend-sent short=<n>).
 *                  Log lines, after the triggering message's own line:
 *                    backend-sent req=<num> flags=0x<hex> size=<n> fds=<n>
 *                  or, when nothing could be sent,
 *                    backend-sent none (no channel)
 *                    backend-sent none (send failed)
 *                    backend-sent none (open failed)
 *                  (after `send failed' the channel is closed).
 *                  With `wait', or when flags has NEED_REPLY (0x8), the
 *                  front-end's reply is then read from the channel (at most
 *                  5 s; the front-end connection is not served meanwhile;
 *                  fds attached to the reply are closed) and logged as
 *                    backend-reply req=<num> flags=0x<hex> size=<n> payload=<hex>
 *                  (payload empty when size is 0), or as
 *                    backend-reply none
 *                  on timeout or EOF.  Only a timeout with no byte read
 *                  keeps the channel; EOF, a partial message, or a reply
 *                  announcing size > 4096 (logged as its line without
 *                  ` payload=') close it.  Without `wait' nothing is read:
 *                  a reply the front-end sends anyway (e.g. to
 *                  SHARED_OBJECT_LOOKUP(8), which is always answered) stays
 *                  in the channel and is what the next `wait' reads.
 *                  With `flood=N' in SPEC the request is sent N times
 *                  (1-100000) and no reply is read, whatever the flags: a
 *                  back-end that never reads its answers. A send that
 *                  fails ends the flood but keeps the channel. Logged as
 *                    backend-flood sent=<n of N>
 *
 * `ok' replies (flags 0x5, same request number):
 *   GET_FEATURES(1)            u64 --features
 *   GET_PROTOCOL_FEATURES(15)  u64 --protocol-features
 *   GET_QUEUE_NUM(17)          u64 2
 *   GET_MAX_MEM_SLOTS(36)      u64 8
 *   GET_VRING_BASE(11)         {u32 index from request, u32 num last set by
 *                              SET_VRING_BASE(10) for index < 256, else 0}
 *   GET_CONFIG(24)             request's 12-byte header (offset, size, flags)
 *                              + size bytes, byte i = (offset + i) & 0xff;
 *                              size > 256 closes the connection; past
 *                              --config-size, the header with size 0
 *   GET_STATUS(40)             u64 last SET_STATUS(39) value (default 0)
 *   IOTLB_MSG(22), POSTCOPY_END(30)   u64 0
 *   GET_INFLIGHT_FD(31)        inflight payload + a memfd (see below)
 *   SET_DEVICE_STATE_FD(42)    u64 0x100 or 0x101, then the transfer (below)
 *   CHECK_DEVICE_STATE(43)     u64 1 if the last device state transfer was
 *                              a load that received 0 bytes, else u64 0
 *                              (also before any transfer)
 *   anything else              u64 0 only if NEED_REPLY (0x8) is set and the
 *                              last SET_PROTOCOL_FEATURES(16) had REPLY_ACK
 *                              (bit 3); otherwise no reply.  This includes
 *                              SET_INFLIGHT_FD(32).
 * The requests with a reply of their own above reply once, NEED_REPLY or
 * not.  Payload fields are host-endian; fields a short payload lacks read
 * as 0.
 *
 * GET_INFLIGHT_FD(31): num_queues (u16 @16) and queue_size (u16 @18) come
 * from the request.  num_queues 0 or > 64, or queue_size 0 or > 32768: the
 * reply is {mmap_size 0, mmap_offset 0, num_queues, queue_size, pad 0}
 * (the request's values echoed) with no fd, logged as
 *   inflight-rejected queues=<q> queue_size=<s>
 * Otherwise a memfd (MFD_CLOEXEC) of num_queues * stride bytes is made,
 * stride = ALIGN_UP(header + desc * queue_size, 64): split layout header
 * 16, desc 16; packed layout (the last SET_FEATURES(2) value, 0 if none
 * this connection, has bit 34 VIRTIO_F_RING_PACKED) header 32, desc 32.
 * Queue q's region starts at q * stride; all of it is zero except, in
 * little-endian:
 *   split header   {u64 features = last SET_FEATURES value; u16 version 1;
 *                   u16 desc_num = queue_size; u16 last_batch_head 0;
 *                   u16 used_idx 0}
 *   packed header  {u64 features; u16 version 1; u16 desc_num; u16
 *                   free_head 0; u16 old_free_head 0; u16 used_idx 0; u16
 *                   old_used_idx 0; u8 used_wrap_counter 1; u8
 *                   old_used_wrap_counter 1; 10 pad bytes}
 *   descriptors 1 and 3 (each only if < queue_size) are inflight:
 *     split  DescStateSplit {u8 inflight 1; 5 pad; u16 next 0;
 *            u64 counter}: counter 5 (desc 1), 7 (desc 3)
 *     packed DescStatePacked {u8 inflight 1; u8 pad; u16 next 0; u16 last
 *            0; u16 num 1; u64 counter; u16 id; u16 flags; u32 len; u64
 *            addr}: desc 1 {counter 5, id 1, flags 2, len 512, addr
 *            0x2000}, desc 3 {counter 7, id 3, flags 0, len 16, addr 0x3000}
 * The reply {mmap_size, mmap_offset 0, num_queues, queue_size, pad 0} (24
 * bytes) carries the memfd, which is then closed here; logged (before the
 * reply is sent) as
 *   inflight-created size=<mmap_size> queues=<q> queue_size=<s> layout=split|packed
 * If the memfd cannot be made (warning on stderr) the reply is as for a
 * rejected request, logged as
 *   inflight-failed queues=<q> queue_size=<s>
 * The reply-mangling actions (close-payload, wrong-flags, wrong-request,
 * bad-size, extra-fds) build this reply too (same log line) and attach its
 * memfd as well (extra-fds: the memfd first, then the 3 /dev/null fds).
 *
 * SET_INFLIGHT_FD(32): nothing is kept.  `ok' logs, before any reply,
 *   inflight-set size=<st_size> mmap_size=<payload mmap_size> queues=<q> queue_size=<s>
 * with st_size from fstat of the message's fd (-1 if fstat fails), or
 *   inflight-set nofd
 * when the message does not carry exactly one fd.
 *
 * SET_DEVICE_STATE_FD(42): payload {u32 direction (0 save, 1 load), u32
 * phase (0 stopped)}.  Without exactly one fd, or with another direction
 * or a phase other than 0, the reply is u64 0x101 (error, no fd returned)
 * and the fd (if any) is closed.  Otherwise the reply is u64 0x100
 * (success, no fd returned), sent first; then, under `ok' (and delay= and
 * backend=, before the back-end request), the transfer runs with the
 * front-end connection not served meanwhile, and the fd is closed:
 *   save (0)  write the 1000 bytes "fake-device-state:" followed by bytes
 *             (i & 0xff) for i = 18..999 (poll-based, at most 5 s), log
 *               device-state-saved bytes=<n written, 1000 unless failed>
 *   load (1)  read until EOF (poll-based, at most 1 MiB and 5 s; on the
 *             limits a warning goes to stderr and reading stops), log
 *               device-state-loaded bytes=<n> head=<hex of first <=16 bytes>
 * Other actions run no transfer and just close the fd (the reply-mangling
 * ones still send the mangled u64 0x100/0x101 reply).  Only completed
 * transfers change what CHECK_DEVICE_STATE(43) answers: a save (even a
 * failed one) or a load of at least 1 byte make it 0, a load of 0 bytes 1.
 *
 * Session state (SET_FEATURES, SET_PROTOCOL_FEATURES, SET_VRING_BASE,
 * SET_STATUS, the back-end channel) is recorded from every received
 * message whatever its action, before the reply is built; it and the
 * device state outcome are reset for each new connection (the channel is
 * closed when its connection ends).
 *
 * Sends on either socket give up (warning on stderr) when the peer has not
 * taken the whole message within 5 s.
 */

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fake-rings.h"

#define HDR_SIZE		12
#define MAX_PAYLOAD		4096
#define MAX_FDS			32
#define MAX_CONFIG		256
#define CONFIG_HDR		12
#define MAX_VRINGS		256
#define IDLE_TIMEOUT_MS		120000
#define POLL_SLICE_MS		500
#define SEND_TIMEOUT_S		5
#define OVERSIZE_SIZE		1048576u
#define EXTRA_FDS		3
#define BACKEND_WAIT_MS		5000
#define MAX_SEND_FDS		253	/* the kernel's SCM_MAX_FD */

/* GET_INFLIGHT_FD: payload and shared buffer (little-endian) layout. */
#define INFLIGHT_PAYLOAD	24	/* u64 mmap_size, u64 mmap_offset, u16 num_queues @16, u16 queue_size @18, pad */
#define INFLIGHT_MAX_QUEUES	64
#define INFLIGHT_MAX_QSIZE	32768
#define INFLIGHT_ALIGN		64
#define SPLIT_HDR		16	/* QueueRegionSplit header */
#define SPLIT_DESC		16	/* DescStateSplit */
#define PACKED_HDR		32	/* QueueRegionPacked header */
#define PACKED_DESC		32	/* DescStatePacked */

/* SET_DEVICE_STATE_FD / CHECK_DEVICE_STATE. */
#define STATE_OK_NOFD		UINT64_C(0x100)	/* success, no fd returned */
#define STATE_ERR_NOFD		UINT64_C(0x101)	/* error, no fd returned */
#define STATE_DIR_SAVE		0
#define STATE_DIR_LOAD		1
#define STATE_SAVE_BYTES	1000
#define STATE_SAVE_PREFIX	"fake-device-state:"
#define STATE_LOAD_MAX		(1024 * 1024)
#define STATE_WAIT_MS		5000
#define STATE_HEAD		16	/* loaded bytes shown in the log */

#define FLAG_VERSION		0x1u
#define FLAG_REPLY		0x4u
#define FLAG_NEED_REPLY		0x8u
#define REPLY_FLAGS		(FLAG_VERSION | FLAG_REPLY)

#define REQ_GET_FEATURES		1
#define REQ_SET_FEATURES		2
#define REQ_SET_VRING_BASE		10
#define REQ_GET_VRING_BASE		11
#define REQ_GET_PROTOCOL_FEATURES	15
#define REQ_SET_PROTOCOL_FEATURES	16
#define REQ_GET_QUEUE_NUM		17
#define REQ_IOTLB_MSG			22
#define REQ_GET_CONFIG			24
#define REQ_POSTCOPY_END		30
#define REQ_GET_INFLIGHT_FD		31
#define REQ_SET_INFLIGHT_FD		32
#define REQ_GET_MAX_MEM_SLOTS		36
#define REQ_SET_BACKEND_REQ_FD		21
#define REQ_GPU_SET_SOCKET		33
#define REQ_SET_STATUS			39
#define REQ_GET_STATUS			40
#define REQ_SET_DEVICE_STATE_FD		42
#define REQ_CHECK_DEVICE_STATE		43

#define PROTO_F_REPLY_ACK	(UINT64_C(1) << 3)
#define VIRTIO_F_RING_PACKED	(UINT64_C(1) << 34)

enum act_kind {
	ACT_OK,
	ACT_NOREPLY,
	ACT_CLOSE,
	ACT_CLOSE_HEADER,
	ACT_CLOSE_PAYLOAD,
	ACT_WRONG_FLAGS,
	ACT_WRONG_REQUEST,
	ACT_OVERSIZE,
	ACT_BAD_SIZE,
	ACT_SHORT_EXTRA,
	ACT_EXTRA_FDS,
	ACT_GARBAGE,
	ACT_CONFIG_SHORT,
	ACT_SHORT_INFLIGHT,
	ACT_SHRINK_INFLIGHT,
	ACT_DELAY,
	ACT_DRIP,
	ACT_EXIT,
	ACT_CRASH,
	ACT_NACK,
	ACT_U64,
	ACT_FLAGS,
	ACT_ACK_TOO,
	ACT_BACKEND,
};

/* A request to send on the back-end channel (the `backend=' action). */
struct backend_spec {
	uint32_t request;
	uint32_t flags;
	uint32_t size;		/* payload bytes */
	uint32_t nfds;		/* /dev/null fds to attach */
	bool wait;		/* read the front-end's reply */
	uint32_t flood;		/* send it this many times, reading nothing (0: once) */
	bool size_set;		/* size=N: the header's size field */
	uint32_t size_field;
	uint32_t short_hdr;	/* short=N: N header bytes, then close (0: whole) */
	uint8_t *payload;
};

struct action {
	enum act_kind kind;
	uint32_t count;		/* messages still to apply it to */
	uint32_t delay_ms;
	uint64_t u64;		/* u64=HEX */
	const struct backend_spec *backend;
};

struct msg {
	uint32_t request;
	uint32_t flags;
	uint32_t size;
	uint32_t nfds;		/* fds received (some may have been dropped) */
	uint32_t nheld;		/* fds held in fds[], not yet closed */
	int fds[MAX_FDS];
	int fd;			/* the only fd of SET_INFLIGHT_FD(32) or
				   SET_DEVICE_STATE_FD(42), held for the
				   action, or -1 */
	uint8_t payload[MAX_PAYLOAD];
};

struct reply {
	uint32_t request;
	uint32_t flags;
	uint32_t size;
	uint8_t payload[CONFIG_HDR + MAX_CONFIG];
	int fd;			/* fd to attach (GET_INFLIGHT_FD), or -1 */
};

struct session {
	int chan_fd;		/* back-end channel (SET_BACKEND_REQ_FD), or -1 */
	uint64_t proto_features;
	uint64_t status;
	uint64_t features;	/* last SET_FEATURES(2) value */
	uint64_t state_check;	/* CHECK_DEVICE_STATE(43) reply */
	uint32_t vring_base[MAX_VRINGS];
	struct fake_rings *rings;	/* --rings: the device side, or NULL */
};

static const struct {
	const char *name;
	enum act_kind kind;
} act_names[] = {
	{ "ok", ACT_OK },
	{ "noreply", ACT_NOREPLY },
	{ "close", ACT_CLOSE },
	{ "close-header", ACT_CLOSE_HEADER },
	{ "close-payload", ACT_CLOSE_PAYLOAD },
	{ "wrong-flags", ACT_WRONG_FLAGS },
	{ "wrong-request", ACT_WRONG_REQUEST },
	{ "oversize", ACT_OVERSIZE },
	{ "bad-size", ACT_BAD_SIZE },
	{ "short-extra", ACT_SHORT_EXTRA },
	{ "extra-fds", ACT_EXTRA_FDS },
	{ "garbage", ACT_GARBAGE },
	{ "config-short", ACT_CONFIG_SHORT },
	{ "short-inflight", ACT_SHORT_INFLIGHT },
	{ "shrink-inflight", ACT_SHRINK_INFLIGHT },
	{ "exit", ACT_EXIT },
	{ "crash", ACT_CRASH },
	{ "nack", ACT_NACK },
	{ "ack-too", ACT_ACK_TOO },
};

static volatile sig_atomic_t got_signal;
static const char *sock_path;
static dev_t sock_dev;
static ino_t sock_ino;
static bool sock_created;
static int log_fd = -1;
static uint64_t opt_features = UINT64_C(0x140000000);
static uint64_t opt_proto_features = UINT64_C(0x8209);
static struct action *actions;
static int nactions;
static int cur_action;
/* --on REQ=ACTION: what every message of request number REQ gets. */
static struct on_rule {
	uint32_t request;
	struct action action;
} on_rules[64];
static unsigned n_on_rules;
static int64_t last_activity;
static bool opt_rings;
static bool opt_honour_enable;
static int64_t opt_config_size = -1;	/* --config-size; -1: unbounded */
static bool opt_fragile_msgs;
static enum rings_mode opt_rings_mode;
static struct fake_rings *serving;	/* whose kicks wait_readable serves */

static void warnx_(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void warnx_(const char *fmt, ...)
{
	va_list ap;

	fputs("fake-backend: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void touch_activity(void)
{
	last_activity = now_ms();
}

/* Remove SOCKET, but only if it is still the socket this process bound. */
static void remove_socket(void)
{
	struct stat st;

	if (!sock_created)
		return;
	if (stat(sock_path, &st) == 0 && st.st_dev == sock_dev &&
	    st.st_ino == sock_ino)
		unlink(sock_path);
	sock_created = false;
}

static void __attribute__((noreturn)) quit(int status)
{
	remove_socket();
	exit(status);
}

/* Exit on a termination signal or after the idle timeout. */
static void check_alive(void)
{
	if (got_signal)
		quit(0);
	if (now_ms() - last_activity >= IDLE_TIMEOUT_MS) {
		warnx_("no activity for %d s, exiting", IDLE_TIMEOUT_MS / 1000);
		quit(0);
	}
}

static void on_signal(int sig)
{
	got_signal = sig;
}

static int setup_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;	/* no SA_RESTART: let poll see EINTR */
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGTERM, &sa, NULL) < 0 || sigaction(SIGINT, &sa, NULL) < 0)
		return -1;
	sa.sa_handler = SIG_IGN;
	return sigaction(SIGPIPE, &sa, NULL);
}

/* Wait until fd is readable, serving the rings that get kicked meanwhile
 * (--rings); returns 0, or -1 on a poll error. */
static int wait_readable(int fd)
{
	struct pollfd p[1 + MAX_VRINGS];
	unsigned which[MAX_VRINGS], n;
	int ret, slice;

	for (;;) {
		check_alive();
		p[0] = (struct pollfd){ .fd = fd, .events = POLLIN };
		n = serving ? rings_pollfds(serving, p + 1, which, MAX_VRINGS) : 0;
		slice = serving ? rings_poll(serving) : -1;
		ret = poll(p, 1 + n, slice >= 0 ? slice : POLL_SLICE_MS);
		for (unsigned i = 0; ret > 0 && i < n; i++)
			if (p[1 + i].revents)
				rings_kicked(serving, which[i]);
		if (ret > 0 && p[0].revents)
			return 0;
		if (ret < 0 && errno != EINTR)
			return -1;
	}
}

/*
 * Wait until fd is ready for events or the monotonic clock reaches deadline
 * (ms); exits on a termination signal.  Returns 1 when ready, 0 on timeout,
 * -1 on a poll error.
 */
static int wait_until(int fd, short events, int64_t deadline)
{
	struct pollfd pfd = { .fd = fd, .events = events };
	int64_t left;
	int ret;

	for (;;) {
		if (got_signal)
			quit(0);
		left = deadline - now_ms();
		if (left <= 0)
			return 0;
		if (left > POLL_SLICE_MS)
			left = POLL_SLICE_MS;
		ret = poll(&pfd, 1, (int)left);
		if (ret > 0)
			return 1;
		if (ret < 0 && errno != EINTR)
			return -1;
	}
}

static void sleep_ms(uint32_t ms)
{
	int64_t end = now_ms() + ms;
	int64_t left;
	struct timespec ts;

	while ((left = end - now_ms()) > 0) {
		if (got_signal)
			quit(0);
		if (left > POLL_SLICE_MS)
			left = POLL_SLICE_MS;
		ts.tv_sec = left / 1000;
		ts.tv_nsec = (left % 1000) * 1000000;
		nanosleep(&ts, NULL);
	}
}

/* Close the fds m still holds. */
static void close_msg_fds(struct msg *m)
{
	while (m->nheld > 0)
		close(m->fds[--m->nheld]);
}

/*
 * Take every SCM_RIGHTS fd of a received chunk: hold it in m while m has
 * room (m NULL: none), close it otherwise.  Returns how many arrived.
 */
static uint32_t take_fds(struct msghdr *mh, struct msg *m)
{
	struct cmsghdr *c;
	uint32_t n = 0;
	size_t i, cnt;
	int fd;

	for (c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		cnt = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < cnt; i++) {
			memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(fd));
			if (m && m->nheld < MAX_FDS)
				m->fds[m->nheld++] = fd;
			else
				close(fd);
			n++;
		}
	}
	return n;
}

enum rx_status {
	RX_OK,		/* all bytes read */
	RX_EOF,		/* EOF or error */
	RX_TIMEOUT,	/* deadline passed */
};

/*
 * Read len bytes into buf, stopping early at EOF, on an error, or (deadline
 * >= 0) once the monotonic clock reaches deadline (ms).  Without a deadline
 * the idle timeout and signals apply (check_alive).  Attached fds are
 * counted in *nfds and held in m (m NULL: closed at once).  *got receives
 * the number of bytes read.
 */
static enum rx_status recv_bytes(int fd, uint8_t *buf, size_t len,
				 size_t *got, uint32_t *nfds, struct msg *m,
				 int64_t deadline)
{
	union {
		char buf[CMSG_SPACE(MAX_FDS * sizeof(int))];
		struct cmsghdr align;
	} cbuf;
	struct msghdr mh;
	struct iovec iov;
	ssize_t n;
	int ret;

	*got = 0;
	while (*got < len) {
		if (deadline < 0)
			ret = wait_readable(fd) < 0 ? -1 : 1;
		else
			ret = wait_until(fd, POLLIN, deadline);
		if (ret == 0)
			return RX_TIMEOUT;
		if (ret < 0)
			return RX_EOF;
		iov.iov_base = buf + *got;
		iov.iov_len = len - *got;
		memset(&mh, 0, sizeof(mh));
		mh.msg_iov = &iov;
		mh.msg_iovlen = 1;
		mh.msg_control = cbuf.buf;
		mh.msg_controllen = sizeof(cbuf.buf);
		n = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return RX_EOF;
		}
		*nfds += take_fds(&mh, m);
		if (n == 0)
			return RX_EOF;
		*got += (size_t)n;
		touch_activity();
	}
	return RX_OK;
}

/*
 * Read exactly len bytes of a message on the front-end connection, holding
 * attached fds in m.  Returns 1 on success, 0 on EOF or error.
 */
static int recv_exact(int fd, uint8_t *buf, size_t len, struct msg *m)
{
	size_t got;

	return recv_bytes(fd, buf, len, &got, &m->nfds, m, -1) == RX_OK;
}

/* Append len bytes to the log in a single write (plus retries). */
static void log_write(const char *line, size_t len)
{
	size_t off = 0;
	ssize_t n;

	if (log_fd < 0)
		return;
	while (off < len) {
		n = write(log_fd, line + off, len - off);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			warnx_("log write: %s", strerror(errno));
			return;
		}
		off += (size_t)n;
	}
}

/* Write the lower-case hex of n bytes at p to out; returns 2 * n. */
static size_t hex_put(char *out, const uint8_t *p, uint32_t n)
{
	static const char hex[] = "0123456789abcdef";
	uint32_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = hex[p[i] >> 4];
		out[2 * i + 1] = hex[p[i] & 0xf];
	}
	return 2 * (size_t)n;
}

static void log_line(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Append one short formatted line to the log. */
static void log_line(const char *fmt, ...)
{
	char line[256];
	va_list ap;
	int len;

	if (log_fd < 0)
		return;
	va_start(ap, fmt);
	len = vsnprintf(line, sizeof(line) - 1, fmt, ap);
	va_end(ap);
	if (len < 0)
		return;
	if ((size_t)len > sizeof(line) - 2)
		len = (int)sizeof(line) - 2;
	line[len++] = '\n';
	log_write(line, (size_t)len);
}

/* Append one line describing msg to the log, in a single write. */
static void log_msg(const struct msg *m, bool with_payload)
{
	char line[128 + 2 * MAX_PAYLOAD];
	size_t len;

	if (log_fd < 0)
		return;
	len = (size_t)snprintf(line, sizeof(line),
			       "req=%u flags=0x%x size=%u fds=%u",
			       m->request, m->flags, m->size, m->nfds);
	if (with_payload && m->size) {
		memcpy(line + len, " payload=", 9);
		len += 9;
		len += hex_put(line + len, m->payload, m->size);
	}
	line[len++] = '\n';
	log_write(line, len);
}

/* --fragile-msgs: a malformed message is logged and abort()s. */
static void fragile_abort(const char *what)
{
	char line[128];
	int len = snprintf(line, sizeof(line), "msg-bad %s\n", what);

	log_write(line, (size_t)len);
	abort();
}

/* The payload size a request takes, or -1 when it varies. */
static int fragile_size(uint32_t request)
{
	switch (request) {
	case 1: case 3: case 4: case 15: case 17: case 36:	/* no payload */
		return 0;
	case 2: case 8: case 10: case 11: case 12: case 13: case 14:
	case 16: case 18: case 20: case 39:
		return 8;
	case 9: case 37: case 38:
		return 40;
	case 6:
		return 16;
	default:
		return -1;
	}
}

/* How many fds a request takes: exactly *want, or 1..*want if *upto. */
static void fragile_fds(const struct msg *m, uint32_t *want, bool *upto)
{
	uint64_t u = 0;

	*upto = false;
	switch (m->request) {
	case 5:
		*want = 8;
		*upto = true;
		break;
	case 12: case 13: case 14:
		memcpy(&u, m->payload, m->size >= 8 ? 8 : 0);
		*want = (u & 0x100) ? 0 : 1;
		break;
	case 6: case 7: case 21: case 32: case 33: case 37: case 42:
		*want = 1;
		break;
	default:
		*want = 0;
		break;
	}
}

static void fragile_check(const struct msg *m)
{
	int size = fragile_size(m->request);
	uint32_t want, u32a = 0, u32b = 0;
	uint64_t a = 0, b = 0;
	bool upto;

	if (m->request == 0 || m->request > 44)
		fragile_abort("request");
	if ((m->flags & 0x3) != 1 || (m->flags & 0x4))
		fragile_abort("flags");
	if (size >= 0 && m->size != (uint32_t)size)
		fragile_abort("size");
	fragile_fds(m, &want, &upto);
	if (upto ? m->nfds > want : m->nfds != want)
		fragile_abort("fds");
	if (m->size >= 8) {
		memcpy(&u32a, m->payload, 4);
		memcpy(&u32b, m->payload + 4, 4);
		memcpy(&a, m->payload, 8);
	}
	if (m->size >= 16)
		memcpy(&b, m->payload + 8, 8);
	switch (m->request) {
	case 8: case 9: case 10: case 11: case 18:
		if (u32a >= MAX_VRINGS)
			fragile_abort("vring-index");
		if (m->request == 8 && (u32b == 0 || u32b > 32768))
			fragile_abort("vring-num");
		break;
	case 5:	/* {u32 nregions, u32 pad, 32-byte regions} */
		if (u32a == 0 || u32a > 8 || u32a != m->nfds || m->size != 8 + 32 * u32a)
			fragile_abort("mem-table");
		break;
	case 6:	/* {u64 size, u64 offset} */
		if (a + b < a)
			fragile_abort("log-base");
		break;
	case 24: case 25:	/* {u32 offset, u32 size, u32 flags, bytes} */
		if (m->size < 12 || u32b > 256 ||
		    (m->request == 25 ? m->size != 12 + u32b : m->size != 12 + u32b && m->size != 12))
			fragile_abort("config");
		break;
	default:
		break;
	}
}

/*
 * Read one message; its fds stay held in m (the caller closes them).
 * Returns 1 on success, 0 when the connection must close (fds closed).
 */
static int read_msg(int fd, struct msg *m)
{
	uint8_t hdr[HDR_SIZE];

	m->nfds = 0;
	m->nheld = 0;
	m->fd = -1;
	if (!recv_exact(fd, hdr, sizeof(hdr), m))
		goto fail;
	memcpy(&m->request, hdr, 4);
	memcpy(&m->flags, hdr + 4, 4);
	memcpy(&m->size, hdr + 8, 4);
	if (m->size > MAX_PAYLOAD) {
		log_msg(m, false);
		if (opt_fragile_msgs)
			fragile_abort("size");
		warnx_("req %u: size %u exceeds %d, closing", m->request,
		       m->size, MAX_PAYLOAD);
		goto fail;
	}
	if (m->size && !recv_exact(fd, m->payload, m->size, m))
		goto fail;
	log_msg(m, true);
	return 1;
fail:
	close_msg_fds(m);
	return 0;
}

/* Next action from the script (an --on rule for REQUEST first); `ok' once
 * it is exhausted. */
static struct action next_action(uint32_t request)
{
	struct action a = { .kind = ACT_OK, .count = 1 };

	for (unsigned i = 0; i < n_on_rules; i++)
		if (on_rules[i].request == request)
			return on_rules[i].action;

	while (cur_action < nactions && actions[cur_action].count == 0)
		cur_action++;
	if (cur_action < nactions) {
		a = actions[cur_action];
		actions[cur_action].count--;
	}
	return a;
}

/* Read n bytes at off into out, zero-filling what the payload lacks. */
static void payload_get(const struct msg *m, uint32_t off, void *out, size_t n)
{
	memset(out, 0, n);
	if (m->size > off)
		memcpy(out, m->payload + off,
		       m->size - off < n ? m->size - off : n);
}

static uint64_t payload_u64(const struct msg *m, uint32_t off)
{
	uint64_t v;

	payload_get(m, off, &v, sizeof(v));
	return v;
}

static uint32_t payload_u32(const struct msg *m, uint32_t off)
{
	uint32_t v;

	payload_get(m, off, &v, sizeof(v));
	return v;
}

/* Record the state later replies depend on. */
static void update_session(struct session *s, const struct msg *m)
{
	uint32_t idx;

	switch (m->request) {
	case REQ_SET_FEATURES:
		s->features = payload_u64(m, 0);
		break;
	case REQ_SET_PROTOCOL_FEATURES:
		s->proto_features = payload_u64(m, 0);
		break;
	case REQ_SET_STATUS:
		s->status = payload_u64(m, 0);
		break;
	case REQ_SET_VRING_BASE:
		idx = payload_u32(m, 0);
		if (idx < MAX_VRINGS)
			s->vring_base[idx] = payload_u32(m, 4);
		break;
	default:
		break;
	}
}

static void reply_u64(struct reply *r, uint64_t v)
{
	r->size = sizeof(v);
	memcpy(r->payload, &v, sizeof(v));
}

static int build_config_reply(struct reply *r, const struct msg *m)
{
	uint32_t offset = payload_u32(m, 0);
	uint32_t size = payload_u32(m, 4);
	uint32_t flags = payload_u32(m, 8);
	uint32_t i;

	if (size > MAX_CONFIG) {
		warnx_("GET_CONFIG size %u exceeds %d, closing", size,
		       MAX_CONFIG);
		return -1;
	}
	/* past the configuration space: size 0, the failure vhost-user.rst names */
	if (opt_config_size >= 0 && (int64_t)offset + size > opt_config_size)
		size = 0;
	memcpy(r->payload, &offset, 4);
	memcpy(r->payload + 4, &size, 4);
	memcpy(r->payload + 8, &flags, 4);
	for (i = 0; i < size; i++)
		r->payload[CONFIG_HDR + i] = (uint8_t)((offset + i) & 0xff);
	r->size = CONFIG_HDR + size;
	return 1;
}

/* Store the n low bytes of v at p, little-endian. */
static void put_le(uint8_t *p, uint64_t v, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint16_t payload_u16(const struct msg *m, uint32_t off)
{
	uint16_t v;

	payload_get(m, off, &v, sizeof(v));
	return v;
}

/* pwrite all len bytes at off; returns 0 or -1. */
static int pwrite_all(int fd, const uint8_t *buf, size_t len, off_t off)
{
	ssize_t n;

	while (len > 0) {
		n = pwrite(fd, buf, len, off);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (n == 0) {
			errno = EIO;
			return -1;
		}
		buf += n;
		len -= (size_t)n;
		off += n;
	}
	return 0;
}

/*
 * Fill inflight descriptor state idx (split or packed layout) of a queue
 * whose region starts at base, if the queue has that descriptor.
 */
static int put_inflight_desc(int fd, bool packed, off_t base, uint16_t qsize,
			     uint16_t idx, uint64_t counter, uint32_t len,
			     uint64_t addr, uint16_t flags)
{
	uint8_t d[PACKED_DESC];
	size_t dsize = packed ? PACKED_DESC : SPLIT_DESC;
	off_t off = base + (off_t)(packed ? PACKED_HDR : SPLIT_HDR) +
		    (off_t)dsize * idx;

	if (idx >= qsize)
		return 0;
	memset(d, 0, sizeof(d));
	d[0] = 1;				/* inflight */
	put_le(d + 8, counter, 8);		/* counter */
	if (packed) {
		put_le(d + 6, 1, 2);		/* num */
		put_le(d + 16, idx, 2);		/* id */
		put_le(d + 18, flags, 2);	/* flags */
		put_le(d + 20, len, 4);		/* len */
		put_le(d + 24, addr, 8);	/* addr */
	}					/* split: next (@6) = 0 */
	return pwrite_all(fd, d, dsize, off);
}

/*
 * Create the inflight memfd: nq queue regions of stride bytes, each with
 * its header and descriptors 1 and 3 marked inflight.  Returns the fd, or
 * -1 (warning on stderr).
 */
static int make_inflight(uint64_t features, bool packed, uint16_t nq,
			 uint16_t qsize, size_t stride)
{
	uint8_t h[PACKED_HDR];
	off_t base;
	uint16_t q;
	int fd;

	fd = memfd_create("fake-backend-inflight", MFD_CLOEXEC);
	if (fd < 0) {
		warnx_("memfd_create: %s", strerror(errno));
		return -1;
	}
	if (ftruncate(fd, (off_t)(stride * nq)) < 0)
		goto fail;
	for (q = 0; q < nq; q++) {
		base = (off_t)(stride * q);
		memset(h, 0, sizeof(h));
		put_le(h, features, 8);		/* features */
		put_le(h + 8, 1, 2);		/* version */
		put_le(h + 10, qsize, 2);	/* desc_num */
		if (packed) {
			h[20] = 1;		/* used_wrap_counter */
			h[21] = 1;		/* old_used_wrap_counter */
		}
		if (pwrite_all(fd, h, packed ? PACKED_HDR : SPLIT_HDR,
			       base) < 0 ||
		    put_inflight_desc(fd, packed, base, qsize, 1, 5, 512,
				      0x2000, 2) < 0 ||
		    put_inflight_desc(fd, packed, base, qsize, 3, 7, 16,
				      0x3000, 0) < 0)
			goto fail;
	}
	return fd;
fail:
	warnx_("inflight memfd: %s", strerror(errno));
	close(fd);
	return -1;
}

/*
 * GET_INFLIGHT_FD: the inflight payload, with a fresh memfd in r->fd
 * (mmap_size 0 and no fd when the request is out of range or the memfd
 * cannot be made).
 */
static void build_inflight_reply(const struct session *s,
				 const struct msg *m, struct reply *r)
{
	uint16_t nq = payload_u16(m, 16), qsize = payload_u16(m, 18);
	bool packed = (s->features & VIRTIO_F_RING_PACKED) != 0;
	size_t stride;
	uint64_t size = 0;

	memset(r->payload, 0, INFLIGHT_PAYLOAD);
	memcpy(r->payload + 16, &nq, 2);
	memcpy(r->payload + 18, &qsize, 2);
	r->size = INFLIGHT_PAYLOAD;
	if (nq == 0 || nq > INFLIGHT_MAX_QUEUES || qsize == 0 ||
	    qsize > INFLIGHT_MAX_QSIZE) {
		log_line("inflight-rejected queues=%u queue_size=%u", nq,
			 qsize);
		return;
	}
	stride = (packed ? PACKED_HDR : SPLIT_HDR) +
		 (size_t)(packed ? PACKED_DESC : SPLIT_DESC) * qsize;
	stride = (stride + INFLIGHT_ALIGN - 1) & ~(size_t)(INFLIGHT_ALIGN - 1);
	r->fd = make_inflight(s->features, packed, nq, qsize, stride);
	if (r->fd < 0) {
		log_line("inflight-failed queues=%u queue_size=%u", nq, qsize);
		return;
	}
	size = (uint64_t)stride * nq;
	memcpy(r->payload, &size, 8);
	log_line("inflight-created size=%" PRIu64 " queues=%u queue_size=%u "
		 "layout=%s", size, nq, qsize, packed ? "packed" : "split");
}

/* SET_DEVICE_STATE_FD: the u64 reply. */
static uint64_t device_state_reply(const struct msg *m)
{
	if (m->fd < 0 || payload_u32(m, 0) > STATE_DIR_LOAD ||
	    payload_u32(m, 4) != 0)
		return STATE_ERR_NOFD;
	return STATE_OK_NOFD;
}

/*
 * Build the reply a well-behaved back-end would send; an fd to attach is
 * left in r->fd (the caller closes it, see reply_done).
 * Returns 1 with a reply of its own, REPLY_IS_ACK (2) with a REPLY_ACK u64
 * 0, 0 when none is due, -1 to close the connection.
 */
#define REPLY_IS_ACK 2
static int build_reply(const struct session *s, const struct msg *m,
		       struct reply *r)
{
	uint32_t idx, num;

	r->request = m->request;
	r->flags = REPLY_FLAGS;
	r->size = 0;
	r->fd = -1;
	switch (m->request) {
	case REQ_GET_FEATURES:
		reply_u64(r, opt_features);
		return 1;
	case REQ_GET_PROTOCOL_FEATURES:
		reply_u64(r, opt_proto_features);
		return 1;
	case REQ_GET_QUEUE_NUM:
		reply_u64(r, 2);
		return 1;
	case REQ_GET_MAX_MEM_SLOTS:
		reply_u64(r, 8);
		return 1;
	case REQ_GET_STATUS:
		reply_u64(r, s->status);
		return 1;
	case REQ_IOTLB_MSG:
	case REQ_POSTCOPY_END:
		reply_u64(r, 0);
		return 1;
	case REQ_CHECK_DEVICE_STATE:
		reply_u64(r, s->state_check);
		return 1;
	case REQ_SET_DEVICE_STATE_FD:
		reply_u64(r, device_state_reply(m));
		return 1;
	case REQ_GET_INFLIGHT_FD:
		build_inflight_reply(s, m, r);
		return 1;
	case REQ_GET_VRING_BASE:
		idx = payload_u32(m, 0);
		num = idx < MAX_VRINGS ? s->vring_base[idx] : 0;
		memcpy(r->payload, &idx, 4);
		memcpy(r->payload + 4, &num, 4);
		r->size = 8;
		return 1;
	case REQ_GET_CONFIG:
		return build_config_reply(r, m);
	default:
		break;
	}
	if ((m->flags & FLAG_NEED_REPLY) &&
	    (s->proto_features & PROTO_F_REPLY_ACK)) {
		reply_u64(r, 0);
		return REPLY_IS_ACK;
	}
	return 0;
}

/* Like build_reply, but always produce something (u64 0 if none is due). */
static int build_forced_reply(const struct session *s, const struct msg *m,
			      struct reply *r)
{
	int ret = build_reply(s, m, r);

	if (ret == 0) {
		reply_u64(r, 0);
		ret = 1;
	}
	return ret;
}

/*
 * Send len bytes, attaching nfds fds to the first chunk; gives up when the
 * peer has not taken everything after SEND_TIMEOUT_S seconds.
 * Returns 0, or -1 when the connection is unusable.
 */
static int send_all(int fd, const void *buf, size_t len, const int *fds,
		    int nfds)
{
	union {
		char buf[CMSG_SPACE(MAX_SEND_FDS * sizeof(int))];
		struct cmsghdr align;
	} cbuf;
	const uint8_t *p = buf;
	int64_t deadline = now_ms() + SEND_TIMEOUT_S * 1000;
	struct cmsghdr *c;
	struct msghdr mh;
	struct iovec iov;
	size_t off = 0, fdlen;
	ssize_t n;
	int ret;

	while (off < len) {
		iov.iov_base = (void *)(p + off);
		iov.iov_len = len - off;
		memset(&mh, 0, sizeof(mh));
		mh.msg_iov = &iov;
		mh.msg_iovlen = 1;
		if (nfds > 0 && nfds <= MAX_SEND_FDS) {
			fdlen = (size_t)nfds * sizeof(int);
			memset(&cbuf, 0, sizeof(cbuf));
			mh.msg_control = cbuf.buf;
			mh.msg_controllen = CMSG_SPACE(fdlen);
			c = CMSG_FIRSTHDR(&mh);
			c->cmsg_level = SOL_SOCKET;
			c->cmsg_type = SCM_RIGHTS;
			c->cmsg_len = CMSG_LEN(fdlen);
			memcpy(CMSG_DATA(c), fds, fdlen);
		}
		n = sendmsg(fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EINTR) {
				if (got_signal)
					quit(0);
				continue;
			}
			if (errno == EAGAIN) {
				ret = wait_until(fd, POLLOUT, deadline);
				if (ret > 0)
					continue;
				if (ret == 0)
					errno = ETIMEDOUT;
			}
			warnx_("send: %s", strerror(errno));
			return -1;
		}
		off += (size_t)n;
		nfds = 0;
	}
	return 0;
}

static void put_header(uint8_t *buf, uint32_t request, uint32_t flags,
		       uint32_t size)
{
	memcpy(buf, &request, 4);
	memcpy(buf + 4, &flags, 4);
	memcpy(buf + 8, &size, 4);
}

/* Send header (request, flags, size) followed by plen payload bytes. */
static int send_msg(int fd, uint32_t request, uint32_t flags, uint32_t size,
		    const uint8_t *payload, size_t plen, const int *fds,
		    int nfds)
{
	uint8_t buf[HDR_SIZE + MAX_PAYLOAD];

	if (plen > MAX_PAYLOAD)
		plen = MAX_PAYLOAD;
	put_header(buf, request, flags, size);
	if (plen) {
		if (payload)
			memcpy(buf + HDR_SIZE, payload, plen);
		else
			memset(buf + HDR_SIZE, 0, plen);
	}
	return send_all(fd, buf, HDR_SIZE + plen, fds, nfds);
}

/* Send header + plen bytes of r's payload, with r's fd if it has one. */
static int send_reply_part(int fd, const struct reply *r, uint32_t size,
			   size_t plen)
{
	return send_msg(fd, r->request, r->flags, size, r->payload, plen,
			&r->fd, r->fd >= 0 ? 1 : 0);
}

static int send_reply(int fd, const struct reply *r)
{
	return send_reply_part(fd, r, r->size, r->size);
}

/* Close the fd a built reply may hold. */
static void reply_done(struct reply *r)
{
	if (r->fd >= 0)
		close(r->fd);
	r->fd = -1;
}

/* Open n fds of /dev/null; returns 0, or -1 (none left open). */
static int open_null_fds(int *fds, uint32_t n)
{
	uint32_t i;

	for (i = 0; i < n; i++) {
		fds[i] = open("/dev/null", O_RDONLY | O_CLOEXEC);
		if (fds[i] < 0) {
			warnx_("open /dev/null: %s", strerror(errno));
			while (i-- > 0)
				close(fds[i]);
			return -1;
		}
	}
	return 0;
}

static void close_fds(const int *fds, uint32_t n)
{
	uint32_t i;

	for (i = 0; i < n; i++)
		close(fds[i]);
}

/* The reply with 3 /dev/null fds attached (after the reply's own fd). */
static int send_extra_fds(int fd, const struct reply *r)
{
	int fds[1 + EXTRA_FDS];
	int n = 0, ret;

	if (r->fd >= 0)
		fds[n++] = r->fd;
	if (open_null_fds(fds + n, EXTRA_FDS) < 0)
		return -1;
	ret = send_msg(fd, r->request, r->flags, r->size, r->payload, r->size,
		       fds, n + EXTRA_FDS);
	close_fds(fds + n, EXTRA_FDS);
	return ret;
}

/* SET_INFLIGHT_FD: log what arrived (nothing is kept). */
static void log_inflight_set(const struct msg *m)
{
	struct stat st;
	long long size = -1;

	if (m->fd < 0) {
		log_line("inflight-set nofd");
		return;
	}
	if (fstat(m->fd, &st) == 0)
		size = (long long)st.st_size;
	else
		warnx_("SET_INFLIGHT_FD fstat: %s", strerror(errno));
	log_line("inflight-set size=%lld mmap_size=%" PRIu64 " queues=%u "
		 "queue_size=%u", size, payload_u64(m, 0), payload_u16(m, 16),
		 payload_u16(m, 18));
}

/* Device state save: write the fake state to fd (bounded by 5 s), or with
 * DRIP_MS a byte at a time, DRIP_MS apart (5 s for each). */
static void save_device_state(struct session *s, int fd, uint32_t drip_ms)
{
	uint8_t buf[STATE_SAVE_BYTES];
	int64_t deadline = now_ms() + STATE_WAIT_MS;
	size_t off = 0, i;
	ssize_t n;
	int ret;

	memcpy(buf, STATE_SAVE_PREFIX, sizeof(STATE_SAVE_PREFIX) - 1);
	for (i = sizeof(STATE_SAVE_PREFIX) - 1; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(i & 0xff);
	while (off < sizeof(buf)) {
		ret = wait_until(fd, POLLOUT, deadline);
		if (ret <= 0) {
			warnx_("device state save: %s after %zu bytes",
			       ret ? strerror(errno) : "timeout", off);
			break;
		}
		n = write(fd, buf + off, drip_ms ? 1 : sizeof(buf) - off);
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			warnx_("device state save: %s after %zu bytes",
			       strerror(errno), off);
			break;
		}
		off += (size_t)n;
		if (drip_ms) {
			sleep_ms(drip_ms);
			deadline = now_ms() + STATE_WAIT_MS;
		}
	}
	log_line("device-state-saved bytes=%zu", off);
	s->state_check = 0;
}

/* Device state load: read fd until EOF (bounded by 1 MiB and 5 s), or with
 * DRIP_MS at most 4096 bytes every DRIP_MS ms (5 s for each). */
static void load_device_state(struct session *s, int fd, uint32_t drip_ms)
{
	static uint8_t buf[65536];
	uint8_t head[STATE_HEAD];
	char hex[2 * STATE_HEAD + 1];
	int64_t deadline = now_ms() + STATE_WAIT_MS;
	size_t total = 0, nhead = 0, want;
	ssize_t n;
	int ret;

	while (total < STATE_LOAD_MAX) {
		ret = wait_until(fd, POLLIN, deadline);
		if (ret <= 0) {
			warnx_("device state load: %s after %zu bytes",
			       ret ? strerror(errno) : "timeout", total);
			break;
		}
		want = STATE_LOAD_MAX - total;
		if (want > (drip_ms ? 4096 : sizeof(buf)))
			want = drip_ms ? 4096 : sizeof(buf);
		n = read(fd, buf, want);
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			warnx_("device state load: %s after %zu bytes",
			       strerror(errno), total);
			break;
		}
		if (n == 0)
			break;
		if (nhead < STATE_HEAD) {
			want = STATE_HEAD - nhead;
			if (want > (size_t)n)
				want = (size_t)n;
			memcpy(head + nhead, buf, want);
			nhead += want;
		}
		total += (size_t)n;
		if (drip_ms) {
			sleep_ms(drip_ms);
			deadline = now_ms() + STATE_WAIT_MS;
		}
	}
	if (total >= STATE_LOAD_MAX)
		warnx_("device state load: stopped at %d bytes",
		       STATE_LOAD_MAX);
	hex[hex_put(hex, head, (uint32_t)nhead)] = '\0';
	log_line("device-state-loaded bytes=%zu head=%s", total, hex);
	s->state_check = total ? 0 : 1;
}

/*
 * `ok': send the proper reply, then do what follows it (the device state
 * transfer, DRIP_MS slow; the fd it uses is closed here).
 */
static int do_ok_drip(int fd, struct session *s, struct msg *m, uint32_t drip_ms)
{
	struct reply r;
	int ret;

	if (m->request == REQ_SET_INFLIGHT_FD)
		log_inflight_set(m);
	ret = build_reply(s, m, &r);
	if (ret > 0)
		ret = send_reply(fd, &r);
	reply_done(&r);
	if (ret < 0 || m->request != REQ_SET_DEVICE_STATE_FD ||
	    device_state_reply(m) != STATE_OK_NOFD)
		return ret;
	if (payload_u32(m, 0) == STATE_DIR_SAVE)
		save_device_state(s, m->fd, drip_ms);
	else
		load_device_state(s, m->fd, drip_ms);
	close(m->fd);
	m->fd = -1;
	return ret;
}

static int do_ok(int fd, struct session *s, struct msg *m)
{
	return do_ok_drip(fd, s, m, 0);
}

static void close_channel(struct session *s)
{
	if (s->chan_fd >= 0)
		close(s->chan_fd);
	s->chan_fd = -1;
}

/*
 * SET_BACKEND_REQ_FD carrying exactly one fd: that fd becomes the channel
 * (taken from m).  Otherwise the channel is left as it is.
 */
static void keep_channel(struct session *s, struct msg *m)
{
	if (m->request != REQ_SET_BACKEND_REQ_FD && m->request != REQ_GPU_SET_SOCKET)
		return;
	if (m->nfds != 1 || m->nheld != 1) {
		warnx_("%s with %u fds, channel unchanged",
		       m->request == REQ_GPU_SET_SOCKET ? "GPU_SET_SOCKET" : "SET_BACKEND_REQ_FD", m->nfds);
		return;
	}
	close_channel(s);
	s->chan_fd = m->fds[0];
	m->nheld = 0;
}

/* Read the front-end's reply to a back-end request from the channel; log it. */
static void read_backend_reply(struct session *s)
{
	static uint8_t payload[MAX_PAYLOAD];
	static char line[128 + 2 * MAX_PAYLOAD];
	int64_t deadline = now_ms() + BACKEND_WAIT_MS;
	uint32_t request, flags, size, nfds = 0;
	uint8_t hdr[HDR_SIZE];
	enum rx_status st;
	size_t got, len;

	st = recv_bytes(s->chan_fd, hdr, sizeof(hdr), &got, &nfds, NULL,
			deadline);
	if (st != RX_OK) {
		log_line("backend-reply none");
		if (st == RX_EOF || got) {
			warnx_("back-end channel: %s after %zu of %d header "
			       "bytes, closing it", st == RX_EOF ? "EOF" :
			       "timeout", got, HDR_SIZE);
			close_channel(s);
		}
		return;
	}
	memcpy(&request, hdr, 4);
	memcpy(&flags, hdr + 4, 4);
	memcpy(&size, hdr + 8, 4);
	if (size > MAX_PAYLOAD) {
		log_line("backend-reply req=%u flags=0x%x size=%u", request,
			 flags, size);
		warnx_("back-end reply size %u exceeds %d, closing channel",
		       size, MAX_PAYLOAD);
		close_channel(s);
		return;
	}
	if (size) {
		st = recv_bytes(s->chan_fd, payload, size, &got, &nfds, NULL,
				deadline);
		if (st != RX_OK) {
			log_line("backend-reply none");
			warnx_("back-end channel: %s after %zu of %u payload "
			       "bytes, closing it", st == RX_EOF ? "EOF" :
			       "timeout", got, size);
			close_channel(s);
			return;
		}
	}
	len = (size_t)snprintf(line, sizeof(line),
			       "backend-reply req=%u flags=0x%x size=%u payload=",
			       request, flags, size);
	len += hex_put(line + len, payload, size);
	line[len++] = '\n';
	log_write(line, len);
}

/* Send the back-end request b on the channel (then read the reply). */
static void send_backend(struct session *s, const struct backend_spec *b)
{
	int fds[MAX_SEND_FDS];

	if (s->chan_fd < 0) {
		log_line("backend-sent none (no channel)");
		return;
	}
	if (open_null_fds(fds, b->nfds) < 0) {
		log_line("backend-sent none (open failed)");
		return;
	}
	if (b->short_hdr) {
		uint32_t h[3] = { b->request, b->flags, b->size_set ? b->size_field : b->size };
		ssize_t n = send(s->chan_fd, h, b->short_hdr, MSG_NOSIGNAL);

		close_fds(fds, b->nfds);
		log_line("backend-sent short=%zd", n);
		close_channel(s);
		return;
	}
	if (b->flood) {
		uint32_t n = 0;

		while (n < b->flood && send_msg(s->chan_fd, b->request, b->flags, b->size,
						b->payload, b->size, fds, (int)b->nfds) == 0)
			n++;
		close_fds(fds, b->nfds);
		log_line("backend-flood sent=%u", n);
		return;
	}
	if (send_msg(s->chan_fd, b->request, b->flags, b->size_set ? b->size_field : b->size, b->payload,
		     b->size, fds, (int)b->nfds) < 0) {
		close_fds(fds, b->nfds);
		log_line("backend-sent none (send failed)");
		close_channel(s);
		return;
	}
	close_fds(fds, b->nfds);
	log_line("backend-sent req=%u flags=0x%x size=%u fds=%u", b->request,
		 b->flags, b->size, b->nfds);
	if (b->wait || (b->flags & FLAG_NEED_REPLY))
		read_backend_reply(s);
}

static pid_t shrinker = -1;	/* shrink-inflight's child, or -1 */

/* The shrink-inflight child: FD goes from SIZE bytes to 0 and back, over
 * and over, while the parent lives (it kills the child when done). */
static void start_shrinker(int fd, off_t size)
{
	pid_t parent = getpid(), pid = fork();
	int64_t end;

	if (pid < 0) {
		warnx_("fork: %s", strerror(errno));
		return;
	}
	if (pid > 0) {
		shrinker = pid;
		log_line("inflight-shrinking");
		return;
	}
	end = now_ms() + IDLE_TIMEOUT_MS;
	/* A while in each state, so that a reader sees both. */
	while (!got_signal && getppid() == parent && now_ms() < end) {
		if (ftruncate(fd, 0) < 0 || usleep(100) < 0 || ftruncate(fd, size) < 0)
			break;
		usleep(100);
	}
	_exit(0);
}

static void stop_shrinker(void)
{
	if (shrinker < 0)
		return;
	kill(shrinker, SIGTERM);
	waitpid(shrinker, NULL, 0);
	shrinker = -1;
}

/* GET_INFLIGHT_FD's `ok' reply whose memfd is cut to half, or then keeps
 * shrinking (short-inflight, shrink-inflight). */
static int do_inflight_shrink(int fd, struct session *s, struct msg *m, bool keep_shrinking)
{
	struct reply r;
	uint64_t size;
	int ret;

	if (m->request != REQ_GET_INFLIGHT_FD)
		return do_ok(fd, s, m);
	build_reply(s, m, &r);
	memcpy(&size, r.payload, 8);
	if (r.fd >= 0 && !keep_shrinking && ftruncate(r.fd, (off_t)(size / 2)) < 0)
		warnx_("ftruncate: %s", strerror(errno));
	ret = send_reply(fd, &r);
	if (ret == 0 && r.fd >= 0 && keep_shrinking)
		start_shrinker(r.fd, (off_t)size);
	reply_done(&r);
	return ret;
}

/*
 * Apply action a to message m.
 * Returns 0 to keep the connection, -1 to close it.
 */
static int do_action(int fd, const struct action *a, struct session *s,
		     struct msg *m)
{
	uint8_t hdr[HDR_SIZE];
	struct reply r;
	int ret;

	switch (a->kind) {
	case ACT_DELAY:
		sleep_ms(a->delay_ms);
		return do_ok(fd, s, m);
	case ACT_DRIP:
		return do_ok_drip(fd, s, m, a->delay_ms);
	case ACT_OK:
		return do_ok(fd, s, m);
	case ACT_BACKEND:
		if (do_ok(fd, s, m) < 0)
			return -1;
		send_backend(s, a->backend);
		return 0;
	case ACT_NOREPLY:
		return 0;
	case ACT_CLOSE:
		return -1;
	case ACT_CLOSE_HEADER:
		put_header(hdr, m->request, REPLY_FLAGS, 8);
		send_all(fd, hdr, 5, NULL, 0);
		return -1;
	case ACT_OVERSIZE:
		return send_msg(fd, m->request, REPLY_FLAGS, OVERSIZE_SIZE, NULL,
				MAX_PAYLOAD, NULL, 0);
	case ACT_GARBAGE:
		memset(hdr, 0xff, sizeof(hdr));
		return send_all(fd, hdr, sizeof(hdr), NULL, 0);
	case ACT_SHORT_EXTRA: {
		uint8_t extra[8];
		int fds[EXTRA_FDS];

		put_header(hdr, m->request, REPLY_FLAGS, 0);
		if (send_all(fd, hdr, sizeof(hdr), NULL, 0) < 0 || open_null_fds(fds, EXTRA_FDS) < 0)
			return -1;
		memset(extra, 0x2a, sizeof(extra));
		ret = send_msg(fd, 99, 0x1, sizeof(extra), extra, sizeof(extra), fds, EXTRA_FDS);
		close_fds(fds, EXTRA_FDS);
		return ret;
	}
	case ACT_SHORT_INFLIGHT:
	case ACT_SHRINK_INFLIGHT:
		return do_inflight_shrink(fd, s, m, a->kind == ACT_SHRINK_INFLIGHT);
	case ACT_CONFIG_SHORT:
		if (m->request != REQ_GET_CONFIG)
			return do_ok(fd, s, m);
		if (build_reply(s, m, &r) < 0)
			return -1;
		if (r.size >= CONFIG_HDR + 4)
			r.size -= 4;	/* the size field stays */
		return send_reply(fd, &r);
	case ACT_EXIT:
		close(fd);
		quit(0);
	case ACT_CRASH:
		abort();
	case ACT_U64:
		r.request = m->request;
		r.flags = REPLY_FLAGS;
		r.fd = -1;
		reply_u64(&r, a->u64);
		return send_reply(fd, &r);
	case ACT_ACK_TOO:
		if ((ret = do_ok(fd, s, m)) < 0)
			return ret;
		r.request = m->request;
		r.flags = REPLY_FLAGS;
		r.fd = -1;
		reply_u64(&r, 0);
		return send_reply(fd, &r);
	case ACT_NACK:
		ret = build_reply(s, m, &r);
		if (ret < 0)
			return -1;
		if (ret == 0)
			return 0;
		if (ret == REPLY_IS_ACK)
			reply_u64(&r, 1);
		ret = send_reply(fd, &r);
		reply_done(&r);
		return ret;
	default:
		break;
	}

	/* The remaining actions mangle a (forced) proper reply. */
	if (build_forced_reply(s, m, &r) < 0)
		return -1;
	switch (a->kind) {
	case ACT_WRONG_FLAGS:
		r.flags = REPLY_FLAGS | FLAG_NEED_REPLY;
		ret = send_reply(fd, &r);
		break;
	case ACT_FLAGS:
		r.flags = (uint32_t)a->u64;
		ret = send_reply(fd, &r);
		break;
	case ACT_WRONG_REQUEST:
		r.request++;
		ret = send_reply(fd, &r);
		break;
	case ACT_CLOSE_PAYLOAD:
		send_reply_part(fd, &r, 8, 3);
		ret = -1;
		break;
	case ACT_BAD_SIZE:
		ret = send_reply_part(fd, &r, 4, 4);
		break;
	case ACT_EXTRA_FDS:
		ret = send_extra_fds(fd, &r);
		break;
	default:
		ret = -1;
		break;
	}
	reply_done(&r);
	return ret;
}

/*
 * SET_INFLIGHT_FD / SET_DEVICE_STATE_FD carrying exactly one fd: hold it
 * in m->fd for the action (taken from m's fds).
 */
static void hold_fd(struct msg *m)
{
	m->fd = -1;
	if ((m->request == REQ_SET_INFLIGHT_FD ||
	     m->request == REQ_SET_DEVICE_STATE_FD) &&
	    m->nfds == 1 && m->nheld == 1) {
		m->fd = m->fds[0];
		m->nheld = 0;
	}
}

static void serve(int fd)
{
	struct session *s;
	struct msg *m;
	struct action a;
	int ret;

	s = calloc(1, sizeof(*s));
	m = malloc(sizeof(*m));
	if (!s || !m) {
		warnx_("out of memory");
		goto out;
	}
	s->chan_fd = -1;
	if (opt_rings && !(s->rings = rings_new(opt_rings_mode, opt_honour_enable, log_line))) {
		warnx_("out of memory");
		goto out;
	}
	serving = s->rings;
	while (read_msg(fd, m)) {
		if (opt_fragile_msgs)
			fragile_check(m);
		update_session(s, m);
		if (s->rings)
			rings_message(s->rings, m->request, m->payload, m->size, m->fds, m->nheld);
		keep_channel(s, m);
		hold_fd(m);
		close_msg_fds(m);
		a = next_action(m->request);
		ret = do_action(fd, &a, s, m);
		if (m->fd >= 0)
			close(m->fd);
		m->fd = -1;
		if (ret < 0)
			break;
	}
out:
	stop_shrinker();
	serving = NULL;
	if (s) {
		close_channel(s);
		rings_free(s->rings);
	}
	free(m);
	free(s);
	close(fd);
}

static int accept_conn(int lfd)
{
	int fd;

	for (;;) {
		if (wait_readable(lfd) < 0) {
			warnx_("poll: %s", strerror(errno));
			quit(1);
		}
		fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (fd >= 0) {
			touch_activity();
			return fd;
		}
		if (errno != EINTR && errno != EAGAIN && errno != ECONNABORTED)
			warnx_("accept: %s", strerror(errno));
	}
}

static int listen_socket(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct stat st;
	int fd;

	if (strlen(path) >= sizeof(sun.sun_path)) {
		warnx_("socket path too long: %s", path);
		return -1;
	}
	strcpy(sun.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		warnx_("socket: %s", strerror(errno));
		return -1;
	}
	if (unlink(path) < 0 && errno != ENOENT)
		warnx_("unlink %s: %s", path, strerror(errno));
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0 ||
	    listen(fd, 8) < 0 || stat(path, &st) < 0) {
		warnx_("%s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	sock_dev = st.st_dev;
	sock_ino = st.st_ino;
	sock_created = true;
	return fd;
}

static int write_pidfile(const char *path)
{
	char tmp[PATH_MAX], buf[32];
	int fd, len;
	bool ok;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path, (int)getpid()) >=
	    (int)sizeof(tmp)) {
		warnx_("pidfile path too long: %s", path);
		return -1;
	}
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		warnx_("%s: %s", tmp, strerror(errno));
		return -1;
	}
	len = snprintf(buf, sizeof(buf), "%d\n", (int)getpid());
	ok = write(fd, buf, (size_t)len) == len;
	if (close(fd) < 0)
		ok = false;
	if (!ok || rename(tmp, path) < 0) {
		warnx_("%s: %s", path, strerror(errno));
		unlink(tmp);
		return -1;
	}
	return 0;
}

static int parse_u32(const char *s, const char *end, uint32_t *out)
{
	unsigned long long v;
	char *e;

	if (s == end || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoull(s, &e, 10);
	if (errno || e != end || v > UINT32_MAX)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

static int parse_hex(const char *s, uint64_t *out)
{
	unsigned long long v;
	char *e;

	errno = 0;
	v = strtoull(s, &e, 16);
	if (errno || e == s || *e || *s == '-')
		return -1;
	*out = v;
	return 0;
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decode the hex string s (even length, at most MAX_PAYLOAD bytes) into b. */
static int parse_payload(const char *s, struct backend_spec *b)
{
	size_t n = strlen(s), i;
	int hi, lo;

	if (n % 2 || n / 2 > MAX_PAYLOAD)
		return -1;
	free(b->payload);
	b->payload = NULL;
	b->size = (uint32_t)(n / 2);
	if (!b->size)
		return 0;
	b->payload = malloc(b->size);
	if (!b->payload)
		return -1;
	for (i = 0; i < b->size; i++) {
		hi = hex_digit(s[2 * i]);
		lo = hex_digit(s[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return -1;
		b->payload[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

/* Parse the SPEC of `backend=SPEC': ID[,flags=HEX][,payload=HEX][,fds=N][,wait][,flood=N][,size=N][,short=N] */
static int parse_backend(const char *spec, struct action *a)
{
	struct backend_spec *b = calloc(1, sizeof(*b));
	char *copy = strdup(spec), *rest = copy, *tok;
	uint64_t v;
	int ret = -1;

	if (!b || !copy)
		goto out;
	b->flags = FLAG_VERSION;
	tok = strsep(&rest, ",");
	if (parse_u32(tok, tok + strlen(tok), &b->request) < 0)
		goto out;
	while ((tok = strsep(&rest, ",")) != NULL) {
		if (strncmp(tok, "flags=", 6) == 0) {
			if (parse_hex(tok + 6, &v) < 0 || v > UINT32_MAX)
				goto out;
			b->flags = (uint32_t)v;
		} else if (strncmp(tok, "payload=", 8) == 0) {
			if (parse_payload(tok + 8, b) < 0)
				goto out;
		} else if (strncmp(tok, "fds=", 4) == 0) {
			if (parse_u32(tok + 4, tok + strlen(tok), &b->nfds) < 0 ||
			    b->nfds > MAX_SEND_FDS)
				goto out;
		} else if (strcmp(tok, "wait") == 0) {
			b->wait = true;
		} else if (strncmp(tok, "size=", 5) == 0) {
			if (parse_u32(tok + 5, tok + strlen(tok), &b->size_field) < 0)
				goto out;
			b->size_set = true;
		} else if (strncmp(tok, "short=", 6) == 0) {
			if (parse_u32(tok + 6, tok + strlen(tok), &b->short_hdr) < 0 ||
			    b->short_hdr == 0 || b->short_hdr >= HDR_SIZE)
				goto out;
		} else if (strncmp(tok, "flood=", 6) == 0) {
			if (parse_u32(tok + 6, tok + strlen(tok), &b->flood) < 0 ||
			    b->flood == 0 || b->flood > 100000)
				goto out;
		} else {
			goto out;
		}
	}
	a->kind = ACT_BACKEND;
	a->backend = b;
	b = NULL;
	ret = 0;
out:
	if (b)
		free(b->payload);
	free(b);
	free(copy);
	return ret;
}

static int parse_action(const char *arg, struct action *a)
{
	const char *p = arg, *star = strchr(arg, '*');
	size_t i;

	a->count = 1;
	a->delay_ms = 0;
	a->backend = NULL;
	if (star) {
		if (parse_u32(arg, star, &a->count) < 0 || a->count == 0)
			return -1;
		p = star + 1;
	}
	if (strncmp(p, "backend=", 8) == 0)
		return parse_backend(p + 8, a);
	if (strncmp(p, "u64=", 4) == 0) {
		a->kind = ACT_U64;
		return parse_hex(p + 4, &a->u64);
	}
	if (strncmp(p, "flags=", 6) == 0) {
		a->kind = ACT_FLAGS;
		return parse_hex(p + 6, &a->u64);
	}
	if (strncmp(p, "delay=", 6) == 0) {
		a->kind = ACT_DELAY;
		return parse_u32(p + 6, p + strlen(p), &a->delay_ms);
	}
	if (strncmp(p, "drip=", 5) == 0) {
		a->kind = ACT_DRIP;
		return parse_u32(p + 5, p + strlen(p), &a->delay_ms) < 0 || a->delay_ms == 0 ? -1 : 0;
	}
	for (i = 0; i < sizeof(act_names) / sizeof(act_names[0]); i++) {
		if (strcmp(p, act_names[i].name) == 0) {
			a->kind = act_names[i].kind;
			return 0;
		}
	}
	return -1;
}

static void __attribute__((noreturn)) usage(void)
{
	fputs("usage: fake-backend [--log FILE] [--pidfile FILE] "
	      "[--features HEX] [--protocol-features HEX]\n"
	      "                    [--on REQ=ACTION]... [--rings inorder|reverse|repeat|fragile|stall|poll]\n"
	      "                    [--honour-enable] [--config-size N] [--fragile-msgs] SOCKET [ACTION...]\n"
	      "actions: [N*]ok|noreply|close|close-header|close-payload|"
	      "wrong-flags|wrong-request|oversize|bad-size|short-extra|extra-fds|garbage|config-short|"
	      "short-inflight|shrink-inflight|"
	      "delay=MS|drip=MS|exit|crash|nack|ack-too|u64=HEX|flags=HEX|\n"
	      "         backend=ID[,flags=HEX][,payload=HEX][,fds=N][,wait][,flood=N][,size=N][,short=N]\n",
	      stderr);
	exit(2);
}

/* Parse options; returns the index of SOCKET in argv. */
static int parse_args(int argc, char **argv, const char **logp,
		      const char **pidp)
{
	const char *opt;
	int i;

	for (i = 1; i < argc && strncmp(argv[i], "--", 2) == 0; i++) {
		opt = argv[i];
		if (strcmp(opt, "--") == 0) {
			i++;
			break;
		}
		if (strcmp(opt, "--fragile-msgs") == 0) {
			opt_fragile_msgs = true;
			continue;
		}
		if (strcmp(opt, "--honour-enable") == 0) {
			opt_honour_enable = true;
			continue;
		}
		if (i + 1 >= argc)
			usage();
		if (strcmp(opt, "--log") == 0)
			*logp = argv[++i];
		else if (strcmp(opt, "--pidfile") == 0)
			*pidp = argv[++i];
		else if (strcmp(opt, "--features") == 0) {
			if (parse_hex(argv[++i], &opt_features) < 0)
				usage();
		} else if (strcmp(opt, "--protocol-features") == 0) {
			if (parse_hex(argv[++i], &opt_proto_features) < 0)
				usage();
		} else if (strcmp(opt, "--on") == 0) {
			const char *arg = argv[++i], *eq = strchr(arg, '=');
			struct on_rule *o = &on_rules[n_on_rules];

			if (!eq || n_on_rules == sizeof(on_rules) / sizeof(on_rules[0]) ||
			    parse_u32(arg, eq, &o->request) < 0 || strchr(eq + 1, '*') ||
			    parse_action(eq + 1, &o->action) < 0)
				usage();
			n_on_rules++;
		} else if (strcmp(opt, "--config-size") == 0) {
			const char *arg = argv[++i];
			uint32_t n;

			if (parse_u32(arg, arg + strlen(arg), &n) < 0)
				usage();
			opt_config_size = n;
		} else if (strcmp(opt, "--rings") == 0) {
			if (rings_parse_mode(argv[++i], &opt_rings_mode) < 0)
				usage();
			opt_rings = true;
		} else {
			usage();
		}
	}
	if (i >= argc)
		usage();
	return i;
}

int main(int argc, char **argv)
{
	const char *log_path = NULL, *pid_path = NULL;
	int i, sidx, lfd;

	sidx = parse_args(argc, argv, &log_path, &pid_path);
	sock_path = argv[sidx];
	actions = calloc((size_t)argc, sizeof(*actions));
	if (!actions)
		return 1;
	for (i = sidx + 1; i < argc; i++) {
		if (parse_action(argv[i], &actions[nactions++]) < 0) {
			warnx_("bad action: %s", argv[i]);
			usage();
		}
	}
	if (setup_signals() < 0) {
		warnx_("sigaction: %s", strerror(errno));
		return 1;
	}
	if (log_path) {
		log_fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC,
			      0644);
		if (log_fd < 0) {
			warnx_("%s: %s", log_path, strerror(errno));
			return 1;
		}
	}
	lfd = listen_socket(sock_path);
	if (lfd < 0)
		return 1;
	if (pid_path && write_pidfile(pid_path) < 0)
		quit(1);
	touch_activity();
	for (;;) {
		serve(accept_conn(lfd));
		touch_activity();
	}
}
