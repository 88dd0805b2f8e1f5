"""The runtime context every workflow takes: built once, by the CLI (or by the demo, or by a test).

What belongs here: the ``Context`` (where state lives, the typed settings, the configuration file, the vault, the
progress reporter, the human-input port, the administrator-password source, a clock) and the functions that build
one. Nothing here decides anything about the portal or a site; workflows do, given a context.

How it is used::

    ctx = Context.build(reporter=printer)                        # the CLI: paths and vault from the environment
    ctx = Context.build(vault=open_vault("memory"))              # a test (MPESA_AGENT_HOME set by conftest)
    ctx = Context.build(paths=Paths.under(tmp), vault=memory)    # the demo: a temporary home, no os.environ change
    result = sites.push(ctx, site=None, dry_run=True)            # every workflow: ctx first

The vault is opened on first use (``ctx.vault``), so commands that never need it (``config show``) never touch
the keyring, and a context copied with ``ctx.replace(...)`` shares the same vault. Workflows read and edit the
configuration through ``ctx.config`` (one parsed copy per run; edits keep the file's comments) and never call
``load_config()`` or ``open_vault()`` themselves. Commands that write the vault or a site hold ``ctx.lock(...)``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import threading
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any

from agent.errors import UsageError
from agent.settings import Paths, Profile, Settings, UserConfig, load_config, paths

if TYPE_CHECKING:
    from agent.journal import Journal
    from agent.portal.human import HumanInput
    from agent.secret import Secret
    from agent.vault import Vault
    from agent.workflows.progress import Reporter

Clock = Callable[[], dt.datetime]
PasswordSource = Callable[[str], "Secret"]  # (prompt) -> Secret; raises NeedsHumanError when none can be had


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class VaultSlot:
    """Opens the vault once, on first use; shared by every copy of a context."""

    def __init__(self, opener: Callable[[], Vault]) -> None:
        self._opener = opener
        self._vault: Vault | None = None
        self._lock = threading.Lock()

    @classmethod
    def of(cls, vault: Vault) -> VaultSlot:
        slot = cls(lambda: vault)
        slot._vault = vault
        return slot

    def get(self) -> Vault:
        with self._lock:
            if self._vault is None:
                self._vault = self._opener()
            return self._vault


class _NullReporter:
    def start(self, key: str, title: str) -> None:
        pass

    def finish(self, key: str, status: str, detail: str = "") -> None:
        pass

    def info(self, text: str) -> None:
        pass


@dataclasses.dataclass(frozen=True)
class Context:
    """Everything a workflow may use of the outside world, decided once per run."""

    paths: Paths
    config: UserConfig
    settings: Settings
    vault_slot: VaultSlot
    reporter: Reporter = dataclasses.field(default_factory=_NullReporter)
    human: HumanInput | None = None
    admin_password: PasswordSource | None = None
    clock: Clock = utc_now
    browser: Any = None  # a running Playwright browser to use instead of launching one (tests)

    # -- building -------------------------------------------------------------------------------------------
    @classmethod
    def build(
        cls,
        *,
        paths: Paths | None = None,
        config: UserConfig | None = None,
        vault: Vault | None = None,
        vault_kind: str | None = None,
        reporter: Reporter | None = None,
        human: HumanInput | None = None,
        admin_password: PasswordSource | None = None,
        clock: Clock | None = None,
        browser: Any = None,
        **setting_overrides: Any,
    ) -> Context:
        """A context from the environment's paths (or ``paths``), their configuration file, and ``vault`` (else the
        vault named by ``vault_kind`` / ``MPESA_AGENT_VAULT``, opened on first use). ``setting_overrides`` (e.g.
        ``ui="classic"``, ``headless=False``; None means "not given") go over the file's settings."""
        where = paths or _env_paths()
        cfg = config or load_config(where.config_file)
        if vault is not None:
            slot = VaultSlot.of(vault)
        else:

            def opener() -> Vault:
                from agent.vault import open_vault

                return open_vault(vault_kind)

            slot = VaultSlot(opener)
        return cls(
            paths=where,
            config=cfg,
            settings=cfg.settings.replace(**setting_overrides),
            vault_slot=slot,
            reporter=reporter or _NullReporter(),
            human=human,
            admin_password=admin_password,
            clock=clock or utc_now,
            browser=browser,
        )

    def replace(self, **changes: Any) -> Context:
        """A copy with ``changes`` (same vault, same configuration)."""
        return dataclasses.replace(self, **changes)

    def with_settings(self, **changes: Any) -> Context:
        return self.replace(settings=self.settings.replace(**changes))

    # -- what workflows use ---------------------------------------------------------------------------------
    @property
    def vault(self) -> Vault:
        return self.vault_slot.get()

    def profile(self, name: str | None = None) -> Profile:
        """The profile ``name`` (``--profile``), else the default one; a ConfigError naming the known ones."""
        return self.config.require_profile(name)

    def find_profile(self, name: str | None = None) -> Profile | None:
        return self.config.find_profile(name)

    def portal_options(self, portal_url: str) -> Any:
        """The portal session's options (``agent.portal.session.PortalOptions``) from this context's settings."""
        from agent.portal.session import PortalOptions

        s = self.settings
        return PortalOptions(
            url=portal_url, ui=s.ui, headless=s.headless, timeout_ms=s.timeout_ms, human_timeout_s=s.human_timeout_s
        )

    def journal(self, name: str) -> Journal:
        from agent.journal import Journal

        return Journal(name, self.paths.journal_dir)

    def require_human(self) -> HumanInput:
        if self.human is None:
            raise UsageError(
                "This step needs someone to answer the portal's captcha and SMS codes, and none was set up.",
                hint="Run it from the command line (mpesa-agent setup or mpesa-agent rotate), which asks you.",
            )
        return self.human

    def now(self) -> dt.datetime:
        return self.clock()

    def lock(
        self, profile: str | None, command: str, *, shared: bool = False, wait_s: float | None = None
    ) -> AbstractContextManager[None]:
        """The profile's write lock (``agent.locks``) for ``command``: every command that writes the vault or a site
        holds it; ``shared=True`` (a reader) only waits briefly for a writer. ``profile`` is a short code or a
        profile key (None: the default profile; no profile at all: one lock for the site commands)."""
        from agent.locks import profile_lock

        found = self.config.find_profile(profile)
        name = found.short_code if found else (profile or "sites")
        return profile_lock(self.paths.state_dir / "locks", name, command, shared=shared, wait_s=wait_s)


def _env_paths() -> Paths:
    return paths()
