"""The sandbox portal's server-side state and operator state machine, independent of any skin.

One ``PortalState`` is one portal instance: organisations and their operators, the SMS/e-mail outbox, the portal
sessions (captcha, login stage, OTP, wizard draft), the sandbox clock, the simulator settings and the active faults.
Every public method takes the single re-entrant lock ``PortalState.lock``; the web layer also holds it while it
renders a page, so a page never shows a half-made change. ``PortalState.changed`` (a condition on that lock) is
notified when a message is sent or a captcha issued, so the control surface can wait for one instead of polling.

Operator states (reference §11): ``lifecycle`` is ``Pending Active`` → ``Active`` (API: password set by a holder of
``Set Restricted ORG API PASSWORD``; Web: first login + forced change + two security questions) → ``Closed``
(terminal). ``locked`` (N wrong web passwords), ``suspended`` (Change Status) and ``dormant`` (no web login for
``dormancy_days``) are flags on top; the displayed status is the strongest of Closed > Suspended > Locked > Dormant
> lifecycle. Web passwords older than ``password_max_age_days`` force a change at the next login; an API password
that old is reported as expired in ``snapshot()`` (Daraja would answer 2001). Dormancy applies to web logins only:
the sandbox has no Daraja traffic to measure an API operator's activity.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import secrets
import threading
from collections.abc import Callable, Iterable
from typing import Any

from agent.sandbox.portal import captcha as captcha_mod
from agent.sandbox.portal import wizard
from agent.sandbox.portal.catalogue import (
    ACTIVE,
    API,
    BUSINESS_ADMINISTRATOR,
    BUSINESS_MANAGER,
    CLOSED,
    DORMANT,
    LOCKED,
    PENDING_ACTIVE,
    SECURITY_QUESTIONS,
    SET_RESTRICTED_API_PASSWORD,
    SUSPENDED,
    TRUST_LEVEL,
    WEB,
    Msg,
    find_role,
)
from agent.sandbox.portal.clock import SandboxClock, fmt_date, iso, parse_date
from agent.sandbox.portal.faults import Faults
from agent.sandbox.portal.passwords import generate_temporary_password, hash_secret, password_problem, verify_secret

# Portal session stages.
ANONYMOUS = "anonymous"
OTP = "otp"
CHANGE = "change"
CHANGED = "changed"
HOME = "home"

# Outbox message kinds (§12.3).
LOGIN_OTP = "LOGIN_OTP"
WEB_OPERATOR_CREATED = "WEB_OPERATOR_CREATED"
PASSWORD_RESET = "PASSWORD_RESET"  # noqa: S105 - a message kind
OPERATOR_MESSAGE = "OPERATOR_MESSAGE"
SENDER = "MPESA"


class PortalError(Exception):
    """A rule the portal enforces, with the message the portal shows (and the form field it belongs to)."""

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class FieldErrors(Exception):
    """Several field messages at once (``{field: message}``; ``""`` is about the whole form)."""

    def __init__(self, errors: dict[str, str], step: str = "") -> None:
        super().__init__("; ".join(errors.values()))
        self.errors = errors
        self.step = step


class OtpLockout(PortalError):
    """Too many wrong OTPs: the login starts again."""


@dataclasses.dataclass
class SimSettings:
    """Simulator knobs (reference §14 defaults). Changed with ``POST /__sim/settings``."""

    lockout_threshold: int = 3
    otp_ttl_seconds: int = 300
    otp_max_tries: int = 3
    captcha_ttl_seconds: int = 300
    session_idle_seconds: int = 900
    dormancy_days: int = 90
    password_max_age_days: int = 90
    temp_password_ttl_hours: int = 24
    fixed_captcha: str | None = None
    fixed_otp: str | None = None

    def update(self, values: dict[str, Any]) -> None:
        """Apply known keys after checking them all; ``ValueError`` names the first bad one."""
        checked: dict[str, Any] = {}
        for key, value in values.items():
            if key not in {f.name for f in dataclasses.fields(self)}:
                raise ValueError(f"unknown setting {key!r}")
            if key == "fixed_captcha":
                if value is not None and not (isinstance(value, str) and re.fullmatch(r"\d{4}", value)):
                    raise ValueError("fixed_captcha must be 4 digits or null")
            elif key == "fixed_otp":
                if value is not None and not (isinstance(value, str) and re.fullmatch(r"\d{6}", value)):
                    raise ValueError("fixed_otp must be 6 digits or null")
            elif not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f"{key} must be a positive integer")
            checked[key] = value
        for key, value in checked.items():
            setattr(self, key, value)


@dataclasses.dataclass
class Message:
    """One SMS or e-mail in the outbox."""

    id: int
    ts: dt.datetime
    channel: str  # "sms" | "email"
    to: str
    text: str
    kind: str
    sender: str = SENDER

    def as_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": self.id,
            "ts": iso(self.ts),
            "sender": self.sender,
            "text": self.text,
            "kind": self.kind,
        }
        data["msisdn" if self.channel == "sms" else "email"] = self.to
        return data


@dataclasses.dataclass
class IdDocument:
    id_type: str
    number: str
    expiry: dt.date | None = None


@dataclasses.dataclass
class Kyc:
    """An operator's KYC Info (reference §7.3)."""

    first_name: str = ""
    middle_name: str = ""
    last_name: str = ""
    date_of_birth: dt.date | None = None
    gender: str = ""
    email: str = ""
    nationality: str = "Kenyan"
    preferred_phone: str = ""
    ids: list[IdDocument] = dataclasses.field(default_factory=list)
    notification_channel: str = "SMS"
    notification_msisdn: str = ""
    notification_email: str = ""


