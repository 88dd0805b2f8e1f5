"""The step engine that setup and rotation share: journal intent/done, reporter start/finish, skip-if-done, named
checkpoints and a re-login when the portal session expired.

What belongs here: the *declaration* of a resumable workflow (``Workflow``: its steps, in order, and the named
checkpoints inside each one) and the ``StepRunner`` that executes steps against a journal and a reporter. The crash
tests take their kill points from the same declaration (``Workflow.checkpoints()``), so a checkpoint added to a
workflow is crash-tested without editing a test, and a checkpoint that is not declared cannot be reached
(``StepRunner.checkpoint`` refuses it).

A step::

    with runner.step("api-password", "Set the API operator's password") as step:
        step.intent(username=name)          # journal: about to change the outside world
        runner.checkpoint("api-password:staged")
        ...
        step.done("password set", username=name)   # journal done + reporter ok

An ``AgentError`` leaving the block is journalled as ``failed`` and reported, then raised again.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from agent.errors import AgentError, PortalChangedError, PortalError
from agent.journal import Journal, checkpoint
from agent.workflows.progress import Reporter

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclasses.dataclass(frozen=True)
class StepSpec:
    """One journalled step and the checkpoints inside it (in the order a run reaches them)."""

    key: str
    checkpoints: tuple[str, ...] = ()


@dataclasses.dataclass(frozen=True)
class Workflow:
    """A resumable workflow's declaration: its steps in order (a run may skip some, e.g. by strategy)."""

    name: str
    steps: tuple[StepSpec, ...]

    def checkpoints(self) -> tuple[str, ...]:
        """Every named checkpoint, in declaration order (the crash tests' kill points)."""
        return tuple(point for spec in self.steps for point in spec.checkpoints)

    def spec(self, key: str) -> StepSpec:
        for spec in self.steps:
            if spec.key == key:
                return spec
        raise KeyError(f"{self.name} declares no step {key!r}")

    def keys(self) -> tuple[str, ...]:
        return tuple(spec.key for spec in self.steps)


class Step:
    """The step being run (``StepRunner.step``)."""

    def __init__(self, runner: StepRunner, key: str) -> None:
        self.runner = runner
        self.key = key
        self.finished = False

    def intent(self, **detail: Any) -> None:
        """Journal that an irreversible action of this step is about to be sent."""
        self.runner.intent(self.key, **detail)

    def note(self, **detail: Any) -> None:
        self.runner.journal.record(self.key, "note", **detail)

    def done(self, text: str = "", *, outcome: str = "ok", **detail: Any) -> None:
        """Journal the step as done (with ``detail``) and report it finished as ``outcome`` (``text``)."""
        self.runner.done(self.key, text, outcome=outcome, **detail)
        self.finished = True

    def report(self, status: str, text: str = "") -> None:
        """Report the step finished without journalling it (e.g. ``skipped``: nothing was done)."""
        self.runner.report(self.key, status, text)
        self.finished = True


class StepRunner:
    """Runs the steps of one declared ``Workflow`` against a journal and a reporter."""

    def __init__(
        self,
        workflow: Workflow,
        journal: Journal,
        reporter: Reporter,
        *,
        session_expired: Callable[[], bool] | None = None,
    ) -> None:
        self.workflow = workflow
        self.journal = journal
        self.reporter = reporter
        self.session_expired = session_expired

    @contextlib.contextmanager
    def step(self, key: str, title: str) -> Iterator[Step]:
        self.workflow.spec(key)  # a step that is not declared is a programming error
        self.reporter.start(key, title)
        current = Step(self, key)
        try:
            yield current
        except AgentError as exc:
            self.journal.failed(key, error=type(exc).__name__)
            self.reporter.finish(key, "failed", exc.message)
            raise

    def intent(self, key: str, **detail: Any) -> None:
        """Journal that an irreversible action of step ``key`` is about to be sent."""
        self.workflow.spec(key)
        self.journal.intent(key, **detail)

    def done(self, key: str, text: str = "", *, outcome: str = "ok", **detail: Any) -> None:
        """Journal step ``key`` as done (with ``detail``) and report it finished as ``outcome`` (``text``)."""
        self.workflow.spec(key)
        self.journal.done(key, **detail)
        self.reporter.finish(key, outcome, text)

    def report(self, key: str, status: str, text: str = "") -> None:
        """Report step ``key`` finished without journalling it (e.g. ``skipped``: nothing was done)."""
        self.reporter.finish(key, status, text)

    def skip_if_done(self, key: str, title: str, detail: str) -> bool:
        """True (and the step reported as skipped) when the journal says ``key`` is done already."""
        if not self.journal.is_done(key):
            return False
        self.skip(key, title, detail)
        return True

    def skip(self, key: str, title: str, detail: str) -> None:
        self.reporter.start(key, title)
        self.reporter.finish(key, "skipped", detail)

    def checkpoint(self, name: str) -> None:
        """A declared checkpoint (the crash tests' SIGKILL point; see ``agent.journal.checkpoint``)."""
        if name not in self.workflow.checkpoints():
            raise KeyError(f"{self.workflow.name} declares no checkpoint {name!r}")
        checkpoint(name)

    def relogin_on_expiry(self, action: Callable[[], T], relogin: Callable[[], None]) -> T:
        """Run ``action``; if the portal session expired meanwhile, log in again once and run it again.

        Safe because every portal action checks the portal before it changes anything.
        """
        try:
            return action()
        except (PortalChangedError, PortalError):
            if self.session_expired is None or not self.session_expired():
                raise
            log.info("the portal session expired; logging in again")
            self.reporter.info("The portal session expired; logging in again.")
            relogin()
            return action()
