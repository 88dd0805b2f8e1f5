"""``mpesa-agent rotate`` (and the rotation side of ``rollback`` and ``status``): replace an operator's password
without ever losing a working credential. No click here: a ``RotateRequest`` goes in, a ``RotateResult`` comes out
(``as_dict()`` for ``--json``), progress goes to an ``agent.workflows.progress.Reporter``.

What is rotated
---------------
* ``--operator api`` (default): the API operator, the Daraja initiator the shop's plugin uses.
* ``--operator web``: the web operator that sets the API operator's password. No plugin uses it.
* ``--site-credentials``: the WordPress application password of each linked site (``sites.rotate_site_credentials``).

Strategies for the API operator
-------------------------------
``single`` (the default): as the web operator, Set Password on the same API operator, then push the new password
to every linked site whose plugin uses that operator. Between Set Password and the end of the push (seconds) the
plugin holds a password the portal no longer takes: a reversal or status query in that window fails (2001). Taking
payments does not use the initiator (STK push uses the passkey), so the shop keeps selling.

``alternating``: the Business Administrator creates a second API operator with the same roles and a derived user
name (``mamaapi`` → ``mamaapi2`` → ``mamaapi3``: a Closed operator's user name stays taken on the portal, so the
name cannot alternate back), the web operator sets its password, the plugin is switched to it and read back, and
only then the Business Administrator closes the old one. The old initiator works until the new one is in place.

Why ``single`` is the default: it needs only the web operator (every login needs an OTP on that person's phone;
alternating also needs the Business Administrator, often another person, twice); it leaves no Closed operator and
no used-up user name behind on every rotation (an unattended 60-day timer would pile them up); it works where the
organisation's operator creation goes through maker-checker approval; and its window is made small and safe: every
site is read before the portal is touched (a site that is down stops the rotation with nothing changed), and a push
that still fails is finished by ``--resume``. Choose ``alternating`` when payouts or reversals run all the time and
even seconds without a working initiator matter.

The web operator's password is changed by the web operator itself: in My Preference (Change Password) when the
portal offers it, or on the change screen the portal forces at login once the password has expired.

Never losing a credential
-------------------------
Every new password is generated and stored in the vault as *pending* (with the rotation id in its note) and the
intent is journalled before the portal sees it; it becomes *current* (the old one *previous*) once the portal has
it. A run that stops anywhere leaves the journal ``rotate-<short code>`` (no secrets) saying which steps are done;
``--resume`` finishes the others, checking the portal where an answer was lost (an API password is set again,
the same one; for the web operator the pending password is tried first and the current one after it, so at most
one login is refused, and the next good login resets the portal's count). Only one rotation per organisation is in
flight: a new one is refused with ``ConflictError`` (exit 8) until it is resumed or abandoned. ``--abandon`` is
allowed while the credential in use is untouched (single/web: before Set Password or the change was submitted;
alternating: before the plugin was switched); later, only ``--resume`` (or, for alternating before the old
operator is closed, ``mpesa-agent rollback``) is possible, because the previous password may no longer work.

When a step fails (documented states)
-------------------------------------
* A site cannot be read before the portal change: nothing changed, the rotation is not started (exit 7).
* Set Password gets no answer (an error page after the change): it is set again once with the same password; the
  status of a new operator tells whether it took.
* The push fails or the site stores something else (read-back, exit 5): single: the portal and the vault already
  have the new password, the plugin does not: ``--resume`` pushes again (the old password no longer works, so no
  snapshot is restored). Alternating: every site that no longer holds the old operator's working credential gets
  its snapshot back, the configuration names the old operator again, and ``--resume`` switches again.

Checkpoints (``agent.journal.checkpoint``, the crash tests' SIGKILL points), in order:
``rotate:started``, ``rotate:alt:named``, ``rotate:alt:after-create``, ``rotate:alt:created``, ``rotate:staged``,
``rotate:api:after-set`` / ``rotate:web:after-change``, ``rotate:promoted``, ``rotate:alt:switching``,
``rotate:pushed``, ``rotate:alt:after-close``, ``rotate:alt:closed``, ``rotate:verified``.

Expiry: ``password_ages`` gives each operator's password age and the days left of the portal's 90 days, from the
vault's ``current`` timestamp; ``rotate --if-older-than 60d`` does nothing (exit 0) while the password is younger.
For a timer, ``rotate --resume --if-older-than 60d`` finishes a rotation left in flight, else starts one when due.
A run that fails before anything was submitted to the portal or the shop ends its rotation (nothing to resume).
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import logging
import re
import uuid
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, TypeVar

from agent import passwords, settings
from agent.errors import (
    AgentError,
    AuthError,
    ConflictError,
    PortalChangedError,
    PortalError,
    SiteError,
    UsageError,
    VerificationError,
)
from agent.journal import Journal, checkpoint
from agent.secret import Secret
from agent.vault import CredentialRef, Vault
from agent.workflows.progress import RecordingReporter, Reporter

if TYPE_CHECKING:
    from agent.portal.flows import OperatorRow, Portal
    from agent.portal.human import HumanInput
    from agent.workflows.plan import OperatorPlan, SetupPlan

log = logging.getLogger(__name__)
T = TypeVar("T")

OPERATORS = ("api", "web")
STRATEGIES = ("single", "alternating")
DEFAULT_STRATEGY = "single"
PASSWORD_MAX_AGE_DAYS = 90
ACTIVE = "Active"
PENDING_ACTIVE = "Pending Active"
CLOSED = "Closed"
USERNAME_MAX = 15  # the portal: "less than 16 characters"
CHECKPOINTS: tuple[str, ...] = (
    "rotate:started",
    "rotate:alt:named",
    "rotate:alt:after-create",
    "rotate:alt:created",
    "rotate:staged",
    "rotate:api:after-set",
    "rotate:web:after-change",
    "rotate:promoted",
    "rotate:alt:switching",
    "rotate:pushed",
    "rotate:alt:after-close",
    "rotate:alt:closed",
    "rotate:verified",
)

PasswordSource = Callable[[str], Secret]


# ---------------------------------------------------------------------------------------------------------------
# requests and results


@dataclasses.dataclass(frozen=True)
class RotateRequest:
    """What ``mpesa-agent rotate`` was asked to do (no secrets). ``operator``/``strategy`` None = the default (or,
    with ``resume``, what the rotation in flight uses)."""

    profile: str | None = None
    operator: str | None = None  # "api" | "web"
    strategy: str | None = None  # "single" | "alternating" (API operator only)
    resume: bool = False
    abandon: bool = False
    if_older_than: str | int | None = None  # "60d", "8w" or a number of days
    site_credentials: bool = False
    site: str | None = None  # with site_credentials: only this linked site
    portal_url: str | None = None
    ui: str | None = None
    headless: bool | None = None


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

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclasses.dataclass(frozen=True)
class PasswordAge:
    """How old an operator's password is (from the vault's ``current`` version) and when the portal expires it."""

    profile: str
    kind: str  # "web" | "api"
    username: str
    set_at: dt.datetime | None
    age_days: int | None
    expires_in_days: int | None  # negative: expired that many days ago
    max_age_days: int
    pending: bool  # a new password is staged (a rotation or setup is in flight)

    @property
    def expired(self) -> bool:
        return self.expires_in_days is not None and self.expires_in_days < 0

    def due(self, older_than_days: int) -> bool:
        """True when the password is at least ``older_than_days`` old (or its age is unknown)."""
        return self.age_days is None or self.age_days >= older_than_days

    def as_dict(self) -> dict[str, Any]:
        return {
            "profile": self.profile,
            "kind": self.kind,
            "username": self.username,
            "set_at": self.set_at.isoformat(timespec="seconds") if self.set_at else None,
            "age_days": self.age_days,
            "expires_in_days": self.expires_in_days,
            "max_age_days": self.max_age_days,
            "expired": self.expired,
            "pending": self.pending,
        }


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

    def as_dict(self) -> dict[str, Any]:
        return {**dataclasses.asdict(self), "ok": self.ok}


# ---------------------------------------------------------------------------------------------------------------
# small pure helpers


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


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _same(a: str | None, b: str | None) -> bool:
    import hmac

    return a is not None and b is not None and hmac.compare_digest(a.encode(), b.encode())


# ---------------------------------------------------------------------------------------------------------------
# configuration, plan and vault references


@dataclasses.dataclass
class _Setting:
    profile_key: str  # the profile's key in the configuration file
    plan: SetupPlan
    merged: dict[str, Any]

    @property
    def short_code(self) -> str:
        return self.plan.profile

    def ref(self, kind: str, name: str) -> CredentialRef:
        return CredentialRef(self.short_code, kind, name)

    @property
    def web_ref(self) -> CredentialRef:
        return self.ref("web-operator", self.plan.web.username)

    @property
    def admin_ref(self) -> CredentialRef:
        return self.ref("admin", self.plan.admin_username)

    def api_ref(self, username: str) -> CredentialRef:
        return self.ref("api-operator", username)


def _load(request: RotateRequest) -> _Setting:
    from agent.workflows.setup import SetupRequest, make_plan

    cfg = settings.load_config()
    key = request.profile or cfg.default_profile_name()
    if not key or key not in cfg.profiles:
        known = ", ".join(cfg.profiles) or "none"
        raise UsageError(
            f"No profile {key or '(default)'} in the configuration (profiles: {known}).",
            hint="Pass --profile with your short code, or set default_profile in the configuration file.",
        )
    plan, merged = make_plan(
        SetupRequest(
            profile=key,
            overrides={},
            portal_url=request.portal_url,
            ui=request.ui,
            headless=request.headless,
            interactive=False,
        ),
        None,
    )
    return _Setting(key, plan, merged)


def _set_profile_api_username(profile_key: str, username: str, *, retire: str | None = None) -> None:
    """Name ``username`` as the profile's API operator (what ``push`` and ``setup`` use); remember closed ones."""
    cfg = settings.load_config()
    profile = dict(cfg.profiles.get(profile_key, {}))
    api = dict(profile.get("api_operator") or {})
    api["username"] = username
    if retire:
        retired = [str(r) for r in api.get("retired", []) if str(r) != retire]
        api["retired"] = [*retired, retire]
    profile["api_operator"] = api
    cfg.set_profile(profile_key, profile)
    cfg.save()


