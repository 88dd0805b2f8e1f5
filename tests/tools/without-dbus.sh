#!/usr/bin/env bash
# Run a command with dbus-daemon, dbus-launch, dbus-run-session and gnome-keyring-daemon hidden from PATH, e.g.
#   bash tests/tools/without-dbus.sh make test-unit
# It proves that the unit tier needs no D-Bus and no keyring daemon (CI runs it before the full suite).
set -euo pipefail
hidden_bin="$(mktemp -d "${TMPDIR:-/tmp}/mpesa-agent-nodbus.XXXXXX")"
trap 'rm -rf "$hidden_bin"' EXIT
IFS=: read -r -a dirs <<<"$PATH"
for dir in "${dirs[@]}"; do
  [ -d "$dir" ] || continue
  for exe in "$dir"/*; do
    name="$(basename "$exe")"
    case "$name" in
      dbus-daemon | dbus-launch | dbus-run-session | gnome-keyring-daemon | gnome-keyring) continue ;;
    esac
    [ -x "$exe" ] && [ ! -e "$hidden_bin/$name" ] && ln -s "$exe" "$hidden_bin/$name"
  done
done
for tool in dbus-daemon gnome-keyring-daemon; do
  if PATH="$hidden_bin" command -v "$tool" >/dev/null 2>&1; then
    echo "without-dbus: $tool is still on PATH" >&2
    exit 1
  fi
done
PATH="$hidden_bin" "$@"
