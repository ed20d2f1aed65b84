#!/usr/bin/env bash
# Makes sure Debian's Chromium is at $CHROMIUM (default /usr/bin/chromium) for the browser tests.
# Installs it with apt-get when absent (as root; no browser is ever downloaded by a test tool).
set -euo pipefail
CHROMIUM="${CHROMIUM:-/usr/bin/chromium}"
if [ -x "$CHROMIUM" ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "ensure-chromium: $CHROMIUM is missing; install Debian's chromium package as root (apt-get install -y chromium)" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update
apt-get install -y --no-install-recommends chromium
if [ ! -x "$CHROMIUM" ]; then
  echo "ensure-chromium: chromium was installed but $CHROMIUM does not exist; set CHROMIUM to its path" >&2
  exit 1
fi
