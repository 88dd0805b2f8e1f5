"""Portal flows for credential rotation, in the style of ``agent.portal.flows.Portal`` (``portal.maintenance``
gives them for one session):

* ``login_verdict``: a login that tells "the portal refused this password" apart from every other failure, so a
  resumed rotation can try the pending password and fall back to the current one (at most one refused attempt,
  which the next good login resets);
* ``change_expired_password``: the change the portal forces at login when a password has expired (the first-login
  screen without security questions);
* ``change_own_password``: the logged-in operator changes its own password under My Preference;
* ``open_operator_info`` and ``change_operator_status`` / ``close_operator``: Organization Operator Info →
  Identity Status → Change Status (the Business Administrator closes a replaced API operator).

Like ``flows``, these hold no locators: the page objects (``MyPreferenceScreen``, ``ExpiredPasswordScreen``,
``OperatorStatusScreen`` in ``agent.portal.screens``) find elements through the page map, every submit goes through
the Portal's one submit helper (which waits for the old page to go and answers a confirmation), and every outcome is
waited for in any frame (``agent.portal.locate``). A missing screen or element is portal drift (exit 6); an answer
the portal gives is a ``PortalError`` with its reason. A submit whose answer is lost raises ``LostAnswerError``: the
caller reconciles (a login, or the grid).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from agent.errors import AuthError, PasswordRefusedError, PortalChangedError, PortalError
from agent.portal.flows import LoginResult, Portal, _wait_any
from agent.portal.pagemap import Element
from agent.portal.screens import (
    ExpiredPasswordScreen,
    LoginScreen,
    MyPreferenceScreen,
    OperatorInfoScreen,
    OperatorStatusScreen,
    Screen,
    ShellScreen,
    SidebarScreen,
)
from agent.secret import Secret

log = logging.getLogger(__name__)

CLOSED = "Closed"

#: Why the portal refused a new password, by the key of its message.
REFUSALS = {
    "rejected": "it does not meet the portal's password rules",
    "same_as_old": "it is the same as the old password",
    "old_wrong": "the portal says the old password is wrong",
    "different": "the two copies differ",
}


class NotOfferedError(PortalChangedError):
    """The portal does not offer a function the rotation needs (e.g. no Change Password under My Preference).
    Exit 6, like drift: the page is not what the page map expects. Nothing was submitted."""


class LostAnswerError(PortalError):
    """A change was submitted but no answer (success or refusal) came back: it may or may not have been made."""


class Maintenance:
    """The rotation's flows on one portal session."""

    def __init__(self, portal: Portal) -> None:
        self.portal = portal
        self.ctx = portal.ctx

    @property
    def timeout_ms(self) -> int:
        return self.ctx.options.timeout_ms

    def _outcome(self, candidates: Mapping[str, Element], lost: str) -> str:
        """The first of ``candidates`` shown in any frame; ``LostAnswerError(lost)`` when none comes."""
        try:
            return _wait_any(self.ctx, candidates, self.timeout_ms)
        except (PlaywrightTimeout, PlaywrightError):
            raise LostAnswerError(lost) from None

    def _acknowledge(self, screen: Screen) -> None:
        """Press OK on a success dialog (a portal whose successes are toasts has none)."""
        if not self.ctx.pagemap.capabilities.acknowledge_success:
            return
        ok = screen.loc("succeeded_ok")  # in the dialog that shows the success, which is up already
        if ok.count() >= 1:
            try:
                ok.first.click(timeout=self.ctx.options.element_timeout_ms)
            except (PlaywrightTimeout, PlaywrightError):
                log.debug("the success dialog's OK could not be pressed")

    # -- login -------------------------------------------------------------------------------------------------
    def login_verdict(self, short_code: str, username: str, password: Secret, *, purpose: str) -> LoginResult | None:
        """Log in; ``None`` when the portal refused this user name/password (it is not tried again), else the result.

        Every other failure (locked, dormant, drift, a person who did not answer) is raised as ``Portal.login``
        raises it."""
        try:
            return self.portal.login(short_code, username, password, purpose=purpose)
        except PasswordRefusedError:
            return None

    # -- password changes --------------------------------------------------------------------------------------
    def change_expired_password(self, old: Secret, new: Secret) -> None:
        """On the forced change screen after an expired password: old → new. Ends back on the login page.

        A portal that asks for security questions here is doing a first login, not an expiry: that is refused
        (setup handles first logins)."""
        screen = ExpiredPasswordScreen(self.ctx)
        screen.wait_shown()
        if screen.loc("question_1").count() > 0:
            raise PortalError(
                "The portal asks this operator for a first-login change with security questions, not for a new "
                "password.",
                hint="Finish the operator's activation with 'mpesa-agent setup', then rotate.",
            )
        screen.fill("old_password", old)
        screen.fill("new_password", new)
        screen.fill("confirm_password", new)
        refusals = {
            "rejected": screen.said("rejected"),
            "same_as_old": screen.said("same_as_old"),
            "old_wrong": screen.said_on_expiry("old_wrong"),
            "different": screen.said_on_expiry("different"),
        }
        done = screen.element("done")
        screen.click("submit")  # a confirmation may come first: answered below
        outcome = self._outcome(
            {"confirm": screen.element("confirm"), "done": done, **refusals},
            "The portal gave no answer after the new password was submitted.",
        )
        if outcome == "confirm":
            self.portal._submit(screen, "confirm")
            outcome = self._outcome(
                {"done": done, **refusals}, "The portal gave no answer after the password change was confirmed."
            )
        _refused(outcome, "the web operator's new password")
        self.portal.logged_in_as = None
        if screen.loc("return_to_login").count() == 1:
            screen.click("return_to_login")
            try:
                LoginScreen(self.ctx).wait_shown()
            except PortalChangedError:
                log.debug("no login page after 'Return to login page'")

    def open_my_preference(self) -> MyPreferenceScreen:
        """My Preference: the header link (classic), or the sidebar's My Preference › Basic Info (current)."""
        shell = ShellScreen(self.ctx)
        shell.wait_shown()
        self.portal.dismiss_stray_dialogs()
        if self.ctx.pagemap.capabilities.menus == "sidebar":
            sidebar = SidebarScreen(self.ctx)
            with self.portal._closing_stray_dialogs():  # a notice may still pop up while the menu is being opened
                sidebar.open_item("basic_info", "my_preference").click()
        else:
            # The header link, and on some pages the Home tab's shortcut beside it: either opens My Preference.
            link = shell.wait_for("my_preference", self.ctx.options.element_timeout_ms)
            if link is None:
                raise self.ctx.drift("shell", shell.element("my_preference").describe())
            link.first.click()
        screen = MyPreferenceScreen(self.ctx)
        screen.wait_shown()
        return screen

    def change_own_password(self, old: Secret, new: Secret) -> None:
        """My Preference → Change Password for the logged-in operator. ``NotOfferedError`` if the portal has none."""
        screen = self.open_my_preference()
        try:
            button = screen.require("change_password")
        except PortalChangedError:
            raise NotOfferedError(
                "This portal's My Preference page offers no Change Password, so the web operator's password cannot "
                "be changed before it expires.",
                hint="Run 'mpesa-agent rotate --operator web' again once the portal asks for a new password at login "
                "(after about 90 days); nothing was changed. See also: the Business Administrator's Reset Password.",
            ) from None
        if button.is_disabled():
            raise NotOfferedError(
                f"{self.portal.logged_in_as} may not change its own password here (the button is greyed)."
            )
        button.click()
        screen.require("dialog", timeout_ms=self.timeout_ms)
        screen.fill("old_password", old)
        screen.fill("new_password", new)
        screen.fill("confirm_password", new)
        self.portal._submit(screen, "submit")
        candidates = {"done": screen.element("succeeded"), "done_alt": screen.element("succeeded_alt")}
        candidates.update({key: screen.said(key) for key in REFUSALS})
        outcome = self._outcome(candidates, "The portal gave no answer after Change Password.")
        _refused(outcome, "the new password")
        self._acknowledge(screen)

    # -- operator status ---------------------------------------------------------------------------------------
    def open_operator_info(self, username: str) -> OperatorInfoScreen:
        """Search the operator grid for ``username`` and open its Organization Operator Info."""
        grid = self.portal.open_operator_list()
        grid.fill("user_name", username)
        self.portal._submit(grid, "search")
        grid.wait_shown()
        row = grid.row_locator(username)
        details = grid.element("details").locate(row)
        if details.count() != 1:
            raise self.ctx.drift("operators", grid.element("details").describe(), f"in the row of {username}")
        details.click()
        info = OperatorInfoScreen(self.ctx)
        info.wait_shown()
        return info

    def change_operator_status(self, username: str, status: str, reason: str) -> None:
        """Change Status of ``username`` to ``status`` (e.g. Closed) with ``reason``; needs the Business
        Administrator. ``LostAnswerError`` when the answer to Confirm is lost (the caller checks the grid);
        ``PortalError`` when the portal refused it."""
        self.open_operator_info(username)
        screen = OperatorStatusScreen(self.ctx)
        who = self.portal.logged_in_as
        try:
            button = screen.require("change_status")
        except PortalChangedError:
            raise AuthError(
                f"{who} cannot change the status of {username} (no Change Status on its page).",
                hint="Only the Business Administrator can close an operator; check admin_username in your profile.",
            ) from None
        if button.is_disabled():
            raise AuthError(f"{who} may not change the status of {username} (Change Status is greyed).")
        button.click()
        screen.require("dialog", timeout_ms=self.timeout_ms)
        screen.select("new_status", status)
        screen.fill("reason", reason)
        self.portal._submit(screen, "confirm")
        candidates = {
            "done": screen.element("succeeded"),
            "reason": screen.said("reason_required"),
            "permission": screen.said("no_permission"),
        }
        outcome = self._outcome(candidates, f"The portal gave no answer after changing the status of {username}.")
        if outcome == "reason":
            raise PortalError(f"The portal wants a reason to change the status of {username}; none was accepted.")
        if outcome == "permission":
            raise AuthError(f"{who} may not change the status of {username}.")
        self._acknowledge(screen)

    def close_operator(self, username: str, reason: str) -> None:
        """Close ``username`` (terminal on the portal: it stays listed as Closed and its user name stays taken)."""
        closed = str(self.ctx.pagemap.value("operator_status", "values", "closed"))
        self.change_operator_status(username, closed, reason)


def _refused(outcome: str, what: str) -> None:
    if outcome in REFUSALS:
        raise PortalError(
            f"The portal refused {what}: {REFUSALS[outcome]}. It was not submitted again.",
            hint="Nothing changed on the portal. Run 'mpesa-agent rotate --resume' to try once more, or "
            "'--abandon' to drop the new password.",
        )
