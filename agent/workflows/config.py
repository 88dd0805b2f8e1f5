"""The user configuration file's workflows: ``mpesa-agent config init`` (create it from the commented example) and
what ``setup`` records in the profile when it succeeds (``record_setup``). Edits go through ``ctx.config``
(tomlkit: every comment kept)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from agent import resources
from agent.context import Context
from agent.errors import AlreadyExistsError

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
