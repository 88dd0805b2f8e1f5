"""Where the agent keeps its state, and the user configuration file.

What belongs here: the directories (``Paths``), the typed, frozen ``Settings`` and ``Profile`` read from the
configuration file, and ``UserConfig``, the only code that reads or writes that file. Nothing here talks to the
portal, the keyring or a site.

Paths come from platformdirs (per OS), or all of them from one directory named by ``MPESA_AGENT_HOME`` (tests,
portable installs). The user configuration is TOML in the config dir (``config.toml``). It is parsed and edited
with ``tomlkit``, so the comments and the order that ``config init`` wrote survive every edit (``link-site``,
``setup``, a rotation). Its types are checked on load: a wrong type names the key and the type it must have (a
``ConfigError``, exit 2). It holds no secrets (those live in the OS keyring, see ``agent.vault``); ``save`` refuses
secret-looking keys. Profiles are keyed by a name of the user's choice (usually the organisation's short code, which
a profile may also give as ``short_code``); linked sites are keyed by their normalised URL.
"""

from __future__ import annotations

import copy
import dataclasses
import os
import types
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import tomlkit
import tomlkit.exceptions
from tomlkit.items import Table

from agent.errors import ConfigError

APP_NAME = "mpesa-agent"
HOME_ENV = "MPESA_AGENT_HOME"
CONFIG_ENV = "MPESA_AGENT_CONFIG"
MAX_CONFIG_BYTES = 1 << 20  # a configuration file is a few kilobytes; anything this big is not one


@dataclasses.dataclass(frozen=True)
class Paths:
    """The agent's directories. ``ensure()`` creates them private (0700)."""

    config_dir: Path
    data_dir: Path
    cache_dir: Path
    state_dir: Path
    config_override: Path | None = None  # MPESA_AGENT_CONFIG

    @classmethod
    def under(cls, home: Path, config_file: Path | None = None) -> Paths:
        """Every directory below ``home`` (what ``MPESA_AGENT_HOME`` does; the demo and tests use it directly)."""
        return cls(home / "config", home / "data", home / "cache", home / "state", config_file)

    @property
    def config_file(self) -> Path:
        return self.config_override or self.config_dir / "config.toml"

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
    """The directories named by the environment now (the CLI reads this once, into its ``Context``)."""
    override = os.environ.get(CONFIG_ENV)
    config_file = Path(override) if override else None
    home = os.environ.get(HOME_ENV)
    if home:
        return Paths.under(Path(home), config_file)
    import platformdirs

    return Paths(
        Path(platformdirs.user_config_dir(APP_NAME, appauthor=False)),
        Path(platformdirs.user_data_dir(APP_NAME, appauthor=False)),
        Path(platformdirs.user_cache_dir(APP_NAME, appauthor=False)),
        Path(platformdirs.user_state_dir(APP_NAME, appauthor=False)),
        config_file,
    )


# -- typed settings ---------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Settings:
    """``[settings]`` of the configuration file, merged over these defaults (and, in the CLI, under its flags)."""

    portal_url: str = "https://org.ke.m-pesa.com"
    ui: str = "auto"
    headless: bool = True
    timeout_ms: int = 15000
    human_timeout_s: int = 300
    captcha_provider: str = "prompt"
    otp_provider: str = "prompt"
    # A helper program: a string (split per OS) or a list of arguments (agent.helper_env.command_argv).
    otp_command: str | tuple[str, ...] = ""
    captcha_command: str | tuple[str, ...] = ""
    password_max_age_days: int = 90

    @classmethod
    def from_table(cls, table: Mapping[str, Any], where: str = "the configuration file") -> Settings:
        """Settings from a ``[settings]`` table; an unknown key or a wrong type is a ConfigError naming it."""
        known = {f.name: f for f in dataclasses.fields(cls)}
        values: dict[str, Any] = {}
        # The names of the command-line flags (captcha_from, codes_from, codes_command) are read as well as the
        # older names; when a file has both, the flag-like name wins.
        table = dict(table)
        for new, old in FLAG_NAMES.items():
            if new in table:
                table[old] = table.pop(new)
        for key, value in table.items():
            if key not in known:
                raise ConfigError(
                    f"Unknown setting '{key}' in [settings] of {where}.",
                    hint="Known settings: " + ", ".join(sorted(known)) + ".",
                )
            if key in _COMMAND_KEYS and isinstance(value, list):
                for i, part in enumerate(value):
                    check_type(f"settings.{key}[{i}]", part, str, where)
                values[key] = tuple(value)
                continue
            expected = type(getattr(cls(), key))
            check_type(f"settings.{key}", value, expected, where)
            values[key] = value
        return cls(**values)

    def replace(self, **changes: Any) -> Settings:
        """A copy with ``changes`` (None values are ignored: "not given on the command line")."""
        return dataclasses.replace(self, **{k: v for k, v in changes.items() if v is not None})

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


