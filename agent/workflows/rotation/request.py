"""What a rotation was asked to do and what it answers: ``RotateRequest``, ``RotateResult``, ``RollbackResult``,
the checks of a request, and the pure helpers (``parse_age``, ``next_username``). Nothing here touches the portal,
the vault or a site."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from typing import Any

from agent.errors import ExitStatus, PortalError, UsageError

OPERATORS = ("api", "web")
STRATEGIES = ("single", "alternating")
DEFAULT_STRATEGY = "single"
ACTIVE = "Active"
PENDING_ACTIVE = "Pending Active"
CLOSED = "Closed"
USERNAME_MAX = 15  # the portal: "less than 16 characters"


@dataclasses.dataclass(frozen=True)
class RotateRequest:
    """What ``mpesa-agent rotate`` was asked to do (no secrets). ``operator``/``strategy`` None = the default (or,
    with ``resume``, what the rotation in flight uses). Portal settings (ui, headless) are in the context."""

    profile: str | None = None
    operator: str | None = None  # "api" | "web"
    strategy: str | None = None  # "single" | "alternating" (API operator only)
    resume: bool = False
    abandon: bool = False
    if_older_than: str | int | None = None  # "60d", "8w" or a number of days
    site_credentials: bool = False
    site: str | None = None  # with site_credentials: only this linked site
    portal_url: str | None = None


@dataclasses.dataclass
class RotateResult:
    """The outcome. ``action``: rotated | resumed | skipped | abandoned | nothing | site-credentials."""

    profile: str
    action: str
    message: str
    operator: str | None = None
    strategy: str | None = None
    old_username: str | None = None
    username: str | None = None
    closed: list[str] = dataclasses.field(default_factory=list)
    sites: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    steps: list[dict[str, str]] = dataclasses.field(default_factory=list)
    warnings: list[str] = dataclasses.field(default_factory=list)
    password_age: dict[str, Any] | None = None
    site_rotations: list[dict[str, Any]] = dataclasses.field(default_factory=list)

    @property
    def exit_status(self) -> ExitStatus:
        return ExitStatus.OK

    def as_dict(self) -> dict[str, Any]:
        return {**dataclasses.asdict(self), "exit_status": int(self.exit_status)}


@dataclasses.dataclass
class RollbackResult:
    """``mpesa-agent rollback``: which sites got their previous plugin settings back, and why others did not."""

    profile: str
    dry_run: bool
    sites: list[dict[str, Any]]
    message: str
    rotation_ended: bool = False

    @property
    def ok(self) -> bool:
        return all(s.get("restored") or s.get("planned") for s in self.sites)

    @property
    def exit_status(self) -> ExitStatus:
        return ExitStatus.OK if self.ok else ExitStatus.VERIFY

    def as_dict(self) -> dict[str, Any]:
        return {**dataclasses.asdict(self), "ok": self.ok, "exit_status": int(self.exit_status)}


def check_request(request: RotateRequest) -> None:
    """Refuse contradictory or unknown choices before anything is read."""
    if request.resume and request.abandon:
        raise UsageError("--resume and --abandon exclude each other.")
    if request.operator is not None and request.operator not in OPERATORS:
        raise UsageError(f"Unknown operator '{request.operator}'.", hint="Use --operator api or --operator web.")
    if request.strategy is not None and request.strategy not in STRATEGIES:
        raise UsageError(f"Unknown strategy '{request.strategy}'.", hint="Use --strategy single or alternating.")
    if request.operator == "web" and request.strategy == "alternating":
        raise UsageError(
            "The alternating strategy is for the API operator only.",
            hint="The web operator changes its own password: mpesa-agent rotate --operator web.",
        )


def check_resume_request(request: RotateRequest, start: dict[str, Any]) -> None:
    for name, asked, running in (
        ("operator", request.operator, start.get("operator")),
        ("strategy", request.strategy, start.get("strategy")),
    ):
        if asked is not None and asked != running:
            raise UsageError(
                f"The rotation in flight is for --{name} {running}, not {asked}.",
                hint="Run 'mpesa-agent rotate --resume' without it to finish that one first.",
            )


_AGE_RE = re.compile(r"^\s*(\d{1,4})\s*([dw]?)\s*$", re.IGNORECASE)


def parse_age(value: str | int) -> int:
    """Days from ``60``, ``"60"``, ``"60d"`` or ``"8w"``; a UsageError for anything else."""
    if isinstance(value, int) and not isinstance(value, bool):
        days = value
    else:
        found = _AGE_RE.match(str(value))
        if found is None:
            raise UsageError(
                f"'{value}' is not an age.", hint="Give a number of days or weeks, e.g. --if-older-than 60d (or 8w)."
            )
        days = int(found.group(1)) * (7 if found.group(2).lower() == "w" else 1)
    if not 0 <= days <= 3650:
        raise UsageError(f"An age of {days} days makes no sense here.", hint="Use e.g. --if-older-than 60d.")
    return days


def next_username(current: str, taken: Callable[[str], bool], *, limit: int = 50) -> str:
    """The next free derived user name: ``mamaapi`` → ``mamaapi2``, ``mamaapi2`` → ``mamaapi3`` (≤ 15 characters)."""
    from agent import validators

    found = re.match(r"^(.*?)(\d*)$", current)
    stem, digits = (found.group(1), found.group(2)) if found else (current, "")
    if not stem:  # an all-digit name: keep it whole as the stem
        stem, digits = current, ""
    number = int(digits) if digits else 1
    for _ in range(limit):
        number += 1
        suffix = str(number)
        candidate = stem[: USERNAME_MAX - len(suffix)] + suffix
        validators.validate_username(candidate)
        if candidate.lower() != current.lower() and not taken(candidate):
            return candidate
    raise PortalError(
        f"No free user name derived from {current} was found after {limit} tries.",
        hint="Close unused API operators in the portal, or set api_operator.username in your profile to a new name "
        "and run setup.",
    )
