"""``mpesa-agent status``, ``doctor`` and the checks of ``sites``: is everything still right?

Each is a list of checks (``agent.workflows.checks.Check``: ok / attention / problem / unknown, with the evidence
and the command that fixes it), looked at without logging in to the portal (which would need a captcha and an SMS
code):

* the vault: which backend holds the credentials (a locked or missing keyring: a problem, exit 4);
* the profile ("nothing set up yet" without one) and each operator: its password in the vault and its age against
  the portal's 90-day expiry, the status last seen on the portal (from the setup journal), "operator unknown" when
  the profile names none, and a rotation in flight (a *pending* version);
* each linked site: authentication and capability (``sites.list_sites``), WooCommerce and the M-PESA plugin active,
  and whether the plugin's initiator settings equal the vault's API operator (a dry-run push: compared without
  showing them; differing is attention, fixed by ``push``).

``doctor`` adds, per site, HTTPS, permalinks not Plain and the go-live checks (``golive.golive_checks``). Offline,
what was not looked at is ``unknown``. The exit status is the worst check's (``checks.worst_exit``): 0 all ok, 5
attention or unknown, 7 a site problem, 4 the keyring.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from agent.context import Context
from agent.errors import AgentError, ExitStatus, KeyringError
from agent.journal import Journal
from agent.settings import Profile
from agent.vault import Vault
from agent.workflows.checks import Check, from_finding, worst_exit


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
    checked: bool = True


@dataclasses.dataclass
class StatusReport:
    """What ``status`` (or, with ``doctor``, ``doctor``) found: a list of checks, and the details behind them."""

    profile: str | None
    vault_backend: str
    vault_ephemeral: bool
    operators: list[OperatorStatus]
    sites: list[SiteHealth]
    checks: list[Check]
    doctor: bool = False

    @property
    def exit_status(self) -> ExitStatus:
        return worst_exit(self.checks)

    @property
    def ok(self) -> bool:
        return self.exit_status == ExitStatus.OK

    def as_dict(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["checks"] = [c.as_dict() for c in self.checks]
        return {**data, "ok": self.ok, "exit_status": int(self.exit_status)}


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


def _rotated_seen(ctx: Context, short_code: str) -> dict[str, str]:
    """Operators a finished rotation read back Active on the portal (its last step), from the archived rotation
    journals, oldest first so the newest wins: after ``rotate --strategy alternating`` the new API operator is known."""
    from agent.journal import Journal

    seen: dict[str, str] = {}
    directory = ctx.paths.journal_dir
    if not directory.is_dir():
        return seen
    for path in sorted(directory.glob(f"rotate-{short_code}.*.done.jsonl")):
        for entry in Journal(path.name.removesuffix(".jsonl"), directory).entries():
            detail = entry.get("detail") or {}
            if entry.get("step") == "rotate" and entry.get("event") == "finish" and detail.get("username"):
                seen[str(detail["username"])] = "Active"
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
    if site.ok and site.checked and short_code and profile_key and check:
        try:
            report = sites_workflow.push(ctx.replace(reporter=_quiet()), profile_key, site=site.link.url, dry_run=True)
            outcome = report.sites[0] if report.sites else None
            if outcome is not None and outcome.ok and outcome.result is not None:
                matches = not outcome.result.get("changes")
            elif outcome is not None:
                problem, hint = outcome.problem, outcome.hint
        except AgentError as exc:  # status reports, it does not stop at the first problem
            problem, hint = exc.message, exc.hint
    ok = site.ok and problem is None
    return SiteHealth(site.link.url, ok, link.get("plugin"), matches, problem, hint, checked=bool(site.checked))


def _quiet() -> Any:
    from agent.workflows.progress import RecordingReporter

    return RecordingReporter()


# -- the checks ---------------------------------------------------------------------------------------------------


def operator_checks(op: OperatorStatus) -> list[Check]:
    """An operator's check (vault, password age, status last seen on the portal) and, when one is staged, the
    rotation in flight."""
    rotate = "mpesa-agent rotate" + (" --operator web" if op.kind == "web" else "")
    seen = op.last_seen_status or "not seen on the portal yet"
    age = (
        ""
        if op.password_age_days is None
        else (f", password {op.password_age_days} days old, expires in {op.days_until_expiry} days")
    )
    evidence = f"{seen}{age}"
    title = f"{'Web' if op.kind == 'web' else 'API'} operator {op.username}"
    cid = f"operator.{op.kind}"
    checks: list[Check]
    if not op.in_vault and op.last_seen_status is None:
        checks = [Check(cid, title, "attention", "not set up yet: no password in the vault", "mpesa-agent setup")]
    elif not op.in_vault:
        checks = [Check(cid, title, "problem", f"{evidence}; no password in the vault", "mpesa-agent setup")]
    elif op.days_until_expiry is not None and op.days_until_expiry <= 0:
        checks = [Check(cid, title, "problem", f"{evidence}; the portal has expired it", rotate)]
    elif op.last_seen_status and op.last_seen_status != "Active":
        checks = [Check(cid, title, "problem", evidence, "mpesa-agent setup")]
    elif op.days_until_expiry is not None and op.days_until_expiry <= 14:
        checks = [Check(cid, title, "attention", evidence, rotate)]
    elif op.last_seen_status is None:
        checks = [
            Check(cid, title, "unknown", evidence, "mpesa-agent setup (reads both operators back from the portal)")
        ]
    else:
        checks = [Check(cid, title, "ok", evidence)]
    if op.rotation_pending:
        checks.append(
            Check(
                f"rotation.{op.kind}",
                f"Rotation of {op.username}",
                "attention",
                "a new password is staged in the vault (a rotation or setup was interrupted)",
                "mpesa-agent rotate --resume" + (" --operator web" if op.kind == "web" else ""),
            )
        )
    return checks


def site_checks(health: SiteHealth, *, offline: bool) -> list[Check]:
    """A linked site: reachable and allowed (problem: exit 7), and its plugin's initiator against the vault
    (differs: attention, exit 5, fixed by ``push``)."""
    url = health.url
    reach_id, init_id = f"site.reach:{url}", f"site.initiator:{url}"
    if offline or not health.checked:
        return [
            Check(
                reach_id,
                f"Site {url}",
                "unknown",
                "not contacted (--offline)",
                "mpesa-agent status",
                problem_exit=ExitStatus.SITE,
            ),
            Check(init_id, f"Plugin initiator on {url}", "unknown", "not read (--offline)", "mpesa-agent status"),
        ]
    if not health.ok:
        return [
            Check(
                reach_id,
                f"Site {url}",
                "problem",
                health.problem or "the site did not answer as expected",
                health.hint or f"mpesa-agent link-site {url} --force",
                problem_exit=ExitStatus.SITE,
            )
        ]
    checks = [
        Check(reach_id, f"Site {url}", "ok", f"plugin {health.plugin or '?'} answers", problem_exit=ExitStatus.SITE)
    ]
    if health.initiator_matches is True:
        checks.append(Check(init_id, f"Plugin initiator on {url}", "ok", "the plugin holds the vault's API operator"))
    elif health.initiator_matches is False:
        checks.append(
            Check(
                init_id,
                f"Plugin initiator on {url}",
                "attention",
                "the plugin's initiator settings differ from the vault's API operator",
                "mpesa-agent push",
            )
        )
    else:
        checks.append(
            Check(
                init_id,
                f"Plugin initiator on {url}",
                "unknown",
                "not compared: the profile has no API operator",
                "mpesa-agent setup",
            )
        )
    return checks


def plugin_check(ctx: Context, site: Any) -> Check:
    """Whether the site's WooCommerce answers and has the M-PESA gateway the link names (one GET): a deactivated
    WooCommerce or Osen plugin is a problem (exit 7), whatever the application password's health."""
    from agent.workflows import sites as sites_workflow
    from agent.workflows.edge import site_errors
    from wp_bridge import gateway

    link = site.link
    cid, title = f"site.plugin:{link.url}", f"M-PESA plugin on {link.url}"
    if not site.checked:
        return Check(cid, title, "unknown", "not read (--offline)", "run the same command without --offline")
    try:
        with site_errors():
            client = sites_workflow.client_for(link, ctx.vault)
            gateway.read_gateway(client, link.gateway_id)
    except AgentError as exc:
        return Check(cid, title, "problem", exc.message, exc.hint or "", problem_exit=ExitStatus.SITE)
    return Check(cid, title, "ok", f"WooCommerce answers; gateway {link.gateway_id} ({link.plugin_name}) is there")


