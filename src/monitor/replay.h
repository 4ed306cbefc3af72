/* replay.h - vhuctl monitor --replay: a recorded session's front-end side sent again to a back-end, its answers compared with the recorded ones. */
#ifndef VHUCTL_MONITOR_REPLAY_H
#define VHUCTL_MONITOR_REPLAY_H

#include <stdbool.h>
#include <stddef.h>
#include <json-c/json.h>

#include "core/features.h"

struct replay_opts {
	const char *path;		/* the recording (vhuctl monitor -w) */
	unsigned session;		/* which of its sessions, from 1 */
	const char *socket;		/* the back-end's */
	enum vhu_device dev;		/* how replies are decoded (--device) */
	/* Where each object goes: the monitor's printer; it takes O. */
	bool (*print)(void *ctx, struct json_object *o);
	void *ctx;
};

/* The answers the same as recorded (0), or not (REPLAY_DIFFER); -1 with
 * ERR when the recording cannot be read or the back-end reached. */
#define REPLAY_DIFFER 3
int replay_run(const struct replay_opts *o, char *err, size_t errlen);

#endif