def _retired(profile_key: str) -> list[str]:
    cfg = settings.load_config()
    api = cfg.profiles.get(profile_key, {}).get("api_operator") or {}
    return [str(r) for r in api.get("retired", [])] if isinstance(api, dict) else []


# ---------------------------------------------------------------------------------------------------------------
# the linked sites (read-only helpers; writes go through agent.workflows.sites)


def _site_values(url: str, vault: Vault) -> tuple[str | None, str | None]:
    """(initiator user name, initiator password) the site's M-PESA plugin holds now: one GET."""
    from agent.workflows import sites
    from wp_bridge import errors as wp_errors
    from wp_bridge import gateway
    from wp_bridge.client import Credentials, WPClient
    from wp_bridge.plugins import require_supported
    from wp_bridge.urls import ApiRoot

    cfg = settings.load_config()
    data = cfg.sites.get(url)
    if data is None:
        raise UsageError(f"{url} is not linked any more.", hint="Link it again: mpesa-agent link-site " + url)
    link = sites.SiteLink.from_config(url, dict(data))
    secret = vault.require(sites.app_password_ref(url))
    try:
        with WPClient(
            ApiRoot.from_url(link.api_root),
            user_agent=sites.USER_AGENT,
            credentials=Credentials(link.username, secret.reveal()),
        ) as client:
            state = gateway.read_gateway(client, link.gateway_id)
            adapter = require_supported(link.gateway_id, state.keys, site=url)
    except wp_errors.WPBridgeError as exc:
        raise _agent_error(exc) from None
    user = state.settings.get(adapter.field("initiator_username").key)
    secret_setting = state.settings.get(adapter.field("initiator_password").key)
    return (
        str(user.value) if user is not None and user.value is not None else None,
        str(secret_setting.value) if secret_setting is not None and secret_setting.value is not None else None,
    )


def _snapshot_values(url: str, vault: Vault) -> tuple[str | None, str | None] | None:
    """(initiator user name, password) in the site's rollback snapshot, or None when there is none."""
    from agent.workflows import sites
    from wp_bridge import errors as wp_errors
    from wp_bridge.gateway import GatewaySnapshot
    from wp_bridge.plugins import load_adapters

    stored = vault.get(sites.snapshot_ref(url))
    if stored is None:
        return None
    try:
        snapshot = GatewaySnapshot.from_json(stored.reveal())
    except wp_errors.WPBridgeError:
        return None
    adapter = next((a for a in load_adapters() if a.id == snapshot.plugin_id), None)
    if adapter is None:
        return None
    user = snapshot.values.get(adapter.field("initiator_username").key)
    secret = snapshot.values.get(adapter.field("initiator_password").key)
    return (None if user is None else str(user), None if secret is None else str(secret))


def _agent_error(exc: Exception) -> AgentError:
    from agent.errors import AuthError as _Auth
    from wp_bridge import errors as wp_errors

    if isinstance(exc, AgentError):
        return exc
    if isinstance(exc, wp_errors.WPBridgeError):
        cls: type[AgentError] = {"auth": _Auth, "verify": VerificationError}.get(exc.kind, SiteError)
        return cls(exc.message, hint=exc.hint)
    return SiteError(str(exc))


def _like(exc: AgentError, message: str, hint: str) -> AgentError:
    """An error of the same class (so the same exit status) with a rotation-level message and hint."""
    try:
        new = type(exc)(message, hint=hint)
    except TypeError:  # e.g. PushFailedError takes more arguments
        new = SiteError(message, hint=hint)
        new.exit_status = exc.exit_status
    return new


# ---------------------------------------------------------------------------------------------------------------
# expiry awareness (for `status` and --if-older-than)


