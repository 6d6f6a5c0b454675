#!/usr/bin/env bash
# Test set-up for a fresh Debian 12 machine as root: Debian packages, npm packages, build.
# Idempotent and quick when everything is already there. Each tier adds its needs in
# test/setup.d/NN-name.sh (sourced in order; each may append to APT_PACKAGES or run steps).
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(iproute2 nftables procps psmisc curl keepalived)
POST_STEPS=()
for f in test/setup.d/*.sh; do
  [ -e "$f" ] || continue
  # shellcheck source=/dev/null
  source "$f"
done

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >/dev/null
  # Do not start the services that packages ship (nginx, haproxy, keepalived, ssh): tests start their own.
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
  apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
  rm -f /usr/sbin/policy-rc.d
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: npm ci"
  npm ci --no-audit --no-fund
else
  npm run build --silent
fi

for step in "${POST_STEPS[@]}"; do
  eval "$step"
done
