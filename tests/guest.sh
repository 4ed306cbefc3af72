# guest.sh - a tiny Linux guest for QEMU under TCG, sourced by the tests that
# boot one (frontends.md): the uncompressed kernel (QEMU boots its PVH note
# and skips the decompressor) and an initramfs of static busybox, the virtio
# modules and an /init that writes a sector of /dev/vda, reads it back,
# prints a marker and powers off. Built once into $top_builddir/tests/guest/
# and reused for as long as the kernel, busybox and this file are the same.
# The same initramfs does blk, net or fs, as the kernel command line says.

# guest_build: sets GUEST_KERNEL and GUEST_INITRD, building what is missing.
# Fails the test (bail) when something it needs is not there.
guest_build() {
	local kver vmlinuz key dir tmp m
	vmlinuz=$(ls /boot/vmlinuz-* 2>/dev/null | sort -V | tail -n 1)
	[ -n "$vmlinuz" ] || bail "no /boot/vmlinuz-* (apt-get install linux-image-amd64)"
	kver=${vmlinuz#/boot/vmlinuz-}
	[ -x /bin/busybox ] || bail "no /bin/busybox (apt-get install busybox-static)"
	command -v cpio >/dev/null || bail "cpio not installed"
	key=$(cat "$vmlinuz" /bin/busybox "${BASH_SOURCE[0]}" | md5sum | cut -c1-12)
	dir=${top_builddir:-.}/tests/guest/$kver-$key
	GUEST_KERNEL=$dir/vmlinux
	GUEST_INITRD=$dir/initramfs.cpio
	[ -s "$GUEST_KERNEL" ] && [ -s "$GUEST_INITRD" ] && return 0
	mkdir -p "$dir"
	tmp=$(mktemp -d "$dir/build.XXXXXX")
	# the kernel: the first compressed stream in the bzImage that
	# decompresses to an ELF file
	python3 - "$vmlinuz" "$tmp/vmlinux" <<'PY' || bail "cannot extract vmlinux from $vmlinuz"
import gzip, lzma, sys, zlib
d = open(sys.argv[1], "rb").read()
for magic, unpack in ((b"\xfd7zXZ\x00", lambda b: lzma.LZMADecompressor().decompress(b)),
                      (b"\x1f\x8b\x08", lambda b: zlib.decompressobj(31).decompress(b))):
    i = d.find(magic)
    while i >= 0:
        try:
            out = unpack(d[i:])
            if out[:4] == b"\x7fELF":
                open(sys.argv[2], "wb").write(out)
                sys.exit(0)
        except Exception:
            pass
        i = d.find(magic, i + 1)
sys.exit(1)
PY
	mkdir -p "$tmp/root/bin" "$tmp/root/lib/modules" "$tmp/root/proc" "$tmp/root/sys" "$tmp/root/dev"
	cp /bin/busybox "$tmp/root/bin/"
	for m in virtio_ring virtio virtio_pci_legacy_dev virtio_pci_modern_dev virtio_pci virtio_blk \
		failover net_failover virtio_net fuse virtiofs; do
		f=$(find "/lib/modules/$kver" -name "$m.ko*" | head -n 1)
		[ -n "$f" ] || bail "module $m not found for $kver"
		case $f in
		*.xz) xz -dc "$f" >"$tmp/root/lib/modules/$m.ko" ;;
		*.zst) zstd -qdc "$f" >"$tmp/root/lib/modules/$m.ko" ;;
		*) cp "$f" "$tmp/root/lib/modules/$m.ko" ;;
		esac
	done
	cat >"$tmp/root/init" <<'INIT'
#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
for m in virtio_ring virtio virtio_pci_legacy_dev virtio_pci_modern_dev virtio_pci; do
	insmod /lib/modules/$m.ko