def password_ages(
    profile: str | None = None, *, vault: Vault, now: dt.datetime | None = None, max_age_days: int | None = None
) -> list[PasswordAge]:
    """Each operator's password age and the days left before the portal's expiry (default 90 days, or the
    ``password_max_age_days`` setting), from the ``current`` version in the vault. No portal or network access.

    ``profile`` None: every profile in the configuration. Operators whose password is not in the vault are listed
    with ``set_at`` None.
    """
    cfg = settings.load_config()
    limit = int(max_age_days or cfg.settings.get("password_max_age_days") or PASSWORD_MAX_AGE_DAYS)
    moment = now or _now()
    keys = [profile] if profile else list(cfg.profiles)
    out: list[PasswordAge] = []
    for key in keys:
        prof = cfg.profile(key)
        if not prof:
            if profile:
                raise UsageError(f"No profile {profile} in the configuration.")
            continue
        short = str(prof.get("short_code") or key)
        for kind, section, vault_kind in (
            ("web", "web_operator", "web-operator"),
            ("api", "api_operator", "api-operator"),
        ):
            part = prof.get(section) or {}
            username = str(part.get("username") or "") if isinstance(part, dict) else ""
            if not username:
                continue
            info = vault.info(CredentialRef(short, vault_kind, username))
            current = info.get("current")
            set_at = current.created_at if current else None
            age = (moment - set_at).days if set_at else None
            out.append(
                PasswordAge(
                    profile=short,
                    kind=kind,
                    username=username,
                    set_at=set_at,
                    age_days=age,
                    expires_in_days=None if age is None else limit - age,
                    max_age_days=limit,
                    pending="pending" in info,
                )
            )
    return out


def rotation_in_flight(profile: str | None = None) -> dict[str, Any] | None:
    """The rotation in flight for ``profile`` (its start record and each step's last event), or None. For ``status``."""
    cfg = settings.load_config()
    key = profile or cfg.default_profile_name()
    prof = cfg.profile(key)
    short = str(prof.get("short_code") or key or "")
    if not short:
        return None
    journal = Journal(f"rotate-{short}")
    start = _start_record(journal)
    if start is None:
        return None
    return {**start, "steps": journal.steps(), "journal": str(journal.path)}


# ---------------------------------------------------------------------------------------------------------------
# the journal


def _start_record(journal: Journal) -> dict[str, Any] | None:
    start = None
    for entry in journal.entries():
        if entry.get("step") == "rotate" and entry.get("event") == "start" and start is None:
            start = dict(entry.get("detail") or {})
        if entry.get("step") == "rotate" and entry.get("event") == "finish":
            return None
    return start


def _detail(journal: Journal, step: str, key: str) -> Any:
    value = None
    for entry in journal.entries():
        if entry.get("step") == step and key in (entry.get("detail") or {}):
            value = entry["detail"][key]
    return value


def _submitted(journal: Journal, step: str) -> bool:
    """Whether ``step``'s change was (or may have been) submitted: an intent not followed by a "not submitted" note."""
    flag = False
    for entry in journal.entries():
        if entry.get("step") != step:
            continue
        if entry.get("event") == "intent":
            flag = True
        elif entry.get("event") == "note" and (entry.get("detail") or {}).get("submitted") is False:
            flag = False
    return flag


def _explain(start: dict[str, Any], journal: Journal) -> str:
    steps = journal.steps()
    done = [s for s, e in steps.items() if e == "done" and s != "rotate"]
    open_ = [f"{s} ({e})" for s, e in steps.items() if e in ("intent", "failed") and s != "rotate"]
    text = (
        f"A rotation of the {start.get('operator')} operator {start.get('username')} "
        f"({start.get('strategy')}) is in flight"
    )
    if done:
        text += f"; done: {', '.join(done)}"
    if open_:
        text += f"; unfinished: {', '.join(open_)}"
    return text + "."


def _conflict(start: dict[str, Any], journal: Journal) -> ConflictError:
    return ConflictError(
        _explain(start, journal) + " A new rotation is refused until it is finished.",
        hint="Run 'mpesa-agent rotate --resume' to finish it (it re-checks the portal and continues), or "
        "'mpesa-agent rotate --abandon' to drop it while the credential in use is still untouched. The journal: "
        f"{journal.path}",
    )


# ---------------------------------------------------------------------------------------------------------------
# the run


