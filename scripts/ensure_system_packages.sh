#!/usr/bin/env bash
# Installs the Debian packages ScaleLab needs when one is missing: `ensure_system_packages.sh
# redis-server chromium ...`. Names map to the command each package provides. Needs root for
# apt-get; without it, prints the one command to run and fails.
set -euo pipefail

declare -A provides=(
  [redis-server]=redis-server
  [chromium]=chromium
  [gettext]=msgfmt
  [fonts-noto-cjk]=""
)

missing=()
for package in "$@"; do
  command_name="${provides[$package]:-$package}"
  if [ -n "$command_name" ]; then
    command -v "$command_name" >/dev/null 2>&1 || missing+=("$package")
  else
    dpkg -s "$package" >/dev/null 2>&1 || missing+=("$package")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "ScaleLab needs these Debian packages: ${missing[*]}" >&2
  echo "Install them once with:  sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
echo "Installing Debian packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get install -y --no-install-recommends "${missing[@]}" >/dev/null 2>&1 \
  || { apt-get update >/dev/null && apt-get install -y --no-install-recommends "${missing[@]}" >/dev/null; }
