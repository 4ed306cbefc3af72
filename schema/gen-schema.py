import json, collections
R = lambda n: {"$ref": "#/$defs/" + n}
count = R("count")
def obj(props, required=(), extra=False, desc=None):
    o = {"type": "object", "properties": props}
    if required: o["required"] = list(required)
    if not extra: o["additionalProperties"] = False
    if desc: o["description"] = desc
    return o
def nullable(s): return {"anyOf": [s, {"type": "null"}]}
def arr(s): return {"type": "array", "items": s}
STR = {"type": "string"}; BOOL = {"type": "boolean"}; INT = {"type": "integer"}
US = R("us")
D = collections.OrderedDict()
D["count"] = {"type": "integer", "minimum": 0, "description": "A count, size, length, offset or index: an exact integer, even above 2^53."}
D["hex"] = {"type": "string", "pattern": "^0x[0-9a-f]+$", "description": "An address, a bit mask's value or another 64-bit quantity that is not a count: lower-case hex."}
D["bytes"] = {"type": "string", "pattern": "^([0-9a-f]{2})*$", "description": "Bytes as lower-case hex, two digits each, no separators."}
D["us"] = {"type": "number", "minimum": 0, "description": "A duration in microseconds, one decimal."}
D["mask"] = obj({"value": R("hex"), "names": arr({"type": "string"}),
                 "unknown_bits": arr({"type": "integer", "minimum": 0, "maximum": 63})},
                ["value", "names"], desc="Every bit mask: its value and the names of its set bits (the spec's spelling); bits with no name in unknown_bits.")
D["data"] = obj({"len": count, "hex": R("bytes"), "text": STR}, ["len", "hex", "text"],
                desc="Bytes read from guest memory: hex, and text (the printable prefix).")
D["fd"] = obj({"fd": INT, "type": {"enum": ["eventfd", "memfd", "socket", "pipe", "userfaultfd", "dmabuf", "file", "unknown"]},
               "target": STR, "size": count,
               "seals": {"type": "array", "items": {"enum": ["SEAL", "SHRINK", "GROW", "WRITE", "FUTURE_WRITE"]}}},
              ["fd", "type"], desc="A file descriptor that came with a message or that vhuctl keeps: what it is (fstat, /proc/self/fd), its size and, for a file (a memfd), the seals on it (F_GET_SEALS).")
D["error"] = obj({"code": {"type": "string", "pattern": "^E[A-Z0-9]+$"}, "message": STR,
                  "file": STR, "line": {"type": "integer", "minimum": 1}, "col": {"type": "integer", "minimum": 1}},
                 ["code", "message"], desc="What went wrong: an errno name, a message, and where (file, line, col) for a command of a script or command line.")
D["warnings"] = arr(STR)
D["ack"] = obj({"u64": count, "ok": BOOL}, ["u64", "ok"], desc="A REPLY_ACK reply: its u64 (0 is success).")
D["enum_value"] = INT
# payloads
P = collections.OrderedDict()
P["u64"] = obj({"u64": count}, ["u64"])
P["mask"] = R("mask")
P["vring_fd"] = obj({"value": R("hex"), "index": count, "nofd": BOOL, "reserved_bits": R("hex")}, ["value", "index", "nofd"])
P["vring_area"] = obj({"value": R("hex"), "index": count, "nofd": BOOL, "reserved_bits": R("hex"), "size": count, "offset": count},
                      ["value", "index", "nofd", "size", "offset"])
P["mac"] = obj({"mac": {"type": "string", "pattern": "^([0-9a-f]{2}:){5}[0-9a-f]{2}$"}}, ["mac"])
P["vring_state"] = obj({"index": count, "num": count}, ["index", "num"])
P["vring_addr"] = obj({"index": count, "flags": R("mask"), "desc_user_addr": R("hex"), "used_user_addr": R("hex"),
                       "avail_user_addr": R("hex"), "log_guest_addr": R("hex")},
                      ["index", "flags", "desc_user_addr", "used_user_addr", "avail_user_addr", "log_guest_addr"])
D["region"] = obj({"guest_phys_addr": R("hex"), "memory_size": count, "userspace_addr": R("hex"), "mmap_offset": count,
                   "xen_mmap_flags": R("mask"), "domid": count},
                  ["guest_phys_addr", "memory_size", "userspace_addr", "mmap_offset"])
P["mem_table"] = obj({"nregions": count, "regions": arr(R("region"))}, ["nregions", "regions"])
P["region"] = R("region")
P["log"] = obj({"mmap_size": count, "mmap_offset": count}, ["mmap_size", "mmap_offset"])
P["iotlb"] = obj({"iova": R("hex"), "size": count, "uaddr": R("hex"), "perm": {"enum": ["none", "ro", "wo", "rw", "invalid"]},
                  "perm_value": count, "type": {"enum": ["invalid", "miss", "update", "invalidate", "access-fail"]}, "type_value": count},
                 ["iova", "size", "uaddr", "perm", "perm_value", "type", "type_value"])
P["config"] = obj({"offset": count, "size": count, "flags": {"enum": ["WRITABLE", "LIVE_MIGRATION", "unknown"]}, "flags_value": count,
                   "hex": R("bytes"), "device": STR, "decoded": {"type": "object", "description": "The device's config fields by the virtio spec's names."}},
                  ["offset", "size", "flags", "flags_value", "hex"])
P["inflight"] = obj({"mmap_size": count, "mmap_offset": count, "num_queues": count, "queue_size": count},
                    ["mmap_size", "mmap_offset", "num_queues", "queue_size"])
