"""Smoke: the real Secret Service (gnome-keyring on a private D-Bus session) answers a round trip."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.keyring


def test_secret_service_round_trip(secret_service: dict[str, str]) -> None:
    import keyring
    from keyring.backends import SecretService

    backend = keyring.get_keyring()
    assert isinstance(backend, SecretService.Keyring), backend
    keyring.set_password("mpesa-agent-smoke", "probe", "v4lue#1")
    assert keyring.get_password("mpesa-agent-smoke", "probe") == "v4lue#1"
    keyring.delete_password("mpesa-agent-smoke", "probe")
    assert keyring.get_password("mpesa-agent-smoke", "probe") is None
