"""The step engine shared by setup and rotation: journal + reporter per step, skip-if-done, declared checkpoints,
re-login on session expiry; and the declarations the crash suites take their kill points from."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.errors import PortalChangedError, VerificationError
from agent.journal import Journal
from agent.workflows.progress import RecordingReporter
from agent.workflows.rotation import CHECKPOINTS, WORKFLOWS
from agent.workflows.setup import SETUP
from agent.workflows.steps import StepRunner, StepSpec, Workflow

pytestmark = pytest.mark.unit

DEMO = Workflow("demo", (StepSpec("one", ("one:half",)), StepSpec("two")))


def runner(tmp_path: Path, expired: bool = False) -> tuple[StepRunner, Journal, RecordingReporter]:
    journal = Journal("demo", tmp_path)
    reporter = RecordingReporter()
    return StepRunner(DEMO, journal, reporter, session_expired=lambda: expired), journal, reporter


def test_a_step_journals_and_reports(tmp_path: Path) -> None:
    steps, journal, reporter = runner(tmp_path)
    with steps.step("one", "Step one") as step:
        step.intent(user="x")
        steps.checkpoint("one:half")
        step.done("fine", user="x")
    assert journal.state("one") == "done"
    assert [(s["key"], s["status"], s["detail"]) for s in reporter.as_list()] == [("one", "ok", "fine")]
    assert steps.skip_if_done("one", "Step one", "already")
    assert reporter.as_list()[-1]["status"] == "skipped"
    assert not steps.skip_if_done("two", "Step two", "never ran")


def test_a_failing_step_is_journalled_as_failed_and_raised(tmp_path: Path) -> None:
    steps, journal, reporter = runner(tmp_path)
    with pytest.raises(VerificationError), steps.step("two", "Step two"):
        raise VerificationError("not what was meant")
    assert journal.state("two") == "failed"
    assert reporter.as_list()[0]["status"] == "failed"


def test_undeclared_steps_and_checkpoints_are_refused(tmp_path: Path) -> None:
    steps, _, _ = runner(tmp_path)
    with pytest.raises(KeyError), steps.step("three", "not declared"):
        pass
    with pytest.raises(KeyError):
        steps.checkpoint("two:nowhere")


@pytest.mark.parametrize("expired", [True, False])
def test_relogin_on_expiry(tmp_path: Path, expired: bool) -> None:
    steps, _, _ = runner(tmp_path, expired=expired)
    calls: list[str] = []

    def action() -> str:
        calls.append("action")
        if len(calls) == 1:
            raise PortalChangedError("the page is not the one expected")
        return "done"

    if expired:
        assert steps.relogin_on_expiry(action, lambda: calls.append("login")) == "done"
        assert calls == ["action", "login", "action"]
    else:
        with pytest.raises(PortalChangedError):
            steps.relogin_on_expiry(action, lambda: calls.append("login"))


def test_the_declarations_the_crash_suites_use() -> None:
    assert SETUP.keys() == ("admin-login", "web-operator", "api-operator", "web-activation", "api-password", "verify")
    assert SETUP.checkpoints()[0] == "admin-login:done"
    assert len(set(SETUP.checkpoints())) == len(SETUP.checkpoints())
    assert set(CHECKPOINTS) == {p for w in WORKFLOWS.values() for p in w.checkpoints()}
    assert "rotate:web:after-change" in WORKFLOWS["web"].checkpoints()
    assert "rotate:alt:switching" not in WORKFLOWS["single"].checkpoints()


def test_every_checkpoint_in_the_code_is_declared() -> None:
    """A checkpoint named in production code but not declared could never be crash-tested."""
    import re

    root = Path(__file__).resolve().parents[2] / "agent" / "workflows"
    named = set()
    for path in root.rglob("*.py"):
        named |= set(re.findall(r'checkpoint\(\s*f?"([a-z:{}_-]+)"', path.read_text()))
    declared = set(SETUP.checkpoints()) | set(CHECKPOINTS)
    expanded = {n.replace("{key}", k) for n in named for k in ("web-operator", "api-operator")}
    assert expanded - declared == set()
