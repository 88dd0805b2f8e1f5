"""What ``setup`` will do: the inputs it needs, gathered and validated into a ``SetupPlan``.

Inputs come, in order of precedence, from command-line overrides, the user's profile in the configuration file, and
(when interactive) prompts. With ``interactive=False`` a missing input is a UsageError that names it and where to
put it. Every value passes the validators of ``agent.validators`` before anything touches the portal, and the
portal address passes ``agent.portal_address`` (the plan carries its ASCII host, and the announcement to make before
the password is typed when the host is trusted only by the profile).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from agent import resources, validators
from agent.errors import UsageError
from agent.portal_address import TRUSTED_KEY, PortalAddress, check_portal_address

if TYPE_CHECKING:
    from agent.context import Context


@dataclasses.dataclass(frozen=True)
class Kyc:
    first_name: str
    last_name: str
    msisdn: str
    id_type: str
    id_number: str
    email: str = ""
    middle_name: str = ""
    date_of_birth: dt.date | None = None


@dataclasses.dataclass(frozen=True)
class OperatorPlan:
    kind: str  # "web" | "api"
    username: str
    roles: tuple[str, ...]
    rule_profile: str
    kyc: Kyc

    @property
    def channel(self) -> str:
        return "Web" if self.kind == "web" else "API"

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "username": self.username,
            "channel": self.channel,
            "roles": list(self.roles),
            "rule_profile": self.rule_profile,
            "notification_msisdn": self.kyc.msisdn,
        }


@dataclasses.dataclass(frozen=True)
class SetupPlan:
    profile: str  # the organisation short code
    organization_name: str
    portal_url: str
    admin_username: str
    web: OperatorPlan
    api: OperatorPlan
    role_set: str
    portal_host: str = ""  # the portal's host in ASCII (punycode) form, as checked by agent.portal_address
    portal_announcement: str = ""  # said before the password is typed (a host trusted only by the profile)

    def as_dict(self) -> dict[str, Any]:
        return {
            "profile": self.profile,
            "portal_url": self.portal_url,
            "portal_host": self.portal_host,
            "portal_trusted_by_profile": bool(self.portal_announcement),
            "admin_username": self.admin_username,
            "web_operator": self.web.as_dict(),
            "api_operator": self.api.as_dict(),
            "role_set": self.role_set,
        }


# Every input: (path in the profile, prompt text, example)
FIELDS: dict[str, tuple[str, str]] = {
    "short_code": ("Organisation short code (paybill or store number)", "600000"),
    "admin_username": ("Business Administrator user name (from Safaricom's e-mail)", "mamaadmin"),
    "owner_msisdn": ("Your Safaricom number for operator SMS", "0712345678"),
    "web_operator.username": ("User name for the new web operator", "mamaweb"),
    "web_operator.first_name": ("Web operator's first name", "Wanjiku"),
    "web_operator.last_name": ("Web operator's last name", "Kamau"),
    "web_operator.id_number": ("Web operator's national ID number", "12345678"),
    "api_operator.username": ("User name for the new API operator (the initiator)", "mamaapi"),
}

Ask = Callable[[str], str]


def role_sets() -> dict[str, dict[str, Any]]:
    return dict(resources.load_toml("roles.toml")["role_sets"])


def web_roles() -> tuple[str, ...]:
    return tuple(resources.load_toml("roles.toml")["web_operator"]["roles"])


def _get(profile: dict[str, Any], path: str) -> Any:
    node: Any = profile
    for part in path.split("."):
        if not isinstance(node, dict):
            return None
        node = node.get(part)
    return node


def _set(profile: dict[str, Any], path: str, value: Any) -> None:
    parts = path.split(".")
    node = profile
    for part in parts[:-1]:
        node = node.setdefault(part, {})
    node[parts[-1]] = value


def build_plan(
    profile: dict[str, Any], *, portal_url: str, overrides: dict[str, Any] | None = None, ask: Ask | None = None
) -> SetupPlan:
    """Merge overrides into ``profile``, ask for what is missing (or fail naming it), validate, return the plan."""
    merged: dict[str, Any] = {k: (dict(v) if isinstance(v, dict) else v) for k, v in profile.items()}
    for path, value in (overrides or {}).items():
        if value not in (None, ""):
            _set(merged, path, value)
    address = check_plan_address(merged, portal_url)  # before asking anything: a refused address ends the run
    for path, (question, example) in FIELDS.items():
        if _get(merged, path) in (None, ""):
            if ask is None:
                raise UsageError(
                    f"The input '{path}' is missing.",
                    hint=f"Add it to your profile in the configuration file (mpesa-agent config path), e.g. "
                    f'{path.split(".")[-1]} = "{example}", or run setup interactively.',
                )
            _set(merged, path, ask(f"{question} (e.g. {example})"))
    return _validated(merged, address)


def check_plan_address(p: dict[str, Any], portal_url: str) -> PortalAddress:
    """The portal address checked against the known Safaricom hosts and the profile's ``trusted_portal_hosts``
    (a PortalAddressError, exit 2, before anything touches a browser)."""
    trusted = p.get(TRUSTED_KEY) or ()
    if isinstance(trusted, str):
        trusted = (trusted,)
    if not isinstance(trusted, list | tuple):
        raise UsageError(
            f"The key '{TRUSTED_KEY}' in the profile must be a list of host names, not {type(trusted).__name__}.",
            hint=f'Write it as {TRUSTED_KEY} = ["portal.example.co.ke"] in the profile in the configuration file.',
        )
    return check_portal_address(portal_url, trusted_hosts=tuple(str(h) for h in trusted))


def _validated(p: dict[str, Any], address: PortalAddress) -> SetupPlan:
    defaults = resources.load_toml("roles.toml")["defaults"]
    short_code = validators.validate_short_code(str(p["short_code"]))
    admin = validators.validate_username(str(p["admin_username"]))
    msisdn = validators.normalize_msisdn(str(p["owner_msisdn"]))
    web_raw: dict[str, Any] = dict(p.get("web_operator") or {})
    api_raw: dict[str, Any] = dict(p.get("api_operator") or {})
    web_kyc = _kyc(web_raw, msisdn, "web_operator")
    # The API operator's KYC defaults to the web operator's (the same shop owner).
    api_kyc = _kyc({**web_raw, **{k: v for k, v in api_raw.items() if v not in (None, "")}}, msisdn, "api_operator")
    set_name = str(api_raw.get("role_set") or defaults["role_set"])
    sets = role_sets()
    if set_name not in sets:
        raise UsageError(f"Unknown role set '{set_name}'.", hint="Known role sets: " + ", ".join(sorted(sets)) + ".")
    web_user = validators.validate_username(str(web_raw["username"]))
    api_user = validators.validate_username(str(api_raw["username"]))
    if web_user.lower() == api_user.lower():
        raise UsageError("The web operator and the API operator need different user names.")
    if admin.lower() in (web_user.lower(), api_user.lower()):
        raise UsageError("The new operators' user names must differ from the Business Administrator's.")
    return SetupPlan(
        profile=short_code,
        organization_name=str(p.get("organization_name") or ""),
        portal_url=address.url,
        admin_username=admin,
        web=OperatorPlan("web", web_user, web_roles(), str(defaults["rule_profile"]), web_kyc),
        api=OperatorPlan("api", api_user, tuple(sets[set_name]["roles"]), str(defaults["rule_profile"]), api_kyc),
        role_set=set_name,
        portal_host=address.host,
        portal_announcement=address.announcement,
    )


def _kyc(raw: dict[str, Any], msisdn: str, where: str) -> Kyc:
    def need(key: str) -> str:
        value = raw.get(key)
        if value in (None, ""):
            raise UsageError(
                f"The input '{where}.{key}' is missing.", hint="Add it to your profile in the configuration file."
            )
        return str(value)

    id_type = str(raw.get("id_type") or "National ID")
    dob_text = raw.get("date_of_birth")
    return Kyc(
        first_name=validators.validate_name(need("first_name")),
        last_name=validators.validate_name(need("last_name")),
        middle_name=validators.validate_name(str(raw["middle_name"])) if raw.get("middle_name") else "",
        msisdn=validators.normalize_msisdn(str(raw["msisdn"])) if raw.get("msisdn") else msisdn,
        id_type=id_type,
        id_number=validators.validate_id_number(id_type, need("id_number")),
        email=validators.validate_email(str(raw["email"])) if raw.get("email") else "",
        date_of_birth=validators.validate_date_of_birth(str(dob_text)) if dob_text else None,
    )


@dataclasses.dataclass(frozen=True)
class SetupRequest:
    """Everything ``mpesa-agent setup`` was asked to do (no secrets). Settings such as ``ui`` and ``headless`` are
    in the context (the CLI puts its flags there)."""

    profile: str | None
    overrides: dict[str, Any]
    portal_url: str | None = None
    interactive: bool = True


def make_plan(ctx: Context, request: SetupRequest, ask: Callable[[str], str] | None) -> SetupPlan:
    """The validated plan: the profile (if any) with the request's overrides, asking for what is missing when
    interactive. The portal: ``--portal-url``, else the profile's ``portal_url``, else the settings'."""
    profile = ctx.find_profile(request.profile)
    if request.profile and profile is None:
        ctx.profile(request.profile)  # raises, naming the profiles there are
    table = profile.as_table() if profile else {}
    portal_url = request.portal_url or (profile.portal_url if profile else None) or ctx.settings.portal_url
    return build_plan(
        table, portal_url=portal_url, overrides=request.overrides, ask=ask if request.interactive else None
    )