class _Rotation:
    """One run (fresh or resumed) of a rotation described by its journal start record."""

    def __init__(
        self,
        setting: _Setting,
        start: dict[str, Any],
        journal: Journal,
        vault: Vault,
        reporter: Reporter,
        human: HumanInput,
        admin_password: PasswordSource | None,
        stack: contextlib.ExitStack,
    ) -> None:
        self.setting = setting
        self.plan = setting.plan
        self.start = start
        self.rid = str(start["rotation"])
        self.kind = str(start["operator"])
        self.strategy = str(start["strategy"])
        self.old = str(start["username"])
        self.sites: list[str] = [str(s) for s in start.get("sites", [])]
        self.journal = journal
        self.vault = vault
        self.reporter = reporter
        self.human = human
        self.admin_password_source = admin_password
        self.stack = stack
        self._portal: Portal | None = None
        self.warnings: list[str] = []
        self.site_report: list[dict[str, Any]] = []

    # -- plumbing ----------------------------------------------------------------------------------------------
    @property
    def portal(self) -> Portal:
        if self._portal is None:
            from agent.portal.session import PortalOptions, portal_session

            merged = self.setting.merged
            options = PortalOptions(
                url=self.plan.portal_url,
                ui=str(merged["ui"]),
                headless=bool(merged["headless"]),
                timeout_ms=int(merged["timeout_ms"]),
                human_timeout_s=int(merged["human_timeout_s"]),
            )
            self._portal = self.stack.enter_context(portal_session(options, self.human))
        return self._portal

    @contextlib.contextmanager
    def step(self, key: str, title: str) -> Iterator[None]:
        self.reporter.start(key, title)
        try:
            yield
        except AgentError as exc:
            self.journal.failed(key, error=type(exc).__name__)
            self.reporter.finish(key, "failed", exc.message)
            raise

    def skip(self, key: str, title: str, detail: str) -> None:
        self.reporter.start(key, title)
        self.reporter.finish(key, "skipped", detail)

    def ours(self, note: str) -> bool:
        return f"rotation {self.rid}" in note

    def note(self, text: str) -> str:
        return f"rotation {self.rid}: {text}"[:200]

    def relogin_on_expiry(self, action: Callable[[], T], relogin: Callable[[], None]) -> T:
        try:
            return action()
        except (PortalChangedError, PortalError):
            if not self.portal.session_expired():
                raise
            self.reporter.info("The portal session expired; logging in again.")
            relogin()
            return action()

    # -- logins ------------------------------------------------------------------------------------------------
    def login_web(self, password: Secret | None = None) -> None:
        from agent.portal.flows import LoginResult

        username = self.plan.web.username
        if password is None and self.portal.logged_in_as == username:
            return
        self.portal.logout()
        secret = password or self.vault.require(self.setting.web_ref)
        result = self.portal.login(self.plan.profile, username, secret, purpose="web operator login")
        if result is LoginResult.FIRST_LOGIN:
            raise PortalError(
                f"The portal asks the web operator {username} for a new password (it has expired).",
                hint="Rotate it first: mpesa-agent rotate --operator web; then run this command again.",
            )

    def login_admin(self) -> None:
        from agent.portal.flows import LoginResult

        username = self.plan.admin_username
        if self.portal.logged_in_as == username:
            return
        stored = self.vault.get(self.setting.admin_ref)
        if stored is not None:
            password = stored
        elif self.admin_password_source is not None:
            password = self.admin_password_source(f"Password of the Business Administrator {username}")
        else:
            password = self.vault.require(self.setting.admin_ref)  # raises, saying how to store it
        self.portal.logout()
        result = self.portal.login(self.plan.profile, username, password, purpose="Business Administrator login")
        if result is LoginResult.FIRST_LOGIN:
            raise AuthError(
                "The Business Administrator must change its password before the agent can work.",
                hint="Log in once at the portal yourself to set it, then run the command again.",
            )
        if stored is None:
            self.vault.set_current(self.setting.admin_ref, password, note="accepted by the portal at login")

    def find(self, username: str, relogin: Callable[[], None]) -> OperatorRow | None:
        return self.relogin_on_expiry(lambda: self.portal.find_operator(username), relogin)

    # -- common steps ------------------------------------------------------------------------------------------
    def stage(self, ref: CredentialRef) -> None:
        """A generated password becomes the pending version of ``ref`` (once; a resume keeps the same one)."""
        if self.journal.is_done("stage"):
            self.skip("stage", "Generate the new password", "already staged")
            return
        with self.step("stage", f"Generate a new password for {ref.name} and keep it as pending in the vault"):
            info = self.vault.info(ref)
            pending = info.get("pending")
            current = info.get("current")
            if pending is not None and not self.ours(pending.note):
                raise ConflictError(
                    f"The vault holds a pending password for {ref.name} that this rotation did not make "
                    f"({pending.note or 'no note'}).",
                    hint="Finish the operation that staged it (e.g. mpesa-agent setup), then rotate.",
                )
            if pending is None and not (current is not None and self.ours(current.note)):
                self.vault.stage(ref, passwords.generate_password(), note=self.note("new password, staged"))
            self.journal.done("stage", username=ref.name)
            self.reporter.finish("stage", "ok", f"pending in {self.vault.backend_name}")
        checkpoint("rotate:staged")

    def new_password(self, ref: CredentialRef) -> Secret:
        """The password this rotation sets: the pending one, or (after promotion) the current one."""
        pending = self.vault.get(ref, "pending")
        if pending is not None:
            return pending
        current = self.vault.info(ref).get("current")
        if current is not None and self.ours(current.note):
            return self.vault.require(ref)
        raise VerificationError(
            f"The new password of {ref.name} is no longer in the vault (neither pending nor current).",
            hint="Nothing was set on the portal with it yet. Run 'mpesa-agent rotate --abandon', then rotate again.",
        )

    def set_api_password(self, username: str, ref: CredentialRef, before: str) -> None:
        """Set Password (as the web operator) on ``username`` with the pending password; ``before``: its status
        before this rotation touched it (a Pending Active operator turning Active proves that a lost answer took)."""
        if self.journal.is_done("portal-set"):
            self.skip("portal-set", f"Set Password on {username}", "already set")
            return
        with self.step("portal-set", f"Set Password on {username} (as {self.plan.web.username})"):
            new = self.new_password(ref)
            self.login_web()
            self.journal.intent("portal-set", username=username)
            try:
                self.relogin_on_expiry(lambda: self.portal.set_api_password(username, new), self.login_web)
            except PortalError as exc:
                row = self.find(username, self.login_web)
                if before == PENDING_ACTIVE and row is not None and row.status == ACTIVE:
                    log.info("Set Password for %s: no answer, but the operator is Active: it took", username)
                else:
                    # An error page after Submit: the change may or may not have been made. The same password again
                    # makes the portal and the vault agree either way.
                    self.reporter.info(f"No answer to Set Password ({exc.message}); setting the same password again.")
                    self.relogin_on_expiry(lambda: self.portal.set_api_password(username, new), self.login_web)
            checkpoint("rotate:api:after-set")
            row = self.find(username, self.login_web)
            if row is None or row.status != ACTIVE:
                raise VerificationError(
                    f"After Set Password the API operator {username} is {row.status if row else 'not listed'}, "
                    "not Active.",
                    hint="Run 'mpesa-agent rotate --resume': the new password is kept as pending and is set again.",
                )
            self.journal.done("portal-set", username=username, status=row.status)
            self.reporter.finish("portal-set", "ok", f"{username} is Active with the new password")

    def promote(self, ref: CredentialRef) -> None:
        if self.journal.is_done("promote"):
            self.skip("promote", "Make the new password current", "already current")
            return
        with self.step("promote", f"Make the new password of {ref.name} current (the old one stays as previous)"):
            info = self.vault.info(ref)
            pending = info.get("pending")
            if pending is not None:
                if not self.ours(pending.note):
                    raise ConflictError(f"The pending password of {ref.name} is not this rotation's.")
                self.vault.promote(ref)
            elif not (info.get("current") is not None and self.ours(info["current"].note)):
                raise VerificationError(f"The new password of {ref.name} is missing from the vault.")
            self.journal.done("promote", username=ref.name)
            self.reporter.finish("promote", "ok", "current in the vault; the old one is kept as previous")
        checkpoint("rotate:promoted")

    def push_all(self, username: str, password: Secret) -> list[tuple[str, AgentError]]:
        """Push the profile's API operator (now ``username``) to every target site; returns the failures."""
        from agent.workflows import sites

        failures: list[tuple[str, AgentError]] = []
        for url in self.sites:
            key = f"push:{url}"
            if self.journal.is_done(key):
                self.site_report.append({"url": url, "status": "updated", "username": username})
                continue
            try:
                sites.push(self.setting.profile_key, site=url, vault=self.vault, reporter=self.reporter)
            except AgentError as exc:
                self.journal.failed(key, error=type(exc).__name__)
                failures.append((url, exc))
                self.site_report.append({"url": url, "status": "failed", "problem": exc.message})
                continue
            except Exception as exc:  # noqa: BLE001 - a wp_bridge error that push did not translate
                error = _agent_error(exc)
                self.journal.failed(key, error=type(error).__name__)
                failures.append((url, error))
                self.site_report.append({"url": url, "status": "failed", "problem": error.message})
                continue
            self.journal.done(key, username=username)
            self.site_report.append({"url": url, "status": "updated", "username": username})
        return failures

    def verify_sites(self, username: str, password: Secret) -> None:
        wrong = []
        for url in self.sites:
            user, secret = _site_values(url, self.vault)
            if user != username or not _same(secret, password.reveal()):
                wrong.append(url)
        if wrong:
            raise VerificationError(
                f"The M-PESA plugin of {', '.join(wrong)} does not hold {username} with its current password.",
                hint="Run 'mpesa-agent rotate --resume' to push it again; check the plugin settings in wp-admin if "
                "it keeps failing.",
            )

    def finish(self, **detail: Any) -> None:
        self.journal.record("rotate", "finish", **detail)
        self.journal.archive()

    # -- single (API) ------------------------------------------------------------------------------------------
    def run_single(self) -> RotateResult:
        username = self.old
        ref = self.setting.api_ref(username)
        self.stage(ref)
        self.set_api_password(username, ref, before=ACTIVE)
        self.promote(ref)
        new = self.vault.require(ref)
        if self.journal.is_done("push") or not self.sites:
            self.skip("push", "Push the new password to the shop", "done" if self.sites else "no site uses it")
        else:
            with self.step("push", f"Push {username}'s new password to {len(self.sites)} site(s)"):
                failures = self.push_all(username, new)
                if failures:
                    first = failures[0][1]
                    raise _like(
                        first,
                        f"The new password of {username} is set on the portal and is the current one in the vault, "
                        f"but {', '.join(u for u, _ in failures)} could not be updated: {first.message}",
                        "The plugin still has the old password, which the portal no longer takes (reversals and "
                        "status queries fail until it is fixed; payments are not affected). Fix the site, then run "
                        "'mpesa-agent rotate --resume'.",
                    )
                self.journal.done("push")
                self.reporter.finish("push", "ok", ", ".join(self.sites))
            checkpoint("rotate:pushed")
        with self.step("verify", "Read back the portal and the plugin"):
            self.login_web()
            row = self.find(username, self.login_web)
            if row is None or row.status != ACTIVE:
                raise VerificationError(f"The API operator {username} is {row.status if row else 'not listed'}.")
            self.verify_sites(username, new)
            self.journal.done("verify")
            self.reporter.finish("verify", "ok", f"{username} Active; plugin(s) hold the new password")
        checkpoint("rotate:verified")
        self.finish(username=username)
        return self.result(username, f"The API operator {username} has a new password, in the vault and the plugin.")

    # -- alternating (API) -------------------------------------------------------------------------------------
    def run_alternating(self) -> RotateResult:
        old = self.old
        new_name = self.choose_name()
        self.create(new_name)
        ref = self.setting.api_ref(new_name)
        self.stage(ref)
        self.set_api_password(new_name, ref, before=PENDING_ACTIVE)
        self.promote(ref)
        self.switch(old, new_name)
        self.close_old(old, new_name)
        with self.step("verify", "Read back the portal and the plugin"):
            self.login_admin()
            fresh = self.find(new_name, self.login_admin)
            gone = self.find(old, self.login_admin)
            if fresh is None or fresh.status != ACTIVE:
                raise VerificationError(f"The new API operator {new_name} is {fresh.status if fresh else 'missing'}.")
            if gone is None or gone.status != CLOSED:
                raise VerificationError(f"The old API operator {old} is {gone.status if gone else 'missing'}.")
            self.verify_sites(new_name, self.vault.require(ref))
            self.journal.done("verify")
            self.reporter.finish("verify", "ok", f"{new_name} Active, {old} Closed; plugin(s) use {new_name}")
        checkpoint("rotate:verified")
        self.finish(username=new_name)
        result = self.result(new_name, f"The shop now uses the API operator {new_name}; {old} is closed.")
        result.closed = [old]
        return result

    def choose_name(self) -> str:
        chosen = _detail(self.journal, "alt-name", "username")
        if self.journal.is_done("alt-name") and chosen:
            self.skip("alt-name", "Choose the new API operator's user name", str(chosen))
            return str(chosen)
        with self.step("alt-name", "Choose the new API operator's user name"):
            self.login_admin()
            retired = {r.lower() for r in _retired(self.setting.profile_key)}

            def taken(name: str) -> bool:
                return name.lower() in retired or self.find(name, self.login_admin) is not None

            name = next_username(self.old, taken)
            self.journal.done("alt-name", username=name)
            self.reporter.finish("alt-name", "ok", name)
        checkpoint("rotate:alt:named")
        return name

    def operator_plan(self, username: str, roles: list[str]) -> OperatorPlan:
        return dataclasses.replace(self.plan.api, username=username, roles=tuple(roles or self.plan.api.roles))

    def create(self, username: str) -> None:
        if self.journal.is_done("alt-create"):
            self.skip("alt-create", f"Create the API operator {username}", "already created")
            return
        with self.step("alt-create", f"Create the API operator {username} with {self.old}'s roles"):
            self.login_admin()
            row = self.find(username, self.login_admin)
            if row is None:
                template = self.find(self.old, self.login_admin)
                roles = list(template.roles) if template is not None else []
                op = self.operator_plan(username, roles)
                self.journal.intent("alt-create", username=username, roles=list(op.roles))
                try:
                    self.relogin_on_expiry(lambda: self.portal.create_operator(op), self.login_admin)
                except (PortalError, VerificationError):
                    if self.find(username, self.login_admin) is None:
                        raise
                checkpoint("rotate:alt:after-create")
                row = self.find(username, self.login_admin)
            if row is None:
                raise VerificationError(
                    f"The portal accepted the new operator {username}, but it is not listed.",
                    hint="Run 'mpesa-agent rotate --resume' in a few minutes; it looks for it before creating it.",
                )
            if row.status not in (PENDING_ACTIVE, ACTIVE):
                raise PortalError(
                    f"The new API operator {username} is {row.status}.",
                    hint="Check it in the portal; 'mpesa-agent rotate --abandon' keeps the shop on " + self.old + ".",
                )
            self.journal.done("alt-create", username=username, status=row.status)
            self.reporter.finish("alt-create", "ok", f"{username} ({row.status})")
        checkpoint("rotate:alt:created")

    def switch(self, old: str, new_name: str) -> None:
        if self.journal.is_done("switch"):
            self.skip("switch", f"Switch the shop to {new_name}", "already switched")
            return
        ref_new = self.setting.api_ref(new_name)
        with self.step("switch", f"Switch the shop's plugin from {old} to {new_name}"):
            password = self.vault.require(ref_new)
            self.journal.intent("switch", username=new_name)
            _set_profile_api_username(self.setting.profile_key, new_name)
            checkpoint("rotate:alt:switching")
            failures = self.push_all(new_name, password)
            if failures:
                restored, broken = self.restore_old(old)
                _set_profile_api_username(self.setting.profile_key, old)
                first = failures[0][1]
                if broken:
                    kept = (
                        f"{', '.join(broken)} could not be put back on {old} (which still works on the portal): "
                        "check its M-PESA settings in wp-admin"
                    )
                elif restored:
                    kept = f"the plugin of {', '.join(restored)} was put back on {old}, which still works"
                else:
                    kept = f"the shop still uses {old}, which still works"
                raise _like(
                    first,
                    f"{new_name} is ready (Active, its password in the vault), but the plugin of "
                    f"{', '.join(u for u, _ in failures)} could not be switched to it: {first.message}; {kept}.",
                    "Fix the site, then run 'mpesa-agent rotate --resume' to switch again (or '--abandon' to stay on "
                    f"{old}).",
                )
            self.journal.done("switch", username=new_name)
            self.reporter.finish("switch", "ok", f"{len(self.sites)} site(s) use {new_name}")
        checkpoint("rotate:pushed")

    def restore_old(self, old: str) -> tuple[list[str], list[str]]:
        """After a failed switch: give back its snapshot to each site that no longer holds ``old``'s working
        credential (only when the snapshot holds exactly that credential). Returns (restored, still wrong)."""
        from agent.workflows import sites

        working = self.vault.get(self.setting.api_ref(old))
        restored: list[str] = []
        broken: list[str] = []
        for url in self.sites:
            try:
                user, secret = _site_values(url, self.vault)
            except AgentError as exc:
                # Unreachable: the failed push did not reach it either (the snapshot is stored before a write).
                self.warnings.append(f"{url}: could not be read after the failed switch ({exc.message}).")
                continue
            if user == old and working is not None and _same(secret, working.reveal()):
                continue
            snap = _snapshot_values(url, self.vault)
            if snap is None or snap[0] != old or working is None or not _same(snap[1], working.reveal()):
                self.warnings.append(f"{url}: no snapshot with {old}'s working password to restore; check the plugin.")
                broken.append(url)
                continue
            try:
                sites.rollback_push(url, vault=self.vault)
                restored.append(url)
                self.journal.record("switch", "note", restored=url)
            except AgentError as exc:
                self.warnings.append(f"{url}: restoring the previous plugin settings failed ({exc.message}).")
                broken.append(url)
        return restored, broken

    def close_old(self, old: str, new_name: str) -> None:
        if self.journal.is_done("alt-close"):
            self.skip("alt-close", f"Close the old API operator {old}", "already closed")
            return
        from agent.portal import maintenance

        with self.step("alt-close", f"Close the old API operator {old} (as {self.plan.admin_username})"):
            self.login_admin()
            row = self.find(old, self.login_admin)
            if row is None:
                raise VerificationError(f"The old API operator {old} is not listed any more.")
            if row.status != CLOSED:
                self.journal.intent("alt-close", username=old)
                reason = f"Replaced by {new_name} (mpesa-agent rotate)"
                try:
                    self.relogin_on_expiry(
                        lambda: maintenance.close_operator(self.portal, old, reason), self.login_admin
                    )
                except PortalError:
                    row = self.find(old, self.login_admin)
                    if row is None or row.status != CLOSED:
                        raise
                checkpoint("rotate:alt:after-close")
                row = self.find(old, self.login_admin)
                if row is None or row.status != CLOSED:
                    raise VerificationError(
                        f"After Change Status the old API operator {old} is {row.status if row else 'missing'}.",
                        hint="Run 'mpesa-agent rotate --resume' to close it again.",
                    )
            _set_profile_api_username(self.setting.profile_key, new_name, retire=old)
            self.journal.done("alt-close", username=old)
            self.reporter.finish("alt-close", "ok", f"{old} is Closed")
        checkpoint("rotate:alt:closed")

    # -- web operator ------------------------------------------------------------------------------------------
    def run_web(self) -> RotateResult:
        from agent.portal import maintenance
        from agent.portal.flows import LoginResult

        username = self.plan.web.username
        ref = self.setting.web_ref
        self.stage(ref)
        verified_login = False
        if self.journal.is_done("portal-set"):
            self.skip("portal-set", f"Change {username}'s password", "already changed")
        else:
            with self.step("portal-set", f"Change {username}'s password (as {username})"):
                new = self.new_password(ref)
                old = self.vault.require(ref)
                took = False
                if _submitted(self.journal, "portal-set") and not _same(old.reveal(), new.reveal()):
                    # The last run submitted the change and stopped: the portal has one of the two. Try the new one
                    # first (one refused login at most; the next good login resets the portal's count).
                    self.portal.logout()
                    verdict = maintenance.login_verdict(
                        self.portal, self.plan.profile, username, new, purpose="web operator login (new password)"
                    )
                    took = verdict is LoginResult.HOME
                    if verdict is LoginResult.FIRST_LOGIN:
                        raise PortalError(f"The portal asks {username} to change the password it just got.")
                if not took:
                    self.portal.logout()
                    verdict = maintenance.login_verdict(
                        self.portal, self.plan.profile, username, old, purpose="web operator login"
                    )
                    if verdict is None:
                        raise AuthError(
                            f"The portal refused the web operator {username}'s stored password"
                            + (" and the new one." if _submitted(self.journal, "portal-set") else "."),
                            hint="Ask the Business Administrator to use Reset Password on it, then store the new "
                            "password with mpesa-agent setup; the rotation is still in flight (--abandon drops it).",
                        )
                    self.journal.intent("portal-set", username=username)
                    try:
                        if verdict is LoginResult.FIRST_LOGIN:
                            maintenance.change_expired_password(self.portal, old, new)
                        else:
                            maintenance.change_own_password(self.portal, old, new)
                    except maintenance.NotOfferedError:
                        self.journal.record("portal-set", "note", submitted=False, outcome="not offered")
                        raise
                    except maintenance.LostAnswerError as exc:
                        # The answer was lost: a login with the new password tells whether the change took.
                        self.reporter.info(f"{exc.message} Checking with a login with the new password.")
                        self.portal.logout()
                        verdict = maintenance.login_verdict(
                            self.portal, self.plan.profile, username, new, purpose="web operator login (new password)"
                        )
                        if verdict is not LoginResult.HOME:
                            raise
                        verified_login = True
                    checkpoint("rotate:web:after-change")
                else:
                    verified_login = True
                self.journal.done("portal-set", username=username)
                self.reporter.finish("portal-set", "ok", "changed on the portal")
        self.promote(ref)
        with self.step("verify", f"Log in as {username} with the new password"):
            if not (verified_login and self.portal.logged_in_as == username):
                self.login_web(password=self.vault.require(ref))
            self.journal.done("verify")
            self.reporter.finish("verify", "ok", "the portal accepts the new password")
        checkpoint("rotate:verified")
        self.finish(username=username)
        return self.result(username, f"The web operator {username} has a new password, current in the vault.")

    def result(self, username: str, message: str) -> RotateResult:
        return RotateResult(
            profile=self.plan.profile,
            action="rotated",
            message=message,
            operator=self.kind,
            strategy=self.strategy,
            old_username=self.old,
            username=username,
            sites=self.site_report,
            warnings=self.warnings,
        )


