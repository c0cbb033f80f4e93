#!/usr/bin/env bash
# Idempotent setup for a fresh Debian 12 machine: Debian packages and a virtualenv in .venv.
# Usage: scripts/setup.sh [--dev]
set -euo pipefail
cd "$(dirname "$0")/.."

DEB_PACKAGES=(
  rpm createrepo-c dnf python3-rpm python3-dnf bubblewrap gnupg git libsolv-tools
  gir1.2-modulemd-2.0 python3-gi python3-venv python3-dev rpmlint cpio gcc make elfutils
  python3-pygit2
  python3-seccomp e2fsprogs
)
DEV_PACKAGES=(postgresql nginx wrk chromium chromium-driver)

want=("${DEB_PACKAGES[@]}")
if [[ "${1:-}" == "--dev" ]]; then want+=("${DEV_PACKAGES[@]}"); fi

missing=()
for p in "${want[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if ((${#missing[@]})); then
  SUDO=""
  [[ $(id -u) -eq 0 ]] || SUDO="sudo"
  echo "olivine setup: installing Debian packages: ${missing[*]}"
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# Debian's python3 sees python3-rpm, python3-dnf and gi (libmodulemd) through system site-packages.
if [[ ! -x .venv/bin/python ]]; then
  /usr/bin/python3 -m venv --system-site-packages .venv
fi
stamp=.venv/.olivine-installed
extras=""
[[ "${1:-}" == "--dev" ]] && extras="[dev]"
if [[ ! -f $stamp || pyproject.toml -nt $stamp || "$(cat $stamp)" != "$extras" ]]; then
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -e ".${extras}"
  echo -n "$extras" > $stamp
fi
