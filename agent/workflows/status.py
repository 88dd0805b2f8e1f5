"""``mpesa-agent status`` and ``doctor``: is everything still right?

What it looks at, without logging in to the portal (which would need a captcha and an SMS code):

* the vault: which backend holds the credentials, and whether each expected credential is there;
* each operator of the profile: the status last seen on the portal (from the setup journal), a rotation in
  flight (a *pending* version), and the password's age against the portal's 90-day expiry;
* each linked site: authentication, capability, plugin fingerprint (``sites.list_sites``), and whether the plugin's
  initiator settings equal the vault's API operator (a dry-run push: compared without showing them).

``doctor`` adds the go-live checklist for Daraja's 2001 "The initiator information is invalid". The exit status is
useful in cron: 0 when all is well, 5 when something differs from what it should be, 7 for a site problem.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from agent.context import Context
from agent.errors import AgentError, ExitStatus
from agent.journal import Journal
from agent.vault import Vault

GO_LIVE_CHECKLIST = (
    (
        "Initiator user name",
        "The plugin's initiator is the API operator's user name (not the web operator, not the "
        "Business Administrator). Case matters.",
    ),
    (
        "Initiator password",
        "The plugin holds the password last set with Set Password; a reset without a push breaks "
        "every payout (mpesa-agent push).",
    ),
    (
        "Operator status",
        "The API operator is Active: Pending Active (password never set), Dormant or Locked operators get 2001.",
    ),
    ("Password age", "Initiator passwords expire after 90 days; rotate before (mpesa-agent rotate)."),
    (
        "Environment and certificate",
        "Sandbox and production use different certificates: the plugin's environment "
        "setting must match the short code's (a wrong certificate also gives 2001).",
    ),
    ("Roles", "A missing role gives 21 'The initiator is not allowed to initiate this request', not 2001."),
    (
        "Locked credential",
        "Repeated wrong passwords give 8006 'The security credential is locked'; the Business "
        "Administrator unlocks it.",
    ),
)


@dataclasses.dataclass
class OperatorStatus:
    kind: str
    username: str
    in_vault: bool
    last_seen_status: str | None
    password_set_at: str | None
    password_age_days: int | None
    days_until_expiry: int | None
    rotation_pending: bool
    problems: list[str]


@dataclasses.dataclass
class SiteHealth:
    url: str
    ok: bool
    plugin: str | None
    initiator_matches: bool | None
    problem: str | None
    hint: str | None


@dataclasses.dataclass
class StatusReport:
    profile: str | None
    vault_backend: str
    vault_ephemeral: bool
    operators: list[OperatorStatus]
    sites: list[SiteHealth]
    checklist: list[dict[str, str]]

    @property
    def exit_status(self) -> ExitStatus:
        if any(not s.ok for s in self.sites):
            return ExitStatus.SITE
        if any(op.problems for op in self.operators) or any(s.initiator_matches is False for s in self.sites):
            return ExitStatus.VERIFY
        return ExitStatus.OK

    @property
    def ok(self) -> bool:
        return self.exit_status == ExitStatus.OK

    def as_dict(self) -> dict[str, Any]:
        return {**dataclasses.asdict(self), "ok": self.ok, "exit_status": int(self.exit_status)}


def _last_seen(journal: Journal) -> dict[str, str]:
    """The operators' statuses recorded by the last finished setup (user name → status)."""
    seen: dict[str, str] = {}
    plan_users: dict[str, str] = {}
    for entry in journal.entries():
        detail = entry.get("detail", {})
        if entry.get("step") == "setup" and entry.get("event") == "start":
            plan = detail.get("plan", {})
            plan_users = {
                "web": plan.get("web_operator", {}).get("username", ""),
                "api": plan.get("api_operator", {}).get("username", ""),
            }
        if entry.get("step") == "setup" and entry.get("event") == "finish":
            for kind in ("web", "api"):
                if plan_users.get(kind) and detail.get(kind):
                    seen[plan_users[kind]] = str(detail[kind])
    return seen