_COMMAND_KEYS = frozenset({"otp_command", "captcha_command"})
#: Settings keys named like the flags -> the field they set.
FLAG_NAMES: dict[str, str] = {
    "captcha_from": "captcha_provider",
    "codes_from": "otp_provider",
    "codes_command": "otp_command",
}
DEFAULT_SETTINGS: dict[str, Any] = Settings().as_dict()

_TYPE_NAMES = {str: "a string", int: "an integer", bool: "true or false", float: "a number", dict: "a table"}


def check_type(key: str, value: Any, expected: type, where: str) -> None:
    """Raise a ConfigError naming ``key`` and the type it must have when ``value`` is not an ``expected``."""
    if isinstance(value, expected) and not (expected is int and isinstance(value, bool)):
        return
    raise ConfigError(
        f"The key '{key}' in {where} must be {_TYPE_NAMES.get(expected, expected.__name__)}, "
        f"not {_TYPE_NAMES.get(type(value), type(value).__name__)}.",
        hint="Fix it in the configuration file (mpesa-agent config path), or compare with the example it started "
        "from (mpesa-agent config init --force writes a fresh one).",
    )


# -- profiles ---------------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Profile:
    """One ``[profiles.<key>]`` table. ``key`` is the table's name in the file (what ``--profile`` names);
    ``short_code`` is the organisation's short code (``short_code = ...`` in the table, else the key). Vault items,
    journals and the portal login use the short code; configuration edits use the key."""

    key: str
    short_code: str
    data: Mapping[str, Any]  # the table (read-only)

    @classmethod
    def from_table(cls, key: str, table: Mapping[str, Any]) -> Profile:
        plain = copy.deepcopy(dict(table))
        short_code = str(plain.get("short_code") or key)
        return cls(key, short_code, types.MappingProxyType(plain))

    def get(self, dotted: str, default: Any = None) -> Any:
        node: Any = self.data
        for part in dotted.split("."):
            if not isinstance(node, Mapping) or part not in node:
                return default
            node = node[part]
        return node

    @property
    def portal_url(self) -> str | None:
        value = self.data.get("portal_url")
        return str(value) if value else None

    @property
    def admin_username(self) -> str:
        return str(self.get("admin_username") or "")

    @property
    def web_username(self) -> str:
        return str(self.get("web_operator.username") or "")

    @property
    def api_username(self) -> str:
        return str(self.get("api_operator.username") or "")

    @property
    def retired_api_usernames(self) -> tuple[str, ...]:
        return tuple(str(r) for r in self.get("api_operator.retired") or ())

    def as_table(self) -> dict[str, Any]:
        """A mutable deep copy of the table (for ``agent.workflows.plan``)."""
        return copy.deepcopy(dict(self.data))


# -- the file ---------------------------------------------------------------------------------------------------