@dataclasses.dataclass
class RoleAssignment:
    role: str
    effective: dt.date
    expiration: dt.date


@dataclasses.dataclass
class Operator:
    identity_id: str
    org_shortcode: str
    username: str
    channels: tuple[str, ...]
    roles: list[RoleAssignment]
    kyc: Kyc
    registration_time: dt.datetime
    language: str = "English (Kenya)"
    rule_profile: str = "Web Operator Rule Profile"
    registration_channel: str = "WEB"
    operator_code: str = ""  # the grid's "Operator ID": used by Handset operators only, empty for Web/API
    lifecycle: str = PENDING_ACTIVE
    locked: bool = False
    suspended: bool = False
    dormant: bool = False
    password_hash: str | None = None
    password_set_at: dt.datetime | None = None
    temporary_password: bool = False  # must change at the next web login
    temp_expires_at: dt.datetime | None = None
    security_questions: list[tuple[str, str]] = dataclasses.field(default_factory=list)  # (question, answer hash)
    failed_logins: int = 0
    last_login_at: dt.datetime | None = None
    activated_at: dt.datetime | None = None
    reactivated_at: dt.datetime | None = None
    status_reason: str = ""

    @property
    def status(self) -> str:
        if self.lifecycle == CLOSED:
            return CLOSED
        if self.suspended:
            return SUSPENDED
        if self.locked:
            return LOCKED
        if self.dormant:
            return DORMANT
        return self.lifecycle

    @property
    def role_names(self) -> list[str]:
        return [a.role for a in self.roles]

    def has_role(self, name: str) -> bool:
        return any(a.role.casefold() == name.casefold() for a in self.roles)

    @property
    def is_admin(self) -> bool:
        return self.has_role(BUSINESS_ADMINISTRATOR)

    @property
    def is_manager(self) -> bool:
        return self.has_role(BUSINESS_MANAGER)

    @property
    def is_web(self) -> bool:
        return WEB in self.channels

    @property
    def is_api(self) -> bool:
        return API in self.channels

    @property
    def notification_msisdn(self) -> str:
        """Where the portal texts this operator: the Notification Receiving MSISDN, else the contact phone."""
        return self.kyc.notification_msisdn or self.kyc.preferred_phone

    def password_expired(self, now: dt.datetime, max_age_days: int) -> bool:
        if self.password_set_at is None or self.temporary_password:
            return False
        return now - self.password_set_at > dt.timedelta(days=max_age_days)


@dataclasses.dataclass
class Organization:
    shortcode: str
    name: str
    trust_level: str = TRUST_LEVEL
    operators: dict[str, Operator] = dataclasses.field(default_factory=dict)  # by identity id, in creation order

    def by_username(self, username: str) -> Operator | None:
        """Exact (case-sensitive) user name, as the login compares it."""
        return next((op for op in self.operators.values() if op.username == username), None)

    def username_taken(self, username: str) -> bool:
        """Uniqueness is checked case-insensitively (§14)."""
        return any(op.username.casefold() == username.strip().casefold() for op in self.operators.values())


@dataclasses.dataclass
class CaptchaRecord:
    code: str
    issued_at: dt.datetime
    seq: int
    session_id: str


@dataclasses.dataclass
class OtpChallenge:
    code: str
    expires_at: dt.datetime
    tries_left: int
    destination: str  # masked, for the page


@dataclasses.dataclass
class PortalSession:
    """One browser session (the ``JSESSIONID`` cookie)."""

    sid: str
    created_at: dt.datetime
    last_seen: dt.datetime
    stage: str = ANONYMOUS
    operator_id: str | None = None
    captcha: CaptchaRecord | None = None
    otp: OtpChallenge | None = None
    change_reason: str | None = None  # "first_login" | "expired"
    draft: wizard.OperatorDraft | None = None
    notice: str | None = None  # a one-shot message for the next login page