# ---------------------------------------------------------------------------------------------------------------
# entry points


def run_rotation(
    request: RotateRequest,
    *,
    human: HumanInput,
    vault: Vault,
    reporter: Reporter,
    admin_password: PasswordSource | None = None,
) -> RotateResult:
    """``mpesa-agent rotate``: start, resume or abandon a rotation (or rotate site credentials). See the module
    docstring for the steps, the strategies and what each failure leaves behind."""
    recorder = RecordingReporter(reporter)
    if request.site_credentials:
        return rotate_site_credentials(request, vault=vault, reporter=recorder)
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
    threshold = parse_age(request.if_older_than) if request.if_older_than is not None else None
    setting = _load(request)
    journal = Journal(f"rotate-{setting.short_code}")
    with journal.lock():
        start = _start_record(journal)
        if request.abandon:
            return _abandon(setting, start, journal, vault, recorder)
        if start is not None and not request.resume:
            raise _conflict(start, journal)
        resumed = start is not None
        if start is None:
            if request.resume and threshold is None:
                return RotateResult(setting.short_code, "nothing", "No rotation is in flight; nothing to resume.")
            kind = request.operator or "api"
            strategy = "single" if kind == "web" else (request.strategy or DEFAULT_STRATEGY)
            username = setting.plan.web.username if kind == "web" else setting.plan.api.username
            ref = setting.web_ref if kind == "web" else setting.api_ref(username)
            info = vault.info(ref)
            if "pending" in info:
                raise ConflictError(
                    f"The vault holds a pending password for {username} ({info['pending'].note or 'no note'}): "
                    "another change of it is unfinished.",
                    hint="Finish it first (re-run the command that started it, e.g. mpesa-agent setup).",
                )
            if "current" not in info:
                vault.require(ref)  # raises: there is nothing to rotate from
            if threshold is not None:
                age = next(
                    (a for a in password_ages(setting.profile_key, vault=vault) if a.kind == kind),
                    None,
                )
                if age is not None and not age.due(threshold):
                    return RotateResult(
                        setting.short_code,
                        "skipped",
                        f"The {kind} operator {username}'s password is {age.age_days} days old (less than "
                        f"{threshold}); nothing to do. It expires in {age.expires_in_days} days.",
                        operator=kind,
                        strategy=strategy,
                        old_username=username,
                        username=username,
                        password_age=age.as_dict(),
                    )
            targets = _preflight(username, vault, recorder) if kind == "api" else []
            start = {
                "rotation": uuid.uuid4().hex[:10],
                "operator": kind,
                "strategy": strategy,
                "username": username,
                "sites": targets,
                "profile_key": setting.profile_key,
            }
            journal.record("rotate", "start", **start)
            checkpoint("rotate:started")
        else:
            _check_resume_request(request, start)
            journal.record("rotate", "note", resumed=True)
            recorder.info(_explain(start, journal) + " Resuming.")
        try:
            with contextlib.ExitStack() as stack:
                run = _Rotation(setting, start, journal, vault, recorder, human, admin_password, stack)
                if run.kind == "web":
                    result = run.run_web()
                elif run.strategy == "alternating":
                    result = run.run_alternating()
                else:
                    result = run.run_single()
        except AgentError as exc:
            if _touched(journal):
                raise
            # Nothing was submitted to the portal or the shop (a login failed, the portal offers no Change Password,
            # a person did not answer...): end the rotation rather than leave one in flight that only blocks.
            _end_untouched(setting, start, journal, vault, type(exc).__name__)
            exc.message += " Nothing was changed; the rotation was ended, so it can simply be run again."
            raise
    result.action = "resumed" if resumed else "rotated"
    result.steps = recorder.as_list()
    return result


