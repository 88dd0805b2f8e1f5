"""Login, captcha, OTP, first-login change, lock-out, session expiry, dormancy and password expiry, over HTTP."""

from __future__ import annotations

import pytest

from agent.sandbox.portal import ADMIN_MSISDN, ADMIN_PASSWORD
from agent.sandbox.portal.catalogue import Msg
from agent.sandbox.portal.state import PortalState
from tests.sandbox.portal_http import PortalBrowser, page_text

pytestmark = pytest.mark.unit


def test_root_redirects_to_the_login_page_which_has_the_real_fields(web: PortalBrowser) -> None:
    assert web.http.get("/").location.endswith("/orglogin.action")
    page = web.http.get("/orglogin.action")
    text = page_text(page)
    for label in ("Language", "Short Code", "User Name", "Password", "Forgot password?", "Verification Code", "Login"):
        assert label in text
    assert "M-PESA Organization Portal" in text
    assert "Copyright © Huawei Technologies Co., Ltd. 2019-2020. All rights reserved." in text
    assert page.headers["Set-Cookie"].startswith("JSESSIONID=")
    assert "__sim" not in page.get_data(as_text=True)


def test_admin_logs_in_with_captcha_and_otp_sent_to_the_notification_msisdn(web: PortalBrowser) -> None:
    response = web.submit_login()
    assert response.location.endswith("/otp.action")
    otp_page = page_text(web.http.get("/otp.action"))
    assert "OTP Verification" in otp_page
    assert "Enter the OTP sent to 2547****149." in otp_page
    assert "Resend OTP" in otp_page
    [sms] = web.sms(ADMIN_MSISDN, "LOGIN_OTP")
    assert sms["sender"] == "MPESA"
    assert sms["text"].startswith("Your M-PESA Org Portal one time password is ")
    response = web.submit_otp(web.latest_otp(ADMIN_MSISDN))
    assert response.location.endswith("/home.action")
    home = page_text(web.http.get("/home.action"))
    assert "sandboxadmin" in home
    assert "My Preference" in home
    assert "Search" in home
    assert "My Functions" in home
    assert "Browse Organization" in home
    assert "My Tasks" not in home  # the administrator's menu (§5.1)


def test_every_captcha_image_issues_a_new_code_and_a_code_is_good_for_one_attempt(web: PortalBrowser) -> None:
    web.http.get("/orglogin.action")
    assert web.http.get("/__sim/captcha", query_string={"session": web.session_id()}).status_code == 404
    web.captcha()
    first = web.sim("captcha", session=web.session_id())
    web.captcha()
    second = web.sim("captcha", session=web.session_id())
    assert second["seq"] > first["seq"]
    assert len(second["code"]) == 4
    assert second["code"].isdigit()
    assert web.sim("captcha")["seq"] == second["seq"]  # without a session: the latest issued code
    code = web.captcha()
    wrong = web.submit_login(password="Wrong#Pass1", code=code)
    assert Msg.CREDENTIALS in page_text(wrong)
    reused = web.http.post(
        "/orglogin.action",
        data={"shortcode": "600000", "username": "sandboxadmin", "password": ADMIN_PASSWORD, "verification_code": code},
    )
    assert Msg.CAPTCHA in page_text(reused)


