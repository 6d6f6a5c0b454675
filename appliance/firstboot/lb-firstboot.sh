#!/bin/bash
# First boot of an appliance (lb-firstboot.service, before ssh and lbd): this copy's own
# SSH host keys and admin UI certificate, and the settings of a seed disk if one is
# attached (a filesystem labelled LBSEED, see docs/IMAGE.md). Runs once: the marker
# /var/lib/lb-appliance-firstboot/done is written last, so a failed run is retried at next boot.
set -euo pipefail
marker_dir=/var/lib/lb-appliance-firstboot
state=/var/lib/lb-appliance
log() { echo "lb-firstboot: $*"; }

# SSH host keys: the image ships none, so no two appliances share them.
rm -f /etc/ssh/ssh_host_*
ssh-keygen -A
log "SSH host keys: $(for k in /etc/ssh/ssh_host_*_key.pub; do ssh-keygen -lf "$k" | awk '{print $2}'; done | paste -sd' ')"

# The admin UI certificate, where lbd looks for it (STATE_DIR/admin/tls), naming this
# host; lbd would make one without names if none were here.
tls=$state/admin/tls
install -d -m 0700 "$state" "$state/admin" "$tls"
if [ ! -s "$tls/cert.pem" ] || [ ! -s "$tls/key.pem" ]; then
  host=$(hostname)
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 3650 \
    -subj "/CN=$host/O=lb-appliance" -addext "subjectAltName=DNS:$host,DNS:localhost,IP:127.0.0.1" \
    -addext "extendedKeyUsage=serverAuth" \
    -keyout "$tls/key.pem.tmp" -out "$tls/cert.pem.tmp" 2>/dev/null
  chmod 0600 "$tls/key.pem.tmp"
  mv "$tls/key.pem.tmp" "$tls/key.pem"
  mv "$tls/cert.pem.tmp" "$tls/cert.pem"
  log "admin UI certificate: $(openssl x509 -in "$tls/cert.pem" -noout -fingerprint -sha256 | cut -d= -f2)"
fi

# Seed disk: config.yaml, networkd files (*.network, *.netdev, *.link), hostname,
# admin_authorized_keys. Read-only; nothing of it is required.
seed=$(blkid -L LBSEED 2>/dev/null || true)
if [ -n "$seed" ]; then
  mnt=$(mktemp -d)
  mount -o ro "$seed" "$mnt"
  trap 'umount "$mnt"; rmdir "$mnt"' EXIT
  if [ -f "$mnt/config.yaml" ]; then
    install -m 0640 -g lbadmin "$mnt/config.yaml" /etc/lb-appliance/config.yaml
    log "seed: /etc/lb-appliance/config.yaml"
  fi
  if [ -f "$mnt/hostname" ]; then
    hostnamectl set-hostname --static "$(head -1 "$mnt/hostname")" 2>/dev/null || head -1 "$mnt/hostname" >/etc/hostname
    log "seed: hostname $(cat /etc/hostname)"
  fi
  for f in "$mnt"/*.network "$mnt"/*.netdev "$mnt"/*.link; do
    [ -f "$f" ] || continue
    install -m 0644 "$f" /etc/systemd/network/
    log "seed: /etc/systemd/network/$(basename "$f")"
  done
  if [ -f "$mnt/admin_authorized_keys" ]; then
    if home=$(getent passwd admin | cut -d: -f6) && [ -n "$home" ]; then
      # admin's primary group is lbadmin (appliance/users/admin-user.sh); there is no group "admin".
      group=$(id -gn admin)
      install -d -m 0700 -o admin -g "$group" "$home/.ssh"
      install -m 0600 -o admin -g "$group" "$mnt/admin_authorized_keys" "$home/.ssh/authorized_keys"
      log "seed: SSH keys for admin"
    else
      log "seed: admin_authorized_keys ignored: no user admin in this image"
    fi
  fi
fi

install -d -m 0755 "$marker_dir"
date -u +%FT%TZ >"$marker_dir/done"
