/* cmd_gpu.c - virtio-gpu: the vhost-user-gpu socket vhuctl serves, 2D commands on the control queue, screenshots. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/gpu.h"
#include "cmd/rings.h"
#include "core/jb.h"
#include "core/render.h"

#define GPU_CTRL 0		/* controlq */
#define GPU_ROOM 4096u		/* gpu raw: response bytes by default */
#define GPU_WAITER 1		/* wire waiter slot of the gpu socket */
#define GPU_PAGE 4096u

int gpu_socket_fd(const struct session *s)
{
	return session_kept_fd(s, "gpu-socket");
}

static struct gpu_state *state(struct session *s)
{
	if (!s->gpu && (s->gpu = calloc(1, sizeof(*s->gpu)))) {
		/* One 1024x768 display; EDID answered (so a back-end that was
		 * given VIRTIO_GPU_F_EDID does not give up). */
		s->gpu->modes[0] = (struct gpu_mode){ 1024, 768 };
		s->gpu->nmodes = 1;
		s->gpu->edid = true;
		s->gpu->protocol_offer = UINT64_C(1) << GPU_PROTOCOL_F_EDID;
		for (unsigned i = 0; i < GPU_SCANOUTS; i++)
			s->gpu->scanout[i].format = 2;	/* B8G8R8X8_UNORM, until gpu scanout says */
	}
	return s->gpu;
}

static void emit(struct session *s, struct json_object *ev)
{
	s->backend_events++;
	if (s->emit)
		s->emit(s, ev);
	json_object_put(ev);
}

/* SCANOUT: a new size for scanout N, its pixels black. */
static void on_scanout(struct gpu_state *g, const uint8_t *p, struct json_object *ev)
{
	uint32_t n = gpu_get32(p), w = gpu_get32(p + 4), h = gpu_get32(p + 8);
	struct gpu_scanout *sc;

	if (n >= GPU_SCANOUTS) {
		jb_warn(ev, "scanout_id is not below 16 (VIRTIO_GPU_MAX_SCANOUTS): ignored");
		return;
	}
	sc = &g->scanout[n];
	free(sc->pix);
	sc->pix = NULL;
	sc->width = sc->height = 0;
	if (w > GPU_DIM_MAX || h > GPU_DIM_MAX) {
		jb_warn(ev, "scanout larger than 4096x4096: its pixels are not kept");
		return;
	}
	if (w && h && !(sc->pix = calloc((size_t)w * h, 4))) {
		jb_warn(ev, "out of memory for the scanout's pixels");
		return;
	}
	sc->width = w;
	sc->height = h;
}

/* UPDATE: a rectangle of pixels (its size already checked against w*h*4). */
static void on_update(struct gpu_state *g, const uint8_t *p, struct json_object *ev)
{
	uint32_t n = gpu_get32(p), x = gpu_get32(p + 4), y = gpu_get32(p + 8), w = gpu_get32(p + 12),
		 h = gpu_get32(p + 16);
	struct gpu_scanout *sc = n < GPU_SCANOUTS ? &g->scanout[n] : NULL;

	if (!sc || !sc->pix) {
		jb_warn(ev, "UPDATE of a scanout that SCANOUT did not set up: ignored");
		return;
	}
	if ((uint64_t)x + w > sc->width || (uint64_t)y + h > sc->height) {
		jb_warn(ev, "UPDATE outside its scanout: ignored");
		return;
	}
	for (uint32_t row = 0; row < h; row++)
		memcpy(sc->pix + ((size_t)(y + row) * sc->width + x) * 4, p + 20 + (size_t)row * w * 4, (size_t)w * 4);
	sc->updates++;
}

/* The answer to M per the session's policy, sent; "answered" in EV. */
static int answer(struct session *s, const struct gpu_req_def *row, const struct gpu_msg *m, struct json_object *ev,
		  int64_t deadline)
{
	struct gpu_state *g = s->gpu;
	uint8_t buf[GPU_RESP_EDID_LEN], edid[GPU_EDID_LEN];
	uint32_t len = 0;
	struct vhu_err e = { 0 };
	const char *what = NULL;

	switch (row->reply) {
	case GPU_R_NONE:
		return 0;
	case GPU_R_U64:
		gpu_put64(buf, g->protocol_offer);
		len = 8;
		jb_add(ev, "protocol_features", render_mask(g->protocol_offer, gpu_protocol_feature_names));
		what = "u64";
		break;
	case GPU_R_DISPLAY_INFO:
		gpu_display_info(buf, g->modes, g->nmodes);
		len = GPU_DISPLAY_INFO_LEN;
		what = "RESP_OK_DISPLAY_INFO";
		break;
	case GPU_R_EDID: {
		uint32_t n = m->size >= 4 ? gpu_get32(m->payload) : 0;
		bool have = g->edid && n < g->nmodes && g->modes[n].width;

		if (have)
			gpu_edid(edid, g->modes[n].width, g->modes[n].height);
		gpu_resp_edid(buf, have ? edid : NULL, GPU_EDID_LEN);
		len = GPU_RESP_EDID_LEN;
		what = have ? "RESP_OK_EDID" : "RESP_ERR_UNSPEC";
		break;
	}
	case GPU_R_EMPTY:
		what = "empty";
		break;
	}
	if (what)
		jb_add(ev, "answer_type", json_object_new_string(what));
	if (gpu_msg_reply(gpu_socket_fd(s), m->request, buf, len, deadline, &e) < 0) {
		jb_add(ev, "answer_error", json_object_new_string(e.msg));
		return -e.code;
	}
	jb_add(ev, "answer_bytes", json_object_new_int64(len));
	return 0;
}

