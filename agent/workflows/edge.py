"""The workflow edge towards ``wp_bridge``: the one translation of its errors into the agent's domain errors.

``wp_bridge`` knows nothing of exit statuses; it raises ``WPBridgeError`` with a ``kind``. Every workflow that calls
it does so inside ``site_errors()`` (or passes a caught error to ``from_wp``), so a WordPress problem becomes an
``AuthError`` (exit 4), a ``VerificationError`` (exit 5) or a ``SiteError`` (exit 7) in exactly one place.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from agent.errors import AgentError, AuthError, SiteError, UsageError, VerificationError
from wp_bridge.errors import WPBridgeError

_BY_KIND: dict[str, type[AgentError]] = {"auth": AuthError, "verify": VerificationError, "usage": UsageError}


def from_wp(exc: WPBridgeError) -> AgentError:
    """The agent error for a wp_bridge error's kind (same message and hint)."""
    return _BY_KIND.get(exc.kind, SiteError)(exc.message, hint=exc.hint)


@contextlib.contextmanager
def site_errors() -> Iterator[None]:
    """Run a block that talks to WordPress; a ``WPBridgeError`` leaves it as the matching ``AgentError``."""
    try:
        yield
    except WPBridgeError as exc:
        raise from_wp(exc) from exc