@dataclasses.dataclass
class OperatorQuery:
    """The "Search for Organization Operator" criteria; ``%`` is the wildcard, empty means any."""

    shortcode: str = ""
    operator_id: str = "%"
    role: str = "All"
    middle_name: str = "%"
    date_of_birth: str = ""
    msisdn: str = "%"
    status: str = "All"
    username: str = "%"
    identity_id: str = ""
    first_name: str = "%"
    last_name: str = "%"
    sort_by: str = ""


SORT_KEYS: dict[str, Callable[[Operator], Any]] = {
    "User Name": lambda op: op.username.casefold(),
    "Status": lambda op: op.status,
    "First Name": lambda op: op.kyc.first_name.casefold(),
    "Last Name": lambda op: op.kyc.last_name.casefold(),
    "Registration Time": lambda op: op.registration_time,
}


def like(pattern: str, value: str) -> bool:
    """SQL-LIKE with ``%`` only, case-insensitive; an empty pattern matches everything."""
    pattern = pattern.strip()
    if not pattern:
        return True
    regex = ".*".join(re.escape(part) for part in pattern.split("%"))
    return re.fullmatch(regex, value, flags=re.IGNORECASE | re.DOTALL) is not None


def mask_msisdn(msisdn: str) -> str:
    return msisdn[:4] + "****" + msisdn[-3:] if len(msisdn) > 7 else msisdn


