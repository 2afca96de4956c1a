#!/bin/sh
# Installs the Debian 12 packages Lattice needs to build, run and test, and
# only those that are missing. Uses sudo when not run as root.
set -eu

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
"

missing=""
for pkg in $PACKAGES; do
  status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
  case "$status" in
    *"install ok installed"*) ;;
    *) missing="$missing $pkg" ;;
  esac
done

if [ -z "$missing" ]; then
  exit 0
fi

echo "Installing missing Debian packages:$missing"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
# shellcheck disable=SC2086
$SUDO apt-get install -y -q --no-install-recommends $missing