P["shared"] = obj({"uuid": {"type": "string", "pattern": "^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"}}, ["uuid"])
P["devstate"] = obj({"direction": {"enum": ["save", "load", "unknown"]}, "direction_value": count,
                     "phase": {"enum": ["stopped", "unknown"]}, "phase_value": count},
                    ["direction", "direction_value", "phase", "phase_value"])
P["mmap"] = obj({"shmid": count, "fd_offset": count, "shm_offset": count, "len": count, "flags": R("mask")},
                ["shmid", "fd_offset", "shm_offset", "len", "flags"])
P["shmem_config"] = obj({"nregions": count, "memory_sizes": arr(count)}, ["nregions", "memory_sizes"])
P["opaque"] = obj({"size": count, "hex": R("bytes")}, ["size", "hex"])
for k, v in P.items():
    D["payload_" + k] = v
D["payload"] = {"description": "A decoded payload: one shape per payload kind of the request table.",
                "anyOf": [R("payload_" + k) for k in P]}
D["message"] = obj({"name": {"type": "string", "pattern": "^[A-Z0-9_]+$"}, "number": count, "flags": R("mask"), "size": count,
                    "payload_bytes": count, "payload": R("payload"), "payload_error": STR, "payload_hex": R("bytes"),
                    "fds": arr(R("fd")), "fds_truncated": BOOL},
                   ["number", "flags", "size", "fds"],
                   desc="One vhost-user message, request or reply, wherever it appears: the header (name from the request table, number, flags, size), the payload decoded by its kind (or payload_hex and payload_error when it does not decode), and its fds.")
D["peer"] = obj({"pid": nullable(INT), "uid": nullable(INT)}, ["pid", "uid"])
D["buffer"] = obj({"addr": R("hex"), "len": count, "write": BOOL, "data": R("data")}, ["addr", "len", "write"],
                  desc="A buffer of a descriptor chain: guest address, length, whether the device writes it, and (written buffers of a used chain) the bytes.")
D["used_entry"] = obj({"id": count, "len": count, "buffers": arr(R("buffer"))}, ["id", "len", "buffers"])
D["mem_region_info"] = obj({"index": count, "guest_phys_addr": R("hex"), "memory_size": count, "userspace_addr": R("hex"),
                            "fd": INT, "seals": arr({"enum": ["SEAL", "SHRINK", "GROW", "WRITE", "FUTURE_WRITE"]})},
                           ["index", "guest_phys_addr", "memory_size", "userspace_addr", "fd", "seals"])
D["negotiated"] = obj({"offered": nullable(R("mask")), "acked": nullable(R("mask"))}, ["offered", "acked"])
ev_supp = obj({"desc": count, "wrap": count, "flags": {"enum": ["ENABLE", "DISABLE", "DESC", "reserved"]}, "flags_value": count},
              ["desc", "wrap", "flags", "flags_value"])
D["ring_dump"] = obj({
    "index": count, "layout": {"enum": ["split", "packed"]}, "size": count,
    "desc_addr": R("hex"), "avail_addr": R("hex"), "used_addr": R("hex"),
    "driver_event_addr": R("hex"), "device_event_addr": R("hex"),
    "descriptors": arr(obj({"index": count, "addr": R("hex"), "len": count, "flags": R("mask"), "next": count, "id": count,
                            "state": STR}, ["index", "addr", "len", "flags"])),
    "avail": obj({"flags": R("mask"), "idx": count, "ring": arr(count), "used_event": count}, ["flags", "idx", "ring"]),
    "used": obj({"flags": R("mask"), "idx": count, "ring": arr(obj({"id": count, "len": count}, ["id", "len"])), "avail_event": count},
                ["flags", "idx", "ring"]),
    "driver_event": ev_supp, "device_event": ev_supp,
    "chains": arr(obj({"head": count, "id": count, "avail_slot": count, "descriptors": arr(count), "buffers": arr(R("buffer")),
                       "out_bytes": count, "in_bytes": count}, ["buffers"])),
    "counts": obj({"available": count, "available_descriptors": count, "in_flight": count, "used": count}),
    "anomalies": arr(obj({"where": STR, "what": STR}, ["where", "what"])),
}, ["index", "layout", "size"], desc="A ring as it is in guest memory, decoded: every field read once, anomalies listed, never trusted.")
D["inflight_queue"] = obj({
    "queue": count, "features": R("mask"), "version": count, "desc_num": count, "last_batch_head": count, "used_idx": count,
    "free_head": count, "old_free_head": count, "old_used_idx": count, "used_wrap_counter": count, "old_used_wrap_counter": count,
    "inflight": arr(obj({"index": count, "inflight": count, "next": count, "counter": count, "last": count, "num": count, "id": count,
                         "flags": R("mask"), "len": count, "addr": R("hex")}, ["index", "inflight", "counter"])),
}, ["queue", "features", "version", "desc_num", "inflight"])
D["frame"] = obj({"used_len": count, "hdr": R("bytes"), "len": count, "hex": R("bytes")}, ["used_len", "hdr", "len", "hex"])

# virtio-fs: FUSE messages (src/core/fuse.c), the fs commands' parts
ERRNO = {"type": "string", "pattern": "^E[A-Z0-9]+$"}
D["fuse_out_header"] = obj({"len": count, "error": {"type": "integer", "minimum": -4095, "maximum": 0}, "errno": ERRNO, "unique": count},
                           ["len", "error", "unique"], desc="A FUSE reply's fuse_out_header, checked: error 0 or a negative errno, with its name (errno) when not 0.")