_CHANGES = ("portal-set", "alt-create", "switch", "alt-close")  # steps that change the portal or the shop


def _touched(journal: Journal) -> bool:
    """Whether any change was (or may have been) submitted to the portal or the shop by this rotation."""
    return any(_submitted(journal, step) or journal.is_done(step) for step in _CHANGES)


def _end_untouched(setting: _Setting, start: dict[str, Any], journal: Journal, vault: Vault, why: str) -> None:
    """End a rotation that changed nothing: forget its pending password, close the journal."""
    rid = str(start["rotation"])
    if start.get("operator") == "web":
        refs = [setting.web_ref]
    else:
        refs = [setting.api_ref(str(start["username"]))]
        new_name = _detail(journal, "alt-name", "username")
        if new_name:
            refs.append(setting.api_ref(str(new_name)))
    for ref in refs:
        pending = vault.info(ref).get("pending")
        if pending is not None and f"rotation {rid}" in pending.note:
            vault.discard_pending(ref)
    journal.record("rotate", "finish", ended=why, changed=False)
    journal.archive()


def _check_resume_request(request: RotateRequest, start: dict[str, Any]) -> None:
    for name, asked, running in (
        ("operator", request.operator, start.get("operator")),
        ("strategy", request.strategy, start.get("strategy")),
    ):
        if asked is not None and asked != running:
            raise UsageError(
                f"The rotation in flight is for --{name} {running}, not {asked}.",
                hint="Run 'mpesa-agent rotate --resume' without it to finish that one first.",
            )


