#!/bin/bash
# schema.sh - the output contract: the schema is current, complete, agrees
# with vhuctl-json(7), rejects what it must, and matches the binary. (Every
# other test checks the objects it made vhuctl print: lib.sh check_schema.)
. "${top_srcdir:-.}/tests/lib.sh"

top=${top_srcdir:-.}
SCHEMA=$top/schema/vhuctl.schema.json

python3 "$top/schema/gen-schema.py" >"$TMP/gen.json"
cmp -s "$TMP/gen.json" "$SCHEMA"
ok $? "schema/vhuctl.schema.json is what schema/gen-schema.py writes (run it after changing it)"

python3 -c 'import json, sys, jsonschema; jsonschema.Draft202012Validator.check_schema(json.load(open(sys.argv[1])))' "$SCHEMA"
ok $? "the schema is a valid JSON Schema, draft 2020-12"

"$VHUCTL" --list-commands >"$TMP/commands"
while read -r line; do
	case $line in
	"ok - "*) ok 0 "${line#ok - }" ;;
	"not ok - "*) ok 1 "${line#not ok - }" ;;
	*) echo "$line" ;;
	esac
done < <(python3 "$top/tests/schema-doc.py" "$SCHEMA" "$top/man/vhuctl-json.7" "$TMP/commands")

# The checks can fail: a member missing from the man page is seen.
grep -v '^\\fBrtt_us\\fR' "$top/man/vhuctl-json.7" >"$TMP/short.7"
like "$(python3 "$top/tests/schema-doc.py" "$SCHEMA" "$TMP/short.7" "$TMP/commands")" \
	"only in the schema: ['rtt_us']" "a member the man page leaves out is reported"

# The version the binary prints is the schema's.
run_vhuctl -c 'mem list'
is "$(printf '%s\n' "$OUT" | jq -r .schema_version)" "$(jq -r '.["x-schema-version"]' "$SCHEMA")" \
	"vhuctl prints the schema's version"

# What the schema must refuse: each object below breaks one rule.
reject() {	# reject DESCRIPTION JSON
	printf '%s\n' "$2" >"$TMP/bad.json"
	python3 "$top/tests/schema.py" "$SCHEMA" "$TMP/bad.json" >"$TMP/why" 2>&1
	is "$?" 1 "the schema refuses $1"
}
accept() {	# accept DESCRIPTION JSON
	printf '%s\n' "$2" >"$TMP/good.json"
	python3 "$top/tests/schema.py" "$SCHEMA" "$TMP/good.json" >"$TMP/why" 2>&1
	ok $? "the schema accepts $1"
	[ -s "$TMP/why" ] && grep -v '^1 objects' "$TMP/why" | sed 's/^/#   /'
}
MSG='{"name":"GET_QUEUE_NUM","number":17,"flags":{"value":"0x5","names":["REPLY"]},"size":8,"payload":{"u64":1},"fds":[]}'
REQ='{"name":"GET_QUEUE_NUM","number":17,"flags":{"value":"0x1","names":[]},"size":0,"fds":[]}'
accept "a request command's result" \
	"{\"command\":\"get-queue-num\",\"request\":$REQ,\"reply\":$MSG,\"reply_expected\":true,\"rtt_us\":20.5,\"ok\":true,\"schema_version\":1}"
reject "a count written as hex" \
	"{\"command\":\"get-queue-num\",\"request\":$REQ,\"reply\":${MSG/\"u64\":1/\"u64\":\"0x1\"},\"reply_expected\":true,\"ok\":true,\"schema_version\":1}"
reject "header flags as a bare string" \
	"{\"command\":\"get-queue-num\",\"request\":${REQ/\{\"value\":\"0x1\",\"names\":[]\}/\"0x1\"},\"reply\":null,\"reply_expected\":true,\"ok\":true,\"schema_version\":1}"
accept "mem list" '{"command":"mem list","regions":[],"ok":true,"schema_version":1}'
accept "mem read" '{"command":"mem read","gpa":"0x1000","data":{"len":0,"hex":"","text":""},"ok":true,"schema_version":1}'
reject "a member it does not know" '{"command":"mem list","regions":[],"extra":1,"ok":true,"schema_version":1}'
reject "a result without ok" '{"command":"mem list","regions":[],"schema_version":1}'
reject "a failure without its error" '{"command":"mem list","ok":false,"schema_version":1}'
reject "a success with an error" '{"command":"mem list","regions":[],"ok":true,"error":{"code":"EIO","message":"x"},"schema_version":1}'
reject "a success that lacks what the command always returns" '{"command":"mem list","ok":true,"schema_version":1}'
reject "an address as a number" '{"command":"mem read","gpa":4096,"data":{"len":0,"hex":"","text":""},"ok":true,"schema_version":1}'
reject "another schema version" '{"command":"mem list","regions":[],"ok":true,"schema_version":2}'
reject "schema_version inside a step" \
	'{"command":"stop","steps":[{"command":"mem list","regions":[],"ok":true,"schema_version":1}],"bases":[],"ok":true,"schema_version":1}'
accept "an unknown command's error" '{"command":"bogus","ok":false,"error":{"code":"EINVAL","message":"unknown command","file":"command line","line":1,"col":1},"schema_version":1}'
reject "an unknown command that succeeded" '{"command":"bogus","ok":true,"schema_version":1}'
reject "an event of no known kind" '{"event":"surprise","schema_version":1}'
accept "help's list" '{"command":"help","groups":[{"name":"meta","commands":[{"name":"help","summary":"list commands"}]}],"ok":true,"schema_version":1}'
reject "help that is both a list and a command" \
	'{"command":"help","groups":[],"topic":"help","usage":"help","summary":"s","group":"meta","arguments":[],"ok":true,"schema_version":1}'
reject "help with an argument of no known type" \
	'{"command":"help","topic":"x","usage":"x","summary":"s","group":"meta","arguments":[{"name":"a","type":"int","required":true,"positional":true,"help":"h"}],"ok":true,"schema_version":1}'

V='"command":"version","ok":true,"version":"0.1.0","schema_version":1'
F='"json_c":"0.16","readline":"8.2","sanitizers":false,"fuzzing":false,"vhost_user_spec":"vhost-user.rst at QEMU commit f6b615b52d1d","schema_version":1'
accept "--version's result" "{$V,\"features\":{$F}}"
reject "--version's result without its features" "{$V}"
reject "--version's result with a feature it does not know" "{$V,\"features\":{$F,\"lua\":\"5.4\"}}"

done_testing