def sites_checks(ctx: Context, *, check: bool = True) -> list[tuple[Any, list[Check]]]:
    """``sites``: each linked site with its health and plugin checks (the same ones ``status`` uses)."""
    from agent.workflows import sites as sites_workflow
    from agent.workflows.checks import site_health_check

    out: list[tuple[Any, list[Check]]] = []
    for site in sites_workflow.list_sites(ctx, check=check):
        checks = [site_health_check(site)]
        if not site.checked or site.ok:
            checks.append(plugin_check(ctx, site))
        out.append((site, checks))
    return out


def _journal_rotation_check(ctx: Context, short_code: str, so_far: list[Check]) -> list[Check]:
    """A rotation the journal says is in flight (e.g. alternating after the switch: nothing pending in the vault),
    unless a staged password already said so."""
    from agent.workflows.rotation.record import start_record

    if any(c.id.startswith("rotation.") for c in so_far):
        return []
    start = start_record(ctx.journal(f"rotate-{short_code}"))
    if start is None:
        return []
    operator = "web" if start.get("operator") == "web" else "api"
    return [
        Check(
            f"rotation.{operator}",
            f"Rotation of {start.get('username', '?')}",
            "attention",
            f"a {start.get('strategy', '')} rotation (id {start.get('rotation', '?')}) was started and not finished",
            "mpesa-agent rotate --resume",
        )
    ]