static void drop_socket(struct session *s)
{
	session_keep_fd(s, "gpu-socket", -1);
	wire_set_waiter_at(GPU_WAITER, -1, NULL, NULL);
}

/* Serve the one message waiting on the gpu socket: 0, or -errno when the
 * socket broke and was dropped (the event says why). */
static int serve(struct session *s)
{
	struct gpu_state *g = state(s);
	int64_t deadline = wire_bound(s->conn.timeout_ms, s->deadline);
	struct json_object *ev = json_object_new_object(), *req, *dec = NULL;
	const struct gpu_req_def *row;
	struct vhu_err e = { 0 };
	struct gpu_msg m;
	int r;

	if (!g) {
		json_object_put(ev);
		return -ENOMEM;
	}
	jb_add(ev, "event", json_object_new_string("gpu-request"));
	if ((r = gpu_msg_read(gpu_socket_fd(s), &m, deadline, &e)) < 0) {
		/* Closed, cut short or unframed: nothing after it can be read. */
		jb_add(ev, "event", json_object_new_string("gpu-socket-closed"));
		jb_add(ev, "reason", json_object_new_string(e.msg));
		drop_socket(s);
		emit(s, ev);
		return r;
	}
	g->requests++;
	row = gpu_req(m.request);
	req = json_object_new_object();
	if (row)
		jb_add(req, "name", json_object_new_string(row->name));
	jb_add(req, "number", json_object_new_int64(m.request));
	jb_add(req, "flags", json_object_new_int64(m.flags));
	jb_add(req, "size", json_object_new_int64(m.size));
	jb_add(ev, "gpu_message", req);
	if (m.nfds)
		jb_add(ev, "fds_closed", json_object_new_int((int)m.nfds));
	if (!row) {
		g->errors++;
		jb_warn(ev, "request number not in the vhost-user-gpu table: not answered");
	} else if (gpu_msg_decode(row, &m, &dec, &e) < 0) {
		g->errors++;
		jb_add(req, "payload_error", json_object_new_string(e.msg));
		jb_warn(ev, "the payload does not decode: not acted on");
	} else {
		jb_add(req, "fields", dec);
		if (row->fd && m.fd < 0 && dec && gpu_get32(m.payload + 12))
			jb_warn(ev, "a DMABUF scanout without its fd");
		if (!row->fd && m.nfds)
			jb_warn(ev, "fds that the request does not take (closed)");
		if (row->num == 2) {
			g->protocol_set = true;
			g->protocol = gpu_get32(m.payload) | (uint64_t)gpu_get32(m.payload + 4) << 32;
			if (g->protocol & ~g->protocol_offer)
				jb_warn(ev, "SET_PROTOCOL_FEATURES sets features that were not offered");
		}
		if (row->num == 7)
			on_scanout(g, m.payload, ev);
		if (row->num == 8)
			on_update(g, m.payload, ev);
		if (row->num == 9 || row->num == 12)
			jb_add(ev, "action", json_object_new_string("DMABUF not mapped: vhuctl keeps no pixels of it"));
		if (answer(s, row, &m, ev, deadline) < 0) {
			/* An answer cut short leaves the socket unframed. */
			jb_add(ev, "reason", json_object_new_string("the answer could not be sent: the gpu socket is dropped"));
			drop_socket(s);
			r = -EPIPE;
		}
	}
	/* A DMABUF is looked at for nothing more: closed, as every fd is. */
	gpu_msg_free(&m);
	emit(s, ev);
	return r;
}

static void on_readable(void *arg)
{
	serve(arg);
}

void gpu_attach(struct session *s)
{
	if (state(s))
		wire_set_waiter_at(GPU_WAITER, gpu_socket_fd(s), on_readable, s);
}

/* --- gpu socket ---------------------------------------------------------------- */

/* "1024x768,800x600" into the modes. */
static int parse_modes(struct cmd_ctx *ctx, const struct arg_val *v, struct gpu_mode *modes, unsigned *n)
{
	const char *p = v->str;

	*n = 0;
	while (*p) {
		char *end;
		unsigned long w = strtoul(p, &end, 10), h;

		if (end == p || *end != 'x')
			goto bad;
		p = end + 1;
		h = strtoul(p, &end, 10);
		if (end == p || (*end && *end != ',') || w > GPU_DIM_MAX || h > GPU_DIM_MAX || *n == GPU_SCANOUTS)
			goto bad;
		modes[(*n)++] = (struct gpu_mode){ (uint32_t)w, (uint32_t)h };
		p = *end ? end + 1 : end;
	}
	if (*n)
		return 0;
bad:
	ctx->bad_tok = (int)v->tok;
	return vhu_errf(&ctx->err, EINVAL, "displays: WIDTHxHEIGHT[,...], at most 16, each side at most %u", GPU_DIM_MAX);
}

