# lib.sh - shared helpers for vhuctl's shell tests: TAP output, temp dirs, back-ends.
# Sourced by tests/*.sh under automake's TAP driver. VHUCTL and FAKE_BACKEND
# name the binaries under test (set by `make check`).

set -u
: "${VHUCTL:?VHUCTL must name the vhuctl binary}"
: "${FAKE_BACKEND:=}"

TAP_N=0
TAP_FAILED=0
TMP=$(mktemp -d "${TMPDIR:-/tmp}/vhuctl-test.XXXXXX")
PIDS=()
# Every JSON object any vhuctl of this test prints is kept here too, and
# checked against the output schema when the test is done (done_testing).
export VHUCTL_JSON_LOG=$TMP/json.log

cleanup() {
	local p
	for p in "${PIDS[@]}"; do
		kill "$p" 2>/dev/null
	done
	for p in "${PIDS[@]}"; do
		# Back-ends get 5 s to exit on SIGTERM, then SIGKILL.
		for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
		kill -9 "$p" 2>/dev/null
	done
	rm -rf "$TMP"
}
trap cleanup EXIT

ok() {	# ok STATUS DESCRIPTION: STATUS 0 passes
	local st=$1; shift
	TAP_N=$((TAP_N + 1))
	if [ "$st" -eq 0 ]; then
		echo "ok $TAP_N - $*"
	else
		echo "not ok $TAP_N - $*"
		TAP_FAILED=$((TAP_FAILED + 1))
	fi
}

is() {	# is GOT WANT DESCRIPTION
	local got=$1 want=$2; shift 2
	if [ "$got" = "$want" ]; then
		ok 0 "$*"
	else
		ok 1 "$*"
		printf '#   got:  %s\n#   want: %s\n' "$got" "$want"
	fi
}

ran_ok() {	# ran_ok DESCRIPTION: the last run_vhuctl exited 0; its stderr shown if not
	is "$RC" 0 "$*"
	[ "$RC" = 0 ] || printf '%s\n' "$ERR" | head -n 20 | sed 's/^/#   stderr: /'
}

like() {	# like TEXT GREP-PATTERN DESCRIPTION (fixed string)
	local text=$1 pat=$2; shift 2
	if printf '%s' "$text" | grep -qF -- "$pat"; then
		ok 0 "$*"
	else
		ok 1 "$*"
		printf '#   %s\n#   does not contain: %s\n' "$(printf '%s' "$text" | head -c 600)" "$pat"
	fi
}

bail() {
	echo "Bail out! $*"
	exit 1
}

# check_schema: one test point, every object printed so far conforms to
# schema/vhuctl.schema.json (vhuctl-json(7)), or what does not is shown.
check_schema() {
	local top=${top_srcdir:-.} out n rc
	[ -s "$VHUCTL_JSON_LOG" ] || return 0	# this test printed no JSON
	n=$(wc -l <"$VHUCTL_JSON_LOG")
	out=$(python3 "$top/tests/schema.py" "$top/schema/vhuctl.schema.json" "$VHUCTL_JSON_LOG" 2>&1)
	rc=$?
	ok $rc "all $n JSON objects printed conform to the output schema"
	[ $rc = 0 ] || printf '%s\n' "$out" | head -n 40 | sed 's/^/#   /'
}

done_testing() {
	check_schema
	echo "1..$TAP_N"
	exit 0
}

# run_vhuctl ARGS...: sets OUT, ERR, RC. Every run is bounded.
run_vhuctl() {
	timeout 60 "$VHUCTL" "$@" >"$TMP/out" 2>"$TMP/err" </dev/null
	RC=$?
	OUT=$(cat "$TMP/out")
	ERR=$(cat "$TMP/err")
}

# jline N: the Nth (1-based) JSON line of OUT
jline() {
	printf '%s\n' "$OUT" | sed -n "${1}p"
}

# jcmd NAME: the first output object whose "command" is NAME
jcmd() {
	printf '%s\n' "$OUT" | jq -c --arg c "$1" 'select(.command == $c)' | head -n 1
}

wait_path() {	# wait_path TEST PATH PID SECONDS: until [ TEST PATH ]; 1 if PID exits first
	local i
	for i in $(seq $(($4 * 20))); do
		[ "$1" "$2" ] && return 0
		kill -0 "$3" 2>/dev/null || return 1
		sleep 0.05
	done
	return 1
}

# Following a file as it is written: FOLLOW_FD reads FILE's lines from the
# first one on, and ends when SECONDS pass or PID (if given) exits.
_follow_open() {	# _follow_open FILE SECONDS [PID]
	exec {FOLLOW_FD}< <(exec timeout "$2" tail -n +1 -F ${3:+--pid="$3"} -- "$1" 2>/dev/null)
	FOLLOW_PID=$!
}
_follow_close() {
	kill "$FOLLOW_PID" 2>/dev/null
	exec {FOLLOW_FD}<&-
}

