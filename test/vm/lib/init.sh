#!/bin/busybox sh
# /init of the test VM (see README.md): host / over 9p as the read-only lower layer of an
# overlay with a tmpfs upper, so the guest sees the host's userland and the checkout and can
# write anywhere without touching the host. The host's share "out" carries boot.env (what to
# run) in and the results out. Powers off when the command ends; the host bounds the run.
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
while read -r m; do insmod "/modules/$m" || echo "lbvm: insmod $m failed"; done < /modules/order

fail() { echo "lbvm: $*"; echo 125 > /out/exit-code 2>/dev/null; poweroff -f; }
mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000 out /out || fail "cannot mount the out share"
# shellcheck source=/dev/null
. /out/boot.env
mount -t 9p -o trans=virtio,version=9p2000.L,ro,cache=loose,msize=512000 host /lower || fail "cannot mount the host root"
mount -t tmpfs -o size="${LBVM_UPPER_SIZE:-512m}",mode=0755 tmpfs /upper
mkdir -p /upper/data /upper/work
mount -t overlay overlay -o lowerdir=/lower,upperdir=/upper/data,workdir=/upper/work /root || fail "cannot mount the overlay"

# The host's /proc, /sys, /dev, /run and /tmp show through the lower layer: replace them.
mount -o bind /proc /root/proc
mount -o bind /sys /root/sys
mount -o bind /dev /root/dev
mkdir -p /root/dev/pts /root/dev/shm
mount -t devpts devpts /root/dev/pts
mount -t tmpfs tmpfs /root/dev/shm
ln -sf /proc/self/fd /root/dev/fd
ln -sf /proc/self/fd/0 /root/dev/stdin
ln -sf /proc/self/fd/1 /root/dev/stdout
ln -sf /proc/self/fd/2 /root/dev/stderr
# A checkout (and its build/vm) under /tmp or /run would vanish under those tmpfs: hold it
# aside and bind it back at the same path.
case "$LBVM_CHECKOUT" in
  /tmp/*|/run/*) mkdir -p /ckout && mount -o bind "/root$LBVM_CHECKOUT" /ckout || fail "cannot hold the checkout" ;;
esac
mount -t tmpfs tmpfs /root/run
mount -t tmpfs tmpfs /root/tmp
if [ -d /ckout ]; then
  mkdir -p "/root$LBVM_CHECKOUT" && mount -o bind /ckout "/root$LBVM_CHECKOUT" || fail "cannot bind the checkout back"
fi
mkdir -p /root/lbvm
mount -o bind /out /root/lbvm
# modprobe (and the kernel's on-demand module loading) look in /lib/modules/$(uname -r).
kver=$(uname -r)
mkdir -p /root/usr/lib/modules
rm -rf "/root/usr/lib/modules/$kver"
ln -s "$LBVM_MODULES" "/root/usr/lib/modules/$kver"
# The kernel runs its module loader (on-demand schedulers, nftables expressions) from init's
# root, which stays the initramfs: point it into the overlay.
printf '#!/bin/sh\nexec chroot /root /sbin/modprobe "$@"\n' > /bin/lbvm-modprobe
chmod +x /bin/lbvm-modprobe
echo /bin/lbvm-modprobe > /proc/sys/kernel/modprobe
hostname lbvm

chroot /root /bin/bash /lbvm/run.sh
echo "lbvm: done"
sync
poweroff -f
