"""The checks ``status``, ``doctor`` and ``sites`` report: one ``Check`` per thing looked at, and the exit status
derived from the worst of them.

What belongs here: the ``Check`` record, how a list of checks becomes an exit status, and the translation of the
go-live ``Finding`` (``agent.golive.rules``) and a site's health into checks. What is checked lives with the
workflow that knows it (``status``, ``sites``, ``golive``); this module only gives every one of them the same shape.

A check is ``ok``, ``attention`` (something to do: run the fix), ``problem`` (something is broken; its
``problem_exit`` says which documented exit status that is) or ``unknown`` (could not be checked, e.g.
``--offline``). Unknown is never ok: a list with an unknown check never exits 0.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from typing import Any, Literal

from agent.errors import ExitStatus

CheckStatus = Literal["ok", "attention", "problem", "unknown"]
STATUSES: tuple[CheckStatus, ...] = ("ok", "attention", "problem", "unknown")

# Which problem is the worst when there are several: the vault first (nothing else can be trusted), then a site.
_PROBLEM_ORDER = (ExitStatus.AUTH, ExitStatus.SITE, ExitStatus.VERIFY)


@dataclasses.dataclass(frozen=True)
class Check:
    """One thing looked at: its status, what was seen (``evidence``) and the command that fixes it (``fix``)."""

    id: str
    title: str
    status: CheckStatus
    evidence: str
    fix: str = ""
    problem_exit: ExitStatus = ExitStatus.VERIFY  # the exit status when ``status`` is ``problem``

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    @property
    def exit_status(self) -> ExitStatus:
        if self.status == "ok":
            return ExitStatus.OK
        if self.status == "problem":
            return self.problem_exit
        return ExitStatus.VERIFY  # attention, unknown

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "status": self.status,
            "evidence": self.evidence,
            "fix": self.fix,
            "exit_status": int(self.exit_status),
        }


def worst_exit(checks: Iterable[Check]) -> ExitStatus:
    """0 when every check is ok; else the worst: a vault/keyring problem (4), a site problem (7), then anything
    else that is not ok (5: attention, unknown, an operator problem)."""
    codes = {c.exit_status for c in checks}
    codes.discard(ExitStatus.OK)
    if not codes:
        return ExitStatus.OK
    for code in _PROBLEM_ORDER:
        if code in codes:
            return code
    return min(codes)


def from_finding(finding: Any, site_url: str = "") -> Check:
    """A go-live ``Finding`` (``ok``/``warning``/``problem``/``unknown``) as a check (id ``<finding id>:<site>``); a
    go-live problem is the site's plugin's (exit 7)."""
    status: CheckStatus = {"ok": "ok", "warning": "attention", "problem": "problem"}.get(finding.status, "unknown")  # type: ignore[assignment]
    return Check(
        f"{finding.id}:{site_url}" if site_url else finding.id,
        finding.title,
        status,
        finding.evidence,
        finding.fix,
        problem_exit=ExitStatus.SITE,
    )


def site_health_check(site: Any) -> Check:
    """A linked site's health (``sites.SiteStatus``: authentication and capability) as a check."""
    url = site.link.url
    if not site.checked:
        return Check(
            f"site.reach:{url}",
            f"Site {url}",
            "unknown",
            "not contacted (--offline)",
            "mpesa-agent sites (without --offline)",
            problem_exit=ExitStatus.SITE,
        )
    if site.ok:
        return Check(
            f"site.reach:{url}",
            f"Site {url}",
            "ok",
            f"{site.link.username} logs in and may manage WooCommerce",
            problem_exit=ExitStatus.SITE,
        )
    return Check(
        f"site.reach:{url}",
        f"Site {url}",
        "problem",
        site.problem or "the site did not answer as expected",
        site.hint or f"mpesa-agent link-site {url} --force",
        problem_exit=ExitStatus.SITE,
    )
