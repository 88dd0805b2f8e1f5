"""The "Create Organization Operator" wizard's data and its validation, independent of any skin (reference §7, §15.6).

A skin fills an ``OperatorDraft`` from its forms step by step (Identity Info → Assign → KYC Info → Review) and asks
the ``validate_*`` functions for field errors; ``PortalState.create_operator`` validates the whole draft again at
Submit. Errors are ``{field: message}``; field names are the draft's attribute names (``roles.N.effective``,
``ids.N.number`` for grid rows, ``""`` for a message about the whole step).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Callable
from typing import Any

from agent.sandbox.portal.catalogue import (
    CHANNELS,
    NOTIFICATION_CHANNELS,
    OPERATOR_LANGUAGES,
    RULE_PROFILES,
    Msg,
    find_role,
)
from agent.sandbox.portal.clock import fmt_date, parse_date

STEPS = ("identity", "assign", "kyc", "review")
STEP_TITLES = {"identity": "Identity Info", "assign": "Assign", "kyc": "KYC Info", "review": "Review"}
USERNAME_RE = re.compile(r"^[A-Za-z0-9_.]+$")
MSISDN_RE = re.compile(r"^254(7|1)\d{8}$")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
DEFAULT_EXPIRATION = "31/12/2099"

Errors = dict[str, str]


@dataclasses.dataclass
class RoleRow:
    """A row of the Assign step's roles grid. Dates are kept as typed (``dd/mm/yyyy``)."""

    role: str
    effective: str
    expiration: str = DEFAULT_EXPIRATION


@dataclasses.dataclass
class IdRow:
    """A row of the KYC step's ID Details grid."""

    id_type: str = "National ID"
    number: str = ""
    expiry: str = ""


@dataclasses.dataclass
class OperatorDraft:
    """Everything the wizard collects, as the person typed it."""

    shortcode: str
    language: str = OPERATOR_LANGUAGES[0]
    channels: list[str] = dataclasses.field(default_factory=list)
    username: str = ""
    rule_profile: str = ""
    roles: list[RoleRow] = dataclasses.field(default_factory=list)
    first_name: str = ""
    middle_name: str = ""
    last_name: str = ""
    date_of_birth: str = ""
    gender: str = ""
    email: str = ""
    nationality: str = "Kenyan"
    preferred_phone: str = ""
    ids: list[IdRow] = dataclasses.field(default_factory=lambda: [IdRow()])
    notification_channel: str = "SMS"
    notification_msisdn: str = ""
    notification_email: str = ""
    step: str = "identity"

    def role_names(self) -> list[str]:
        return [row.role for row in self.roles]

    def add_roles(self, names: list[str], today: dt.date) -> None:
        """Add catalogue roles not yet in the grid, with the default dates (today → 31/12/2099)."""
        held = {n.casefold() for n in self.role_names()}
        for name in names:
            role = find_role(name)
            if role is not None and role.name.casefold() not in held:
                self.roles.append(RoleRow(role=role.name, effective=fmt_date(today)))
                held.add(role.name.casefold())

    def remove_role(self, name: str) -> None:
        self.roles = [row for row in self.roles if row.role.casefold() != name.casefold()]


def validate_identity(draft: OperatorDraft, username_taken: Callable[[str], bool]) -> Errors:
    errors: Errors = {}
    if draft.language not in OPERATOR_LANGUAGES:
        draft.language = OPERATOR_LANGUAGES[0]
    if not draft.channels or any(c not in CHANNELS for c in draft.channels):
        errors["channels"] = Msg.CHANNEL
        return errors
    name = draft.username.strip()
    if not name:
        errors["username"] = Msg.REQUIRED_USER
    elif len(name) > 15:
        errors["username"] = Msg.USER_TOO_LONG
    elif not USERNAME_RE.match(name):
        errors["username"] = Msg.USER_CHARS
    elif username_taken(name):
        errors["username"] = Msg.USER_EXISTS
    return errors


def channel_warnings(draft: OperatorDraft) -> list[str]:
    """Roles whose channel is not one of the operator's access channels: a warning, never a block (§9.3)."""
    warnings = []
    for row in draft.roles:
        role = find_role(row.role)
        if role is not None and role.channel not in draft.channels:
            warnings.append(f'The role "{role.name}" is for the {role.channel} access channel.')
    return warnings