static int cmd_gpu_socket(struct cmd_ctx *ctx)
{
	struct session *s = ctx->s;
	const struct arg_val *d = args_get(&ctx->args, "displays"), *ed = args_get(&ctx->args, "edid");
	struct gpu_state *g = state(s);
	struct json_object *steps = json_object_new_array(), *a;
	int ms, r;
	int64_t deadline;

	jb_add(ctx->out, "steps", steps);
	if (!g)
		return vhu_errf(&ctx->err, ENOMEM, "out of memory");
	if ((r = cmd_timeout_arg(ctx, &ms)) < 0)
		return r;
	if (d->set && (r = parse_modes(ctx, d, g->modes, &g->nmodes)) < 0)
		return r;
	if (ed->set)
		g->edid = ed->u != 0;
	g->protocol_offer = g->edid ? UINT64_C(1) << GPU_PROTOCOL_F_EDID : 0;
	g->protocol_set = false;
	if ((r = cmd_step(ctx, steps, "gpu-set-socket")) < 0)
		return r;
	/* The back-end asks GET_PROTOCOL_FEATURES, then sets them: wait for
	 * that, serving the socket (the waiter), so that what follows finds
	 * the handshake done. */
	deadline = wire_bound(ms, s->deadline);
	while (!g->protocol_set && gpu_socket_fd(s) >= 0) {
		if ((r = wire_wait(gpu_socket_fd(s), deadline)) < 0)
			break;
		if (r == 0)
			serve(s);
		g = s->gpu;
		if (!g)
			break;
	}
	if (!s->gpu || !s->gpu->protocol_set)
		return vhu_errf(&ctx->err, ETIMEDOUT, "the back-end did not finish the gpu socket's handshake "
				"(SET_PROTOCOL_FEATURES) within %d ms", ms);
	jb_add(ctx->out, "protocol_features_offered", render_mask(g->protocol_offer, gpu_protocol_feature_names));
	jb_add(ctx->out, "protocol_features", render_mask(g->protocol, gpu_protocol_feature_names));
	a = json_object_new_array();
	for (unsigned i = 0; i < g->nmodes; i++) {
		struct json_object *o = json_object_new_object();

		jb_add(o, "width", json_object_new_int64(g->modes[i].width));
		jb_add(o, "height", json_object_new_int64(g->modes[i].height));
		json_object_array_add(a, o);
	}
	jb_add(ctx->out, "displays", a);
	jb_add(ctx->out, "edid", json_object_new_boolean(g->edid));
	return 0;
}

/* --- the control queue ----------------------------------------------------------- */

/* Post command CMD (LEN bytes; more buffers in EXTRA/EXTRA_LEN) on the
 * control queue (or the ring of the vring argument: 1 is the cursor queue)
 * with ROOM bytes for the response; the response decoded into ctx->out
 * ("response"). An ERR_* is -EPROTO with its name. ROOM 0: no response
 * buffer, as the cursor queue takes none. *RESP, when not NULL, gets a copy
 * of the response (*RESP_LEN bytes). */
static int gpu_call(struct cmd_ctx *ctx, const uint8_t *cmd, uint32_t len, const uint8_t *extra, uint32_t extra_len,
		    uint32_t room, uint8_t **resp, uint32_t *resp_len)
{
	struct session *s = ctx->s;
	const char *name = gpu_name_of(gpu_ctrl_types, gpu_get32(cmd));
	struct vring_seg segs[3] = { { .len = len } };
	const uint8_t *data[3] = { cmd };
	struct json_object *hdr, *body;
	struct vring_used u;
	struct vring *vr;
	unsigned n = 1;
	uint8_t *copy;
	const uint8_t *p;
	uint32_t type, got;
	uint16_t head, old;
	unsigned ring = (unsigned)args_u(&ctx->args, "vring", GPU_CTRL);
	int ms, r;

	if (resp)
		*resp = NULL;
	if ((r = cmd_timeout_arg(ctx, &ms)) < 0)
		return r;
	if (gpu_socket_fd(s) < 0)
		return vhu_errf(&ctx->err, ENOTCONN, "no gpu socket: run 'gpu socket' first (the back-end answers "
				"display commands only once it has one)");
	if (!(vr = cmd_ring(ctx, ring)))
		return -ctx->err.code;
	jb_add(ctx->out, "request_type", json_object_new_string(name ? name : "unknown"));
	if (extra_len) {
		segs[n] = (struct vring_seg){ .len = extra_len };
		data[n++] = extra;
	}
	if (room)
		segs[n++] = (struct vring_seg){ .len = room, .write = true };
	old = vr->avail_idx;
	if ((r = vring_post(vr, &s->mem, segs, data, n, false, &head, &ctx->err)) < 0)
		return r;
	if (vring_need_kick(vr, &s->mem, old) && (r = cmd_kick(ctx, vr)) < 0)
		return r;
	while ((r = cmd_wait_used(ctx, vr, ms, &u)) == 1 && u.id != head)
		cmd_other_used(ctx, vr, &u);
	if (r < 1)
		return r < 0 ? r : vhu_errf(&ctx->err, ETIMEDOUT, "%s: no used entry on ring %u within %d ms",
					    name ? name : "the command", ring, ms);
	jb_add(ctx->out, "used_len", json_object_new_int64(u.len));
	if (!room) {
		vring_release(vr, &s->mem, head);
		if (u.len)
			jb_add(ctx->out, "anomaly", json_object_new_string("the used entry says bytes were written into a "
									  "command that has no device-writable buffer"));
		return 0;
	}
	/* Read once: the back-end can change guest memory under us. */
	got = u.len < room ? u.len : room;
	p = mem_gpa_ptr(&s->mem, segs[n - 1].gpa, room);
	copy = p ? malloc(room) : NULL;
	if (copy)
		memcpy(copy, p, room);
	vring_release(vr, &s->mem, head);
	if (!copy)
		return vhu_errf(&ctx->err, ENOMEM, "out of memory");
	if (u.len > room)
		jb_add(ctx->out, "anomaly", json_object_new_string("the used entry says more was written than the response buffer holds"));
	r = gpu_resp_decode(copy, got, &type, &hdr, &body, &ctx->err);
	if (hdr)
		jb_add(ctx->out, "response", hdr);
	if (body)
		jb_add(ctx->out, "pmodes", body);
	if (r == 0 && type >= 0x1200) {
		const char *tn = gpu_name_of(gpu_ctrl_types, type);

		r = vhu_errf(&ctx->err, EPROTO, "%s: the back-end answered %s (0x%x)", name ? name : "the command",
			     tn ? tn : "an unknown error", type);
	} else if (r == 0 && type < 0x1100) {
		r = vhu_errf(&ctx->err, EPROTO, "%s: the response's type 0x%x is no response type", name ? name : "the command", type);
	}
	if (r == 0 && resp) {
		*resp = copy;
		*resp_len = got;
	} else {
		free(copy);
	}
	return r;
}