D["fuse_request"] = obj({"opcode": STR, "opcode_value": count, "nodeid": count, "unique": count, "len": count, "vring": count,
                         "rtt_us": US, "used_len": count, "out_header": R("fuse_out_header"), "name": STR, "offset": R("hex"),
                         "reply_hex": R("bytes"), "anomaly": STR},
                        ["opcode", "opcode_value", "nodeid", "unique", "len", "vring"],
                        desc="(fs) One FUSE request a command sent: its fuse_in_header (opcode by name, or unknown), the ring, the used entry's length, and the reply's header (none for FORGET); reply_hex when the reply did not check.")
D["fuse_attr"] = obj({k: count for k in ["ino", "size", "blocks", "nlink", "uid", "gid", "rdev", "blksize", "atime", "atimensec",
                                         "mtime", "mtimensec", "ctime", "ctimensec", "flags"]} |
                     {"mode": {"type": "string", "pattern": "^0[0-7]*$"},
                      "type": {"enum": ["regular", "directory", "symlink", "char", "block", "fifo", "socket", "unknown"]}},
                     ["ino", "size", "blocks", "mode", "type", "nlink", "uid", "gid", "rdev", "blksize", "atime", "atimensec",
                      "mtime", "mtimensec", "ctime", "ctimensec", "flags"],
                     desc="(fs) A fuse_attr: its fields by their names in fuse.h, mode as an octal string, and the file type it says.")
D["fuse_entry"] = obj({"nodeid": count, "generation": count, "entry_valid": count, "entry_valid_nsec": count, "attr_valid": count,
                       "attr_valid_nsec": count, "attr": R("fuse_attr")},
                      ["nodeid", "generation", "entry_valid", "entry_valid_nsec", "attr_valid", "attr_valid_nsec", "attr"])
D["fuse_dirent"] = obj({"ino": count, "off": R("hex"), "type": D["fuse_attr"]["properties"]["type"], "type_value": count,
                        "name": STR, "entry": R("fuse_entry")}, ["ino", "off", "type", "type_value", "name"],
                       desc="(fs) A directory entry of a READDIR reply: off is the back-end's cookie; name with bytes that are neither printable ASCII nor UTF-8 as \\xNN, a backslash as \\\\.")
D["fuse_init_out"] = obj({"major": count, "minor": count, "max_readahead": count, "flags": R("mask"), "max_background": count,
                          "congestion_threshold": count, "max_write": count, "time_gran": count, "max_pages": count, "map_alignment": count},
                         ["major", "minor", "max_readahead", "flags", "max_background", "congestion_threshold", "max_write"],
                         desc="(fs init) fuse_init_out as the back-end sent it; flags holds flags2 as bits 32..63 when FUSE_INIT_EXT is set.")

# command bodies: properties, and the ones a success always has
def body(props, required=()):
    b = {"properties": props}
    if required:
        b["if"] = {"properties": {"ok": {"const": True}}}
        b["then"] = {"required": list(required)}
    return b
steps = arr(R("step"))
blk = {"sector": count, "rtt_us": US, "head": count, "id": count, "used_len": count, "buffers": arr(R("buffer")),
       "status": {"enum": ["OK", "IOERR", "UNSUPP", "unknown"]}, "status_value": count, "data": R("data"), "bytes": count,
       "other_used": arr(R("used_entry"))}
