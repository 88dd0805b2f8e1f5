"""``status`` without a site: operator lines from the vault (password ages shared with ``rotate``), the profile's
short code, and the exit status it derives."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from agent.context import Context
from agent.errors import ExitStatus
from agent.secret import Secret
from agent.vault import CredentialRef, open_vault
from agent.workflows.status import collect_status, operator_status

pytestmark = pytest.mark.unit


def test_operator_lines_and_their_problems(agent_home: Path) -> None:
    vault = open_vault("memory")
    vault.set_current(CredentialRef("600123", "api-operator", "mamaapi"), Secret("Api#12345abc"))
    now = dt.datetime.now(dt.UTC)
    fresh = operator_status(vault, "600123", "api", "mamaapi", {}, 90, now=now)
    assert (fresh.in_vault, fresh.password_age_days, fresh.days_until_expiry, fresh.problems) == (True, 0, 90, [])
    soon = operator_status(vault, "600123", "api", "mamaapi", {}, 90, now=now + dt.timedelta(days=80))
    assert soon.problems == ["mamaapi's password expires in 10 days: run mpesa-agent rotate."]
    gone = operator_status(
        vault, "600123", "api", "mamaapi", {"mamaapi": "Locked"}, 90, now=now + dt.timedelta(days=91)
    )
    assert "has expired" in gone.problems[0]
    assert "was Locked" in gone.problems[1]
    missing = operator_status(vault, "600123", "web", "mamaweb", {}, 90, now=now)
    assert missing.problems == ["No password for mamaweb in the vault: run mpesa-agent setup."]


def test_status_uses_the_short_code_of_a_profile_whose_key_differs(agent_home: Path) -> None:
    vault = open_vault("memory")
    ctx = Context.build(vault=vault)
    ctx.config.set_profile("duka", {"short_code": "600123", "api_operator": {"username": "mamaapi"}})
    ctx.config.save()
    report = collect_status(ctx, "duka", check_sites=False)
    assert report.profile == "600123"
    assert report.exit_status == ExitStatus.VERIFY  # the password is not in the vault yet
    vault.set_current(CredentialRef("600123", "api-operator", "mamaapi"), Secret("Api#12345abc"))
    report = collect_status(ctx, "duka", check_sites=False)
    by_id = {c.id: c.status for c in report.checks}
    # The API operator is fine now; the web operator is unknown and no site is linked: attention, not "All good".
    assert by_id["operator.api"] == "unknown"  # no setup read it back from the portal
    assert (by_id["operator.web"], by_id["sites"]) == ("attention", "attention")
    assert report.exit_status == ExitStatus.VERIFY
