"""Read the data files in ``config/`` from the installed package.

``config/`` ships in the wheel as the resource package ``mpesa_agent_config`` (see pyproject.toml), so these
functions work the same from a checkout (editable install) and from ``pip install .``. Nothing here knows what
the files mean; the modules that use them do.
"""

from __future__ import annotations

import functools
import importlib.util
import tomllib
from pathlib import Path
from typing import Any

PACKAGE = "mpesa_agent_config"


@functools.cache
def config_root() -> Path:
    """The installed ``config/`` directory.

    ``mpesa_agent_config`` is a namespace package (data only, no ``__init__.py``); Python 3.11's
    ``importlib.resources.files`` cannot read a namespace package served by an editable-install finder, so the
    package's search location is used directly. It is a real directory both in a wheel install and editable.
    """
    spec = importlib.util.find_spec(PACKAGE)
    for location in (spec.submodule_search_locations or []) if spec else []:
        if Path(location).is_dir():
            return Path(location)
    raise RuntimeError(f"The data package {PACKAGE} is not installed; reinstall mpesa-agent.")


def data_file(name: str) -> Path:
    """The shipped data file ``name`` (a path relative to ``config/``)."""
    return config_root().joinpath(*name.split("/"))


def read_text(name: str) -> str:
    """The text of the shipped data file ``name``."""
    return data_file(name).read_text(encoding="utf-8")


@functools.cache
def load_toml(name: str) -> dict[str, Any]:
    """The parsed shipped TOML file ``name`` (cached; treat the result as read-only)."""
    return tomllib.loads(read_text(name))
