"""Portal flows: the multi-screen operations the workflows call (log in, first login, create an operator,
find and read operators, set an API operator's password, log out).

Flows combine page objects; they never hold locators themselves. Safety rules live here: a password the portal
rejected is never tried again (operators get locked), a wrong captcha is answered with a fresh captcha only, and
every unexpected screen is portal drift (exit 6).
"""

from __future__ import annotations

import contextlib
import dataclasses
import enum
import logging
import re
import time
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Locator
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from agent.errors import AuthError, NeedsHumanError, PasswordRefusedError, PortalError
from agent.portal import locate
from agent.portal.human import HumanInput
from agent.portal.new_operator import NewOperator
from agent.portal.pagemap import Element
from agent.portal.screens import (
    BrowseScreen,
    CreateOperatorScreen,
    FirstLoginScreen,
    LoginScreen,
    OperatorInfoScreen,
    OperatorsScreen,
    OtpScreen,
    PortalContext,
    Screen,
    ShellScreen,
    SidebarScreen,
)
from agent.secret import Secret

if TYPE_CHECKING:
    from agent.portal.maintenance import Maintenance

log = logging.getLogger(__name__)

CAPTCHA_TRIES = 3
OTP_TRIES = 3


class OperatorExistsError(PortalError):
    """The wizard says the user name exists (the caller reconciles with the grid)."""


class LoginResult(enum.Enum):
    HOME = "home"
    FIRST_LOGIN = "first_login"


def _wait_any(ctx: PortalContext, candidates: Mapping[str, Locator | Element], timeout_ms: int) -> str:
    """Wait until one of ``candidates`` is visible; returns its key. An Element is looked for in every frame (a
    dialog or message may open in another frame than the button); a Locator only where it was made."""
    found = locate.wait_any(ctx.page, candidates, timeout_ms)
    if found is None:
        raise PlaywrightTimeout(f"none of {', '.join(candidates)} appeared within {timeout_ms} ms")
    return found[0]


