#!/usr/bin/python3
# schema-doc.py SCHEMA MANPAGE COMMANDS: the schema against what documents
# and implements it. Prints one "ok"/"not ok" line per check (TAP, without
# the numbers, which tests/schema.sh adds), with what differs.
#   - every command vhuctl has (COMMANDS: --list-commands output) has a
#     result in the schema, and the schema knows no other;
#   - the FIELDS section of vhuctl-json(7) lists exactly the member names of
#     the schema, each with exactly the types the schema gives it.
import json
import re
import sys

NAMED = {"count": "number", "us": "number", "hex": "hex", "bytes": "bytes", "mask": "mask", "message": "message",
         "data": "data", "fd": "fd", "error": "error", "ack": "ack", "payload": "payload", "step": "step",
         "warnings": "array"}


def types_of(s, depth=0):
    """The types a member's schema allows, in the man page's words."""
    if "$ref" in s and "properties" not in s:
        return {NAMED.get(s["$ref"].split("/")[-1], "object")}
    if "anyOf" in s:
        return set().union(*(types_of(x, depth + 1) for x in s["anyOf"]))
    if "const" in s:
        c = s["const"]
        return {"boolean" if isinstance(c, bool) else "number" if isinstance(c, int) else "string"}
    if "enum" in s:
        return {"string"}
    t = s.get("type")
    if t:
        return {{"integer": "number"}.get(t, t)}
    # no type at all: any value; a condition ("not") says nothing of types
    return set() if "not" in s else {"any"}


def members(schema):
    found = {}

    def walk(o):
        if isinstance(o, dict):
            for k, v in o.items():
                if k == "properties" and isinstance(v, dict):
                    for n, sub in v.items():
                        found.setdefault(n, set()).update(types_of(sub))
                walk(v)
        elif isinstance(o, list):
            for v in o:
                walk(v)
    walk(schema)
    return found


def report(ok, what, detail=""):
    print(("ok" if ok else "not ok") + " - " + what)
    if not ok and detail:
        for line in detail.splitlines():
            print("#   " + line)
    return ok


def main():
    schema = json.load(open(sys.argv[1]))
    man = open(sys.argv[2]).read()
    commands = {l.split("\t")[0] for l in open(sys.argv[3]) if l.strip()}
    known = set()
    for branch in schema["$defs"]["any_result"]["allOf"]:
        c = branch["if"].get("properties", {}).get("command", {})
        known |= {c["const"]} if "const" in c else set(c.get("enum", []))
    known -= set(schema.get("x-not-commands", []))
    report(known == commands, "the schema has a result for every command, and for no other",
           f"only in the schema: {sorted(known - commands)}\nonly in vhuctl: {sorted(commands - known)}")

    mem = members(schema)
    mem["ok"] = {"boolean"}		# its const in the envelope's if/then
    sect = man.split("\n.SH FIELDS\n", 1)[1].split("\n.SH ", 1)[0]
    doc = {}
    for name, types in re.findall(r"^\\fB([a-z0-9_]+)\\fR \((.*)\)$", sect, re.M):
        doc[name] = set(re.findall(r"\\fI([a-z]+)\\fR", types))
    report(set(doc) == set(mem), "vhuctl-json(7) FIELDS lists every member of the schema, and no other",
           f"only in the schema: {sorted(set(mem) - set(doc))}\nonly in the man page: {sorted(set(doc) - set(mem))}")
    wrong = [f"{n}: man page {sorted(doc[n])}, schema {sorted(mem[n])}" for n in sorted(set(doc) & set(mem)) if doc[n] != mem[n]]
    report(not wrong, "vhuctl-json(7) gives each member the types the schema does", "\n".join(wrong))
    return 0


if __name__ == "__main__":
    sys.exit(main())