C = collections.OrderedDict()
C["connect"] = body({"connected": BOOL, "socket": STR}, ["connected", "socket"])
C["listen"] = body({"listening": STR, "connected": BOOL, "socket": STR, "peer": R("peer")}, ["listening", "connected"])
C["accept"] = body({"connected": BOOL, "socket": STR, "peer": R("peer")}, ["connected", "socket", "peer"])
C["reconnect"] = body({"connected": BOOL, "socket": STR, "peer": R("peer"), "listening": STR}, ["connected"])
C["replay"] = body({})
C["disconnect"] = body({"disconnected": BOOL}, ["disconnected"])
C["status"] = body({
    "connected": BOOL, "socket": nullable(STR), "mode": {"enum": ["client", "listen"]}, "peer_pid": INT,
    "replayable": count, "backend_requests": count, "replay_dropped": count, "device": nullable(STR), "timeout_ms": count,
    "ack_enabled": BOOL, "reply_ack": BOOL, "sync_enabled": BOOL, "features": R("negotiated"), "protocol_features": R("negotiated"),
    "memory": arr(R("mem_region_info")),
    "rings": arr(obj({"index": count, "kick": nullable(R("fd")), "call": nullable(R("fd")), "err": nullable(R("fd"))}, ["index", "kick", "call", "err"])),
    "kept_fds": {"type": "object", "additionalProperties": R("fd")}, "open_fds": count,
    "read_ahead": obj({"bytes": count, "fd_count": count}, ["bytes", "fd_count"]),
    "messages": obj({"sent": count, "received": count}, ["sent", "received"]),
}, ["connected", "mode", "replayable", "device", "timeout_ms", "features", "protocol_features", "memory", "rings", "open_fds", "messages"])
# vhuctl monitor --control: the view of the session's memory and rings.
C["view"] = body({
    "features": R("mask"),
    "regions": arr(obj({"index": count, "guest_phys_addr": R("hex"), "memory_size": count, "userspace_addr": R("hex"),
                        "mmap_offset": count, "mapped": BOOL, "reason": STR},
                       ["index", "guest_phys_addr", "memory_size", "userspace_addr", "mmap_offset", "mapped"])),
    "rings": arr(obj({"index": count, "size": count, "base": count, "layout": {"enum": ["split", "packed"]}, "stopped": BOOL,
                      "desc_user_addr": R("hex"), "avail_user_addr": R("hex"), "used_user_addr": R("hex"),
                      "avail_idx": count, "used_idx": count, "in_flight": count, "kick_fds": count, "call_fds": count,
                      "kicks": count, "calls": count,
                      "kick_to_call_us": obj({"samples": count, "median": count, "p99": count, "max": count},
                                             ["samples", "median", "p99", "max"])},
                     ["index", "layout", "stopped", "kick_fds", "call_fds"])),
}, ["regions", "rings"])
C["ack"] = body({"enabled": BOOL, "reply_ack": BOOL}, ["enabled", "reply_ack"])
C["sync"] = body({"enabled": BOOL}, ["enabled"])
C["config-watch"] = body({"enabled": BOOL}, ["enabled"])
C["device"] = body({"device": nullable(STR)}, ["device"])
C["timeout"] = body({"timeout_ms": count}, ["timeout_ms"])
C["backend-reply"] = body({"backend_request": {"type": "string", "pattern": "^[A-Z0-9_]+$"}, "answer": count}, ["backend_request", "answer"])
C["backend-wait"] = body({"backend_requests": count}, ["backend_requests"])
C["iotlb"] = body({"mode": {"enum": ["auto", "manual"]}}, ["mode"])
C["source"] = body({})
C["sleep"] = body({"slept_ms": count}, ["slept_ms"])
C["expect"] = body({"assertion": STR, "found": {}}, ["assertion"])
# results of vhuctl itself, not of a command (view: of vhuctl monitor --control)
NOT_COMMANDS = ["check-script", "check-list", "view"]
C["check-script"] = body({"checked": count, "errors": count}, ["checked", "errors"])
C["check-list"] = body({"cases": arr(obj({"case": STR, "group": STR, "level": {"enum": ["MUST", "SHOULD", "MAY"]}, "section": STR,
                                         "title": STR, "requirement": STR, "device": STR},
                                        ["case", "group", "level", "section", "title", "requirement"]))}, ["cases"])
C["quit"] = body({})
C["exit"] = body({})
C["raw"] = body({"request": R("message"), "reply": nullable(R("message")), "reply_expected": BOOL, "rtt_us": US,
                 "ack": R("ack"), "outcome": {"enum": ["replied", "silent", "closed", "sent something"]}, "disconnected": BOOL,
                 "unexpected_reply": R("message"), "unexpected_reply_error": STR},
                ["request", "reply", "reply_expected", "outcome"])
C["mem add"] = body(D["mem_region_info"]["properties"], D["mem_region_info"]["required"])
C["mem list"] = body({"regions": arr(R("mem_region_info"))}, ["regions"])
C["mem remove"] = body({"removed": count}, ["removed"])
C["mem read"] = body({"gpa": R("hex"), "data": R("data")}, ["gpa", "data"])
C["mem write"] = body({"gpa": R("hex"), "written": count}, ["gpa", "written"])
C["start"] = body({"steps": steps, "features": R("mask"), "protocol_features": R("mask"), "queues": count, "queues_reported": count,
                   "layout": {"enum": ["split", "packed"]}}, ["steps", "features", "queues", "layout"])
C["stop"] = body({"steps": steps, "bases": arr(obj({"index": count, "num": count}, ["index", "num"]))}, ["steps", "bases"])
C["vring setup"] = body({"steps": steps, "vring": count, "layout": {"enum": ["split", "packed"]}, "size": count,
                         "desc_addr": R("hex"), "avail_addr": R("hex"), "used_addr": R("hex"),
                         "driver_event_addr": R("hex"), "device_event_addr": R("hex")}, ["steps", "vring", "layout", "size", "desc_addr"])
C["vring post"] = body({"vring": count, "head": count, "id": count, "buffers": arr(R("buffer")), "kick_needed": BOOL},
                       ["vring", "buffers", "kick_needed"])
C["vring kick"] = body({"vring": count, "kicked": BOOL}, ["vring", "kicked"])
C["vring wait"] = body({"vring": count, "calls": count, "waited_us": US}, ["vring", "calls", "waited_us"])
C["vring used"] = body({"used": arr(R("used_entry")), "vring": count, "in_flight": count}, ["used", "vring", "in_flight"])
C["vring dump"] = body({"ring": R("ring_dump")}, ["ring"])
C["blk read"] = body(blk, ["sector", "used_len", "buffers", "status", "status_value"])
C["blk write"] = body(blk, ["sector", "used_len", "buffers", "status", "status_value", "bytes"])
C["blk flush"] = body(blk, ["used_len", "buffers", "status", "status_value"])
C["blk id"] = body(dict(blk, device_id=STR), ["used_len", "buffers", "status", "status_value", "device_id"])
C["net send"] = body({"vring": count, "head": count, "id": count, "hdr_len": count, "frame_len": count, "other_used": arr(R("used_entry"))},
                     ["vring", "hdr_len", "frame_len"])
