"""What ``mpesa-agent rotate`` will do, before it does it: the plan ``rotate --dry-run`` prints and ``rotate`` shows
before asking y/N on a terminal. The steps are listed in the order the strategies run them (``single``,
``alternating``, ``web``: see their ``Workflow`` declarations); nothing here touches the portal, a site or the
vault (it only reads the configuration, the vault's version list and the rotation journal)."""

from __future__ import annotations

import dataclasses
from typing import Any

from agent.context import Context
from agent.workflows.rotation.record import load_target, start_record
from agent.workflows.rotation.request import DEFAULT_STRATEGY, RotateRequest, check_request, next_username


@dataclasses.dataclass(frozen=True)
class RotationPlan:
    short_code: str
    operator: str  # "api" | "web"
    strategy: str
    username: str
    new_username: str | None  # alternating: the operator it creates
    sites: tuple[str, ...]  # the linked sites (the push goes to those whose plugin uses the operator)
    steps: tuple[str, ...]
    in_flight: str | None  # a rotation already in flight (then only --resume or --abandon run)

    def as_dict(self) -> dict[str, Any]:
        return {**dataclasses.asdict(self), "dry_run": True}


def rotation_plan(ctx: Context, request: RotateRequest) -> RotationPlan:
    """The plan of ``request`` (a UsageError when the profile is incomplete, as the real run would raise)."""
    check_request(request)
    target = load_target(ctx, request.profile, request.portal_url)
    kind = request.operator or "api"
    strategy = "single" if kind == "web" else (request.strategy or DEFAULT_STRATEGY)
    web, api = target.plan.web.username, target.plan.api.username
    sites = tuple(sorted(ctx.config.sites))
    shops = ", ".join(sites) if sites else "no linked site"
    start = start_record(ctx.journal(f"rotate-{target.short_code}"))
    in_flight = (
        f"a {start.get('strategy', '')} rotation of {start.get('username', '?')} is in flight "
        f"(id {start.get('rotation', '?')}): mpesa-agent rotate --resume finishes it, --abandon drops it"
        if start
        else None
    )
    stage = "generate a new password and keep it as pending in your keyring (nothing is lost if a step fails)"
    read_sites = f"read every linked site's M-PESA plugin before the portal is touched ({shops})"
    new_username: str | None = None
    steps: tuple[str, ...]
    if kind == "web":
        steps = (
            stage,
            f"log in as the web operator {web} (captcha + SMS code) and change its own password (My Preference)",
            f"make the new password current in your keyring ({web}'s old one is kept as previous)",
            f"log in again as {web} to verify the new password",
        )
    elif strategy == "alternating":
        retired = {r.lower() for r in target.profile.retired_api_usernames}
        new_username = next_username(api, lambda name: name.lower() in retired)
        steps = (
            read_sites,
            f"log in as the Business Administrator {target.plan.admin_username} (captcha + SMS code)",
            f"CREATE a new API operator {new_username} (the next free name; the portal may pick a later one) with "
            f"{api}'s roles ({target.plan.role_set})",
            stage,
            f"log in as the web operator {web} (captcha + SMS code) and set {new_username}'s password",
            f"make {new_username}'s password current in your keyring",
            f"SWITCH the shop's plugin to {new_username} and read it back ({shops})",
            f"CLOSE the old API operator {api} on the portal (as the Business Administrator)",
            f"REWRITE your profile: api_operator.username = {new_username}; {api} listed under api_operator.retired",
            "read back the portal and the plugin",
        )
    else:
        steps = (
            read_sites,
            stage,
            f"log in as the web operator {web} (captcha + SMS code) and Set Password on the API operator {api}",
            f"make the new password current in your keyring ({api}'s old one is kept as previous)",
            f"push {api}'s new password to the plugins that use {api} and read it back ({shops})",
            "read back the portal and the plugin",
        )
    return RotationPlan(
        target.short_code,
        kind,
        strategy,
        web if kind == "web" else api,
        new_username,
        sites,
        steps,
        in_flight,
    )
