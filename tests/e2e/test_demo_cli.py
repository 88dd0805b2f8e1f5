"""``mpesa-agent demo`` end to end in a subprocess: it must finish with both operators Active and the plugin's
initiator verified, and leave nothing behind (no state dir, no keyring item, no running server)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.browser]


@pytest.mark.parametrize("ui", ["classic", "current"])
def test_demo_does_the_whole_job_and_leaves_nothing(agent_home: Path, chromium_path: str, ui: str) -> None:
    before = set(Path("/tmp").glob("mpesa-agent-demo-*"))
    result = subprocess.run(
        [sys.executable, "-m", "agent", "demo", "--ui", ui, "--json"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env=dict(os.environ),
    )
    assert result.returncode == 0, result.stderr[-3000:]
    data = json.loads(result.stdout)
    assert data["ok"] is True
    assert {op["status"] for op in data["operators"]} == {"Active"}
    assert {op["channel"] for op in data["operators"]} == {"Web", "API"}
    [site] = data["push"]["sites"]
    assert site["ok"]
    assert site["result"]["verified"]
    assert data["status"]["ok"] is True
    assert data["golive"]["ok"] is True
    assert data["golive"]["push"]["verified"] is True
    assert data["transaction_status"]["result_code"] == "0"
    assert "Transaction Status query from the shop: result 0" in "\n".join(data["golive_summary"])
    assert {c["status"] for c in data["golive_checks"]} == {"ok"}
    assert "Sandbox portal" in result.stderr  # the human progress goes to stderr
    # Nothing left behind: the demo's temporary home is gone and it never wrote to the user's.
    assert set(Path("/tmp").glob("mpesa-agent-demo-*")) == before
    assert not any(agent_home.rglob("*.jsonl"))
    import keyring

    assert keyring.get_password("mpesa-agent", "index") is None


def test_demo_with_the_mock_daraja_answering_2001_explains_it(agent_home: Path, chromium_path: str) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from agent.workflows.demo import run_demo

    # In a thread of its own: pytest-playwright's session-wide Playwright (started by the browser tier in this same
    # process) keeps an asyncio loop running on the main thread, and Playwright's sync API refuses to start there.
    with ThreadPoolExecutor(max_workers=1) as pool:
        result = pool.submit(run_demo, ui="classic", force_result_code=2001).result(timeout=300)
    assert result.golive["ok"] is True  # the keys and settings are right: go-live itself succeeds
    assert result.transaction_status["result_code"] == "2001"
    assert not result.ok
    assert int(result.exit_status) == 5
    [initiator] = [c for c in result.golive_checks if c["id"] == "golive.initiator-result"]
    assert initiator["status"] == "problem"
    assert initiator["evidence"].startswith("Result 2001: The initiator information is invalid")
    summary = "\n".join(result.golive_summary)
    assert "result 2001" in summary
    assert "the plugin's environment matches the app" in summary
