# shellcheck shell=bash
# L7 proxies (src/proxy): the real HAProxy and Nginx binaries, Nginx's stream module for tcp
# frontends, and openssl for the test certificates.
APT_PACKAGES+=(haproxy nginx libnginx-mod-stream openssl)