C["net recv"] = body({"frames": arr(R("frame")), "other_used": arr(R("used_entry")), "since_send_us": US}, ["frames"])
NUM = {"type": "number", "minimum": 0}
PCTS = ["min", "mean", "p50", "p90", "p99", "p99_9", "max"]
D["latency"] = obj({k: US for k in PCTS}, PCTS, desc="Latency percentiles from a log-bucketed histogram (within 1.6 % above the value recorded).")
D["bench_start"] = obj({"features": R("mask"), "protocol_features": R("mask"), "queues": count, "queues_reported": count,
                        "layout": {"enum": ["split", "packed"]}}, ["features", "queues", "layout"],
                       desc="What a bench did to bring the device up ('start', without its steps).")
bench = {"start": R("bench_start"), "start_steps": steps, "config_steps": steps, "elapsed_s": NUM, "latency_us": R("latency"),
         "kicks": count, "calls": count, "cpu": count, "max_rss_kb": count, "interrupted": BOOL, "poll": BOOL}
C["bench blk"] = body(dict(bench, rw={"enum": ["read", "write", "randread", "randwrite", "rw", "randrw"]}, bs=count, iodepth=count,
                           queues=count, threads=count, size=count, verify=BOOL, ios=count, reads=count, writes=count, verified=count,
                           verify_reads=count, bytes=count, iops=count, mb_s=NUM, in_flight=count),
                      ["rw", "bs", "iodepth", "queues", "size", "ios", "reads", "writes", "bytes", "elapsed_s", "iops", "mb_s",
                       "latency_us", "kicks", "calls"])
C["bench net"] = body(dict(bench, size=count, burst=count, sent=count, tx_done=count, tx_pps=count, tx_mb_s=NUM, received=count,
                           lost=count, rx_pps=count, rx_mb_s=NUM, foreign=count),
                      ["size", "burst", "sent", "tx_done", "elapsed_s", "tx_pps", "kicks", "calls"])
C["bench request"] = body(dict(bench, request={"type": "string", "pattern": "^[A-Z0-9_]+$"}, count=count, per_second=count),
                          ["request", "count", "elapsed_s", "per_second", "latency_us"])
fsb = {"requests": arr(R("fuse_request")), "path": STR, "nodeid": count, "fh": count, "open_flags": R("mask"),
       "other_used": arr(R("used_entry"))}
C["fs init"] = body(dict(fsb, init_in=obj({"major": count, "minor": count, "max_readahead": count, "flags": R("mask")},
                                          ["major", "minor", "max_readahead", "flags"]),
                         out_header=R("fuse_out_header"), init_out=R("fuse_init_out"), negotiated_minor=count),
                    ["requests", "init_in", "out_header", "init_out", "negotiated_minor"])
C["fs stat"] = body(dict(fsb, attr_valid=count, attr=R("fuse_attr")), ["requests", "path", "nodeid", "attr"])
C["fs ls"] = body(dict(fsb, entries=arr(R("fuse_dirent")), count=count, readdirs=count, truncated=BOOL),
                  ["requests", "path", "nodeid", "fh", "entries", "count", "readdirs"])
C["fs cat"] = body(dict(fsb, offset=count, reads=count, data=R("data"), eof=BOOL),
                   ["requests", "path", "nodeid", "fh", "offset", "reads", "data", "eof"])
C["fs write"] = body(dict(fsb, created=BOOL, offset=count, writes=count, bytes=count),
                     ["requests", "path", "nodeid", "fh", "created", "offset", "writes", "bytes"])
C["fs raw"] = body(dict(fsb, out_header=R("fuse_out_header"), body_hex=R("bytes"),
                        decoded={"anyOf": [{"type": "object"}, {"type": "array"}], "description": "The reply body decoded, when the opcode's reply has a shape fuse.h gives."},
                        decode_error=STR), ["requests"])
D["gpu_fields"] = obj({k: count for k in ("scanout_id", "x", "y", "width", "height", "hot_x", "hot_y", "data_len", "fd_width",
                                          "fd_height", "fd_stride", "fd_flags", "fd_drm_fourcc")} |
                     {"features": R("mask"), "modifier": R("hex")},
                     desc="(gpu-request) A vhost-user-gpu message's payload by the names of docs/interop/vhost-user-gpu.rst.")
D["gpu_message"] = obj({"name": {"type": "string", "pattern": "^[A-Z0-9_]+$"}, "number": count, "flags": count, "size": count,
                        "fields": R("gpu_fields"), "payload_error": STR}, ["number", "flags", "size"],
                       desc="(gpu-request) A message the back-end sent on the gpu socket: its header, and its payload decoded (or why not).")
D["gpu_ctrl_hdr"] = obj({"type": STR, "type_value": count, "flags": count, "fence_id": count, "ctx_id": count},
                        ["type", "type_value", "flags", "fence_id", "ctx_id"],
                        desc="(gpu) The virtio_gpu_ctrl_hdr of a response: its type by name (RESP_OK_NODATA, RESP_ERR_...) and value.")
D["gpu_rect"] = obj({"x": count, "y": count, "width": count, "height": count}, ["x", "y", "width", "height"])
gpub = {"request_type": STR, "used_len": count, "response": R("gpu_ctrl_hdr"), "anomaly": STR, "other_used": arr(R("used_entry"))}
C["gpu socket"] = body({"steps": steps, "protocol_features_offered": R("mask"), "protocol_features": R("mask"),
                        "displays": arr(obj({"width": count, "height": count}, ["width", "height"])), "edid": BOOL},
                       ["steps", "protocol_features_offered", "protocol_features", "displays", "edid"])