static struct gpu_resource *find_res(struct cmd_ctx *ctx, uint32_t id, unsigned tok)
{
	struct gpu_state *g = ctx->s->gpu;

	for (unsigned i = 0; g && i < g->nres; i++)
		if (g->res[i].id == id)
			return &g->res[i];
	ctx->bad_tok = (int)tok;
	vhu_errf(&ctx->err, ENOENT, "resource %u: not made by 'gpu create' in this session", id);
	return NULL;
}

static int cmd_gpu_display_info(struct cmd_ctx *ctx)
{
	uint8_t c[GPU_CTRL_HDR_LEN];

	gpu_put_hdr(c, 0x0100);
	return gpu_call(ctx, c, sizeof(c), NULL, 0, GPU_DISPLAY_INFO_LEN, NULL, NULL);
}

static int cmd_gpu_create(struct cmd_ctx *ctx)
{
	struct gpu_state *g = state(ctx->s);
	uint32_t id = (uint32_t)args_u(&ctx->args, "resource", 0), w = (uint32_t)args_u(&ctx->args, "width", 0),
		 h = (uint32_t)args_u(&ctx->args, "height", 0), f = (uint32_t)args_u(&ctx->args, "format", 2);
	uint8_t c[40];
	int r;

	if (!g)
		return vhu_errf(&ctx->err, ENOMEM, "out of memory");
	gpu_put_hdr(c, 0x0101);
	gpu_put32(c + 24, id);
	gpu_put32(c + 28, f);
	gpu_put32(c + 32, w);
	gpu_put32(c + 36, h);
	jb_add(ctx->out, "resource", json_object_new_int64(id));
	jb_add(ctx->out, "format", json_object_new_string(gpu_name_of(gpu_formats, f) ? gpu_name_of(gpu_formats, f) : "unknown"));
	if ((r = gpu_call(ctx, c, sizeof(c), NULL, 0, GPU_CTRL_HDR_LEN, NULL, NULL)) < 0)
		return r;
	/* Kept (or made anew) as the back-end now has it. */
	for (unsigned i = 0; i < g->nres; i++)
		if (g->res[i].id == id)
			g->res[i] = g->res[--g->nres];
	if (g->nres == GPU_RESOURCES) {
		jb_warn(ctx->out, "vhuctl keeps 32 resources: this one cannot be attached or filled");
		return 0;
	}
	g->res[g->nres++] = (struct gpu_resource){ .id = id, .width = w, .height = h, .format = f };
	return 0;
}

static int cmd_gpu_attach(struct cmd_ctx *ctx)
{
	const struct arg_val *rv = args_get(&ctx->args, "resource");
	struct gpu_resource *res = find_res(ctx, (uint32_t)rv->u, rv->tok);
	uint8_t c[32], ent[16], *p;
	uint64_t size, gpa;
	int r;

	if (!res)
		return -ctx->err.code;
	if (res->size)
		return vhu_errf(&ctx->err, EBUSY, "resource %u already has its backing at 0x%" PRIx64, res->id, res->gpa);
	size = (uint64_t)res->width * res->height * 4;
	if (!size || size > UINT32_MAX)
		return vhu_errf(&ctx->err, EINVAL, "resource %u: %u x %u pixels cannot be backed", res->id, res->width,
				res->height);
	if ((r = mem_alloc(&ctx->s->mem, size, GPU_PAGE, &gpa)) < 0)
		return vhu_errf(&ctx->err, ENOMEM, "no room for %" PRIu64 " bytes of backing in guest memory "
				"(mem add, or a bigger start mem=)", size);
	if (!(p = mem_gpa_ptr(&ctx->s->mem, gpa, size))) {	/* allocated, so never: but checked */
		mem_release(&ctx->s->mem, gpa, size);
		return vhu_errf(&ctx->err, EFAULT, "the backing at 0x%" PRIx64 " is not in guest memory", gpa);
	}
	memset(p, 0, size);
	gpu_put_hdr(c, 0x0106);
	gpu_put32(c + 24, res->id);
	gpu_put32(c + 28, 1);	/* nr_entries: the backing is one piece */
	gpu_put64(ent, gpa);
	gpu_put32(ent + 8, (uint32_t)size);
	gpu_put32(ent + 12, 0);
	jb_add(ctx->out, "resource", json_object_new_int64(res->id));
	jb_add(ctx->out, "addr", jb_hex(gpa));
	jb_add(ctx->out, "len", json_object_new_int64((int64_t)size));
	if ((r = gpu_call(ctx, c, sizeof(c), ent, sizeof(ent), GPU_CTRL_HDR_LEN, NULL, NULL)) < 0) {
		mem_release(&ctx->s->mem, gpa, size);
		return r;
	}
	res->gpa = gpa;
	res->size = size;
	return 0;
}

