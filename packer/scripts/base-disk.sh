#!/usr/bin/env bash
# The local base disk for offline builds: Debian 13 (trixie) installed with debootstrap from
# the mirror this machine's apt uses, with every package appliance/*/packages lists, a kernel,
# extlinux, DHCP on eth0 and the build's SSH key for root (removed again by
# packer/scripts/provision.sh). Root only (loop device, mount, chroot).
#
#   base-disk.sh OUT.qcow2 SIZE PUBKEY_FILE
#
# The disk is cached by its caller under a name derived from everything read here
# (packer/build.sh: this script, the package lists, the mirror, the size, the key).
set -euo pipefail
out=$1 size=$2 pubkey=$3
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
suite=trixie
mirror=$("$here/mirror.sh" main)
security=$("$here/mirror.sh" security || true)

[ "$(id -u)" = 0 ] || { echo "base-disk.sh: needs root (loop device, mount, chroot)" >&2; exit 1; }
for tool in debootstrap extlinux sfdisk mkfs.ext4 qemu-img losetup; do
  command -v "$tool" >/dev/null || { echo "base-disk.sh: $tool is missing (apt-get install debootstrap extlinux fdisk e2fsprogs qemu-utils mount)" >&2; exit 1; }
done
mbr=/usr/lib/syslinux/mbr/mbr.bin
[ -f "$mbr" ] || mbr=/usr/lib/EXTLINUX/mbr.bin

packages=$(cat "$repo"/appliance/*/packages | sed -e 's/#.*//' -e '/^[[:space:]]*$/d' | sort -u | paste -sd, -)

work=$(mktemp -d "${TMPDIR:-/tmp}/lb-base.XXXXXX")
raw=$work/disk.raw
mnt=$work/root
loop=
cleanup() {
  set +e
  for m in dev/pts dev proc sys; do mountpoint -q "$mnt/$m" && umount -l "$mnt/$m"; done
  mountpoint -q "$mnt" && umount "$mnt"
  [ -n "$loop" ] && losetup -d "$loop"
  rm -rf "$work"
}
trap cleanup EXIT

echo "base-disk: $suite from $mirror, $size, packages: $packages"
truncate -s "$size" "$raw"
# One bootable Linux partition from 1 MiB to the end.
echo 'start=2048, type=83, bootable' | sfdisk -q "$raw"
dd if="$mbr" of="$raw" bs=440 count=1 conv=notrunc status=none
# losetup -P makes no partition devices here (no udev): map the partition by its offset.
part_bytes=$(( $(sfdisk -l -o Sectors "$raw" | tail -1 | tr -d ' ') * 512 ))
loop=$(losetup -f --show -o 1048576 --sizelimit "$part_bytes" "$raw")
mkfs.ext4 -q -L lbroot -E lazy_itable_init=0,lazy_journal_init=0 "$loop"
mkdir -p "$mnt"
mount "$loop" "$mnt"

debootstrap --variant=minbase --include="$packages" "$suite" "$mnt" "$mirror" >"$work/debootstrap.log" 2>&1 || {
  tail -30 "$work/debootstrap.log" >&2; exit 1; }

# Services that packages start are not wanted in a chroot.
printf '#!/bin/sh\nexit 101\n' >"$mnt/usr/sbin/policy-rc.d"; chmod +x "$mnt/usr/sbin/policy-rc.d"
mount --bind /dev "$mnt/dev"; mount -t devpts devpts "$mnt/dev/pts"
mount -t proc proc "$mnt/proc"; mount -t sysfs sysfs "$mnt/sys"

cat >"$mnt/etc/apt/sources.list.d/debian.sources" <<EOS
Types: deb
URIs: $mirror
Suites: $suite $suite-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOS
if [ -n "$security" ]; then
  cat >>"$mnt/etc/apt/sources.list.d/debian.sources" <<EOS

Types: deb
URIs: $security
Suites: $suite-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOS
fi
rm -f "$mnt/etc/apt/sources.list"

echo 'LABEL=lbroot / ext4 errors=remount-ro 0 1' >"$mnt/etc/fstab"
echo lb-appliance >"$mnt/etc/hostname"
printf '127.0.0.1 localhost\n127.0.1.1 lb-appliance\n::1 localhost ip6-localhost ip6-loopback\n' >"$mnt/etc/hosts"

# Boot: extlinux in the MBR partition, the serial console last so /dev/console is ttyS0
# (hypervisor serial logs) while tty0 still shows the boot on a VGA console.
mkdir -p "$mnt/boot/extlinux"
extlinux --install "$mnt/boot/extlinux" 2>/dev/null
cat >"$mnt/boot/extlinux/extlinux.conf" <<'EOS'
DEFAULT debian
TIMEOUT 1
PROMPT 0
LABEL debian
  LINUX /vmlinuz
  INITRD /initrd.img
  APPEND root=LABEL=lbroot ro console=tty0 console=ttyS0,115200n8 net.ifnames=0
EOS

# The build reaches the guest over SSH as root with the build's key; DHCP on eth0 (QEMU's NAT).
install -d -m 0700 "$mnt/root/.ssh"
install -m 0600 "$pubkey" "$mnt/root/.ssh/authorized_keys"
cat >"$mnt/etc/systemd/network/90-build.network" <<'EOS'
# Build-time network of the base disk; packer/scripts/provision.sh removes it.
[Match]
Name=eth0
[Network]
DHCP=yes
EOS
chroot "$mnt" systemctl enable systemd-networkd.service systemd-resolved.service 2>&1 | grep -v "^Created symlink" || true
chroot "$mnt" ln -sf /run/systemd/resolve/stub-resolv.conf /etc/resolv.conf
# The host keys openssh-server's postinst made serve the build's own boots only:
# provision.sh removes them, and the appliance makes its own at first boot.
chroot "$mnt" apt-get clean
rm -f "$mnt/usr/sbin/policy-rc.d"

for m in dev/pts dev proc sys; do umount "$mnt/$m"; done
# No fstrim: discards through a loop device with an offset have corrupted the filesystem
# here; qemu-img convert leaves out the zero blocks anyway.
umount "$mnt"
blockdev --flushbufs "$loop"
e2fsck -fn "$loop" >"$work/fsck.log" 2>&1 || { cat "$work/fsck.log" >&2; echo "base-disk: the new filesystem does not check clean" >&2; exit 1; }
losetup -d "$loop"; loop=
qemu-img convert -O qcow2 "$raw" "$out.tmp"
mv "$out.tmp" "$out"
echo "base-disk: wrote $out ($(du -h "$out" | cut -f1))"
