/* pcap.c - vhuctl monitor --pcap: every message relayed, as a pcapng file Wireshark reads with vhuctl's Lua dissector. */
#include <errno.h>
#include <string.h>
#include <time.h>

#include "monitor/pcap.h"

/* pcapng (draft-ietf-opsawg-pcapng): blocks of 32-bit words, in the
 * writer's byte order, announced by the section header's magic. */
#define SHB_TYPE 0x0a0d0d0au
#define IDB_TYPE 0x00000001u
#define EPB_TYPE 0x00000006u
#define BYTE_ORDER_MAGIC 0x1a2b3c4du

static void put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);	/* host order, as the section's magic says */
}

static void put16(uint8_t *p, uint16_t v)
{
	memcpy(p, &v, 2);
}

int pcap_open(struct pcap_out *p, const char *path, char *err, size_t len)
{
	uint8_t shb[28] = { 0 }, idb[20] = { 0 };
	uint64_t section_len = UINT64_MAX;	/* not given */

	p->path = path;
	p->failed = false;
	p->f = fopen(path, "we");
	if (!p->f) {
		snprintf(err, len, "%s: %s", path, strerror(errno));
		return -1;
	}
	put32(shb, SHB_TYPE);
	put32(shb + 4, sizeof(shb));
	put32(shb + 8, BYTE_ORDER_MAGIC);
	put16(shb + 12, 1);	/* version 1.0 */
	put16(shb + 14, 0);
	memcpy(shb + 16, &section_len, 8);
	put32(shb + 24, sizeof(shb));
	put32(idb, IDB_TYPE);
	put32(idb + 4, sizeof(idb));
	put16(idb + 8, PCAP_LINKTYPE);
	put32(idb + 12, 0);	/* no snapshot length */
	put32(idb + 16, sizeof(idb));	/* timestamps in microseconds: the default */
	if (fwrite(shb, sizeof(shb), 1, p->f) != 1 || fwrite(idb, sizeof(idb), 1, p->f) != 1) {
		snprintf(err, len, "%s: %s", path, strerror(errno));
		fclose(p->f);
		p->f = NULL;
		return -1;
	}
	return 0;
}

void pcap_message(struct pcap_out *p, enum mon_dir dir, unsigned session, uint64_t seq, const struct vhu_msg *m)
{
	static const uint8_t zeros[4];
	uint8_t head[28], pseudo[PCAP_PSEUDO_LEN], hdr[VHU_HDR_SIZE], tail[4];
	uint32_t caplen = PCAP_PSEUDO_LEN + VHU_HDR_SIZE + m->len, pad = (4 - caplen % 4) % 4;
	uint32_t total = sizeof(head) + caplen + pad + sizeof(tail);
	struct timespec ts;
	uint64_t us;

	if (!p->f)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	us = (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
	put32(head, EPB_TYPE);
	put32(head + 4, total);
	put32(head + 8, 0);	/* interface 0 */
	put32(head + 12, (uint32_t)(us >> 32));
	put32(head + 16, (uint32_t)us);
	put32(head + 20, caplen);
	put32(head + 24, caplen);
	memset(pseudo, 0, sizeof(pseudo));
	pseudo[0] = 1;
	pseudo[1] = (uint8_t)dir;
	pseudo[2] = (uint8_t)m->nfds;
	pseudo[3] = m->fds_truncated ? 1 : 0;
	/* little-endian whatever the host: the dissector reads it so */
	for (int i = 0; i < 4; i++)
		pseudo[4 + i] = (uint8_t)(session >> (8 * i));
	for (int i = 0; i < 8; i++)
		pseudo[8 + i] = (uint8_t)(seq >> (8 * i));
	memcpy(hdr, &m->request, 4);
	memcpy(hdr + 4, &m->flags, 4);
	memcpy(hdr + 8, &m->size, 4);
	put32(tail, total);
	if (fwrite(head, sizeof(head), 1, p->f) != 1 || fwrite(pseudo, sizeof(pseudo), 1, p->f) != 1 ||
	    fwrite(hdr, sizeof(hdr), 1, p->f) != 1 || (m->len && fwrite(m->payload, m->len, 1, p->f) != 1) ||
	    (pad && fwrite(zeros, pad, 1, p->f) != 1) || fwrite(tail, sizeof(tail), 1, p->f) != 1)
		p->failed = true;
}

void pcap_flush(struct pcap_out *p)
{
	if (p->f && fflush(p->f) != 0)
		p->failed = true;
}

bool pcap_close(struct pcap_out *p)
{
	bool ok = !p->failed;

	if (p->f && fclose(p->f) != 0)
		ok = false;
	p->f = NULL;
	return ok;
}
