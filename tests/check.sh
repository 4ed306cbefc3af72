#!/bin/bash
# check.sh - vhuctl check, the conformance suite: against qemu-storage-daemon,
# dpdk-testpmd and virtiofsd, and against the fake back-end breaking rules on
# purpose (a fail, a crash found and named with --exec, missing cases when
# the back-end dies without it, the kill timer on one that never answers).
. "${top_srcdir:-.}/tests/lib.sh"

# run_check ARGS...: vhuctl check, bounded; OUT, ERR, RC as run_vhuctl sets them.
run_check() {
	timeout 120 "$VHUCTL" check "$@" >"$TMP/out" 2>"$TMP/err" </dev/null
	RC=$?
	OUT=$(cat "$TMP/out")
	ERR=$(cat "$TMP/err")
	# every verdict of every run against a back-end that answers, for the
	# both-ways check at the end
	[ -n "${SILENT:-}" ] || jq -c 'select(.case) | {case, verdict}' "$TMP/out" >>"$TMP/verdicts.jsonl" 2>/dev/null
}
# verdict ID: the verdict of case ID in OUT (--output=json)
verdict() {
	printf '%s\n' "$OUT" | jq -r --arg c "$1" 'select(.case == $c) | .verdict'
}
# case_json ID: case ID's object in OUT
case_json() {
	printf '%s\n' "$OUT" | jq -c --arg c "$1" 'select(.case == $c)'
}
# verdicts RE: "ID VERDICT" of the cases of OUT whose id matches RE, on one line
verdicts() {
	printf '%s\n' "$OUT" | jq -r --arg re "$1" 'select(.case and (.case | test($re))) | "\(.case) \(.verdict)"' |
		tr '\n' ' ' | sed 's/ $//'
}
# The cases this suite grew by in issue #12, to hold their verdicts per back-end.
NEW='^(rings-hostile|status|inflight|device-state|backend-req|net|fs)[.]|^reply-ack[.]set-(vring-endian|inflight-fd|config|log-base)$|^robustness[.](set-features-short|set-vring-addr-short|mem-table-zero-regions|vring-enable-index-huge|vring-base-index-huge|set-config-oversize|add-mem-reg-short)$'
summary() {
	printf '%s\n' "$OUT" | jq -c 'select(.event == "check-summary")'
}

# --- the command line ---------------------------------------------------------
run_check --list
is "$RC" 0 "--list exits 0"
is "$(printf '%s\n' "$OUT" | awk -F'\t' 'NF != 5' | wc -l)" 0 "--list: id, group, level, section, title on each line"
ncases=$(printf '%s\n' "$OUT" | wc -l)
is "$(printf '%s\n' "$OUT" | cut -f1 | sort -u | wc -l)" "$ncases" "--list: every id once ($ncases cases)"
is "$(printf '%s\n' "$OUT" | awk -F'\t' 'index($1, $2 ".") != 1' | wc -l)" 0 "--list: an id starts with its group"
run_check --list --output=json
is "$RC" 0 "--list --output=json exits 0"
is "$(printf '%s\n' "$OUT" | wc -l)" 1 "--list --output=json is one result"
is "$(printf '%s\n' "$OUT" | jq -r '[.command, (.cases | length)] | join(" ")')" "check-list $ncases" "--list --output=json: check-list, with every case"
is "$(printf '%s\n' "$OUT" | jq '[.cases[] | select((.requirement | length) == 0)] | length')" 0 "--list --output=json: every case has its sentence"
is "$(printf '%s\n' "$OUT" | jq -r '.cases[] | [.case, .group, .level, .section, .title] | @tsv' | sort)" \
	"$("$VHUCTL" check --list | sort)" "--list --output=json holds what --list prints"
run_check --output=json --only handshake --only rings.get-vring-base "$TMP/nobody.sock"
is "$(printf '%s\n' "$OUT" | jq -r 'select(.case) | .case' | tr '\n' ' ')" \
	"$("$VHUCTL" check --list | awk -F'\t' '$2 == "handshake" || $1 == "rings.get-vring-base" { printf "%s ", $1 }')" \
	"--only GROUP and --only ID: that group's cases and that case"
run_check --group nonesuch "$TMP/x.sock"
is "$RC" 2 "an unknown --group is a usage error"
like "$ERR" "no group 'nonesuch'" "and says so"
run_check
is "$RC" 2 "no SOCKET and no --exec: a usage error"

# Nothing listening: every case missing, the report written, exit status 3.
run_check --output=json --group handshake "$TMP/nobody.sock"
is "$RC" 3 "no back-end: exit status 3 (none failed, some missing)"
is "$(summary | jq -c '[.counts.missing, .total]')" '[7,7]' "no back-end: every case missing, and the summary is written"

# --- qemu-storage-daemon --------------------------------------------------------
IMG=$TMP/disk.img
S=$TMP/blk.sock
truncate -s 4M "$IMG"
printf 'sector one' | dd of="$IMG" bs=512 seek=1 conv=notrunc 2>/dev/null
before=$(md5sum <"$IMG")
start_qsd "$IMG" "$S"
run_check --output=json --device blk --junit "$TMP/qsd.xml" "$S"
is "$RC" 1 "qsd: exit status 1 (some cases fail)"
is "$(printf '%s\n' "$OUT" | jq -c 'select(.event == "check-case")' | wc -l)" "$ncases" "qsd: one object per case, then the summary"
is "$(summary | jq .total)" "$ncases" "qsd: the summary counts every case"
# What qsd does right...
for c in handshake.get-features-answered handshake.get-protocol-features-early handshake.set-protocol-features-early \
	 reply-ack.set-owner reply-ack.set-mem-table reply-ack.set-vring-num reply-ack.set-vring-addr reply-ack.add-mem-reg \
	 config.get-config-size memory.slots-honoured memory.rem-mem-reg rings.get-vring-base rings.get-vring-base-after-io \
	 rings.enabled-without-protocol-features blk.read blk.write-read-back blk.flush blk.get-id blk.zone-request-unsupported \
	 robustness.unknown-request robustness.oversize-size-field robustness.nofd-with-fd; do
	is "$(verdict $c)" pass "qsd: $c passes"
