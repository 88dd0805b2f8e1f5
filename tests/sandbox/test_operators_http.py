"""The Create Organization Operator wizard, the operator list, Organization Operator Info and its actions."""

from __future__ import annotations

import re

import pytest

from agent.sandbox.portal.catalogue import Msg
from agent.sandbox.portal.passwords import password_problem
from agent.sandbox.portal.state import PortalState
from tests.sandbox.portal_http import CREDENTIALS_RE, OTP_RE, PortalBrowser, page_text

pytestmark = pytest.mark.unit

API_ROLES = ["ORG B2C API initiator", "Transaction Status query ORG API", "Balance Query ORG API"]
MANAGER_ROLES = ["Business Manager", "Set Restricted ORG API PASSWORD"]


@pytest.fixture
def admin(web: PortalBrowser) -> PortalBrowser:
    web.login()
    return web


def _identity(admin: PortalBrowser, **data: object) -> str:
    admin.http.get("/operator/create.action")
    response = admin.wizard_step("identity", **({"language": "English (Kenya)", "action": "next"} | data))
    return page_text(response) if response.status_code == 200 else "→ " + response.location


def test_creating_an_api_operator_leaves_it_pending_active_without_any_sms(admin: PortalBrowser) -> None:
    before = admin.sim("sms")["messages"]
    response = admin.create_operator(channels=["API"], username="dukaapi", roles=API_ROLES)
    assert "Operation succeeded." in page_text(response)
    op = admin.operator("dukaapi")
    assert op["status"] == "Pending Active"
    assert op["suspended"] is False
    assert op["channels"] == ["API"]
    assert op["roles"] == API_ROLES
    assert op["rule_profile"] == "Web Operator Rule Profile"
    assert re.fullmatch(r"2030\d{14}", op["identity_id"])
    assert op["has_password"] is False
    assert admin.sim("sms")["messages"] == before


def test_creating_a_web_operator_texts_its_user_name_and_a_valid_temporary_password(admin: PortalBrowser) -> None:
    admin.create_operator(channels=["Web"], username="dukamgr", roles=MANAGER_ROLES, msisdn="254712345678")
    [sms] = admin.sms("254712345678", "WEB_OPERATOR_CREATED")
    assert sms["text"].startswith("Dear Ann, your M-PESA Organization Portal account has been created.")
    found = CREDENTIALS_RE.search(sms["text"])
    assert found
    assert found.group(1) == "dukamgr"
    assert password_problem(found.group(2)) is None
    assert OTP_RE.search(sms["text"]) is None  # an OTP reader cannot mistake it for an OTP
    op = admin.operator("dukamgr")
    assert op["status"] == "Pending Active"
    assert op["temporary_password"] is True

    # first login with the texted credentials activates it
    user = PortalBrowser(admin.app)
    assert user.login("dukamgr", found.group(2), "254712345678").location.endswith("/changePassword.action")
    assert admin.operator("dukamgr")["status"] == "Pending Active"
    assert "Password changed successfully" in page_text(user.change_password(found.group(2), "Duka#Mgr2030"))
    assert admin.operator("dukamgr")["status"] == "Active"


def test_web_operator_notified_by_email_gets_the_credentials_by_email(admin: PortalBrowser) -> None:
    admin.create_operator(
        channels=["Web"],
        username="mailclerk",
        roles=["Business Web Operator"],
        msisdn="",
        notification_channel="Email",
        email="clerk@duka.test",
    )
    [mail] = admin.sim("email", address="clerk@duka.test")["messages"]
    assert mail["kind"] == "WEB_OPERATOR_CREATED"
    assert "Username: mailclerk Password: " in mail["text"]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"username": "abc"}, Msg.CHANNEL),
        ({"channel": ["API"], "username": ""}, Msg.REQUIRED_USER),
        ({"channel": ["API"], "username": "a" * 16}, Msg.USER_TOO_LONG),
        ({"channel": ["API"], "username": "bad name!"}, Msg.USER_CHARS),
        ({"channel": ["Web"], "username": "SandboxAdmin"}, Msg.USER_EXISTS),  # case-insensitive uniqueness
    ],
)
def test_identity_info_validation(admin: PortalBrowser, data: dict[str, object], message: str) -> None:
    assert message in _identity(admin, **data)


