/* pcap.h - vhuctl monitor --pcap: every message relayed, as a pcapng file Wireshark reads with vhuctl's Lua dissector. */
#ifndef VHUCTL_MONITOR_PCAP_H
#define VHUCTL_MONITOR_PCAP_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "core/wire.h"
#include "monitor/mevent.h"

/* The link type of the interface: LINKTYPE_USER0, which the dissector
 * (wireshark/vhost-user.lua) claims. */
#define PCAP_LINKTYPE 147u
/* Each packet: this pseudo-header, then the message as it came (the
 * 12-byte header, the payload). Little-endian:
 *   u8 version (1), u8 direction (enum mon_dir), u8 fds attached,
 *   u8 flags (bit 0: more fds than the kernel passed), u32 session, u64 seq */
#define PCAP_PSEUDO_LEN 16u

struct pcap_out {
	FILE *f;
	const char *path;
	bool failed;
};

/* Create PATH with its section and interface blocks; -1 with ERR. */
int pcap_open(struct pcap_out *p, const char *path, char *err, size_t len);
/* Message M of SESSION (its SEQ), which went DIR. */
void pcap_message(struct pcap_out *p, enum mon_dir dir, unsigned session, uint64_t seq, const struct vhu_msg *m);
void pcap_flush(struct pcap_out *p);
/* false when something could not be written */
bool pcap_close(struct pcap_out *p);

#endif