class UserConfig:
    """The configuration file: typed reads, and edits that keep its comments and order (``save`` writes them)."""

    def __init__(self, path: Path, doc: tomlkit.TOMLDocument | None = None) -> None:
        self.path = path
        self.doc = doc if doc is not None else tomlkit.document()

    # -- reading ----------------------------------------------------------------------------------------------
    @property
    def data(self) -> dict[str, Any]:
        """The whole file as plain Python values (a copy: edit through the methods below)."""
        return self.doc.unwrap()

    @property
    def settings(self) -> Settings:
        return Settings.from_table(self.data.get("settings", {}), str(self.path))

    @property
    def profiles(self) -> dict[str, dict[str, Any]]:
        return {str(k): v for k, v in self.data.get("profiles", {}).items()}

    @property
    def sites(self) -> dict[str, dict[str, Any]]:
        return dict(self.data.get("sites", {}))

    def default_profile_name(self) -> str | None:
        name = self.doc.get("default_profile")
        if name:
            return str(name)
        profiles = self.profiles
        return next(iter(profiles)) if len(profiles) == 1 else None

    def find_profile(self, name: str | None) -> Profile | None:
        """The profile ``name`` (or the default one), or None when there is none of that name."""
        key = name or self.default_profile_name()
        if key is None or key not in self.profiles:
            return None
        return Profile.from_table(key, self.profiles[key])

    def require_profile(self, name: str | None) -> Profile:
        found = self.find_profile(name)
        if found is None:
            key = name or self.default_profile_name()
            known = ", ".join(self.profiles) or "none"
            raise ConfigError(
                f"No profile {key or '(default)'} in the configuration file {self.path} (profiles: {known}).",
                hint="Pass --profile with one of them, set default_profile in the configuration file, or create one "
                "with: mpesa-agent config init",
            )
        return found

    # -- editing (in memory until save) -----------------------------------------------------------------------
    def _table(self, name: str) -> Table:
        table = self.doc.get(name)
        if table is None:
            self.doc[name] = tomlkit.table(is_super_table=True)
            table = self.doc[name]
        assert isinstance(table, Table)
        return table

    def set_default_profile(self, key: str) -> None:
        self.doc["default_profile"] = key

    def set_settings(self, **values: Any) -> None:
        table = self._table("settings")
        for key, value in values.items():
            table[key] = value

    def set_profile(self, key: str, values: Mapping[str, Any]) -> None:
        self._table("profiles")[key] = dict(values)

    def set_profile_value(self, key: str, dotted: str, value: Any) -> None:
        """Set one value inside ``[profiles.<key>]`` (e.g. ``api_operator.username``), keeping everything else."""
        node: Any = self._table("profiles")
        parts = [key, *dotted.split(".")]
        for part in parts[:-1]:
            if part not in node:
                node[part] = tomlkit.table()
            node = node[part]
        node[parts[-1]] = value

    def set_site(self, url: str, values: Mapping[str, Any]) -> None:
        self._table("sites")[url] = dict(values)

    def remove_site(self, url: str) -> None:
        sites = self.doc.get("sites")
        if sites is not None and url in sites:
            del sites[url]

    def save(self) -> None:
        """Write atomically (temp file + replace), private to the user, with every comment kept."""
        from agent.secret import SECRET_KEY_PATTERN

        _refuse_secrets(self.data, SECRET_KEY_PATTERN)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".toml.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(tomlkit.dumps(self.doc).encode("utf-8"))
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
    {"captcha_provider", "otp_provider", "otp_command", "captcha_command", "password_max_age_days", "codes_command"}
)


def load_config(path: Path | None = None) -> UserConfig:
    """Read the configuration file; a missing file is an empty configuration, a broken one a ConfigError."""
    path = path or paths().config_file
    if not path.exists():
        return UserConfig(path)
    try:
        with path.open("rb") as fh:
            raw = fh.read(MAX_CONFIG_BYTES + 1)
    except OSError as exc:
        raise ConfigError(f"Cannot read the configuration file {path}: {exc.strerror}.") from None
    if len(raw) > MAX_CONFIG_BYTES:
        raise ConfigError(f"The configuration file {path} is larger than {MAX_CONFIG_BYTES} bytes; it is not one.")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ConfigError(f"The configuration file {path} is not UTF-8 text.") from None
    try:
        doc = tomlkit.parse(text)
        data = doc.unwrap()
    except tomlkit.exceptions.TOMLKitError as exc:
        raise ConfigError(
            f"The configuration file {path} is not valid TOML: {exc}.",
            hint="Fix the line named above, or compare with config/mpesa-agent.example.toml.",
        ) from None
    except RecursionError:
        raise ConfigError(f"The configuration file {path} is nested too deeply to be a configuration.") from None
    from agent.secret import SECRET_KEY_PATTERN

    _refuse_secrets(data, SECRET_KEY_PATTERN)
    _check_shape(data, str(path))
    return UserConfig(path, doc)


def _check_shape(data: dict[str, Any], where: str) -> None:
    """The schema of the file's top level: each known key's type (unknown top-level keys are left alone)."""
    if "default_profile" in data:
        check_type("default_profile", data["default_profile"], str, where)
    for name in ("settings", "profiles", "sites"):
        if name in data:
            check_type(name, data[name], dict, where)
    Settings.from_table(data.get("settings", {}), where)
    for key, profile in data.get("profiles", {}).items():
        check_type(f"profiles.{key}", profile, dict, where)
        for part in ("web_operator", "api_operator"):
            if part in profile:
                check_type(f"profiles.{key}.{part}", profile[part], dict, where)
                if "username" in profile[part]:
                    check_type(f"profiles.{key}.{part}.username", profile[part]["username"], str, where)
        for text in ("short_code", "admin_username", "portal_url", "organization_name"):
            if text in profile:
                check_type(f"profiles.{key}.{text}", profile[text], str, where)
    for url, site in data.get("sites", {}).items():
        check_type(f'sites."{url}"', site, dict, where)