/* The pattern's colour at X, Y of a W x H image. */
static void pattern_rgb(const char *pat, uint32_t x, uint32_t y, uint32_t w, uint32_t h, uint8_t rgb[3])
{
	/* Bars of the SMPTE order: white, yellow, cyan, green, magenta, red, blue, black. */
	static const uint8_t bars[8][3] = {
		{ 255, 255, 255 }, { 255, 255, 0 }, { 0, 255, 255 }, { 0, 255, 0 },
		{ 255, 0, 255 }, { 255, 0, 0 }, { 0, 0, 255 }, { 0, 0, 0 },
	};

	if (!strcmp(pat, "stripes")) {
		memcpy(rgb, bars[(uint64_t)x * 8 / w], 3);
	} else {	/* gradient */
		rgb[0] = (uint8_t)(w > 1 ? (uint64_t)x * 255 / (w - 1) : 0);
		rgb[1] = (uint8_t)(h > 1 ? (uint64_t)y * 255 / (h - 1) : 0);
		rgb[2] = 128;
	}
}

static int cmd_gpu_fill(struct cmd_ctx *ctx)
{
	const struct arg_val *rv = args_get(&ctx->args, "resource"), *pv = args_get(&ctx->args, "pattern");
	struct gpu_resource *res = find_res(ctx, (uint32_t)rv->u, rv->tok);
	unsigned ro, go, bo, ao;
	uint8_t *dst;
	int r;

	if (!res)
		return -ctx->err.code;
	if (!res->size)
		return vhu_errf(&ctx->err, ENODATA, "resource %u has no backing: gpu attach %u first", res->id, res->id);
	if (!(dst = mem_gpa_ptr(&ctx->s->mem, res->gpa, res->size)))
		return vhu_errf(&ctx->err, EFAULT, "resource %u: its backing is no longer in guest memory", res->id);
	jb_add(ctx->out, "resource", json_object_new_int64(res->id));
	jb_add(ctx->out, "addr", jb_hex(res->gpa));
	jb_add(ctx->out, "bytes", json_object_new_int64((int64_t)res->size));
	if (pv->str[0] == '@') {
		uint8_t *b;
		uint32_t n;

		if ((r = cmd_load_bytes(ctx, pv->str, pv->tok, &b, &n)) < 0)
			return r;
		memcpy(dst, b, n < res->size ? n : res->size);
		free(b);
		jb_add(ctx->out, "pattern", json_object_new_string("file"));
		if (n != res->size)
			jb_add(ctx->out, "file_bytes", json_object_new_int64(n));
		return 0;
	}
	if (strcmp(pv->str, "stripes") && strcmp(pv->str, "gradient")) {
		ctx->bad_tok = (int)pv->tok;
		return vhu_errf(&ctx->err, EINVAL, "pattern: stripes, gradient or @FILE");
	}
	if (!gpu_format_rgb(res->format, &ro, &go, &bo, &ao))
		return vhu_errf(&ctx->err, EINVAL, "resource %u: format %u is not one vhuctl can draw in", res->id, res->format);
	for (uint32_t y = 0; y < res->height; y++)
		for (uint32_t x = 0; x < res->width; x++) {
			uint8_t rgb[3], *px = dst + ((size_t)y * res->width + x) * 4;

			pattern_rgb(pv->str, x, y, res->width, res->height, rgb);
			px[ro] = rgb[0];
			px[go] = rgb[1];
			px[bo] = rgb[2];
			px[ao] = 0xff;
		}
	jb_add(ctx->out, "pattern", json_object_new_string(pv->str));
	return 0;
}

/* The rectangle of the arguments x y w h, the whole resource by default. */
static void rect_args(struct cmd_ctx *ctx, const struct gpu_resource *res, uint8_t *p)
{
	uint32_t x = (uint32_t)args_u(&ctx->args, "x", 0), y = (uint32_t)args_u(&ctx->args, "y", 0);
	uint32_t w = (uint32_t)args_u(&ctx->args, "w", res ? res->width - (x < res->width ? x : res->width) : 0);
	uint32_t h = (uint32_t)args_u(&ctx->args, "h", res ? res->height - (y < res->height ? y : res->height) : 0);
	struct json_object *o = json_object_new_object();

	gpu_put32(p, x);
	gpu_put32(p + 4, y);
	gpu_put32(p + 8, w);
	gpu_put32(p + 12, h);
	jb_add(o, "x", json_object_new_int64(x));
	jb_add(o, "y", json_object_new_int64(y));
	jb_add(o, "width", json_object_new_int64(w));
	jb_add(o, "height", json_object_new_int64(h));
	jb_add(ctx->out, "rect", o);
}