# wait_line FILE TEXT SECONDS [PID]: 0 as soon as a line of FILE contains
# TEXT; 1 when SECONDS pass, or PID exits, first. Whoever writes FILE must
# write each line when it happens: a program's stdout under `stdbuf -oL`.
wait_line() {
	local line rc=1
	_follow_open "$1" "$3" "${4:-}"
	while IFS= read -r -u "$FOLLOW_FD" line; do
		[[ $line == *"$2"* ]] && { rc=0; break; }
	done
	_follow_close
	return $rc
}

# wait_lines FILE N SECONDS [ERE]: 0 as soon as FILE has N whole lines
# (matching ERE, if given); 1 when SECONDS pass first.
wait_lines() {
	local line n=0 rc=1
	[ "$2" -gt 0 ] || return 0
	_follow_open "$1" "$3"
	while IFS= read -r -u "$FOLLOW_FD" line; do
		if [ -z "${4:-}" ] || [[ $line =~ $4 ]]; then
			n=$((n + 1))
			[ "$n" -ge "$2" ] && { rc=0; break; }
		fi
	done
	_follow_close
	return $rc
}

# start_qsd IMAGE SOCKET [EXPORT-OPTIONS]: qemu-storage-daemon exporting IMAGE
# as vhost-user-blk. A back-end that does not start fails the test (no skip).
start_qsd() {
	local img=$1 sock=$2 extra=${3:-}
	rm -f "$TMP/qsd.pid"
	command -v qemu-storage-daemon >/dev/null ||
		bail "qemu-storage-daemon not installed (apt-get install qemu-system-common)"
	qemu-storage-daemon \
		--blockdev "driver=file,node-name=file0,filename=$img" \
		--export "type=vhost-user-blk,id=exp0,addr.type=unix,addr.path=$sock,node-name=file0,writable=on${extra:+,$extra}" \
		--pidfile "$TMP/qsd.pid" >"$TMP/qsd.log" 2>&1 &
	QSD_PID=$!
	PIDS+=("$QSD_PID")
	# qsd writes its pid file once the export listens, before it accepts
	wait_path -s "$TMP/qsd.pid" "$QSD_PID" 30 || bail "qemu-storage-daemon did not start: $(cat "$TMP/qsd.log")"
}

# start_virtiofsd SOCKET DIR: QEMU's virtiofsd sharing DIR. It serves one
# front-end connection, then exits: start one per connection. Its default
# sandbox (a mount namespace) fails where / is no mount point, as in a
# chroot ("mount(/, MS_REC|MS_SLAVE): Invalid argument", then it hangs up
# on GET_FEATURES); sandbox=chroot works everywhere.
start_virtiofsd() {
	local sock=$1 dir=$2 bin=/usr/lib/qemu/virtiofsd
	[ -x "$bin" ] || bail "virtiofsd not installed (apt-get install qemu-system-common)"
	rm -f "$sock"
	: >"$TMP/virtiofsd.log"
	stdbuf -oL -eL "$bin" --socket-path="$sock" -o source="$dir" -o cache=none -o sandbox=chroot \
		</dev/null >"$TMP/virtiofsd.log" 2>&1 &
	VIRTIOFSD_PID=$!
	PIDS+=("$VIRTIOFSD_PID")
	# printed once its socket listens
	wait_line "$TMP/virtiofsd.log" "Waiting for vhost-user socket connection" 30 "$VIRTIOFSD_PID" ||
		bail "virtiofsd did not start: $(tail -5 "$TMP/virtiofsd.log")"
}

# start_vhost_user_gpu SOCKET: QEMU's vhost-user-gpu (qemu-system-gui). It
# serves one front-end connection, then exits: start one per connection. It
# prints nothing when it listens: what is waited for is its socket in
# /proc/net/unix with the listening flag (__SO_ACCEPTCON, 00010000).
start_vhost_user_gpu() {
	local sock=$1 bin=/usr/lib/qemu/vhost-user-gpu
	[ -x "$bin" ] || bail "vhost-user-gpu not installed (apt-get install qemu-system-gui)"
	rm -f "$sock"
	stdbuf -oL -eL "$bin" -s "$sock" </dev/null >"$TMP/vugpu.log" 2>&1 &
	VUGPU_PID=$!
	PIDS+=("$VUGPU_PID")
	for _ in $(seq 600); do
		grep -q " 00010000 0001 01 [0-9]* $sock\$" /proc/net/unix && return 0
		kill -0 "$VUGPU_PID" 2>/dev/null || break
		sleep 0.05
	done
	bail "vhost-user-gpu did not start: $(tail -5 "$TMP/vugpu.log")"
}

