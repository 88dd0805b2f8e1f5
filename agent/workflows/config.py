"""``mpesa-agent config init``: create the user configuration file from the commented example."""

from __future__ import annotations

from pathlib import Path

from agent import resources
from agent.context import Context
from agent.errors import ConflictError


def init_config(ctx: Context, *, force: bool = False) -> Path:
    """Write the commented example configuration to the user's config file; refuse to overwrite unless forced."""
    path = ctx.paths.ensure().config_file
    if path.exists() and not force:
        raise ConflictError(
            f"{path} exists already; nothing was changed.",
            hint="Edit it, or run 'mpesa-agent config init --force' to replace it with the example.",
        )
    text = resources.read_text("mpesa-agent.example.toml")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    path.chmod(0o600)
    return path
