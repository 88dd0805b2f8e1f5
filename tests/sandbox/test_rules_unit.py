"""Password rules, temporary passwords, the wizard's validators and the search wildcard, without HTTP."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from agent.sandbox.portal import captcha
from agent.sandbox.portal.catalogue import Msg, find_role
from agent.sandbox.portal.passwords import generate_temporary_password, hash_secret, password_problem, verify_secret
from agent.sandbox.portal.state import like, mask_msisdn
from agent.sandbox.portal.wizard import OperatorDraft, validate_identity

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("password", "problem"),
    [
        ("Duka#2030", None),
        ("Duka&2030", None),
        ("Duka%2030", None),
        ("Duka$2030", None),
        ("Duka@#2030", None),  # @ allowed alongside a counted special
        ("Duka@2030", Msg.PW_COMPLEXITY),  # @ alone does not count
        ("duka#2030", Msg.PW_COMPLEXITY),
        ("DUKA#2030", Msg.PW_COMPLEXITY),
        ("Duka#Duka", Msg.PW_COMPLEXITY),
        ("Duka!2030", Msg.PW_COMPLEXITY),  # ! is not one of # & % $
        ("Duka(2030)#", Msg.PW_FORBIDDEN),
        ("Duka.2030#", Msg.PW_FORBIDDEN),
        ("Du#2030", Msg.PW_LENGTH),
        ("Duka#20301234567", None),  # 16
        ("Duka#203012345678", Msg.PW_LENGTH),  # 17
        ("Duka #2030", Msg.PW_SPACE),
    ],
)
def test_password_rules(password: str, problem: str | None) -> None:
    assert password_problem(password) == problem


def test_temporary_passwords_follow_the_rules_and_never_look_like_an_otp() -> None:
    for _ in range(300):
        password = generate_temporary_password()
        assert password_problem(password) is None
        assert not re.search(r"\d{6}", password)
        assert "&" not in password


@given(st.text(min_size=8, max_size=20))
def test_hash_round_trip(value: str) -> None:
    hashed = hash_secret(value)
    assert value not in hashed
    assert verify_secret(value, hashed)
    assert not verify_secret(value + "x", hashed)


def test_captcha_codes_and_png() -> None:
    codes = {captcha.new_code() for _ in range(50)}
    assert all(re.fullmatch(r"\d{4}", c) for c in codes)
    assert len(codes) > 10
    png = captcha.render_png("4092")
    assert png.startswith(b"\x89PNG")
    assert len(png) > 200


@pytest.mark.parametrize(
    ("pattern", "value", "matches"),
    [
        ("%", "anything", True),
        ("", "anything", True),
        ("%Merc%", "MerchantInit", True),  # the reference's example
        ("%merc%", "myMERCHANT", True),
        ("api%", "apiop37", True),
        ("api", "apiop37", False),
        ("a.b", "axb", False),  # no regex leaks
        ("254%149", "254708374149", True),
    ],
)
def test_like(pattern: str, value: str, matches: bool) -> None:
    assert like(pattern, value) is matches


def test_roles_match_case_insensitively_and_display_exactly() -> None:
    role = find_role("org b2c api INITIATOR")
    assert role is not None
    assert role.name == "ORG B2C API initiator"
    assert role.description == "B2C API Initiator/Caller"
    assert find_role("Set Restricted ORG API PASSWORD") is not None
    assert find_role("No Such Role") is None


def test_identity_validation_and_default_role_dates() -> None:
    draft = OperatorDraft(shortcode="600000", channels=["API"], username="apiop37")
    assert validate_identity(draft, lambda name: name.casefold() == "taken") == {}
    draft.username = "Taken"
    assert validate_identity(draft, lambda name: name.casefold() == "taken") == {"username": Msg.USER_EXISTS}
    draft.add_roles(["balance query org api", "Balance Query ORG API", "nonsense"], dt.date(2024, 7, 8))
    assert [(r.role, r.effective, r.expiration) for r in draft.roles] == [
        ("Balance Query ORG API", "08/07/2024", "31/12/2099")
    ]


def test_msisdn_mask() -> None:
    assert mask_msisdn("254708374149") == "2547****149"
