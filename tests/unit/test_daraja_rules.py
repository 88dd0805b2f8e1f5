"""The go-live consistency rules (agent.golive.rules): each rule's ok and problem cases, Osen decoding, the canary.

Values: Daraja's public sandbox defaults as the reference prints them (wordpress-woocommerce.md §2.1: key, secret,
174379; the passkey is the well-known public one whose ends the reference gives, ``bfb279f9…c919``).
"""

from __future__ import annotations

import dataclasses
import json

import pytest

from agent.golive import rules
from agent.golive.rules import Finding, GoLiveFacts, GoLiveSettings, check_go_live, planned_settings
from agent.resources import read_text
from agent.secret import Secret

pytestmark = pytest.mark.unit

PUBLIC_KEY = "9v38Dtu5u2BpsITPmLcXNWGMsjZRWSTG"
PUBLIC_SECRET = "bclwIPkcRqw61yUt"
PUBLIC_PASSKEY = "bfb279f9aa9bdbcf158e97dd71a467cd2e0c893059b10f78e6b72ada1ed2c919"
OWN_KEY = "OwnProdKeyQwErTyUiOpAsDfGhJkLzXc"
OWN_SECRET = "OwnProdSecret7y6"
OWN_PASSKEY = "0c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0c1d"
PROFILE = "812345"


