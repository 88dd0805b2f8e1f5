"""Password ages: how old each operator's password is (from the vault's ``current`` version) and when the portal
expires it. Shared by ``rotate --if-older-than`` and ``status``. No portal or network access."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from agent.context import Context
from agent.errors import UsageError
from agent.settings import Profile
from agent.vault import CredentialRef, Vault

PASSWORD_MAX_AGE_DAYS = 90
VAULT_KINDS = {"web": "web-operator", "api": "api-operator"}


@dataclasses.dataclass(frozen=True)
class PasswordAge:
    """How old an operator's password is (from the vault's ``current`` version) and when the portal expires it."""

    profile: str  # the short code
    kind: str  # "web" | "api"
    username: str
    set_at: dt.datetime | None
    age_days: int | None
    expires_in_days: int | None  # negative: expired that many days ago
    max_age_days: int
    pending: bool  # a new password is staged (a rotation or setup is in flight)

    @property
    def expired(self) -> bool:
        return self.expires_in_days is not None and self.expires_in_days < 0

    def due(self, older_than_days: int) -> bool:
        """True when the password is at least ``older_than_days`` old (or its age is unknown)."""
        return self.age_days is None or self.age_days >= older_than_days

    def as_dict(self) -> dict[str, Any]:
        return {
            "profile": self.profile,
            "kind": self.kind,
            "username": self.username,
            "set_at": self.set_at.isoformat(timespec="seconds") if self.set_at else None,
            "age_days": self.age_days,
            "expires_in_days": self.expires_in_days,
            "max_age_days": self.max_age_days,
            "expired": self.expired,
            "pending": self.pending,
        }


def operator_age(
    vault: Vault, short_code: str, kind: str, username: str, *, now: dt.datetime, max_age_days: int
) -> PasswordAge:
    """The age of one operator's password."""
    info = vault.info(CredentialRef(short_code, VAULT_KINDS[kind], username))
    current = info.get("current")
    set_at = current.created_at if current else None
    age = (now - set_at).days if set_at else None
    return PasswordAge(
        profile=short_code,
        kind=kind,
        username=username,
        set_at=set_at,
        age_days=age,
        expires_in_days=None if age is None else max_age_days - age,
        max_age_days=max_age_days,
        pending="pending" in info,
    )


def profile_ages(ctx: Context, profile: Profile, *, now: dt.datetime | None = None) -> list[PasswordAge]:
    limit = ctx.settings.password_max_age_days or PASSWORD_MAX_AGE_DAYS
    moment = now or ctx.now()
    return [
        operator_age(ctx.vault, profile.short_code, kind, username, now=moment, max_age_days=limit)
        for kind, username in (("web", profile.web_username), ("api", profile.api_username))
        if username
    ]


def password_ages(ctx: Context, profile: str | None = None, *, now: dt.datetime | None = None) -> list[PasswordAge]:
    """Each operator's password age and the days left before the portal's expiry (the ``password_max_age_days``
    setting, default 90). ``profile`` None: every profile in the configuration. Operators whose password is not in
    the vault are listed with ``set_at`` None."""
    if profile:
        found = ctx.find_profile(profile)
        if found is None:
            raise UsageError(f"No profile {profile} in the configuration.")
        profiles = [found]
    else:
        profiles = [p for p in (ctx.find_profile(key) for key in ctx.config.profiles) if p is not None]
    return [age for prof in profiles for age in profile_ages(ctx, prof, now=now)]