done
# ...and what it does not (libvhost-user, QEMU 7.2): its replies echo
# NEED_REPLY; a disabled ring does I/O; GET_CONFIG's offset is ignored; an
# ADD_MEM_REG with no fd is acknowledged as done.
is "$(verdict handshake.reply-flags)" warn "qsd: handshake.reply-flags warns: the reply echoes NEED_REPLY"
like "$(case_json handshake.reply-flags | jq -r .actual)" "0xd" "qsd: the reply's flags are named"
is "$(verdict rings.disabled-until-enabled)" fail "qsd: rings.disabled-until-enabled fails: I/O on a disabled ring"
is "$(verdict config.get-config-error)" fail "qsd: config.get-config-error fails: bytes for an offset past the config space"
is "$(verdict memory.add-mem-reg-no-fd)" fail "qsd: memory.add-mem-reg-no-fd fails: acknowledged with u64 0"
is "$(verdict blk.read-only-write)" skip "qsd: blk.read-only-write is skipped (writable=on)"
like "$(case_json blk.read-only-write | jq -r .reason)" "VIRTIO_BLK_F_RO" "qsd: the skip says what is not offered"
# A failure carries its sentence, what was expected and what came, and the evidence.
c=$(case_json rings.disabled-until-enabled)
is "$(printf '%s' "$c" | jq -c '[.level, .section, (.expected | length > 0), (.actual | length > 0)]')" \
	'["MUST","vhost-user.rst, Ring states",true,true]' "qsd: a failure has its level, section, expected and actual"
like "$(printf '%s' "$c" | jq -r .requirement)" "The back-end must process the ring without causing any side effects." \
	"qsd: and the sentence it checks"
is "$(printf '%s' "$c" | jq -r '[.evidence[].command] | join(",")')" \
	"connect,get-features,get-protocol-features,set-protocol-features,set-owner,set-features,mem add,set-mem-table,vring setup,vring post,vring kick,vring used" \
	"qsd: the evidence is every command the case ran"
is "$(printf '%s' "$c" | jq -r '.evidence[] | select(.command == "vring setup") | [.steps[].request.name] | index("SET_VRING_ENABLE")')" \
	null "qsd: the ring was set up without SET_VRING_ENABLE"
is "$(case_json reply-ack.set-vring-num | jq -c '.evidence[-1] | [.request.name, .request.flags.names, .ack]')" \
	'["SET_VRING_NUM",["NEED_REPLY"],{"u64":0,"ok":true}]' "qsd: the evidence has the request and its ack, as the command shows them"
# Without --exec the SIGSEGV of SET_VRING_NUM 0x10000 (libvhost-user checks
# no index) ends the run: the rest is missing, the report still written.
is "$(verdict robustness.vring-index-truncated)" fail "qsd: SET_VRING_NUM for ring 0x10000 kills it"
like "$(case_json robustness.vring-index-truncated | jq -r .reason)" "did not survive" "qsd: the case says it did not survive"
is "$(verdict robustness.vring-index-huge)" missing "qsd: the case after it is missing"
is "$(md5sum <"$IMG")" "$before" "qsd: the cases that write put the image back as it was"
# The same in JUnit: one testcase per case, failures and errors as counted,
# in the shape Jenkins and GitLab read (tests/junit.xsd).
command -v xmllint >/dev/null || bail "xmllint not installed (apt-get install libxml2-utils)"
xmllint --noout --schema "$top_srcdir/tests/junit.xsd" "$TMP/qsd.xml" >"$TMP/xmlerr" 2>&1
ok $? "qsd: the JUnit file validates against tests/junit.xsd (xmllint --schema)"
[ -s "$TMP/xmlerr" ] && grep -v validates "$TMP/xmlerr" | head -5 | sed 's/^/#   /'
printf '<testsuites><testsuite name="x" tests="1"><testcase classname="c"/></testsuite></testsuites>\n' >"$TMP/bad.xml"
xmllint --noout --schema "$top_srcdir/tests/junit.xsd" "$TMP/bad.xml" >/dev/null 2>&1
is $? 3 "and the schema refuses a testcase without its name"
junit=$(python3 - "$TMP/qsd.xml" <<'PY'
import sys, xml.etree.ElementTree as E
r = E.parse(sys.argv[1]).getroot()
cases = r.findall("testsuite/testcase")
n = lambda tag: sum(1 for c in cases if c.find(tag) is not None)
print(r.tag, len(cases), r.get("tests"), n("failure"), r.get("failures"), n("error"), r.get("errors"), n("skipped"), r.get("skipped"))
PY
)
want=$(summary | jq -r '"testsuites \(.total) \(.total) \(.counts.fail) \(.counts.fail) \(.counts.missing) \(.counts.missing) \(.counts.skip) \(.counts.skip)"')
is "$junit" "$want" "qsd: JUnit: testcases, failures, errors (missing) and skips agree with the JSON summary"
is "$(python3 -c 'import sys, xml.etree.ElementTree as E; print(" ".join(sorted(c.get("name") for c in E.parse(sys.argv[1]).getroot().iter("testcase") if c.find("failure") is not None)))' "$TMP/qsd.xml")" \
	"$(printf '%s\n' "$OUT" | jq -r 'select(.verdict == "fail") | .case' | sort | tr '\n' ' ' | sed 's/ $//')" \
	"qsd: JUnit fails the cases JSON fails"

# --- qsd under --exec: the crash found, named, and the back-end started again -----
QSD="qemu-storage-daemon --blockdev driver=file,node-name=file0,filename=$IMG --export type=vhost-user-blk,id=exp0,addr.type=unix,addr.path={sock},node-name=file0,writable=on"
run_check --output=json --device blk --exec "$QSD" --exec-log "$TMP/qsd-exec.log"
is "$RC" 1 "qsd --exec: exit status 1"
is "$(summary | jq .counts.missing)" 0 "qsd --exec: no case missing: it is started again after each crash"
is "$(case_json robustness.vring-index-truncated | jq -c '[.verdict, .crash]')" '["fail","killed by SIGSEGV"]' \
	"qsd --exec: SET_VRING_NUM for ring 0x10000: killed by SIGSEGV, during this case"
is "$(case_json robustness.vring-index-huge | jq -c '[.verdict, .crash]')" '["fail","killed by SIGSEGV"]' \
	"qsd --exec: GET_VRING_BASE for ring 0xffffffff too"
is "$(summary | jq -c '[.crashes[].case]')" '["robustness.vring-index-truncated","robustness.vring-index-huge","robustness.vring-base-index-huge"]' \
	"qsd --exec: the summary names the cases that crashed it, and no other"
