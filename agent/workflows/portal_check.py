"""``mpesa-agent portal check``: the read-only drift scan of a portal (``agent.portal.check``) for one profile.

What belongs here: choosing the portal address (checked like every login), the Business Administrator's name and
password (from the vault, else the context's password source; never stored by a scan), opening the session and
returning the scan's report. Nothing here submits anything to the portal.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from agent.errors import NeedsHumanError, UsageError
from agent.portal_address import TRUSTED_KEY, check_portal_address
from agent.vault import CredentialRef

if TYPE_CHECKING:
    from agent.context import Context
    from agent.portal.check import CheckReport
    from agent.portal.human import HumanInput


def run_portal_check(
    ctx: Context,
    profile_name: str | None,
    *,
    portal_url: str | None = None,
    username: str | None = None,
    record_dir: Path | None = None,
    make_human: Callable[[str], HumanInput] | None = None,
) -> CheckReport:
    """Log in as the profile's Business Administrator (or ``username``) and scan every screen the flows use.

    ``make_human(url)`` builds the captcha/SMS provider for the checked address (else ``ctx.human``)."""
    from agent.portal.check import check_portal
    from agent.portal.session import portal_session

    profile = ctx.profile(profile_name)
    admin = username or profile.admin_username
    if not admin:
        raise UsageError(
            f"Profile {profile.key} names no Business Administrator (admin_username).",
            hint=f"Add admin_username to [profiles.{profile.key}] in the config file, or pass --username.",
        )
    trusted = profile.get(TRUSTED_KEY, ()) or ()
    address = check_portal_address(
        portal_url or profile.portal_url or ctx.settings.portal_url,
        trusted_hosts=tuple(str(host) for host in trusted) if isinstance(trusted, list | tuple) else (),
    )
    if address.announce:
        ctx.reporter.info(address.announcement)
    password = ctx.vault.get(CredentialRef(profile.short_code, "admin", admin))
    if password is None:
        if ctx.admin_password is None:
            raise NeedsHumanError(
                f"The password of the Business Administrator {admin} is needed and this run has no way to ask for it.",
                hint="Run mpesa-agent portal check at a terminal, or pass --admin-password-stdin.",
            )
        password = ctx.admin_password(f"Password of the Business Administrator {admin}")
    if record_dir is not None:
        record_dir = record_dir.expanduser()
    human = make_human(address.url) if make_human is not None else ctx.require_human()
    with portal_session(ctx.portal_options(address.url), human, browser=ctx.browser) as portal:
        return check_portal(portal, profile.short_code, admin, password, record_dir=record_dir)
