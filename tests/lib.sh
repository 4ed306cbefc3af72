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

done_testing() {
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

wait_socket() {	# wait_socket PATH PID SECONDS
	local i
	for i in $(seq $(($3 * 20))); do
		[ -S "$1" ] && return 0
		kill -0 "$2" 2>/dev/null || return 1
		sleep 0.05
	done
	return 1
}

# start_qsd IMAGE SOCKET [EXPORT-OPTIONS]: qemu-storage-daemon exporting IMAGE
# as vhost-user-blk. A back-end that does not start fails the test (no skip).
start_qsd() {
	local img=$1 sock=$2 extra=${3:-}
	command -v qemu-storage-daemon >/dev/null ||
		bail "qemu-storage-daemon not installed (apt-get install qemu-system-common)"
	qemu-storage-daemon \
		--blockdev "driver=file,node-name=file0,filename=$img" \
		--export "type=vhost-user-blk,id=exp0,addr.type=unix,addr.path=$sock,node-name=file0,writable=on${extra:+,$extra}" \
		>"$TMP/qsd.log" 2>&1 &
	QSD_PID=$!
	PIDS+=("$QSD_PID")
	wait_socket "$sock" "$QSD_PID" 10 || bail "qemu-storage-daemon did not start: $(cat "$TMP/qsd.log")"
}

# start_testpmd SOCKET [VDEV-EXTRA] [TESTPMD-ARGS]: dpdk-testpmd with one
# vhost-user port; not forwarding unless TESTPMD-ARGS says --auto-start
# (control-plane tests need no busy-polling core).
start_testpmd() {
	local sock=$1 extra=${2:-} app=${3:-}
	command -v dpdk-testpmd >/dev/null ||
		bail "dpdk-testpmd not installed (apt-get install dpdk-dev librte-net-vhost23 librte-mempool-ring23)"
	rm -f "$sock"
	dpdk-testpmd --no-huge --no-pci --no-shconf -l 0-1 \
		--vdev "net_vhost0,iface=$sock,queues=1${extra:+,$extra}" \
		-- --total-num-mbufs=2048 --forward-mode=io --stats-period 3600 $app \
		</dev/null >"$TMP/testpmd.log" 2>&1 &
	TESTPMD_PID=$!
	PIDS+=("$TESTPMD_PID")
	wait_socket "$sock" "$TESTPMD_PID" 30 || bail "dpdk-testpmd did not start: $(tail -5 "$TMP/testpmd.log")"
	# The socket exists before the port is started; frames sent earlier
	# wait for the forwarding loop. Start on a forwarding testpmd.
	case " $app " in
	*" --auto-start "*)
		for _ in $(seq 200); do
			grep -q "start packet forwarding" "$TMP/testpmd.log" && return 0
			sleep 0.05
		done
		bail "dpdk-testpmd did not start forwarding: $(tail -5 "$TMP/testpmd.log")"
		;;
	esac
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
	wait_socket "$sock" "$FAKE_PID" 5 || bail "fake back-end did not start"
}

# The fake logs a message when it has read it, which can be after vhuctl has
# exited when nothing was answered: wait (5 s at most) for N lines, or for TEXT.
wait_log() {
	for _ in $(seq 100); do
		[ "$(grep -c '^req=' "$TMP/fake.log")" -ge "$1" ] && return 0
		sleep 0.05
	done
}
wait_log_has() {
	for _ in $(seq 100); do
		grep -qF -- "$1" "$TMP/fake.log" && return 0
		sleep 0.05
	done
}

stop_fake() {
	kill "$FAKE_PID" 2>/dev/null
	wait "$FAKE_PID" 2>/dev/null
}

command -v jq >/dev/null || bail "jq not installed"
