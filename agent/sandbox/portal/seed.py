"""Seed data for the sandbox portal (reference §15.5) and the JSON seed format of ``POST /__sim/seed``.

Default (what every new sandbox holds): organisation ``600000`` "Sandbox Duka Ltd" (Top Organization Level 2) with an
Active Business Administrator ``sandboxadmin`` / ``Sandbox#2030``, phone ``254708374149``.

Seed JSON (every key optional)::

    {
      "replace": true,                  # wipe organisations, outbox and sessions first (default true)
      "shortcode": "600000", "org_name": "Sandbox Duka Ltd",
      "admin": {"username": "sandboxadmin", "password": "Sandbox#2030", "msisdn": "254708374149",
                "first_name": "Grace", "last_name": "Wanjiku", "first_login": false},
      "extras": ["manager", "api_operator", "pending_web_operator", "locked_operator", "dormant_operator",
                 "suspended_operator", "closed_operator"],
      "operators": [{"username": "shopkeeper", "channels": ["Web"], "roles": ["Business Manager"],
                     "status": "Active", "password": "Shop#2030x", "first_name": "Ann", "last_name": "Njeri",
                     "msisdn": "254712000001", "email": "", "first_login": false}]
    }

``admin.first_login: true`` makes the administrator change the password and set two security questions at the next
login. Operator ``status`` is one of Pending Active, Active, Locked, Dormant, Suspended, Closed. A Pending Active web
operator gets a temporary password by SMS (as if just created); its ``password`` is ignored. The answer lists every
seeded operator with its identity ID and, for the fixed sandbox passwords, the password.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from agent.sandbox.portal.catalogue import (
    ACTIVE,
    API,
    BUSINESS_ADMINISTRATOR,
    BUSINESS_MANAGER,
    CLOSED,
    DORMANT,
    LOCKED,
    PENDING_ACTIVE,
    SET_RESTRICTED_API_PASSWORD,
    STATUSES,
    SUSPENDED,
    WEB,
    find_role,
)
from agent.sandbox.portal.passwords import generate_temporary_password, password_problem

if TYPE_CHECKING:
    from agent.sandbox.portal.state import Operator, PortalState

from agent.sandbox.portal import ADMIN_MSISDN, ADMIN_PASSWORD, ADMIN_USERNAME
from agent.sandbox.portal import ORG_NAME as DEFAULT_ORG_NAME
from agent.sandbox.portal import SHORTCODE as DEFAULT_SHORTCODE

# Ready-made operators for "extras": username, channels, roles, status, password, first, last, msisdn.
EXTRAS: dict[str, tuple[str, tuple[str, ...], tuple[str, ...], str, str, str, str, str]] = {
    "manager": (
        "sandboxmgr",
        (WEB,),
        (BUSINESS_MANAGER, SET_RESTRICTED_API_PASSWORD),
        ACTIVE,
        "Manager#2030",
        "Peter",
        "Kamau",
        "254708374150",
    ),
    "api_operator": (
        "sandboxapi",
        (API,),
        ("ORG B2C API initiator", "Transaction Status query ORG API", "Balance Query ORG API"),
        ACTIVE,
        "ApiInit#2030",
        "Api",
        "Initiator",
        "254708374151",
    ),
    "pending_web_operator": (
        "newclerk",
        (WEB,),
        ("Business Web Operator",),
        PENDING_ACTIVE,
        "",
        "Mary",
        "Achieng",
        "254708374152",
    ),
    "locked_operator": (
        "lockedclerk",
        (WEB,),
        ("Business Web Operator",),
        LOCKED,
        "Locked#2030",
        "John",
        "Mwangi",
        "254708374153",
    ),
    "dormant_operator": (
        "sleepyclerk",
        (WEB,),
        ("Business Web Operator",),
        DORMANT,
        "Dormant#2030",
        "Jane",
        "Chebet",
        "254708374154",
    ),
    "suspended_operator": (
        "suspclerk",
        (WEB,),
        ("Business Web Operator",),
        SUSPENDED,
        "Suspend#2030",
        "Paul",
        "Otieno",
        "254708374155",
    ),
    "closed_operator": (
        "oldinit",
        (API,),
        ("ORG B2C API initiator",),
        CLOSED,
        "Closed#2030",
        "Old",
        "Initiator",
        "254708374156",
    ),
}


class SeedError(ValueError):
    """A seed request the sandbox cannot apply."""


def _text(spec: dict[str, Any], key: str, default: str) -> str:
    value = spec.get(key, default)
    if not isinstance(value, str):
        raise SeedError(f"{key} must be a string")
    return value


def _operator(state: PortalState, spec: dict[str, Any]) -> tuple[Operator, str | None]:
    from agent.sandbox.portal.state import Kyc

    username = _text(spec, "username", "")
    if not username:
        raise SeedError("every operator needs a username")
    channels = spec.get("channels", [WEB])
    if not isinstance(channels, list) or not channels or any(c not in (WEB, API) for c in channels):
        raise SeedError(f"{username}: channels must be a non-empty list of 'Web'/'API'")
    roles = spec.get("roles", [])
    if not isinstance(roles, list) or any(not isinstance(r, str) or find_role(r) is None for r in roles):
        raise SeedError(f"{username}: roles must be names from the role catalogue")
    status = _text(spec, "status", ACTIVE)
    if status not in STATUSES:
        raise SeedError(f"{username}: status must be one of {', '.join(STATUSES)}")
    first_login = bool(spec.get("first_login", False))
    org = state.orgs[_text(spec, "shortcode", next(iter(state.orgs)))]
    if org.username_taken(username):
        raise SeedError(f"{username}: the user name is already used in {org.shortcode}")
    msisdn = _text(spec, "msisdn", "")
    kyc = Kyc(
        first_name=_text(spec, "first_name", username),
        last_name=_text(spec, "last_name", ""),
        email=_text(spec, "email", ""),
        preferred_phone=msisdn,
        notification_msisdn=msisdn,
        notification_email=_text(spec, "email", ""),
    )
    password: str | None = _text(spec, "password", "") or None
    pending_web = status == PENDING_ACTIVE and WEB in channels
    if pending_web:
        password = generate_temporary_password()
    elif password is not None and password_problem(password):
        raise SeedError(f"{username}: the password breaks the portal's rules: {password_problem(password)}")
    lifecycle = {PENDING_ACTIVE: PENDING_ACTIVE, CLOSED: CLOSED}.get(status, ACTIVE)
    op = state.add_operator(
        org,
        username=username,
        channels=channels,
        roles=roles,
        kyc=kyc,
        lifecycle=lifecycle,
        password=password,
        temporary_password=pending_web or first_login,
        security_questions=WEB in channels and not pending_web and not first_login,
    )
    if status == LOCKED:
        op.locked, op.failed_logins = True, state.settings.lockout_threshold
    elif status == DORMANT:
        op.dormant = True
    elif status == SUSPENDED:
        op.suspended = True
    if pending_web and password is not None:
        from agent.sandbox.portal.state import WEB_OPERATOR_CREATED

        state.notify_operator(
            op,
            f"Dear {kyc.first_name}, your M-PESA Organization Portal account has been created. "
            f"Username: {username} Password: {password}",
            WEB_OPERATOR_CREATED,
        )
        return op, None
    return op, password


def apply_seed(state: PortalState, spec: dict[str, Any]) -> dict[str, Any]:
    """Apply a seed (see the module docstring); returns what was created. Raises ``SeedError``."""
    from agent.sandbox.portal.state import IdDocument

    with state.lock:
        if spec.get("replace", True):
            state.orgs.clear()
            state.outbox.clear()
            state.sessions.clear()
        shortcode = _text(spec, "shortcode", DEFAULT_SHORTCODE)
        if not shortcode.isdigit() or not 5 <= len(shortcode) <= 10:
            raise SeedError("shortcode must be 5 to 10 digits")
        org = state.add_org(shortcode, _text(spec, "org_name", DEFAULT_ORG_NAME))
        created: list[dict[str, Any]] = []
        admin = spec.get("admin", {})
        if not isinstance(admin, dict):
            raise SeedError("admin must be an object")
        if not any(op.is_admin for op in org.operators.values()):
            msisdn = _text(admin, "msisdn", ADMIN_MSISDN)
            op, password = _operator(
                state,
                {
                    "shortcode": shortcode,
                    "username": _text(admin, "username", ADMIN_USERNAME),
                    "password": _text(admin, "password", ADMIN_PASSWORD),
                    "channels": [WEB],
                    "roles": [BUSINESS_ADMINISTRATOR],
                    "first_name": _text(admin, "first_name", "Grace"),
                    "last_name": _text(admin, "last_name", "Wanjiku"),
                    "msisdn": msisdn,
                    "email": _text(admin, "email", "admin@sandbox-duka.test"),
                    "first_login": bool(admin.get("first_login", False)),
                },
            )
            op.kyc.ids = [IdDocument("National ID", _text(admin, "id_number", "12345678"))]
            created.append(_created(op, password))
        extras = spec.get("extras", [])
        if not isinstance(extras, list) or any(e not in EXTRAS for e in extras):
            raise SeedError(f"extras must be a list of: {', '.join(EXTRAS)}")
        for name in extras:
            username, channels, roles, status, password, first, last, msisdn = EXTRAS[name]
            op, shown = _operator(
                state,
                {
                    "shortcode": shortcode,
                    "username": username,
                    "channels": list(channels),
                    "roles": list(roles),
                    "status": status,
                    "password": password,
                    "first_name": first,
                    "last_name": last,
                    "msisdn": msisdn,
                },
            )
            created.append(_created(op, shown))
        operators = spec.get("operators", [])
        if not isinstance(operators, list) or any(not isinstance(o, dict) for o in operators):
            raise SeedError("operators must be a list of objects")
        for item in operators:
            op, shown = _operator(state, {"shortcode": shortcode, **item})
            created.append(_created(op, shown))
        state.changed.notify_all()
        return {"shortcode": shortcode, "org_name": org.name, "operators": created}


def _created(op: Operator, password: str | None) -> dict[str, Any]:
    return {"username": op.username, "identity_id": op.identity_id, "status": op.status, "password": password}