def _preflight(username: str, vault: Vault, reporter: Reporter) -> list[str]:
    """Read every linked site before the portal is touched: which plugins use ``username`` (the push targets).
    A site that cannot be read stops the rotation here, with nothing changed."""
    cfg = settings.load_config()
    targets: list[str] = []
    reporter.start("preflight", "Read the linked sites' M-PESA plugins")
    others: list[str] = []
    for url in sorted(cfg.sites):
        try:
            user, _secret = _site_values(url, vault)
        except AgentError as exc:
            reporter.finish("preflight", "failed", f"{url}: {exc.message}")
            raise _like(
                exc,
                f"{url} could not be read ({exc.message}); the rotation was not started and nothing was changed.",
                exc.hint or "Fix the site (or unlink it: mpesa-agent unlink-site), then rotate again.",
            ) from None
        if user == username:
            targets.append(url)
        else:
            others.append(f"{url} uses {user or 'no initiator'}")
    detail = f"{len(targets)} site(s) use {username}" + (f"; not changed: {'; '.join(others)}" if others else "")
    reporter.finish("preflight", "ok", detail)
    return targets


def _abandon(
    setting: _Setting, start: dict[str, Any] | None, journal: Journal, vault: Vault, reporter: Reporter
) -> RotateResult:
    """Drop the rotation in flight while the credential in use is untouched (see the module docstring)."""
    if start is None:
        return RotateResult(setting.short_code, "nothing", "No rotation is in flight; nothing to abandon.")
    rid = str(start["rotation"])
    kind, strategy, old = str(start["operator"]), str(start["strategy"]), str(start["username"])
    reporter.start("abandon", "Abandon the rotation in flight")
    if kind == "web" or strategy == "single":
        if _submitted(journal, "portal-set"):
            reporter.finish("abandon", "failed", "the portal may already have the new password")
            raise ConflictError(
                _explain(start, journal) + " The new password was (or may have been) submitted to the portal, so "
                "the old one may no longer work: abandoning could lose the working credential.",
                hint="Run 'mpesa-agent rotate --resume' to finish it.",
            )
        ref = setting.web_ref if kind == "web" else setting.api_ref(old)
        pending = vault.info(ref).get("pending")
        if pending is not None and f"rotation {rid}" in pending.note:
            vault.discard_pending(ref)
        message = f"The rotation of {old} was abandoned before the portal was changed; {old} keeps its password."
    else:
        if _submitted(journal, "switch"):
            reporter.finish("abandon", "failed", "the plugin was (or may have been) switched")
            raise ConflictError(
                _explain(start, journal) + " The shop's plugin was (or may have been) switched to the new operator.",
                hint="Run 'mpesa-agent rotate --resume' to finish (closes the old operator), or 'mpesa-agent "
                "rollback' to put the plugin back on the old one.",
            )
        new_name = _detail(journal, "alt-name", "username")
        message = f"The rotation was abandoned; the shop keeps using {old}."
        if new_name:
            ref = setting.api_ref(str(new_name))
            pending = vault.info(ref).get("pending")
            if pending is not None and f"rotation {rid}" in pending.note:
                if _submitted(journal, "portal-set"):
                    vault.promote(ref)  # it may be on the portal: keep it as that operator's password
                else:
                    vault.discard_pending(ref)
            if _submitted(journal, "alt-create") or journal.is_done("alt-create"):
                message += (
                    f" The new operator {new_name} may exist on the portal unused; close it there (Change Status → "
                    "Closed) if you do not want it."
                )
    journal.record("rotate", "finish", abandoned=True)
    journal.archive()
    reporter.finish("abandon", "ok", message)
    return RotateResult(
        setting.short_code, "abandoned", message, operator=kind, strategy=strategy, old_username=old, username=old
    )


