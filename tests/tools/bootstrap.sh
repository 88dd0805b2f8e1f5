#!/usr/bin/env bash
# Bootstrap for `make demo` / `make test` (dev and CI tooling only; the product itself needs none of this).
# Idempotent and quiet when everything is present. It never waits on a prompt or a browser download.
#   1. the real components: Debian's Chromium, D-Bus + gnome-keyring + libsecret-tools, PHP + MariaDB + WordPress
#      (as root on Debian they are installed with apt-get; elsewhere it says exactly what to install);
#   2. a virtualenv in .venv with the package (editable) and its test extras.
# Usage: tests/tools/bootstrap.sh [all|demo|unit]   ("demo" needs only Chromium; "unit" no system package at all:
# the unit tier runs without Chromium, D-Bus or a keyring daemon)
set -euo pipefail
cd "$(dirname "$0")/../.."
what="${1:-all}"

pkgs_demo=(chromium fonts-liberation)
pkgs_all=(chromium fonts-liberation dbus gnome-keyring libsecret-tools
          php-cli php-mysql php-xml php-mbstring php-curl php-gd mariadb-server mariadb-client wordpress curl)
case "$what" in
  demo) pkgs=("${pkgs_demo[@]}") ;;
  unit) pkgs=() ;;
  *) pkgs=("${pkgs_all[@]}") ;;
esac

missing=()
if [ "${#pkgs[@]}" -eq 0 ]; then
  :  # nothing to check
elif command -v dpkg-query >/dev/null 2>&1; then
  for p in "${pkgs[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
else
  command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || missing+=(chromium)
fi

if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "bootstrap: installing ${missing[*]}" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt_opts=(-o DPkg::Lock::Timeout=600 -o Acquire::Retries=2 -q -y)
    timeout 600 apt-get "${apt_opts[@]}" update >/dev/null
    timeout 1200 apt-get "${apt_opts[@]}" install --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "bootstrap: missing system packages: ${missing[*]}" >&2
    echo "  On Debian/Ubuntu run as root: apt-get install --no-install-recommends ${missing[*]}" >&2
    echo "  Elsewhere install the equivalents (a Chromium browser; for the full test suite a Secret Service" >&2
    echo "  (gnome-keyring), PHP 8 with mysqli, MariaDB and WordPress core), then run make again." >&2
    exit 1
  fi
fi

PY="${PYTHON:-python3}"
if ! "$PY" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
  echo "bootstrap: Python 3.11 or newer is needed (found: $("$PY" --version 2>&1)). Set PYTHON=/path/to/python3.11" >&2
  exit 1
fi
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
stamp=".venv/.mpesa-agent-installed"
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  echo "bootstrap: installing mpesa-agent and its test tools into .venv" >&2
  export PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1 PIP_DEFAULT_TIMEOUT=60
  .venv/bin/python -m pip install -q --upgrade "pip>=24" >/dev/null
  .venv/bin/python -m pip install -q -e ".[test]"
  touch "$stamp"
fi
