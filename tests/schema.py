#!/usr/bin/python3
# schema.py SCHEMA FILE...: check every JSON object in FILEs (one per line,
# as vhuctl prints them on a pipe) against vhuctl's output schema. Prints
# each object that does not conform, with where and why; exit 1 if any.
import json
import sys

import jsonschema


def main():
    with open(sys.argv[1]) as f:
        schema = json.load(f)
    jsonschema.Draft202012Validator.check_schema(schema)
    v = jsonschema.Draft202012Validator(schema)
    n = bad = 0
    for name in sys.argv[2:]:
        with open(name, errors="replace") as f:
            for lineno, line in enumerate(f, 1):
                if not line.strip():
                    continue
                n += 1
                try:
                    o = json.loads(line)
                except ValueError as e:
                    bad += 1
                    print(f"{name}:{lineno}: not JSON: {e}: {line[:200]}")
                    continue
                errs = sorted(v.iter_errors(o), key=lambda e: list(e.absolute_path))
                if errs:
                    bad += 1
                    # the deepest error says most
                    best = jsonschema.exceptions.best_match(errs)
                    where = "/".join(str(p) for p in best.absolute_path) or "(top)"
                    print(f"{name}:{lineno}: {o.get('command', o.get('event'))}: at {where}: {best.message[:300]}")
                    print(f"    {line[:400].rstrip()}")
    print(f"{n} objects, {bad} not conforming")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