class PortalState:
    """One sandbox portal: all state behind one lock. See the module docstring."""

    def __init__(self, *, seed: bool = True) -> None:
        self.lock = threading.RLock()
        self.changed = threading.Condition(self.lock)
        self.clock = SandboxClock()
        self.settings = SimSettings()
        self.faults = Faults()
        self.orgs: dict[str, Organization] = {}
        self.outbox: list[Message] = []
        self.sessions: dict[str, PortalSession] = {}
        self._expired_sids: set[str] = set()
        self._message_seq = 0
        self._captcha_seq = 0
        self._latest_captcha: CaptchaRecord | None = None
        if seed:
            from agent.sandbox.portal.seed import apply_seed

            apply_seed(self, {})

    # ---------------------------------------------------------------------------------------------------------
    # housekeeping

    def now(self) -> dt.datetime:
        return self.clock.now()

    def reset(self, *, seed: bool = True) -> None:
        """Wipe everything (organisations, outbox, sessions, faults, clock, settings); re-seed the default."""
        with self.lock:
            self.clock.reset()
            self.settings = SimSettings()
            self.faults.clear()
            self.orgs.clear()
            self.outbox.clear()
            self.sessions.clear()
            self._expired_sids.clear()
            self._latest_captcha = None
            if seed:
                from agent.sandbox.portal.seed import apply_seed

                apply_seed(self, {})
            self.changed.notify_all()

    def refresh(self) -> None:
        """Apply time-driven transitions: web operators without a login for ``dormancy_days`` become Dormant."""
        with self.lock:
            now, limit = self.now(), dt.timedelta(days=self.settings.dormancy_days)
            for op in self.all_operators():
                if op.is_web and op.lifecycle == ACTIVE and not op.dormant:
                    seen = [t for t in (op.last_login_at, op.activated_at, op.reactivated_at) if t is not None]
                    if seen and now - max(seen) > limit:
                        op.dormant = True

    def advance_clock(self, seconds: float) -> dt.datetime:
        with self.lock:
            now = self.clock.advance(seconds)
            self.refresh()
            return now

    # ---------------------------------------------------------------------------------------------------------
    # outbox

    def send(self, channel: str, to: str, text: str, kind: str) -> Message:
        with self.lock:
            self._message_seq += 1
            message = Message(id=self._message_seq, ts=self.now(), channel=channel, to=to, text=text, kind=kind)
            self.outbox.append(message)
            self.changed.notify_all()
            return message

    def notify_operator(self, op: Operator, text: str, kind: str) -> Message | None:
        """Send by the operator's Preferred Notification Channel (SMS to the receiving MSISDN, else e-mail)."""
        if op.kyc.notification_channel == "Email" and op.kyc.notification_email:
            return self.send("email", op.kyc.notification_email, text, kind)
        if op.notification_msisdn:
            return self.send("sms", op.notification_msisdn, text, kind)
        if op.kyc.notification_email:
            return self.send("email", op.kyc.notification_email, text, kind)
        return None

    def messages(
        self, *, channel: str = "sms", to: str | None = None, kind: str | None = None, after: int = 0
    ) -> list[Message]:
        with self.lock:
            return [
                m
                for m in self.outbox
                if m.channel == channel and (to is None or m.to == to) and (kind is None or m.kind == kind)
                if m.id > after
            ]

    def wait_for(self, predicate: Callable[[], bool], timeout: float) -> bool:
        """Wait (releasing the lock) until ``predicate()`` holds or ``timeout`` seconds pass."""
        with self.changed:
            return self.changed.wait_for(predicate, timeout=timeout)

    # ---------------------------------------------------------------------------------------------------------
    # organisations and operators

    def all_operators(self) -> Iterable[Operator]:
        for org in self.orgs.values():
            yield from org.operators.values()

    def operator(self, identity_id: str) -> Operator | None:
        with self.lock:
            return next((op for op in self.all_operators() if op.identity_id == identity_id), None)

    def require_operator(self, identity_id: str) -> Operator:
        op = self.operator(identity_id)
        if op is None:
            raise PortalError("The operator does not exist.")
        return op

    def org_of(self, op: Operator) -> Organization:
        return self.orgs[op.org_shortcode]

    def add_org(self, shortcode: str, name: str, trust_level: str = TRUST_LEVEL) -> Organization:
        with self.lock:
            org = self.orgs.setdefault(shortcode, Organization(shortcode=shortcode, name=name))
            org.name, org.trust_level = name, trust_level
            return org

    def _new_identity_id(self) -> str:
        taken = {op.identity_id for op in self.all_operators()}
        while True:
            candidate = "2030" + f"{secrets.randbelow(10**14):014d}"
            if candidate not in taken:
                return candidate

    def add_operator(
        self,
        org: Organization,
        *,
        username: str,
        channels: Iterable[str],
        roles: Iterable[str],
        kyc: Kyc,
        lifecycle: str = PENDING_ACTIVE,
        password: str | None = None,
        temporary_password: bool = False,
        security_questions: bool = False,
        rule_profile: str = "Web Operator Rule Profile",
        language: str = "English (Kenya)",
        registration_time: dt.datetime | None = None,
    ) -> Operator:
        """Put an operator straight into the state (seeding and the wizard's Submit both end here)."""
        with self.lock:
            now = self.now()
            today = self.clock.today()
            assignments = []
            for name in roles:
                role = find_role(name)
                assignments.append(
                    RoleAssignment(role.name if role else name, today, parse_date(wizard.DEFAULT_EXPIRATION) or today)
                )
            op = Operator(
                identity_id=self._new_identity_id(),
                org_shortcode=org.shortcode,
                username=username,
                channels=tuple(c for c in (WEB, API) if c in set(channels)),
                roles=assignments,
                kyc=kyc,
                registration_time=registration_time or now,
                lifecycle=lifecycle,
                rule_profile=rule_profile,
                language=language,
            )
            if password is not None:
                op.password_hash = hash_secret(password)
                op.password_set_at = now
                op.temporary_password = temporary_password
            if lifecycle == ACTIVE:
                op.activated_at = now
            if security_questions:
                op.security_questions = [
                    (SECURITY_QUESTIONS[0], hash_secret("nairobi")),
                    (SECURITY_QUESTIONS[1], hash_secret("wanjiru")),
                ]
            org.operators[op.identity_id] = op
            return op

    def create_operator(self, actor: Operator, draft: wizard.OperatorDraft) -> Operator:
        """The wizard's Submit: validate the whole draft, create a Pending Active operator, SMS a web operator."""
        with self.lock:
            if not actor.is_admin:
                raise PortalError(Msg.NO_PERMISSION)
            org = self.org_of(actor)
            today = self.clock.today()
            for step in wizard.STEPS[:-1]:
                errors = wizard.validate_step(draft, step, org.username_taken, today)
                if errors:
                    raise FieldErrors(errors, step=step)
            kyc = Kyc(
                first_name=draft.first_name.strip(),
                middle_name=draft.middle_name.strip(),
                last_name=draft.last_name.strip(),
                date_of_birth=parse_date(draft.date_of_birth),
                gender=draft.gender,
                email=draft.email.strip(),
                nationality=draft.nationality,
                preferred_phone=draft.preferred_phone.strip(),
                ids=[IdDocument(r.id_type, r.number.strip(), parse_date(r.expiry)) for r in draft.ids],
                notification_channel=draft.notification_channel,
                notification_msisdn=draft.notification_msisdn.strip(),
                notification_email=draft.notification_email.strip(),
            )
            op = self.add_operator(
                org,
                username=draft.username.strip(),
                channels=draft.channels,
                roles=[],
                kyc=kyc,
                rule_profile=draft.rule_profile,
                language=draft.language,
            )
            op.roles = [
                RoleAssignment(r.role, parse_date(r.effective) or today, parse_date(r.expiration) or today)
                for r in draft.roles
            ]
            if op.is_web:
                temporary = generate_temporary_password()
                op.password_hash = hash_secret(temporary)
                op.password_set_at = self.now()
                op.temporary_password = True
                op.temp_expires_at = self.now() + dt.timedelta(hours=self.settings.temp_password_ttl_hours)
                self.notify_operator(
                    op,
                    f"Dear {kyc.first_name}, your M-PESA Organization Portal account has been created. "
                    f"Username: {op.username} Password: {temporary}",
                    WEB_OPERATOR_CREATED,
                )
            return op

    def can_set_password(self, actor: Operator, target: Operator) -> bool:
        return actor.has_role(SET_RESTRICTED_API_PASSWORD) and target.is_api and target.lifecycle != CLOSED

    def can_administer(self, actor: Operator, target: Operator) -> bool:
        return actor.is_admin and actor.identity_id != target.identity_id and target.lifecycle != CLOSED

    def can_reset_password(self, actor: Operator, target: Operator) -> bool:
        return self.can_administer(actor, target) and target.is_web

    def can_unlock(self, actor: Operator, target: Operator) -> bool:
        return self.can_administer(actor, target) and target.locked

    def status_options(self, target: Operator) -> list[str]:
        """The statuses Change Status offers for this operator."""
        if target.lifecycle == CLOSED:
            return []
        options = []
        if target.suspended or target.dormant:
            options.append(ACTIVE)
        if not target.suspended:
            options.append(SUSPENDED)
        options.append(CLOSED)
        return options

    def set_api_password(self, actor: Operator, target_id: str, password: str, confirm: str) -> None:
        """Set Password (§8.2): only a holder of Set Restricted ORG API PASSWORD, only on an API operator."""
        with self.lock:
            target = self.require_operator(target_id)
            if not actor.has_role(SET_RESTRICTED_API_PASSWORD):
                raise PortalError(Msg.NO_PERMISSION)
            if not target.is_api:
                raise PortalError(Msg.SET_PASSWORD_API_ONLY)
            if target.lifecycle == CLOSED:
                raise PortalError(Msg.OPERATOR_CLOSED)
            errors: dict[str, str] = {}
            problem = password_problem(password)
            if not password:
                errors["password"] = Msg.REQUIRED_PASSWORD
            elif problem:
                errors["password"] = problem
            if confirm != password:
                errors["confirm_password"] = Msg.PW_MISMATCH
            if errors:
                raise FieldErrors(errors)
            now = self.now()
            target.password_hash = hash_secret(password)
            target.password_set_at = now
            target.temporary_password = False
            if target.lifecycle == PENDING_ACTIVE:
                target.lifecycle = ACTIVE
                target.activated_at = now

    def reset_password(self, actor: Operator, target_id: str) -> None:
        """Reset Password: a new temporary password by SMS; it unlocks, and must be changed at the next login."""
        with self.lock:
            target = self.require_operator(target_id)
            if not self.can_reset_password(actor, target):
                raise PortalError(Msg.NO_PERMISSION)
            temporary = generate_temporary_password()
            now = self.now()
            target.password_hash = hash_secret(temporary)
            target.password_set_at = now
            target.temporary_password = True
            target.temp_expires_at = now + dt.timedelta(hours=self.settings.temp_password_ttl_hours)
            target.locked = False
            target.failed_logins = 0
            self.notify_operator(
                target,
                f"Dear {target.kyc.first_name or target.username}, your M-PESA Organization Portal password has "
                f"been reset. Username: {target.username} Password: {temporary}",
                PASSWORD_RESET,
            )

    def unlock(self, actor: Operator, target_id: str) -> None:
        with self.lock:
            target = self.require_operator(target_id)
            if not self.can_administer(actor, target):
                raise PortalError(Msg.NO_PERMISSION)
            if not target.locked:
                raise PortalError(Msg.NOT_LOCKED)
            target.locked = False
            target.failed_logins = 0

    def change_status(self, actor: Operator, target_id: str, new_status: str, reason: str) -> None:
        """Change Status (Identity Status edit): suspend, resume or reactivate (dormant), close."""
        with self.lock:
            target = self.require_operator(target_id)
            if not self.can_administer(actor, target):
                raise PortalError(Msg.NO_PERMISSION)
            errors: dict[str, str] = {}
            if new_status not in self.status_options(target):
                errors["status"] = "Please select the new status."
            if not reason.strip():
                errors["reason"] = Msg.REASON
            if errors:
                raise FieldErrors(errors)
            if new_status == SUSPENDED:
                target.suspended = True
            elif new_status == CLOSED:
                target.lifecycle = CLOSED
            elif target.suspended:
                target.suspended = False
            else:
                target.dormant = False
                target.reactivated_at = self.now()
            target.status_reason = reason.strip()

    def send_operator_sms(self, actor: Operator, target_id: str, text: str) -> None:
        with self.lock:
            target = self.require_operator(target_id)
            if not (actor.is_admin or actor.is_manager):
                raise PortalError(Msg.NO_PERMISSION)
            if not text.strip():
                raise FieldErrors({"message": Msg.SMS_TEXT})
            if not target.notification_msisdn:
                raise PortalError(Msg.MSISDN)
            self.send("sms", target.notification_msisdn, text.strip(), OPERATOR_MESSAGE)

    def search_operators(self, shortcode: str, query: OperatorQuery) -> list[Operator]:
        """The operators of one organisation matching the search panel's criteria."""
        with self.lock:
            org = self.orgs.get(shortcode)
            if org is None:
                return []
            born = parse_date(query.date_of_birth) if query.date_of_birth.strip() else None
            found = []
            for op in org.operators.values():
                if not like(query.shortcode, op.org_shortcode):
                    continue
                checks = (
                    like(query.operator_id, op.operator_code),
                    like(query.middle_name, op.kyc.middle_name),
                    like(query.msisdn, op.notification_msisdn),
                    like(query.username, op.username),
                    like(query.identity_id, op.identity_id),
                    like(query.first_name, op.kyc.first_name),
                    like(query.last_name, op.kyc.last_name),
                    query.role in ("", "All") or op.has_role(query.role),
                    query.status in ("", "All") or op.status == query.status,
                    not query.date_of_birth.strip() or (born is not None and op.kyc.date_of_birth == born),
                )
                if all(checks):
                    found.append(op)
            key = SORT_KEYS.get(query.sort_by)
            return sorted(found, key=key) if key else found

    # ---------------------------------------------------------------------------------------------------------
    # sessions, captcha, login, OTP, password change

    def open_session(self, sid: str | None) -> tuple[PortalSession, bool]:
        """The session for this cookie value, or a new one. The flag says an old session had expired."""
        with self.lock:
            now = self.now()
            idle = dt.timedelta(seconds=self.settings.session_idle_seconds)
            for key in [k for k, s in self.sessions.items() if now - s.last_seen > idle]:
                self._expired_sids.add(key)
                del self.sessions[key]
            session = self.sessions.get(sid or "")
            if session is not None:
                session.last_seen = now
                return session, False
            expired = bool(sid) and sid in self._expired_sids
            if expired:
                self._expired_sids.discard(sid or "")
            new = PortalSession(sid=secrets.token_hex(16).upper(), created_at=now, last_seen=now)
            self.sessions[new.sid] = new
            return new, expired

    def expire_sessions(self, sid: str | None = None) -> int:
        """End one session (or all): its next request lands on the login page with "session has expired"."""
        with self.lock:
            keys = [sid] if sid else list(self.sessions)
            count = 0
            for key in keys:
                if key in self.sessions:
                    del self.sessions[key]
                    self._expired_sids.add(key)
                    count += 1
            return count

    def issue_captcha(self, session: PortalSession) -> str:
        """A new verification code for this session (every image request makes one)."""
        with self.lock:
            self._captcha_seq += 1
            code = self.settings.fixed_captcha or captcha_mod.new_code()
            record = CaptchaRecord(code=code, issued_at=self.now(), seq=self._captcha_seq, session_id=session.sid)
            session.captcha = record
            self._latest_captcha = record
            self.changed.notify_all()
            return code

    def current_captcha(self, sid: str | None = None) -> CaptchaRecord | None:
        """The code a session's image shows now (by session id), or the most recently issued one."""
        with self.lock:
            if sid:
                session = self.sessions.get(sid)
                return session.captcha if session else None
            latest = self._latest_captcha
            if latest is None:
                return None
            session = self.sessions.get(latest.session_id)
            return latest if session is not None and session.captcha is latest else None

    @property
    def captcha_seq(self) -> int:
        return self._captcha_seq

    def session_operator(self, session: PortalSession) -> Operator | None:
        return self.operator(session.operator_id) if session.operator_id else None

    def login(
        self, session: PortalSession, *, shortcode: str, username: str, password: str, verification_code: str
    ) -> None:
        """The login form: captcha, short code, user name and password; on success an OTP goes out by SMS."""
        with self.lock:
            self.refresh()
            for value, message, field in (
                (shortcode, Msg.REQUIRED_SHORT_CODE, "shortcode"),
                (username, Msg.REQUIRED_USER, "username"),
                (password, Msg.REQUIRED_PASSWORD, "password"),
                (verification_code, Msg.REQUIRED_CAPTCHA, "verification_code"),
            ):
                if not value.strip():
                    raise PortalError(message, field)
            record, session.captcha = session.captcha, None  # one attempt per code
            now = self.now()
            if (
                record is None
                or now - record.issued_at > dt.timedelta(seconds=self.settings.captcha_ttl_seconds)
                or verification_code.strip() != record.code
            ):
                raise PortalError(Msg.CAPTCHA, "verification_code")
            org = self.orgs.get(shortcode.strip())
            if org is None:
                raise PortalError(Msg.SHORT_CODE, "shortcode")
            op = org.by_username(username.strip())
            if op is None:
                raise PortalError(Msg.CREDENTIALS)
            if op.locked:
                raise PortalError(Msg.LOCKED)
            if not verify_secret(password, op.password_hash):
                op.failed_logins += 1
                if op.failed_logins >= self.settings.lockout_threshold:
                    op.locked = True
                    raise PortalError(Msg.LOCKED)
                raise PortalError(Msg.CREDENTIALS)
            op.failed_logins = 0
            if op.lifecycle == CLOSED:
                raise PortalError(Msg.OPERATOR_CLOSED)
            if op.suspended:
                raise PortalError(Msg.SUSPENDED)
            if op.dormant:
                raise PortalError(Msg.DORMANT)
            if not op.is_web:
                raise PortalError(Msg.NOT_WEB)
            if op.temporary_password and op.temp_expires_at is not None and now > op.temp_expires_at:
                raise PortalError(Msg.TEMP_EXPIRED)
            session.stage = OTP
            session.operator_id = op.identity_id
            self._send_otp(session, op)

    def _send_otp(self, session: PortalSession, op: Operator) -> None:
        code = self.settings.fixed_otp or f"{secrets.randbelow(10**6):06d}"
        ttl = self.settings.otp_ttl_seconds
        minutes = max(1, round(ttl / 60))
        text = f"Your M-PESA Org Portal one time password is {code}. It expires in {minutes} minutes."
        message = self.notify_operator(op, text, LOGIN_OTP)
        destination = "" if message is None else mask_msisdn(message.to) if message.channel == "sms" else message.to
        session.otp = OtpChallenge(
            code=code,
            expires_at=self.now() + dt.timedelta(seconds=ttl),
            tries_left=self.settings.otp_max_tries,
            destination=destination,
        )

    def resend_otp(self, session: PortalSession) -> None:
        with self.lock:
            op = self.session_operator(session)
            if session.stage != OTP or op is None:
                raise PortalError(Msg.SESSION_EXPIRED)
            self._send_otp(session, op)

    def verify_otp(self, session: PortalSession, code: str) -> str:
        """Check the OTP; the next stage is ``change`` (first login, temporary or expired password) or ``home``."""
        with self.lock:
            op = self.session_operator(session)
            otp = session.otp
            if session.stage != OTP or op is None or otp is None:
                raise PortalError(Msg.SESSION_EXPIRED)
            now = self.now()
            if now > otp.expires_at or code.strip() != otp.code:
                otp.tries_left -= 1
                if otp.tries_left <= 0:
                    self._restart(session, Msg.OTP_TOO_MANY)
                    raise OtpLockout(Msg.OTP_TOO_MANY)
                raise PortalError(Msg.OTP, "otp")
            session.otp = None
            op.last_login_at = now
            if op.temporary_password or not op.security_questions:
                session.stage, session.change_reason = CHANGE, "first_login"
            elif op.password_expired(now, self.settings.password_max_age_days):
                session.stage, session.change_reason = CHANGE, "expired"
            else:
                session.stage, session.change_reason = HOME, None
            return session.stage

    def needs_security_questions(self, session: PortalSession) -> bool:
        op = self.session_operator(session)
        return op is not None and not op.security_questions

    def change_password(
        self,
        session: PortalSession,
        *,
        old: str,
        new: str,
        confirm: str,
        questions: list[tuple[str, str]] | None = None,
    ) -> None:
        """The forced change page: old/new/confirm (+ two distinct security questions when none are set yet)."""
        with self.lock:
            op = self.session_operator(session)
            if session.stage != CHANGE or op is None:
                raise PortalError(Msg.SESSION_EXPIRED)
            errors = self._new_password_errors(op, old, new, confirm)
            chosen: list[tuple[str, str]] = []
            if not op.security_questions:
                pairs = questions or []
                for index in range(2):
                    question, answer = pairs[index] if index < len(pairs) else ("", "")
                    if question not in SECURITY_QUESTIONS:
                        errors[f"question{index + 1}"] = Msg.QUESTION_REQUIRED
                    if not answer.strip():
                        errors[f"answer{index + 1}"] = Msg.ANSWER_REQUIRED
                    chosen.append((question, answer))
                if "question1" not in errors and "question2" not in errors and chosen[0][0] == chosen[1][0]:
                    errors["question2"] = Msg.QUESTIONS_DISTINCT
            if errors:
                raise FieldErrors(errors)
            now = self.now()
            self._set_web_password(op, new)
            if chosen:
                op.security_questions = [(q, hash_secret(a.strip().casefold())) for q, a in chosen]
            if op.lifecycle == PENDING_ACTIVE:
                op.lifecycle = ACTIVE
                op.activated_at = now
            session.stage, session.change_reason = CHANGED, None

    def change_own_password(self, session: PortalSession, *, old: str, new: str, confirm: str) -> None:
        """My Preference › Change Password: a logged-in operator changes its own password (stays logged in)."""
        with self.lock:
            op = self.session_operator(session)
            if session.stage != HOME or op is None:
                raise PortalError(Msg.SESSION_EXPIRED)
            errors = self._new_password_errors(op, old, new, confirm)
            if errors:
                raise FieldErrors(errors)
            self._set_web_password(op, new)

    def _new_password_errors(self, op: Operator, old: str, new: str, confirm: str) -> dict[str, str]:
        errors: dict[str, str] = {}
        if not old:
            errors["old_password"] = Msg.REQUIRED_PASSWORD
        elif not verify_secret(old, op.password_hash):
            errors["old_password"] = Msg.PW_OLD_WRONG
        problem = password_problem(new)
        if not new:
            errors["new_password"] = Msg.REQUIRED_PASSWORD
        elif problem:
            errors["new_password"] = problem
        elif new == old:
            errors["new_password"] = Msg.PW_SAME
        if confirm != new:
            errors["confirm_password"] = Msg.PW_MISMATCH
        return errors

    def _set_web_password(self, op: Operator, new: str) -> None:
        op.password_hash = hash_secret(new)
        op.password_set_at = self.now()
        op.temporary_password = False
        op.temp_expires_at = None

    def _restart(self, session: PortalSession, notice: str | None = None) -> None:
        session.stage = ANONYMOUS
        session.operator_id = None
        session.otp = None
        session.change_reason = None
        session.draft = None
        session.notice = notice

    def logout(self, session: PortalSession) -> None:
        with self.lock:
            self._restart(session)

    # ---------------------------------------------------------------------------------------------------------
    # the control surface's view

    def operator_json(self, op: Operator) -> dict[str, Any]:
        now = self.now()
        return {
            "identity_id": op.identity_id,
            "operator_id": op.operator_code,
            "org_shortcode": op.org_shortcode,
            "username": op.username,
            "status": op.status,
            "lifecycle": op.lifecycle,
            "locked": op.locked,
            "suspended": op.suspended,
            "dormant": op.dormant,
            "channels": list(op.channels),
            "roles": op.role_names,
            "rule_profile": op.rule_profile,
            "language": op.language,
            "first_name": op.kyc.first_name,
            "middle_name": op.kyc.middle_name,
            "last_name": op.kyc.last_name,
            "date_of_birth": fmt_date(op.kyc.date_of_birth),
            "email": op.kyc.email,
            "preferred_phone": op.kyc.preferred_phone,
            "notification_channel": op.kyc.notification_channel,
            "notification_msisdn": op.kyc.notification_msisdn,
            "notification_email": op.kyc.notification_email,
            "ids": [{"type": d.id_type, "number": d.number, "expiry": fmt_date(d.expiry)} for d in op.kyc.ids],
            "registration_time": iso(op.registration_time),
            "has_password": op.password_hash is not None,
            "temporary_password": op.temporary_password,
            "password_set_at": iso(op.password_set_at),
            "password_expired": op.password_expired(now, self.settings.password_max_age_days),
            "security_questions_set": bool(op.security_questions),
            "failed_logins": op.failed_logins,
            "last_login_at": iso(op.last_login_at),
            "activated_at": iso(op.activated_at),
        }

    def snapshot(self) -> dict[str, Any]:
        with self.lock:
            self.refresh()
            return {
                "now": iso(self.now()),
                "clock_offset_seconds": self.clock.offset_seconds,
                "settings": dataclasses.asdict(self.settings),
                "faults": self.faults.as_json(),
                "sessions": [
                    {
                        "session": s.sid,
                        "stage": s.stage,
                        "operator": (op.username if (op := self.session_operator(s)) else None),
                    }
                    for s in self.sessions.values()
                ],
                "orgs": [
                    {
                        "shortcode": org.shortcode,
                        "name": org.name,
                        "trust_level": org.trust_level,
                        "operators": [self.operator_json(op) for op in org.operators.values()],
                    }
                    for org in self.orgs.values()
                ],
            }
