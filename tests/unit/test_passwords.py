"""agent.passwords: the portal's password rules narrowed to what survives WordPress's REST API."""

from __future__ import annotations

import re
import string

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agent.errors import ValidationError
from agent.passwords import (
    ANSWER_LENGTH,
    check_password,
    generate_password,
    generate_security_answer,
)
from agent.secret import Secret
from wp_bridge.kses import rest_text_roundtrip

pytestmark = pytest.mark.unit

# The portal's rule, written independently from the implementation (mpesa-org-portal.md §15.6).
PORTAL_RULE = re.compile(r"(?=.*[A-Z])(?=.*[a-z])(?=.*\d)(?=.*[#&%$])[A-Za-z0-9#&%$]{8,16}")


def portal_accepts(password: str) -> bool:
    return bool(PORTAL_RULE.fullmatch(password))


@pytest.mark.parametrize("length", [8, 9, 14, 16])
def test_generated_passwords_pass_portal_and_rest(length: int) -> None:
    for _ in range(200):
        secret = generate_password(length)
        assert isinstance(secret, Secret)
        value = secret.reveal()
        assert len(value) == length
        assert portal_accepts(value), value
        assert rest_text_roundtrip(value) == value
        assert set(value) <= set(string.ascii_letters + string.digits + "#%$")
        check_password(secret)


def test_generated_passwords_differ() -> None:
    assert len({generate_password().reveal() for _ in range(100)}) == 100


@pytest.mark.parametrize("length", [0, 7, 17, 64])
def test_generate_refuses_lengths_the_portal_refuses(length: int) -> None:
    with pytest.raises(ValidationError, match="8 to 16"):
        generate_password(length)


def test_security_answers() -> None:
    answers = {generate_security_answer().reveal() for _ in range(50)}
    assert len(answers) == 50
    for answer in answers:
        assert len(answer) == ANSWER_LENGTH
        assert answer.isalnum()
        assert answer.islower()
        assert rest_text_roundtrip(answer) == answer


@pytest.mark.parametrize(
    ("password", "needle"),
    [
        ("P@ss&word1", "'&' is changed to '&amp;' by WordPress's REST API, so the plugin would store a different"),
        ("Abcdef1&", "'&' is changed to '&amp;'"),
        ("Abcdef1#\\", "'\\\\' is removed by WordPress's REST API"),
        (" Abcdef1#", "a space is trimmed off the start or end by WordPress's REST API"),
        ("Abc<def1#", "'<' is escaped to '&lt;'"),
        ("Abc(def1#", "'(' is refused by the portal"),
        ("Abc.def1#", "'.' is refused by the portal"),
        ("Abc@def1#", "'@' does not count as a special character"),
        ("Abc!def1#", "'!' is not allowed"),
        ('Abc"def1#', "'\"' is not allowed"),
        ("Abcdéf1#", "'é' is not allowed"),
        ("Ab1#", "it has 4 characters; the portal needs 8 to 16"),
        ("Abcdefgh1#Abcdefgh", "it has 18 characters"),
        ("abcdef1#", "it needs a capital letter"),
        ("ABCDEF1#", "it needs a small letter"),
        ("Abcdefg#", "it needs a digit"),
        ("Abcdefg1", "it needs a special character (# % $)"),
    ],
)
def test_check_password_names_the_problem(password: str, needle: str) -> None:
    with pytest.raises(ValidationError) as info:
        check_password(password)
    assert needle in info.value.message
    assert password not in info.value.message  # the character is named, never the password
    assert "#" in (info.value.hint or "")


def test_ampersand_is_fine_for_the_portal_alone() -> None:
    check_password("Abcdef1&", for_rest=False)
    with pytest.raises(ValidationError, match="needs a special character"):
        check_password("Abcdef1&", for_rest=True)


@pytest.mark.parametrize("password", ["Abcdef1#", "Zz9%Zz9%Zz9%Zz9%", "x$Y7abcd", "Tz4#mKq9$wR2"])
def test_good_passwords_pass(password: str) -> None:
    check_password(password)
    check_password(Secret(password), for_rest=False)


PASSWORD_CHARS = st.characters(codec="utf-8", exclude_categories=("Cs",))


def assert_consistent(password: str, for_rest: bool) -> None:
    """``password`` is accepted or refused with ValidationError, never another exception, in agreement with the
    portal's rule (and, for REST, with the round trip)."""
    expected = portal_accepts(password) and "@" not in password
    if for_rest:
        expected = expected and "&" not in password and rest_text_roundtrip(password) == password
    if expected:
        check_password(password, for_rest=for_rest)
    else:
        with pytest.raises(ValidationError, match=r"^The password does not meet the rules: "):
            check_password(password, for_rest=for_rest)


@settings(max_examples=400)
@given(st.text(PASSWORD_CHARS, max_size=24), st.booleans())
def test_check_password_any_text(password: str, for_rest: bool) -> None:
    assert_consistent(password, for_rest)


@settings(max_examples=400)
@given(
    st.text(alphabet=string.ascii_letters + string.digits + '#%$&@().!<>\\" ', min_size=6, max_size=18), st.booleans()
)
def test_check_password_near_misses(password: str, for_rest: bool) -> None:
    assert_consistent(password, for_rest)