def _vault_check(ctx: Context) -> tuple[Check, bool]:
    try:
        vault = ctx.vault
        kind = ": forgotten when this process ends" if vault.ephemeral else " (OS keyring)"
        return Check("vault", "Vault", "ok", f"{vault.backend_name}{kind}"), True
    except KeyringError as exc:
        return Check("vault", "Vault", "problem", exc.message, exc.hint or "", problem_exit=ExitStatus.AUTH), False


def collect_status(
    ctx: Context, profile_name: str | None = None, *, check_sites: bool = True, doctor: bool = False
) -> StatusReport:
    """What ``status`` shows (see the module docstring); ``profile_name`` None: the default profile. ``doctor``
    adds the go-live checks of every linked site, HTTPS and permalinks. A command writing the profile is waited
    for briefly (a reader's lock), so status never reads a half-written vault item."""
    with ctx.lock(profile_name, "doctor" if doctor else "status", shared=True):
        return _collect_status(ctx, profile_name, check_sites=check_sites, doctor=doctor)


def _collect_status(ctx: Context, profile_name: str | None, *, check_sites: bool, doctor: bool) -> StatusReport:
    from agent.workflows import sites as sites_workflow

    vault_check, vault_ok = _vault_check(ctx)
    checks = [vault_check]
    if not vault_ok:
        return StatusReport(None, "unavailable", False, [], [], checks, doctor)
    vault = ctx.vault
    profile = ctx.find_profile(profile_name)
    short_code = profile.short_code if profile else None
    max_age = ctx.settings.password_max_age_days
    operators: list[OperatorStatus] = []
    if profile is None:
        checks.append(
            Check(
                "profile",
                "Profile",
                "attention",
                f"nothing set up yet: no profile {profile_name or '(default)'} in {ctx.config.path}",
                "mpesa-agent config init, then mpesa-agent setup",
            )
        )
    else:
        checks.append(Check("profile", "Profile", "ok", f"short code {profile.short_code} (profile {profile.key})"))
        seen = {
            **_last_seen(ctx.journal(f"setup-{profile.short_code}")),
            **_rotated_seen(ctx, profile.short_code),
        }
        for kind, username in (("web", profile.web_username), ("api", profile.api_username)):
            if not username:
                checks.append(
                    Check(
                        f"operator.{kind}",
                        f"{'Web' if kind == 'web' else 'API'} operator",
                        "attention",
                        f"operator unknown: the profile has no {kind}_operator.username",
                        "mpesa-agent setup",
                    )
                )
                continue
            op = operator_status(vault, profile.short_code, kind, username, seen, max_age, now=ctx.now())
            operators.append(op)
            checks.extend(operator_checks(op))
        checks.extend(_journal_rotation_check(ctx, profile.short_code, checks))
    listed = sites_workflow.list_sites(ctx, check=check_sites)
    health = [_site_health(ctx, site, short_code, profile.key if profile else None, check_sites) for site in listed]
    if not health:
        checks.append(
            Check(
                "sites",
                "Linked sites",
                "attention",
                "no linked site",
                "mpesa-agent link-site https://your-shop.example",
            )
        )
    for site, item in zip(listed, health, strict=True):
        checks.extend(site_checks(item, offline=not check_sites))
        if site.checked and item.ok and item.initiator_matches is None:
            checks.append(plugin_check(ctx, site))  # no push compared the plugin: read it at least
    if doctor:
        for site in listed:
            checks.extend(doctor_site_checks(ctx, profile, site, offline=not check_sites))
    return StatusReport(short_code, vault.backend_name, vault.ephemeral, operators, health, checks, doctor)


