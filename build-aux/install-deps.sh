#!/bin/sh
# Installs the Debian 12 packages Lattice needs to build, run and test, and
# only those that are missing. Uses sudo when not run as root.
#
# Then playwright-core from npm (the version pinned in package.json and
# package-lock.json at the top of the source tree) into node_modules/, when it
# is not there yet: bench/chromium/mesh.mjs drives Debian's chromium with it
# for the Chromium benchmark (docs/BENCHMARKS.md).
set -eu

cd "$(dirname "$0")/.."

PACKAGES="
build-essential
meson
ninja-build
pkg-config
gettext
python3
libglib2.0-dev
libglib2.0-bin
libjson-glib-dev
libsoup-3.0-dev
libgnutls28-dev
libgtk-4-dev
libadwaita-1-dev
libportal-dev
libportal-gtk4-dev
libgstreamer1.0-dev
libgstreamer-plugins-base1.0-dev
libgstreamer-plugins-bad1.0-dev
gstreamer1.0-tools
gstreamer1.0-plugins-base
gstreamer1.0-plugins-good
gstreamer1.0-plugins-bad
gstreamer1.0-nice
gstreamer1.0-pipewire
libnice-dev
desktop-file-utils
gtk-update-icon-cache
appstream
xvfb
dbus-daemon
xauth
openssl
clang
libclang-rt-14-dev
glib-networking
iproute2
coturn
chromium
"

missing=""
for pkg in $PACKAGES; do
  status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
  case "$status" in
    *"install ok installed"*) ;;
    *) missing="$missing $pkg" ;;
  esac
done

# Node.js and npm: the machine's own (playwright-core 1.65 needs Node.js >= 20,
# newer than Debian 12's 18); Debian's only where there is none, and then the
# version check below says what is wrong.
if ! command -v node >/dev/null 2>&1; then
  missing="$missing nodejs"
fi
if ! command -v npm >/dev/null 2>&1; then
  missing="$missing npm"
fi

if [ -n "$missing" ]; then
  echo "Installing missing Debian packages:$missing"
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then
    SUDO="sudo"
  fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -q
  # shellcheck disable=SC2086
  $SUDO apt-get install -y -q --no-install-recommends $missing
fi

# Only the Chromium benchmark needs it: without it (Debian 12's own Node.js
# is 18) building, running and testing go on, and the benchmark says why it
# skips.
if [ ! -d node_modules/playwright-core ]; then
  node_major=$(node -p 'process.versions.node.split(".")[0]')
  if [ "$node_major" -lt 20 ]; then
    echo "install-deps.sh: not installing playwright-core: it needs Node.js >= 20, this is" \
         "$(node --version); the Chromium benchmark will be skipped" >&2
  else
    echo "Installing playwright-core (package-lock.json) into node_modules/"
    # exactly the locked version; no browser download (it drives /usr/bin/chromium)
    PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund
  fi
fi