def operator_status(
    vault: Vault,
    profile: str,
    kind: str,
    username: str,
    last_seen: dict[str, str],
    max_age_days: int,
    now: dt.datetime | None = None,
) -> OperatorStatus:
    """One operator's line of ``status``: its password age (``rotation.ages``, shared with ``rotate``), the status
    last seen on the portal, and what to run about it."""
    from agent.workflows.rotation.ages import operator_age

    age = operator_age(vault, profile, kind, username, now=now or dt.datetime.now(dt.UTC), max_age_days=max_age_days)
    problems: list[str] = []
    rotate = "mpesa-agent rotate" + (" --operator web" if kind == "web" else "")
    expiry = age.expires_in_days
    if age.set_at is None:
        problems.append(f"No password for {username} in the vault: run mpesa-agent setup.")
    elif expiry is not None and expiry <= 0:
        problems.append(
            f"{username}'s password is {age.age_days} days old and has expired on the portal: run {rotate}."
        )
    elif expiry is not None and expiry <= 14:
        problems.append(f"{username}'s password expires in {expiry} days: run {rotate}.")
    seen = last_seen.get(username)
    if seen and seen != "Active":
        problems.append(f"{username} was {seen} on the portal at the last check: run mpesa-agent setup.")
    set_at = age.set_at.isoformat(timespec="seconds") if age.set_at else None
    return OperatorStatus(
        kind, username, age.set_at is not None, seen, set_at, age.age_days, expiry, age.pending, problems
    )


def _site_health(ctx: Context, site: Any, short_code: str | None, profile_key: str | None, check: bool) -> SiteHealth:
    from agent.workflows import sites as sites_workflow

    link = site.link.to_dict()
    matches: bool | None = None
    problem, hint = site.problem, site.hint
    if site.ok and short_code and profile_key and check:
        try:
            report = sites_workflow.push(ctx.replace(reporter=_quiet()), profile_key, site=site.link.url, dry_run=True)
            outcome = report.sites[0] if report.sites else None
            if outcome is not None and outcome.ok and outcome.result is not None:
                matches = not outcome.result.get("changes")
                if not matches:
                    problem = "The plugin's initiator settings differ from the vault's API operator."
                    hint = "Run: mpesa-agent push"
            elif outcome is not None:
                problem, hint = outcome.problem, outcome.hint
        except AgentError as exc:  # status reports, it does not stop at the first problem
            problem, hint = exc.message, exc.hint
    ok = site.ok and problem is None
    return SiteHealth(site.link.url, ok, link.get("plugin"), matches, problem, hint)


def _quiet() -> Any:
    from agent.workflows.progress import RecordingReporter

    return RecordingReporter()


def collect_status(ctx: Context, profile_name: str | None = None, *, check_sites: bool = True) -> StatusReport:
    """What ``status`` shows (see the module docstring); ``profile_name`` None: the default profile."""
    from agent.workflows import sites as sites_workflow

    vault = ctx.vault
    profile = ctx.find_profile(profile_name)
    short_code = profile.short_code if profile else None
    max_age = ctx.settings.password_max_age_days
    operators: list[OperatorStatus] = []
    if profile is not None:
        seen = _last_seen(ctx.journal(f"setup-{profile.short_code}"))
        for kind, username in (("web", profile.web_username), ("api", profile.api_username)):
            if username:
                operators.append(
                    operator_status(vault, profile.short_code, kind, username, seen, max_age, now=ctx.now())
                )
    health = [
        _site_health(ctx, site, short_code, profile.key if profile else None, check_sites)
        for site in sites_workflow.list_sites(ctx, check=check_sites)
    ]
    checklist = [{"item": item, "check": text} for item, text in GO_LIVE_CHECKLIST]
    return StatusReport(short_code, vault.backend_name, vault.ephemeral, operators, health, checklist)
