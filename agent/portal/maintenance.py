"""Portal flows for credential rotation, composed on top of ``agent.portal.flows.Portal`` (which is not changed):

* ``login_verdict``: a login that tells "the portal refused this password" apart from every other failure, so a
  resumed rotation can try the pending password and fall back to the current one (at most one refused attempt,
  which the next good login resets);
* ``change_expired_password``: the change the portal forces at login when a password has expired (the first-login
  screen without security questions);
* ``change_own_password``: the logged-in operator changes its own password under My Preference;
* ``open_operator_info`` and ``change_operator_status`` / ``close_operator``: Organization Operator Info →
  Identity Status → Change Status (the Business Administrator closes a replaced API operator).

Page objects here locate elements only through the page map (``config/portal.toml``: ``[classic.my_preference]``,
``[classic.expired_password]``, ``[classic.operator_status]``, and the existing ``[classic.first_login]``). Like
``flows``, a missing screen or element is portal drift (exit 6); an answer the portal gives is a ``PortalError``
with its reason. A submit whose answer is lost raises ``PortalError`` too: the caller reconciles with the grid.
"""

from __future__ import annotations

import logging
import re

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Locator
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from agent.errors import AuthError, PortalChangedError, PortalError
from agent.portal.flows import LoginResult, Portal, _wait_any
from agent.portal.screens import (
    FirstLoginScreen,
    LoginScreen,
    OperatorInfoScreen,
    OperatorsScreen,
    Screen,
    ShellScreen,
)
from agent.secret import Secret

log = logging.getLogger(__name__)

CLOSED = "Closed"


class NotOfferedError(PortalChangedError):
    """The portal does not offer a function the rotation needs (e.g. no Change Password under My Preference).
    Exit 6, like drift: the page is not what the page map expects. Nothing was submitted."""


class LostAnswerError(PortalError):
    """A change was submitted but no answer (success or refusal) came back: it may or may not have been made."""


# ---------------------------------------------------------------------------------------------------------------
# page objects


class MyPreferenceScreen(Screen):
    """My Preference (a tab of the classic shell) and its Change Password dialog."""

    section = "my_preference"
    in_work_area = True


class ExpiredPasswordScreen(FirstLoginScreen):
    """The forced change at login after a password expired: the first-login screen's fields, no questions."""

    def extra_text_re(self, key: str) -> re.Pattern[str]:
        return re.compile(re.escape(self.map.text("expired_password", key)), re.IGNORECASE)


class OperatorStatusScreen(Screen):
    """The Change Status dialog of Organization Operator Info."""

    section = "operator_status"
    in_work_area = True


# ---------------------------------------------------------------------------------------------------------------
# helpers


def _submit(screen: Screen, key: str, *, timeout_ms: int) -> None:
    """Click a control that reloads the page (or its frame) and wait until the old page is gone."""
    button = screen.require(key)
    handle = button.element_handle()
    button.click()
    if handle is None:
        return
    try:
        handle.wait_for_element_state("hidden", timeout=timeout_ms)
    except (PlaywrightTimeout, PlaywrightError):
        pass  # no reload (a client-side message) or already detached: the outcome check decides


def _texts(scope_screen: Screen, patterns: dict[str, re.Pattern[str]]) -> dict[str, Locator]:
    scope = scope_screen.scope()
    return {key: scope.get_by_text(pattern) for key, pattern in patterns.items()}


# ---------------------------------------------------------------------------------------------------------------
# login


def login_verdict(
    portal: Portal, short_code: str, username: str, password: Secret, *, purpose: str
) -> LoginResult | None:
    """Log in; ``None`` when the portal refused this user name/password (it is not tried again), else the result.

    Every other failure (locked, dormant, drift, a person who did not answer) is raised as ``Portal.login`` raises it.
    """
    try:
        return portal.login(short_code, username, password, purpose=purpose)
    except AuthError:
        login = LoginScreen(portal.ctx)
        try:
            refused = portal.page.get_by_text(login.text_re("credentials_wrong")).count() > 0
        except PlaywrightError:
            refused = False
        if refused:
            return None
        raise