PMODES = arr(obj({"scanout": count, "x": count, "y": count, "width": count, "height": count, "enabled": BOOL, "flags": count},
                 ["scanout", "x", "y", "width", "height", "enabled", "flags"]))
C["gpu display-info"] = body(dict(gpub, pmodes=PMODES), ["request_type", "used_len", "response", "pmodes"])
C["gpu create"] = body(dict(gpub, resource=count, format=STR), ["resource", "format", "request_type"])
C["gpu attach"] = body(dict(gpub, resource=count, addr=R("hex"), len=count), ["resource", "addr", "len", "request_type"])
C["gpu fill"] = body({"resource": count, "addr": R("hex"), "bytes": count, "pattern": {"enum": ["stripes", "gradient", "file"]},
                      "file_bytes": count}, ["resource", "addr", "bytes", "pattern"])
C["gpu transfer"] = body(dict(gpub, resource=count, rect=R("gpu_rect")), ["resource", "rect", "request_type"])
C["gpu flush"] = body(dict(gpub, resource=count, rect=R("gpu_rect")), ["resource", "rect", "request_type"])
C["gpu scanout"] = body(dict(gpub, scanout=count, resource=count, rect=R("gpu_rect")), ["scanout", "resource", "rect", "request_type"])
C["gpu raw"] = body(dict(gpub, body_hex=R("bytes"), pmodes=PMODES), ["request_type"])
C["gpu screenshot"] = body({"path": STR, "scanout": count, "width": count, "height": count, "updates": count, "bytes": count},
                           ["path", "scanout", "width", "height", "updates", "bytes"])
C["log start"] = body({"steps": steps}, ["steps"])
C["log dump"] = body({"dirty": arr(obj({"gpa": R("hex"), "pages": count}, ["gpa", "pages"])), "dirty_pages": count, "page_size": count,
                      "cleared": BOOL}, ["dirty", "dirty_pages", "page_size", "cleared"])
C["log stop"] = body({"steps": steps}, ["steps"])
C["inflight dump"] = body({"mmap_size": count, "queue_stride": count, "bytes_read": count, "layout": {"enum": ["split", "packed"]},
                           "queues": arr(R("inflight_queue")), "anomalies": arr(obj({"queue": count, "what": STR}, ["queue", "what"]))},
                          ["mmap_size", "queue_stride", "bytes_read", "layout", "queues", "anomalies"])
C["device-state save"] = body({"steps": steps, "file": STR, "bytes": count}, ["steps", "file", "bytes"])
C["device-state load"] = body({"steps": steps, "file": STR, "bytes": count}, ["steps", "file", "bytes"])
D["help_entry"] = obj({"name": STR, "summary": STR}, ["name", "summary"], desc="(help) A command of a list: its name and summary.")
D["help_request"] = obj({"name": {"type": "string", "pattern": "^[A-Z0-9_]+$"}, "number": count, "payload_kind": STR,
                         "reply_policy": {"enum": ["always", "if-log-shmfd", "ack-only"]}, "protocol_feature": STR},
                        ["name", "number", "payload_kind", "reply_policy"],
                        desc="(help) The request a request command sends, from its row of the request table.")
D["help_argument"] = obj({"name": STR, "type": {"enum": ["u32", "u64", "bool", "features", "protocol-features", "status", "hex", "enum",
                                                         "string", "path", "mac", "uuid", "flag"]},
                          "required": BOOL, "positional": BOOL, "help": STR, "values": arr(STR)},
                         ["name", "type", "required", "positional", "help"],
                         desc="(help) A command's argument, from its argument spec; values for an enumeration.")
C["help"] = {"properties": {"groups": arr(obj({"name": STR, "commands": arr(R("help_entry"))}, ["name", "commands"])),
                            "topic": STR, "commands": arr(R("help_entry")), "usage": STR, "summary": STR,
                            "group": {"enum": ["session", "requests", "memory", "rings", "meta"]}, "request": R("help_request"),
                            "spec": STR, "description": STR, "arguments": arr(R("help_argument")), "example": STR},
             # the list, a group's commands, or one command
             "if": {"properties": {"ok": {"const": True}}},
             "then": {"oneOf": [{"required": ["groups"]}, {"required": ["topic", "commands"]},
                                {"required": ["topic", "usage", "summary", "group", "arguments"]}]}}
REQUESTS = ["get-features", "set-features", "set-owner", "reset-owner", "set-mem-table", "set-log-base", "set-log-fd", "set-vring-num",
            "set-vring-addr", "set-vring-base", "get-vring-base", "set-vring-kick", "set-vring-call", "set-vring-err",
            "get-protocol-features", "set-protocol-features", "get-queue-num", "set-vring-enable", "send-rarp", "net-set-mtu",
            "set-backend-req-fd", "iotlb-msg", "set-vring-endian", "get-config", "set-config", "create-crypto-session",
            "close-crypto-session", "postcopy-advise", "postcopy-listen", "postcopy-end", "get-inflight-fd", "set-inflight-fd",
            "gpu-set-socket", "reset-device", "vring-kick", "get-max-mem-slots", "add-mem-reg", "rem-mem-reg", "set-status",
            "get-status", "get-shared-object", "set-device-state-fd", "check-device-state", "get-shmem-config"]
D["request_result"] = body({"request": R("message"), "reply": nullable(R("message")), "reply_expected": BOOL, "rtt_us": US,
                            "ack": R("ack"), "sync": obj({"ok": BOOL, "rtt_us": US}, ["ok", "rtt_us"]), "disconnected": BOOL},
                           ["request", "reply", "reply_expected"])