def test_wrong_or_expired_captcha_is_refused_without_counting_a_password_failure(
    web: PortalBrowser, state: PortalState
) -> None:
    web.http.get("/orglogin.action")
    code = web.captcha()
    wrong = "0000" if code != "0000" else "1111"
    for _ in range(4):
        response = web.submit_login(code=wrong)
        assert Msg.CAPTCHA in page_text(response)
    assert web.operator("sandboxadmin")["failed_logins"] == 0
    web.http.get("/orglogin.action")
    code = web.captcha()
    state.advance_clock(301)
    assert Msg.CAPTCHA in page_text(web.submit_login(code=code))


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("shortcode", "", Msg.REQUIRED_SHORT_CODE),
        ("username", "", Msg.REQUIRED_USER),
        ("password", "", Msg.REQUIRED_PASSWORD),
        ("shortcode", "999999", Msg.SHORT_CODE),
        ("username", "nobody", Msg.CREDENTIALS),
        ("username", "SANDBOXADMIN", Msg.CREDENTIALS),  # user names are case-sensitive at login
    ],
)
def test_login_field_messages(web: PortalBrowser, field: str, value: str, message: str) -> None:
    values = {"shortcode": "600000", "username": "sandboxadmin", "password": ADMIN_PASSWORD} | {field: value}
    response = web.submit_login(values["username"], values["password"], shortcode=values["shortcode"])
    assert response.status_code == 200
    assert message in page_text(response)


def test_three_wrong_passwords_lock_the_operator_until_the_administrator_unlocks(state: PortalState) -> None:
    from agent.sandbox.portal.app import create_app

    app = create_app(state, mode="test")
    admin = PortalBrowser(app)
    clerk = PortalBrowser(app)
    admin.sim_post("seed", {"replace": False, "extras": ["manager"]})
    assert Msg.CREDENTIALS in page_text(clerk.submit_login("sandboxmgr", "Wrong#Pass1"))
    assert Msg.CREDENTIALS in page_text(clerk.submit_login("sandboxmgr", "Wrong#Pass2"))
    assert Msg.LOCKED in page_text(clerk.submit_login("sandboxmgr", "Wrong#Pass3"))
    assert clerk.operator("sandboxmgr")["status"] == "Locked"
    assert Msg.LOCKED in page_text(clerk.submit_login("sandboxmgr", "Manager#2030"))  # even the right password

    admin.login()
    target = admin.operator_id("sandboxmgr")
    detail = admin.http.get(f"/operator/detail.action?id={target}").get_data(as_text=True)
    assert 'data-dialog-open="unlock-dialog">Unlock' in detail  # enabled for the administrator
    response = admin.http.post("/operator/unlock.action", data={"id": target, "reason": "forgot"})
    assert response.status_code == 302
    assert "Operation succeeded." in page_text(admin.http.get(response.location))
    assert admin.operator("sandboxmgr")["status"] == "Active"
    assert clerk.login("sandboxmgr", "Manager#2030", "254708374150").location.endswith("/home.action")


def test_otp_tries_are_limited_then_the_login_starts_again(web: PortalBrowser) -> None:
    web.submit_login()
    good = web.latest_otp(ADMIN_MSISDN)
    bad = "000000" if good != "000000" else "111111"
    assert Msg.OTP in page_text(web.submit_otp(bad))
    assert Msg.OTP in page_text(web.submit_otp(bad))
    third = web.submit_otp(bad)
    assert third.location.endswith("/orglogin.action")
    assert Msg.OTP_TOO_MANY in page_text(web.http.get("/orglogin.action"))
    assert web.submit_otp(good).location.endswith("/orglogin.action")  # the OTP is gone with the attempt


def test_otp_expires_and_resend_otp_replaces_it(web: PortalBrowser, state: PortalState) -> None:
    web.submit_login()
    first = web.latest_otp(ADMIN_MSISDN)
    state.advance_clock(301)
    assert Msg.OTP in page_text(web.submit_otp(first))
    resent = web.http.post("/otp.action", data={"action": "resend"})
    assert Msg.OTP_RESENT in page_text(resent)
    second = web.latest_otp(ADMIN_MSISDN)
    assert len(web.sms(ADMIN_MSISDN, "LOGIN_OTP")) == 2
    if second != first:
        assert Msg.OTP in page_text(web.submit_otp(first))
    assert web.submit_otp(second).location.endswith("/home.action")


def test_an_api_operator_cannot_log_in_to_the_web_portal(web: PortalBrowser) -> None:
    web.sim_post("seed", {"replace": False, "extras": ["api_operator"]})
    assert Msg.NOT_WEB in page_text(web.submit_login("sandboxapi", "ApiInit#2030"))


