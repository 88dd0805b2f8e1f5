"""Fault tests: the portal fails after committing, the site is down or rejects the push, the site stores something
else (read-back), the portal lacks a function. Each ends in a documented state with a clear message, the shop
working where the portal still accepts its credential, and ``--resume`` (or ``--abandon`` / ``rollback``) going on.
"""

from __future__ import annotations

import pytest

from agent import settings
from agent.context import Context
from agent.vault import Vault
from agent.workflows import rotation
from tests.rotation.harness import (
    API,
    START_API_PASSWORD,
    START_WEB_PASSWORD,
    WEB,
    Start,
    World,
    check_end_state,
    check_never_lost,
    portal_operator,
    run_agent,
    statuses,
)

pytestmark = [pytest.mark.e2e, pytest.mark.browser, pytest.mark.keyring]


def _sets(world: World, start: Start, username: str) -> list[str]:
    return [p for u, p in world.spy.for_org(start.short_code) if u == username]


def test_an_error_page_after_set_password_then_a_site_that_stores_another_value(
    world: World, start: Start, vault: Vault
) -> None:
    """The portal commits Set Password but answers with an error page: the same password is set again. Then the
    site changes the password on save: exit 5 with the state said; --resume pushes again once the site is fixed."""
    world.sandbox.portal.control.fault("error_after_commit", path="/operator/setPassword", times=1)
    world.shop_fault("alter_on_save", key="password")
    status, answer, stderr = run_agent("--operator", "api")
    assert status == 5, f"{answer}\n{stderr[-3000:]}"
    sets = _sets(world, start, API)
    assert len(sets) == 2, "the same password is set once more after the lost answer"
    assert sets[0] == sets[1]
    assert "setting the same password again" in stderr
    assert answer["error"] == "VerificationError"
    assert "set on the portal and is the current one in the vault" in answer["message"]
    assert "could not be updated" in answer["message"]
    assert vault.get(start.ref(API)).reveal() == sets[0]
    check_never_lost(world, start, vault)
    world.shop_fault("clear")
    status, answer, stderr = run_agent("--resume")
    assert status == 0, f"{answer}\n{stderr[-3000:]}"
    check_end_state(world, start, vault, in_use=API, expected={WEB: "Active", API: "Active"})


def test_a_site_that_cannot_be_read_stops_the_rotation_before_the_portal(
    world: World, start: Start, vault: Vault
) -> None:
    world.shop_fault("waf_challenge")
    status, answer, _ = run_agent("--operator", "api")
    assert status == 7, answer
    assert "nothing was changed" in answer["message"]
    assert _sets(world, start, API) == []
    assert vault.get(start.ref(API)).reveal() == START_API_PASSWORD
    assert vault.get(start.ref(API), "pending") is None
    assert not start.journal.exists()
    world.shop_fault("clear")
    assert world.plugin() == (API, START_API_PASSWORD)


def test_a_push_rejected_after_set_password_is_finished_by_resume(world: World, start: Start, vault: Vault) -> None:
    def block_the_site(username: str) -> None:
        world.shop_fault("waf_challenge")

    world.spy.after_set.append(block_the_site)
    try:
        status, answer, _ = run_agent("--operator", "api")
    finally:
        world.spy.after_set.remove(block_the_site)
    assert status == 7, answer
    assert "set on the portal and is the current one in the vault" in answer["message"]
    assert "--resume" in answer["hint"]
    # Documented state: the portal and the vault have the new password; the plugin still the old one.
    new = vault.get(start.ref(API)).reveal()
    assert new != START_API_PASSWORD
    assert vault.get(start.ref(API), "previous").reveal() == START_API_PASSWORD
    world.shop_fault("clear")
    assert world.plugin() == (API, START_API_PASSWORD)
    check_never_lost(world, start, vault)
    # A new rotation is refused, and so is abandoning (the old password no longer works on the portal).
    status, answer, _ = run_agent("--operator", "api")
    assert status == 8
    assert answer["error"] == "ConflictError"
    assert "--resume" in answer["hint"]
    assert "--abandon" in answer["hint"]
    status, answer, _ = run_agent("--abandon")
    assert status == 8
    assert "--resume" in answer["hint"]
    status, answer, stderr = run_agent("--resume")
    assert status == 0, f"{answer}\n{stderr[-3000:]}"
    check_end_state(world, start, vault, in_use=API, expected={WEB: "Active", API: "Active"})


