"""The user configuration file's workflows: ``mpesa-agent config init`` (create it from the commented example) and
what ``setup`` records in the profile when it succeeds (``record_setup``). Edits go through ``ctx.config``
(tomlkit: every comment kept)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from agent import resources
from agent.context import Context
from agent.errors import AlreadyExistsError, UsageError

if TYPE_CHECKING:
    from agent.workflows.plan import SetupPlan


def init_config(ctx: Context, *, force: bool = False) -> Path:
    """Write the commented example configuration to the user's config file; refuse to overwrite unless forced."""
    path = ctx.paths.ensure().config_file
    if path.exists() and not force:
        raise AlreadyExistsError(
            f"{path} exists already; nothing was changed.",
            hint="Edit it, or run 'mpesa-agent config init --force' to replace it with the example.",
        )
    text = resources.read_text("mpesa-agent.example.toml")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    path.chmod(0o600)
    return path


PLACEHOLDER = "EDIT-ME"


def placeholder_fields(table: Any, where: str = "") -> list[str]:
    """The dotted keys of ``table`` whose value is still a ``config init`` placeholder (``EDIT-ME``)."""
    found: list[str] = []
    if isinstance(table, dict):
        for key, value in table.items():
            here = f"{where}.{key}" if where else str(key)
            if isinstance(value, dict):
                found.extend(placeholder_fields(value, here))
            elif isinstance(value, str) and PLACEHOLDER in value.upper():
                found.append(here)
    return found


def check_no_placeholders(ctx: Context, profile: str | None) -> None:
    """A UsageError naming every field of the profile that still holds ``config init``'s placeholder: the example
    data must never reach Safaricom."""
    found = ctx.find_profile(profile)
    if found is None:
        return
    left = placeholder_fields(found.as_table())
    if left:
        raise UsageError(
            f"The profile {found.key} still has placeholders from config init: {', '.join(left)}.",
            hint=f"Edit them in {ctx.config.path} (the real person's data, as Safaricom knows it; delete optional "
            "ones), then run mpesa-agent setup --dry-run.",
        )


def profile_key_for(ctx: Context, short_code: str) -> str:
    """The key of the profile for ``short_code``: the default profile when it has that short code, else the first
    profile that has it, else the short code itself (a new profile)."""
    default = ctx.config.default_profile_name()
    candidates = ([default] if default else []) + [k for k in ctx.config.profiles if k != default]
    for key in candidates:
        found = ctx.config.find_profile(key)
        if found is not None and found.short_code == short_code:
            return key
    return short_code


def record_setup(ctx: Context, plan: SetupPlan) -> str:
    """Record in the profile what a successful setup created (short code, the Business Administrator, both user
    names, the role set, the portal and the SMS number), creating the profile and the configuration file when
    needed, with the file's comments kept; the profile becomes the default when there is none. Returns the key.

    Afterwards ``push``, ``rotate`` and ``status`` work without a hand-written configuration: ``rotate
    --strategy alternating`` creates an operator with the same identity data, so the names and ID number typed at
    the prompts are recorded too (no secret: the profile is where ``config init`` puts them)."""
    cfg = ctx.config
    key = profile_key_for(ctx, plan.profile)
    existing = cfg.find_profile(key)
    values: dict[str, Any] = {
        "short_code": plan.profile,
        "admin_username": plan.admin_username,
        "owner_msisdn": plan.web.kyc.msisdn,
        "portal_url": plan.portal_url,
        "web_operator.username": plan.web.username,
        "api_operator.username": plan.api.username,
        "api_operator.role_set": plan.role_set,
        **_kyc_values("web_operator", plan.web.kyc),
    }
    if plan.api.kyc != plan.web.kyc:  # the API operator's identity defaults to the web operator's
        values.update(_kyc_values("api_operator", plan.api.kyc))
    changed = False
    for dotted, value in values.items():
        if existing is None or existing.get(dotted) != value:
            cfg.set_profile_value(key, dotted, value)
            changed = True
    if not cfg.data.get("default_profile"):
        cfg.set_default_profile(key)
        changed = True
    if changed or not cfg.path.exists():
        cfg.save()
    return key


def _kyc_values(where: str, kyc: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        f"{where}.first_name": kyc.first_name,
        f"{where}.last_name": kyc.last_name,
        f"{where}.id_type": kyc.id_type,
        f"{where}.id_number": kyc.id_number,
    }
    for name in ("middle_name", "email"):
        if getattr(kyc, name):
            values[f"{where}.{name}"] = getattr(kyc, name)
    if kyc.date_of_birth is not None:
        values[f"{where}.date_of_birth"] = kyc.date_of_birth.isoformat()
    return values


def mask_id_number(number: str) -> str:
    """An ID or passport number as ``setup --dry-run`` shows it: all but the last two characters hidden."""
    keep = 2 if len(number) > 4 else 0
    return "*" * (len(number) - keep) + number[len(number) - keep :]


# What a setup from the start asks a person for: the Business Administrator's login (captcha + SMS code), the new
# web operator's first login (its temporary password by SMS, then captcha + SMS code) and, after the forced change
# sends it back to the login page, its login to set the API operator's password (captcha + SMS code). A resumed run
# asks less (one login, as the web operator, when only its steps are left).
FRESH_SETUP_ASKS = {"captchas": 3, "sms_codes": 3, "sms_passwords": 1}


def setup_preview(plan: SetupPlan) -> dict[str, Any]:
    """What ``setup --dry-run`` shows besides the steps: the identity data each operator is created with (the ID
    number masked) and how many captchas and SMS messages the run will ask for."""

    def identity(kyc: Any) -> dict[str, Any]:
        return {
            "first_name": kyc.first_name,
            "middle_name": kyc.middle_name,
            "last_name": kyc.last_name,
            "id_type": kyc.id_type,
            "id_number": mask_id_number(kyc.id_number),
            "email": kyc.email,
            "date_of_birth": kyc.date_of_birth.isoformat() if kyc.date_of_birth else "",
            "msisdn": kyc.msisdn,
        }

    return {
        "identity": {"web_operator": identity(plan.web.kyc), "api_operator": identity(plan.api.kyc)},
        "asks": dict(FRESH_SETUP_ASKS),
    }