def validate_assign(draft: OperatorDraft) -> Errors:
    errors: Errors = {}
    if draft.rule_profile not in RULE_PROFILES:
        errors["rule_profile"] = Msg.RULE_PROFILE
    if not draft.roles:
        errors["roles"] = Msg.ROLES
    for index, row in enumerate(draft.roles):
        effective, expiration = parse_date(row.effective), parse_date(row.expiration)
        if effective is None:
            errors[f"roles.{index}.effective"] = Msg.INVALID_DATE
        if expiration is None:
            errors[f"roles.{index}.expiration"] = Msg.INVALID_DATE
        if effective is not None and expiration is not None and expiration <= effective:
            errors[f"roles.{index}.expiration"] = Msg.ROLE_DATES
    return errors


def validate_kyc(draft: OperatorDraft, today: dt.date) -> Errors:
    errors: Errors = {}
    if not draft.first_name.strip():
        errors["first_name"] = Msg.FIRST_NAME
    if draft.date_of_birth.strip():
        born = parse_date(draft.date_of_birth)
        if born is None or born >= today:
            errors["date_of_birth"] = Msg.INVALID_DATE
    if draft.email.strip() and not EMAIL_RE.match(draft.email.strip()):
        errors["email"] = Msg.EMAIL
    if draft.preferred_phone.strip() and not MSISDN_RE.match(draft.preferred_phone.strip()):
        errors["preferred_phone"] = Msg.MSISDN
    if not draft.ids:
        errors["ids.0.number"] = Msg.ID_NUMBER
    for index, row in enumerate(draft.ids):
        number = row.number.strip()
        if not number:
            errors[f"ids.{index}.number"] = Msg.ID_NUMBER
        else:
            pattern = r"\d{7,8}" if row.id_type == "National ID" else r"[A-Za-z0-9]{5,20}"
            if not re.fullmatch(pattern, number):
                errors[f"ids.{index}.number"] = Msg.ID_NUMBER_FORMAT
        if row.expiry.strip() and parse_date(row.expiry) is None:
            errors[f"ids.{index}.expiry"] = Msg.INVALID_DATE
    if draft.notification_channel not in NOTIFICATION_CHANNELS:
        errors["notification_channel"] = Msg.NOTIFICATION_CHANNEL
    msisdn, mail = draft.notification_msisdn.strip(), draft.notification_email.strip()
    if (msisdn or draft.notification_channel == "SMS") and not MSISDN_RE.match(msisdn):
        errors["notification_msisdn"] = Msg.MSISDN
    if draft.notification_channel == "Email" and not mail:
        errors["notification_email"] = Msg.NOTIFICATION_EMAIL
    elif mail and not EMAIL_RE.match(mail):
        errors["notification_email"] = Msg.EMAIL
    return errors


def validate_step(draft: OperatorDraft, step: str, username_taken: Callable[[str], bool], today: dt.date) -> Errors:
    if step == "identity":
        return validate_identity(draft, username_taken)
    if step == "assign":
        return validate_assign(draft)
    if step == "kyc":
        return validate_kyc(draft, today)
    return {}


def first_invalid_step(draft: OperatorDraft, username_taken: Callable[[str], bool], today: dt.date) -> str | None:
    """The first step whose data is invalid (for Submit), or None."""
    for step in STEPS[:-1]:
        if validate_step(draft, step, username_taken, today):
            return step
    return None


def new_draft(shortcode: str) -> OperatorDraft:
    return OperatorDraft(shortcode=shortcode, rule_profile="")


def draft_from_form(draft: OperatorDraft, step: str, form: Any) -> None:
    """Copy one step's fields from the posted form (a werkzeug MultiDict) into the draft (no validation); both
    skins post the same field names."""
    if step == "identity":
        draft.language = form.get("language", draft.language)
        draft.channels = [c for c in CHANNELS if c in form.getlist("channel")]
        draft.username = form.get("username", "").strip()
    elif step == "assign":
        draft.rule_profile = form.get("rule_profile", draft.rule_profile)
        for index, row in enumerate(draft.roles):
            row.effective = form.get(f"roles.{index}.effective", row.effective).strip()
            row.expiration = form.get(f"roles.{index}.expiration", row.expiration).strip()
    elif step == "kyc":
        for name in (
            "first_name",
            "middle_name",
            "last_name",
            "date_of_birth",
            "gender",
            "email",
            "nationality",
            "preferred_phone",
            "notification_channel",
            "notification_msisdn",
            "notification_email",
        ):
            setattr(draft, name, form.get(name, getattr(draft, name)).strip())
        for index, id_row in enumerate(draft.ids):
            id_row.id_type = form.get(f"ids.{index}.id_type", id_row.id_type)
            id_row.number = form.get(f"ids.{index}.number", id_row.number).strip()
            id_row.expiry = form.get(f"ids.{index}.expiry", id_row.expiry).strip()
