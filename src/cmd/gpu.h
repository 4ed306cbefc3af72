/* gpu.h - the vhost-user-gpu socket as the session serves it (cmd_gpu.c). */
#ifndef VHUCTL_CMD_GPU_H
#define VHUCTL_CMD_GPU_H

#include "cmd/session.h"

/* Serve the kept "gpu-socket" from now on, while any wait is in progress. */
void gpu_attach(struct session *s);
/* The gpu socket's fd, -1 none. */
int gpu_socket_fd(const struct session *s);
/* Serve what is waiting on the gpu socket now (bounded), without waiting. */
void gpu_poll(struct session *s);

#endif
