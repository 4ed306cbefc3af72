#!/bin/bash
# fs.sh - vhuctl against a real vhost-user-fs back-end: QEMU's virtiofsd.
. "${top_srcdir:-.}/tests/lib.sh"

S=$TMP/fs.sock
mkdir -p "$TMP/share"
echo "vhuctl was here" >"$TMP/share/hello.txt"

# start sets up hiprio and every request queue the back-end reports.
start_virtiofsd "$S" "$TMP/share"
run_vhuctl --device fs "$S" -c 'start; status'
ran_ok "start on virtiofsd succeeds"
st=$(jcmd start)
is "$(printf '%s' "$st" | jq -c '[.queues_reported, .queues]')" '[2,2]' "start follows GET_QUEUE_NUM: hiprio and one request queue"
is "$(printf '%s' "$st" | jq -c '[.steps[] | select(.request.name == "SET_VRING_ENABLE") | .request.payload]')" \
	'[{"index":0,"num":1},{"index":1,"num":1}]' "both rings set up and enabled"
is "$(jcmd status | jq -c '[.rings[] | .index]')" '[0,1]' "status shows the kick and call eventfds of both"
# virtiofsd serves one front-end, then exits.
gone "$VIRTIOFSD_PID" 30
ok $? "virtiofsd exits once its one front-end has gone"

# queues= still decides when given.
start_virtiofsd "$S" "$TMP/share"
run_vhuctl --device fs "$S" -c 'start queues=1'
ran_ok "start queues=1"
is "$(jcmd start | jq -c '[.queues_reported, .queues]')" '[2,1]' "queues= overrides what the back-end reports"

done_testing
