"""Crash tests: SIGKILL the rotation at every step boundary of each strategy, resume, check the end state.

Each test walks one strategy's checkpoints in order, as that strategy declares them in production code
(``agent.workflows.rotation.WORKFLOWS``): the first run is killed at the first checkpoint, each ``--resume`` run at
the next one, and a last ``--resume`` finishes. After every kill no password the portal ever
accepted (and no operator's working password) may be missing from the vault; at the end the portal has exactly the
expected operators, the plugin and the portal agree with the vault's current, and the journal is closed.
"""

from __future__ import annotations

import pytest

from agent.workflows.rotation import CHECKPOINTS, WORKFLOWS
from tests.rotation.harness import (
    API,
    WEB,
    Start,
    World,
    check_end_state,
    check_never_lost,
    run_agent,
    statuses,
)

pytestmark = [pytest.mark.e2e, pytest.mark.browser, pytest.mark.keyring]


def _chain(
    world: World, start: Start, vault, first_args: list[str], points: list[str], allowed: set[str] | None = None
) -> dict:
    """Kill the first run at ``points[0]``, each ``--resume`` at the next point, then resume to the end. After every
    kill: nothing set on the portal is missing from the vault, and no operator outside ``allowed`` exists."""
    allowed = allowed or {"sandboxadmin", WEB, API}
    args = first_args
    for point in points:
        status, answer, stderr = run_agent(*args, crash_at=point)
        assert status == -9, f"the agent was not killed at {point} (exit {status}): {answer}\n{stderr[-3000:]}"
        assert start.journal.exists()
        check_never_lost(world, start, vault)
        assert set(statuses(world, start)) <= allowed, f"unexpected operators after a kill at {point}"
        args = ["--resume"]
    status, answer, stderr = run_agent("--resume")
    assert status == 0, f"{answer}\n{stderr[-3000:]}"
    assert answer["action"] == "resumed"
    return answer


SINGLE = list(WORKFLOWS["single"].checkpoints())
ALTERNATING = list(WORKFLOWS["alternating"].checkpoints())
WEB_POINTS = list(WORKFLOWS["web"].checkpoints())


def test_every_checkpoint_is_crash_tested() -> None:
    assert set(SINGLE + ALTERNATING + WEB_POINTS) == set(CHECKPOINTS)
    # The kill points are the ones the strategies reach, in their order (a sanity check of the declarations).
    assert SINGLE[0] == ALTERNATING[0] == WEB_POINTS[0] == "rotate:started"
    assert SINGLE[-1] == ALTERNATING[-1] == WEB_POINTS[-1] == "rotate:verified"
    assert ALTERNATING.index("rotate:alt:switching") < ALTERNATING.index("rotate:alt:after-close")


def test_single_api_rotation_survives_a_kill_at_every_boundary(world: World, start: Start, vault) -> None:
    points = SINGLE
    answer = _chain(world, start, vault, ["--operator", "api", "--strategy", "single"], points)
    assert answer["username"] == API
    check_end_state(world, start, vault, in_use=API, expected={WEB: "Active", API: "Active"})
    assert vault.get(start.ref(API), "previous").reveal() == "ApiStart#2030"


def test_alternating_rotation_survives_a_kill_at_every_boundary(world: World, start: Start, vault) -> None:
    points = ALTERNATING
    new = API + "2"
    answer = _chain(world, start, vault, ["--strategy", "alternating"], points, {"sandboxadmin", WEB, API, new})
    assert answer["username"] == new
    check_end_state(world, start, vault, in_use=new, expected={WEB: "Active", API: "Closed", new: "Active"})
    # The old operator's credential stays in the vault (it was on the portal), and the closed name is remembered.
    assert vault.get(start.ref(API)).reveal() == "ApiStart#2030"
    from agent import settings

    assert settings.load_config().profiles[start.short_code]["api_operator"]["retired"] == [API]


def test_web_rotation_survives_a_kill_at_every_boundary(world: World, start: Start, vault) -> None:
    # The web operator changes its own password under My Preference (the forced change after expiry is covered by
    # test_faults.py::test_web_change_whose_answer_is_lost_is_checked_by_logging_in).
    points = WEB_POINTS
    answer = _chain(world, start, vault, ["--operator", "web"], points)
    assert answer["username"] == WEB
    check_end_state(world, start, vault, in_use=API, expected={WEB: "Active", API: "Active"})
    assert vault.get(start.ref(WEB), "previous").reveal() == "WebStart#2030"