def test_identity_info_page_has_the_real_labels_and_the_org_hint(admin: PortalBrowser) -> None:
    admin.http.get("/operator/create.action")
    page = admin.http.get("/operator/create.action?step=identity")
    text = page_text(page)
    for label in ("Identity Info", "Assign", "KYC Info", "Review", "Organization Short Code", "Language", "Web", "API"):
        assert label in text
    assert "Organization Name: Sandbox Duka Ltd" in text
    assert "Trust Level: Top Organization Level 2" in text
    assert "English (Kenya)" in text
    html = page.get_data(as_text=True)
    assert re.search(r"<div class=\"form-row[^\"]*\" data-needs-channel hidden>", html), "User Name waits for a channel"
    assert _identity(admin, channel=["API"], username="okname_1.x") == "→ /operator/create.action?step=assign"


def test_duplicate_user_name_is_reported_after_next(admin: PortalBrowser) -> None:
    admin.create_operator(channels=["API"], username="dukaapi", roles=API_ROLES)
    text = _identity(admin, channel=["API"], username="DukaApi")
    assert text.count(Msg.USER_EXISTS) >= 1
    assert "Identity Info" in text


def test_assign_step_select_role_dialog_dates_and_validation(admin: PortalBrowser, state: PortalState) -> None:
    _identity(admin, channel=["API"], username="dukaapi")
    response = admin.wizard_step("assign", rule_profile="", action="next")
    text = page_text(response)
    assert Msg.RULE_PROFILE in text
    assert Msg.ROLES in text
    assert "Default Primary Assistant Rules" in text
    assert "Web Operator Rule Profile" in text

    dialog = page_text(admin.wizard_step("assign", rule_profile="Web Operator Rule Profile", action="open_roles"))
    assert "Select Role" in dialog
    assert "B2C API Initiator/Caller" in dialog
    assert "Business Manager" not in dialog  # filtered by the API channel
    everything = page_text(
        admin.wizard_step("assign", rule_profile="Web Operator Rule Profile", action="show_all_roles", all_channels="1")
    )
    assert "Business Manager" in everything
    assert "Business Administrator" not in everything  # given by Safaricom only

    grid = page_text(
        admin.wizard_step(
            "assign",
            rule_profile="Web Operator Rule Profile",
            action="add_roles",
            role=[*API_ROLES, "Business Manager"],
        )
    )
    today = state.clock.today().strftime("%d/%m/%Y")
    html = admin.http.get("/operator/create.action?step=assign").get_data(as_text=True)
    assert f'value="{today}"' in html
    assert 'value="31/12/2099"' in html
    assert 'Warning: The role "Business Manager" is for the Web access channel.' in grid
    admin.wizard_step("assign", rule_profile="Web Operator Rule Profile", action="remove_role:Business Manager")
    bad_dates = admin.wizard_step(
        "assign",
        rule_profile="Web Operator Rule Profile",
        action="next",
        **{"roles.0.effective": "01/01/2030", "roles.0.expiration": "01/01/2029", "roles.1.effective": "32/01/2030"},
    )
    text = page_text(bad_dates)
    assert Msg.ROLE_DATES in text
    assert Msg.INVALID_DATE in text
    assert "Warning" not in text
    ok = admin.wizard_step(
        "assign",
        rule_profile="Web Operator Rule Profile",
        action="next",
        **{"roles.0.expiration": "31/12/2099", "roles.1.effective": today},
    )
    assert ok.status_code == 302
    assert ok.location.endswith("step=kyc")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"first_name": ""}, Msg.FIRST_NAME),
        ({"notification_msisdn": "0712345678"}, Msg.MSISDN),
        ({"notification_msisdn": "254812345678"}, Msg.MSISDN),
        ({"email": "not-an-email"}, Msg.EMAIL),
        ({"ids.0.number": ""}, Msg.ID_NUMBER),
        ({"ids.0.number": "12AB"}, Msg.ID_NUMBER_FORMAT),
        ({"date_of_birth": "31/02/1990"}, Msg.INVALID_DATE),
        (
            {"notification_channel": "Email", "notification_msisdn": "", "notification_email": ""},
            Msg.NOTIFICATION_EMAIL,
        ),
    ],
)
def test_kyc_validation(admin: PortalBrowser, data: dict[str, str], message: str) -> None:
    _identity(admin, channel=["Web"], username="kycclerk")
    admin.wizard_step(
        "assign", rule_profile="Web Operator Rule Profile", action="add_roles", role=["Business Operator"]
    )
    assert admin.wizard_step("assign", rule_profile="Web Operator Rule Profile", action="next").status_code == 302
    base = {
        "first_name": "Ann",
        "ids.0.id_type": "National ID",
        "ids.0.number": "23456789",
        "notification_channel": "SMS",
        "notification_msisdn": "254712000001",
        "action": "next",
    }
    response = admin.wizard_step("kyc", **(base | data))
    assert response.status_code == 200
    assert message in page_text(response)