static int cmd_gpu_transfer(struct cmd_ctx *ctx)
{
	const struct arg_val *rv = args_get(&ctx->args, "resource");
	struct gpu_resource *res = find_res(ctx, (uint32_t)rv->u, rv->tok);
	uint8_t c[56];

	if (!res)
		return -ctx->err.code;
	gpu_put_hdr(c, 0x0105);
	rect_args(ctx, res, c + 24);
	/* offset: where the rectangle starts in the backing, rows of the
	 * resource's width (as the back-end reads it). */
	gpu_put64(c + 40, ((uint64_t)gpu_get32(c + 28) * res->width + gpu_get32(c + 24)) * 4);
	gpu_put32(c + 48, res->id);
	gpu_put32(c + 52, 0);
	jb_add(ctx->out, "resource", json_object_new_int64(res->id));
	return gpu_call(ctx, c, sizeof(c), NULL, 0, GPU_CTRL_HDR_LEN, NULL, NULL);
}

static int cmd_gpu_scanout(struct cmd_ctx *ctx)
{
	const struct arg_val *rv = args_get(&ctx->args, "resource");
	uint32_t n = (uint32_t)args_u(&ctx->args, "scanout", 0), id = (uint32_t)rv->u;
	struct gpu_resource *res = id ? find_res(ctx, id, rv->tok) : NULL;
	uint8_t c[48];
	int r;

	if (id && !res)
		return -ctx->err.code;
	gpu_put_hdr(c, 0x0103);
	rect_args(ctx, res, c + 24);
	gpu_put32(c + 40, n);
	gpu_put32(c + 44, id);
	jb_add(ctx->out, "scanout", json_object_new_int64(n));
	jb_add(ctx->out, "resource", json_object_new_int64(id));
	if ((r = gpu_call(ctx, c, sizeof(c), NULL, 0, GPU_CTRL_HDR_LEN, NULL, NULL)) < 0)
		return r;
	if (res && ctx->s->gpu && n < GPU_SCANOUTS)
		ctx->s->gpu->scanout[n].format = res->format;
	return 0;
}

static int cmd_gpu_flush(struct cmd_ctx *ctx)
{
	const struct arg_val *rv = args_get(&ctx->args, "resource");
	struct gpu_resource *res = find_res(ctx, (uint32_t)rv->u, rv->tok);
	uint8_t c[48];
	int r;

	if (!res)
		return -ctx->err.code;
	gpu_put_hdr(c, 0x0104);
	rect_args(ctx, res, c + 24);
	gpu_put32(c + 40, res->id);
	gpu_put32(c + 44, 0);
	jb_add(ctx->out, "resource", json_object_new_int64(res->id));
	r = gpu_call(ctx, c, sizeof(c), NULL, 0, GPU_CTRL_HDR_LEN, NULL, NULL);
	/* The UPDATEs it caused came on the gpu socket while we waited. */
	gpu_poll(ctx->s);
	return r;
}

static int cmd_gpu_raw(struct cmd_ctx *ctx)
{
	const struct arg_val *pl = args_get(&ctx->args, "payload");
	uint32_t type = (uint32_t)args_u(&ctx->args, "type", 0), room = (uint32_t)args_u(&ctx->args, "reply", GPU_ROOM);
	uint32_t len = GPU_CTRL_HDR_LEN + (pl->set ? pl->nbytes : 0), got = 0;
	uint8_t *c = malloc(len), *resp = NULL;
	int r;

	if (!c)
		return vhu_errf(&ctx->err, ENOMEM, "out of memory");
	gpu_put_hdr(c, type);
	if (pl->set)
		memcpy(c + GPU_CTRL_HDR_LEN, pl->bytes, pl->nbytes);
	/* The cursor queue answers nothing: no response buffer, unless told. */
	if (!args_get(&ctx->args, "reply")->set && args_u(&ctx->args, "vring", GPU_CTRL) == 1)
		room = 0;
	else if (room < GPU_CTRL_HDR_LEN)
		room = GPU_CTRL_HDR_LEN;
	r = gpu_call(ctx, c, len, NULL, 0, room, &resp, &got);
	if (r == 0 && got > GPU_CTRL_HDR_LEN)
		jb_add(ctx->out, "body_hex", jb_hexbytes(resp + GPU_CTRL_HDR_LEN, got - GPU_CTRL_HDR_LEN));
	free(resp);
	free(c);
	return r;
}

/* --- gpu screenshot --------------------------------------------------------------- */