def settings(**changes: object) -> GoLiveSettings:
    base = planned_settings(
        environment="production",
        payment_type="paybill",
        short_code=PROFILE,
        consumer_key=Secret(OWN_KEY),
        consumer_secret=Secret(OWN_SECRET),
        passkey=Secret(OWN_PASSKEY),
        initiator_username="shopapi",
        initiator_password=Secret("Api#Own2030x"),
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def facts(s: GoLiveSettings | None = None, **changes: object) -> GoLiveFacts:
    base = GoLiveFacts(
        settings=s or settings(),
        environment="production",
        profile_short_code=PROFILE,
        payment_type="paybill",
        verified_environment="production",
        initiator_short_code=PROFILE,
        expected_initiator="shopapi",
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def by_id(findings: list[Finding]) -> dict[str, Finding]:
    return {f.id: f for f in findings}


def status(f: GoLiveFacts, rule: str) -> str:
    return by_id(check_go_live(f))[rule].status


def test_a_consistent_production_paybill_is_all_ok() -> None:
    findings = check_go_live(facts())
    assert [f.id for f in findings] == [
        "golive.credentials",
        "golive.environment",
        "golive.short-code",
        "golive.identifier-type",
        "golive.till-store-number",
        "golive.passkey",
        "golive.sandbox-short-code",
        "golive.sandbox-credentials",
        "golive.initiator",
    ]
    assert all(f.ok for f in findings), [f for f in findings if not f.ok]
    assert rules.problems(findings) == []
    assert all(f.evidence for f in findings)


def test_a_consistent_till_is_all_ok() -> None:
    s = planned_settings(
        environment="production",
        payment_type="till",
        short_code="5123456",
        store_number=PROFILE,
        consumer_key=Secret(OWN_KEY),
        consumer_secret=Secret(OWN_SECRET),
        passkey=Secret(OWN_PASSKEY),
        initiator_username="shopapi",
    )
    findings = check_go_live(facts(s, payment_type="till"))
    assert all(f.ok for f in findings), [f for f in findings if not f.ok]


# short code vs profile -----------------------------------------------------------------------------------------


def test_plugin_short_code_other_than_the_profile_is_a_problem() -> None:
    """The issue's case: a plugin still holding 174379 while the profile says 600000."""
    s = settings(short_code="174379", store_number="174379", environment="sandbox")
    f = by_id(
        check_go_live(
            facts(
                s,
                environment="sandbox",
                verified_environment="sandbox",
                profile_short_code="600000",
                initiator_short_code="600000",
            )
        )
    )
    finding = f["golive.short-code"]
    assert finding.status == "problem"
    assert "174379" in finding.evidence
    assert "600000" in finding.evidence
    assert finding.fix


def test_till_compares_the_store_number_with_the_profile() -> None:
    s = settings(identifier_type="till", short_code=PROFILE, store_number="7000001")
    assert status(facts(s, payment_type="till"), "golive.short-code") == "problem"


# identifier type -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("plugin", "expected"), [("till", "problem"), (None, "problem"), ("1", "problem"), ("paybill", "ok")]
)
def test_identifier_type_must_match_the_payment_type(plugin: str | None, expected: str) -> None:
    assert status(facts(settings(identifier_type=plugin)), "golive.identifier-type") == expected


# till and store number -----------------------------------------------------------------------------------------


def test_till_without_a_store_number_is_a_problem() -> None:
    s = settings(identifier_type="till", short_code="5123456", store_number=None)
    assert status(facts(s, payment_type="till"), "golive.till-store-number") == "problem"


def test_till_number_in_the_store_number_field_is_a_problem() -> None:
    s = settings(identifier_type="till", short_code=PROFILE, store_number=PROFILE)
    finding = by_id(check_go_live(facts(s, payment_type="till")))["golive.till-store-number"]
    assert finding.status == "problem"
    assert "operator does not exist" in finding.evidence


def test_paybill_ignores_the_store_number_field() -> None:
    assert status(facts(settings(store_number="174379")), "golive.till-store-number") == "ok"


# sandbox values in production ----------------------------------------------------------------------------------


@pytest.mark.parametrize("code", ["174379", "600000"])
def test_production_with_a_public_sandbox_short_code_is_a_problem(code: str) -> None:
    s = settings(short_code=code, store_number=code)
    f = facts(s, profile_short_code=code, initiator_short_code=code)
    assert status(f, "golive.sandbox-short-code") == "problem"
    assert (
        status(
            dataclasses.replace(
                f,
                environment="sandbox",
                verified_environment="sandbox",
                settings=dataclasses.replace(s, environment="sandbox"),
            ),
            "golive.sandbox-short-code",
        )
        == "ok"
    )


def test_production_in_the_test_range_is_only_a_warning() -> None:
    s = settings(short_code="600977", store_number="600977")
    f = facts(s, profile_short_code="600977", initiator_short_code="600977")
    assert status(f, "golive.sandbox-short-code") == "warning"
    assert rules.problems(check_go_live(f)) == []


@pytest.mark.parametrize(
    ("field", "value", "named"),
    [
        ("consumer_key", Secret(PUBLIC_KEY), "consumer key"),
        ("consumer_secret", Secret(PUBLIC_SECRET), "consumer secret"),
        ("passkey", Secret(PUBLIC_PASSKEY), "passkey"),
        ("initiator_password", Secret("Safaricom999!*!"), "initiator password"),
        ("initiator_username", "testapi", "initiator name testapi"),
    ],
)
def test_production_with_public_sandbox_credentials_is_a_problem(field: str, value: object, named: str) -> None:
    f = facts(settings(**{field: value}), expected_initiator=None)
    finding = by_id(check_go_live(f))["golive.sandbox-credentials"]
    assert finding.status == "problem"
    assert named in finding.evidence
    sandbox = dataclasses.replace(
        f,
        environment="sandbox",
        verified_environment="sandbox",
        settings=dataclasses.replace(f.settings, environment="sandbox"),
    )
    assert status(sandbox, "golive.sandbox-credentials") == "ok"


def test_the_public_passkey_with_another_short_code_is_a_problem_even_in_sandbox() -> None:
    s = settings(environment="sandbox", passkey=Secret(PUBLIC_PASSKEY), short_code="600000", store_number="600000")
    f = facts(
        s,
        environment="sandbox",
        verified_environment="sandbox",
        profile_short_code="600000",
        initiator_short_code="600000",
    )
    assert status(f, "golive.passkey") == "problem"
    s174 = dataclasses.replace(s, short_code="174379", store_number="174379")
    f174 = dataclasses.replace(f, settings=s174, profile_short_code="174379", initiator_short_code="174379")
    assert status(f174, "golive.passkey") == "ok"


# environment ---------------------------------------------------------------------------------------------------


def test_plugin_environment_other_than_asked_is_a_problem() -> None:
    assert status(facts(settings(environment="sandbox")), "golive.environment") == "problem"
    assert status(facts(settings(environment=None)), "golive.environment") == "problem"


def test_keys_verified_in_another_environment_is_a_problem() -> None:
    assert status(facts(verified_environment="sandbox"), "golive.environment") == "problem"


def test_unverified_keys_are_unknown_never_ok() -> None:
    assert status(facts(verified_environment=None), "golive.environment") == "unknown"


# initiator -----------------------------------------------------------------------------------------------------


def test_initiator_of_another_short_code_is_a_problem() -> None:
    assert status(facts(initiator_short_code="999999"), "golive.initiator") == "problem"


def test_initiator_other_than_the_profiles_is_a_problem() -> None:
    assert status(facts(settings(initiator_username="test")), "golive.initiator") == "problem"


def test_initiator_of_unknown_origin_is_unknown() -> None:
    assert status(facts(initiator_short_code=None), "golive.initiator") == "unknown"


# credentials present -------------------------------------------------------------------------------------------


def test_missing_credentials_are_a_problem() -> None:
    finding = by_id(check_go_live(facts(settings(consumer_secret=None, passkey=None))))["golive.credentials"]
    assert finding.status == "problem"
    assert "consumer secret" in finding.evidence
    assert "passkey" in finding.evidence


# Osen decoding -------------------------------------------------------------------------------------------------


def test_settings_from_osen_rest_objects_and_plain_values() -> None:
    rest = {
        "env": {"id": "env", "value": "live"},
        "idtype": {"id": "idtype", "value": 4},
        "shortcode": {"value": 174379},
        "headoffice": {"value": 174379},
        "key": {"value": PUBLIC_KEY},
        "secret": {"value": PUBLIC_SECRET},
        "passkey": {"value": PUBLIC_PASSKEY},
        "initiator": {"value": "test"},
        "password": {"value": ""},
    }
    s = rules.settings_from_osen(rest)
    assert s.environment == "production"
    assert s.identifier_type == "paybill"
    assert s.short_code == "174379"
    assert s.store_number == "174379"
    assert s.initiator_username == "test"
    assert s.initiator_password is None
    assert s.consumer_key is not None
    assert s.consumer_key.reveal() == PUBLIC_KEY
    plain = rules.settings_from_osen({"env": "sandbox", "idtype": "", "shortcode": "600000"})
    assert plain.environment == "sandbox"
    assert plain.identifier_type is None
    assert rules.settings_from_osen({"idtype": "2"}).identifier_type == "till"
    assert rules.settings_from_osen({"env": "bogus"}).environment == "bogus"
    # the case, decoded from a real GET: fresh defaults in a shop whose profile is 600000
    f = GoLiveFacts(settings=s, environment="production", profile_short_code="600000", payment_type="paybill")
    bad = {x.id for x in rules.problems(check_go_live(f))}
    assert {"golive.short-code", "golive.sandbox-short-code", "golive.sandbox-credentials"} <= bad


def test_logical_values_keep_secrets_as_secrets() -> None:
    values = rules.logical_values(settings())
    assert values["environment"] == "production"
    assert values["identifier_type"] == "paybill"
    assert isinstance(values["consumer_secret"], Secret)
    assert set(values) <= set(rules.daraja_config()["golive"]["fields"])


def test_config_fingerprints_are_the_public_values() -> None:
    assert rules.is_public_sandbox_secret("consumer_key", Secret(PUBLIC_KEY))
    assert rules.is_public_sandbox_secret("consumer_secret", Secret(PUBLIC_SECRET))
    assert rules.is_public_sandbox_secret("passkey", Secret(PUBLIC_PASSKEY))
    assert not rules.is_public_sandbox_secret("passkey", Secret(OWN_PASSKEY))
    assert PUBLIC_KEY not in read_text("daraja.toml")
    assert PUBLIC_PASSKEY not in read_text("daraja.toml")


# canary --------------------------------------------------------------------------------------------------------


def test_canary_findings_never_show_a_secret() -> None:
    canaries = {
        "key": "KanariKey0001Kanari",
        "secret": "KanariSecret02",
        "passkey": "KanariPasskey03",
        "password": "Kanari#Pw04x",
    }
    s = settings(
        consumer_key=Secret(canaries["key"]),
        consumer_secret=Secret(canaries["secret"]),
        passkey=Secret(canaries["passkey"]),
        initiator_password=Secret(canaries["password"]),
        short_code="174379",
        environment="sandbox",
        identifier_type=None,
    )
    findings = check_go_live(facts(s, initiator_short_code="1", verified_environment="sandbox"))
    text = json.dumps([f.as_json() for f in findings]) + repr(findings) + repr(s)
    for value in canaries.values():
        assert value not in text
    assert rules.problems(findings)


def test_require_consistent_raises_exit_5_listing_every_problem() -> None:
    f = facts(settings(short_code="174379", store_number="174379"))
    with pytest.raises(rules.GoLiveInconsistencyError) as caught:
        rules.require_consistent(check_go_live(f))
    exc = caught.value
    assert exc.exit_status == 5
    assert {p.id for p in exc.findings} >= {"golive.short-code", "golive.sandbox-short-code"}
    assert "before writing anything" in exc.message
    assert exc.hint
    planned = check_go_live(dataclasses.replace(f, source="plan"))
    assert by_id(planned)["golive.short-code"].evidence.startswith("The planned business short code is 174379")
    assert rules.require_consistent(check_go_live(facts())) == check_go_live(facts())


def test_masked_plan_masks_every_secret() -> None:
    plan = rules.masked_plan(settings(store_number=None))
    assert plan["short_code"] == PROFILE
    assert plan["environment"] == "production"
    assert plan["store_number"] == "(not set)"
    for field in ("consumer_key", "consumer_secret", "passkey", "initiator_password"):
        assert plan[field] == "********"
    text = json.dumps(plan)
    for value in (OWN_KEY, OWN_SECRET, OWN_PASSKEY, "Api#Own2030x"):
        assert value not in text