D["request_result"]["description"] = "What every request command returns: the message sent, the reply (null when none came or none was due), and the REPLY_ACK ack and sync barrier when there were."
ENVELOPE = {"command": STR, "ok": BOOL, "error": R("error"), "warnings": R("warnings"), "schema_version": {"const": 1}}
def closed(b):
    """A command's whole result: the envelope's fields and its own, nothing else."""
    props = dict(ENVELOPE)
    props.update(b["properties"])
    o = {"type": "object", "properties": props, "required": ["ok"], "additionalProperties": False,
         "allOf": [{"if": {"properties": {"ok": {"const": False}}}, "then": {"required": ["error"]}, "else": {"not": {"required": ["error"]}}}]}
    if "then" in b:
        o["allOf"].append({"if": b["if"], "then": b["then"]})
    return o
C["(unknown)"] = body({})
REQ_BODY = D.pop("request_result")
for k, v in list(C.items()) + [("(request)", REQ_BODY)]:
    D["cmd_" + k.strip("()").replace(" ", "_")] = closed(v)
KNOWN = [k for k in C if k != "(unknown)"]
chain = [{"if": {"properties": {"command": {"const": k}}, "required": ["command"]}, "then": R("cmd_" + k.replace(" ", "_"))} for k in KNOWN]
chain.append({"if": {"properties": {"command": {"enum": REQUESTS}}, "required": ["command"]}, "then": R("cmd_request")})
chain.append({"if": {"anyOf": [{"not": {"required": ["command"]}}, {"properties": {"command": {"not": {"enum": KNOWN + REQUESTS}}}}]},
              "then": {"allOf": [R("cmd_unknown"), {"properties": {"ok": {"const": False}}}]}})
D["any_result"] = {"type": "object", "allOf": chain}
D["result"] = {"description": "The result of one command: printed once it is finished, one object per line on a pipe. The envelope (command, ok, error, warnings, schema_version) and the command's own fields.",
               "$ref": "#/$defs/any_result", "required": ["schema_version"]}
D["step"] = {"description": "One command run as a step of a bigger one (start, stop, log, device-state, vring setup) or for the back-end channel: its whole result, as if typed, without schema_version.",
             "$ref": "#/$defs/any_result", "required": ["command"], "not": {"required": ["schema_version"]}}
EV = ["answer", "reconnected", "reconnect-failed", "backend-request", "backend-channel-closed", "iotlb-miss-unanswered",
      "disconnected", "error", "unsolicited", "gpu-request", "gpu-socket-closed"]
D["event"] = {
    "description": "Something that happened on its own, between or during commands: printed when it happens.",
    "type": "object", "required": ["event", "schema_version"],
    "properties": {"event": {"enum": EV}, "schema_version": {"const": 1}, "warnings": R("warnings"), "reason": STR, "socket": STR,
                   "message": R("message"), "request": R("message"), "result": R("step"), "fds_closed": count,
                   "answered": nullable(count), "answer_error": STR, "action": STR, "channel_closed": BOOL, "iova": R("hex"),
                   "gpu_message": R("gpu_message"), "answer_type": {"enum": ["u64", "RESP_OK_DISPLAY_INFO", "RESP_OK_EDID", "RESP_ERR_UNSPEC", "empty"]},
                   "answer_bytes": count, "protocol_features": R("mask")},
    "allOf": [
        {"if": {"properties": {"event": {"const": "unsolicited"}}}, "then": {"required": ["message"]}},
        {"if": {"properties": {"event": {"const": "backend-request"}}}, "then": {"required": ["request"]}},
        {"if": {"properties": {"event": {"const": "gpu-request"}}}, "then": {"required": ["gpu_message"]}},
        {"if": {"properties": {"event": {"enum": ["answer", "reconnected", "reconnect-failed"]}}}, "then": {"required": ["result"]}},
        {"if": {"properties": {"event": {"enum": ["disconnected", "error", "backend-channel-closed", "iotlb-miss-unanswered", "reconnect-failed", "gpu-socket-closed"]}}}, "then": {"required": ["reason"]}},
    ],
    "additionalProperties": False}
# vhuctl check: an event per case as it ends, then the summary (vhuctl-json(7), EVENTS).
VERDICT = {"enum": ["pass", "fail", "warn", "skip", "missing"]}
D["check_case"] = obj({
    "event": {"const": "check-case"}, "schema_version": {"const": 1},
    "case": {"type": "string", "pattern": "^[a-z0-9-]+\\.[a-z0-9-]+$"}, "group": STR, "title": STR, "section": STR,
    "level": {"enum": ["MUST", "SHOULD", "MAY"]}, "requirement": STR, "verdict": VERDICT, "reason": STR,
    "expected": STR, "actual": STR, "crash": STR, "restarted": BOOL, "index": count, "total": count,
    "duration_us": US, "evidence": arr(R("step")),
}, ["event", "schema_version", "case", "group", "title", "section", "level", "requirement", "verdict", "reason",
    "index", "total", "duration_us", "evidence"],
    desc="vhuctl check: one case, once it has ended: the spec sentence it checks, the verdict and why, and the evidence (every command it ran, as a step).")
