"""Unit tests of the rotation workflow's decisions that need no portal: ages and expiry, derived user names, the
one-rotation-in-flight rule, what --abandon and rollback allow, and input checks. In-memory vault, temp home."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
import tomlkit

from agent import settings
from agent.context import Context
from agent.errors import ConflictError, UsageError
from agent.journal import Journal
from agent.secret import Secret
from agent.vault import CredentialRef, Vault, open_vault
from agent.workflows import rotation as rotate
from agent.workflows.rotation import RotateRequest, next_username, parse_age, password_ages, run_rotation

pytestmark = pytest.mark.unit

CODE = "600123"
SITE = "http://127.0.0.1:9"  # never contacted by these tests


class NoHuman:
    """Any use of the portal would need it: these tests must not get there."""

    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"the portal was used ({name})")


class Recorder:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def start(self, key: str, title: str) -> None:
        self.lines.append(f"start {key}")

    def finish(self, key: str, status: str, detail: str = "") -> None:
        self.lines.append(f"{status} {key} {detail}")

    def info(self, text: str) -> None:
        self.lines.append(text)


@pytest.fixture
def vault() -> Vault:
    return open_vault("memory")


@pytest.fixture
def configured(agent_home: Any, vault: Vault) -> Vault:
    settings.paths().ensure()
    data = {
        "default_profile": CODE,
        "settings": {"portal_url": "http://127.0.0.1:9"},
        "profiles": {
            CODE: {
                "short_code": CODE,
                "admin_username": "mamaadmin",
                "owner_msisdn": "0712345678",
                "web_operator": {"username": "mamaweb", "first_name": "W", "last_name": "K", "id_number": "12345678"},
                "api_operator": {"username": "mamaapi"},
            }
        },
    }
    settings.paths().config_file.write_text(tomlkit.dumps(data), encoding="utf-8")
    vault.set_current(CredentialRef(CODE, "web-operator", "mamaweb"), Secret("Web#12345abc"), note="setup")
    vault.set_current(CredentialRef(CODE, "api-operator", "mamaapi"), Secret("Api#12345abc"), note="setup")
    return vault


def _ctx(vault: Vault) -> Context:
    """A fresh context (the configuration as it is on disk now), with a human that must never be asked."""
    return Context.build(vault=vault, human=NoHuman(), reporter=Recorder())  # type: ignore[arg-type]


def _rotate(vault: Vault, **kwargs: Any) -> rotate.RotateResult:
    return run_rotation(_ctx(vault), RotateRequest(**kwargs))


def _journal(**start: Any) -> Journal:
    journal = Journal(f"rotate-{CODE}")
    detail = {"rotation": "abc123", "operator": "api", "strategy": "single", "username": "mamaapi", "sites": []}
    journal.record("rotate", "start", **{**detail, **start})
    return journal


# -- pure helpers ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "days"), [("60d", 60), ("60", 60), (60, 60), ("8w", 56), (" 0d ", 0)])
def test_parse_age(text: str | int, days: int) -> None:
    assert parse_age(text) == days


@pytest.mark.parametrize("text", ["sixty", "60 days", "-1", "1y", "99999"])
def test_parse_age_refuses_nonsense(text: str) -> None:
    with pytest.raises(UsageError):
        parse_age(text)


@pytest.mark.parametrize(
    ("current", "taken", "expected"),
    [
        ("mamaapi", set(), "mamaapi2"),
        ("mamaapi2", set(), "mamaapi3"),
        ("mamaapi", {"mamaapi2", "MAMAAPI3"}, "mamaapi4"),
        ("abcdefghijklmno", set(), "abcdefghijklmn2"),
        ("abcdefghijklmn9", set(), "abcdefghijklm10"),
        ("api2024", set(), "api2025"),
    ],
)
def test_next_username(current: str, taken: set[str], expected: str) -> None:
    lowered = {t.lower() for t in taken}
    assert next_username(current, lambda n: n.lower() in lowered) == expected


# -- expiry -----------------------------------------------------------------------------------------------------------


def test_password_ages_count_from_the_current_version(configured: Vault) -> None:
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=61, hours=1)
    ages = {a.kind: a for a in password_ages(_ctx(configured), now=later)}
    assert ages["api"].username == "mamaapi"
    assert ages["api"].age_days == 61
    assert ages["api"].expires_in_days == 29
    assert ages["api"].due(60)
    assert not ages["api"].due(62)
    assert not ages["api"].expired
    assert not ages["api"].pending
    configured.stage(CredentialRef(CODE, "web-operator", "mamaweb"), Secret("Web#99999xyz"), note="x")
    much_later = later + dt.timedelta(days=40)
    web = next(a for a in password_ages(_ctx(configured), CODE, now=much_later) if a.kind == "web")
    assert web.expired
    assert web.expires_in_days == -11
    assert web.pending
    assert web.as_dict()["expired"] is True


def test_if_older_than_does_nothing_while_the_password_is_young(configured: Vault) -> None:
    result = _rotate(configured, if_older_than="60d")
    assert result.action == "skipped"
    assert "0 days old" in result.message
    assert "nothing to do" in result.message
    assert not Journal(f"rotate-{CODE}").exists()


# -- one rotation in flight -------------------------------------------------------------------------------------------


def test_a_second_rotation_is_refused_while_one_is_in_flight(configured: Vault) -> None:
    journal = _journal()
    journal.done("stage", username="mamaapi")
    with pytest.raises(ConflictError) as caught:
        _rotate(configured)
    assert caught.value.exit_status == 8
    assert "done: stage" in caught.value.message
    assert "--resume" in (caught.value.hint or "")
    assert "--abandon" in (caught.value.hint or "")
    assert rotate.rotation_in_flight(_ctx(configured), CODE) is not None


def test_resume_with_nothing_in_flight_says_so(configured: Vault) -> None:
    assert _rotate(configured, resume=True).action == "nothing"
    assert _rotate(configured, abandon=True).action == "nothing"


def test_resume_flags_must_match_the_rotation_in_flight(configured: Vault) -> None:
    _journal()
    with pytest.raises(UsageError, match="--operator api"):
        _rotate(configured, resume=True, operator="web")


def test_a_pending_password_from_elsewhere_blocks_a_rotation(configured: Vault) -> None:
    configured.stage(CredentialRef(CODE, "api-operator", "mamaapi"), Secret("Api#77777abc"), note="setup: in flight")
    with pytest.raises(ConflictError, match="setup: in flight"):
        _rotate(configured)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"operator": "web", "strategy": "alternating"}, "API operator only"),
        ({"operator": "db"}, "Unknown operator"),
        ({"strategy": "double"}, "Unknown strategy"),
        ({"resume": True, "abandon": True}, "exclude each other"),
        ({"if_older_than": "soon"}, "not an age"),
    ],
)
def test_bad_requests_are_usage_errors(configured: Vault, kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(UsageError, match=message):
        _rotate(configured, **kwargs)


# -- abandon ------------------------------------------------------------------------------------------------------


def test_abandon_before_the_portal_change_forgets_the_pending_password(configured: Vault) -> None:
    ref = CredentialRef(CODE, "api-operator", "mamaapi")
    journal = _journal()
    configured.stage(ref, Secret("Api#55555abc"), note="rotation abc123: new password, staged")
    journal.done("stage", username="mamaapi")
    result = _rotate(configured, abandon=True)
    assert result.action == "abandoned"
    assert configured.get(ref, "pending") is None
    assert configured.require(ref).reveal() == "Api#12345abc"
    assert not journal.exists()


def test_abandon_after_set_password_was_submitted_is_refused(configured: Vault) -> None:
    ref = CredentialRef(CODE, "api-operator", "mamaapi")
    journal = _journal()
    configured.stage(ref, Secret("Api#55555abc"), note="rotation abc123: new password, staged")
    journal.done("stage", username="mamaapi")
    journal.intent("portal-set", username="mamaapi")
    with pytest.raises(ConflictError, match="may have been"):
        _rotate(configured, abandon=True)
    assert configured.get(ref, "pending") is not None, "a password that may be on the portal is never dropped"


def test_abandon_of_alternating_keeps_a_password_that_may_be_on_the_portal(configured: Vault) -> None:
    new = CredentialRef(CODE, "api-operator", "mamaapi2")
    journal = _journal(strategy="alternating")
    journal.done("alt-name", username="mamaapi2")
    journal.done("alt-create", username="mamaapi2")
    configured.stage(new, Secret("Api#66666abc"), note="rotation abc123: new password, staged")
    journal.done("stage", username="mamaapi2")
    journal.intent("portal-set", username="mamaapi2")
    result = _rotate(configured, abandon=True)
    assert result.action == "abandoned"
    assert "mamaapi2" in result.message
    assert configured.require(new).reveal() == "Api#66666abc"
    journal2 = _journal(strategy="alternating")
    journal2.intent("switch", username="mamaapi2")
    with pytest.raises(ConflictError, match="switched") as caught:
        _rotate(configured, abandon=True)
    assert "mpesa-agent rollback" in (caught.value.hint or "")


# -- rollback -----------------------------------------------------------------------------------------------------


def _link_site_with_snapshot(vault: Vault, user: str, password: str) -> None:
    from agent.workflows import sites

    cfg = settings.load_config()
    cfg.set_site(SITE, {"api_root": SITE + "/wp-json/", "username": "shopadmin", "plugin": "osen-wc-mpesa"})
    cfg.save()
    snapshot = {
        "version": 1,
        "site_url": SITE,
        "gateway_id": "mpesa",
        "plugin_id": "osen-wc-mpesa",
        "fingerprint": "x",
        "taken_at": "2026-01-01T00:00:00+00:00",
        "enabled": True,
        "values": {"initiator": user, "password": password},
        "changed_keys": ["initiator", "password"],
    }
    vault.set_current(sites.snapshot_ref(SITE), Secret(json.dumps(snapshot)), note="test")


def test_rollback_never_restores_a_password_the_portal_no_longer_takes(configured: Vault) -> None:
    ref = CredentialRef(CODE, "api-operator", "mamaapi")
    configured.set_current(ref, Secret("Api#88888new"), note="rotated")  # the old one is now previous
    _link_site_with_snapshot(configured, "mamaapi", "Api#12345abc")
    result = rotate.rollback(_ctx(configured), CODE)
    assert not result.ok
    assert "no longer takes" in result.sites[0]["reason"]


def test_rollback_is_refused_while_a_single_rotation_is_in_flight(configured: Vault) -> None:
    journal = _journal()
    journal.intent("portal-set", username="mamaapi")
    with pytest.raises(ConflictError, match="no longer takes") as caught:
        rotate.rollback(_ctx(configured), CODE)
    assert "--resume" in (caught.value.hint or "")


# -- a failure before anything was submitted ends the rotation -------------------------------------------------------


class RefusingPortal:
    """A portal whose every login is refused (no browser)."""

    logged_in_as = None

    def logout(self) -> None:
        pass

    def login(self, *args: Any, **kwargs: Any) -> Any:
        from agent.errors import AuthError

        raise AuthError("The portal refused the user name or password.")


def test_a_failure_before_any_portal_change_does_not_leave_a_rotation_in_flight(
    configured: Vault, monkeypatch: pytest.MonkeyPatch
) -> None:
    import contextlib

    from agent.errors import AuthError
    from agent.portal import session

    @contextlib.contextmanager
    def fake_session(options: Any, human: Any, **_kw: Any) -> Any:
        yield RefusingPortal()

    monkeypatch.setattr(session, "portal_session", fake_session)
    with pytest.raises(AuthError, match="Nothing was changed; the rotation was ended"):
        _rotate(configured, operator="api")
    ref = CredentialRef(CODE, "api-operator", "mamaapi")
    assert configured.get(ref, "pending") is None
    assert configured.require(ref).reveal() == "Api#12345abc"
    assert not Journal(f"rotate-{CODE}").exists()
    assert rotate.rotation_in_flight(_ctx(configured), CODE) is None
