"""Workflows for the shop side: link a WordPress site, unlink it, list linked sites, push the API operator, and
rotate the site's application password. No click here; the CLI renders the returned dataclasses (``to_dict()``
for ``--json``; none of them holds a secret).

Where things live:

* non-secret link data in the user config, ``[sites."<normalised url>"]`` (``SiteLink.to_config``): API root,
  URL style, WordPress user, the application password's UUID and ``app_id``, plugin and fingerprint, linked-at;
* the application password in the vault: ``CredentialRef("sites", "site-app-password", <url>)``;
* the gateway settings before the last push (the rollback snapshot, which holds secrets) in the vault:
  ``CredentialRef("sites", "site-snapshot", <url>)``, stored before the write is sent.

Interactive acquisition of the application password (opening ``authorize_url`` from ``prepare_link``, prompting)
belongs to the CLI; ``link_site`` is the non-interactive core and verifies the password before storing anything.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from agent import __version__, validators
from agent.context import Context
from agent.errors import AgentError, AlreadyExistsError, ConfigError, ExitStatus, UsageError
from agent.secret import Secret
from agent.vault import CredentialRef, Vault
from agent.workflows.edge import from_wp, site_errors
from agent.workflows.site_results import (
    LinkPreparation,
    LinkResult,
    PushReport,
    RotationResult,
    SiteLink,
    SitePushOutcome,
    SitesReport,
    SiteStatus,
    UnlinkResult,
)
from wp_bridge import app_passwords, errors, gateway
from wp_bridge.client import Credentials, SiteInfo, Transport, WPClient, discover
from wp_bridge.plugins import require_supported
from wp_bridge.urls import ApiRoot, app_id_for, normalize_site_url

USER_AGENT = f"mpesa-agent/{__version__}"
SITES_PROFILE = "sites"


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def app_password_ref(url: str) -> CredentialRef:
    return CredentialRef(SITES_PROFILE, "site-app-password", url)


def snapshot_ref(url: str) -> CredentialRef:
    return CredentialRef(SITES_PROFILE, "site-snapshot", url)


# -- helpers ------------------------------------------------------------------------------------------------------


def _linked(ctx: Context, url: str) -> SiteLink:
    normalised = normalize_site_url(url)
    data = ctx.config.sites.get(normalised)
    if data is None:
        known = ", ".join(ctx.config.sites) or "none"
        raise UsageError(
            f"{normalised} is not linked (linked sites: {known}).",
            hint=f"Link it first: mpesa-agent link-site {normalised}",
        )
    return SiteLink.from_config(normalised, dict(data))


def linked_sites(ctx: Context) -> list[SiteLink]:
    """Every linked site, in URL order."""
    return [SiteLink.from_config(u, dict(d)) for u, d in sorted(ctx.config.sites.items())]


def client_for(link: SiteLink, vault: Vault, *, transport: Transport | None = None) -> WPClient:
    """A REST client of ``link`` signed in with its application password from the vault."""
    secret = vault.require(app_password_ref(link.url))
    return WPClient(
        ApiRoot.from_url(link.api_root),
        user_agent=USER_AGENT,
        credentials=Credentials(link.username, secret.reveal()),
        transport=transport,
    )


def _already_linked(url: str) -> AlreadyExistsError:
    return AlreadyExistsError(
        f"{url} is linked already; nothing was changed.",
        hint=f"Use --force to replace the link, or 'mpesa-agent unlink-site {url}' first.",
    )


# -- link -----------------------------------------------------------------------------------------------------------


def prepare_link(ctx: Context, url: str, *, transport: Transport | None = None) -> LinkPreparation:
    """Discover the site (no credentials sent) and give the authorize-application URL to show or open."""
    with site_errors():
        info = discover(url, user_agent=USER_AGENT, transport=transport)
    authorize = None
    if info.authorization_url:
        authorize = app_passwords.authorize_url(info.authorization_url, app_id=app_id_for(info.site_url))
    return LinkPreparation(info.site_url, info.to_dict(), authorize, info.site_url in ctx.config.sites)


def _check_site_offers(info: SiteInfo) -> None:
    if not info.app_passwords_available:
        raise errors.AppPasswordsUnavailableError(
            f"{info.site_url} does not offer application passwords, so the agent cannot sign in.",
            hint=app_passwords.APP_PASSWORDS_HINT,
        )
    if not info.woocommerce:
        raise errors.WooCommerceMissingError(
            f"{info.site_url} has no WooCommerce REST API (namespace wc/v3).",
            hint="Install and activate WooCommerce and the M-PESA plugin, then link again.",
        )


def link_site(
    ctx: Context,
    url: str,
    username: str,
    app_password: Secret | str,
    *,
    force: bool = False,
    transport: Transport | None = None,
) -> LinkResult:
    """Link a site non-interactively: discover, verify the application password and the plugin, then store.

    Nothing is stored unless the password works, the user may manage WooCommerce and the M-PESA plugin is one the
    agent supports. Re-linking a linked site needs ``force=True`` (AlreadyExistsError, exit 2, otherwise).
    """
    with ctx.lock(None, "link-site"), site_errors():
        return _link_site(ctx, url, username, app_password, force=force, transport=transport)


def _link_site(
    ctx: Context, url: str, username: str, app_password: Secret | str, *, force: bool, transport: Transport | None
) -> LinkResult:
    report = ctx.reporter
    typed = app_password.reveal() if isinstance(app_password, Secret) else app_password
    username = validators.validate_wp_username(username or "")
    # WordPress shows it in chunks ("abcd efgh ..."); it is ASCII letters and digits.
    secret = Secret(validators.validate_wp_app_password(typed))
    cfg = ctx.config
    normalised = normalize_site_url(url)
    if normalised in cfg.sites and not force:
        raise _already_linked(normalised)

    report.start("discover", f"Find the WordPress REST API of {normalised}")
    info = discover(normalised, user_agent=USER_AGENT, transport=transport)
    report.finish("discover", "ok", f"{info.api_root.url} ({info.api_root.style} URLs)")
    replaced = info.site_url in cfg.sites
    if replaced and not force:
        raise _already_linked(info.site_url)
    _check_site_offers(info)

    client = WPClient(
        info.api_root,
        user_agent=USER_AGENT,
        credentials=Credentials(username, secret.reveal()),
        transport=transport,
    )
    report.start("verify", f"Check the application password of {username}")
    user = app_passwords.verify(client)
    try:
        used = app_passwords.introspect(client)
        app_uuid, app_name, app_id = used.uuid, used.name, used.app_id or app_id_for(info.site_url)
    except errors.WPBridgeError:  # WordPress < 5.7: no introspection; rotation will look it up later
        app_uuid, app_name, app_id = "", "", app_id_for(info.site_url)
    report.finish("verify", "ok", f"{user.username} ({', '.join(user.roles)}) may manage WooCommerce")

    report.start("plugin", "Identify the M-PESA plugin")
    state = gateway.read_gateway(client, "mpesa")
    adapter = require_supported("mpesa", state.keys, site=info.site_url)
    report.finish("plugin", "ok", adapter.name)

    link = SiteLink(
        url=info.site_url,
        api_root=info.api_root.url,
        url_style=info.api_root.style,
        username=username,
        user_id=user.id,
        app_uuid=app_uuid,
        app_name=app_name,
        app_id=app_id,
        gateway_id=state.gateway_id or "mpesa",
        plugin=adapter.id,
        plugin_name=adapter.name,
        fingerprint=state.fingerprint,
        linked_at=_now(),
    )
    report.start("store", "Store the application password in the vault and the link in the config")
    ctx.vault.set_current(app_password_ref(link.url), secret, note=f"application password of {username}")
    cfg.set_site(link.url, link.to_config())
    cfg.save()
    report.finish("store", "ok", ctx.vault.backend_name)
    user_data = {
        "id": user.id,
        "username": user.username or username,
        "roles": list(user.roles),
        "can_manage_woocommerce": user.can_manage_woocommerce,
    }
    return LinkResult(link, info.to_dict(), user_data, replaced)


# -- unlink, list ---------------------------------------------------------------------------------------------------


def unlink_site(ctx: Context, url: str, revoke: bool = False, *, transport: Transport | None = None) -> UnlinkResult:
    """Forget a site: the link, its application password and snapshot in the vault; ``revoke`` also deletes the
    application password on the site first (if that fails, nothing is forgotten, so it can be retried)."""
    with ctx.lock(None, "unlink-site"):
        return _unlink_site(ctx, url, revoke, transport=transport)


def _unlink_site(ctx: Context, url: str, revoke: bool, *, transport: Transport | None) -> UnlinkResult:
    cfg = ctx.config
    vault = ctx.vault
    normalised = normalize_site_url(url)
    has_link = normalised in cfg.sites
    has_secret = vault.get(app_password_ref(normalised)) is not None
    if not has_link and not has_secret:
        raise UsageError(f"{normalised} is not linked; nothing to do.", hint="'mpesa-agent sites' lists linked sites.")
    revoked = False
    if revoke:
        link = _linked(ctx, normalised)
        with site_errors():
            client = client_for(link, vault, transport=transport)
            target = link.app_uuid or app_passwords.introspect(client).uuid
            try:
                app_passwords.delete(client, target)
            except errors.AppPasswordNotFoundError:
                pass  # already gone on the site
        revoked = True
    vault.delete(app_password_ref(normalised))
    vault.delete(snapshot_ref(normalised))
    if has_link:
        cfg.remove_site(normalised)
        cfg.save()
    return UnlinkResult(normalised, revoked, has_link, has_secret)


def _site_status(link: SiteLink, vault: Vault, transport: Transport | None) -> SiteStatus:
    try:
        client = client_for(link, vault, transport=transport)
        user = client.me()
        last_used = None
        if link.app_uuid:
            last_used = app_passwords.introspect(client).last_used
    except errors.WPBridgeError as exc:
        return SiteStatus(link, checked=True, ok=False, problem=exc.message, hint=exc.hint)
    except AgentError as exc:
        return SiteStatus(link, checked=True, ok=False, problem=exc.message, hint=exc.hint)
    ok = user.can_manage_woocommerce
    return SiteStatus(
        link,
        checked=True,
        ok=ok,
        problem=None if ok else f"{link.username} may no longer manage WooCommerce",
        hint=None if ok else "Give the user the Administrator or Shop manager role, or link again.",
        last_used=last_used,
        can_manage_woocommerce=user.can_manage_woocommerce,
    )


def list_sites(ctx: Context, *, check: bool = True, transport: Transport | None = None) -> list[SiteStatus]:
    """The linked sites; with ``check``, each one's health (users/me + introspect: two requests per site). A reader:
    waits briefly while a command writes."""
    with ctx.lock(None, "sites", shared=True):
        return _list_sites(ctx, check=check, transport=transport)


def _list_sites(ctx: Context, *, check: bool, transport: Transport | None) -> list[SiteStatus]:
    links = linked_sites(ctx)
    if not check:
        return [SiteStatus(link, checked=False, ok=True) for link in links]
    return [_site_status(link, ctx.vault, transport) for link in links]


def sites_report(ctx: Context, *, check: bool = True, transport: Transport | None = None) -> SitesReport:
    return SitesReport(tuple(list_sites(ctx, check=check, transport=transport)))


# -- push ---------------------------------------------------------------------------------------------------------


def push_operator(
    ctx: Context,
    site: str,
    username: str,
    password: Secret,
    *,
    dry_run: bool = False,
    transport: Transport | None = None,
) -> SitePushOutcome:
    """Put ``username``/``password`` (the initiator) into the M-PESA plugin of the linked ``site`` and read it back.
    The site's previous settings are stored in the vault (the rollback snapshot) before the write is sent. A failure
    is raised as an ``AgentError``."""
    link = _linked(ctx, site)
    vault = ctx.vault
    values = {"initiator_username": username, "initiator_password": password.reveal()}

    def keep(snapshot: gateway.GatewaySnapshot) -> None:
        vault.set_current(snapshot_ref(link.url), Secret(snapshot.to_json()), note=f"before pushing {username}")

    with site_errors():
        gateway.check_transportable("API operator password", password.reveal())
        client = client_for(link, vault, transport=transport)
        result = gateway.push_settings(
            client, values, site_url=link.url, gateway_id=link.gateway_id, dry_run=dry_run, before_write=keep
        )
    return SitePushOutcome(link.url, True, result.to_dict())


def _api_operator(ctx: Context, profile: str | None) -> tuple[str, str, str]:
    """(profile key, short code, API operator user name) of the profile."""
    prof = ctx.find_profile(profile)
    if prof is None or not prof.api_username:
        raise ConfigError(
            f"The profile {profile or ctx.config.default_profile_name() or '(default)'} has no "
            "api_operator.username in the configuration.",
            hint="Add it (see 'mpesa-agent config init'), run mpesa-agent setup, or pass --profile.",
        )
    return prof.key, prof.short_code, prof.api_username


def push(
    ctx: Context,
    profile: str | None = None,
    site: str | None = None,
    dry_run: bool = False,
    *,
    transport: Transport | None = None,
) -> PushReport:
    """Put the profile's current API operator (user name + password from the vault) into the M-PESA plugin of one or
    all linked sites (``push_operator`` for each).

    One site (``site`` given, or only one linked): its error is raised as is. Several: every site is tried and the
    report says which failed (``exit_status``: the first failure's).
    """
    key, short_code, username = _api_operator(ctx, profile)
    if dry_run:
        with ctx.lock(key, "push --dry-run", shared=True):
            return _push(ctx, key, short_code, username, site, dry_run, transport)
    with ctx.lock(key, "push"):
        from agent.workflows.rotation.record import refuse_while_in_flight

        refuse_while_in_flight(ctx, short_code, "A push now could put a password into the plugin that it will replace.")
        return _push(ctx, key, short_code, username, site, dry_run, transport)


def _push(
    ctx: Context,
    key: str,
    short_code: str,
    username: str,
    site: str | None,
    dry_run: bool,
    transport: Transport | None,
) -> PushReport:
    report = ctx.reporter
    links = [_linked(ctx, site)] if site else linked_sites(ctx)
    if not links:
        raise UsageError("No site is linked yet.", hint="Link your shop first: mpesa-agent link-site https://your.shop")
    password = ctx.vault.require(CredentialRef(short_code, "api-operator", username))
    with site_errors():
        gateway.check_transportable("API operator password", password.reveal())  # before any request to any site
    outcomes: list[SitePushOutcome] = []
    first_status = ExitStatus.OK
    for link in links:
        step = f"push:{link.url}"
        report.start(step, f"{'Plan' if dry_run else 'Push'} {username} to {link.url}")
        try:
            outcome = push_operator(ctx, link.url, username, password, dry_run=dry_run, transport=transport)
        except AgentError as error:
            report.finish(step, "failed", error.message)
            if len(links) == 1:
                raise
            first_status = first_status or error.exit_status
            outcomes.append(SitePushOutcome(link.url, False, None, error.message, error.hint))
            continue
        changes = (outcome.result or {}).get("changes") or []
        detail = f"{len(changes)} setting(s)" if changes else "no change needed"
        report.finish(step, "planned" if dry_run else "ok", detail)
        outcomes.append(outcome)
    return PushReport(key, username, dry_run, tuple(outcomes), first_status)


def rollback_push(
    ctx: Context, site: str, *, transport: Transport | None = None, dry_run: bool = False
) -> dict[str, Any]:
    """Put back the gateway settings the last push changed on ``site`` (from the snapshot in the vault)."""
    with ctx.lock(None, "rollback --dry-run" if dry_run else "rollback", shared=dry_run):
        return _rollback_push(ctx, site, transport=transport, dry_run=dry_run)


def _rollback_push(ctx: Context, site: str, *, transport: Transport | None, dry_run: bool) -> dict[str, Any]:
    link = _linked(ctx, site)
    stored = ctx.vault.require(snapshot_ref(link.url))
    with site_errors():
        snapshot = gateway.GatewaySnapshot.from_json(stored.reveal())
        client = client_for(link, ctx.vault, transport=transport)
        result = gateway.restore_snapshot(client, snapshot, dry_run=dry_run)
    return result.to_dict()


# -- rotation of the application password ----------------------------------------------------------------------------


def rotate_site_credentials(ctx: Context, url: str, *, transport: Transport | None = None) -> RotationResult:
    """Replace the site's application password: create a new one (with the current), stage it in the vault, check
    it by introspection, promote it, then revoke the old one on the site (a failure there is reported, not fatal)."""
    with ctx.lock(None, "rotate --site-credentials"):
        return _rotate_site_credentials(ctx, url, transport=transport)


def _rotate_site_credentials(ctx: Context, url: str, *, transport: Transport | None) -> RotationResult:
    link = _linked(ctx, url)
    vault = ctx.vault
    ref = app_password_ref(link.url)
    with site_errors():
        client = client_for(link, vault, transport=transport)
        old_uuid = link.app_uuid or app_passwords.introspect(client).uuid
        new = app_passwords.create(client, app_id=link.app_id)
    vault.stage(ref, Secret(new.password), note=f"rotation of the application password of {link.username}")
    fresh = client.with_credentials(Credentials(link.username, new.password))
    try:
        seen = app_passwords.introspect(fresh)
        if seen.uuid != new.info.uuid:
            raise errors.ReadBackMismatchError(
                f"{link.url} authenticated the new application password as another one.",
                keys=["uuid"],
                hint="Check Users -> Profile -> Application Passwords on the site.",
            )
    except errors.WPBridgeError as exc:
        vault.discard_pending(ref)
        try:
            app_passwords.delete(client, new.info.uuid)  # do not leave an unusable password behind
        except errors.WPBridgeError:
            pass
        raise from_wp(exc) from exc
    vault.promote(ref)
    updated = dataclasses.replace(
        link, app_uuid=new.info.uuid, app_name=new.info.name, app_id=new.info.app_id or link.app_id
    )
    ctx.config.set_site(link.url, updated.to_config())
    ctx.config.save()
    note = ""
    old_revoked = False
    if old_uuid and old_uuid != new.info.uuid:
        try:
            app_passwords.delete(fresh, old_uuid)
            old_revoked = True
        except errors.AppPasswordNotFoundError:
            old_revoked = True
            note = "the old application password was already gone"
        except errors.WPBridgeError as exc:
            note = f"the old application password could not be revoked ({exc.message}); delete it in Users -> Profile"
    return RotationResult(link.url, old_uuid, new.info.uuid, new.info.name, old_revoked, note)


def site_info(url: str, *, transport: Transport | None = None) -> SiteInfo:
    """Discovery only (no credentials): for diagnostics."""
    with site_errors():
        return discover(url, user_agent=USER_AGENT, transport=transport)


__all__ = [
    "USER_AGENT",
    "LinkPreparation",
    "LinkResult",
    "PushReport",
    "RotationResult",
    "SiteLink",
    "SitePushOutcome",
    "SiteStatus",
    "SitesReport",
    "UnlinkResult",
    "app_password_ref",
    "client_for",
    "link_site",
    "linked_sites",
    "list_sites",
    "prepare_link",
    "push",
    "push_operator",
    "rollback_push",
    "rotate_site_credentials",
    "site_info",
    "sites_report",
    "snapshot_ref",
    "unlink_site",
]