def test_kyc_id_rows_review_previous_and_cancel(admin: PortalBrowser) -> None:
    _identity(admin, channel=["Web"], username="rowsclerk")
    admin.wizard_step(
        "assign", rule_profile="Web Operator Rule Profile", action="add_roles", role=["Business Operator"]
    )
    admin.wizard_step("assign", rule_profile="Web Operator Rule Profile", action="next")
    assert admin.http.get("/operator/create.action?step=review").location.endswith("step=kyc")  # kyc not valid yet
    admin.wizard_step("kyc", **{"ids.0.number": "23456789", "action": "add_id_row"})
    html = admin.http.get("/operator/create.action?step=kyc").get_data(as_text=True)
    assert 'for="idNumber1">ID Number 2<' in html
    response = admin.wizard_step(
        "kyc",
        first_name="Ann",
        notification_channel="SMS",
        notification_msisdn="254712000001",
        action="next",
        **{"ids.0.number": "23456789", "ids.1.id_type": "Passport", "ids.1.number": "AB123456"},
    )
    assert response.location.endswith("step=review")
    review = page_text(admin.http.get("/operator/create.action?step=review"))
    for value in (
        "rowsclerk",
        "Business Operator",
        "Ann",
        "AB123456",
        "254712000001",
        "Are you sure you want to submit?",
    ):
        assert value in review
    assert admin.wizard_step("review", action="previous").location.endswith("step=kyc")
    cancelled = admin.wizard_step("kyc", action="cancel")
    assert "cancelled" in page_text(cancelled)
    assert 'data-close-tab="create-operator"' in cancelled.get_data(as_text=True)
    assert admin.http.get("/operator/create.action?step=review").location.endswith("step=identity")


def test_non_administrators_see_a_greyed_add_and_cannot_create(web: PortalBrowser) -> None:
    web.sim_post("seed", {"replace": False, "extras": ["manager"]})
    web.login("sandboxmgr", "Manager#2030", "254708374150")
    html = web.http.get("/operatorManagement.action").get_data(as_text=True)
    assert re.search(r'<button type="button" class="btn btn-add"[^>]*disabled>', html)
    assert Msg.NO_PERMISSION in page_text(web.http.get("/operator/create.action?step=identity"))
    home = page_text(web.http.get("/home.action"))
    for menu in ("My Tasks", "Transaction", "Account View", "Search", "My Functions", "Browse Organization", "Reports"):
        assert menu in home
    for item in ("Operator Management", "Bulk", "O2C Link", "Initiate Transaction", "Operations"):
        assert item in home


def _search(admin: PortalBrowser, path: str = "/browseOrg/operators.action", **criteria: str) -> str:
    return page_text(admin.http.get(path, query_string={"search": "1"} | criteria))