# ---------------------------------------------------------------------------------------------------------------
# password changes


def change_expired_password(portal: Portal, old: Secret, new: Secret) -> None:
    """On the forced change screen after an expired password: old → new. Ends back on the login page.

    A portal that asks for security questions here is doing a first login, not an expiry: that is refused (setup
    handles first logins).
    """
    screen = ExpiredPasswordScreen(portal.ctx)
    screen.wait_shown()
    if screen.loc("question_1").count() > 0:
        raise PortalError(
            "The portal asks this operator for a first-login change with security questions, not for a new password.",
            hint="Finish the operator's activation with 'mpesa-agent setup', then rotate.",
        )
    screen.fill("old_password", old)
    screen.fill("new_password", new)
    screen.fill("confirm_password", new)
    screen.click("submit")
    timeout = portal.ctx.options.timeout_ms
    page = portal.page
    refusals = {
        "rejected": page.get_by_text(screen.text_re("rejected")),
        "same_as_old": page.get_by_text(screen.text_re("same_as_old")),
        "old_wrong": page.get_by_text(screen.extra_text_re("old_wrong")),
        "different": page.get_by_text(screen.extra_text_re("different")),
    }
    confirm = screen.loc("confirm")
    done = screen.loc("done")
    outcome = _wait_any(portal.ctx, {"confirm": confirm, "done": done, **refusals}, timeout)
    if outcome == "confirm":
        button = confirm.first
        handle = button.element_handle()
        button.click()
        if handle is not None:
            try:
                handle.wait_for_element_state("hidden", timeout=timeout)
            except (PlaywrightTimeout, PlaywrightError):
                pass
        try:
            outcome = _wait_any(portal.ctx, {"done": done, **refusals}, timeout)
        except (PlaywrightTimeout, PlaywrightError):
            raise LostAnswerError("The portal gave no answer after the password change was confirmed.") from None
    _refused(outcome, "the web operator's new password")
    portal.logged_in_as = None
    back = screen.loc("return_to_login")
    if back.count() == 1:
        back.first.click()
        try:
            LoginScreen(portal.ctx).wait_shown()
        except PortalChangedError:
            log.debug("no login page after 'Return to login page'")


def change_own_password(portal: Portal, old: Secret, new: Secret) -> None:
    """My Preference → Change Password for the logged-in operator. ``NotOfferedError`` if the portal has none."""
    shell = ShellScreen(portal.ctx)
    shell.wait_shown()
    shell.click("my_preference")
    screen = MyPreferenceScreen(portal.ctx)
    screen.wait_shown()
    try:
        button = screen.require("change_password")
    except PortalChangedError:
        raise NotOfferedError(
            "This portal's My Preference page offers no Change Password, so the web operator's password cannot be "
            "changed before it expires.",
            hint="Run 'mpesa-agent rotate --operator web' again once the portal asks for a new password at login "
            "(after about 90 days); nothing was changed. See also: the Business Administrator's Reset Password.",
        ) from None
    if button.is_disabled():
        raise NotOfferedError(f"{portal.logged_in_as} may not change its own password here (the button is greyed).")
    button.click()
    screen.require("dialog", timeout_ms=portal.ctx.options.timeout_ms)
    screen.fill("old_password", old)
    screen.fill("new_password", new)
    screen.fill("confirm_password", new)
    timeout = portal.ctx.options.timeout_ms
    _submit(screen, "submit", timeout_ms=timeout)
    candidates = {"done": screen.loc("succeeded"), "done_alt": screen.loc("succeeded_alt")}
    candidates.update(
        _texts(screen, {k: screen.text_re(k) for k in ("rejected", "same_as_old", "old_wrong", "different")})
    )
    try:
        outcome = _wait_any(portal.ctx, candidates, timeout)
    except (PlaywrightTimeout, PlaywrightError):
        raise LostAnswerError("The portal gave no answer after Change Password.") from None
    _refused(outcome, "the new password")
    ok = screen.loc("succeeded_ok")
    if ok.count() == 1:
        ok.first.click()