# The new cases: libvhost-user (QEMU 7.2) survives every hostile ring (vu_panic
# closes the connection, or the chain is used); it indexes dev->vq[] with
# SET_VRING_BASE's index unchecked (vu_set_vring_base_exec): SIGSEGV; its
# SET_LOG_BASE reply echoes NEED_REPLY and is the u64 mmap_size it was sent;
# it acknowledges with u64 0 what it refused (vu_dispatch acks when the
# handler asks for no reply): SET_BACKEND_REQ_FD without an fd.
is "$(verdicts "$NEW")" "reply-ack.set-vring-endian skip reply-ack.set-inflight-fd skip reply-ack.set-config pass reply-ack.set-log-base warn rings-hostile.loop pass rings-hostile.outside pass rings-hostile.next-range pass rings-hostile.head-range pass rings-hostile.indirect-len pass rings-hostile.nested-indirect pass rings-hostile.too-long pass rings-hostile.idx-jump pass status.get-status-returns-set skip status.get-status-after-reset skip status.without-feature pass inflight.get-inflight-fd skip inflight.without-feature warn inflight.set-huge-queues skip inflight.set-no-fd skip inflight.get-extra-fds skip inflight.get-huge skip device-state.set-without-feature pass device-state.check-without-feature pass device-state.save skip device-state.load skip device-state.unknown-phase skip backend-req.without-feature warn backend-req.no-fd warn net.tx-used skip net.tx-used-while-disabled skip net.queue-pairs-served skip fs.init skip fs.init-again skip fs.getattr-root skip robustness.set-features-short pass robustness.set-vring-addr-short pass robustness.mem-table-zero-regions pass robustness.vring-enable-index-huge pass robustness.vring-base-index-huge fail robustness.set-config-oversize pass robustness.add-mem-reg-short pass" \
	"qsd --exec: the verdicts of the new cases"
like "$(case_json reply-ack.set-log-base | jq -r .reason)" "vu_set_log_base_exec" "qsd --exec: SET_LOG_BASE's reply warns, saying why"
like "$(case_json reply-ack.set-log-base | jq -r .reason)" "reply flags 0xd" "qsd --exec: and that its flags echo NEED_REPLY"
is "$(case_json robustness.vring-base-index-huge | jq -c '[.verdict, .crash]')" '["fail","killed by SIGSEGV"]' \
	"qsd --exec: SET_VRING_BASE for ring 0x10000: killed by SIGSEGV"
is "$(case_json robustness.vring-num-huge | jq -c '[.verdict, .restarted]')" '["pass",true]' \
	"qsd --exec: the case after a crash runs on a back-end started anew"
is "$(summary | jq .backend_starts)" 4 "qsd --exec: started four times"
is "$(md5sum <"$IMG")" "$before" "qsd --exec: the image as it was"
t=$(summary | jq '.duration_us / 1000000 | floor')
ok $((t >= 30)) "qsd --exec: the whole suite in under 30 s (${t} s)"

# TAP of the same run agrees with JSON, case by case.
run_check --tap --device blk --exec "$QSD"
printf '%s\n' "$OUT" >"$TMP/check.tap"
is "$(printf '%s\n' "$OUT" | head -n 1)" "1..$ncases" "TAP: the plan first"
tap=$(printf '%s\n' "$OUT" | sed -nE 's/^(ok|not ok) [0-9]+ - ([a-z0-9.-]+):.*/\1 \2/p' | sort)
skips=$(printf '%s\n' "$OUT" | grep -c '^ok .* # SKIP ')
run_check --output=json --device blk --exec "$QSD"
json=$(printf '%s\n' "$OUT" | jq -r 'select(.case) | (if .verdict == "fail" or .verdict == "missing" then "not ok" else "ok" end) + " " + .case' | sort)
is "$tap" "$json" "TAP: ok and not ok are JSON's verdicts, case by case"
is "$skips" "$(summary | jq .counts.skip)" "TAP: a skip is a SKIP"
# automake's own TAP driver reads it: a result per case, as many passes, fails and skips.
bash "$top_srcdir/build-aux/tap-driver.sh" --test-name check --log-file "$TMP/tap.log" --trs-file "$TMP/tap.trs" \
	--color-tests no --enable-hard-errors yes --expect-failure no -- cat "$TMP/check.tap" >/dev/null 2>&1
trs=$(sed -n 's/^:test-result: //p' "$TMP/tap.trs" | sort | uniq -c | awk '{ printf "%s=%s\n", $2, $1 }')
want=$(summary | jq -r '"FAIL=\(.counts.fail + .counts.missing)", "PASS=\(.counts.pass + .counts.warn)", "SKIP=\(.counts.skip)"' |
	grep -v '=0$')
is "$trs" "$want" "TAP through automake's tap-driver.sh: its results are the suite's (warn counts as a pass)"

# --- qsd exporting read-only (writable=off) ---------------------------------------
# It offers VIRTIO_BLK_F_RO and answers a write IOERR, writing nothing
# (virtio-blk-handler.c, virtio_blk_process_req: "if (is_write &&
# !handler->writable) { in->status = VIRTIO_BLK_S_IOERR; ...").
run_check --output=json --device blk --group blk --exec "${QSD/writable=on/writable=off}"
is "$(verdicts '^blk[.](read|write-read-back|partial-sector-write|read-only-write)$')" \
	"blk.read pass blk.write-read-back skip blk.partial-sector-write pass blk.read-only-write pass" \
	"qsd writable=off: a write is refused IOERR; write-read-back is skipped, it cannot write"
is "$(case_json blk.read-only-write | jq -c '[.evidence[] | select(.command == "get-features") | .reply.payload.names | index("VIRTIO_BLK_F_RO") != null]')" \
	'[true]' "qsd writable=off: VIRTIO_BLK_F_RO offered"
like "$(case_json blk.read-only-write | jq -r .reason)" "sector 1 as it was" "qsd writable=off: the sector written reads back as it was"
like "$(case_json blk.write-read-back | jq -r .reason)" "VIRTIO_BLK_F_RO offered" "qsd writable=off: the skip says why"
is "$(md5sum <"$IMG")" "$before" "qsd writable=off: the image as it was"

# --- dpdk-testpmd, net_vhost ------------------------------------------------------
TP="dpdk-testpmd --no-huge --no-pci --no-shconf -l 0-1 --vdev net_vhost0,iface={sock},queues=1 -- --total-num-mbufs=2048 --forward-mode=io --no-flush-rx --stats-period 3600"
command -v dpdk-testpmd >/dev/null || bail "dpdk-testpmd not installed (apt-get install dpdk-dev librte-net-vhost23 librte-mempool-ring23)"
run_check --output=json --device net --start-timeout 90000 --exec "$TP" --exec-log "$TMP/testpmd-exec.log"
is "$(summary | jq -c '[.counts.fail, .counts.missing, .crashes, .backend_starts]')" '[1,0,[],1]' \
	"testpmd: one case fails, none is missing, it never crashes"