def test_operator_search_wildcards_filters_paging_and_empty_state(admin: PortalBrowser) -> None:
    admin.sim_post(
        "seed", {"replace": False, "extras": ["manager", "api_operator", "locked_operator", "closed_operator"]}
    )
    before = admin.http.get("/browseOrg/operators.action")
    assert "Search for Organization Operator" in page_text(before)
    assert "Total records: 0" in page_text(before)
    assert 'value="0"' in before.get_data(as_text=True)
    assert "/0" in page_text(before)
    assert "No records found." not in page_text(before)  # nothing searched yet
    everything = _search(admin)
    assert "Total records: 5" in everything
    for header in (
        "ID",
        "Organization Short Code",
        "Organization Name",
        "Operator ID",
        "User Name",
        "First Name",
        "Middle Name",
        "Last Name",
        "Date of Birth",
        "Role",
        "Status",
        "Suspended",
        "Operation",
    ):
        assert f"| {header} |" in f"| {everything} |" or f"| {header}" in everything
    assert "Total records: 3" in _search(admin, username="sandbox%")
    assert "Total records: 1" in _search(admin, username="sandbox%r")
    assert "Total records: 1" in _search(admin, username="%MGR")  # case-insensitive
    assert "Total records: 0" in _search(admin, username="sandbox")  # no % = exact
    assert "No records found." in _search(admin, username="nobody")
    assert "Total records: 1" in _search(admin, status="Locked")
    assert "Total records: 1" in _search(admin, status="Closed")
    assert "Total records: 1" in _search(admin, role="Balance Query ORG API")
    assert "Total records: 2" in _search(admin, role="ORG B2C API initiator")
    assert "Total records: 1" in _search(admin, msisdn="254708374150")
    page_one = admin.http.get(
        "/operatorManagement.action", query_string={"search": "1", "size": "10", "sort_by": "User Name"}
    ).get_data(as_text=True)
    assert page_one.index(">lockedclerk<") < page_one.index(">sandboxadmin<")
    admin.sim_post(
        "seed",
        {
            "replace": False,
            "operators": [{"username": f"clerk{i:02d}", "roles": ["Business Web Operator"]} for i in range(8)],
        },
    )
    first = _search(admin, "/operatorManagement.action", size="10")
    assert "Total records: 13" in first
    assert "/2" in first
    second = _search(admin, "/operatorManagement.action", size="10", page="2", sort_by="User Name")
    assert "sandboxmgr" in second
    assert "clerk00" not in second


def test_detail_page_shows_basic_info_and_greys_set_password_for_the_administrator(admin: PortalBrowser) -> None:
    admin.create_operator(channels=["API"], username="dukaapi", roles=API_ROLES)
    op_id = admin.operator_id("dukaapi")
    page = admin.http.get(f"/operator/detail.action?id={op_id}")
    text = page_text(page)
    assert "Organization Operator Info" in text
    assert "Sandbox Duka Ltd\\dukaapi(Pending Active)" in text
    for label in (
        "ID",
        "Identity Status",
        "Organization Short Code",
        "User Name",
        "Access Channel",
        "Language",
        "Rule Profile",
        "Registration Time",
        "Registration Channel",
    ):
        assert label in text
    assert re.search(r"\d{2}/\d{2}/\d{4} \d{2}:\d{2}:\d{2}", text)
    html = page.get_data(as_text=True)
    assert re.search(r'data-dialog-open="set-password-dialog" disabled>Set Password<', html)
    refused = admin.http.post(
        "/operator/setPassword.action",
        data={"id": op_id, "password": "Init#Duka2030", "confirm_password": "Init#Duka2030"},
    )
    assert Msg.NO_PERMISSION in page_text(refused)
    assert admin.operator("dukaapi")["status"] == "Pending Active"


def test_the_manager_sets_the_api_password_and_the_operator_becomes_active(admin: PortalBrowser) -> None:
    admin.create_operator(channels=["API"], username="dukaapi", roles=API_ROLES)
    admin.sim_post("seed", {"replace": False, "extras": ["manager"]})
    op_id = admin.operator_id("dukaapi")
    manager = PortalBrowser(admin.app)
    manager.login("sandboxmgr", "Manager#2030", "254708374150")
    html = manager.http.get(f"/operator/detail.action?id={op_id}").get_data(as_text=True)
    assert 'data-dialog-open="set-password-dialog">Set Password<' in html  # enabled
    for password, confirm, message in [
        ("Init@Duka2030", "Init@Duka2030", Msg.PW_COMPLEXITY),
        ("Init(Duka)2030", "Init(Duka)2030", Msg.PW_FORBIDDEN),
        ("Init#Duka2030", "Init#Duka2031", Msg.PW_MISMATCH),
        ("", "", Msg.REQUIRED_PASSWORD),
    ]:
        response = manager.http.post(
            "/operator/setPassword.action", data={"id": op_id, "password": password, "confirm_password": confirm}
        )
        assert message in page_text(response)
        assert re.search(r'id="set-password-dialog">', response.get_data(as_text=True)), "the dialog stays open"
    response = manager.http.post(
        "/operator/setPassword.action",
        data={"id": op_id, "password": "Init#Duka2030", "confirm_password": "Init#Duka2030"},
    )
    assert response.status_code == 302
    done = page_text(manager.http.get(response.location))
    assert "Operation succeeded." in done
    assert "Sandbox Duka Ltd\\dukaapi(Active)" in done
    op = admin.operator("dukaapi")
    assert op["status"] == "Active"
    assert op["has_password"]
    assert op["password_expired"] is False
    assert manager.sim("sms", kind="PASSWORD_RESET")["messages"] == []  # never texted

    # Set Password is for API operators only
    web_id = admin.operator_id("sandboxadmin")
    html = manager.http.get(f"/operator/detail.action?id={web_id}").get_data(as_text=True)
    assert 'data-dialog-open="set-password-dialog" disabled>' in html
    refused = manager.http.post(
        "/operator/setPassword.action",
        data={"id": web_id, "password": "Init#Duka2030", "confirm_password": "Init#Duka2030"},
    )
    assert Msg.SET_PASSWORD_API_ONLY in page_text(refused)


