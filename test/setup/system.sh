#!/usr/bin/env bash
# Installs the Debian packages listed in packages.txt that are missing. Run by `npm test` (pretest).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
mapfile -t wanted < <(sed -e 's/#.*//' -e 's/[[:space:]]//g' "$here/packages.txt" | grep -v '^$' || true)
[ "${#wanted[@]}" -gt 0 ] || exit 0
missing=()
for p in "${wanted[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ "${#missing[@]}" -gt 0 ] || exit 0
if [ "$(id -u)" != 0 ]; then
  echo "test setup: missing Debian packages (${missing[*]}); run as root or install them" >&2
  exit 0
fi
echo "test setup: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
