/* fake-rings.h - the fake back-end's device side: guest memory and the split rings it serves. */
#ifndef FAKE_RINGS_H
#define FAKE_RINGS_H

#include <poll.h>
#include <stdbool.h>
#include <stdint.h>

/* How the chains made available are given back (--rings MODE). */
enum rings_mode {
	RINGS_INORDER,	/* each at once, in the order they were made available */
	RINGS_REVERSE,	/* the chains of one kick, newest first */
	RINGS_REPEAT,	/* in order, each used entry written twice */
	RINGS_FRAGILE,	/* in order, but a chain no driver may make aborts the process */
	RINGS_STALL,	/* in order, but such a chain stops the process serving anything */
	RINGS_POLL,	/* in order, and every ring also served unkicked, as a poller */
};

struct fake_rings;

/* Parse MODE ("inorder", "reverse", "repeat", "fragile", "stall", "poll"): 0, or -1. */
int rings_parse_mode(const char *s, enum rings_mode *mode);
/* LOG receives one line per used entry written (no newline). With
 * HONOUR_ENABLE a ring is served only while the ring states say it is
 * enabled: always, unless VHOST_USER_F_PROTOCOL_FEATURES was set by
 * SET_FEATURES; then once SET_VRING_ENABLE 1 came (and until a 0).
 * NULL when out of memory. */
struct fake_rings *rings_new(enum rings_mode mode, bool honour_enable, void (*log)(const char *fmt, ...));
/* Unmap the memory and close the eventfds. */
void rings_free(struct fake_rings *r);
/* Take what a front-end message sets: SET_MEM_TABLE maps its regions,
 * SET_VRING_NUM/BASE/ADDR describe a ring, SET_VRING_KICK/CALL give its
 * eventfds (dup'ed: the caller still closes FDS), SET_FEATURES and
 * SET_VRING_ENABLE its state (an enable serves the ring at once). */
void rings_message(struct fake_rings *r, uint32_t request, const uint8_t *payload,
		   uint32_t size, const int *fds, uint32_t nfds);
/* Fill P (at most MAX) with the kick eventfds to wait on, WHICH[i] the ring
 * of P[i]; returns how many. */
unsigned rings_pollfds(const struct fake_rings *r, struct pollfd *p, unsigned *which,
		       unsigned max);
/* Ring RING was kicked: read the eventfd, take every chain made available
 * since the last kick and give it back as the mode says, then signal the
 * call eventfd. */
void rings_kicked(struct fake_rings *r, unsigned ring);
/* RINGS_POLL: serve every ring with an address as if kicked (no eventfd
 * read); returns the ms to wait before the next call, or -1 in other modes. */
int rings_poll(struct fake_rings *r);

#endif