done
# what to do: vhuctl=blk (the default), net or fs on the kernel command line
mode=$(sed -n 's/.*vhuctl=\([a-z]*\).*/\1/p' /proc/cmdline)
case ${mode:-blk} in
blk)
	insmod /lib/modules/virtio_blk.ko
	for i in $(seq 50); do [ -b /dev/vda ] && break; sleep 0.1; done
	printf 'guest-wrote-sector-0' | dd of=/dev/vda bs=512 count=1 conv=sync,fsync 2>/dev/null
	echo 3 >/proc/sys/vm/drop_caches
	echo "GUEST-READ: $(dd if=/dev/vda bs=512 count=1 iflag=direct 2>/dev/null | head -c 20)"
	;;
net)
	for m in failover net_failover virtio_net; do insmod /lib/modules/$m.ko; done
	for i in $(seq 50); do [ -e /sys/class/net/eth0 ] && break; sleep 0.1; done
	ip link set eth0 up
	ip addr add 10.11.12.2/24 dev eth0
	echo "GUEST-PING: $(ping -c 3 -W 5 10.11.12.1 2>&1 | grep -c 'bytes from')"
	;;
fs)
	for m in fuse virtiofs; do insmod /lib/modules/$m.ko; done
	mkdir -p /mnt
	mount -t virtiofs myfs /mnt && echo "GUEST-CAT: $(cat /mnt/hello.txt)"
	;;
esac
echo GUEST-DONE
poweroff -f
INIT
	chmod +x "$tmp/root/init"
	(cd "$tmp/root" && find . | cpio -o -H newc --quiet) >"$tmp/initramfs.cpio" || bail "cpio failed"
	mv "$tmp/vmlinux" "$GUEST_KERNEL"
	mv "$tmp/initramfs.cpio" "$GUEST_INITRD"
	rm -rf "$tmp"
}

# guest_start MODE LOG DEVICE...: QEMU (q35, qboot, TCG) with the DEVICE
# arguments, the guest doing MODE's I/O (blk, net, fs), its serial console
# in LOG; GUEST_PID.
guest_start() {
	local mode=$1 log=$2; shift 2
	command -v qemu-system-x86_64 >/dev/null || bail "qemu-system-x86_64 not installed"
	: >"$log"
	qemu-system-x86_64 -machine q35 -bios /usr/share/qemu/qboot.rom -accel tcg -cpu max \
		-m 256 -object memory-backend-memfd,id=mem,size=256M,share=on -numa node,memdev=mem \
		-kernel "$GUEST_KERNEL" -initrd "$GUEST_INITRD" -append "console=ttyS0 quiet panic=-1 vhuctl=$mode" \
		"$@" -chardev file,id=ser0,path="$log" -serial chardev:ser0 \
		-nodefaults -no-user-config -display none -no-reboot \
		</dev/null >"$log.qemu" 2>&1 &
	GUEST_PID=$!
	PIDS+=("$GUEST_PID")
}

# guest_start_blk SOCKET LOG [CHARDEV-OPTIONS]: a vhost-user-blk device on
# SOCKET (",reconnect=1" and the like appended to its -chardev); the guest
# writes sector 0 and reads it back (GUEST-READ:).
guest_start_blk() {
	guest_start blk "$2" -chardev socket,id=c0,path="$1${3:-}" -device vhost-user-blk-pci,chardev=c0
}

# guest_start_net SOCKET LOG: virtio-net on a vhost-user netdev on SOCKET
# (vectors=0: QEMU 7.2 under TCG crashes with MSI-X); the guest, 10.11.12.2,
# pings 10.11.12.1 three times and says how many came back (GUEST-PING:).
guest_start_net() {
	guest_start net "$2" -chardev socket,id=c0,path="$1" -netdev vhost-user,id=n0,chardev=c0 \
		-device virtio-net-pci,netdev=n0,vectors=0
}

# guest_start_fs SOCKET LOG: vhost-user-fs on SOCKET, tag myfs; the guest
# mounts it and prints /hello.txt (GUEST-CAT:).
guest_start_fs() {
	guest_start fs "$2" -chardev socket,id=c0,path="$1" -device vhost-user-fs-pci,chardev=c0,tag=myfs
}
