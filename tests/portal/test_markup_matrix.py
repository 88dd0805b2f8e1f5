"""The core setup flow against the sandbox portal in every markup mode of each skin: each structural axis alone
and all of them together ("hard"). The automation never reads the knob; it must find the same screens, labels and
states whatever they are built of (agent/sandbox/portal/markup.py lists the axes).

Run one skin at a time (``-k classic`` / ``-k current``): each mode is one full setup (about 20-40 s).
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest

from agent.portal import locate
from agent.sandbox.portal.markup import MARKUP_MODES
from tests.portal.conftest import Runner
from tests.portal.test_setup_flows import assert_finished

pytestmark = pytest.mark.browser

MODES = [(skin, mode) for skin, axes in MARKUP_MODES.items() for mode in (*axes, "hard")]


@pytest.mark.parametrize(("skin", "markup"), MODES, ids=[f"{s}-{m}" for s, m in MODES])
def test_setup_in_every_markup_mode(run: Runner, skin: str, markup: str) -> None:
    locate.expired_waits(reset=True)
    started = time.monotonic()
    result = run()
    took = time.monotonic() - started
    expired = locate.expired_waits(reset=True)
    out = os.environ.get("MPESA_AGENT_BENCH_OUT")
    if out:  # make bench: one line per mode
        with Path(out).open("a", encoding="utf-8") as fh:
            fh.write(json.dumps({"skin": skin, "markup": markup, "seconds": took, "expired": expired}) + "\n")
    assert result.ok, result
    assert [s["status"] for s in result.steps] == ["ok"] * 6
    assert_finished(run)
    # No wait ran out its timeout (the locate layer records every wait that reached its deadline).
    assert expired == [], expired
    # Speed itself is measured by `make bench` (figures), not asserted here.
