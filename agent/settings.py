"""Where the agent keeps its state, and the user configuration file.

Paths come from platformdirs (per OS), or all of them from one directory named by ``MPESA_AGENT_HOME`` (tests,
portable installs). The user configuration is TOML in the config dir (``config.toml``), read with ``tomllib`` and
written with ``tomli_w``; it holds no secrets (those live in the OS keyring, see ``agent.vault``). Profiles are
keyed by organisation short code; linked sites are keyed by their normalised URL.
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
from pathlib import Path
from typing import Any

from agent.errors import ConfigError

APP_NAME = "mpesa-agent"
HOME_ENV = "MPESA_AGENT_HOME"
CONFIG_ENV = "MPESA_AGENT_CONFIG"


@dataclasses.dataclass(frozen=True)
class Paths:
    """The agent's directories. ``ensure()`` creates them private (0700)."""

    config_dir: Path
    data_dir: Path
    cache_dir: Path
    state_dir: Path

    @property
    def config_file(self) -> Path:
        override = os.environ.get(CONFIG_ENV)
        return Path(override) if override else self.config_dir / "config.toml"

    @property
    def journal_dir(self) -> Path:
        return self.state_dir / "journal"

    @property
    def artefacts_dir(self) -> Path:
        """Failure screenshots (password fields masked), private."""
        return self.state_dir / "artefacts"

    def ensure(self) -> Paths:
        for d in (self.config_dir, self.data_dir, self.cache_dir, self.state_dir):
            d.mkdir(parents=True, exist_ok=True)
            try:
                d.chmod(0o700)
            except OSError:  # e.g. a directory owned by someone else; not ours to fix
                pass
        return self


def paths() -> Paths:
    """The directories to use now (re-read on every call so tests can redirect them)."""
    home = os.environ.get(HOME_ENV)
    if home:
        base = Path(home)
        return Paths(base / "config", base / "data", base / "cache", base / "state")
    import platformdirs

    return Paths(
        Path(platformdirs.user_config_dir(APP_NAME, appauthor=False)),
        Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)),
        Path(platformdirs.user_cache_dir(APP_NAME, appauthor=False)),
        Path(platformdirs.user_state_dir(APP_NAME, appauthor=False)),
    )


DEFAULT_SETTINGS: dict[str, Any] = {
    "portal_url": "https://org.ke.m-pesa.com",
    "ui": "auto",
    "headless": True,
    "timeout_ms": 15000,
    "human_timeout_s": 300,
    "captcha_provider": "prompt",
    "otp_provider": "prompt",
    "otp_command": "",
    "captcha_command": "",
    "password_max_age_days": 90,
}


@dataclasses.dataclass
class UserConfig:
    """The parsed configuration file. ``data`` is the raw TOML table; use the accessors."""

    path: Path
    data: dict[str, Any]

    @property
    def settings(self) -> dict[str, Any]:
        merged = dict(DEFAULT_SETTINGS)
        merged.update(self.data.get("settings", {}))
        return merged

    @property
    def profiles(self) -> dict[str, dict[str, Any]]:
        profiles = self.data.get("profiles", {})
        return {str(k): v for k, v in profiles.items()}

    @property
    def sites(self) -> dict[str, dict[str, Any]]:
        return dict(self.data.get("sites", {}))

    def default_profile_name(self) -> str | None:
        name = self.data.get("default_profile")
        if name:
            return str(name)
        profiles = self.profiles
        return next(iter(profiles)) if len(profiles) == 1 else None

    def profile(self, name: str | None) -> dict[str, Any]:
        """The profile ``name`` (or the default); an empty dict when there is none yet."""
        key = name or self.default_profile_name()
        if key is None:
            return {}
        return dict(self.profiles.get(key, {}))

    def set_profile(self, name: str, values: dict[str, Any]) -> None:
        self.data.setdefault("profiles", {})[name] = values

    def set_site(self, url: str, values: dict[str, Any]) -> None:
        self.data.setdefault("sites", {})[url] = values

    def remove_site(self, url: str) -> None:
        self.data.get("sites", {}).pop(url, None)

    def save(self) -> None:
        """Write atomically (temp file + replace), private to the user."""
        import tomli_w

        from agent.secret import SECRET_KEY_PATTERN

        _refuse_secrets(self.data, SECRET_KEY_PATTERN)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".toml.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as fh:
            tomli_w.dump(self.data, fh)
        os.replace(tmp, self.path)


def _refuse_secrets(data: Any, pattern: Any, where: str = "") -> None:
    """Configuration files never hold secrets: refuse keys that look like one."""
    if isinstance(data, dict):
        for key, value in data.items():
            here = f"{where}.{key}" if where else str(key)
            # The keys of [sites] are site URLs (https://passionfruit.example is no secret); their values are checked.
            is_site_url = where == "sites"
            if isinstance(key, str) and not is_site_url and pattern.search(key) and key not in _ALLOWED_SECRETISH_KEYS:
                raise ConfigError(
                    f"The configuration key '{here}' looks like a secret; secrets are kept in the OS keyring only.",
                    hint="Remove it from the configuration file; the agent asks for secrets when it needs them.",
                )
            _refuse_secrets(value, pattern, here)


# Non-secret settings whose names happen to match the secret pattern.
_ALLOWED_SECRETISH_KEYS = frozenset(
    {"captcha_provider", "otp_provider", "otp_command", "captcha_command", "password_max_age_days"}
)


def load_config(path: Path | None = None) -> UserConfig:
    """Read the configuration file; a missing file is an empty configuration, a broken one a ConfigError."""
    path = path or paths().config_file
    if not path.exists():
        return UserConfig(path, {})
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(
            f"The configuration file {path} is not valid TOML: {exc}.",
            hint="Fix the line named above, or compare with config/mpesa-agent.example.toml.",
        ) from None
    except OSError as exc:
        raise ConfigError(f"Cannot read the configuration file {path}: {exc.strerror}.") from None
    from agent.secret import SECRET_KEY_PATTERN

    _refuse_secrets(data, SECRET_KEY_PATTERN)
    _check_settings(data.get("settings", {}), path)
    return UserConfig(path, data)


def _check_settings(settings: Any, path: Path) -> None:
    if not isinstance(settings, dict):
        raise ConfigError(f"[settings] in {path} must be a table.")
    for key, value in settings.items():
        if key not in DEFAULT_SETTINGS:
            raise ConfigError(
                f"Unknown setting '{key}' in [settings] of {path}.",
                hint="Known settings: " + ", ".join(sorted(DEFAULT_SETTINGS)) + ".",
            )
        expected = type(DEFAULT_SETTINGS[key])
        if not isinstance(value, expected) or (expected is int and isinstance(value, bool)):
            raise ConfigError(
                f"The setting '{key}' in {path} must be a {expected.__name__}, not {type(value).__name__}."
            )
