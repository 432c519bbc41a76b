#!/usr/bin/env bash
# Makes sure the tools the test suite calls are present: g++ (the Chromium .inc harness) and
# python3 (the facts conversion check). Installs them from Debian's packages when missing and
# when it can (root or sudo); otherwise says what to install and fails.
set -euo pipefail

missing=()
command -v g++ >/dev/null 2>&1 || missing+=(g++)
command -v python3 >/dev/null 2>&1 || missing+=(python3)
[ ${#missing[@]} -eq 0 ] && exit 0

echo "ensure-tools: installing ${missing[*]}" >&2
if [ "$(id -u)" -eq 0 ]; then
  apt-get update -qq && apt-get install -y -qq "${missing[@]}"
elif command -v sudo >/dev/null 2>&1; then
  sudo apt-get update -qq && sudo apt-get install -y -qq "${missing[@]}"
else
  echo "ensure-tools: please install: ${missing[*]}" >&2
  exit 1
fi