def rotate_site_credentials(request: RotateRequest, *, vault: Vault, reporter: Reporter) -> RotateResult:
    """``rotate --site-credentials``: a new application password for each linked site (or ``request.site``)."""
    from agent.workflows import sites

    cfg = settings.load_config()
    urls = [request.site] if request.site else sorted(cfg.sites)
    if not urls:
        raise UsageError("No site is linked yet.", hint="Link your shop first: mpesa-agent link-site https://your.shop")
    done: list[dict[str, Any]] = []
    first_error: AgentError | None = None
    for url in urls:
        key = f"site-credentials:{url}"
        reporter.start(key, f"Replace the application password of {url}")
        try:
            rotated = sites.rotate_site_credentials(url, vault=vault)
        except AgentError as exc:
            reporter.finish(key, "failed", exc.message)
            done.append({"url": url, "ok": False, "problem": exc.message, "hint": exc.hint})
            first_error = first_error or exc
            continue
        reporter.finish(key, "ok", rotated.note or ("old one revoked" if rotated.old_revoked else "old one kept"))
        done.append({"url": url, "ok": True, **rotated.to_dict()})
    steps = reporter.as_list() if isinstance(reporter, RecordingReporter) else []
    profile = request.profile or cfg.default_profile_name() or ""
    if first_error is not None and len(urls) == 1:
        raise first_error
    if first_error is not None:
        failed = [d["url"] for d in done if not d["ok"]]
        raise _like(first_error, f"The application password of {', '.join(failed)} was not replaced.", "See above.")
    return RotateResult(
        profile,
        "site-credentials",
        f"Replaced the application password of {len(done)} site(s).",
        steps=steps,
        site_rotations=done,
    )


def rollback(
    profile: str | None = None,
    site: str | None = None,
    *,
    vault: Vault,
    reporter: Reporter | None = None,
    dry_run: bool = False,
) -> RollbackResult:
    """``mpesa-agent rollback``: put back each site's plugin settings from before the last push, but only where the
    snapshot's initiator still works: its password is the current one in the vault and the operator was not closed.

    After a ``single`` rotation (or a web rotation) nothing is restored: the previous API password no longer works
    on the portal. During an ``alternating`` rotation whose old operator is not closed yet, the plugin goes back to
    the old operator, the configuration names it again, and the rotation ends (the new operator stays, unused).
    """
    from agent.workflows import sites

    report = reporter or RecordingReporter()
    cfg = settings.load_config()
    key = profile or cfg.default_profile_name() or ""
    prof = cfg.profile(key)
    short = str(prof.get("short_code") or key)
    journal = Journal(f"rotate-{short}") if short else None
    start = _start_record(journal) if journal is not None else None
    if (
        start is not None
        and journal is not None
        and _submitted(journal, "alt-close" if start.get("strategy") == "alternating" else "portal-set")
    ):
        raise ConflictError(
            _explain(start, journal) + " A rollback now would put a password the portal no longer takes into "
            "the plugin.",
            hint="Run 'mpesa-agent rotate --resume' to finish the rotation instead.",
        )
    urls = [site] if site else sorted(cfg.sites)
    retired = set(_retired(key)) if key else set()
    out: list[dict[str, Any]] = []
    restored_any = False
    for url in urls:
        step = f"rollback:{url}"
        report.start(step, f"Put back the previous M-PESA settings of {url}")
        snap = _snapshot_values(url, vault)
        if snap is None:
            report.finish(step, "skipped", "no snapshot")
            out.append({"url": url, "restored": False, "reason": "no snapshot of earlier settings"})
            continue
        user, secret = snap
        working = vault.get(CredentialRef(short, "api-operator", user)) if user and short else None
        if not user or user in retired or working is None or not _same(secret, working.reveal()):
            reason = (
                f"the snapshot holds {user or 'no initiator'}"
                + (" which is closed" if user in retired else " with a password the portal no longer takes")
                + "; restoring it would break the shop"
            )
            report.finish(step, "skipped", reason)
            out.append({"url": url, "restored": False, "reason": reason})
            continue
        try:
            detail = sites.rollback_push(url, vault=vault, dry_run=dry_run)
        except AgentError as exc:
            report.finish(step, "failed", exc.message)
            out.append({"url": url, "restored": False, "reason": exc.message})
            continue
        restored_any = restored_any or not dry_run
        report.finish(step, "planned" if dry_run else "ok", f"back on {user}")
        out.append({"url": url, "restored": not dry_run, "planned": dry_run, "username": user, "detail": detail})
    ended = False
    if restored_any and start is not None and journal is not None and key:
        old = str(start["username"])
        _set_profile_api_username(key, old)
        journal.record("rotate", "finish", rolled_back=True)
        journal.archive()
        ended = True
    restored = [o["url"] for o in out if o.get("restored")]
    message = (
        f"Restored the previous plugin settings of {', '.join(restored)}."
        if restored
        else "Nothing was restored." + (" (dry run)" if dry_run else "")
    )
    if ended:
        message += " The rotation in flight was ended; its new operator stays on the portal, unused."
    return RollbackResult(short, dry_run, out, message, rotation_ended=ended)


__all__ = [
    "CHECKPOINTS",
    "DEFAULT_STRATEGY",
    "PasswordAge",
    "RollbackResult",
    "RotateRequest",
    "RotateResult",
    "next_username",
    "parse_age",
    "password_ages",
    "rollback",
    "rotate_site_credentials",
    "rotation_in_flight",
    "run_rotation",
]
