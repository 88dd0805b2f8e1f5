"""Exceptions raised by wp_bridge.

Each says what happened and, in ``hint``, what the shop owner can do. ``kind`` lets the agent's error boundary
pick an exit status without wp_bridge knowing about it: ``"auth"`` (credentials refused), ``"verify"`` (read-back
differs) or ``"site"`` (anything else about the site or plugin). Messages never contain secrets or response bodies
that may echo secrets.
"""

from __future__ import annotations


class WPBridgeError(Exception):
    """Base of every wp_bridge failure."""

    kind = "site"

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message