class Portal:
    """The automation of one portal in one browser session."""

    def __init__(self, ctx: PortalContext, human: HumanInput, *, human_timeout_ms: int = 300_000) -> None:
        self.ctx = ctx
        self.human = human
        self.human_timeout_ms = human_timeout_ms
        self.logged_in_as: str | None = None

    @property
    def page(self) -> Any:
        return self.ctx.page

    @property
    def maintenance(self) -> Maintenance:
        """The rotation's flows (``agent.portal.maintenance``) on this session."""
        from agent.portal.maintenance import Maintenance

        return Maintenance(self)

    # -- login ---------------------------------------------------------------------------------------------------
    def login(self, short_code: str, username: str, password: Secret, *, purpose: str) -> LoginResult:
        """Log in with captcha and OTP. The password is submitted with at most one portal verdict on it."""
        login = LoginScreen(self.ctx)
        login.open()
        otp = OtpScreen(self.ctx)
        first = FirstLoginScreen(self.ctx)
        shell = ShellScreen(self.ctx)
        code: Secret | None = None
        picture = ""  # the captcha picture ``code`` was read from (its address)
        for attempt in range(1, CAPTCHA_TRIES + 1):
            if self.human.captcha_in_browser:
                login.fill_credentials(short_code, username, password)
                self.human_notice(f"Type the verification code in the browser window and press Login ({purpose}).")
                timeout = self.human_timeout_ms
            else:
                png = login.captcha_png()
                if code is None or login.captcha_address() != picture:
                    # A form that emptied itself before it was sent keeps its picture: its code is not asked again.
                    code = self.human.captcha(png, purpose)
                    picture = login.captcha_address()
                # Fill right before clicking: the current portal resets the fields while the captcha is read, so
                # check they still hold what was typed (and type again) just before pressing Login.
                for _ in range(3):
                    login.fill_credentials(short_code, username, password)
                    login.fill_code("verification_code", code)
                    if login.holds(short_code, username, password, code):
                        break
                # A form emptied at the last moment is refused by the page itself: that ends the wait as well.
                known = self.ctx.pagemap.has("login", "texts", "required")
                refused = {"required": login.said("required")} if known else {}
                self._submit(login, "login", until=refused)
                timeout = self.ctx.options.timeout_ms
            outcome = self._after_login_submit(login, otp, first, shell, timeout)
            if outcome == "required":
                log.info("the login form was emptied before it was sent (attempt %d)", attempt)
                if attempt == CAPTCHA_TRIES:
                    raise NeedsHumanError(
                        "The portal's login form kept emptying itself before it could be sent.",
                        hint="Run the same command again; with --headed you can watch what happens.",
                    )
                continue
            if outcome == "captcha_wrong":
                log.info("the portal refused the verification code (attempt %d)", attempt)
                if attempt == CAPTCHA_TRIES:
                    raise NeedsHumanError(
                        "The verification code was refused three times.",
                        hint="Run the same command again and type the 4 digits exactly as shown.",
                    )
                self.human.refused("captcha", attempt)
                code = None
                continue
            break
        else:  # pragma: no cover - the loop always breaks or raises
            raise AssertionError
        if outcome == "otp":
            outcome = self._otp(otp, first, shell, purpose)
        self.logged_in_as = username
        if outcome == "home":
            self.dismiss_stray_dialogs()
        return LoginResult.FIRST_LOGIN if outcome == "first_login" else LoginResult.HOME

    def human_notice(self, text: str) -> None:
        from agent.portal.human import default_say

        default_say(text)

    def _wait_detached(self, handle: Any, until: Mapping[str, Element] | None = None) -> None:
        """After a submit, wait until the old page (or the part of it holding the button) is gone, or one of
        ``until`` shows (the page's own refusal, which changes nothing else). A confirmation the portal asks on the
        way ("Are you sure…?") is answered Yes; a submit that changes nothing on the page (a client-side error
        message) ends the wait at the page timeout, and the caller's outcome check decides."""
        if handle is None:
            return
        caps = self.ctx.pagemap.capabilities
        yes = ShellScreen(self.ctx).element("confirm_yes") if caps.confirmations else None
        deadline = time.monotonic() + self.ctx.options.timeout_ms / 1000
        while True:
            try:
                handle.wait_for_element_state("hidden", timeout=locate.POLL_SLICE_MS)
                return
            except PlaywrightTimeout:
                pass
            except PlaywrightError:
                return  # already detached: the old page is gone
            if any(locate.visible_now(self.page, target) is not None for target in (until or {}).values()):
                return
            if yes is not None:
                confirm = locate.visible_now(self.page, yes)
                if confirm is not None and confirm.count() == 1:
                    log.debug("answering the portal's confirmation with Yes")
                    confirm.click()
                    continue
            if time.monotonic() >= deadline:
                locate.note_expired("the page to change after a submit")
                return

    def _after_login_submit(
        self, login: LoginScreen, otp: OtpScreen, first: FirstLoginScreen, shell: ShellScreen, timeout_ms: int
    ) -> str:
        candidates: dict[str, Locator | Element] = {
            "otp": otp.element("screen"),
            "first_login": first.element("screen"),
            "home": shell.element("screen"),
        }
        for key in ("captcha_wrong", "credentials_wrong", "locked", "short_code_unknown", "dormant"):
            candidates[key] = login.said(key)
        if self.ctx.pagemap.capabilities.login_form_check:
            # The page itself refused to send an emptied form (fields reset while the captcha was read): the portal
            # saw nothing, so typing again is safe.
            candidates["required"] = login.said("required")
        try:
            outcome = _wait_any(self.ctx, candidates, timeout_ms)
        except PlaywrightTimeout:
            if self.human.captcha_in_browser:
                raise NeedsHumanError(
                    "Nobody completed the login in the browser in time.",
                    hint="Run the same command again and type the verification code in the window.",
                ) from None
            raise self.ctx.drift("login", "any known result after pressing Login") from None
        if outcome == "credentials_wrong":
            raise PasswordRefusedError(
                "The portal refused the user name or password. It was not tried again, so the operator is not "
                "locked by us.",
                hint="Check the user name and password (they are case-sensitive), then run the command again; "
                "mpesa-agent will ask for the password.",
            )
        if outcome == "locked":
            raise AuthError(
                "The portal says this operator is locked.",
                hint="Ask the Business Administrator to unlock it (or Safaricom for the administrator itself).",
            )
        if outcome == "dormant":
            raise AuthError(
                "The portal says this operator is dormant.",
                hint="The Business Administrator must reactivate it; for the administrator e-mail "
                "M-PESABusiness@Safaricom.co.ke.",
            )
        if outcome == "short_code_unknown":
            raise PortalError(
                "The portal does not know this short code.",
                hint="Check the short code in your profile (mpesa-agent config show).",
            )
        return outcome

    def _otp(self, otp: OtpScreen, first: FirstLoginScreen, shell: ShellScreen, purpose: str) -> str:
        phone = otp.phone_hint()
        for attempt in range(1, OTP_TRIES + 1):
            if self.human.otp_in_browser:
                self.human_notice(f"Type the SMS code sent to {phone} in the browser window ({purpose}).")
                timeout = self.human_timeout_ms
            else:
                code = self.human.otp(purpose, phone)
                self._type_otp(otp, code)
                self._submit(otp, "submit")
                timeout = self.ctx.options.timeout_ms
            candidates = {
                "first_login": first.element("screen"),
                "home": shell.element("screen"),
                "otp_wrong": otp.said("otp_wrong"),
            }
            try:
                outcome = _wait_any(self.ctx, candidates, timeout)
            except PlaywrightTimeout:
                if self.human.otp_in_browser:
                    raise NeedsHumanError("Nobody typed the SMS code in time.", hint="Run the command again.") from None
                raise self.ctx.drift("otp", "any known result after submitting the SMS code") from None
            if outcome != "otp_wrong":
                return outcome
            log.info("the portal refused the SMS code (attempt %d)", attempt)
            if attempt == OTP_TRIES:
                break
            resent = False
            if not self.human.otp_in_browser and otp.loc("resend").count() == 1:
                # The code may have expired: ask for a fresh one before the next try.
                self._submit(otp, "resend")
                resent = True
            self.human.refused("otp", attempt, phone_hint=phone, resent=resent)
        raise NeedsHumanError(
            "The SMS code was refused three times.",
            hint="Wait for a new SMS, then run the same command again.",
        )

    # -- first login -----------------------------------------------------------------------------------------
    def first_login_change(self, old: Secret, new: Secret, answers: tuple[Secret, Secret]) -> tuple[str, str]:
        """Forced password change with two security questions; returns the questions chosen (not secret)."""
        screen = FirstLoginScreen(self.ctx)
        screen.wait_shown()
        q1_options = screen.questions("question_1")
        q2_options = screen.questions("question_2")
        if not q1_options or not q2_options:
            raise self.ctx.drift("first_login", "the security questions")
        q1 = q1_options[0]
        q2 = next((q for q in q2_options if q != q1), None)
        if q2 is None:
            raise self.ctx.drift("first_login", "two different security questions")
        screen.fill("old_password", old)
        screen.fill("new_password", new)
        screen.fill("confirm_password", new)
        screen.select("question_1", q1)
        screen.fill_code("answer_1", answers[0])  # answers are plain text fields on the portal
        screen.select("question_2", q2)
        screen.fill_code("answer_2", answers[1])
        screen.click("submit")
        done = screen.element("done")
        outcome = _wait_any(self.ctx, {"confirm": screen.element("confirm"), "done": done}, self.ctx.options.timeout_ms)
        if outcome == "confirm":
            self._click_reload(screen.require("confirm").first)
        refusals = {"rejected": screen.said("rejected"), "same_as_old": screen.said("same_as_old")}
        try:
            outcome = _wait_any(self.ctx, {"done": done, **refusals}, self.ctx.options.timeout_ms)
        except PlaywrightTimeout:
            raise self.ctx.drift("first_login", "the confirmation that the password was changed") from None
        if outcome in refusals:
            raise PortalError(
                "The portal refused the new web operator password; it was not submitted again.",
                hint="Run setup again; mpesa-agent generates a password that follows the portal's rules.",
            )
        if screen.loc("return_to_login").count() == 1:
            screen.click("return_to_login")
        self.logged_in_as = None
        return q1, q2

    def session_expired(self) -> bool:
        """True when the portal (in the page or a tab's frame) says the session has expired."""
        pattern = re.compile(re.escape(self.ctx.pagemap.text("login", "session_expired")), re.IGNORECASE)
        for frame in self.page.frames:
            try:
                if frame.get_by_text(pattern).count() > 0:
                    self.logged_in_as = None
                    return True
            except PlaywrightError:
                continue
        return False

    # -- logout ----------------------------------------------------------------------------------------------
    def logout(self) -> None:
        shell = ShellScreen(self.ctx)
        if not shell.is_shown():
            self.logged_in_as = None
            return
        shell.click("logout")
        login = LoginScreen(self.ctx)
        outcome = _wait_any(
            self.ctx,
            {"confirm": shell.element("logout_confirm"), "login": login.element("screen")},
            self.ctx.options.timeout_ms,
        )
        if outcome == "confirm":
            shell.click("logout_confirm")
            login.wait_shown()
        self.logged_in_as = None

    # -- operators -------------------------------------------------------------------------------------------
    def open_operator_list(self) -> OperatorsScreen:
        """The operator list: Browse Organization → Overview → Operators (classic), or the sidebar's
        Search › Organization Operator (current)."""
        screen = OperatorsScreen(self.ctx)
        self.dismiss_stray_dialogs()
        if screen.is_shown() and screen.loc("user_name").count() == 1:
            return screen  # the operator list is open already
        shell = ShellScreen(self.ctx)
        shell.wait_shown()
        if self.ctx.pagemap.capabilities.menus == "sidebar":
            sidebar = SidebarScreen(self.ctx)
            with self._closing_stray_dialogs():  # a notice may still pop up while the menu is being opened
                self._click_reload(sidebar.open_item("organization_operator", "search"))
            screen.wait_shown()
            return screen
        shell.click("browse_organization")
        browse = BrowseScreen(self.ctx)
        shown = {"screen": browse.element("screen"), "tree": browse.element("tree_operators")}
        if locate.wait_any(self.page, shown, self.ctx.options.timeout_ms, inner_first=True) is None:
            raise self.ctx.drift("browse", browse.element("screen").describe())
        # The tree link reloads the frame even when the list is shown already: wait for the old page to go, or a
        # search typed now would be lost in the reload.
        self._click_reload(browse.require("tree_operators").first)
        screen.wait_shown()
        return screen

    def dismiss_stray_dialogs(self) -> None:
        """Close a notice the portal may pop up after login or on any page (current portal, reference §4.3): by its
        close button, else by its OK (a notice that only OK closes). The button is pressed from the keyboard (the
        pointer stays where it is, so a sub-menu open under it stays open), clicked if that does not close it."""
        if not self.ctx.pagemap.capabilities.stray_dialogs:
            return
        shell = ShellScreen(self.ctx)
        keys = [k for k in ("stray_dialog_close", "stray_dialog_ok") if self.ctx.pagemap.has("shell", k)]
        for _ in range(3):
            shown = next((f for key in keys if (f := locate.visible_now(self.page, shell.element(key)))), None)
            if shown is None:
                return
            button = shown.first
            try:
                button.press("Enter", timeout=self.ctx.options.element_timeout_ms)
                button.wait_for(state="hidden", timeout=self.ctx.options.element_timeout_ms)
                continue
            except PlaywrightError:
                pass
            try:
                button.click(timeout=self.ctx.options.element_timeout_ms)
            except PlaywrightError:
                return

    @contextlib.contextmanager
    def _closing_stray_dialogs(self) -> Iterator[None]:
        """While inside: a stray dialog that pops up (and blocks a click with its mask) is closed before the next
        click or hover goes on (Playwright's locator handler, run before every action)."""
        if not self.ctx.pagemap.has("shell", "stray_dialog"):
            yield
            return
        dialog = ShellScreen(self.ctx).element("stray_dialog").locate(self.page).filter(visible=True)
        self.page.add_locator_handler(dialog, self.dismiss_stray_dialogs)
        try:
            yield
        finally:
            self.page.remove_locator_handler(dialog)

    def find_operator(self, username: str) -> OperatorRow | None:
        """Search the grid for ``username`` (exact, case-insensitive); None when it is not listed."""
        screen = self.open_operator_list()
        screen.fill("user_name", username)
        self._submit(screen, "search")
        screen.wait_shown()
        cols = screen.columns()
        for cells in screen.table():
            if cells.get(cols["user_name"], "").strip().lower() == username.lower():
                return OperatorRow(
                    username=cells[cols["user_name"]].strip(),
                    status=cells.get(cols["status"], "").strip(),
                    roles=split_roles(cells.get(cols["role"], "")),
                    suspended=cells.get(cols["suspended"], "").strip(),
                    operator_id=cells.get(cols["operator_id"], "").strip(),
                    cells=cells,
                )
        return None

    def _submit(self, screen: Screen, key: str, until: Mapping[str, Element] | None = None) -> None:
        """Click a control that submits; on a portal whose pages reload, wait until the old page is gone (or one
        of ``until`` shows)."""
        self._click_reload(screen.require(key), until)

    def _click_reload(self, button: Locator, until: Mapping[str, Element] | None = None) -> None:
        if not self.ctx.pagemap.capabilities.reloads:
            button.click()  # a single-page portal: the caller waits for the outcome it expects
            return
        handle = button.element_handle()
        button.click()
        self._wait_detached(handle, until)

    def _type_otp(self, otp: OtpScreen, code: Secret) -> None:
        """One field for the code, or one box per digit (the current portal)."""
        if self.ctx.pagemap.capabilities.otp == "field":
            otp.fill_code("otp", code)
            return
        boxes = otp.loc("boxes")
        digits = code.reveal()
        if boxes.count() != len(digits):
            raise self.ctx.drift(
                "otp", otp.element("boxes").describe(), f"{boxes.count()} boxes for {len(digits)} digits"
            )
        for index, digit in enumerate(digits):
            boxes.nth(index).fill(digit)

    def create_operator(self, op: NewOperator) -> None:
        """The Create Organization Operator wizard: Identity Info → Assign → KYC Info → Review → Submit."""
        screen = self.open_operator_list()
        add = screen.require("add")
        if add.is_disabled():
            raise AuthError(
                f"{self.logged_in_as} may not create operators (the Add button is greyed out).",
                hint="Only the Business Administrator can create operators; check admin_username in your profile.",
            )
        add.click()
        wizard = CreateOperatorScreen(self.ctx)
        wizard.wait_shown()
        self._wizard_identity(wizard, op)
        self._wizard_assign(wizard, op)
        self._wizard_kyc(wizard, op)
        self._wizard_submit(wizard, op)

    def _step_error(self, wizard: CreateOperatorScreen, step: str) -> None:
        """After Next: a field error or alert on the same step stops the wizard with the portal's own words."""
        scope = wizard.scope()
        errors = scope.get_by_role("alert").all_inner_texts()
        # Field messages are tied to their inputs by aria-describedby; there is no role to find them by.
        invalid = scope.locator("[aria-invalid=true]")
        errors += [
            str(t)
            for t in invalid.evaluate_all(
                "els => els.map(e => (document.getElementById(e.getAttribute('aria-describedby') || '') || {})"
                ".innerText).filter(Boolean)"
            )
        ]
        if errors:
            raise PortalError(
                f"The portal refused the {step} step: {' '.join(e.strip() for e in errors)}",
                hint="Correct the value in your profile, then run setup again.",
            )

    def _wizard_identity(self, wizard: CreateOperatorScreen, op: NewOperator) -> None:
        wizard.tick(op.kind)
        wizard.fill("user_name", op.username)
        self._submit(wizard, "next")
        duplicate = wizard.said("duplicate_user")
        outcome = _wait_any(
            self.ctx, {"assign": wizard.element("rule_profile"), "duplicate": duplicate}, self.ctx.options.timeout_ms
        )
        if outcome == "duplicate":
            raise OperatorExistsError(
                f"The portal says the user name {op.username} exists already.",
                hint="setup looks the operator up before creating it; run setup again to continue with it.",
            )

    def _wizard_assign(self, wizard: CreateOperatorScreen, op: NewOperator) -> None:
        wizard.select("rule_profile", op.rule_profile)
        self._submit(wizard, "add_role")
        dialog = wizard.require("role_dialog", timeout_ms=self.ctx.options.timeout_ms)
        missing = [r for r in op.roles if locate.checkbox_beside(dialog, r) is None]
        if missing and wizard.loc("role_dialog_all").count() == 1:
            # Some portals list only the channel's roles; the reference says a mismatch is a warning, not a block.
            self._submit(wizard, "role_dialog_all")
            dialog = wizard.require("role_dialog", timeout_ms=self.ctx.options.timeout_ms)
        for role in op.roles:
            box = locate.checkbox_beside(dialog, role)
            if box is None:
                raise self.ctx.drift("create", f'the role "{role}" in the Select Role dialog')
            try:
                locate.tick(box)
            except PlaywrightError:
                raise self.ctx.drift(
                    "create", f'the role "{role}" in the Select Role dialog', "it stayed unticked"
                ) from None
        self._submit(wizard, "role_dialog_ok")
        timeout = self.ctx.options.timeout_ms
        if not locate.wait_gone(self.page, wizard.element("role_dialog"), timeout):
            raise self.ctx.drift("create", "the Select Role dialog closing after OK")
        wizard.require("rule_profile", timeout_ms=timeout)
        for role in op.roles:
            # The roles grid may be redrawn in place and late: wait for each role to show, never check once.
            if not locate.wait_text(self.page, re.compile(rf"^\s*{re.escape(role)}\s*$", re.IGNORECASE), timeout):
                raise self.ctx.drift("create", f'the role "{role}" in the roles grid after OK')
        self._submit(wizard, "next")
        if wizard.wait_for("first_name") is None:
            self._step_error(wizard, "Assign")
            raise self.ctx.drift("create", "the KYC Info step")

    def _wizard_kyc(self, wizard: CreateOperatorScreen, op: NewOperator) -> None:
        kyc = op.kyc
        wizard.fill("first_name", kyc.first_name)
        if kyc.middle_name:
            wizard.fill("middle_name", kyc.middle_name)
        wizard.fill("last_name", kyc.last_name)
        if kyc.date_of_birth:
            wizard.fill(
                "date_of_birth",
                kyc.date_of_birth.strftime(str(self.ctx.pagemap.value("create", "values", "date_format"))),
            )
        if kyc.email:
            wizard.fill("email", kyc.email)
        wizard.fill("preferred_contact", kyc.msisdn)
        wizard.select("id_type", kyc.id_type)
        wizard.fill("id_number", kyc.id_number)
        wizard.select("notification_channel", str(self.ctx.pagemap.value("create", "values", "notification_channel")))
        wizard.fill("notification_msisdn", kyc.msisdn)
        if kyc.email:
            wizard.fill("notification_email", kyc.email)
        self._submit(wizard, "next")
        if wizard.wait_for("submit") is None:
            self._step_error(wizard, "KYC Info")
            raise self.ctx.drift("create", "the Review step")

    def _wizard_submit(self, wizard: CreateOperatorScreen, op: NewOperator) -> None:
        name = re.compile(rf"^\s*{re.escape(op.username)}\s*$")
        if not locate.wait_text(self.page, name, self.ctx.options.timeout_ms):
            raise self.ctx.drift("create", f"the user name {op.username} on the Review step")
        wizard.click("submit")
        succeeded = wizard.element("succeeded")
        outcome = _wait_any(
            self.ctx, {"confirm": wizard.element("confirm"), "succeeded": succeeded}, self.ctx.options.timeout_ms
        )
        if outcome == "confirm":
            self._click_reload(wizard.require("confirm").first)
        if wizard.wait_for("succeeded") is None:
            # An error page or a dropped answer after Submit: the caller reconciles by searching the grid.
            raise PortalError(f"The portal gave no confirmation after submitting {op.username}.") from None
        if self.ctx.pagemap.capabilities.acknowledge_success and wizard.loc("succeeded_ok").count() == 1:
            wizard.click("succeeded_ok")

    def set_api_password(self, username: str, password: Secret) -> None:
        """Open the API operator's Organization Operator Info and use Set Password (needs a manager's role)."""
        screen = self.open_operator_list()
        screen.fill("user_name", username)
        self._submit(screen, "search")
        screen.wait_shown()
        row = screen.row_locator(username)
        details = screen.element("details").locate(row)
        if details.count() != 1:
            raise self.ctx.drift("operators", screen.element("details").describe(), f"in the row of {username}")
        details.click()
        info = OperatorInfoScreen(self.ctx)
        info.wait_shown()
        button = info.require("set_password")
        if button.is_disabled():
            raise AuthError(
                f"{self.logged_in_as} may not set {username}'s password (Set Password is greyed out).",
                hint="Only a web operator with the role 'Set Restricted ORG API PASSWORD' can; setup creates one.",
            )
        button.click()
        info.require("dialog")
        info.fill("password", password)
        info.fill("confirm_password", password)
        self._submit(info, "submit")
        refusals = {"rejected": info.said("rejected"), "different": info.said("different")}
        try:
            outcome = _wait_any(self.ctx, {"ok": info.element("succeeded"), **refusals}, self.ctx.options.timeout_ms)
        except (PlaywrightTimeout, PlaywrightError):
            raise PortalError(f"The portal gave no confirmation after Set Password for {username}.") from None
        if outcome in refusals:
            raise PortalError(
                f"The portal refused the new password for {username}; it was not submitted again.",
                hint="Run again: mpesa-agent generates passwords that follow the portal's rules.",
            )
        if self.ctx.pagemap.capabilities.acknowledge_success and info.loc("succeeded_ok").count() == 1:
            info.click("succeeded_ok")


@dataclasses.dataclass
class OperatorRow:
    """One row of the operator grid (non-secret)."""

    username: str
    status: str
    roles: list[str]
    suspended: str = ""
    operator_id: str = ""
    cells: dict[str, str] = dataclasses.field(default_factory=dict)

    def has_role(self, role: str) -> bool:
        return role.lower() in (r.lower() for r in self.roles)


def split_roles(text: str) -> list[str]:
    return [r.strip() for r in re.split(r"[,\n]", text) if r.strip()]