# The one: DPDK does not consume a disabled transmit ring (lib/vhost/virtio_net.c,
# rte_vhost_dequeue_burst: "if (unlikely(!vq->enabled)) goto out_access_unlock").
is "$(printf '%s\n' "$OUT" | jq -r 'select(.verdict == "fail") | .case')" net.tx-used-while-disabled \
	"testpmd: the failure is a disabled ring's TX left unconsumed"
is "$(verdicts "$NEW")" "reply-ack.set-vring-endian skip reply-ack.set-inflight-fd skip reply-ack.set-config skip reply-ack.set-log-base pass rings-hostile.loop pass rings-hostile.outside pass rings-hostile.next-range pass rings-hostile.head-range pass rings-hostile.indirect-len pass rings-hostile.nested-indirect pass rings-hostile.too-long pass rings-hostile.idx-jump pass status.get-status-returns-set pass status.get-status-after-reset pass status.without-feature warn inflight.get-inflight-fd skip inflight.without-feature warn inflight.set-huge-queues skip inflight.set-no-fd skip inflight.get-extra-fds skip inflight.get-huge skip device-state.set-without-feature pass device-state.check-without-feature pass device-state.save skip device-state.load skip device-state.unknown-phase skip backend-req.without-feature warn backend-req.no-fd pass net.tx-used pass net.tx-used-while-disabled fail net.queue-pairs-served warn fs.init skip fs.init-again skip fs.getattr-root skip robustness.set-features-short pass robustness.set-vring-addr-short pass robustness.mem-table-zero-regions pass robustness.vring-enable-index-huge pass robustness.vring-base-index-huge pass robustness.set-config-oversize skip robustness.add-mem-reg-short skip" \
	"testpmd: the verdicts of the new cases"
for c in handshake.get-features-answered handshake.reply-flags reply-ack.set-vring-num reply-ack.set-status reply-ack.send-rarp \
	 reply-ack.net-set-mtu gating.reset-device rings.get-vring-base robustness.vring-index-truncated robustness.log-base-overflow; do
	v=$(verdict $c)
	# a verdict that is not pass says why, in the test's own line
	is "$v" pass "testpmd: $c passes$([ "$v" = pass ] || case_json $c | jq -r '" (" + .reason + "; evidence: " + ([.evidence[]? | select(.ok == false) | .error.message] | join("; ")) + ")"')"
done
is "$(verdict memory.slots-honoured)" skip "testpmd: no CONFIGURE_MEM_SLOTS: the memory cases are skipped"
# Two deviations of DPDK's that must come out as what they are. GET_QUEUE_NUM is
# the library's maximum (VHOST_MAX_QUEUE_PAIRS, 128) whatever queues= says:
like "$(case_json net.queue-pairs-served | jq -r .reason)" "GET_QUEUE_NUM says 128, but nothing was used on ring 3" \
	"testpmd queues=1: it reports 128 queues and serves one pair (a warning)"
run_check --output=json --device net --case net.queue-pairs-served --start-timeout 90000 \
	--exec "${TP/queues=1 --/queues=2 --} --rxq=2 --txq=2"
is "$(verdict net.queue-pairs-served)" pass "testpmd queues=2: queue pair 1 takes a frame"
# ...and it answers IOTLB_MSG only when NEED_REPLY asks (vhost_user_iotlb_msg's
# reply comes from the generic path, which replies only then):
run_check --output=json --device net --case iotlb.msg-answered --start-timeout 90000 \
	--exec "${TP/queues=1/queues=1,iommu-support=1}"
is "$(verdict iotlb.msg-answered)" warn "testpmd iommu-support=1: IOTLB_MSG answered only with NEED_REPLY (a warning)"
like "$(case_json iotlb.msg-answered | jq -r .reason)" "no reply without NEED_REPLY; with it, u64 0" "and says so"

# --- virtiofsd: one connection each, so --exec starts one per case ----------------
mkdir -p "$TMP/share"
VFS="/usr/lib/qemu/virtiofsd --socket-path={sock} -o source=$TMP/share -o cache=none -o sandbox=chroot"
[ -x /usr/lib/qemu/virtiofsd ] || bail "virtiofsd not installed (apt-get install qemu-system-common)"
run_check --output=json --device fs --exec "$VFS" --exec-log "$TMP/virtiofsd-exec.log"
is "$(summary | jq .counts.missing)" 0 "virtiofsd: no case missing, though each instance serves one connection"
starts=$(summary | jq .backend_starts)
ok $((starts > 1 ? 0 : 1)) "virtiofsd: started anew for the cases ($starts times)"
for c in handshake.get-features-answered reply-ack.set-owner reply-ack.set-mem-table reply-ack.add-mem-reg memory.rem-mem-reg; do
	is "$(verdict $c)" pass "virtiofsd: $c passes"
done
# GET_VRING_BASE of a ring never started trips an assertion in virtiofsd
# (fv_queue_cleanup_thread: qidx < vud->nqueues): SIGABRT.
is "$(case_json rings.get-vring-base | jq -c '[.verdict, .crash]')" '["fail","killed by SIGABRT"]' \
	"virtiofsd: GET_VRING_BASE of a ring never started: killed by SIGABRT"
# The new cases. virtiofsd asserts on requests libvhost-user lets through:
# a chain whose readable part is shorter than fuse_in_header (the nested
# indirect table, read as a 32-byte buffer: fuse_virtio.c fv_queue_worker
# "too short for in_header", assert(0)) and a request whose unique is 0 (the
# 65-descriptor chain of zeros: virtio_send_msg assert(out->unique)).
# GET_INFLIGHT_FD, which it never offered, makes libvhost-user call
# memfd_create, which virtiofsd's seccomp whitelist lacks: SIGSYS. The rest
# end in vu_panic, which virtiofsd's fv_panic turns into exit(1): pass or
# warn, as the exit is seen during the case or after it.
is "$(printf '%s\n' "$OUT" | jq -r --arg re "$NEW" 'select(.case and (.case | test($re)) and .verdict == "fail") | "\(.case) \(.crash)"' | tr '\n' ',')" \
	"rings-hostile.nested-indirect killed by SIGABRT,rings-hostile.too-long killed by SIGABRT,inflight.without-feature killed by SIGSYS,robustness.vring-base-index-huge killed by SIGSEGV," \
	"virtiofsd: the new cases that fail, each a crash"
is "$(verdicts '^fs[.]')" "fs.init pass fs.init-again pass fs.getattr-root pass" "virtiofsd: FUSE_INIT (twice) and GETATTR of the root answered"
is "$(verdict reply-ack.set-log-base)" warn "virtiofsd: SET_LOG_BASE's reply warns (libvhost-user)"

