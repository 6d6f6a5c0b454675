#!/usr/bin/env bash
# Builds the VM test tier's boot files into build/vm/ (gitignored): Debian's generic kernel
# (it has IPVS, nftables, 9p and overlayfs as modules; the host kernel has no IPVS) and a
# busybox initramfs that mounts the host root over 9p as a read-only overlay lower layer.
# Idempotent: the kernel is fetched once (delete build/vm to fetch a newer one); the
# initramfs is rebuilt when this script or init.sh change. Needs root and apt.
set -euo pipefail
cd "$(dirname "$0")/../../.."
here=test/vm/lib
out=build/vm
stamp="$(sha256sum "$here/build-vm.sh" "$here/init.sh" | sha256sum | cut -c1-16)"
if [ -f "$out/ready" ] && [ "$(cat "$out/ready")" = "$stamp" ]; then
  exit 0
fi

if [ ! -f "$out/kver" ] || [ ! -f "$out/vmlinuz" ]; then
  echo "vm: fetching Debian's kernel into $out"
  rm -rf "$out"
  mkdir -p "$out/dl"
  # The generic flavour: the cloud flavour lacks 9p.
  pkg=$(apt-cache depends linux-image-amd64 | awk '/Depends: linux-image-[0-9]/ { print $2; exit }')
  [ -n "$pkg" ] || { echo "vm: cannot resolve linux-image-amd64 (apt-get update?)" >&2; exit 1; }
  # apt warns that root downloads unsandboxed into a folder _apt cannot write: expected here.
  (cd "$out/dl" && { timeout 600 apt-get download -q "$pkg" 2>&1 | grep -v 'unsandboxed'; true; })
  deb=$(find "$out/dl" -name "${pkg}_*.deb" | head -n1)
  [ -n "$deb" ] || { echo "vm: apt-get download $pkg failed" >&2; exit 1; }
  dpkg-deb -x "$deb" "$out/kernel"
  rm -rf "$out/dl"
  kver=$(ls "$out/kernel/lib/modules")
  # Drop module trees no test needs (graphics, sound, wireless...): about 170 MB less.
  for d in drivers/gpu drivers/media drivers/net/wireless drivers/infiniband drivers/staging \
           drivers/bluetooth net/bluetooth sound drivers/iio drivers/hid drivers/input drivers/usb; do
    rm -rf "$out/kernel/lib/modules/$kver/kernel/$d"
  done
  depmod -b "$out/kernel" "$kver"
  cp "$out/kernel/boot/vmlinuz-$kver" "$out/vmlinuz"
  echo "$kver" > "$out/kver"
fi
kver=$(cat "$out/kver")

# Initramfs: static busybox, the modules needed to reach the host root, and our /init.
ird=$(mktemp -d)
trap 'rm -rf "$ird"' EXIT
mkdir -p "$ird"/{bin,dev,proc,sys,lower,upper,root,out,modules}
cp /bin/busybox "$ird/bin/busybox"
file "$ird/bin/busybox" | grep -q 'statically linked' || { echo "vm: /bin/busybox is not static (install busybox-static)" >&2; exit 1; }
: > "$ird/modules/order"
for m in virtio_pci virtio_rng 9pnet_virtio 9p overlay; do
  modprobe -d "$out/kernel" -S "$kver" --show-depends "$m" | awk '$1 == "insmod" { print $2 }'
done | awk '!seen[$0]++' | while read -r ko; do
  cp "$ko" "$ird/modules/"
  basename "$ko" >> "$ird/modules/order"
done
cp "$here/init.sh" "$ird/init"
chmod +x "$ird/init"
(cd "$ird" && find . | cpio -o -H newc --quiet | gzip -9) > "$out/initrd.gz.tmp"
mv "$out/initrd.gz.tmp" "$out/initrd.gz" # a VM booting meanwhile reads the old or the new one
echo "$stamp" > "$out/ready"
echo "vm: initramfs for kernel $kver ready ($(du -sh "$out" | cut -f1))"
