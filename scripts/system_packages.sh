#!/usr/bin/env bash
# Installs the Debian packages the browser test needs, each checked on its own: chromium may be there
# already without the CJK font, and screenshots would then show Chinese as boxes.
# Usage: scripts/system_packages.sh [package ...]  (default: chromium chromium-driver fonts-wqy-microhei)
set -euo pipefail
[ $# -gt 0 ] || set -- chromium chromium-driver fonts-wqy-microhei
missing=()
for package in "$@"; do
  dpkg -s "$package" 2>/dev/null | grep -q '^Status: install ok installed' || missing+=("$package")
done
[ ${#missing[@]} -gt 0 ] || exit 0
if [ "$(id -u)" = 0 ]; then
  (apt-get update -qq && apt-get install -y -qq "${missing[@]}" >/dev/null) \
    || echo "warning: could not install ${missing[*]}; the browser test may fail" >&2
else
  echo "warning: install Debian's ${missing[*]} (as root: apt-get install ${missing[*]}) for the browser test" >&2
fi
