#!/usr/bin/env bash
# Installs Debian's Chromium for the browser test when it is missing. Needs root or passwordless sudo.
set -euo pipefail
if [ -x /usr/bin/chromium ]; then exit 0; fi
if [ "$(id -u)" -eq 0 ]; then sudo=""; elif command -v sudo >/dev/null; then sudo="sudo -n"; else
  echo "chromium is missing and cannot be installed without root; the browser test will be skipped" >&2
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq >/dev/null
$sudo apt-get install -y -qq chromium >/dev/null
echo "installed $(/usr/bin/chromium --version)"
