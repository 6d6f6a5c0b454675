#!/bin/bash
# At every boot, once lbd reports ready (or fails): tell whoever looks at the console
# where the admin UI is, its certificate's fingerprint, and, while no admin account
# exists, lbd's one-time setup token; then how to reach the console. Also written to
# /run/issue.d so the login prompt repeats it.
set -uo pipefail
deadline=$((SECONDS + 330))
while :; do
  st=$(systemctl is-active lbd.service)
  case $st in active|failed) break ;; esac
  [ $SECONDS -lt $deadline ] || break
  sleep 2
done
addrs=$(ip -4 -o addr show scope global | awk '{split($4, a, "/"); print a[1]}')
fp=$(openssl x509 -in /var/lib/lb-appliance/admin/tls/cert.pem -noout -fingerprint -sha256 2>/dev/null | cut -d= -f2)
inv=$(systemctl show -p InvocationID --value lbd.service)
token=
[ -n "$inv" ] && token=$(journalctl -q -o cat "_SYSTEMD_INVOCATION_ID=$inv" 2>/dev/null | sed -n 's/.*one-time setup token \([A-Za-z0-9_-]*\).*/\1/p' | tail -1)

{
  echo
  echo "================ lb-appliance $(hostname) ================"
  if [ "$st" = active ]; then
    echo "lbd: ready ($(systemctl show -p StatusText --value lbd.service))"
  else
    echo "lbd: $st -- its last log lines (journalctl -u lbd):"
    journalctl -q -b -u lbd.service -n 15 -o cat --no-pager 2>&1 | cut -c1-300
  fi
  for a in $addrs; do echo "Admin UI:  https://$a:8443/"; done
  [ -n "$addrs" ] || echo "Admin UI:  no IPv4 address yet (log in as admin to configure the network)"
  [ -n "$fp" ] && echo "Certificate SHA-256: $fp"
  [ -n "$token" ] && echo "One-time admin setup token: $token  (create the first account at /setup)"
  echo "Console:   log in as 'admin' here or over SSH to run the setup wizard and the console."
  echo "==========================================================="
} >/run/lb-console-info.txt

cat /run/lb-console-info.txt >/dev/console
mkdir -p /run/issue.d
sed 's/\\/\\\\/g' /run/lb-console-info.txt >/run/issue.d/50-lb-appliance.issue