static int cmd_gpu_screenshot(struct cmd_ctx *ctx)
{
	const struct arg_val *fv = args_get(&ctx->args, "file");
	uint32_t n = (uint32_t)args_u(&ctx->args, "scanout", 0);
	struct gpu_scanout *sc;
	unsigned ro, go, bo, ao;
	uint8_t *rgb, *png;
	size_t len, done = 0;
	int fd, r = 0;

	gpu_poll(ctx->s);
	sc = ctx->s->gpu && n < GPU_SCANOUTS ? &ctx->s->gpu->scanout[n] : NULL;
	if (!sc || !sc->pix)
		return vhu_errf(&ctx->err, ENODATA, "scanout %u: the back-end sent no SCANOUT for it on the gpu socket", n);
	/* UPDATE's pixels are in the format of the resource scanned out. */
	if (!gpu_format_rgb(sc->format, &ro, &go, &bo, &ao))
		gpu_format_rgb(2, &ro, &go, &bo, &ao);
	if (!(rgb = malloc((size_t)sc->width * sc->height * 3)))
		return vhu_errf(&ctx->err, ENOMEM, "out of memory");
	for (size_t i = 0; i < (size_t)sc->width * sc->height; i++) {
		rgb[i * 3] = sc->pix[i * 4 + ro];
		rgb[i * 3 + 1] = sc->pix[i * 4 + go];
		rgb[i * 3 + 2] = sc->pix[i * 4 + bo];
	}
	png = gpu_png(rgb, sc->width, sc->height, &len);
	free(rgb);
	if (!png)
		return vhu_errf(&ctx->err, ENOMEM, "out of memory");
	if ((fd = open(fv->str, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)) < 0) {
		r = vhu_errf(&ctx->err, errno, "%s: %s", fv->str, strerror(errno));
		goto out;
	}
	while (done < len) {
		ssize_t w = write(fd, png + done, len - done);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			r = vhu_errf(&ctx->err, w < 0 ? errno : EIO, "%s: %s", fv->str, w < 0 ? strerror(errno) : "short write");
			break;
		}
		done += (size_t)w;
	}
	if (close(fd) < 0 && r == 0)
		r = vhu_errf(&ctx->err, errno, "%s: %s", fv->str, strerror(errno));
	jb_add(ctx->out, "path", json_object_new_string(fv->str));
	jb_add(ctx->out, "scanout", json_object_new_int64(n));
	jb_add(ctx->out, "width", json_object_new_int64(sc->width));
	jb_add(ctx->out, "height", json_object_new_int64(sc->height));
	jb_add(ctx->out, "updates", jb_u64(sc->updates));
	jb_add(ctx->out, "bytes", json_object_new_int64((int64_t)len));
out:
	free(png);
	return r;
}

void gpu_poll(struct session *s)
{
	for (unsigned n = 0; n < 64 && gpu_socket_fd(s) >= 0 && wire_readable(gpu_socket_fd(s)) &&
			     (s->deadline < 0 || wire_now_ns() < s->deadline); n++)
		serve(s);
}

/* --- table ------------------------------------------------------------------------ */

#define RES_ARG { .name = "resource", .type = ARG_U32, .required = true, .help = "resource id (not 0)" }
#define RECT_ARGS \
	{ .name = "x", .type = ARG_U32, .help = "left (default 0)" }, \
	{ .name = "y", .type = ARG_U32, .help = "top (default 0)" }, \
	{ .name = "w", .type = ARG_U32, .help = "width (default: to the resource's right edge)" }, \
	{ .name = "h", .type = ARG_U32, .help = "height (default: to the resource's bottom edge)" }

static const struct arg_spec socket_args[] = {
	{ .name = "displays", .type = ARG_STRING, .key_only = true,
	  .help = "GET_DISPLAY_INFO's answer: WIDTHxHEIGHT[,...] (default 1024x768)" },
	{ .name = "edid", .type = ARG_BOOL, .key_only = true,
	  .help = "offer the EDID protocol feature and answer GET_EDID with an EDID (default on)" },
	TIMEOUT_ARG,
};
static const struct arg_spec none_args[] = { TIMEOUT_ARG };
static struct arg_enum format_names[16];
static struct arg_enum type_names[40];
static const struct arg_spec create_args[] = {
	RES_ARG,
	{ .name = "width", .type = ARG_U32, .required = true, .help = "pixels" },
	{ .name = "height", .type = ARG_U32, .required = true, .help = "pixels" },
	{ .name = "format", .type = ARG_ENUM, .key_only = true, .max = UINT32_MAX, .enums = format_names,
	  .help = "virtio_gpu_formats without VIRTIO_GPU_FORMAT_ (default B8G8R8X8_UNORM), or a number" },
	TIMEOUT_ARG,
};
static const struct arg_spec attach_args[] = { RES_ARG, TIMEOUT_ARG };
static const struct arg_spec fill_args[] = {
	RES_ARG,
	{ .name = "pattern", .type = ARG_STRING, .required = true,
	  .help = "stripes (8 bars: white yellow cyan green magenta red blue black), gradient (red by x, green by y, blue 128), or @FILE" },
};
static const struct arg_spec rect_res_args[] = { RES_ARG, RECT_ARGS, TIMEOUT_ARG };
static const struct arg_spec scanout_args[] = {
	{ .name = "scanout", .type = ARG_U32, .required = true, .help = "scanout id" },
	{ .name = "resource", .type = ARG_U32, .required = true, .help = "resource id (0 disables the scanout)" },
	RECT_ARGS, TIMEOUT_ARG,
};
static const struct arg_spec raw_args[] = {
	{ .name = "type", .type = ARG_ENUM, .required = true, .max = UINT32_MAX, .enums = type_names,
	  .help = "virtio_gpu_ctrl_type without VIRTIO_GPU_ (CMD_GET_DISPLAY_INFO), or a number" },
	{ .name = "payload", .type = ARG_HEX, .help = "the bytes after virtio_gpu_ctrl_hdr, hex" },
	{ .name = "reply", .type = ARG_U32, .key_only = true, .max = MEM_IO_MAX,
	  .help = "bytes for the response (default 4096; none on the cursor queue)" },
	{ .name = "vring", .type = ARG_U32, .key_only = true, .max = SESSION_RINGS - 1,
	  .help = "ring (default 0, the control queue; 1, the cursor queue, for CMD_UPDATE_CURSOR and CMD_MOVE_CURSOR)" },
	TIMEOUT_ARG,
};
static const struct arg_spec shot_args[] = {
	{ .name = "file", .type = ARG_PATH, .required = true, .help = "the PNG to write" },
	{ .name = "scanout", .type = ARG_U32, .key_only = true, .help = "scanout id (default 0)" },
};