# --- the fake back-end, breaking rules on purpose ----------------------------------
FS=$TMP/fake.sock
# A refused REPLY_ACK: the case fails, saying what it expected and what came.
start_fake --on 8=nack "$FS"
run_check --output=json --case reply-ack.set-vring-num --case reply-ack.set-owner "$FS"
is "$RC" 1 "fake nack: exit status 1"
is "$(case_json reply-ack.set-vring-num | jq -c '[.verdict, .expected, .actual]')" \
	'["fail","u64 0 (the request is valid)","u64 1 (failure)"]' "fake nack: reply-ack.set-vring-num fails, expected and actual shown"
is "$(verdict reply-ack.set-owner)" pass "fake nack: and reply-ack.set-owner still passes"
stop_fake

# A SHOULD not met is a warning, and --strict makes it a failure.
start_fake --protocol-features 0x4209 "$FS"
run_check --output=json --case gating.inband-alone "$FS"
is "$RC:$(verdict gating.inband-alone)" "0:warn" "fake offering INBAND_NOTIFICATIONS: gating.inband-alone warns, exit status 0"
run_check --output=json --strict --case gating.inband-alone "$FS"
is "$RC:$(verdict gating.inband-alone)" "1:fail" "--strict: the warning fails"
stop_fake

# A crash with --exec: found, named after the case, the back-end started again.
run_check --output=json --group robustness --exec "$FAKE_BACKEND --on 99=crash {sock}"
is "$(case_json robustness.unknown-request | jq -c '[.verdict, .crash]')" '["fail","killed by SIGABRT"]' \
	"fake --exec crash: the case that killed it fails, with how it died"
is "$(summary | jq -c '[.crashes, .counts.missing]')" '[[{"case":"robustness.unknown-request","crash":"killed by SIGABRT"}],0]' \
	"fake --exec crash: the summary names the case; no case missing"
is "$(case_json robustness.huge-request-number | jq -c '[.verdict, .restarted]')" '["pass",true]' \
	"fake --exec crash: the next case runs on a back-end started again"

# Without --exec the back-end that dies takes the rest with it: missing.
start_fake --on 99=exit "$FS"
run_check --output=json --group robustness "$FS"
is "$RC" 1 "fake exit, no --exec: exit status 1"
is "$(verdict robustness.unknown-request)" fail "fake exit, no --exec: the case after which it is gone fails"
like "$(case_json robustness.unknown-request | jq -r .reason)" "did not survive" "fake exit: it did not survive"
nrob=$(printf '%s\n' "$OUT" | jq -c 'select(.case)' | wc -l)
after=$(printf '%s\n' "$OUT" | jq -r 'select(.case) | .verdict' | sed '1,2d' | sort -u)
is "$after" missing "fake exit, no --exec: every case after it is missing"
is "$(summary | jq .total)" "$nrob" "fake exit: the summary is still written"

# The kill timer: a back-end that never answers GET_FEATURES; every case is
# killed at --case-timeout, long before the request's own --timeout.
start_fake --on 1=noreply "$FS"
t0=$(date +%s%N)
SILENT=1 run_check --output=json --group handshake --timeout 20000 --case-timeout 300 "$FS"
ms=$((($(date +%s%N) - t0) / 1000000))
is "$RC" 1 "silent fake: exit status 1"
is "$(printf '%s\n' "$OUT" | jq -r 'select(.case) | .verdict' | sort -u)" fail "silent fake: every case fails"
like "$(case_json handshake.mq-offered | jq -r .reason)" "did not end within 300 ms" "silent fake: killed by the kill timer"
is "$(printf '%s\n' "$OUT" | jq -s -c '[.[] | select(.case) | .duration_us > 2000000] | any')" false \
	"silent fake: no case took 2 s (the request's timeout was 20 s)"
ok $((ms >= 20000)) "silent fake: the run is over in $ms ms, not 7 x 20 s"
stop_fake

# --- the new cases against the fake: each passes where it keeps the rule... ------
ALLPF=0x9926b	# MQ LOG_SHMFD REPLY_ACK BACKEND_REQ CROSS_ENDIAN CONFIG INFLIGHT MEM_SLOTS STATUS DEVICE_STATE
FAKE_ALL="$FAKE_BACKEND --rings inorder --features 0x140000800 --protocol-features $ALLPF"
run_check --output=json --device blk --exec "$FAKE_ALL {sock}"
is "$(verdicts "$NEW")" "reply-ack.set-vring-endian pass reply-ack.set-inflight-fd pass reply-ack.set-config pass reply-ack.set-log-base pass rings-hostile.loop pass rings-hostile.outside pass rings-hostile.next-range pass rings-hostile.head-range pass rings-hostile.indirect-len pass rings-hostile.nested-indirect pass rings-hostile.too-long pass rings-hostile.idx-jump pass status.get-status-returns-set pass status.get-status-after-reset pass status.without-feature warn inflight.get-inflight-fd pass inflight.without-feature warn inflight.set-huge-queues pass inflight.set-no-fd pass inflight.get-extra-fds pass inflight.get-huge pass device-state.set-without-feature warn device-state.check-without-feature warn device-state.save pass device-state.load pass device-state.unknown-phase pass backend-req.without-feature warn backend-req.no-fd warn net.tx-used skip net.tx-used-while-disabled skip net.queue-pairs-served skip fs.init skip fs.init-again skip fs.getattr-root skip robustness.set-features-short pass robustness.set-vring-addr-short pass robustness.mem-table-zero-regions pass robustness.vring-enable-index-huge pass robustness.vring-base-index-huge pass robustness.set-config-oversize pass robustness.add-mem-reg-short pass" \
	"fake, rules kept: the new cases pass (the gating ones warn: it answers what it was not asked to support)"
is "$(summary | jq -c '.crashes')" '[]' "fake, rules kept: never crashes"

# ...and fails where it breaks it. Hostile rings: --rings fragile aborts on each.
run_check --output=json --device blk --group rings-hostile --exec "$FAKE_BACKEND --rings fragile {sock}"
is "$(printf '%s\n' "$OUT" | jq -r 'select(.case) | "\(.verdict) \(.crash)"' | sort -u)" "fail killed by SIGABRT" \
	"fake --rings fragile: every hostile-ring case fails, the crash named"
is "$(summary | jq '.crashes | length')" 8 "fake --rings fragile: all 8 crash it"
# --rings stall: the back-end stuck in the chain answers nothing more.
start_fake --rings stall "$FS"
run_check --output=json --device blk --case rings-hostile.loop "$FS"
is "$(verdict rings-hostile.loop)" fail "fake --rings stall: a back-end that hangs on the loop fails"
like "$(case_json rings-hostile.loop | jq -r .reason)" "hangs" "fake --rings stall: the reason says it hangs"
stop_fake

