# shellcheck shell=bash
# Console tier (test/console): tmux drives the console as a terminal would (send-keys,
# capture-pane); openssh-server's sshd (started by the test on a loopback port, never as a
# service) and the ssh client log in as the appliance's admin user; sudo, util-linux (unshare)
# and passwd (useradd) for the throwaway admin user.
APT_PACKAGES+=(tmux openssh-server openssh-client util-linux passwd)
