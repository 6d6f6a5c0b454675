# shellcheck shell=bash
# VRRP tier: tcpdump decodes adverts and watches GARPs in the netns tests; keepalived (in the base
# list) is the interop peer; gcc/make/python3 let node-gyp build src/net/native at npm ci.
APT_PACKAGES+=(tcpdump gcc make python3)