def test_alternating_keeps_the_old_operator_working_when_the_switch_fails(
    world: World, start: Start, vault: Vault
) -> None:
    """Error pages after the create and the close are reconciled with the grid; a site that rejects the switch
    leaves the shop on the old operator (which still works), and --resume finishes."""
    new = API + "2"
    control = world.sandbox.portal.control
    control.fault("error_after_commit", path="/operator/create", times=1)

    def block_the_site(username: str) -> None:
        if username == new:
            world.shop_fault("waf_challenge")

    world.spy.after_set.append(block_the_site)
    try:
        status, answer, stderr = run_agent("--strategy", "alternating")
    finally:
        world.spy.after_set.remove(block_the_site)
    assert status == 7, f"{answer}\n{stderr[-3000:]}"
    assert f"{new} is ready" in answer["message"]
    assert f"the shop still uses {API}" in answer["message"]
    world.shop_fault("clear")
    # A working shop: the plugin holds the old operator, which is Active on the portal with that password.
    assert world.plugin() == (API, START_API_PASSWORD)
    assert statuses(world, start) == {"sandboxadmin": "Active", WEB: "Active", API: "Active", new: "Active"}
    assert settings.load_config().profiles[start.short_code]["api_operator"]["username"] == API
    check_never_lost(world, start, vault)
    control.fault("error_after_commit", path="/operator/changeStatus", times=1)
    status, answer, stderr = run_agent("--resume")
    assert status == 0, f"{answer}\n{stderr[-3000:]}"
    check_end_state(world, start, vault, in_use=new, expected={WEB: "Active", API: "Closed", new: "Active"})
    with world.state.lock:
        old_roles = portal_operator(world, start, API).role_names
        new_roles = portal_operator(world, start, new).role_names
    assert sorted(new_roles) == sorted(old_roles), "the new operator has the old one's roles"


def test_alternating_read_back_mismatch_then_rollback_goes_back_to_the_old_operator(
    world: World, start: Start, vault: Vault
) -> None:
    new = API + "2"

    def garble_saves(username: str) -> None:
        if username == new:
            world.shop_fault("alter_on_save", key="password")

    world.spy.after_set.append(garble_saves)
    try:
        status, answer, _ = run_agent("--strategy", "alternating")
    finally:
        world.spy.after_set.remove(garble_saves)
    assert status == 5, answer
    # The site garbles every save, so even the restore could not put the old password back: said so.
    assert "could not be put back" in answer["message"]
    world.shop_fault("clear")
    assert settings.load_config().profiles[start.short_code]["api_operator"]["username"] == API
    # rollback restores the snapshot taken before the switch (the old operator still works) and ends the rotation.
    result = rotation.rollback(Context.build(vault=vault), start.short_code)
    assert result.ok, result.as_dict()
    assert result.rotation_ended
    assert world.plugin() == (API, START_API_PASSWORD)
    assert statuses(world, start) == {"sandboxadmin": "Active", WEB: "Active", API: "Active", new: "Active"}
    assert not start.journal.exists()
    check_never_lost(world, start, vault)


def test_web_rotation_where_the_portal_offers_no_change_changes_nothing(
    world: World, start: Start, vault: Vault
) -> None:
    # A portal without Change Password in My Preference (the sandbox's button and dialog renamed away).
    world.sandbox.portal.control.fault("rename_label", old="Change Password", new="Password Settings")
    status, answer, _ = run_agent("--operator", "web")
    assert status == 6, answer
    assert "My Preference" in answer["message"]
    assert "the rotation was ended" in answer["message"]
    assert vault.get(start.ref(WEB)).reveal() == START_WEB_PASSWORD
    assert vault.get(start.ref(WEB), "pending") is None
    assert not start.journal.exists(), "nothing reached the portal: the rotation is not left in flight"
    assert _sets(world, start, WEB) == []


def test_web_change_whose_answer_is_lost_is_checked_by_logging_in(world: World, start: Start, vault: Vault) -> None:
    control = world.sandbox.portal.control
    control.settings(password_max_age_days=1)
    control.advance_clock(days=2)
    control.fault("error_after_commit", path="/changePassword", times=1)
    status, answer, stderr = run_agent("--operator", "web")
    assert status == 0, f"{answer}\n{stderr[-3000:]}"
    assert "Checking with a login with the new password" in stderr
    assert len(_sets(world, start, WEB)) == 1
    check_end_state(world, start, vault, in_use=API, expected={WEB: "Active", API: "Active"})


def test_conflict_abandon_and_if_older_than(world: World, start: Start, vault: Vault) -> None:
    status, _answer, _ = run_agent("--operator", "api", crash_at="rotate:staged")
    assert status == -9
    status, answer, _ = run_agent("--if-older-than", "60d")
    assert status == 8, answer
    assert "done: stage" in answer["message"]
    status, answer, _ = run_agent("--abandon")
    assert status == 0, answer
    assert answer["action"] == "abandoned"
    assert vault.get(start.ref(API), "pending") is None
    assert not start.journal.exists()
    assert portal_operator(world, start, API) is not None
    assert _sets(world, start, API) == []
    status, answer, _ = run_agent("--if-older-than", "60d")
    assert status == 0, answer
    assert answer["action"] == "skipped"
    assert "0 days old" in answer["message"]


def test_site_credentials_are_delegated(world: World, start: Start, vault: Vault) -> None:
    from agent.workflows import sites

    before = vault.get(sites.app_password_ref(world.sandbox.shop_url))
    status, answer, stderr = run_agent("--site-credentials")
    assert status == 0, f"{answer}\n{stderr[-3000:]}"
    assert answer["action"] == "site-credentials"
    assert answer["site_rotations"][0]["ok"]
    after = vault.get(sites.app_password_ref(world.sandbox.shop_url))
    assert after is not None
    assert before is not None
    assert after.reveal() != before.reveal()
    assert all(s.ok for s in sites.list_sites(Context.build(vault=vault)))
