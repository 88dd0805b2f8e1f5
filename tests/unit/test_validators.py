"""agent.validators: KYC and identifier input, normalised or refused with an example (mpesa-org-portal.md §15.6)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agent.errors import ValidationError
from agent.validators import (
    normalize_id_type,
    normalize_msisdn,
    validate_date_of_birth,
    validate_email,
    validate_id_number,
    validate_name,
    validate_short_code,
    validate_username,
)

pytestmark = pytest.mark.unit

TODAY = date(2025, 6, 15)


# --- MSISDN -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0712345678", "254712345678"),
        ("0712 345 678", "254712345678"),
        ("0712-345-678", "254712345678"),
        ("712345678", "254712345678"),
        ("+254712345678", "254712345678"),
        ("+254 712 345 678", "254712345678"),
        ("254712345678", "254712345678"),
        ("  254 712-345-678 ", "254712345678"),
        ("0110123456", "254110123456"),
        ("0100 123 456", "254100123456"),
        ("+254 110 123 456", "254110123456"),
    ],
)
def test_msisdn_forms(text: str, expected: str) -> None:
    assert normalize_msisdn(text) == expected


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("+255712345678", "not a Kenyan number"),
        ("+1 415 555 0100", "not a Kenyan number"),
        ("0201234567", "not a mobile number"),  # a Nairobi landline
        ("0712ABCDEF", "not a Kenyan mobile number"),  # phonenumbers would read letters as digits
        ("07123456789", "not a Kenyan mobile number"),
        ("12", "not a Kenyan mobile number"),
        ("", "not a Kenyan mobile number"),
    ],
)
def test_msisdn_refused(text: str, needle: str) -> None:
    with pytest.raises(ValidationError, match=needle) as info:
        normalize_msisdn(text)
    assert "254712345678" in info.value.message  # an accepted example


MOBILE_PREFIX = st.one_of(st.integers(700, 799), st.sampled_from([100, 101, 102, 110, 111, 112, 113, 114, 115]))


@settings(max_examples=300)
@given(MOBILE_PREFIX, st.integers(0, 999_999), st.sampled_from(["0", "", "+254", "254", "+254 "]), st.data())
def test_msisdn_property_valid(prefix: int, rest: int, lead: str, data: st.DataObject) -> None:
    national = f"{prefix}{rest:06d}"
    separators = data.draw(st.lists(st.sampled_from(["", " ", "-"]), min_size=len(national), max_size=len(national)))
    text = lead + "".join(d + s for d, s in zip(national, separators, strict=True))
    assert normalize_msisdn(text) == f"254{national}"


@settings(max_examples=500)
@given(st.text(max_size=20))
def test_msisdn_property_any_text(text: str) -> None:
    try:
        result = normalize_msisdn(text)
    except ValidationError:
        return
    assert re.fullmatch(r"254[17]\d{8}", result)


# --- Other validators ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["mamaapi", "MerchantInit", "a", "api_op.37", "X" * 15])
def test_username_ok(name: str) -> None:
    assert validate_username(f" {name} ") == name


@pytest.mark.parametrize(
    ("name", "needle"),
    [("", "is empty"), ("x" * 16, "has 16 characters"), ("mama api", "contains ' '"), ("mama@api", "contains '@'")],
)
def test_username_refused(name: str, needle: str) -> None:
    with pytest.raises(ValidationError, match=needle) as info:
        validate_username(name)
    assert "e.g. mamaapi" in info.value.message


def test_email() -> None:
    assert validate_email(" Mama.Mboga@Example.CO.KE ") == "Mama.Mboga@example.co.ke"
    for bad in ["", "mama", "mama@", "@example.com", "mama@localhost", "ma ma@example.com", "mama@ex_ample.com"]:
        with pytest.raises(ValidationError, match=re.escape("e.g. mama.mboga@example.co.ke")):
            validate_email(bad)


@pytest.mark.parametrize(
    ("id_type", "text", "expected"),
    [
        ("National ID", "12345678", "12345678"),
        ("national id", "1234567", "1234567"),
        ("ID", "1234 5678", "12345678"),
        ("Passport", "ak1234567", "AK1234567"),
        ("passport", "A123456", "A123456"),
        ("Alien ID", "123456", "123456"),
    ],
)
def test_id_numbers(id_type: str, text: str, expected: str) -> None:
    assert validate_id_number(id_type, text) == expected


@pytest.mark.parametrize(
    ("id_type", "text", "needle"),
    [
        ("National ID", "123456", "7 or 8 digits, e.g. 12345678"),
        ("National ID", "123456789", "7 or 8 digits"),
        ("National ID", "A1234567", "7 or 8 digits"),
        ("Passport", "AB12", "6 to 9 letters and digits, e.g. AK1234567"),
        ("Passport", "AB12#4567", "6 to 9 letters and digits"),
        ("National ID", "", "is required"),
        ("Driving licence", "123", "Unknown ID type"),
    ],
)
def test_id_numbers_refused(id_type: str, text: str, needle: str) -> None:
    with pytest.raises(ValidationError, match=re.escape(needle)):
        validate_id_number(id_type, text)


def test_id_type_spellings() -> None:
    assert normalize_id_type(" NATIONAL  ID ") == "National ID"
    assert normalize_id_type("alien-id") == "Alien ID"


@pytest.mark.parametrize(
    ("text", "expected"), [("600000", "600000"), (" 174379 ", "174379"), ("1234567890", "1234567890")]
)
def test_short_code(text: str, expected: str) -> None:
    assert validate_short_code(text) == expected


@pytest.mark.parametrize("text", ["1234", "12345678901", "60000a", "", "-60000"])
def test_short_code_refused(text: str) -> None:
    with pytest.raises(ValidationError, match=re.escape("5 to 10 digits, e.g. 600000")):
        validate_short_code(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("1990-05-31", date(1990, 5, 31)), ("31/05/1990", date(1990, 5, 31)), ("1/2/2000", date(2000, 2, 1))],
)
def test_date_of_birth(text: str, expected: date) -> None:
    assert validate_date_of_birth(text, today=TODAY) == expected


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("1990-02-30", "not a real date"),
        ("31/13/1990", "not a real date"),
        ("1990/05/31", "YYYY-MM-DD or DD/MM/YYYY"),
        ("May 31 1990", "YYYY-MM-DD or DD/MM/YYYY"),
        ("2030-01-01", "not in the past"),
        ("2025-06-15", "not in the past"),
        ("2007-06-16", "17 years old"),  # one day short of 18
        ("1890-01-01", "more than 120 years"),
    ],
)
def test_date_of_birth_refused(text: str, needle: str) -> None:
    with pytest.raises(ValidationError, match=needle) as info:
        validate_date_of_birth(text, today=TODAY)
    assert "31/05/1990" in info.value.message


def test_date_of_birth_exactly_eighteen() -> None:
    assert validate_date_of_birth("2007-06-15", today=TODAY) == date(2007, 6, 15)


def test_names() -> None:
    assert validate_name("  Ole-Sapit   Wanjiku ") == "Ole-Sapit Wanjiku"
    assert validate_name("N'gang'a") == "N'gang'a"
    assert validate_name("Zoë") == "Zoë"
    for bad, needle in [("", "empty"), ("Mama1", "contains '1'"), ("-Mama", "start with a letter"), ("x" * 51, "50")]:
        with pytest.raises(ValidationError, match=needle):
            validate_name(bad)


# --- Property: every validator answers any text with a value or a ValidationError ------------------------------------

VALIDATORS: list[Callable[[str], object]] = [
    normalize_msisdn,
    validate_username,
    validate_email,
    normalize_id_type,
    lambda t: validate_id_number("National ID", t),
    lambda t: validate_id_number("Passport", t),
    lambda t: validate_id_number(t, "12345678"),
    validate_short_code,
    lambda t: validate_date_of_birth(t, today=TODAY),
    validate_name,
]


def answers_cleanly(validator: Callable[[str], object], text: str) -> None:
    """A value, or a ValidationError with a message and an accepted example; any other exception fails."""
    try:
        validator(text)
    except ValidationError as exc:
        error = exc
    else:
        return
    assert error.message
    assert "e.g." in error.message or "e.g." in (error.hint or "")


@settings(max_examples=300)
@given(st.sampled_from(VALIDATORS), st.text(max_size=30))
def test_every_validator_raises_only_validation_error(validator: Callable[[str], object], text: str) -> None:
    answers_cleanly(validator, text)


ID_LIKE = st.text(alphabet="0123456789ABCDEFabcdef -/#", max_size=12)
DATE_LIKE = st.builds(
    lambda y, m, d, fmt: fmt.format(y=y, m=m, d=d),
    st.integers(1800, 2100),
    st.integers(0, 13),
    st.integers(0, 32),
    st.sampled_from(["{y:04d}-{m:02d}-{d:02d}", "{d:02d}/{m:02d}/{y:04d}", "{d}/{m}/{y}"]),
)


@settings(max_examples=400)
@given(st.sampled_from(VALIDATORS), st.one_of(ID_LIKE, DATE_LIKE))
def test_every_validator_on_near_misses(validator: Callable[[str], object], text: str) -> None:
    answers_cleanly(validator, text)


@settings(max_examples=300)
@given(DATE_LIKE)
def test_date_of_birth_property(text: str) -> None:
    try:
        born = validate_date_of_birth(text, today=TODAY)
    except ValidationError:
        return
    assert born < TODAY
    assert date(TODAY.year - 121, 1, 1) < born <= date(TODAY.year - 18, TODAY.month, TODAY.day)