# Gating of requests with a reply of their own: silence fails, a close passes.
GATED="--case status.without-feature --case inflight.without-feature --case device-state.set-without-feature --case device-state.check-without-feature"
start_fake --protocol-features $ALLPF --on 40=noreply --on 31=noreply --on 42=noreply --on 43=noreply "$FS"
run_check --output=json $GATED "$FS"
is "$(verdicts .)" "status.without-feature fail inflight.without-feature fail device-state.set-without-feature fail device-state.check-without-feature fail" \
	"fake, no reply to a request sent without its feature: the gating cases fail"
stop_fake
start_fake --protocol-features $ALLPF --on 40=close --on 31=close --on 42=close --on 43=close "$FS"
run_check --output=json $GATED "$FS"
is "$(verdicts .)" "status.without-feature pass inflight.without-feature pass device-state.set-without-feature pass device-state.check-without-feature pass" \
	"fake closing on a request sent without its feature: the gating cases pass"
stop_fake

# Status, inflight and device state, answered wrongly.
start_fake --protocol-features $ALLPF --on 40=u64=0x1 --on 31=u64=0 --on 43=u64=1 "$FS"
run_check --output=json --group status --case inflight.get-inflight-fd --case device-state.save --case device-state.load "$FS"
is "$(verdicts '^(status[.]get|inflight|device-state)')" "status.get-status-returns-set fail status.get-status-after-reset fail inflight.get-inflight-fd fail device-state.save fail device-state.load fail" \
	"fake answering GET_STATUS 1, GET_INFLIGHT_FD with a bare u64, CHECK_DEVICE_STATE 1: those cases fail"
like "$(case_json status.get-status-returns-set | jq -r .actual)" "set 0xb, GET_STATUS answered 0x1" "fake: the status case says what was set and what came"
stop_fake

# A phase of the transfer that does not exist, taken as valid: fail.
start_fake --protocol-features $ALLPF --on 42=u64=0x100 "$FS"
run_check --output=json --case device-state.unknown-phase "$FS"
is "$(verdict device-state.unknown-phase)" fail "fake accepting SET_DEVICE_STATE_FD for phase 1: fail"
stop_fake

# The back-end channel: the fake acknowledges both with u64 0 (SHOULDs: warnings,
# failures with --strict); refused, they pass.
start_fake --protocol-features $ALLPF "$FS"
run_check --output=json --strict --group backend-req "$FS"
is "$(verdicts .)" "backend-req.without-feature fail backend-req.no-fd fail" "fake acking SET_BACKEND_REQ_FD it cannot use: --strict fails both"
stop_fake
start_fake --protocol-features $ALLPF --on 21=nack "$FS"
run_check --output=json --group backend-req "$FS"
is "$(verdicts .)" "backend-req.without-feature pass backend-req.no-fd pass" "fake refusing them: both pass"
stop_fake

# REPLY_ACK rows refused, and SET_LOG_BASE answered as libvhost-user does, or not at all.
start_fake --features 0x140000800 --protocol-features $ALLPF --on 23=nack --on 32=nack --on 25=nack --on 6=u64=0x1000 "$FS"
run_check --output=json --device blk --case reply-ack.set-vring-endian --case reply-ack.set-inflight-fd --case reply-ack.set-config --case reply-ack.set-log-base "$FS"
is "$(verdicts .)" "reply-ack.set-vring-endian fail reply-ack.set-inflight-fd fail reply-ack.set-config fail reply-ack.set-log-base warn" \
	"fake nacking SET_VRING_ENDIAN, SET_INFLIGHT_FD, SET_CONFIG: fail; SET_LOG_BASE answered u64 0x1000: warn"
stop_fake
start_fake --protocol-features $ALLPF --on 6=noreply "$FS"
run_check --output=json --case reply-ack.set-log-base "$FS"
is "$(verdict reply-ack.set-log-base)" fail "fake not answering SET_LOG_BASE: fail"
stop_fake

# The robustness rows: a back-end that crashes on the message fails each.
crashes() { printf '%s\n' "$OUT" | jq -r 'select(.case) | "\(.case) \(.verdict) \(.crash)"' | tr '\n' ','; }
run_check --output=json --group inflight --exec "$FAKE_BACKEND --protocol-features $ALLPF --on 31=crash --on 32=crash {sock}"
is "$(crashes)" "inflight.get-inflight-fd fail killed by SIGABRT,inflight.without-feature fail killed by SIGABRT,inflight.set-huge-queues fail killed by SIGABRT,inflight.set-no-fd fail killed by SIGABRT,inflight.get-extra-fds fail killed by SIGABRT,inflight.get-huge fail killed by SIGABRT," \
	"fake crashing on GET/SET_INFLIGHT_FD: every inflight case fails"
run_check --output=json --case robustness.set-features-short --exec "$FAKE_BACKEND --on 2=crash {sock}"
is "$(crashes)" "robustness.set-features-short fail killed by SIGABRT," "fake crashing on SET_FEATURES: set-features-short fails"
run_check --output=json --case robustness.mem-table-zero-regions --exec "$FAKE_BACKEND --on 5=crash {sock}"
is "$(crashes)" "robustness.mem-table-zero-regions fail killed by SIGABRT," "fake crashing on SET_MEM_TABLE: mem-table-zero-regions fails"
run_check --output=json --case robustness.set-vring-addr-short --case robustness.vring-enable-index-huge --case robustness.vring-base-index-huge \
	--case robustness.set-config-oversize --case robustness.add-mem-reg-short \
	--exec "$FAKE_BACKEND --on 9=crash --on 18=crash --on 10=crash --on 25=crash --on 37=crash {sock}"
is "$(crashes)" "robustness.set-vring-addr-short fail killed by SIGABRT,robustness.vring-enable-index-huge fail killed by SIGABRT,robustness.vring-base-index-huge fail killed by SIGABRT,robustness.set-config-oversize fail killed by SIGABRT,robustness.add-mem-reg-short fail killed by SIGABRT," \
	"fake crashing on each malformed message: each robustness case fails"

# Every REPLY_ACK row against a fake nacking that one request (everything it
# needs offered: RARP, MTU, BACKEND_REQ, RESET_DEVICE, MEM_SLOTS, STATUS): fail.
RAPF=0x1a03d	# MQ RARP REPLY_ACK MTU BACKEND_REQ RESET_DEVICE MEM_SLOTS STATUS
got=
for cr in set-owner:3 set-protocol-features:16 set-features:2 set-mem-table:5 set-log-fd:7 set-vring-num:8 \
	  set-vring-base:10 set-vring-addr:9 set-vring-kick:12 set-vring-call:13 set-vring-err:14 set-vring-enable:18 \
	  set-backend-req-fd:21 add-mem-reg:37 rem-mem-reg:38 set-status:39 send-rarp:19 net-set-mtu:20 reset-device:34; do
	run_check --output=json --case reply-ack.${cr%:*} \
		--exec "$FAKE_BACKEND --features 0x140000008 --protocol-features $RAPF --on ${cr#*:}=nack {sock}"
	got="$got$(verdicts .) "
