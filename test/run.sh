#!/usr/bin/env bash
# The project's one test command (`npm test`). On a fresh Debian 12 machine as root it
# installs what the tiers need, builds, and runs every tier with node:test:
#   unit → netns → vm (real IPVS under QEMU) → browser → console → image.
# LB_TEST_TIERS="unit netns" runs a subset; LB_TEST_SKIP_SETUP=1 skips set-up.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "${LB_TEST_SKIP_SETUP:-0}" != 1 ]; then
  bash test/setup.sh
fi

tiers=${LB_TEST_TIERS:-"unit netns vm browser console image"}
files=()
for tier in $tiers; do
  [ -d "dist/test/$tier" ] || continue
  while IFS= read -r f; do files+=("$f"); done < <(find "dist/test/$tier" -name '*.test.js' | sort)
done
if [ ${#files[@]} -eq 0 ]; then
  echo "no test files for tiers: $tiers" >&2
  exit 1
fi
# One node:test run, files one at a time: network and VM tests share the machine's two cores,
# and timing-sensitive tests must not compete with each other.
exec node --test --test-concurrency=1 "${files[@]}"
