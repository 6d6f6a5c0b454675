#!/bin/sh
# Create the appliance's admin user, whose login program is the text console (`lbctl console`),
# and the group lbadmin that may use lbd's admin socket (/run/lb-appliance/lbd.sock, mode 0660,
# group lbadmin: lbd's global.admin.socket_group). Idempotent: run it again to repair the user.
#
# The console is installed as a small login shell, $LB_CONSOLE_SHELL, that runs `lbctl console`
# whatever it is asked (`-c CMD` from sshd's ForceCommand or an ssh command line, nothing from
# login(1) on a serial or hypervisor console), so no shell is ever reachable as admin.
#
# Environment (defaults for the image):
#   LB_ADMIN_USER     admin                        user name (the sshd drop-in matches "admin")
#   LB_ADMIN_GROUP    lbadmin                      group allowed on lbd's socket
#   LB_CONSOLE_SHELL  /usr/local/sbin/lb-console   the login shell written by this script
#   LBCTL             /usr/local/bin/lbctl         how to run lbctl (may be "node /path/lbctl.js"; the image links it there)
#   LB_SOCKET         (empty)                      lbd's socket, when not the default path
#   LB_ADMIN_AUTHORIZED_KEYS  (empty)              a file of SSH public keys to install for admin
#   LB_ADMIN_PASSWORD_HASH    (empty)              a crypt(3) hash to set as admin's password;
#                                                  without it a new user has none (keys only) and an
#                                                  existing one keeps its own
set -eu

user=${LB_ADMIN_USER:-admin}
group=${LB_ADMIN_GROUP:-lbadmin}
shell=${LB_CONSOLE_SHELL:-/usr/local/sbin/lb-console}
lbctl=${LBCTL:-/usr/local/bin/lbctl}
socket=${LB_SOCKET:-}

fail() { echo "admin-user.sh: $*" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || fail "must run as root"
case $user in *[!a-z0-9_-]* | '' | [0-9-]*) fail "invalid user name '$user'" ;; esac
case $group in *[!a-z0-9_-]* | '' | [0-9-]*) fail "invalid group name '$group'" ;; esac
case $socket in *[!A-Za-z0-9/._-]*) fail "invalid socket path '$socket'" ;; esac

# The login shell: fixed text, no expansion of anything the client sends.
mkdir -p "$(dirname "$shell")"
tmp=$(mktemp "$shell.XXXXXX")
{
  echo '#!/bin/sh'
  echo '# Login shell of the lb-appliance admin user (written by appliance/users/admin-user.sh):'
  echo '# always the text console; arguments (sshd: -c COMMAND) are ignored on purpose.'
  echo "exec $lbctl console${socket:+ --socket $socket}"
} > "$tmp"
chmod 0755 "$tmp"
mv -f "$tmp" "$shell"
grep -qxF "$shell" /etc/shells || echo "$shell" >> /etc/shells

getent group "$group" > /dev/null || groupadd --system "$group"
if getent passwd "$user" > /dev/null; then
  usermod --shell "$shell" --gid "$group" "$user"
else
  # "*": no password matches, yet the account is not "locked" ("!"), which would refuse keys too.
  useradd --create-home --shell "$shell" --gid "$group" --password '*' --comment "lb-appliance console" "$user"
fi
if [ -n "${LB_ADMIN_PASSWORD_HASH:-}" ]; then
  usermod --password "$LB_ADMIN_PASSWORD_HASH" "$user"
fi

home=$(getent passwd "$user" | cut -d: -f6)
if [ -n "${LB_ADMIN_AUTHORIZED_KEYS:-}" ]; then
  install -d -m 0700 -o "$user" -g "$group" "$home/.ssh"
  install -m 0600 -o "$user" -g "$group" "$LB_ADMIN_AUTHORIZED_KEYS" "$home/.ssh/authorized_keys"
fi