done
is "$got" "$(printf 'reply-ack.%s fail ' set-owner set-protocol-features set-features set-mem-table set-log-fd set-vring-num \
	set-vring-base set-vring-addr set-vring-kick set-vring-call set-vring-err set-vring-enable set-backend-req-fd \
	add-mem-reg rem-mem-reg set-status send-rarp net-set-mtu reset-device)" \
	"fake nacking each request of the REPLY_ACK rows: each row fails"

# --fragile-msgs: a fake that abort()s on each malformed message (logged as
# msg-bad <what>); every robustness row crashes it, on its own message.
run_check --output=json --group robustness --exec "$FAKE_BACKEND --protocol-features 0x8a0b --fragile-msgs --log $TMP/fragile.log {sock}"
is "$(printf '%s\n' "$OUT" | jq -r 'select(.case) | "\(.verdict) \(.crash)"' | sort -u)" "fail killed by SIGABRT" \
	"fake --fragile-msgs: every robustness case fails, the crash named"
is "$(summary | jq '[.crashes[].case] | length')" "$(summary | jq .total)" "fake --fragile-msgs: each case crashed it"
is "$(grep -c '^msg-bad ' "$TMP/fragile.log")" "$(summary | jq .total)" "fake --fragile-msgs: once per case, on a malformed message"

# Gating: a request sent without its protocol feature (REPLY_ACK alone),
# accepted with u64 0, warns (the rule binds the front-end); --strict fails
# each. Not answered at all though NEED_REPLY was set: fail.
run_check --output=json --strict --group gating --case backend-req.without-feature --exec "$FAKE_BACKEND {sock}"
is "$(verdicts '^gating[.](reset-device|send-rarp|set-vring-enable|vring-kick|add-mem-reg|set-status)$')" \
	"gating.reset-device fail gating.send-rarp fail gating.set-vring-enable fail gating.vring-kick fail gating.add-mem-reg fail gating.set-status fail" \
	"fake accepting each gated request with u64 0: --strict fails every gating case"
run_check --output=json --timeout 1000 --group gating \
	--exec "$FAKE_BACKEND --on 34=noreply --on 19=noreply --on 35=noreply --on 37=noreply --on 39=noreply {sock}"
is "$(verdicts '^gating[.](reset-device|send-rarp|vring-kick|add-mem-reg|set-status)$')" \
	"gating.reset-device fail gating.send-rarp fail gating.vring-kick fail gating.add-mem-reg fail gating.set-status fail" \
	"fake not answering a gated request sent with NEED_REPLY: fail"

# The handshake, each rule broken: GET_FEATURES answered in 4 bytes, a reply
# without the REPLY bit, GET_PROTOCOL_FEATURES or REPLY_ACK's ack never
# coming, SET_FEATURES refused, GET_QUEUE_NUM 0, a reply and an ack to one
# request, and (--strict) no MQ offered.
got=
for cr in "handshake.get-features-answered|--on 1=bad-size" "handshake.reply-flags|--on 1=flags=0x1" \
	  "handshake.get-protocol-features-early|--on 15=noreply" "handshake.set-protocol-features-early|--on 3=noreply" \
	  "handshake.set-features-subset|--on 2=nack" "handshake.get-queue-num|--on 17=u64=0" \
	  "reply-ack.no-second-reply|--on 1=ack-too" "handshake.mq-offered|--protocol-features 0x8208"; do
	run_check --output=json --strict --timeout 1000 --case "${cr%|*}" --exec "$FAKE_BACKEND ${cr#*|} {sock}"
	got="$got$(verdicts .) "
done
is "$got" "handshake.get-features-answered fail handshake.reply-flags fail handshake.get-protocol-features-early fail handshake.set-protocol-features-early fail handshake.set-features-subset fail handshake.get-queue-num fail reply-ack.no-second-reply fail handshake.mq-offered fail " \
	"fake breaking each handshake rule: each handshake case fails"
like "$(case_json handshake.mq-offered | jq -r .reason)" "lack it" "fake offering no MQ: --strict fails handshake.mq-offered, saying so"

# Memory: GET_MAX_MEM_SLOTS 0 (a SHOULD: --strict), ADD_MEM_REG or
# REM_MEM_REG refused: fail; two slots said, and a third region, one never
# added removed, an overlapping or empty region all acked u64 0: --strict fails.
got=
for cr in "memory.max-mem-slots|--on 36=u64=0" "memory.slots-honoured|--on 37=nack" "memory.rem-mem-reg|--on 38=nack"; do
	run_check --output=json --strict --case "${cr%|*}" --exec "$FAKE_BACKEND ${cr#*|} {sock}"
	got="$got$(verdicts .) "
done
is "$got" "memory.max-mem-slots fail memory.slots-honoured fail memory.rem-mem-reg fail " \
	"fake answering GET_MAX_MEM_SLOTS 0, refusing ADD_MEM_REG, REM_MEM_REG: those cases fail"
run_check --output=json --strict --group memory --exec "$FAKE_BACKEND --on 36=u64=2 {sock}"
is "$(verdicts '^memory[.](beyond-max-slots|rem-mem-reg-unknown|overlapping-region|zero-size-region)$')" \
	"memory.beyond-max-slots fail memory.rem-mem-reg-unknown fail memory.overlapping-region fail memory.zero-size-region fail" \
	"fake with 2 slots acking every region: --strict fails the third, the unknown, the overlapping, the empty one"
# GET_CONFIG answered with fewer bytes than asked for: fail.
run_check --output=json --case config.get-config-size --exec "$FAKE_BACKEND --on 24=config-short {sock}"
is "$(verdict config.get-config-size)" fail "fake answering GET_CONFIG 4 bytes short: config.get-config-size fails"
# A configuration space of 60 bytes (--config-size): GET_CONFIG past it
# answered with size 0, as vhost-user.rst asks; bytes for any offset: fail.
run_check --output=json --group config --exec "$FAKE_BACKEND --config-size 60 {sock}"
is "$(verdicts .)" "config.get-config-size pass config.get-config-error pass" \
	"fake with 60 bytes of config space: GET_CONFIG at 4096 answered with size 0, within it as asked"
