#!/usr/bin/env bash
# Runs as root inside the image being built (Packer's shell provisioner), with
#   /tmp/lb-build/appliance.tar.gz  the repository's appliance/ tree
#   /tmp/lb-build/lbd.tar.gz        lbd built with its production dependencies (packer/build.sh)
# Installs both, enables the appliance's units, masks the distribution's proxy units, and
# removes everything of the build (its SSH key and network, host keys, machine id, logs).
set -euo pipefail
in=/tmp/lb-build
export DEBIAN_FRONTEND=noninteractive
log() { echo "provision: $*"; }

mkdir -p "$in/appliance"
tar -xzf "$in/appliance.tar.gz" -C "$in/appliance"
app=$in/appliance

# Packages: a debootstrap base has them all already; a cloud image gets them from its apt.
wanted=$(cat "$app"/*/packages | sed -e 's/#.*//' -e '/^[[:space:]]*$/d' | sort -u)
missing=()
for p in $wanted; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  log "installing ${missing[*]}"
  printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d; chmod +x /usr/sbin/policy-rc.d
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${missing[@]}"
  rm -f /usr/sbin/policy-rc.d
fi
node_major=$(node -p 'process.versions.node.split(".")[0]')
[ "$node_major" -ge 20 ] || { echo "provision: Node.js $node_major in this image, lbd needs >= 20" >&2; exit 1; }
log "versions: node $(node -v), $(haproxy -v | head -1), $(nginx -v 2>&1)"

# lbd in /opt/lb-appliance, the commands on PATH.
rm -rf /opt/lb-appliance
mkdir -p /opt/lb-appliance
tar -xzf "$in/lbd.tar.gz" -C /opt/lb-appliance --no-same-owner
chmod 0755 /opt/lb-appliance/dist/src/cli/lbd.js /opt/lb-appliance/dist/src/cli/lbctl.js
ln -sf /opt/lb-appliance/dist/src/cli/lbd.js /usr/local/bin/lbd
ln -sf /opt/lb-appliance/dist/src/cli/lbctl.js /usr/local/bin/lbctl
groupadd -r -f lbadmin

# The appliance files, then the scripts, as appliance/MANIFEST says.
runs=()
while read -r verb a b c; do
  case $verb in
    ''|'#'*) ;;
    install|install\?)
      if [ -f "$app/$b" ]; then install -D -m "$a" "$app/$b" "$c"; log "installed $c"
      elif [ "$verb" = install ]; then echo "provision: appliance/$b missing" >&2; exit 1
      else log "WARNING: appliance/$b absent, $c not installed"; fi ;;
    run|run\?)
      if [ -f "$app/$a" ]; then runs+=("$app/$a")
      elif [ "$verb" = run ]; then echo "provision: appliance/$a missing" >&2; exit 1
      else log "WARNING: appliance/$a absent, not run"; fi ;;
    *) echo "provision: MANIFEST: unknown verb $verb" >&2; exit 1 ;;
  esac
done <"$app/MANIFEST"
chgrp lbadmin /etc/lb-appliance/config.yaml
systemd-tmpfiles --create /usr/lib/tmpfiles.d/lb-appliance.conf
for s in "${runs[@]}"; do log "running ${s#"$app"/}"; bash "$s"; done

# lbd supervises HAProxy and Nginx itself (the stock units would take the ports) and owns
# IPVS (ipvsadm.service would restore /etc/ipvsadm.rules under it).
systemctl mask haproxy.service nginx.service keepalived.service ipvsadm.service
systemctl enable lbd.service lb-firstboot.service lb-console-info.service nftables.service systemd-networkd.service
# Boot on a single (serial) console waits for no getty; the VGA console keeps tty1.
systemctl enable serial-getty@ttyS0.service

# Nothing of the build stays: its key and network, host keys (first boot makes new ones),
# machine id (systemd makes one at first boot), logs, caches, lbd's state.
rm -f /etc/systemd/network/90-build.network /root/.ssh/authorized_keys /etc/ssh/ssh_host_*
usermod -p '*' root
rm -rf /var/lib/lb-appliance /var/lib/lb-appliance-firstboot
: >/etc/machine-id; rm -f /var/lib/dbus/machine-id
apt-get clean
rm -rf /var/lib/apt/lists/* /var/log/journal/* /tmp/lb-build
find /var/log -type f -exec truncate -s 0 {} +
sync
fstrim -v / || true
log "done"
