#!/usr/bin/env bash
# Check appliance/MANIFEST against the tree (host side, before a build):
#   manifest.sh check APPLIANCE_DIR   every non-optional source exists; every file of the
#                                     tree is in the manifest, a package list or a README
# Prints one warning per absent optional file; exits 1 with the problems otherwise.
set -euo pipefail
if [ "${1:-}" != check ] || [ ! -d "${2:-}" ]; then echo "usage: manifest.sh check APPLIANCE_DIR" >&2; exit 2; fi
dir=$2
problems=0
listed=$(mktemp); trap 'rm -f "$listed"' EXIT
while read -r verb a b _; do
  case $verb in
    ''|'#'*) continue ;;
    install|install\?) src=$b ;;
    run|run\?) src=$a ;;
    *) echo "MANIFEST: unknown verb '$verb'" >&2; problems=1; continue ;;
  esac
  echo "$src" >>"$listed"
  if [ ! -f "$dir/$src" ]; then
    if [ "${verb%\?}" != "$verb" ]; then
      echo "WARNING: appliance/$src is absent: the image is built without it (delivered by the console work)" >&2
    else
      echo "MANIFEST: appliance/$src is missing" >&2; problems=1
    fi
  fi
done <"$dir/MANIFEST"
while IFS= read -r f; do
  case $f in MANIFEST|*/packages|*README.md) continue ;; esac
  grep -qxF "$f" "$listed" || { echo "MANIFEST: appliance/$f is in no manifest line" >&2; problems=1; }
done < <(cd "$dir" && find . -type f | sed 's|^\./||' | sort)
exit $problems
