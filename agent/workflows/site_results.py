"""The results of the shop-side workflows (``agent.workflows.sites``): what is kept of a linked site in the
configuration (``SiteLink``, no secrets) and what each command answers (``to_dict()`` for ``--json``, never a
secret). Reports that can fail partly carry their exit status."""

from __future__ import annotations

import dataclasses
from typing import Any

from agent.errors import ConfigError, ExitStatus
from wp_bridge.urls import app_id_for

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

    exit_status = ExitStatus.OK  # a link that fails is an error, never a result

    def to_dict(self) -> dict[str, Any]:
        return {"link": self.link.to_dict(), "site": self.site, "user": self.user, "replaced": self.replaced}


@dataclasses.dataclass(frozen=True)
class UnlinkResult:
    url: str
    revoked: bool
    removed_link: bool
    removed_secrets: bool

    exit_status = ExitStatus.OK  # an unlink that fails is an error, never a result

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
    """The push to every site; a partial failure is a report too (``exit_status``: the first failure's)."""

    profile: str
    operator: str
    dry_run: bool
    sites: tuple[SitePushOutcome, ...]
    failure_status: ExitStatus = ExitStatus.OK

    @property
    def ok(self) -> bool:
        return all(s.ok for s in self.sites)

    @property
    def exit_status(self) -> ExitStatus:
        return ExitStatus.OK if self.ok else (self.failure_status or ExitStatus.SITE)

    @property
    def message(self) -> str:
        failed = [s for s in self.sites if not s.ok]
        if not failed:
            return ""
        return f"The push failed on {len(failed)} of {len(self.sites)} sites: " + "; ".join(
            f"{o.url}: {o.problem}" for o in failed
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "profile": self.profile,
            "operator": self.operator,
            "dry_run": self.dry_run,
            "ok": self.ok,
            "exit_status": int(self.exit_status),
            "message": self.message,
            "sites": [s.to_dict() for s in self.sites],
        }


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


@dataclasses.dataclass(frozen=True)
class SitesReport:
    """``mpesa-agent sites``: the linked sites and their health; exit 7 when a checked site has a problem."""

    sites: tuple[SiteStatus, ...]

    @property
    def exit_status(self) -> ExitStatus:
        return ExitStatus.SITE if any(s.checked and not s.ok for s in self.sites) else ExitStatus.OK

    def to_list(self) -> list[dict[str, Any]]:
        return [s.to_dict() for s in self.sites]