def test_api_password_expires_after_90_days(admin: PortalBrowser, state: PortalState) -> None:
    admin.sim_post("seed", {"replace": False, "extras": ["api_operator"]})
    state.advance_clock(91 * 86400)
    op = admin.operator("sandboxapi")
    assert op["password_expired"] is True
    assert op["status"] == "Active"


def test_reset_password_texts_a_new_temporary_password_and_forces_a_change(admin: PortalBrowser) -> None:
    admin.sim_post("seed", {"replace": False, "extras": ["locked_operator"]})
    op_id = admin.operator_id("lockedclerk")
    response = admin.http.post("/operator/resetPassword.action", data={"id": op_id, "reason": "forgot"})
    assert response.status_code == 302
    username, temporary = admin.credentials("254708374153", "PASSWORD_RESET")
    assert username == "lockedclerk"
    assert password_problem(temporary) is None
    assert admin.operator("lockedclerk")["status"] == "Active"
    clerk = PortalBrowser(admin.app)
    assert clerk.login("lockedclerk", temporary, "254708374153").location.endswith("/changePassword.action")


def test_change_status_suspend_resume_close_and_reactivate_dormant(admin: PortalBrowser, state: PortalState) -> None:
    admin.sim_post("seed", {"replace": False, "extras": ["manager", "dormant_operator"]})
    mgr = admin.operator_id("sandboxmgr")

    def change(op_id: str, status: str, reason: str = "test") -> str:
        response = admin.http.post(
            "/operator/changeStatus.action", data={"id": op_id, "status": status, "reason": reason}
        )
        return "→" if response.status_code == 302 else page_text(response)

    assert Msg.REASON in change(mgr, "Suspended", reason=" ")
    assert change(mgr, "Suspended") == "→"
    assert admin.operator("sandboxmgr")["status"] == "Suspended"
    assert "| Yes |" in _search(admin, username="sandboxmgr")
    assert change(mgr, "Active") == "→"
    assert admin.operator("sandboxmgr")["status"] == "Active"
    assert change(admin.operator_id("sleepyclerk"), "Active") == "→"
    assert admin.operator("sleepyclerk")["status"] == "Active"
    assert change(mgr, "Closed") == "→"
    assert admin.operator("sandboxmgr")["status"] == "Closed"
    assert Msg.NO_PERMISSION in change(mgr, "Active")  # closed is terminal
    assert Msg.NO_PERMISSION in change(admin.operator_id("sandboxadmin"), "Suspended")  # not on oneself


def test_send_sms_and_create_task(admin: PortalBrowser) -> None:
    admin.sim_post("seed", {"replace": False, "extras": ["manager"]})
    op_id = admin.operator_id("sandboxmgr")
    assert Msg.SMS_TEXT in page_text(admin.http.post("/operator/sendSms.action", data={"id": op_id, "message": ""}))
    assert admin.http.post("/operator/sendSms.action", data={"id": op_id, "message": "Karibu"}).status_code == 302
    assert admin.sms("254708374150", "OPERATOR_MESSAGE")[-1]["text"] == "Karibu"
    assert "No task can be created" in page_text(admin.http.get(f"/operator/detail.action?id={op_id}"))


def test_not_logged_in_pages_redirect_to_the_login_page(web: PortalBrowser) -> None:
    for path in (
        "/home.action",
        "/browseOrg/operators.action",
        "/operatorManagement.action",
        "/operator/create.action",
    ):
        assert web.http.get(path).location.endswith("/orglogin.action"), path
    assert web.http.post("/operator/setPassword.action", data={"id": "x"}).location.endswith("/orglogin.action")
