#!/bin/sh
# Checks the built lattice-server.service with `systemd-analyze verify`.
# ExecStart points at the installed binary, which need not exist yet, so the
# check runs on a copy whose ExecStart is /bin/true with the same arguments.
# Usage: check-systemd-unit.sh BUILT_UNIT
set -eu
unit=$1
if ! command -v systemd-analyze >/dev/null 2>&1; then
  echo "skip: systemd-analyze is not installed"
  exit 77
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
sed 's|^ExecStart=[^ ]*|ExecStart=/bin/true|' "$unit" > "$tmp/lattice-server.service"
grep -q '^DynamicUser=yes' "$unit" || { echo "FAIL: DynamicUser=yes missing"; exit 1; }
grep -q '^ProtectSystem=strict' "$unit" || { echo "FAIL: ProtectSystem=strict missing"; exit 1; }
grep -q '^NoNewPrivileges=yes' "$unit" || { echo "FAIL: NoNewPrivileges=yes missing"; exit 1; }
grep -q '^RestrictAddressFamilies=' "$unit" || { echo "FAIL: RestrictAddressFamilies missing"; exit 1; }
out=$(systemd-analyze verify "$tmp/lattice-server.service" 2>&1) || { echo "FAIL: $out"; exit 1; }
if [ -n "$out" ]; then
  echo "FAIL: systemd-analyze verify complained:"; echo "$out"; exit 1
fi
echo "ok: $unit verifies"
