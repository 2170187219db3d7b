#!/usr/bin/env bash
# Installs the Debian packages `make bench` needs beyond the app's, where missing:
#   wrk   the HTTP load generator of the mixed-load scenario (bench/mixed_load.py, with the
#         Lua script bench/mixed_load.lua), so the figures compare with other tools
#         measured the same way
# Installing needs root and apt-get; without them it prints the line to run and exits 1
# (the bench then skips the scenario and says so).
set -euo pipefail

missing=()
command -v wrk >/dev/null 2>&1 || missing+=(wrk)

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "Missing bench packages: ${missing[*]}" >&2
  echo "Install them as root: apt-get install -y ${missing[*]}" >&2
  exit 1
fi
echo "Installing bench packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