@pytest.mark.parametrize(
    ("extra", "username", "password", "message"),
    [
        ("dormant_operator", "sleepyclerk", "Dormant#2030", Msg.DORMANT),
        ("suspended_operator", "suspclerk", "Suspend#2030", Msg.SUSPENDED),
        ("locked_operator", "lockedclerk", "Locked#2030", Msg.LOCKED),
    ],
)
def test_seeded_situations_refuse_the_login(
    web: PortalBrowser, extra: str, username: str, password: str, message: str
) -> None:
    web.sim_post("seed", {"replace": False, "extras": [extra]})
    assert message in page_text(web.submit_login(username, password))


def test_first_login_admin_must_change_password_and_set_two_questions(web: PortalBrowser) -> None:
    assert web.sim_post("seed", {"admin": {"first_login": True}}).status_code == 200
    assert web.login().location.endswith("/changePassword.action")
    page = page_text(web.http.get("/changePassword.action"))
    for label in ("Old password", "New password", "Confirm password", "Security Question 1", "Answer 1"):
        assert label in page
    assert Msg.PW_FIRST_LOGIN in page
    assert web.http.get("/home.action").location.endswith("/orglogin.action")  # not logged in yet
    done = web.change_password(ADMIN_PASSWORD, "Duka$Admin2031")
    assert "Password changed successfully" in page_text(done)
    assert "Return to login page" in page_text(done)
    assert web.http.post("/returnToLogin.action").location.endswith("/orglogin.action")
    assert web.operator("sandboxadmin")["security_questions_set"]
    assert Msg.CREDENTIALS in page_text(web.submit_login(password=ADMIN_PASSWORD))
    assert web.login(password="Duka$Admin2031").location.endswith("/home.action")


@pytest.mark.parametrize(
    ("new", "confirm", "questions", "field_message"),
    [
        (ADMIN_PASSWORD, None, None, Msg.PW_SAME),
        ("Duka$Admin2031", "Duka$Admin2032", None, Msg.PW_MISMATCH),
        ("duka$admin2031", None, None, Msg.PW_COMPLEXITY),
        ("Duka@Admin2031", None, None, Msg.PW_COMPLEXITY),  # @ does not count as special
        ("Duka.Admin#2031", None, None, Msg.PW_FORBIDDEN),
        ("Du#1a", None, None, Msg.PW_LENGTH),
        (
            "Duka$Admin2031",
            None,
            ("What is your favourite food?", "What is your favourite food?"),
            Msg.QUESTIONS_DISTINCT,
        ),
        ("Duka$Admin2031", None, ("", "What is your favourite food?"), Msg.QUESTION_REQUIRED),
    ],
)
def test_first_login_change_validation(
    web: PortalBrowser,
    new: str,
    confirm: str | None,
    questions: tuple[str, str] | None,
    field_message: str,
) -> None:
    web.sim_post("seed", {"admin": {"first_login": True}})
    web.login()
    response = web.change_password(
        ADMIN_PASSWORD, new, confirm, questions or ("What is your favourite food?", "In which town were you born?")
    )
    assert response.status_code == 200
    assert field_message in page_text(response)
    assert web.operator("sandboxadmin")["temporary_password"] is True


def test_wrong_old_password_and_missing_answer(web: PortalBrowser) -> None:
    web.sim_post("seed", {"admin": {"first_login": True}})
    web.login()
    response = web.change_password("Not#Right1", "Duka$Admin2031", answers=("", "Kisumu"))
    text = page_text(response)
    assert Msg.PW_OLD_WRONG in text
    assert Msg.ANSWER_REQUIRED in text