def _refused(outcome: str, what: str) -> None:
    reasons = {
        "rejected": "it does not meet the portal's password rules",
        "same_as_old": "it is the same as the old password",
        "old_wrong": "the portal says the old password is wrong",
        "different": "the two copies differ",
    }
    if outcome in reasons:
        raise PortalError(
            f"The portal refused {what}: {reasons[outcome]}. It was not submitted again.",
            hint="Nothing changed on the portal. Run 'mpesa-agent rotate --resume' to try once more, or "
            "'--abandon' to drop the new password.",
        )


# ---------------------------------------------------------------------------------------------------------------
# operator status


def open_operator_info(portal: Portal, username: str) -> OperatorInfoScreen:
    """Search the operator grid for ``username`` and open its Organization Operator Info."""
    grid: OperatorsScreen = portal.open_operator_list()
    grid.fill("user_name", username)
    _submit(grid, "search", timeout_ms=portal.ctx.options.timeout_ms)
    grid.wait_shown()
    row = grid.row_locator(username)
    details = grid.element("details").locate(row)
    if details.count() != 1:
        raise portal.ctx.drift("operators", grid.element("details").describe(), f"in the row of {username}")
    details.click()
    info = OperatorInfoScreen(portal.ctx)
    info.wait_shown()
    return info


def change_operator_status(portal: Portal, username: str, status: str, reason: str) -> None:
    """Change Status of ``username`` to ``status`` (e.g. Closed) with ``reason``; needs the Business Administrator.

    ``LostAnswerError`` when the answer to Confirm is lost (the caller checks the grid); ``PortalError`` when the
    portal refused it.
    """
    open_operator_info(portal, username)
    screen = OperatorStatusScreen(portal.ctx)
    try:
        button = screen.require("change_status")
    except PortalChangedError:
        raise AuthError(
            f"{portal.logged_in_as} cannot change the status of {username} (no Change Status on its page).",
            hint="Only the Business Administrator can close an operator; check admin_username in your profile.",
        ) from None
    if button.is_disabled():
        raise AuthError(f"{portal.logged_in_as} may not change the status of {username} (Change Status is greyed).")
    button.click()
    screen.require("dialog", timeout_ms=portal.ctx.options.timeout_ms)
    screen.select("new_status", status)
    screen.fill("reason", reason)
    timeout = portal.ctx.options.timeout_ms
    _submit(screen, "confirm", timeout_ms=timeout)
    scope = screen.scope()
    candidates = {
        "done": screen.loc("succeeded"),
        "reason": scope.get_by_text(screen.text_re("reason_required")),
        "permission": scope.get_by_text(screen.text_re("no_permission")),
    }
    try:
        outcome = _wait_any(portal.ctx, candidates, timeout)
    except (PlaywrightTimeout, PlaywrightError):
        raise LostAnswerError(f"The portal gave no answer after changing the status of {username}.") from None
    if outcome == "reason":
        raise PortalError(f"The portal wants a reason to change the status of {username}; none was accepted.")
    if outcome == "permission":
        raise AuthError(f"{portal.logged_in_as} may not change the status of {username}.")
    ok = screen.loc("succeeded_ok")
    if ok.count() >= 1:
        try:
            ok.first.click(timeout=portal.ctx.options.element_timeout_ms)
        except (PlaywrightTimeout, PlaywrightError):
            pass


def close_operator(portal: Portal, username: str, reason: str) -> None:
    """Close ``username`` (terminal on the portal: it stays listed as Closed and its user name stays taken)."""
    closed = str(portal.ctx.pagemap.value("operator_status", "values", "closed"))
    change_operator_status(portal, username, closed, reason)
