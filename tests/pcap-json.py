#!/usr/bin/python3
# pcap-json.py TSHARK-JSON MONITOR-JSONL: a capture (vhuctl monitor --pcap),
# as tshark decoded it with vhost-user.lua (-T json --no-duplicate-keys),
# against the monitor's JSON stream of the same run, message by message:
# the same messages (session, seq), and each with the same direction,
# request number and name, header flags and size, fd count, and the payload
# fields the dissector decodes. Prints one line of counts; the differences,
# one a line, and exit 1 when there are any.
import json
import sys

DIRS = ["to_backend", "to_frontend", "backend_channel_to_frontend", "backend_channel_to_backend"]
# dissector field -> the member of the JSON payload that holds it
FIELDS = {
    "vhostuser.index": "index", "vhostuser.num": "num", "vhostuser.nofd": "nofd",
    "vhostuser.desc_user_addr": "desc_user_addr", "vhostuser.used_user_addr": "used_user_addr",
    "vhostuser.avail_user_addr": "avail_user_addr", "vhostuser.log_guest_addr": "log_guest_addr",
    "vhostuser.nregions": "nregions", "vhostuser.config_offset": "offset", "vhostuser.config_size": "size",
    "vhostuser.config_flags": "flags_value",
}
REGION = {"vhostuser.guest_phys_addr": "guest_phys_addr", "vhostuser.memory_size": "memory_size",
          "vhostuser.userspace_addr": "userspace_addr", "vhostuser.mmap_offset": "mmap_offset"}


def num(v):
    if isinstance(v, bool):
        return int(v)
    if isinstance(v, str):
        return {"true": 1, "false": 0, "True": 1, "False": 0}.get(v, None) if not v[:1].isdigit() else int(v, 0)
    return int(v)


def flat(d, out):
    """The dissector's fields, its subtrees flattened."""
    for k, v in d.items():
        if isinstance(v, dict):
            flat(v, out)
        else:
            out[k] = v
    return out


def as_list(v):
    return v if isinstance(v, list) else [v]


def main():
    packets = json.load(open(sys.argv[1]))
    stream = {}
    for line in open(sys.argv[2]):
        o = json.loads(line)
        if o.get("event") == "message":
            stream[(o["session"], o["seq"])] = o
    bad, fields, seen = [], 0, set()

    def same(what, key, got, want):
        nonlocal fields
        fields += 1
        if got != want:
            bad.append("%s.%s: %s: tshark %r, the stream %r" % (key[0], key[1], what, got, want))

    for p in packets:
        layers = p["_source"]["layers"]
        if "vhostuser" not in layers:
            continue
        t = flat(layers["vhostuser"], {})
        key = (num(t["vhostuser.session"]), num(t["vhostuser.seq"]))
        o = stream.get(key)
        if not o:
            bad.append("%s.%s: in the capture, not in the stream" % key)
            continue
        seen.add(key)
        m = o["message"]
        if "vhostuser.malformed" in t:
            bad.append("%s.%s: tshark flags it malformed: %s" % (key[0], key[1], t["vhostuser.malformed"]))
        same("direction", key, DIRS[num(t["vhostuser.direction"])], o["direction"])
        same("request", key, num(t["vhostuser.request"]), m["number"])
        same("name", key, t.get("vhostuser.name"), m.get("name"))
        same("flags", key, num(t["vhostuser.flags"]), int(m["flags"]["value"], 16))
        same("size", key, num(t["vhostuser.size"]), m["size"])
        same("fds", key, num(t["vhostuser.fds"]), len(m.get("fds", [])))
        pl = m.get("payload") or {}
        if "vhostuser.u64" in t:
            want = pl.get("u64", pl.get("value"))
            same("u64", key, num(t["vhostuser.u64"]), None if want is None else num(want))
        for f, member in FIELDS.items():
            if f in t:
                same(member, key, num(t[f]), None if member not in pl else num(pl[member]))
        regions = pl.get("regions", [pl] if "guest_phys_addr" in pl else [])
        for f, member in REGION.items():
            if f in t:
                same(member, key, [num(x) for x in as_list(t[f])], [num(r[member]) for r in regions])
        if "vhostuser.data" in t and "hex" in pl:
            same("data", key, t["vhostuser.data"].replace(":", ""), pl["hex"])
    for key in sorted(set(stream) - seen):
        bad.append("%s.%s: in the stream, not in the capture" % key)
    print("%d messages, %d fields compared, %d differ" % (len(seen), fields, len(bad)))
    for b in bad:
        print(b)
    return 1 if bad else 0


sys.exit(main())
