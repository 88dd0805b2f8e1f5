#!/usr/bin/env bash
# Run the whole suite. Each tier starts its real component from fixtures (tests/conftest.py and
# tests/harness/): a private D-Bus session with gnome-keyring, Debian's Chromium, WordPress on MariaDB + php -S.
# In CI (CI=true) a component that cannot start is a failure, never a skip; pytest's exit 5 (nothing ran) fails.
set -uo pipefail
cd "$(dirname "$0")/../.."
export MPESA_AGENT_REQUIRE_COMPONENTS="${MPESA_AGENT_REQUIRE_COMPONENTS:-1}"
.venv/bin/python -m pytest -q "$@" 2> >(grep -v "Failed to set fd limit" >&2)
rc=$?
if [ "$rc" -eq 5 ]; then
  echo "run-tests: pytest collected no tests; that is a failure" >&2
  exit 1
fi
exit "$rc"
