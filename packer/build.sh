#!/usr/bin/env bash
# `npm run image`: build the lb-appliance VM image end to end.
#   1. the base disk: Debian 13 by debootstrap from the mirror apt uses (root), cached in
#      build/image/ under a name derived from its inputs; or a cloud image (LB_IMAGE_BASE_URL)
#   2. lbd built, with its production dependencies only, and the appliance/ tree, as tarballs
#   3. packer build (QEMU, accelerator tcg unless LB_IMAGE_ACCELERATOR=kvm) → build/image/output/
# Environment: LB_IMAGE_FORMATS (qcow2[,vmdk][,ova]), LB_IMAGE_DISK_SIZE (4G),
# LB_IMAGE_ACCELERATOR, LB_IMAGE_OUTPUT, LB_IMAGE_BASE_URL + LB_IMAGE_BASE_CHECKSUM,
# LB_IMAGE_MIRROR. Nothing is downloaded from outside Debian's and npm's registries
# unless LB_IMAGE_BASE_URL says so.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
work=$repo/build/image
out=${LB_IMAGE_OUTPUT:-$work/output}
formats=${LB_IMAGE_FORMATS:-qcow2}
size=${LB_IMAGE_DISK_SIZE:-4G}
accel=${LB_IMAGE_ACCELERATOR:-tcg}
started=$SECONDS
step() { echo "image: [$((SECONDS - started)) s] $*"; }

for tool in packer qemu-system-x86_64 qemu-img ssh-keygen; do
  command -v "$tool" >/dev/null || { echo "image: $tool is missing (apt-get install packer qemu-system-x86 qemu-utils openssh-client)" >&2; exit 1; }
done
"$here/scripts/manifest.sh" check "$repo/appliance"
mkdir -p "$work"
# One build at a time per checkout: two would share the output directory and the base disk.
exec 9>"$work/.lock"
flock -n 9 || { echo "image: another build is running in $work" >&2; exit 1; }
key=$work/build_key
[ -f "$key" ] || ssh-keygen -q -t ed25519 -N '' -C lb-image-build -f "$key"

pids=()
cleanup() {
  local rc=$?
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  rm -rf "$work/bundle" "$work/stage"
  [ $rc = 0 ] || echo "image: FAILED after $((SECONDS - started)) s" >&2
}
trap cleanup EXIT

# 1. Base disk.
checksum=none cloud=false
if [ -n "${LB_IMAGE_BASE_URL:-}" ]; then
  base=$LB_IMAGE_BASE_URL checksum=${LB_IMAGE_BASE_CHECKSUM:?LB_IMAGE_BASE_CHECKSUM (sha512:… or file:…SHA512SUMS) goes with LB_IMAGE_BASE_URL}
  cloud=true
  mkdir -p "$work/http"
  : >"$work/http/meta-data"
  printf '#cloud-config\ndisable_root: false\nssh_pwauth: false\nusers:\n  - name: root\n    ssh_authorized_keys:\n      - %s\n' "$(cat "$key.pub")" >"$work/http/user-data"
else
  inputs=$( { cat "$here/scripts/base-disk.sh" "$here/scripts/mirror.sh" "$repo"/appliance/*/packages "$key.pub"
              "$here/scripts/mirror.sh" main; "$here/scripts/mirror.sh" security || true; echo "$size"; } | sha256sum | cut -c1-16)
  base=$work/base-$inputs.qcow2
  if [ -f "$base" ]; then
    step "base disk cached: $base"
  else
    step "base disk: debootstrap (a few minutes)"
    rm -f "$work"/base-*.qcow2
    if [ "$(id -u)" = 0 ]; then timeout 1200 "$here/scripts/base-disk.sh" "$base" "$size" "$key.pub"
    else sudo timeout 1200 "$here/scripts/base-disk.sh" "$base" "$size" "$key.pub"; fi
  fi
fi

# 2. lbd with production dependencies, and the appliance tree.
step "lbd bundle"
(cd "$repo" && npm run build --silent)
stage=$work/stage
rm -rf "$stage" "$work/bundle"; mkdir -p "$stage" "$work/bundle"
cp "$repo/package.json" "$repo/package-lock.json" "$stage/"
cp -r "$repo/dist" "$stage/dist"; rm -rf "$stage/dist/test" "$stage/dist/bench"
# Views, static files and the native addon are read from src/, the proxy templates from templates/.
(cd "$repo" && find src -type f ! -name '*.ts' ! -path 'src/net/native/*' -print0 | cpio -0pdm --quiet "$stage")
install -D -m 0755 "$repo/src/net/native/build/Release/lbnet.node" "$stage/src/net/native/build/Release/lbnet.node"
cp -r "$repo/templates" "$stage/templates"
mkdir -p "$stage/docs"; cp "$repo"/docs/*.md "$stage/docs/"
(cd "$stage" && npm ci --omit=dev --ignore-scripts --no-audit --no-fund --loglevel=error >/dev/null)
tar -czf "$work/bundle/lbd.tar.gz" -C "$stage" --owner=0 --group=0 .
tar -czf "$work/bundle/appliance.tar.gz" -C "$repo/appliance" --owner=0 --group=0 .
step "bundle: lbd $(du -h "$work/bundle/lbd.tar.gz" | cut -f1)"

# 3. Packer.
step "packer build ($accel)"
rm -rf "$out" "$out-serial.log"
export PACKER_CACHE_DIR=$work/packer_cache CHECKPOINT_DISABLE=1
packer validate -var "base_image=$base" -var "ssh_private_key_file=$key" -var "bundle_dir=$work/bundle" "$here/lb-appliance.pkr.hcl" >/dev/null
timeout 1800 packer build -color=false \
  -var "base_image=$base" -var "base_image_checksum=$checksum" \
  -var "cloud_init=$cloud" -var "http_directory=$work/http" \
  -var "ssh_private_key_file=$key" -var "bundle_dir=$work/bundle" \
  -var "accelerator=$accel" -var "disk_size=$size" -var "formats=$formats" \
  -var "output_directory=$out" \
  "$here/lb-appliance.pkr.hcl" &
pids+=($!)
wait "${pids[0]}"
pids=()
step "done: $(cd "$out" && ls -s --block-size=M)"
