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

from agent import __version__, settings
from agent.errors import (
    AgentError,
    AuthError,
    ConfigError,
    ConflictError,
    ExitStatus,
    SiteError,
    UsageError,
    VerificationError,
)
from agent.secret import Secret
from agent.vault import CredentialRef, Vault, open_vault
from agent.workflows.progress import Reporter
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


class _NullReporter:
    def start(self, key: str, title: str) -> None:
        pass

    def finish(self, key: str, status: str, detail: str = "") -> None:
        pass

    def info(self, text: str) -> None:
        pass


# -- results ------------------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class SiteLink:
    """A linked site as kept in the user config (no secrets)."""

    url: str
    api_root: str
    url_style: str
    username: str
    user_id: int
    app_uuid: str
    app_name: str
    app_id: str
    gateway_id: str
    plugin: str
    plugin_name: str
    fingerprint: str
    linked_at: str

    def to_config(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data.pop("url")
        return data

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_config(cls, url: str, data: dict[str, Any]) -> SiteLink:
        try:
            return cls(
                url=url,
                api_root=str(data["api_root"]),
                url_style=str(data.get("url_style", "pretty")),
                username=str(data["username"]),
                user_id=int(data.get("user_id", 0)),
                app_uuid=str(data.get("app_uuid", "")),
                app_name=str(data.get("app_name", "")),
                app_id=str(data.get("app_id") or app_id_for(url)),
                gateway_id=str(data.get("gateway_id", "mpesa")),
                plugin=str(data.get("plugin", "")),
                plugin_name=str(data.get("plugin_name", "")),
                fingerprint=str(data.get("fingerprint", "")),
                linked_at=str(data.get("linked_at", "")),
            )
        except (KeyError, TypeError, ValueError):
            raise ConfigError(
                f"The link of {url} in the configuration file is incomplete.",
                hint=f"Link it again: mpesa-agent link-site {url} --force",
            ) from None


@dataclasses.dataclass(frozen=True)
class LinkPreparation:
    """What discovery found before any credential is asked for (for the CLI's interactive flow)."""

    url: str
    site: dict[str, Any]
    authorize_url: str | None
    already_linked: bool

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclasses.dataclass(frozen=True)
class LinkResult:
    link: SiteLink
    site: dict[str, Any]
    user: dict[str, Any]
    replaced: bool

    def to_dict(self) -> dict[str, Any]:
        return {"link": self.link.to_dict(), "site": self.site, "user": self.user, "replaced": self.replaced}


@dataclasses.dataclass(frozen=True)
class UnlinkResult:
    url: str
    revoked: bool
    removed_link: bool
    removed_secrets: bool

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclasses.dataclass(frozen=True)
class SiteStatus:
    """One linked site and, when checked, its health (``ok``, or the problem and what to do)."""

    link: SiteLink
    checked: bool
    ok: bool
    problem: str | None = None
    hint: str | None = None
    last_used: str | None = None
    can_manage_woocommerce: bool | None = None

    def to_dict(self) -> dict[str, Any]:
        return {**dataclasses.asdict(self), "link": self.link.to_dict()}


@dataclasses.dataclass(frozen=True)
class SitePushOutcome:
    url: str
    ok: bool
    result: dict[str, Any] | None  # PushResult.to_dict(): secrets redacted
    problem: str | None = None
    hint: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclasses.dataclass(frozen=True)
class PushReport:
    profile: str
    operator: str
    dry_run: bool
    sites: tuple[SitePushOutcome, ...]

    @property
    def ok(self) -> bool:
        return all(s.ok for s in self.sites)

    def to_dict(self) -> dict[str, Any]:
        return {
            "profile": self.profile,
            "operator": self.operator,
            "dry_run": self.dry_run,
            "ok": self.ok,
            "sites": [s.to_dict() for s in self.sites],
        }


class PushFailedError(AgentError):
    """A push to several sites failed on some of them; ``report`` says which (exit status of the first failure)."""

    def __init__(self, message: str, *, hint: str | None, report: PushReport, exit_status: ExitStatus) -> None:
        super().__init__(message, hint=hint)
        self.report = report
        self.exit_status = exit_status


@dataclasses.dataclass(frozen=True)
class RotationResult:
    url: str
    old_uuid: str
    new_uuid: str
    new_name: str
    old_revoked: bool
    note: str = ""

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


# -- helpers ------------------------------------------------------------------------------------------------------


def _agent_error(exc: errors.WPBridgeError) -> AgentError:
    """The agent error of a wp_bridge error's kind (same message and hint)."""
    cls: type[AgentError] = {"auth": AuthError, "verify": VerificationError}.get(exc.kind, SiteError)
    return cls(exc.message, hint=exc.hint)


def _linked(cfg: settings.UserConfig, url: str) -> SiteLink:
    normalised = normalize_site_url(url)
    data = cfg.sites.get(normalised)
    if data is None:
        known = ", ".join(cfg.sites) or "none"
        raise UsageError(
            f"{normalised} is not linked (linked sites: {known}).",
            hint=f"Link it first: mpesa-agent link-site {normalised}",
        )
    return SiteLink.from_config(normalised, dict(data))


def _client(link: SiteLink, vault: Vault, *, transport: Transport | None = None) -> WPClient:
    secret = vault.require(app_password_ref(link.url))
    return WPClient(
        ApiRoot.from_url(link.api_root),
        user_agent=USER_AGENT,
        credentials=Credentials(link.username, secret.reveal()),
        transport=transport,
    )


# -- link -----------------------------------------------------------------------------------------------------------


def prepare_link(url: str, *, transport: Transport | None = None) -> LinkPreparation:
    """Discover the site (no credentials sent) and give the authorize-application URL to show or open."""
    info = discover(url, user_agent=USER_AGENT, transport=transport)
    authorize = None
    if info.authorization_url:
        authorize = app_passwords.authorize_url(info.authorization_url, app_id=app_id_for(info.site_url))
    cfg = settings.load_config()
    return LinkPreparation(info.site_url, info.to_dict(), authorize, info.site_url in cfg.sites)


def link_site(
    url: str,
    username: str,
    app_password: Secret | str,
    *,
    force: bool = False,
    vault: Vault | None = None,
    reporter: Reporter | None = None,
    transport: Transport | None = None,
) -> LinkResult:
    """Link a site non-interactively: discover, verify the application password and the plugin, then store.

    Nothing is stored unless the password works, the user may manage WooCommerce and the M-PESA plugin is one the
    agent supports. Re-linking a linked site needs ``force=True`` (ConflictError otherwise).
    """
    report = reporter or _NullReporter()
    typed = app_password.reveal() if isinstance(app_password, Secret) else app_password
    secret = Secret("".join(typed.split()))  # WordPress shows it in chunks ("abcd efgh ..."); it is alphanumeric
    username = (username or "").strip()
    if not username:
        raise UsageError("A WordPress user name is needed to link a site.", hint="Give --username (login or e-mail).")
    if not secret:
        raise UsageError("An application password is needed to link a site.")
    cfg = settings.load_config()
    normalised = normalize_site_url(url)
    if normalised in cfg.sites and not force:
        raise ConflictError(
            f"{normalised} is linked already; nothing was changed.",
            hint=f"Use --force to replace the link, or 'mpesa-agent unlink-site {normalised}' first.",
        )

    report.start("discover", f"Find the WordPress REST API of {normalised}")
    info = discover(normalised, user_agent=USER_AGENT, transport=transport)
    report.finish("discover", "ok", f"{info.api_root.url} ({info.api_root.style} URLs)")
    replaced = info.site_url in cfg.sites
    if info.site_url in cfg.sites and not force:
        raise ConflictError(
            f"{info.site_url} is linked already; nothing was changed.",
            hint=f"Use --force to replace the link, or 'mpesa-agent unlink-site {info.site_url}' first.",
        )
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
    vault = vault or open_vault()
    vault.set_current(app_password_ref(link.url), secret, note=f"application password of {username}")
    cfg.set_site(link.url, link.to_config())
    cfg.save()
    report.finish("store", "ok", vault.backend_name)
    user_data = {
        "id": user.id,
        "username": user.username or username,
        "roles": list(user.roles),
        "can_manage_woocommerce": user.can_manage_woocommerce,
    }
    return LinkResult(link, info.to_dict(), user_data, replaced)


# -- unlink, list ---------------------------------------------------------------------------------------------------


def unlink_site(
    url: str, revoke: bool = False, *, vault: Vault | None = None, transport: Transport | None = None
) -> UnlinkResult:
    """Forget a site: the link, its application password and snapshot in the vault; ``revoke`` also deletes the
    application password on the site first (if that fails, nothing is forgotten, so it can be retried)."""
    cfg = settings.load_config()
    normalised = normalize_site_url(url)
    vault = vault or open_vault()
    has_link = normalised in cfg.sites
    has_secret = vault.get(app_password_ref(normalised)) is not None
    if not has_link and not has_secret:
        raise UsageError(f"{normalised} is not linked; nothing to do.", hint="'mpesa-agent sites' lists linked sites.")
    revoked = False
    if revoke:
        link = _linked(cfg, normalised)
        client = _client(link, vault, transport=transport)
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


def list_sites(
    *, check: bool = True, vault: Vault | None = None, transport: Transport | None = None
) -> list[SiteStatus]:
    """The linked sites; with ``check``, each one's health (users/me + introspect: two requests per site)."""
    cfg = settings.load_config()
    links = [SiteLink.from_config(url, dict(data)) for url, data in sorted(cfg.sites.items())]
    if not check:
        return [SiteStatus(link, checked=False, ok=True) for link in links]
    vault = vault or open_vault()
    statuses = []
    for link in links:
        try:
            client = _client(link, vault, transport=transport)
            user = client.me()
            last_used = None
            if link.app_uuid:
                last_used = app_passwords.introspect(client).last_used
            ok = user.can_manage_woocommerce
            statuses.append(
                SiteStatus(
                    link,
                    checked=True,
                    ok=ok,
                    problem=None if ok else f"{link.username} may no longer manage WooCommerce",
                    hint=None if ok else "Give the user the Administrator or Shop manager role, or link again.",
                    last_used=last_used,
                    can_manage_woocommerce=user.can_manage_woocommerce,
                )
            )
        except (errors.WPBridgeError, AgentError) as exc:
            statuses.append(SiteStatus(link, checked=True, ok=False, problem=exc.message, hint=exc.hint))
    return statuses


# -- push ---------------------------------------------------------------------------------------------------------


def _operator(profile: str | None, cfg: settings.UserConfig) -> tuple[str, str, str]:
    """(profile name, short code, API operator user name) from the user config."""
    name = profile or cfg.default_profile_name()
    prof = cfg.profile(name)
    short_code = str(prof.get("short_code") or name or "")
    operator = prof.get("api_operator") or {}
    username = str(operator.get("username") or "") if isinstance(operator, dict) else ""
    if not prof or not short_code or not username:
        raise ConfigError(
            f"The profile {name or '(default)'} has no short_code or api_operator.username in the configuration.",
            hint="Add them (see 'mpesa-agent config init'), or pass --profile.",
        )
    return str(name), short_code, username


def push(
    profile: str | None = None,
    site: str | None = None,
    dry_run: bool = False,
    *,
    vault: Vault | None = None,
    reporter: Reporter | None = None,
    transport: Transport | None = None,
) -> PushReport:
    """Put the current API operator (user name + password from the vault) into the M-PESA plugin of one or all
    linked sites. Each site's previous settings are stored in the vault before its write (the rollback snapshot).

    One site: its error is raised as is. Several: every site is tried; if any failed, ``PushFailedError`` (with the
    report) is raised with the exit status of the first failure.
    """
    report = reporter or _NullReporter()
    cfg = settings.load_config()
    name, short_code, username = _operator(profile, cfg)
    links = [_linked(cfg, site)] if site else [SiteLink.from_config(u, dict(d)) for u, d in sorted(cfg.sites.items())]
    if not links:
        raise UsageError("No site is linked yet.", hint="Link your shop first: mpesa-agent link-site https://your.shop")
    vault = vault or open_vault()
    password = vault.require(CredentialRef(short_code, "api-operator", username))
    gateway.check_transportable("API operator password", password.reveal())  # before any request to any site
    values = {"initiator_username": username, "initiator_password": password.reveal()}
    outcomes: list[SitePushOutcome] = []
    first_error: AgentError | None = None
    for link in links:
        key = f"push:{link.url}"
        report.start(key, f"{'Plan' if dry_run else 'Push'} {username} to {link.url}")
        try:
            client = _client(link, vault, transport=transport)

            def keep(snapshot: gateway.GatewaySnapshot, url: str = link.url) -> None:
                vault.set_current(snapshot_ref(url), Secret(snapshot.to_json()), note=f"before pushing {username}")

            result = gateway.push_settings(
                client, values, site_url=link.url, gateway_id=link.gateway_id, dry_run=dry_run, before_write=keep
            )
        except (errors.WPBridgeError, AgentError) as exc:
            error = _agent_error(exc) if isinstance(exc, errors.WPBridgeError) else exc
            if len(links) == 1:
                report.finish(key, "failed", error.message)
                raise error from None
            first_error = first_error or error
            outcomes.append(SitePushOutcome(link.url, False, None, error.message, error.hint))
            report.finish(key, "failed", error.message)
            continue
        detail = "no change needed" if result.plan.nothing_to_do else f"{len(result.plan.changes)} setting(s)"
        report.finish(key, "planned" if dry_run else "ok", detail)
        outcomes.append(SitePushOutcome(link.url, True, result.to_dict()))
    push_report = PushReport(name, username, dry_run, tuple(outcomes))
    if first_error is not None:
        failed = [o for o in outcomes if not o.ok]
        raise PushFailedError(
            f"The push failed on {len(failed)} of {len(outcomes)} sites: "
            + "; ".join(f"{o.url}: {o.problem}" for o in failed),
            hint=first_error.hint,
            report=push_report,
            exit_status=first_error.exit_status,
        )
    return push_report


def rollback_push(
    site: str, *, vault: Vault | None = None, transport: Transport | None = None, dry_run: bool = False
) -> dict[str, Any]:
    """Put back the gateway settings the last push changed on ``site`` (from the snapshot in the vault)."""
    cfg = settings.load_config()
    link = _linked(cfg, site)
    vault = vault or open_vault()
    stored = vault.require(snapshot_ref(link.url))
    snapshot = gateway.GatewaySnapshot.from_json(stored.reveal())
    client = _client(link, vault, transport=transport)
    try:
        result = gateway.restore_snapshot(client, snapshot, dry_run=dry_run)
    except errors.WPBridgeError as exc:
        raise _agent_error(exc) from None
    return result.to_dict()


# -- rotation of the application password ----------------------------------------------------------------------------


def rotate_site_credentials(
    url: str, *, vault: Vault | None = None, transport: Transport | None = None
) -> RotationResult:
    """Replace the site's application password: create a new one (with the current), stage it in the vault, check
    it by introspection, promote it, then revoke the old one on the site (a failure there is reported, not fatal)."""
    cfg = settings.load_config()
    link = _linked(cfg, url)
    vault = vault or open_vault()
    ref = app_password_ref(link.url)
    client = _client(link, vault, transport=transport)
    old_uuid = link.app_uuid or app_passwords.introspect(client).uuid
    try:
        new = app_passwords.create(client, app_id=link.app_id)
    except errors.WPBridgeError as exc:
        raise _agent_error(exc) from None
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
        raise _agent_error(exc) from None
    vault.promote(ref)
    updated = dataclasses.replace(
        link, app_uuid=new.info.uuid, app_name=new.info.name, app_id=new.info.app_id or link.app_id
    )
    cfg.set_site(link.url, updated.to_config())
    cfg.save()
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
    return discover(url, user_agent=USER_AGENT, transport=transport)


__all__ = [
    "USER_AGENT",
    "LinkPreparation",
    "LinkResult",
    "PushFailedError",
    "PushReport",
    "RotationResult",
    "SiteLink",
    "SitePushOutcome",
    "SiteStatus",
    "UnlinkResult",
    "app_password_ref",
    "link_site",
    "list_sites",
    "prepare_link",
    "push",
    "rollback_push",
    "rotate_site_credentials",
    "site_info",
    "snapshot_ref",
    "unlink_site",
]
