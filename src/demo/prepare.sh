#!/bin/sh
# First half of `npm run demo` on a Debian 12 machine as root: the Debian packages the lab
# runs (HAProxy, iproute2, curl, a compiler for the lbnet addon), then the npm packages and
# the build (`npm install` runs the `prepare` script, which builds). Quick when all is there.
set -eu
cd "$(dirname "$0")/../.."
if [ "$(id -u)" != 0 ]; then
  echo "demo: run as root (sudo npm run demo): the lab creates network namespaces" >&2
  exit 1
fi
node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 20 ? 0 : 1)' || {
  echo "demo: Node.js 20 or newer is needed (this is $(node --version)); see https://nodejs.org or NodeSource's Debian packages" >&2
  exit 1
}
missing=""
for p in haproxy iproute2 procps curl make g++ python3; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
  echo "demo: installing Debian packages:$missing"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >/dev/null
  # The lab starts its own HAProxy in namespaces: the package's service must not start on the host.
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
  trap 'rm -f /usr/sbin/policy-rc.d' EXIT
  # shellcheck disable=SC2086
  apt-get install -y -q --no-install-recommends $missing >/dev/null
fi
echo "demo: npm install and build"
npm install --no-audit --no-fund --loglevel=error