# gone PID SECONDS: 0 once PID has exited, 1 if it still runs after SECONDS
gone() {
	for _ in $(seq $(($2 * 20))); do
		kill -0 "$1" 2>/dev/null || return 0
		sleep 0.05
	done
	return 1
}

# start_testpmd SOCKET [VDEV-EXTRA] [TESTPMD-ARGS]: dpdk-testpmd with one
# vhost-user port; not forwarding unless TESTPMD-ARGS says --auto-start
# (control-plane tests need no busy-polling core). Its log is written line
# by line (stdbuf), so that what it says is seen when it says it.
start_testpmd() {
	local sock=$1 extra=${2:-} app=${3:-}
	command -v dpdk-testpmd >/dev/null ||
		bail "dpdk-testpmd not installed (apt-get install dpdk-dev librte-net-vhost23 librte-mempool-ring23)"
	rm -f "$sock"
	: >"$TMP/testpmd.log"
	stdbuf -oL -eL dpdk-testpmd --no-huge --no-pci --no-shconf -l 0-1 \
		--vdev "net_vhost0,iface=$sock,queues=1${extra:+,$extra}" \
		-- --total-num-mbufs=2048 --forward-mode=io --no-flush-rx --stats-period 3600 $app \
		</dev/null >"$TMP/testpmd.log" 2>&1 &
	TESTPMD_PID=$!
	PIDS+=("$TESTPMD_PID")
	testpmd_ready "$app"
}

# testpmd_ready TESTPMD-ARGS: wait for the testpmd just started to be up. It
# prints "Port 0: MAC" once the port is started, after its socket listens
# (client=1: after it starts dialling); with --auto-start, "start packet
# forwarding" as it starts forwarding. (A loaded machine can spend ~10 s
# checking link status first.) Right after that line testpmd throws away
# whatever its receive queues hold, unless --no-flush-rx: without it, a
# frame sent while a front-end's handshake races that flush is lost.
testpmd_ready() {
	wait_line "$TMP/testpmd.log" "Port 0: " 90 "$TESTPMD_PID" ||
		bail "dpdk-testpmd did not start its port: $(tail -5 "$TMP/testpmd.log")"
	case " $1 " in
	*" --auto-start "*)
		wait_line "$TMP/testpmd.log" "start packet forwarding" 90 "$TESTPMD_PID" ||
			bail "dpdk-testpmd did not start forwarding: $(tail -5 "$TMP/testpmd.log")"
		;;
	esac
}

# start_monitor FRONT BACK [OPTIONS...]: the monitor, its objects in
# $TMP/mon.out; returns once it says monitor-ready.
start_monitor() {
	local front=$1 back=$2; shift 2
	: >"$TMP/mon.out"
	"$VHUCTL" monitor "$@" "$front" "$back" >"$TMP/mon.out" 2>"$TMP/mon.err" </dev/null &
	MON_PID=$!
	PIDS+=("$MON_PID")
	wait_line "$TMP/mon.out" '"event":"monitor-ready"' 30 "$MON_PID" ||
		bail "vhuctl monitor did not start: $(cat "$TMP/mon.err")"
}

# start_fake [--OPTION VALUE...] SOCKET [ACTIONS...]: the scriptable fake
# back-end, logging to $TMP/fake.log
start_fake() {
	local opts=()
	while [ "${1#--}" != "$1" ]; do opts+=("$1" "$2"); shift 2; done
	local sock=$1; shift
	[ -x "$FAKE_BACKEND" ] || bail "fake back-end not built"
	rm -f "$sock" "$TMP/fake.pid"
	: >"$TMP/fake.log"
	"$FAKE_BACKEND" --log "$TMP/fake.log" --pidfile "$TMP/fake.pid" "${opts[@]}" "$sock" "$@" \
		>"$TMP/fake.out" 2>&1 &
	FAKE_PID=$!
	PIDS+=("$FAKE_PID")
	# its pid file is written once it listens
	wait_path -s "$TMP/fake.pid" "$FAKE_PID" 30 || bail "fake back-end did not start: $(cat "$TMP/fake.out")"
}

# The fake logs a message when it has read it, which can be after vhuctl has
# exited when nothing was answered: wait for N request lines, or for TEXT.
# A wait that ends without them is a failed test point.
wait_log() {
	wait_lines "$TMP/fake.log" "$1" 30 '^req=' && return 0
	ok 1 "the fake back-end logged $1 requests (it logged $(grep -c '^req=' "$TMP/fake.log"))"
	return 1
}
wait_log_has() {
	wait_line "$TMP/fake.log" "$1" 30 && return 0
	ok 1 "the fake back-end logged '$1'"
	return 1
}

stop_fake() {
	kill "$FAKE_PID" 2>/dev/null
	wait "$FAKE_PID" 2>/dev/null
}

command -v jq >/dev/null || bail "jq not installed"
