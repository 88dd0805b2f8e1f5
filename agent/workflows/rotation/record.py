"""What a rotation keeps and reads back: the profile it works on (``Target``: configuration key, short code, plan,
vault references), its journal (``rotate-<short code>``: start record, step states, what was submitted), the
configuration edits that record which API operator the shop uses, and read-only looks at the linked sites' plugin
settings and rollback snapshots."""

from __future__ import annotations

import dataclasses
import hmac
from typing import TYPE_CHECKING, Any

from agent.context import Context
from agent.errors import AgentError, ConflictError, SiteError, UsageError
from agent.journal import Journal
from agent.settings import Profile
from agent.vault import CredentialRef, Vault
from agent.workflows.edge import site_errors

if TYPE_CHECKING:
    from agent.workflows.plan import SetupPlan


@dataclasses.dataclass(frozen=True)
class Target:
    """The profile a rotation works on and the setup plan it was built from (user names, roles, KYC)."""

    profile: Profile
    plan: SetupPlan

    @property
    def profile_key(self) -> str:
        return self.profile.key

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


def load_target(ctx: Context, profile: str | None, portal_url: str | None = None) -> Target:
    """The profile (``--profile`` or the default) as a validated plan; a UsageError naming the profiles there are."""
    from agent.workflows.plan import SetupRequest, make_plan

    found = ctx.find_profile(profile)
    if found is None:
        known = ", ".join(ctx.config.profiles) or "none"
        raise UsageError(
            f"No profile {profile or ctx.config.default_profile_name() or '(default)'} in the configuration "
            f"(profiles: {known}).",
            hint="Pass --profile with your short code, or set default_profile in the configuration file.",
        )
    plan = make_plan(ctx, SetupRequest(profile=found.key, overrides={}, portal_url=portal_url, interactive=False), None)
    return Target(found, plan)


def name_api_operator(ctx: Context, profile_key: str, username: str, *, retire: str | None = None) -> None:
    """Record ``username`` as the profile's API operator (what ``push``, ``status`` and ``setup`` use) once the shop
    uses it; remember a closed one (its name stays taken on the portal)."""
    cfg = ctx.config
    cfg.set_profile_value(profile_key, "api_operator.username", username)
    if retire:
        found = cfg.find_profile(profile_key)
        retired = [r for r in (found.retired_api_usernames if found else ()) if r != retire]
        cfg.set_profile_value(profile_key, "api_operator.retired", [*retired, retire])
    cfg.save()


# -- the journal ----------------------------------------------------------------------------------------------


def start_record(journal: Journal) -> dict[str, Any] | None:
    """The start record of the rotation in flight (None when the last one finished, or there was none)."""
    start = None
    for entry in journal.entries():
        if entry.get("step") == "rotate" and entry.get("event") == "start" and start is None:
            start = dict(entry.get("detail") or {})
        if entry.get("step") == "rotate" and entry.get("event") == "finish":
            return None
    return start


def detail(journal: Journal, step: str, key: str) -> Any:
    value = None
    for entry in journal.entries():
        if entry.get("step") == step and key in (entry.get("detail") or {}):
            value = entry["detail"][key]
    return value


def submitted(journal: Journal, step: str) -> bool:
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


CHANGES = ("portal-set", "alt-create", "switch", "alt-close")  # steps that change the portal or the shop


def touched(journal: Journal) -> bool:
    """Whether any change was (or may have been) submitted to the portal or the shop by this rotation."""
    return any(submitted(journal, step) or journal.is_done(step) for step in CHANGES)


def refuse_while_in_flight(ctx: Context, short_code: str, why: str) -> None:
    """ConflictError (exit 8) when a rotation of ``short_code`` is in flight, even paused (``push`` uses it: the
    rotation owns the plugin's initiator until it ends)."""
    journal = ctx.journal(f"rotate-{short_code}")
    start = start_record(journal)
    if start is not None:
        raise ConflictError(
            f"{explain(start, journal)} {why}",
            hint="Finish it first: mpesa-agent rotate --resume (or mpesa-agent rotate --abandon), then push.",
        )


def explain(start: dict[str, Any], journal: Journal) -> str:
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


def conflict(start: dict[str, Any], journal: Journal) -> ConflictError:
    return ConflictError(
        explain(start, journal) + " A new rotation is refused until it is finished.",
        hint="Run 'mpesa-agent rotate --resume' to finish it (it re-checks the portal and continues), or "
        "'mpesa-agent rotate --abandon' to drop it while the credential in use is still untouched. The journal: "
        f"{journal.path}",
    )


def rotation_in_flight(ctx: Context, profile: str | None = None) -> dict[str, Any] | None:
    """The rotation in flight for ``profile`` (its start record and each step's last event), or None. For ``status``."""
    found = ctx.find_profile(profile)
    if found is None:
        return None
    journal = ctx.journal(f"rotate-{found.short_code}")
    start = start_record(journal)
    if start is None:
        return None
    return {**start, "steps": journal.steps(), "journal": str(journal.path)}


def ours(note: str, rid: str) -> bool:
    return f"rotation {rid}" in note


def discard_ours(vault: Vault, ref: CredentialRef, rid: str) -> None:
    """Forget the pending password of ``ref`` if this rotation (``rid``) staged it."""
    pending = vault.info(ref).get("pending")
    if pending is not None and ours(pending.note, rid):
        vault.discard_pending(ref)


def end_untouched(target: Target, start: dict[str, Any], journal: Journal, vault: Vault, why: str) -> None:
    """End a rotation that changed nothing: forget its pending password, close the journal."""
    rid = str(start["rotation"])
    if start.get("operator") == "web":
        refs = [target.web_ref]
    else:
        refs = [target.api_ref(str(start["username"]))]
        new_name = detail(journal, "alt-name", "username")
        if new_name:
            refs.append(target.api_ref(str(new_name)))
    for ref in refs:
        discard_ours(vault, ref, rid)
    journal.record("rotate", "finish", ended=why, changed=False)
    journal.archive()


# -- the linked sites (read-only; writes go through agent.workflows.sites) -------------------------------------


def same(a: str | None, b: str | None) -> bool:
    return a is not None and b is not None and hmac.compare_digest(a.encode(), b.encode())


def site_values(ctx: Context, url: str) -> tuple[str | None, str | None]:
    """(initiator user name, initiator password) the site's M-PESA plugin holds now: one GET."""
    from agent.workflows import sites
    from wp_bridge import gateway
    from wp_bridge.plugins import require_supported

    data = ctx.config.sites.get(url)
    if data is None:
        raise UsageError(f"{url} is not linked any more.", hint="Link it again: mpesa-agent link-site " + url)
    link = sites.SiteLink.from_config(url, dict(data))
    with site_errors(), sites.client_for(link, ctx.vault) as client:
        state = gateway.read_gateway(client, link.gateway_id)
        adapter = require_supported(link.gateway_id, state.keys, site=url)
    user = state.settings.get(adapter.field("initiator_username").key)
    secret_setting = state.settings.get(adapter.field("initiator_password").key)
    return (
        str(user.value) if user is not None and user.value is not None else None,
        str(secret_setting.value) if secret_setting is not None and secret_setting.value is not None else None,
    )


def snapshot_values(vault: Vault, url: str) -> tuple[str | None, str | None] | None:
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


def like(exc: AgentError, message: str, hint: str) -> AgentError:
    """An error with the same exit status as ``exc`` (its class when it can be built) and a rotation-level text."""
    try:
        new = type(exc)(message, hint=hint)
    except TypeError:
        new = SiteError(message, hint=hint)
        new.exit_status = exc.exit_status
    return new