def test_idle_session_expires_on_the_sandbox_clock(web: PortalBrowser, state: PortalState) -> None:
    web.login()
    assert web.http.get("/home.action").status_code == 200
    state.advance_clock(16 * 60)
    response = web.http.get("/browseOrg/operators.action")
    assert response.location.endswith("/orglogin.action?expired=1")
    assert Msg.SESSION_EXPIRED in page_text(web.http.get(response.location))


def test_logout_asks_then_ends_the_session(web: PortalBrowser) -> None:
    web.login()
    assert "Are you sure you want to log out?" in page_text(web.http.get("/home.action"))
    assert "Are you sure you want to log out?" in page_text(web.http.get("/logout.action"))
    assert web.http.post("/logout.action").location.endswith("/orglogin.action")
    assert web.http.get("/home.action").location.endswith("/orglogin.action")


def test_web_operator_goes_dormant_after_90_days_without_login(web: PortalBrowser, state: PortalState) -> None:
    state.advance_clock(89 * 86400)
    assert web.operator("sandboxadmin")["status"] == "Active"
    state.advance_clock(2 * 86400)
    assert web.operator("sandboxadmin")["status"] == "Dormant"
    assert Msg.DORMANT in page_text(web.submit_login())


def test_a_login_keeps_the_operator_awake_and_an_old_password_must_be_changed(
    web: PortalBrowser, state: PortalState
) -> None:
    state.advance_clock(60 * 86400)
    web.login()
    web.logout()
    state.advance_clock(31 * 86400)
    assert web.operator("sandboxadmin")["status"] == "Active"
    assert web.operator("sandboxadmin")["password_expired"] is True
    assert web.login().location.endswith("/changePassword.action")
    page = page_text(web.http.get("/changePassword.action"))
    assert Msg.PW_EXPIRED in page
    assert "Security Question 1" not in page
    assert "Password changed successfully" in page_text(
        web.change_password(ADMIN_PASSWORD, "Fresh#Pass2031", None, None)
    )
    assert web.operator("sandboxadmin")["password_expired"] is False
    web.http.post("/returnToLogin.action")
    assert web.login(password="Fresh#Pass2031").location.endswith("/home.action")


def test_forgot_password_page(web: PortalBrowser) -> None:
    text = page_text(web.http.get("/forgotPassword.action"))
    assert "Forgot Password" in text
    assert "Business Administrator" in text


def test_my_preference_change_password_keeps_the_operator_logged_in(web: PortalBrowser) -> None:
    web.login()
    page = page_text(web.http.get("/myPreference.action"))
    assert "Change Password" in page
    assert "Old password" in page
    for new, confirm, old, message in [
        ("Fresh#Pass2031", "Fresh#Pass2031", "Wrong#Old1", Msg.PW_OLD_WRONG),
        ("Fresh@Pass2031", "Fresh@Pass2031", ADMIN_PASSWORD, Msg.PW_COMPLEXITY),
        ("Fresh#Pass2031", "Fresh#Pass2032", ADMIN_PASSWORD, Msg.PW_MISMATCH),
        (ADMIN_PASSWORD, ADMIN_PASSWORD, ADMIN_PASSWORD, Msg.PW_SAME),
    ]:
        refused = web.http.post(
            "/myPreference/changePassword.action",
            data={"old_password": old, "new_password": new, "confirm_password": confirm},
        )
        assert message in page_text(refused)
        assert 'id="change-password-dialog">' in refused.get_data(as_text=True)  # the dialog stays open
    done = web.http.post(
        "/myPreference/changePassword.action",
        data={"old_password": ADMIN_PASSWORD, "new_password": "Fresh#Pass2031", "confirm_password": "Fresh#Pass2031"},
    )
    assert "Password changed successfully" in page_text(web.http.get(done.location))
    assert web.http.get("/home.action").status_code == 200
    web.logout()
    assert Msg.CREDENTIALS in page_text(web.submit_login(password=ADMIN_PASSWORD))
    assert web.login(password="Fresh#Pass2031").location.endswith("/home.action")