D["check_summary"] = obj({
    "event": {"const": "check-summary"}, "schema_version": {"const": 1}, "target": STR, "total": count,
    "counts": obj({v: count for v in ["pass", "fail", "warn", "skip", "missing"]}, ["pass", "fail", "warn", "skip", "missing"]),
    "crashes": arr(obj({"case": STR, "crash": STR}, ["case", "crash"])), "backend_starts": count,
    "duration_us": US, "exit_status": count,
}, ["event", "schema_version", "target", "total", "counts", "crashes", "backend_starts", "duration_us", "exit_status"],
    desc="vhuctl check: the last object, once every case has ended: the count of each verdict, and the crashes with the case during which each came.")
# vhuctl --version: a result of the program, not of a command of the table.
D["version"] = obj({
    "command": {"const": "version"}, "ok": {"const": True}, "schema_version": {"const": 1},
    "version": STR,
    "features": obj({"json_c": STR, "readline": STR, "sanitizers": BOOL, "fuzzing": BOOL, "vhost_user_spec": STR,
                     "schema_version": {"const": 1}},
                    ["json_c", "readline", "sanitizers", "fuzzing", "vhost_user_spec", "schema_version"]),
}, ["command", "ok", "schema_version", "version", "features"],
    desc="vhuctl --version: the version, and what the build has and follows: the json-c and readline it runs with, whether it was configured with sanitizers or for fuzzing, the revision of the vhost-user spec its tables follow, and the schema version.")
# vhuctl monitor: an event per message relayed, and the sessions' events (vhuctl-json(7), EVENTS).
MON_EV = ["monitor-ready", "connected", "connect-failed", "disconnected", "stalled", "message", "fault", "replay-difference",
          "replay-summary"]
SIDE = {"enum": ["front-end", "back-end", "backend-channel"]}
D["monitor_event"] = {
    "description": "vhuctl monitor: a message relayed (its direction, time, the message, the request a reply answers, what is wrong with it), a session's side coming or going, a sender stopped in the middle of a message, a fault injected (--fault) into the message before it, or (--replay) an answer that differs from the recorded one and the replay's counts.",
    "type": "object", "required": ["event", "schema_version"],
    "properties": {"event": {"enum": MON_EV}, "schema_version": {"const": 1},
                   "front_end": STR, "back_end": STR, "side": SIDE, "socket": STR, "session": count, "reason": STR,
                   "messages": count, "seq": count,
                   "direction": {"enum": ["to_backend", "to_frontend", "backend_channel_to_frontend", "backend_channel_to_backend"]},
                   "time": {"type": "string", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{6}Z$"},
                   "message": R("message"),
                   "reply_to": obj({"name": {"type": "string", "pattern": "^[A-Z0-9_]+$"}, "seq": count, "rtt_us": US}, ["seq", "rtt_us"]),
                   "warnings": R("warnings"),
                   "rule": STR, "action": {"enum": ["drop", "close", "delay", "fail", "corrupt"]}, "detail": STR,
                   "line": count, "request": R("message"), "recorded": nullable(R("message")),
                   "replayed": nullable(R("message")), "differs": arr(STR), "error": R("error"),
                   "recording": STR, "sent": count, "not_sent": count, "compared": count, "differences": count},
    "allOf": [
        {"if": {"properties": {"event": {"const": "monitor-ready"}}}, "then": {"required": ["front_end", "back_end"]}},
        {"if": {"properties": {"event": {"enum": ["connected", "connect-failed"]}}}, "then": {"required": ["side", "socket", "session"]}},
        {"if": {"properties": {"event": {"const": "connect-failed"}}}, "then": {"required": ["reason"]}},
        {"if": {"properties": {"event": {"const": "disconnected"}}}, "then": {"required": ["side", "session", "reason", "messages"]}},
        {"if": {"properties": {"event": {"const": "stalled"}}}, "then": {"required": ["side", "session", "direction", "reason"]}},
        {"if": {"properties": {"event": {"const": "message"}}}, "then": {"required": ["session", "seq", "direction", "time", "message"]}},
        {"if": {"properties": {"event": {"const": "fault"}}}, "then": {"required": ["session", "seq", "rule", "action"]}},
        {"if": {"properties": {"event": {"const": "replay-difference"}}},
         "then": {"required": ["session", "seq", "line", "request", "recorded", "replayed", "differs"]}},
        {"if": {"properties": {"event": {"const": "replay-summary"}}},
         "then": {"required": ["recording", "session", "socket", "sent", "not_sent", "compared", "differences"]}},
    ],
    "additionalProperties": False}
# A monitor's event is told from the shell's by its name, or (disconnected) by its side.
MON_IF = {"anyOf": [{"properties": {"event": {"enum": [e for e in MON_EV if e != "disconnected"]}}}, {"required": ["side"]}]}
top = {"$schema": "https://json-schema.org/draft/2020-12/schema",
       "$id": "urn:vhuctl:output:1",
       "title": "vhuctl output, schema version 1",
       "description": "Every JSON object vhuctl prints: a command's result or an event. See vhuctl-json(7).",
       "x-schema-version": 1,
       "x-not-commands": NOT_COMMANDS,
       "if": {"required": ["event"]},
       "then": {"if": {"properties": {"event": {"const": "check-case"}}}, "then": R("check_case"),
                "else": {"if": {"properties": {"event": {"const": "check-summary"}}}, "then": R("check_summary"),
                         "else": {"if": MON_IF, "then": R("monitor_event"), "else": R("event")}}},
       "else": {"if": {"properties": {"command": {"const": "version"}}, "required": ["command", "version"]},
                "then": R("version"), "else": R("result")},
       "$defs": D}
print(json.dumps(top, indent=1))
