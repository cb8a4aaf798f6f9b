#!/usr/bin/env bash
# Installs exactly the Debian 12 packages aicq needs to build and test, and nothing when they are all
# present (idempotent). Runs as root on a fresh machine; needs nothing but apt.
set -euo pipefail

packages=(
  # toolchain
  g++ cmake ninja-build pkg-config git ca-certificates
  # libraries (docs/architecture.md names where each is used)
  libyaml-cpp-dev      # site declarations, profiles, data files
  nlohmann-json3-dev   # evidence and result JSON
  libcli11-dev         # command line
  libfmt-dev           # formatting
  libssl-dev           # SHA-256 fingerprints (and Ed25519 signatures)
  libgtest-dev libgmock-dev  # tests through ctest
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} Debian packages present"
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: missing packages: ${missing[*]}" >&2
  echo "install-deps: run as root (or: sudo apt-get install -y ${missing[*]})" >&2
  exit 1
fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
