/* inflight.h - decode the inflight area a back-end shares (GET_INFLIGHT_FD), trusting nothing in it. */
#ifndef VHUCTL_INFLIGHT_H
#define VHUCTL_INFLIGHT_H

#include <stdbool.h>
#include <stdint.h>
#include <json-c/json.h>

/* Decode NQUEUES queue regions of STRIDE bytes each, back to back at AREA,
 * in the split or PACKED layout: one object per queue into the array
 * QUEUES, what is wrong into the array ANOMALIES. Only the LEN bytes at AREA
 * are there (a copy of what the fd held): a queue past them is an anomaly.
 * Nothing outside [AREA, AREA + LEN) is read. */
void inflight_decode(const uint8_t *area, uint64_t len, uint64_t stride, unsigned nqueues, bool packed,
		     struct json_object *queues, struct json_object *anomalies);

#endif