run_check --output=json --case config.get-config-error --exec "$FAKE_BACKEND {sock}"
is "$(verdict config.get-config-error)" fail "fake answering GET_CONFIG at any offset: config.get-config-error fails"
# blk: a fake serving its rings writes status 0 (OK) for anything, and writes
# though VIRTIO_BLK_F_RO is offered; one serving none never uses a request.
run_check --output=json --strict --device blk --group blk --exec "$FAKE_BACKEND --rings inorder --features 0x140000220 {sock}"
is "$(verdicts '^blk[.](unknown-type-unsupported|partial-sector-write|read-only-write)$')" \
	"blk.unknown-type-unsupported fail blk.partial-sector-write fail blk.read-only-write fail" \
	"fake answering OK to every request: type 255, a partial sector (--strict) and a write with RO fail"
run_check --output=json --device blk --case blk.read --case blk.flush --case blk.get-id --case rings.enabled-without-protocol-features \
	--timeout 1000 --exec "$FAKE_BACKEND --features 0x140000200 {sock}"
is "$(verdicts .)" "rings.enabled-without-protocol-features fail blk.read fail blk.flush fail blk.get-id fail" \
	"fake serving no ring: a read, a flush, GET_ID never used, with or without SET_VRING_ENABLE: fail"

# Ring states: a fake keeping them (--honour-enable) serves a ring set up
# disabled only after SET_VRING_ENABLE 1, and a ring without
# VHOST_USER_F_PROTOCOL_FEATURES at once: both pass. One serving a disabled
# ring fails; so does one serving no ring (nothing used once enabled either).
run_check --output=json --device blk --case rings.disabled-until-enabled --case rings.enabled-without-protocol-features \
	--exec "$FAKE_BACKEND --rings inorder --honour-enable {sock}"
is "$(verdicts .)" "rings.disabled-until-enabled pass rings.enabled-without-protocol-features pass" \
	"fake --honour-enable: a disabled ring waits for SET_VRING_ENABLE 1, one without protocol features needs none"
like "$(case_json rings.disabled-until-enabled | jq -r .reason)" "used after SET_VRING_ENABLE 1" "fake --honour-enable: and is served once enabled"
run_check --output=json --device blk --case rings.disabled-until-enabled --exec "$FAKE_BACKEND --rings inorder {sock}"
is "$(verdict rings.disabled-until-enabled)" fail "fake serving a disabled ring: rings.disabled-until-enabled fails"
run_check --output=json --device blk --case rings.disabled-until-enabled --timeout 1000 --exec "$FAKE_BACKEND {sock}"
like "$(verdict rings.disabled-until-enabled): $(case_json rings.disabled-until-enabled | jq -r .reason)" \
	"fail: nothing used within 300 ms while disabled, nor after SET_VRING_ENABLE 1" "fake serving no ring: rings.disabled-until-enabled fails"
# The spec's net exception: a disabled ring's TX must be processed and
# discarded; a fake that serves no disabled ring fails that, as DPDK does.
run_check --output=json --device net --case net.tx-used-while-disabled --exec "$FAKE_BACKEND --rings inorder --honour-enable {sock}"
is "$(verdict net.tx-used-while-disabled)" fail "fake --honour-enable: a disabled ring's TX left unconsumed: net.tx-used-while-disabled fails"

# A polling fake (--rings poll) serves a ring GET_VRING_BASE stopped: fail.
run_check --output=json --device blk --case rings.stopped-after-get-vring-base --exec "$FAKE_BACKEND --rings poll {sock}"
is "$(verdict rings.stopped-after-get-vring-base)" fail "fake --rings poll: rings.stopped-after-get-vring-base fails"

# net and fs: the fake serving rings passes net and (answering zeros) fails fs;
# one that serves no ring fails net.
start_fake --rings inorder "$FS"
run_check --output=json --device net --group net "$FS"
is "$(verdicts .)" "net.tx-used pass net.tx-used-while-disabled pass net.queue-pairs-served pass" \
	"fake serving its rings: a frame sent is used, disabled or not, on queue pair 1 too"
run_check --output=json --device fs --group fs "$FS"
is "$(verdicts .)" "fs.init fail fs.init-again fail fs.getattr-root fail" "fake answering FUSE requests with zeros: the fs cases fail"
stop_fake
start_fake "$FS"
run_check --output=json --device net --group net "$FS"
is "$(verdicts .)" "net.tx-used fail net.tx-used-while-disabled fail net.queue-pairs-served warn" \
	"fake serving no ring: a frame sent is never used (on queue pair 1: a warning)"
stop_fake

run_check --output=json --strict --device net --case net.queue-pairs-served --timeout 1000 --exec "$FAKE_BACKEND {sock}"
is "$(verdict net.queue-pairs-served)" fail "fake serving no ring, GET_QUEUE_NUM 2: --strict fails net.queue-pairs-served"

# IOTLB_MSG: answered u64 0 passes; refused, or not answered at all, fails.
for on in "" "--on 22=u64=0x1" "--on 22=noreply"; do
	run_check --output=json --case iotlb.msg-answered --exec "$FAKE_BACKEND --features 0x340000000 $on {sock}"
	case $on in "") want=pass ;; *) want=fail ;; esac
	is "$(verdict iotlb.msg-answered)" $want "fake ${on:-answering u64 0}: iotlb.msg-answered ${want}s"
done

# RESET_DEVICE offered and acknowledged: its REPLY_ACK row passes.
run_check --output=json --case reply-ack.reset-device --exec "$FAKE_BACKEND --protocol-features 0x220b {sock}"
is "$(verdict reply-ack.reset-device)" pass "fake offering RESET_DEVICE: reply-ack.reset-device passes"

# Both ways: every case has passed (or warned) against a back-end keeping its
# rule, and failed against one breaking it, in the runs above (the silent
# back-end's, where every case fails alike, left out).
"$VHUCTL" check --list | cut -f1 >"$TMP/ids"
never() {	# never VERDICT-RE: the cases no run gave a verdict matching RE
	jq -r --arg re "$1" 'select(.verdict | test($re)) | .case' "$TMP/verdicts.jsonl" | sort -u >"$TMP/seen"
	grep -vxF -f "$TMP/seen" "$TMP/ids" | tr '\n' ' '
}
np=$(never '^(pass|warn)$') nf=$(never '^fail$')
is "${np:-none}" none "both ways: every case passes against a back-end keeping its rule, in some run above"
is "${nf:-none}" none "both ways: every case fails against a back-end breaking its rule, in some run above"
echo "# $(wc -w <<<"$np") of $(wc -l <"$TMP/ids") cases never passed, $(wc -w <<<"$nf") never failed"

done_testing