#define N(a) (sizeof(a) / sizeof((a)[0]))
#define SPEC "virtio-gpu (virtio spec 5.7); QEMU docs/interop/vhost-user-gpu.rst"

static const struct cmd_def defs[] = {
	{ "gpu socket", GROUP_RINGS, socket_args, N(socket_args), "GPU_SET_SOCKET, and serve the vhost-user-gpu protocol on it",
	  "Sends GPU_SET_SOCKET with one end of a socket pair; vhuctl serves the other\n"
	  "end from then on, while any command waits: each message the back-end sends\n"
	  "is a gpu-request event, answered where the protocol wants it\n"
	  "(GET_PROTOCOL_FEATURES, GET_DISPLAY_INFO with displays=, GET_EDID,\n"
	  "DMABUF_UPDATE), and SCANOUT and UPDATE kept for gpu screenshot. Waits for\n"
	  "the handshake (SET_PROTOCOL_FEATURES). A command of its own, not start's:\n"
	  "what the gpu socket answers is a policy, and a gpu back-end is tested\n"
	  "without one too. vhost-user-gpu serves one front-end connection, then exits.",
	  "gpu socket displays=64x48", SPEC, cmd_gpu_socket, NULL, cmd_timeout_budget, NULL },
	{ "gpu display-info", GROUP_RINGS, none_args, N(none_args), "CMD_GET_DISPLAY_INFO on the control queue",
	  NULL, "gpu display-info", NULL, cmd_gpu_display_info, NULL, cmd_timeout_budget, NULL },
	{ "gpu create", GROUP_RINGS, create_args, N(create_args), "CMD_RESOURCE_CREATE_2D", NULL,
	  "gpu create 1 64 48", NULL, cmd_gpu_create, NULL, cmd_timeout_budget, NULL },
	{ "gpu attach", GROUP_RINGS, attach_args, N(attach_args), "CMD_RESOURCE_ATTACH_BACKING: backing in guest memory",
	  "width * height * 4 bytes from vhuctl's allocator, one mem entry.", "gpu attach 1", NULL, cmd_gpu_attach, NULL,
	  cmd_timeout_budget, NULL },
	{ "gpu fill", GROUP_RINGS, fill_args, N(fill_args), "write a pattern into a resource's backing (no request)",
	  NULL, "gpu fill 1 stripes", NULL, cmd_gpu_fill, NULL, NULL, NULL },
	{ "gpu transfer", GROUP_RINGS, rect_res_args, N(rect_res_args), "CMD_TRANSFER_TO_HOST_2D", NULL,
	  "gpu transfer 1", NULL, cmd_gpu_transfer, NULL, cmd_timeout_budget, NULL },
	{ "gpu scanout", GROUP_RINGS, scanout_args, N(scanout_args), "CMD_SET_SCANOUT", NULL,
	  "gpu scanout 0 1", NULL, cmd_gpu_scanout, NULL, cmd_timeout_budget, NULL },
	{ "gpu flush", GROUP_RINGS, rect_res_args, N(rect_res_args), "CMD_RESOURCE_FLUSH: the back-end sends UPDATE",
	  NULL, "gpu flush 1", NULL, cmd_gpu_flush, NULL, cmd_timeout_budget, NULL },
	{ "gpu raw", GROUP_RINGS, raw_args, N(raw_args), "send any control or cursor command; the response's header decoded",
	  "The type by name or number, then the bytes after virtio_gpu_ctrl_hdr as\n"
	  "they are; what the response holds after its header as body_hex. On the\n"
	  "cursor queue (vring=1) there is no response: the back-end answers on the\n"
	  "gpu socket (CURSOR_POS, CURSOR_POS_HIDE, CURSOR_UPDATE).",
	  "gpu raw CMD_GET_DISPLAY_INFO reply=408", SPEC, cmd_gpu_raw, NULL, cmd_timeout_budget, NULL },
	{ "gpu screenshot", GROUP_RINGS, shot_args, N(shot_args), "write what the back-end scanned out as a PNG",
	  "The pixels of the SCANOUT and UPDATE messages the gpu socket received, as\n"
	  "8-bit RGB (an uncompressed PNG).", "gpu screenshot /tmp/shot.png", NULL, cmd_gpu_screenshot, NULL, NULL,
	  NULL },
};

const struct cmd_def *cmd_gpu_defs(unsigned *n)
{
	unsigned i = 0;

	for (const struct gpu_name *f = gpu_formats; f->name && i + 1 < N(format_names); f++)
		format_names[i++] = (struct arg_enum){ f->name, f->value };
	i = 0;
	for (const struct gpu_name *t = gpu_ctrl_types; t->name && i + 1 < N(type_names); t++)
		if (t->value < 0x1100)
			type_names[i++] = (struct arg_enum){ t->name, t->value };
	*n = N(defs);
	return defs;
}