def doctor_site_checks(ctx: Context, profile: Profile | None, site: Any, *, offline: bool) -> list[Check]:
    """What ``doctor`` adds for one linked site: HTTPS, permalinks not Plain, and the go-live checks (plugin short
    code / store number / identifier type / environment against the profile, the Daraja token, the initiator)."""
    from agent.golive.daraja import is_loopback_url
    from agent.workflows.golive import golive_checks

    url = site.link.url
    checks: list[Check] = []
    if url.startswith("https://"):
        checks.append(Check(f"site.https:{url}", f"HTTPS on {url}", "ok", "the site is reached over HTTPS"))
    elif is_loopback_url(url):
        checks.append(Check(f"site.https:{url}", f"HTTPS on {url}", "ok", "plain HTTP on this computer (sandbox)"))
    else:
        checks.append(
            Check(
                f"site.https:{url}",
                f"HTTPS on {url}",
                "problem",
                "the site is reached over plain HTTP: the application password crosses the network readable",
                "enable HTTPS on the site, then mpesa-agent link-site "
                + url.replace("http://", "https://", 1)
                + " --force",
                problem_exit=ExitStatus.SITE,
            )
        )
    if site.link.url_style == "query":
        checks.append(
            Check(
                f"site.permalinks:{url}",
                f"Permalinks on {url}",
                "attention",
                "WordPress permalinks are Plain: Daraja's callbacks to the plugin may not arrive",
                "in wp-admin, Settings > Permalinks: choose Post name",
            )
        )
    else:
        checks.append(
            Check(f"site.permalinks:{url}", f"Permalinks on {url}", "ok", f"REST API at {site.link.api_root}")
        )
    if profile is None:
        checks.append(
            Check(
                f"golive:{url}",
                f"Go-live checks on {url}",
                "unknown",
                "no profile to compare the plugin with",
                "mpesa-agent setup",
            )
        )
        return checks
    for finding in golive_checks(ctx, profile.key, url, offline=offline):
        checks.append(from_finding(finding, url))
    return checks
