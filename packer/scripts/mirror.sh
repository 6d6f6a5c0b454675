#!/usr/bin/env bash
# Print the Debian archive mirror this machine's apt uses (deb822 .sources or one-line
# sources.list), so the image is built from the same mirror apt already reaches. First
# argument: "main" (the archive) or "security". LB_IMAGE_MIRROR / LB_IMAGE_SECURITY_MIRROR override.
set -euo pipefail
kind=${1:-main}
if [ "$kind" = main ] && [ -n "${LB_IMAGE_MIRROR:-}" ]; then echo "$LB_IMAGE_MIRROR"; exit 0; fi
if [ "$kind" = security ] && [ -n "${LB_IMAGE_SECURITY_MIRROR:-}" ]; then echo "$LB_IMAGE_SECURITY_MIRROR"; exit 0; fi

# One "URI SUITE..." line per source, from both formats.
sources() {
  local f
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -f "$f" ] || continue
    sed -n -E 's/^[[:space:]]*deb[[:space:]]+(\[[^]]*\][[:space:]]+)?([^[:space:]]+)[[:space:]]+([^[:space:]]+).*/\2 \3/p' "$f"
  done
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    awk 'BEGIN{RS=""; FS="\n"} {
      uri=""; suites=""; deb=0
      for (i = 1; i <= NF; i++) {
        if ($i ~ /^Types:.*(^|[[:space:]])deb([[:space:]]|$)/) deb=1
        if ($i ~ /^Types:[[:space:]]*deb[[:space:]]*$/) deb=1
        if ($i ~ /^URIs:/) { sub(/^URIs:[[:space:]]*/, "", $i); split($i, u, /[[:space:]]+/); uri=u[1] }
        if ($i ~ /^Suites:/) { sub(/^Suites:[[:space:]]*/, "", $i); suites=$i }
      }
      if (deb && uri != "") print uri, suites
    }' "$f"
  done
}

# The Debian archive is the source serving a plain release suite (not -updates, -security,
# -backports) of a Debian codename; the security archive serves "<codename>-security".
if [ "$kind" = security ]; then
  uri=$(sources | awk '{ for (i = 2; i <= NF; i++) if ($i ~ /-security$/) { print $1; exit } }')
else
  uri=$(sources | awk '{ for (i = 2; i <= NF; i++) if ($i ~ /^(buster|bullseye|bookworm|trixie|forky|sid|stable|testing|unstable)$/) { print $1; exit } }')
fi
if [ -z "$uri" ]; then
  echo "mirror.sh: no Debian $kind archive found in /etc/apt/sources.list{,.d}; set LB_IMAGE_MIRROR" >&2
  exit 1
fi
echo "${uri%/}"
