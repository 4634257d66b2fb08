#!/usr/bin/env bash
# Installs Debian's Chromium (never a downloaded browser) for the connection-form browser test.
# Needs root or passwordless sudo. When Chromium cannot be installed the browser test skips,
# except under CI=true, where this script fails (and so would the test).
set -uo pipefail

CHROMIUM=/usr/bin/chromium
if [ -x "$CHROMIUM" ]; then exit 0; fi

give_up() {
  if [ "${CI:-}" = "true" ]; then
    echo "ensure-chromium: $1; CI=true needs the browser test, failing" >&2
    exit 1
  fi
  echo "ensure-chromium: $1; the browser test will be skipped" >&2
  exit 0
}

command -v apt-get >/dev/null || give_up "apt-get not found (the test uses Debian's chromium package)"
if [ "$(id -u)" -eq 0 ]; then
  sudo=()
elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
  sudo=(sudo -n)
else
  give_up "chromium is missing and installing it needs root or passwordless sudo"
fi

export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq >/dev/null || give_up "apt-get update failed"
# With recommended packages: they bring the fonts the screenshot needs.
"${sudo[@]}" apt-get install -y -qq chromium >/dev/null || give_up "apt-get install chromium failed"
[ -x "$CHROMIUM" ] || give_up "the chromium package did not provide $CHROMIUM"
echo "ensure-chromium: installed $("$CHROMIUM" --version)"
